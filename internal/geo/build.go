package geo

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/golang/geo/s2"
)

// NewPoint returns the disc of the given radius (metres, in (0, MaxRadius])
// around p, which must lie in region with its radius.
func NewPoint(p Position, radius float64, region Rect) (*Footprint, error) {
	if err := validRegion(region); err != nil {
		return nil, err
	}
	if err := checkLength("radius_m", radius); err != nil {
		return nil, err
	}
	if err := checkPosition("coordinates", p, region); err != nil {
		return nil, err
	}
	f := &Footprint{kind: Point, radius: radius, pos: []Position{p}, rings: []int32{1}}
	pts := []s2.Point{p.point()}
	es := edgeSet{pos: f.pos, pts: pts, edges: []edge{{a: 0, b: 0}}}
	es.bound()
	if err := es.withinRegion(region, radius, func(int) (string, string) { return "coordinates", "the disc" }); err != nil {
		return nil, err
	}
	f.finish(pts, es)
	return f, nil
}

// NewLineString returns the corridor of the given width (metres, in (0,
// MaxRadius]) along the line through ps: every point within width/2 of it.
// Consecutive repeated positions are dropped; a line may cross itself (a route
// may loop).
func NewLineString(ps []Position, width float64, region Rect) (*Footprint, error) {
	if err := validRegion(region); err != nil {
		return nil, err
	}
	if err := checkLength("width_m", width); err != nil {
		return nil, err
	}
	if len(ps) > MaxVertices {
		return nil, errorf(ErrTooLarge, "coordinates", fmt.Sprintf("%d positions, more than the %d a geometry may have", len(ps), MaxVertices))
	}
	if len(ps) < 2 {
		return nil, errorf(ErrRing, "coordinates", fmt.Sprintf("a LineString needs at least 2 positions; this one has %d", len(ps)))
	}
	for i, p := range ps {
		if err := checkPosition(coordPath(i), p, region); err != nil {
			return nil, err
		}
	}
	r := dedupe(ps, false)
	if len(r.pos) < 2 {
		return nil, errorf(ErrRing, "coordinates", "every position of the LineString is the same point")
	}
	f := &Footprint{kind: LineString, radius: width / 2, pos: r.pos, rings: []int32{int32(len(r.pos))}}
	pts := appendPoints(nil, r.pos)
	es := edgeSet{pos: r.pos, pts: pts}
	for i := 0; i+1 < len(pts); i++ {
		es.edges = append(es.edges, edge{a: int32(i), b: int32(i + 1), i: int32(i)})
	}
	es.bound()
	name := func(e int) (string, string) {
		return coordPath(int(r.orig[es.edges[e].a])), fmt.Sprintf("the edge from position %d", r.orig[es.edges[e].a])
	}
	if err := es.withinRegion(region, f.radius, name); err != nil {
		return nil, err
	}
	f.finish(pts, es)
	return f, nil
}

// NewPolygon returns the area of a polygon: rings[0] is its shell, the others
// its holes, each closed (its last position repeats its first) as in GeoJSON.
// Either winding is accepted for any ring. See Parse for every rule it checks.
func NewPolygon(rings [][]Position, region Rect) (*Footprint, error) {
	return buildAreas(Polygon, [][][]Position{rings}, region)
}

// NewMultiPolygon returns the area of several polygons, which must not overlap
// or touch one another (a polygon may lie in another's hole).
func NewMultiPolygon(polygons [][][]Position, region Rect) (*Footprint, error) {
	return buildAreas(MultiPolygon, polygons, region)
}

// coordPath names a member of the coordinates array: coordPath(0, 5) is
// "coordinates[0][5]".
func coordPath(idx ...int) string {
	var b strings.Builder
	b.WriteString("coordinates")
	for _, i := range idx {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(']')
	}
	return b.String()
}

func checkLength(name string, v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return errorf(ErrRadius, name, "not a finite number")
	case v <= 0:
		return errorf(ErrRadius, name, fmt.Sprintf("must be more than 0 m, not %g", v))
	case v > MaxRadius:
		return errorf(ErrRadius, name, fmt.Sprintf("%g m is more than the most allowed, %g m", v, MaxRadius))
	}
	return nil
}

func checkPosition(path string, p Position, region Rect) error {
	switch {
	case math.IsNaN(p.Lng) || math.IsInf(p.Lng, 0):
		return errorf(ErrCoordinate, path, "the longitude is not a finite number")
	case math.IsNaN(p.Lat) || math.IsInf(p.Lat, 0):
		return errorf(ErrCoordinate, path, "the latitude is not a finite number")
	case p.Lng < -180 || p.Lng > 180:
		return errorf(ErrCoordinate, path, fmt.Sprintf("longitude %g is outside [-180, 180]", p.Lng))
	case p.Lat < -90 || p.Lat > 90:
		return errorf(ErrCoordinate, path, fmt.Sprintf("latitude %g is outside [-90, 90] (are longitude and latitude swapped?)", p.Lat))
	case !region.ContainsPosition(p):
		return errorf(ErrRegion, path, fmt.Sprintf("position %v lies outside the region %v", p, region))
	}
	return nil
}

// A cleaned ring: distinct consecutive positions, and the index in the input of
// each, for error messages that point at what the sender wrote.
type cleaned struct {
	pos  []Position
	orig []int32
	n    int // positions in the input, the closing one included
}

// dedupe drops consecutive repeated positions: they add no edge, and tools
// emit them often enough that refusing them would refuse good zones. In a
// closed ring the closing position is dropped too.
func dedupe(ps []Position, closed bool) cleaned {
	c := cleaned{n: len(ps)}
	end := len(ps)
	if closed {
		end--
	}
	for i := 0; i < end; i++ {
		if len(c.pos) > 0 && ps[i] == c.pos[len(c.pos)-1] {
			continue
		}
		c.pos = append(c.pos, ps[i])
		c.orig = append(c.orig, int32(i))
	}
	for closed && len(c.pos) > 1 && c.pos[len(c.pos)-1] == c.pos[0] {
		c.pos, c.orig = c.pos[:len(c.pos)-1], c.orig[:len(c.orig)-1]
	}
	return c
}

// A ring of an area being built.
type ringIn struct {
	part, ring int // indexes in the input
	cleaned
	pts  []s2.Point
	loop *s2.Loop // counterclockwise (normalized) once oriented
}

func (r *ringIn) path() string { return r.pathAt(-1) }

// pathAt is the path of the ring, or of its input position i when i >= 0.
func (r *ringIn) pathAt(i int) string {
	idx := []int{r.ring}
	if r.part >= 0 {
		idx = []int{r.part, r.ring}
	}
	if i >= 0 {
		idx = append(idx, i)
	}
	return coordPath(idx...)
}

// edgeName describes edge i (from vertex i to the next) by the positions of
// the input, whichever way the ring has been wound since.
func (r *ringIn) edgeName(i int) string {
	a, b := int(r.orig[i]), int(r.orig[(i+1)%len(r.orig)])
	a, b = min(a, b), max(a, b)
	if last := int(slices.Max(r.orig)); a == 0 && b == last {
		a, b = last, r.n-1 // the closing edge, to the repeated first position
	}
	return fmt.Sprintf("between positions %d and %d", a, b)
}

// reverse winds the ring the other way, keeping its first position first.
func (r *ringIn) reverse() {
	slices.Reverse(r.pos[1:])
	slices.Reverse(r.orig[1:])
	slices.Reverse(r.pts[1:])
}

func buildAreas(kind Kind, polys [][][]Position, region Rect) (*Footprint, error) {
	if err := validRegion(region); err != nil {
		return nil, err
	}
	if len(polys) == 0 {
		return nil, errorf(ErrSyntax, "coordinates", "a MultiPolygon needs at least one polygon")
	}
	var rings []*ringIn
	total := 0
	for p, poly := range polys {
		part := p
		if kind == Polygon {
			part = -1
		}
		if len(poly) == 0 {
			path := "coordinates"
			if part >= 0 {
				path = coordPath(part)
			}
			return nil, errorf(ErrSyntax, path, "a polygon needs at least its outer ring")
		}
		for ri, ring := range poly {
			total += len(ring)
			r := &ringIn{part: part, ring: ri}
			if total > MaxVertices {
				return nil, errorf(ErrTooLarge, r.path(), fmt.Sprintf("more than the %d positions a geometry may have", MaxVertices))
			}
			if err := cleanRing(r, ring, region); err != nil {
				return nil, err
			}
			rings = append(rings, r)
		}
	}
	es := edgeSet{}
	for k, r := range rings {
		r.pts = appendPoints(nil, r.pos)
		base := int32(len(es.pts))
		es.pos = append(es.pos, r.pos...)
		es.pts = append(es.pts, r.pts...)
		n := int32(len(r.pts))
		for i := int32(0); i < n; i++ {
			es.edges = append(es.edges, edge{a: base + i, b: base + (i+1)%n, ring: int32(k), i: i})
		}
	}
	es.bound()
	if err := es.crossings(rings); err != nil {
		return nil, err
	}
	if err := orient(rings); err != nil {
		return nil, err
	}
	if err := overlaps(rings); err != nil {
		return nil, err
	}
	// Orienting reversed some rings: number the edges again, as they are now.
	es = edgeSet{}
	for k, r := range rings {
		base := int32(len(es.pts))
		es.pos = append(es.pos, r.pos...)
		es.pts = append(es.pts, r.pts...)
		n := int32(len(r.pts))
		for i := int32(0); i < n; i++ {
			es.edges = append(es.edges, edge{a: base + i, b: base + (i+1)%n, ring: int32(k), i: i})
		}
	}
	es.bound()
	name := func(e int) (string, string) {
		ed := es.edges[e]
		return rings[ed.ring].path(), "its edge " + rings[ed.ring].edgeName(int(ed.i))
	}
	if err := es.withinRegion(region, 0, name); err != nil {
		return nil, err
	}
	f := &Footprint{kind: kind}
	for k, r := range rings {
		if k > 0 && r.ring == 0 {
			f.parts = append(f.parts, int32(k))
		}
		f.pos = append(f.pos, r.pos...)
		f.rings = append(f.rings, int32(len(f.pos)))
	}
	f.parts = append(f.parts, int32(len(rings)))
	f.finish(es.pts, es)
	return f, nil
}

func cleanRing(r *ringIn, ring []Position, region Rect) error {
	for i, p := range ring {
		if err := checkPosition(r.pathAt(i), p, region); err != nil {
			return err
		}
	}
	if len(ring) < 4 {
		return errorf(ErrRing, r.path(), fmt.Sprintf("a ring needs at least 4 positions (3 corners, then the first again to close it); this one has %d", len(ring)))
	}
	if ring[0] != ring[len(ring)-1] {
		return errorf(ErrRing, r.pathAt(len(ring)-1), fmt.Sprintf("the ring is not closed: its last position %v is not its first %v", ring[len(ring)-1], ring[0]))
	}
	r.cleaned = dedupe(ring, true)
	n := len(r.pos)
	if n < 3 {
		return errorf(ErrRing, r.path(), fmt.Sprintf("the ring has %d distinct positions; it needs at least 3", n))
	}
	for i := range n {
		if r.pos[(i+n-1)%n] == r.pos[(i+1)%n] {
			return errorf(ErrRing, r.pathAt(int(r.orig[i])), "the ring folds back on itself here: it leaves along the edge it arrived by")
		}
	}
	return nil
}

// orient winds every ring counterclockwise (s2's convention: interior on the
// left), checks that holes lie in their shell and not in one another, and that
// each polygon encloses some area; then winds holes clockwise for storage, as
// RFC 7946 asks, which keeps the interior on the left of every ring.
func orient(rings []*ringIn) error {
	for _, r := range rings {
		r.loop = s2.LoopFromPoints(r.pts)
		// Inside a region narrower than a hemisphere, a ring's inside is the
		// side smaller than a hemisphere: a ring whose left side is larger is
		// wound the other way.
		if !r.loop.IsNormalized() {
			r.reverse()
			r.loop = s2.LoopFromPoints(r.pts)
		}
	}
	for lo := 0; lo < len(rings); {
		hi := lo + 1
		for hi < len(rings) && rings[hi].ring != 0 {
			hi++
		}
		shell := rings[lo]
		area := shell.loop.Area()
		for h := lo + 1; h < hi; h++ {
			hole := rings[h]
			if !shell.loop.ContainsPoint(hole.pts[0]) {
				return errorf(ErrHole, hole.path(), fmt.Sprintf("the hole lies outside its polygon's outer ring %s", shell.path()))
			}
			for g := lo + 1; g < hi; g++ {
				if g != h && rings[g].loop.RectBound().ContainsPoint(hole.pts[0]) && rings[g].loop.ContainsPoint(hole.pts[0]) {
					return errorf(ErrHole, hole.path(), fmt.Sprintf("the hole lies inside another hole, %s", rings[g].path()))
				}
			}
			area -= hole.loop.Area()
		}
		if m2 := area * EarthRadius * EarthRadius; m2 < MinArea {
			path := "coordinates"
			if shell.part >= 0 {
				path = coordPath(shell.part)
			}
			return errorf(ErrArea, path, fmt.Sprintf("the polygon encloses %.3g m², less than %g m²: do its positions lie on one line?", m2, MinArea))
		}
		for h := lo + 1; h < hi; h++ {
			// The hole's loop keeps its counterclockwise points for the
			// containment tests of overlaps: reverse a copy.
			r := rings[h]
			r.pts = slices.Clone(r.pts)
			r.reverse()
		}
		lo = hi
	}
	return nil
}

// overlaps checks that no part of a MultiPolygon lies inside another. Parts
// whose edges cross or touch were refused already, so one vertex of a part
// tells where all of it is.
func overlaps(rings []*ringIn) error {
	type part struct{ lo, hi int }
	var parts []part
	for k, r := range rings {
		if r.ring == 0 {
			parts = append(parts, part{k, k + 1})
		} else {
			parts[len(parts)-1].hi = k + 1
		}
	}
	if len(parts) < 2 {
		return nil
	}
	for i, pi := range parts {
		shell := rings[pi.lo]
		bound := shell.loop.RectBound()
		for j, pj := range parts {
			v := rings[pj.lo].pts[0]
			if i == j || !bound.ContainsPoint(v) || !shell.loop.ContainsPoint(v) {
				continue
			}
			inHole := false
			for h := pi.lo + 1; h < pi.hi; h++ {
				// Holes are wound clockwise by now; their loops are not.
				if rings[h].loop.ContainsPoint(v) {
					inHole = true
					break
				}
			}
			if !inHole {
				return errorf(ErrOverlap, "coordinates", fmt.Sprintf("part %d lies inside part %d: the parts of a MultiPolygon must not overlap", j, i))
			}
		}
	}
	return nil
}

// An edge of a shape being built: vertex indexes into edgeSet.pts, the ring
// it belongs to and its index there, and (after bound) its lat/lng bounds.
type edge struct {
	a, b    int32
	ring, i int32
	latLo   float64 // radians, conservative
	latHi   float64
	lngLo   float64 // degrees: exact, the ends' longitudes
	lngHi   float64
}

type edgeSet struct {
	pos   []Position // the degrees pts were made from
	pts   []s2.Point
	edges []edge
}

// bound computes each edge's bounds. A geodesic edge between points of a
// region narrower than 180° spans exactly the longitudes between its ends; its
// latitude can exceed both ends' (it bows towards the pole), which s2's
// RectBounder computes, conservatively.
func (es *edgeSet) bound() {
	for k := range es.edges {
		e := &es.edges[k]
		rb := s2.NewRectBounder()
		rb.AddPoint(es.pts[e.a])
		rb.AddPoint(es.pts[e.b])
		lat := rb.RectBound().Lat
		e.latLo, e.latHi = lat.Lo, lat.Hi
		la, lb := es.pos[e.a].Lng, es.pos[e.b].Lng
		e.lngLo, e.lngHi = math.Min(la, lb)-rectMargin, math.Max(la, lb)+rectMargin
	}
}

// crossings refuses any two edges that cross or touch, other than the two
// edges of a ring that meet at a vertex. It sweeps the edges by longitude and
// tests with s2's exact CrossingSign only the pairs whose bounds meet.
func (es *edgeSet) crossings(rings []*ringIn) error {
	order := make([]int32, len(es.edges))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return cmp.Compare(es.edges[x].lngLo, es.edges[y].lngLo) })
	var active []int32
	for _, k := range order {
		e := &es.edges[k]
		keep := active[:0]
		for _, j := range active {
			if es.edges[j].lngHi >= e.lngLo {
				keep = append(keep, j)
			}
		}
		active = keep
		for _, j := range active {
			o := &es.edges[j]
			if o.latHi < e.latLo || e.latHi < o.latLo || adjacent(e, o, rings) {
				continue
			}
			c := s2.CrossingSign(es.pts[e.a], es.pts[e.b], es.pts[o.a], es.pts[o.b])
			if c == s2.DoNotCross {
				continue
			}
			return crossingError(e, o, c, rings)
		}
		active = append(active, k)
	}
	return nil
}

func adjacent(e, o *edge, rings []*ringIn) bool {
	if e.ring != o.ring {
		return false
	}
	n := int32(len(rings[e.ring].pos))
	return (e.i+1)%n == o.i || (o.i+1)%n == e.i
}

func crossingError(e, o *edge, c s2.Crossing, rings []*ringIn) error {
	if rings[o.ring].ring < rings[e.ring].ring || o.ring < e.ring || (o.ring == e.ring && o.i < e.i) {
		e, o = o, e
	}
	re, ro := rings[e.ring], rings[o.ring]
	verb := "crosses"
	if c == s2.MaybeCross {
		verb = "touches"
	}
	if e.ring == o.ring {
		return errorf(ErrSelfIntersection, re.path(), fmt.Sprintf("the ring crosses itself: its edge %s %s its edge %s", re.edgeName(int(e.i)), verb, re.edgeName(int(o.i))))
	}
	what := fmt.Sprintf("the edge of %s %s %s the edge of %s %s", re.path(), re.edgeName(int(e.i)), verb, ro.path(), ro.edgeName(int(o.i)))
	if re.part != ro.part {
		return errorf(ErrOverlap, "coordinates", fmt.Sprintf("parts %d and %d overlap or touch: %s", re.part, ro.part, what))
	}
	kind := "a hole crosses or touches its outer ring"
	if re.ring != 0 {
		kind = "two holes cross or touch"
	}
	return errorf(ErrSelfIntersection, re.path(), kind+": "+what)
}

// withinRegion checks that every point within radius metres of the shape lies
// in region. The vertices were checked to lie in it already. Beyond a latitude
// edge means beyond a parallel: the distance to it is the difference of
// latitudes. Beyond a longitude edge means across a meridian, a great circle:
// s2 gives the distance to it exactly.
func (es *edgeSet) withinRegion(region Rect, radius float64, name func(e int) (path, what string)) error {
	const deg = math.Pi / 180
	limit := radius - RegionTolerance
	for k, e := range es.edges {
		north := (region.LatHi*deg - e.latHi) * EarthRadius
		south := (e.latLo - region.LatLo*deg) * EarthRadius
		if north < limit {
			return regionError(name, k, radius, radius-north, "northern", "latitude", region.LatHi)
		}
		if south < limit {
			return regionError(name, k, radius, radius-south, "southern", "latitude", region.LatLo)
		}
	}
	if radius == 0 {
		return nil
	}
	for _, side := range []struct {
		name string
		lng  float64
	}{{"eastern", region.LngHi}, {"western", region.LngLo}} {
		s := s2.PointFromCoords(0, 0, -1)
		eq := s2.PointFromLatLng(s2.LatLngFromDegrees(0, side.lng))
		n := s2.PointFromCoords(0, 0, 1)
		for k, e := range es.edges {
			d := edgePairDistance(es.pts[e.a], es.pts[e.b], s, eq)
			d = math.Min(d, edgePairDistance(es.pts[e.a], es.pts[e.b], eq, n))
			if m := d * EarthRadius; m < limit {
				return regionError(name, k, radius, radius-m, side.name, "longitude", side.lng)
			}
		}
	}
	return nil
}

func regionError(name func(int) (string, string), e int, radius, beyond float64, side, coord string, v float64) error {
	path, what := name(e)
	with := "edges are geodesics, which bow towards the pole"
	if radius > 0 {
		with = fmt.Sprintf("with a radius of %g m", radius)
	}
	return errorf(ErrRegion, path, fmt.Sprintf("%s reaches %.3f m beyond the region's %s edge (%s %g): %s", what, beyond, side, coord, v, with))
}

// edgePairDistance is the distance in radians between edges a0a1 and b0b1,
// built from s2's exact crossing test and its point-to-edge distance.
func edgePairDistance(a0, a1, b0, b1 s2.Point) float64 {
	if s2.CrossingSign(a0, a1, b0, b1) == s2.Cross {
		return 0
	}
	d := s2.ChordAngleBetweenPoints(a0, b0) // an upper bound to start from
	d, _ = s2.UpdateMinDistance(a0, b0, b1, d)
	d, _ = s2.UpdateMinDistance(a1, b0, b1, d)
	d, _ = s2.UpdateMinDistance(b0, a0, a1, d)
	d, _ = s2.UpdateMinDistance(b1, a0, a1, d)
	return float64(d.Angle())
}

// finish sets what a footprint derives from its points: its bounds and cap.
func (f *Footprint) finish(pts []s2.Point, es edgeSet) {
	b := Rect{LatLo: 90, LatHi: -90, LngLo: 180, LngHi: -180}
	for _, p := range f.pos {
		b.LatLo, b.LatHi = math.Min(b.LatLo, p.Lat), math.Max(b.LatHi, p.Lat)
		b.LngLo, b.LngHi = math.Min(b.LngLo, p.Lng), math.Max(b.LngHi, p.Lng)
	}
	for _, e := range es.edges {
		b.LatLo = math.Min(b.LatLo, e.latLo*180/math.Pi)
		b.LatHi = math.Max(b.LatHi, e.latHi*180/math.Pi)
	}
	b = Rect{LatLo: b.LatLo - rectMargin, LatHi: b.LatHi + rectMargin, LngLo: b.LngLo - rectMargin, LngHi: b.LngHi + rectMargin}
	f.bounds = b.Expand(f.radius)
	f.setCap(pts)
}
