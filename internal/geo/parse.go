package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Params are what a command gives beside its geometry.
type Params struct {
	// Radius is a Point's radius in metres (the command's radius_m), 0 when
	// not given. Only a Point takes one, and a Point must.
	Radius float64
	// Width is a LineString's width in metres (width_m), 0 when not given.
	// Only a LineString takes one, and a LineString must.
	Width float64
	// Region is the rectangle the footprint must lie in, radius included.
	Region Rect
}

// Parse reads a footprint from a GeoJSON geometry object (RFC 7946) and the
// radius or width given beside it.
//
// It is strict. The object has the members type, coordinates and optionally
// bbox (ignored), each once and spelled exactly; any other member is refused.
// The type is Point, LineString, Polygon or MultiPolygon (no
// GeometryCollection, MultiPoint or MultiLineString). A position is two
// finite numbers, longitude in [-180, 180] then latitude in [-90, 90]; a third
// (an altitude) is refused, since altitudes travel as bands with the volume.
//
// A ring has at least 4 positions and is closed (its last position is its
// first). Consecutive repeated positions are dropped, not refused: they add no
// edge. Refused: a ring with fewer than 3 distinct positions or that folds back
// along the edge it arrived by; any two edges that cross or touch (other than
// neighbours in a ring), within a ring, between a ring and its holes, or
// between two holes; a hole outside its shell or inside another hole; parts of
// a MultiPolygon that overlap or touch; a polygon enclosing less than MinArea;
// more than MaxVertices positions; a radius or width missing, given to a kind
// that takes none, or outside (0, MaxRadius]; and a footprint that, with its
// radius, does not lie within the region.
//
// Either winding of a ring is accepted and normalized. The errors are *Error,
// whose Path names the offending member ("coordinates[0][5]").
func Parse(geometry []byte, p Params) (*Footprint, error) {
	if !utf8.Valid(geometry) {
		return nil, errorf(ErrSyntax, "", "the geometry is not valid UTF-8")
	}
	n := 0
	return parseGeometry(geometry, p, &n, MaxVertices)
}

var geometryMembers = []string{"type", "coordinates", "bbox"}

// parseGeometry parses one geometry, adding its positions to *count, which
// may not pass limit (a file's budget, shared by its features).
func parseGeometry(data []byte, p Params, count *int, limit int) (*Footprint, error) {
	var typ string
	var coords json.RawMessage
	err := members(data, "", geometryMembers, "a geometry has only type, coordinates and bbox", func(key string, raw json.RawMessage) error {
		switch key {
		case "type":
			if err := json.Unmarshal(raw, &typ); err != nil {
				return errorf(ErrSyntax, "type", "must be a string")
			}
		case "coordinates":
			coords = raw
		case "bbox":
			var bb []float64
			if err := json.Unmarshal(raw, &bb); err != nil {
				return errorf(ErrSyntax, "bbox", "must be an array of numbers")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var kind Kind
	switch typ {
	case "Point":
		kind = Point
	case "LineString":
		kind = LineString
	case "Polygon":
		kind = Polygon
	case "MultiPolygon":
		kind = MultiPolygon
	case "":
		return nil, errorf(ErrSyntax, "type", "missing")
	case "GeometryCollection":
		return nil, errorf(ErrSyntax, "type", "a GeometryCollection is not accepted: send each geometry as a footprint of its own")
	case "MultiPoint", "MultiLineString":
		return nil, errorf(ErrSyntax, "type", fmt.Sprintf("a %s is not accepted: send each point or line as a footprint of its own", typ))
	case "Feature", "FeatureCollection":
		return nil, errorf(ErrSyntax, "type", fmt.Sprintf("expected a geometry, not a %s", typ))
	default:
		return nil, errorf(ErrSyntax, "type", fmt.Sprintf("%q is not a GeoJSON geometry type (they are case-sensitive)", typ))
	}
	if coords == nil {
		return nil, errorf(ErrSyntax, "coordinates", "missing")
	}
	if err := checkParams(kind, p); err != nil {
		return nil, err
	}
	c := coordParser{b: coords, file: count, fileLimit: limit}
	var f *Footprint
	switch kind {
	case Point:
		pos, err := c.position(nil)
		if err != nil {
			return nil, err
		}
		f, err = NewPoint(pos, p.Radius, p.Region)
		if err != nil {
			return nil, err
		}
	case LineString:
		ps, err := c.positions(nil)
		if err != nil {
			return nil, err
		}
		f, err = NewLineString(ps, p.Width, p.Region)
		if err != nil {
			return nil, err
		}
	case Polygon:
		rings, err := c.polygon(nil)
		if err != nil {
			return nil, err
		}
		f, err = NewPolygon(rings, p.Region)
		if err != nil {
			return nil, err
		}
	case MultiPolygon:
		var polys [][][]Position
		err := c.array(nil, "a MultiPolygon's coordinates are an array of polygons", func(path []int) error {
			rings, err := c.polygon(path)
			polys = append(polys, rings)
			return err
		})
		if err != nil {
			return nil, err
		}
		f, err = NewMultiPolygon(polys, p.Region)
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

func checkParams(kind Kind, p Params) error {
	switch kind {
	case Point:
		if p.Width != 0 {
			return errorf(ErrRadius, "width_m", "a Point takes a radius_m, not a width_m")
		}
		if p.Radius == 0 {
			return errorf(ErrRadius, "radius_m", "a Point needs a radius_m (> 0)")
		}
	case LineString:
		if p.Radius != 0 {
			return errorf(ErrRadius, "radius_m", "a LineString takes a width_m, not a radius_m")
		}
		if p.Width == 0 {
			return errorf(ErrRadius, "width_m", "a LineString needs a width_m (> 0)")
		}
	default:
		if p.Radius != 0 {
			return errorf(ErrRadius, "radius_m", fmt.Sprintf("a %s takes no radius_m: it is an area", kind))
		}
		if p.Width != 0 {
			return errorf(ErrRadius, "width_m", fmt.Sprintf("a %s takes no width_m: it is an area", kind))
		}
	}
	return nil
}

// members reads the JSON object data strictly, calling fn with each member:
// every key once and spelled exactly (encoding/json would take "Type" for
// "type", and the last of two), and from allowed when it is not nil. why says
// what the object may hold, for the error about a member it may not.
func members(data []byte, path string, allowed []string, why string, fn func(key string, raw json.RawMessage) error) error {
	at := func(key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return errorf(ErrSyntax, path, "not valid JSON: "+jsonReason(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errorf(ErrSyntax, path, "must be a JSON object")
	}
	var seen []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return errorf(ErrSyntax, path, "not valid JSON: "+jsonReason(err))
		}
		key := tok.(string) // an object's tokens before a value are keys
		if allowed != nil && !contains(allowed, key) {
			return errorf(ErrSyntax, at(key), "unknown member: "+why)
		}
		if contains(seen, key) {
			return errorf(ErrSyntax, at(key), "given twice")
		}
		seen = append(seen, key)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return errorf(ErrSyntax, at(key), "not valid JSON: "+jsonReason(err))
		}
		if err := fn(key, raw); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return errorf(ErrSyntax, path, "not valid JSON: "+jsonReason(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(ErrSyntax, path, "unexpected data after the object")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func jsonReason(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends too soon"
	}
	return err.Error()
}

// coordParser reads a coordinates array, which the JSON decoder has checked
// is well-formed, straight into positions, naming any fault by its path.
type coordParser struct {
	b         []byte
	i         int
	n         int  // positions read in this geometry
	file      *int // positions read in the file so far
	fileLimit int
}

func (c *coordParser) ws() {
	for c.i < len(c.b) && (c.b[c.i] == ' ' || c.b[c.i] == '\t' || c.b[c.i] == '\n' || c.b[c.i] == '\r') {
		c.i++
	}
}

// array reads a JSON array, calling fn for each element with its path.
func (c *coordParser) array(path []int, what string, fn func(path []int) error) error {
	c.ws()
	if c.i >= len(c.b) || c.b[c.i] != '[' {
		return errorf(ErrSyntax, coordPath(path...), what)
	}
	c.i++
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == ']' {
		c.i++
		return nil
	}
	for k := 0; ; k++ {
		if err := fn(append(path[:len(path):len(path)], k)); err != nil {
			return err
		}
		c.ws()
		if c.i >= len(c.b) {
			return errorf(ErrSyntax, coordPath(path...), "the array ends too soon")
		}
		switch c.b[c.i] {
		case ',':
			c.i++
		case ']':
			c.i++
			return nil
		default:
			return errorf(ErrSyntax, coordPath(path...), "expected , or ] in the array")
		}
	}
}

func (c *coordParser) polygon(path []int) ([][]Position, error) {
	var rings [][]Position
	err := c.array(path, "a polygon is an array of rings", func(path []int) error {
		ps, err := c.positions(path)
		rings = append(rings, ps)
		return err
	})
	return rings, err
}

func (c *coordParser) positions(path []int) ([]Position, error) {
	var ps []Position
	err := c.array(path, "expected an array of positions", func(path []int) error {
		p, err := c.position(path)
		ps = append(ps, p)
		return err
	})
	return ps, err
}

func (c *coordParser) position(path []int) (Position, error) {
	c.n++
	*c.file++
	if c.n > MaxVertices {
		return Position{}, errorf(ErrTooLarge, coordPath(path...), fmt.Sprintf("more than the %d positions a geometry may have", MaxVertices))
	}
	if *c.file > c.fileLimit {
		return Position{}, errorf(ErrTooLarge, coordPath(path...), fmt.Sprintf("more than the %d positions a file may have", c.fileLimit))
	}
	var v [2]float64
	n := 0
	err := c.array(path, "a position is an array of two numbers, [longitude, latitude]", func(path []int) error {
		if n == 2 {
			return errorf(ErrCoordinate, coordPath(path[:len(path)-1]...), "a position has two numbers, longitude and latitude: altitudes are not taken here, they are given as bands with the volume")
		}
		x, err := c.number(path)
		v[n] = x
		n++
		return err
	})
	if err != nil {
		return Position{}, err
	}
	if n < 2 {
		return Position{}, errorf(ErrCoordinate, coordPath(path...), "a position needs two numbers, longitude and latitude")
	}
	return Position{Lng: v[0], Lat: v[1]}, nil
}

func (c *coordParser) number(path []int) (float64, error) {
	c.ws()
	start := c.i
	for c.i < len(c.b) {
		ch := c.b[c.i]
		if (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' || ch == 'E' {
			c.i++
			continue
		}
		break
	}
	if c.i == start {
		return 0, errorf(ErrCoordinate, coordPath(path...), "not a number")
	}
	x, err := strconv.ParseFloat(string(c.b[start:c.i]), 64)
	if err != nil {
		return 0, errorf(ErrCoordinate, coordPath(path...), "not a finite number")
	}
	// -0 and 0 are the same place; keep one spelling for the canonical form.
	if x == 0 {
		x = 0
	}
	return x, nil
}
