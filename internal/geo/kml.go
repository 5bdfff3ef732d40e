package geo

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"strconv"

	"github.com/golang/geo/r3"
	"github.com/golang/geo/s2"
)

// A Placemark is a footprint to draw in a KML document, with its name and
// description (plain text: WriteKML escapes it).
type Placemark struct {
	Name, Description string
	Footprint         *Footprint
}

// CircleSegments is how many edges WriteKML gives a full circle: a disc, and
// the round ends of a corridor. KML has no circle, so it gets a polygon whose
// edges are tangent to the true circle: the drawing covers the footprint and
// exceeds it by at most 1/cos(π/64) - 1, 0.12 % of the radius (6 m at 5 km),
// which no one reads off a map, with few enough vertices (65 a disc) that a
// thousand discs open at once in Google Earth.
const CircleSegments = 64

// WriteKML writes a KML 2.2 document (http://www.opengis.net/kml/2.2) named
// name, with a placemark for each footprint. Polygons keep their holes
// (outerBoundaryIs, innerBoundaryIs) and a MultiPolygon becomes a
// MultiGeometry of them. A disc becomes its centre and a polygon of
// CircleSegments edges; a corridor its centre line and, for each of its
// segments, a polygon of the points within half its width (a rectangle with
// round ends: overlapping at the bends, where an exact outline would need a
// polygon union). Coordinates are written as longitude,latitude: a footprint's
// own positions exactly (the shortest form that reads back to the same
// float64), drawn ones to 8 decimals (about a millimetre).
func WriteKML(w io.Writer, name string, placemarks []Placemark) error {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>`)
	xml.EscapeText(&b, []byte(name))
	b.WriteString(`</name>`)
	b.WriteString(`<Style id="footprint"><LineStyle><color>ff0000ff</color><width>2</width></LineStyle><PolyStyle><color>400000ff</color></PolyStyle></Style>`)
	for _, p := range placemarks {
		b.WriteString("\n<Placemark><name>")
		xml.EscapeText(&b, []byte(p.Name))
		b.WriteString("</name>")
		if p.Description != "" {
			b.WriteString("<description>")
			xml.EscapeText(&b, []byte(p.Description))
			b.WriteString("</description>")
		}
		b.WriteString("<styleUrl>#footprint</styleUrl>")
		kmlGeometry(&b, p.Footprint)
		b.WriteString("</Placemark>")
	}
	b.WriteString("\n</Document></kml>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func kmlGeometry(b *bytes.Buffer, f *Footprint) {
	switch f.kind {
	case Polygon:
		kmlPolygon(b, f, 0)
	case MultiPolygon:
		b.WriteString("<MultiGeometry>")
		for p := range f.parts {
			kmlPolygon(b, f, p)
		}
		b.WriteString("</MultiGeometry>")
	case Point:
		b.WriteString("<MultiGeometry><Point><coordinates>")
		kmlPosition(b, f.pos[0])
		b.WriteString("</coordinates></Point>")
		c := f.pos[0].point()
		kmlRing(b, circlePoints(c, f.radius))
		b.WriteString("</MultiGeometry>")
	case LineString:
		b.WriteString("<MultiGeometry><LineString><tessellate>1</tessellate><coordinates>")
		for i, p := range f.pos {
			if i > 0 {
				b.WriteByte(' ')
			}
			kmlPosition(b, p)
		}
		b.WriteString("</coordinates></LineString>")
		for i := 0; i+1 < len(f.pos); i++ {
			kmlRing(b, capsule(f.pos[i].point(), f.pos[i+1].point(), f.radius))
		}
		b.WriteString("</MultiGeometry>")
	}
}

func kmlPolygon(b *bytes.Buffer, f *Footprint, part int) {
	lo, hi := f.partRings(part)
	b.WriteString("<Polygon>")
	for r := lo; r < hi; r++ {
		if r == lo {
			b.WriteString("<outerBoundaryIs><LinearRing><coordinates>")
		} else {
			b.WriteString("<innerBoundaryIs><LinearRing><coordinates>")
		}
		ring := f.ring(r)
		for _, p := range ring {
			kmlPosition(b, p)
			b.WriteByte(' ')
		}
		kmlPosition(b, ring[0])
		if r == lo {
			b.WriteString("</coordinates></LinearRing></outerBoundaryIs>")
		} else {
			b.WriteString("</coordinates></LinearRing></innerBoundaryIs>")
		}
	}
	b.WriteString("</Polygon>")
}

func kmlPosition(b *bytes.Buffer, p Position) {
	b.WriteString(strconv.FormatFloat(p.Lng, 'f', -1, 64))
	b.WriteByte(',')
	b.WriteString(strconv.FormatFloat(p.Lat, 'f', -1, 64))
}

// kmlRing writes a closed polygon of drawn points, given counterclockwise.
func kmlRing(b *bytes.Buffer, pts []s2.Point) {
	b.WriteString("<Polygon><outerBoundaryIs><LinearRing><coordinates>")
	for i := 0; i <= len(pts); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		ll := s2.LatLngFromPoint(pts[i%len(pts)])
		b.WriteString(strconv.FormatFloat(ll.Lng.Degrees(), 'f', 8, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(ll.Lat.Degrees(), 'f', 8, 64))
	}
	b.WriteString("</coordinates></LinearRing></outerBoundaryIs></Polygon>")
}

// circumradius is the distance (radians) from the centre to the vertices of
// a polygon of CircleSegments edges tangent to a circle of radius metres:
// in the spherical right triangle centre, vertex, edge midpoint,
// tan(midpoint) = tan(vertex) cos(π/n).
func circumradius(radius float64) float64 {
	return math.Atan(math.Tan(radius/EarthRadius) / math.Cos(math.Pi/CircleSegments))
}

// around returns the point at angle th (radians) from c in direction
// cos(az)·u + sin(az)·v, u and v unit tangents at c.
func around(c s2.Point, u, v r3.Vector, az, th float64) s2.Point {
	d := u.Mul(math.Cos(az)).Add(v.Mul(math.Sin(az)))
	return s2.Point{Vector: c.Mul(math.Cos(th)).Add(d.Mul(math.Sin(th))).Normalize()}
}

// circlePoints is the polygon drawn for a circle, counterclockwise.
func circlePoints(c s2.Point, radius float64) []s2.Point {
	th := circumradius(radius)
	u := c.Ortho()
	v := c.Vector.Cross(u) // u, v, c right-handed: increasing az turns counterclockwise
	pts := make([]s2.Point, CircleSegments)
	for k := range pts {
		pts[k] = around(c, u, v, 2*math.Pi*float64(k)/CircleSegments, th)
	}
	return pts
}

// capsule is the polygon drawn for the points within radius of the segment
// ab: round ends of CircleSegments/2 edges, joined by the geodesics between
// the ends' sides, which bow away from the segment and so cover it.
func capsule(a, b s2.Point, radius float64) []s2.Point {
	th := circumradius(radius)
	n := a.PointCross(b).Normalize() // left of the direction a to b
	half := CircleSegments / 2
	var pts []s2.Point
	// At b, from right through ahead to left; at a, from left through behind
	// to right: counterclockwise, interior on the left.
	fb := n.Cross(b.Vector).Normalize()
	for k := 0; k <= half; k++ {
		pts = append(pts, around(b, fb, n, -math.Pi/2+math.Pi*float64(k)/float64(half), th))
	}
	fa := n.Cross(a.Vector).Normalize()
	for k := 0; k <= half; k++ {
		pts = append(pts, around(a, fa, n, math.Pi/2+math.Pi*float64(k)/float64(half), th))
	}
	return pts
}
