package geo

import (
	"fmt"
	"math"
)

// EarthRadius is the radius of the sphere the package measures on: the mean
// radius of the WGS 84 ellipsoid, (2a+b)/3, in metres.
const EarthRadius = 6371008.8

// A Rect is a closed latitude/longitude rectangle in degrees. It never crosses
// the antimeridian: LngLo <= LngHi.
type Rect struct {
	LatLo, LatHi float64
	LngLo, LngHi float64
}

// rectMargin widens every computed bound, in degrees (about 0.1 mm), so that
// the rounding of a conversion between radians and degrees can only make a
// bound larger: the index may return an extra candidate, never miss one.
const rectMargin = 1e-9

// Intersects reports whether the closed rectangles r and o share a point:
// rectangles that only touch intersect.
func (r Rect) Intersects(o Rect) bool {
	return r.LatLo <= o.LatHi && o.LatLo <= r.LatHi && r.LngLo <= o.LngHi && o.LngLo <= r.LngHi
}

// Contains reports whether o lies within r.
func (r Rect) Contains(o Rect) bool {
	return r.LatLo <= o.LatLo && o.LatHi <= r.LatHi && r.LngLo <= o.LngLo && o.LngHi <= r.LngHi
}

// ContainsPosition reports whether p lies within r (its edges included).
func (r Rect) ContainsPosition(p Position) bool {
	return r.LatLo <= p.Lat && p.Lat <= r.LatHi && r.LngLo <= p.Lng && p.Lng <= r.LngHi
}

// Expand returns a rectangle that holds every point within metres of r. It is
// conservative: a degree of longitude is shorter at higher latitude, so it
// widens r in longitude by what the distance spans at r's latitude farthest
// from the equator, and a little more for rounding. Near a pole it gives up and
// spans every longitude. A negative or NaN distance counts as 0.
func (r Rect) Expand(metres float64) Rect {
	if !(metres > 0) {
		metres = 0
	}
	rho := metres / EarthRadius // radians
	dlat := rho*180/math.Pi + rectMargin
	out := Rect{LatLo: r.LatLo - dlat, LatHi: r.LatHi + dlat}
	if out.LatLo <= -90 || out.LatHi >= 90 || rho >= math.Pi/2 {
		out.LatLo, out.LatHi = math.Max(out.LatLo, -90), math.Min(out.LatHi, 90)
		out.LngLo, out.LngHi = -180, 180
		return out
	}
	// On a sphere the points within rho of a point at latitude phi span
	// asin(sin(rho)/cos(phi)) of longitude either side, growing with |phi|.
	phi := math.Max(math.Abs(r.LatLo), math.Abs(r.LatHi)) * math.Pi / 180
	s := math.Sin(rho) / math.Cos(phi)
	if s >= 1 {
		out.LngLo, out.LngHi = -180, 180
		return out
	}
	dlng := math.Asin(s)*180/math.Pi*(1+1e-12) + rectMargin
	out.LngLo = math.Max(r.LngLo-dlng, -180)
	out.LngHi = math.Min(r.LngHi+dlng, 180)
	return out
}

// validRegion checks what the package assumes of a region: finite, ordered, of
// positive size, and less than 180° wide, so that the short arc between two of
// its points stays within its longitudes and a ring inside it has one inside.
func validRegion(r Rect) error {
	for _, v := range []float64{r.LatLo, r.LatHi, r.LngLo, r.LngHi} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errorf(ErrRegion, "", "the region has a coordinate that is not a finite number")
		}
	}
	switch {
	case r == Rect{}:
		return errorf(ErrRegion, "", "no region was given")
	case r.LatLo < -90 || r.LatHi > 90 || r.LngLo < -180 || r.LngHi > 180:
		return errorf(ErrRegion, "", fmt.Sprintf("the region %v is not within latitudes [-90, 90] and longitudes [-180, 180]", r))
	case !(r.LatLo < r.LatHi) || !(r.LngLo < r.LngHi):
		return errorf(ErrRegion, "", fmt.Sprintf("the region %v is empty (its low edges must be below its high edges)", r))
	case r.LngHi-r.LngLo >= 180:
		return errorf(ErrRegion, "", fmt.Sprintf("the region %v spans 180° of longitude or more", r))
	}
	return nil
}

func (r Rect) String() string {
	return fmt.Sprintf("[lat %g..%g, lng %g..%g]", r.LatLo, r.LatHi, r.LngLo, r.LngHi)
}
