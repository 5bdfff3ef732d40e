package stix

import (
	"slices"
	"strings"
	"testing"
)

func marked(t *testing.T, refs []string, granular string) *Object {
	t.Helper()
	in := validObjects["indicator"]
	add := ""
	if len(refs) > 0 {
		add += `"object_marking_refs":["` + strings.Join(refs, `","`) + `"],`
	}
	if granular != "" {
		add += `"description":"d","granular_markings":[{"marking_ref":"` + granular + `","selectors":["description"]}],`
	}
	o, err := ParseObject([]byte(strings.Replace(in, `"pattern":`, add+`"pattern":`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestEffectiveTLP(t *testing.T) {
	// Definitions a bundle may carry: OpenCTI's and MISP's way of writing a
	// TLP, and a statement.
	defs := []string{
		`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--826578e1-40ad-459f-bc73-ede076f81f37","created":"2020-02-25T09:02:29.040Z","definition_type":"TLP","definition":{"TLP":"TLP:AMBER+STRICT"},"name":"TLP:AMBER+STRICT"}`,
		validObjects["marking-stmt"],
	}
	var objs []*Object
	for _, d := range defs {
		o, err := ParseObject([]byte(d))
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
	r := NewResolver(objs...)
	const octiStrict = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
	const stmt = "marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd"
	const unknown = "marking-definition--11111111-2222-4333-8444-555555555555"
	for _, tc := range []struct {
		name       string
		refs       []string
		granular   string
		want       TLP
		byGranular bool
		other      []string
		unresolved []string
	}{
		{"unmarked", nil, "", TLPNone, false, nil, nil},
		{"TLP 2.0 green", []string{TLPGreenID}, "", TLPGreen, false, nil, nil},
		{"TLP 1.0 white is clear", []string{tlp1White}, "", TLPClear, false, nil, nil},
		{"TLP 1.0 amber is amber", []string{tlp1Amber}, "", TLPAmber, false, nil, nil},
		{"most restrictive wins", []string{TLPClearID, TLPRedID, TLPAmberID}, "", TLPRed, false, nil, nil},
		{"amber+strict over amber", []string{tlp1Amber, TLPAmberStrictID}, "", TLPAmberStrict, false, nil, nil},
		{"an OpenCTI definition", []string{TLPGreenID, octiStrict}, "", TLPAmberStrict, false, nil, nil},
		{"a granular TLP raises the whole", []string{TLPGreenID}, TLPRedID, TLPRed, true, nil, nil},
		{"a granular TLP below the object's", []string{TLPAmberID}, TLPGreenID, TLPAmber, false, nil, nil},
		{"a statement is other", []string{stmt, TLPGreenID}, "", TLPGreen, false, []string{stmt}, nil},
		{"an unknown marking is unresolved", []string{unknown}, "", TLPNone, false, nil, []string{unknown}},
		{"an unknown granular marking too", nil, unknown, TLPNone, false, nil, []string{unknown}},
	} {
		m := r.Effective(marked(t, tc.refs, tc.granular))
		if m.TLP != tc.want || m.Granular != tc.byGranular || !slices.Equal(m.Other, tc.other) || !slices.Equal(m.Unresolved, tc.unresolved) {
			t.Errorf("%s: %+v, want %v granular %v other %v unresolved %v", tc.name, m, tc.want, tc.byGranular, tc.other, tc.unresolved)
		}
	}

	all := []*Object{marked(t, []string{TLPGreenID}, ""), marked(t, []string{unknown}, ""), marked(t, []string{TLPAmberID}, TLPRedID), marked(t, nil, "")}
	m := r.Max(all)
	if m.TLP != TLPRed || !m.Granular || !slices.Equal(m.Unresolved, []string{unknown}) {
		t.Errorf("max %+v", m)
	}
	all = append(all, marked(t, []string{TLPRedID}, ""))
	if m := r.Max(all); m.TLP != TLPRed || m.Granular {
		t.Errorf("an object marking at the same level: %+v", m)
	}
}

func TestTLPNames(t *testing.T) {
	for l := TLPClear; l <= TLPRed; l++ {
		got, ok := StandardMarking(l.MarkingID())
		if !ok || got != l {
			t.Errorf("%v: its id %s resolves to %v", l, l.MarkingID(), got)
		}
	}
	if TLPNone.MarkingID() != "" || TLPAmberStrict.String() != "TLP:AMBER+STRICT" {
		t.Error("names")
	}
}
