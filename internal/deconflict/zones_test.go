package deconflict_test

import (
	"slices"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/dues"
)

func separation() map[string]any {
	return map[string]any{"id": "aos", "name": "Area of Separation", "kind": "separation", "geometry": square(35.85, 33.05, 0.1)}
}

// A zone binds once every side and the mediator have signed its exact
// content; before, it is a draft everyone reads; a later version replaces
// it only when agreed in turn.
func TestZoneAgreement(t *testing.T) {
	f := newFixture(t)
	e := f.OK("il.mil", deconflict.KindZonePropose, map[string]any{"zone": separation()})
	wantAudience(t, e, record_everyone)
	z, _ := obj[deconflict.Zone](f, f.view("jo"), deconflict.ObjZone, "aos")
	if z.Latest != 1 || z.Agreed != 0 {
		t.Fatalf("a proposed zone: %+v", z)
	}
	v, _ := obj[deconflict.ZoneVersion](f, f.view("jo"), deconflict.ObjZoneVersion, "aos/1")
	if v.Status != "draft" || !slices.Equal(v.Awaiting, []string{"il", "sy", "us"}) || v.Hash == "" || v.Party != "il" {
		t.Fatalf("the draft: %+v", v)
	}
	sign := func(hash string) map[string]any { return map[string]any{"zone": "aos", "version": 1, "hash": hash} }
	f.Fails(cell.ErrConflict, "sy.mil", deconflict.KindZoneSign, sign("00"+v.Hash[2:]))
	f.Fails(cell.ErrForbidden, "jo.duty", deconflict.KindZoneSign, sign(v.Hash))
	f.Fails(cell.ErrForbidden, "il.dip", deconflict.KindZoneSign, sign(v.Hash))
	f.Fails(cell.ErrInvalid, "sy.mil", deconflict.KindZoneSign, map[string]any{"zone": "aos", "version": 2, "hash": v.Hash})
	f.OK("us.mil", deconflict.KindZoneSign, sign(v.Hash))
	f.OK("il.mil", deconflict.KindZoneSign, sign(v.Hash))
	f.Fails(cell.ErrConflict, "il.mil", deconflict.KindZoneSign, sign(v.Hash))
	if z, _ := obj[deconflict.Zone](f, f.view(""), deconflict.ObjZone, "aos"); z.Agreed != 0 {
		t.Fatalf("agreed before Syria signed: %+v", z)
	}
	f.OK("sy.mil", deconflict.KindZoneSign, sign(v.Hash))
	z, _ = obj[deconflict.Zone](f, f.view("jo"), deconflict.ObjZone, "aos")
	v, _ = obj[deconflict.ZoneVersion](f, f.view(""), deconflict.ObjZoneVersion, "aos/1")
	if z.Agreed != 1 || z.AgreedHash != v.Hash || v.Status != "agreed" || len(v.Awaiting) != 0 || len(v.Signatures) != 3 {
		t.Fatalf("after the last signature: zone %+v, version %+v", z, v)
	}
	f.Fails(cell.ErrConflict, "sy.mil", deconflict.KindZoneSign, sign(v.Hash))

	// The same content again is no new version; another content is.
	f.Fails(cell.ErrConflict, "sy.mil", deconflict.KindZonePropose, map[string]any{"zone": separation()})
	wider := separation()
	wider["geometry"] = square(35.85, 33.05, 0.12)
	f.OK("sy.mil", deconflict.KindZonePropose, map[string]any{"zone": wider})
	if z, _ := obj[deconflict.Zone](f, f.view(""), deconflict.ObjZone, "aos"); z.Latest != 2 || z.Agreed != 1 {
		t.Fatalf("a draft replaced the version in force: %+v", z)
	}
	v2, _ := obj[deconflict.ZoneVersion](f, f.view(""), deconflict.ObjZoneVersion, "aos/2")
	for _, who := range []string{"us.mil", "il.mil", "sy.mil"} {
		f.OK(who, deconflict.KindZoneSign, map[string]any{"zone": "aos", "version": 2, "hash": v2.Hash})
	}
	z, _ = obj[deconflict.Zone](f, f.view(""), deconflict.ObjZone, "aos")
	v, _ = obj[deconflict.ZoneVersion](f, f.view(""), deconflict.ObjZoneVersion, "aos/1")
	if z.Agreed != 2 || v.Status != "superseded" {
		t.Errorf("after version 2 was agreed: zone %+v, version 1 %s", z, v.Status)
	}
	// A kind is for ever.
	other := separation()
	other["kind"] = "limitation"
	f.Fails(cell.ErrInvalid, "il.mil", deconflict.KindZonePropose, map[string]any{"zone": other})
}

const record_everyone = "*"

// Zones are checked field by field, and geometry must lie in the cell's
// region.
func TestZoneValidation(t *testing.T) {
	f := newFixture(t)
	for name, change := range map[string]map[string]any{
		"an id in capitals":            {"id": "AoS"},
		"the export's id":              {"id": deconflict.ReservedZoneID},
		"no name":                      {"name": " "},
		"an unknown kind":              {"kind": "buffer"},
		"an unknown activity rule":     {"rules": map[string]any{"picnic": map[string]any{"rule": "allowed"}}},
		"notice without a lead time":   {"rules": map[string]any{"exercise": map[string]any{"rule": "notice"}}},
		"a lead time on a prohibition": {"rules": map[string]any{"exercise": map[string]any{"rule": "prohibited", "lead_time_s": 600}}},
		"an unknown force category":    {"limits": map[string]any{"battleships": 0}},
		"a negative limit":             {"limits": map[string]any{"tanks": -1}},
		"a negative buffer":            {"buffer_m": -5},
		"a polygon outside the region": {"geometry": square(34.0, 31.0, 0.1)},
		"lat and lng swapped":          {"geometry": square(33.05, 35.85, 0.1)},
		"a point without a radius":     {"geometry": point(35.85, 33.05)},
		"no geometry":                  {"geometry": nil},
	} {
		z := separation()
		for k, v := range change {
			if v == nil {
				delete(z, k)
			} else {
				z[k] = v
			}
		}
		if _, err := f.As("il.mil", deconflict.KindZonePropose, map[string]any{"zone": z}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	f.Fails(cell.ErrForbidden, "jo.duty", deconflict.KindZonePropose, map[string]any{"zone": separation()})
	f.Fails(cell.ErrForbidden, "il.dip", deconflict.KindZonePropose, map[string]any{"zone": separation()})
}

// A cell without a region takes no geometry at all, and says why.
func TestZoneNeedsARegion(t *testing.T) {
	f := newFixture(t)
	f.OK("us.admin", cell.KindCellSettings, map[string]any{"settings": map[string]any{}})
	err := f.Fails(cell.ErrInvalid, "il.mil", deconflict.KindZonePropose, map[string]any{"zone": separation()})
	if !containsAll(err.Error(), "region") {
		t.Errorf("the refusal does not name the region: %v", err)
	}
}

// The 1974 limits: a side declares, the server checks against the zone in
// force; the mediator inspects, and a difference becomes an incident that
// the side must acknowledge. The sides and the mediator read it, not an
// observer.
func TestForceLimits(t *testing.T) {
	f := newFixture(t)
	band := map[string]any{"id": "aol-10", "name": "Area of Limitation, first 10 km", "kind": "limitation", "geometry": square(35.95, 33.05, 0.1),
		"limits": map[string]int{"men": 6000, "tanks": 75, "artillery": 36, "heavy_artillery": 0, "sam": 0, "ssm": 0}}
	decl := map[string]any{"zone": "aol-10", "counts": map[string]int{"men": 5800, "tanks": 80, "artillery": 36}}
	f.Fails(cell.ErrInvalid, "sy.mil", deconflict.KindForceDeclare, decl) // no such zone yet
	f.OK("us.mil", deconflict.KindZonePropose, map[string]any{"zone": band})
	f.Fails(cell.ErrInvalid, "sy.mil", deconflict.KindForceDeclare, decl) // a draft checks nothing
	f.agree(band)
	f.Fails(cell.ErrForbidden, "jo.duty", deconflict.KindForceDeclare, decl)
	f.Fails(cell.ErrForbidden, "us.mil", deconflict.KindForceDeclare, decl)
	f.Fails(cell.ErrInvalid, "sy.mil", deconflict.KindForceDeclare, map[string]any{"zone": "aol-10", "counts": map[string]int{"frigates": 1}})

	e := f.OK("sy.mil", deconflict.KindForceDeclare, decl)
	wantAudience(t, e, "il", "sy", "us")
	d, _ := obj[deconflict.Declaration](f, f.view("il"), deconflict.ObjDeclaration, itoa(e.Index))
	if len(d.Over) != 1 || d.Over[0].Category != "tanks" || d.Over[0].Count != 80 || d.Over[0].Limit != 75 {
		t.Errorf("the declaration's excesses: %+v", d.Over)
	}
	if _, ok := obj[deconflict.Declaration](f, f.view("jo"), deconflict.ObjDeclaration, itoa(e.Index)); ok {
		t.Error("the observer reads a side's force declaration")
	}

	inspect := map[string]any{"zone": "aol-10", "party": "sy", "observed": map[string]int{"men": 5800, "tanks": 80, "artillery": 40}}
	f.Fails(cell.ErrForbidden, "il.mil", deconflict.KindForceInspect, inspect)
	f.Fails(cell.ErrInvalid, "us.mil", deconflict.KindForceInspect, map[string]any{"zone": "aol-10", "party": "jo", "observed": map[string]int{"men": 1}})
	ie := f.OK("us.mil", deconflict.KindForceInspect, inspect)
	wantAudience(t, ie, "il", "sy", "us")
	in, _ := obj[deconflict.Inspection](f, f.view("sy"), deconflict.ObjInspection, itoa(ie.Index))
	cats := []string{}
	for _, x := range in.Findings {
		cats = append(cats, x.Category)
	}
	if !slices.Equal(cats, []string{"tanks", "artillery"}) || in.Incident != ie.Index || in.Declaration != e.Index {
		t.Errorf("the inspection: findings %v, incident %d, declaration %d", cats, in.Incident, in.Declaration)
	}
	inc, ok := obj[deconflict.Incident](f, f.view("sy"), deconflict.ObjIncident, itoa(ie.Index))
	if !ok || inc.Category != "force_limits" || !slices.Equal(inc.Addressed, []string{"sy"}) {
		t.Errorf("the incident the inspection raised: %+v", inc)
	}
	if _, ok := obj[dues.Due](f, f.view("sy"), dues.ObjDue, dues.ID(deconflict.DueIncident, ie.Index, "sy")); !ok {
		t.Error("Syria does not owe an acknowledgement of the inspection's incident")
	}
	// Within the limits and as declared: no incident.
	ok2 := f.OK("us.mil", deconflict.KindForceInspect, map[string]any{"zone": "aol-10", "party": "sy", "observed": map[string]int{"men": 5800}})
	if _, ok := obj[deconflict.Incident](f, f.view(""), deconflict.ObjIncident, itoa(ok2.Index)); ok {
		t.Error("an inspection that found nothing raised an incident")
	}
}

// The posture is declared by the mediator's admins, for every party.
func TestPosture(t *testing.T) {
	f := newFixture(t)
	p := map[string]any{"state": "operations_suspended", "since": time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).Format(time.RFC3339),
		"text": "Military operations in the south are suspended.", "texts": map[string]string{"ar": "العمليات العسكرية في الجنوب معلقة."}}
	f.Fails(cell.ErrForbidden, "us.mil", deconflict.KindPostureDeclare, p)
	f.Fails(cell.ErrForbidden, "sy.duty", deconflict.KindPostureDeclare, p)
	wantAudience(t, f.OK("us.admin", deconflict.KindPostureDeclare, p), record_everyone)
	got, ok := obj[deconflict.Posture](f, f.view("jo"), deconflict.ObjPosture, deconflict.ObjPosture)
	if !ok || got.State != "operations_suspended" || got.By != "us.admin" {
		t.Errorf("the posture: %+v", got)
	}
	bad := map[string]any{"state": "war", "since": p["since"], "text": "x"}
	f.Fails(cell.ErrInvalid, "us.admin", deconflict.KindPostureDeclare, bad)
}
