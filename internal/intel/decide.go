package intel

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/stix"
	"github.com/liaison-cell/liaison/internal/store"
)

var (
	invalid   = cell.Invalidf
	forbidden = cell.Forbiddenf
	conflict  = cell.Conflictf
	checkText = cell.CheckText
)

// Register adds the desk's commands to a registry. A submission and a
// release carry their bundles in the log, where the gate decides on them, a
// replay finds them, and each reader holds what it was given: they are the
// bulk commands (record.MaxBulkEnvelopeSize).
func Register(r *cell.Registry) {
	r.HandleBulk(KindSubmit, submit)
	r.Handle(KindStage, stage)
	r.Handle(KindPropose, propose)
	r.Handle(KindApprove, approve)
	r.HandleBulk(KindRelease, release)
	r.HandleReplay(KindRelease, replayRelease)
	r.HandleReplay(KindApprove, replayApprove)
}

var put = store.Put

func narrowed(c store.Change, mask uint64, members []string) store.Change {
	c.Mask, c.Members = mask, members
	return c
}

func get[T any](c *cell.Command, kind, id string) (T, store.Object, error) {
	return store.GetDoc[T](c.Ctx, c.View, kind, id)
}

func position(c *cell.Command) (int64, time.Time, error) {
	i, t, ok := store.NextPosition(c.View)
	if !ok {
		return 0, time.Time{}, errors.New("intel: decided outside an append")
	}
	return i, t, nil
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func mediator(parties []cell.Party) (cell.Party, error) {
	for _, p := range parties {
		if p.Kind == cell.Mediator {
			return p, nil
		}
	}
	return cell.Party{}, errors.New("intel: the cell has no mediator")
}

// stored is the projection of one STIX object version in collection coll,
// written by entry idx at now, and the current version it makes, given the
// one before (prev, nil when none). newer says the version displaces prev
// as the current one: its current object is then written anew, so that its
// position in the collection (its seq) is the entry that added it, which
// is the order TAXII serves by date added.
func stored(coll string, o *stix.Object, now time.Time, idx int64, prev *Stored) (s, cur Stored, newer bool) {
	raw, _ := o.MarshalJSON()
	version := o.Modified().String()
	if version == "" {
		version = o.Created().String()
	}
	s = Stored{Coll: coll, ID: o.ID(), Type: o.Type(), Version: version, SpecVersion: o.SpecVersion(),
		Added: now, Entry: idx, Object: raw}
	if s.SpecVersion == "" {
		s.SpecVersion = "2.1"
	}
	if prev == nil {
		cur = s
		cur.Versions = []string{version}
		return s, cur, true
	}
	versions := append(slices.Clone(prev.Versions), version)
	slices.SortFunc(versions, compareVersions)
	versions = slices.CompactFunc(versions, func(a, b string) bool { return compareVersions(a, b) == 0 })
	if compareVersions(version, prev.Version) > 0 {
		cur = s
		cur.Versions = versions
		return s, cur, true
	}
	// The same version again, or an older one arriving late: the current
	// one stays, and stays where it is.
	cur = *prev
	cur.Versions = versions
	return s, cur, false
}

// compareVersions orders STIX timestamps (as stix.CompareVersions does for
// objects): by the instant, "" first.
func compareVersions(a, b string) int {
	ta, ea := stix.ParseTimestamp(a)
	tb, eb := stix.ParseTimestamp(b)
	switch {
	case ea != nil && eb != nil:
		return 0
	case ea != nil:
		return -1
	case eb != nil:
		return 1
	}
	return ta.Compare(tb)
}

// ObjectID and CurrentID are the projection ids of a version and of the
// current version of a STIX object in a collection.
func ObjectID(coll, id, version string) string { return coll + "/" + id + "/" + version }

// CurrentID is the projection id of the current version of id in coll.
func CurrentID(coll, id string) string { return coll + "/" + id }

// putObjects writes the objects of b into coll: each version, and the
// current one. mask and members narrow them (0: the entry's audience).
func putObjects(c *cell.Command, coll string, b *stix.Bundle, now time.Time, idx int64, mask uint64, members []string) ([]store.Change, error) {
	objs := b.Objects()
	out := make([]store.Change, 0, 2*len(objs))
	type current struct {
		s        Stored
		existed  bool   // an earlier entry wrote it
		replaced bool   // this bundle displaces that one
		doc      []byte // s as JSON, when made from this bundle's version
	}
	cur := map[string]*current{}
	var order []string
	known, complete, err := currentObjects(c, coll, len(objs))
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		k := cur[o.ID()]
		if k == nil {
			k = &current{}
			id := CurrentID(coll, o.ID())
			if complete {
				if doc, ok := known[id]; ok {
					if err := json.Unmarshal(doc, &k.s); err != nil {
						return nil, fmt.Errorf("projection %s/%s: %w", ObjCurrent, id, err)
					}
					k.existed = true
				}
			} else {
				p, _, err := get[Stored](c, ObjCurrent, id)
				switch {
				case err == nil:
					k.s, k.existed = p, true
				case !errors.Is(err, store.ErrNotFound):
					return nil, err
				}
			}
			cur[o.ID()] = k
			order = append(order, o.ID())
		}
		var prev *Stored
		if k.existed || k.s.ID != "" {
			prev = &k.s
		}
		s, cu, newer := stored(coll, o, now, idx, prev)
		k.s = cu
		k.replaced = k.replaced || (newer && k.existed)
		v := put(ObjObject, ObjectID(coll, s.ID, s.Version), coll, s)
		k.doc = nil
		if newer {
			k.doc = withVersions(v.Doc, cu.Versions)
		}
		out = append(out, narrowed(v, mask, members))
	}
	for _, id := range order {
		k := cur[id]
		if k.replaced {
			out = append(out, store.Change{Kind: ObjCurrent, ID: CurrentID(coll, id)})
		}
		c := store.Change{Kind: ObjCurrent, ID: CurrentID(coll, id), Parent: coll, Doc: k.doc}
		if c.Doc == nil {
			c = put(ObjCurrent, CurrentID(coll, id), coll, k.s)
		}
		out = append(out, narrowed(c, mask, members))
	}
	return out, nil
}

// withVersions is the JSON of a Stored whose own is doc (a version, whose
// Versions is empty and so omitted, the last field) with versions added:
// what json.Marshal makes of it, without encoding the object a second time,
// which was a fifth of a large submission's decision.
func withVersions(doc []byte, versions []string) []byte {
	vs, err := json.Marshal(versions)
	if err != nil {
		panic(err)
	}
	out := make([]byte, 0, len(doc)+len(`,"versions":`)+len(vs))
	out = append(out, doc[:len(doc)-1]...)
	out = append(out, `,"versions":`...)
	out = append(out, vs...)
	return append(out, '}')
}

// currentObjects reads the current objects of coll in one query when it
// holds at most twice as many as a bundle of n objects brings: complete
// then says that known (by projection id) is the whole collection, so an
// object it lacks was never in it. Ten thousand lookups of one object each
// cost more than that read; a larger collection is left to them, reading
// no more than 2n+1 rows to find out.
func currentObjects(c *cell.Command, coll string, n int) (known map[string][]byte, complete bool, err error) {
	limit := 2*n + 1
	os, err := c.View.List(c.Ctx, ObjCurrent, coll, -1, limit)
	if err != nil {
		return nil, false, err
	}
	if len(os) >= limit {
		return nil, false, nil
	}
	known = make(map[string][]byte, len(os))
	for _, o := range os {
		known[o.ID] = o.Doc
	}
	return known, true, nil
}

func typesOf(b *stix.Bundle) map[string]int {
	m := map[string]int{}
	for _, o := range b.Objects() {
		m[o.Type()]++
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
