package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The oracle measures in the gnomonic projection about the test area's centre:
// it maps great circles to straight lines, so geodesic edges become segments
// and containment and crossing are the plane's, exactly. Distances are
// stretched, never shrunk: by at most 1/cos²θ at an angle θ from the centre,
// under 1.0001 for everything the generator makes. The oracle shares no code
// with the package: its own trigonometry, its own segment geometry.

type planar struct {
	dim   int
	rings [][][2]float64 // without closing positions; a line or a point is one ring
}

type gnomonic struct{ c, e, n [3]float64 }

func newGnomonic(center Position) gnomonic {
	const deg = math.Pi / 180
	phi, lam := center.Lat*deg, center.Lng*deg
	return gnomonic{
		c: [3]float64{math.Cos(phi) * math.Cos(lam), math.Cos(phi) * math.Sin(lam), math.Sin(phi)},
		e: [3]float64{-math.Sin(lam), math.Cos(lam), 0},
		n: [3]float64{-math.Sin(phi) * math.Cos(lam), -math.Sin(phi) * math.Sin(lam), math.Cos(phi)},
	}
}

func (g gnomonic) project(p Position) [2]float64 {
	const deg = math.Pi / 180
	phi, lam := p.Lat*deg, p.Lng*deg
	v := [3]float64{math.Cos(phi) * math.Cos(lam), math.Cos(phi) * math.Sin(lam), math.Sin(phi)}
	dot := func(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
	k := dot(v, g.c)
	return [2]float64{dot(v, g.e) / k * EarthRadius, dot(v, g.n) / k * EarthRadius}
}

func (g gnomonic) of(f *Footprint) planar {
	pl := planar{dim: f.dim()}
	for i := range f.rings {
		var r [][2]float64
		for _, p := range f.ring(i) {
			r = append(r, g.project(p))
		}
		pl.rings = append(pl.rings, r)
	}
	return pl
}

func (pl planar) segments(fn func(a, b [2]float64)) {
	for _, r := range pl.rings {
		switch {
		case pl.dim == 0:
			fn(r[0], r[0])
		case pl.dim == 1:
			for i := 0; i+1 < len(r); i++ {
				fn(r[i], r[i+1])
			}
		default:
			for i := range r {
				fn(r[i], r[(i+1)%len(r)])
			}
		}
	}
}

func (pl planar) contains(p [2]float64) bool {
	if pl.dim != 2 {
		return false
	}
	in := false
	pl.segments(func(a, b [2]float64) {
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0]+(p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
			in = !in
		}
	})
	return in
}

func cross(o, a, b [2]float64) float64 {
	return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
}

func segDist(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}

func segSegDist(a, b, c, d [2]float64) float64 {
	if a != b && c != d {
		d1, d2 := cross(a, b, c), cross(a, b, d)
		d3, d4 := cross(c, d, a), cross(c, d, b)
		if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
			return 0
		}
	}
	return math.Min(math.Min(segDist(a, c, d), segDist(b, c, d)), math.Min(segDist(c, a, b), segDist(d, a, b)))
}

// dist is the planar distance between the shapes, interiors included.
func (pl planar) dist(o planar) float64 {
	for _, r := range o.rings {
		for _, v := range r {
			if pl.contains(v) {
				return 0
			}
		}
	}
	for _, r := range pl.rings {
		for _, v := range r {
			if o.contains(v) {
				return 0
			}
		}
	}
	d := math.Inf(1)
	pl.segments(func(a, b [2]float64) {
		o.segments(func(c, e [2]float64) {
			d = math.Min(d, segSegDist(a, b, c, e))
		})
	})
	return d
}

// randomFootprint makes a disc, a corridor or a star-shaped polygon (now and
// then with a hole, now and then with more edges than bigEdges) near c.
func randomFootprint(t testing.TB, rng *rand.Rand, c Position, spread float64) *Footprint {
	logUniform := func(lo, hi float64) float64 { return lo * math.Exp(rng.Float64()*math.Log(hi/lo)) }
	at := offset(c, rng.Float64()*360, spread*math.Sqrt(rng.Float64()))
	switch rng.IntN(3) {
	case 0:
		f, err := NewPoint(at, logUniform(50, 5000), testRegion)
		if err != nil {
			t.Fatal(err)
		}
		return f
	case 1:
		ps := []Position{at}
		for range 1 + rng.IntN(5) {
			ps = append(ps, offset(ps[len(ps)-1], rng.Float64()*360, logUniform(300, 5000)))
		}
		f, err := NewLineString(ps, logUniform(20, 2000), testRegion)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	n := 3 + rng.IntN(20)
	if rng.IntN(5) == 0 {
		n = bigEdges + rng.IntN(40)
	}
	r := logUniform(100, 8000)
	star := func(r, lo float64, n int) []Position {
		ps := make([]Position, n+1)
		for i := range n {
			az := (float64(i) + 0.4*rng.Float64()) * 360 / float64(n)
			ps[i] = offset(at, az, r*(lo+(1-lo)*rng.Float64()))
		}
		ps[n] = ps[0]
		return ps
	}
	rings := [][]Position{star(r, 0.3, n)}
	if n >= 5 && rng.IntN(3) == 0 {
		rings = append(rings, star(0.1*r, 0.5, 3+rng.IntN(6)))
	}
	f, err := NewPolygon(rings, testRegion)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestIntersectsAgainstOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := Position{36, 33}
	g := newGnomonic(c)
	const stretch = 1e-4 // the projection's bound, generously
	pairs := 3000
	if testing.Short() {
		pairs = 300
	}
	confident, agree := 0, 0
	for i := range pairs {
		a, b := randomFootprint(t, rng, c, 20_000), randomFootprint(t, rng, c, 20_000)
		dp := g.of(a).dist(g.of(b)) // planar shape distance, >= the true one
		radii := a.radius + b.radius
		// Buffers around the threshold, and a few anywhere.
		for _, buffer := range []float64{0, rng.Float64() * 3000, dp - radii - 0.5 - 2*stretch*dp, dp - radii + 0.5} {
			if buffer < 0 {
				continue
			}
			limit := radii + buffer
			var want bool
			switch {
			case dp < limit-0.01: // the true distance is at most dp
				want = true
			case dp*(1-stretch) > limit+0.01: // and at least dp/(1+stretch)
				want = false
			default:
				continue
			}
			confident++
			if got := Intersects(a, b, buffer); got != want {
				t.Errorf("pair %d: Intersects(buffer %.3f) = %v, oracle says %v (planar distance %.3f m, radii %.1f m)\n a %s r %g\n b %s r %g",
					i, buffer, got, want, dp, radii, a.GeoJSON(), a.radius, b.GeoJSON(), b.radius)
			} else {
				agree++
			}
		}
		if d, want := Distance(a, b), math.Max(0, dp-radii); math.Abs(d-want) > stretch*dp+0.01 {
			t.Errorf("pair %d: Distance = %.3f m, oracle %.3f m", i, d, want)
		}
	}
	if confident < 3*pairs {
		t.Errorf("the oracle was confident in only %d comparisons of %d pairs", confident, pairs)
	}
	t.Logf("%d pairs, %d confident comparisons, %d agree", pairs, confident, agree)
}
