package geo

import (
	"fmt"
	"math"
	"testing"

	"github.com/golang/geo/s2"
)

// offset returns the position d metres from p at bearing az (degrees from
// north), on the sphere, by the standard destination formula (not s2).
func offset(p Position, az, d float64) Position {
	const deg = math.Pi / 180
	phi1, l1, th, del := p.Lat*deg, p.Lng*deg, az*deg, d/EarthRadius
	phi2 := math.Asin(math.Sin(phi1)*math.Cos(del) + math.Cos(phi1)*math.Sin(del)*math.Cos(th))
	l2 := l1 + math.Atan2(math.Sin(th)*math.Sin(del)*math.Cos(phi1), math.Cos(del)-math.Sin(phi1)*math.Sin(phi2))
	return Position{Lng: l2 / deg, Lat: phi2 / deg}
}

func pt(t testing.TB, lng, lat, radius float64) *Footprint {
	t.Helper()
	f, err := NewPoint(Position{lng, lat}, radius, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func line(t testing.TB, width float64, ps ...Position) *Footprint {
	t.Helper()
	f, err := NewLineString(ps, width, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func poly(t testing.TB, rings ...[]Position) *Footprint {
	t.Helper()
	f, err := NewPolygon(rings, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// box is the closed ring of a lat/lng rectangle, counterclockwise.
func box(lng0, lat0, lng1, lat1 float64) []Position {
	return []Position{{lng0, lat0}, {lng1, lat0}, {lng1, lat1}, {lng0, lat1}, {lng0, lat0}}
}

// disc is a closed ring of n positions at distance r around c.
func disc(c Position, r float64, n int) []Position {
	ps := make([]Position, n+1)
	for i := range n {
		ps[i] = offset(c, 360*float64(i)/float64(n), r)
	}
	ps[n] = ps[0]
	return ps
}

func TestIntersectsCases(t *testing.T) {
	a := poly(t, box(35.5, 33, 35.6, 33.1))
	holed := poly(t, box(35.5, 33, 35.6, 33.1), []Position{{35.52, 33.02}, {35.52, 33.08}, {35.58, 33.08}, {35.58, 33.02}, {35.52, 33.02}})
	for _, tc := range []struct {
		name   string
		a, b   *Footprint
		buffer float64
		want   bool
	}{
		{"shared edge", a, poly(t, box(35.6, 33, 35.7, 33.1)), 0, true},
		{"shared vertex", a, poly(t, box(35.6, 33.1, 35.7, 33.2)), 0, true},
		{"vertex on a meridian edge", a, poly(t, []Position{{35.6, 33.05}, {35.7, 33.0}, {35.7, 33.1}, {35.6, 33.05}}), 0, true},
		{"overlapping", a, poly(t, box(35.55, 33.05, 35.65, 33.15)), 0, true},
		{"polygon inside polygon", a, poly(t, box(35.52, 33.02, 35.58, 33.08)), 0, true},
		{"polygon around polygon", poly(t, box(35.52, 33.02, 35.58, 33.08)), a, 0, true},
		{"point inside polygon", a, pt(t, 35.55, 33.05, 1), 0, true},
		{"polygon inside a point's circle", a, pt(t, 35.55, 33.05, 50_000), 0, true},
		{"point in a hole", holed, pt(t, 35.55, 33.05, 1), 0, false},
		{"point in a hole, reaching its edge", holed, pt(t, 35.55, 33.05, 3000), 0, true},
		{"polygon in a hole", holed, poly(t, box(35.54, 33.04, 35.56, 33.06)), 0, false},
		{"line through a hole", holed, line(t, 1, Position{35.55, 33.04}, Position{35.55, 33.06}), 0, false},
		{"line crossing a hole's edge", holed, line(t, 1, Position{35.55, 33.05}, Position{35.55, 33.09}), 0, true},
		{"disjoint", a, poly(t, box(35.7, 33, 35.8, 33.1)), 0, false},
		{"disjoint, within the buffer", a, poly(t, box(35.7, 33, 35.8, 33.1)), 10_000, true},
		{"crossing lines", line(t, 1, Position{35.5, 33}, Position{35.6, 33.1}), line(t, 1, Position{35.5, 33.1}, Position{35.6, 33}), 0, true},
		{"same point", pt(t, 35.5, 33, 1), pt(t, 35.5, 33, 1), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Intersects(tc.a, tc.b, tc.buffer); got != tc.want {
				t.Errorf("Intersects = %v, want %v (Distance %.3f m)", got, tc.want, Distance(tc.a, tc.b))
			}
			if got := Intersects(tc.b, tc.a, tc.buffer); got != tc.want {
				t.Errorf("Intersects(b, a) = %v, want %v", got, tc.want)
			}
			if d := Distance(tc.a, tc.b); (d <= tc.buffer) != tc.want {
				t.Errorf("Distance = %.3f m, disagrees with Intersects", d)
			}
		})
	}
}

// meridianDistance is the distance in metres from p to the meridian lng, by
// spherical trigonometry: asin(cos(lat) sin(dlng)).
func meridianDistance(p Position, lng float64) float64 {
	const deg = math.Pi / 180
	return math.Asin(math.Cos(p.Lat*deg)*math.Sin(math.Abs(p.Lng-lng)*deg)) * EarthRadius
}

func TestCorridorWidth(t *testing.T) {
	// A route along the meridian 35.5 (a geodesic), and a site east of it.
	route := []Position{{35.5, 32.8}, {35.5, 33.2}}
	site := Position{35.53, 33}
	d := meridianDistance(site, 35.5) // about 2.8 km
	for _, siteRadius := range []float64{0, 500} {
		for _, delta := range []float64{-3, -0.01, 0.01, 3} {
			// The corridor's half-width plus the site's radius is d+delta.
			width := 2 * (d + delta - siteRadius)
			var b *Footprint
			if siteRadius == 0 {
				b = poly(t, []Position{site, {site.Lng + 0.01, site.Lat - 0.01}, {site.Lng + 0.01, site.Lat + 0.01}, site})
			} else {
				b = pt(t, site.Lng, site.Lat, siteRadius)
			}
			a := line(t, width, route...)
			if got, want := Intersects(a, b, 0), delta >= 0; got != want {
				t.Errorf("site radius %g, width/2 + radius = d%+g m: Intersects = %v, want %v", siteRadius, delta, got, want)
			}
			// The same with the margin given as a buffer instead.
			a = line(t, 2*(d-siteRadius-10), route...)
			if got, want := Intersects(a, b, 10+delta), delta >= 0; got != want {
				t.Errorf("site radius %g, buffer 10%+g m: Intersects = %v, want %v", siteRadius, delta, got, want)
			}
		}
	}
	if got := Distance(line(t, 1000, route...), pt(t, site.Lng, site.Lat, 1)); math.Abs(got-(d-501)) > 1e-6 {
		t.Errorf("Distance = %.9f m, want %.9f", got, d-501)
	}
}

func TestGeodesicEdges(t *testing.T) {
	// The north edge of this polygon runs between two points of latitude
	// 33.5: as a geodesic it bows about 285 m north of the parallel.
	a := poly(t, []Position{{35.2, 33.3}, {36.8, 33.3}, {36.8, 33.5}, {35.2, 33.5}, {35.2, 33.3}})
	north := func(m float64) *Footprint {
		p := offset(Position{36, 33.5}, 0, m)
		return pt(t, p.Lng, p.Lat, 1)
	}
	if !Intersects(a, north(200), 0) {
		t.Errorf("a point 200 m north of the parallel is inside the geodesic edge, so intersects (Distance %.1f m)", Distance(a, north(200)))
	}
	if Intersects(a, north(400), 0) {
		t.Errorf("a point 400 m north of the parallel is outside")
	}
	if d := Distance(a, north(400)); d < 100 || d > 130 {
		t.Errorf("Distance to the point 400 m north = %.1f m, want about 400-285-1", d)
	}
}

func TestTouchingWithoutBuffer(t *testing.T) {
	// Many pairs of boxes sharing an edge or a corner, at every fraction of a
	// degree: rounding must never separate them.
	for i := range 200 {
		x := 35.1 + float64(i)*0.0071
		y := 32.1 + float64(i)*0.009
		a := poly(t, box(x, y, x+0.013, y+0.011))
		for _, b := range []*Footprint{
			poly(t, box(x+0.013, y, x+0.02, y+0.011)),                                  // east, shared edge
			poly(t, box(x, y+0.011, x+0.013, y+0.02)),                                  // north, shared edge (a geodesic, both ways)
			poly(t, box(x+0.013, y+0.011, x+0.02, y+0.02)),                             // corner
			line(t, 1e-3, Position{x + 0.013, y + 0.011}, Position{x + 0.1, y + 0.05}), // from a corner
		} {
			if !Intersects(a, b, 0) {
				t.Fatalf("touching footprints do not intersect: %s and %s, Distance %g", a.GeoJSON(), b.GeoJSON(), Distance(a, b))
			}
		}
	}
}

// TestBigShapesAgainstBruteForce checks the path through s2's ShapeIndex
// (footprints of more than bigEdges edges) against testing every pair of
// edges. It fails with s2's MinDistanceToShapeIndexTarget, whose bounding cap
// is the antipode of the right one (golang/geo issue 293).
func TestBigShapesAgainstBruteForce(t *testing.T) {
	c := Position{36, 33}
	big := poly(t, disc(c, 5000, 200))
	bigLine := line(t, 10, disc(c, 3000, 100)[:60]...)
	for _, tc := range []struct {
		name string
		b    *Footprint
	}{
		{"small polygon", poly(t, disc(offset(c, 45, 5600), 400, 12))},
		{"big polygon", poly(t, disc(offset(c, 45, 10_300), 5000, 150))},
		{"point", pt(t, offset(c, 100, 5300).Lng, offset(c, 100, 5300).Lat, 1)},
		{"big line", bigLine},
		{"nested big polygon", poly(t, disc(c, 4000, 100))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := big
			pa, pb := appendPoints(nil, a.pos), appendPoints(nil, tc.b.pos)
			var brute float64
			if smallContained(a, pa, tc.b, pb) {
				brute = 0
			} else {
				brute = float64(boundaryDistance(a, pa, tc.b, pb).Angle()) * EarthRadius
			}
			got := shapeDistance(a, tc.b) * EarthRadius
			if math.Abs(got-brute) > 1e-6 {
				t.Fatalf("distance through the index %.9f m, by brute force %.9f m", got, brute)
			}
			for _, delta := range []float64{-1, 1} {
				limit := brute - a.radius - tc.b.radius + delta
				if limit < 0 {
					continue
				}
				if got, want := Intersects(a, tc.b, limit), delta > 0; got != want {
					t.Errorf("Intersects with buffer distance%+g = %v, want %v", delta, got, want)
				}
			}
		})
	}
}

// smallContained is contained with every containment test done by counting
// crossings, not through an index.
func smallContained(a *Footprint, pa []s2.Point, b *Footprint, pb []s2.Point) bool {
	if b.dim() == 2 {
		for _, v := range pa {
			if containsPointBrute(b, pb, v) {
				return true
			}
		}
	}
	if a.dim() == 2 {
		for _, v := range pb {
			if containsPointBrute(a, pa, v) {
				return true
			}
		}
	}
	return false
}

func ExampleIntersects() {
	region := Rect{LatLo: 32, LatHi: 34, LngLo: 35, LngHi: 37}
	zone, _ := Parse([]byte(`{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33]]]}`), Params{Region: region})
	patrol, _ := Parse([]byte(`{"type":"LineString","coordinates":[[35.7,32.9],[35.7,33.2]]}`), Params{Width: 2000, Region: region})
	fmt.Printf("%.0f m apart\n", Distance(zone, patrol))
	fmt.Println(Intersects(zone, patrol, 0))
	fmt.Println(Intersects(zone, patrol, 9000))
	// Output:
	// 8315 m apart
	// false
	// true
}
