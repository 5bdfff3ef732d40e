package mirror

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/verify"
)

// The outbox: when the line to the cell is cut, the mirror still takes its
// members' writes, each already signed by its member's own device key, and
// keeps them in its database until the line returns. It sends them to the
// cell in the order it took them (POST /relay, as the member it is signed
// in as), each until the cell has answered for it: an idempotency id makes
// a write sent twice (its answer lost on the way) land once, and the cell's
// answer for a repeat is the entry it landed as. What the cell refuses is
// kept with the cell's reason, to be reported, and does not hold back the
// writes after it.
//
// A file a member uploads at the mirror waits in the same queue, in the
// same order: its bytes in DIR/blobs (Config.Dir), its row of kind
// attachment.upload naming them. Sending it is uploading it to the cell as
// the mirror's own member (POST /blobs), so a message that cites the file,
// queued after it, always reaches the cell after the file; the cell's
// upload entry names the mirror's member, of the same party, which is
// what the cell's rule for attaching a file asks (the party uploaded it).
// The same bytes sent again are the same upload at the cell.

// States of a write in the outbox.
const (
	Waiting = "waiting" // not yet answered by the cell
	Landed  = "landed"  // appended (or found appended) at Entry
	Refused = "refused" // the cell refused it, for Reason
)

// ErrNotQueued is wrapped by the error of a write the outbox does not take:
// it is not signed by an active key of a member of the mirror's party, or
// its id was queued before for another command.
var ErrNotQueued = errors.New("not queued")

// Queued is a write in the outbox.
type Queued struct {
	Seq    int64 // the order the mirror took it in
	Member string
	Kind   string
	ID     string // its idempotency id
	Queued time.Time
	State  string
	Tries  int
	// LastTry is when it was last sent; LastError, while it waits, why
	// that did not reach the cell.
	LastTry   time.Time
	LastError string
	Done      time.Time // landed or refused
	// Entry is the log index the cell gave it (landed), else -1.
	Entry int64
	// Status, Problem and Reason are the cell's refusal: its HTTP status,
	// problem type and detail.
	Status  int
	Problem string
	Reason  string
	// Envelope is the signed command; nil for an upload, which is Blob.
	Envelope *record.Envelope
	Blob     *Blob
}

// Blob is a file a member uploaded at the mirror, whose upload waits in
// the outbox (kind attachment.upload); its bytes are in the mirror's data
// directory.
type Blob struct {
	SHA256 string // lower-case hex
	Size   int64
	// Type is the content type the upload was sent with.
	Type string
}

// Outcome is what became of a write given to Submit.
type Outcome struct {
	Queued
	// Answer is the cell's answer when it landed on this try.
	Answer *client.Submitted
	// Waiting is, while it waits, the number of writes waiting, this one
	// among them.
	Waiting int
}

// FlushResult says what one Flush sent.
type FlushResult struct {
	Landed, Refused []Queued
	Waiting         int // still waiting after it
}

// DefaultSendTimeout is how long Submit waits for the cell's answer when
// Config.SendTimeout is not set.
const DefaultSendTimeout = 10 * time.Second

// landedKeep is how long a landed write stays in the outbox, to answer a
// member's retry at the mirror without sending it again; a retry after
// that is sent again and the cell answers it with the same entry.
const landedKeep = 7 * 24 * time.Hour

// refusedKeep is how long a refused write stays in the outbox, for its
// member to read the cell's reason on every page, unless they dismiss it
// first (Dismiss): past it, a banner that never clears would teach
// officers to stop reading it.
const refusedKeep = 30 * 24 * time.Hour

// shareRing makes the keyring of the entries verified so far, and the
// party, what Submit checks writes against. Round replaces its keyring
// rather than change one it shared, so Submit, called from other
// goroutines, reads a keyring no one writes.
func (m *Mirror) shareRing() {
	m.obMu.Lock()
	defer m.obMu.Unlock()
	m.obRing, m.obParty = m.ring, m.party
}

func (m *Mirror) sharedRing() (*verify.Keyring, string) {
	m.obMu.Lock()
	defer m.obMu.Unlock()
	return m.obRing, m.obParty
}

// sendsFail reports whether the last write sent to the cell failed to
// reach it, until the cell answers again: then Submit only queues. It is
// the outbox's own view, at once; Status().LineDown is the rounds'.
func (m *Mirror) sendsFail() bool {
	m.obMu.Lock()
	defer m.obMu.Unlock()
	return !m.downSince.IsZero()
}

// lineAnswered notes that the cell answered; lineCut that a send did not
// reach it.
func (m *Mirror) lineAnswered() {
	m.obMu.Lock()
	defer m.obMu.Unlock()
	m.downSince = time.Time{}
}

func (m *Mirror) lineCut(now time.Time) {
	m.obMu.Lock()
	defer m.obMu.Unlock()
	if m.downSince.IsZero() {
		m.downSince = now
	}
}

// Submit takes a write of member (the member the mirror's own server
// authenticated; "" to take any member of the party's), already signed by
// its device key, into the outbox, durably, and sends what waits, in
// order, this one last. When the line is up the Outcome holds the cell's
// answer (Landed), or the error is the cell's refusal (a *client.Error,
// the write kept as Refused); when it is down the write waits (Waiting,
// with the number waiting). Once a send has failed to reach the cell,
// Submit only queues, and leaves it to the rounds to find the line back;
// it waits at most Config.SendTimeout for the cell. A write the outbox
// does not take is an error wrapping ErrNotQueued. Submitting a write
// again (the same envelope) answers for the one queued.
func (m *Mirror) Submit(ctx context.Context, member string, env *record.Envelope) (*Outcome, error) {
	ring, party := m.sharedRing()
	if ring == nil || party == "" {
		return nil, fmt.Errorf("mirror: %w: the mirror has not yet verified the cell's log, so it cannot check who signed the write", ErrNotQueued)
	}
	// The cell's relay route reads an envelope of the ordinary size: a
	// bulk command (a STIX bundle) larger than that is sent at the cell.
	raw := env.Marshal()
	if len(raw) > record.MaxEnvelopeSize {
		return nil, fmt.Errorf("mirror: %w: an envelope of %d bytes exceeds the %d the cell takes relayed", ErrNotQueued, len(raw), record.MaxEnvelopeSize)
	}
	signer, signerParty, err := ring.Signer(env)
	if err != nil && len(env.Signatures) == 1 && !ring.Knows(env.Signatures[0].KeyID) {
		// A key the mirror vouched for signs before the log holds it.
		var ok bool
		var perr error
		if signer, signerParty, ok, perr = m.pendingSigner(ctx, env); perr != nil {
			err = perr
		} else if ok {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("mirror: %w: %v", ErrNotQueued, err)
	}
	if signerParty != party {
		return nil, fmt.Errorf("mirror: %w: signed by member %s of party %s; this mirror sends party %s's writes only", ErrNotQueued, signer, signerParty, party)
	}
	if member != "" && signer != member {
		return nil, fmt.Errorf("mirror: %w: signed with a key of member %s, not of %s", ErrNotQueued, signer, member)
	}
	h, err := record.ParseHeader(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("mirror: %w: %v", ErrNotQueued, err)
	}
	seq, err := m.db.enqueue(ctx, signer, env.Kind(), h.ID, raw, m.cfg.Now())
	if err != nil {
		return nil, err
	}
	return m.sendQueued(ctx, seq)
}

// sendQueued sends what waits up to seq, just queued, unless sends are
// failing, and says what became of seq.
func (m *Mirror) sendQueued(ctx context.Context, seq int64) (*Outcome, error) {
	var answers map[int64]*client.Submitted
	if !m.sendsFail() {
		sctx, cancel := context.WithTimeout(ctx, m.cfg.SendTimeout)
		answers, _ = m.flush(sctx, seq)
		cancel()
	}
	// Queued, it is kept whether or not the caller still waits.
	keep := context.WithoutCancel(ctx)
	q, err := m.db.queued(keep, seq)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Queued: q, Answer: answers[seq]}
	switch q.State {
	case Refused:
		return out, &client.Error{Status: q.Status, Type: q.Problem, Title: "Refused by the cell", Detail: q.Reason}
	case Waiting:
		if out.Waiting, err = m.db.waiting(keep); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Flush sends what waits in the outbox, in order, each until the cell has
// answered for it. It stops at the first write that does not reach the
// cell (the line is down, or the cell cannot answer now) and returns that
// error, the rest still waiting in order; a write the cell refuses is kept
// with its reason and the next is sent.
func (m *Mirror) Flush(ctx context.Context) (*FlushResult, error) {
	before, err := m.db.waitingSeqs(ctx)
	if err != nil {
		return nil, err
	}
	_, err = m.flush(ctx, -1)
	res := &FlushResult{}
	for _, seq := range before {
		q, qerr := m.db.queued(ctx, seq)
		if qerr != nil {
			return res, qerr
		}
		switch q.State {
		case Landed:
			res.Landed = append(res.Landed, q)
		case Refused:
			res.Refused = append(res.Refused, q)
		}
	}
	n, werr := m.db.waiting(ctx)
	if werr != nil {
		return res, werr
	}
	res.Waiting = n
	return res, err
}

// flush sends the waiting writes in order, up to upTo (all when < 0), and
// returns the cell's answers by seq. One flush sends at a time; another
// waits for it as long as its ctx lets it. What it learns is kept whatever
// becomes of ctx: an answer given is an answer to keep.
func (m *Mirror) flush(ctx context.Context, upTo int64) (map[int64]*client.Submitted, error) {
	answers := map[int64]*client.Submitted{}
	select {
	case m.sending <- struct{}{}:
	case <-ctx.Done():
		return answers, ctx.Err()
	}
	defer func() { <-m.sending }()
	keep := context.WithoutCancel(ctx)
	for after := int64(0); ; {
		q, err := m.db.nextWaiting(keep, after)
		if err != nil || q == nil || (upTo >= 0 && q.Seq > upTo) {
			if err == nil {
				now := m.cfg.Now()
				err = m.db.prune(keep, now.Add(-landedKeep), now.Add(-refusedKeep))
			}
			return answers, err
		}
		after = q.Seq
		var ans *client.Submitted
		if q.Blob != nil {
			data, gerr := m.blobs.Get(keep, q.Blob.SHA256)
			if gerr != nil {
				// Lost from the data directory: no try will find it, and the
				// writes behind it are not to wait for it; a message citing
				// it will be refused by the cell, which says why.
				lost := &client.Error{Status: http.StatusGone, Title: "Lost at the mirror",
					Detail: fmt.Sprintf("the mirror no longer holds the file %s (%v): upload it again", q.Blob.SHA256, gerr)}
				m.cfg.Logger.Error("a queued upload's file is lost", "seq", q.Seq, "sha256", q.Blob.SHA256, "err", gerr)
				if err := m.db.refused(keep, q.Seq, lost, m.cfg.Now()); err != nil {
					return answers, err
				}
				continue
			}
			err = m.upload(ctx, *q, data)
		} else {
			ans, err = m.cfg.Client.Relay(ctx, q.Envelope)
		}
		now := m.cfg.Now()
		var ce *client.Error
		switch {
		case err == nil && q.Blob != nil:
			// An upload: the cell answers with the hash, not its entry.
			m.lineAnswered()
			err = m.db.landed(keep, q.Seq, -1, now)
		case err == nil:
			m.lineAnswered()
			answers[q.Seq] = ans
			err = m.db.landed(keep, q.Seq, ans.Entry.Index, now)
		case errors.As(err, &ce) && refusal(ce.Status):
			m.lineAnswered()
			m.cfg.Logger.Warn("the cell refused a queued write", "seq", q.Seq, "member", q.Member, "kind", q.Kind, "status", ce.Status, "reason", ce.Detail)
			err = m.db.refused(keep, q.Seq, ce, now)
		default:
			m.lineCut(now)
			if uerr := m.db.tried(keep, q.Seq, err.Error(), now); uerr != nil {
				return answers, uerr
			}
			return answers, fmt.Errorf("sending queued write %d: %w", q.Seq, err)
		}
		if err != nil {
			return answers, err
		}
	}
}

// refusal tells a cell's answer about the write (a 4xx: it will not land
// if sent again) from one about the line or the mirror: its session ended
// (401), the cell is busy (408, 429) or failing (5xx), after which it is
// sent again.
func refusal(status int) bool {
	switch status {
	case http.StatusUnauthorized, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// Outbox returns the writes that wait and those the cell refused, in the
// order the mirror took them.
func (m *Mirror) Outbox(ctx context.Context) ([]Queued, error) { return m.db.outbox(ctx) }

// ReadOutbox returns the outbox of the mirror in dir (Mirror.Outbox),
// without opening the mirror: for `liaison mirror outbox`, while the mirror
// runs or not.
func ReadOutbox(ctx context.Context, dir string) ([]Queued, error) {
	if _, err := os.Stat(filepath.Join(dir, "mirror.db")); err != nil {
		return nil, fmt.Errorf("mirror: no mirror in %s: %w", dir, err)
	}
	d, err := openDB(dir)
	if err != nil {
		return nil, err
	}
	defer d.close()
	return d.outbox(ctx)
}

const outboxCols = `seq, member, kind, idem, queued, state, tries, last_try, last_error, done, entry, status, problem, reason, envelope, sha256, size, content_type`

func scanQueued(sc interface{ Scan(...any) error }) (Queued, error) {
	var q Queued
	var queued, lastTry, done int64
	var env []byte
	var b Blob
	if err := sc.Scan(&q.Seq, &q.Member, &q.Kind, &q.ID, &queued, &q.State, &q.Tries, &lastTry, &q.LastError, &done, &q.Entry, &q.Status, &q.Problem, &q.Reason, &env,
		&b.SHA256, &b.Size, &b.Type); err != nil {
		return q, err
	}
	q.Queued = time.UnixMilli(queued).UTC()
	if lastTry != 0 {
		q.LastTry = time.UnixMilli(lastTry).UTC()
	}
	if done != 0 {
		q.Done = time.UnixMilli(done).UTC()
	}
	if b.SHA256 != "" {
		q.Blob = &b
		return q, nil
	}
	e, err := record.ParseEnvelope(env)
	if err != nil {
		return q, fmt.Errorf("mirror: queued write %d: %w", q.Seq, err)
	}
	q.Envelope = e
	return q, nil
}

// enqueue keeps a write, or finds it kept: the same member's id twice is
// one write when the envelopes are the same, and refused when not.
func (d *db) enqueue(ctx context.Context, member, kind, id string, env []byte, now time.Time) (int64, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck
	var seq int64
	var held []byte
	err = tx.QueryRowContext(ctx, `SELECT seq, envelope FROM outbox WHERE member = ? AND idem = ?`, member, id).Scan(&seq, &held)
	switch {
	case err == nil:
		if !bytes.Equal(held, env) {
			return 0, fmt.Errorf("mirror: %w: %s's id %q is queued (write %d) for another command", ErrNotQueued, member, id, seq)
		}
		return seq, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO outbox (member, kind, idem, queued, envelope) VALUES (?, ?, ?, ?, ?) RETURNING seq`,
		member, kind, id, now.UnixMilli(), env).Scan(&seq); err != nil {
		return 0, err
	}
	// Committed with synchronous=FULL: a write the mirror acknowledged
	// as queued survives a crash.
	return seq, tx.Commit()
}

func (d *db) queued(ctx context.Context, seq int64) (Queued, error) {
	return scanQueued(d.sql.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE seq = ?`, seq))
}

func (d *db) nextWaiting(ctx context.Context, after int64) (*Queued, error) {
	q, err := scanQueued(d.sql.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE state = ? AND seq > ? ORDER BY seq LIMIT 1`, Waiting, after))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &q, nil
}

func (d *db) waiting(ctx context.Context) (int, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE state = ?`, Waiting).Scan(&n)
	return n, err
}

func (d *db) waitingSeqs(ctx context.Context) ([]int64, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT seq FROM outbox WHERE state = ? ORDER BY seq`, Waiting)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (d *db) landed(ctx context.Context, seq, entry int64, now time.Time) error {
	_, err := d.sql.ExecContext(ctx, `UPDATE outbox SET state = ?, entry = ?, tries = tries + 1, last_try = ?, done = ?, last_error = '' WHERE seq = ?`,
		Landed, entry, now.UnixMilli(), now.UnixMilli(), seq)
	return err
}

func (d *db) refused(ctx context.Context, seq int64, e *client.Error, now time.Time) error {
	reason := e.Detail
	if reason == "" {
		reason = e.Error()
	}
	_, err := d.sql.ExecContext(ctx, `UPDATE outbox SET state = ?, status = ?, problem = ?, reason = ?, tries = tries + 1, last_try = ?, done = ?, last_error = '' WHERE seq = ?`,
		Refused, e.Status, e.Type, reason, now.UnixMilli(), now.UnixMilli(), seq)
	return err
}

func (d *db) tried(ctx context.Context, seq int64, why string, now time.Time) error {
	_, err := d.sql.ExecContext(ctx, `UPDATE outbox SET tries = tries + 1, last_try = ?, last_error = ? WHERE seq = ?`, now.UnixMilli(), why, seq)
	return err
}

func (d *db) prune(ctx context.Context, landedBefore, refusedBefore time.Time) error {
	_, err := d.sql.ExecContext(ctx, `DELETE FROM outbox WHERE (state = ? AND done < ?) OR (state = ? AND done < ?)`,
		Landed, landedBefore.UnixMilli(), Refused, refusedBefore.UnixMilli())
	return err
}

// ErrNotInOutbox is wrapped by Dismiss's error for a write that is not a
// refused write of the member's.
var ErrNotInOutbox = errors.New("not in the outbox")

// Dismiss removes a refused write, by its idempotency id, from the outbox
// once its member has read the cell's reason: the write is the member's
// own (For), or any member's when member is "" (the mirror's operator).
// A write that waits is not dismissed: it is sent, or refused, first.
func (m *Mirror) Dismiss(ctx context.Context, member, id string) error {
	rows, err := m.db.sql.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE idem = ? AND state = ?`, id, Refused)
	if err != nil {
		return err
	}
	var seqs []int64
	for rows.Next() {
		q, err := scanQueued(rows)
		if err != nil {
			rows.Close()
			return err
		}
		if member == "" || q.For() == member {
			seqs = append(seqs, q.Seq)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(seqs) == 0 {
		return fmt.Errorf("mirror: %w: no refused write %q of %s's", ErrNotInOutbox, id, member)
	}
	for _, seq := range seqs {
		if _, err := m.db.sql.ExecContext(ctx, `DELETE FROM outbox WHERE seq = ? AND state = ?`, seq, Refused); err != nil {
			return err
		}
	}
	return nil
}

func (d *db) outbox(ctx context.Context) ([]Queued, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE state <> ? ORDER BY seq`, Landed)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Queued
	for rows.Next() {
		q, err := scanQueued(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}
