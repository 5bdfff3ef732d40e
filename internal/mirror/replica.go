package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

// The replica is the party's projections at the mirror: a real store
// (DIR/replica, the same SQLite store a cell keeps) into which every entry
// the mirror verified is replayed through the desks' decisions, as
// internal/rebuild replays a log, so that the API and the pages serve the
// party's members from it as the cell would. It is a cache of mirror.db,
// which stays the proof: a replica behind its mirror catches up from it
// when the mirror opens and after each round.
//
// The mirror holds only what its party reads, so a decision may fail, or
// decide another audience than the log's, on that partial view: an
// acknowledgement of a message the party never read, a step whose
// decision reads another party's members. Such an entry is kept (it is
// the party's record and is served as such) without its projection
// changes, and the mirror records which entries were not projected and
// why (Unprojected). A member of another party whose record the party
// does not read (their names and roles are their party's) is known to
// the decisions by the entry itself: the cell accepted the entry, having
// checked that its signer was an active member of the party the entry
// names and held the role the command takes, so the replica decides it
// with a stand-in of that party holding every role. The replay computes
// projections; it does not judge again what the cell judged, and cannot
// from a view without the signer's record. A decision whose audience is
// not the logged one is still not projected.

// replicaChunk bounds the entries replayed in one transaction.
const replicaChunk = 1000

const replicaSchema = `CREATE TABLE IF NOT EXISTS unprojected (idx INTEGER PRIMARY KEY, kind TEXT NOT NULL, reason TEXT NOT NULL);`

// Unprojected is an entry the replica keeps without its projection.
type Unprojected struct {
	Index  int64
	Kind   string
	Reason string
}

type replica struct {
	st  *sqlite.Store
	reg *cell.Registry
}

func openReplica(ctx context.Context, d *db, dir string, reg *cell.Registry) (*replica, error) {
	if _, err := d.sql.ExecContext(ctx, replicaSchema); err != nil {
		return nil, fmt.Errorf("mirror database: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "replica"))
	if err != nil {
		return nil, fmt.Errorf("mirror replica: %w", err)
	}
	return &replica{st: st, reg: reg}, nil
}

// Store is the replica the mirror serves its party from, or nil for a
// mirror without one (Config.Registry unset). Only the mirror writes it.
// Its blobs are the files the mirror holds, those its members uploaded
// there (Upload).
func (m *Mirror) Store() store.Store {
	if m.rep == nil {
		return nil
	}
	return replicaStore{Store: m.rep.st, blobs: m.blobs}
}

// Unprojected returns the entries the replica keeps without their
// projection changes, in log order.
func (m *Mirror) Unprojected(ctx context.Context) ([]Unprojected, error) {
	rows, err := m.db.sql.QueryContext(ctx, `SELECT idx, kind, reason FROM unprojected ORDER BY idx`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Unprojected
	for rows.Next() {
		var u Unprojected
		if err := rows.Scan(&u.Index, &u.Kind, &u.Reason); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// project brings the replica up to the checkpoint the mirror verified. Its
// failure leaves the mirror's proof as it is: the next round tries again.
func (m *Mirror) project(ctx context.Context) {
	if m.rep == nil || m.size == 0 {
		return
	}
	if err := m.syncReplica(ctx); err != nil {
		m.cfg.Logger.Error("the replica does not follow the mirror; serving it as it was", "size", m.size, "err", err)
	}
}

func (m *Mirror) syncReplica(ctx context.Context) error {
	st := m.rep.st
	n, err := st.Size(ctx, m.cfg.Cell)
	if errors.Is(err, store.ErrNotFound) {
		v, verr := note.NewVerifier(m.vkey)
		if verr != nil {
			return verr
		}
		if err = st.CreateCell(ctx, m.cfg.Cell, v.Name()); err != nil {
			return err
		}
		n = 0
	} else if err != nil {
		return err
	}
	if n > m.size {
		return fmt.Errorf("the replica holds %d leaves, the mirror verified %d: remove %s and open the mirror again", n, m.size, filepath.Join(m.cfg.Dir, "replica"))
	}
	if n == m.size {
		return nil
	}
	reader, err := m.replicaReader(ctx)
	if err != nil {
		return err
	}
	for n < m.size {
		data, idx, err := m.db.entries(ctx, n-1, replicaChunk)
		if err != nil {
			return err
		}
		to := m.size
		if len(idx) == replicaChunk && idx[len(idx)-1]+1 < m.size {
			to = idx[len(idx)-1] + 1
		}
		var skipped []Unprojected
		b := store.ReplicaBatch{Reader: reader, Size: to}
		for i, raw := range data {
			if idx[i] >= to {
				break
			}
			e, err := record.ParseEntry(raw)
			if err != nil {
				return fmt.Errorf("stored entry %d: %w", idx[i], err)
			}
			b.Entries = append(b.Entries, store.ReplicaEntry{Entry: e, LeafData: raw, Decide: m.rep.decide(e, &skipped)})
		}
		if b.Hashes, err = m.db.hashRange(ctx, tlog.StoredHashCount(n), tlog.StoredHashCount(to)); err != nil {
			return err
		}
		if to == m.size {
			if b.Checkpoint, err = m.db.checkpointAt(ctx, to); err != nil {
				return err
			}
		}
		if err := st.Replicate(ctx, m.cfg.Cell, b); err != nil {
			return err
		}
		for _, u := range skipped {
			m.cfg.Logger.Info("the replica keeps an entry without its projection", "index", u.Index, "kind", u.Kind, "reason", u.Reason)
			if _, err := m.db.sql.ExecContext(ctx, `INSERT INTO unprojected (idx, kind, reason) VALUES (?, ?, ?) ON CONFLICT (idx) DO UPDATE SET kind = excluded.kind, reason = excluded.reason`,
				u.Index, u.Kind, u.Reason); err != nil {
				return err
			}
		}
		if err := m.rep.reg.Committed(ctx, m.cfg.Cell, st.View(m.cfg.Cell), to); err != nil {
			return fmt.Errorf("following the replica: %w", err)
		}
		if err := st.Notify(ctx, m.cfg.Cell, to); err != nil {
			m.cfg.Logger.Warn("notify", "err", err)
		}
		n = to
	}
	return nil
}

// replicaReader is whom the replica is for, as the store filters: the
// party (every bit for the mediator) and the mirror's member, who reads
// what names them. The party's number is in the replica once its
// party.create is; before the first entries are replayed it is asked of
// the cell, which has just answered the round.
func (m *Mirror) replicaReader(ctx context.Context) (store.Reader, error) {
	p, err := cell.GetParty(ctx, m.rep.st.View(m.cfg.Cell), m.party)
	if errors.Is(err, store.ErrNotFound) {
		me, merr := m.cfg.Client.Me(ctx)
		if merr != nil {
			return store.Reader{}, fmt.Errorf("the party's number: %w", merr)
		}
		if me.Party.ID != m.party {
			return store.Reader{}, fmt.Errorf("signed in for party %s, the mirror is %s's", me.Party.ID, m.party)
		}
		p, err = me.Party, nil
	}
	if err != nil {
		return store.Reader{}, err
	}
	r := store.Reader{Mask: p.Bit(), Member: m.member}
	if p.Kind == cell.Mediator {
		r.Mask = ^uint64(0)
	}
	return r, nil
}

// decide is the registry's decision of e on the replica, or, where the
// party's view does not hold what it needs, e kept without projection.
func (r *replica) decide(e *record.Entry, skipped *[]Unprojected) func(context.Context, store.View) (store.Effect, error) {
	return func(ctx context.Context, v store.View) (store.Effect, error) {
		sv := standIn{View: v, e: e}
		checked := func(eff store.Effect, err error) (store.Effect, error) {
			if err != nil {
				return eff, err
			}
			logged, got := slices.Sorted(slices.Values(e.Audience)), slices.Sorted(slices.Values(eff.Audience))
			if !slices.Equal(logged, got) {
				return eff, fmt.Errorf("decided on the party's view, its audience is %v, not %v as logged", got, logged)
			}
			return eff, eff.Resolve()
		}
		eff, err := checked(r.reg.Decide(e)(ctx, sv))
		if err == nil {
			return eff, nil
		}
		// What the decision needed is not the party's to read: the
		// kind's replay projects what is, from the entry itself.
		if replay, ok := r.reg.Replay(e); ok {
			reff, rerr := checked(replay(ctx, sv))
			if rerr == nil {
				return reff, nil
			}
			err = fmt.Errorf("%w; replayed from the entry alone: %v", err, rerr)
		}
		mask, members, merr := maskOf(ctx, v, e.Audience)
		if merr != nil {
			return store.Effect{}, fmt.Errorf("entry %d: %w", e.Index, merr)
		}
		*skipped = append(*skipped, Unprojected{Index: e.Index, Kind: e.Envelope.Kind(), Reason: err.Error()})
		return store.Effect{Audience: e.Audience, Mask: mask, Members: members}, nil
	}
}

// maskOf is the store's mask of a logged audience, from the parties the
// replica holds (every party is everyone's to read).
func maskOf(ctx context.Context, v store.View, aud []string) (uint64, []string, error) {
	parties, err := cell.Parties(ctx, v)
	if err != nil {
		return 0, nil, err
	}
	var mask uint64
	var members []string
	for _, a := range aud {
		if a == record.Everyone {
			mask = ^uint64(0)
			continue
		}
		if m := record.NamedMember(a); m != "" {
			members = append(members, m)
			continue
		}
		i := slices.IndexFunc(parties, func(p cell.Party) bool { return p.ID == a })
		if i < 0 {
			return 0, nil, fmt.Errorf("its audience names party %q, which the replica does not hold", a)
		}
		mask |= parties[i].Bit()
	}
	slices.Sort(members)
	return mask, members, nil
}

// standIn is the replica's view for deciding e, in which e's signer, if
// the party does not read their record, is the member of e's party, with
// the roles the command takes, that the cell's acceptance of e proves
// they were.
type standIn struct {
	store.View
	e *record.Entry
}

func (s standIn) Get(ctx context.Context, kind, id string) (store.Object, error) {
	o, err := s.View.Get(ctx, kind, id)
	if kind == cell.ObjMember && id == s.e.Member && s.e.Party != "" && errors.Is(err, store.ErrNotFound) {
		doc, merr := json.Marshal(cell.Member{ID: id, Party: s.e.Party, Roles: cell.Roles})
		if merr != nil {
			return o, merr
		}
		return store.Object{Kind: kind, ID: id, Parent: s.e.Party, Doc: doc}, nil
	}
	return o, err
}

// Next keeps the position of the entry being decided (store.Position).
func (s standIn) Next() (int64, time.Time) {
	if p, ok := s.View.(store.Position); ok {
		return p.Next()
	}
	return s.e.Index, s.e.Time
}

// Memo keeps the batch's memo (store.Memo): its keys are per member, and
// the stand-in is the same for every entry of its member.
func (s standIn) Memo(key string, kinds []string, load func() (any, error)) (any, error) {
	if m, ok := s.View.(store.Memo); ok {
		return m.Memo(key, kinds, load)
	}
	return load()
}

// hashRange reads the stored tree hashes lo <= idx < hi.
func (d *db) hashRange(ctx context.Context, lo, hi int64) (map[int64]record.Hash, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT idx, hash FROM hashes WHERE idx >= ? AND idx < ?`, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]record.Hash{}
	for rows.Next() {
		var i int64
		var b []byte
		if err := rows.Scan(&i, &b); err != nil {
			return nil, err
		}
		var h record.Hash
		copy(h[:], b)
		out[i] = h
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if int64(len(out)) != hi-lo {
		return nil, fmt.Errorf("the mirror holds %d of the tree hashes %d..%d", len(out), lo, hi)
	}
	return out, nil
}

// VerifierKey is the cell's verifier key the mirror trusts ("" before its
// first round).
func (m *Mirror) VerifierKey() string { return m.vkey }

// ErrNotParty refuses a credential at a mirror for a member it does not
// serve.
var ErrNotParty = errors.New("not a member of the mirror's party")

// SetCredential keeps, in the replica of the mirror in dir, member's
// password hash (auth.HashPassword): passwords and sessions are not in the
// log, so a mirror signs its party's members in with its own. The member
// must be an active member of the mirror's party in the replica; their
// sessions at the mirror end.
func SetCredential(ctx context.Context, dir, member, hash string) error {
	d, err := openDB(dir)
	if err != nil {
		return err
	}
	defer d.close()
	cellID, err := d.meta(ctx, "cell")
	if err != nil {
		return err
	}
	party, err := d.meta(ctx, "party")
	if err != nil {
		return err
	}
	if cellID == "" || party == "" {
		return fmt.Errorf("%s holds no mirror yet: run 'liaison mirror --data %s --once' first", dir, dir)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "replica"))
	if err != nil {
		return err
	}
	defer st.Close()
	mem, err := cell.GetMember(ctx, st.View(cellID), member)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: the mirror holds no member %q of party %s", ErrNotParty, member, party)
	}
	if err != nil {
		return err
	}
	if mem.Party != party {
		return fmt.Errorf("%w: %s is a member of party %s; this is party %s's mirror", ErrNotParty, member, mem.Party, party)
	}
	if mem.Disabled {
		return fmt.Errorf("member %s is disabled", member)
	}
	if err := st.PutCredential(ctx, store.Credential{Cell: cellID, Member: member, Username: member, Hash: hash}); err != nil {
		return err
	}
	return st.RevokeMemberTokens(ctx, cellID, member)
}
