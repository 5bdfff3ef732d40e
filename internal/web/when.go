package web

import (
	"fmt"
	"html/template"
	"time"
	_ "time/tzdata" // parties' zones must resolve on a host without zoneinfo

	"github.com/liaison-cell/liaison/internal/cell"
)

// zone is a party's time zone, named for the reader.
type zone struct {
	Party string
	Loc   *time.Location
}

// zonesOf returns the zones of the named parties (all when ids is empty),
// in the cell's party order, naming each party in the reader's language.
func zonesOf(l *Localizer, parties []cell.Party, ids []string) []zone {
	var out []zone
	for _, p := range parties {
		if len(ids) > 0 && !contains(ids, p.ID) {
			continue
		}
		loc, err := time.LoadLocation(p.TimeZone)
		if err != nil || p.TimeZone == "" {
			continue
		}
		out = append(out, zone{Party: partyName(l, p), Loc: loc})
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// partyName names a party in the reader's language when the party gave a
// name in it.
func partyName(l *Localizer, p cell.Party) string {
	if n := p.Names[l.Lang]; n != "" {
		return n
	}
	return p.Name
}

// stamp is an instant as the pages show it: in UTC and in each party's own
// zone, because the same wall-clock hour can mean different instants.
type stamp struct {
	Attr  string // RFC 3339, UTC
	Text  string
	Zones []zonedStamp
}

type zonedStamp struct {
	Party string
	Attr  string // RFC 3339 with the zone's offset
	Text  string
}

func newStamp(t time.Time, zones []zone) stamp { return stampAt(t, zones, "15:04", time.RFC3339) }

// typedStamp is an instant a member typed (a milestone's due time, a
// tranche's), shown as typed: to the minute, or to the second, or the
// millisecond, when it was typed so. newStamp's minutes would show
// 12:00:30 as 12:00, which is not what was signed.
func typedStamp(t time.Time, zones []zone) stamp {
	clock := "15:04"
	switch {
	case t.Nanosecond() != 0:
		clock = "15:04:05.999"
	case t.Second() != 0:
		clock = "15:04:05"
	}
	return stampAt(t, zones, clock, time.RFC3339Nano)
}

// inputUTC is an instant as a datetime-local input the form labels UTC
// holds it ("2026-03-01T14:00:30"), to the second, or the millisecond
// when it has them: what a form shows again is what was signed, and a form
// that restates an instant (a project's other milestones, a pledge's other
// tranches) does not move it by the seconds it dropped.
func inputUTC(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.999")
}

func stampAt(t time.Time, zones []zone, clock, attr string) stamp {
	u := t.UTC()
	s := stamp{Attr: u.Format(attr), Text: u.Format("2006-01-02 "+clock) + " UTC"}
	for _, z := range zones {
		lt := t.In(z.Loc)
		text := lt.Format(clock)
		if lt.Format("20060102") != u.Format("20060102") {
			text = lt.Format("2006-01-02 " + clock)
		}
		s.Zones = append(s.Zones, zonedStamp{Party: z.Party, Attr: lt.Format(attr), Text: text + " " + utcOffset(lt)})
	}
	return s
}

// utcOffset renders a local time's offset as "UTC+3" or "UTC-4:30".
func utcOffset(t time.Time) string {
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m := off/3600, off%3600/60
	if m == 0 {
		return fmt.Sprintf("UTC%s%d", sign, h)
	}
	return fmt.Sprintf("UTC%s%d:%02d", sign, h, m)
}

// countdown renders the time left until due as "9:41" or "1:09:41"; over
// is true once due has passed, and the text is then the time overdue.
func countdown(now, due time.Time) (text string, over bool) {
	d := due.Sub(now)
	if d < 0 {
		d, over = -d, true
	}
	secs := int64(d / time.Second)
	h, m, s := secs/3600, secs%3600/60, secs%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s), over
	}
	return fmt.Sprintf("%d:%02d", m, s), over
}

// countdownHTML says how long is left, or how long overdue, with the time
// isolated left to right, as page.js renders it each second.
func countdownHTML(l *Localizer, left string, over bool) template.HTML {
	if over {
		return l.TH("js.countdown.overdue", "t", ltrText(left))
	}
	return l.TH("js.countdown.left", "t", ltrText(left))
}
