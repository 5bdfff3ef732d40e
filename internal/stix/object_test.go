package stix

import (
	"errors"
	"strings"
	"testing"
)

const (
	idIndicator = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	idIdentity  = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff"
	idLocation  = "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64"
	idReport    = "report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3"
	idSighting  = "sighting--ee20065d-2555-424f-ad9e-0f8428623c75"
	idRel       = "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"
	idActor     = "threat-actor--56f3f0db-b5d5-431c-ae56-c18f02caf500"
	idBundle    = "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"
	t0          = "2026-11-20T08:00:00.000Z"
)

// valid objects of the field's types, one a line, each the smallest the
// spec allows plus what the tests below change.
var validObjects = map[string]string{
	"indicator":      `{"type":"indicator","spec_version":"2.1","id":"` + idIndicator + `","created":"` + t0 + `","modified":"` + t0 + `","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"` + t0 + `"}`,
	"identity":       `{"type":"identity","spec_version":"2.1","id":"` + idIdentity + `","created":"` + t0 + `","modified":"` + t0 + `","name":"Liaison cell","identity_class":"organization"}`,
	"location":       `{"type":"location","spec_version":"2.1","id":"` + idLocation + `","created":"` + t0 + `","modified":"` + t0 + `","latitude":33.0123,"longitude":35.8765,"street_address":"1 Road"}`,
	"report":         `{"type":"report","spec_version":"2.1","id":"` + idReport + `","created":"` + t0 + `","modified":"` + t0 + `","name":"R","published":"` + t0 + `","object_refs":["` + idIndicator + `"]}`,
	"sighting":       `{"type":"sighting","spec_version":"2.1","id":"` + idSighting + `","created":"` + t0 + `","modified":"` + t0 + `","sighting_of_ref":"` + idIndicator + `","where_sighted_refs":["` + idLocation + `"]}`,
	"relationship":   `{"type":"relationship","spec_version":"2.1","id":"` + idRel + `","created":"` + t0 + `","modified":"` + t0 + `","relationship_type":"located-at","source_ref":"` + idActor + `","target_ref":"` + idLocation + `"}`,
	"threat-actor":   `{"type":"threat-actor","spec_version":"2.1","id":"` + idActor + `","created":"` + t0 + `","modified":"` + t0 + `","name":"A"}`,
	"observed-data":  `{"type":"observed-data","spec_version":"2.1","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"` + t0 + `","modified":"` + t0 + `","first_observed":"` + t0 + `","last_observed":"` + t0 + `","number_observed":1,"object_refs":["ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"]}`,
	"intrusion-set":  `{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--4e78f46f-a023-4e5f-bc24-71b3ca22ec29","created":"` + t0 + `","modified":"` + t0 + `","name":"S"}`,
	"note":           `{"type":"note","spec_version":"2.1","id":"note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061","created":"` + t0 + `","modified":"` + t0 + `","content":"c","object_refs":["` + idIndicator + `"]}`,
	"opinion":        `{"type":"opinion","spec_version":"2.1","id":"opinion--b01efc25-77b4-4003-b18b-f6e24b5cd9f7","created":"` + t0 + `","modified":"` + t0 + `","opinion":"agree","object_refs":["` + idIndicator + `"]}`,
	"grouping":       `{"type":"grouping","spec_version":"2.1","id":"grouping--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb4","created":"` + t0 + `","modified":"` + t0 + `","context":"suspicious-activity","object_refs":["` + idIndicator + `"]}`,
	"marking-tlp2":   `{"type":"marking-definition","spec_version":"2.1","id":"` + TLPAmberStrictID + `","created":"2022-10-01T00:00:00.000Z","name":"TLP:AMBER+STRICT","extensions":{"` + TLP2Extension + `":{"extension_type":"property-extension","tlp_2_0":"amber+strict"}}}`,
	"marking-tlp1":   `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82","created":"2017-01-20T00:00:00.000Z","definition_type":"tlp","name":"TLP:AMBER","definition":{"tlp":"amber"}}`,
	"marking-stmt":   `{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd","created":"2016-08-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright 2026, the cell"}}`,
	"ipv4-addr":      `{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`,
	"custom-object":  `{"type":"x-liaison-checkpoint","spec_version":"2.1","id":"x-liaison-checkpoint--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0062","created":"` + t0 + `","modified":"` + t0 + `","anything_goes":[1,{"b":2}]}`,
	"with-extension": `{"type":"indicator","spec_version":"2.1","id":"` + idIndicator + `","created":"` + t0 + `","modified":"` + t0 + `","pattern":"p","pattern_type":"stix","valid_from":"` + t0 + `","extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"extension_type":"property-extension","rank":5,"toxicity":8}},"x_misp_category":"Network activity","x_opencti_score":{"v":1.0}}`,
}

func TestValidObjects(t *testing.T) {
	s := loadSchemasOrNil(t)
	for name, in := range validObjects {
		o, err := ParseObject([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		out, _ := o.MarshalJSON()
		if string(out) != in {
			t.Errorf("%s: re-serialized as\n%s\nwant exactly\n%s", name, out, in)
		}
		if s != nil {
			s.validate(t, out)
		}
	}
}

// loadSchemasOrNil is loadSchemas for tests that check more than the
// schemas: without them they still run the rest.
func loadSchemasOrNil(t *testing.T) *schemas {
	var s *schemas
	t.Run("schemas", func(t *testing.T) { s = loadSchemas(t) })
	return s
}

func TestCustomPropertiesKept(t *testing.T) {
	o, err := ParseObject([]byte(validObjects["with-extension"]))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := o.Property("x_opencti_score")
	if !ok || string(v) != `{"v":1.0}` {
		t.Errorf("x_opencti_score = %s, %v", v, ok)
	}
	if got := o.Extensions(); len(got) != 1 || got[0] != "extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e" {
		t.Errorf("extensions %v", got)
	}
}

func TestObjectRefuses(t *testing.T) {
	set := func(name, from, to string) string {
		in := validObjects[name]
		if !strings.Contains(in, from) {
			panic(from)
		}
		return strings.Replace(in, from, to, 1)
	}
	ind := func(from, to string) string { return set("indicator", from, to) }
	for _, tc := range []struct {
		name, in string
		kind     error
		path     string
	}{
		{"duplicate key", ind(`"pattern_type":"stix"`, `"pattern_type":"stix","pattern_type":"snort"`), ErrDuplicateKey, "pattern_type"},
		{"missing pattern", ind(`"pattern":"[ipv4-addr:value = '198.51.100.1']",`, ``), ErrMissing, "pattern"},
		{"missing valid_from", ind(`,"valid_from":"`+t0+`"`, ``), ErrMissing, "valid_from"},
		{"unknown property", ind(`"pattern_type"`, `"confidential":true,"pattern_type"`), ErrUnknownProperty, "confidential"},
		{"uppercase custom", ind(`"pattern_type"`, `"x_Misp":1,"pattern_type"`), ErrUnknownProperty, "x_Misp"},
		{"reserved name", set("custom-object", `"anything_goes"`, `"severity":1,"anything_goes"`), ErrUnknownProperty, "severity"},
		{"id of another type", ind(`"id":"indicator--`, `"id":"malware--`), ErrID, "id"},
		{"id not a UUID", ind(`-98ee46b3cd3f"`, `-98ee46b3cd3"`), ErrID, "id"},
		{"UUID version 0", ind(`-4cbf-938f`, `-0cbf-938f`), ErrID, "id"},
		{"UUID variant", ind(`-4cbf-938f`, `-4cbf-c38f`), ErrID, "id"},
		{"spec_version 2.0", ind(`"spec_version":"2.1"`, `"spec_version":"2.0"`), ErrSpecVersion, "spec_version"},
		{"no spec_version", ind(`"spec_version":"2.1",`, ``), ErrSpecVersion, "spec_version"},
		{"offset timestamp", ind(`"created":"`+t0+`"`, `"created":"2026-11-20T10:00:00.000+02:00"`), ErrTimestamp, "created"},
		{"created to the second", ind(`"created":"`+t0+`"`, `"created":"2026-11-20T08:00:00Z"`), ErrTimestamp, "created"},
		{"no such day", ind(`"valid_from":"`+t0+`"`, `"valid_from":"2026-02-30T00:00:00Z"`), ErrTimestamp, "valid_from"},
		{"leap second", ind(`"valid_from":"`+t0+`"`, `"valid_from":"2016-12-31T23:59:60Z"`), ErrTimestamp, "valid_from"},
		{"modified before created", ind(`"modified":"`+t0+`"`, `"modified":"2026-11-19T08:00:00.000Z"`), ErrInvalid, "modified"},
		{"valid_until not after valid_from", ind(`"valid_from":"`+t0+`"`, `"valid_from":"`+t0+`","valid_until":"`+t0+`"`), ErrInvalid, "valid_until"},
		{"confidence 101", ind(`"pattern_type"`, `"confidence":101,"pattern_type"`), ErrInvalid, "confidence"},
		{"confidence 1.5", ind(`"pattern_type"`, `"confidence":1.5,"pattern_type"`), ErrInvalid, "confidence"},
		{"empty labels", ind(`"pattern_type"`, `"labels":[],"pattern_type"`), ErrInvalid, "labels"},
		{"null", ind(`"pattern_type"`, `"x_note":null,"pattern_type"`), ErrInvalid, "x_note"},
		{"created_by_ref not identity", ind(`"pattern_type"`, `"created_by_ref":"`+idActor+`","pattern_type"`), ErrID, "created_by_ref"},
		{"external reference without detail", ind(`"pattern_type"`, `"external_references":[{"source_name":"misp"}],"pattern_type"`), ErrMissing, "external_references[0]"},
		{"cve without its id", ind(`"pattern_type"`, `"external_references":[{"source_name":"cve","external_id":"2014-0160"}],"pattern_type"`), ErrInvalid, "external_references[0].external_id"},
		{"external reference url", ind(`"pattern_type"`, `"external_references":[{"source_name":"a","url":"not a url"}],"pattern_type"`), ErrInvalid, "external_references[0].url"},
		{"granular selector of nothing", ind(`"pattern_type"`, `"granular_markings":[{"marking_ref":"`+TLPRedID+`","selectors":["description"]}],"pattern_type"`), ErrInvalid, "granular_markings[0].selectors"},
		{"granular language only", ind(`"pattern_type"`, `"granular_markings":[{"lang":"ar","selectors":["pattern"]}],"pattern_type"`), ErrMissing, "granular_markings[0].marking_ref"},
		{"marking ref to an identity", ind(`"pattern_type"`, `"object_marking_refs":["`+idIdentity+`"],"pattern_type"`), ErrID, "object_marking_refs[0]"},
		{"extension key", ind(`"pattern_type"`, `"extensions":{"acme":{"a":1}},"pattern_type"`), ErrInvalid, "extensions.acme"},
		{"extension without type", ind(`"pattern_type"`, `"extensions":{"extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e":{"rank":1}},"pattern_type"`), ErrMissing, "extensions.extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e.extension_type"},
		{"unknown type", strings.ReplaceAll(validObjects["threat-actor"], "threat-actor", "threat-person"), ErrType, "type"},
		{"latitude out of range", set("location", `33.0123`, `91`), ErrInvalid, "latitude"},
		{"latitude alone", set("location", `,"longitude":35.8765`, ``), ErrMissing, "longitude"},
		{"location of nothing", set("location", `"latitude":33.0123,"longitude":35.8765,`, ``), ErrMissing, "region"},
		{"opinion off the scale", set("opinion", `"agree"`, `"maybe"`), ErrInvalid, "opinion"},
		{"report without refs", set("report", `,"object_refs":["`+idIndicator+`"]`, ``), ErrMissing, "object_refs"},
		{"report without published", set("report", `"published":"`+t0+`",`, ``), ErrMissing, "published"},
		{"sighting without what", set("sighting", `"sighting_of_ref":"`+idIndicator+`",`, ``), ErrMissing, "sighting_of_ref"},
		{"sighted at an indicator", set("sighting", `"where_sighted_refs":["`+idLocation+`"]`, `"where_sighted_refs":["`+idIndicator+`"]`), ErrID, "where_sighted_refs[0]"},
		{"relationship without target", set("relationship", `,"target_ref":"`+idLocation+`"`, ``), ErrMissing, "target_ref"},
		{"relationship type", set("relationship", `"located-at"`, `"Located At"`), ErrInvalid, "relationship_type"},
		{"relationship to a marking", set("relationship", `"target_ref":"`+idLocation+`"`, `"target_ref":"`+TLPRedID+`"`), ErrID, "target_ref"},
		{"invented TLP 1.0 marking", set("marking-tlp1", `f88d31f6-486f-44da-b317-01333bde0b82`, `f88d31f6-486f-44da-b317-01333bde0b83`), ErrInvalid, "definition_type"},
		{"standard TLP 1.0 altered", set("marking-tlp1", `"tlp":"amber"`, `"tlp":"green"`), ErrInvalid, "definition"},
		{"TLP 2.0 id with another level", set("marking-tlp2", `"tlp_2_0":"amber+strict"`, `"tlp_2_0":"clear"`), ErrInvalid, "extensions." + TLP2Extension},
		{"TLP 2.0 extension on another id", set("marking-tlp2", TLPAmberStrictID, "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b004"), ErrInvalid, "extensions." + TLP2Extension},
		{"statement without one", set("marking-stmt", `{"statement":"Copyright 2026, the cell"}`, `{"text":"x"}`), ErrUnknownProperty, "definition.text"},
		{"observable with created", set("ipv4-addr", `"value"`, `"created":"`+t0+`","value"`), ErrUnknownProperty, "created"},
		{"ipv4 address", set("ipv4-addr", `198.51.100.3`, `198.51.100.300`), ErrInvalid, "value"},
		{"observed data with a container", set("observed-data", `"number_observed":1,`, `"number_observed":1,"objects":{"0":{"type":"ipv4-addr","value":"198.51.100.3"}},`), ErrUnknownProperty, "objects"},
		{"artifact of nothing", `{"type":"artifact","id":"artifact--6f437177-6e48-5cf8-9d9e-872a2bddd641","mime_type":"text/plain"}`, ErrInvalid, "url"},
		{"not an object", `[1]`, ErrInvalid, ""},
	} {
		_, err := ParseObject([]byte(tc.in))
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, tc.kind) || e.Path != tc.path {
			t.Errorf("%s: got %v (%#v), want %v at %q", tc.name, err, e, tc.kind, tc.path)
		}
	}
}

func TestBundleRefuses(t *testing.T) {
	wrap := func(objs ...string) string {
		return `{"type":"bundle","id":"` + idBundle + `","objects":[` + strings.Join(objs, ",") + `]}`
	}
	for _, tc := range []struct {
		name, in string
		kind     error
		index    int
	}{
		{"2.0 bundle", `{"type":"bundle","id":"` + idBundle + `","spec_version":"2.0","objects":[]}`, ErrSpecVersion, -1},
		{"bad object", wrap(validObjects["identity"], `{"type":"indicator"}`), ErrMissing, 1},
		{"conflicting versions", wrap(validObjects["identity"], strings.Replace(validObjects["identity"], `"Liaison cell"`, `"Another"`, 1)), ErrConflict, 1},
		{"empty objects", wrap(), ErrInvalid, -1},
		{"bundle id", strings.Replace(wrap(validObjects["identity"]), "bundle--", "report--", 1), ErrID, -1},
	} {
		_, err := ParseBundle([]byte(tc.in))
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, tc.kind) || e.Index != tc.index {
			t.Errorf("%s: got %v, want %v at objects[%d]", tc.name, err, tc.kind, tc.index)
		}
	}
	// The same version twice, identical but for a default left out, is one
	// version: accepted.
	same := strings.Replace(validObjects["identity"], `"name"`, `"revoked":false,"name"`, 1)
	if _, err := ParseBundle([]byte(wrap(validObjects["identity"], same))); err != nil {
		t.Errorf("identical versions refused: %v", err)
	}
}

func TestToplevelPropertyExtension(t *testing.T) {
	def := `{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--a932fcc6-e032-476c-826f-cb970a5a1ade","created_by_ref":"` + idIdentity + `","created":"` + t0 + `","modified":"` + t0 + `","name":"liaison","schema":"https://example.org/liaison.json","version":"1.0","extension_types":["toplevel-property-extension"],"extension_properties":["sector_code"]}`
	use := func(prop string) string {
		return strings.Replace(validObjects["identity"], `"name"`, `"`+prop+`":"J5","extensions":{"extension-definition--a932fcc6-e032-476c-826f-cb970a5a1ade":{"extension_type":"toplevel-property-extension"}},"name"`, 1)
	}
	b := `{"type":"bundle","id":"` + idBundle + `","objects":[%s,` + def + `]}`
	if _, err := ParseBundle([]byte(strings.Replace(b, "%s", use("sector_code"), 1))); err != nil {
		t.Errorf("a declared top-level property refused: %v", err)
	}
	_, err := ParseBundle([]byte(strings.Replace(b, "%s", use("sector_name"), 1)))
	if !errors.Is(err, ErrUnknownProperty) {
		t.Errorf("a top-level property the definition does not declare: %v", err)
	}
	// Alone, the definition is unknown: any well-formed name is taken.
	if _, err := ParseObject([]byte(use("sector_name"))); err != nil {
		t.Errorf("alone: %v", err)
	}
}

func TestTimestampCompare(t *testing.T) {
	ts := func(s string) Timestamp {
		v, err := ParseTimestamp(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z", 0},
		{"2026-01-01T00:00:00.1Z", "2026-01-01T00:00:00.0999999999999Z", 1},
		{"2026-01-01T00:00:00.0000000001Z", "2026-01-01T00:00:00Z", 1},
		{"2025-12-31T23:59:59.999Z", "2026-01-01T00:00:00Z", -1},
	} {
		if got := ts(tc.a).Compare(ts(tc.b)); got != tc.want {
			t.Errorf("%s vs %s: %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
