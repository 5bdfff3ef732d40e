package geo_test

import (
	"math"
	"testing"

	"github.com/liaison-cell/liaison/internal/geo"
)

// A shape's centroid is where a single point for it belongs: a square's
// centre, off a hole cut from one side, a line's middle, a point itself.
func TestCentroid(t *testing.T) {
	region := geo.Rect{LatLo: 32, LatHi: 34, LngLo: 35, LngHi: 37}
	for _, tc := range []struct {
		name, geometry string
		radius, width  float64
		lng, lat       float64
	}{
		{"a point", `{"type":"Point","coordinates":[35.8,33.13]}`, 300, 0, 35.8, 33.13},
		{"a square", `{"type":"Polygon","coordinates":[[[35.8,33.0],[35.9,33.0],[35.9,33.1],[35.8,33.1],[35.8,33.0]]]}`, 0, 0, 35.85, 33.05},
		{"a square wound clockwise", `{"type":"Polygon","coordinates":[[[35.8,33.0],[35.8,33.1],[35.9,33.1],[35.9,33.0],[35.8,33.0]]]}`, 0, 0, 35.85, 33.05},
		// The west half's hole moves the centre east.
		{"a square with a hole in its west half", `{"type":"Polygon","coordinates":[[[35.8,33.0],[36.0,33.0],[36.0,33.1],[35.8,33.1],[35.8,33.0]],[[35.82,33.02],[35.88,33.02],[35.88,33.08],[35.82,33.08],[35.82,33.02]]]}`, 0, 0, 35.9110, 33.05},
		{"two squares", `{"type":"MultiPolygon","coordinates":[[[[35.8,33.0],[35.9,33.0],[35.9,33.1],[35.8,33.1],[35.8,33.0]]],[[[36.1,33.0],[36.2,33.0],[36.2,33.1],[36.1,33.1],[36.1,33.0]]]]}`, 0, 0, 36.0, 33.05},
		{"a line", `{"type":"LineString","coordinates":[[35.8,33.0],[36.0,33.0]]}`, 0, 100, 35.9, 33.0},
	} {
		f, err := geo.Parse([]byte(tc.geometry), geo.Params{Radius: tc.radius, Width: tc.width, Region: region})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		c := f.Centroid()
		// A hundredth of a degree's tolerance would hide a wrong hole: a
		// ten-thousandth of one is about ten metres.
		if math.Abs(c.Lng-tc.lng) > 2e-4 || math.Abs(c.Lat-tc.lat) > 2e-4 {
			t.Errorf("%s: centroid %v, want about (%v, %v)", tc.name, c, tc.lng, tc.lat)
		}
	}
}
