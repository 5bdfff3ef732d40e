package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/commerce"
)

// The demo's wind farm through the routes: a side reads the registry, the
// published total and the held milestone of the ski resort, and nothing of
// who pledged or how much, through the project, the pledges, the exports;
// a funder reads its own pledge and not another's; only the mediator asks
// what may be published.
func TestCommerceThroughTheAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		sy := ts.login(t, "sy.commercial")
		jo := ts.login(t, "jo.commercial")
		rpa := ts.login(t, "rpa.commercial")
		us := ts.login(t, "us.commercial")

		var wind commerce.ProjectDetail
		sy.getJSON(t, "/api/v1/projects/golan-wind", &wind)
		if wind.Funding == nil || wind.Funding.Total != 87_000_000 || wind.Funding.Funders != 3 || len(wind.Pledges) != 0 {
			t.Errorf("Syria's view of the wind farm's funding: %+v, %d pledges", wind.Funding, len(wind.Pledges))
		}
		var ski commerce.ProjectDetail
		sy.getJSON(t, "/api/v1/projects/hermon-ski", &ski)
		if len(ski.States) != 2 || !ski.States[1].Held || !strings.Contains(ski.States[1].Gates[0].Reason, "Drone over the planned lift station") {
			t.Errorf("the ski resort's held milestone, as Syria reads it: %+v", ski.States)
		}
		il := ts.login(t, "il.commercial")
		r := il.submit(t, "POST", "/api/v1/projects/hermon-ski/milestones/lifts/reached", il.sign(commerce.KindProjectMilestone, map[string]any{"project": "hermon-ski", "milestone": "lifts"}))
		if p := wantProblem(t, r, http.StatusConflict); !strings.Contains(p.Detail, "is open") {
			t.Errorf("the refusal of the held milestone: %s", p.Detail)
		}
		// An update through PUT: the payload's header (id, time, cell) sits
		// beside the project, and the path must name that project.
		ski.Project.Description = "Lifts, a lodge and a ski school."
		put := il.sign(commerce.KindProjectUpdate, map[string]any{"project": ski.Project})
		if p := wantProblem(t, il.submit(t, "PUT", "/api/v1/projects/golan-wind", put), http.StatusUnprocessableEntity); !strings.HasSuffix(p.Type, "wrong-target") {
			t.Errorf("a PUT whose path names another project: %+v", p)
		}
		if r := il.submit(t, "PUT", "/api/v1/projects/hermon-ski", put); r.Status != http.StatusCreated {
			t.Errorf("PUT of a project: %s", r)
		}
		// Another officer's edit, made from the reading before that PUT,
		// is refused with what stands now, rather than undoing it.
		stale := ski.Project
		stale.Description = "A lodge alone."
		r = il.submit(t, "PUT", "/api/v1/projects/hermon-ski", il.sign(commerce.KindProjectUpdate, map[string]any{"project": stale}))
		var conflict struct {
			Type, Detail string
			Stale        commerce.Stale
		}
		if r.Status != http.StatusConflict || r.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(r.Body, &conflict) != nil {
			t.Fatalf("a PUT from a stale reading: %s", r)
		}
		if conflict.Stale.Version != ski.Version+1 || conflict.Stale.Read != ski.Version || !strings.Contains(conflict.Detail, "read it again") {
			t.Errorf("the stale PUT's problem: %+v", conflict)
		}
		// A gate on a commitment at risk: the desk knows the entry that set
		// the status, and the project says since when, from that entry.
		il.submitOK(t, "POST", "/api/v1/projects", il.sign(commerce.KindProjectRegister, map[string]any{"project": map[string]any{
			"id": "crossing-market", "title": "Crossing market", "description": "Stalls at the crossing.", "sector": "infrastructure",
			"zone": "quneitra-econ", "currency": "USD", "milestones": []map[string]any{{"id": "stalls", "title": "Stalls built",
				"due":   time.Now().Add(60 * 24 * time.Hour).UTC().Format(time.RFC3339),
				"gates": []map[string]any{{"kind": "commitment", "commitment": "withdrawal-timetable"}}}}}}), http.StatusCreated)
		var market commerce.ProjectDetail
		sy.getJSON(t, "/api/v1/projects/crossing-market", &market)
		g := market.States[0].Gates[0]
		var cause struct{ Time time.Time }
		sy.getJSON(t, "/api/v1/log/entries/"+strconv.FormatInt(g.Cause, 10), &cause)
		if g.Holds || !strings.Contains(g.Reason, "at_risk") || g.Cause == 0 || g.Since.IsZero() || !g.Since.Equal(cause.Time) {
			t.Errorf("the commitment gate, as Syria reads it: %+v (its cause at %v)", g, cause.Time)
		}
		var mine struct{ Pledges []commerce.Pledge }
		sy.getJSON(t, "/api/v1/pledges", &mine)
		if len(mine.Pledges) != 0 {
			t.Errorf("Syria lists pledges: %+v", mine.Pledges)
		}
		for _, id := range []string{"jo-wind", "rpa-wind", "rpb-wind"} {
			wantProblem(t, sy.get(t, "/api/v1/pledges/"+id), http.StatusNotFound)
		}
		wantProblem(t, jo.get(t, "/api/v1/pledges/rpa-wind"), http.StatusNotFound)
		// A colleague at the funder changes the pledge; a change made from
		// the reading before it is refused in the same way as a project's,
		// naming the pledge.
		var read commerce.Pledge
		jo.getJSON(t, "/api/v1/pledges/jo-wind", &read)
		duty := ts.login(t, "jo.duty")
		theirs := read
		theirs.Conditions = "Paid once the turbines are ordered."
		duty.submitOK(t, "PUT", "/api/v1/pledges/jo-wind", duty.sign(commerce.KindPledgeUpdate, map[string]any{"pledge": theirs}), http.StatusCreated)
		ours := read
		ours.Amount = 19_000_000
		r = jo.submit(t, "PUT", "/api/v1/pledges/jo-wind", jo.sign(commerce.KindPledgeUpdate, map[string]any{"pledge": ours}))
		conflict.Stale = commerce.Stale{}
		if r.Status != http.StatusConflict || r.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(r.Body, &conflict) != nil {
			t.Fatalf("a pledge's PUT from a stale reading: %s", r)
		}
		if s := conflict.Stale; s.Pledge != "jo-wind" || s.Version != read.Version+1 || s.Read != read.Version || s.By != "jo.duty" || s.Entry == 0 ||
			!strings.Contains(conflict.Detail, "pledge jo-wind is at version") {
			t.Errorf("the stale pledge PUT's problem: %+v", conflict)
		}
		var now commerce.Pledge
		jo.getJSON(t, "/api/v1/pledges/jo-wind", &now)
		if now.Amount != read.Amount || now.Conditions != theirs.Conditions {
			t.Errorf("the pledge after the stale PUT: %+v", now)
		}
		if r := rpa.get(t, "/api/v1/pledges/rpa-wind"); r.Status != 200 {
			t.Errorf("a funder's own pledge: %s", r)
		}
		wantProblem(t, sy.get(t, "/api/v1/projects/golan-wind/funding"), http.StatusForbidden)
		if r := us.get(t, "/api/v1/projects/golan-wind/funding"); r.Status != 200 {
			t.Errorf("the mediator's view of what may be published: %s", r)
		}
		for _, path := range []string{"/api/v1/export/iati.xml", "/api/v1/export/projects.csv"} {
			r := sy.get(t, path)
			if r.Status != 200 {
				t.Fatalf("%s: %s", path, r)
			}
			for _, secret := range []string{"18500000", "42000000", "27250000", "Regional partner"} {
				if bytes.Contains(r.Body, []byte(secret)) {
					t.Errorf("%s reveals %q", path, secret)
				}
			}
		}
		if r := sy.get(t, "/api/v1/export/iati.xml"); !bytes.Contains(r.Body, []byte("Anonymous funders (3)")) {
			t.Error("the IATI export lacks the published total's anonymous funders")
		} else {
			// Every project in the economic zone, the orchards also at their
			// village, each at its shape's centroid.
			for _, want := range []string{`<location ref="quneitra-econ">`, `<location ref="majdal-shams">`, `<point srsName="http://www.opengis.net/def/crs/EPSG/0/4326">`} {
				if !bytes.Contains(r.Body, []byte(want)) {
					t.Errorf("the IATI export lacks %s", want)
				}
			}
			if n := bytes.Count(r.Body, []byte(`<location ref="quneitra-econ">`)); n != 4 {
				t.Errorf("the zone is the location of %d activities, want 4: the demo's 3 and the crossing market", n)
			}
		}
	})
}
