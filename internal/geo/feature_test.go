package geo

import (
	"errors"
	"strings"
	"testing"
)

func TestParseFeatureCollection(t *testing.T) {
	data := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","id":"zone-a","geometry":` + square + `,"properties":{"name":"المنطقة أ","kind":"buffer"}},
	 {"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[35.8,33.2]},"properties":{"name":"בית חולים","radius_m":1500}},
	 {"type":"Feature","geometry":{"type":"LineString","coordinates":[[35.5,32.5],[35.9,32.6]]},"properties":{"width_m":800}}
	]}`
	fs, err := ParseFeatureCollection([]byte(data), testRegion)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 {
		t.Fatalf("%d features, want 3", len(fs))
	}
	if fs[0].ID != "zone-a" || fs[1].ID != "7" || fs[2].ID != "" {
		t.Errorf("ids %q %q %q", fs[0].ID, fs[1].ID, fs[2].ID)
	}
	if fs[1].Footprint.Radius() != 1500 || fs[2].Footprint.Width() != 800 || fs[0].Footprint.Kind() != Polygon {
		t.Errorf("footprints: %v r %g, %v w %g", fs[1].Footprint.Kind(), fs[1].Footprint.Radius(), fs[2].Footprint.Kind(), fs[2].Footprint.Width())
	}
	if !strings.Contains(string(fs[0].Properties), "المنطقة أ") {
		t.Errorf("properties %s lost the name", fs[0].Properties)
	}
}

func TestParseFeatureCollectionRefuses(t *testing.T) {
	feature := func(geom, props string) string {
		return `{"type":"Feature","geometry":` + geom + `,"properties":` + props + `}`
	}
	coll := func(fs ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",") + `]}`
	}
	good := feature(square, "null")
	bowtie := `{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33.1],[35.6,33],[35.5,33.1],[35.5,33]]]}`
	for _, tc := range []struct {
		name, data string
		kind       error
		path       string
	}{
		{"not a collection", good, ErrSyntax, "geometry"},
		{"wrong type", `{"type":"Feature","features":[]}`, ErrSyntax, "type"},
		{"crs without a type", `{"type":"FeatureCollection","crs":{},"features":[]}`, ErrSyntax, "crs.type"},
		{"crs of another system", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2039"}},"features":[]}`, ErrSyntax, "crs.properties.name"},
		{"crs of web mercator", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[` + good + `]}`, ErrSyntax, "crs.properties.name"},
		{"linked crs", `{"type":"FeatureCollection","crs":{"type":"link","properties":{"href":"http://example.com/crs/42","type":"proj4"}},"features":[]}`, ErrSyntax, "crs.type"},
		{"null crs", `{"type":"FeatureCollection","crs":null,"features":[]}`, ErrSyntax, "crs"},
		{"crs not an object", `{"type":"FeatureCollection","crs":"EPSG:4326","features":[]}`, ErrSyntax, "crs"},
		{"crs twice", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"crs":{"type":"name","properties":{"name":"EPSG:4326"}},"features":[]}`, ErrSyntax, "crs"},
		{"name not a string", `{"type":"FeatureCollection","name":7,"features":[]}`, ErrSyntax, "name"},
		{"other QGIS-like member", `{"type":"FeatureCollection","title":"zones","features":[]}`, ErrSyntax, "title"},
		{"no features", `{"type":"FeatureCollection"}`, ErrSyntax, "features"},
		{"bad geometry", coll(good, feature(bowtie, "{}")), ErrSelfIntersection, "features[1].geometry.coordinates[0]"},
		{"no geometry", coll(feature("null", "{}")), ErrSyntax, "features[0].geometry"},
		{"point without radius", coll(feature(`{"type":"Point","coordinates":[35.5,33]}`, `{"name":"x"}`)), ErrRadius, "features[0].properties.radius_m"},
		{"radius not a number", coll(feature(`{"type":"Point","coordinates":[35.5,33]}`, `{"radius_m":"500"}`)), ErrRadius, "features[0].properties.radius_m"},
		{"properties not an object", coll(feature(square, `[1]`)), ErrSyntax, "features[0].properties"},
		{"unknown feature member", coll(`{"type":"Feature","geometry":` + square + `,"title":"x"}`), ErrSyntax, "features[0].title"},
		{"duplicate ids", coll(`{"type":"Feature","id":"a","geometry":`+square+`}`, `{"type":"Feature","id":"a","geometry":`+square+`}`), ErrSyntax, "features[1].id"},
		{"bad id", coll(`{"type":"Feature","id":{},"geometry":` + square + `}`), ErrSyntax, "features[0].id"},
		{"outside the region", coll(feature(`{"type":"Point","coordinates":[40,33]}`, `{"radius_m":5}`)), ErrRegion, "features[0].geometry.coordinates"},
		{"not UTF-8", "{\"type\":\"FeatureCollection\",\"features\":[],\"bbox\":\"\xff\"}", ErrSyntax, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFeatureCollection([]byte(tc.data), testRegion)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.kind) || e.Path != tc.path {
				t.Errorf("got %v, want %v at %q", err, tc.kind, tc.path)
			}
		})
	}
}

func TestParseFeatureCollectionFileLimit(t *testing.T) {
	// Eleven features of 9,999 positions each: each within MaxVertices, the
	// file beyond MaxFileVertices.
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range 11 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"type":"Feature","geometry":{"type":"LineString","coordinates":[`)
		for j := range MaxVertices - 1 {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString("[35.5,33]")
		}
		b.WriteString(`,[35.6,33]]},"properties":{"width_m":10}}`)
	}
	b.WriteString(`]}`)
	_, err := ParseFeatureCollection([]byte(b.String()), testRegion)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrTooLarge) || !strings.HasPrefix(e.Path, "features[10].geometry.coordinates[") {
		t.Errorf("got %v, want ErrTooLarge in features[10]", err)
	}
}

// QGIS writes a layer's name and, for WGS 84, a crs that names it: both are
// read past. The file below is what QGIS 3 writes when a layer is exported
// as GeoJSON (the RFC 7946 option off).
func TestParseFeatureCollectionQGIS(t *testing.T) {
	for _, name := range []string{"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326", "epsg:4326", "http://www.opengis.net/def/crs/OGC/1.3/CRS84"} {
		data := `{
"type": "FeatureCollection",
"name": "zones",
"crs": { "type": "name", "properties": { "name": "` + name + `" } },
"features": [
{ "type": "Feature", "properties": { "id": "zone-a", "name": "Zone A" }, "geometry": ` + square + ` }
]
}`
		fs, err := ParseFeatureCollection([]byte(data), testRegion)
		if err != nil {
			t.Errorf("crs %s: %v", name, err)
			continue
		}
		if len(fs) != 1 || fs[0].Footprint.Kind() != Polygon || !strings.Contains(string(fs[0].Properties), "zone-a") {
			t.Errorf("crs %s: read %+v", name, fs)
		}
	}
}
