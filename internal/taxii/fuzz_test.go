package taxii

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
)

// FuzzParseFilter feeds the query parser any query string for any
// endpoint. It must not panic; what it refuses is a *queryError (a 400);
// what it accepts obeys the Filter's promises, and reads back the same when
// re-encoded.
func FuzzParseFilter(f *testing.F) {
	for _, q := range []string{
		"", "limit=10", "limit=0", "added_after=2026-11-20T08:00:00.123456Z", "next=42",
		"match[id]=indicator--3600ad1b-fff1-4c98-bcc9-4de3bc2e2ffb,sighting--4600ad1b-fff1-4c58-bcc9-4de3bc5e2ffd",
		"match[type]=campaign,malware,threat-actor", "match[type]=incident&match[version]=2016-01-01T01:01:01.000Z",
		"match[version]=first,2018-03-02T01:01:01.123Z,last", "match[version]=all", "match[spec_version]=2.0,2.1",
		"match%5Bid%5D=x", "limit=1&limit=2", "%", "a=%zz", "match[]=", "match[version]=all,all",
	} {
		for ep := epPlain; ep <= epDelete; ep++ {
			f.Add(int(ep), q)
		}
	}
	f.Fuzz(func(t *testing.T, ep int, q string) {
		e := endpoint(((ep % 5) + 5) % 5)
		flt, err := parseFilter(e, q, 100)
		if err != nil {
			var qe *queryError
			if !errors.As(err, &qe) {
				t.Fatalf("%q: %T %v is not a queryError", q, err, err)
			}
			return
		}
		if flt.Limit < 1 || flt.Limit > 100 {
			t.Fatalf("%q: limit %d", q, flt.Limit)
		}
		vm := flt.Versions
		if !vm.All && !vm.First && !vm.Last && len(vm.At) == 0 {
			t.Fatalf("%q: selects no version", q)
		}
		if vm.All && (vm.First || vm.Last || len(vm.At) > 0) {
			t.Fatalf("%q: all with another version", q)
		}
		for _, l := range [][]string{flt.IDs, flt.Types, flt.SpecVersions} {
			seen := map[string]bool{}
			for _, v := range l {
				if v == "" || seen[v] {
					t.Fatalf("%q: list %q", q, l)
				}
				seen[v] = true
			}
		}
		// Re-encoding what was read gives the same filter.
		vals := url.Values{}
		parsed, _ := url.ParseQuery(q)
		for k, v := range parsed {
			vals[k] = v
		}
		again, err := parseFilter(e, vals.Encode(), 100)
		if err != nil || again.Limit != flt.Limit || !again.AddedAfter.Equal(flt.AddedAfter) || again.Next != flt.Next || len(again.IDs) != len(flt.IDs) {
			t.Fatalf("%q re-encoded as %q reads %+v, %v", q, vals.Encode(), again, err)
		}
	})
}

// FuzzParseEnvelope feeds the POST body parser anything. It must not panic;
// what it accepts is a non-empty list of JSON objects, each valid JSON.
func FuzzParseEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"objects":[{"type":"indicator","id":"indicator--3600ad1b-fff1-4c98-bcc9-4de3bc2e2ffb"}]}`,
		`{"more":true,"next":"x","x_a":[1,{"b":null}],"objects":[{},{}]}`,
		`{"objects":[]}`, `{"objects":[1]}`, `{"objects":[{}],"objects":[{}]}`, `{"objects":[{"a":"\ud800"}]}`,
		"", "{", `{"objects":[{}]} x`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		objs, err := parseEnvelope(body)
		if err != nil {
			return
		}
		if len(objs) == 0 {
			t.Fatalf("%q: accepted with no objects", body)
		}
		for _, o := range objs {
			if len(o) == 0 || o[0] != '{' || !json.Valid(o) {
				t.Fatalf("%q: accepted object %q", body, o)
			}
		}
	})
}

// FuzzAcceptable feeds content negotiation any header. It must not panic,
// and a header that accepts TAXII 2.1 keeps doing so when an unrelated
// range is added after it.
func FuzzAcceptable(f *testing.F) {
	for _, s := range []string{MediaType, "application/taxii+json", "*/*", "text/html;q=0.9, */*;q=0.1", `a/b;c="d,e"`, "application/taxii+json;q=0, */*", ";;;,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		ok := acceptable([]string{h}, false)
		_ = acceptable([]string{h}, true)
		_ = contentTypeOK(h)
		if ok && !acceptable([]string{h + ", text/html"}, false) && !containsQuote(h) {
			t.Fatalf("%q acceptable, but not with text/html after it", h)
		}
	})
}

func containsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			return true
		}
	}
	return false
}
