package hotline_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/rebuild"
	"github.com/liaison-cell/liaison/internal/store"
)

func msg(channel, precedence, body string) map[string]any {
	return map[string]any{"channel": channel, "subject": "subject", "body": body, "lang": "en", "precedence": precedence}
}

func with(fields map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range fields {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

const goodSHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestMessageSendValidation(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	base := msg("joint-mil", hotline.Priority, "hello")
	att := func(sha, name string) []map[string]any {
		return []map[string]any{{"sha256": sha, "name": name, "size": 4, "type": "text/plain"}}
	}
	many := make([]map[string]any, hotline.MaxAttachments+1)
	for i := range many {
		many[i] = att(goodSHA, "f.txt")[0]
	}
	for _, c := range []struct {
		name   string
		fields map[string]any
		want   error // nil: accepted
	}{
		{"FLASH at the word limit", with(base, "precedence", hotline.Flash, "body", words(hotline.MaxUrgentWords)), nil},
		{"FLASH over the word limit", with(base, "precedence", hotline.Flash, "body", words(hotline.MaxUrgentWords+1)), cell.ErrInvalid},
		{"IMMEDIATE at the word limit", with(base, "precedence", hotline.Immediate, "body", words(hotline.MaxUrgentWords)), nil},
		{"IMMEDIATE over the word limit", with(base, "precedence", hotline.Immediate, "body", words(hotline.MaxUrgentWords+1)), cell.ErrInvalid},
		{"words counted across lines", with(base, "precedence", hotline.Flash, "body", strings.ReplaceAll(words(hotline.MaxUrgentWords+1), " ", "\n")), cell.ErrInvalid},
		{"PRIORITY has no word limit", with(base, "precedence", hotline.Priority, "body", words(hotline.MaxUrgentWords+1)), nil},
		{"ROUTINE has no word limit", with(base, "precedence", hotline.Routine, "body", words(1000)), nil},
		{"body at the size limit, in characters", with(base, "body", strings.Repeat("ش", hotline.MaxBody)), nil},
		{"body over the size limit", with(base, "body", strings.Repeat("a", hotline.MaxBody+1)), cell.ErrInvalid},
		{"empty body", with(base, "body", " \n"), cell.ErrInvalid},
		{"empty subject", with(base, "subject", ""), cell.ErrInvalid},
		{"long subject", with(base, "subject", strings.Repeat("s", hotline.MaxSubject+1)), cell.ErrInvalid},
		{"lang ar", with(base, "lang", "ar"), nil},
		{"lang he", with(base, "lang", "he"), nil},
		{"lang ar-SY", with(base, "lang", "ar-SY"), nil},
		{"lang en-GB", with(base, "lang", "en-GB"), nil},
		{"lang HE", with(base, "lang", "HE"), nil},
		{"lang fr", with(base, "lang", "fr"), cell.ErrInvalid},
		{"lang fr-CA", with(base, "lang", "fr-CA"), cell.ErrInvalid},
		{"lang empty", with(base, "lang", ""), cell.ErrInvalid},
		{"lang english", with(base, "lang", "english"), cell.ErrInvalid},
		{"lang en_US", with(base, "lang", "en_US"), cell.ErrInvalid},
		{"lang en-", with(base, "lang", "en-"), cell.ErrInvalid},
		{"precedence lower-case", with(base, "precedence", "flash"), cell.ErrInvalid},
		{"precedence unknown", with(base, "precedence", "URGENT"), cell.ErrInvalid},
		{"precedence missing", with(base, "precedence", ""), cell.ErrInvalid},
		{"attachment", with(base, "attachments", att(goodSHA, "report.pdf")), nil},
		{"attachment upper-case hex", with(base, "attachments", att(strings.ToUpper(goodSHA), "f.txt")), cell.ErrInvalid},
		{"attachment short hash", with(base, "attachments", att(goodSHA[:63], "f.txt")), cell.ErrInvalid},
		{"attachment prefixed hash", with(base, "attachments", att("sha256:"+goodSHA[:57], "f.txt")), cell.ErrInvalid},
		{"attachment not hex", with(base, "attachments", att(strings.Repeat("g", 64), "f.txt")), cell.ErrInvalid},
		{"attachment without name", with(base, "attachments", att(goodSHA, "")), cell.ErrInvalid},
		{"too many attachments", with(base, "attachments", many), cell.ErrInvalid},
		{"reference", with(base, "references", []map[string]any{{"kind": "dispute", "id": "d-1"}}), nil},
		{"reference without id", with(base, "references", []map[string]any{{"kind": "dispute"}}), cell.ErrInvalid},
		{"unknown field", with(base, "urgent", true), cell.ErrInvalid},
		{"link test by a member", with(base, "link_test", true), cell.ErrForbidden},
		{"no such channel", with(base, "channel", "nope"), cell.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.t = t
			if c.want == nil {
				e := f.OK("il.mil", hotline.KindMessageSend, c.fields)
				m := must[hotline.Message](f, hotline.ObjMessage, hotline.MsgID(e.Index))
				if m.Body != c.fields["body"] || m.Lang != c.fields["lang"] || m.Precedence != c.fields["precedence"] {
					t.Errorf("stored %+v", m)
				}
				return
			}
			f.Fails(c.want, "il.mil", hotline.KindMessageSend, c.fields)
		})
	}
}

func TestMessageSendWho(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	// A party cannot write on another party's line, and is told the same
	// as for a channel that does not exist.
	hidden := f.Fails(cell.ErrInvalid, "il.duty", hotline.KindMessageSend, msg("line-sy", hotline.Routine, "hi"))
	missing := f.Fails(cell.ErrInvalid, "il.duty", hotline.KindMessageSend, msg("line-zz", hotline.Routine, "hi"))
	if strings.ReplaceAll(hidden.Error(), "line-sy", "X") != strings.ReplaceAll(missing.Error(), "line-zz", "X") {
		t.Errorf("another party's line is refused as %q, a missing channel as %q", hidden, missing)
	}
	f.Fails(cell.ErrInvalid, "jo.duty", hotline.KindMessageSend, msg("joint-gen", hotline.Routine, "hi"))

	// The desk's role or duty.
	f.Fails(cell.ErrForbidden, "il.dip", hotline.KindMessageSend, msg("joint-mil", hotline.Routine, "hi"))
	f.Fails(cell.ErrForbidden, "il.gen", hotline.KindMessageSend, msg("joint-mil", hotline.Routine, "hi"))
	f.send("il.mil", "joint-mil", hotline.Routine, "desk")
	f.send("il.duty", "joint-mil", hotline.Routine, "duty")
	f.send("us.mil", "joint-mil", hotline.Routine, "mediator desk")
	// On the general desk any member.
	f.send("il.gen", "joint-gen", hotline.Routine, "general")
	f.send("il.dip", "line-il", hotline.Routine, "own line")

	// Who must acknowledge, and who reads.
	for _, c := range []struct {
		who, channel string
		recipients   []string
		audience     []string
	}{
		{"il.mil", "joint-mil", []string{"sy", "us"}, []string{"il", "sy", "us"}},
		{"sy.mil", "joint-mil", []string{"il", "us"}, []string{"il", "sy", "us"}},
		{"us.mil", "joint-mil", []string{"il", "sy"}, []string{"il", "sy", "us"}},
		{"us.admin", "line-sy", []string{"sy"}, []string{"sy", "us"}},
		{"sy.gen", "line-sy", []string{"us"}, []string{"sy", "us"}},
		{"us.admin", "line-il", []string{"il"}, []string{"il", "us"}},
		{"jo.duty", "line-jo", []string{"us"}, []string{"jo", "us"}},
		// The mediator writing to an observer on its line expects an answer.
		{"us.admin", "line-jo", []string{"jo"}, []string{"jo", "us"}},
	} {
		before := time.Now()
		id := f.send(c.who, c.channel, hotline.Flash, "to "+c.channel)
		e := f.Entry(id)
		wantAudience(t, e, c.audience...)
		m := must[hotline.Message](f, hotline.ObjMessage, hotline.MsgID(id))
		if m.ID != id || m.Channel != c.channel || m.Sender != c.who || m.SenderParty != c.who[:2] || !m.Sent.Equal(e.Time) {
			t.Errorf("message %d: %+v (entry time %s)", id, m, e.Time)
		}
		if !slices.Equal(m.Recipients, c.recipients) {
			t.Errorf("%s on %s: recipients %v, want %v", c.who, c.channel, m.Recipients, c.recipients)
		}
		if m.Sent.Before(before.Add(-time.Second)) {
			t.Errorf("sent at %s, before the test sent it (%s)", m.Sent, before)
		}
		for _, p := range c.recipients {
			a := must[hotline.Ack](f, hotline.ObjAck, hotline.AckID(id, p))
			d := must[hotline.Deadline](f, hotline.ObjDeadline, hotline.AckID(id, p))
			window := time.Duration(cell.DefaultAckDeadlines[hotline.Flash]) * time.Second
			if a.Status != hotline.AckPending || !a.Due.Equal(e.Time.Add(window)) || a.Round != 0 {
				t.Errorf("ack %d/%s: %+v", id, p, a)
			}
			if d.Party != p || d.Channel != c.channel || !d.Start.Equal(e.Time) || d.Window != window || d.Level != 0 || !d.NextDue().Equal(a.Due) {
				t.Errorf("deadline %d/%s: %+v", id, p, d)
			}
		}
		if _, ok := obj[hotline.Ack](f, hotline.ObjAck, hotline.AckID(id, c.who[:2])); ok {
			t.Errorf("the sender's own party must acknowledge message %d", id)
		}
	}
}

func TestAckDeadlineFromSettings(t *testing.T) {
	f := newFixture(t, cell.Settings{AckDeadlines: map[string]int{"FLASH": 42, "ROUTINE": 7}})
	for prec, secs := range map[string]int{hotline.Flash: 42, hotline.Routine: 7, hotline.Immediate: cell.DefaultAckDeadlines[hotline.Immediate]} {
		id := f.send("il.mil", "joint-mil", prec, "deadline")
		a := must[hotline.Ack](f, hotline.ObjAck, hotline.AckID(id, "sy"))
		if want := f.Entry(id).Time.Add(time.Duration(secs) * time.Second); !a.Due.Equal(want) {
			t.Errorf("%s: due %s, want %s", prec, a.Due, want)
		}
	}
}

func TestMessageReferences(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	m1 := f.send("il.mil", "joint-mil", hotline.Routine, "first")
	other := f.send("il.gen", "joint-gen", hotline.Routine, "elsewhere")
	secret := f.send("sy.duty", "line-sy", hotline.Routine, "on the line")
	for _, field := range []string{"reply_to", "corrects"} {
		e := f.OK("il.mil", hotline.KindMessageSend, with(msg("joint-mil", hotline.Routine, "reply"), field, m1))
		m := must[hotline.Message](f, hotline.ObjMessage, hotline.MsgID(e.Index))
		if ref := map[string]*int64{"reply_to": m.ReplyTo, "corrects": m.Corrects}[field]; ref == nil || *ref != m1 {
			t.Errorf("%s not stored: %+v", field, m)
		}
		for _, bad := range []int64{other, secret, 999999, 0 /* cell.create, not a message */} {
			f.Fails(cell.ErrInvalid, "il.mil", hotline.KindMessageSend, with(msg("joint-mil", hotline.Routine, "reply"), field, bad))
		}
	}
	// Replying on the line itself works for its parties.
	f.OK("us.admin", hotline.KindMessageSend, with(msg("line-sy", hotline.Routine, "reply"), "reply_to", secret))

	// A correction comes from the side that sent the message: another of
	// Israel's members may issue one, Syria and the mediator may only
	// reply, lest a reader take their words for Israel's.
	f.OK("il.duty", hotline.KindMessageSend, with(msg("joint-mil", hotline.Routine, "correction"), "corrects", m1))
	for _, who := range []string{"sy.mil", "us.admin"} {
		err := f.Fails(cell.ErrInvalid, who, hotline.KindMessageSend, with(msg("joint-mil", hotline.Routine, "correction"), "corrects", m1))
		if !strings.Contains(err.Error(), "only its own party corrects it") {
			t.Errorf("%s correcting Israel's message: %v", who, err)
		}
		f.OK(who, hotline.KindMessageSend, with(msg("joint-mil", hotline.Routine, "reply"), "reply_to", m1))
	}
}

func ackOf(f *fixture, id int64, party string) hotline.Ack {
	f.t.Helper()
	return must[hotline.Ack](f, hotline.ObjAck, hotline.AckID(id, party))
}

func TestAck(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	flash := f.send("il.mil", "joint-mil", hotline.Flash, "UAV over the buffer zone")
	ack := func(id int64, readback string) map[string]any {
		m := map[string]any{"message": id}
		if readback != "" {
			m["readback"] = readback
		}
		return m
	}

	// Only recipient parties acknowledge.
	f.Fails(cell.ErrForbidden, "il.duty", hotline.KindMessageAck, ack(flash, "mine"))
	f.Fails(cell.ErrInvalid, "jo.duty", hotline.KindMessageAck, ack(flash, "not my channel"))
	// With the desk's role or duty.
	f.Fails(cell.ErrForbidden, "sy.dip", hotline.KindMessageAck, ack(flash, "UAV"))
	f.Fails(cell.ErrForbidden, "sy.gen", hotline.KindMessageAck, ack(flash, "UAV"))
	// FLASH and IMMEDIATE need a readback.
	f.Fails(cell.ErrInvalid, "sy.mil", hotline.KindMessageAck, ack(flash, ""))
	f.Fails(cell.ErrInvalid, "sy.mil", hotline.KindMessageAck, ack(flash, " \t"))
	f.Fails(cell.ErrInvalid, "sy.mil", hotline.KindMessageAck, ack(flash, strings.Repeat("r", hotline.MaxReadback+1)))
	f.Fails(cell.ErrInvalid, "sy.mil", hotline.KindMessageAck, ack(999999, "nothing"))

	e := f.OK("sy.mil", hotline.KindMessageAck, ack(flash, "Israeli UAV, buffer zone"))
	wantAudience(t, e, "il", "sy", "us")
	a := ackOf(f, flash, "sy")
	if a.Status != hotline.AckDone || a.AckedBy != "sy.mil" || a.AckEntry != e.Index || !a.AckedAt.Equal(e.Time) || a.Readback != "Israeli UAV, buffer zone" {
		t.Errorf("ack after acknowledging: %+v", a)
	}
	if _, ok := obj[hotline.Deadline](f, hotline.ObjDeadline, hotline.AckID(flash, "sy")); ok {
		t.Error("the deadline outlived the acknowledgement")
	}
	if _, ok := obj[hotline.Deadline](f, hotline.ObjDeadline, hotline.AckID(flash, "us")); !ok {
		t.Error("the mediator's deadline went with Syria's acknowledgement")
	}
	// Once per party.
	f.Fails(cell.ErrConflict, "sy.duty", hotline.KindMessageAck, ack(flash, "again"))
	f.Fails(cell.ErrConflict, "sy.mil", hotline.KindMessageAck, ack(flash, "again"))
	f.OK("us.mil", hotline.KindMessageAck, ack(flash, "UAV"))

	imm := f.send("il.mil", "joint-mil", hotline.Immediate, "immediate")
	f.Fails(cell.ErrInvalid, "sy.duty", hotline.KindMessageAck, ack(imm, ""))
	f.OK("sy.duty", hotline.KindMessageAck, ack(imm, "immediate, understood"))
	routine := f.send("il.mil", "joint-mil", hotline.Routine, "routine")
	f.OK("sy.mil", hotline.KindMessageAck, ack(routine, ""))
	prio := f.send("il.mil", "joint-mil", hotline.Priority, "priority")
	f.OK("us.mil", hotline.KindMessageAck, ack(prio, ""))

	// Another party's line: as if the message did not exist.
	secret := f.send("us.admin", "line-sy", hotline.Routine, "line")
	hidden := f.Fails(cell.ErrInvalid, "il.duty", hotline.KindMessageAck, ack(secret, ""))
	missing := f.Fails(cell.ErrInvalid, "il.duty", hotline.KindMessageAck, ack(999999, ""))
	if strings.ReplaceAll(hidden.Error(), itoa(secret), "N") != strings.ReplaceAll(missing.Error(), "999999", "N") {
		t.Errorf("a hidden message is refused as %q, a missing one as %q", hidden, missing)
	}
}

func itoa(i int64) string { return hotline.MsgID(i) }

// On the general desk (the lines, joint-general) any member of the party
// may act for it, as the rule book's ActOnDesk says: there is no "general"
// role to hold.
func TestAckOnTheGeneralDesk(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	line := f.send("us.admin", "line-sy", hotline.Flash, "confirm the schedule")
	f.OK("sy.gen", hotline.KindMessageAck, map[string]any{"message": line, "readback": "schedule, confirmed"})
	joint := f.send("il.gen", "joint-gen", hotline.Routine, "general note")
	f.OK("sy.dip", hotline.KindMessageAck, map[string]any{"message": joint})
	f.OK("us.mil", hotline.KindMessageAck, map[string]any{"message": joint})
	// And the sending party's clerk judges the readback of a general
	// message it did not send itself.
	gen := f.send("il.duty", "joint-gen", hotline.Immediate, "crossing at noon")
	f.OK("sy.gen", hotline.KindMessageAck, map[string]any{"message": gen, "readback": "crossing, 12:00"})
	f.OK("il.gen", hotline.KindReadbackMark, map[string]any{"message": gen, "party": "sy", "verdict": hotline.VerdictOK})
}

func TestReadback(t *testing.T) {
	f := newFixture(t, cell.Settings{AckDeadlines: map[string]int{"FLASH": 300}})
	flash := f.send("il.mil", "joint-mil", hotline.Flash, "convoy at 0600Z")
	f.OK("sy.mil", hotline.KindMessageAck, map[string]any{"message": flash, "readback": "convoy at 0800Z"})
	mark := func(party, verdict, correction string) map[string]any {
		m := map[string]any{"message": flash, "party": party, "verdict": verdict}
		if correction != "" {
			m["correction"] = correction
		}
		return m
	}

	// Only the sending party judges: the sender, its desk or duty.
	f.Fails(cell.ErrForbidden, "sy.duty", hotline.KindReadbackMark, mark("sy", hotline.VerdictOK, ""))
	f.Fails(cell.ErrForbidden, "us.admin", hotline.KindReadbackMark, mark("sy", hotline.VerdictOK, ""))
	f.Fails(cell.ErrForbidden, "il.dip", hotline.KindReadbackMark, mark("sy", hotline.VerdictOK, ""))
	f.Fails(cell.ErrInvalid, "jo.duty", hotline.KindReadbackMark, mark("sy", hotline.VerdictOK, ""))
	f.Fails(cell.ErrInvalid, "il.mil", hotline.KindReadbackMark, mark("sy", "maybe", ""))
	f.Fails(cell.ErrInvalid, "il.mil", hotline.KindReadbackMark, mark("sy", hotline.VerdictOK, "but"))
	f.Fails(cell.ErrInvalid, "il.mil", hotline.KindReadbackMark, mark("sy", hotline.VerdictFail, ""))
	f.Fails(cell.ErrInvalid, "il.mil", hotline.KindReadbackMark, mark("zz", hotline.VerdictOK, ""))
	f.Fails(cell.ErrConflict, "il.mil", hotline.KindReadbackMark, mark("us", hotline.VerdictOK, "")) // not acknowledged yet

	// Incorrect: the acknowledgement reopens, in a new round, with a fresh
	// deadline from the verdict's entry.
	e := f.OK("il.duty", hotline.KindReadbackMark, mark("sy", hotline.VerdictFail, "0600Z, not 0800Z"))
	wantAudience(t, e, "il", "sy", "us")
	a := ackOf(f, flash, "sy")
	if a.Status != hotline.AckPending || a.Round != 1 || a.Verdict != hotline.VerdictFail || a.Correction != "0600Z, not 0800Z" ||
		a.MarkedBy != "il.duty" || !a.Due.Equal(e.Time.Add(300*time.Second)) {
		t.Errorf("after an incorrect readback: %+v (entry time %s)", a, e.Time)
	}
	d := must[hotline.Deadline](f, hotline.ObjDeadline, hotline.AckID(flash, "sy"))
	if d.Round != 1 || d.Level != 0 || !d.Start.Equal(e.Time) || d.Window != 300*time.Second || d.Party != "sy" || d.Channel != "joint-mil" {
		t.Errorf("reopened deadline: %+v", d)
	}
	f.Fails(cell.ErrConflict, "il.mil", hotline.KindReadbackMark, mark("sy", hotline.VerdictOK, "")) // awaiting a new readback

	// A new readback, judged correct; once.
	e = f.OK("sy.mil", hotline.KindMessageAck, map[string]any{"message": flash, "readback": "convoy at 0600Z"})
	if a := ackOf(f, flash, "sy"); a.Status != hotline.AckDone || a.Round != 1 || a.Verdict != "" || a.AckEntry != e.Index {
		t.Errorf("after the second readback: %+v", a)
	}
	f.OK("il.mil", hotline.KindReadbackMark, mark("sy", hotline.VerdictOK, ""))
	if a := ackOf(f, flash, "sy"); a.Verdict != hotline.VerdictOK || a.MarkedBy != "il.mil" || a.Status != hotline.AckDone {
		t.Errorf("after a correct verdict: %+v", a)
	}
	f.Fails(cell.ErrConflict, "il.mil", hotline.KindReadbackMark, mark("sy", hotline.VerdictOK, ""))
	f.Fails(cell.ErrConflict, "il.mil", hotline.KindReadbackMark, mark("sy", hotline.VerdictFail, "no"))

	// Nothing to judge without a readback.
	routine := f.send("il.mil", "joint-mil", hotline.Routine, "routine")
	f.OK("sy.mil", hotline.KindMessageAck, map[string]any{"message": routine})
	f.Fails(cell.ErrConflict, "il.mil", hotline.KindReadbackMark, map[string]any{"message": routine, "party": "sy", "verdict": hotline.VerdictOK})
}

func TestReadReceipts(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	id := f.send("il.mil", "joint-mil", hotline.Routine, "read me")
	e := f.OK("sy.dip", hotline.KindMessageRead, map[string]any{"message": id})
	wantAudience(t, e, "il", "sy", "us")
	r := must[hotline.Receipt](f, hotline.ObjReceipt, hotline.MsgID(id)+"/sy.dip")
	if r.Member != "sy.dip" || r.Party != "sy" || r.Message != id || !r.At.Equal(e.Time) {
		t.Errorf("receipt %+v", r)
	}
	f.Fails(cell.ErrConflict, "sy.dip", hotline.KindMessageRead, map[string]any{"message": id})
	f.OK("sy.mil", hotline.KindMessageRead, map[string]any{"message": id})
	f.OK("il.gen", hotline.KindMessageRead, map[string]any{"message": id}) // the sender's side reads too
	f.Fails(cell.ErrInvalid, "jo.duty", hotline.KindMessageRead, map[string]any{"message": id})
	secret := f.send("us.admin", "line-sy", hotline.Routine, "line")
	f.Fails(cell.ErrInvalid, "il.duty", hotline.KindMessageRead, map[string]any{"message": secret})
	f.Fails(cell.ErrInvalid, "il.duty", hotline.KindMessageRead, map[string]any{"message": 999999})
	if e := f.OK("sy.gen", hotline.KindMessageRead, map[string]any{"message": secret}); !slices.Equal(e.Audience, []string{"sy", "us"}) {
		t.Errorf("receipt on a line: audience %v", e.Audience)
	}
}

func TestRelay(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	origin := f.send("sy.duty", "line-sy", hotline.Immediate, "we propose a ceasefire at 1800")
	copy := f.send("us.admin", "line-il", hotline.Immediate, "the other side proposes a pause this evening")
	ilMsg := f.send("il.duty", "line-il", hotline.Routine, "from il")
	syLater := f.send("us.admin", "line-sy", hotline.Routine, "same line")
	joint := f.send("us.mil", "joint-mil", hotline.Routine, "joint")
	relay := func(o, c int64) map[string]any { return map[string]any{"origin": o, "copy": c, "note": "reworded"} }

	f.Fails(cell.ErrForbidden, "il.duty", hotline.KindMessageRelay, relay(origin, copy))
	f.Fails(cell.ErrForbidden, "sy.duty", hotline.KindMessageRelay, relay(origin, copy))
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindMessageRelay, relay(origin, syLater)) // same line
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindMessageRelay, relay(origin, joint))   // not a line
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindMessageRelay, relay(origin, ilMsg))   // not the mediator's
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindMessageRelay, relay(copy, origin))    // copy before origin
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindMessageRelay, relay(origin, 999999))

	e := f.OK("us.mil", hotline.KindMessageRelay, relay(origin, copy))
	// The link is the mediator's alone: neither side learns that one
	// line's message went down the other.
	wantAudience(t, e, "us")
	if r := must[hotline.Relay](f, hotline.ObjRelay, hotline.MsgID(copy)); r.Origin != origin || r.Copy != copy || r.By != "us.mil" || r.Note != "reworded" {
		t.Errorf("relay %+v", r)
	}
	f.Fails(cell.ErrConflict, "us.admin", hotline.KindMessageRelay, relay(origin, copy))
	// The copy is an ordinary message of the line.
	wantAudience(t, f.Entry(copy), "il", "us")
}

func TestTranslations(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	id := f.send("il.mil", "joint-mil", hotline.Flash, "buffer zone")
	tr := func(lang, text, method string) map[string]any {
		return map[string]any{"message": id, "lang": lang, "text": text, "method": method}
	}
	f.Fails(cell.ErrInvalid, "us.mil", hotline.KindTranslationAdd, tr("fr", "zone tampon", "human"))
	f.Fails(cell.ErrInvalid, "us.mil", hotline.KindTranslationAdd, tr("ar", "", "human"))
	f.Fails(cell.ErrInvalid, "us.mil", hotline.KindTranslationAdd, tr("ar", "المنطقة العازلة", "auto"))
	f.Fails(cell.ErrInvalid, "us.mil", hotline.KindTranslationAdd, tr("ar", strings.Repeat("x", hotline.MaxTranslation+1), "human"))
	f.Fails(cell.ErrInvalid, "jo.duty", hotline.KindTranslationAdd, tr("ar", "المنطقة العازلة", "human"))

	e := f.OK("us.mil", hotline.KindTranslationAdd, tr("ar", "المنطقة العازلة", "human"))
	wantAudience(t, e, "il", "sy", "us")
	got := must[hotline.Translation](f, hotline.ObjTranslation, hotline.MsgID(e.Index))
	if got.ID != e.Index || got.Message != id || got.AddedBy != "us.mil" || got.Translator != "us.mil" || got.Lang != "ar" || got.Confirmed {
		t.Errorf("translation %+v", got)
	}
	mt := f.OK("sy.dip", hotline.KindTranslationAdd, with(tr("he", "אזור החיץ", "machine"), "translator", "MT engine 3"))
	if got := must[hotline.Translation](f, hotline.ObjTranslation, hotline.MsgID(mt.Index)); got.Translator != "MT engine 3" || got.Method != "machine" || got.AddedBy != "sy.dip" {
		t.Errorf("machine translation %+v", got)
	}

	confirm := func(tid int64) map[string]any { return map[string]any{"translation": tid} }
	f.Fails(cell.ErrForbidden, "us.mil", hotline.KindTranslationConfirm, confirm(e.Index)) // who attached it
	f.Fails(cell.ErrForbidden, "il.mil", hotline.KindTranslationConfirm, confirm(e.Index)) // the sender's side is no recipient
	f.Fails(cell.ErrInvalid, "sy.mil", hotline.KindTranslationConfirm, confirm(999999))
	f.Fails(cell.ErrInvalid, "sy.mil", hotline.KindTranslationConfirm, confirm(id)) // a message, not a translation
	c := f.OK("sy.mil", hotline.KindTranslationConfirm, confirm(e.Index))
	wantAudience(t, c, "il", "sy", "us")
	if got := must[hotline.Translation](f, hotline.ObjTranslation, hotline.MsgID(e.Index)); !got.Confirmed || got.ConfirmedBy != "sy.mil" || !got.ConfirmedAt.Equal(c.Time) {
		t.Errorf("confirmed translation %+v", got)
	}
	f.Fails(cell.ErrConflict, "us.admin", hotline.KindTranslationConfirm, confirm(e.Index))
	f.OK("us.admin", hotline.KindTranslationConfirm, confirm(mt.Index)) // the mediator confirms too

	// A translation on another party's line is as if it did not exist.
	secret := f.send("us.admin", "line-sy", hotline.Routine, "line")
	f.Fails(cell.ErrInvalid, "il.mil", hotline.KindTranslationAdd, map[string]any{"message": secret, "lang": "he", "text": "קו", "method": "human"})
	st := f.OK("us.admin", hotline.KindTranslationAdd, map[string]any{"message": secret, "lang": "ar", "text": "خط", "method": "human"})
	wantAudience(t, st, "sy", "us")
	hidden := f.Fails(cell.ErrInvalid, "il.duty", hotline.KindTranslationConfirm, confirm(st.Index))
	missing := f.Fails(cell.ErrInvalid, "il.duty", hotline.KindTranslationConfirm, confirm(999999))
	if strings.ReplaceAll(hidden.Error(), itoa(st.Index), "N") != strings.ReplaceAll(missing.Error(), "999999", "N") {
		t.Errorf("a hidden translation is refused as %q, a missing one as %q", hidden, missing)
	}
}

func TestGlossary(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	term := func(id string, terms map[string]string) map[string]any {
		return map[string]any{"term": map[string]any{"id": id, "terms": terms, "note": "agreed"}}
	}
	ok := map[string]string{"en": "buffer zone", "ar": "المنطقة العازلة", "he": "אזור החיץ"}
	f.Fails(cell.ErrForbidden, "il.duty", hotline.KindGlossarySet, term("buffer-zone", ok))
	f.Fails(cell.ErrForbidden, "sy.duty", hotline.KindGlossarySet, term("buffer-zone", ok))
	f.Fails(cell.ErrForbidden, "jo.duty", hotline.KindGlossarySet, term("buffer-zone", ok))
	f.Fails(cell.ErrInvalid, "us.mil", hotline.KindGlossarySet, term("Buffer Zone", ok))
	f.Fails(cell.ErrInvalid, "us.mil", hotline.KindGlossarySet, term("buffer-zone", map[string]string{}))
	f.Fails(cell.ErrInvalid, "us.mil", hotline.KindGlossarySet, term("buffer-zone", map[string]string{"fr": "zone tampon"}))
	f.Fails(cell.ErrInvalid, "us.mil", hotline.KindGlossarySet, term("buffer-zone", map[string]string{"en": " "}))

	e := f.OK("us.mil", hotline.KindGlossarySet, term("buffer-zone", ok))
	wantAudience(t, e, "*")
	if got := must[hotline.Term](f, hotline.ObjGlossary, "buffer-zone"); got.Terms["he"] != "אזור החיץ" || got.Note != "agreed" {
		t.Errorf("term %+v", got)
	}
	f.OK("us.admin", hotline.KindGlossarySet, term("buffer-zone", map[string]string{"en": "buffer area"}))
	if got := must[hotline.Term](f, hotline.ObjGlossary, "buffer-zone"); got.Terms["en"] != "buffer area" || len(got.Terms) != 1 {
		t.Errorf("term after an update %+v", got)
	}
}

// Escalations are the server's, and the domain re-checks every one: the
// deadline must still be awaited, the level must be the next one, and its
// time must have come by the server's own clock.
func TestEscalateRules(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	id := f.send("il.mil", "joint-mil", hotline.Flash, "escalate me")
	esc := func(party string, level, round int) map[string]any {
		return map[string]any{"message": id, "party": party, "level": level, "round": round}
	}
	f.Fails(cell.ErrForbidden, "us.admin", hotline.KindMessageEscalate, esc("sy", 1, 0))
	f.Fails(cell.ErrForbidden, "sy.duty", hotline.KindMessageEscalate, esc("sy", 1, 0))

	server := func(fields map[string]any) error {
		_, err := f.led.SubmitServer(f.ctx, testCell, hotline.KindMessageEscalate, fields)
		return err
	}
	n := f.Size()
	// The FLASH deadline is ten minutes away.
	if err := server(esc("sy", 1, 0)); !errors.Is(err, cell.ErrInvalid) {
		t.Errorf("escalation before its time: %v, want %v", err, cell.ErrInvalid)
	}
	for _, bad := range []map[string]any{esc("sy", 2, 0), esc("sy", 0, 0), esc("sy", 1, 1), esc("il", 1, 0), esc("jo", 1, 0)} {
		if err := server(bad); !errors.Is(err, cell.ErrConflict) {
			t.Errorf("escalation %v: %v, want %v", bad, err, cell.ErrConflict)
		}
	}
	f.OK("sy.mil", hotline.KindMessageAck, map[string]any{"message": id, "readback": "escalate me"})
	if err := server(esc("sy", 1, 0)); !errors.Is(err, cell.ErrConflict) {
		t.Errorf("escalation of an acknowledged message: %v, want %v", err, cell.ErrConflict)
	}
	if m := f.Size(); m != n+1 {
		t.Errorf("the log grew by %d, want only the acknowledgement", m-n)
	}
	if _, err := f.st.View(testCell).Get(f.ctx, hotline.ObjEscalation, hotline.MsgID(n)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an escalation was projected: %v", err)
	}
}

// Uploads are recorded by the server alone, for the uploader's party and
// the mediator; they decide who may attach a file no message of theirs
// carries yet.
func TestUploadRules(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	sha := strings.Repeat("5a", 32)
	up := map[string]any{"sha256": sha, "size": 10, "party": "il", "member": "il.mil"}
	f.Fails(cell.ErrForbidden, "il.mil", hotline.KindAttachmentUpload, up)
	f.Fails(cell.ErrForbidden, "us.admin", hotline.KindAttachmentUpload, up)
	server := func(fields map[string]any) (store.Result, error) {
		return f.led.SubmitServer(f.ctx, testCell, hotline.KindAttachmentUpload, fields)
	}
	for _, bad := range []map[string]any{
		{"sha256": "ABC", "size": 10, "party": "il", "member": "il.mil"},
		{"sha256": sha, "size": 0, "party": "il", "member": "il.mil"},
		{"sha256": sha, "size": 10, "party": "sy", "member": "il.mil"}, // not Syria's member
		{"sha256": sha, "size": 10, "party": "il", "member": "nobody"},
	} {
		if _, err := server(bad); !errors.Is(err, cell.ErrInvalid) {
			t.Errorf("upload %v: %v, want %v", bad, err, cell.ErrInvalid)
		}
	}
	r, err := server(up)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Entry.Audience; !slices.Equal(got, []string{"il", "us"}) {
		t.Errorf("an upload by Israel is read by %v, want [il us]", got)
	}

	withFile := func(sha string) map[string]any {
		return map[string]any{"attachments": []map[string]any{{"sha256": sha, "name": "f", "size": 10, "type": "text/plain"}}}
	}
	sendFields := func(body string, extra map[string]any) map[string]any {
		fields := map[string]any{"channel": "joint-mil", "subject": "S", "body": body, "lang": "en", "precedence": hotline.Routine}
		for k, v := range extra {
			fields[k] = v
		}
		return fields
	}
	// Syria may not attach Israel's upload, nor may the mediator until a
	// message carries it: neither holds a copy.
	f.Fails(cell.ErrInvalid, "sy.mil", hotline.KindMessageSend, sendFields("stolen", withFile(sha)))
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindMessageSend, sendFields("stolen", withFile(sha)))
	f.send("il.mil", "joint-mil", hotline.Routine, "ours", withFile(sha))
	// Once on the joint channel, every party may forward it.
	f.send("sy.mil", "joint-mil", hotline.Routine, "forwarded", withFile(sha))

	// A file no upload entry names predates logged uploads: the older rule
	// lets it be attached, so that old logs replay as they were decided.
	f.send("sy.mil", "joint-mil", hotline.Routine, "legacy", withFile(strings.Repeat("6b", 32)))

	// And the log replays into the projections the store holds.
	reg := cell.NewRegistry()
	hotline.Register(reg)
	rep, err := rebuild.Run(f.ctx, f.st, testCell, reg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Equal() {
		t.Errorf("the replay differs: %v %v", rep.Diffs, rep.EntryDiffs)
	}
}
