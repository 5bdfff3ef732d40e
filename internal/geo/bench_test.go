package geo

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// The benchmarks' world: a 150 km × 150 km region over 30 days, volumes 300 m
// to 20 km across (log-uniform: many small, few large), windows 1 h to 3 days
// (log-uniform), altitude bands 300 m to 3 km thick below 10 km, one in ten at
// all altitudes. Four in ten are discs, three in ten corridors, three in ten
// polygons of 4 to 16 vertices.
var benchArea = Rect{LatLo: 32.5, LatHi: 33.85, LngLo: 35.2, LngHi: 36.8}

// benchRegion is the theatre footprints are parsed against: the area and a
// margin for volumes that reach beyond it.
var benchRegion = Rect{LatLo: 32, LatHi: 34.5, LngLo: 34.5, LngHi: 37.5}

const (
	benchVolumes = 1_000_000
	benchQueries = 10_000
	benchBuffer  = 500.0 // metres between two volumes' footprints
)

type volume struct {
	f    *Footprint
	alt  Band
	when Window
}

func randomVolume(rng *rand.Rand) (volume, error) {
	logUniform := func(lo, hi float64) float64 { return lo * math.Exp(rng.Float64()*math.Log(hi/lo)) }
	c := Position{
		Lng: benchArea.LngLo + rng.Float64()*(benchArea.LngHi-benchArea.LngLo),
		Lat: benchArea.LatLo + rng.Float64()*(benchArea.LatHi-benchArea.LatLo),
	}
	size := logUniform(300, 20_000) // across
	var v volume
	var err error
	switch k := rng.IntN(10); {
	case k < 4:
		v.f, err = NewPoint(c, size/2, benchRegion)
	case k < 7:
		width := math.Min(size/3, logUniform(100, 2000))
		ps := []Position{offset(c, rng.Float64()*360, (size-width)/2)}
		n := 1 + rng.IntN(4)
		for range n {
			ps = append(ps, offset(ps[len(ps)-1], rng.Float64()*360, (size-width)/float64(n)))
		}
		v.f, err = NewLineString(ps, width, benchRegion)
	default:
		n := 4 + rng.IntN(13)
		ring := make([]Position, n+1)
		for i := range n {
			ring[i] = offset(c, (float64(i)+0.5*rng.Float64())*360/float64(n), size/2*(0.5+0.5*rng.Float64()))
		}
		ring[n] = ring[0]
		v.f, err = NewPolygon([][]Position{ring}, benchRegion)
	}
	if rng.IntN(10) == 0 {
		v.alt = AllAltitudes
	} else {
		lo := float64(rng.IntN(100)) * 100
		v.alt = Band{Lo: lo, Hi: lo + logUniform(300, 3000)}
	}
	start := t0.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour))))
	v.when = Window{Start: start, End: start.Add(time.Duration(logUniform(float64(time.Hour), float64(72*time.Hour))))}
	return v, err
}

// makeVolumes generates n volumes on two goroutines, deterministically.
func makeVolumes(tb testing.TB, seed uint64, n int) []volume {
	out := make([]volume, n)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for w := range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := w; i < n; i += 2 {
				var err error
				if out[i], err = randomVolume(rng); err != nil && errs[w] == nil {
					errs[w] = err
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

var bench struct {
	once       sync.Once
	volumes    []volume
	queries    []volume
	index      *Index[int32]
	setup      time.Duration
	footprintB float64 // heap bytes per footprint
}

func benchWorld(b *testing.B) {
	bench.once.Do(func() {
		start := time.Now()
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		bench.volumes = makeVolumes(b, 7, benchVolumes)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		bench.footprintB = float64(m1.HeapAlloc-m0.HeapAlloc) / benchVolumes
		bench.queries = makeVolumes(b, 8, benchQueries)
		bench.index = NewIndex[int32](IndexConfig{})
		for i, v := range bench.volumes {
			if err := bench.index.Insert(Entry[int32]{ID: int32(i), Bounds: v.f.Bounds(), Alt: v.alt, When: v.when}); err != nil {
				b.Fatal(err)
			}
		}
		bench.setup = time.Since(start)
	})
	if bench.volumes == nil {
		b.Fatal("the world failed to build")
	}
}

// conflicts is the desk's check of one new volume: the index's candidates,
// then the exact test.
func conflicts(idx *Index[int32], q volume, found []int32) (candidates int, _ []int32) {
	idx.Search(q.f.Bounds().Expand(benchBuffer), q.alt, q.when, func(i int32) bool {
		candidates++
		if Intersects(q.f, bench.volumes[i].f, benchBuffer) {
			found = append(found, i)
		}
		return true
	})
	return candidates, found
}

func reportPercentiles(b *testing.B, ds []time.Duration) {
	if len(ds) < 100 {
		return
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(ds[len(ds)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(ds[len(ds)-1].Nanoseconds()), "max-ns")
}

// BenchmarkConflictCheck: index search and exact Intersects for one new
// volume among 1,000,000. Run with -benchtime 10000x for the percentiles.
func BenchmarkConflictCheck(b *testing.B) {
	benchWorld(b)
	ds := make([]time.Duration, 0, b.N)
	var cand, hits int
	var found []int32
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t := time.Now()
		c, f := conflicts(bench.index, bench.queries[i%len(bench.queries)], found[:0])
		ds = append(ds, time.Since(t))
		cand, hits, found = cand+c, hits+len(f), f
	}
	b.StopTimer()
	b.ReportMetric(float64(cand)/float64(len(ds)), "candidates/op")
	b.ReportMetric(float64(hits)/float64(len(ds)), "conflicts/op")
	b.ReportMetric(bench.footprintB, "footprint-B/volume")
	reportPercentiles(b, ds)
}

// BenchmarkConflictCheckBruteForce is the same check without the index: every
// volume whose window and band overlap gets the exact test (Exact), or first
// a test of its bounds (BBox). Run with -benchtime 20x.
func BenchmarkConflictCheckBruteForce(b *testing.B) {
	benchWorld(b)
	b.Run("Exact", func(b *testing.B) {
		var hits int
		n := 0
		for i := 0; b.Loop(); i++ {
			q := bench.queries[i%len(bench.queries)]
			qs, _ := q.when.span()
			for _, v := range bench.volumes {
				vs, _ := v.when.span()
				if vs.overlaps(qs) && v.alt.Overlaps(q.alt) && Intersects(q.f, v.f, benchBuffer) {
					hits++
				}
			}
			n++
		}
		b.ReportMetric(float64(hits)/float64(n), "conflicts/op")
	})
	b.Run("BBox", func(b *testing.B) {
		bf := NewBruteForce[int32]()
		for i, v := range bench.volumes {
			bf.Insert(Entry[int32]{ID: int32(i), Bounds: v.f.Bounds(), Alt: v.alt, When: v.when})
		}
		var hits int
		n := 0
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			q := bench.queries[i%len(bench.queries)]
			bf.Search(q.f.Bounds().Expand(benchBuffer), q.alt, q.when, func(j int32) bool {
				if Intersects(q.f, bench.volumes[j].f, benchBuffer) {
					hits++
				}
				return true
			})
			n++
		}
		b.ReportMetric(float64(hits)/float64(n), "conflicts/op")
	})
}

// BenchmarkIndexBuild inserts 1,000,000 entries into an empty index and
// reports the index's heap per entry. Run with -benchtime 1x.
func BenchmarkIndexBuild(b *testing.B) {
	benchWorld(b)
	entries := make([]Entry[int32], len(bench.volumes))
	for i, v := range bench.volumes {
		entries[i] = Entry[int32]{ID: int32(i), Bounds: v.f.Bounds(), Alt: v.alt, When: v.when}
	}
	var perItem float64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		b.StartTimer()
		idx := NewIndex[int32](IndexConfig{})
		for _, e := range entries {
			idx.Insert(e)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		perItem = float64(m1.HeapAlloc-m0.HeapAlloc) / float64(len(entries))
		runtime.KeepAlive(idx)
		b.StartTimer()
	}
	b.ReportMetric(perItem, "heap-B/entry")
}

// featureCollection renders n random volumes' footprints as a GeoJSON
// FeatureCollection, as `liaison zones import` would read it.
func featureCollection(tb testing.TB, n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"type":"FeatureCollection","features":[`)
	for i, v := range makeVolumes(tb, 9, n) {
		if i > 0 {
			buf.WriteString(",\n")
		}
		props := fmt.Sprintf(`{"name":"zone %d"}`, i)
		switch v.f.Kind() {
		case Point:
			props = fmt.Sprintf(`{"name":"zone %d","radius_m":%g}`, i, v.f.Radius())
		case LineString:
			props = fmt.Sprintf(`{"name":"zone %d","width_m":%g}`, i, v.f.Width())
		}
		fmt.Fprintf(&buf, `{"type":"Feature","id":%d,"geometry":%s,"properties":%s}`, i, v.f.GeoJSON(), props)
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

// BenchmarkParseFeatureCollection parses and validates 10,000 features.
func BenchmarkParseFeatureCollection(b *testing.B) {
	data := featureCollection(b, 10_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		fs, err := ParseFeatureCollection(data, benchRegion)
		if err != nil || len(fs) != 10_000 {
			b.Fatal(err, len(fs))
		}
	}
}

// BenchmarkIntersects is one exact test between two volumes of the world's
// kind whose bounds meet.
func BenchmarkIntersects(b *testing.B) {
	vs := makeVolumes(b, 10, 20_000)
	var pairs [][2]*Footprint
	for i := 0; i+1 < len(vs) && len(pairs) < 1000; i++ {
		for j := i + 1; j < len(vs) && len(pairs) < 1000; j++ {
			if vs[i].f.Bounds().Intersects(vs[j].f.Bounds()) {
				pairs = append(pairs, [2]*Footprint{vs[i].f, vs[j].f})
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := pairs[i%len(pairs)]
		Intersects(p[0], p[1], 0)
	}
}

// BenchmarkSearch is the search alone, no exact test: the Index against the
// BruteForce scan of the same 1,000,000 entries. Run with -benchtime 200x.
func BenchmarkSearch(b *testing.B) {
	benchWorld(b)
	count := func(s interface {
		Search(Rect, Band, Window, func(int32) bool) error
	}, b *testing.B) {
		n, found := 0, 0
		for i := 0; b.Loop(); i++ {
			q := bench.queries[i%len(bench.queries)]
			s.Search(q.f.Bounds().Expand(benchBuffer), q.alt, q.when, func(int32) bool { found++; return true })
			n++
		}
		b.ReportMetric(float64(found)/float64(n), "candidates/op")
	}
	b.Run("Index", func(b *testing.B) { count(bench.index, b) })
	b.Run("BruteForce", func(b *testing.B) {
		bf := NewBruteForce[int32]()
		for i, v := range bench.volumes {
			bf.Insert(Entry[int32]{ID: int32(i), Bounds: v.f.Bounds(), Alt: v.alt, When: v.when})
		}
		b.ResetTimer()
		count(bf, b)
	})
}
