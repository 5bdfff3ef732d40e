package stix_test

import (
	"errors"
	"fmt"

	"github.com/liaison-cell/liaison/internal/stix"
)

const report = `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"identity","spec_version":"2.1","id":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","name":"A party's analysts","identity_class":"organization"},
 {"type":"location","spec_version":"2.1","id":"location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","latitude":33.0123,"longitude":35.8765,"street_address":"1 Road","country":"SY"},
 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","description":"launcher seen near the crossing","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],"granular_markings":[{"marking_ref":"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1","selectors":["description"]}],"x_misp_category":"Network activity"},
 {"type":"sighting","spec_version":"2.1","id":"sighting--ee20065d-2555-424f-ad9e-0f8428623c75","created":"2026-11-20T09:00:00.000Z","modified":"2026-11-20T09:00:00.000Z","sighting_of_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","where_sighted_refs":["location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64"]}
]}`

func ExampleParseBundle() {
	b, err := stix.ParseBundle([]byte(report))
	if err != nil {
		panic(err)
	}
	ind := b.Objects()[2]
	cat, _ := ind.Property("x_misp_category") // custom properties are kept
	fmt.Println(b.Len(), ind.Type(), ind.Modified(), string(cat))

	// A duplicate key is refused, with the object and the property.
	_, err = stix.ParseObject([]byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-11-20T08:00:00.000Z","modified":"2026-11-20T08:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"2026-11-20T08:00:00Z"}`))
	fmt.Println(errors.Is(err, stix.ErrDuplicateKey), err)
	// Output:
	// 4 indicator 2026-11-20T08:00:00.000Z "Network activity"
	// true stix: pattern: the member "pattern" is given twice (at byte 218)
}

func ExampleResolver_Effective() {
	b, _ := stix.ParseBundle([]byte(report))
	r := b.Resolver()
	ind := b.Objects()[2]
	m := r.Effective(ind)
	// AMBER for the object, RED on its description: the object is RED.
	fmt.Println(m.TLP, m.Granular)
	// The sighting is unmarked, but a release of the bundle is RED.
	fmt.Println(r.Effective(b.Objects()[3]).TLP, r.Max(b.Objects()).TLP)
	// Output:
	// TLP:RED true
	// no TLP TLP:RED
}

func ExampleSanitize() {
	b, _ := stix.ParseBundle([]byte(report))
	d, origin, err := stix.Sanitize(b, stix.Recipe{
		RemoveTypes:      []string{"identity"},                             // who reported it
		RemoveProperties: []stix.PropertyPath{{Path: "description"}},       // what it said (and its RED marking)
		LocationKm:       10,                                               // where, to 10 km
		CreatedBy:        "identity--0b3fbc3b-53b5-4b2c-9d9b-d6a0a7a3a0c1", // the mediator
		Key:              []byte("the mediator's secret"),
	})
	if err != nil {
		panic(err)
	}
	loc, ind, sig := d.Objects()[0], d.Objects()[1], d.Objects()[2]
	lat, _ := loc.Property("latitude")
	lng, _ := loc.Property("longitude")
	fmt.Println(string(lat), string(lng))
	sighted, _ := sig.String("sighting_of_ref")
	fmt.Println(sighted == ind.ID(), origin[ind.ID()])
	fmt.Println(ind.CreatedByRef(), d.Resolver().Effective(ind).TLP)
	// Output:
	// 33.00505734869054 35.92466516789261
	// true indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f
	// identity--0b3fbc3b-53b5-4b2c-9d9b-d6a0a7a3a0c1 TLP:AMBER
}
