// Package geo is the geometry under the military de-escalation desk: footprints
// of notified activity, agreed zones and protected sites, the exact test of
// whether two of them come too close, and an index that finds, among a million
// active volumes, the few that could.
//
// # Footprints
//
// A [Footprint] is a validated shape on the sphere plus a radius in metres: the
// set of points within that radius of the shape. It is read from a GeoJSON
// geometry (RFC 7946) by [Parse]:
//
//   - a Polygon (with holes) or a MultiPolygon, radius 0: an area;
//   - a LineString with a width: a route corridor, radius = width/2;
//   - a Point with a radius (> 0): a disc.
//
// Edges are geodesics (great-circle arcs), as RFC 7946 and s2 both say: an edge
// along a parallel of latitude is not a straight line here, and a long one
// bulges towards the pole.
//
// # The region rule
//
// Every footprint is parsed against a region, the lat/lng rectangle of the
// theatre, and must lie inside it with its radius: a footprint that reaches
// beyond it (a polygon larger than the region, swapped coordinates, a ring
// wound so that it means the rest of the world) is refused. A region spans less
// than 180° of longitude and never crosses the antimeridian, so that every edge
// is the short arc between its ends and every ring has one unambiguous inside.
//
// # Intersection
//
// [Intersects] (a, b, buffer) is true exactly when the distance on the sphere
// between the two shapes is at most a's radius + b's radius + buffer. Interiors
// count (a point inside a polygon is at distance 0 from it; a point in a hole
// is not), and touching counts: two zones that share an edge or a vertex are at
// distance 0 and intersect even with no buffer at all.
//
// Distances are computed with s2's primitives in floating point, good to a few
// nanometres. The comparison allows [Tolerance] (1 µm) on top of the limit, so
// that rounding always resolves towards a conflict: touching shapes intersect,
// and no pair farther apart than the limit plus 1 µm is ever reported.
//
// # The index
//
// An [Index] holds entries of footprint bounds, an altitude [Band] and a time
// [Window]. A search returns every entry whose bounds meet the query's (closed
// rectangles: bounds that touch are returned) and whose band and window overlap
// the query's. Bands and windows are half-open, [lo, hi) and [start, end): a
// band [0, 1000) and a band [1000, 2000) do not overlap, and a window that ends
// when another starts does not overlap it. The index finds candidates; the
// exact test is [Intersects].
//
// # The earth
//
// The earth is a sphere of radius [EarthRadius], the mean radius of the WGS 84
// ellipsoid (6,371,008.8 m). Over the distances that matter here (a buffer of a
// few kilometres) the sphere differs from the ellipsoid by at most 0.5 %; a
// buffer meant to be safe should include that margin.
package geo
