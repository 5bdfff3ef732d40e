package geo

import "errors"

// The kinds of refusal. Every error that Parse, ParseFeatureCollection and the
// constructors return is an *Error wrapping one of these, so a caller can map a
// kind to its own answer with errors.Is and show the *Error's Path to the
// person who sent the geometry.
var (
	// ErrSyntax: not a GeoJSON geometry of an accepted type (bad JSON, an
	// unknown or duplicated member, a wrong nesting of arrays).
	ErrSyntax = errors.New("invalid GeoJSON")
	// ErrCoordinate: a position that is not two finite numbers, or a longitude
	// or latitude out of range.
	ErrCoordinate = errors.New("invalid coordinate")
	// ErrRing: a ring that is not closed, has too few positions, or folds back
	// on itself; a line with fewer than two distinct positions.
	ErrRing = errors.New("invalid ring")
	// ErrSelfIntersection: two edges of a polygon (of the same ring or of a
	// ring and a hole) cross or touch.
	ErrSelfIntersection = errors.New("self-intersection")
	// ErrHole: a hole outside its shell, or inside another hole.
	ErrHole = errors.New("invalid hole")
	// ErrOverlap: two parts of a MultiPolygon overlap or touch.
	ErrOverlap = errors.New("overlapping parts")
	// ErrArea: a polygon that encloses (almost) nothing.
	ErrArea = errors.New("zero area")
	// ErrTooLarge: more positions than a geometry or a file may have.
	ErrTooLarge = errors.New("too many positions")
	// ErrRegion: a footprint, radius included, that does not lie within the
	// region; or a region that is not a valid one.
	ErrRegion = errors.New("outside the region")
	// ErrRadius: a radius or width that is missing where it is needed, given
	// where it has no meaning, or out of range.
	ErrRadius = errors.New("invalid radius")
)

// An Error says what is wrong with an input and where. Path names the member in
// the input's own terms ("coordinates[0][5]", "features[3].geometry.type",
// "radius_m"), empty when the error concerns the whole geometry.
type Error struct {
	Path   string
	Reason string
	Err    error // one of the Err* kinds above
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "geo: " + e.Reason
	}
	return "geo: " + e.Path + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(kind error, path, reason string) *Error {
	return &Error{Path: path, Reason: reason, Err: kind}
}
