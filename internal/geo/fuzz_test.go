package geo

import (
	"math"
	"testing"
)

// FuzzParse feeds Parse arbitrary geometries, radii and widths. It must never
// panic, and whatever it accepts must render to a canonical GeoJSON that parses
// back to the same footprint, inside the same region.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		square,
		`{"type":"Point","coordinates":[35.5,33]}`,
		`{"type":"LineString","coordinates":[[35.5,33],[35.6,33.1],[35.5,33]]}`,
		`{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33]],[[35.52,33.02],[35.52,33.08],[35.58,33.08],[35.52,33.02]]]}`,
		`{"type":"MultiPolygon","coordinates":[[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33.1],[35.5,33]]],[[[35.7,33],[35.8,33],[35.8,33.1],[35.7,33]]]]}`,
		`{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33.1],[35.6,33],[35.5,33.1],[35.5,33]]]}`,
		`{"type":"Polygon","coordinates":[[[35,32],[37,32],[37,34],[35,34],[35,32]]]}`,
	} {
		f.Add([]byte(s), 0.0, 0.0)
		f.Add([]byte(s), 500.0, 0.0)
		f.Add([]byte(s), 0.0, 300.0)
	}
	f.Fuzz(func(t *testing.T, data []byte, radius, width float64) {
		p := Params{Radius: radius, Width: width, Region: testRegion}
		fp, err := Parse(data, p)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if !testRegion.Expand(1).Contains(fp.Bounds()) && fp.Radius() == 0 {
			t.Fatalf("accepted a footprint whose bounds %v leave the region", fp.Bounds())
		}
		canon := fp.GeoJSON()
		again, err := Parse(canon, p)
		if err != nil {
			t.Fatalf("canonical %s does not parse: %v", canon, err)
		}
		if !again.Equal(fp) {
			t.Fatalf("canonical %s parses to another footprint: %s", canon, again.GeoJSON())
		}
		if d := Distance(fp, again); d != 0 || !Intersects(fp, again, 0) || math.IsNaN(d) {
			t.Fatalf("a footprint is %g m from itself", d)
		}
	})
}

// FuzzParseFeatureCollection: no panic, and only *Error refusals.
func FuzzParseFeatureCollection(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":1,"geometry":` + square + `,"properties":null}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[35.5,33]},"properties":{"radius_m":10}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","name":"zones","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}},"features":[{"type":"Feature","geometry":` + square + `,"properties":{"id":"a"}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:2039"}},"features":[]}`))
	f.Add([]byte(`{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"x"}},"features":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := ParseFeatureCollection(data, testRegion)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		for _, ft := range fs {
			if ft.Footprint == nil || ft.Properties == nil {
				t.Fatalf("feature %q lacks its footprint or properties", ft.ID)
			}
		}
	})
}
