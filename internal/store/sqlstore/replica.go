package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/liaison-cell/liaison/internal/store"
)

// Replicate implements store.Replicator: the entries of a party's replica
// keep their indices in the cell's log, so its entries table has gaps
// where the party reads nothing, while its hashes table holds the whole
// tree, from which every proof the cell serves can be served again.
func (s *DB) Replicate(ctx context.Context, cell string, b store.ReplicaBatch) error {
	tx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("replicate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	run := runner{s: s, tx: tx}
	var size int64
	err = run.queryRow(ctx, s.q(`SELECT size FROM cells WHERE id = $1`+s.D.LockCell), cell).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("replicate: cell %q: %w", cell, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("replicate: read size: %w", err)
	}
	if b.Size < size {
		return fmt.Errorf("replicate: the replica holds %d leaves, the batch ends at %d", size, b.Size)
	}
	if b.Reader.Mask == 0 && b.Reader.Member == "" {
		return errors.New("replicate: a replica needs its reader")
	}
	view := &txView{run: run, cell: cell, batch: newOverlay()}
	var rows []row
	last := size - 1
	for _, re := range b.Entries {
		e := re.Entry
		if e.Index <= last || e.Index >= b.Size {
			return fmt.Errorf("replicate: entry %d out of order (after %d, below %d)", e.Index, last, b.Size)
		}
		last = e.Index
		view.next, view.now = e.Index, e.Time
		eff, err := re.Decide(ctx, view)
		if err != nil {
			return fmt.Errorf("replicate: entry %d: %w", e.Index, err)
		}
		if len(eff.Audience) == 0 || eff.Mask == 0 {
			return fmt.Errorf("replicate: entry %d has no audience", e.Index)
		}
		if err := checkMembers(eff); err != nil {
			return fmt.Errorf("replicate: entry %d: %w", e.Index, err)
		}
		if err := eff.Resolve(); err != nil {
			return fmt.Errorf("replicate: entry %d: %w", e.Index, err)
		}
		if !b.Reader.Reads(eff.Mask, eff.Members) {
			return fmt.Errorf("replicate: entry %d is not its replica's reader's to hold", e.Index)
		}
		changes := make([]store.Change, len(eff.Changes))
		for i, c := range eff.Changes {
			if c.Doc != nil && !b.Reader.Reads(c.Mask, c.Members) {
				c = store.Change{Kind: c.Kind, ID: c.ID}
			}
			changes[i] = c
		}
		view.apply(e.Index, changes)
		rows = append(rows, row{idx: e.Index, mask: eff.Mask, members: encodeMembers(eff.Members), data: re.LeafData})
	}
	if err := view.flush(ctx); err != nil {
		return err
	}
	if err := s.insertRows(ctx, run, cell, rows, b.Hashes, nil); err != nil {
		return fmt.Errorf("replicate: %w", err)
	}
	if _, err := run.exec(ctx, s.q(`UPDATE cells SET size = $2 WHERE id = $1`), cell, b.Size); err != nil {
		return fmt.Errorf("replicate: update size: %w", err)
	}
	if b.Checkpoint != nil {
		if _, err := run.exec(ctx, s.q(`INSERT INTO checkpoints (cell, size, note) VALUES ($1, $2, $3)
			ON CONFLICT (cell) DO UPDATE SET size = excluded.size, note = excluded.note WHERE checkpoints.size < excluded.size`), cell, b.Size, b.Checkpoint); err != nil {
			return fmt.Errorf("replicate: checkpoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replicate: commit: %w", err)
	}
	s.remember(cell, b.Hashes)
	return nil
}
