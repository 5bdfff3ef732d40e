package intel

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/stix"
	"github.com/liaison-cell/liaison/internal/stix/stixgen"
)

// A current object's JSON is spliced from its version's: it must be the
// bytes json.Marshal makes, which the projection held before and a replay
// reproduces.
func TestWithVersionsIsMarshal(t *testing.T) {
	raw := stixgen.Bundle(200)
	// Characters encoding/json escapes in a string, in a property and in an
	// id the projection names.
	raw = bytes.Replace(raw, []byte(`"name":"analysts"`), []byte(`"name":"<a&b> \u2028 é"`), 1)
	b, err := stix.ParseBundle(raw)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 1, 2, 3, 456789, time.UTC)
	several := 0
	for i, o := range b.Objects() {
		s, cur, newer := stored("submitted/<il>", o, now, int64(i), nil)
		if !newer {
			t.Fatalf("object %d: not newer than nothing", i)
		}
		doc, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(cur)
		if err != nil {
			t.Fatal(err)
		}
		if got := withVersions(doc, cur.Versions); !bytes.Equal(got, want) {
			t.Fatalf("object %d:\n got %s\nwant %s", i, got, want)
		}
		// The same object over an older version: it carries several.
		older := cur
		older.Version, older.Versions = "2020-01-01T00:00:00.000Z", []string{"2020-01-01T00:00:00.000Z", "<&>"}
		if _, cur2, newer := stored("submitted/<il>", o, now, int64(i), &older); newer {
			several++
			if got, want := withVersions(doc, cur2.Versions), must(json.Marshal(cur2)); !bytes.Equal(got, want) {
				t.Fatalf("object %d with versions:\n got %s\nwant %s", i, got, want)
			}
		}
	}
	if several == 0 {
		t.Fatal("no object displaced an older version")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
