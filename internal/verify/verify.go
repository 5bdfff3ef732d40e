// Package verify checks a cell's log the way a party that trusts nobody
// would: the signed checkpoint, every leaf hash against the checkpoint's
// root, every entry it may read against its leaf, every envelope signature
// against the device key that the log itself registered, and that the log
// extends the last checkpoint this verifier saw. It reads the log through a
// Source: over the HTTP API (any party) or straight from a store (the
// operator, who may read every entry and the stored tree as well).
package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/record"
)

// Source is a log to verify.
type Source interface {
	// Name identifies the log for the state kept between runs: the server
	// URL and cell, or the store and cell.
	Name() string
	// Cell is the id of the cell whose log this is.
	Cell() string
	// VerifierKey returns the cell's note verifier key.
	VerifierKey(ctx context.Context) (string, error)
	// Checkpoint returns the latest signed checkpoint note, unverified.
	Checkpoint(ctx context.Context) ([]byte, error)
	// Leaves returns the leaf hashes start <= i < end.
	Leaves(ctx context.Context, start, end int64) ([]record.Hash, error)
	// Entries returns, in index order, up to limit entries with an index
	// above after that the source may read, and the after of the next call
	// (-1 when there are no more).
	Entries(ctx context.Context, after int64, limit int) (entries []RawEntry, next int64, err error)
	// InclusionProof and ConsistencyProof return the proofs as the log's
	// keeper computes them; Verify checks them.
	InclusionProof(ctx context.Context, index, size int64) ([]record.Hash, error)
	ConsistencyProof(ctx context.Context, from, to int64) ([]record.Hash, error)
}

// RawEntry is an entry as the log keeps it: its index and the exact bytes
// whose leaf hash is leaf Index.
type RawEntry struct {
	Index    int64
	LeafData []byte
}

// Complete is implemented by sources that read the whole log, past the
// latest checkpoint and every entry whatever its audience (a store).
type Complete interface {
	Source
	// Size returns the number of entries in the log.
	Size(ctx context.Context) (int64, error)
}

// StoredTree is implemented by sources that hold the whole stored Merkle
// tree, interior hashes included (a store); Verify recomputes and compares
// every one.
type StoredTree interface {
	StoredHashes(ctx context.Context, indexes []int64) ([]record.Hash, error)
}

// Options tune Verify.
type Options struct {
	// StateDir keeps, per log, the verifier key trusted on first use and the
	// last checkpoint verified. "" keeps nothing: every run is a first use.
	StateDir string
	// Now stamps saved state (default time.Now).
	Now func() time.Time
}

// Result is what a successful verification established.
type Result struct {
	Source      string
	Cell        string
	VerifierKey string
	// FirstUse reports that the verifier key was not known before this run
	// and is now trusted.
	FirstUse bool
	// Checkpoint is the signed checkpoint verified, Note its signed note as
	// served.
	Checkpoint record.Checkpoint
	Note       []byte
	// Witnessed holds, per registered witness key, the largest checkpoint
	// it cosigned that this run checked against the log's own leaves, by
	// size, largest first.
	Witnessed []Witnessed
	// Alarms are the log's witness.alarm entries whose proof checks: a
	// party showed, in the log itself, that the cell's key signed two
	// histories. The log may verify entry by entry and still have forked;
	// a caller treats any alarm as a failure.
	Alarms []Alarm
	// Size is the number of entries verified: the checkpoint's size, or
	// for a complete source the whole log (which may run ahead of the last
	// signed checkpoint).
	Size int64
	// Previous is the last checkpoint verified before this run, which the
	// log was shown to extend; nil on first use.
	Previous *record.Checkpoint
	// PreviousTime is when Previous was verified.
	PreviousTime time.Time
	// Read counts the entries whose content was checked; Signatures the
	// envelope signatures verified.
	Read       int64
	Signatures int64
	// StoredHashes counts the stored tree hashes recomputed and compared
	// (complete sources only).
	StoredHashes int64
}

// Error is a verification failure about particular entries.
type Error struct {
	// Index is the first entry concerned, -1 when the failure is about the
	// log as a whole; End is one past the last entry concerned.
	Index, End int64
	Msg        string
	Err        error
}

func (e *Error) Error() string {
	msg := e.Msg
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	switch {
	case e.Index < 0:
		return msg
	case e.End <= e.Index+1:
		return fmt.Sprintf("entry %d: %s", e.Index, msg)
	default:
		return fmt.Sprintf("entries %d-%d: %s", e.Index, e.End-1, msg)
	}
}

func (e *Error) Unwrap() error { return e.Err }

func entryErr(i int64, format string, a ...any) *Error {
	return &Error{Index: i, End: i + 1, Msg: fmt.Sprintf(format, a...)}
}

func logErr(format string, a ...any) *Error {
	return &Error{Index: -1, Msg: fmt.Sprintf(format, a...)}
}

// Alarm is a proven alarm found in the log: entry Index, raised by Member
// of Party, whose two checkpoints Small and Large, both signed by the
// cell's key, no single history has.
type Alarm struct {
	Index            int64
	Kind, Detail     string
	Party, PartyName string
	Member           string
	Small, Large     record.Checkpoint
}

// ErrKeyChanged reports a verifier key other than the one trusted on first
// use: either the cell's keys were replaced or someone shows another log.
var ErrKeyChanged = errors.New("the cell's verifier key changed")

// entryBatch is how many entries Verify asks a source for at a time.
const entryBatch = 1000

// Verify checks the log behind src. It returns an *Error naming the first
// entry found wrong, or another error when the log cannot be read. On
// success it saves the checkpoint as the one to extend next time.
func Verify(ctx context.Context, src Source, opt Options) (*Result, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	saved, err := loadState(opt.StateDir, src.Name())
	if err != nil {
		return nil, err
	}
	vkey, err := src.VerifierKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("verifier key: %w", err)
	}
	res := &Result{Source: src.Name(), Cell: src.Cell(), VerifierKey: vkey, FirstUse: saved == nil}
	if saved != nil && saved.VerifierKey != vkey {
		return nil, &Error{Index: -1, Err: ErrKeyChanged,
			Msg: fmt.Sprintf("%s was first verified with key %q, now %q", src.Name(), saved.VerifierKey, vkey)}
	}
	note, err := src.Checkpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	cp, err := record.OpenCheckpoint(note, vkey)
	if err != nil {
		return nil, &Error{Index: -1, Msg: "the signed checkpoint does not verify", Err: err}
	}
	res.Checkpoint = cp
	var old *record.Checkpoint
	if saved != nil && saved.Checkpoint != "" {
		o, err := record.OpenCheckpoint([]byte(saved.Checkpoint), saved.VerifierKey)
		if err != nil {
			return nil, fmt.Errorf("the checkpoint saved in %s does not verify: %w", opt.StateDir, err)
		}
		old = &o
		res.Previous, res.PreviousTime = old, saved.Verified
	}

	n := cp.Size
	full, complete := src.(Complete)
	if complete {
		if n, err = full.Size(ctx); err != nil {
			return nil, fmt.Errorf("size: %w", err)
		}
	}
	if old != nil && n < old.Size {
		return nil, &Error{Index: n, End: old.Size, Msg: fmt.Sprintf(
			"the log shrank: it held %d entries when verified at %s, now %d; these entries are gone",
			old.Size, saved.Verified.UTC().Format(time.RFC3339), n)}
	}
	if n < cp.Size {
		return nil, &Error{Index: n, End: cp.Size, Msg: fmt.Sprintf(
			"missing: the log holds %d entries but its signed checkpoint covers %d", n, cp.Size)}
	}
	if old != nil && cp.Size < old.Size {
		return nil, logErr("the log's signed checkpoint (size %d) is older than the one verified at %s (size %d)",
			cp.Size, saved.Verified.UTC().Format(time.RFC3339), old.Size)
	}
	res.Size = n

	leaves, err := src.Leaves(ctx, 0, n)
	if err != nil {
		return nil, fmt.Errorf("leaves: %w", err)
	}
	if int64(len(leaves)) != n {
		return nil, logErr("asked for %d leaf hashes, got %d", n, len(leaves))
	}
	tree, err := newMemTree(leaves)
	if err != nil {
		return nil, err
	}

	ring, err := checkEntries(ctx, src, complete, n, leaves, vkey, res)
	if err != nil {
		return nil, err
	}

	if cp.Size > 0 {
		root, err := tree.root(cp.Size)
		if err != nil {
			return nil, err
		}
		if root != cp.Root {
			return nil, localize(ctx, src, tree, cp)
		}
	}

	if st, ok := src.(StoredTree); ok {
		if err := compareStored(ctx, st, tree, n, res); err != nil {
			return nil, err
		}
	}

	if old != nil {
		if err := checkConsistency(ctx, src, tree, *old, cp, saved.Verified); err != nil {
			return nil, err
		}
	}

	if cs, ok := src.(CosignedSource); ok {
		notes, err := cs.Cosigned(ctx)
		if err != nil {
			return nil, fmt.Errorf("cosigned checkpoints: %w", err)
		}
		if res.Witnessed, err = checkCosigned(notes, vkey, ring, tree, n); err != nil {
			return nil, err
		}
	}
	res.Note = note

	if err := saveState(opt.StateDir, &state{Source: src.Name(), VerifierKey: vkey, Checkpoint: string(note),
		Size: cp.Size, Verified: opt.Now().UTC()}); err != nil {
		return nil, fmt.Errorf("saving the verified checkpoint: %w", err)
	}
	return res, nil
}

// checkEntries reads every entry the source may read and checks it against
// its leaf, its place in the log, and its signature.
func checkEntries(ctx context.Context, src Source, complete bool, n int64, leaves []record.Hash, vkey string, res *Result) (*keyring, error) {
	ring := newKeyring(src.Cell(), vkey)
	want := int64(0) // for a complete source, the next index that must come
	after := int64(-1)
pages:
	for {
		asked := after
		es, next, err := src.Entries(ctx, asked, entryBatch)
		if err != nil {
			return nil, fmt.Errorf("entries after %d: %w", after, err)
		}
		for _, re := range es {
			i := re.Index
			if i <= after {
				return nil, entryErr(i, "served out of order (after entry %d)", after)
			}
			after = i
			if i >= n {
				break pages // beyond the checkpoint: verified next time
			}
			if complete && i != want {
				return nil, entryErr(want, "missing from the log")
			}
			want = i + 1
			if record.LeafHash(re.LeafData) != leaves[i] {
				return nil, entryErr(i, "leaf data does not hash to leaf %d", i)
			}
			e, err := record.ParseEntry(re.LeafData)
			if err != nil {
				return nil, &Error{Index: i, End: i + 1, Msg: "the entry does not parse", Err: err}
			}
			if e.Index != i {
				return nil, entryErr(i, "the entry says it is entry %d", e.Index)
			}
			if e.Cell != src.Cell() {
				return nil, entryErr(i, "the entry belongs to cell %q, not %q", e.Cell, src.Cell())
			}
			if err := ring.check(e); err != nil {
				return nil, err
			}
			res.Read++
		}
		if next < 0 {
			break
		}
		if next <= asked || next < after {
			return nil, logErr("the source does not advance through the entries (asked after %d, told to go on after %d)", asked, next)
		}
		after = next
	}
	if complete && want < n {
		return nil, entryErr(want, "missing from the log")
	}
	res.Signatures = ring.verified
	res.Alarms = ring.alarms
	return ring, nil
}

// localize finds where the leaves disagree with the checkpoint's root. It
// descends the tree from the root, whose hash the signed checkpoint
// vouches for: at each node it takes the hashes of the node's two children
// from the keeper's inclusion proofs, accepts them only when they combine
// into the vouched-for hash, and follows the child whose recomputed hash
// differs. A liar cannot steer it: it can only make it stop early, at a
// node whose children its proofs cannot explain.
func localize(ctx context.Context, src Source, t *memTree, cp record.Checkpoint) error {
	lo, hi, want := int64(0), cp.Size, cp.Root
	for hi-lo > 1 {
		k := maxpow2(hi - lo)
		pl, err := src.InclusionProof(ctx, lo, cp.Size)
		if err != nil {
			return &Error{Index: lo, End: hi, Msg: "the leaves do not hash to the checkpoint's root, and the inclusion proof of entry " + fmt.Sprint(lo) + " is not available", Err: err}
		}
		pr, err := src.InclusionProof(ctx, lo+k, cp.Size)
		if err != nil {
			return &Error{Index: lo, End: hi, Msg: "the leaves do not hash to the checkpoint's root, and the inclusion proof of entry " + fmt.Sprint(lo+k) + " is not available", Err: err}
		}
		dl, dr := ceilLog2(k), ceilLog2(hi-lo-k)
		if len(pl) <= dl || len(pr) <= dr {
			return &Error{Index: lo, End: hi, Msg: "the leaves do not hash to the checkpoint's root, and the inclusion proofs are too short"}
		}
		right, left := pl[dl], pr[dr]
		if tlog.NodeHash(left, right) != want {
			return &Error{Index: lo, End: hi, Msg: "these leaves do not hash to what the signed checkpoint commits to, and the inclusion proofs disagree with the checkpoint here"}
		}
		ourLeft, ourRight := t.hash(lo, lo+k), t.hash(lo+k, hi)
		switch {
		case ourLeft != left:
			hi, want = lo+k, left
		case ourRight != right:
			lo, want = lo+k, right
		default:
			return &Error{Index: lo, End: hi, Msg: "the leaves do not hash to the checkpoint's root, but the inclusion proofs say they do"}
		}
	}
	return entryErr(lo, "leaf %d is not the leaf the signed checkpoint commits to (found by inclusion proofs)", lo)
}

// compareStored recomputes every stored tree hash from the leaves and
// compares it with the store's.
func compareStored(ctx context.Context, st StoredTree, t *memTree, n int64, res *Result) error {
	total := tlog.StoredHashCount(n)
	const batch = 500
	idx := make([]int64, 0, batch)
	for lo := int64(0); lo < total; lo += batch {
		idx = idx[:0]
		for x := lo; x < min(total, lo+batch); x++ {
			idx = append(idx, x)
		}
		hs, err := st.StoredHashes(ctx, idx)
		if err != nil {
			return fmt.Errorf("stored hashes %d..%d: %w", lo, lo+int64(len(idx)), err)
		}
		for j, h := range hs {
			x := idx[j]
			if h != t.hashes[x] {
				level, k := tlog.SplitStoredHashIndex(x)
				a, b := k<<level, (k+1)<<level
				if level == 0 {
					return entryErr(a, "the stored leaf hash does not match the entry's data")
				}
				return &Error{Index: a, End: b, Msg: fmt.Sprintf(
					"stored tree hash %d (level %d) does not match the hash recomputed from these entries' data", x, level)}
			}
			res.StoredHashes++
		}
	}
	root, err := t.root(n)
	if err != nil {
		return err
	}
	stored, err := tlog.TreeHash(n, tlog.HashReaderFunc(func(ix []int64) ([]tlog.Hash, error) {
		return st.StoredHashes(ctx, ix)
	}))
	if err != nil {
		return fmt.Errorf("root from the stored hashes: %w", err)
	}
	if stored != root {
		return logErr("the root from the stored hashes differs from the root recomputed from the entries")
	}
	return nil
}

// checkConsistency checks that the log extends the checkpoint old, verified
// before: with the keeper's consistency proof, and against the leaves
// themselves.
func checkConsistency(ctx context.Context, src Source, t *memTree, old, cp record.Checkpoint, when time.Time) error {
	seen := when.UTC().Format(time.RFC3339)
	if old.Origin != cp.Origin {
		return logErr("the log's origin changed from %q to %q", old.Origin, cp.Origin)
	}
	if old.Size == 0 {
		return nil
	}
	if old.Size == cp.Size {
		if old.Root != cp.Root {
			return &Error{Index: 0, End: old.Size, Msg: fmt.Sprintf(
				"two signed checkpoints of size %d with different roots (one verified at %s): the log was forked or rewritten", old.Size, seen)}
		}
		return nil
	}
	proof, err := src.ConsistencyProof(ctx, old.Size, cp.Size)
	if err != nil {
		return fmt.Errorf("consistency proof %d..%d: %w", old.Size, cp.Size, err)
	}
	if err := tlog.CheckTree(proof, cp.Size, cp.Root, old.Size, old.Root); err != nil {
		return &Error{Index: 0, End: old.Size, Msg: fmt.Sprintf(
			"the log of size %d does not extend the checkpoint of size %d verified at %s: these entries were rewritten", cp.Size, old.Size, seen), Err: err}
	}
	r, err := t.root(old.Size)
	if err != nil {
		return err
	}
	if r != old.Root {
		return &Error{Index: 0, End: old.Size, Msg: fmt.Sprintf(
			"the first %d leaves no longer hash to the checkpoint verified at %s", old.Size, seen)}
	}
	return nil
}
