package stix

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestOASISExamples reads every example that OASIS ships with its schemas,
// serializes it, reads it again and compares: the same objects, property
// for property and literal for literal, and the serialized form validates.
func TestOASISExamples(t *testing.T) {
	s := loadSchemas(t)
	dir := filepath.Join(schemaRoot(), "examples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	more, _ := filepath.Glob(filepath.Join(dir, "threat-reports", "*.json"))
	files = append(files, more...)
	if len(files) < 8 {
		t.Fatalf("found %d examples under %s, want the 8 OASIS ships", len(files), dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// interop-objectmarking-test.json is one object, not a bundle.
			if !bytes.Contains(data, []byte(`"bundle"`)) {
				o, err := ParseObject(data)
				if err != nil {
					t.Fatal(err)
				}
				out, _ := o.MarshalJSON()
				again, err := ParseObject(out)
				if err != nil {
					t.Fatalf("re-reading %s: %v", out, err)
				}
				if !equalNodes(&o.tree, &again.tree) {
					t.Errorf("round trip changed the object:\n%s\n%s", out, mustJSON(again))
				}
				s.validate(t, out)
				return
			}
			b, err := ParseBundle(data)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := b.MarshalJSON()
			again, err := ParseBundle(out)
			if err != nil {
				t.Fatalf("re-reading: %v", err)
			}
			assertSameBundle(t, b, again)
			s.validate(t, out)
		})
	}
}

func mustJSON(o interface{ MarshalJSON() ([]byte, error) }) []byte {
	b, _ := o.MarshalJSON()
	return b
}

func assertSameBundle(t *testing.T, a, b *Bundle) {
	t.Helper()
	if a.ID() != b.ID() || a.Len() != b.Len() {
		t.Fatalf("bundle %s of %d objects became %s of %d", a.ID(), a.Len(), b.ID(), b.Len())
	}
	for i := range a.objects {
		if !equalNodes(&a.objects[i].tree, &b.objects[i].tree) {
			t.Errorf("objects[%d] changed:\n%s\n%s", i, mustJSON(a.objects[i]), mustJSON(b.objects[i]))
		}
	}
}
