package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// HTTPSource reads a cell's log through the API, as a party sees it: every
// leaf hash and proof, and the entries its party may read.
type HTTPSource struct {
	c    *client.Client
	cell string
}

// NewHTTPSource returns the log of cellID as c (signed in to that cell)
// reads it.
func NewHTTPSource(c *client.Client, cellID string) *HTTPSource {
	return &HTTPSource{c: c.WithCell(cellID), cell: cellID}
}

// Name implements Source: the server URL and the cell.
func (s *HTTPSource) Name() string { return s.c.Server() + "#" + s.cell }

// Cell implements Source.
func (s *HTTPSource) Cell() string { return s.cell }

// VerifierKey implements Source.
func (s *HTTPSource) VerifierKey(ctx context.Context) (string, error) { return s.c.VerifierKey(ctx) }

// Checkpoint implements Source.
func (s *HTTPSource) Checkpoint(ctx context.Context) ([]byte, error) { return s.c.Checkpoint(ctx) }

// Leaves implements Source.
func (s *HTTPSource) Leaves(ctx context.Context, start, end int64) ([]record.Hash, error) {
	return s.c.Leaves(ctx, start, end)
}

// Entries implements Source with GET /entries.
func (s *HTTPSource) Entries(ctx context.Context, after int64, limit int) ([]RawEntry, int64, error) {
	p, err := s.c.Entries(ctx, after, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]RawEntry, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = RawEntry{Index: e.Index, LeafData: e.LeafData}
	}
	next := int64(-1)
	if p.Next != "" {
		if next, err = strconv.ParseInt(p.Next, 10, 64); err != nil {
			return nil, 0, fmt.Errorf("entries: next %q is not an index", p.Next)
		}
	}
	return out, next, nil
}

// KeyEntries tells which entries registered and revoked key id (GET
// /keys/{id}); the server key, which entry 0 declares, has no record.
func (s *HTTPSource) KeyEntries(ctx context.Context, id string) (int64, []int64, error) {
	k, err := s.c.Key(ctx, id)
	if client.IsStatus(err, 404) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	reg, revoked := keyEntries(k)
	return reg, revoked, nil
}

// InclusionProof implements Source.
func (s *HTTPSource) InclusionProof(ctx context.Context, index, size int64) ([]record.Hash, error) {
	return s.c.InclusionProof(ctx, index, size)
}

// ConsistencyProof implements Source.
func (s *HTTPSource) ConsistencyProof(ctx context.Context, from, to int64) ([]record.Hash, error) {
	return s.c.ConsistencyProof(ctx, from, to)
}

// StoreSource reads a cell's log straight from a store, as its operator
// can: every entry whatever its audience, the stored tree, and the latest
// checkpoint. It trusts nothing it reads: the verifier key comes from entry
// 0 (and is then held to the one trusted on first use), and the proofs it
// offers are computed from the stored hashes, which Verify also recomputes.
type StoreSource struct {
	st   store.Store
	cell string
	name string
}

// NewStoreSource returns the log of cellID in st, or of its only cell when
// cellID is "". name identifies the store in saved state (a data directory
// or a database URL without its password).
func NewStoreSource(ctx context.Context, st store.Store, cellID, name string) (*StoreSource, error) {
	if cellID == "" {
		cells, err := st.Cells(ctx)
		if err != nil {
			return nil, err
		}
		switch len(cells) {
		case 0:
			return nil, errors.New("the store holds no cell")
		case 1:
			cellID = cells[0]
		default:
			return nil, fmt.Errorf("the store holds %d cells (%v): name one", len(cells), cells)
		}
	}
	if _, err := st.Size(ctx, cellID); err != nil {
		return nil, err
	}
	return &StoreSource{st: st, cell: cellID, name: name + "#" + cellID}, nil
}

// Name implements Source.
func (s *StoreSource) Name() string { return s.name }

// Cell implements Source.
func (s *StoreSource) Cell() string { return s.cell }

// Size implements Complete.
func (s *StoreSource) Size(ctx context.Context) (int64, error) { return s.st.Size(ctx, s.cell) }

// VerifierKey implements Source: the note key that entry 0, cell.create,
// declares.
func (s *StoreSource) VerifierKey(ctx context.Context) (string, error) {
	rows, err := s.st.Entries(ctx, s.cell, 0, 1)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", entryErr(0, "missing: no cell.create to take the verifier key from")
	}
	e, err := record.ParseEntry(rows[0].LeafData)
	if err != nil {
		return "", &Error{Index: 0, End: 1, Msg: "the entry does not parse", Err: err}
	}
	if e.Envelope.Kind() != cell.KindCellCreate {
		return "", entryErr(0, "the log starts with %s, not cell.create", e.Envelope.Kind())
	}
	var p struct {
		NoteKey string `json:"note_key"`
	}
	if err := json.Unmarshal(e.Envelope.Payload, &p); err != nil || p.NoteKey == "" {
		return "", entryErr(0, "cell.create declares no note key")
	}
	return p.NoteKey, nil
}

// Checkpoint implements Source.
func (s *StoreSource) Checkpoint(ctx context.Context) ([]byte, error) {
	c, err := s.st.Checkpoint(ctx, s.cell)
	if err != nil {
		return nil, err
	}
	return c.Note, nil
}

// Leaves implements Source with the stored leaf hashes.
func (s *StoreSource) Leaves(ctx context.Context, start, end int64) ([]record.Hash, error) {
	out := make([]record.Hash, 0, end-start)
	const batch = 500
	for lo := start; lo < end; lo += batch {
		hi := min(end, lo+batch)
		idx := make([]int64, 0, hi-lo)
		for i := lo; i < hi; i++ {
			idx = append(idx, record.StoredHashIndex(0, i))
		}
		hs, err := s.st.ReadHashes(ctx, s.cell, idx)
		if errors.Is(err, store.ErrNotFound) {
			for i := lo; i < hi; i++ { // find which
				if _, err := s.st.ReadHashes(ctx, s.cell, []int64{record.StoredHashIndex(0, i)}); err != nil {
					return nil, &Error{Index: i, End: i + 1, Msg: "its leaf hash is missing from the store", Err: err}
				}
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, hs...)
	}
	return out, nil
}

// Entries implements Source: every entry, whatever its audience.
func (s *StoreSource) Entries(ctx context.Context, after int64, limit int) ([]RawEntry, int64, error) {
	n, err := s.st.Size(ctx, s.cell)
	if err != nil {
		return nil, 0, err
	}
	end := min(n, after+1+int64(limit))
	rows, err := s.st.Entries(ctx, s.cell, after+1, end)
	if err != nil {
		return nil, 0, err
	}
	out := make([]RawEntry, len(rows))
	for i, r := range rows {
		out[i] = RawEntry{Index: r.Index, LeafData: r.LeafData}
	}
	next := int64(-1)
	if end < n {
		next = end - 1
	}
	return out, next, nil
}

func (s *StoreSource) hashReader(ctx context.Context) record.HashReader {
	return hashReaderFunc(func(idx []int64) ([]record.Hash, error) { return s.st.ReadHashes(ctx, s.cell, idx) })
}

type hashReaderFunc func([]int64) ([]record.Hash, error)

func (f hashReaderFunc) ReadHashes(idx []int64) ([]record.Hash, error) { return f(idx) }

// KeyEntries tells which entries registered and revoked key id, from the
// cell's key records; the server key, which entry 0 declares, has none.
func (s *StoreSource) KeyEntries(ctx context.Context, id string) (int64, []int64, error) {
	k, err := cell.GetKey(ctx, s.st.View(s.cell), id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	reg, revoked := keyEntries(k)
	return reg, revoked, nil
}

// InclusionProof implements Source from the stored hashes.
func (s *StoreSource) InclusionProof(ctx context.Context, index, size int64) ([]record.Hash, error) {
	return record.InclusionProof(index, size, s.hashReader(ctx))
}

// ConsistencyProof implements Source from the stored hashes.
func (s *StoreSource) ConsistencyProof(ctx context.Context, from, to int64) ([]record.Hash, error) {
	return record.ConsistencyProof(from, to, s.hashReader(ctx))
}

// StoredHashes implements StoredTree.
func (s *StoreSource) StoredHashes(ctx context.Context, indexes []int64) ([]record.Hash, error) {
	return s.st.ReadHashes(ctx, s.cell, indexes)
}

// keyEntries is what a key record says of the entries that registered and
// revoked the key.
func keyEntries(k cell.Key) (registered int64, revoked []int64) {
	if k.Revoked {
		return k.Registered, []int64{k.RevokedAt}
	}
	return k.Registered, nil
}

// Cosigned implements CosignedSource with GET /log/cosigned.
func (s *HTTPSource) Cosigned(ctx context.Context) ([][]byte, error) { return s.c.Cosigned(ctx) }
