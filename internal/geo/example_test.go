package geo_test

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/liaison-cell/liaison/internal/geo"
)

var region = geo.Rect{LatLo: 32, LatHi: 34, LngLo: 35, LngHi: 37}

func ExampleParse() {
	// A Point needs its radius, given beside the geometry as radius_m.
	site, err := geo.Parse([]byte(`{"type":"Point","coordinates":[35.75,33.05]}`), geo.Params{Radius: 1500, Region: region})
	fmt.Println(site.Kind(), site.Radius(), err)

	// A bow tie: its edges cross, and the error says which.
	_, err = geo.Parse([]byte(`{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33.1],[35.6,33],[35.5,33.1],[35.5,33]]]}`), geo.Params{Region: region})
	var e *geo.Error
	fmt.Println(errors.Is(err, geo.ErrSelfIntersection), errors.As(err, &e), e.Path)
	fmt.Println(err)
	// Output:
	// Point 1500 <nil>
	// true true coordinates[0]
	// geo: coordinates[0]: the ring crosses itself: its edge between positions 0 and 1 crosses its edge between positions 2 and 3
}

func ExampleParseFeatureCollection() {
	data := []byte(`{"type":"FeatureCollection","features":[
		{"type":"Feature","id":"hospital","geometry":{"type":"Point","coordinates":[35.75,33.05]},"properties":{"radius_m":1000}},
		{"type":"Feature","id":"road","geometry":{"type":"LineString","coordinates":[[35.5,33],[35.6,33.2]]},"properties":{"width_m":"wide"}}]}`)
	_, err := geo.ParseFeatureCollection(data, region)
	fmt.Println(err)
	// Output:
	// geo: features[1].properties.width_m: must be a number of metres
}

func ExampleIndex() {
	idx := geo.NewIndex[string](geo.IndexConfig{})
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	patrol, _ := geo.Parse([]byte(`{"type":"LineString","coordinates":[[35.7,32.9],[35.7,33.2]]}`), geo.Params{Width: 2000, Region: region})
	idx.Insert(geo.Entry[string]{ID: "patrol", Bounds: patrol.Bounds(), Alt: geo.Band{Lo: 0, Hi: 3000}, When: geo.Window{Start: day, End: day.Add(6 * time.Hour)}})

	// A flight from 3,000 m up does not meet the patrol's band [0, 3000);
	// one at 2,500 m in the same hours does.
	flight, _ := geo.Parse([]byte(`{"type":"Polygon","coordinates":[[[35.65,33],[35.75,33],[35.75,33.1],[35.65,33.1],[35.65,33]]]}`), geo.Params{Region: region})
	for _, alt := range []geo.Band{{Lo: 3000, Hi: 5000}, {Lo: 2500, Hi: 5000}} {
		idx.Search(flight.Bounds().Expand(500), alt, geo.Window{Start: day.Add(5 * time.Hour), End: day.Add(8 * time.Hour)}, func(id string) bool {
			fmt.Println(alt, id, "intersects:", geo.Intersects(flight, patrol, 500))
			return true
		})
	}
	// Output:
	// {2500 5000} patrol intersects: true
}

func ExampleWriteKML() {
	zone, _ := geo.Parse([]byte(`{"type":"Polygon","coordinates":[[[35.5,33],[35.6,33],[35.6,33.1],[35.5,33]]]}`), geo.Params{Region: region})
	geo.WriteKML(os.Stdout, "zones", []geo.Placemark{{Name: "منطقة أ / אזור א", Footprint: zone}})
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>zones</name><Style id="footprint"><LineStyle><color>ff0000ff</color><width>2</width></LineStyle><PolyStyle><color>400000ff</color></PolyStyle></Style>
	// <Placemark><name>منطقة أ / אזור א</name><styleUrl>#footprint</styleUrl><Polygon><outerBoundaryIs><LinearRing><coordinates>35.5,33 35.6,33 35.6,33.1 35.5,33</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
	// </Document></kml>
}
