package taxii

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSelfContained fails when the package or its suite imports the
// project beyond internal/stix (and the suite, taxii): the protocol stays
// below the intelligence desk, which supplies the Backend.
func TestSelfContained(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatal(err, files)
	}
	more, _ := filepath.Glob("taxiitest/*.go")
	allowed := map[string]bool{
		"github.com/liaison-cell/liaison/internal/stix":            true,
		"github.com/liaison-cell/liaison/internal/taxii":           true,
		"github.com/liaison-cell/liaison/internal/taxii/taxiitest": true,
	}
	for _, name := range append(files, more...) {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/liaison-cell/liaison/") && !allowed[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
