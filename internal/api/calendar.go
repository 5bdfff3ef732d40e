package api

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/ical"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// The calendar feed: each member's own iCalendar (RFC 5545) of what their
// party owes on every desk, by when, and of the talks rounds their party
// sits in. A calendar application subscribes by URL and cannot send a
// bearer token, so the URL carries a secret of its own: a token of kind
// "calendar" in the tokens table, stored hashed like a session, that opens
// this feed and nothing else (authenticate refuses it as a bearer token),
// and that revoking, replacing, disabling the member or resetting their
// password ends. The feed is the member's view: it is read through
// s.view(p) like every page and route.

// calendarKind is the kind of a feed's token.
const calendarKind = "calendar"

// calendarPrefix marks a feed's secret where it leaks (a shared screen, a
// proxy's log): it is not a bearer token, but it reads a member's view.
const calendarPrefix = "lcal_"

func (s *Server) calendarRoutes() {
	s.authed("POST /api/v1/calendar/token", s.newCalendarToken)
	s.authed("DELETE /api/v1/calendar/token", s.revokeCalendarToken)
	s.handle("GET /calendar/{feed}", s.calendarFeed)
}

// CalendarToken is the answer that issues a feed: its address, shown
// once (the server keeps only its hash).
type CalendarToken struct {
	URL     string    `json:"url"`
	Path    string    `json:"path"`
	Expires time.Time `json:"expires"`
	// Revoked counts the member's earlier feeds, which this one replaces.
	Revoked int64 `json:"revoked"`
}

// newCalendarToken issues the member a feed, ending any earlier one: one
// address per member, so that a lost phone's calendar is stopped by
// asking for a new one.
func (s *Server) newCalendarToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	n, err := s.st.RevokeMemberTokensOfKind(r.Context(), p.Cell, p.Member.ID, calendarKind)
	if err != nil {
		return err
	}
	secret := auth.NewSecret(calendarPrefix)
	now := time.Now().UTC()
	t := store.Token{Hash: auth.HashSecret(secret), Cell: p.Cell, Member: p.Member.ID, Kind: calendarKind, Created: now,
		Expires: now.Add(s.cfg.CalendarTTL), UserAgent: truncate(r.UserAgent(), 200)}
	if err := s.st.PutToken(r.Context(), t); err != nil {
		return err
	}
	s.log.Info("calendar feed issued", "cell", p.Cell, "member", p.Member.ID, "replaced", n)
	path := "/calendar/" + secret + ".ics"
	writeJSON(w, http.StatusCreated, CalendarToken{URL: baseURL(r) + path, Path: path, Expires: t.Expires.Truncate(time.Millisecond), Revoked: n})
	return nil
}

// revokeCalendarToken ends the member's feed; asking again is no error.
func (s *Server) revokeCalendarToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	n, err := s.st.RevokeMemberTokensOfKind(r.Context(), p.Cell, p.Member.ID, calendarKind)
	if err != nil {
		return err
	}
	s.log.Info("calendar feed revoked", "cell", p.Cell, "member", p.Member.ID, "revoked", n)
	writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
	return nil
}

// baseURL is the server's address as the client reached it, behind a
// proxy that says it terminated TLS too: what a calendar application must
// be given. Only the caller is shown it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// errNoFeed is the one answer for a feed address that opens nothing:
// unknown, revoked, expired, or its member disabled.
var errNoFeed = notFound("no calendar feed at this address: ask for a new one (POST /api/v1/calendar/token, or 'liaison calendar token')")

// feedPrincipal resolves a feed's secret to the member whose view it
// shows.
func (s *Server) feedPrincipal(ctx context.Context, feed string) (*Principal, error) {
	secret, ok := strings.CutSuffix(feed, ".ics")
	if !ok || !strings.HasPrefix(secret, calendarPrefix) {
		return nil, errNoFeed
	}
	t, err := s.st.TokenByHash(ctx, auth.HashSecret(secret))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errNoFeed
	case err != nil:
		return nil, err
	case t.Kind != calendarKind || t.Revoked || time.Now().After(t.Expires):
		return nil, errNoFeed
	}
	// unfiltered: who the feed's member is, before there is a reader.
	v := s.st.View(t.Cell)
	m, err := cell.GetMember(ctx, v, t.Member)
	if err != nil || m.Disabled {
		return nil, errNoFeed
	}
	pa, err := cell.GetParty(ctx, v, m.Party)
	if err != nil {
		return nil, err
	}
	return &Principal{Cell: t.Cell, Member: m, Party: pa, Token: t}, nil
}

// calendarFeed answers GET /calendar/{token}.ics, unauthenticated: the
// address is the credential.
func (s *Server) calendarFeed(w http.ResponseWriter, r *http.Request) error {
	p, err := s.feedPrincipal(r.Context(), r.PathValue("feed"))
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := s.CalendarOf(r, p, time.Now(), &b); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="liaison-`+p.Cell+`.ics"`)
	// The address is a secret: no shared cache keeps what it shows.
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(b.Bytes()) //nolint:errcheck
	return nil
}

// feedEvent is one VEVENT.
type feedEvent struct {
	uid         string
	stamp       time.Time
	start, end  time.Time
	summary     string
	description string
	location    string
	category    string
	sequence    int
	alarm       time.Duration // before start
}

// CalendarOf writes p's calendar: a VEVENT at the deadline of everything
// p's party owes on every desk (dues.Due: answers, acknowledgements,
// findings, milestones, sign-offs, dispute steps), and one for each talks
// round p's party sits in (the mediator: every round; a round that names
// no delegation: every party at the table), with the agenda items p reads.
// Times are in UTC; the party's time zone is given as the calendar's
// (X-WR-TIMEZONE, with its VTIMEZONE) and beside each deadline in its
// description. Each event's UID is stable (a due's, a round's id), its
// DTSTAMP the time of the entry that last changed it, so that the feed
// is the same bytes until something in it changes.
func (s *Server) CalendarOf(r *http.Request, p *Principal, now time.Time, out *bytes.Buffer) error {
	ctx := r.Context()
	v := s.view(p)
	info, err := cell.GetInfo(ctx, v)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(p.Party.TimeZone)
	if err != nil || p.Party.TimeZone == "" {
		loc = time.UTC
	}
	times := entryTimes{s: s, cell: p.Cell, at: map[int64]time.Time{}}
	var events []feedEvent
	due, err := s.dueEvents(ctx, p, v, loc, &times)
	if err != nil {
		return err
	}
	events = append(events, due...)
	rounds, err := s.roundEvents(r, p, v, &times)
	if err != nil {
		return err
	}
	events = append(events, rounds...)
	slices.SortStableFunc(events, func(a, b feedEvent) int { return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.uid, b.uid)) })

	from, to := now.AddDate(0, -1, 0), now.AddDate(1, 0, 0)
	for _, e := range events {
		from, to = minTime(from, e.start), maxTime(to, e.end, e.start)
	}
	name := "Liaison: " + info.Name + " (" + p.Member.ID + ")"
	w := ical.NewWriter(out)
	w.Begin("VCALENDAR")
	w.Prop("VERSION", "2.0")
	w.Prop("PRODID", "-//Liaison//Liaison calendar//EN")
	w.Prop("CALSCALE", "GREGORIAN")
	w.Text("NAME", name) // RFC 7986
	w.Text("X-WR-CALNAME", name)
	w.Text("X-WR-TIMEZONE", loc.String())
	w.Prop("REFRESH-INTERVAL;VALUE=DURATION", "PT15M") // RFC 7986
	w.Prop("X-PUBLISHED-TTL", "PT15M")
	// The party's zone, also the calendar's one component when nothing is
	// owed (RFC 5545 wants at least one).
	w.TimeZone(loc, from.AddDate(0, 0, -1), to.AddDate(0, 0, 1))
	for _, e := range events {
		w.Begin("VEVENT")
		w.Text("UID", e.uid)
		w.UTC("DTSTAMP", e.stamp)
		w.UTC("DTSTART", e.start)
		if !e.end.IsZero() {
			w.UTC("DTEND", e.end)
		}
		if e.sequence > 0 {
			w.Prop("SEQUENCE", strconv.Itoa(e.sequence))
		}
		w.Text("SUMMARY", e.summary)
		w.Text("DESCRIPTION", e.description)
		if e.location != "" {
			w.Text("LOCATION", e.location)
		}
		w.Text("CATEGORIES", e.category)
		w.Prop("TRANSP", "TRANSPARENT") // a deadline takes no time in the diary
		if e.alarm > 0 {
			w.Begin("VALARM")
			w.Prop("ACTION", "DISPLAY")
			w.Prop("TRIGGER", "-PT"+strconv.Itoa(int(e.alarm.Minutes()))+"M")
			w.Text("DESCRIPTION", e.summary)
			w.End("VALARM")
		}
		w.End("VEVENT")
	}
	w.End("VCALENDAR")
	return w.Flush()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a time.Time, bs ...time.Time) time.Time {
	for _, b := range bs {
		if b.After(a) {
			a = b
		}
	}
	return a
}

// entryTimes reads the server time of log entries, once each.
type entryTimes struct {
	s    *Server
	cell string
	at   map[int64]time.Time
}

// stampCache keeps the server time of the entries the calendar feeds have
// read, across requests: an entry never changes, and without it a feed
// read and parsed one entry for each of its events every time a calendar
// polled it (a third of a 10,000-event feed's time on SQLite, more on
// PostgreSQL, where each read is a round trip). A time read from it is of
// an entry the reader's view led to, so sharing it across readers shows
// nobody anything.
type stampCache struct {
	mu sync.Mutex
	at map[stampKey]time.Time
}

type stampKey struct {
	cell string
	idx  int64
}

// maxStamps bounds the cache (some 60 MB); when full it starts again.
const maxStamps = 1 << 20

func (c *stampCache) get(k stampKey) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.at[k]
	return t, ok
}

func (c *stampCache) put(k stampKey, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at == nil || len(c.at) >= maxStamps {
		c.at = map[stampKey]time.Time{}
	}
	c.at[k] = t
}

// of returns the time of entry i, which the caller reads: it last changed
// an object the caller reads.
func (t *entryTimes) of(ctx context.Context, i int64) (time.Time, error) {
	if at, ok := t.at[i]; ok {
		return at, nil
	}
	k := stampKey{t.cell, i}
	if at, ok := t.s.stamps.get(k); ok {
		t.at[i] = at
		return at, nil
	}
	rows, err := t.s.st.Entries(ctx, t.cell, i, i+1)
	if err != nil {
		return time.Time{}, err
	}
	if len(rows) == 0 {
		return time.Time{}, fmt.Errorf("calendar: no entry %d", i)
	}
	e, err := record.ParseEntry(rows[0].LeafData)
	if err != nil {
		return time.Time{}, err
	}
	t.at[i] = e.Time
	t.s.stamps.put(k, e.Time)
	return e.Time, nil
}

// dueEvents are the events of what p's party owes.
func (s *Server) dueEvents(ctx context.Context, p *Principal, v store.View, loc *time.Location, times *entryTimes) ([]feedEvent, error) {
	if err := cell.May(p.Actor(), cell.ReadInbox, cell.Target{Party: p.Party.ID}); err != nil {
		return nil, err
	}
	var out []feedEvent
	for after := int64(-1); ; {
		objs, err := v.List(ctx, dues.ObjDue, p.Party.ID, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			after = o.Seq
			d, err := decodeDoc[dues.Due](o)
			if err != nil {
				return nil, err
			}
			stamp, err := times.of(ctx, o.Updated)
			if err != nil {
				return nil, err
			}
			at := d.DueAt()
			what, desk := dueWords(d)
			desc := fmt.Sprintf("%s, owed by %s (%s).\nDeadline: %s UTC (%s %s).", what, d.Party, strings.ToLower(d.Precedence),
				at.UTC().Format("2006-01-02 15:04"), at.In(loc).Format("2006-01-02 15:04"), loc)
			switch {
			case d.Level == 1:
				desc += "\nPast its deadline: escalated to the duty officers."
			case d.Level >= 2:
				desc += "\nLong past its deadline: escalated to the admins."
			}
			uid := "due-" + d.Kind + "-" + strconv.FormatInt(d.Ref, 10)
			if d.Item != "" {
				uid += "-" + d.Item
			}
			out = append(out, feedEvent{uid: uid + "-" + d.Party + "@" + p.Cell + ".liaison", stamp: stamp, start: at,
				summary: what + ": " + d.Title, description: desc, category: desk, sequence: d.Round, alarm: time.Hour})
		}
		if len(objs) < 1000 {
			return out, nil
		}
	}
}

// dueWords says what a due awaits, and on which desk.
func dueWords(d dues.Due) (string, string) {
	ref := strconv.FormatInt(d.Ref, 10)
	switch d.Kind {
	case deconflict.DueAnswer:
		return "Answer to notified activity " + ref, cell.RoleMilitary
	case deconflict.DueConflict:
		return "Decision on the conflicts held on activity " + ref, cell.RoleMilitary
	case deconflict.DueIncident:
		return "Acknowledgement of incident " + ref, cell.RoleMilitary
	case deconflict.DueVerification:
		return "Finding on the verification of incident " + ref, cell.RoleMilitary
	case diplomacy.DueMilestone:
		return "Milestone " + d.Item + " due", cell.RoleDiplomatic
	case diplomacy.DueSignoff:
		return "Sign-off of phase " + d.Item, cell.RoleDiplomatic
	case diplomacy.DueDispute:
		switch d.Item {
		case "ack":
			return "Acknowledgement of dispute " + ref, cell.RoleDiplomatic
		case "response":
			return "Response to dispute " + ref, cell.RoleDiplomatic
		case "finding":
			return "Finding on dispute " + ref, cell.RoleDiplomatic
		case "accept":
			return "Answer to the finding on dispute " + ref, cell.RoleDiplomatic
		}
		return "Dispute " + ref, cell.RoleDiplomatic
	}
	return "Due (" + d.Kind + " " + ref + ")", "general"
}

// roundEvents are the events of the talks rounds p's party sits in.
func (s *Server) roundEvents(r *http.Request, p *Principal, v store.View, times *entryTimes) ([]feedEvent, error) {
	ctx := r.Context()
	rs, err := s.Rounds(r, p)
	if err != nil {
		return nil, err
	}
	var out []feedEvent
	for _, round := range rs.Rounds {
		if len(round.Delegations) > 0 && len(round.Delegations[p.Party.ID]) == 0 && p.Party.Kind != cell.Mediator {
			continue
		}
		rd, err := s.Round(r, p, round.ID)
		if err != nil {
			return nil, err
		}
		// The event changes with the round and its agenda.
		o, err := v.Get(ctx, diplomacy.ObjRound, round.ID)
		if err != nil {
			return nil, err
		}
		last := o.Updated
		items, err := v.List(ctx, diplomacy.ObjAgendaItem, round.ID, -1, 1000)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			last = max(last, it.Updated)
		}
		stamp, err := times.of(ctx, last)
		if err != nil {
			return nil, err
		}
		place := round.Place
		if x := round.Places[p.Member.Lang]; x != "" {
			place = x
		}
		var desc strings.Builder
		fmt.Fprintf(&desc, "Round %d of talks, %s.", round.Number, place)
		for _, party := range slices.Sorted(maps.Keys(round.Delegations)) {
			fmt.Fprintf(&desc, "\n%s: %s", party, strings.Join(round.Delegations[party], ", "))
		}
		if len(rd.Agenda) > 0 {
			desc.WriteString("\nAgenda:")
			for _, it := range rd.Agenda {
				fmt.Fprintf(&desc, "\n- %s", it.Title)
				if it.Outcome != nil {
					fmt.Fprintf(&desc, " (%s)", it.Outcome.Outcome)
				}
			}
		}
		out = append(out, feedEvent{uid: "round-" + round.ID + "@" + p.Cell + ".liaison", stamp: stamp, start: round.Start, end: round.End,
			summary: fmt.Sprintf("Talks, round %d: %s", round.Number, place), description: desc.String(), location: place,
			category: cell.RoleDiplomatic, alarm: 24 * time.Hour})
	}
	return out, nil
}
