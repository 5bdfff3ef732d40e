package deconflict

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/geo"
	"github.com/liaison-cell/liaison/internal/store"
)

// Desk is the de-escalation desk of one server: its commands, and the
// index of notified volumes that its checks search, one per cell, kept in
// memory and in step with the log (a cell.Follower).
type Desk struct {
	mu    sync.Mutex
	cells map[string]*cellIndex
}

// New returns a desk with empty indexes; registering it makes the ledger
// fill them from the store.
func New() *Desk { return &Desk{cells: map[string]*cellIndex{}} }

// Register adds the desk's commands and its index to a registry.
func (d *Desk) Register(r *cell.Registry) {
	r.Handle(KindZonePropose, zonePropose)
	r.Handle(KindZoneSign, zoneSign)
	r.Handle(KindForceDeclare, forceDeclare)
	r.Handle(KindForceInspect, forceInspect)
	r.Handle(KindActivityNotify, activityNotify(d))
	r.Handle(KindActivityAmend, activityAmend(d))
	r.Handle(KindActivityAnswer, activityAnswer)
	r.Handle(KindActivityEnd, activityEnd)
	r.Handle(KindConflictClear, conflictClear)
	r.Handle(KindIncidentReport, incidentReport(d))
	r.Handle(KindIncidentAck, incidentAck)
	r.Handle(KindVerifyRequest, verificationRequest)
	r.Handle(KindVerifyFinding, verificationFinding)
	r.Handle(KindPostureDeclare, postureDeclare)
	r.Follow(d.follow)
}

// cellIndex holds the volumes of one cell's notifications whose objects
// were created before log index synced.
type cellIndex struct {
	mu     sync.RWMutex
	idx    *geo.Index[volKey]
	synced int64
	// states holds each notification's party, version, state and
	// audience, as its change objects say (ObjChange), so that a check
	// knows whether a candidate is live without reading it.
	states map[int64]noteState

	// versions caches parsed volumes of committed notification versions,
	// which never change: a check reads a candidate's geometry from the
	// store once, not at every check it is a candidate of.
	cacheMu  sync.Mutex
	versions map[versionKey][]volume
}

// noteState is what a check needs of a notification: a change object's
// document, and the audience mask of the notification.
type noteState struct {
	Party   string `json:"party"`
	Version int    `json:"version"`
	State   string `json:"state"`
	mask    uint64
}

// changeDoc is a change object's document: a notification's state after
// the entry that wrote it.
type changeDoc struct {
	N int64 `json:"n"`
	noteState
}

// changeOf is the change object the entry at log index idx writes for
// notification n: its state after that entry.
func changeOf(n Notification, idx int64) store.Change {
	return put(ObjChange, itoa(idx), itoa(n.ID), changeDoc{N: n.ID, noteState: noteState{Party: n.Party, Version: n.Version, State: n.State}})
}

type versionKey struct {
	n int64
	v int
}

// maxCachedVersions bounds the cache; past it, it starts again.
const maxCachedVersions = 1 << 21

func (ci *cellIndex) cached(k versionKey) ([]volume, bool) {
	ci.cacheMu.Lock()
	defer ci.cacheMu.Unlock()
	vs, ok := ci.versions[k]
	return vs, ok
}

func (ci *cellIndex) remember(k versionKey, vs []volume) {
	ci.cacheMu.Lock()
	defer ci.cacheMu.Unlock()
	if ci.versions == nil || len(ci.versions) >= maxCachedVersions {
		ci.versions = map[versionKey][]volume{}
	}
	ci.versions[k] = vs
}

// volKey names a volume: notification n of party, version v, volume i.
// The party rides along so that a check skips the notifier's own volumes
// without reading them.
type volKey struct {
	n     int64
	v, i  int
	party string
}

// volumeDoc is what the index follows of a volume: its bounds, band and
// window, without its geometry, so that the index is rebuilt at start
// without parsing a million shapes. It is terse for the same reason: a
// million of them are decoded at start, and numbers decode faster than
// times and named fields.
type volumeDoc struct {
	N     int64  `json:"n"`
	V     int    `json:"v"`
	I     int    `json:"i"`
	Party string `json:"party"`
	// Box is the bounds, radius included: latitude low and high,
	// longitude low and high.
	Box [4]float64 `json:"box"`
	// Alt is the band [lo, hi) in metres; absent for every altitude.
	Alt *[2]float64 `json:"alt,omitempty"`
	// Start and End are the window [start, end) in Unix nanoseconds.
	Start int64 `json:"start_ns"`
	End   int64 `json:"end_ns"`
}

func newVolumeDoc(n int64, v, i int, party string, x *volume) volumeDoc {
	b := x.fp.bounds()
	vd := volumeDoc{N: n, V: v, I: i, Party: party, Box: [4]float64{b.LatLo, b.LatHi, b.LngLo, b.LngHi},
		Start: x.Start.UnixNano(), End: x.End.UnixNano()}
	if x.AltLo != nil && x.AltHi != nil {
		vd.Alt = &[2]float64{*x.AltLo, *x.AltHi}
	}
	return vd
}

func (vd volumeDoc) key() volKey { return volKey{n: vd.N, v: vd.V, i: vd.I, party: vd.Party} }

func (vd volumeDoc) entry() geo.Entry[volKey] {
	e := geo.Entry[volKey]{ID: vd.key(), Bounds: geo.Rect{LatLo: vd.Box[0], LatHi: vd.Box[1], LngLo: vd.Box[2], LngHi: vd.Box[3]},
		Alt: geo.AllAltitudes, When: geo.Window{Start: time.Unix(0, vd.Start).UTC(), End: time.Unix(0, vd.End).UTC()}}
	if vd.Alt != nil {
		e.Alt = geo.Band{Lo: vd.Alt[0], Hi: vd.Alt[1]}
	}
	return e
}

// meets reports whether two entries' bounds meet and their bands and
// windows overlap: what the index finds.
func meets(a, b geo.Entry[volKey]) bool {
	return a.Bounds.Intersects(b.Bounds) && a.Alt.Overlaps(b.Alt) && a.When.Overlaps(b.When)
}

func (d *Desk) cell(id string) *cellIndex {
	d.mu.Lock()
	defer d.mu.Unlock()
	ci := d.cells[id]
	if ci == nil {
		ci = &cellIndex{idx: geo.NewIndex[volKey](geo.IndexConfig{}), states: map[int64]noteState{}}
		d.cells[id] = ci
	}
	return ci
}

// follow adds to the index the volumes created since it last followed.
func (d *Desk) follow(ctx context.Context, cellID string, v store.View, size int64) error {
	ci := d.cell(cellID)
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if size <= ci.synced {
		return nil
	}
	if err := eachChange(ctx, v, ci.synced, size, func(cd changeDoc) { ci.states[cd.N] = cd.noteState }); err != nil {
		return err
	}
	// The store's rows are read on one goroutine and decoded on this one,
	// which at start, with a million volumes, halves the wait.
	pages := make(chan []store.Object, 4)
	read := make(chan error, 1)
	go func() {
		defer close(pages)
		for after := ci.synced - 1; ; {
			objs, err := v.List(ctx, ObjVolume, "", after, 2000)
			if err != nil {
				read <- fmt.Errorf("deconflict index: %w", err)
				return
			}
			if len(objs) > 0 {
				after = objs[len(objs)-1].Seq
				pages <- objs
			}
			if len(objs) < 2000 {
				read <- nil
				return
			}
		}
	}()
	var failed error
	for objs := range pages {
		for _, o := range objs {
			if failed != nil || o.Seq >= size {
				continue // a later commit's, on another node: the next follow takes it
			}
			var vd volumeDoc
			if err := json.Unmarshal(o.Doc, &vd); err != nil {
				failed = fmt.Errorf("deconflict index: %s: %w", o.ID, err)
				continue
			}
			if err := ci.idx.Insert(vd.entry()); err != nil {
				failed = fmt.Errorf("deconflict index: %s: %w", o.ID, err)
			}
		}
	}
	if err := <-read; err != nil {
		return err
	}
	if failed != nil {
		return failed
	}
	ci.synced = size
	return nil
}

// eachChange calls fn with every change object created at log index from
// and before size (size < 0: to the end), in log order.
func eachChange(ctx context.Context, v store.View, from, size int64, fn func(changeDoc)) error {
	for after := from - 1; ; {
		objs, err := v.List(ctx, ObjChange, "", after, 2000)
		if err != nil {
			return fmt.Errorf("deconflict index: %w", err)
		}
		for _, o := range objs {
			after = o.Seq
			if size >= 0 && o.Seq >= size {
				continue
			}
			var cd changeDoc
			if err := json.Unmarshal(o.Doc, &cd); err != nil {
				return fmt.Errorf("deconflict index: %s: %w", o.ID, err)
			}
			cd.mask = o.Mask
			fn(cd)
		}
		if len(objs) < 2000 {
			return nil
		}
	}
}

// states returns what a check needs of the notifications: the index's,
// overlaid with the changes written since it last followed (this batch's,
// another node's).
func (d *Desk) states(c *cell.Command) (func(n int64) (noteState, bool), error) {
	ci := d.cell(c.Entry.Cell)
	ci.mu.RLock()
	synced := ci.synced
	ci.mu.RUnlock()
	since := map[int64]noteState{}
	if err := eachChange(c.Ctx, c.View, synced, -1, func(cd changeDoc) { since[cd.N] = cd.noteState }); err != nil {
		return nil, err
	}
	return func(n int64) (noteState, bool) {
		if st, ok := since[n]; ok {
			return st, true
		}
		ci.mu.RLock()
		defer ci.mu.RUnlock()
		st, ok := ci.states[n]
		return st, ok
	}, nil
}

// candidates returns the volumes of other notifications whose bounds,
// band and window meet those of vs: from the index, what it holds, and
// from the view, what was created since (in this batch, or by another
// node), so that the answer does not depend on how far the index follows.
func (d *Desk) candidates(c *cell.Command, vs []volume) ([]candidate, error) {
	ci := d.cell(c.Entry.Cell)
	ci.mu.RLock()
	synced := ci.synced
	seen := map[volKey]bool{}
	var out []candidate
	qs := make([]geo.Entry[volKey], len(vs))
	for i := range vs {
		qs[i] = newVolumeDoc(-1, 0, 0, "", &vs[i]).entry()
		err := ci.idx.Search(qs[i].Bounds, qs[i].Alt, qs[i].When, func(k volKey) bool {
			if !seen[k] {
				seen[k] = true
				out = append(out, candidate{volKey: k, committed: true})
			}
			return true
		})
		if err != nil {
			ci.mu.RUnlock()
			return nil, err
		}
	}
	ci.mu.RUnlock()
	for after := synced - 1; ; {
		objs, err := c.View.List(c.Ctx, ObjVolume, "", after, 2000)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			after = o.Seq
			var vd volumeDoc
			if err := json.Unmarshal(o.Doc, &vd); err != nil {
				return nil, err
			}
			k := vd.key()
			if seen[k] {
				continue
			}
			it := vd.entry()
			for _, q := range qs {
				if meets(q, it) {
					seen[k] = true
					out = append(out, candidate{volKey: k})
					break
				}
			}
		}
		if len(objs) < 2000 {
			return out, nil
		}
	}
}

// candidate is a volume a check must look at; committed tells that it
// comes from the index, which holds only what was committed.
type candidate struct {
	volKey
	committed bool
}

// Size reports how many volumes the index of a cell holds and up to which
// log index it has followed.
func (d *Desk) Size(cellID string) (volumes int, synced int64) {
	ci := d.cell(cellID)
	ci.mu.RLock()
	defer ci.mu.RUnlock()
	return ci.idx.Len(), ci.synced
}
