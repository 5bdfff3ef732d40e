package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/seed"
)

var formTag = regexp.MustCompile(`(?s)<form\b[^>]*>`)
var attr = regexp.MustCompile(`\s(data-[a-z-]+|id)="([^"]*)"`)

// pageForm is a form as a page describes its command to forms.js.
type pageForm struct {
	Kind, Path, Method string
	Fields             map[string]any
}

// formsOf lists the page's forms of kind, by their API path.
func formsOf(t *testing.T, body, kind string) map[string]pageForm {
	t.Helper()
	out := map[string]pageForm{}
	for _, tag := range formTag.FindAllString(body, -1) {
		a := map[string]string{}
		for _, m := range attr.FindAllStringSubmatch(tag, -1) {
			a[m[1]] = html.UnescapeString(m[2])
		}
		if a["data-kind"] != kind {
			continue
		}
		f := pageForm{Kind: kind, Path: a["data-path"], Method: a["data-method"]}
		if err := json.Unmarshal([]byte(a["data-fields"]), &f.Fields); err != nil {
			t.Fatalf("form %s %s: data-fields %q: %v", kind, f.Path, a["data-fields"], err)
		}
		out[f.Path] = f
	}
	return out
}

// dataFixed is what a list's data-fixed holds: the items the page keeps.
func dataFixed(t *testing.T, body, list string) []any {
	t.Helper()
	m := regexp.MustCompile(`data-list="` + regexp.QuoteMeta(list) + `" data-fixed="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no data-fixed on list %s", list)
	}
	var out []any
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The pledge's update form is on its funder's page alone, a PUT of the
// pledge it names; the desk takes the command from the funder and refuses
// it from another funder, a side and the mediator, none of whom is offered
// the form.
func TestCommercePledgeUpdateFormOnlyForItsFunder(t *testing.T) {
	ts := newServer(t)
	jo := ts.signInEnglish(t, "jo.commercial")
	page := jo.page("/pledges")
	mustContain(t, "Jordan's pledges", page, "Change this pledge", "An amount of 0 withdraws the pledge", `data-list="pledge.schedule"`,
		`<template id="tranche-tpl">`, `name="pledge.amount"`, `value="18500000"`)
	forms := formsOf(t, page, "pledge.update")
	f, ok := forms["/pledges/jo-wind"]
	if !ok || len(forms) != 1 {
		t.Fatalf("Jordan's update forms: %v", forms)
	}
	if f.Method != http.MethodPut {
		t.Fatalf("the update form's method: %q", f.Method)
	}
	// What the form sends: the page's fields, the amount, conditions and
	// schedule the funder typed.
	// Typed to the second: the page shows it, and its form holds it, as
	// signed.
	due := time.Now().UTC().Add(90 * 24 * time.Hour).Truncate(time.Minute).Add(30 * time.Second)
	fields := func() map[string]any {
		p := map[string]any{}
		for k, v := range f.Fields["pledge"].(map[string]any) {
			p[k] = v
		}
		p["amount"], p["conditions"] = 18_500_000, "Half once the turbines are ordered."
		p["schedule"] = []map[string]any{{"due": due.Format(time.RFC3339), "amount": 9_000_000}}
		return map[string]any{"pledge": p}
	}
	for _, m := range []string{"rpa.commercial", "il.commercial", "sy.commercial", "us.commercial"} {
		b := ts.signInEnglish(t, m)
		if got := formsOf(t, b.page("/pledges"), "pledge.update"); got["/pledges/jo-wind"].Path != "" {
			t.Errorf("%s is offered Jordan's pledge's update", m)
		}
		if r := b.send(http.MethodPut, "/pledges/jo-wind", "pledge.update", fields()); r.Status == http.StatusCreated {
			t.Errorf("%s updated Jordan's pledge: %s", m, r.Body)
		}
	}
	if got := formsOf(t, ts.signInEnglish(t, "rpa.commercial").page("/pledges"), "pledge.update"); len(got) != 1 || got["/pledges/rpa-wind"].Path == "" {
		t.Errorf("partner A's update forms: %v", got)
	}
	// Jordan's duty officer is an admin, whom the desk takes a funder's
	// commands from as from its commercial members.
	if got := formsOf(t, ts.signInEnglish(t, "jo.duty").page("/pledges"), "pledge.update"); got["/pledges/jo-wind"].Path == "" {
		t.Errorf("Jordan's admin is not offered its pledge's update: %v", got)
	}
	if f.Fields["pledge"].(map[string]any)["version"] != float64(1) {
		t.Errorf("the form does not restate the version it shows: %v", f.Fields)
	}
	if r := jo.send(f.Method, f.Path, f.Kind, fields()); r.Status != http.StatusCreated {
		t.Fatalf("Jordan's update: %d %s", r.Status, r.Body)
	}
	// The same form again, as a colleague would send it from a page
	// loaded before that update: refused, saying what stands.
	if r := jo.send(f.Method, f.Path, f.Kind, fields()); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "read it again") ||
		!strings.Contains(string(r.Body), `"stale":{"pledge":"jo-wind"`) {
		t.Errorf("an update from the page before Jordan's: %d %s", r.Status, r.Body)
	}
	after := jo.page("/pledges")
	mustContain(t, "Jordan's pledge after", after, "Half once the turbines are ordered.", "9,000,000 USD", `value="`+due.Format("2006-01-02T15:04:05")+`"`,
		due.Format("2006-01-02 15:04:05")+" UTC")
	// A disclosed pledge is pledged anew, not changed: no form.
	jo.submit("/pledges/jo-wind/disclose", "pledge.disclose", map[string]any{"pledge": "jo-wind", "name": "Jordan", "amount": 18_500_000, "currency": "USD"})
	if got := formsOf(t, jo.page("/pledges"), "pledge.update"); len(got) != 0 {
		t.Errorf("a disclosed pledge's update forms: %v", got)
	}
}

// The project's edit form is for its party and the mediator, who the desk
// takes project.update from; it restates the project, the reached
// milestones kept as data-fixed items, and the desk keeps them reached.
func TestCommerceProjectEditFormForItsPartyAndTheMediator(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.commercial")
	page := il.page("/projects/hermon-ski")
	mustContain(t, "Israel's ski resort", page, `<form id="edit-project"`, `data-list="project.milestones"`, `data-list="gates"`,
		`data-when="kind=posture"`, `data-attach="project.documents"`, `data-attach-keys="sha256 name"`, "Reached milestones stay as they are:",
		`value="lifts"`, `<template id="pe-gate-tpl">`)
	mustNotContain(t, "Israel's ski resort", page, `value="road"`) // reached: kept, not edited
	forms := formsOf(t, page, "project.update")
	f, ok := forms["/projects/hermon-ski"]
	if !ok || f.Method != http.MethodPut {
		t.Fatalf("Israel's update forms: %v", forms)
	}
	fixed := dataFixed(t, page, "project.milestones")
	if len(fixed) != 1 || fixed[0].(map[string]any)["id"] != "road" {
		t.Fatalf("the reached milestones the form keeps: %v", fixed)
	}
	due := time.Now().UTC().Add(200 * 24 * time.Hour).Truncate(time.Minute).Format(time.RFC3339)
	sha := strings.Repeat("ab", 32)
	// Israel uploaded the plans: a project lists only a file its party holds.
	if _, err := ts.Ledger.SubmitServer(context.Background(), seed.DemoCell, hotline.KindAttachmentUpload,
		map[string]any{"id": "plans-upload", "sha256": sha, "size": 10, "party": "il", "member": "il.commercial"}); err != nil {
		t.Fatal(err)
	}
	fields := func() map[string]any {
		p := map[string]any{}
		for k, v := range f.Fields["project"].(map[string]any) {
			p[k] = v
		}
		p["milestones"] = append(append([]any{}, fixed...),
			map[string]any{"id": "lifts", "title": "Lift installation", "due": due, "gates": []any{map[string]any{"kind": "zone_quiet", "zone": "quneitra-econ", "days": 14}}},
			map[string]any{"id": "lodge", "title": "Lodge opened", "due": due, "gates": []any{map[string]any{"kind": "posture", "posture": "normal"}}})
		p["documents"] = []any{map[string]any{"sha256": sha, "name": "Lodge plans.pdf"}}
		return map[string]any{"project": p}
	}
	for _, m := range []string{"sy.commercial", "jo.commercial", "il.military"} {
		b := ts.signInEnglish(t, m)
		if got := formsOf(t, b.page("/projects/hermon-ski"), "project.update"); len(got) != 0 {
			t.Errorf("%s is offered the ski resort's update: %v", m, got)
		}
		if r := b.send(http.MethodPut, "/projects/hermon-ski", "project.update", fields()); r.Status == http.StatusCreated {
			t.Errorf("%s updated the ski resort: %s", m, r.Body)
		}
	}
	us := ts.signInEnglish(t, "us.commercial")
	if got := formsOf(t, us.page("/projects/hermon-ski"), "project.update"); got["/projects/hermon-ski"].Path == "" {
		t.Errorf("the mediator is not offered the ski resort's update")
	}
	if r := il.send(f.Method, f.Path, f.Kind, fields()); r.Status != http.StatusCreated {
		t.Fatalf("Israel's update: %d %s", r.Status, r.Body)
	}
	// The same form again, as a second officer would send it from a page
	// loaded before Israel's update: refused, saying what stands.
	if r := il.send(f.Method, f.Path, f.Kind, fields()); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "read it again") ||
		!strings.Contains(string(r.Body), `"stale":`) {
		t.Errorf("an update from the page before Israel's: %d %s", r.Status, r.Body)
	}
	after := il.page("/projects/hermon-ski")
	mustContain(t, "the ski resort after", after, `id="m-lodge"`, "Lodge opened", "the cell&#39;s posture is Normal", "Lodge plans.pdf", sha,
		`id="m-road"`, `data-reached="true"`)
	// The mediator's update of the same project, as its page offers it.
	uf := formsOf(t, us.page("/projects/hermon-ski"), "project.update")["/projects/hermon-ski"]
	if r := us.send(uf.Method, uf.Path, uf.Kind, map[string]any{"project": uf.Fields["project"]}); r.Status == http.StatusCreated {
		t.Errorf("an update leaving the reached road out was taken: %s", r.Body)
	}

	// The registry's form takes milestones and documents from anyone on
	// the desk, and is no one else's.
	reg := il.page("/projects")
	mustContain(t, "Israel's registry", reg, `<form id="register-project"`, `data-list="project.milestones" data-fixed="[]"`, `<template id="rg-ms-tpl">`,
		`data-attach="project.documents"`)
	mustNotContain(t, "a military officer's registry", ts.signInEnglish(t, "il.military").page("/projects"), `data-kind="project.register"`)
}

// The stage buttons send project.update as the route takes it, by PUT.
func TestCommerceStageFormsArePUTs(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.commercial")
	for path, f := range formsOf(t, il.page("/projects/hermon-ski"), "project.update") {
		if f.Method != http.MethodPut {
			t.Errorf("the form to %s sends by %q", path, f.Method)
		}
	}
	// What they sent before, a POST, finds no route.
	if r := il.send(http.MethodPost, "/projects/hermon-ski", "project.update", map[string]any{}); r.Status == http.StatusCreated {
		t.Errorf("POST to a project was taken: %s", r.Body)
	}
}
