package deconflict

import (
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/geo"
)

// FeatureProperties are a zone version's properties in a GeoJSON Feature,
// as GET /zones/export writes them and `liaison zones import` reads them
// back: the zone's content without its geometry, and what the cell says
// of that version (version, status, hash), which an import does not
// propose but may be handed back unchanged. The id is repeated here
// because QGIS keeps a layer's properties through an edit and not always
// its features' ids.
type FeatureProperties struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Names   map[string]string `json:"names,omitempty"`
	Kind    string            `json:"kind"`
	Version int               `json:"version,omitempty"`
	Status  string            `json:"status,omitempty"`
	Hash    string            `json:"hash,omitempty"`
	Rules   map[string]Rule   `json:"rules,omitempty"`
	Default *Rule             `json:"default,omitempty"`
	Limits  map[string]int    `json:"limits,omitempty"`
	BufferM float64           `json:"buffer_m,omitempty"`
	RadiusM float64           `json:"radius_m,omitempty"`
	WidthM  float64           `json:"width_m,omitempty"`
	Note    string            `json:"note,omitempty"`
}

// Properties returns the version's feature properties.
func (v ZoneVersion) Properties() FeatureProperties {
	z := v.Content
	return FeatureProperties{ID: z.ID, Name: z.Name, Names: z.Names, Kind: z.Kind, Version: v.Version, Status: v.Status, Hash: v.Hash,
		Rules: z.Rules, Default: z.Default, Limits: z.Limits, BufferM: z.BufferM, RadiusM: z.RadiusM, WidthM: z.WidthM, Note: z.Note}
}

// Content is the zone content the properties describe with shape, as a
// zone.propose carries it: version, status and hash are the cell's to say
// and are left out.
func (p FeatureProperties) Content(shape Shape) ZoneContent {
	return ZoneContent{ID: p.ID, Name: p.Name, Names: p.Names, Kind: p.Kind, Shape: shape, BufferM: p.BufferM,
		Rules: p.Rules, Default: p.Default, Limits: p.Limits, Note: p.Note}
}

// Footprint parses a stored shape, which was checked against the cell's
// region when it was written.
func (s Shape) Footprint() (*geo.Footprint, error) {
	fp, err := parseShape(s, nil)
	if err != nil {
		return nil, err
	}
	return fp.f, nil
}

// CheckZone checks a zone's content as zone.propose does, against the
// cell's region, and puts its geometry in the canonical form that ZoneHash
// covers: what an import checks before it sends anything. What depends on
// the cell's state (a kind changed, a version that says exactly what the
// latest says) is the server's to say.
func CheckZone(z *ZoneContent, r *cell.Region) error {
	if r == nil {
		return invalid("the cell has no region: the mediator's admins set it first (cell.settings, \"region\"), and every geometry must lie in it")
	}
	return checkZone(z, r)
}
