package api_test

import (
	"bytes"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	goical "github.com/emersion/go-ical"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/ical"
	"github.com/liaison-cell/liaison/internal/seed"
)

// feedToken asks for c's calendar feed and returns its answer.
func (c *client) feedToken(t testing.TB) api.CalendarToken {
	t.Helper()
	r := c.do(t, "POST", "/api/v1/calendar/token", nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("%s asks for a calendar feed: %s", c.member, r)
	}
	var tok api.CalendarToken
	decode(t, r, &tok)
	if !strings.HasPrefix(tok.Path, "/calendar/lcal_") || !strings.HasSuffix(tok.Path, ".ics") || tok.URL != c.ts.URL+tok.Path ||
		tok.Expires.Before(time.Now().Add(300*24*time.Hour)) {
		t.Fatalf("the feed's address: %+v", tok)
	}
	return tok
}

// feed fetches a feed, signed in nowhere, as a calendar application does,
// and reads it with a parser we did not write.
func (ts *testServer) feed(t testing.TB, path string) ([]byte, *goical.Calendar) {
	t.Helper()
	r := ts.send(t, "GET", path, nil, nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("GET %s: %s %v", path, r, r.Header)
	}
	for i, l := range bytes.Split(bytes.TrimSuffix(r.Body, []byte("\r\n")), []byte("\r\n")) {
		if len(l) > ical.MaxLine || bytes.ContainsAny(l, "\r\n") {
			t.Errorf("line %d is not a folded content line: %q", i+1, l)
		}
	}
	cal, err := goical.NewDecoder(bytes.NewReader(r.Body)).Decode()
	if err != nil {
		t.Fatalf("go-ical does not read the feed: %v\n%s", err, r.Body)
	}
	var again bytes.Buffer
	if err := goical.NewEncoder(&again).Encode(cal); err != nil {
		t.Fatalf("go-ical finds the feed incomplete: %v\n%s", err, r.Body)
	}
	return r.Body, cal
}

func eventsByUID(t testing.TB, cal *goical.Calendar) map[string]goical.Event {
	t.Helper()
	out := map[string]goical.Event{}
	for _, e := range cal.Events() {
		uid, err := e.Props.Text(goical.PropUID)
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := out[uid]; dup {
			t.Errorf("UID %s twice", uid)
		}
		out[uid] = e
		for _, name := range []string{goical.PropDateTimeStamp, goical.PropDateTimeStart, goical.PropDateTimeEnd} {
			if p := e.Props.Get(name); p != nil && (!strings.HasSuffix(p.Value, "Z") || len(p.Params) != 0) {
				t.Errorf("%s %s is not in UTC: %+v", uid, name, p)
			}
		}
	}
	return out
}

// Each member's feed: its party's deadlines on every desk and the rounds
// it sits in, in UTC with the party's zone given, stable from one fetch
// to the next; another party's dues and what the member may not read are
// not in it; a revoked or replaced address is a 404 like an unknown one,
// and the address opens nothing but the feed.
func TestCalendarFeed(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, sy, jo := ts.login(t, "il.diplomatic"), ts.login(t, "sy.diplomatic"), ts.login(t, "jo.duty")
		tok := il.feedToken(t)
		body, cal := ts.feed(t, tok.Path)
		if again, _ := ts.feed(t, tok.Path); !bytes.Equal(again, body) {
			t.Error("the feed changed between two fetches with nothing new")
		}
		if tz := cal.Props.Get("X-WR-TIMEZONE"); tz == nil || tz.Value != "Asia/Jerusalem" {
			t.Errorf("Israel's feed's zone: %+v", tz)
		}
		if zs := cal.Children; !slices.ContainsFunc(zs, func(c *goical.Component) bool {
			return c.Name == goical.CompTimezone && c.Props.Get(goical.PropTimezoneID).Value == "Asia/Jerusalem"
		}) {
			t.Error("Israel's feed has no VTIMEZONE for Asia/Jerusalem")
		}
		evs := eventsByUID(t, cal)

		// The demo's: Israel owes the response to Syria's dispute over
		// Hadar, its answer to the finding on its own, and the
		// withdrawal's phases; it sits in round 5.
		var reg api.Register
		il.getJSON(t, "/api/v1/disputes", &reg)
		var hadar, artillery int64
		for _, d := range reg.Disputes {
			switch d.Title {
			case "Shelling near Hadar":
				hadar = d.ID
			case "Artillery inside the 20 km line":
				artillery = d.ID
			}
		}
		var wt api.CommitmentView
		il.getJSON(t, "/api/v1/commitments/withdrawal-timetable", &wt)
		uid := func(s string) string { return s + "@" + seed.DemoCell + ".liaison" }
		for u, want := range map[string]time.Time{
			uid("due-dispute-" + itoa(hadar) + "-response-il"):     {},
			uid("due-dispute-" + itoa(artillery) + "-accept-il"):   {},
			uid("due-milestone-" + itoa(wt.Entry) + "-phase-1-il"): wt.Milestones[0].Due,
			uid("due-milestone-" + itoa(wt.Entry) + "-phase-2-il"): wt.Milestones[1].Due,
			uid("round-round-5"): {},
		} {
			e, ok := evs[u]
			if !ok {
				t.Errorf("Israel's feed lacks %s; it has %v", u, slices.Sorted(maps.Keys(evs)))
				continue
			}
			start, err := e.DateTimeStart(nil)
			if err != nil || !want.IsZero() && !start.Equal(want) {
				t.Errorf("%s starts %v (%v), want %v", u, start, err, want)
			}
		}
		if e, ok := evs[uid("round-round-5")]; ok {
			summary, _ := e.Props.Text(goical.PropSummary)
			desc, _ := e.Props.Text(goical.PropDescription)
			end, err := e.DateTimeEnd(nil)
			// Israel's desk reads Hebrew: the place is named in it.
			if summary != "Talks, round 5: פריז" || !strings.Contains(desc, "- A timetable for the withdrawal (agreed)") || err != nil || end.IsZero() {
				t.Errorf("round 5: %q, %q, ends %v %v", summary, desc, end, err)
			}
		}
		if e, ok := evs[uid("due-dispute-"+itoa(hadar)+"-response-il")]; ok {
			desc, _ := e.Props.Text(goical.PropDescription)
			if !strings.Contains(desc, "Response to dispute "+itoa(hadar)+", owed by il") || !strings.Contains(desc, " UTC (") || !strings.Contains(desc, "Asia/Jerusalem)") {
				t.Errorf("the response's description: %q", desc)
			}
			if len(e.Children) != 1 || e.Children[0].Name != goical.CompAlarm {
				t.Errorf("the response has no alarm: %+v", e.Children)
			}
		}

		// Syria's feed is Syria's: Israel's dues are not in it.
		_, scal := ts.feed(t, sy.feedToken(t).Path)
		for u := range eventsByUID(t, scal) {
			if strings.HasSuffix(u, "-il@"+seed.DemoCell+".liaison") {
				t.Errorf("Syria's feed shows Israel's due %s", u)
			}
		}
		if tz := scal.Props.Get("X-WR-TIMEZONE"); tz == nil || tz.Value != "Asia/Damascus" {
			t.Errorf("Syria's feed's zone: %+v", tz)
		}
		// Jordan owes nothing and sits in no round: a calendar all the same,
		// with nothing of the talks or the disputes.
		jbody, jcal := ts.feed(t, jo.feedToken(t).Path)
		if n := len(jcal.Events()); n != 0 {
			t.Errorf("Jordan's feed has %d events", n)
		}
		for _, secret := range []string{"Hadar", "Artillery", "Paris", "round-5", "economic zone"} {
			if bytes.Contains(jbody, []byte(secret)) {
				t.Errorf("Jordan's feed shows %q:\n%s", secret, jbody)
			}
		}

		// The address opens the feed alone; a bearer token opens no feed.
		secret := strings.TrimSuffix(strings.TrimPrefix(tok.Path, "/calendar/"), ".ics")
		wantType(t, ts.send(t, "GET", "/api/v1/me", nil, http.Header{"Authorization": {"Bearer " + secret}}), http.StatusUnauthorized, "expired")
		wantType(t, ts.send(t, "GET", "/calendar/"+il.token+".ics", nil, nil), http.StatusNotFound, "not-found")
		wantType(t, ts.send(t, "POST", "/api/v1/calendar/token", nil, nil), http.StatusUnauthorized, "unauthenticated")

		// A new address ends the old; revoking ends the new; each is then
		// the same 404 as an address never issued.
		next := il.feedToken(t)
		if next.Revoked != 1 {
			t.Errorf("the new feed replaced %d", next.Revoked)
		}
		unknown := "lcal_" + strings.Repeat("A", 43)
		sameNotFound(t, ts.send(t, "GET", tok.Path, nil, nil), secret, ts.send(t, "GET", "/calendar/"+unknown+".ics", nil, nil), unknown)
		ts.feed(t, next.Path)
		r := il.do(t, "DELETE", "/api/v1/calendar/token", nil)
		if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"revoked":1`)) {
			t.Errorf("revoke: %s", r)
		}
		nextSecret := strings.TrimSuffix(strings.TrimPrefix(next.Path, "/calendar/"), ".ics")
		sameNotFound(t, ts.send(t, "GET", next.Path, nil, nil), nextSecret, ts.send(t, "GET", "/calendar/"+unknown+".ics", nil, nil), unknown)
		if r := il.do(t, "DELETE", "/api/v1/calendar/token", nil); r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"revoked":0`)) {
			t.Errorf("revoke again: %s", r)
		}
		wantType(t, ts.send(t, "GET", "/calendar/"+nextSecret, nil, nil), http.StatusNotFound, "not-found")

		// What the member may no longer read leaves the feed: a new round
		// without Israel's delegation is not in Israel's feed.
		us := ts.login(t, "us.diplomatic")
		start := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
		us.submitOK(t, "POST", "/api/v1/rounds", us.sign(diplomacy.KindRoundCreate, map[string]any{"round": map[string]any{"id": "round-7", "number": 7,
			"place": "Baku", "start": start, "end": start.Add(24 * time.Hour), "delegations": map[string][]string{"us": {"Envoy"}, "sy": {"Minister"}}}}), http.StatusCreated)
		_, cal = ts.feed(t, il.feedToken(t).Path)
		if _, ok := eventsByUID(t, cal)[uid("round-round-7")]; ok {
			t.Error("Israel's feed shows a round it does not sit in")
		}
		_, scal = ts.feed(t, sy.feedToken(t).Path)
		if _, ok := eventsByUID(t, scal)[uid("round-round-7")]; !ok {
			t.Error("Syria's feed lacks the round it sits in")
		}
	})
}
