package stixgen

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"
)

// Report is a small intelligence report, written readably: a threat actor,
// the indicators that betray it, where it was seen, and the report object
// over them all, every object under one TLP marking.
type Report struct {
	Name        string
	Description string
	TLP         string // a marking definition id (TLPAmber, ...)
	Actor       string
	Indicators  []Indicator
	Locations   []Location
	Created     time.Time
	// Seed makes the ids: the same report, the same ids.
	Seed string
}

// Indicator is a STIX pattern with its name.
type Indicator struct {
	Name    string
	Pattern string // "[ipv4-addr:value = '198.51.100.7']"
}

// Location is a place the actor was seen.
type Location struct {
	Name     string
	Lat, Lon float64
	Address  string // a street address, which a sanitized release removes
}

// ID is a deterministic STIX id of typ for seed and name: a version 4 UUID
// in form, from a hash.
func ID(typ, seed, name string) string {
	h := sha256.Sum256([]byte(seed + "\x00" + typ + "\x00" + name))
	h[6], h[8] = h[6]&0x0f|0x40, h[8]&0x3f|0x80
	return fmt.Sprintf("%s--%x-%x-%x-%x-%x", typ, h[:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// Stamp is t as STIX writes created and modified: UTC, milliseconds.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Bundle is the report as a STIX 2.1 bundle.
func (r Report) Bundle() []byte {
	ts := Stamp(r.Created)
	common := func(typ, name string) map[string]any {
		return map[string]any{"type": typ, "spec_version": "2.1", "id": ID(typ, r.Seed, name),
			"created": ts, "modified": ts, "object_marking_refs": []string{r.TLP}}
	}
	var objs []map[string]any
	var refs []string
	add := func(o map[string]any) {
		objs = append(objs, o)
		refs = append(refs, o["id"].(string))
	}
	actor := common("threat-actor", r.Actor)
	actor["name"], actor["threat_actor_types"] = r.Actor, []string{"nation-state"}
	add(actor)
	for _, in := range r.Indicators {
		o := common("indicator", in.Name)
		o["name"], o["pattern"], o["pattern_type"], o["valid_from"] = in.Name, in.Pattern, "stix", ts
		o["indicator_types"] = []string{"malicious-activity"}
		add(o)
		rel := common("relationship", "indicates "+in.Name)
		rel["relationship_type"], rel["source_ref"], rel["target_ref"] = "indicates", o["id"], actor["id"]
		add(rel)
	}
	for _, l := range r.Locations {
		o := common("location", l.Name)
		o["name"], o["latitude"], o["longitude"], o["precision"] = l.Name, l.Lat, l.Lon, 50.0
		if l.Address != "" {
			o["street_address"] = l.Address
		}
		add(o)
		s := common("sighting", "seen at "+l.Name)
		s["sighting_of_ref"], s["where_sighted_refs"], s["count"] = actor["id"], []string{o["id"].(string)}, 1
		add(s)
	}
	rep := common("report", r.Name)
	rep["name"], rep["description"], rep["published"], rep["report_types"] = r.Name, r.Description, ts, []string{"threat-actor"}
	rep["object_refs"] = refs
	objs = append(objs, rep)
	b, err := json.Marshal(map[string]any{"type": "bundle", "id": ID("bundle", r.Seed, r.Name), "objects": objs})
	if err != nil {
		panic(err)
	}
	return b
}

// Sighting is a bundle answering a release: a sighting of what the
// receiving party was sent (of, a STIX id), at a place, with a note.
func Sighting(seed, of string, where Location, at time.Time, tlp, note string) []byte {
	ts := Stamp(at)
	loc := map[string]any{"type": "location", "spec_version": "2.1", "id": ID("location", seed, where.Name),
		"created": ts, "modified": ts, "name": where.Name, "latitude": where.Lat, "longitude": where.Lon,
		"object_marking_refs": []string{tlp}}
	s := map[string]any{"type": "sighting", "spec_version": "2.1", "id": ID("sighting", seed, of),
		"created": ts, "modified": ts, "sighting_of_ref": of, "where_sighted_refs": []string{loc["id"].(string)},
		"first_seen": ts, "count": 1, "object_marking_refs": []string{tlp}}
	n := map[string]any{"type": "note", "spec_version": "2.1", "id": ID("note", seed, note),
		"created": ts, "modified": ts, "content": note, "object_refs": []string{s["id"].(string)},
		"object_marking_refs": []string{tlp}}
	b, err := json.Marshal(map[string]any{"type": "bundle", "id": ID("bundle", seed, of), "objects": []any{loc, s, n}})
	if err != nil {
		panic(err)
	}
	return b
}
