package mirror

import (
	"context"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
)

// raise submits an alarm to the cell's log, best effort: a cell that
// forked may refuse it or be down, and the proof is kept here anyway. The
// cell takes it only with a proof that checks from the notes alone
// (record.CheckConflict): for two sizes, the larger's history at the
// smaller size, from this mirror's own tree when it holds that history,
// or from the cell's own consistency proof when it does not.
func (m *Mirror) raise(ctx context.Context, kind, detail string, held, seen []byte) {
	if m.cfg.Key == nil || held == nil || seen == nil || !slices.Contains(cell.AlarmKinds, kind) {
		return
	}
	log := m.cfg.Logger.With("alarm", kind)
	h, err1 := record.OpenCheckpoint(held, m.vkey)
	s, err2 := record.OpenCheckpoint(seen, m.vkey)
	if err1 != nil || err2 != nil {
		return
	}
	small, large := h, s
	if large.Size < small.Size {
		small, large = large, small
	}
	fields := map[string]any{"alarm": kind, "detail": detail, "held": string(held), "seen": string(seen)}
	if small.Size != large.Size {
		root, proof, ok := m.historyAt(ctx, small.Size, large)
		if !ok {
			log.Warn("the alarm is kept here only: this mirror cannot prove from the two checkpoints alone that they conflict")
			return
		}
		fields["root"], fields["proof"] = cell.EncodeRoot(root), record.EncodeHashes(proof)
	}
	env, err := client.Sign(m.cfg.Key, m.cfg.Cell, cell.KindWitnessAlarm, fields)
	if err != nil {
		log.Warn("signing the alarm", "err", err)
		return
	}
	if _, err := m.cfg.Client.Submit(ctx, "/log/alarms", env); err != nil {
		log.Warn("the cell did not take the alarm into its log; the proof is kept here", "err", err)
		return
	}
	log.Info("the alarm is in the cell's log")
}

// historyAt returns the root that large's history had at size n, and the
// consistency proof from it to large.
func (m *Mirror) historyAt(ctx context.Context, n int64, large record.Checkpoint) (record.Hash, []record.Hash, bool) {
	r := &hashReader{ctx: ctx, d: m.db}
	if large.Size <= m.size {
		if mine, err := tlog.TreeHash(large.Size, r); err == nil && mine == large.Root {
			proof, err1 := tlog.ProveTree(large.Size, n, r)
			root, err2 := tlog.TreeHash(n, r)
			return root, proof, err1 == nil && err2 == nil
		}
	}
	proof, err := m.cfg.Client.ConsistencyProof(ctx, n, large.Size)
	if err != nil {
		return record.Hash{}, nil, false
	}
	root, ok := record.OldRoot(proof, n, large.Size, large.Root)
	return root, proof, ok
}
