package api_test

// The de-escalation desk through HTTP, as members of each party would use
// it, on every backend: zones and their signatures, notifications and
// their conflicts (named, or held for the mediator), answers, amendments,
// incidents and their verification, what each party owes, the board, and
// the refusals: of the party that may not, of a path that names another
// thing than its command, and of what a party may not read, answered as
// what does not exist.

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"mime"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/geo"
	"github.com/liaison-cell/liaison/internal/seed"
)

// The tests' own ground: north-east of the demo's zones, clear of every
// zone and of the demo's traffic, which is notified for the next 52 hours.
const freeLng, freeLat = 36.35, 33.35

// farOff is when the tests' activities happen: after the demo's.
var farOff = 100 * time.Hour

// boxAt is a square of side 2d degrees around (lng, lat).
func boxAt(lng, lat, d float64) map[string]any {
	return map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{lng - d, lat - d}, {lng + d, lat - d}, {lng + d, lat + d}, {lng - d, lat + d}, {lng - d, lat - d}}}}
}

func pointAt(lng, lat float64) map[string]any {
	return map[string]any{"type": "Point", "coordinates": [2]float64{lng, lat}}
}

// window is a volume of geometry over [farOff+from, farOff+to) hours.
func window(geometry map[string]any, from, to float64, extra map[string]any) map[string]any {
	at := func(h float64) string {
		return time.Now().Add(farOff + time.Duration(h*float64(time.Hour))).UTC().Format(time.RFC3339)
	}
	v := map[string]any{"geometry": geometry, "start": at(from), "end": at(to)}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

func activity(typ, title string, addressed []string, vols ...map[string]any) map[string]any {
	if addressed == nil {
		addressed = []string{}
	}
	return map[string]any{"type": typ, "title": title, "addressed": addressed, "precedence": "PRIORITY", "volumes": vols}
}

// notified is the answer to a notification or an amendment.
type notified struct {
	Entry    api.EntryJSON                 `json:"entry"`
	Activity deconflict.NotificationDetail `json:"activity"`
}

func (c *client) notify(t testing.TB, fields map[string]any) notified {
	t.Helper()
	r := c.submit(t, "POST", "/api/v1/activities", c.sign(deconflict.KindActivityNotify, fields))
	if r.Status != http.StatusCreated {
		t.Fatalf("%s notifies %q: %s", c.member, fields["title"], r)
	}
	var n notified
	decode(t, r, &n)
	if n.Activity.ID != n.Entry.Index {
		t.Fatalf("the answer's activity %d is not the entry %d", n.Activity.ID, n.Entry.Index)
	}
	return n
}

// unnamedProblem is the 409 of a notification that overlaps others
// without naming them: a problem and its conflicts member, nothing else.
type unnamedProblem struct {
	Type      string               `json:"type"`
	Title     string               `json:"title"`
	Status    int                  `json:"status"`
	Detail    string               `json:"detail"`
	Instance  string               `json:"instance"`
	Conflicts []deconflict.Overlap `json:"conflicts"`
}

func wantUnnamed(t testing.TB, r reply) unnamedProblem {
	t.Helper()
	if r.Status != http.StatusConflict {
		t.Fatalf("want 409, got %s", r)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/problem+json" {
		t.Errorf("409 as %q", r.Header.Get("Content-Type"))
	}
	var p unnamedProblem
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem %s: %v", r.Body, err)
	}
	if p.Type != api.ProblemTypeBase+"conflict" || p.Status != http.StatusConflict || p.Instance != r.path || p.Detail == "" {
		t.Errorf("problem %+v", p)
	}
	return p
}

// sameNotFound requires two answers to be the same 404 but for the ids
// they were asked about.
func sameNotFound(t testing.TB, hidden reply, hiddenID string, missing reply, missingID string) {
	t.Helper()
	wantType(t, hidden, http.StatusNotFound, "not-found")
	wantType(t, missing, http.StatusNotFound, "not-found")
	h := strings.ReplaceAll(string(hidden.Body), hiddenID, "N")
	m := strings.ReplaceAll(string(missing.Body), missingID, "N")
	if h != m {
		t.Errorf("what may not be read answers\n%s\nwhat does not exist\n%s", h, m)
	}
}

func TestDeskZonesOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, ilDip, sy, us, jo := ts.login(t, "il.military"), ts.login(t, "il.diplomatic"), ts.login(t, "sy.military"), ts.login(t, "us.military"), ts.login(t, "jo.duty")
		post := map[string]any{"id": "test-post", "name": "Observation post", "names": map[string]string{"ar": "نقطة المراقبة", "he": "עמדת התצפית"},
			"kind": "protected", "geometry": pointAt(freeLng, freeLat+0.05), "radius_m": 300, "buffer_m": 500}
		propose := func(c *client) reply {
			return c.submit(t, "POST", "/api/v1/zones", c.sign(deconflict.KindZonePropose, map[string]any{"zone": post}))
		}
		size := ts.size(t)
		wantType(t, propose(jo), http.StatusForbidden, "forbidden")
		wantType(t, propose(ilDip), http.StatusForbidden, "forbidden")
		if ts.size(t) != size {
			t.Fatal("a refused proposal appended")
		}
		il.submitOK(t, "POST", "/api/v1/zones", il.sign(deconflict.KindZonePropose, map[string]any{"zone": post}), http.StatusCreated)
		// The same words again are no new version.
		if p := wantType(t, propose(sy), http.StatusConflict, "conflict"); !strings.Contains(p.Detail, "already says exactly this") {
			t.Errorf("a repeated proposal: %s", p.Detail)
		}
		var z deconflict.ZoneDetail
		jo.getJSON(t, "/api/v1/zones/test-post", &z) // every party reads the map, drafts included
		if z.Latest != 1 || z.Agreed != 0 || len(z.Versions) != 1 || z.Versions[0].Status != "draft" || z.Versions[0].Party != "il" {
			t.Fatalf("the draft as Jordan reads it: %+v", z)
		}
		hash := z.Versions[0].Hash
		sign := func(c *client, zone string, fields map[string]any) reply {
			f := map[string]any{"zone": zone, "version": 1, "hash": hash}
			for k, v := range fields {
				f[k] = v
			}
			return c.submit(t, "POST", "/api/v1/zones/"+zone+"/sign", c.sign(deconflict.KindZoneSign, f))
		}
		wantType(t, sign(jo, "test-post", nil), http.StatusForbidden, "forbidden")
		if p := wantType(t, sign(sy, "test-post", map[string]any{"hash": strings.Repeat("0", 64)}), http.StatusConflict, "conflict"); !strings.Contains(p.Detail, "read it again") {
			t.Errorf("a wrong hash: %s", p.Detail)
		}
		wantType(t, sign(sy, "aos", map[string]any{"zone": "test-post"}), http.StatusUnprocessableEntity, "wrong-target")
		for _, c := range []*client{us, il, sy} {
			c.submitOK(t, "POST", "/api/v1/zones/test-post/sign", c.sign(deconflict.KindZoneSign, map[string]any{"zone": "test-post", "version": 1, "hash": hash}), http.StatusCreated)
		}
		wantType(t, sign(il, "test-post", nil), http.StatusConflict, "conflict")
		jo.getJSON(t, "/api/v1/zones/test-post", &z)
		if z.Agreed != 1 || z.AgreedHash != hash || z.Versions[0].Status != "agreed" || len(z.Versions[0].Signatures) != 3 {
			t.Errorf("after every signature: %+v", z)
		}
		var list struct{ Zones []deconflict.Zone }
		jo.getJSON(t, "/api/v1/zones", &list)
		if !slices.ContainsFunc(list.Zones, func(x deconflict.Zone) bool { return x.ID == "test-post" && x.Agreed == 1 }) {
			t.Errorf("the zone list lacks the agreed post: %+v", list.Zones)
		}
		wantType(t, jo.get(t, "/api/v1/zones/no-such-zone"), http.StatusNotFound, "not-found")
		// Forces are the sides' and the mediator's business.
		var forces struct {
			Declarations []deconflict.Declaration `json:"declarations"`
		}
		jo.getJSON(t, "/api/v1/zones/aol-sy-10/forces", &forces)
		if len(forces.Declarations) != 0 {
			t.Errorf("Jordan reads the sides' force declarations: %+v", forces)
		}
		il.getJSON(t, "/api/v1/zones/aol-sy-10/forces", &forces)
		if len(forces.Declarations) == 0 || forces.Declarations[0].Party != "sy" || len(forces.Declarations[0].Over) == 0 {
			t.Errorf("Israel does not read Syria's declaration over the limits: %+v", forces)
		}
	})
}

// The zones' export read back by a GeoJSON library of the field, and as
// XML: what a GIS and Google Earth would read.
func TestDeskZonesExport(t *testing.T) {
	ts := newTestServer(t)
	jo := ts.login(t, "jo.duty")
	zones := seed.DemoZones()
	inForce := zones[:len(zones)-1] // the demo's last zone is a draft

	r := jo.get(t, "/api/v1/zones/export")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/geo+json" ||
		r.Header.Get("Content-Disposition") != `attachment; filename="liaison-`+seed.DemoCell+`-zones.geojson"` {
		t.Fatalf("export: %d %v", r.Status, r.Header)
	}
	fc, err := geojson.UnmarshalFeatureCollection(r.Body)
	if err != nil {
		t.Fatalf("orb does not read the export: %v", err)
	}
	if len(fc.Features) != len(inForce) {
		t.Fatalf("%d features, want the %d zones in force", len(fc.Features), len(inForce))
	}
	byID := map[string]*geojson.Feature{}
	for _, f := range fc.Features {
		id, _ := f.ID.(string)
		byID[id] = f
		if f.Properties.MustString("status") != "agreed" || f.Properties.MustString("id") != id || len(f.Properties.MustString("hash")) != 64 {
			t.Errorf("feature %q: properties %v", id, f.Properties)
		}
	}
	for _, z := range inForce {
		f := byID[z.ID]
		if f == nil {
			t.Errorf("no feature for zone %s", z.ID)
			continue
		}
		if f.Properties.MustString("name") != z.Name || f.Properties.MustString("kind") != z.Kind {
			t.Errorf("zone %s: properties %v", z.ID, f.Properties)
		}
	}
	if p, ok := byID["majdal-shams"].Geometry.(orb.Point); !ok || p != (orb.Point{35.768, 33.270}) ||
		byID["majdal-shams"].Properties.MustFloat64("radius_m") != 1200 || byID["majdal-shams"].Properties.MustFloat64("buffer_m") != 1500 {
		t.Errorf("Majdal Shams: %#v %v", byID["majdal-shams"].Geometry, byID["majdal-shams"].Properties)
	}
	if l, ok := byID["alpha-line"].Geometry.(orb.LineString); !ok || len(l) != 8 || byID["alpha-line"].Properties.MustFloat64("width_m") != 200 {
		t.Errorf("the Alpha line: %#v", byID["alpha-line"].Geometry)
	}
	if p, ok := byID["aos"].Geometry.(orb.Polygon); !ok || len(p) != 1 || len(p[0]) != 17 {
		t.Errorf("the Area of Separation: %#v", byID["aos"].Geometry)
	}
	names, _ := byID["aos"].Properties["names"].(map[string]any)
	if names["ar"] != "منطقة الفصل" || names["he"] != "אזור ההפרדה" {
		t.Errorf("the names in other languages: %v", byID["aos"].Properties["names"])
	}

	// With the drafts, Israel's proposal is there, marked as a draft.
	r = jo.get(t, "/api/v1/zones/export?format=geojson&drafts=1")
	if fc, err = geojson.UnmarshalFeatureCollection(r.Body); err != nil || len(fc.Features) != len(zones) {
		t.Fatalf("export with drafts: %v, %d features", err, len(fc.Features))
	}
	last := fc.Features[len(fc.Features)-1]
	if last.ID != "buqata" || last.Properties.MustString("status") != "draft" || last.Properties.MustInt("version") != 1 {
		t.Errorf("the draft: %v %v", last.ID, last.Properties)
	}

	// KML, read back as XML.
	r = jo.get(t, "/api/v1/zones/export?format=kml&drafts=1")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/vnd.google-earth.kml+xml" ||
		!strings.HasSuffix(r.Header.Get("Content-Disposition"), `-zones-with-drafts.kml"`) {
		t.Fatalf("KML export: %d %v", r.Status, r.Header)
	}
	var doc struct {
		XMLName  xml.Name `xml:"http://www.opengis.net/kml/2.2 kml"`
		Document struct {
			Name       string `xml:"name"`
			Placemarks []struct {
				Name        string   `xml:"name"`
				Description string   `xml:"description"`
				Coordinates []string `xml:"MultiGeometry>Point>coordinates"`
				Polygons    []string `xml:"MultiGeometry>Polygon>outerBoundaryIs>LinearRing>coordinates"`
			} `xml:"Placemark"`
		} `xml:"Document"`
	}
	if err := xml.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("the KML does not parse: %v", err)
	}
	if len(doc.Document.Placemarks) != len(zones) || !strings.Contains(doc.Document.Name, "zones in force and drafts") {
		t.Fatalf("KML: %q with %d placemarks", doc.Document.Name, len(doc.Document.Placemarks))
	}
	pm := map[string]int{}
	for i, p := range doc.Document.Placemarks {
		pm[p.Name] = i
	}
	aos, ok := pm["Area of Separation"]
	if !ok {
		t.Fatalf("no placemark named Area of Separation: %v", pm)
	}
	for _, want := range []string{"ar: منطقة الفصل", "he: אזור ההפרדה", "zone aos, version 1: agreed", "kind: separation", "uav_flight notice 1 h ahead", "otherwise prohibited"} {
		if !strings.Contains(doc.Document.Placemarks[aos].Description, want) {
			t.Errorf("the Area of Separation's description lacks %q:\n%s", want, doc.Document.Placemarks[aos].Description)
		}
	}
	if i, ok := pm["Buq'ata (draft, version 1)"]; !ok || !strings.Contains(doc.Document.Placemarks[i].Description, "draft, awaiting") {
		t.Errorf("the draft is not marked as one: %v", pm)
	}
	if i := pm["Majdal Shams"]; len(doc.Document.Placemarks[i].Coordinates) != 1 || doc.Document.Placemarks[i].Coordinates[0] != "35.768,33.27" {
		t.Errorf("Majdal Shams's centre: %v", doc.Document.Placemarks[i].Coordinates)
	} else if len(doc.Document.Placemarks[i].Polygons) != 1 || len(strings.Fields(doc.Document.Placemarks[i].Polygons[0])) != geo.CircleSegments+1 {
		t.Errorf("Majdal Shams's disc is not drawn as a closed polygon of %d edges: %v", geo.CircleSegments, doc.Document.Placemarks[i].Polygons)
	}

	for _, q := range []string{"?format=shp", "?drafts=yes"} {
		wantType(t, jo.get(t, "/api/v1/zones/export"+q), http.StatusBadRequest, "bad-request")
	}
}

func TestDeskNotificationsOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, sy, us, jo := ts.login(t, "il.military"), ts.login(t, "sy.military"), ts.login(t, "us.military"), ts.login(t, "jo.duty")

		// An exercise in the Area of Separation breaks its rule: recorded,
		// not refused.
		inAoS := il.notify(t, activity("exercise", "Exercise in the separation area", []string{"sy"}, window(pointAt(35.857, 33.03), 0, 2, map[string]any{"radius_m": 100})))
		zc := inAoS.Activity.Versions[0].ZoneConflicts
		if len(zc) != 1 || zc[0].Zone != "aos" || zc[0].Rule != deconflict.RuleProhibited {
			t.Errorf("zone conflicts of an exercise in the AoS: %+v", zc)
		}

		// Israel's patrol, addressed to Syria; Syria's convoy overlaps it
		// and must name it.
		patrol := il.notify(t, activity("ground_movement", "Patrol on the eastern road", []string{"sy"}, window(boxAt(freeLng, freeLat, 0.02), 0, 3, nil)))
		pid := patrol.Entry.Index
		convoy := activity("humanitarian_convoy", "Convoy to the eastern villages", []string{"il"}, window(boxAt(freeLng+0.01, freeLat, 0.01), 1, 2, nil))
		size := ts.size(t)
		p := wantUnnamed(t, sy.submit(t, "POST", "/api/v1/activities", sy.sign(deconflict.KindActivityNotify, convoy)))
		if len(p.Conflicts) != 1 || p.Conflicts[0].Notification != pid || p.Conflicts[0].Version != 1 || p.Conflicts[0].Party != "il" ||
			p.Conflicts[0].Title != "Patrol on the eastern road" || p.Conflicts[0].Type != "ground_movement" {
			t.Errorf("the conflicts to name: %+v", p.Conflicts)
		}
		if ts.size(t) != size {
			t.Fatal("a refused notification appended")
		}
		// Naming an old version is not naming it.
		convoy["seen"] = []map[string]any{{"notification": pid, "version": 2}}
		wantUnnamed(t, sy.submit(t, "POST", "/api/v1/activities", sy.sign(deconflict.KindActivityNotify, convoy)))
		convoy["seen"] = []map[string]any{{"notification": pid, "version": 1}}
		named := sy.notify(t, convoy)
		cid := named.Entry.Index
		if named.Activity.Held || len(named.Activity.Conflicts) != 1 || named.Activity.Conflicts[0].B != (deconflict.Ref{Notification: pid, Version: 1}) || named.Activity.Conflicts[0].Held {
			t.Errorf("the convoy accepted with its conflict: %+v", named.Activity)
		}
		// An observer reads neither, and answers neither.
		sameNotFound(t, jo.get(t, "/api/v1/activities/"+itoa(cid)), itoa(cid), jo.get(t, "/api/v1/activities/99999999"), "99999999")
		wantType(t, jo.submit(t, "POST", "/api/v1/activities/"+itoa(cid)+"/answer", jo.sign(deconflict.KindActivityAnswer,
			map[string]any{"notification": cid, "version": 1, "answer": "no_objection"})), http.StatusForbidden, "forbidden")

		// Israel tells the mediator alone of a flight; Syria's drill there
		// overlaps it. Syria may not learn of the flight: the conflict is
		// held for the mediator and Syria reads only that it is.
		flight := il.notify(t, activity("uav_flight", "Reconnaissance for the mediator only", nil, window(boxAt(freeLng, freeLat+0.2, 0.02), 0, 5, nil)))
		fid := flight.Entry.Index
		drill := sy.submit(t, "POST", "/api/v1/activities", sy.sign(deconflict.KindActivityNotify,
			activity("exercise", "Drill by the northern post", []string{"il"}, window(boxAt(freeLng, freeLat+0.2, 0.01), 1, 2, nil))))
		if drill.Status != http.StatusCreated {
			t.Fatalf("the drill: %s", drill)
		}
		var held notified
		decode(t, drill, &held)
		did := held.Entry.Index
		for _, secret := range []string{"Reconnaissance", itoa(fid)} {
			if bytes.Contains(drill.Body, []byte(`"`+secret)) || bytes.Contains(drill.Body, []byte(":"+secret+",")) {
				t.Errorf("Syria's answer tells of the flight (%s): %s", secret, drill.Body)
			}
		}
		if !held.Activity.Held || len(held.Activity.Conflicts) != 0 {
			t.Errorf("Syria's drill: held %v, conflicts %+v", held.Activity.Held, held.Activity.Conflicts)
		}
		sameNotFound(t, sy.get(t, "/api/v1/activities/"+itoa(fid)), itoa(fid), sy.get(t, "/api/v1/activities/99999999"), "99999999")
		var med deconflict.NotificationDetail
		us.getJSON(t, "/api/v1/activities/"+itoa(did), &med)
		if !med.Held || len(med.Conflicts) != 1 || med.Conflicts[0].B.Notification != fid || !med.Conflicts[0].Held {
			t.Errorf("the mediator's view of the drill: %+v", med)
		}
		var owed struct{ Dues []dues.Due }
		ts.login(t, "us.duty").getJSON(t, "/api/v1/dues", &owed)
		if !slices.ContainsFunc(owed.Dues, func(d dues.Due) bool { return d.Kind == deconflict.DueConflict && d.Ref == did }) {
			t.Errorf("the mediator owes no decision on the drill: %+v", owed.Dues)
		}
		clear := map[string]any{"notification": did, "version": 1, "decision": "cleared", "note": "Separated by altitude and time."}
		wantType(t, sy.submit(t, "POST", "/api/v1/activities/"+itoa(did)+"/clear", sy.sign(deconflict.KindConflictClear, clear)), http.StatusForbidden, "forbidden")
		us.submitOK(t, "POST", "/api/v1/activities/"+itoa(did)+"/clear", us.sign(deconflict.KindConflictClear, clear), http.StatusCreated)
		var after deconflict.NotificationDetail
		sy.getJSON(t, "/api/v1/activities/"+itoa(did), &after)
		if after.Held || len(after.Conflicts) != 0 {
			t.Errorf("after the mediator cleared it Syria reads %+v", after)
		}
		ts.login(t, "us.duty").getJSON(t, "/api/v1/dues", &owed)
		if slices.ContainsFunc(owed.Dues, func(d dues.Due) bool { return d.Kind == deconflict.DueConflict && d.Ref == did }) {
			t.Error("the cleared conflict is still owed")
		}

		// Syria answers the patrol; Israel, the notifier, may not.
		answer := func(c *client, id int64, fields map[string]any) reply {
			f := map[string]any{"notification": id, "version": 1}
			for k, v := range fields {
				f[k] = v
			}
			return c.submit(t, "POST", "/api/v1/activities/"+itoa(id)+"/answer", c.sign(deconflict.KindActivityAnswer, f))
		}
		wantType(t, answer(il, pid, map[string]any{"answer": "no_objection"}), http.StatusForbidden, "forbidden")
		wantType(t, answer(sy, pid, map[string]any{"answer": "objection"}), http.StatusUnprocessableEntity, "invalid")
		wantType(t, answer(sy, pid, map[string]any{"answer": "no_objection", "version": 3}), http.StatusConflict, "conflict")
		wantType(t, answer(sy, cid, map[string]any{"answer": "no_objection", "notification": pid}), http.StatusUnprocessableEntity, "wrong-target")
		var syOwes struct {
			Party string
			Dues  []dues.Due
		}
		sy.getJSON(t, "/api/v1/dues", &syOwes)
		if syOwes.Party != "sy" || !slices.ContainsFunc(syOwes.Dues, func(d dues.Due) bool { return d.Kind == deconflict.DueAnswer && d.Ref == pid }) {
			t.Errorf("Syria's dues before it answers: %+v", syOwes)
		}
		sy.submitOK(t, "POST", "/api/v1/activities/"+itoa(pid)+"/answer", sy.sign(deconflict.KindActivityAnswer,
			map[string]any{"notification": pid, "version": 1, "answer": "objection", "reason": "The road is closed for repairs."}), http.StatusCreated)
		wantType(t, answer(sy, pid, map[string]any{"answer": "no_objection"}), http.StatusConflict, "conflict")
		sy.getJSON(t, "/api/v1/dues", &syOwes)
		if slices.ContainsFunc(syOwes.Dues, func(d dues.Due) bool { return d.Kind == deconflict.DueAnswer && d.Ref == pid }) {
			t.Error("Syria still owes the answer it gave")
		}

		// Israel amends: version 2 is checked again (the convoy must be
		// named again) and asked again of Syria.
		amend := map[string]any{"notification": pid, "version": 1, "title": "Patrol on the eastern road, later",
			"volumes": []map[string]any{window(boxAt(freeLng, freeLat, 0.02), 1.5, 4, nil)}}
		wantType(t, sy.submit(t, "POST", "/api/v1/activities/"+itoa(pid)+"/amend", sy.sign(deconflict.KindActivityAmend, amend)), http.StatusForbidden, "forbidden")
		p = wantUnnamed(t, il.submit(t, "POST", "/api/v1/activities/"+itoa(pid)+"/amend", il.sign(deconflict.KindActivityAmend, amend)))
		if len(p.Conflicts) != 1 || p.Conflicts[0].Notification != cid {
			t.Errorf("the amendment's conflicts: %+v", p.Conflicts)
		}
		amend["seen"] = []map[string]any{{"notification": cid, "version": 1}}
		r := il.submit(t, "POST", "/api/v1/activities/"+itoa(pid)+"/amend", il.sign(deconflict.KindActivityAmend, amend))
		var amended notified
		if r.Status != http.StatusCreated {
			t.Fatalf("the amendment: %s", r)
		}
		decode(t, r, &amended)
		if amended.Activity.Version != 2 || len(amended.Activity.Versions) != 2 || amended.Activity.Title != "Patrol on the eastern road, later" {
			t.Errorf("after the amendment: %+v", amended.Activity)
		}
		sy.getJSON(t, "/api/v1/dues", &syOwes)
		if !slices.ContainsFunc(syOwes.Dues, func(d dues.Due) bool { return d.Kind == deconflict.DueAnswer && d.Ref == pid && d.Round == 1 }) {
			t.Errorf("Syria is not asked again about version 2: %+v", syOwes.Dues)
		}

		// The board as each reads it.
		var board deconflict.Board
		sy.getJSON(t, "/api/v1/deconfliction", &board)
		if board.Posture == nil || board.Posture.State != "operations_suspended" {
			t.Errorf("the board's posture: %+v", board.Posture)
		}
		ids := func(ns []deconflict.Notification) []int64 {
			var out []int64
			for _, n := range ns {
				out = append(out, n.ID)
			}
			return out
		}
		if a := ids(board.Active); !slices.Contains(a, pid) || !slices.Contains(a, cid) || slices.Contains(a, fid) {
			t.Errorf("Syria's board lists %v as active (patrol %d, convoy %d, not the flight %d)", a, pid, cid, fid)
		}
		// Ended: withdrawn or executed, once, by the notifier only.
		end := func(c *client, state string) reply {
			return c.submit(t, "POST", "/api/v1/activities/"+itoa(pid)+"/end", c.sign(deconflict.KindActivityEnd, map[string]any{"notification": pid, "state": state}))
		}
		wantType(t, end(sy, "withdrawn"), http.StatusForbidden, "forbidden")
		il.submitOK(t, "POST", "/api/v1/activities/"+itoa(pid)+"/end", il.sign(deconflict.KindActivityEnd, map[string]any{"notification": pid, "state": "executed", "note": "As notified."}), http.StatusCreated)
		wantType(t, end(il, "withdrawn"), http.StatusConflict, "conflict")
		var ended deconflict.NotificationDetail
		sy.getJSON(t, "/api/v1/activities/"+itoa(pid), &ended)
		if ended.State != deconflict.StateExecuted {
			t.Errorf("the patrol's state: %s", ended.State)
		}
		var list struct{ Activities []deconflict.Notification }
		jo.getJSON(t, "/api/v1/activities", &list)
		if len(list.Activities) != 0 {
			t.Errorf("Jordan lists %d activities", len(list.Activities))
		}
	})
}

func TestDeskIncidentsOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, sy, us, jo := ts.login(t, "il.military"), ts.login(t, "sy.military"), ts.login(t, "us.military"), ts.login(t, "jo.duty")
		report := func(c *client, title string, addressed []string) int64 {
			t.Helper()
			return c.submitOK(t, "POST", "/api/v1/incidents", c.sign(deconflict.KindIncidentReport, map[string]any{
				"occurred_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "category": "uav", "severity": "medium", "precedence": "IMMEDIATE",
				"title": title, "description": "A drone crossed eastwards at low altitude.", "addressed": addressed,
				"location": map[string]any{"geometry": pointAt(freeLng, freeLat), "radius_m": 500}}), http.StatusCreated).Entry.Index
		}
		wantType(t, jo.submit(t, "POST", "/api/v1/incidents", jo.sign(deconflict.KindIncidentReport, map[string]any{})), http.StatusForbidden, "forbidden")
		inc := report(sy, "Drone over the eastern villages", []string{"il"})
		ack := func(c *client, id int64, fields map[string]any) reply {
			f := map[string]any{"incident": id}
			for k, v := range fields {
				f[k] = v
			}
			return c.submit(t, "POST", "/api/v1/incidents/"+itoa(id)+"/ack", c.sign(deconflict.KindIncidentAck, f))
		}
		wantType(t, ack(il, inc, nil), http.StatusUnprocessableEntity, "invalid") // IMMEDIATE: a readback
		wantType(t, ack(sy, inc, map[string]any{"readback": "x"}), http.StatusForbidden, "forbidden")
		wantType(t, ack(il, inc, map[string]any{"incident": inc - 1, "readback": "x"}), http.StatusUnprocessableEntity, "wrong-target")
		var ilOwes struct{ Dues []dues.Due }
		il.getJSON(t, "/api/v1/dues", &ilOwes)
		if !slices.ContainsFunc(ilOwes.Dues, func(d dues.Due) bool { return d.Kind == deconflict.DueIncident && d.Ref == inc }) {
			t.Errorf("Israel does not owe the acknowledgement: %+v", ilOwes.Dues)
		}
		il.submitOK(t, "POST", "/api/v1/incidents/"+itoa(inc)+"/ack", il.sign(deconflict.KindIncidentAck, map[string]any{"incident": inc,
			"readback": "A drone over the eastern villages an hour ago."}), http.StatusCreated)
		wantType(t, ack(il, inc, map[string]any{"readback": "again"}), http.StatusConflict, "conflict")

		// A party's dues are its own and the mediator's to read.
		wantType(t, sy.get(t, "/api/v1/dues?party=il"), http.StatusForbidden, "forbidden")
		var dl struct {
			Party string
			Dues  []dues.Due
		}
		ts.login(t, "us.duty").getJSON(t, "/api/v1/dues?party=il", &dl)
		if dl.Party != "il" {
			t.Errorf("the mediator asked for Israel's dues and got %q's", dl.Party)
		}

		// Verification: asked by a party, found by the mediator.
		verify := func(c *client, id int64) reply {
			return c.submit(t, "POST", "/api/v1/incidents/"+itoa(id)+"/verification", c.sign(deconflict.KindVerifyRequest, map[string]any{"incident": id, "note": "Please check the radar logs."}))
		}
		wantType(t, verify(us, inc), http.StatusForbidden, "forbidden")
		sy.submitOK(t, "POST", "/api/v1/incidents/"+itoa(inc)+"/verification", sy.sign(deconflict.KindVerifyRequest, map[string]any{"incident": inc}), http.StatusCreated)
		wantType(t, verify(il, inc), http.StatusConflict, "conflict")
		finding := func(c *client, id int64, text string) reply {
			return c.submit(t, "POST", "/api/v1/incidents/"+itoa(id)+"/finding", c.sign(deconflict.KindVerifyFinding, map[string]any{"incident": id, "finding": "confirmed", "text": text}))
		}
		wantType(t, finding(sy, inc, "x"), http.StatusForbidden, "forbidden")
		us.submitOK(t, "POST", "/api/v1/incidents/"+itoa(inc)+"/finding", us.sign(deconflict.KindVerifyFinding, map[string]any{"incident": inc,
			"finding": "confirmed", "text": "Radar tracks confirm one crossing at 300 m."}), http.StatusCreated)
		var d deconflict.IncidentDetail
		il.getJSON(t, "/api/v1/incidents/"+itoa(inc), &d)
		if d.Verification == nil || d.Verification.Finding != "confirmed" || len(d.Acks) != 1 || d.Acks[0].Party != "il" {
			t.Errorf("the incident as Israel reads it: %+v", d)
		}
		sameNotFound(t, jo.get(t, "/api/v1/incidents/"+itoa(inc)), itoa(inc), jo.get(t, "/api/v1/incidents/99999999"), "99999999")

		// An incident for the mediator alone: its finding reaches no one
		// else, through any route.
		private := report(sy, "Drone seen by a patrol, for the mediator", nil)
		sy.submitOK(t, "POST", "/api/v1/incidents/"+itoa(private)+"/verification", sy.sign(deconflict.KindVerifyRequest, map[string]any{"incident": private}), http.StatusCreated)
		const secret = "The patrol's account does not hold: the drone was theirs."
		us.submitOK(t, "POST", "/api/v1/incidents/"+itoa(private)+"/finding", us.sign(deconflict.KindVerifyFinding, map[string]any{"incident": private,
			"finding": "not_confirmed", "text": secret}), http.StatusCreated)
		sy.getJSON(t, "/api/v1/incidents/"+itoa(private), &d)
		if d.Verification == nil || d.Verification.Text != secret {
			t.Errorf("the reporter does not read the finding: %+v", d.Verification)
		}
		sameNotFound(t, il.get(t, "/api/v1/incidents/"+itoa(private)), itoa(private), il.get(t, "/api/v1/incidents/99999999"), "99999999")
		wantType(t, il.submit(t, "POST", "/api/v1/incidents/"+itoa(private)+"/verification", il.sign(deconflict.KindVerifyRequest, map[string]any{"incident": private})),
			http.StatusUnprocessableEntity, "invalid")
		for _, path := range []string{"/api/v1/incidents", "/api/v1/deconfliction", "/api/v1/dues", "/api/v1/entries?after=-1&limit=1000"} {
			if r := il.get(t, path); r.Status != http.StatusOK || bytes.Contains(r.Body, []byte(secret)) || bytes.Contains(r.Body, []byte("for the mediator")) {
				t.Errorf("%s shows Israel the private incident or its finding: %d", path, r.Status)
			}
		}
		var board deconflict.Board
		us.getJSON(t, "/api/v1/deconfliction", &board)
		if len(board.IncidentsByDay) == 0 {
			t.Error("the mediator's board counts no incident")
		}
		day := time.Now().Add(-time.Hour).UTC().Format("2006-01-02")
		if board.IncidentsByDay[day]["uav"] < 2 {
			t.Errorf("the mediator's board counts %v on %s", board.IncidentsByDay[day], day)
		}
	})
}

// TestDeskPosture: the mediator's admins declare it; a side may not.
func TestDeskPosture(t *testing.T) {
	ts := newTestServer(t)
	posture := map[string]any{"state": "heightened_alert", "since": time.Now().UTC().Truncate(time.Hour).Format(time.RFC3339), "text": "Heightened alert along the line."}
	for _, who := range []string{"sy.duty", "us.military"} {
		c := ts.login(t, who)
		wantType(t, c.submit(t, "POST", "/api/v1/posture", c.sign(deconflict.KindPostureDeclare, posture)), http.StatusForbidden, "forbidden")
	}
	us := ts.login(t, "us.duty")
	us.submitOK(t, "POST", "/api/v1/posture", us.sign(deconflict.KindPostureDeclare, posture), http.StatusCreated)
	var b deconflict.Board
	ts.login(t, "jo.duty").getJSON(t, "/api/v1/deconfliction", &b)
	if b.Posture == nil || b.Posture.State != "heightened_alert" {
		t.Errorf("the posture as Jordan reads it: %+v", b.Posture)
	}
}
