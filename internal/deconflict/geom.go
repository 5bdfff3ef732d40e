package deconflict

import (
	"encoding/json"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/geo"
)

// The desk's geometry, in one place: every shape a command carries is
// parsed, checked and measured by internal/geo.

// footprint is a checked shape.
type footprint struct{ f *geo.Footprint }

// parseShape checks a shape a command carries: valid GeoJSON, inside the
// cell's region (r nil: a stored shape, checked when it was written).
func parseShape(s Shape, r *cell.Region) (*footprint, error) {
	var region geo.Rect
	if r != nil {
		region = geo.Rect{LatLo: r.South, LatHi: r.North, LngLo: r.West, LngHi: r.East}
	} else {
		region = storedRegion(s)
	}
	f, err := geo.Parse(s.Geometry, geo.Params{Radius: s.RadiusM, Width: s.WidthM, Region: region})
	if err != nil {
		return nil, err
	}
	return &footprint{f: f}, nil
}

// storedRegion is a region around a stored shape, which was checked
// against the cell's region when it was written: wide enough to hold it
// with its radius, whatever the cell's region has become since.
func storedRegion(s Shape) geo.Rect {
	var g struct {
		Coordinates json.RawMessage `json:"coordinates"`
	}
	r := geo.Rect{LatLo: 90, LatHi: -90, LngLo: 180, LngHi: -180}
	if json.Unmarshal(s.Geometry, &g) == nil {
		walkPositions(g.Coordinates, func(lng, lat float64) {
			r.LatLo, r.LatHi = min(r.LatLo, lat), max(r.LatHi, lat)
			r.LngLo, r.LngHi = min(r.LngLo, lng), max(r.LngHi, lng)
		})
	}
	if r.LatLo > r.LatHi {
		return geo.Rect{} // no position: Parse says what is wrong
	}
	return r.Expand(s.RadiusM + s.WidthM + 1000)
}

// walkPositions calls fn with every [lng, lat] pair in nested GeoJSON
// coordinates.
func walkPositions(raw json.RawMessage, fn func(lng, lat float64)) {
	var pos []float64
	if json.Unmarshal(raw, &pos) == nil && len(pos) >= 2 {
		fn(pos[0], pos[1])
		return
	}
	var nested []json.RawMessage
	if json.Unmarshal(raw, &nested) == nil {
		for _, x := range nested {
			walkPositions(x, fn)
		}
	}
}

// shape renders a footprint as a command carries it, in canonical form.
func (fp *footprint) shape() Shape {
	s := Shape{Geometry: json.RawMessage(fp.f.GeoJSON())}
	switch fp.f.Kind() {
	case geo.Point:
		s.RadiusM = fp.f.Radius()
	case geo.LineString:
		s.WidthM = fp.f.Width()
	}
	return s
}

func (fp *footprint) bounds() geo.Rect { return fp.f.Bounds() }

// intersects reports whether two footprints come within buffer metres of
// each other, touching included.
func intersects(a, b *footprint, buffer float64) bool { return geo.Intersects(a.f, b.f, buffer) }
