package geo

import (
	"bytes"
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"testing"
)

// The KML schema's elements that WriteKML uses, for reading its output back.
type kmlFile struct {
	XMLName  xml.Name `xml:"http://www.opengis.net/kml/2.2 kml"`
	Document struct {
		Name       string         `xml:"name"`
		Placemarks []kmlPlacemark `xml:"Placemark"`
	} `xml:"Document"`
}

type kmlPlacemark struct {
	Name        string       `xml:"name"`
	Description string       `xml:"description"`
	StyleURL    string       `xml:"styleUrl"`
	Polygon     *kmlPolygonX `xml:"Polygon"`
	Multi       *struct {
		Polygons   []kmlPolygonX `xml:"Polygon"`
		Point      *kmlCoords    `xml:"Point"`
		LineString *kmlCoords    `xml:"LineString"`
	} `xml:"MultiGeometry"`
}

type kmlPolygonX struct {
	Outer string   `xml:"outerBoundaryIs>LinearRing>coordinates"`
	Inner []string `xml:"innerBoundaryIs>LinearRing>coordinates"`
}

type kmlCoords struct {
	Coordinates string `xml:"coordinates"`
}

func kmlPositions(t *testing.T, s string) []Position {
	t.Helper()
	var ps []Position
	for _, tuple := range strings.Fields(s) {
		lng, lat, ok := strings.Cut(tuple, ",")
		x, err1 := strconv.ParseFloat(lng, 64)
		y, err2 := strconv.ParseFloat(lat, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("coordinates %q: not lon,lat", tuple)
		}
		ps = append(ps, Position{Lng: x, Lat: y})
	}
	return ps
}

// haversine is the distance in metres between two positions.
func haversine(a, b Position) float64 {
	const deg = math.Pi / 180
	dlat, dlng := (b.Lat-a.Lat)*deg, (b.Lng-a.Lng)*deg
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(a.Lat*deg)*math.Cos(b.Lat*deg)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * EarthRadius * math.Asin(math.Sqrt(h))
}

func TestWriteKML(t *testing.T) {
	holed := poly(t, box(35.5, 33, 35.6, 33.1), []Position{{35.52, 33.02}, {35.52, 33.08}, {35.58, 33.08}, {35.58, 33.02}, {35.52, 33.02}})
	site := pt(t, 35.8, 33.2, 1500)
	route := line(t, 800, Position{35.5, 32.5}, Position{35.7, 32.6}, Position{35.9, 32.5})
	multi, err := NewMultiPolygon([][][]Position{{box(35.5, 33.3, 35.6, 33.4)}, {box(35.7, 33.3, 35.8, 33.4)}}, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"منطقة عازلة <1> & \"2\"", "בית החולים 'רמב\"ם'", "route\x01 Alpha", "two parts"}
	var out bytes.Buffer
	err = WriteKML(&out, "Golan — zones", []Placemark{
		{Name: names[0], Description: "buffer & <b>not bold</b>", Footprint: holed},
		{Name: names[1], Footprint: site},
		{Name: names[2], Footprint: route},
		{Name: names[3], Footprint: multi},
	})
	if err != nil {
		t.Fatal(err)
	}
	var k kmlFile
	if err := xml.Unmarshal(out.Bytes(), &k); err != nil {
		t.Fatalf("not well-formed KML: %v\n%s", err, out.Bytes())
	}
	pm := k.Document.Placemarks
	if k.Document.Name != "Golan — zones" || len(pm) != 4 {
		t.Fatalf("document %q with %d placemarks", k.Document.Name, len(pm))
	}
	for i, want := range []string{names[0], names[1], "route\uFFFD Alpha", names[3]} {
		if pm[i].Name != want || pm[i].StyleURL != "#footprint" {
			t.Errorf("placemark %d: name %q (want %q), style %q", i, pm[i].Name, want, pm[i].StyleURL)
		}
	}
	if pm[0].Description != "buffer & <b>not bold</b>" {
		t.Errorf("description %q", pm[0].Description)
	}

	// The polygon and its hole, exactly, closed.
	if pm[0].Polygon == nil || len(pm[0].Polygon.Inner) != 1 {
		t.Fatalf("polygon with a hole: %+v", pm[0].Polygon)
	}
	for r, s := range []string{pm[0].Polygon.Outer, pm[0].Polygon.Inner[0]} {
		got, want := kmlPositions(t, s), append(holed.ring(r), holed.ring(r)[0])
		if len(got) != len(want) {
			t.Fatalf("ring %d: %v, want %v", r, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("ring %d position %d: %v, want %v", r, i, got[i], want[i])
			}
		}
	}

	// The disc: its centre exactly, 64 edges around it, tangent to the circle.
	m := pm[1].Multi
	if m == nil || m.Point == nil || len(m.Polygons) != 1 {
		t.Fatalf("disc: %+v", m)
	}
	if c := kmlPositions(t, m.Point.Coordinates); len(c) != 1 || c[0] != (Position{35.8, 33.2}) {
		t.Errorf("disc centre %v", c)
	}
	ring := kmlPositions(t, m.Polygons[0].Outer)
	if len(ring) != CircleSegments+1 || ring[0] != ring[len(ring)-1] {
		t.Fatalf("disc ring of %d positions, want %d, closed", len(ring), CircleSegments+1)
	}
	vertex := 1500 / math.Cos(math.Pi/CircleSegments)
	for i, p := range ring {
		if d := haversine(p, Position{35.8, 33.2}); math.Abs(d-vertex) > 0.01 {
			t.Errorf("disc vertex %d at %.3f m, want %.3f", i, d, vertex)
		}
		if i > 0 {
			mid := Position{(p.Lng + ring[i-1].Lng) / 2, (p.Lat + ring[i-1].Lat) / 2}
			if d := haversine(mid, Position{35.8, 33.2}); d < 1500-0.05 {
				t.Errorf("disc edge %d comes within %.3f m of the centre: it must cover the disc", i, d)
			}
		}
	}

	// The corridor: its centre line exactly, a capsule per segment, each
	// vertex at the circumradius from the segment, none nearer.
	m = pm[2].Multi
	if m == nil || m.LineString == nil || len(m.Polygons) != 2 {
		t.Fatalf("corridor: %+v", m)
	}
	if c := kmlPositions(t, m.LineString.Coordinates); len(c) != 3 || c[2] != (Position{35.9, 32.5}) {
		t.Errorf("corridor line %v", c)
	}
	for s, pg := range m.Polygons {
		seg := line(t, 1, route.pos[s], route.pos[s+1])
		ring := kmlPositions(t, pg.Outer)
		if len(ring) != CircleSegments+3 {
			t.Errorf("capsule %d has %d positions, want %d", s, len(ring), CircleSegments+3)
		}
		for i, p := range ring {
			d := Distance(seg, pt(t, p.Lng, p.Lat, 0.5)) + 1 // radii back
			if math.Abs(d-400/math.Cos(math.Pi/CircleSegments)) > 0.01 {
				t.Errorf("capsule %d vertex %d at %.3f m from its segment, want %.3f", s, i, d, 400/math.Cos(math.Pi/CircleSegments))
			}
		}
		// Counterclockwise: read back as a polygon, it is the small side.
		if f, err := NewPolygon([][]Position{ring}, testRegion); err != nil || f.GeoJSON() == nil || f.ring(0)[1] != ring[1] {
			t.Errorf("capsule %d is not a valid counterclockwise ring: %v", s, err)
		}
	}

	if m = pm[3].Multi; m == nil || len(m.Polygons) != 2 {
		t.Errorf("multipolygon: %+v", m)
	}
}
