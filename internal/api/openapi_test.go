package api_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

// specFile is the API's description, kept true by TestOpenAPIDescribesEveryRoute.
var specFile = filepath.Join("..", "..", "api", "openapi.yaml")

var (
	methods     = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}
	pathKey     = regexp.MustCompile(`^  (/\S*):$`)
	itemKey     = regexp.MustCompile(`^    ([A-Za-z$]+):(?: (.*))?$`)
	anchorValue = regexp.MustCompile(`^&([A-Za-z0-9_-]+)$`)
	aliasValue  = regexp.MustCompile(`^\*([A-Za-z0-9_-]+)$`)
)

// specOp is one operation of the description: its anchor or the alias it
// reuses, if any.
type specOp struct {
	anchor, alias string
	line          int
}

// scanPaths reads the operations under "paths:" by the layout convention
// documented at the top of api/openapi.yaml: paths indented two spaces,
// their methods and other fields four. It reports what breaks the
// convention instead of guessing.
func scanPaths(r io.Reader) (map[string]specOp, error) {
	ops := map[string]specOp{}
	var inPaths, sawPaths bool
	path := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasPrefix(line, "\t") {
			return nil, fmt.Errorf("line %d: a tab in the indentation", n)
		}
		indent := len(line) - len(trimmed)
		if indent == 0 {
			inPaths = line == "paths:"
			sawPaths = sawPaths || inPaths
			if strings.HasPrefix(line, "paths:") && !inPaths {
				return nil, fmt.Errorf("line %d: paths must be a block mapping", n)
			}
			continue
		}
		if !inPaths {
			continue
		}
		switch {
		case indent == 2:
			m := pathKey.FindStringSubmatch(line)
			if m == nil {
				return nil, fmt.Errorf("line %d: %q: want a path key (\"  /path:\")", n, line)
			}
			path = m[1]
		case indent == 4:
			m := itemKey.FindStringSubmatch(line)
			if m == nil || path == "" {
				return nil, fmt.Errorf("line %d: %q: want a path item field", n, line)
			}
			key, value := m[1], strings.TrimSpace(m[2])
			if !slices.Contains(methods, key) {
				if !slices.Contains([]string{"summary", "description", "parameters", "servers"}, key) {
					return nil, fmt.Errorf("line %d: %q is neither an HTTP method nor a path item field", n, key)
				}
				continue
			}
			op := specOp{line: n}
			if a := anchorValue.FindStringSubmatch(value); a != nil {
				op.anchor = a[1]
			} else if a := aliasValue.FindStringSubmatch(value); a != nil {
				op.alias = a[1]
			} else if value != "" {
				return nil, fmt.Errorf("line %d: %s %s: want a block, an anchor or an alias, not %q", n, key, path, value)
			}
			route := strings.ToUpper(key) + " " + path
			if _, dup := ops[route]; dup {
				return nil, fmt.Errorf("line %d: %s described twice", n, route)
			}
			ops[route] = op
		case indent < 4:
			return nil, fmt.Errorf("line %d: indentation %d under paths: want 2 (paths) or 4 (their fields)", n, indent)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !sawPaths {
		return nil, fmt.Errorf("no top-level \"paths:\"")
	}
	return ops, nil
}

// servedRoutes are the routes of a server, without the catch-all.
func servedRoutes(t *testing.T) []string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	led, err := ledger.New(ledger.Config{Store: st, Registry: newRegistry(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(led.Close)
	srv, err := api.New(api.Config{Ledger: led, DefaultCell: "c", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	var out []string
	for _, r := range srv.Routes() {
		if r != "/api/" {
			out = append(out, r)
		}
	}
	return out
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	f, err := os.Open(specFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 1<<16)
	nr, _ := io.ReadFull(f, head)
	if !regexp.MustCompile(`(?m)^openapi: 3\.1\.\d+$`).Match(head[:nr]) {
		t.Error("the description does not declare openapi: 3.1.x")
	}
	f.Seek(0, io.SeekStart)
	ops, err := scanPaths(f)
	if err != nil {
		t.Fatalf("%s: %v", specFile, err)
	}
	served := servedRoutes(t)
	for _, r := range served {
		if _, ok := ops[r]; !ok {
			t.Errorf("%s is served but not described in %s", r, specFile)
		}
	}
	for r, op := range ops {
		if !slices.Contains(served, r) {
			t.Errorf("%s:%d describes %s, which the server does not serve", specFile, op.line, r)
		}
	}
	// A named cell's operation reuses the default cell's, by alias.
	const prefix = "/api/v1/cells/{cell}/"
	for r, op := range ops {
		method, path, _ := strings.Cut(r, " ")
		rest, named := strings.CutPrefix(path, prefix)
		if !named {
			continue
		}
		def, ok := ops[method+" /api/v1/"+rest]
		switch {
		case !ok:
			t.Errorf("line %d: %s has no default-cell twin", op.line, r)
		case op.alias == "" || op.alias != def.anchor:
			t.Errorf("line %d: %s should be *%s, the anchor of the default cell's %s %s", op.line, r, def.anchor, method, "/api/v1/"+rest)
		}
	}
}

// TestScanPathsRefuses checks that the scanner cannot be fooled into a
// pass by a description that breaks its convention.
func TestScanPathsRefuses(t *testing.T) {
	good := "openapi: 3.1.0\npaths:\n  /a:\n    get: &a-get\n      responses: {}\n  /b:\n    parameters: []\n    get: *a-get\ncomponents:\n  x:\n    get:\n"
	ops, err := scanPaths(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops["GET /a"].anchor != "a-get" || ops["GET /b"].alias != "a-get" {
		t.Fatalf("scanned %+v", ops)
	}
	for name, spec := range map[string]string{
		"misspelt method":    "paths:\n  /a:\n    gett:\n",
		"flow paths":         "paths: {/a: {get: {}}}\n",
		"path without slash": "paths:\n  a:\n    get:\n",
		"odd indentation":    "paths:\n   /a:\n    get:\n",
		"tab":                "paths:\n\t/a:\n",
		"flow method":        "paths:\n  /a:\n    get: {responses: {}}\n",
		"twice":              "paths:\n  /a:\n    get:\n    get:\n",
		"no paths":           "openapi: 3.1.0\n",
		"method before path": "paths:\n    get:\n",
	} {
		if _, err := scanPaths(strings.NewReader(spec)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
