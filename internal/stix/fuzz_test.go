package stix

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// schemasIfPresent is loadSchemas for fuzz targets, which check the schemas
// when they are there and everything else when they are not.
func schemasIfPresent(t *testing.T) *schemas {
	if _, err := os.Stat(filepath.Join(schemaRoot(), "schemas")); err != nil {
		return nil
	}
	return loadSchemas(t)
}

func seedBundles(f *testing.F) {
	for _, o := range validObjects {
		f.Add([]byte(`{"type":"bundle","id":"` + idBundle + `","objects":[` + o + `]}`))
	}
	f.Add([]byte(`{"type":"bundle","id":"` + idBundle + `","objects":[` + strings.Join([]string{validObjects["indicator"], validObjects["location"], validObjects["sighting"], validObjects["marking-tlp2"]}, ",") + `],"x_liaison_batch":7}`))
	f.Add([]byte(`{"type":"bundle","id":"` + idBundle + `"}`))
	f.Add([]byte(`{"type":"bundle","id":"` + idBundle + `","objects":[{"type":"indicator","pattern":"a","pattern":"b"}]}`))
	if files, _ := filepath.Glob(filepath.Join(schemaRoot(), "examples", "*.json")); len(files) > 0 {
		for _, name := range files[:min(3, len(files))] {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
}

// FuzzParseBundle feeds ParseBundle arbitrary bytes. It must never panic and
// refuse only with an *Error; whatever it accepts must serialize to a bundle
// that reads back the same, object for object and literal for literal, and
// (when the OASIS schemas are there) validates against them.
func FuzzParseBundle(f *testing.F) {
	seedBundles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Err == nil {
				t.Fatalf("error %v is not an *Error of a kind", err)
			}
			return
		}
		out, _ := b.MarshalJSON()
		again, err := ParseBundle(out)
		if err != nil {
			t.Fatalf("accepted, but its serialization is refused: %v\n%s", err, out)
		}
		assertSameBundle(t, b, again)
		if s := schemasIfPresent(t); s != nil {
			s.validate(t, out)
		}
		// Whatever is accepted can be sanitized, or refused as a recipe.
		if _, _, err := Sanitize(b, Recipe{LocationKm: 5, Key: []byte("k")}); err != nil && !errors.Is(err, ErrLeak) && !errors.Is(err, ErrRecipe) {
			t.Fatalf("sanitize: %v", err)
		}
	})
}

// FuzzParseObject does the same for one object, as TAXII serves them.
func FuzzParseObject(f *testing.F) {
	for _, o := range validObjects {
		f.Add([]byte(o))
	}
	f.Add([]byte(`{"type":"x-acme-thing","spec_version":"2.1","id":"x-acme-thing--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0062","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","x":{"y":[1,2]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := ParseObject(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Err == nil {
				t.Fatalf("error %v is not an *Error of a kind", err)
			}
			return
		}
		out, _ := o.MarshalJSON()
		again, err := ParseObject(out)
		if err != nil {
			t.Fatalf("accepted, but its serialization is refused: %v\n%s", err, out)
		}
		if !equalNodes(&o.tree, &again.tree) || CompareVersions(o, again) != 0 {
			t.Fatalf("round trip changed the object:\n%s\n%s", data, out)
		}
		if s := schemasIfPresent(t); s != nil {
			s.validate(t, out)
		}
		_ = NewResolver(o).Effective(o)
		_ = o.References()
	})
}

// FuzzParseTimestamp checks ParseTimestamp against time.Parse: whatever it
// accepts is the instant RFC 3339 says, and it refuses what is not of the
// STIX form.
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2026-11-20T08:00:00.000Z", "2026-11-20T08:00:00Z", "2016-12-31T23:59:60Z", "2026-02-29T00:00:00Z", "2024-02-29T00:00:00.123456789123Z", "2026-11-20T08:00:00+00:00", "2026-11-20t08:00:00Z", "2026-11-20T08:00:00.Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseTimestamp(s)
		if err != nil {
			if !errors.Is(err, ErrTimestamp) {
				t.Fatalf("error %v is not ErrTimestamp", err)
			}
			return
		}
		if ts.String() != s || !strings.HasSuffix(s, "Z") || strings.ContainsAny(s, "t+z ") {
			t.Fatalf("accepted %q as %q", s, ts)
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("accepted %q, which time.Parse refuses: %v", s, err)
		}
		if !want.Equal(ts.Time()) && !(len(s) > 30 && want.Truncate(time.Second).Equal(ts.Time().Truncate(time.Second))) {
			t.Fatalf("%q is %v, time.Parse says %v", s, ts.Time(), want)
		}
	})
}
