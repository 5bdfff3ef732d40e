package geo

import (
	"math"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/golang/geo/s2"
)

// Limits on what a footprint may be.
const (
	// MaxRadius bounds the radius of a Point and the width of a LineString,
	// in metres: beyond it a notification is a mistake, not a plan.
	MaxRadius = 500_000.0
	// MaxVertices bounds the positions of one geometry (closing positions
	// included), MaxFileVertices those of a FeatureCollection: the
	// validation's cost grows with them, and no zone needs more.
	MaxVertices     = 10_000
	MaxFileVertices = 100_000
	// MinArea is the least area in square metres a polygon may enclose: less
	// is a ring drawn along a line, or a mistake.
	MinArea = 1.0
	// RegionTolerance is how far, in metres, a footprint may seem to reach
	// beyond its region and still be accepted. s2's bounds of a geodesic edge
	// are widened by a few nanometres for rounding; without this, a zone drawn
	// exactly up to the region's edge would be refused.
	RegionTolerance = 1e-3
)

// A Kind is the GeoJSON type a footprint was read from.
type Kind uint8

const (
	Point Kind = iota + 1
	LineString
	Polygon
	MultiPolygon
)

func (k Kind) String() string {
	switch k {
	case Point:
		return "Point"
	case LineString:
		return "LineString"
	case Polygon:
		return "Polygon"
	case MultiPolygon:
		return "MultiPolygon"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// A Position is a longitude and a latitude in degrees, in GeoJSON's order.
type Position struct {
	Lng, Lat float64
}

// A Footprint is a validated shape on the sphere and a radius: the points within
// Radius metres of the shape. It is immutable and safe for concurrent use.
//
// It keeps its positions compactly (16 bytes a vertex) and converts them to s2
// points for each check: for the small shapes that make up nearly all
// notifications that is cheaper than any index. A footprint with many edges
// builds an s2 ShapeIndex on its first check and keeps it.
type Footprint struct {
	kind   Kind
	radius float64 // metres; a LineString's width is 2*radius
	// pos holds every ring's positions without the closing one, in canonical
	// order: shells counterclockwise, holes clockwise (interior on the left).
	pos   []Position
	rings []int32 // end offset in pos of each ring (a line or a point is one ring)
	parts []int32 // end offset in rings of each polygon (areas only)

	bounds Rect
	// A cap around the shape (radius excluded): caps of less than a quarter
	// circle are convex, so it holds every edge and the interior too.
	center s2.Point
	capRad float64 // radians

	big atomic.Pointer[bigShape]
}

// Kind is the GeoJSON type the footprint was read from.
func (f *Footprint) Kind() Kind { return f.kind }

// Radius is the footprint's radius in metres: a Point's radius, half a
// LineString's width, 0 for an area.
func (f *Footprint) Radius() float64 { return f.radius }

// Width is a LineString's width in metres, 0 for the other kinds.
func (f *Footprint) Width() float64 {
	if f.kind == LineString {
		return 2 * f.radius
	}
	return 0
}

// Bounds is a lat/lng rectangle that holds the whole footprint, radius
// included. It is conservative (a little larger than the footprint, never
// smaller), which is what an index of candidates needs.
func (f *Footprint) Bounds() Rect { return f.bounds }

// NumVertices is the number of distinct vertices of the footprint.
func (f *Footprint) NumVertices() int { return len(f.pos) }

// Equal reports whether f and g are the same footprint: same kind, radius and
// vertices in the same canonical order.
func (f *Footprint) Equal(g *Footprint) bool {
	return f.kind == g.kind && f.radius == g.radius && slices.Equal(f.pos, g.pos) &&
		slices.Equal(f.rings, g.rings) && slices.Equal(f.parts, g.parts)
}

// ring returns the positions of ring i, without the closing one.
func (f *Footprint) ring(i int) []Position {
	lo := int32(0)
	if i > 0 {
		lo = f.rings[i-1]
	}
	return f.pos[lo:f.rings[i]:f.rings[i]] // no capacity into the next ring
}

// partRings returns the range of rings of polygon p: its shell, then its holes.
func (f *Footprint) partRings(p int) (lo, hi int) {
	if p > 0 {
		lo = int(f.parts[p-1])
	}
	return lo, int(f.parts[p])
}

func (f *Footprint) dim() int {
	switch f.kind {
	case Point:
		return 0
	case LineString:
		return 1
	}
	return 2
}

// GeoJSON is the footprint's canonical rendering as a GeoJSON geometry: shells
// counterclockwise and holes clockwise (RFC 7946's right-hand rule), rings
// closed, no repeated positions, numbers in the shortest form that reads back
// to the same float64. Parse reads it back to an Equal footprint (given the
// same radius or width, which travel beside it).
func (f *Footprint) GeoJSON() []byte {
	b := make([]byte, 0, 40+len(f.pos)*40)
	b = append(b, `{"type":"`...)
	b = append(b, f.kind.String()...)
	b = append(b, `","coordinates":`...)
	switch f.kind {
	case Point:
		b = appendPosition(b, f.pos[0])
	case LineString:
		b = appendRing(b, f.pos, false)
	case Polygon:
		b = f.appendPolygon(b, 0)
	case MultiPolygon:
		b = append(b, '[')
		for p := range f.parts {
			if p > 0 {
				b = append(b, ',')
			}
			b = f.appendPolygon(b, p)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (f *Footprint) appendPolygon(b []byte, p int) []byte {
	lo, hi := f.partRings(p)
	b = append(b, '[')
	for r := lo; r < hi; r++ {
		if r > lo {
			b = append(b, ',')
		}
		b = appendRing(b, f.ring(r), true)
	}
	return append(b, ']')
}

func appendRing(b []byte, ps []Position, closed bool) []byte {
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPosition(b, p)
	}
	if closed {
		b = append(b, ',')
		b = appendPosition(b, ps[0])
	}
	return append(b, ']')
}

func appendPosition(b []byte, p Position) []byte {
	b = append(b, '[')
	b = strconv.AppendFloat(b, p.Lng, 'f', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, p.Lat, 'f', -1, 64)
	return append(b, ']')
}

func (p Position) point() s2.Point {
	return s2.PointFromLatLng(s2.LatLngFromDegrees(p.Lat, p.Lng))
}

func (p Position) String() string {
	return "(" + strconv.FormatFloat(p.Lng, 'f', -1, 64) + ", " + strconv.FormatFloat(p.Lat, 'f', -1, 64) + ")"
}

// appendPoints appends the s2 points of ps to buf.
func appendPoints(buf []s2.Point, ps []Position) []s2.Point {
	for _, p := range ps {
		buf = append(buf, p.point())
	}
	return buf
}

// numEdges is the number of edges of the shape (a point has none).
func (f *Footprint) numEdges() int {
	switch f.kind {
	case Point:
		return 0
	case LineString:
		return len(f.pos) - 1
	}
	return len(f.pos)
}

// setCap computes the bounding cap from the footprint's s2 points.
func (f *Footprint) setCap(pts []s2.Point) {
	var sum s2.Point
	for _, p := range pts {
		sum.Vector = sum.Vector.Add(p.Vector)
	}
	f.center = s2.Point{Vector: sum.Vector.Normalize()}
	if len(pts) == 1 {
		f.center = pts[0]
	}
	var r float64
	for _, p := range pts {
		r = math.Max(r, float64(f.center.Distance(p)))
	}
	// Widened for the rounding of the distances above.
	f.capRad = r*(1+1e-9) + 1e-12
}

// Centroid is the footprint's centre on the sphere, where another system
// that takes one point for a place (IATI's location) is to put it: a
// Point's own position, a LineString's centre by length, an area's by area
// (its holes taken out). The radius or width is not weighed: the shape's
// centre is the disc's or the corridor's.
func (f *Footprint) Centroid() Position {
	if f.kind == Point {
		return f.pos[0]
	}
	var sum s2.Point
	if f.kind == LineString {
		line := s2.Polyline(appendPoints(nil, f.pos))
		sum = line.Centroid()
	} else {
		// A hole is clockwise: s2 takes its loop's inside to be the rest of
		// the sphere, whose centroid is the hole's, negated.
		for i := range f.rings {
			sum.Vector = sum.Vector.Add(s2.LoopFromPoints(appendPoints(nil, f.ring(i))).Centroid().Vector)
		}
	}
	if sum.Norm() == 0 {
		return f.pos[0]
	}
	ll := s2.LatLngFromPoint(s2.Point{Vector: sum.Normalize()})
	return Position{Lng: ll.Lng.Degrees(), Lat: ll.Lat.Degrees()}
}
