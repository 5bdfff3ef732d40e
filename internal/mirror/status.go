package mirror

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Status is what a mirror says of itself on its pages and at
// GET /api/v1/mirror/status: whose mirror it is, the size it verified, when
// it last heard from the cell, and whether the line is down.
type Status struct {
	Cell   string
	Party  string
	Member string
	// Size is the checkpoint the mirror holds, verified; Verified when it
	// verified it.
	Size     int64
	Verified time.Time
	// LastHeard is when the cell last answered a round (zero: never, since
	// this mirror opened, and never verified a checkpoint either).
	LastHeard time.Time
	// Failures counts the rounds in a row the cell did not answer, and
	// LineDown is Failures reaching Config.DownAfter; LastError is the
	// last failure.
	Failures  int
	LineDown  bool
	LastError string
	// Unprojected counts the entries the replica keeps without their
	// projection (Mirror.Unprojected).
	Unprojected int
	// Alarms counts the alarms raised; Alarm is the last one's kind.
	Alarms int
	Alarm  string
	// Waiting and Refused count the members' writes in the outbox: to be
	// sent to the cell, and refused by it (Mirror.Outbox).
	Waiting, Refused int
}

// status is the mirror's Status, guarded: the rounds write it, the pages
// read it at any time.
type status struct {
	mu sync.Mutex
	s  Status
}

// Status returns the mirror's status.
func (m *Mirror) Status() Status {
	m.status.mu.Lock()
	defer m.status.mu.Unlock()
	s := m.status.s
	s.LineDown = s.Failures >= m.cfg.DownAfter
	return s
}

// loadStatus starts the status from what the data directory holds: the
// checkpoint last verified is the last the mirror is sure to have heard.
func (m *Mirror) loadStatus(ctx context.Context) {
	m.refresh(ctx, func(s *Status) { s.LastHeard = s.Verified })
}

// heard records a round's outcome: an answer (an alarm is one) or the
// cell's silence.
func (m *Mirror) heard(err error) {
	now := m.cfg.Now()
	m.refresh(context.Background(), func(s *Status) {
		if err == nil || errors.Is(err, ErrAlarm) {
			s.LastHeard, s.Failures, s.LastError = now, 0, ""
			return
		}
		s.Failures++
		s.LastError = err.Error()
	})
}

// refresh re-reads what the rounds change and applies edit.
func (m *Mirror) refresh(ctx context.Context, edit func(*Status)) {
	s := Status{Cell: m.cfg.Cell, Party: m.party, Member: m.member, Size: m.size}
	var verified int64
	if err := m.db.sql.QueryRowContext(ctx, `SELECT verified FROM checkpoints WHERE size = ?`, m.size).Scan(&verified); err == nil {
		s.Verified = time.Unix(verified, 0).UTC()
	}
	if as, err := m.db.alarms(ctx); err == nil && len(as) > 0 {
		s.Alarms, s.Alarm = len(as), as[len(as)-1].Kind
	}
	if m.rep != nil {
		m.db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM unprojected`).Scan(&s.Unprojected) //nolint:errcheck // zero when unknown
	}
	s.Waiting, _ = m.db.waiting(ctx)
	m.db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state = ?`, Refused).Scan(&s.Refused) //nolint:errcheck // zero when unknown
	m.status.mu.Lock()
	defer m.status.mu.Unlock()
	s.LastHeard, s.Failures, s.LastError = m.status.s.LastHeard, m.status.s.Failures, m.status.s.LastError
	edit(&s)
	m.status.s = s
}
