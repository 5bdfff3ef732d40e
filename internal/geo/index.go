package geo

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/tidwall/rtree"
)

// ErrEntry: an index entry or query with a band, window or rectangle that is
// not one.
var ErrEntry = errors.New("invalid index entry")

// A Band is an altitude band [Lo, Hi) in metres. AllAltitudes is every
// altitude, for a footprint that applies at any height (a protected site).
type Band struct {
	Lo, Hi float64
}

// AllAltitudes is the band of every altitude.
var AllAltitudes = Band{Lo: math.Inf(-1), Hi: math.Inf(1)}

// Overlaps reports whether the half-open bands share an altitude: [0, 1000)
// and [1000, 2000) do not.
func (b Band) Overlaps(o Band) bool { return b.Lo < o.Hi && o.Lo < b.Hi }

// A Window is a time window [Start, End). A zero Start means since ever, a
// zero End for ever (an agreed zone with no end date).
type Window struct {
	Start, End time.Time
}

// Overlaps reports whether the half-open windows share an instant: a window
// that ends when the other starts does not overlap it.
func (w Window) Overlaps(o Window) bool {
	a, err1 := w.span()
	b, err2 := o.span()
	return err1 == nil && err2 == nil && a.overlaps(b)
}

// span is a window in Unix nanoseconds, [lo, hi), open ends at the extremes.
type span struct{ lo, hi int64 }

func (s span) overlaps(o span) bool { return s.lo < o.hi && o.lo < s.hi }

// Instants an int64 of nanoseconds can hold (1678 to 2262), with margin.
var minTime, maxTime = time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

func (w Window) span() (span, error) {
	s := span{lo: math.MinInt64, hi: math.MaxInt64}
	if !w.Start.IsZero() {
		if w.Start.Before(minTime) || w.Start.After(maxTime) {
			return s, fmt.Errorf("geo: window start %v is not between 1700 and 2200: %w", w.Start, ErrEntry)
		}
		s.lo = w.Start.UnixNano()
	}
	if !w.End.IsZero() {
		if w.End.Before(minTime) || w.End.After(maxTime) {
			return s, fmt.Errorf("geo: window end %v is not between 1700 and 2200: %w", w.End, ErrEntry)
		}
		s.hi = w.End.UnixNano()
	}
	if s.lo >= s.hi {
		return s, fmt.Errorf("geo: window [%v, %v) is empty: %w", w.Start, w.End, ErrEntry)
	}
	return s, nil
}

func (b Band) check() error {
	if math.IsNaN(b.Lo) || math.IsNaN(b.Hi) || !(b.Lo < b.Hi) {
		return fmt.Errorf("geo: altitude band [%g, %g) is empty: %w", b.Lo, b.Hi, ErrEntry)
	}
	return nil
}

func (r Rect) check() error {
	for _, v := range []float64{r.LatLo, r.LatHi, r.LngLo, r.LngHi} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("geo: rectangle %v has a coordinate that is not a finite number: %w", r, ErrEntry)
		}
	}
	if r.LatLo > r.LatHi || r.LngLo > r.LngHi {
		return fmt.Errorf("geo: rectangle %v is empty: %w", r, ErrEntry)
	}
	return nil
}

// An Entry is what the index holds of a volume: its footprint's bounds
// (Footprint.Bounds, radius included), its altitude band and its window.
type Entry[ID comparable] struct {
	ID     ID
	Bounds Rect
	Alt    Band
	When   Window
}

func (e Entry[ID]) check() (span, error) {
	if err := e.Bounds.check(); err != nil {
		return span{}, err
	}
	if err := e.Alt.check(); err != nil {
		return span{}, err
	}
	return e.When.span()
}

// IndexConfig sets how an Index cuts time.
type IndexConfig struct {
	// Bucket is the width of a time bucket: each bucket has an R-tree of the
	// entries whose window meets it. 24 hours when zero.
	Bucket time.Duration
	// Long is the longest window kept in buckets; longer ones, and open ones,
	// go to one R-tree of their own, so that a zone valid for a year is not
	// copied into 365 trees. 7 days when zero.
	Long time.Duration
}

// An Index finds the entries that could collide with a volume: those whose
// bounds meet its bounds and whose altitude band and window overlap its own.
// R-trees are two-dimensional, so time is cut into buckets: an entry is in the
// tree of every bucket its window meets, and a search visits the buckets of
// its window and reports each entry once.
//
// It is safe for one writer and many readers at a time.
type Index[ID comparable] struct {
	bucket, long int64 // nanoseconds

	mu      sync.RWMutex
	slots   []slot[ID]
	free    []int32
	byID    map[ID]int32
	buckets map[int64]*rtree.RTreeGN[float32, int32]
	longs   rtree.RTreeGN[float32, int32]
}

type slot[ID comparable] struct {
	id   ID
	r    Rect
	alt  Band
	when span
}

// NewIndex returns an empty index.
func NewIndex[ID comparable](cfg IndexConfig) *Index[ID] {
	if cfg.Bucket <= 0 {
		cfg.Bucket = 24 * time.Hour
	}
	if cfg.Long <= 0 {
		cfg.Long = 7 * 24 * time.Hour
	}
	return &Index[ID]{
		bucket:  int64(cfg.Bucket),
		long:    int64(cfg.Long),
		byID:    map[ID]int32{},
		buckets: map[int64]*rtree.RTreeGN[float32, int32]{},
	}
}

// treeRect rounds r outwards to float32, which halves the trees' memory; the
// search checks the exact rectangle after the tree.
func treeRect(r Rect) (lo, hi [2]float32) {
	down := func(x float64) float32 {
		f := float32(x)
		if float64(f) > x {
			f = math.Nextafter32(f, float32(math.Inf(-1)))
		}
		return f
	}
	up := func(x float64) float32 {
		f := float32(x)
		if float64(f) < x {
			f = math.Nextafter32(f, float32(math.Inf(1)))
		}
		return f
	}
	return [2]float32{down(r.LngLo), down(r.LatLo)}, [2]float32{up(r.LngHi), up(r.LatHi)}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// buckets returns the range of buckets a window meets, and whether it is long.
func (x *Index[ID]) bucketRange(s span) (lo, hi int64, long bool) {
	if s.lo == math.MinInt64 || s.hi == math.MaxInt64 || s.hi-s.lo > x.long {
		return 0, 0, true
	}
	return floorDiv(s.lo, x.bucket), floorDiv(s.hi-1, x.bucket), false
}

// Insert adds e, or replaces the entry with the same ID.
func (x *Index[ID]) Insert(e Entry[ID]) error {
	when, err := e.check()
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if i, ok := x.byID[e.ID]; ok {
		x.remove(i)
	}
	var i int32
	if n := len(x.free); n > 0 {
		i, x.free = x.free[n-1], x.free[:n-1]
	} else {
		i = int32(len(x.slots))
		x.slots = append(x.slots, slot[ID]{})
	}
	x.slots[i] = slot[ID]{id: e.ID, r: e.Bounds, alt: e.Alt, when: when}
	x.byID[e.ID] = i
	lo, hi := treeRect(e.Bounds)
	b0, b1, long := x.bucketRange(when)
	if long {
		x.longs.Insert(lo, hi, i)
		return nil
	}
	for b := b0; b <= b1; b++ {
		t := x.buckets[b]
		if t == nil {
			t = new(rtree.RTreeGN[float32, int32])
			x.buckets[b] = t
		}
		t.Insert(lo, hi, i)
	}
	return nil
}

// Delete removes the entry id, reporting whether there was one.
func (x *Index[ID]) Delete(id ID) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	i, ok := x.byID[id]
	if ok {
		x.remove(i)
	}
	return ok
}

func (x *Index[ID]) remove(i int32) {
	s := &x.slots[i]
	lo, hi := treeRect(s.r)
	b0, b1, long := x.bucketRange(s.when)
	if long {
		x.longs.Delete(lo, hi, i)
	} else {
		for b := b0; b <= b1; b++ {
			t := x.buckets[b]
			t.Delete(lo, hi, i)
			if t.Len() == 0 {
				delete(x.buckets, b)
			}
		}
	}
	delete(x.byID, s.id)
	var zero slot[ID]
	*s = zero
	x.free = append(x.free, i)
}

// Len is the number of entries.
func (x *Index[ID]) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID)
}

// Search calls fn with the ID of every entry whose bounds meet r (closed
// rectangles) and whose band and window overlap alt and when (half-open),
// each once, in no particular order, until fn returns false. fn runs under
// the index's read lock: it must not call Insert or Delete.
func (x *Index[ID]) Search(r Rect, alt Band, when Window, fn func(ID) bool) error {
	if err := r.check(); err != nil {
		return err
	}
	if err := alt.check(); err != nil {
		return err
	}
	q, err := when.span()
	if err != nil {
		return err
	}
	lo, hi := treeRect(r)
	x.mu.RLock()
	defer x.mu.RUnlock()
	match := func(i int32) bool {
		s := &x.slots[i]
		return s.r.Intersects(r) && s.alt.Overlaps(alt) && s.when.overlaps(q)
	}
	stop := false
	x.longs.Search(lo, hi, func(_, _ [2]float32, i int32) bool {
		if match(i) && !fn(x.slots[i].id) {
			stop = true
		}
		return !stop
	})
	// The buckets the query's window meets, unbounded where it is open.
	qb0, qb1 := int64(math.MinInt64), int64(math.MaxInt64)
	if q.lo != math.MinInt64 {
		qb0 = floorDiv(q.lo, x.bucket)
	}
	if q.hi != math.MaxInt64 {
		qb1 = floorDiv(q.hi-1, x.bucket)
	}
	visit := func(b int64, t *rtree.RTreeGN[float32, int32]) {
		t.Search(lo, hi, func(_, _ [2]float32, i int32) bool {
			if !match(i) {
				return true
			}
			// An entry is in every bucket its window meets: report it from
			// the first bucket that both windows meet, and only there.
			if first := max(floorDiv(x.slots[i].when.lo, x.bucket), qb0); first != b {
				return true
			}
			if !fn(x.slots[i].id) {
				stop = true
			}
			return !stop
		})
	}
	if qb1-qb0 >= 0 && qb1-qb0 < int64(len(x.buckets)) {
		for b := qb0; b <= qb1 && !stop; b++ {
			if t := x.buckets[b]; t != nil {
				visit(b, t)
			}
		}
	} else {
		for b, t := range x.buckets {
			if stop {
				break
			}
			if qb0 <= b && b <= qb1 {
				visit(b, t)
			}
		}
	}
	return nil
}

// BruteForce has an Index's semantics and scans every entry: the oracle the
// index is tested against, and what its speed is measured against.
type BruteForce[ID comparable] struct {
	mu      sync.RWMutex
	entries []slot[ID]
	byID    map[ID]int
}

// NewBruteForce returns an empty scan.
func NewBruteForce[ID comparable]() *BruteForce[ID] {
	return &BruteForce[ID]{byID: map[ID]int{}}
}

// Insert adds e, or replaces the entry with the same ID.
func (x *BruteForce[ID]) Insert(e Entry[ID]) error {
	when, err := e.check()
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	s := slot[ID]{id: e.ID, r: e.Bounds, alt: e.Alt, when: when}
	if i, ok := x.byID[e.ID]; ok {
		x.entries[i] = s
		return nil
	}
	x.byID[e.ID] = len(x.entries)
	x.entries = append(x.entries, s)
	return nil
}

// Delete removes the entry id, reporting whether there was one.
func (x *BruteForce[ID]) Delete(id ID) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	i, ok := x.byID[id]
	if !ok {
		return false
	}
	last := len(x.entries) - 1
	x.entries[i] = x.entries[last]
	x.byID[x.entries[i].id] = i
	x.entries = x.entries[:last]
	delete(x.byID, id)
	return true
}

// Search is Index.Search, by scanning every entry.
func (x *BruteForce[ID]) Search(r Rect, alt Band, when Window, fn func(ID) bool) error {
	if err := r.check(); err != nil {
		return err
	}
	if err := alt.check(); err != nil {
		return err
	}
	q, err := when.span()
	if err != nil {
		return err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	for i := range x.entries {
		s := &x.entries[i]
		if s.r.Intersects(r) && s.alt.Overlaps(alt) && s.when.overlaps(q) && !fn(s.id) {
			break
		}
	}
	return nil
}
