package hotline_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/store"
)

func channel(id, desk, kind, party string) map[string]any {
	ch := map[string]any{"id": id, "desk": desk, "kind": kind, "title": "Channel " + id}
	if party != "" {
		ch["party"] = party
	}
	return map[string]any{"channel": ch}
}

func TestChannelCreate(t *testing.T) {
	f := newFixture(t, cell.Settings{})

	// Only the mediator's admins open channels.
	for _, who := range []string{"il.duty", "sy.duty", "jo.duty", "us.mil"} {
		f.Fails(cell.ErrForbidden, who, hotline.KindChannelCreate, channel("j2", "diplomatic", hotline.Joint, ""))
	}

	// A joint channel: the mediator and every side, not the observer. The
	// parties a client names are ignored.
	fields := channel("j2", "diplomatic", hotline.Joint, "il")
	fields["channel"].(map[string]any)["parties"] = []string{"us"}
	e := f.OK("us.admin", hotline.KindChannelCreate, fields)
	ch := must[hotline.Channel](f, hotline.ObjChannel, "j2")
	if want := []string{"il", "sy", "us"}; !slices.Equal(ch.Parties, want) || ch.Party != "" || ch.Kind != hotline.Joint {
		t.Errorf("joint channel: %+v, want parties %v and no party", ch, want)
	}
	wantAudience(t, e, "il", "sy", "us")
	if _, ok := obj[hotline.LinkHealth](f, hotline.ObjLinkHealth, "j2"); ok {
		t.Error("a joint channel has link health")
	}

	// A line joins one party with the mediator, and is read by them only.
	e = f.OK("us.admin", hotline.KindChannelCreate, channel("l2", "military", hotline.Line, "il"))
	ch = must[hotline.Channel](f, hotline.ObjChannel, "l2")
	if want := []string{"il", "us"}; !slices.Equal(ch.Parties, want) || ch.Party != "il" {
		t.Errorf("line: %+v, want parties %v", ch, want)
	}
	wantAudience(t, e, "il", "us")
	if h := must[hotline.LinkHealth](f, hotline.ObjLinkHealth, "l2"); h.Party != "il" || h.Status != "untested" {
		t.Errorf("new line's health: %+v", h)
	}
	// An observer may have a line too.
	f.OK("us.admin", hotline.KindChannelCreate, channel("l3", "general", hotline.Line, "jo"))
	if ch := must[hotline.Channel](f, hotline.ObjChannel, "l3"); !slices.Equal(ch.Parties, []string{"jo", "us"}) {
		t.Errorf("observer's line: parties %v", ch.Parties)
	}

	// A line needs a party other than the mediator.
	for _, party := range []string{"us", "zz", ""} {
		f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelCreate, channel("l4", "general", hotline.Line, party))
	}
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelCreate, channel("g1", "general", "group", ""))
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelCreate, channel("n1", "naval", hotline.Joint, ""))
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelCreate, channel("Bad ID", "general", hotline.Joint, ""))
	untitled := channel("t1", "general", hotline.Joint, "")
	untitled["channel"].(map[string]any)["title"] = " "
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelCreate, untitled)
	// Titles in the cell's other languages, by base language.
	for _, titles := range []map[string]string{{"fr": "Général"}, {"ar-SY": "عام"}, {"he": " "}, {"ar": strings.Repeat("ع", 201)}} {
		bad := channel("t2", "general", hotline.Joint, "")
		bad["channel"].(map[string]any)["titles"] = titles
		f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelCreate, bad)
	}
	titled := channel("t3", "general", hotline.Joint, "")
	titled["channel"].(map[string]any)["titles"] = map[string]string{"ar": "عام", "he": "כללי"}
	f.OK("us.admin", hotline.KindChannelCreate, titled)
	ch = must[hotline.Channel](f, hotline.ObjChannel, "t3")
	if ch.TitleIn("ar") != "عام" || ch.TitleIn("he-IL") != "כללי" || ch.TitleIn("en") != "Channel t3" {
		t.Errorf("titles of t3: %q %q %q", ch.TitleIn("ar"), ch.TitleIn("he-IL"), ch.TitleIn("en"))
	}
	f.Fails(cell.ErrConflict, "us.admin", hotline.KindChannelCreate, channel("j2", "general", hotline.Joint, ""))
	f.Fails(cell.ErrConflict, "us.admin", hotline.KindChannelCreate, channel("line-sy", "general", hotline.Line, "sy"))
}

func TestChannelInvite(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	invite := func(channel, party string) map[string]any {
		return map[string]any{"channel": channel, "party": party, "title": "Military"}
	}

	// Before the invitation the observer is not in the joint channel.
	if ch := must[hotline.Channel](f, hotline.ObjChannel, "joint-mil"); slices.Contains(ch.Parties, "jo") {
		t.Fatalf("joint channel includes the observer before an invitation: %v", ch.Parties)
	}
	f.Fails(cell.ErrInvalid, "jo.duty", hotline.KindMessageSend, map[string]any{"channel": "joint-mil", "subject": "s", "body": "b", "lang": "en", "precedence": hotline.Routine})

	f.Fails(cell.ErrForbidden, "il.duty", hotline.KindChannelInvite, invite("joint-mil", "jo"))
	f.Fails(cell.ErrForbidden, "us.mil", hotline.KindChannelInvite, invite("joint-mil", "jo"))
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelInvite, invite("joint-mil", "sy")) // a side, not an observer
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelInvite, invite("joint-mil", "zz"))
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelInvite, invite("line-il", "jo")) // lines take no guests
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelInvite, invite("nope", "jo"))
	// The invitation names the channel as it is, for the invited party's
	// record; a wrong or missing title is refused.
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelInvite, map[string]any{"channel": "joint-mil", "party": "jo"})
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelInvite, map[string]any{"channel": "joint-mil", "party": "jo", "title": "Militar"})
	f.Fails(cell.ErrInvalid, "us.admin", hotline.KindChannelInvite, map[string]any{"channel": "joint-mil", "party": "jo", "title": "Military",
		"titles": map[string]string{"ar": "عسكري"}})

	e := f.OK("us.admin", hotline.KindChannelInvite, invite("joint-mil", "jo"))
	wantAudience(t, e, "il", "jo", "sy", "us")
	if ch := must[hotline.Channel](f, hotline.ObjChannel, "joint-mil"); !slices.Equal(ch.Parties, []string{"il", "jo", "sy", "us"}) {
		t.Errorf("after the invitation: parties %v", ch.Parties)
	}
	f.Fails(cell.ErrConflict, "us.admin", hotline.KindChannelInvite, invite("joint-mil", "jo"))

	// The observer now reads and writes there, but never has to
	// acknowledge: recipients are the sides and the mediator.
	jo := f.send("jo.duty", "joint-mil", hotline.Routine, "observer note")
	if m := must[hotline.Message](f, hotline.ObjMessage, hotline.MsgID(jo)); !slices.Equal(m.Recipients, []string{"il", "sy", "us"}) {
		t.Errorf("observer's message: recipients %v", m.Recipients)
	}
	id := f.send("il.mil", "joint-mil", hotline.Flash, "flash to all")
	wantAudience(t, f.Entry(id), "il", "jo", "sy", "us")
	if m := must[hotline.Message](f, hotline.ObjMessage, hotline.MsgID(id)); !slices.Equal(m.Recipients, []string{"sy", "us"}) {
		t.Errorf("recipients %v, want [sy us]", m.Recipients)
	}
	f.Fails(cell.ErrForbidden, "jo.duty", hotline.KindMessageAck, map[string]any{"message": id, "readback": "flash to all"})
}

// An observer invited into a channel reads it from the invitation on: the
// messages sent before stay out of its reach, and so does everything said
// about them afterwards (an acknowledgement restates its message), which
// keeps the message's audience; it cannot act on them either.
func TestInvitedObserverReadsFromTheInvitationOn(t *testing.T) {
	f := newFixture(t, cell.Settings{})
	before := f.send("il.mil", "joint-mil", hotline.Flash, "convoy at the crossing at ten")
	f.OK("us.admin", hotline.KindChannelInvite, map[string]any{"channel": "joint-mil", "party": "jo", "title": "Military"})
	after := f.send("il.mil", "joint-mil", hotline.Routine, "after the invitation")
	wantAudience(t, f.Entry(after), "il", "jo", "sy", "us")

	// What is said about the earlier message after the invitation.
	ack := f.OK("sy.mil", hotline.KindMessageAck, map[string]any{"message": before, "readback": "their convoy crosses at ten"})
	wantAudience(t, ack, "il", "sy", "us")
	mark := f.OK("il.mil", hotline.KindReadbackMark, map[string]any{"message": before, "party": "sy", "verdict": hotline.VerdictOK})
	wantAudience(t, mark, "il", "sy", "us")
	read := f.OK("sy.duty", hotline.KindMessageRead, map[string]any{"message": before})
	wantAudience(t, read, "il", "sy", "us")
	tr := f.OK("us.mil", hotline.KindTranslationAdd, map[string]any{"message": before, "lang": "ar", "text": "قافلة عند المعبر في العاشرة", "method": "human"})
	wantAudience(t, tr, "il", "sy", "us")
	conf := f.OK("sy.mil", hotline.KindTranslationConfirm, map[string]any{"translation": tr.Index})
	wantAudience(t, conf, "il", "sy", "us")

	// The projections carry the same audience, so no reader's view holds
	// them for Jordan.
	jo := f.st.ViewFor(testCell, store.Reader{Mask: f.partyBit("jo")})
	for _, k := range [][2]string{
		{hotline.ObjMessage, hotline.MsgID(before)},
		{hotline.ObjAck, hotline.AckID(before, "sy")},
		{hotline.ObjReceipt, hotline.MsgID(before) + "/sy.duty"},
		{hotline.ObjTranslation, hotline.MsgID(tr.Index)},
	} {
		if _, err := jo.Get(f.ctx, k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Jordan's view holds %s %s: %v", k[0], k[1], err)
		}
	}
	if _, err := jo.Get(f.ctx, hotline.ObjMessage, hotline.MsgID(after)); err != nil {
		t.Errorf("Jordan's view lacks the message sent after the invitation: %v", err)
	}
	if _, err := jo.Get(f.ctx, hotline.ObjChannel, "joint-mil"); err != nil {
		t.Errorf("Jordan's view lacks the channel it was invited into: %v", err)
	}

	// Nor can Jordan act on the earlier message: it does not exist for it.
	f.Fails(cell.ErrInvalid, "jo.duty", hotline.KindMessageRead, map[string]any{"message": before})
	f.Fails(cell.ErrInvalid, "jo.duty", hotline.KindTranslationAdd, map[string]any{"message": before, "lang": "he", "text": "שיירה", "method": "human"})
	f.Fails(cell.ErrInvalid, "jo.duty", hotline.KindMessageSend, map[string]any{"channel": "joint-mil", "subject": "re", "body": "re", "lang": "en",
		"precedence": hotline.Routine, "reply_to": before})
	f.OK("jo.duty", hotline.KindMessageRead, map[string]any{"message": after})
}

// partyBit is a party's audience bit.
func (f *fixture) partyBit(id string) uint64 {
	f.t.Helper()
	p, err := cell.GetParty(f.ctx, f.st.View(testCell), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return p.Bit()
}
