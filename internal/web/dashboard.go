package web

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// page builds a signed-in page's data.
func (w *Web) page(c *ctx, title, nav, script string, data any) *page {
	pg := w.pageData(c.p, c.l, title, nav, script, data)
	pg.CellName = cellName(c.info, c.l)
	pg.Proof = c.proof
	return pg
}

// cellName names the cell in the reader's language when it has a name in it.
func cellName(info cell.Info, l *Localizer) string {
	if n := info.Names[l.Lang]; n != "" {
		return n
	}
	return info.Name
}

type awaitingItem struct {
	ID           int64
	Channel      string
	Href         string
	Precedence   string
	Subject      string
	ChannelTitle string
	From         string
	Sent         stamp
	Due          stamp
	Left         template.HTML // "9:41 left" or "overdue 0:12", the time isolated
	Over         bool
	Escalations  int
	Round        int
	Readback     bool // a readback is required
	Correction   string
	OwedBy       string // on the mediator's list of what the parties owe
}

type escalationItem struct {
	ID         int64
	Message    int64
	Href       string
	Subject    string
	Party      string
	PartyID    string
	Precedence string
	Level      string
	Admin      bool
	At         stamp
}

// readbackItem is a readback of a message the reader's party sent, for
// the party to judge on the message's page.
type readbackItem struct {
	Key          string // message/party, as the stream's entries name it
	Message      int64
	Href         string
	Precedence   string
	Subject      string
	ChannelTitle string
	Party        string
	PartyID      string
	By           string
	Readback     string
	At           stamp
	AckedAt      time.Time
	Alert        string // what a screen reader hears when it arrives
}

type lineItem struct {
	Channel  string
	Title    string
	Party    string
	Status   string // ok, pending, dead, untested
	Label    string
	LastSent *stamp
	LastOK   *stamp
}

type posture struct {
	State       string // normal, attention, alert
	Label       string
	Awaiting    int
	Overdue     int
	Readbacks   int
	Escalations int
	Dead        int
	Party       string
	Roles       string
	Clocks      []clock
}

type clock struct {
	Party, Zone string
	Stamp       stamp
}

type dashboardData struct {
	Awaiting []awaitingItem
	// Owing is, on the mediator's screen, what each party owes: the
	// mediator watches both sides' silence, not only its own.
	Mediator    bool
	Owing       []awaitingItem
	Readbacks   []readbackItem
	Escalations []escalationItem
	Lines       []lineItem
	Posture     posture
	// Board is the de-escalation desk's status board (deconflict.go).
	Board *deskBoard
	// Gates are, for the commercial desks the rule book says they alert,
	// the gate alerts that stand (urgent.go): the watch screen carries no
	// banner, so it lists them in a panel of their own.
	HearsGates bool
	Gates      []gateAlertItem
}

// dashboardFragments are the parts of the watch screen a script refreshes.
var dashboardFragments = []string{"awaiting", "owing", "readbacks", "gates", "escalations", "linktests", "posture"}

func (w *Web) dashboard(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	frag := r.URL.Query().Get("fragment")
	if frag != "" && !slices.Contains(dashboardFragments, frag) || frag == "owing" && c.p.Party.Kind != cell.Mediator || frag == "gates" && !hearsGateAlerts(c) {
		return errNoFragment
	}
	d, err := w.dashboardData(r, c)
	if err != nil {
		return err
	}
	pg := w.page(c, c.l.T("dashboard.title"), "dashboard", "dashboard", d)
	if frag != "" {
		w.renderFragment(rw, r, "dashboard", "frag-"+frag, pg)
		return nil
	}
	w.render(rw, r, http.StatusOK, "dashboard", pg)
	return nil
}

// channels are the channels c's member may see, in order and by id.
func (w *Web) channels(r *http.Request, c *ctx) ([]hotline.Channel, map[string]hotline.Channel, error) {
	chs, err := w.api.Channels(r, c.p)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]hotline.Channel, len(chs))
	for _, ch := range chs {
		byID[ch.ID] = ch
	}
	return chs, byID, nil
}

func (w *Web) dashboardData(r *http.Request, c *ctx) (*dashboardData, error) {
	chs, byID, err := w.channels(r, c)
	if err != nil {
		return nil, err
	}
	d := &dashboardData{}
	items, err := w.api.Inbox(r, c.p)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		a := w.awaiting(c, it, byID)
		if a.Over {
			d.Posture.Overdue++
		}
		d.Awaiting = append(d.Awaiting, a)
	}
	if d.Mediator = c.p.Party.Kind == cell.Mediator; d.Mediator {
		for _, pa := range c.parties {
			if pa.Kind == cell.Mediator {
				continue
			}
			owed, err := w.api.PartyInbox(r, c.p, pa.ID)
			if err != nil {
				return nil, err
			}
			for _, it := range owed {
				a := w.awaiting(c, it, byID)
				a.OwedBy = c.partyName(pa.ID)
				d.Owing = append(d.Owing, a)
			}
		}
		slices.SortStableFunc(d.Owing, func(x, y awaitingItem) int { return strings.Compare(x.Due.Attr, y.Due.Attr) }) // RFC 3339 in UTC sorts as time
	}
	if d.Readbacks, err = w.readbacks(r, c, byID); err != nil {
		return nil, err
	}
	if d.Escalations, err = w.openEscalations(r, c, byID); err != nil {
		return nil, err
	}
	if d.Lines, err = w.lines(r, c, chs); err != nil {
		return nil, err
	}
	d.Posture = w.posture(c, d)
	if d.Board, err = w.deskBoard(r, c); err != nil {
		return nil, err
	}
	if d.HearsGates = hearsGateAlerts(c); d.HearsGates {
		if d.Gates, err = w.gateAlerts(r, c); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// awaiting renders one acknowledgement owed.
func (w *Web) awaiting(c *ctx, it api.InboxItem, byID map[string]hotline.Channel) awaitingItem {
	ch := byID[it.Message.Channel]
	zones := zonesOf(c.l, c.parties, ch.Parties)
	left, over := countdown(c.now, it.Due)
	a := awaitingItem{ID: it.Message.ID, Channel: it.Message.Channel, Href: messageHref(it.Message), Precedence: it.Message.Precedence,
		Subject: it.Message.Subject, ChannelTitle: ch.TitleIn(c.l.Lang), From: c.partyName(it.Message.SenderParty),
		Sent: newStamp(it.Message.Sent, zones), Due: newStamp(it.Due, zones), Over: over,
		Escalations: it.Ack.Escalations, Round: it.Ack.Round, Correction: it.Ack.Correction,
		Readback: (it.Message.Precedence == hotline.Flash || it.Message.Precedence == hotline.Immediate) && !it.Message.LinkTest}
	if it.Message.LinkTest {
		a.Subject = c.l.T("linktest.subject")
	}
	a.Left = countdownHTML(c.l, left, over)
	return a
}

// readbacks lists the readbacks the member's party has yet to judge,
// among the messages a conversation page shows, where they are judged.
func (w *Web) readbacks(r *http.Request, c *ctx, byID map[string]hotline.Channel) ([]readbackItem, error) {
	rbs, err := w.api.ReadbacksToJudge(r, c.p, MessagesShown)
	if err != nil {
		return nil, err
	}
	out := make([]readbackItem, 0, len(rbs))
	for _, rb := range rbs {
		ch := byID[rb.Message.Channel]
		subject := rb.Message.Subject
		if rb.Message.LinkTest {
			subject = c.l.T("linktest.subject")
		}
		party := c.partyName(rb.Ack.Party)
		out = append(out, readbackItem{Key: hotline.AckID(rb.Message.ID, rb.Ack.Party), Message: rb.Message.ID, Href: messageHref(rb.Message),
			Precedence: rb.Message.Precedence, Subject: subject, ChannelTitle: ch.TitleIn(c.l.Lang), Party: party, PartyID: rb.Ack.Party,
			By: rb.Ack.AckedBy, Readback: rb.Ack.Readback, At: newStamp(rb.Ack.AckedAt, zonesOf(c.l, c.parties, ch.Parties)), AckedAt: rb.Ack.AckedAt,
			Alert: c.l.T("js.alert.readback", "party", party, "subject", subject)})
	}
	return out, nil
}

// openEscalations lists the escalations still open — the acknowledgement
// they are about is still awaited in the same round — at their highest
// level, the most recent first. A party's watch lists its own silence
// only: on a joint channel it reads the others' escalations too, and
// counting them made its posture cry wolf. The mediator, who watches
// every party's silence, lists all.
func (w *Web) openEscalations(r *http.Request, c *ctx, byID map[string]hotline.Channel) ([]escalationItem, error) {
	es, err := w.api.Escalations(r, c.p, 5000)
	if err != nil {
		return nil, err
	}
	type key struct {
		msg   int64
		party string
	}
	latest := map[key]hotline.Escalation{}
	for _, e := range es {
		if e.Party != c.p.Party.ID && c.p.Party.Kind != cell.Mediator {
			continue
		}
		k := key{e.Message, e.Party}
		if prev, ok := latest[k]; !ok || e.Round > prev.Round || e.Round == prev.Round && e.Level > prev.Level {
			latest[k] = e
		}
	}
	var out []escalationItem
	for _, e := range latest {
		ack, err := w.api.Ack(r, c.p, e.Message, e.Party)
		if err != nil || ack.Status != hotline.AckPending || ack.Round != e.Round {
			continue
		}
		mv, err := w.api.Message(r, c.p, strconv.FormatInt(e.Message, 10))
		if err != nil {
			continue // the channel went out of sight: nothing to show
		}
		admin := slices.Contains(e.NotifyRoles, cell.RoleAdmin)
		level := c.l.T("escalation.duty")
		if admin {
			level = c.l.T("escalation.admin")
		}
		subject := mv.Subject
		if mv.LinkTest {
			subject = c.l.T("linktest.subject")
		}
		zones := zonesOf(c.l, c.parties, byID[e.Channel].Parties)
		out = append(out, escalationItem{ID: e.ID, Message: e.Message, Href: messageHref(mv.Message), Subject: subject,
			Party: c.partyName(e.Party), PartyID: e.Party, Precedence: e.Precedence, Level: level, Admin: admin, At: newStamp(e.At, zones)})
	}
	slices.SortFunc(out, func(a, b escalationItem) int { return int(b.ID - a.ID) })
	return out, nil
}

// lines lists every line the member sees with its link-test health.
func (w *Web) lines(r *http.Request, c *ctx, chs []hotline.Channel) ([]lineItem, error) {
	hs, err := w.api.LineHealth(r, c.p)
	if err != nil {
		return nil, err
	}
	health := map[string]hotline.LinkHealth{}
	for _, h := range hs {
		health[h.Channel] = h
	}
	var out []lineItem
	for _, ch := range chs {
		if ch.Kind != hotline.Line {
			continue
		}
		if c.p.Party.Kind != cell.Mediator && ch.Party != c.p.Party.ID {
			continue
		}
		li := lineItem{Channel: ch.ID, Title: ch.TitleIn(c.l.Lang), Party: c.partyName(ch.Party), Status: "untested"}
		zones := zonesOf(c.l, c.parties, ch.Parties)
		if h, ok := health[ch.ID]; ok {
			li.Status = h.Status
			if !h.LastSent.IsZero() {
				s := newStamp(h.LastSent, zones)
				li.LastSent = &s
			}
			if !h.LastOK.IsZero() {
				ok := newStamp(h.LastOK, zones)
				li.LastOK = &ok
			}
		}
		li.Label = li.Status
		if c.l.Has("linktest.status." + li.Status) {
			li.Label = c.l.T("linktest.status." + li.Status)
		}
		out = append(out, li)
	}
	return out, nil
}

// posture sums up the watch: alert when something is overdue, escalated to
// admins or a line is dead; attention when something urgent awaits, an
// escalation is open or a readback awaits our judgement; normal otherwise.
func (w *Web) posture(c *ctx, d *dashboardData) posture {
	p := d.Posture
	p.Awaiting = len(d.Awaiting)
	p.Readbacks = len(d.Readbacks)
	p.Escalations = len(d.Escalations)
	urgent := false
	for _, a := range d.Awaiting {
		if a.Precedence == hotline.Flash || a.Precedence == hotline.Immediate {
			urgent = true
		}
	}
	admin := false
	for _, e := range d.Escalations {
		admin = admin || e.Admin
	}
	for _, l := range d.Lines {
		if l.Status == "dead" {
			p.Dead++
		}
	}
	switch {
	case p.Overdue > 0 || admin || p.Dead > 0:
		p.State = "alert"
	case urgent || p.Escalations > 0 || p.Readbacks > 0:
		p.State = "attention"
	default:
		p.State = "normal"
	}
	p.Label = c.l.T("posture.state." + p.State)
	p.Party = partyName(c.l, c.p.Party)
	var roles []string
	for _, role := range c.p.Member.Roles {
		roles = append(roles, c.l.T("role."+role))
	}
	p.Roles = strings.Join(roles, c.l.T("list.sep"))
	p.Clocks = append(p.Clocks, clock{Party: "UTC", Zone: "UTC", Stamp: newStamp(c.now, nil)})
	for _, pa := range c.parties {
		for _, z := range zonesOf(c.l, c.parties, []string{pa.ID}) {
			p.Clocks = append(p.Clocks, clock{Party: z.Party, Zone: pa.TimeZone, Stamp: newStamp(c.now, []zone{z})})
		}
	}
	return p
}

// messageHref links to a message in its channel's conversation.
func messageHref(m hotline.Message) string {
	return "/channels/" + m.Channel + "#m-" + strconv.FormatInt(m.ID, 10)
}
