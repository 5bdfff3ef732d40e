package intel_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks/deskstest"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/stix/stixgen"
	"github.com/liaison-cell/liaison/internal/watch"
)

var members = []seed.MemberSpec{
	{ID: "us.intel", Party: "us", Name: "Mediator analyst", Roles: []string{cell.RoleIntelligence}},
	{ID: "us.intel2", Party: "us", Name: "Mediator second analyst", Roles: []string{cell.RoleIntelligence}},
	{ID: "us.duty", Party: "us", Name: "Mediator duty", Roles: []string{cell.RoleDuty}},
	{ID: "us.mil", Party: "us", Name: "Mediator military", Roles: []string{cell.RoleMilitary}},
	{ID: "il.intel", Party: "il", Name: "IL analyst", Roles: []string{cell.RoleIntelligence}},
	{ID: "il.duty", Party: "il", Name: "IL duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
	{ID: "sy.intel", Party: "sy", Name: "SY analyst", Roles: []string{cell.RoleIntelligence}},
	{ID: "sy.intel_2", Party: "sy", Name: "SY second analyst", Roles: []string{cell.RoleIntelligence}},
	{ID: "sy.duty", Party: "sy", Name: "SY duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
	{ID: "jo.intel", Party: "jo", Name: "JO analyst", Roles: []string{cell.RoleIntelligence}},
}

func newFixture(t *testing.T) *deskstest.Fixture {
	return deskstest.New(t, members, cell.Settings{})
}

var created = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

func report(seed, tlp string) stixgen.Report {
	return stixgen.Report{
		Name: "Launch cell near Quneitra " + seed, Description: "A rocket team observed preparing launches.",
		TLP: tlp, Actor: "Unit 840 " + seed, Created: created, Seed: seed,
		Indicators: []stixgen.Indicator{{Name: "C2 relay " + seed, Pattern: "[ipv4-addr:value = '198.51.100.7']"}},
		Locations:  []stixgen.Location{{Name: "Farm " + seed, Lat: 33.1234, Lon: 35.8234, Address: "2 Orchard Road, Khan Arnabah"}},
	}
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func submit(f *deskstest.Fixture, who, title string, bundle []byte, extra map[string]any) int64 {
	f.T.Helper()
	fields := map[string]any{"title": title, "bundle": json.RawMessage(bundle)}
	for k, v := range extra {
		fields[k] = v
	}
	return f.OK(who, intel.KindSubmit, fields).Index
}

// gate runs a release through the four eyes: proposed by us.intel,
// approved and published by us.intel2. It returns the proposal's id.
func gate(f *deskstest.Fixture, sub int64, fields map[string]any) string {
	f.T.Helper()
	id := newID()
	p := map[string]any{"proposal": id, "submission": sub, "decision": intel.Release}
	for k, v := range fields {
		p[k] = v
	}
	f.OK("us.intel", intel.KindPropose, p)
	f.OK("us.intel2", intel.KindApprove, approval(f, id))
	f.OK("us.intel2", intel.KindRelease, map[string]any{"proposal": id, "title": "Released report", "bundle": draft(f, id)})
	return id
}

// approval is what approving proposal id signs: the proposal restated.
func approval(f *deskstest.Fixture, id string) map[string]any {
	f.T.Helper()
	p, ok := deskstest.Get[intel.Proposal](f, f.ViewOf("us.duty"), intel.ObjProposal, id)
	if !ok {
		f.T.Fatalf("no proposal %s", id)
	}
	return intel.Approval(p)
}

// draft is what proposal id releases, as the publishing member signs it.
func draft(f *deskstest.Fixture, id string) json.RawMessage {
	f.T.Helper()
	b, err := intel.Draft(f.Ctx, f.ViewOf("us.intel2"), id)
	if err != nil {
		f.T.Fatalf("the draft of %s: %v", id, err)
	}
	return b
}

// readBytes is everything member reads, of the log and of the desk's
// projections: what must not hold a byte it should not.
func readBytes(f *deskstest.Fixture, member string) []byte {
	f.T.Helper()
	var buf bytes.Buffer
	for _, e := range f.Entries(member) {
		buf.Write(e.Envelope.Payload)
	}
	v := f.ViewOf(member)
	for _, kind := range []string{intel.ObjSubmission, intel.ObjBundle, intel.ObjProposal, intel.ObjRelease, intel.ObjDerivation, intel.ObjObject, intel.ObjCurrent, dues.ObjDue} {
		for _, parent := range []string{"", intel.CollParent, "il", "sy", "us", "jo", intel.Submitted("il"), intel.Submitted("sy"), intel.Released("il"), intel.Released("sy"), intel.Released("jo")} {
			os, err := v.List(f.Ctx, kind, parent, -1, 100_000)
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

// uuidsOf lists the UUIDs of a bundle's objects other than the standard
// markings: what a sanitized derivative must not reveal.
func uuidsOf(t *testing.T, bundle []byte) []string {
	var b struct {
		Objects []struct {
			ID string `json:"id"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range b.Objects {
		out = append(out, o.ID[strings.Index(o.ID, "--")+2:])
	}
	return out
}

func TestSubmissionIsTheSubmittersAndTheMediators(t *testing.T) {
	f := newFixture(t)
	b := report("a", stixgen.TLPAmber).Bundle()
	sub := submit(f, "il.intel", "Launch cell", b, nil)
	e := f.Entries("il.duty")
	deskstest.WantAudience(t, e[len(e)-1], "il", "us")
	s, ok := deskstest.Get[intel.Submission](f, f.ViewOf("il.duty"), intel.ObjSubmission, itoa(sub))
	if !ok || s.Status != intel.StatusSubmitted || s.TLP != "TLP:AMBER" || s.Count != 6 || s.Types["indicator"] != 1 {
		t.Fatalf("the submitter's view of its submission: %+v, %v", s, ok)
	}
	for _, who := range []string{"sy.intel", "sy.duty", "jo.intel"} {
		if bytes.Contains(readBytes(f, who), []byte("Quneitra")) {
			t.Errorf("%s reads Israel's submission before any release", who)
		}
	}
	// The review is owed by the mediator, and only the mediator sees it escalate.
	due := dues.ID(intel.DueReview, sub, "us")
	if _, ok := deskstest.Get[dues.Due](f, f.ViewOf("us.duty"), dues.ObjDue, due); !ok {
		t.Error("the mediator's duty officer does not see the review it owes")
	}
	if _, ok := deskstest.Get[dues.Due](f, f.ViewOf("il.duty"), dues.ObjDue, due); ok {
		t.Error("the submitter reads the mediator's internal review deadline")
	}
	objs, err := f.ViewOf("il.duty").List(f.Ctx, intel.ObjCurrent, intel.Submitted("il"), -1, 100)
	if err != nil || len(objs) != 6 {
		t.Errorf("Israel's submitted collection holds %d objects, %v; want 6", len(objs), err)
	}
}

func TestFourEyesAndTheSanitizedRelease(t *testing.T) {
	f := newFixture(t)
	b := report("b", stixgen.TLPAmber).Bundle()
	sub := submit(f, "il.intel", "Launch cell", b, nil)
	id := newID()
	propose := map[string]any{"proposal": id, "submission": sub, "decision": intel.Release, "to": []string{"sy"},
		"sanitize": map[string]any{"location_km": 10, "remove_types": []string{"threat-actor"}},
		"reason":   "the launch site matters to Syria; the unit's name does not"}
	f.Fails(cell.ErrForbidden, "il.intel", intel.KindPropose, propose)
	f.Fails(cell.ErrForbidden, "us.mil", intel.KindPropose, propose)
	f.OK("us.intel", intel.KindPropose, propose)
	f.Fails(cell.ErrForbidden, "us.intel", intel.KindApprove, approval(f, id))
	// The approval restates the proposal as it stands, or the submitter
	// would read what nobody signed.
	wrong := approval(f, id)
	wrong["to"] = []string{"sy", "jo"}
	f.Fails(cell.ErrInvalid, "us.intel2", intel.KindApprove, wrong)
	wrong = approval(f, id)
	wrong["reason"] = "the launch site matters to Syria; the unit's name does not"
	f.Fails(cell.ErrInvalid, "us.intel2", intel.KindApprove, wrong)
	f.Fails(cell.ErrConflict, "us.intel2", intel.KindRelease, map[string]any{"proposal": id, "title": "t", "bundle": json.RawMessage(b)})
	f.OK("us.intel2", intel.KindApprove, approval(f, id))
	// The submitter learns the decision, and who took it.
	s, _ := deskstest.Get[intel.Submission](f, f.ViewOf("il.intel"), intel.ObjSubmission, itoa(sub))
	if s.Status != intel.StatusReleased || s.Decision == nil || s.Decision.ProposedBy != "us.intel" || s.Decision.ApprovedBy != "us.intel2" || !s.Decision.Sanitized {
		t.Fatalf("the submitter's view after approval: %+v %+v", s, s.Decision)
	}
	if _, ok := deskstest.Get[dues.Due](f, f.ViewOf("us.duty"), dues.ObjDue, dues.ID(intel.DueReview, sub, "us")); ok {
		t.Error("the review is still owed after the decision")
	}
	// The publishing member signs exactly what the proposal releases: not
	// the original, not nothing.
	f.Fails(cell.ErrInvalid, "us.intel2", intel.KindRelease, map[string]any{"proposal": id, "title": "t"})
	f.Fails(cell.ErrInvalid, "us.intel2", intel.KindRelease, map[string]any{"proposal": id, "title": "t", "bundle": json.RawMessage(b)})
	dr := draft(f, id)
	if _, err := intel.Draft(f.Ctx, f.ViewOf("sy.duty"), id); err == nil {
		t.Error("Syria reads the draft of a release before it is published")
	}
	rel := f.OK("us.intel2", intel.KindRelease, map[string]any{"proposal": id, "title": "Launch positions", "bundle": dr})
	deskstest.WantAudience(t, rel, "sy", "us")
	f.Fails(cell.ErrConflict, "us.intel2", intel.KindRelease, map[string]any{"proposal": id, "title": "Launch positions", "bundle": dr})

	info, ok := deskstest.Get[intel.ReleaseInfo](f, f.ViewOf("sy.duty"), intel.ObjRelease, id)
	if !ok || info.TLP != "TLP:AMBER" || info.Types["threat-actor"] != 0 || info.Types["location"] != 1 {
		t.Fatalf("Syria's view of the release: %+v, %v", info, ok)
	}
	objs, err := f.ViewOf("sy.duty").List(f.Ctx, intel.ObjCurrent, intel.Released("sy"), -1, 100)
	if err != nil || len(objs) != info.Count {
		t.Fatalf("Syria's released collection: %d objects, %v; the release says %d", len(objs), err, info.Count)
	}
	sy := readBytes(f, "sy.duty")
	for _, u := range uuidsOf(t, b) {
		if bytes.Contains(sy, []byte(u)) {
			t.Errorf("Syria reads the original id %s, which links the derivative to Israel's report", u)
		}
	}
	for _, secret := range []string{"Orchard Road", "Unit 840", "33.1234"} {
		if bytes.Contains(sy, []byte(secret)) {
			t.Errorf("Syria reads %q, which the sanitized release removed", secret)
		}
	}
	if _, ok := deskstest.Get[intel.Derivation](f, f.ViewOf("sy.duty"), intel.ObjDerivation, id); ok {
		t.Error("Syria reads the link from the derivative to its original")
	}
	d, ok := deskstest.Get[intel.Derivation](f, f.ViewOf("us.duty"), intel.ObjDerivation, id)
	if !ok || d.Submission != sub || len(d.IDs) == 0 {
		t.Errorf("the mediator's link to the original: %+v, %v", d, ok)
	}
	for _, who := range []string{"il.intel", "jo.intel"} {
		if _, ok := deskstest.Get[intel.ReleaseInfo](f, f.ViewOf(who), intel.ObjRelease, id); ok {
			t.Errorf("%s reads a release made to Syria", who)
		}
	}
	if bytes.Contains(readBytes(f, "jo.intel"), []byte("launch")) {
		t.Error("the observer reads something of a release it was not given")
	}
}

func TestRedIsForNamedMembersOnly(t *testing.T) {
	f := newFixture(t)
	b := report("c", stixgen.TLPRed).Bundle()
	sub := submit(f, "il.intel", "Red report", b, nil)
	f.Fails(cell.ErrInvalid, "us.intel", intel.KindPropose, map[string]any{"proposal": newID(), "submission": sub, "decision": intel.Release, "to": []string{"sy"}})
	f.Fails(cell.ErrInvalid, "us.intel", intel.KindPropose, map[string]any{"proposal": newID(), "submission": sub, "decision": intel.Release, "members": []string{"us.duty"}})
	id := gate(f, sub, map[string]any{"members": []string{"sy.intel"}})
	if _, ok := deskstest.Get[intel.ReleaseInfo](f, f.ViewOf("sy.intel"), intel.ObjRelease, id); !ok {
		t.Fatal("the named analyst does not read the red release")
	}
	named := readBytes(f, "sy.intel")
	if !bytes.Contains(named, []byte("Quneitra")) {
		t.Error("the named analyst does not read the report's objects")
	}
	// A colleague, even one whose id the name would match as a LIKE
	// pattern, reads nothing of it: not the release, not its objects, not
	// the log's entry.
	for _, who := range []string{"sy.duty", "sy.intel_2", "il.duty", "jo.intel"} {
		if who != "il.duty" && bytes.Contains(readBytes(f, who), []byte("Quneitra")) {
			t.Errorf("%s reads the red report released to sy.intel alone", who)
		}
		if _, ok := deskstest.Get[intel.ReleaseInfo](f, f.ViewOf(who), intel.ObjRelease, id); ok {
			t.Errorf("%s reads the red release", who)
		}
		for _, e := range f.Entries(who) {
			if e.Envelope.Kind() == intel.KindRelease {
				t.Errorf("%s reads the red release's entry %d", who, e.Index)
			}
		}
	}
	if err := cell.May(f.Actor("sy.duty"), cell.ReadEntry, cell.Target{Entry: lastRelease(t, f, "sy.intel")}); err == nil {
		t.Error("the rule book lets sy.duty read the entry released to sy.intel")
	}
}

func lastRelease(t *testing.T, f *deskstest.Fixture, who string) *record.Entry {
	t.Helper()
	es := f.Entries(who)
	for i := len(es) - 1; i >= 0; i-- {
		if es[i].Envelope.Kind() == intel.KindRelease {
			return es[i]
		}
	}
	t.Fatalf("%s reads no release", who)
	return nil
}

func TestAmberStrictStaysWithinOneParty(t *testing.T) {
	f := newFixture(t)
	sub := submit(f, "il.intel", "Strict", report("d", stixgen.TLPAmberStrict).Bundle(), nil)
	f.Fails(cell.ErrInvalid, "us.intel", intel.KindPropose, map[string]any{"proposal": newID(), "submission": sub, "decision": intel.Release, "to": []string{"sy", "jo"}})
	f.Fails(cell.ErrInvalid, "us.intel", intel.KindPropose, map[string]any{"proposal": newID(), "submission": sub, "decision": intel.Release, "to": []string{"sy"}, "members": []string{"jo.intel"}})
	gate(f, sub, map[string]any{"to": []string{"sy"}})
}

func TestAnAnswerGoesBackThroughTheGateToTheSource(t *testing.T) {
	f := newFixture(t)
	sub := submit(f, "il.intel", "Launch cell", report("e", stixgen.TLPGreen).Bundle(), nil)
	rel := gate(f, sub, map[string]any{"to": []string{"sy"}, "sanitize": map[string]any{"location_km": 5}})
	objs, err := f.ViewOf("sy.intel").List(f.Ctx, intel.ObjCurrent, intel.Released("sy"), -1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var indicator string
	for _, o := range objs {
		var s intel.Stored
		json.Unmarshal(o.Doc, &s)
		if s.Type == "threat-actor" {
			indicator = s.ID
		}
	}
	f.Fails(cell.ErrInvalid, "jo.intel", intel.KindSubmit, map[string]any{"title": "x", "reply_to": rel,
		"bundle": json.RawMessage(stixgen.Sighting("j", indicator, stixgen.Location{Name: "x", Lat: 33, Lon: 36}, created, stixgen.TLPGreen, "x"))})
	answer := submit(f, "sy.intel", "Seen again", stixgen.Sighting("f", indicator, stixgen.Location{Name: "Hill 1", Lat: 33.2, Lon: 35.9}, created.Add(time.Hour), stixgen.TLPGreen, "moved north at dawn"), map[string]any{"reply_to": rel})
	if bytes.Contains(readBytes(f, "il.intel"), []byte("moved north")) {
		t.Fatal("Israel reads Syria's answer before the gate released it")
	}
	// No recipients named: the gate sends it back to the release's source.
	back := gate(f, answer, nil)
	info, ok := deskstest.Get[intel.ReleaseInfo](f, f.ViewOf("il.intel"), intel.ObjRelease, back)
	if !ok || info.Answer != rel || len(info.To) != 1 || info.To[0] != "il" {
		t.Fatalf("Israel's view of the answer: %+v, %v", info, ok)
	}
	if !bytes.Contains(readBytes(f, "il.intel"), []byte("moved north")) {
		t.Error("Israel does not read the answer released to it")
	}
}

func TestWithholdAndReturn(t *testing.T) {
	f := newFixture(t)
	sub := submit(f, "il.intel", "Thin", report("g", stixgen.TLPGreen).Bundle(), nil)
	f.Fails(cell.ErrInvalid, "us.intel", intel.KindPropose, map[string]any{"proposal": newID(), "submission": sub, "decision": intel.Withhold})
	first := newID()
	f.OK("us.intel", intel.KindPropose, map[string]any{"proposal": first, "submission": sub, "decision": intel.Withhold, "reason": "single source"})
	second := newID()
	f.OK("us.intel", intel.KindPropose, map[string]any{"proposal": second, "submission": sub, "decision": intel.Return, "reason": "Which sensor saw the launch?"})
	f.Fails(cell.ErrConflict, "us.intel2", intel.KindApprove, approval(f, first))
	e := f.OK("us.duty", intel.KindApprove, approval(f, second))
	deskstest.WantAudience(t, e, "il", "us")
	s, _ := deskstest.Get[intel.Submission](f, f.ViewOf("il.intel"), intel.ObjSubmission, itoa(sub))
	if s.Status != intel.StatusReturned || s.Decision.Reason != "Which sensor saw the launch?" {
		t.Errorf("the returned submission as its submitter reads it: %+v", s)
	}
	if _, ok := deskstest.Get[intel.Proposal](f, f.ViewOf("il.intel"), intel.ObjProposal, second); ok {
		t.Error("the submitter reads the mediator's internal proposal")
	}
	f.Fails(cell.ErrConflict, "us.intel", intel.KindPropose, map[string]any{"proposal": newID(), "submission": sub, "decision": intel.Withhold, "reason": "again"})
}

func TestUnknownMarkingsAreNotReleasedBlindly(t *testing.T) {
	f := newFixture(t)
	b := report("h", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b00").Bundle()
	sub := submit(f, "il.intel", "Odd marking", b, nil)
	s, _ := deskstest.Get[intel.Submission](f, f.ViewOf("us.intel"), intel.ObjSubmission, itoa(sub))
	if len(s.Unresolved) != 1 {
		t.Errorf("the submission's unresolved markings: %v", s.Unresolved)
	}
	f.Fails(cell.ErrInvalid, "us.intel", intel.KindPropose, map[string]any{"proposal": newID(), "submission": sub, "decision": intel.Release, "to": []string{"sy"}})
}

func TestStagedPostIsSignedByItsPoster(t *testing.T) {
	f := newFixture(t)
	b := report("i", stixgen.TLPGreen).Bundle()
	st, err := f.Led.SubmitServer(f.Ctx, deskstest.Cell, intel.KindStage, map[string]any{"id": "stage-1", "member": "il.intel", "sha256": intel.BundleHash(b), "count": 6})
	if err != nil {
		t.Fatal(err)
	}
	idx := st.Entry.Index
	f.Fails(cell.ErrInvalid, "il.duty", intel.KindSubmit, map[string]any{"title": "x", "bundle": json.RawMessage(b), "staged": idx})
	f.Fails(cell.ErrInvalid, "il.intel", intel.KindSubmit, map[string]any{"title": "x", "bundle": json.RawMessage(report("j", stixgen.TLPGreen).Bundle()), "staged": idx})
	sub := submit(f, "il.intel", "Posted from MISP", b, map[string]any{"staged": idx})
	s, ok := deskstest.Get[intel.Staged](f, f.ViewOf("il.intel"), intel.ObjStaged, itoa(idx))
	if !ok || s.Submission != sub {
		t.Errorf("the staged post after signing: %+v, %v", s, ok)
	}
	if _, ok := deskstest.Get[intel.Staged](f, f.ViewOf("sy.duty"), intel.ObjStaged, itoa(idx)); ok {
		t.Error("Syria reads Israel's staged post")
	}
	f.Fails(cell.ErrConflict, "il.intel", intel.KindSubmit, map[string]any{"title": "again", "bundle": json.RawMessage(b), "staged": idx})
}

func TestVersionsInACollection(t *testing.T) {
	f := newFixture(t)
	r := report("k", stixgen.TLPGreen)
	submit(f, "il.intel", "v1", r.Bundle(), nil)
	r2 := r
	r2.Created = created.Add(24 * time.Hour) // same ids, a later modified
	v2 := submit(f, "il.intel", "v2", r2.Bundle(), nil)
	submit(f, "il.intel", "v1 again, late", r.Bundle(), nil)
	id := stixgen.ID("indicator", "k", "C2 relay k")
	cur, ok := deskstest.Get[intel.Stored](f, f.ViewOf("il.intel"), intel.ObjCurrent, intel.CurrentID(intel.Submitted("il"), id))
	if !ok || cur.Version != stixgen.Stamp(r2.Created) || len(cur.Versions) != 2 {
		t.Errorf("the current version: %s of %v (%v)", cur.Version, cur.Versions, ok)
	}
	// TAXII serves by date added: the current version sits where the entry
	// that added it is, not where the first version was.
	o, err := f.ViewOf("il.intel").Get(f.Ctx, intel.ObjCurrent, intel.CurrentID(intel.Submitted("il"), id))
	if err != nil || o.Seq != v2 {
		t.Errorf("the current version's position is entry %d (%v), want %d, the entry that added it", o.Seq, err, v2)
	}
}

func TestBadBundlesAreRefused(t *testing.T) {
	f := newFixture(t)
	for name, b := range map[string]string{
		"not a bundle":    `{"type":"indicator"}`,
		"empty":           `{"type":"bundle","id":"bundle--6f9b5e8a-7c36-4b1e-9d3a-2b1f0c4e5d6a","objects":[]}`,
		"duplicate keys":  `{"type":"bundle","type":"bundle","id":"bundle--6f9b5e8a-7c36-4b1e-9d3a-2b1f0c4e5d6a","objects":[]}`,
		"spec version 20": `{"type":"bundle","id":"bundle--6f9b5e8a-7c36-4b1e-9d3a-2b1f0c4e5d6a","spec_version":"2.0","objects":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			f.Fails(cell.ErrInvalid, "il.intel", intel.KindSubmit, map[string]any{"title": "x", "bundle": json.RawMessage(b)})
		})
	}
	f.Fails(cell.ErrForbidden, "us.mil", intel.KindSubmit, map[string]any{"title": "x", "bundle": json.RawMessage(report("l", stixgen.TLPGreen).Bundle())})
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// A submission the gate leaves past the cell's review deadline escalates
// to the mediator's duty officers, then its admins, as an unacknowledged
// FLASH does; the submitter does not see the mediator's lateness.
func TestReviewDeadlineEscalates(t *testing.T) {
	f := deskstest.New(t, members, cell.Settings{Deadlines: map[string]int{intel.DueReview: 1}})
	sub := submit(f, "il.intel", "Waiting", report("m", stixgen.TLPGreen).Bundle(), nil)
	// Past twice the one-second deadline: both escalations are due. The
	// server's clock decides, so the test waits for it.
	time.Sleep(2100 * time.Millisecond)
	w, err := watch.New(watch.Config{Ledger: f.Led, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := w.Tick(f.Ctx); err != nil {
			t.Fatal(err)
		}
	}
	escalations := func(who string) []dues.Escalation {
		os, err := f.ViewOf(who).List(f.Ctx, dues.ObjEscalation, "", -1, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []dues.Escalation
		for _, o := range os {
			var e dues.Escalation
			json.Unmarshal(o.Doc, &e)
			out = append(out, e)
		}
		return out
	}
	esc := escalations("us.duty")
	if len(esc) != 2 || esc[0].Kind != intel.DueReview || esc[0].Ref != sub || esc[0].Party != "us" || esc[1].Level != 2 {
		t.Fatalf("the mediator's escalations of the late review: %+v", esc)
	}
	if got := escalations("il.duty"); len(got) != 0 {
		t.Errorf("the submitter reads the mediator's escalations: %+v", got)
	}
}
