// Package mirror is a party's own copy of a cell's log, kept in its own
// capital: it follows the cell, checks each new checkpoint's signature and
// its consistency with the last one it holds, every leaf against the root,
// and every entry its party may read against its leaf and its envelope
// signature; it cosigns each checkpoint it verified (C2SP
// tlog-cosignature) and returns the cosignature to the cell; and it
// compares its history with the checkpoints the other parties' witnesses
// cosigned, so that a cell showing two parties different histories, or
// rolling one back, is caught at once. The proof (the two conflicting
// signed checkpoints) is kept in its data directory.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/verify"
)

// ErrAlarm is wrapped by the error of a round that caught the cell
// misbehaving; the alarm and its proof are kept (Mirror.Alarms).
var ErrAlarm = errors.New("alarm")

// Alarm kinds.
const (
	AlarmFork       = "fork"         // two signed checkpoints of one size, other roots
	AlarmRollback   = "rollback"     // a signed checkpoint smaller than one held
	AlarmNoConsist  = "inconsistent" // a larger checkpoint that does not extend the one held
	AlarmSplitView  = "split-view"   // another party's witness cosigned a history this mirror does not hold
	AlarmKeyChanged = "key-changed"  // the cell's verifier key is not the one first trusted
)

// Config configures a Mirror.
type Config struct {
	// Client is signed in to the cell as a member of the mirror's party.
	Client *client.Client
	Cell   string
	// Dir is the mirror's data directory.
	Dir string
	// Witness, when set, cosigns every checkpoint the mirror verified.
	Witness *record.WitnessKey
	// Key, when set, is the signed-in member's device key: with it the
	// mirror raises each provable alarm in the cell's log too
	// (witness.alarm).
	Key *record.DeviceKey
	// Registry, when set, is the desks' registry (desks.Registry): the
	// mirror then keeps its party's replica, which it serves (Store).
	Registry *cell.Registry
	// DownAfter is how many rounds in a row the cell may not answer before
	// the mirror says the line is down (default 3).
	DownAfter int
	Logger    *slog.Logger
	Now       func() time.Time
	// SendTimeout bounds how long Submit waits for the cell's answer
	// before it answers that the write waits (DefaultSendTimeout).
	SendTimeout time.Duration
}

// Mirror is one party's copy of a cell's log.
type Mirror struct {
	cfg    Config
	db     *db
	party  string
	member string
	vkey   string
	ring   *verify.Keyring
	// size and root are those of the checkpoint held; through is the
	// number of leaves whose readable entries are stored (== size).
	size int64
	root record.Hash
	// rep is the party's replica (Config.Registry); status what the
	// mirror's pages say of the line.
	rep    *replica
	status status
	// blobs are the files members uploaded at the mirror (blobs.go).
	blobs sqlite.Blobs

	// The outbox's: what Submit checks writes against (shareRing), since
	// when sends fail to reach the cell (zero while they do), and the
	// token of the one sender at a time.
	obMu      sync.Mutex
	obRing    *verify.Keyring
	obParty   string
	downSince time.Time
	sending   chan struct{}
}

// Open opens (or creates) the mirror in cfg.Dir. The cell's verifier key
// is trusted on first use and held to from then on.
func Open(ctx context.Context, cfg Config) (*Mirror, error) {
	if cfg.Client == nil || cfg.Cell == "" || cfg.Dir == "" {
		return nil, errors.New("mirror: Client, Cell and Dir are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	d, err := openDB(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if cfg.DownAfter <= 0 {
		cfg.DownAfter = 3
	}
	m := &Mirror{cfg: cfg, db: d, sending: make(chan struct{}, 1), blobs: blobsDir(cfg.Dir)}
	if err := m.load(ctx); err != nil {
		d.close()
		return nil, err
	}
	if cfg.Registry != nil {
		if m.rep, err = openReplica(ctx, d, cfg.Dir, cfg.Registry); err != nil {
			d.close()
			return nil, err
		}
		m.project(ctx)
	}
	m.loadStatus(ctx)
	return m, nil
}

// Close closes the mirror's databases.
func (m *Mirror) Close() error {
	if m.rep != nil {
		m.rep.st.Close()
	}
	return m.db.close()
}

// Size is the size of the checkpoint the mirror holds, verified.
func (m *Mirror) Size() int64 { return m.size }

// Entries calls fn with every entry the mirror keeps, in log order.
func (m *Mirror) Entries(ctx context.Context, fn func(*record.Entry) error) error {
	for after := int64(-1); ; {
		data, idx, err := m.db.entries(ctx, after, 1000)
		if err != nil || len(data) == 0 {
			return err
		}
		for i, b := range data {
			e, err := record.ParseEntry(b)
			if err != nil {
				return fmt.Errorf("mirror: stored entry %d: %w", idx[i], err)
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		after = idx[len(idx)-1]
	}
}

// Alarms returns the alarms raised so far, oldest first.
func (m *Mirror) Alarms(ctx context.Context) ([]Alarm, error) { return m.db.alarms(ctx) }

// load restores what the mirror holds and replays its stored entries into
// the keyring, which must know every key they registered.
func (m *Mirror) load(ctx context.Context) error {
	cellID, err := m.db.meta(ctx, "cell")
	if err != nil {
		return err
	}
	if cellID != "" && cellID != m.cfg.Cell {
		return fmt.Errorf("mirror: %s holds cell %q, not %q", m.cfg.Dir, cellID, m.cfg.Cell)
	}
	if m.vkey, err = m.db.meta(ctx, "vkey"); err != nil {
		return err
	}
	if m.party, err = m.db.meta(ctx, "party"); err != nil {
		return err
	}
	if m.member, err = m.db.meta(ctx, "member"); err != nil {
		return err
	}
	held, err := m.db.held(ctx)
	if err != nil || held == nil {
		return err
	}
	cp, err := record.OpenCheckpoint(held, m.vkey)
	if err != nil {
		return fmt.Errorf("mirror: the checkpoint held in %s does not verify: %w", m.cfg.Dir, err)
	}
	m.size, m.root = cp.Size, cp.Root
	m.ring = verify.NewKeyring(m.cfg.Cell, m.vkey)
	err = m.Entries(ctx, func(e *record.Entry) error {
		if err := m.ring.Check(e); err != nil {
			return fmt.Errorf("mirror: stored entry %d: %w", e.Index, err)
		}
		return nil
	})
	m.shareRing()
	return err
}

// alarm keeps an alarm and returns the round's error.
func (m *Mirror) alarm(ctx context.Context, kind, detail string, held, seen []byte) error {
	a := Alarm{At: m.cfg.Now().Unix(), Kind: kind, Detail: detail, Held: held, Seen: seen}
	if err := m.db.addAlarm(ctx, a); err != nil {
		return fmt.Errorf("%w: %s: %s (and keeping its proof failed: %v)", ErrAlarm, kind, detail, err)
	}
	m.cfg.Logger.Error("ALARM", "kind", kind, "detail", detail)
	m.raise(ctx, kind, detail, held, seen)
	return fmt.Errorf("%w: %s: %s", ErrAlarm, kind, detail)
}

// RoundResult says what one round did.
type RoundResult struct {
	From, To int64 // the checkpoint sizes held before and after
	Entries  int   // readable entries stored
	Cosigned bool
	// Sent and Refused count the queued writes the cell took and refused
	// this round; Waiting those still in the outbox.
	Sent, Refused, Waiting int
}

// Round follows the cell once: the latest checkpoint, the leaves and
// readable entries up to it, the consistency proof from the one held, the
// cosignature, and the comparison with what the other parties' witnesses
// cosigned. It returns an error wrapping ErrAlarm when the cell
// misbehaved; any other error (the line is down) leaves the mirror as it
// was, to try again.
func (m *Mirror) Round(ctx context.Context) (_ *RoundResult, err error) {
	defer func() { m.heard(err) }()
	c := m.cfg.Client
	res := &RoundResult{From: m.size, To: m.size}
	if m.party == "" {
		me, err := c.Me(ctx)
		if err != nil {
			return res, err
		}
		m.party, m.member = me.Party.ID, me.Member.ID
	}
	// What the members wrote while the line was cut goes first, in order.
	fr, err := m.Flush(ctx)
	if err != nil {
		m.cfg.Logger.Warn("outbox", "err", err)
	}
	if fr != nil {
		res.Sent, res.Refused, res.Waiting = len(fr.Landed), len(fr.Refused), fr.Waiting
	}
	vkey, err := c.VerifierKey(ctx)
	if err != nil {
		return res, err
	}
	m.lineAnswered()
	if m.vkey == "" {
		m.vkey = vkey
		m.ring = verify.NewKeyring(m.cfg.Cell, vkey)
	} else if vkey != m.vkey {
		return res, m.alarm(ctx, AlarmKeyChanged, fmt.Sprintf("the cell's verifier key is %q, not %q as first trusted", vkey, m.vkey), nil, nil)
	}
	msg, err := c.Checkpoint(ctx)
	if err != nil {
		return res, err
	}
	cp, err := record.OpenCheckpoint(msg, m.vkey)
	if err != nil {
		return res, fmt.Errorf("the cell's checkpoint does not verify: %w", err)
	}
	held, err := m.db.held(ctx)
	if err != nil {
		return res, err
	}
	switch {
	case cp.Size < m.size:
		return res, m.alarm(ctx, AlarmRollback, fmt.Sprintf(
			"the cell serves a signed checkpoint of size %d, smaller than the one of size %d this mirror verified: the log was rolled back", cp.Size, m.size), held, msg)
	case cp.Size == m.size && cp.Root != m.root:
		return res, m.alarm(ctx, AlarmFork, fmt.Sprintf(
			"two signed checkpoints of size %d with different roots: the log was forked", cp.Size), held, msg)
	case cp.Size > m.size:
		n, err := m.extend(ctx, cp, msg, held)
		if err != nil {
			return res, err
		}
		res.Entries, res.To = n, cp.Size
		m.project(ctx)
	}
	if m.cfg.Witness != nil && m.size > 0 {
		if ok, err := m.cosign(ctx); err != nil {
			m.cfg.Logger.Warn("cosign", "size", m.size, "err", err)
		} else {
			res.Cosigned = ok
		}
	}
	if err := m.compare(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// extend verifies the cell's larger checkpoint cp against the one held and
// stores the leaves and readable entries up to it.
func (m *Mirror) extend(ctx context.Context, cp record.Checkpoint, msg, held []byte) (int, error) {
	c := m.cfg.Client
	if m.size > 0 {
		proof, err := c.ConsistencyProof(ctx, m.size, cp.Size)
		if err != nil {
			return 0, fmt.Errorf("consistency proof %d..%d: %w", m.size, cp.Size, err)
		}
		if err := tlog.CheckTree(proof, cp.Size, cp.Root, m.size, m.root); err != nil {
			return 0, m.alarm(ctx, AlarmNoConsist, fmt.Sprintf(
				"the signed checkpoint of size %d does not extend the one of size %d this mirror verified (%v)", cp.Size, m.size, err), held, msg)
		}
	}
	leaves, err := c.Leaves(ctx, m.size, cp.Size)
	if err != nil {
		return 0, fmt.Errorf("leaves %d..%d: %w", m.size, cp.Size, err)
	}
	if int64(len(leaves)) != cp.Size-m.size {
		return 0, fmt.Errorf("asked for %d leaves, got %d", cp.Size-m.size, len(leaves))
	}
	r := &hashReader{ctx: ctx, d: m.db, pending: map[int64]record.Hash{}}
	for i, h := range leaves {
		n := m.size + int64(i)
		hs, err := tlog.StoredHashesForRecordHash(n, h, r)
		if err != nil {
			return 0, err
		}
		base := tlog.StoredHashIndex(0, n)
		for j, x := range hs {
			r.pending[base+int64(j)] = x
		}
	}
	root, err := tlog.TreeHash(cp.Size, r)
	if err != nil {
		return 0, err
	}
	if root != cp.Root {
		// The proof said the checkpoint extends ours; the leaves the cell
		// served do not make its root. Nothing is kept; the next round
		// asks again.
		return 0, fmt.Errorf("the leaves %d..%d the cell served do not hash to its signed root", m.size, cp.Size)
	}
	// The readable entries below cp.Size, each against its leaf: with the
	// root verified, that is its inclusion in the checkpoint.
	type kept struct {
		idx  int64
		data []byte
	}
	var entries []kept
	after := m.size - 1
	ring := m.ring.Clone() // kept only if the batch is stored
pages:
	for {
		page, err := c.Entries(ctx, after, 1000)
		if err != nil {
			return 0, fmt.Errorf("entries after %d: %w", after, err)
		}
		for _, e := range page.Entries {
			if e.Index <= after {
				return 0, fmt.Errorf("the cell serves entry %d out of order (after %d)", e.Index, after)
			}
			if e.Index >= cp.Size {
				break pages
			}
			after = e.Index
			leaf := r.pending[tlog.StoredHashIndex(0, e.Index)]
			if record.LeafHash(e.LeafData) != leaf {
				return 0, fmt.Errorf("entry %d does not hash to leaf %d", e.Index, e.Index)
			}
			pe, err := record.ParseEntry(e.LeafData)
			if err != nil {
				return 0, fmt.Errorf("entry %d: %w", e.Index, err)
			}
			if pe.Index != e.Index || pe.Cell != m.cfg.Cell {
				return 0, fmt.Errorf("entry %d says it is entry %d of cell %q", e.Index, pe.Index, pe.Cell)
			}
			if !pe.VisibleTo(m.party, m.member) {
				// Never kept: the mirror holds its party's record only.
				return 0, fmt.Errorf("the cell served entry %d, whose audience %v is not party %s's", e.Index, pe.Audience, m.party)
			}
			if err := ring.Check(pe); err != nil {
				return 0, err
			}
			entries = append(entries, kept{e.Index, e.LeafData})
		}
		if page.Next == "" {
			break
		}
		next, err := strconv.ParseInt(page.Next, 10, 64)
		if err != nil || next < after {
			return 0, fmt.Errorf("entries: bad next %q", page.Next)
		}
		after = next
	}

	tx, err := m.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck
	for x, h := range r.pending {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hashes (idx, hash) VALUES (?, ?)`, x, h[:]); err != nil {
			return 0, err
		}
	}
	for _, e := range entries {
		if _, err := tx.ExecContext(ctx, `INSERT INTO entries (idx, data) VALUES (?, ?)`, e.idx, e.data); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (size, note, verified) VALUES (?, ?, ?)`, cp.Size, msg, m.cfg.Now().Unix()); err != nil {
		return 0, err
	}
	for k, v := range map[string]string{"cell": m.cfg.Cell, "vkey": m.vkey, "party": m.party, "member": m.member} {
		if err := setMeta(ctx, tx, k, v); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	m.ring = ring
	m.shareRing()
	m.size, m.root = cp.Size, cp.Root
	return len(entries), nil
}

// cosign cosigns the checkpoint held, once, and returns it to the cell.
func (m *Mirror) cosign(ctx context.Context) (bool, error) {
	var done int
	if err := m.db.sql.QueryRowContext(ctx, `SELECT cosigned FROM checkpoints WHERE size = ?`, m.size).Scan(&done); err != nil {
		return false, err
	}
	if done != 0 {
		return false, nil
	}
	msg, err := m.db.checkpointAt(ctx, m.size)
	if err != nil {
		return false, err
	}
	cos, err := m.cfg.Witness.Cosign(msg, m.vkey)
	if err != nil {
		return false, err
	}
	if _, err := m.cfg.Client.AddCosignatures(ctx, cos); err != nil {
		return false, err
	}
	_, err = m.db.sql.ExecContext(ctx, `UPDATE checkpoints SET cosigned = ? WHERE size = ?`, m.cfg.Now().Unix(), m.size)
	return err == nil, err
}

// compare checks the checkpoints the parties' witnesses last cosigned
// against this mirror's history: one of a size it holds must have its
// root; a larger one must be provably consistent with it. A cell that
// shows two parties two histories cannot then return both parties'
// cosignatures without each mirror seeing the other's.
func (m *Mirror) compare(ctx context.Context) error {
	notes, err := m.cfg.Client.Cosigned(ctx)
	if err != nil {
		m.cfg.Logger.Warn("cosigned checkpoints", "err", err)
		return nil
	}
	cellV, err := note.NewVerifier(m.vkey)
	if err != nil {
		return err
	}
	vs := []note.Verifier{cellV}
	names := map[string]string{}
	for _, w := range m.ring.WitnessVerifiers() {
		vs = append(vs, w.Verifier)
		names[w.Verifier.Name()] = w.PartyName
	}
	held, err := m.db.held(ctx)
	if err != nil {
		return err
	}
	r := &hashReader{ctx: ctx, d: m.db}
	for _, msg := range notes {
		n, err := note.Open(msg, note.VerifierList(vs...))
		if err != nil {
			m.cfg.Logger.Warn("a cosigned checkpoint the cell serves does not verify", "err", err)
			continue
		}
		cp, err := record.ParseCheckpoint(n.Text)
		if err != nil || cp.Origin != cellV.Name() {
			continue
		}
		var who []string
		cellSigned := false
		for _, sg := range n.Sigs {
			if sg.Name == cellV.Name() && sg.Hash == cellV.KeyHash() {
				cellSigned = true
			} else if names[sg.Name] != "" {
				who = append(who, names[sg.Name])
			}
		}
		if !cellSigned || len(who) == 0 || cp.Size < 1 {
			continue
		}
		if cp.Size <= m.size {
			root, err := tlog.TreeHash(cp.Size, r)
			if err != nil {
				return err
			}
			if root != cp.Root {
				return m.alarm(ctx, AlarmSplitView, fmt.Sprintf(
					"the cell signed, and %v cosigned, a checkpoint of size %d whose root is not this mirror's at that size: the cell shows them another history",
					who, cp.Size), held, msg)
			}
			continue
		}
		proof, err := m.cfg.Client.ConsistencyProof(ctx, m.size, cp.Size)
		if err != nil {
			continue // not yet provable to us; the next round follows further
		}
		if err := tlog.CheckTree(proof, cp.Size, cp.Root, m.size, m.root); err != nil {
			return m.alarm(ctx, AlarmSplitView, fmt.Sprintf(
				"the cell signed, and %v cosigned, a checkpoint of size %d that does not extend this mirror's of size %d", who, cp.Size, m.size), held, msg)
		}
	}
	return nil
}
