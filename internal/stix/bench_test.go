package stix

import (
	"bytes"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/stix/stixgen"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// perObject reports the wall time and the CPU time (the process's, since
// cpu0) per object of the 10,000.
func perObject(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10_000, "ns/object")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N)/10_000, "cpu-ns/object")
}

// BenchmarkParseBundle: ParseBundle of a 10,000-object bundle, the strict
// JSON read and every object checked.
func BenchmarkParseBundle(b *testing.B) {
	data := stixgen.Bundle(10_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		bundle, err := ParseBundle(data)
		if err != nil || bundle.Len() != 10_000 {
			b.Fatal(err)
		}
	}
	perObject(b, cpu)
}

// BenchmarkMarshalBundle: the same bundle serialized.
func BenchmarkMarshalBundle(b *testing.B) {
	data := stixgen.Bundle(10_000)
	bundle, err := ParseBundle(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bundle.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSchemaValidate: every object of the bundle validated against its
// type's OASIS schema with jsonschema (what the tests do to what the package
// writes; the package itself does not).
func BenchmarkSchemaValidate(b *testing.B) {
	s := loadSchemas(b)
	data := stixgen.Bundle(10_000)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	objs := inst.(map[string]any)["objects"].([]any)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		for _, o := range objs {
			if err := s.schemaFor(o.(map[string]any)["type"].(string)).Validate(o); err != nil {
				b.Fatal(err)
			}
		}
	}
	perObject(b, cpu)
}

// BenchmarkSanitize: a derivative of the bundle without its identities, its
// descriptions and its sightings, locations to 10 km, keyed ids.
func BenchmarkSanitize(b *testing.B) {
	bundle, err := ParseBundle(stixgen.Bundle(10_000))
	if err != nil {
		b.Fatal(err)
	}
	r := Recipe{RemoveTypes: []string{"identity", "sighting"}, RemoveProperties: []PropertyPath{{Path: "description"}, {Path: "external_references"}}, LocationKm: 10, Key: []byte("k")}
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, _, err := Sanitize(bundle, r); err != nil {
			b.Fatal(err)
		}
	}
	perObject(b, cpu)
}

// TestBenchBundleIsValid keeps the benchmarks' bundle honest: it parses,
// and validates against the schemas.
func TestBenchBundleIsValid(t *testing.T) {
	data := stixgen.Bundle(1000)
	b, err := ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 1000 {
		t.Fatalf("%d objects", b.Len())
	}
	if s := loadSchemasOrNil(t); s != nil {
		s.validate(t, data)
	}
}
