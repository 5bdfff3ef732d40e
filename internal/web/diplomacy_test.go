package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
)

// demoDisputes finds the demo's two disputes, as the mediator reads them:
// Syria's over the shelling near Hadar (acknowledged, not shared) and
// Israel's over the artillery (found, shared with Jordan).
func demoDisputes(t *testing.T, us *browser) (hadar, artillery int64) {
	t.Helper()
	var reg api.Register
	if err := json.Unmarshal([]byte(us.get("/api/v1/disputes").Body), &reg); err != nil {
		t.Fatal(err)
	}
	for _, d := range reg.Disputes {
		switch {
		case strings.Contains(d.Title, "Hadar"):
			hadar = d.ID
		case strings.Contains(d.Title, "Artillery"):
			artillery = d.ID
		}
	}
	if hadar == 0 || artillery == 0 {
		t.Fatalf("the demo's disputes: %+v", reg.Disputes)
	}
	return hadar, artillery
}

func dipPages(hadar, artillery int64) []string {
	return []string{"/disputes", fmt.Sprintf("/disputes/%d", hadar), fmt.Sprintf("/disputes/%d", artillery), "/commitments",
		"/commitments/withdrawal-timetable", "/agreements", "/agreements/paris", "/rounds", "/rounds/round-5", "/statements",
		"/statements/paris-5", "/statements/economic-zone"}
}

// Each page renders for the mediator and each side, and each offers the
// actions the reader's role may take and no other.
func TestDiplomacyPagesPerRole(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.diplomatic")
	il := ts.signInEnglish(t, "il.diplomatic")
	sy := ts.signInEnglish(t, "sy.diplomatic")
	hadar, artillery := demoDisputes(t, us)
	for _, b := range []*browser{us, il, sy} {
		for _, p := range dipPages(hadar, artillery) {
			body := b.page(p)
			mustContain(t, b.member+" "+p, body, `<a href="/disputes" aria-current="page">Diplomacy</a>`, `src="/static/js/page.js"`)
		}
	}
	reg := il.page("/disputes")
	mustContain(t, "Israel's register", reg, "Shelling near Hadar", "Artillery inside the 20 km line", `<form id="file-dispute"`,
		`data-kind="dispute.file"`, `name="respondent"`, `<option value="sy" selected>Syria</option>`, `value="paris:2" data-as="article"`,
		`data-as="cite"`, `data-fragment="register"`)
	mustNotContain(t, "Israel's register", reg, `<option value="il" selected>`)
	mustNotContain(t, "the mediator's register", us.page("/disputes"), `<form id="file-dispute"`) // the mediator settles

	// Hadar, acknowledged: Israel, the respondent, responds; no one else.
	h := fmt.Sprintf("/disputes/%d", hadar)
	mustContain(t, "Israel's "+h, il.page(h), `<form id="respond-dispute"`, `data-kind="dispute.respond"`, "Acknowledged by the mediator",
		"Received; we ask Israel to respond within 72 hours.", `href="/incidents/`, "/evidence\" download")
	for _, b := range []*browser{us, sy} {
		mustNotContain(t, b.member+" "+h, b.page(h), `<form id="respond-dispute"`, `<form id="ack-dispute"`, `<form id="finding-dispute"`)
	}
	// The artillery, found: each party answers the finding once.
	a := fmt.Sprintf("/disputes/%d", artillery)
	for _, b := range []*browser{il, sy} {
		mustContain(t, b.member+" "+a, b.page(a), `<form id="accept-dispute"`, "Partly upheld", "Our observers confirm two batteries")
	}
	mustNotContain(t, "the mediator's "+a, us.page(a), `<form id="accept-dispute"`)

	// The statement in drafting: Israel has signed version 2; Syria and the
	// mediator may, with the exact hashes; comments per paragraph.
	ez := "/statements/economic-zone"
	mustContain(t, "Syria's "+ez, sy.page(ez), `<form id="sign-statement"`, `data-sign-statement`, `data-kind="statement.sign"`,
		`&#34;version&#34;:2`, `data-text-json data-lang="en"`, "Not yet agreed", `<form id="comment-statement"`, "Changes from version 1 to version 2", `data-change="changed"`)
	mustContain(t, "the mediator's "+ez, us.page(ez), `<form id="sign-statement"`)
	// Syria's comment is on version 1's first paragraph, which takes no
	// signature any more.
	v1 := sy.page(ez + "?version=1")
	mustContain(t, ez+"?version=1", v1, "Say that the zone&#39;s projects are civilian", "Superseded")
	mustNotContain(t, ez+"?version=1", v1, `<form id="sign-statement"`)
	mustNotContain(t, "Israel's "+ez, il.page(ez), `<form id="sign-statement"`, `<form id="publish-statement"`)
	// Published: no signing, no publishing again; every signature shown.
	p5 := us.page("/statements/paris-5")
	mustContain(t, "/statements/paris-5", p5, "Agreed: every required party signed version 1.", "il.diplomatic", "sy.diplomatic")
	mustNotContain(t, "/statements/paris-5", p5, `<form id="sign-statement"`, `<form id="publish-statement"`)

	// The timeline: the withdrawal's overdue phase is marked in words.
	tl := il.page("/commitments")
	mustContain(t, "/commitments", tl, `data-commitment="withdrawal-timetable"`, "data-overdue", "OVERDUE", "Today", "<svg", `class="swatch cstatus-`)
	mustContain(t, "the withdrawal", il.page("/commitments/withdrawal-timetable"), "Withdrawal timetable", `id="m-phase-1"`)
	mustContain(t, "the mediator's withdrawal", us.page("/commitments/withdrawal-timetable"), `data-kind="phase.report"`, `data-kind="commitment.status"`)

	mustContain(t, "/agreements/paris", il.page("/agreements/paris"), `id="art-2"`, ">authoritative</strong>", "Illustrative text.", `lang="ar" dir="rtl"`, `lang="he" dir="rtl"`)
	mustContain(t, "/rounds", il.page("/rounds"), "Round 5, Paris", `id="feed-new"`, `id="feed-revoke"`)
	mustContain(t, "/rounds/round-5", il.page("/rounds/round-5"), "Delegations", "Agenda", "Minutes", `href="/commitments/withdrawal-timetable"`, "Carried to the next round")

	for _, lang := range []string{"ar", "he"} {
		for _, p := range dipPages(hadar, artillery) {
			mustContain(t, p+"?lang="+lang, il.page(p+"?lang="+lang), fmt.Sprintf(`<html lang="%s" dir="rtl">`, lang))
		}
		mustNotContain(t, "/disputes?lang="+lang, il.page("/disputes?lang="+lang), ">Register of disputes<", ">File a dispute<")
	}
}

// An observer reads the disputes the mediator shared with it, as the
// share restated them, and the published statements; never a dispute it
// was not given, a finding, a draft or a commitment, through any page or
// fragment.
func TestDiplomacyPagesKeepToTheObserversAudience(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.diplomatic")
	jo := ts.signInEnglish(t, "jo.duty")
	hadar, artillery := demoDisputes(t, us)
	secrets := []string{"Shelling near Hadar", "Four impacts near a protected village", "Our observers confirm two batteries",
		"Partly upheld", "The batteries are towed guns", "civilian projects open to the communities", "Say that the zone",
		"Joint statement on the economic zone", "Withdrawal timetable", "A timetable for the withdrawal"}
	var pages []string
	for _, p := range dipPages(hadar, artillery) {
		pages = append(pages, p)
		for _, f := range []string{"register", "lifecycle", "timeline", "signatures"} {
			pages = append(pages, p+"?fragment="+f)
		}
	}
	for _, p := range pages {
		r := jo.get(p)
		if r.Status != http.StatusOK && r.Status != http.StatusNotFound {
			t.Errorf("Jordan GET %s: %d", p, r.Status)
		}
		mustNotContain(t, "Jordan's "+p, r.Body, secrets...)
	}
	for _, p := range []string{fmt.Sprintf("/disputes/%d", hadar), fmt.Sprintf("/disputes/%d", artillery), "/statements/economic-zone",
		"/commitments/withdrawal-timetable", "/rounds/round-5"} {
		if r := jo.get(p); r.Status != http.StatusNotFound {
			t.Errorf("Jordan GET %s: %d, want the not-found page", p, r.Status)
		}
	}
	reg := jo.page("/disputes")
	mustContain(t, "Jordan's register", reg, "Artillery inside the 20 km line", "For the host country&#39;s information")
	mustNotContain(t, "Jordan's register", reg, `<form id="file-dispute"`, fmt.Sprintf(`href="/disputes/%d"`, artillery))
	// The published statement: its text and, restated by the publication,
	// who signed it.
	p5 := jo.page("/statements/paris-5")
	mustContain(t, "Jordan's /statements/paris-5", p5, "Published", "il.diplomatic", "sy.diplomatic", "us.diplomatic", "Agreed: every required party signed version 1.")
	mustNotContain(t, "Jordan's /statements/paris-5", p5, `<form id="sign-statement"`, `<form id="comment-statement"`)
}

// The live parts render alone for the page scripts to swap in.
func TestDiplomacyFragments(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.diplomatic")
	_, artillery := demoDisputes(t, ts.signInEnglish(t, "us.diplomatic"))
	for p, want := range map[string]string{
		"/disputes?fragment=register&status=found":                "Artillery inside the 20 km line",
		fmt.Sprintf("/disputes/%d?fragment=lifecycle", artillery): "Mediator&#39;s finding",
		"/commitments?fragment=timeline":                          `data-commitment="withdrawal-timetable"`,
		"/statements/economic-zone?fragment=signatures":           `data-signed="true"`,
	} {
		r := il.get(p)
		if r.Status != http.StatusOK || strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, want) {
			t.Errorf("GET %s: %d, want a fragment with %q: %.300s", p, r.Status, want, r.Body)
		}
	}
	// The register's filter keeps to it.
	r := il.get("/disputes?fragment=register&status=found")
	mustNotContain(t, "the register of found disputes", r.Body, "Shelling near Hadar")
}

// The desk's writing forms are offered to whom the desk accepts each write
// from: a statement is drafted by a side or the mediator on the desk (a
// new version by a party the statement requires); agreements, rounds and
// commitments are the mediator's desk's; no form for a member off the
// desk (a military officer) or for an observer.
func TestDiplomacyWritingFormsPerRole(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.diplomatic")
	usDuty := ts.signInEnglish(t, "us.duty")
	usMil := ts.signInEnglish(t, "us.military")
	il := ts.signInEnglish(t, "il.diplomatic")
	ilMil := ts.signInEnglish(t, "il.military")
	jo := ts.signInEnglish(t, "jo.duty")

	mediator := map[string][]string{
		"/agreements":       {`<form id="record-agreement"`, `data-kind="agreement.record"`, `data-list="agreement.articles"`, `data-key="texts.ar" rows="4" lang="ar" dir="rtl"`},
		"/agreements/paris": {`<form id="amend-agreement"`, `name="amends"`, `&#34;id&#34;:&#34;paris&#34;`},
		"/rounds":           {`<form id="create-round"`, `data-kind="round.create"`, `name="round.delegations.il"`, `data-as="utc"`},
		"/rounds/round-5":   {`<form id="agenda-round"`, `data-kind="round.agenda"`, `<form id="minutes-round"`, `data-kind="round.minutes"`},
		"/commitments":      {`<form id="create-commitment"`, `data-kind="commitment.create"`, `data-list="commitment.milestones"`},
	}
	for _, b := range []*browser{us, usDuty} {
		for p, want := range mediator {
			mustContain(t, b.member+" "+p, b.page(p), want...)
		}
	}
	for _, b := range []*browser{usMil, il, ilMil} {
		for p, want := range mediator {
			mustNotContain(t, b.member+" "+p, b.page(p), want[0])
		}
	}
	// An item still without an outcome offers the outcome form, with the
	// commitment it may create left out until ticked.
	us.submit("/rounds/round-5/agenda", "round.agenda", map[string]any{"round": "round-5",
		"item": map[string]any{"id": "water-sharing", "desk": "diplomatic", "title": "Water sharing"}})
	mustContain(t, "the mediator's round", us.page("/rounds/round-5"), `data-kind="round.outcome"`,
		`/rounds/round-5/items/water-sharing/outcome`, `data-if="oc`, `data-list="commitment.milestones"`)
	mustNotContain(t, "Israel's round", il.page("/rounds/round-5"), `data-kind="round.outcome"`)

	// Statements: every member on the desk of a side or the mediator drafts.
	for _, b := range []*browser{us, usDuty, il} {
		mustContain(t, b.member+" /statements", b.page("/statements"), `<form id="draft-statement"`, `data-kind="statement.draft"`,
			`name="statement.required"`, `data-list="texts.he"`, `lang="he" dir="rtl"`)
	}
	mustContain(t, "Israel's draft", il.page("/statements"), `name="statement.required" value="il" checked`)
	for _, b := range []*browser{usMil, ilMil} {
		mustNotContain(t, b.member+" /statements", b.page("/statements"), `<form id="draft-statement"`)
	}
	// A new version of the statement in drafting, its latest texts prefilled;
	// none of a published one.
	ez := "/statements/economic-zone"
	for _, b := range []*browser{us, il} {
		mustContain(t, b.member+" "+ez, b.page(ez), `<form id="redraft-statement"`, "A new version, from version 2", `data-remove`)
	}
	mustNotContain(t, "il.military "+ez, ilMil.page(ez), `<form id="redraft-statement"`)
	mustNotContain(t, "/statements/paris-5", us.page("/statements/paris-5"), `<form id="redraft-statement"`)

	// Disputes: the filing form cites messages and verifications too, and
	// takes evidence files.
	mustContain(t, "Israel's register", il.page("/disputes"), `value="message:`, `data-attach="attachments"`, `type="file"`)
	mustNotContain(t, "il.military's register", ilMil.page("/disputes"), `<form id="file-dispute"`)

	// An observer writes none of it.
	for _, p := range []string{"/statements", "/agreements", "/agreements/paris", "/rounds", "/commitments", "/disputes"} {
		r := jo.get(p)
		mustNotContain(t, "Jordan's "+p, r.Body, `class="desk-form stack dip-form"`)
	}
}
