package deconflict

import (
	"context"
	"encoding/json"

	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

// The desk's benchmarks: the index of a million active notifications
// rebuilt from the store as the ledger does at start, and the conflict
// check of a new notification as a decision makes it, reading the
// candidates from the store. The world: a 150 km × 150 km area over 30
// days, volumes 300 m to 20 km across (log-uniform), windows 1 h to 3 days,
// altitude bands 300 m to 3 km below 10 km, one in ten at every altitude;
// discs, corridors and boxes in equal parts; two sides notifying.
//
//	LIAISON_BENCH_VOLUMES=1000000 go test -run '^$' -bench Desk -benchtime 1x ./internal/deconflict/
//
// The default size is 100,000, so that -bench . stays quick.

const benchCell = "bench"

var benchArea = struct{ latLo, latHi, lngLo, lngHi float64 }{32.5, 33.85, 35.2, 36.8}

var benchRegion = &cell.Region{South: 32, North: 34.5, West: 34.5, East: 37.5}

var deskBench struct {
	once    sync.Once
	dir     string
	st      store.Store
	n       int
	t0      time.Time
	queries [][]volume
	err     error
}

func benchSize() int {
	if n, err := strconv.Atoi(os.Getenv("LIAISON_BENCH_VOLUMES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

func randomShape(rng *rand.Rand) Shape {
	logUniform := func(lo, hi float64) float64 { return lo * math.Exp(rng.Float64()*math.Log(hi/lo)) }
	lat := benchArea.latLo + rng.Float64()*(benchArea.latHi-benchArea.latLo)
	lng := benchArea.lngLo + rng.Float64()*(benchArea.lngHi-benchArea.lngLo)
	size := logUniform(300, 20_000)
	dlat := size / 2 / 111_195
	dlng := dlat / math.Cos(lat*math.Pi/180)
	switch rng.IntN(3) {
	case 0:
		g, _ := json.Marshal(map[string]any{"type": "Point", "coordinates": []float64{lng, lat}})
		return Shape{Geometry: g, RadiusM: size / 2}
	case 1:
		a := rng.Float64() * math.Pi
		g, _ := json.Marshal(map[string]any{"type": "LineString", "coordinates": [][]float64{
			{lng - dlng*math.Cos(a), lat - dlat*math.Sin(a)}, {lng + dlng*math.Cos(a), lat + dlat*math.Sin(a)}}})
		return Shape{Geometry: g, WidthM: math.Min(size/3, logUniform(100, 2000))}
	}
	g, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
		{lng - dlng, lat - dlat}, {lng + dlng, lat - dlat}, {lng + dlng, lat + dlat}, {lng - dlng, lat + dlat}, {lng - dlng, lat - dlat}}}})
	return Shape{Geometry: g}
}

func randomVolume(rng *rand.Rand, t0 time.Time) (volume, error) {
	logUniform := func(lo, hi float64) float64 { return lo * math.Exp(rng.Float64()*math.Log(hi/lo)) }
	v := Volume{Shape: randomShape(rng)}
	v.Start = t0.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour)))).UTC()
	v.End = v.Start.Add(time.Duration(logUniform(float64(time.Hour), float64(72*time.Hour))))
	if rng.IntN(10) != 0 {
		lo := float64(rng.IntN(100)) * 100
		hi := lo + logUniform(300, 3000)
		v.AltLo, v.AltHi = &lo, &hi
	}
	vs, err := checkVolumes([]Volume{v}, benchRegion, t0)
	if err != nil {
		return volume{}, err
	}
	return vs[0], nil
}

// benchStore writes the world's notifications straight into a store's
// projection, as a million appends would leave it, and keeps it for every
// benchmark of the run.
func benchStore(b *testing.B) {
	deskBench.once.Do(func() {
		n := benchSize()
		deskBench.n = n
		deskBench.t0 = time.Now().UTC().Truncate(time.Hour)
		deskBench.dir, deskBench.err = os.MkdirTemp("", "liaison-deconflict-bench-")
		if deskBench.err != nil {
			return
		}
		st, err := sqlite.Open(context.Background(), filepath.Join(deskBench.dir, "data"))
		if err != nil {
			deskBench.err = err
			return
		}
		deskBench.st = st
		if err := st.CreateCell(context.Background(), benchCell, "bench"); err != nil {
			deskBench.err = err
			return
		}
		rng := rand.New(rand.NewPCG(7, 7))
		const il, sy, us = 2, 4, 1
		objs := make([]store.Object, 0, 4*n)
		for i := range n {
			v, err := randomVolume(rng, deskBench.t0)
			if err != nil {
				deskBench.err = err
				return
			}
			id := int64(i)
			party, mask := "il", uint64(il|sy|us)
			if i%2 == 1 {
				party = "sy"
			}
			note := Notification{ID: id, Party: party, Type: Exercise, Title: "bench", Precedence: "ROUTINE", Addressed: []string{"il", "sy"},
				Version: 1, State: StateActive, Start: v.Start, End: v.End}
			nv := NotificationVersion{Notification: id, Version: 1, Entry: id, Volumes: []Volume{v.Volume}, Seen: []Ref{}, ZoneConflicts: []ZoneConflict{}}
			for _, o := range []struct {
				kind, id, parent string
				doc              any
			}{{ObjNotification, itoa(id), party, note}, {ObjNotifVersion, VersionID(id, 1), itoa(id), nv},
				{ObjVolume, VolumeID(id, 1, 0), itoa(id), newVolumeDoc(id, 1, 0, party, &v)},
				{ObjChange, itoa(id), itoa(id), changeDoc{N: id, noteState: noteState{Party: party, Version: 1, State: StateActive}}}} {
				doc, _ := json.Marshal(o.doc)
				objs = append(objs, store.Object{Kind: o.kind, ID: o.id, Parent: o.parent, Seq: id, Updated: id, Doc: doc, Mask: mask})
			}
		}
		if err := st.ReplaceProjection(context.Background(), benchCell, objs); err != nil {
			deskBench.err = err
			return
		}
		qrng := rand.New(rand.NewPCG(11, 13))
		for range 2000 {
			v, err := randomVolume(qrng, deskBench.t0)
			if err != nil {
				deskBench.err = err
				return
			}
			deskBench.queries = append(deskBench.queries, []volume{v})
		}
	})
	if deskBench.err != nil {
		b.Fatal(deskBench.err)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if deskBench.st != nil {
		deskBench.st.Close()
		os.RemoveAll(deskBench.dir)
	}
	os.Exit(code)
}

// follow builds a fresh desk's index from the store, as the ledger does
// when it opens a cell.
func benchFollow(b *testing.B) *Desk {
	d := New()
	if err := d.follow(context.Background(), benchCell, deskBench.st.View(benchCell), int64(deskBench.n)); err != nil {
		b.Fatal(err)
	}
	return d
}

func BenchmarkDeskIndexRebuild(b *testing.B) {
	benchStore(b)
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	var d *Desk
	start := time.Now()
	for range b.N {
		d = benchFollow(b)
	}
	elapsed := time.Since(start) / time.Duration(b.N)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	if n, _ := d.Size(benchCell); n != deskBench.n {
		b.Fatalf("the index holds %d of %d volumes", n, deskBench.n)
	}
	b.ReportMetric(float64(deskBench.n), "volumes")
	b.ReportMetric(elapsed.Seconds(), "s/rebuild")
	b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/float64(deskBench.n), "heap-B/volume")
}

// benchCommand is a decision's command over the committed view, as the
// check runs inside an append (without the batch's memo).
func benchCommand() *cell.Command {
	il := cell.Party{ID: "il", Kind: cell.Side, Num: 1}
	return &cell.Command{Ctx: context.Background(), View: deskBench.st.View(benchCell), Entry: &record.Entry{Cell: benchCell},
		Actor: cell.Actor{Party: &il, Member: &cell.Member{ID: "il.mil", Party: "il", Roles: []string{cell.RoleMilitary}}}}
}

func BenchmarkDeskConflictCheck(b *testing.B) {
	benchStore(b)
	d := benchFollow(b)
	c := benchCommand()
	lat := make([]time.Duration, 0, b.N)
	found := 0
	b.ResetTimer()
	for i := range b.N {
		q := deskBench.queries[i%len(deskBench.queries)]
		t := time.Now()
		f, err := d.check(c, -1, "us", Exercise, q, deskBench.t0)
		lat = append(lat, time.Since(t))
		if err != nil {
			b.Fatal(err)
		}
		found += len(f.overlaps)
	}
	b.StopTimer()
	pct := func(lat []time.Duration, p float64) float64 {
		lat = slices.Sorted(slices.Values(lat))
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds())
	}
	// The first pass over the queries reads every candidate's geometry
	// from the store; later passes find it in the desk's cache, as a
	// server that has been checking for a while does.
	cold := lat[:min(len(lat), len(deskBench.queries))]
	b.ReportMetric(pct(cold, 0.5), "cold-p50-µs")
	b.ReportMetric(pct(cold, 0.99), "cold-p99-µs")
	if warm := lat[len(cold):]; len(warm) > 0 {
		b.ReportMetric(pct(warm, 0.5), "p50-µs")
		b.ReportMetric(pct(warm, 0.99), "p99-µs")
	}
	b.ReportMetric(float64(found)/float64(b.N), "conflicts/check")
	b.ReportMetric(float64(deskBench.n), "volumes")
}

// BenchmarkDeskConflictCheckScan is the same check without the index: the
// view's every volume whose window and band meet, then the exact test (the
// scan the index must beat by a hundred times).
func BenchmarkDeskConflictCheckScan(b *testing.B) {
	benchStore(b)
	v := deskBench.st.View(benchCell)
	var all []volumeDoc
	for after := int64(-1); ; {
		objs, err := v.List(context.Background(), ObjVolume, "", after, 5000)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range objs {
			after = o.Seq
			var vd volumeDoc
			if err := json.Unmarshal(o.Doc, &vd); err != nil {
				b.Fatal(err)
			}
			all = append(all, vd)
		}
		if len(objs) < 5000 {
			break
		}
	}
	d := New()
	c := benchCommand()
	b.ResetTimer()
	found := 0
	for i := range b.N {
		q := deskBench.queries[i%len(deskBench.queries)]
		qe := newVolumeDoc(-1, 0, 0, "", &q[0]).entry()
		for _, vd := range all {
			e := vd.entry()
			if !qe.Alt.Overlaps(e.Alt) || !qe.When.Overlaps(e.When) {
				continue
			}
			ov, err := d.volumeOf(c, candidate{volKey: vd.key()})
			if err != nil {
				b.Fatal(err)
			}
			if intersects(q[0].fp, ov.fp, 0) {
				found++
			}
		}
	}
	b.ReportMetric(float64(found)/float64(b.N), "conflicts/check")
	b.ReportMetric(float64(len(all)), "volumes")
}
