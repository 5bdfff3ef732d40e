package stix

import (
	"strings"
	"testing"
)

func TestJSONRefuses(t *testing.T) {
	for _, tc := range []struct {
		in, why string
	}{
		{`{"a":1,"a":2}`, "given twice"},
		{`{"a":{"b":1,"b":1}}`, "given twice"},
		{`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":0}`, "given twice"},
		{`{"a":"\ud800"}`, "lone surrogate"},
		{`{"a":"\udc00\ud800"}`, "lone surrogate"},
		{"{\"a\":\"\xff\"}", "invalid UTF-8"},
		{"{\"a\":\"\x01\"}", "control character"},
		{`{"a":1e400}`, "too large"},
		{`{"a":01}`, "expected ',' or '}'"},
		{`01`, "unexpected data"},
		{`{"a":1.}`, "decimal point"},
		{`{"a":tru}`, "invalid character"},
		{`{"a":1,}`, "quoted member name"},
		{`[1,2]x`, "after the JSON value"},
		{"\xef\xbb\xbf{}", "byte order mark"},
		{``, "empty input"},
		{`{"a":"\x"}`, "invalid escape"},
		{strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2), "nested deeper"},
	} {
		_, err := parseJSON([]byte(tc.in))
		if err == nil || !strings.Contains(err.reason, tc.why) {
			t.Errorf("%q: got %v, want an error saying %q", tc.in, err, tc.why)
		}
	}
}

func TestJSONKeepsWhatItReads(t *testing.T) {
	in := `{"z":1.50,"a":[true,false,null,-0,1E+2,12345678901234567890],"s":"é\u00e9\ud83d\ude00\"\\\/\n\t\u0001","o":{}}`
	n, err := parseJSON([]byte(in))
	if err != nil {
		t.Fatal(err.reason)
	}
	out := string(encode(nil, &n))
	want := `{"z":1.50,"a":[true,false,null,-0,1E+2,12345678901234567890],"s":"éé😀\"\\/\n\t\u0001","o":{}}`
	if out != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	again, err := parseJSON([]byte(out))
	if err != nil || !equalNodes(&n, &again) {
		t.Errorf("re-reading the encoding gives another value: %v", err)
	}
}

func TestJSONErrorPath(t *testing.T) {
	_, err := ParseBundle([]byte(`{"type":"bundle","id":"bundle--5330e3e3-8f58-4d21-9f4b-793a054c0d33","objects":[{"type":"x"},{"type":"indicator","name":"a","name":"b"}]}`))
	e, ok := err.(*Error)
	if !ok || e.Err != ErrDuplicateKey || e.Index != 1 || e.Path != "name" {
		t.Fatalf("got %#v, want a duplicate key at objects[1].name", err)
	}
}

// An empty member name is a name, not a list index.
func TestJSONEmptyKeyPath(t *testing.T) {
	_, err := parseJSON([]byte(`{"":{"a":[1,{"b":x}]}}`))
	if err == nil || joinPath(err.path) != `a[1].b` {
		t.Fatalf("path %q", joinPath(err.path))
	}
}
