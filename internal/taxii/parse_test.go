package taxii

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseFilter(t *testing.T) {
	good := []struct {
		ep    endpoint
		query string
		check func(Filter) bool
	}{
		{epObjects, "", func(f Filter) bool { return f.Limit == 50 && f.Versions.Last && !f.Versions.All && f.IDs == nil }},
		{epDelete, "", func(f Filter) bool { return f.Versions.All && !f.Versions.Last }},
		{epObjects, "limit=7", func(f Filter) bool { return f.Limit == 7 }},
		{epObjects, "limit=9000", func(f Filter) bool { return f.Limit == 50 }},
		{epObjects, "added_after=2026-11-20T08:00:00.123456Z", func(f Filter) bool {
			return f.AddedAfter.Equal(time.Date(2026, 11, 20, 8, 0, 0, 123456000, time.UTC))
		}},
		{epObjects, "added_after=2026-11-20T08:00:00.1234569Z", func(f Filter) bool { return f.AddedAfter.Nanosecond() == 123456000 }},
		{epObjects, "match%5Btype%5D=indicator,identity,indicator", func(f Filter) bool {
			return strings.Join(f.Types, " ") == "indicator identity"
		}},
		{epObjects, "match[version]=first,2016-01-01T01:01:01.000Z,last", func(f Filter) bool {
			return f.Versions.First && f.Versions.Last && len(f.Versions.At) == 1 && !f.Versions.All
		}},
		{epObjects, "match[version]=all", func(f Filter) bool { return f.Versions.All && !f.Versions.Last }},
		{epObject, "match[version]=2016-01-01T01:01:01.000Z", func(f Filter) bool { return !f.Versions.Last && len(f.Versions.At) == 1 }},
		{epVersions, "match[spec_version]=2.0,2.1&next=abc", func(f Filter) bool { return len(f.SpecVersions) == 2 && f.Next == "abc" }},
		{epObjects, "match[id]=indicator--3600ad1b-fff1-4c98-bcc9-4de3bc2e2ffb", func(f Filter) bool { return len(f.IDs) == 1 }},
	}
	for _, c := range good {
		f, err := parseFilter(c.ep, c.query, 50)
		if err != nil || !c.check(f) {
			t.Errorf("%q: %+v, %v", c.query, f, err)
		}
	}
	bad := []struct {
		ep    endpoint
		query string
	}{
		{epPlain, "limit=1"}, {epPlain, "x=1"},
		{epDelete, "limit=1"}, {epDelete, "match[id]=indicator--3600ad1b-fff1-4c98-bcc9-4de3bc2e2ffb"},
		{epVersions, "match[version]=all"}, {epObject, "match[type]=indicator"},
		{epObjects, "limit=0"}, {epObjects, "limit=007"}, {epObjects, "limit=99999999999999999"},
		{epObjects, "match[version]=first,first"}, {epObjects, "match[version]=all,last"},
		{epObjects, "match[version]=2016-01-01T01:01:01.000Z,2016-01-01T01:01:01Z"}, // the same instant twice
		{epObjects, "match[id]=indicator--3600AD1B-fff1-4c98-bcc9-4de3bc2e2ffb"},
		{epObjects, "match[id]=indicator--3600ad1b-fff1-4c98-7cc9-4de3bc2e2ffb"}, // not the RFC 4122 variant
		{epObjects, "match[type]=-indicator"}, {epObjects, "match[type]=ab"},
		{epObjects, "match[spec_version]=2."}, {epObjects, "match[spec_version]=.1"},
		{epObjects, "added_after=2016-12-31T23:59:60Z"}, {epObjects, "added_after=2016-01-01T00:00:00z"},
		{epObjects, "next=" + strings.Repeat("n", maxNextLen+1)},
		{epObjects, "match[type]=" + strings.Repeat("abc,", maxMatchValues) + "abc"},
		{epObjects, "a;b=c"},
	}
	for _, c := range bad {
		if _, err := parseFilter(c.ep, c.query, 50); err == nil {
			t.Errorf("%q accepted", c.query)
		} else if qe := (*queryError)(nil); !errors.As(err, &qe) {
			t.Errorf("%q: %T is not a queryError", c.query, err)
		}
	}
}

func TestAcceptable(t *testing.T) {
	cases := []struct {
		accept   string
		manifest bool
		ok       bool
	}{
		{"application/taxii+json;version=2.1", false, true},
		{"application/taxii+json", false, true},
		{"application/taxii+json ; version=\"2.1\"", false, true},
		{"*/*", false, true},
		{"application/*;q=0.1", false, true},
		{"application/taxii+json;version=2.0, application/taxii+json;version=2.1", false, true},
		{"application/stix+json;version=2.1", true, true},
		{"application/stix+json;version=2.1", false, false},
		{"application/taxii+json;version=2.0", false, false},
		{"application/taxii+json;version=2.1;q=0", false, false},
		{"application/taxii+json;version=2.1;q=0, */*", false, false}, // the most specific range decides
		{"application/taxii+json;q=0, application/*", false, false},
		{"*/*;q=0", false, false},
		{"text/html;a=\"x,application/taxii+json\"", false, false}, // a comma inside a quoted value
		{"application/taxii+json;q=2", false, false},
		{"garbage", false, false},
	}
	for _, c := range cases {
		if got := acceptable([]string{c.accept}, c.manifest); got != c.ok {
			t.Errorf("Accept %q (manifest %v): %v, want %v", c.accept, c.manifest, got, c.ok)
		}
	}
	if !acceptable(nil, false) {
		t.Error("no Accept header refused")
	}
	if !acceptable([]string{"text/html", "application/taxii+json"}, false) {
		t.Error("two Accept headers are one list (RFC 9110 5.3)")
	}
}

func TestContentType(t *testing.T) {
	for ct, ok := range map[string]bool{
		"application/taxii+json;version=2.1": true, "application/taxii+json": true, "application/taxii+json; charset=utf-8; version=2.1": true,
		"application/taxii+json;version=2.0": false, "application/stix+json;version=2.1": false, "application/json": false, "": false, ";;": false,
	} {
		if contentTypeOK(ct) != ok {
			t.Errorf("Content-Type %q: %v, want %v", ct, !ok, ok)
		}
	}
}

func TestParseEnvelope(t *testing.T) {
	good := map[string]int{
		`{"objects":[{"type":"x"}]}`:                                  1,
		` {"more":false,"next":"1","objects":[{},{"a":[1]}]} ` + "\n": 2,
		`{"x_acme":{"a":1},"objects":[{}]}`:                           1,
	}
	for in, n := range good {
		objs, err := parseEnvelope([]byte(in))
		if err != nil || len(objs) != n {
			t.Errorf("%s: %d objects, %v", in, len(objs), err)
		}
	}
	for _, in := range []string{"", "null", "[]", "{}", `{"objects":null}`, `{"objects":[]}`, `{"objects":[[]]}`,
		`{"objects":[{}],"objects":[{}]}`, `{"objects":[{}]}x`, `{"objects":[{}]}{}`, `{"more":1,"objects":[{}]}`,
		`{"next":false,"objects":[{}]}`, `{"id":"bundle--x","objects":[{}]}`, `{"objects":[{}`, "\xef\xbb\xbf{\"objects\":[{}]}"} {
		if _, err := parseEnvelope([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestTimestamps(t *testing.T) {
	at := time.Date(2026, 11, 20, 8, 0, 0, 123456789, time.FixedZone("IDT", 3*3600))
	s := FormatTimestamp(at)
	if s != "2026-11-20T05:00:00.123456Z" {
		t.Fatalf("FormatTimestamp: %s", s)
	}
	back, err := ParseTimestamp(s)
	if err != nil || !back.Equal(at.Truncate(time.Microsecond)) {
		t.Fatalf("ParseTimestamp(%s): %v, %v", s, back, err)
	}
	for _, bad := range []string{"2026-11-20T05:00:00.123456+00:00", "2026-11-20 05:00:00Z", "2026-11-20"} {
		if _, err := ParseTimestamp(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
