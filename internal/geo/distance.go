package geo

import (
	"math"

	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"
)

// Tolerance is what Intersects allows, in metres, beyond the limit. s2's
// distances are exact to a few nanometres; one micrometre more resolves all
// rounding towards a conflict, and is far below any distance that matters.
const Tolerance = 1e-6

// bigEdges is the size above which a footprint gets an s2 ShapeIndex: below it,
// testing every pair of edges costs less than building or querying one.
const bigEdges = 32

// Intersects reports whether the distance on the sphere between the shapes of
// a and b is at most a.Radius() + b.Radius() + buffer metres (plus Tolerance).
// Interiors count, and so does touching: a shared edge or vertex is distance 0.
// A negative or NaN buffer counts as 0.
func Intersects(a, b *Footprint, buffer float64) bool {
	if !(buffer > 0) {
		buffer = 0
	}
	return within(a, b, a.radius+b.radius+buffer+Tolerance)
}

// Distance is the distance in metres between the footprints, radii included:
// the distance between their shapes less both radii, and 0 when they overlap
// or touch (or come within Tolerance). Intersects(a, b, d) holds for every
// d >= Distance(a, b).
func Distance(a, b *Footprint) float64 {
	d := shapeDistance(a, b)*EarthRadius - a.radius - b.radius
	if d <= Tolerance {
		return 0
	}
	return d
}

// useBig reports whether f is better checked through an s2 ShapeIndex: many
// edges, or a cap too wide for the shortcuts of the small path (which need it
// to be convex and a point outside it).
func useBig(f *Footprint) bool {
	return f.numEdges() > bigEdges || f.capRad > 1
}

// bigShape is what a large footprint keeps after its first check.
type bigShape struct {
	index *s2.ShapeIndex
}

func (f *Footprint) bigIndex() *bigShape {
	if b := f.big.Load(); b != nil {
		return b
	}
	pts := appendPoints(nil, f.pos)
	var shape s2.Shape
	switch f.kind {
	case Point:
		shape = &s2.PointVector{pts[0]}
	case LineString:
		pl := s2.Polyline(pts)
		shape = &pl
	default:
		loops := make([][]s2.Point, len(f.rings))
		lo := int32(0)
		for i, hi := range f.rings {
			loops[i] = pts[lo:hi]
			lo = hi
		}
		shape = s2.LaxPolygonFromPoints(loops)
	}
	idx := s2.NewShapeIndex()
	idx.Add(shape)
	// Built now, not on the first query, so that concurrent queries only read.
	idx.Build()
	b := &bigShape{index: idx}
	if f.big.CompareAndSwap(nil, b) {
		return b
	}
	return f.big.Load()
}

// capsApart reports whether the footprints' caps alone prove their shapes are
// farther apart than limit (radians).
func capsApart(a, b *Footprint, limit float64) bool {
	d := float64(a.center.Distance(b.center)) - a.capRad - b.capRad
	return d > limit*(1+1e-9)+1e-12
}

// within reports whether the shapes of a and b are less than limit metres apart.
func within(a, b *Footprint, limit float64) bool {
	rad := limit / EarthRadius
	if capsApart(a, b, rad) {
		return false
	}
	lim := s1.ChordAngleFromAngle(s1.Angle(rad))
	if a.numEdges() > b.numEdges() {
		a, b = b, a
	}
	var bufA, bufB [bigEdges + 1]s2.Point
	pa := appendPoints(bufA[:0], a.pos)
	var pb []s2.Point
	if !useBig(b) {
		pb = appendPoints(bufB[:0], b.pos)
	}
	if contained(a, pa, b, pb) {
		return true
	}
	if pb == nil {
		return boundaryLessBig(a, pa, b, lim)
	}
	return boundaryLess(a, pa, b, pb, lim)
}

// shapeDistance is the distance in radians between the shapes of a and b.
func shapeDistance(a, b *Footprint) float64 {
	if a.numEdges() > b.numEdges() {
		a, b = b, a
	}
	pa := appendPoints(nil, a.pos)
	var pb []s2.Point
	if !useBig(b) {
		pb = appendPoints(nil, b.pos)
	}
	if contained(a, pa, b, pb) {
		return 0
	}
	var d s1.ChordAngle
	if pb == nil {
		d = boundaryDistanceBig(a, pa, b)
	} else {
		d = boundaryDistance(a, pa, b, pb)
	}
	return float64(d.Angle())
}

// contained reports whether one shape has a part inside the other: a part of a
// inside b or of b inside a. If neither, and the shapes meet, their boundaries
// meet. pb is nil when b is checked through its index.
func contained(a *Footprint, pa []s2.Point, b *Footprint, pb []s2.Point) bool {
	if b.dim() == 2 {
		for _, v := range reps(a, pa, nil) {
			if containsPoint(b, pb, v) {
				return true
			}
		}
	}
	if a.dim() == 2 {
		for _, v := range reps(b, pb, b.pos) {
			if containsPoint(a, pa, v) {
				return true
			}
		}
	}
	return false
}

// reps returns one vertex of each connected part of f: the first vertex of
// each polygon's shell, or the first of a line or a point. It takes pts when
// the footprint's points are at hand, else converts from pos.
func reps(f *Footprint, pts []s2.Point, pos []Position) []s2.Point {
	first := func(i int32) s2.Point {
		if pts != nil {
			return pts[i]
		}
		return pos[i].point()
	}
	if f.dim() < 2 {
		return []s2.Point{first(0)}
	}
	out := make([]s2.Point, 0, len(f.parts))
	for p := range f.parts {
		lo, _ := f.partRings(p)
		start := int32(0)
		if lo > 0 {
			start = f.rings[lo-1]
		}
		out = append(out, first(start))
	}
	return out
}

// containsPoint reports whether the area f contains p. pts are f's points, or
// nil to use its index. On the boundary the answer may go either way; callers
// also measure the distance to the boundary, which is then 0.
func containsPoint(f *Footprint, pts []s2.Point, p s2.Point) bool {
	if pts == nil || useBig(f) {
		return s2.NewContainsPointQuery(f.bigIndex().index, s2.VertexModelSemiOpen).Contains(p)
	}
	return containsPointBrute(f, pts, p)
}

func containsPointBrute(f *Footprint, pts []s2.Point, p s2.Point) bool {
	// Count crossings of the edge from a point known to be outside (beyond
	// the cap, which holds the whole area) to p, as s2's brute-force
	// containment does, with its rule for edges through a vertex.
	o := f.center.Ortho()
	th := f.capRad + 0.01
	ref := s2.Point{Vector: f.center.Mul(math.Cos(th)).Add(o.Mul(math.Sin(th))).Normalize()}
	crosser := s2.NewEdgeCrosser(ref, p)
	inside := false
	lo := int32(0)
	for _, hi := range f.rings {
		for i := lo; i < hi; i++ {
			j := i + 1
			if j == hi {
				j = lo
			}
			if crosser.EdgeOrVertexCrossing(pts[i], pts[j]) {
				inside = !inside
			}
		}
		lo = hi
	}
	return inside
}

// forEdges calls fn with every edge of f (a point is one edge of length 0)
// until fn returns false.
func forEdges(f *Footprint, pts []s2.Point, fn func(x0, x1 s2.Point) bool) {
	switch f.kind {
	case Point:
		fn(pts[0], pts[0])
	case LineString:
		for i := 0; i+1 < len(pts); i++ {
			if !fn(pts[i], pts[i+1]) {
				return
			}
		}
	default:
		lo := int32(0)
		for _, hi := range f.rings {
			for i := lo; i < hi; i++ {
				j := i + 1
				if j == hi {
					j = lo
				}
				if !fn(pts[i], pts[j]) {
					return
				}
			}
			lo = hi
		}
	}
}

// edgePairLess reports whether edges a0a1 and b0b1 (either may have length 0)
// are less than lim apart.
func edgePairLess(a0, a1, b0, b1 s2.Point, lim s1.ChordAngle) bool {
	if a0 != a1 && b0 != b1 && s2.CrossingSign(a0, a1, b0, b1) == s2.Cross {
		return true
	}
	return s2.IsDistanceLess(a0, b0, b1, lim) || s2.IsDistanceLess(a1, b0, b1, lim) ||
		s2.IsDistanceLess(b0, a0, a1, lim) || s2.IsDistanceLess(b1, a0, a1, lim)
}

// boundaryLess reports whether some edge of a is less than lim from some edge
// of b, skipping the edges of a that are too far from b's cap to matter.
func boundaryLess(a *Footprint, pa []s2.Point, b *Footprint, pb []s2.Point, lim s1.ChordAngle) bool {
	near := lim.Add(s1.ChordAngleFromAngle(s1.Angle(b.capRad)))
	found := false
	forEdges(a, pa, func(a0, a1 s2.Point) bool {
		if !s2.IsDistanceLess(b.center, a0, a1, near) {
			return true
		}
		forEdges(b, pb, func(b0, b1 s2.Point) bool {
			found = edgePairLess(a0, a1, b0, b1, lim)
			return !found
		})
		return !found
	})
	return found
}

func boundaryDistance(a *Footprint, pa []s2.Point, b *Footprint, pb []s2.Point) s1.ChordAngle {
	d := s1.StraightChordAngle
	forEdges(a, pa, func(a0, a1 s2.Point) bool {
		forEdges(b, pb, func(b0, b1 s2.Point) bool {
			if a0 != a1 && b0 != b1 && s2.CrossingSign(a0, a1, b0, b1) == s2.Cross {
				d = 0
				return false
			}
			d, _ = s2.UpdateMinDistance(a0, b0, b1, d)
			d, _ = s2.UpdateMinDistance(a1, b0, b1, d)
			d, _ = s2.UpdateMinDistance(b0, a0, a1, d)
			d, _ = s2.UpdateMinDistance(b1, a0, a1, d)
			return true
		})
		return d > 0
	})
	return d
}

// The big path asks b's ShapeIndex about each edge of a, with a point or edge
// target. It does not use s2's MinDistanceToShapeIndexTarget: in golang/geo
// that target's bounding cap is the antipode of the index's (golang/geo
// issue 293), so a query with a distance limit against an index of more than
// 25 edges misses what it should find. TestBigShapesAgainstBruteForce guards
// this.

func newBoundaryQuery(b *Footprint) *s2.EdgeQuery {
	// Interiors were tested by contained; here only edges count.
	return s2.NewClosestEdgeQuery(b.bigIndex().index, s2.NewClosestEdgeQueryOptions().IncludeInteriors(false))
}

func boundaryLessBig(a *Footprint, pa []s2.Point, b *Footprint, lim s1.ChordAngle) bool {
	q := newBoundaryQuery(b)
	found := false
	forEdges(a, pa, func(a0, a1 s2.Point) bool {
		if a0 == a1 {
			found = q.IsDistanceLess(s2.NewMinDistanceToPointTarget(a0), lim)
		} else {
			found = q.IsDistanceLess(s2.NewMinDistanceToEdgeTarget(s2.Edge{V0: a0, V1: a1}), lim)
		}
		return !found
	})
	return found
}

func boundaryDistanceBig(a *Footprint, pa []s2.Point, b *Footprint) s1.ChordAngle {
	q := newBoundaryQuery(b)
	d := s1.StraightChordAngle
	forEdges(a, pa, func(a0, a1 s2.Point) bool {
		var e s1.ChordAngle
		if a0 == a1 {
			e = q.Distance(s2.NewMinDistanceToPointTarget(a0))
		} else {
			e = q.Distance(s2.NewMinDistanceToEdgeTarget(s2.Edge{V0: a0, V1: a1}))
		}
		d = min(d, e)
		return d > 0
	})
	return d
}
