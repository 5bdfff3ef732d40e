package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// urgentData is the banner every signed-in page carries (its script asks
// GET /urgent?fragment=urgent, so that a lost session answers 401): the FLASH and
// IMMEDIATE messages the member's party has yet to acknowledge. An officer
// reading another page, or another channel, must still not miss one.
//
// It also lists the readbacks of what the party sent that await its
// judgement: until they are judged, the sender does not know that the
// other side understood.
type urgentData struct {
	Count   int
	Overdue int
	Items   []awaitingItem // in urgentOrder: all still answerable in time, then the newest escalated
	More    int            // overdue ones left to the watch screen

	Readbacks     []readbackItem // the newest urgentShown of them
	ReadbackCount int
	ReadbackMore  int

	// Gates are the gate alerts of projects in implementation whose
	// failure stands, for the commercial desks that read them: the project
	// can go no further until what it depends on holds again.
	Gates     []gateAlertItem // the newest urgentShown of them
	GateCount int
	GateMore  int

	// Labelledby names the heads of the parts shown.
	Labelledby string
}

type gateAlertItem struct {
	Project   string
	Href      string
	Title     string
	Milestone string
	Reason    string
	Since     *stamp
	Entry     int64
}

// urgentShown is how many items the banner lists at least, room allowing;
// every item still answerable in time is listed, however many.
const urgentShown = 5

func (w *Web) urgent(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	_, byID, err := w.channels(r, c)
	if err != nil {
		return err
	}
	items, err := w.api.Inbox(r, c.p)
	if err != nil {
		return err
	}
	items = slices.DeleteFunc(items, func(it api.InboxItem) bool {
		p := it.Message.Precedence
		return p != hotline.Flash && p != hotline.Immediate
	})
	urgentOrder(items, c.now)
	d := urgentData{Count: len(items)}
	for _, it := range items {
		if it.Due.Before(c.now) {
			d.Overdue++
		}
	}
	// What can still be answered in time is always listed; of the rest,
	// the newest escalations fill the banner up to urgentShown, and the
	// newest one is listed whatever the room.
	overdueShown := max(urgentShown-(d.Count-d.Overdue), 1)
	for i, it := range items {
		if i >= d.Count-d.Overdue+overdueShown {
			break
		}
		d.Items = append(d.Items, w.awaiting(c, it, byID))
	}
	d.More = d.Count - len(d.Items)
	rbs, err := w.readbacks(r, c, byID)
	if err != nil {
		return err
	}
	// The newest first: the one that just sounded is listed, however many
	// older ones wait (the watch screen lists them all, oldest first).
	slices.SortStableFunc(rbs, func(a, b readbackItem) int { return b.AckedAt.Compare(a.AckedAt) })
	d.ReadbackCount = len(rbs)
	d.Readbacks = rbs[:min(len(rbs), urgentShown)]
	d.ReadbackMore = d.ReadbackCount - len(d.Readbacks)
	// Every page reads the banner: the gates are judged only for the
	// desks they alert.
	var gates []gateAlertItem
	if hearsGateAlerts(c) {
		if gates, err = w.gateAlerts(r, c); err != nil {
			return err
		}
	}
	d.GateCount = len(gates)
	d.Gates = gates[:min(len(gates), urgentShown)]
	d.GateMore = d.GateCount - len(d.Gates)
	var heads []string
	for _, h := range []struct {
		n  int
		id string
	}{{d.Count, "urgent-head"}, {d.ReadbackCount, "readbacks-head"}, {d.GateCount, "gates-head"}} {
		if h.n > 0 {
			heads = append(heads, h.id)
		}
	}
	d.Labelledby = strings.Join(heads, " ")
	w.renderFragment(rw, r, "dashboard", "frag-urgent", w.page(c, "", "", "", d))
	return nil
}

// urgentOrder puts first what can still be saved: the acknowledgements
// not yet overdue, soonest deadline first. Then the overdue ones, the most
// recently escalated first: the newest escalation is news, an old one is
// already on the watch screen and with the party's admins. In deadline
// order alone, five old overdue FLASHes hid a new one with 0:18 left.
func urgentOrder(items []api.InboxItem, now time.Time) {
	slices.SortStableFunc(items, func(a, b api.InboxItem) int {
		aOver, bOver := a.Due.Before(now), b.Due.Before(now)
		switch {
		case aOver != bOver:
			if aOver {
				return 1
			}
			return -1
		case !aOver:
			return a.Due.Compare(b.Due)
		}
		return lastEscalated(b).Compare(lastEscalated(a))
	})
}

// lastEscalated is when silence on an overdue acknowledgement last
// escalated, as the watch escalates it (at each multiple of the deadline's
// window); one not yet escalated is news from its deadline on.
func lastEscalated(it api.InboxItem) time.Time {
	d := it.Deadline
	if d.Window <= 0 {
		return it.Due
	}
	return d.Start.Add(time.Duration(max(d.Level, 1)) * d.Window)
}

// gateAlerts are the gate alerts that stand and that the rule book says
// are news for c's member, newest first, for the banner and the watch
// screen.
func (w *Web) gateAlerts(r *http.Request, c *ctx) ([]gateAlertItem, error) {
	as, err := w.api.GateAlerts(r, c.p, c.now)
	if err != nil {
		return nil, err
	}
	out := make([]gateAlertItem, 0, len(as))
	for _, a := range as {
		it := gateAlertItem{Project: a.Project, Href: "/projects/" + a.Project + "#m-" + a.Milestone, Title: named(c.l, a.Title, a.Titles),
			Milestone: a.MilestoneTitle, Reason: a.Reason, Entry: a.Entry}
		if !a.Since.IsZero() {
			s := newStamp(a.Since, c.deskZones(c.p.Party.ID))
			it.Since = &s
		}
		out = append(out, it)
	}
	return out, nil
}

// hearsGateAlerts is whether the rule book makes c's member one of the
// desks the gate alerts are for: the watch screen then keeps a panel of
// them, empty or not.
func hearsGateAlerts(c *ctx) bool {
	return cell.May(c.p.Actor(), cell.HearAlert, cell.Target{Roles: []string{cell.RoleCommercial}}) == nil
}
