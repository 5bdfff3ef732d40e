package rebuild

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/liaison-cell/liaison/internal/store"
)

// memView holds projections in memory while the log is replayed. It
// implements store.View and store.Position the way the SQL stores do inside
// Append, and applies store.Changes as their Append does: a put
// creates an object with Seq and Updated at the entry's index, or updates
// Parent, Doc and Updated of an existing one (keeping Seq); a delete removes
// it, so that a later put creates it anew. Changes come resolved
// (store.Effect.Resolve), each with its audience mask.
type memView struct {
	kinds map[string]*kindSet
	next  int64
	now   time.Time
}

// kindSet holds the objects of one kind, by id and in creation order.
type kindSet struct {
	byID  map[string]*slot
	order []*slot // by (Seq, ID), with removed slots until compacted
	dead  int
}

type slot struct {
	obj  store.Object
	dead bool
}

func newMemView() *memView { return &memView{kinds: map[string]*kindSet{}} }

// Next implements store.Position.
func (v *memView) Next() (int64, time.Time) { return v.next, v.now }

// Get implements store.View.
func (v *memView) Get(ctx context.Context, kind, id string) (store.Object, error) {
	if ks := v.kinds[kind]; ks != nil {
		if s := ks.byID[id]; s != nil {
			return s.obj, nil
		}
	}
	return store.Object{Kind: kind, ID: id}, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
}

// List implements store.View: objects of kind (and parent, unless "")
// created after log index after, ordered by creation index and id.
func (v *memView) List(ctx context.Context, kind, parent string, after int64, limit int) ([]store.Object, error) {
	ks := v.kinds[kind]
	if ks == nil || limit <= 0 {
		return nil, nil
	}
	start := sort.Search(len(ks.order), func(i int) bool { return ks.order[i].obj.Seq > after })
	var out []store.Object
	for _, s := range ks.order[start:] {
		if s.dead || (parent != "" && s.obj.Parent != parent) {
			continue
		}
		out = append(out, s.obj)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// apply applies the changes of the entry at index idx.
func (v *memView) apply(idx int64, changes []store.Change) {
	for _, c := range changes {
		ks := v.kinds[c.Kind]
		if ks == nil {
			ks = &kindSet{byID: map[string]*slot{}}
			v.kinds[c.Kind] = ks
		}
		s := ks.byID[c.ID]
		switch {
		case c.Doc == nil:
			if s != nil {
				s.dead = true
				delete(ks.byID, c.ID)
				ks.dead++
				if ks.dead > 64 && ks.dead > len(ks.order)/2 {
					ks.order = slices.DeleteFunc(ks.order, func(s *slot) bool { return s.dead })
					ks.dead = 0
				}
			}
		case s != nil:
			s.obj.Parent, s.obj.Updated, s.obj.Doc, s.obj.Mask, s.obj.Members = c.Parent, idx, bytes.Clone(c.Doc), c.Mask, slices.Clone(c.Members)
			if c.Keys != nil {
				s.obj.Keys = storedKeys(c.Keys)
			}
		default:
			s = &slot{obj: store.Object{Kind: c.Kind, ID: c.ID, Parent: c.Parent, Seq: idx, Updated: idx, Doc: bytes.Clone(c.Doc), Mask: c.Mask,
				Members: slices.Clone(c.Members), Keys: storedKeys(c.Keys)}}
			ks.byID[c.ID] = s
			// idx is the highest Seq so far: the new slot goes at the end,
			// before any of the same entry whose id sorts after it.
			at := len(ks.order)
			for at > 0 && ks.order[at-1].obj.Seq == idx && ks.order[at-1].obj.ID > c.ID {
				at--
			}
			ks.order = slices.Insert(ks.order, at, s)
		}
	}
}

// storedKeys is keys as the stores keep and read them: each once, ordered
// by term and sort, none as nil.
func storedKeys(keys []store.Key) []store.Key {
	if len(keys) == 0 {
		return nil
	}
	keys = slices.Clone(keys)
	slices.SortFunc(keys, func(a, b store.Key) int { return cmp.Or(cmp.Compare(a.Term, b.Term), cmp.Compare(a.Sort, b.Sort)) })
	return slices.Compact(keys)
}

// objects returns every object, ordered by kind and id.
func (v *memView) objects() []store.Object {
	var out []store.Object
	for _, ks := range v.kinds {
		for _, s := range ks.byID {
			out = append(out, s.obj)
		}
	}
	sortObjects(out)
	return out
}

func sortObjects(objs []store.Object) {
	slices.SortFunc(objs, func(a, b store.Object) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
}
