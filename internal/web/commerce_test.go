package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/watch"
)

// comPages are the commercial desk's pages over the demo's three projects.
var comPages = []string{"/projects", "/projects/golan-wind", "/projects/hermon-ski", "/projects/druze-orchards", "/pledges"}

// comFragments are every page and each of its live parts, as a page
// script reads them, in each language.
func comFragments() []string {
	var out []string
	for _, lang := range []string{"ar", "he", "en"} { // English last: the choice sticks
		for _, p := range comPages {
			for _, f := range []string{"", "registry", "milestones", "funding", "interests", "pledges"} {
				out = append(out, p+"?lang="+lang+"&fragment="+f)
			}
		}
	}
	return append(out, "/api/v1/export/projects.csv", "/api/v1/export/iati.xml")
}

// The demo's confidential pledges to the wind farm, and what would betray
// each to a party that must not read it: its id, its amount as the pages
// and as the JSON write it, its conditions, its funder's name.
var demoPledges = map[string][]string{
	"jo":  {"jo-wind", "18,500,000", "18500000"},
	"rpa": {"rpa-wind", "42,000,000", "42000000", "Regional partner A", "الشريك الإقليمي أ", "שותף אזורי א"},
	"rpb": {"rpb-wind", "27,250,000", "27250000", "Regional partner B", "الشريك الإقليمي ب", "שותף אזורי ב"},
}

const pledgeConditions = "Disbursed in tranches as the turbines arrive"

// Each page renders for each role: the sides', a funder's, the mediator's,
// and a duty officer's; each offers what the reader's role may do.
func TestCommercePagesPerRole(t *testing.T) {
	ts := newServer(t)
	readers := []string{"us.commercial", "il.commercial", "sy.commercial", "jo.commercial", "rpa.commercial", "jo.duty", "il.duty"}
	bs := map[string]*browser{}
	for _, m := range readers {
		bs[m] = ts.signInEnglish(t, m)
		for _, p := range comPages {
			mustContain(t, m+" "+p, bs[m].page(p), `<a href="/projects" aria-current="page">Commerce</a>`, `src="/static/js/commerce.js"`)
		}
	}
	reg := bs["sy.commercial"].page("/projects")
	mustContain(t, "Syria's registry", reg, "Ridge wind farm", "Hermon slopes ski resort", "Terraced orchards of the Druze villages",
		"Energy", "IATI <bdi dir=\"ltr\">23210</bdi>", "Tourism", "33210", "Agriculture", "31120", "Financing", "Implementation", "Feasibility",
		"Quneitra demilitarized economic zone", "Lift installation", `data-held`, "HELD",
		`href="/api/v1/export/projects.csv"`, `href="/api/v1/export/iati.xml"`, `id="projects-map"`, `data-data="/map/data"`, `data-projects="`,
		`<form id="register-project"`, `data-kind="project.register"`, `name="sector"`, `data-fragment="registry"`)
	// The filters keep to what they name.
	en := bs["il.commercial"].page("/projects?sector=energy")
	mustContain(t, "the energy projects", en, "Ridge wind farm", "1 of 3 projects")
	mustNotContain(t, "the energy projects", en, "Hermon slopes ski resort")
	impl := bs["il.commercial"].page("/projects?stage=implementation")
	mustContain(t, "the projects in implementation", impl, "Hermon slopes ski resort")
	mustNotContain(t, "the projects in implementation", impl, "Ridge wind farm")
	mustNotContain(t, "a military officer's registry", ts.signInEnglish(t, "il.military").page("/projects"), `<form id="register-project"`)

	// The ski resort: its lifts held by the open drone incident, said in
	// words, with since when; the project's party may mark it (and will
	// be refused), the other side may not.
	ski := bs["il.commercial"].page("/projects/hermon-ski")
	mustContain(t, "Israel's ski resort", ski, "Lift installation", "HELD", "NOT MET:", "Drone over the planned lift station", "is open",
		"since", "judged on what your party reads", `data-kind="project.milestone"`, `data-path="/projects/hermon-ski/milestones/lifts/reached"`,
		`data-kind="project.update"`, "Sign: move to Operating", "Sign: suspend the project", `<form id="express-interest"`)
	mustContain(t, "Syria's ski resort", bs["sy.commercial"].page("/projects/hermon-ski"), "Drone over the planned lift station", "HELD")
	mustNotContain(t, "Syria's ski resort", bs["sy.commercial"].page("/projects/hermon-ski"), `data-kind="project.milestone"`, `data-kind="project.update"`)
	mustContain(t, "the mediator's ski resort", bs["us.commercial"].page("/projects/hermon-ski"), `data-kind="project.milestone"`)

	// The wind farm's bar: the published total, rounded, from 3 funders.
	for _, m := range readers {
		mustContain(t, m+"'s wind farm", bs[m].page("/projects/golan-wind"), `class="funding-bar"`, "Published total: 87,000,000 USD", "from 3 funders",
			"Jordan&#39;s national grid operator", "Turbines ordered")
	}
	// The mediator's pledges page: every pledge, and why no new total.
	pl := bs["us.commercial"].page("/pledges")
	mustContain(t, "the mediator's pledges", pl, "No total may be published now:", "fewer than three funders")
	mustNotContain(t, "a side's pledges", bs["il.commercial"].page("/pledges"), `<form id="make-pledge"`, `data-kind="funding.publish"`)
	jo := bs["jo.commercial"].page("/pledges")
	mustContain(t, "Jordan's pledges", jo, `<form id="make-pledge"`, `data-kind="pledge.make"`, `data-kind="pledge.disclose"`, "Sign and disclose",
		`data-kind="pledge.disburse"`)
	mustNotContain(t, "Jordan's pledges", jo, `data-kind="funding.publish"`)

	for _, lang := range []string{"ar", "he"} {
		for _, p := range comPages {
			body := bs["sy.commercial"].page(p + "?lang=" + lang)
			mustContain(t, p+"?lang="+lang, body, fmt.Sprintf(`<html lang="%s" dir="rtl">`, lang))
			mustNotContain(t, p+"?lang="+lang, body, ">Projects<", ">Milestones<", ">Funding<", "HELD")
		}
	}
}

// A side and the other funders never read a confidential pledge's
// amount, id, conditions or funder on any page or fragment; its funder
// reads its own, the mediator every one.
func TestCommercePagesKeepPledgesConfidential(t *testing.T) {
	ts := newServer(t)
	read := func(member string) string {
		b := ts.signInEnglish(t, member)
		var all strings.Builder
		for _, p := range comFragments() {
			r := b.get(p)
			if r.Status != http.StatusOK {
				t.Errorf("%s GET %s: %d", member, p, r.Status)
			}
			all.WriteString(r.Body)
		}
		return all.String()
	}
	for _, m := range []string{"il.commercial", "sy.commercial", "il.duty", "sy.duty", "jo.commercial", "rpa.commercial", "rpb.commercial", "jo.duty"} {
		party := strings.Split(m, ".")[0]
		body := read(m)
		for funder, secrets := range demoPledges {
			if funder == party {
				mustContain(t, m+" on its own pledge", body, secrets[:2]...)
				continue
			}
			mustNotContain(t, m+" on "+funder+"'s pledge", body, secrets...)
		}
		if _, funder := demoPledges[party]; !funder {
			mustNotContain(t, m, body, pledgeConditions)
		}
		mustContain(t, m, body, "87,000,000 USD")
	}
	us := read("us.commercial")
	for _, secrets := range demoPledges {
		mustContain(t, "the mediator", us, secrets[0], secrets[1])
	}
	mustContain(t, "the mediator", us, "Regional partner A", "Regional partner B", pledgeConditions)
}

// A funder's pledge, made as its page makes it, shows on its own pledges
// page and the mediator's, and on no side's.
func TestCommercePledgeReachesOnlyItsFunderAndTheMediator(t *testing.T) {
	ts := newServer(t)
	jo := ts.signInEnglish(t, "jo.commercial")
	jo.submit("/pledges", "pledge.make", map[string]any{"pledge": map[string]any{"id": "jo-orchards-test", "project": "druze-orchards",
		"amount": 3_456_789, "conditions": "Only for the packing house."}})
	secrets := []string{"jo-orchards-test", "3,456,789", "3456789", "Only for the packing house."}
	mustContain(t, "Jordan's pledges", jo.page("/pledges"), secrets[:2]...)
	mustContain(t, "Jordan's orchards", jo.page("/projects/druze-orchards"), "Your party&#39;s pledges", "3,456,789 USD")
	us := ts.signInEnglish(t, "us.commercial")
	mustContain(t, "the mediator's pledges", us.page("/pledges"), secrets[:2]...)
	mustContain(t, "the mediator's orchards", us.page("/projects/druze-orchards"), "Every pledge (the mediator&#39;s view)", "3,456,789 USD")
	for _, m := range []string{"sy.commercial", "il.commercial", "rpa.commercial"} {
		b := ts.signInEnglish(t, m)
		for _, p := range []string{"/pledges", "/pledges?fragment=pledges", "/projects/druze-orchards", "/projects/druze-orchards?fragment=funding", "/projects"} {
			mustNotContain(t, m+" "+p, b.get(p).Body, secrets...)
		}
	}
}

// The watch's alert of the ski resort's held lifts (the demo holds it, as
// the watch writes it) is on the project's page for the sides, who read
// the drone incident, and not for an observer, who does not; the urgent
// banner of every page carries it to the sides' commercial desks alone;
// and the watch, judging the gates again, does not raise it twice.
func TestCommerceGateAlertOnTheProjectPage(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.commercial")
	check := func(when string) {
		t.Helper()
		page := il.page("/projects/hermon-ski")
		mustContain(t, "Israel's ski resort page "+when, page, "Alerts: a gate fails while the project is being built", "Lift installation", "Drone over the planned lift station")
		mustNotContain(t, "Jordan's ski resort page "+when, ts.signInEnglish(t, "jo.commercial").page("/projects/hermon-ski"), "Alerts: a gate fails")
		banner := il.page("/urgent?fragment=urgent")
		mustContain(t, "Israel's commercial banner "+when, banner, "Project gates failing while the project is being built: 1", `href="/projects/hermon-ski#m-lifts"`,
			"Hermon slopes ski resort", "Lift installation", "Drone over the planned lift station", `data-gate-count="1"`)
		mustContain(t, "Syria's commercial banner "+when, ts.signInEnglish(t, "sy.commercial").page("/urgent?fragment=urgent"), `data-gate-alert=`)
		for _, m := range []string{"il.military", "il.duty", "jo.commercial", "rpa.commercial"} {
			mustNotContain(t, m+"'s banner "+when, ts.signInEnglish(t, m).page("/urgent?fragment=urgent"), "data-gate-alert", "Lift installation")
		}
	}
	check("as seeded")
	// The watch screen carries no banner: the commercial desks find the
	// alert in a panel of its own, the other desks no such panel.
	mustContain(t, "Israel's commercial watch screen", il.page("/dashboard"), `id="h-gates"`, `data-gate-alert=`, "Lift installation")
	mustContain(t, "Israel's commercial watch screen's part", il.page("/dashboard?fragment=gates"), "Drone over the planned lift station")
	mustNotContain(t, "Israel's duty watch screen", ts.signInEnglish(t, "il.duty").page("/dashboard"), `id="h-gates"`, "data-gate-alert")
	mustContain(t, "Jordan's commercial watch screen", ts.signInEnglish(t, "jo.commercial").page("/dashboard"), `id="h-gates"`,
		"No security gate fails on a project in implementation.")
	for _, lang := range []string{"ar", "he"} {
		mustContain(t, "Israel's banner in "+lang, il.page("/urgent?fragment=urgent&lang="+lang), `data-gate-alert=`, `id="gates-head"`)
	}
	clk := time.Now()
	w, err := watch.New(watch.Config{Ledger: ts.Ledger, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clk }, GateEvery: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		clk = clk.Add(time.Minute)
		if err := w.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	il.page("/projects?lang=en")
	check("after the watch judged again")
}
