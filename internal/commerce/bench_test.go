package commerce_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/desks/deskstest"
)

// benchWorld is a registry of n projects, each with two milestones (one
// gated on the zone, which holds an open incident) and, for every third
// project, three confidential pledges: what a side's registry page, the
// exports and the watch's judgement of gates read.
func benchWorld(b *testing.B, n int) *deskstest.Fixture {
	b.Helper()
	f := newFixture(b)
	incident(f, "sy.mil", []string{"il"}, time.Now().Add(-time.Hour))
	for i := range n {
		id := fmt.Sprintf("p%04d", i)
		f.OK("il.com", commerce.KindProjectRegister, project(id, map[string]any{"kind": "zone_quiet", "zone": "econ", "days": 7}))
		if i%3 == 0 {
			for _, who := range []string{"jo", "gf", "eu"} {
				f.OK(who+".com", commerce.KindPledgeMake, map[string]any{"pledge": map[string]any{"id": who + "-" + id, "project": id, "amount": 1_000_000 + i}})
			}
		}
	}
	return f
}

// BenchmarkRegistry: every project of a 500-project registry as a side
// reads it, gates judged (the registry page and GET /api/v1/projects).
func BenchmarkRegistry(b *testing.B) {
	f := benchWorld(b, 500)
	v := f.ViewOf("sy.com")
	b.ResetTimer()
	for b.Loop() {
		if _, err := commerce.Registry(f.Ctx, v, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIATIExport: the 500-project registry written as IATI 2.03 XML.
func BenchmarkIATIExport(b *testing.B) {
	f := benchWorld(b, 500)
	v := f.ViewOf("sy.com")
	ds, err := commerce.Registry(f.Ctx, v, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	places, err := commerce.Places(f.Ctx, v, ds)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := commerce.IATI(ds, places, commerce.Reporter{Ref: "XM-LIAISON-c1", Name: "bench"}, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
