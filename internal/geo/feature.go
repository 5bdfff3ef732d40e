package geo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A Feature is a footprint read from a GeoJSON Feature, with what came with it.
type Feature struct {
	// ID is the feature's id: a string's value, or a number's JSON text; ""
	// when the feature has none.
	ID         string
	Footprint  *Footprint
	Properties json.RawMessage // the feature's properties as given, or null
}

var (
	// name and crs are not RFC 7946's, but QGIS and GDAL write them: the
	// layer's name, and the reference system of the 2008 GeoJSON draft.
	collectionMembers = []string{"type", "features", "bbox", "name", "crs"}
	featureMembers    = []string{"type", "id", "geometry", "properties", "bbox"}
)

// ParseFeatureCollection reads a GeoJSON FeatureCollection of zones (for
// `liaison zones import`): each feature's geometry as Parse does, its radius
// or width from its properties' radius_m or width_m, within region. Members
// other than RFC 7946's are refused, but for two that QGIS writes: name (the
// layer's, ignored) and a crs that names WGS 84 longitude and latitude
// (see wgs84Names), which is what RFC 7946 means anyway. Any other crs is
// refused: RFC 7946 dropped crs, and coordinates in another reference system
// would be read as degrees and land somewhere else. Ids, when given, must
// differ. Errors name the feature: "features[3].geometry.coordinates[0]".
// The file may hold at most MaxFileVertices positions.
func ParseFeatureCollection(data []byte, region Rect) ([]Feature, error) {
	if !utf8.Valid(data) {
		return nil, errorf(ErrSyntax, "", "the file is not valid UTF-8")
	}
	if err := validRegion(region); err != nil {
		return nil, err
	}
	var typ string
	var features json.RawMessage
	err := members(data, "", collectionMembers, "a FeatureCollection has only type, features and bbox (and QGIS's name and crs)", func(key string, raw json.RawMessage) error {
		switch key {
		case "name":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return errorf(ErrSyntax, "name", "must be a string (the layer's name)")
			}
		case "crs":
			return checkCRS(raw)
		case "type":
			if err := json.Unmarshal(raw, &typ); err != nil {
				return errorf(ErrSyntax, "type", "must be a string")
			}
		case "features":
			features = raw
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if typ != "FeatureCollection" {
		return nil, errorf(ErrSyntax, "type", fmt.Sprintf("must be \"FeatureCollection\", not %q", typ))
	}
	if features == nil {
		return nil, errorf(ErrSyntax, "features", "missing")
	}
	dec := json.NewDecoder(bytes.NewReader(features))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, errorf(ErrSyntax, "features", "must be an array")
	}
	var out []Feature
	ids := map[string]int{}
	count := 0
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errorf(ErrSyntax, fmt.Sprintf("features[%d]", i), "not valid JSON: "+jsonReason(err))
		}
		f, err := parseFeature(raw, region, &count)
		if err != nil {
			return nil, prefixed(err, fmt.Sprintf("features[%d]", i))
		}
		if f.ID != "" {
			if j, dup := ids[f.ID]; dup {
				return nil, errorf(ErrSyntax, fmt.Sprintf("features[%d].id", i), fmt.Sprintf("the id %q is also that of features[%d]", f.ID, j))
			}
			ids[f.ID] = i
		}
		out = append(out, f)
	}
	return out, nil
}

func parseFeature(data []byte, region Rect, count *int) (Feature, error) {
	var f Feature
	var typ string
	var geometry json.RawMessage
	var p Params
	err := members(data, "", featureMembers, "a Feature has only type, id, geometry, properties and bbox", func(key string, raw json.RawMessage) error {
		switch key {
		case "type":
			if err := json.Unmarshal(raw, &typ); err != nil {
				return errorf(ErrSyntax, "type", "must be a string")
			}
		case "id":
			var s string
			if json.Unmarshal(raw, &s) == nil {
				f.ID = s
				if s == "" {
					return errorf(ErrSyntax, "id", "must not be empty")
				}
				return nil
			}
			var n json.Number
			if err := json.Unmarshal(raw, &n); err != nil {
				return errorf(ErrSyntax, "id", "must be a string or a number")
			}
			f.ID = n.String()
		case "geometry":
			geometry = raw
		case "properties":
			f.Properties = raw
			return properties(raw, &p)
		}
		return nil
	})
	if err != nil {
		return Feature{}, err
	}
	if typ != "Feature" {
		return Feature{}, errorf(ErrSyntax, "type", fmt.Sprintf("must be \"Feature\", not %q", typ))
	}
	if geometry == nil || string(geometry) == "null" {
		return Feature{}, errorf(ErrSyntax, "geometry", "missing: a feature without a geometry has no footprint")
	}
	if f.Properties == nil {
		f.Properties = json.RawMessage("null")
	}
	p.Region = region
	f.Footprint, err = parseGeometry(geometry, p, count, MaxFileVertices)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && (e.Path == "radius_m" || e.Path == "width_m") {
			return Feature{}, prefixed(err, "properties")
		}
		return Feature{}, prefixed(err, "geometry")
	}
	return f, nil
}

// properties reads radius_m and width_m from a feature's properties, which
// must be an object (or null). Other members are the caller's.
func properties(raw json.RawMessage, p *Params) error {
	if string(raw) == "null" {
		return nil
	}
	return members(raw, "properties", nil, "", func(key string, v json.RawMessage) error {
		if key != "radius_m" && key != "width_m" {
			return nil
		}
		x, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
		if err != nil {
			return errorf(ErrRadius, "properties."+key, "must be a number of metres")
		}
		if key == "radius_m" {
			p.Radius = x
		} else {
			p.Width = x
		}
		return nil
	})
}

// prefixed puts the path of the enclosing member in front of err's, so that an
// error found in a feature's geometry names the feature.
func prefixed(err error, prefix string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	p := prefix
	if e.Path != "" {
		if e.Path[0] == '[' {
			p += e.Path
		} else {
			p += "." + e.Path
		}
	}
	return &Error{Path: p, Reason: e.Reason, Err: e.Err}
}

// wgs84Names are the names of a crs that mean RFC 7946's own reference
// system: WGS 84, longitude before latitude, in degrees. EPSG:4326 orders
// its axes latitude first, but the 2008 GeoJSON draft, which is where a crs
// member comes from, put x (longitude) first whatever the system, and
// QGIS and GDAL write EPSG:4326 files that way.
var wgs84Names = []string{
	"urn:ogc:def:crs:OGC:1.3:CRS84",
	"urn:ogc:def:crs:OGC::CRS84",
	"http://www.opengis.net/def/crs/OGC/1.3/CRS84",
	"urn:ogc:def:crs:EPSG::4326",
	"EPSG:4326",
	"http://www.opengis.net/def/crs/EPSG/0/4326",
}

// checkCRS accepts a named crs of WGS 84 longitude/latitude, as QGIS
// writes it ({"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}),
// and refuses every other: a linked crs, a null one (the 2008 draft's "no
// known system") and a name of any other system.
func checkCRS(raw json.RawMessage) error {
	var crs struct {
		Type       string `json:"type"`
		Properties struct {
			Name string `json:"name"`
		} `json:"properties"`
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return errorf(ErrSyntax, "crs", "null says the coordinates are in no known reference system; RFC 7946 GeoJSON is WGS 84 longitude/latitude and has no crs")
	}
	if err := json.Unmarshal(raw, &crs); err != nil {
		return errorf(ErrSyntax, "crs", "must be an object like {\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:OGC:1.3:CRS84\"}}")
	}
	if crs.Type != "name" {
		return errorf(ErrSyntax, "crs.type", fmt.Sprintf("%q: only a named crs of WGS 84 longitude/latitude is accepted (urn:ogc:def:crs:OGC:1.3:CRS84 or EPSG:4326)", crs.Type))
	}
	for _, n := range wgs84Names {
		if strings.EqualFold(crs.Properties.Name, n) {
			return nil
		}
	}
	return errorf(ErrSyntax, "crs.properties.name", fmt.Sprintf("%q is not WGS 84 longitude/latitude: reproject the layer to EPSG:4326 (in QGIS, export with CRS EPSG:4326 or OGC:CRS84) so that its coordinates are degrees", crs.Properties.Name))
}
