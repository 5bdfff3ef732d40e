package sqlstore

import (
	"context"
	"fmt"
	"slices"

	"github.com/liaison-cell/liaison/internal/store"
)

// overlay is what one Append batch knows of the projection beyond the
// committed rows: every object it has read (so a batch of fifty messages
// on one channel reads the channel, its cell and its members once), and
// every change its entries made that is not yet written. Changes are
// written in one multi-row upsert per batch instead of one statement per
// change; the batch writer is the single bottleneck of the ingest path,
// and round trips through the SQL engine are most of its time.
type overlay struct {
	slots map[okey]*slot
	order []okey // keys with pending changes, in the order first changed
	// lists remembers List answers of the batch (every message reads the
	// cell's parties); a change to a kind forgets its lists, and pending
	// tells which kinds have changes List must see written first.
	lists   map[lkey][]store.Object
	pending map[string]bool
	memo    map[string]memoized // see store.Memo
}

type memoized struct {
	val   any
	kinds []string
}

type lkey struct {
	kind, parent string
	after        int64
	limit        int
}

type okey struct{ kind, id string }

type slot struct {
	// known: found and obj are exactly the object's state as the batch's
	// next entry must see it, pending changes included.
	known bool
	found bool
	obj   store.Object

	// Pending changes, summarised as what must be written: del deletes the
	// committed row first; put (when set) is the last put, to be inserted
	// with seq putSeq (the first put after the last delete) unless the row
	// exists, in which case it keeps its seq.
	pending bool
	del     bool
	put     *store.Change
	putSeq  int64
	putIdx  int64
	// keys, when rekey is set, replace the object's committed keys: the
	// last non-nil Keys of the batch's puts since its last delete.
	rekey bool
	keys  []store.Key
}

func newOverlay() *overlay {
	return &overlay{slots: map[okey]*slot{}, lists: map[lkey][]store.Object{}, pending: map[string]bool{}, memo: map[string]memoized{}}
}

// get answers from the overlay when it can.
func (o *overlay) get(kind, id string) (store.Object, bool, bool) {
	sl := o.slots[okey{kind, id}]
	if sl == nil || !sl.known {
		return store.Object{}, false, false
	}
	return sl.obj, sl.found, true
}

// remember records a committed row (or its absence) read by the batch.
func (o *overlay) remember(kind, id string, obj store.Object, found bool) {
	k := okey{kind, id}
	sl := o.slots[k]
	if sl == nil {
		sl = &slot{}
		o.slots[k] = sl
	}
	sl.known, sl.found, sl.obj = true, found, obj
}

// unknownPending reports whether kind/id has pending changes whose result
// the overlay cannot state exactly (it never read the committed row, so it
// does not know the object's creation index).
func (o *overlay) unknownPending(kind, id string) bool {
	sl := o.slots[okey{kind, id}]
	return sl != nil && sl.pending && !sl.known
}

func (v *txView) apply(idx int64, changes []store.Change) {
	o := v.batch
	for i := range changes {
		c := &changes[i]
		k := okey{c.Kind, c.ID}
		o.pending[c.Kind] = true
		for lk := range o.lists {
			if lk.kind == c.Kind {
				delete(o.lists, lk)
			}
		}
		for mk, m := range o.memo {
			if slices.Contains(m.kinds, c.Kind) {
				delete(o.memo, mk)
			}
		}
		sl := o.slots[k]
		if sl == nil {
			sl = &slot{}
			o.slots[k] = sl
		}
		if !sl.pending {
			sl.pending = true
			o.order = append(o.order, k)
		}
		if c.Doc == nil {
			sl.del, sl.put, sl.rekey, sl.keys = true, nil, false, nil
			sl.known, sl.found, sl.obj = true, false, store.Object{}
			continue
		}
		if sl.put == nil {
			sl.putSeq = idx
		}
		sl.put, sl.putIdx = c, idx
		if c.Keys != nil {
			sl.rekey, sl.keys = true, c.Keys
		}
		if sl.known {
			seq := idx
			if sl.found {
				seq = sl.obj.Seq
			}
			sl.found = true
			sl.obj = store.Object{Kind: c.Kind, ID: c.ID, Parent: c.Parent, Seq: seq, Updated: idx, Doc: c.Doc, Mask: c.Mask, Members: c.Members}
		}
	}
}

// flush writes the pending changes: deletes one by one (rare: a deadline
// met), puts as multi-row upserts. Each key appears once, as one
// statement may not touch a row twice.
func (v *txView) flush(ctx context.Context) error {
	o := v.batch
	if o == nil || len(o.order) == 0 {
		return nil
	}
	s := v.run.s
	var puts, keys [][]any
	for _, k := range o.order {
		sl := o.slots[k]
		if sl.del {
			if _, err := v.run.exec(ctx, s.q(`DELETE FROM objects WHERE cell = $1 AND kind = $2 AND id = $3`), v.cell, k.kind, k.id); err != nil {
				return fmt.Errorf("append: projection %s/%s: %w", k.kind, k.id, err)
			}
		}
		if sl.del || sl.rekey {
			if _, err := v.run.exec(ctx, s.q(`DELETE FROM object_keys WHERE cell = $1 AND kind = $2 AND id = $3`), v.cell, k.kind, k.id); err != nil {
				return fmt.Errorf("append: keys of %s/%s: %w", k.kind, k.id, err)
			}
		}
		if sl.put != nil {
			puts = append(puts, []any{v.cell, k.kind, k.id, sl.put.Parent, sl.putSeq, sl.putIdx, int64(sl.put.Mask), encodeMembers(sl.put.Members), sl.put.Doc})
		}
		if sl.rekey {
			keys = appendKeyRows(keys, v.cell, k.kind, k.id, sl.keys)
		}
		sl.pending, sl.del, sl.put, sl.rekey, sl.keys = false, false, nil, false, nil
	}
	o.order = o.order[:0]
	clear(o.pending)
	err := s.multiInsertSuffix(ctx, v.run, `INSERT INTO objects (cell, kind, id, parent, seq, updated, mask, members, doc) VALUES `,
		` ON CONFLICT (cell, kind, id) DO UPDATE SET parent = excluded.parent, updated = excluded.updated, mask = excluded.mask, members = excluded.members, doc = excluded.doc`, 9, puts)
	if err != nil {
		return fmt.Errorf("append: projection: %w", err)
	}
	if err := s.multiInsert(ctx, v.run, `INSERT INTO object_keys (cell, kind, term, sortkey, id) VALUES `, 5, keys); err != nil {
		return fmt.Errorf("append: keys: %w", err)
	}
	return nil
}

// appendKeyRows adds an object's key rows, each (term, sort) once: a
// statement may not insert a primary key twice.
func appendKeyRows(rows [][]any, cell, kind, id string, keys []store.Key) [][]any {
	seen := make(map[store.Key]bool, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			rows = append(rows, []any{cell, kind, k.Term, k.Sort, id})
		}
	}
	return rows
}

// Memo implements store.Memo; outside an append it only loads.
func (v *txView) Memo(key string, kinds []string, load func() (any, error)) (any, error) {
	if v.batch == nil {
		return load()
	}
	if m, ok := v.batch.memo[key]; ok {
		return m.val, nil
	}
	x, err := load()
	if err != nil {
		return nil, err
	}
	v.batch.memo[key] = memoized{val: x, kinds: kinds}
	return x, nil
}
