package commerce_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/desks/deskstest"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/watch"
)

// Two more funders beside Jordan: the regional partners.
var funders = []seed.PartySpec{
	{ID: "gf", Name: "Gulf fund", Kind: cell.Observer, TimeZone: "Asia/Dubai"},
	{ID: "eu", Name: "European partner", Kind: cell.Observer, TimeZone: "Europe/Brussels"},
}

var members = []seed.MemberSpec{
	{ID: "us.com", Party: "us", Name: "Mediator commercial", Roles: []string{cell.RoleCommercial}},
	{ID: "us.mil", Party: "us", Name: "Mediator military", Roles: []string{cell.RoleMilitary}},
	{ID: "us.dip", Party: "us", Name: "Mediator diplomatic", Roles: []string{cell.RoleDiplomatic}},
	{ID: "il.com", Party: "il", Name: "IL commercial", Roles: []string{cell.RoleCommercial}},
	{ID: "il.mil", Party: "il", Name: "IL military", Roles: []string{cell.RoleMilitary}},
	{ID: "sy.com", Party: "sy", Name: "SY commercial", Roles: []string{cell.RoleCommercial}},
	{ID: "sy.mil", Party: "sy", Name: "SY military", Roles: []string{cell.RoleMilitary}},
	{ID: "jo.com", Party: "jo", Name: "JO commercial", Roles: []string{cell.RoleCommercial}},
	{ID: "jo.fin", Party: "jo", Name: "JO finance", Roles: []string{cell.RoleCommercial}},
	{ID: "gf.com", Party: "gf", Name: "GF commercial", Roles: []string{cell.RoleCommercial}},
	{ID: "eu.com", Party: "eu", Name: "EU commercial", Roles: []string{cell.RoleCommercial}},
}

var region = cell.Region{South: 32.5, West: 35.5, North: 33.5, East: 36.5}

func newFixture(t testing.TB) *deskstest.Fixture {
	f := deskstest.New(t, members, cell.Settings{Region: &region}, funders...)
	zone := map[string]any{"id": "econ", "name": "Economic zone", "kind": "economic",
		"geometry": json.RawMessage(`{"type":"Polygon","coordinates":[[[35.8,33.0],[35.9,33.0],[35.9,33.1],[35.8,33.1],[35.8,33.0]]]}`)}
	f.OK("us.mil", deconflict.KindZonePropose, map[string]any{"zone": zone})
	zv, _ := deskstest.Get[deconflict.ZoneVersion](f, f.St.View(deskstest.Cell), deconflict.ObjZoneVersion, deconflict.ZoneVersionID("econ", 1))
	for _, who := range []string{"us.mil", "il.mil", "sy.mil"} {
		f.OK(who, deconflict.KindZoneSign, map[string]any{"zone": "econ", "version": zv.Version, "hash": zv.Hash})
	}
	return f
}

func project(id string, gates ...map[string]any) map[string]any {
	ms := []map[string]any{{"id": "permits", "title": "Permits issued", "due": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)}}
	if gates != nil {
		ms = append(ms, map[string]any{"id": "build", "title": "Construction starts", "due": time.Now().Add(90 * 24 * time.Hour).UTC().Format(time.RFC3339), "gates": gates})
	}
	return map[string]any{"project": map[string]any{"id": id, "title": "Wind farm " + id, "description": "Turbines on the ridge.",
		"sector": "energy", "zone": "econ", "currency": "USD", "milestones": ms}}
}

// version is the project's version as a member reads it now, which an
// update restates.
func version(f *deskstest.Fixture, who, id string) int {
	f.T.Helper()
	return versionOf(f, who, commerce.ObjProject, id)
}

// versionOf is the version of a project or a pledge as a member reads it.
func versionOf(f *deskstest.Fixture, who, kind, id string) int {
	f.T.Helper()
	x, ok := deskstest.Get[struct{ Version int }](f, f.ViewOf(who), kind, id)
	if !ok {
		f.T.Fatalf("%s does not read %s %s", who, kind, id)
	}
	return x.Version
}

// restated is an update (of a project or a pledge: the payload's one
// member) read at version v.
func restated(p map[string]any, v int) map[string]any {
	for _, x := range p {
		x.(map[string]any)["version"] = v
	}
	return p
}

func TestProjectStages(t *testing.T) {
	f := newFixture(t)
	f.Fails(cell.ErrForbidden, "il.mil", commerce.KindProjectRegister, project("w"))
	e := f.OK("il.com", commerce.KindProjectRegister, project("w"))
	deskstest.WantAudience(t, e, "*")
	for _, who := range []string{"sy.com", "jo.com", "gf.com"} {
		if _, ok := deskstest.Get[commerce.Project](f, f.ViewOf(who), commerce.ObjProject, "w"); !ok {
			t.Errorf("%s does not read the registry", who)
		}
	}
	up := func(stage string) map[string]any {
		p := project("w")
		p["project"].(map[string]any)["stage"] = stage
		return restated(p, version(f, "us.com", "w"))
	}
	f.Fails(cell.ErrInvalid, "il.com", commerce.KindProjectUpdate, up(commerce.Financing))
	f.Fails(cell.ErrForbidden, "sy.com", commerce.KindProjectUpdate, up(commerce.Feasibility))
	f.OK("il.com", commerce.KindProjectUpdate, up(commerce.Feasibility))
	f.OK("us.com", commerce.KindProjectUpdate, up(commerce.Suspended))
	f.Fails(cell.ErrInvalid, "il.com", commerce.KindProjectUpdate, up(commerce.Financing))
	f.OK("il.com", commerce.KindProjectUpdate, up(commerce.Feasibility))
	p, _ := deskstest.Get[commerce.Project](f, f.ViewOf("jo.com"), commerce.ObjProject, "w")
	if p.Stage != commerce.Feasibility || p.Version != 4 {
		t.Errorf("after suspension and resumption: stage %s, version %d", p.Stage, p.Version)
	}
	f.OK("jo.com", commerce.KindProjectInterest, map[string]any{"project": "w", "organization": "Amman Power Co.", "text": "We would operate the substation."})
}

func incident(f *deskstest.Fixture, who string, addressed []string, at time.Time) int64 {
	f.T.Helper()
	return f.OK(who, deconflict.KindIncidentReport, map[string]any{
		"occurred_at": at.UTC().Format(time.RFC3339), "category": "uav", "severity": "medium", "precedence": "IMMEDIATE",
		"title": "Drone over the ridge", "description": "A drone crossed at low altitude.", "addressed": addressed,
		"location": map[string]any{"geometry": json.RawMessage(`{"type":"Point","coordinates":[35.85,33.05]}`), "radius_m": 200}}).Index
}

// No project moves ahead of the security it depends on: a milestone gated
// on a quiet zone cannot be reached while an incident in the zone is open,
// the page says which and since when, and one who may not read the
// incident is told only that a condition it does not read holds it.
func TestGatedMilestone(t *testing.T) {
	f := newFixture(t)
	f.OK("il.com", commerce.KindProjectRegister, project("ski", map[string]any{"kind": "zone_quiet", "zone": "econ", "days": 0}))
	at := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	inc := incident(f, "sy.mil", []string{"il"}, at)
	mark := map[string]any{"project": "ski", "milestone": "build"}
	err := f.Fails(cell.ErrConflict, "il.com", commerce.KindProjectMilestone, mark)
	if !strings.Contains(err.Error(), fmt.Sprintf("incident %d", inc)) {
		t.Errorf("the refusal does not say which incident holds it: %v", err)
	}
	f.OK("il.com", commerce.KindProjectMilestone, map[string]any{"project": "ski", "milestone": "permits"})
	d, err := commerce.GetProject(f.Ctx, f.ViewOf("il.com"), "ski", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	st := d.States[1]
	if !st.Held || st.Gates[0].Holds || !st.Gates[0].Since.Equal(at) {
		t.Errorf("the page's gate for Israel: %+v", st.Gates)
	}
	// The mediator marks it: it reads the incident too. Jordan reads none.
	for _, who := range []string{"jo.com"} {
		d, _ := commerce.GetProject(f.Ctx, f.ViewOf(who), "ski", time.Now())
		if bytes.Contains(mustJSON(t, d), []byte("Drone over the ridge")) {
			t.Errorf("%s reads the incident through the project's page", who)
		}
	}
	// The incident verified closed, the zone is quiet again (days 0).
	f.OK("il.mil", deconflict.KindVerifyRequest, map[string]any{"incident": inc, "note": "please check"})
	f.OK("us.mil", deconflict.KindVerifyFinding, map[string]any{"incident": inc, "finding": "not_confirmed", "text": "Nothing found on the ridge."})
	f.OK("il.com", commerce.KindProjectMilestone, mark)
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pledge(id string, amount int64) map[string]any {
	return map[string]any{"pledge": map[string]any{"id": id, "project": "w", "amount": amount, "conditions": "Disbursed as turbines arrive."}}
}

// The funders' pledges are theirs and the mediator's; a side reads neither
// who pledged nor how much, in the log or the projection; a total is
// published only from three funders, and never so that one funder's change
// shows in the difference of two totals.
func TestPledgesAreConfidential(t *testing.T) {
	f := newFixture(t)
	f.OK("il.com", commerce.KindProjectRegister, project("w"))
	f.Fails(cell.ErrForbidden, "sy.com", commerce.KindPledgeMake, pledge("sy-1", 10))
	e := f.OK("jo.com", commerce.KindPledgeMake, pledge("jo-1", 12_345_678))
	deskstest.WantAudience(t, e, "jo", "us")
	f.OK("gf.com", commerce.KindPledgeMake, pledge("gf-1", 20_000_000))
	publish := func(who string, want error) {
		t.Helper()
		fd, _, why, err := commerce.Publishable(f.Ctx, f.St.View(deskstest.Cell), "w")
		if err != nil {
			t.Fatal(err)
		}
		p := map[string]any{"project": "w", "total": fd.Total, "funders": fd.Funders}
		if want != nil {
			if why == "" {
				t.Fatalf("the rule would publish %d from %d funders", fd.Total, fd.Funders)
			}
			f.Fails(want, who, commerce.KindFundingPublish, p)
			return
		}
		if why != "" {
			t.Fatalf("the rule publishes nothing: %s", why)
		}
		f.OK(who, commerce.KindFundingPublish, p)
	}
	publish("us.com", cell.ErrConflict) // two funders
	f.OK("eu.com", commerce.KindPledgeMake, pledge("eu-1", 7_000_000))
	f.Fails(cell.ErrForbidden, "il.com", commerce.KindFundingPublish, map[string]any{"project": "w", "total": 39_000_000, "funders": 3})
	f.Fails(cell.ErrInvalid, "us.com", commerce.KindFundingPublish, map[string]any{"project": "w", "total": 39_345_678, "funders": 3})
	publish("us.com", nil)
	// The side reads a rounded total from three funders, nothing more.
	fd, ok := deskstest.Get[commerce.Funding](f, f.ViewOf("sy.com"), commerce.ObjFunding, "w")
	if !ok || fd.Total != 39_000_000 || fd.Funders != 3 {
		t.Errorf("Syria's view of the funding: %+v, %v", fd, ok)
	}
	// One funder changes its pledge: a new total would show that change
	// alone, and so would two.
	f.OK("gf.com", commerce.KindPledgeUpdate, restated(pledge("gf-1", 25_000_000), 1))
	publish("us.com", cell.ErrConflict)
	f.OK("jo.com", commerce.KindPledgeUpdate, restated(pledge("jo-1", 13_000_000), 1))
	publish("us.com", cell.ErrConflict)
	f.OK("eu.com", commerce.KindPledgeUpdate, restated(pledge("eu-1", 8_000_000), 1))
	publish("us.com", nil)

	for _, who := range []string{"sy.com", "il.com", "il.mil"} {
		read := readAll(f, who)
		for _, secret := range []string{"12345678", "13000000", "25000000", "20000000", "8000000", "7000000", "Disbursed as turbines arrive", `"funder":"jo"`, `"funder":"gf"`} {
			if bytes.Contains(read, []byte(secret)) {
				t.Errorf("%s reads %s of a confidential pledge", who, secret)
			}
		}
	}
	// A funder reads its own pledge, never another's.
	if _, ok := deskstest.Get[commerce.Pledge](f, f.ViewOf("gf.com"), commerce.ObjPledge, "jo-1"); ok {
		t.Error("one funder reads another's pledge")
	}
	if _, ok := deskstest.Get[commerce.Pledge](f, f.ViewOf("jo.com"), commerce.ObjPledge, "jo-1"); !ok {
		t.Error("a funder does not read its own pledge")
	}
}

// A funder that discloses names itself and restates its pledge, which
// every party then reads; the disclosed pledge leaves the confidential
// total.
func TestDisclosure(t *testing.T) {
	f := newFixture(t)
	f.OK("il.com", commerce.KindProjectRegister, project("w"))
	f.OK("jo.com", commerce.KindPledgeMake, pledge("jo-1", 5_000_000))
	f.Fails(cell.ErrInvalid, "jo.com", commerce.KindPledgeDisclose, map[string]any{"pledge": "jo-1", "name": "Jordan", "amount": 4_000_000, "currency": "USD"})
	e := f.OK("jo.com", commerce.KindPledgeDisclose, map[string]any{"pledge": "jo-1", "name": "Hashemite Kingdom of Jordan", "amount": 5_000_000, "currency": "USD"})
	deskstest.WantAudience(t, e, "*")
	d, ok := deskstest.Get[commerce.Disclosure](f, f.ViewOf("sy.com"), commerce.ObjDisclosure, "jo-1")
	if !ok || d.Amount != 5_000_000 || d.Name != "Hashemite Kingdom of Jordan" {
		t.Errorf("the disclosure as Syria reads it: %+v, %v", d, ok)
	}
	if _, ok := deskstest.Get[commerce.Pledge](f, f.ViewOf("sy.com"), commerce.ObjPledge, "jo-1"); ok {
		t.Error("the pledge object itself widened to every party on disclosure")
	}
	fd, _, _, _ := commerce.Publishable(f.Ctx, f.St.View(deskstest.Cell), "w")
	if fd.Funders != 0 {
		t.Errorf("a disclosed pledge counts in the confidential total: %+v", fd)
	}
}

func readAll(f *deskstest.Fixture, who string) []byte {
	f.T.Helper()
	var buf bytes.Buffer
	for _, e := range f.Entries(who) {
		buf.Write(e.Envelope.Payload)
	}
	v := f.ViewOf(who)
	for _, kind := range []string{commerce.ObjProject, commerce.ObjPledge, commerce.ObjDisbursal, commerce.ObjDisclosure, commerce.ObjFunding, commerce.ObjFundingBase} {
		for _, parent := range []string{"", "w", "jo-1", "gf-1", "eu-1"} {
			os, err := v.List(f.Ctx, kind, parent, -1, 1000)
			if err != nil {
				f.T.Fatal(err)
			}
			for _, o := range os {
				buf.Write(o.Doc)
			}
		}
	}
	return buf.Bytes()
}

func TestBucket(t *testing.T) {
	for in, want := range map[int64]int64{0: 0, 7: 0, 99: 90, 100: 100, 12_345_678: 12_000_000, 39_345_678: 39_000_000, 999: 990} {
		if got := commerce.Bucket(in); got != want {
			t.Errorf("Bucket(%d) = %d, want %d", in, got, want)
		}
	}
}

// A gate that fails on a project in implementation alerts, once, those
// who read what fails; the project's page shows the alert.
func TestGateAlert(t *testing.T) {
	f := newFixture(t)
	p := project("ski", map[string]any{"kind": "zone_quiet", "zone": "econ", "days": 0})
	f.OK("il.com", commerce.KindProjectRegister, p)
	for _, st := range []string{commerce.Feasibility, commerce.Financing, commerce.Implementation} {
		p["project"].(map[string]any)["stage"] = st
		f.OK("il.com", commerce.KindProjectUpdate, restated(p, version(f, "il.com", "ski")))
	}
	incident(f, "sy.mil", []string{"il"}, time.Now().Add(-time.Hour).Truncate(time.Second))
	// The watch's clock is the test's: it judges the gates a period after
	// it starts, and each period after that.
	clk := time.Now()
	cfg := watch.Config{Ledger: f.Led, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clk }, GateEvery: time.Minute}
	w, err := watch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tick := func(w *watch.Watch) {
		t.Helper()
		if err := w.Tick(f.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	tick(w)
	if as, _ := commerce.Alerts(f.Ctx, f.ViewOf("us.com"), "ski"); len(as) != 0 {
		t.Fatalf("the watch alerted the moment it started, before a period passed: %+v", as)
	}
	clk = clk.Add(time.Minute)
	tick(w)
	tick(w)
	as, err := commerce.Alerts(f.Ctx, f.ViewOf("il.com"), "ski")
	if err != nil || len(as) != 1 || !strings.Contains(as[0].Reason, "Drone over the ridge") || as[0].NotifyRoles[0] != cell.RoleCommercial {
		t.Fatalf("Israel's alerts of the ski resort: %+v, %v", as, err)
	}
	if as, _ := commerce.Alerts(f.Ctx, f.ViewOf("jo.com"), "ski"); len(as) != 0 {
		t.Errorf("the observer, who does not read the incident, reads its alert: %+v", as)
	}
	// Another node (or this one restarted) judges again: once per failure.
	w2, err := watch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	clk = clk.Add(time.Minute)
	tick(w2)
	if as, _ := commerce.Alerts(f.Ctx, f.ViewOf("us.com"), "ski"); len(as) != 1 {
		t.Errorf("the alert fired %d times", len(as))
	}
}

// No funder learns of another's pledge by trying its id: a funder's ids
// start with its own party's, so one refused as taken is its own.
func TestPledgeIDsAreTheFunders(t *testing.T) {
	f := newFixture(t)
	f.OK("il.com", commerce.KindProjectRegister, project("w"))
	f.OK("jo.com", commerce.KindPledgeMake, pledge("jo-1", 1_000))
	f.Fails(cell.ErrInvalid, "gf.com", commerce.KindPledgeMake, pledge("jo-1", 1_000))
	f.Fails(cell.ErrInvalid, "gf.com", commerce.KindPledgeMake, pledge("w-1", 1_000))
	f.Fails(cell.ErrConflict, "jo.com", commerce.KindPledgeMake, pledge("jo-1", 2_000))
}

// A colleague at the funder who changes a pledge from a page read before
// another's change is refused, told which version stands, whose it is and
// at which entry, rather than silently undoing it; an update that does not
// say what it amends is refused too. The first update amends the pledge as
// it was made, and a disbursal between a reading and an update does not
// make the update stale: the update keeps what the disbursal recorded.
func TestPledgeUpdateFromAStaleReading(t *testing.T) {
	f := newFixture(t)
	f.OK("il.com", commerce.KindProjectRegister, project("w"))
	made := f.OK("jo.com", commerce.KindPledgeMake, pledge("jo-1", 5_000_000))
	if v := versionOf(f, "jo.com", commerce.ObjPledge, "jo-1"); v != 1 {
		t.Fatalf("a pledge as made is at version %d, want 1", v)
	}
	f.Fails(cell.ErrInvalid, "jo.com", commerce.KindPledgeUpdate, pledge("jo-1", 6_000_000))
	f.Fails(cell.ErrConflict, "jo.com", commerce.KindPledgeUpdate, restated(pledge("jo-1", 6_000_000), 2))

	// Both colleagues read version 1. A tranche is paid, and then the
	// finance officer's change lands first.
	f.OK("jo.com", commerce.KindPledgeDisburse, map[string]any{"pledge": "jo-1", "amount": 1_000_000, "date": "2026-12-01"})
	first := f.OK("jo.fin", commerce.KindPledgeUpdate, restated(pledge("jo-1", 6_000_000), 1))
	err := f.Fails(cell.ErrConflict, "jo.com", commerce.KindPledgeUpdate, restated(pledge("jo-1", 4_000_000), 1))
	var stale *commerce.Stale
	if !errors.As(err, &stale) || stale.Pledge != "jo-1" || stale.Project != "" || stale.Version != 2 || stale.Read != 1 ||
		stale.By != "jo.fin" || stale.Entry != first.Index || !stale.At.Equal(first.Time) {
		t.Fatalf("the stale update's refusal: %v (%+v; the change it missed is entry %d at %v)", err, stale, first.Index, first.Time)
	}
	for _, want := range []string{"pledge jo-1 is at version 2", fmt.Sprintf("entry %d", first.Index), "by jo.fin", "not 1", "read it again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	p, _ := deskstest.Get[commerce.Pledge](f, f.ViewOf("jo.com"), commerce.ObjPledge, "jo-1")
	if p.Amount != 6_000_000 || p.Member != "jo.fin" || p.Disbursed != 1_000_000 {
		t.Errorf("the finance officer's change or the disbursal was lost: %+v", p)
	}
	if p.Entry == made.Index || p.Changed != first.Index {
		t.Errorf("the pledge's last version is entry %d and its amount changed at %d, want %d for both", p.Entry, p.Changed, first.Index)
	}
	// Read again, the change goes through on top of the colleague's. An
	// update that says "disclosed" does not disclose: that is
	// pledge.disclose's, which names the funder to every party.
	again := restated(pledge("jo-1", 4_000_000), versionOf(f, "jo.com", commerce.ObjPledge, "jo-1"))
	again["pledge"].(map[string]any)["disclosed"] = true
	f.OK("jo.com", commerce.KindPledgeUpdate, again)
	if p, _ := deskstest.Get[commerce.Pledge](f, f.ViewOf("us.com"), commerce.ObjPledge, "jo-1"); p.Version != 3 || p.Amount != 4_000_000 || p.Member != "jo.com" || p.Disbursed != 1_000_000 || p.Disclosed {
		t.Errorf("the pledge after the update read again: %+v", p)
	}
}

// A project's documents are checked as a message's attachments are: the
// actor's party uploaded the file. Listed, every party may download it;
// dropped from the project, no longer through it.
func TestProjectDocuments(t *testing.T) {
	f := newFixture(t)
	sha := strings.Repeat("ab", 32)
	withDoc := func(id string) map[string]any {
		p := project(id)
		p["project"].(map[string]any)["documents"] = []map[string]any{{"sha256": sha, "name": "feasibility.pdf"}}
		return p
	}
	f.Fails(cell.ErrInvalid, "il.com", commerce.KindProjectRegister, withDoc("w"))
	if _, err := f.Led.SubmitServer(f.Ctx, deskstest.Cell, hotline.KindAttachmentUpload, map[string]any{"id": "up-1", "sha256": sha, "size": 10, "party": "il", "member": "il.com"}); err != nil {
		t.Fatal(err)
	}
	f.Fails(cell.ErrInvalid, "sy.com", commerce.KindProjectRegister, withDoc("x"))
	f.OK("il.com", commerce.KindProjectRegister, withDoc("w"))
	for _, who := range []string{"sy.com", "jo.com"} {
		refs, err := f.ViewOf(who).List(f.Ctx, hotline.ObjAttachment, sha, -1, 10)
		if err != nil || len(refs) != 1 {
			t.Errorf("%s does not find the project's document to download: %v, %v", who, refs, err)
		}
	}
	without := project("w")
	without["project"].(map[string]any)["stage"] = commerce.Concept
	f.OK("il.com", commerce.KindProjectUpdate, restated(without, 1))
	if refs, _ := f.ViewOf("sy.com").List(f.Ctx, hotline.ObjAttachment, sha, -1, 10); len(refs) != 0 {
		t.Errorf("a document dropped from the project is still downloadable through it: %v", refs)
	}
}

// An officer who edits a project from a page read before someone else's
// update is refused, told which version stands and whose it is, rather
// than silently undoing it; an update that does not say what it amends is
// refused too.
func TestProjectUpdateFromAStaleReading(t *testing.T) {
	f := newFixture(t)
	f.OK("il.com", commerce.KindProjectRegister, project("w"))
	read := version(f, "il.com", "w") // both read version 1
	mediator := project("w")
	mediator["project"].(map[string]any)["stage"] = commerce.Concept
	mediator["project"].(map[string]any)["title"] = "Ridge wind farm, as the mediator renamed it"
	f.OK("us.com", commerce.KindProjectUpdate, restated(mediator, read))

	israel := project("w")
	israel["project"].(map[string]any)["stage"] = commerce.Concept
	israel["project"].(map[string]any)["description"] = "Turbines on the ridge, and a substation."
	err := f.Fails(cell.ErrConflict, "il.com", commerce.KindProjectUpdate, restated(israel, read))
	var stale *commerce.Stale
	if !errors.As(err, &stale) || stale.Project != "w" || stale.Version != 2 || stale.Read != 1 || stale.By != "us.com" {
		t.Fatalf("the stale update's refusal: %v (%+v)", err, stale)
	}
	for _, want := range []string{"version 2", "not 1", "us.com", "read it again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	if p, _ := deskstest.Get[commerce.Project](f, f.ViewOf("sy.com"), commerce.ObjProject, "w"); p.Title != "Ridge wind farm, as the mediator renamed it" {
		t.Errorf("the mediator's change was lost: %q", p.Title)
	}
	delete(israel["project"].(map[string]any), "version")
	f.Fails(cell.ErrInvalid, "il.com", commerce.KindProjectUpdate, israel)
	// Read again, the change goes through on top of the mediator's.
	f.OK("il.com", commerce.KindProjectUpdate, restated(israel, version(f, "il.com", "w")))
}

// A project's site is a place inside its zone: one that does not even
// touch the zone is refused as the mistake it is.
func TestProjectSiteLiesInItsZone(t *testing.T) {
	f := newFixture(t)
	for _, s := range []struct {
		id  string
		lng float64
	}{{"village", 35.85}, {"far-village", 36.3}} {
		f.OK("us.mil", deconflict.KindZonePropose, map[string]any{"zone": map[string]any{"id": s.id, "name": "Village " + s.id, "kind": deconflict.ZoneProtected,
			"geometry": json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%v,33.05]}`, s.lng)), "radius_m": 300}})
	}
	at := func(id, site string) map[string]any {
		p := project(id)
		p["project"].(map[string]any)["site"] = site
		return p
	}
	err := f.Fails(cell.ErrInvalid, "il.com", commerce.KindProjectRegister, at("w", "far-village"))
	if !strings.Contains(err.Error(), `site "far-village" lies outside zone "econ"`) {
		t.Errorf("the refusal of a site outside the zone: %v", err)
	}
	f.OK("il.com", commerce.KindProjectRegister, at("w", "village"))
}

// A gate on a commitment fails from the entry that set the commitment's
// status, the one thing the diplomatic desk keeps of when: the project
// says so, and each time the commitment falls back at risk is a failure
// of its own, alerted once.
func TestCommitmentGateFailsFromTheStatusEntry(t *testing.T) {
	f := newFixture(t)
	f.OK("us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": map[string]any{"id": "paris", "title": "Paris arrangement", "authoritative": "en",
		"articles": []map[string]any{{"number": "1", "texts": map[string]string{"en": "The parties keep the zone demilitarized."}}}}})
	f.OK("us.dip", diplomacy.KindCommitmentCreate, map[string]any{"commitment": map[string]any{"id": "pullback", "kind": "commitment", "title": "Pull back the guns",
		"article": map[string]any{"agreement": "paris", "article": "1"}, "party": "sy",
		"milestones": []map[string]any{{"id": "declared", "title": "Declare the guns withdrawn", "due": time.Now().Add(20 * 24 * time.Hour).UTC().Format(time.RFC3339)}}}})
	status := func(st string) int64 {
		return f.OK("us.dip", diplomacy.KindCommitmentStatus, map[string]any{"commitment": "pullback", "milestone": "declared", "status": st, "reason": "As reported."}).Index
	}
	p := project("depot", map[string]any{"kind": "commitment", "commitment": "pullback"})
	f.OK("il.com", commerce.KindProjectRegister, p)
	for _, st := range []string{commerce.Feasibility, commerce.Financing, commerce.Implementation} {
		p["project"].(map[string]any)["stage"] = st
		f.OK("il.com", commerce.KindProjectUpdate, restated(p, version(f, "il.com", "depot")))
	}
	clk := time.Now()
	w, err := watch.New(watch.Config{Ledger: f.Led, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return clk }, GateEvery: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	judge := func() {
		t.Helper()
		clk = clk.Add(time.Minute)
		if err := w.Tick(f.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	first := status(diplomacy.AtRisk)
	d, err := commerce.GetProject(f.Ctx, f.ViewOf("sy.com"), "depot", time.Now())
	if err != nil || d.States[1].Gates[0].Holds || d.States[1].Gates[0].Cause != first {
		t.Fatalf("the gate on the commitment at risk: %+v, %v (want it failing from entry %d)", d.States[1].Gates, err, first)
	}
	judge()
	status(diplomacy.OnTrack)
	judge()
	again := status(diplomacy.AtRisk)
	judge()
	judge()
	as, err := commerce.Alerts(f.Ctx, f.ViewOf("il.com"), "depot")
	if err != nil || len(as) != 2 || as[0].Cause != again || as[1].Cause != first {
		t.Fatalf("the alerts of the commitment at risk twice: %+v, %v", as, err)
	}
	st, err := commerce.Standing(f.Ctx, f.ViewOf("il.com"), time.Now())
	if err != nil || len(st) != 1 || st[0].Cause != again {
		t.Errorf("the alerts that stand: %+v, %v", st, err)
	}
}

// A gate on a zone the parties have not agreed fails from the zone's
// first proposal: the page can say since when.
func TestUnagreedZoneGateFailsFromItsProposal(t *testing.T) {
	f := newFixture(t)
	proposed := f.OK("us.mil", deconflict.KindZonePropose, map[string]any{"zone": map[string]any{"id": "north", "name": "North zone", "kind": "economic",
		"geometry": json.RawMessage(`{"type":"Polygon","coordinates":[[[35.8,33.2],[35.9,33.2],[35.9,33.3],[35.8,33.3],[35.8,33.2]]]}`)}}).Index
	f.OK("il.com", commerce.KindProjectRegister, project("w", map[string]any{"kind": "zone_quiet", "zone": "north", "days": 7}))
	d, err := commerce.GetProject(f.Ctx, f.ViewOf("sy.com"), "w", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if g := d.States[1].Gates[0]; g.Holds || !strings.Contains(g.Reason, "not agreed") || g.Cause != proposed {
		t.Errorf("the gate on the unagreed zone: %+v, want failing from entry %d", g, proposed)
	}
}
