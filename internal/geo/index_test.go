package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func randomEntry(rng *rand.Rand, id uint64) Entry[uint64] {
	lat, lng := 32+rng.Float64()*1.5, 35+rng.Float64()*1.5
	w, h := rng.Float64()*0.2, rng.Float64()*0.2
	e := Entry[uint64]{ID: id, Bounds: Rect{LatLo: lat, LatHi: lat + h, LngLo: lng, LngHi: lng + w}}
	switch rng.IntN(10) {
	case 0:
		e.Alt = AllAltitudes
	default:
		lo := float64(rng.IntN(20)) * 500
		e.Alt = Band{Lo: lo, Hi: lo + float64(1+rng.IntN(6))*500}
	}
	start := t0.Add(time.Duration(rng.IntN(30*24)) * time.Hour)
	switch rng.IntN(20) {
	case 0: // an agreed zone, for ever
		e.When = Window{Start: start}
	case 1: // since ever
		e.When = Window{End: start}
	case 2: // long
		e.When = Window{Start: start, End: start.Add(time.Duration(8+rng.IntN(40)) * 24 * time.Hour)}
	default: // an hour to three days, on the hour so that windows abut
		e.When = Window{Start: start, End: start.Add(time.Duration(1+rng.IntN(72)) * time.Hour)}
	}
	return e
}

type searcher interface {
	Search(Rect, Band, Window, func(uint64) bool) error
}

func collect(t *testing.T, s searcher, e Entry[uint64]) []uint64 {
	t.Helper()
	var ids []uint64
	if err := s.Search(e.Bounds, e.Alt, e.When, func(id uint64) bool { ids = append(ids, id); return true }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

func TestIndexAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	idx := NewIndex[uint64](IndexConfig{Bucket: 6 * time.Hour})
	bf := NewBruteForce[uint64]()
	check := func(step string) {
		found := 0
		for range 300 {
			q := randomEntry(rng, 0)
			got, want := collect(t, idx, q), collect(t, bf, q)
			if len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Fatalf("%s: the index reported an entry twice: %v", step, got)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s: query %+v\nindex       %v\nbrute force %v", step, q, got, want)
			}
			found += len(got)
		}
		if found == 0 {
			t.Fatalf("%s: no query found anything: the test proves nothing", step)
		}
	}
	for i := range uint64(3000) {
		e := randomEntry(rng, i)
		if err := idx.Insert(e); err != nil {
			t.Fatal(err)
		}
		if err := bf.Insert(e); err != nil {
			t.Fatal(err)
		}
	}
	check("after inserts")
	for i := uint64(0); i < 3000; i += 3 {
		if idx.Delete(i) != bf.Delete(i) {
			t.Fatalf("Delete(%d) disagrees", i)
		}
	}
	for i := uint64(1); i < 3000; i += 7 { // replace: move in space and time
		e := randomEntry(rng, i)
		idx.Insert(e)
		bf.Insert(e)
	}
	check("after deletes and replacements")
	if idx.Delete(0) || idx.Len() != len(bf.entries) {
		t.Errorf("Len %d, brute force %d", idx.Len(), len(bf.entries))
	}
}

func TestIndexSemantics(t *testing.T) {
	r := Rect{LatLo: 33, LatHi: 33.1, LngLo: 35.5, LngHi: 35.6}
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	idx := NewIndex[string](IndexConfig{})
	for _, e := range []Entry[string]{
		{ID: "base", Bounds: r, Alt: Band{0, 1000}, When: Window{h(0), h(10)}},
		{ID: "zone", Bounds: r, Alt: AllAltitudes, When: Window{Start: h(-1000)}},
		{ID: "long", Bounds: r, Alt: Band{0, 1000}, When: Window{h(-500), h(500)}},
	} {
		if err := idx.Insert(e); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		r    Rect
		alt  Band
		when Window
		want []string
	}{
		{"same", r, Band{0, 1000}, Window{h(0), h(10)}, []string{"base", "long", "zone"}},
		{"band above abuts", r, Band{1000, 2000}, Window{h(0), h(10)}, []string{"zone"}},
		{"band below abuts", r, Band{-500, 0}, Window{h(0), h(10)}, []string{"zone"}},
		{"window after abuts", r, Band{0, 1000}, Window{h(10), h(20)}, []string{"long", "zone"}},
		{"window before abuts", r, Band{0, 1000}, Window{h(-5), h(0)}, []string{"long", "zone"}},
		{"an instant inside", r, Band{0, 1000}, Window{h(9), h(9).Add(time.Nanosecond)}, []string{"base", "long", "zone"}},
		{"touching rectangle", Rect{LatLo: 33.1, LatHi: 33.2, LngLo: 35.6, LngHi: 35.7}, Band{500, 600}, Window{h(5), h(6)}, []string{"base", "long", "zone"}},
		{"apart", Rect{LatLo: 33.2, LatHi: 33.3, LngLo: 35.5, LngHi: 35.6}, AllAltitudes, Window{}, nil},
		{"all time", r, AllAltitudes, Window{}, []string{"base", "long", "zone"}},
		{"before the zone", r, AllAltitudes, Window{End: h(-1000)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			if err := idx.Search(tc.r, tc.alt, tc.when, func(id string) bool { got = append(got, id); return true }); err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, bad := range []Entry[string]{
		{ID: "x", Bounds: r, Alt: Band{5, 5}, When: Window{h(0), h(1)}},
		{ID: "x", Bounds: r, Alt: Band{0, math.NaN()}, When: Window{h(0), h(1)}},
		{ID: "x", Bounds: r, Alt: Band{0, 1}, When: Window{h(1), h(1)}},
		{ID: "x", Bounds: Rect{LatLo: 1, LatHi: 0}, Alt: Band{0, 1}, When: Window{h(0), h(1)}},
		{ID: "x", Bounds: r, Alt: Band{0, 1}, When: Window{Start: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	} {
		if err := idx.Insert(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	stopped := 0
	idx.Search(r, AllAltitudes, Window{}, func(string) bool { stopped++; return false })
	if stopped != 1 {
		t.Errorf("fn returned false and was called %d times", stopped)
	}
}

// TestIndexConcurrent runs readers beside a writer; go test -race checks it.
func TestIndexConcurrent(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	idx := NewIndex[uint64](IndexConfig{})
	var entries []Entry[uint64]
	for i := range uint64(500) {
		entries = append(entries, randomEntry(rng, i))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				q := entries[(g*200+i)%len(entries)]
				idx.Search(q.Bounds, q.Alt, q.When, func(uint64) bool { return true })
			}
		})
	}
	for _, e := range entries {
		idx.Insert(e)
	}
	for _, e := range entries[:250] {
		idx.Delete(e.ID)
	}
	wg.Wait()
	if idx.Len() != 250 {
		t.Errorf("Len = %d, want 250", idx.Len())
	}
}
