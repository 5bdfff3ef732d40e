package diplomacy_test

import (
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// message sends a hotline message on a joint channel and returns its id,
// for a dispute to cite.
func channelFixture(t *testing.T, f *fixture) {
	t.Helper()
	for _, ch := range []hotline.Channel{
		{ID: "joint-dip", Desk: "diplomatic", Kind: hotline.Joint, Title: "Diplomatic"},
		{ID: "line-il", Desk: "general", Kind: hotline.Line, Party: "il", Title: "IL line"},
	} {
		if _, err := f.led.SubmitServer(f.ctx, testCell, hotline.KindChannelCreate, map[string]any{"channel": ch}); err != nil {
			t.Fatal(err)
		}
	}
}

func send(f *fixture, who, channel, body string) int64 {
	f.t.Helper()
	return f.OK(who, hotline.KindMessageSend, map[string]any{"channel": channel, "subject": body, "body": body, "lang": "en", "precedence": "ROUTINE"}).Index
}

func file(respondent string, cites ...map[string]any) map[string]any {
	if cites == nil {
		cites = []map[string]any{}
	}
	return map[string]any{"respondent": respondent, "title": "Artillery notified late", "description": "Article 2 asks 24 hours' notice; this had two.",
		"articles": []map[string]any{{"agreement": "paris", "article": "2"}}, "cites": cites}
}

// A dispute from filing to the talks: the mediator misses its
// acknowledgement deadline, which escalates; the respondent answers; the
// mediator finds; one side refuses the finding, which sends the dispute to
// the next round's agenda, for the dispute's parties only. Every step is
// for the two sides and the mediator, and an observer reads none of it.
func TestDisputeLifecycle(t *testing.T) {
	f := newFixture(t)
	f.OK("us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": paris()})
	channelFixture(t, f)
	f.OK("us.admin", cell.KindCellSettings, map[string]any{"settings": map[string]any{"deadlines": map[string]int{"dispute.ack": 1}}})
	shared := send(f, "il.dip", "joint-dip", "Our artillery exercise starts at 0600.")
	private := send(f, "il.dip", "line-il", "For the mediator: the exercise is a cover for the rotation.")

	f.Fails(cell.ErrForbidden, "us.dip", diplomacy.KindDisputeFile, file("il"))
	f.Fails(cell.ErrForbidden, "jo.duty", diplomacy.KindDisputeFile, file("il"))
	f.Fails(cell.ErrInvalid, "sy.dip", diplomacy.KindDisputeFile, file("sy"))
	f.Fails(cell.ErrInvalid, "sy.dip", diplomacy.KindDisputeFile, file("il", map[string]any{"kind": "message", "id": private})) // Syria cannot read it
	e := f.OK("sy.dip", diplomacy.KindDisputeFile, file("il", map[string]any{"kind": "message", "id": shared}))
	wantAudience(t, e, "il", "sy", "us")
	// Israel cannot cite to Syria what Syria does not read either.
	f.Fails(cell.ErrInvalid, "il.dip", diplomacy.KindDisputeFile, file("sy", map[string]any{"kind": "message", "id": private}))

	id := e.Index
	d, _ := obj[diplomacy.Dispute](f, f.view("il"), diplomacy.ObjDispute, itoa(id))
	if d.Status != "filed" || len(d.Cites) != 1 || d.Cites[0].Entries[0] != shared {
		t.Fatalf("the dispute as filed: %+v", d)
	}
	if _, ok := obj[diplomacy.Dispute](f, f.view("jo"), diplomacy.ObjDispute, itoa(id)); ok {
		t.Fatal("an observer reads a dispute not shared with it")
	}
	// The mediator misses its deadline: the watch escalates.
	time.Sleep(1100 * time.Millisecond)
	tick(t, f)
	var seen bool
	for _, x := range escalations(t, f, "us") {
		seen = seen || x.Kind == diplomacy.DueDispute && x.Ref == id && x.Item == "ack" && x.Party == "us"
	}
	if !seen {
		t.Fatal("the missed acknowledgement did not escalate to the mediator")
	}

	ref := func(extra map[string]any) map[string]any {
		m := map[string]any{"dispute": id}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	f.Fails(cell.ErrForbidden, "sy.dip", diplomacy.KindDisputeAck, ref(nil))
	f.Fails(cell.ErrConflict, "il.dip", diplomacy.KindDisputeRespond, ref(map[string]any{"text": "too early"}))
	f.OK("us.dip", diplomacy.KindDisputeAck, ref(nil))
	if _, ok := obj[dues.Due](f, f.view("il"), dues.ObjDue, dues.ItemID(diplomacy.DueDispute, id, "response", "il")); !ok {
		t.Fatal("Israel owes no response")
	}
	f.Fails(cell.ErrForbidden, "sy.dip", diplomacy.KindDisputeRespond, ref(map[string]any{"text": "we answer ourselves"}))
	f.OK("il.dip", diplomacy.KindDisputeRespond, ref(map[string]any{"text": "The notice was given on the hotline the day before."}))
	f.Fails(cell.ErrInvalid, "us.dip", diplomacy.KindDisputeFinding, ref(map[string]any{"text": "x", "outcome": "guilty"}))
	fe := f.OK("us.dip", diplomacy.KindDisputeFinding, ref(map[string]any{"text": "Notice was given late: 14 hours.", "outcome": "upheld"}))
	wantAudience(t, fe, "il", "sy", "us")

	// The mediator shares the dispute with the observer: it reads what the
	// share restated, never the finding.
	f.Fails(cell.ErrInvalid, "us.dip", diplomacy.KindDisputeShare, ref(map[string]any{"observer": "jo", "title": "x", "description": d.Description, "status": "found"}))
	f.OK("us.dip", diplomacy.KindDisputeShare, ref(map[string]any{"observer": "jo", "title": d.Title, "description": d.Description, "status": "found"}))
	if s, err := diplomacy.SharedDisputes(f.ctx, f.view("jo"), "jo"); err != nil || len(s) != 1 || s[0].Dispute != id {
		t.Errorf("the observer's shared disputes: %+v, %v", s, err)
	}
	if _, ok := obj[diplomacy.Dispute](f, f.view("jo"), diplomacy.ObjDispute, itoa(id)); ok {
		t.Error("sharing let the observer read the dispute's finding")
	}

	f.Fails(cell.ErrInvalid, "il.dip", diplomacy.KindDisputeAccept, ref(map[string]any{"accept": false}))
	f.OK("sy.dip", diplomacy.KindDisputeAccept, ref(map[string]any{"accept": true}))
	f.Fails(cell.ErrConflict, "sy.dip", diplomacy.KindDisputeAccept, ref(map[string]any{"accept": true}))
	f.OK("il.dip", diplomacy.KindDisputeAccept, ref(map[string]any{"accept": false, "reason": "Fourteen hours is the notice the line allows at night."}))
	d, _ = obj[diplomacy.Dispute](f, f.view("sy"), diplomacy.ObjDispute, itoa(id))
	if d.Status != "escalated" || d.Round != "" {
		t.Fatalf("after the refusal: %s, round %q", d.Status, d.Round)
	}
	waiting, _ := diplomacy.Waiting(f.ctx, f.view("il"))
	if len(waiting) != 1 || waiting[0].Dispute != id {
		t.Fatalf("Israel's items waiting for a round: %+v", waiting)
	}

	// The next round called takes it onto its agenda.
	start := time.Now().Add(7 * 24 * time.Hour).UTC()
	f.OK("us.dip", diplomacy.KindRoundCreate, map[string]any{"round": map[string]any{"id": "round-6", "number": 6, "place": "Paris",
		"start": start.Format(time.RFC3339), "end": start.Add(48 * time.Hour).Format(time.RFC3339)}})
	r, err := diplomacy.GetRound(f.ctx, f.view("sy"), "round-6")
	if err != nil || len(r.Agenda) != 1 || r.Agenda[0].Dispute != id {
		t.Fatalf("the round's agenda as Syria reads it: %+v, %v", r.Agenda, err)
	}
	d, _ = obj[diplomacy.Dispute](f, f.view("sy"), diplomacy.ObjDispute, itoa(id))
	if d.Round != "round-6" {
		t.Errorf("the dispute's round: %q", d.Round)
	}
	if waiting, _ := diplomacy.Waiting(f.ctx, f.view("us")); len(waiting) != 0 {
		t.Errorf("still waiting after the round was called: %+v", waiting)
	}
	// The round agrees: the dispute is resolved.
	f.OK("us.dip", diplomacy.KindRoundOutcome, map[string]any{"round": "round-6", "item": "dispute-" + itoa(id), "outcome": "agreed",
		"text": "The parties agree 24 hours' notice by day and by night."})
	d, _ = obj[diplomacy.Dispute](f, f.view("il"), diplomacy.ObjDispute, itoa(id))
	if d.Status != "resolved" {
		t.Errorf("after the round's outcome: %s", d.Status)
	}
	if len(d.EvidenceOf()) < 7 {
		t.Errorf("the dispute's evidence: %v", d.EvidenceOf())
	}
}

// Both parties accepting the finding resolves the dispute.
func TestDisputeResolvedByAcceptance(t *testing.T) {
	f := newFixture(t)
	f.OK("us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": paris()})
	id := f.OK("il.dip", diplomacy.KindDisputeFile, file("sy")).Index
	ref := map[string]any{"dispute": id}
	f.OK("us.dip", diplomacy.KindDisputeAck, ref)
	f.OK("sy.dip", diplomacy.KindDisputeRespond, map[string]any{"dispute": id, "text": "We regret it."})
	f.OK("us.dip", diplomacy.KindDisputeFinding, map[string]any{"dispute": id, "text": "Upheld.", "outcome": "upheld"})
	f.OK("il.dip", diplomacy.KindDisputeAccept, map[string]any{"dispute": id, "accept": true})
	f.OK("sy.dip", diplomacy.KindDisputeAccept, map[string]any{"dispute": id, "accept": true})
	if d, _ := obj[diplomacy.Dispute](f, f.view("us"), diplomacy.ObjDispute, itoa(id)); d.Status != "resolved" {
		t.Errorf("status %s", d.Status)
	}
	for _, p := range []string{"il", "sy", "us"} {
		if ds, _ := f.view("").List(f.ctx, dues.ObjDue, p, -1, 10); len(ds) != 0 {
			t.Errorf("%s still owes %d dues of the resolved dispute", p, len(ds))
		}
	}
}
