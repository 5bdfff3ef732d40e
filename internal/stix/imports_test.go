package stix

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSelfContained fails when the package imports another of the project's:
// the STIX layer stays below the intelligence desk, usable on its own. Its
// tests may use its own generator of bundles, stixgen, which imports
// nothing of the project either.
func TestSelfContained(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatal(err, files)
	}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/liaison-cell/liaison/") && path != "github.com/liaison-cell/liaison/internal/stix" &&
				!(strings.HasSuffix(name, "_test.go") && path == "github.com/liaison-cell/liaison/internal/stix/stixgen") {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
