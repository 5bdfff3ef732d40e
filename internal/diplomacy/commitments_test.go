package diplomacy_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/dues"
)

// withZones records the Paris arrangement and two agreed zones a
// withdrawal can name.
func withZones(t *testing.T, f *fixture) {
	t.Helper()
	f.OK("us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": paris()})
	f.OK("us.admin", cell.KindCellSettings, map[string]any{"settings": map[string]any{
		"region": map[string]float64{"south": 32.5, "west": 35.5, "north": 33.5, "east": 36.5}}})
	for _, z := range []string{"line-a", "area-b"} {
		g := json.RawMessage(`{"type":"Polygon","coordinates":[[[35.8,33.0],[35.9,33.0],[35.9,33.1],[35.8,33.1],[35.8,33.0]]]}`)
		if z == "area-b" {
			g = json.RawMessage(`{"type":"Polygon","coordinates":[[[35.9,33.0],[36.0,33.0],[36.0,33.1],[35.9,33.1],[35.9,33.0]]]}`)
		}
		f.OK("us.mil", deconflict.KindZonePropose, map[string]any{"zone": map[string]any{"id": z, "name": z, "kind": "limitation", "geometry": g}})
	}
}

func timetable(due1, due2 time.Time) map[string]any {
	return map[string]any{"commitment": map[string]any{"id": "withdrawal", "kind": "withdrawal", "title": "Withdrawal timetable",
		"article": map[string]any{"agreement": "paris", "article": "2"}, "party": "il",
		"milestones": []map[string]any{
			{"id": "phase-1", "title": "Vacate area B", "due": due1.Format(time.RFC3339), "zone": "area-b"},
			{"id": "phase-2", "title": "Withdraw to line A", "due": due2.Format(time.RFC3339), "zone": "line-a"},
		}}}
}

// A withdrawal timetable: phases with zones and dates, each awaited of the
// responsible side; the mediator reports on a phase and the other side
// signs it off; statuses come with their reasons and entries, and only
// the mediator sets a breach or a fulfilment.
func TestWithdrawalTimetable(t *testing.T) {
	f := newFixture(t)
	withZones(t, f)
	now := time.Now().UTC().Truncate(time.Second)
	tt := timetable(now.Add(48*time.Hour), now.Add(30*24*time.Hour))
	f.Fails(cell.ErrForbidden, "il.dip", diplomacy.KindCommitmentCreate, tt)
	bad := timetable(now, now)
	bad["commitment"].(map[string]any)["milestones"].([]map[string]any)[0]["zone"] = "nowhere"
	f.Fails(cell.ErrInvalid, "us.dip", diplomacy.KindCommitmentCreate, bad)
	e := f.OK("us.dip", diplomacy.KindCommitmentCreate, tt)
	wantAudience(t, e, "il", "sy", "us")
	if _, ok := obj[diplomacy.Commitment](f, f.view("jo"), diplomacy.ObjCommitment, "withdrawal"); ok {
		t.Error("an observer reads the sides' commitment")
	}
	d, ok := obj[dues.Due](f, f.view("il"), dues.ObjDue, dues.ItemID(diplomacy.DueMilestone, e.Index, "phase-1", "il"))
	if !ok || !d.DueAt().Equal(now.Add(48*time.Hour)) {
		t.Fatalf("Israel's due on phase 1: %+v, %v", d, ok)
	}

	status := func(m, st, reason string) map[string]any {
		return map[string]any{"commitment": "withdrawal", "milestone": m, "status": st, "reason": reason}
	}
	f.Fails(cell.ErrInvalid, "il.dip", diplomacy.KindCommitmentStatus, status("phase-1", "on_track", ""))
	f.OK("il.dip", diplomacy.KindCommitmentStatus, status("phase-1", "on_track", "the units have orders to move"))
	f.Fails(cell.ErrForbidden, "il.dip", diplomacy.KindCommitmentStatus, status("phase-1", "fulfilled", "we say so"))
	f.Fails(cell.ErrForbidden, "sy.dip", diplomacy.KindCommitmentStatus, status("phase-1", "breached", "we say so"))
	se := f.OK("us.dip", diplomacy.KindCommitmentStatus, status("phase-2", "at_risk", "no orders seen"))
	c, _ := obj[diplomacy.Commitment](f, f.view("sy"), diplomacy.ObjCommitment, "withdrawal")
	if c.Milestones[1].Status != "at_risk" || c.Milestones[1].Entry != se.Index || c.Milestones[1].Reason != "no orders seen" || c.Status() != "at_risk" {
		t.Errorf("after the mediator's status: %+v", c.Milestones[1])
	}

	report := map[string]any{"commitment": "withdrawal", "milestone": "phase-1", "complete": true, "text": "Area B inspected: vacated."}
	f.Fails(cell.ErrConflict, "sy.dip", diplomacy.KindPhaseSignoff, map[string]any{"commitment": "withdrawal", "milestone": "phase-1", "accept": true})
	f.Fails(cell.ErrForbidden, "il.dip", diplomacy.KindPhaseReport, report)
	f.OK("us.dip", diplomacy.KindPhaseReport, report)
	if _, ok := obj[dues.Due](f, f.view("sy"), dues.ObjDue, dues.ItemID(diplomacy.DueSignoff, e.Index, "phase-1", "sy")); !ok {
		t.Fatal("Syria owes no sign-off")
	}
	f.Fails(cell.ErrForbidden, "il.dip", diplomacy.KindPhaseSignoff, map[string]any{"commitment": "withdrawal", "milestone": "phase-1", "accept": true})
	f.Fails(cell.ErrForbidden, "sy.mil", diplomacy.KindPhaseSignoff, map[string]any{"commitment": "withdrawal", "milestone": "phase-1", "accept": true})
	f.Fails(cell.ErrInvalid, "sy.dip", diplomacy.KindPhaseSignoff, map[string]any{"commitment": "withdrawal", "milestone": "phase-1", "accept": false})
	f.OK("sy.dip", diplomacy.KindPhaseSignoff, map[string]any{"commitment": "withdrawal", "milestone": "phase-1", "accept": true})
	c, _ = obj[diplomacy.Commitment](f, f.view("il"), diplomacy.ObjCommitment, "withdrawal")
	if c.Milestones[0].Status != "fulfilled" || c.Milestones[0].Signoff == nil || c.Milestones[0].Signoff.Party != "sy" {
		t.Errorf("phase 1 after the sign-off: %+v", c.Milestones[0])
	}
	for _, id := range []string{dues.ItemID(diplomacy.DueMilestone, e.Index, "phase-1", "il"), dues.ItemID(diplomacy.DueSignoff, e.Index, "phase-1", "sy")} {
		if _, ok := obj[dues.Due](f, f.view(""), dues.ObjDue, id); ok {
			t.Errorf("still owed after the sign-off: %s", id)
		}
	}
	if _, ok := obj[dues.Due](f, f.view(""), dues.ObjDue, dues.ItemID(diplomacy.DueMilestone, e.Index, "phase-2", "il")); !ok {
		t.Error("phase 2 is no longer owed")
	}
	f.Fails(cell.ErrConflict, "us.dip", diplomacy.KindCommitmentStatus, status("phase-1", "breached", "after all"))
}

// An overdue milestone escalates like an unacknowledged FLASH: the watch
// writes the escalation, for the commitment's audience.
func TestOverdueMilestoneEscalates(t *testing.T) {
	f := newFixture(t)
	withZones(t, f)
	now := time.Now().UTC()
	e := f.OK("us.dip", diplomacy.KindCommitmentCreate, timetable(now.Add(-25*time.Hour), now.Add(24*time.Hour)))
	tick(t, f)
	esc := escalations(t, f, "il")
	if len(esc) != 2 || esc[0].Item != "phase-1" || esc[0].Ref != e.Index || esc[1].Level != 2 {
		t.Fatalf("escalations of the overdue phase: %+v", esc)
	}
	if len(escalations(t, f, "jo")) != 0 {
		t.Error("the observer sees the sides' escalations")
	}
}
