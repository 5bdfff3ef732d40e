package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Append implements store.Store: one transaction for the whole batch.
func (s *DB) Append(ctx context.Context, cell string, batch []*store.Pending) ([]store.Result, error) {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("append: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	results, hashes, err := s.appendTx(ctx, tx, cell, batch)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("append: commit: %w", err)
	}
	s.remember(cell, hashes)
	s.prepareWanted(ctx)
	return results, nil
}

type row struct {
	idx     int64
	mask    uint64
	members string
	data    []byte
}

func (s *DB) appendTx(ctx context.Context, tx *sql.Tx, cell string, batch []*store.Pending) ([]store.Result, map[int64]record.Hash, error) {
	run := runner{s: s, tx: tx}
	var size int64
	err := run.queryRow(ctx, s.q(`SELECT size FROM cells WHERE id = $1`+s.D.LockCell), cell).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("append: cell %q: %w", cell, store.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("append: read size: %w", err)
	}
	known, err := s.lookupIdem(ctx, run, cell, batch)
	if err != nil {
		return nil, nil, err
	}
	results := make([]store.Result, len(batch))
	newHashes := map[int64]record.Hash{}
	batchKeys := map[string]int{} // idem key → result index, for repeats inside the batch
	var rows []row
	var idemRows [][2]any
	view := &txView{run: run, cell: cell, batch: newOverlay()}
	hr := record.HashReader(hashReaderFunc(func(idx []int64) ([]record.Hash, error) {
		return s.readHashes(ctx, run, cell, idx, newHashes)
	}))
	for i, p := range batch {
		if p.IdemKey != "" {
			if j, ok := batchKeys[p.IdemKey]; ok {
				results[i] = results[j]
				results[i].Duplicate = true
				continue
			}
			if idx, ok := known[p.IdemKey]; ok {
				data, err := readEntry(ctx, run, cell, idx)
				if err != nil {
					return nil, nil, err
				}
				e, err := record.ParseEntry(data)
				if err != nil {
					return nil, nil, fmt.Errorf("append: stored entry %d: %w", idx, err)
				}
				results[i] = store.Result{Entry: e, LeafData: data, Duplicate: true}
				continue
			}
		}
		if p.Decide == nil {
			results[i].Err = errors.New("append: no decision for entry")
			continue
		}
		now := s.Now().UTC()
		view.next, view.now = size, now
		eff, err := p.Decide(ctx, view)
		if err != nil {
			results[i].Err = err
			continue
		}
		if len(eff.Audience) == 0 || eff.Mask == 0 {
			results[i].Err = errors.New("append: entry has no audience")
			continue
		}
		if err := checkMembers(eff); err != nil {
			results[i].Err = fmt.Errorf("append: %w", err)
			continue
		}
		if err := eff.Resolve(); err != nil {
			results[i].Err = fmt.Errorf("append: %w", err)
			continue
		}
		e := *p.Entry
		e.Cell = cell
		e.Index = size
		e.Time = now
		e.Audience = eff.Audience
		if e.Nonce == nil {
			e.Nonce = record.NewNonce()
		}
		data := e.Bytes()
		hs, err := record.StoredHashes(size, data, hr)
		if err != nil {
			return nil, nil, fmt.Errorf("append: tree hashes for %d: %w", size, err)
		}
		base := storedHashIndex0(size)
		for k, h := range hs {
			newHashes[base+int64(k)] = h
		}
		view.apply(size, eff.Changes)
		rows = append(rows, row{idx: size, mask: eff.Mask, members: encodeMembers(eff.Members), data: data})
		if p.IdemKey != "" {
			batchKeys[p.IdemKey] = i
			idemRows = append(idemRows, [2]any{p.IdemKey, size})
		}
		results[i] = store.Result{Entry: &e, LeafData: data}
		size++
	}
	if len(rows) == 0 {
		return results, nil, nil
	}
	if err := view.flush(ctx); err != nil {
		return nil, nil, err
	}
	if err := s.insertRows(ctx, run, cell, rows, newHashes, idemRows); err != nil {
		return nil, nil, err
	}
	if _, err := run.exec(ctx, s.q(`UPDATE cells SET size = $2 WHERE id = $1`), cell, size); err != nil {
		return nil, nil, fmt.Errorf("append: update size: %w", err)
	}
	return results, newHashes, nil
}

// storedHashIndex0 is the storage index of leaf n's own hash; the hashes
// StoredHashes returns for leaf n occupy consecutive indexes from there.
func storedHashIndex0(n int64) int64 { return record.StoredHashIndex(0, n) }

type hashReaderFunc func([]int64) ([]record.Hash, error)

func (f hashReaderFunc) ReadHashes(idx []int64) ([]record.Hash, error) { return f(idx) }

func readEntry(ctx context.Context, run runner, cell string, idx int64) ([]byte, error) {
	var data []byte
	err := run.queryRow(ctx, run.s.q(`SELECT data FROM entries WHERE cell = $1 AND idx = $2`), cell, idx).Scan(&data)
	if err != nil {
		return nil, fmt.Errorf("append: read entry %d: %w", idx, err)
	}
	return data, nil
}

func (s *DB) lookupIdem(ctx context.Context, run runner, cell string, batch []*store.Pending) (map[string]int64, error) {
	var keys []any
	seen := map[string]bool{}
	for _, p := range batch {
		if p.IdemKey != "" && !seen[p.IdemKey] {
			seen[p.IdemKey] = true
			keys = append(keys, p.IdemKey)
		}
	}
	known := map[string]int64{}
	args := make([]any, 0, s.maxRows()+1)
	for len(keys) > 0 {
		n := min(len(keys), s.maxRows())
		chunk := keys[:n]
		keys = keys[n:]
		// Padded with repeats of the last key to a power of two, so that
		// few statement texts serve every batch.
		args = append(append(args[:0], cell), chunk...)
		for len(args)-1 < padIn(n) {
			args = append(args, chunk[n-1])
		}
		rows, err := run.query(ctx, s.inSQL(`SELECT k, idx FROM idem WHERE cell = $1 AND k IN (`, 2, len(args)-1), args...)
		if err != nil {
			return nil, fmt.Errorf("append: idempotency lookup: %w", err)
		}
		for rows.Next() {
			var k string
			var idx int64
			if err := rows.Scan(&k, &idx); err != nil {
				rows.Close()
				return nil, err
			}
			known[k] = idx
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return known, nil
}

// insertRows writes the batch's entries, hashes and idempotency keys with
// multi-row INSERTs.
func (s *DB) insertRows(ctx context.Context, run runner, cell string, rows []row, hashes map[int64]record.Hash, idem [][2]any) error {
	args := make([][]any, 0, len(hashes))
	for _, r := range rows {
		args = append(args, []any{cell, r.idx, int64(r.mask), r.members, r.data})
	}
	if err := s.multiInsert(ctx, run, `INSERT INTO entries (cell, idx, mask, members, data) VALUES `, 5, args); err != nil {
		return fmt.Errorf("append: entries: %w", err)
	}
	// In index order: rows stored in the order of their keys keep the
	// hashes of neighbouring leaves, which one proof reads together, on the
	// same pages, and append to the right edge of the B-tree.
	idx := make([]int64, 0, len(hashes))
	for k := range hashes {
		idx = append(idx, k)
	}
	slices.Sort(idx)
	args = args[:0]
	for _, k := range idx {
		h := hashes[k]
		args = append(args, []any{cell, k, h[:]})
	}
	if err := s.multiInsert(ctx, run, `INSERT INTO hashes (cell, idx, hash) VALUES `, 3, args); err != nil {
		return fmt.Errorf("append: hashes: %w", err)
	}
	args = args[:0]
	for _, r := range idem {
		args = append(args, []any{cell, r[0], r[1]})
	}
	if err := s.multiInsert(ctx, run, `INSERT INTO idem (cell, k, idx) VALUES `, 3, args); err != nil {
		return fmt.Errorf("append: idempotency keys: %w", err)
	}
	return nil
}

// multiInsert inserts rows of width values each, in chunks (see stmts.go).
func (s *DB) multiInsert(ctx context.Context, run runner, prefix string, width int, rows [][]any) error {
	return s.multiInsertSuffix(ctx, run, prefix, "", width, rows)
}

// multiInsertSuffix is multiInsert with a clause after the VALUES list (an
// ON CONFLICT clause).
func (s *DB) multiInsertSuffix(ctx context.Context, run runner, prefix, suffix string, width int, rows [][]any) error {
	flat := make([]any, 0, s.chunkRows(len(rows))*width)
	for len(rows) > 0 {
		n := s.chunkRows(len(rows))
		flat = flat[:0]
		for _, r := range rows[:n] {
			flat = append(flat, r...)
		}
		rows = rows[n:]
		if _, err := run.exec(ctx, s.valuesSQL(prefix, suffix, width, n), flat...); err != nil {
			return err
		}
	}
	return nil
}

// checkMembers refuses an effect whose named readers are not in the
// audience its entry records: what the store filters by must be what a
// verifier reads in the entry.
func checkMembers(eff store.Effect) error {
	for _, m := range eff.Members {
		if !slices.ContainsFunc(eff.Audience, func(a string) bool { return record.NamedMember(a) == m }) {
			return fmt.Errorf("member %s is a reader of the entry but not in its audience", m)
		}
	}
	return nil
}
