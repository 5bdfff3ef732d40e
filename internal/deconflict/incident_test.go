package deconflict_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/store"
)

func incident(title string, at time.Time, addressed []string, extra map[string]any) map[string]any {
	m := map[string]any{"occurred_at": at.UTC().Format(time.RFC3339), "location": map[string]any{"geometry": point(35.90, 33.30), "radius_m": 300},
		"category": "shelling", "severity": "high", "precedence": "FLASH", "title": title,
		"description": "Impacts reported near the town's eastern edge.", "addressed": addressed}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func incidentDetail(t *testing.T, f *fixture, party string, id int64) (deconflict.IncidentDetail, bool) {
	t.Helper()
	d, err := deconflict.GetIncident(f.ctx, f.view(party), id)
	if errors.Is(err, store.ErrNotFound) {
		return d, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return d, true
}

// An incident is for its reporter, the parties it addresses and the
// mediator; it is linked to the protected sites at its place and to the
// notified activities at its place and time, each link for those who read
// both; the addressed acknowledge with a readback; a verification request
// gives the mediator 48 hours, and its finding goes to the parties
// concerned alone.
func TestIncidentLifecycle(t *testing.T) {
	f := newFixture(t)
	f.agree(map[string]any{"id": "town", "name": "Hadar", "kind": "protected", "geometry": point(35.90, 33.30), "radius_m": 500, "buffer_m": 2000})
	now := time.Now()
	// Artillery Israel notified to the mediator alone, and a patrol it
	// notified to Syria, both over the town now.
	hidden := f.OK("il.mil", deconflict.KindActivityNotify, notify("artillery", "Counter-battery", nil,
		volume(square(35.90, 33.30, 0.02), now.Add(-time.Minute), now.Add(2*time.Hour), nil)))
	shared := f.OK("il.mil", deconflict.KindActivityNotify, map[string]any{"type": "air_patrol", "title": "Patrol", "addressed": []string{"sy"},
		"precedence": "PRIORITY", "volumes": []map[string]any{volume(square(35.90, 33.30, 0.02), now.Add(-time.Minute), now.Add(2*time.Hour), nil)},
		"seen": []map[string]any{}})

	e := f.OK("sy.mil", deconflict.KindIncidentReport, incident("Shelling near Hadar", now.Add(-10*time.Minute), []string{"il"}, map[string]any{"alleged": []string{"town"}}))
	wantAudience(t, e, "il", "sy", "us")
	sy, ok := incidentDetail(t, f, "sy", e.Index)
	if !ok || len(sy.Sites) != 1 || sy.Sites[0].Zone != "town" {
		t.Fatalf("Syria's incident: %+v", sy.Incident)
	}
	links := func(d deconflict.IncidentDetail) []int64 {
		var out []int64
		for _, l := range d.Links {
			out = append(out, l.Notification)
		}
		slices.Sort(out)
		return out
	}
	if got := links(sy); !slices.Equal(got, []int64{shared.Index}) {
		t.Errorf("Syria sees links to %v, want only the patrol %d", got, shared.Index)
	}
	us, _ := incidentDetail(t, f, "us", e.Index)
	if got := links(us); !slices.Equal(got, []int64{hidden.Index, shared.Index}) {
		t.Errorf("the mediator sees links to %v, want both", got)
	}
	if _, ok := incidentDetail(t, f, "jo", e.Index); ok {
		t.Error("the observer reads an incident not addressed to it")
	}
	if _, ok := obj[dues.Due](f, f.view("il"), dues.ObjDue, dues.ID(deconflict.DueIncident, e.Index, "il")); !ok {
		t.Fatal("Israel owes no acknowledgement")
	}

	f.Fails(cell.ErrInvalid, "il.mil", deconflict.KindIncidentAck, map[string]any{"incident": e.Index})
	f.Fails(cell.ErrForbidden, "sy.mil", deconflict.KindIncidentAck, map[string]any{"incident": e.Index, "readback": "x"})
	f.OK("il.mil", deconflict.KindIncidentAck, map[string]any{"incident": e.Index, "readback": "Shelling near Hadar ten minutes ago"})
	f.Fails(cell.ErrConflict, "il.mil", deconflict.KindIncidentAck, map[string]any{"incident": e.Index, "readback": "again"})
	if _, ok := obj[dues.Due](f, f.view(""), dues.ObjDue, dues.ID(deconflict.DueIncident, e.Index, "il")); ok {
		t.Error("acknowledged, Israel still owes it")
	}

	f.Fails(cell.ErrForbidden, "us.mil", deconflict.KindVerifyRequest, map[string]any{"incident": e.Index})
	f.Fails(cell.ErrForbidden, "jo.duty", deconflict.KindVerifyRequest, map[string]any{"incident": e.Index}) // an observer does not act here
	f.Fails(cell.ErrInvalid, "il.mil", deconflict.KindVerifyRequest, map[string]any{"incident": e.Index + 1000})
	f.OK("sy.mil", deconflict.KindVerifyRequest, map[string]any{"incident": e.Index, "note": "we ask for a site visit"})
	d, ok := obj[dues.Due](f, f.view("us"), dues.ObjDue, dues.ID(deconflict.DueVerification, e.Index, "us"))
	if !ok || d.Window != deconflict.DefaultVerificationDeadline {
		t.Fatalf("the mediator's verification deadline: %+v", d)
	}
	f.Fails(cell.ErrConflict, "il.mil", deconflict.KindVerifyRequest, map[string]any{"incident": e.Index})
	f.Fails(cell.ErrForbidden, "il.mil", deconflict.KindVerifyFinding, map[string]any{"incident": e.Index, "finding": "confirmed", "text": "x"})
	f.Fails(cell.ErrInvalid, "us.mil", deconflict.KindVerifyFinding, map[string]any{"incident": e.Index, "finding": "guilty", "text": "x"})
	fe := f.OK("us.mil", deconflict.KindVerifyFinding, map[string]any{"incident": e.Index, "finding": "inconclusive", "text": "Craters found; origin not established."})
	wantAudience(t, fe, "il", "sy", "us")
	if x, _ := incidentDetail(t, f, "il", e.Index); x.Verification == nil || x.Verification.Finding != "inconclusive" {
		t.Errorf("Israel's view of the finding: %+v", x.Verification)
	}
	f.Fails(cell.ErrConflict, "us.mil", deconflict.KindVerifyFinding, map[string]any{"incident": e.Index, "finding": "confirmed", "text": "x"})
}

// A cell sets its own verification deadline.
func TestVerificationDeadlineFromSettings(t *testing.T) {
	f := newFixture(t)
	f.OK("us.admin", cell.KindCellSettings, map[string]any{"settings": map[string]any{"region": golan, "deadlines": map[string]int{"verification": 3600}}})
	e := f.OK("sy.mil", deconflict.KindIncidentReport, incident("Small arms fire", time.Now().Add(-time.Hour), []string{"il"}, map[string]any{"precedence": "ROUTINE", "category": "small_arms"}))
	f.OK("il.mil", deconflict.KindVerifyRequest, map[string]any{"incident": e.Index})
	if d, _ := obj[dues.Due](f, f.view("us"), dues.ObjDue, dues.ID(deconflict.DueVerification, e.Index, "us")); d.Window != time.Hour {
		t.Errorf("the deadline is %s, want the cell's hour", d.Window)
	}
}

// Incidents are checked field by field.
func TestIncidentValidation(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	for name, change := range map[string]map[string]any{
		"an unknown category":          {"category": "riot"},
		"the server's category":        {"category": "force_limits"},
		"an unknown severity":          {"severity": "apocalyptic"},
		"in the future":                {"occurred_at": now.Add(time.Hour).Format(time.RFC3339)},
		"outside the region":           {"location": map[string]any{"geometry": point(31, 30), "radius_m": 10}},
		"no description":               {"description": ""},
		"an allegation of no zone":     {"alleged": []string{"nowhere"}},
		"an attachment of no hash":     {"attachments": []map[string]any{{"sha256": "x", "name": "a", "size": 1}}},
		"an unknown precedence":        {"precedence": "URGENT"},
		"an unknown addressed party":   {"addressed": []string{"lb"}},
		"the reporter addressed":       {"addressed": []string{"sy"}},
		"a point with no radius":       {"location": map[string]any{"geometry": point(35.9, 33.3)}},
		"a location of no geometry":    {"location": map[string]any{}},
		"an occurrence of no time":     {"occurred_at": nil},
		"more than ten attachments":    {"attachments": make([]map[string]any, 11)},
		"a title past its limit":       {"title": string(make([]byte, 300))},
		"a description past its limit": {"description": string(make([]rune, 5000))},
	} {
		m := incident("x", now.Add(-time.Minute), []string{"il"}, nil)
		for k, v := range change {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		if _, err := f.As("sy.mil", deconflict.KindIncidentReport, m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	f.Fails(cell.ErrForbidden, "jo.duty", deconflict.KindIncidentReport, incident("x", now.Add(-time.Minute), []string{"il"}, nil))
}
