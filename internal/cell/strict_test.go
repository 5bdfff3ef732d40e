package cell

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// strictProbe has the shapes commands carry: a header embedded, nested
// structs, slices of them, maps, pointers, and fields decoded by their own
// rules.
type strictProbe struct {
	probeHeader
	Member  Member            `json:"member"`
	Members []Member          `json:"members"`
	Names   map[string]string `json:"names"`
	Ptr     *Member           `json:"ptr,omitempty"`
	Raw     json.RawMessage   `json:"raw"`
	When    time.Time         `json:"when"`
	Any     any               `json:"any"`
	Skip    string            `json:"-"`
	Plain   int
}

type probeHeader struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	Cell string    `json:"cell"`
}

var probeType = reflect.TypeFor[*strictProbe]()

// The byte scan says "exact" only where the token walk finds nothing
// wrong: it may pass anything to the walk, never let through what the walk
// refuses. Every command is checked by one or the other.
func FuzzExactKeys(f *testing.F) {
	for _, seed := range []string{
		`{"id":"x","cell":"c","member":{"id":"il.a","party":"il","name":"A","roles":["duty"]}}`,
		`{"id":"x","Member":{}}`,
		`{"id":"x","id":"y"}`,
		`{"members":[{"id":"a"},{"id":"a","id":"b"}]}`,
		`{"names":{"ar":"x","ar":"y"}}`,
		`{"names":{"AR":"x","ar":"y"}}`,
		`{"raw":{"a":1,"a":2},"any":{"k":[1,{"k":2,"k":3}]}}`,
		`{"when":"2026-11-23T12:00:00Z","ptr":{"id":"p"},"Plain":3}`,
		`{"i\u0064":"x"}`,
		`{"id":"x","Skip":"y"}`,
		`{"any":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
		` { "id" : "x" , "cell" : "c" } `,
		`{"members":[],"names":{},"member":{"roles":[]}}`,
		`[1,2]`,
		`"s"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return // exactKeys reads payloads that json.Unmarshal accepted
		}
		if keysCertainlyExact(data, probeType) {
			dec := json.NewDecoder(strings.NewReader(string(data)))
			dec.UseNumber()
			if err := walkKeys(dec, probeType, ""); err != nil {
				t.Fatalf("the scan passed %q, which the walk refuses: %v", data, err)
			}
		}
	})
}

// The scan settles ordinary payloads by itself, and leaves the walk what
// it must refuse or cannot be sure of.
func TestExactKeysScan(t *testing.T) {
	for in, want := range map[string]bool{
		`{"id":"x","cell":"c","member":{"id":"il.a","party":"il","name":"A","roles":["duty"]},"names":{"ar":"س"},"when":"2026-11-23T12:00:00Z","Plain":1}`: true,
		`{"raw":{"a":1},"any":{"k":[1,true,null,-2.5e3]},"ptr":null,"members":[{"id":"a"},{"id":"b"}]}`:                                                    true,
		`{"id":"x","Member":{}}`:            false, // another case
		`{"id":"x","id":"y"}`:               false, // twice
		`{"names":{"ar":"x","ar":"y"}}`:     false, // twice in a map
		`{"any":{"k":1,"k":2}}`:             false, // twice at any depth
		`{"i\u0064":"x"}`:                   false, // escaped: the walk decides
		`{"id":"x","Skip":"y"}`:             false, // not a field
		`{"members":[{"id":"a","ID":"b"}]}`: false,
	} {
		if got := keysCertainlyExact([]byte(in), probeType); got != want {
			t.Errorf("scan of %s = %v, want %v", in, got, want)
		}
	}
}

func BenchmarkExactKeys(b *testing.B) {
	data := []byte(`{"id":"0f3c9a7e52b14d6a","time":"2026-11-23T12:00:00Z","cell":"il-sy","member":{"id":"il.a","party":"il","name":"A","roles":["duty","admin"]},"names":{"ar":"س","he":"ס"}}`)
	for b.Loop() {
		if err := exactKeys(data, probeType); err != nil {
			b.Fatal(err)
		}
	}
}
