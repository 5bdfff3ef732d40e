package api_test

import (
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// readbacksOf answers what GET /api/v1/readbacks lists for c, as
// message/party pairs, checking that the page's read agrees.
func readbacksOf(t *testing.T, c *client) []string {
	t.Helper()
	var got struct{ Items []api.ReadbackItem }
	c.getJSON(t, "/api/v1/readbacks", &got)
	r, p := c.principal(t)
	page, err := c.ts.API.ReadbacksToJudge(r, p, api.ReadbackHorizon)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, c.member+" readbacks", page, got.Items)
	var out []string
	for _, it := range got.Items {
		if it.Ack.Status != hotline.AckDone || it.Ack.Readback == "" || it.Ack.Verdict != "" {
			t.Errorf("%s: listed %+v, which awaits no judgement", c.member, it.Ack)
		}
		out = append(out, readbackKey(it))
	}
	return out
}

func readbackKey(it api.ReadbackItem) string { return hotline.AckID(it.Message.ID, it.Ack.Party) }

func sameList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %v, want %v", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: %v, want %v", what, got, want)
			return
		}
	}
}

// The sender's side is told that a readback awaits its judgement: the
// readbacks of what its party sent, until it marks them; nobody else's,
// and nothing of a channel it does not read.
func TestReadbacksToJudge(t *testing.T) {
	ts := newTestServer(t)
	il, sy, us := ts.login(t, "il.military"), ts.login(t, "sy.military"), ts.login(t, "us.military")
	// The demo's drill judged every readback it has.
	sameList(t, "Israel's readbacks of the demo", readbacksOf(t, il))

	id := il.sendMessage(t, message("joint-military", hotline.Immediate, "Artillery exercise", "Live fire 0600-0800Z, 5 km from the line."))
	sy.onMessage(t, id, "ack", hotline.KindMessageAck, map[string]any{"readback": "Live fire 0600 to 0800Z, 5 km off the line."})
	us.onMessage(t, id, "ack", hotline.KindMessageAck, map[string]any{"readback": "Live fire, 0600-0800Z, five km from the line."})
	syAck, usAck := hotline.AckID(id, "sy"), hotline.AckID(id, "us")
	// Israel judges both, the first to arrive first; the others, nothing.
	sameList(t, "Israel's readbacks", readbacksOf(t, il), syAck, usAck)
	sameList(t, "Syria's readbacks", readbacksOf(t, sy))
	sameList(t, "the mediator's readbacks", readbacksOf(t, us))

	il.onMessage(t, id, "readback", hotline.KindReadbackMark, map[string]any{"party": "sy", "verdict": hotline.VerdictOK})
	sameList(t, "after Syria's was marked correct", readbacksOf(t, il), usAck)
	il.onMessage(t, id, "readback", hotline.KindReadbackMark, map[string]any{"party": "us", "verdict": hotline.VerdictFail, "correction": "5 km, not five."})
	sameList(t, "after the mediator's was marked incorrect", readbacksOf(t, il))
	us.onMessage(t, id, "ack", hotline.KindMessageAck, map[string]any{"readback": "Live fire 0600-0800Z, 5 km from the line."})
	sameList(t, "after the mediator read back again", readbacksOf(t, il), usAck)

	// The mediator's FLASH and IMMEDIATE down Syria's line: the mediator
	// judges Syria's readbacks, the FLASH's first though read back last;
	// Israel, which cannot read the line, hears nothing of them.
	flash := us.sendMessage(t, message("line-sy", hotline.Flash, "Patrol schedule", "Confirm the patrol schedule for sector south."))
	other := us.sendMessage(t, message("line-sy", hotline.Immediate, "Crossing hours", "The crossing opens at 0700Z."))
	syDuty := ts.login(t, "sy.duty")
	syDuty.onMessage(t, other, "ack", hotline.KindMessageAck, map[string]any{"readback": "Crossing opens 0700Z."})
	syDuty.onMessage(t, flash, "ack", hotline.KindMessageAck, map[string]any{"readback": "Patrol schedule for sector south confirmed."})
	sameList(t, "the mediator's readbacks, by precedence", readbacksOf(t, us), hotline.AckID(flash, "sy"), hotline.AckID(other, "sy"))
	sameList(t, "Israel's readbacks after those on Syria's line", readbacksOf(t, il), usAck)

	// Only a channel's newest messages are looked through.
	r, p := us.principal(t)
	items, err := ts.API.ReadbacksToJudge(r, p, 1)
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, it := range items {
		keys = append(keys, readbackKey(it))
	}
	sameList(t, "the mediator's readbacks among each channel's newest message", keys, hotline.AckID(other, "sy"))
}
