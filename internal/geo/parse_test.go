package geo

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testRegion covers the Golan and its surroundings.
var testRegion = Rect{LatLo: 32, LatHi: 34, LngLo: 35, LngHi: 37}

func mustParse(t testing.TB, geom string, p Params) *Footprint {
	t.Helper()
	if p.Region == (Rect{}) {
		p.Region = testRegion
	}
	f, err := Parse([]byte(geom), p)
	if err != nil {
		t.Fatalf("Parse(%s): %v", geom, err)
	}
	return f
}

const square = `{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33]]]}`

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, geom string
		p          Params
		kind       Kind
		vertices   int
	}{
		{"point", `{"type":"Point","coordinates":[35.5,33]}`, Params{Radius: 500}, Point, 1},
		{"line", `{"type":"LineString","coordinates":[[35.5,33],[35.6,33.1]]}`, Params{Width: 200}, LineString, 2},
		{"polygon", square, Params{}, Polygon, 4},
		{"clockwise polygon", `{"type":"Polygon","coordinates":[[[35.5,33],[35.5,33.1],[35.6,33.1],[35.6,33],[35.5,33]]]}`, Params{}, Polygon, 4},
		{"bbox ignored", `{"bbox":[35.5,33,35.6,33.1],"type":"Polygon","coordinates":[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33]]]}`, Params{}, Polygon, 4},
		{"repeated positions dropped", `{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33],[35.5,33]]]}`, Params{}, Polygon, 4},
		{"hole", `{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33]],[[35.52,33.02],[35.52,33.08],[35.58,33.08],[35.52,33.02]]]}`, Params{}, Polygon, 7},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33]]],[[[35.7,33],[35.8,33],[35.8,33.1],[35.7,33]]]]}`, Params{}, MultiPolygon, 7},
		{"island in a hole", `{"type":"MultiPolygon","coordinates":[[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33]],[[35.51,33.01],[35.51,33.09],[35.59,33.09],[35.59,33.01],[35.51,33.01]]],[[[35.53,33.03],[35.57,33.03],[35.57,33.07],[35.53,33.03]]]]}`, Params{}, MultiPolygon, 11},
		{"on the region's edge", `{"type":"Polygon","coordinates":[[[35,32],[35.1,32],[35.1,32.1],[35,32]]]}`, Params{}, Polygon, 3},
		{"whitespace and exponents", "{ \"type\" : \"Point\" ,\n \"coordinates\" : [ 3.55e1 , 330E-1 ] }", Params{Radius: 1}, Point, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, tc.geom, tc.p)
			if f.Kind() != tc.kind || f.NumVertices() != tc.vertices {
				t.Errorf("got %v with %d vertices, want %v with %d", f.Kind(), f.NumVertices(), tc.kind, tc.vertices)
			}
			g, err := Parse(f.GeoJSON(), Params{Radius: tc.p.Radius, Width: tc.p.Width, Region: testRegion})
			if err != nil {
				t.Fatalf("canonical form %s does not parse: %v", f.GeoJSON(), err)
			}
			if !g.Equal(f) {
				t.Errorf("canonical form %s parses to another footprint", f.GeoJSON())
			}
		})
	}
}

func TestParseCanonicalWinding(t *testing.T) {
	cw := mustParse(t, `{"type":"Polygon","coordinates":[[[35.5,33],[35.5,33.1],[35.6,33.1],[35.6,33],[35.5,33]],[[35.52,33.02],[35.58,33.08],[35.52,33.08],[35.52,33.02]]]}`, Params{})
	want := `{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33]],[[35.52,33.02],[35.52,33.08],[35.58,33.08],[35.52,33.02]]]}`
	if got := string(cw.GeoJSON()); got != want {
		t.Errorf("canonical form\n got %s\nwant %s (shell counterclockwise, hole clockwise)", got, want)
	}
}

func TestParseRefuses(t *testing.T) {
	ring := func(ps ...string) string { return "[" + strings.Join(ps, ",") + "]" }
	poly := func(rings ...string) string {
		return `{"type":"Polygon","coordinates":[` + strings.Join(rings, ",") + `]}`
	}
	shell := ring("[35.5,33]", "[35.6,33]", "[35.6,33.1]", "[35.5,33.1]", "[35.5,33]")
	many := make([]string, MaxVertices+1)
	for i := range many {
		many[i] = fmt.Sprintf("[35.5,%g]", 32+float64(i)*1e-4)
	}
	for _, tc := range []struct {
		name, geom string
		p          Params
		kind       error
		path       string
		reason     string // a part of the message
	}{
		{"not JSON", `{"type":`, Params{}, ErrSyntax, "type", "ends too soon"},
		{"not JSON at all", `nope`, Params{}, ErrSyntax, "", "not valid JSON"},
		{"not an object", `[1,2]`, Params{}, ErrSyntax, "", "object"},
		{"trailing data", square + `{}`, Params{}, ErrSyntax, "", "after"},
		{"unknown member", `{"type":"Point","coordinates":[35.5,33],"crs":{}}`, Params{Radius: 1}, ErrSyntax, "crs", "unknown member"},
		{"case-folded member", `{"Type":"Point","coordinates":[35.5,33]}`, Params{Radius: 1}, ErrSyntax, "Type", "unknown member"},
		{"duplicate member", `{"type":"Point","type":"Point","coordinates":[35.5,33]}`, Params{Radius: 1}, ErrSyntax, "type", "twice"},
		{"no type", `{"coordinates":[35.5,33]}`, Params{Radius: 1}, ErrSyntax, "type", "missing"},
		{"no coordinates", `{"type":"Point"}`, Params{Radius: 1}, ErrSyntax, "coordinates", "missing"},
		{"geometry collection", `{"type":"GeometryCollection","geometries":[]}`, Params{}, ErrSyntax, "geometries", "unknown member"},
		{"geometry collection type", `{"type":"GeometryCollection","coordinates":[]}`, Params{}, ErrSyntax, "type", "GeometryCollection"},
		{"multipoint", `{"type":"MultiPoint","coordinates":[]}`, Params{}, ErrSyntax, "type", "not accepted"},
		{"lowercase type", `{"type":"point","coordinates":[35.5,33]}`, Params{Radius: 1}, ErrSyntax, "type", "case-sensitive"},
		{"bad bbox", `{"type":"Point","coordinates":[35.5,33],"bbox":"x"}`, Params{Radius: 1}, ErrSyntax, "bbox", "numbers"},
		{"altitude", `{"type":"Point","coordinates":[35.5,33,1200]}`, Params{Radius: 1}, ErrCoordinate, "coordinates", "altitudes"},
		{"one number", `{"type":"Point","coordinates":[35.5]}`, Params{Radius: 1}, ErrCoordinate, "coordinates", "two numbers"},
		{"string coordinate", poly(ring("[35.5,33]", `[35.6,"33"]`, "[35.6,33.1]", "[35.5,33]")), Params{}, ErrCoordinate, "coordinates[0][1][1]", "not a number"},
		{"null coordinate", `{"type":"Point","coordinates":[null,33]}`, Params{Radius: 1}, ErrCoordinate, "coordinates[0]", "not a number"},
		{"huge number", `{"type":"Point","coordinates":[1e999,33]}`, Params{Radius: 1}, ErrCoordinate, "coordinates[0]", "finite"},
		{"longitude out of range", `{"type":"Point","coordinates":[181,33]}`, Params{Radius: 1}, ErrCoordinate, "coordinates", "longitude 181"},
		{"latitude out of range", `{"type":"Point","coordinates":[35,91]}`, Params{Radius: 1}, ErrCoordinate, "coordinates", "latitude 91"},
		{"wrong nesting", `{"type":"Polygon","coordinates":[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33]]}`, Params{}, ErrSyntax, "coordinates[0][0]", "position is an array"},
		{"unclosed ring", poly(ring("[35.5,33]", "[35.6,33]", "[35.6,33.1]", "[35.5,33.1]")), Params{}, ErrRing, "coordinates[0][3]", "not closed"},
		{"three positions", poly(ring("[35.5,33]", "[35.6,33]", "[35.5,33]")), Params{}, ErrRing, "coordinates[0]", "at least 4 positions"},
		{"two distinct positions", poly(ring("[35.5,33]", "[35.6,33]", "[35.6,33]", "[35.5,33]")), Params{}, ErrRing, "coordinates[0]", "2 distinct positions"},
		{"folds back", poly(ring("[35.5,33]", "[35.6,33]", "[35.6,33.1]", "[35.6,33]", "[35.5,33.1]", "[35.5,33]")), Params{}, ErrRing, "coordinates[0][2]", "folds back"},
		{"bow tie", poly(ring("[35.5,33]", "[35.6,33.1]", "[35.6,33]", "[35.5,33.1]", "[35.5,33]")), Params{}, ErrSelfIntersection, "coordinates[0]", "edge between positions 0 and 1 crosses its edge between positions 2 and 3"},
		{"ring touching itself", poly(ring("[35.5,33]", "[35.6,33]", "[35.55,33.05]", "[35.6,33.1]", "[35.5,33.1]", "[35.55,33.05]", "[35.5,33]")), Params{}, ErrSelfIntersection, "coordinates[0]", "touches"},
		{"hole outside", poly(shell, ring("[35.7,33]", "[35.8,33]", "[35.8,33.1]", "[35.7,33]")), Params{}, ErrHole, "coordinates[1]", "outside"},
		{"hole crossing its shell", poly(shell, ring("[35.55,33.05]", "[35.65,33.05]", "[35.65,33.06]", "[35.55,33.05]")), Params{}, ErrSelfIntersection, "coordinates[0]", "hole crosses or touches its outer ring"},
		{"hole in a hole", poly(shell, ring("[35.51,33.01]", "[35.59,33.01]", "[35.59,33.09]", "[35.51,33.09]", "[35.51,33.01]"), ring("[35.52,33.02]", "[35.58,33.02]", "[35.58,33.08]", "[35.52,33.02]")), Params{}, ErrHole, "coordinates[2]", "inside another hole, coordinates[1]"},
		{"overlapping parts", `{"type":"MultiPolygon","coordinates":[[` + shell + `],[[[35.55,33.05],[35.65,33.05],[35.65,33.15],[35.55,33.05]]]]}`, Params{}, ErrOverlap, "coordinates", "parts 0 and 1 overlap"},
		{"nested parts", `{"type":"MultiPolygon","coordinates":[[` + shell + `],[[[35.52,33.02],[35.58,33.02],[35.58,33.08],[35.52,33.02]]]]}`, Params{}, ErrOverlap, "coordinates", "part 1 lies inside part 0"},
		{"touching parts", `{"type":"MultiPolygon","coordinates":[[` + shell + `],[[[35.6,33],[35.7,33],[35.7,33.1],[35.6,33.1],[35.6,33]]]]}`, Params{}, ErrOverlap, "coordinates", "touch"},
		{"zero area", poly(ring("[35.5,33]", "[35.5,33.05]", "[35.5,33.1]", "[35.5,33]")), Params{}, ErrArea, "coordinates", "m²"},
		{"too many positions", `{"type":"LineString","coordinates":[` + strings.Join(many, ",") + `]}`, Params{Width: 10}, ErrTooLarge, "coordinates[10000]", "10000"},
		{"outside the region", `{"type":"Point","coordinates":[38,33]}`, Params{Radius: 1}, ErrRegion, "coordinates", "outside the region"},
		{"larger than the region", poly(ring("[34,31]", "[38,31]", "[38,35]", "[34,35]", "[34,31]")), Params{}, ErrRegion, "coordinates[0][0]", "outside the region"},
		{"radius beyond the region", `{"type":"Point","coordinates":[36,33.99]}`, Params{Radius: 2000}, ErrRegion, "coordinates", "northern edge"},
		{"radius beyond a meridian", `{"type":"Point","coordinates":[36.99,33]}`, Params{Radius: 2000}, ErrRegion, "coordinates", "eastern edge"},
		{"corridor beyond the region", `{"type":"LineString","coordinates":[[35.5,33],[35.01,32.5]]}`, Params{Width: 4000}, ErrRegion, "coordinates[0]", "western edge"},
		{"edge bowing out of the region", poly(ring("[35,33.9999]", "[37,33.9999]", "[37,33.5]", "[35,33.9999]")), Params{}, ErrRegion, "coordinates[0]", "northern edge"},
		{"point without radius", `{"type":"Point","coordinates":[35.5,33]}`, Params{}, ErrRadius, "radius_m", "needs a radius_m"},
		{"point with width", `{"type":"Point","coordinates":[35.5,33]}`, Params{Radius: 1, Width: 1}, ErrRadius, "width_m", "not a width_m"},
		{"line without width", `{"type":"LineString","coordinates":[[35.5,33],[35.6,33]]}`, Params{}, ErrRadius, "width_m", "needs a width_m"},
		{"line with radius", `{"type":"LineString","coordinates":[[35.5,33],[35.6,33]]}`, Params{Width: 1, Radius: 1}, ErrRadius, "radius_m", "not a radius_m"},
		{"polygon with radius", square, Params{Radius: 100}, ErrRadius, "radius_m", "no radius_m"},
		{"negative radius", `{"type":"Point","coordinates":[35.5,33]}`, Params{Radius: -5}, ErrRadius, "radius_m", "more than 0"},
		{"radius too large", `{"type":"Point","coordinates":[35.5,33]}`, Params{Radius: 600_000}, ErrRadius, "radius_m", "most allowed"},
		{"line of one point", `{"type":"LineString","coordinates":[[35.5,33],[35.5,33]]}`, Params{Width: 10}, ErrRing, "coordinates", "same point"},
		{"no region", `{"type":"Point","coordinates":[35.5,33]}`, Params{Radius: 1, Region: Rect{LatLo: 1, LatHi: 1, LngLo: 1, LngHi: 1}}, ErrRegion, "", "empty"},
		{"region too wide", `{"type":"Point","coordinates":[35.5,33]}`, Params{Radius: 1, Region: Rect{LatLo: 0, LatHi: 40, LngLo: -100, LngHi: 100}}, ErrRegion, "", "180"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			if p.Region == (Rect{}) {
				p.Region = testRegion
			}
			f, err := Parse([]byte(tc.geom), p)
			if err == nil {
				t.Fatalf("accepted: %s", f.GeoJSON())
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if !errors.Is(err, tc.kind) || e.Path != tc.path || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("got %v (%v, path %q)\nwant %v at %q with %q", err, e.Err, e.Path, tc.kind, tc.path, tc.reason)
			}
		})
	}
}
