package api_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every read made for a member goes through the rule book's view
// (cell.ReadView, which the API calls s.view): the store's own View sees
// every party's projections. This test finds each use of the store's View
// in the API and the web pages and requires the line before it to say,
// after "unfiltered:", why that read is not made for a reader. A new route
// that reads the store directly fails here before it can leak.
func TestProjectionsAreReadThroughTheRuleBook(t *testing.T) {
	for _, dir := range []string{".", "../web"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(b), "\n")
			for i, l := range lines {
				if !strings.Contains(l, "st.View(") && !strings.Contains(l, "Store().View(") {
					continue
				}
				justified := false
				for j := i - 1; j >= 0 && j >= i-3; j-- {
					if strings.Contains(lines[j], "// unfiltered:") {
						justified = true
					}
				}
				if !justified {
					t.Errorf("%s:%d reads the store's whole projection: read through s.view(p) (cell.ReadView), or say why not in a comment \"// unfiltered: ...\" just above\n\t%s", f, i+1, strings.TrimSpace(l))
				}
			}
		}
	}
}
