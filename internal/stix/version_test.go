package stix

import (
	"strings"
	"sync"
	"testing"
)

// version makes a version of the threat actor, modified at m, with a name.
func version(t *testing.T, m, name string, revoked bool) *Object {
	t.Helper()
	in := strings.Replace(validObjects["threat-actor"], `"modified":"`+t0+`"`, `"modified":"`+m+`"`, 1)
	in = strings.Replace(in, `"name":"A"`, `"name":"`+name+`"`, 1)
	if revoked {
		in = strings.Replace(in, `"name"`, `"revoked":true,"name"`, 1)
	}
	o, err := ParseObject([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCompareVersions(t *testing.T) {
	a := version(t, "2026-11-20T08:00:00.000Z", "A", false)
	b := version(t, "2026-11-21T08:00:00.000Z", "A", false)
	c := version(t, "2026-11-21T08:00:00.0000Z", "B", false) // the same instant, more digits
	if CompareVersions(a, b) >= 0 || CompareVersions(b, a) <= 0 {
		t.Error("a later modified is not a later version")
	}
	if CompareVersions(b, c) != 0 {
		t.Error("the same modified and created are not the same version")
	}
}

func TestVersionsObserve(t *testing.T) {
	var v Versions
	steps := []struct {
		o    *Object
		want Arrival
	}{
		{version(t, "2026-11-20T08:00:00.000Z", "A", false), First},
		{version(t, "2026-11-22T08:00:00.000Z", "A2", false), Newer},
		{version(t, "2026-11-22T08:00:00.000Z", "A2", false), Same},
		{version(t, "2026-11-21T08:00:00.000Z", "A1", false), Older},
		{version(t, "2026-11-22T08:00:00.000Z", "A-other", false), Conflict},
		{version(t, "2026-11-23T08:00:00.000Z", "A3", true), Newer},
		{version(t, "2026-11-22T12:00:00.000Z", "A2.5", false), Older},
		{version(t, "2026-11-24T08:00:00.000Z", "A4", false), AfterRevocation},
		{version(t, "2026-11-20T08:00:00.000Z", "A", false), Same},
	}
	for i, s := range steps {
		if got := v.Observe(s.o); got != s.want {
			t.Errorf("step %d (%s): %v, want %v", i, s.o.Modified(), got, s.want)
		}
	}
	m, _, revoked, ok := v.Latest(steps[0].o.ID())
	if !ok || m.String() != "2026-11-24T08:00:00.000Z" || revoked {
		t.Errorf("latest %s revoked %v", m, revoked)
	}
	if _, _, _, ok := v.Latest(idIndicator); ok {
		t.Error("an id never observed has a latest version")
	}
}

func TestVersionsUnversioned(t *testing.T) {
	var v Versions
	ip := func(value string) *Object {
		o, err := ParseObject([]byte(strings.Replace(validObjects["ipv4-addr"], "198.51.100.3", value, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if got := v.Observe(ip("198.51.100.3")); got != First {
		t.Errorf("first: %v", got)
	}
	if got := v.Observe(ip("198.51.100.3")); got != Same {
		t.Errorf("repeat: %v", got)
	}
	// A cyber-observable has one version: another value under its id is a
	// conflict, not a newer version.
	if got := v.Observe(ip("198.51.100.4")); got != Conflict {
		t.Errorf("changed: %v", got)
	}
}

func TestVersionsConcurrent(t *testing.T) {
	var v Versions
	objs := []*Object{
		version(t, "2026-11-20T08:00:00.000Z", "A", false),
		version(t, "2026-11-21T08:00:00.000Z", "A", false),
		version(t, "2026-11-22T08:00:00.000Z", "A", false),
	}
	var wg sync.WaitGroup
	counts := make([][6]int, 4)
	for g := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, o := range objs {
				counts[g][v.Observe(o)]++
			}
		}()
	}
	wg.Wait()
	var firstOrNewer, repeats int
	for _, c := range counts {
		firstOrNewer += c[First] + c[Newer] + c[Older]
		repeats += c[Same]
	}
	if firstOrNewer != 3 || repeats != 9 {
		t.Errorf("each of 3 versions is new once and a repeat 3 times: got %d new, %d repeats", firstOrNewer, repeats)
	}
}
