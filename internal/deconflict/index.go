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
}

// volKey names a volume: notification n, version v, volume i.
type volKey struct {
	n    int64
	v, i int
}

// volumeDoc is what the index follows of a volume: its bounds, band and
// window, without its geometry, so that the index is rebuilt at start
// without parsing a million shapes.
type volumeDoc struct {
	N      int64     `json:"n"`
	V      int       `json:"v"`
	I      int       `json:"i"`
	Bounds geo.Rect  `json:"bounds"`
	AltLo  *float64  `json:"alt_lo_m,omitempty"`
	AltHi  *float64  `json:"alt_hi_m,omitempty"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
}

func newVolumeDoc(n int64, v, i int, x *volume) volumeDoc {
	return volumeDoc{N: n, V: v, I: i, Bounds: x.fp.bounds(), AltLo: x.AltLo, AltHi: x.AltHi, Start: x.Start, End: x.End}
}

func (vd volumeDoc) entry() geo.Entry[volKey] {
	e := geo.Entry[volKey]{ID: volKey{vd.N, vd.V, vd.I}, Bounds: vd.Bounds, Alt: geo.AllAltitudes, When: geo.Window{Start: vd.Start, End: vd.End}}
	if vd.AltLo != nil && vd.AltHi != nil {
		e.Alt = geo.Band{Lo: *vd.AltLo, Hi: *vd.AltHi}
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
		ci = &cellIndex{idx: geo.NewIndex[volKey](geo.IndexConfig{})}
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
	for after := ci.synced - 1; ; {
		objs, err := v.List(ctx, ObjVolume, "", after, 2000)
		if err != nil {
			return fmt.Errorf("deconflict index: %w", err)
		}
		for _, o := range objs {
			after = o.Seq
			if o.Seq >= size {
				continue // a later commit's, on another node: the next follow takes it
			}
			var vd volumeDoc
			if err := json.Unmarshal(o.Doc, &vd); err != nil {
				return fmt.Errorf("deconflict index: %s: %w", o.ID, err)
			}
			if err := ci.idx.Insert(vd.entry()); err != nil {
				return fmt.Errorf("deconflict index: %s: %w", o.ID, err)
			}
		}
		if len(objs) < 2000 {
			break
		}
	}
	ci.synced = size
	return nil
}

// candidates returns the volumes of other notifications whose bounds,
// band and window meet those of vs: from the index, what it holds, and
// from the view, what was created since (in this batch, or by another
// node), so that the answer does not depend on how far the index follows.
func (d *Desk) candidates(c *cell.Command, vs []volume) ([]volKey, error) {
	ci := d.cell(c.Entry.Cell)
	ci.mu.RLock()
	synced := ci.synced
	seen := map[volKey]bool{}
	var out []volKey
	qs := make([]geo.Entry[volKey], len(vs))
	for i := range vs {
		qs[i] = newVolumeDoc(-1, 0, 0, &vs[i]).entry()
		err := ci.idx.Search(qs[i].Bounds, qs[i].Alt, qs[i].When, func(k volKey) bool {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
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
			k := volKey{vd.N, vd.V, vd.I}
			if seen[k] {
				continue
			}
			it := vd.entry()
			for _, q := range qs {
				if meets(q, it) {
					seen[k] = true
					out = append(out, k)
					break
				}
			}
		}
		if len(objs) < 2000 {
			return out, nil
		}
	}
}

// Size reports how many volumes the index of a cell holds and up to which
// log index it has followed.
func (d *Desk) Size(cellID string) (volumes int, synced int64) {
	ci := d.cell(cellID)
	ci.mu.RLock()
	defer ci.mu.RUnlock()
	return ci.idx.Len(), ci.synced
}
