// Package evidence makes and checks evidence bundles: a few entries of a
// cell's log, each with its inclusion proof to one signed checkpoint, and
// the entries that declare the keys which signed them. A party settling a
// dispute hands one to whoever must judge it (its capital, the mediator,
// an arbiter), who checks it offline, without an account in the cell and
// without trusting the party that made it: only the cell's note key, which
// the judge compares with the one the cell publishes.
package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/verify"
)

// Format names the bundle's layout.
const Format = "liaison-evidence/1"

// ErrNotReadable is the refusal of an entry its reader may not read, in
// the same words as one that does not exist.
var ErrNotReadable = errors.New("no such entry that you may read")

// ErrNotSigned is the refusal of an entry newer than the latest signed
// checkpoint: the server signs one every few seconds, so ask again.
var ErrNotSigned = errors.New("not yet in a signed checkpoint")

// Bundle is what a judge receives.
type Bundle struct {
	Format string `json:"format"`
	Cell   string `json:"cell"`
	// NoteKey is the cell's checkpoint verifier key, and Checkpoint the
	// signed note every proof leads to.
	NoteKey    string `json:"note_key"`
	Checkpoint string `json:"checkpoint"`
	// Entries are in index order: entry 0, which declares the server key;
	// the key registrations and revocations of every key that signs one of
	// the others; and the entries the bundle is about (Cited).
	Entries []Item  `json:"entries"`
	Cited   []int64 `json:"cited"`
}

// Item is one entry: its exact bytes and the proof that it is leaf Index
// of the checkpoint's tree.
type Item struct {
	Index    int64    `json:"index"`
	LeafData []byte   `json:"leaf_data"`
	Proof    [][]byte `json:"proof"`
}

// Build makes a bundle of the entries cited, read from src as its reader
// may read them, against src's latest checkpoint.
func Build(ctx context.Context, src Source, cited []int64) (*Bundle, error) {
	if len(cited) == 0 {
		return nil, errors.New("evidence: no entry cited")
	}
	vkey, err := src.VerifierKey(ctx)
	if err != nil {
		return nil, err
	}
	note, err := src.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	ck, err := record.OpenCheckpoint(note, vkey)
	if err != nil {
		return nil, fmt.Errorf("evidence: the checkpoint: %w", err)
	}
	want := map[int64]bool{}
	for _, i := range cited {
		if i < 0 {
			return nil, fmt.Errorf("evidence: %d is not a log index", i)
		}
		if i >= ck.Size {
			return nil, fmt.Errorf("evidence: entry %d: %w (it covers %d entries); try again in a few seconds", i, ErrNotSigned, ck.Size)
		}
		want[i] = true
	}
	return build(ctx, src, vkey, note, ck, want)
}

func mapsKeys(m map[int64]bool) func(func(int64) bool) {
	return func(yield func(int64) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Source is a log as its reader may read it (verify.HTTPSource over the
// API, verify.StoreSource from a store), which can also say which entries
// registered and revoked a key (the cell's key records, which every party
// reads), so that Build reads only the entries it includes.
type Source interface {
	verify.Source
	KeyEntries(ctx context.Context, keyID string) (registered int64, revoked []int64, err error)
}

// build reads entry 0 and the cited entries, then closes over the keys
// that sign what it has read: each key's registration and revocations,
// and the keys that sign those.
func build(ctx context.Context, src Source, vkey string, note []byte, ck record.Checkpoint, want map[int64]bool) (*Bundle, error) {
	raws := map[int64][]byte{}
	read := func(i int64) (*record.Entry, error) {
		page, _, err := src.Entries(ctx, i-1, 1)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 || page[0].Index != i {
			return nil, fmt.Errorf("evidence: entry %d: %w", i, ErrNotReadable)
		}
		e, err := record.ParseEntry(page[0].LeafData)
		if err != nil {
			return nil, fmt.Errorf("evidence: entry %d: %w", i, err)
		}
		raws[i] = page[0].LeafData
		return e, nil
	}
	todo := []int64{0}
	for i := range want {
		todo = append(todo, i)
	}
	seenKey := map[string]bool{}
	for len(todo) > 0 {
		i := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if raws[i] != nil {
			continue
		}
		if i >= ck.Size {
			return nil, fmt.Errorf("evidence: entry %d: %w", i, ErrNotSigned)
		}
		e, err := read(i)
		if err != nil {
			return nil, err
		}
		if seenKey[e.KeyID] {
			continue
		}
		seenKey[e.KeyID] = true
		reg, revs, err := src.KeyEntries(ctx, e.KeyID)
		if err != nil {
			return nil, err
		}
		for _, j := range append([]int64{reg}, revs...) {
			if j > 0 && j < ck.Size && raws[j] == nil {
				todo = append(todo, j)
			}
		}
	}
	b := &Bundle{Format: Format, Cell: src.Cell(), NoteKey: vkey, Checkpoint: string(note), Cited: slices.Sorted(mapsKeys(want))}
	idx := make([]int64, 0, len(raws))
	for i := range raws {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		p, err := src.InclusionProof(ctx, i, ck.Size)
		if err != nil {
			return nil, fmt.Errorf("evidence: proof of entry %d: %w", i, err)
		}
		it := Item{Index: i, LeafData: raws[i]}
		for _, h := range p {
			it.Proof = append(it.Proof, h[:])
		}
		b.Entries = append(b.Entries, it)
	}
	return b, nil
}

// Checked is what a bundle establishes.
type Checked struct {
	Checkpoint record.Checkpoint
	Cited      []*record.Entry
}

// Check verifies a bundle with nothing but itself: the checkpoint with
// the note key, every entry's inclusion proof against it, and every
// envelope signature with the keys the included entries declare, in log
// order. The judge must still compare b.NoteKey with the cell's.
func Check(b *Bundle) (*Checked, error) {
	if b.Format != Format {
		return nil, fmt.Errorf("evidence: format %q, want %q", b.Format, Format)
	}
	ck, err := record.OpenCheckpoint([]byte(b.Checkpoint), b.NoteKey)
	if err != nil {
		return nil, fmt.Errorf("evidence: the checkpoint does not verify with the note key: %w", err)
	}
	var entries []*record.Entry
	byIndex := map[int64]*record.Entry{}
	last := int64(-1)
	for _, it := range b.Entries {
		if it.Index <= last {
			return nil, fmt.Errorf("evidence: entries out of order at %d", it.Index)
		}
		last = it.Index
		if it.Index >= ck.Size {
			return nil, fmt.Errorf("evidence: entry %d is beyond the checkpoint's %d entries", it.Index, ck.Size)
		}
		proof := make(tlog.RecordProof, len(it.Proof))
		for i, h := range it.Proof {
			if len(h) != len(tlog.Hash{}) {
				return nil, fmt.Errorf("evidence: entry %d: a proof hash of %d bytes", it.Index, len(h))
			}
			copy(proof[i][:], h)
		}
		if err := tlog.CheckRecord(proof, ck.Size, tlog.Hash(ck.Root), it.Index, tlog.Hash(record.LeafHash(it.LeafData))); err != nil {
			return nil, fmt.Errorf("evidence: entry %d is not in the signed log: %w", it.Index, err)
		}
		e, err := record.ParseEntry(it.LeafData)
		if err != nil {
			return nil, fmt.Errorf("evidence: entry %d: %w", it.Index, err)
		}
		if e.Index != it.Index || e.Cell != b.Cell {
			return nil, fmt.Errorf("evidence: leaf %d holds entry %d of cell %q", it.Index, e.Index, e.Cell)
		}
		entries = append(entries, e)
		byIndex[e.Index] = e
	}
	if err := verify.CheckSignatures(b.Cell, b.NoteKey, entries); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	out := &Checked{Checkpoint: ck}
	for _, i := range b.Cited {
		e := byIndex[i]
		if e == nil {
			return nil, fmt.Errorf("evidence: cited entry %d is not in the bundle", i)
		}
		out.Cited = append(out.Cited, e)
	}
	if len(out.Cited) == 0 {
		return nil, errors.New("evidence: the bundle cites no entry")
	}
	return out, nil
}

// AboutMessage lists message n and the later entries src may read that are
// about it (acknowledgements, readback marks, read receipts, translations,
// escalations): what a dispute over one message cites.
func AboutMessage(ctx context.Context, src verify.Source, n int64) ([]int64, error) {
	out := []int64{}
	for after := n - 1; ; {
		page, next, err := src.Entries(ctx, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, raw := range page {
			e, err := record.ParseEntry(raw.LeafData)
			if err != nil {
				return nil, fmt.Errorf("evidence: entry %d: %w", raw.Index, err)
			}
			if e.Index == n {
				if e.Envelope.Kind() != "message.send" {
					return nil, fmt.Errorf("evidence: entry %d is a %s, not a message", n, e.Envelope.Kind())
				}
				out = append(out, n)
				continue
			}
			var p struct {
				Message *int64 `json:"message"`
			}
			if json.Unmarshal(e.Envelope.Payload, &p) == nil && p.Message != nil && *p.Message == n {
				out = append(out, e.Index)
			}
		}
		if next < 0 {
			break
		}
		after = next
	}
	if len(out) == 0 || out[0] != n {
		return nil, fmt.Errorf("evidence: message %d: %w", n, ErrNotReadable)
	}
	return out, nil
}

// ParseIndexes reads a list of log indexes as people write it:
// "12,15,20-22" (a range holds at most 1000).
func ParseIndexes(s string) ([]int64, error) {
	var out []int64
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("%q is not a log index or a range like 20-22", part)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b < a || b-a >= 1000 {
				return nil, fmt.Errorf("%q is not a range like 20-22 (at most 1000 entries)", part)
			}
		}
		// Counted, not "i <= b": at the largest int64, i++ would wrap and the
		// loop never end.
		for k := int64(0); k <= b-a; k++ {
			out = append(out, a+k)
		}
		if len(out) > 1000 {
			return nil, errors.New("at most 1000 entries in one bundle")
		}
	}
	return out, nil
}
