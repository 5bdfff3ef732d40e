package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/store"
)

// errNoFragment answers a fragment name the page does not have.
var errNoFragment = fmt.Errorf("no such fragment: %w", store.ErrNotFound)

// MessagesShown bounds the messages a conversation page shows.
const MessagesShown = 200

type deskGroup struct {
	Desk     string
	Label    string
	Channels []channelLink
}

type channelLink struct {
	ID, Title, Kind string
	Awaiting        int
}

func (w *Web) channelsPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	chs, err := w.api.Channels(r, c.p)
	if err != nil {
		return err
	}
	inbox, err := w.api.Inbox(r, c.p)
	if err != nil {
		return err
	}
	awaiting := map[string]int{}
	for _, it := range inbox {
		awaiting[it.Message.Channel]++
	}
	var groups []deskGroup
	for _, desk := range hotline.Desks {
		g := deskGroup{Desk: desk, Label: c.l.T("desk." + desk)}
		for _, ch := range chs {
			if ch.Desk == desk {
				g.Channels = append(g.Channels, channelLink{ID: ch.ID, Title: ch.TitleIn(c.l.Lang), Kind: c.l.T("channel.kind." + ch.Kind), Awaiting: awaiting[ch.ID]})
			}
		}
		if len(g.Channels) > 0 {
			groups = append(groups, g)
		}
	}
	w.render(rw, r, http.StatusOK, "channels", w.page(c, c.l.T("hotline.title"), "hotline", "", groups))
	return nil
}

// messageLink sends a link to a message (from the record, the API) to the
// message in its conversation.
func (w *Web) messageLink(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	mv, err := w.api.Message(r, c.p, r.PathValue("message"))
	if err != nil {
		return err
	}
	http.Redirect(rw, r, messageHref(mv.Message), http.StatusSeeOther)
	return nil
}

type channelData struct {
	Channel     hotline.Channel
	Desk        string
	Parties     string
	Messages    []messageItem
	CanSend     bool
	SendNote    string
	Precedences []option
	Languages   []option
	Glossary    []hotline.Term
	// Earlier pages back through the channel's history; Newer returns
	// from there to the live end.
	Earlier, Newer string
	// Invitable are the observers the mediator's admin may invite into
	// this joint channel.
	Invitable []option
	// Pinned are the FLASH and IMMEDIATE messages of this channel that
	// the reader's party has yet to acknowledge, soonest deadline first,
	// held above the conversation with their acknowledgement at hand.
	Pinned []pinItem
}

// pinItem is a message pinned above the conversation until the reader's
// party acknowledges it.
type pinItem struct {
	messageItem
	Due  stamp
	Left template.HTML
	Over bool
}

type option struct {
	Value, Label string
	Selected     bool
}

type messageItem struct {
	ID           int64
	Precedence   string
	PrecGloss    string
	Subject      template.HTML
	Body         template.HTML
	Lang         string
	LangName     string
	Sender       string
	SenderParty  string
	Sent         stamp
	LinkTest     bool
	ReplyTo      *int64
	Corrects     *int64
	Attachments  []hotline.Attachment
	Translations []translationItem
	Acks         []ackItem
	Receipts     []receiptItem
	ReadByMe     bool
	CanRead      bool // not read by the reader yet, and not their own
	MyParty      bool // sent by the reader's party
	CanAck       bool
	NeedReadback bool
	Correction   string // a correction the reader's party must answer
	CanTranslate bool
	// Reply to it, or (its own party's) send a correction, through the
	// compose form.
	CanReply   bool
	CanCorrect bool
	// The mediator's relay of a line's message to another party's line:
	// where it may go, and the original's words to start from. RelayedFrom
	// and RelayedTo link relays made (the API gives them to the mediator
	// alone).
	CanRelay     bool
	RelayTargets []option
	RelayPrecs   []option
	RawSubject   string
	RawBody      string
	RelayedFrom  *int64
	RelayedTo    []int64
}

type translationItem struct {
	ID         int64
	Lang       string
	LangName   string
	Text       template.HTML
	Method     string
	Translator string
	Confirmed  bool
	By         string
	CanConfirm bool
}

type ackItem struct {
	Party      string
	PartyID    string
	Status     string // pending, acknowledged
	Text       string // "Awaiting acknowledgement from Syria" / "Acknowledged by Syria"
	By         string
	At         *stamp
	Due        stamp
	Left       template.HTML
	Over       bool
	Readback   string
	Verdict    string
	Verdicts   string // "Readback correct" / "Readback incorrect"
	Correction string
	MarkedBy   string
	CanJudge   bool
}

type receiptItem struct {
	Member, Party string
	At            stamp
}

func (w *Web) channelPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	frag := r.URL.Query().Get("fragment")
	if frag != "" && frag != "messages" && frag != "pinned" {
		return errNoFragment
	}
	ch, err := w.api.Channel(r, c.p, r.PathValue("channel"))
	if err != nil {
		return err
	}
	if frag == "pinned" {
		d := channelData{Channel: ch}
		if d.Pinned, err = w.pinned(r, c, ch); err != nil {
			return err
		}
		w.renderFragment(rw, r, "channel", "frag-pinned", w.page(c, "", "hotline", "channel", d))
		return nil
	}
	before := int64(-1)
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 0 {
			return errBadQuery
		}
		before = n
	}
	mvs, more, err := w.api.ChannelMessages(r, c.p, ch.ID, before, MessagesShown)
	if err != nil {
		return err
	}
	terms, err := w.api.Glossary(r, c.p)
	if err != nil {
		return err
	}
	termByID := map[string]hotline.Term{}
	for _, t := range terms {
		termByID[t.ID] = t
	}
	zones := zonesOf(c.l, c.parties, ch.Parties)
	shown := ch
	shown.Title = ch.TitleIn(c.l.Lang) // the page shows the title in the reader's language
	d := channelData{Channel: shown, Desk: c.l.T("desk." + ch.Desk), CanSend: holdsDesk(c.p, ch), Glossary: terms}
	var names []string
	for _, id := range ch.Parties {
		names = append(names, c.partyName(id))
	}
	d.Parties = joinList(c.l, names)
	if ch.Kind == hotline.Joint && cell.May(c.p.Actor(), cell.ManageParties, cell.Target{}) == nil {
		for _, pa := range c.parties {
			if pa.Kind == cell.Observer && !slices.Contains(ch.Parties, pa.ID) {
				d.Invitable = append(d.Invitable, option{Value: pa.ID, Label: partyName(c.l, pa)})
			}
		}
	}
	if !d.CanSend {
		d.SendNote = c.l.T("compose.desk_needed", "desk", d.Desk)
	}
	for _, p := range []string{hotline.Routine, hotline.Priority, hotline.Immediate, hotline.Flash} {
		d.Precedences = append(d.Precedences, option{Value: p, Label: p + " — " + c.l.T("prec."+p+".gloss"), Selected: p == hotline.Routine})
	}
	for _, lang := range Languages {
		d.Languages = append(d.Languages, option{Value: lang, Label: c.l.T("lang." + lang), Selected: lang == c.l.Lang})
	}
	if more && len(mvs) > 0 {
		d.Earlier = "/channels/" + url.PathEscape(ch.ID) + "?before=" + strconv.FormatInt(mvs[0].ID, 10)
	}
	if before >= 0 {
		d.Newer = "/channels/" + url.PathEscape(ch.ID)
	}
	relayTo, err := w.relayTargets(r, c, ch)
	if err != nil {
		return err
	}
	// Oldest first, as the chat clients officers know: the page opens on
	// the newest, just above the compose form.
	for _, mv := range mvs {
		d.Messages = append(d.Messages, w.messageItem(c, ch, mv, termByID, zones, relayTo))
	}
	if d.Pinned, err = w.pinned(r, c, ch); err != nil {
		return err
	}
	pg := w.page(c, ch.TitleIn(c.l.Lang), "hotline", "channel", d)
	if frag != "" {
		w.renderFragment(rw, r, "channel", "frag-messages", pg)
		return nil
	}
	w.render(rw, r, http.StatusOK, "channel", pg)
	return nil
}

func (w *Web) messageItem(c *ctx, ch hotline.Channel, mv api.MessageView, terms map[string]hotline.Term, zones []zone, relayTo []option) messageItem {
	me := c.p.Member.ID
	mine := c.p.Party.ID
	it := messageItem{ID: mv.ID, Precedence: mv.Precedence, PrecGloss: c.l.T("prec." + mv.Precedence + ".gloss"),
		Subject: markTerms(mv.Subject, mv.Glossary, terms), Body: markTerms(mv.Body, mv.Glossary, terms),
		Lang: mv.Lang, LangName: c.l.T("lang." + baseLang(mv.Lang)), Sender: mv.Sender, SenderParty: c.partyName(mv.SenderParty),
		Sent: newStamp(mv.Sent, zones), LinkTest: mv.LinkTest, ReplyTo: mv.ReplyTo, Corrects: mv.Corrects,
		Attachments: mv.Attachments, MyParty: mv.SenderParty == mine}
	if mv.Sender == "" {
		it.Sender = c.l.T("signer.server")
	}
	desk := holdsDesk(c.p, ch)
	for _, t := range mv.Translations {
		ti := translationItem{ID: t.ID, Lang: t.Lang, LangName: c.l.T("lang." + baseLang(t.Lang)), Text: markTerms(t.Text, termsIn(t.Text, terms), terms),
			Method: c.l.T("translation.method." + t.Method), Translator: t.Translator, Confirmed: t.Confirmed, By: t.ConfirmedBy}
		ti.CanConfirm = !t.Confirmed && me != t.AddedBy && (slices.Contains(mv.Recipients, mine) || mediatesHotline(c.p))
		it.Translations = append(it.Translations, ti)
	}
	it.CanTranslate = true
	for _, a := range mv.Acks {
		ai := ackItem{Party: c.partyName(a.Party), PartyID: a.Party, Status: a.Status, By: a.AckedBy, Readback: a.Readback,
			Verdict: a.Verdict, Correction: a.Correction, MarkedBy: a.MarkedBy, Due: newStamp(a.Due, zones)}
		if a.Status == hotline.AckDone {
			ai.Text = c.l.T("ack.done", "party", ai.Party)
			at := newStamp(a.AckedAt, zones)
			ai.At = &at
		} else {
			ai.Text = c.l.T("ack.pending", "party", ai.Party)
			left, over := countdown(c.now, a.Due)
			ai.Over, ai.Left = over, countdownHTML(c.l, left, over)
		}
		switch a.Verdict {
		case hotline.VerdictOK:
			ai.Verdicts = c.l.T("readback.correct")
		case hotline.VerdictFail:
			ai.Verdicts = c.l.T("readback.incorrect")
		}
		// Who may judge a readback, as hotline.readbackMark decides.
		ai.CanJudge = it.MyParty && (me == mv.Sender || desk) && a.Status == hotline.AckDone && a.Readback != "" && a.Verdict == ""
		if a.Party == mine && a.Status == hotline.AckPending {
			// Who may acknowledge, as hotline.messageAck decides.
			it.CanAck = desk && slices.Contains(mv.Recipients, mine)
			it.NeedReadback = (mv.Precedence == hotline.Flash || mv.Precedence == hotline.Immediate) && !mv.LinkTest
			it.Correction = a.Correction
		}
		it.Acks = append(it.Acks, ai)
	}
	for _, rc := range mv.Receipts {
		it.Receipts = append(it.Receipts, receiptItem{Member: rc.Member, Party: c.partyName(rc.Party), At: newStamp(rc.At, zones)})
		if rc.Member == me {
			it.ReadByMe = true
		}
	}
	it.CanRead = !it.ReadByMe && mv.Sender != me
	it.RelayedFrom, it.RelayedTo = mv.RelayedFrom, mv.RelayedTo
	it.CanReply = desk
	it.CanCorrect = desk && it.MyParty && !mv.LinkTest
	if len(relayTo) > 0 && !mv.LinkTest {
		it.CanRelay, it.RelayTargets = true, relayTo
		it.RawSubject, it.RawBody = mv.Subject, mv.Body
		for _, p := range []string{hotline.Routine, hotline.Priority, hotline.Immediate, hotline.Flash} {
			it.RelayPrecs = append(it.RelayPrecs, option{Value: p, Label: p, Selected: p == mv.Precedence})
		}
	}
	return it
}

// pinned lists the FLASH and IMMEDIATE messages of ch that the reader's
// party has yet to acknowledge, from its inbox (an old one beyond the
// page's messages too), in the banner's order: what can still be
// answered in time first.
func (w *Web) pinned(r *http.Request, c *ctx, ch hotline.Channel) ([]pinItem, error) {
	items, err := w.api.Inbox(r, c.p)
	if err != nil {
		return nil, err
	}
	urgentOrder(items, c.now)
	var out []pinItem
	var terms map[string]hotline.Term
	for _, it := range items {
		if p := it.Message.Precedence; it.Message.Channel != ch.ID || p != hotline.Flash && p != hotline.Immediate {
			continue
		}
		mv, err := w.api.Message(r, c.p, strconv.FormatInt(it.Message.ID, 10))
		if err != nil {
			return nil, err
		}
		if terms == nil {
			ts, err := w.api.Glossary(r, c.p)
			if err != nil {
				return nil, err
			}
			terms = map[string]hotline.Term{}
			for _, t := range ts {
				terms[t.ID] = t
			}
		}
		zones := zonesOf(c.l, c.parties, ch.Parties)
		left, over := countdown(c.now, it.Due)
		out = append(out, pinItem{messageItem: w.messageItem(c, ch, mv, terms, zones, nil),
			Due: newStamp(it.Due, zones), Left: countdownHTML(c.l, left, over), Over: over})
	}
	return out, nil
}

// relayTargets lists the lines the mediator may relay a message of ch
// to: every other party's line. Nothing for anyone else, or off a line.
func (w *Web) relayTargets(r *http.Request, c *ctx, ch hotline.Channel) ([]option, error) {
	if !mediatesHotline(c.p) || ch.Kind != hotline.Line {
		return nil, nil
	}
	chs, err := w.api.Channels(r, c.p)
	if err != nil {
		return nil, err
	}
	var out []option
	for _, o := range chs {
		if o.Kind == hotline.Line && o.Party != ch.Party {
			out = append(out, option{Value: o.ID, Label: o.TitleIn(c.l.Lang)})
		}
	}
	return out, nil
}

// holdsDesk asks the rule book whether p acts on ch's desk, to offer only
// the actions the hotline will accept; it asks again. mediatesHotline
// asks the same of the mediator's part (relaying, confirming any
// translation).
func holdsDesk(p *api.Principal, ch hotline.Channel) bool {
	return cell.May(p.Actor(), cell.ActOnDesk, cell.Target{Desk: ch.Desk}) == nil
}

func mediatesHotline(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.MediateHotline, cell.Target{}) == nil
}

func baseLang(tag string) string {
	for i := 0; i < len(tag); i++ {
		if tag[i] == '-' {
			return tag[:i]
		}
	}
	return tag
}

func joinList(l *Localizer, items []string) string {
	out := ""
	for i, s := range items {
		if i > 0 {
			out += l.T("list.sep")
		}
		out += s
	}
	return out
}
