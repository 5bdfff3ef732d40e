package stix

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func bundleOf(t testing.TB, objs ...string) *Bundle {
	t.Helper()
	b, err := ParseBundle([]byte(`{"type":"bundle","id":"` + idBundle + `","objects":[` + strings.Join(objs, ",") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// field is a small report of the kind the desk receives: an identity, a
// threat actor located somewhere, an indicator marked AMBER with a RED
// granular marking on its description, a sighting of it there, and the
// report over all of it.
func field(t testing.TB) *Bundle {
	ind := strings.Replace(validObjects["indicator"], `"pattern":`, `"created_by_ref":"`+idIdentity+`","description":"seen at the crossing","object_marking_refs":["`+TLPAmberID+`"],"granular_markings":[{"marking_ref":"`+TLPRedID+`","selectors":["description"]}],"x_misp_event_ref":"`+idReport+`","pattern":`, 1)
	rep := strings.Replace(validObjects["report"], `["`+idIndicator+`"]`, `["`+idIdentity+`","`+idActor+`","`+idLocation+`","`+idIndicator+`","`+idSighting+`","`+idRel+`"]`, 1)
	rep = strings.Replace(rep, `"name":"R"`, `"name":"R","object_marking_refs":["`+TLPGreenID+`"],"granular_markings":[{"marking_ref":"`+TLPAmberID+`","selectors":["object_refs.[3]","object_refs.[0]"]}]`, 1)
	return bundleOf(t, validObjects["identity"], validObjects["threat-actor"], validObjects["location"], ind, validObjects["sighting"], validObjects["relationship"], rep, validObjects["marking-tlp2"])
}

func TestSanitizeRemovesAndRewrites(t *testing.T) {
	b := field(t)
	d, back, err := Sanitize(b, Recipe{RemoveIDs: []string{idIdentity}, RemoveTypes: []string{"threat-actor"}, LocationKm: 10, Key: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	types := []string{}
	for _, o := range d.Objects() {
		types = append(types, o.Type())
	}
	// The relationship from the removed actor goes with it.
	if want := []string{"location", "indicator", "sighting", "report", "marking-definition"}; !slices.Equal(types, want) {
		t.Fatalf("derivative has %v, want %v", types, want)
	}
	out, _ := d.MarshalJSON()
	for _, orig := range []string{idIdentity, idActor, idLocation, idIndicator, idSighting, idRel, idReport, idBundle} {
		_, uuid, _ := parseID(orig)
		if strings.Contains(string(out), uuid) {
			t.Errorf("the derivative still holds %s", orig)
		}
	}
	if !strings.Contains(string(out), TLPAmberStrictID) || !strings.Contains(string(out), TLPRedID) {
		t.Error("the standard markings lost their ids")
	}
	objs := d.Objects()
	loc, ind, sig, rep := objs[0], objs[1], objs[2], objs[3]
	if back[loc.ID()] != idLocation || back[ind.ID()] != idIndicator || back[d.ID()] != idBundle || len(back) != 5 {
		t.Errorf("mapping %v", back)
	}
	// References follow the new ids; the removed ones are gone.
	if ref, _ := sig.String("sighting_of_ref"); ref != ind.ID() {
		t.Errorf("sighting_of_ref %s, want %s", ref, ind.ID())
	}
	if ref, _ := ind.String("x_misp_event_ref"); ref != rep.ID() {
		t.Errorf("a custom reference %s, want %s", ref, rep.ID())
	}
	if ind.CreatedByRef() != "" {
		t.Errorf("created_by_ref %s survived", ind.CreatedByRef())
	}
	refs, _ := rep.Property("object_refs")
	if want := `["` + loc.ID() + `","` + ind.ID() + `","` + sig.ID() + `"]`; string(refs) != want {
		t.Errorf("object_refs %s\nwant %s", refs, want)
	}
	// The report's granular marking of object_refs.[3] (the indicator) now
	// selects object_refs.[1]; that of the removed identity is gone.
	if g := rep.GranularMarkings(); len(g) != 1 || !slices.Equal(g[0].Selectors, []string{"object_refs.[1]"}) {
		t.Errorf("granular markings %+v", g)
	}
	if m := d.Resolver().Effective(ind); m.TLP != TLPRed || !m.Granular {
		t.Errorf("the indicator's marking became %+v", m)
	}
	// The location, to a 10 km grid, without its street.
	lat, _ := loc.Property("latitude")
	if _, ok := loc.Property("street_address"); ok || string(lat) == "33.0123" {
		t.Errorf("location not coarsened: %s", mustJSON(loc))
	}
	if p, _ := loc.Property("precision"); string(p) != "10000" {
		t.Errorf("precision %s", p)
	}

	// The same key gives the same ids; another key, or none, others.
	again, _, _ := Sanitize(b, Recipe{RemoveIDs: []string{idIdentity}, RemoveTypes: []string{"threat-actor"}, LocationKm: 10, Key: []byte("k")})
	other, _, _ := Sanitize(b, Recipe{RemoveIDs: []string{idIdentity}, RemoveTypes: []string{"threat-actor"}, LocationKm: 10, Key: []byte("l")})
	if again.ID() != d.ID() || again.Objects()[1].ID() != ind.ID() || other.Objects()[1].ID() == ind.ID() {
		t.Error("derived ids do not follow the key")
	}
}

func TestSanitizeRefuses(t *testing.T) {
	b := field(t)
	leaky := bundleOf(t, validObjects["identity"], strings.Replace(validObjects["threat-actor"], `"name":"A"`, `"name":"A","description":"see `+idIdentity+`"`, 1))
	for _, tc := range []struct {
		name string
		b    *Bundle
		r    Recipe
		kind error
		path string
	}{
		{"a TLP marking definition", b, Recipe{RemoveTypes: []string{"marking-definition"}}, ErrRecipe, ""},
		{"the markings", b, Recipe{RemoveProperties: []PropertyPath{{Path: "object_marking_refs"}}}, ErrRecipe, "RemoveProperties"},
		{"an id", b, Recipe{RemoveProperties: []PropertyPath{{Path: "id"}}}, ErrRecipe, "RemoveProperties"},
		{"an object not there", b, Recipe{RemoveIDs: []string{"note--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}}, ErrRecipe, ""},
		{"a required property", b, Recipe{RemoveProperties: []PropertyPath{{Type: "indicator", Path: "pattern"}}}, ErrRecipe, "pattern"},
		{"an id in a description", leaky, Recipe{}, ErrLeak, "description"},
		{"a bad grid", b, Recipe{LocationKm: math.NaN()}, ErrRecipe, "LocationKm"},
		{"a creator who is not an identity", b, Recipe{CreatedBy: idActor}, ErrRecipe, "CreatedBy"},
	} {
		_, _, err := Sanitize(tc.b, tc.r)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, tc.kind) || e.Path != tc.path {
			t.Errorf("%s: %v, want %v at %q", tc.name, err, tc.kind, tc.path)
		}
	}
	// What the leak check refused, removing the property allows.
	if _, _, err := Sanitize(leaky, Recipe{RemoveProperties: []PropertyPath{{Type: "threat-actor", Path: "description"}}}); err != nil {
		t.Error(err)
	}
}

func TestSanitizeCreatorAndMarkings(t *testing.T) {
	mediator := "identity--0b3fbc3b-53b5-4b2c-9d9b-d6a0a7a3a0c1"
	d, _, err := Sanitize(field(t), Recipe{CreatedBy: mediator, AddMarkings: []string{TLPAmberStrictID}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range d.Objects() {
		if o.Type() == "marking-definition" {
			continue
		}
		if o.CreatedByRef() != mediator || !slices.Contains(o.ObjectMarkingRefs(), TLPAmberStrictID) {
			t.Errorf("%s: created by %q, marked %v", o.Type(), o.CreatedByRef(), o.ObjectMarkingRefs())
		}
	}
	if m := d.Resolver().Max(d.Objects()); m.TLP != TLPRed {
		t.Errorf("the derivative's marking %v, want the original's RED", m.TLP)
	}
}

// TestSanitizeProperties makes random bundles and random recipes, and
// checks what must hold of every derivative: it holds no removed object,
// no removed property, no location finer than asked and no original id
// (nor its UUID, anywhere); every reference in it names an object in it, a
// standard or public definition, or a stand-in for an object outside the
// original; the mapping names every new id; and it re-reads and validates.
func TestSanitizeProperties(t *testing.T) {
	s := loadSchemasOrNil(t)
	rng := rand.New(rand.NewPCG(1, 2))
	paths := []PropertyPath{{Path: "description"}, {Type: "indicator", Path: "name"}, {Path: "x_src_ref"}, {Type: "location", Path: "city"}, {Path: "extensions.x-liaison-ext.seen_refs"}, {Path: "external_references.url"}, {Path: "x_comment"}}
	leaks := 0
	for iter := 0; iter < 300; iter++ {
		objs := randomBundle(rng)
		b := bundleOf(t, objs...)
		var r Recipe
		for _, o := range b.objects {
			if rng.IntN(8) == 0 && o.typ != "marking-definition" {
				r.RemoveIDs = append(r.RemoveIDs, o.id)
			}
		}
		for _, typ := range []string{"identity", "location", "threat-actor", "note", "intrusion-set"} {
			if rng.IntN(5) == 0 {
				r.RemoveTypes = append(r.RemoveTypes, typ)
			}
		}
		for _, p := range paths {
			if rng.IntN(3) == 0 {
				r.RemoveProperties = append(r.RemoveProperties, p)
			}
		}
		r.LocationKm = []float64{0, 1, 5, 25.5, 300}[rng.IntN(5)]
		if rng.IntN(2) == 0 {
			r.Key = []byte{byte(iter)}
		}
		d, back, err := Sanitize(b, r)
		if errors.Is(err, ErrLeak) && !slices.Contains(r.RemoveProperties, PropertyPath{Path: "x_comment"}) {
			// Only the free text of x_comment names originals: removing it
			// must make the recipe work.
			leaks++
			r.RemoveProperties = append(r.RemoveProperties, PropertyPath{Path: "x_comment"})
			d, back, err = Sanitize(b, r)
		}
		if err != nil {
			t.Fatalf("iteration %d: %v\nrecipe %+v\nbundle %s", iter, err, r, mustJSON(b))
		}
		checkDerivative(t, b, r, d, back)
		if s != nil && iter%10 == 0 {
			out, _ := d.MarshalJSON()
			s.validate(t, out)
		}
	}
	if leaks == 0 {
		t.Error("no recipe met the leak check: the generator does not test it")
	}
}

func checkDerivative(t *testing.T, b *Bundle, r Recipe, d *Bundle, back map[string]string) {
	t.Helper()
	out, _ := d.MarshalJSON()
	again, err := ParseBundle(out)
	if err != nil {
		t.Fatalf("the derivative does not re-read: %v\n%s", err, out)
	}
	assertSameBundle(t, d, again)

	orig := map[string]*Object{}
	for _, o := range b.objects {
		orig[o.id] = o
	}
	public := func(id string) bool {
		_, std := StandardMarking(id)
		return std || publicType(id) || id == r.CreatedBy
	}
	text := string(out)
	for id := range orig {
		if public(id) {
			continue
		}
		_, uuid, _ := parseID(id)
		if strings.Contains(strings.ToLower(text), strings.ToLower(uuid)) {
			t.Fatalf("original %s in the derivative:\n%s", id, out)
		}
	}
	here := map[string]bool{}
	for _, o := range d.objects {
		here[o.id] = true
		src := o.id
		if !public(o.id) {
			var ok bool
			if src, ok = back[o.id]; !ok {
				t.Fatalf("%s is not in the mapping", o.id)
			}
		}
		if slices.Contains(r.RemoveIDs, src) || slices.Contains(r.RemoveTypes, o.typ) {
			t.Fatalf("removed %s is in the derivative", src)
		}
		for _, p := range r.RemoveProperties {
			if (p.Type == "" || p.Type == o.typ) && !definition(o) && hasPath(&o.tree, strings.Split(p.Path, ".")) {
				t.Fatalf("%s still has %s", o.typ, p.Path)
			}
		}
		if o.typ == "location" && r.LocationKm > 0 {
			checkGrid(t, o, r.LocationKm)
		}
	}
	for _, o := range d.objects {
		if definition(o) {
			continue
		}
		for _, ref := range o.References() {
			if here[ref] || public(ref) {
				continue
			}
			src, ok := back[ref]
			if !ok || orig[src] != nil {
				t.Fatalf("%s refers to %s, which is neither in the derivative nor a stand-in for an object outside the original", o.id, ref)
			}
		}
	}
}

func hasPath(n *node, path []string) bool {
	switch n.k {
	case kArray:
		return slices.ContainsFunc(n.a, func(e node) bool { return hasPath(&e, path) })
	case kObject:
		v, ok := n.get(path[0])
		if !ok {
			return false
		}
		return len(path) == 1 || hasPath(v, path[1:])
	}
	return false
}

func checkGrid(t *testing.T, o *Object, km float64) {
	t.Helper()
	if _, ok := o.Property("street_address"); ok {
		t.Fatalf("%s keeps its street_address", o.id)
	}
	if _, ok := o.Property("postal_code"); ok {
		t.Fatalf("%s keeps its postal_code", o.id)
	}
	latRaw, ok := o.Property("latitude")
	if !ok {
		return
	}
	lngRaw, _ := o.Property("longitude")
	precRaw, _ := o.Property("precision")
	lat, _ := strconv.ParseFloat(string(latRaw), 64)
	lng, _ := strconv.ParseFloat(string(lngRaw), 64)
	prec, _ := strconv.ParseFloat(string(precRaw), 64)
	dLat, dLng := gridSteps(km, lat)
	onGrid := func(v, step, bound float64) bool {
		k := v / step
		return math.Abs(k-math.Round(k)) < 1e-6 || math.Abs(v) == bound
	}
	if !onGrid(lat, dLat, 90) || !onGrid(lng, dLng, 180) || prec < km*1000 {
		t.Fatalf("%s at %v,%v precision %v is finer than a %v km grid (steps %v, %v)", o.id, lat, lng, prec, km, dLat, dLng)
	}
}

// randomBundle makes the objects of a bundle with references of every
// kind between them (and to objects outside it), markings, custom
// properties and extensions.
func randomBundle(rng *rand.Rand) []string {
	id := func(typ string) string {
		u := make([]byte, 16)
		for i := range u {
			u[i] = byte(rng.IntN(256))
		}
		u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
		return fmt.Sprintf("%s--%x-%x-%x-%x-%x", typ, u[:4], u[4:6], u[6:8], u[8:10], u[10:])
	}
	ts := func() string {
		return fmt.Sprintf("2026-11-%02dT%02d:%02d:00.000Z", 1+rng.IntN(28), rng.IntN(24), rng.IntN(60))
	}
	pick := func(ids []string) string { return ids[rng.IntN(len(ids))] }
	some := func(ids []string) string {
		var out []string
		for _, i := range ids {
			if rng.IntN(2) == 0 {
				out = append(out, `"`+i+`"`)
			}
		}
		if len(out) == 0 {
			out = append(out, `"`+pick(ids)+`"`)
		}
		return "[" + strings.Join(out, ",") + "]"
	}
	stmt := id("marking-definition")
	tlps := []string{TLPClearID, TLPGreenID, TLPAmberID, TLPAmberStrictID, TLPRedID, tlp1Amber}
	outside := id("identity") // never in the bundle
	var objs, all, identities, locations, sdos []string
	core := func(typ, oid string) string {
		t := ts()
		s := `"type":"` + typ + `","spec_version":"2.1","id":"` + oid + `","created":"` + t + `","modified":"` + t + `"`
		if rng.IntN(2) == 0 {
			s += `,"object_marking_refs":["` + pick(tlps) + `"` + map[bool]string{true: `,"` + stmt + `"`}[rng.IntN(4) == 0] + `]`
		}
		return s
	}
	add := func(typ, body string) string {
		oid := id(typ)
		all = append(all, oid)
		objs = append(objs, "{"+core(typ, oid)+body+"}")
		return oid
	}
	for range 1 + rng.IntN(3) {
		identities = append(identities, add("identity", `,"name":"party","description":"an analyst"`))
	}
	for range rng.IntN(4) {
		body := fmt.Sprintf(`,"latitude":%.6f,"longitude":%.6f,"city":"c","street_address":"s","postal_code":"p"`, -90+180*rng.Float64(), -180+360*rng.Float64())
		if rng.IntN(3) == 0 {
			body += fmt.Sprintf(`,"precision":%d`, rng.IntN(40000))
		}
		if rng.IntN(3) == 0 {
			body = `,"region":"western-asia","country":"SY"`
		}
		locations = append(locations, add("location", body))
	}
	for range 1 + rng.IntN(3) {
		sdos = append(sdos, add("threat-actor", `,"name":"a","description":"d"`))
	}
	sdos = append(sdos, add("intrusion-set", `,"name":"s"`))
	for range 1 + rng.IntN(5) {
		refs := append(append([]string{}, identities...), sdos...)
		body := `,"name":"n","description":"d","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","created_by_ref":"` + pick(append(identities, outside)) + `"`
		body += `,"x_src_ref":"` + pick(refs) + `","extensions":{"x-liaison-ext":{"seen_refs":` + some(append(refs, outside)) + `,"rank":3}}`
		body += `,"external_references":[{"source_name":"misp","url":"https://misp.example/e/1","description":"e"}]`
		body += `,"granular_markings":[{"marking_ref":"` + pick(append(tlps, stmt)) + `","selectors":["description","extensions.x-liaison-ext.seen_refs.[0]"]}]`
		if rng.IntN(3) == 0 {
			body += `,"x_comment":"derived from ` + pick(refs) + `"`
		}
		sdos = append(sdos, add("indicator", body))
	}
	for range rng.IntN(6) {
		body := `,"relationship_type":"related-to","source_ref":"` + pick(sdos) + `","target_ref":"` + pick(append(append(sdos, locations...), outside)) + `"`
		add("relationship", body)
	}
	if len(locations) > 0 {
		add("sighting", `,"sighting_of_ref":"`+pick(sdos)+`","where_sighted_refs":`+some(locations))
	}
	add("note", `,"content":"c","object_refs":`+some(all))
	rep := `,"name":"r","published":"2026-11-30T00:00:00Z","object_refs":` + some(append(all, outside))
	rep += `,"granular_markings":[{"marking_ref":"` + pick(tlps) + `","selectors":["object_refs.[0]"]}]`
	add("report", rep)
	objs = append(objs, `{"type":"marking-definition","spec_version":"2.1","id":"`+stmt+`","created":"2026-01-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"for the cell"}}`)
	objs = append(objs, validObjects["marking-tlp2"])
	rng.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
	return objs
}
