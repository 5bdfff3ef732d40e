package taxii

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/stix"
)

// An endpoint names which query parameters a route takes (sections 5.3-5.8).
type endpoint int

const (
	epPlain    endpoint = iota // discovery, api root, status, collections, collection: none
	epObjects                  // GET objects, GET manifest (5.3, 5.4)
	epObject                   // GET an object (5.6)
	epVersions                 // GET object versions (5.8)
	epDelete                   // DELETE an object (5.7)
)

// The bounds of what a query may ask, so that a request cannot make the
// backend build an unbounded SQL IN list (Appendix B: "protections against
// queries that can potentially consume a significant amount of resources").
const (
	maxMatchValues = 1000
	maxNextLen     = 1024
)

// parseFilter reads the query of a request to ep strictly: a parameter the
// endpoint does not define, one given twice, a match field the endpoint does
// not support, and any malformed value is an error, which the handler
// answers 400 (section 3.4: "If any of the URL query parameters are
// malformed, the TAXII Server MUST return an HTTP 400"). TAXII lets a server
// ignore match fields it does not know; this one refuses them, because a
// client asking match[tlp]=red and silently receiving everything is worse off
// than one told no. maxPage caps the limit.
func parseFilter(ep endpoint, rawQuery string, maxPage int) (Filter, error) {
	f := Filter{Limit: maxPage}
	switch ep {
	case epDelete:
		f.Versions.All = true // 5.7 deletes the object unless a version is named
	default:
		f.Versions.Last = true // 3.4.1: last is the default
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return f, badQuery("", "the query string is not well formed: "+err.Error())
	}
	paged := ep == epObjects || ep == epObject || ep == epVersions
	for key, vals := range q {
		field, isMatch := matchField(key)
		known := false
		switch {
		case key == "added_after" || key == "limit" || key == "next":
			known = paged
		case isMatch:
			switch field {
			case "id", "type":
				known = ep == epObjects
			case "version":
				known = ep == epObjects || ep == epObject || ep == epDelete
			case "spec_version":
				known = ep != epPlain
			}
		}
		if !known {
			if isMatch {
				return f, badQuery(key, "this endpoint does not filter on "+strconv.Quote(field))
			}
			return f, badQuery(key, "this endpoint takes no parameter "+strconv.Quote(key))
		}
		if len(vals) != 1 {
			// 3.4: added_after "MUST NOT have more than one instance"; each
			// match field "MUST NOT occur more than once".
			return f, badQuery(key, "given more than once")
		}
		v := vals[0]
		switch {
		case key == "added_after":
			t, err := ParseTimestamp(v)
			if err != nil {
				return f, badQuery(key, err.Error())
			}
			f.AddedAfter = t
		case key == "limit":
			n, err := parseLimit(v)
			if err != nil {
				return f, badQuery(key, err.Error())
			}
			f.Limit = min(n, maxPage)
		case key == "next":
			if v == "" || len(v) > maxNextLen {
				return f, badQuery(key, "not a value this server issued")
			}
			f.Next = v
		case field == "id":
			if f.IDs, err = parseList(v, checkID); err != nil {
				return f, badQuery(key, err.Error())
			}
		case field == "type":
			if f.Types, err = parseList(v, checkType); err != nil {
				return f, badQuery(key, err.Error())
			}
		case field == "spec_version":
			if f.SpecVersions, err = parseList(v, checkSpecVersion); err != nil {
				return f, badQuery(key, err.Error())
			}
		case field == "version":
			if f.Versions, err = parseVersions(v); err != nil {
				return f, badQuery(key, err.Error())
			}
		}
	}
	return f, nil
}

// matchField reads "match[field]".
func matchField(key string) (string, bool) {
	if strings.HasPrefix(key, "match[") && strings.HasSuffix(key, "]") {
		return key[len("match[") : len(key)-1], true
	}
	return "", false
}

type queryError struct{ param, reason string }

func (e *queryError) Error() string {
	if e.param == "" {
		return e.reason
	}
	return e.param + ": " + e.reason
}

func badQuery(param, reason string) error { return &queryError{param, reason} }

type reason string

func (r reason) Error() string { return string(r) }

// parseLimit reads a positive integer (3.4: "MUST be a positive integer
// greater than zero") in plain decimal: no sign, no leading zero, no more
// than an I-JSON integer holds.
func parseLimit(s string) (int, error) {
	if s == "" || len(s) > 16 || s[0] == '0' {
		return 0, reason("not a positive integer: " + strconv.Quote(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, reason("not a positive integer: " + strconv.Quote(s))
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > 1<<53-1 {
		return 0, reason("not a positive integer: " + strconv.Quote(s))
	}
	return n, nil
}

// parseList splits a match value at commas (3.4: "separated by a comma ...
// without any spaces"), checks each, and drops repeats, which mean nothing
// more in an OR.
func parseList(s string, check func(string) error) ([]string, error) {
	parts := strings.Split(s, ",")
	if len(parts) > maxMatchValues {
		return nil, reason("more than " + strconv.Itoa(maxMatchValues) + " values")
	}
	out := make([]string, 0, len(parts))
	seen := make(map[string]bool, len(parts))
	for _, p := range parts {
		if p == "" {
			return nil, reason("an empty value")
		}
		if err := check(p); err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// checkType accepts a STIX type name: 3 to 250 of a-z, 0-9 and hyphen
// (STIX 2.1 section 3.1; TAXII 1.5.1), not starting or ending with a hyphen.
// Any well-formed name is accepted, defined by STIX or not (3.4.1: requests
// for STIX types "MUST NOT result in an error due to an invalid type").
func checkType(s string) error {
	if len(s) < 3 || len(s) > 250 || s[0] == '-' || s[len(s)-1] == '-' {
		return reason("not a STIX type name: " + quote(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return reason("not a STIX type name: " + quote(s))
		}
	}
	return nil
}

// checkID accepts a STIX identifier, type--UUID with the UUID in the
// lowercase form STIX writes.
func checkID(s string) error {
	i := strings.Index(s, "--")
	if i < 0 || checkType(s[:i]) != nil || !isUUID(s[i+2:]) {
		return reason("not a STIX identifier: " + quote(s))
	}
	return nil
}

// isUUID accepts the 8-4-4-4-12 lowercase hex form of an RFC 4122 UUID
// (variant 10xx).
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return strings.IndexByte("89ab", s[19]) >= 0
}

// checkSpecVersion accepts n.m (STIX's spec_version form).
func checkSpecVersion(s string) error {
	dot := strings.IndexByte(s, '.')
	if dot <= 0 || dot == len(s)-1 || len(s) > 16 {
		return reason("not a specification version n.m: " + quote(s))
	}
	for i := 0; i < len(s); i++ {
		if i != dot && (s[i] < '0' || s[i] > '9') {
			return reason("not a specification version n.m: " + quote(s))
		}
	}
	return nil
}

// parseVersions reads match[version] (3.4.1): first, last, all, or STIX
// timestamps; no keyword or instant twice, and all alone.
func parseVersions(s string) (VersionMatch, error) {
	var vm VersionMatch
	parts := strings.Split(s, ",")
	if len(parts) > maxMatchValues {
		return vm, reason("more than " + strconv.Itoa(maxMatchValues) + " values")
	}
	for _, p := range parts {
		switch p {
		case "":
			return vm, reason("an empty value")
		case "all", "first", "last":
			if p == "all" && vm.All || p == "first" && vm.First || p == "last" && vm.Last {
				return vm, reason(p + " given twice")
			}
			vm.All = vm.All || p == "all"
			vm.First = vm.First || p == "first"
			vm.Last = vm.Last || p == "last"
		default:
			t, err := stix.ParseTimestamp(p)
			if err != nil {
				return vm, reason("not first, last, all or a STIX timestamp: " + quote(p))
			}
			for _, u := range vm.At {
				if u.Compare(t) == 0 {
					return vm, reason("the version " + p + " given twice")
				}
			}
			vm.At = append(vm.At, t)
		}
	}
	if vm.All && len(parts) > 1 {
		return vm, reason("all cannot be combined with another version")
	}
	return vm, nil
}

// timestampLayout is TAXII's timestamp (section 2): UTC, "Z", microseconds.
const timestampLayout = "2006-01-02T15:04:05.000000Z"

// FormatTimestamp writes t as a TAXII timestamp: UTC, with microsecond
// precision and "Z", truncated (never rounded, so that a date_added written
// and read back is not later than the record's).
func FormatTimestamp(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format(timestampLayout)
}

// ParseTimestamp reads a timestamp a client sends (added_after). TAXII
// timestamps have six fractional digits; this accepts any number, as STIX
// timestamps do, because clients echo both kinds, but nothing that is not
// RFC 3339 in UTC with "Z" (section 2 requires the "Z"). The instant is
// truncated to the microsecond: for records kept to the microsecond,
// "added after" the truncated instant is exactly "added after" the given one.
func ParseTimestamp(s string) (time.Time, error) {
	ts, err := stix.ParseTimestamp(s)
	if err != nil {
		return time.Time{}, reason("not a timestamp YYYY-MM-DDTHH:MM:SS.ssssssZ: " + quote(s))
	}
	return ts.Time().Truncate(time.Microsecond), nil
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}
