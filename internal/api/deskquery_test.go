package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/deconflict"
)

// TestDeskQueriesAnswerAsTheAPI: what the desk's pages read is what the
// desk's routes answer the same member, and a notification a member may
// not read (Israel's mediator-only flight, for Syria) fails on the page as
// on the route: 404.
func TestDeskQueriesAnswerAsTheAPI(t *testing.T) {
	ts := newTestServer(t)
	var private int64 = -1
	for _, member := range []string{"us.duty", "il.duty", "sy.duty", "jo.duty"} {
		c := ts.login(t, member)
		r, p := c.principal(t)

		ns, err := ts.API.Activities(r, p)
		if err != nil {
			t.Fatal(err)
		}
		var apiNs struct{ Activities []deconflict.Notification }
		c.getJSON(t, "/api/v1/activities", &apiNs)
		sameJSON(t, member+" activities", ns, apiNs.Activities)
		for _, n := range ns {
			if strings.Contains(n.Title, "mediator only") {
				private = n.ID
			}
			d, err := ts.API.Activity(r, p, itoa(n.ID))
			if err != nil {
				t.Fatal(err)
			}
			var apiD deconflict.NotificationDetail
			c.getJSON(t, "/api/v1/activities/"+itoa(n.ID), &apiD)
			sameJSON(t, member+" activity "+itoa(n.ID), d, apiD)
			nv, err := ts.API.ActivityVersion(r, p, n.ID, n.Version)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, member+" activity version", nv, apiD.Versions[len(apiD.Versions)-1])
		}

		is, err := ts.API.Incidents(r, p)
		if err != nil {
			t.Fatal(err)
		}
		var apiIs struct{ Incidents []deconflict.Incident }
		c.getJSON(t, "/api/v1/incidents", &apiIs)
		sameJSON(t, member+" incidents", is, apiIs.Incidents)
		for _, inc := range is {
			d, err := ts.API.Incident(r, p, itoa(inc.ID))
			if err != nil {
				t.Fatal(err)
			}
			var apiD deconflict.IncidentDetail
			c.getJSON(t, "/api/v1/incidents/"+itoa(inc.ID), &apiD)
			sameJSON(t, member+" incident", d, apiD)
		}

		z, err := ts.API.Zone(r, p, "hadar")
		if err != nil {
			t.Fatal(err)
		}
		var apiZ deconflict.ZoneDetail
		c.getJSON(t, "/api/v1/zones/hadar", &apiZ)
		sameJSON(t, member+" zone", z, apiZ)
		if _, err := ts.API.Zone(r, p, "no-such-zone"); api.ProblemOf(err).Status != http.StatusNotFound {
			t.Errorf("%s: a missing zone answers %v", member, err)
		}

		b, err := ts.API.DeskBoard(r, p, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var apiB deconflict.Board
		c.getJSON(t, "/api/v1/deconfliction", &apiB)
		sameJSON(t, member+" board's held notifications", b.Held, apiB.Held)
		sameJSON(t, member+" board's active notifications", b.Active, apiB.Active)
		sameJSON(t, member+" board's verifications", b.Verifications, apiB.Verifications)
		if b.Days != apiB.Days {
			t.Errorf("%s board counts %d days, the route %d", member, b.Days, apiB.Days)
		}
	}
	if private < 0 {
		t.Fatal("the demo has no mediator-only notification")
	}
	for member, want := range map[string]int{"us.duty": http.StatusOK, "il.duty": http.StatusOK, "sy.duty": http.StatusNotFound, "jo.duty": http.StatusNotFound} {
		c := ts.login(t, member)
		r, p := c.principal(t)
		_, err := ts.API.Activity(r, p, itoa(private))
		got := http.StatusOK
		if err != nil {
			got = api.ProblemOf(err).Status
		}
		if route := c.get(t, "/api/v1/activities/"+itoa(private)).Status; got != want || route != want {
			t.Errorf("%s activity %d: page %d, route %d, want %d", member, private, got, route, want)
		}
		if _, err := ts.API.ActivityVersion(r, p, private, 1); (err == nil) != (want == http.StatusOK) {
			t.Errorf("%s reads version 1 of %d: %v", member, private, err)
		}
		ns, _ := ts.API.Activities(r, p)
		if slices.ContainsFunc(ns, func(n deconflict.Notification) bool { return n.ID == private }) != (want == http.StatusOK) {
			t.Errorf("%s lists notification %d: %v", member, private, want == http.StatusOK)
		}
	}
}
