package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// The tests' ground: north-east of the demo's zones and clear of them, at
// a time after the demo's traffic.
const freeBox = `{"type":"Polygon","coordinates":[[[36.33,33.33],[36.37,33.33],[36.37,33.37],[36.33,33.37],[36.33,33.33]]]}`

func boxJSON(lng, lat, d float64) string {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{lng - d, lat - d}, {lng + d, lat - d}, {lng + d, lat + d}, {lng - d, lat + d}, {lng - d, lat - d}}}})
	return string(b)
}

var numberRE = regexp.MustCompile(`(?:activity|incident) (\d+)`)

func numberIn(t *testing.T, out string) string {
	t.Helper()
	m := numberRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no number in %q", out)
	}
	return m[1]
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestZonesVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	il := signIn(t, d, url, "il.military")
	sy := signIn(t, d, url, "sy.military")
	us := signIn(t, d, url, "us.military")
	jo := signIn(t, d, url, "jo.duty")

	mustContain(t, "zones list", jo.asOK("", "zones", "list"), "aos", "Area of Separation", "version 1", "buqata", "none (draft)", "1 (draft)")
	mustContain(t, "zones show", jo.asOK("", "zones", "show", "aos"), "Zone aos: Area of Separation (separation)", "ar: منطقة الفصل",
		"Version 1: AGREED", "signed by  sy (sy.military)", "rule       uav_flight: notice 1 h ahead", "otherwise  prohibited")
	mustContain(t, "an unknown verb", jo.asFail("", "zones", "lsit"), `unknown verb "lsit"`, "liaison zones import FILE.geojson")
	mustContain(t, "zones help", jo.asOK("", "zones", "help"), "liaison zones sign ID [--version N]", "a verb's flags")

	// Propose, then sign: each signatory sees what it signs.
	post := writeFile(t, "post.json", `{"id": "test-post", "name": "Observation post", "kind": "protected",
		"geometry": {"type": "Point", "coordinates": [36.35, 33.40]}, "radius_m": 300, "buffer_m": 500}`)
	out := il.asOK("", "zones", "propose", post)
	mustContain(t, "propose", out, "Proposed version 1 of zone test-post (Observation post, protected)", "binds no one until il, sy, us sign it")
	hash := regexp.MustCompile(`Hash ([0-9a-f]{64})`).FindStringSubmatch(out)
	if hash == nil {
		t.Fatalf("no hash in %q", out)
	}
	mustContain(t, "a zone with a typo", il.asFail("", "zones", "propose", writeFile(t, "typo.json", `{"id":"x","name":"x","kind":"protected","radius":3}`)), `unknown field "radius"`)
	mustContain(t, "the observer signs", jo.asFail("", "zones", "sign", "test-post"), "signing a zone is for the sides and the mediator")
	out = sy.asOK("", "zones", "sign", "test-post")
	mustContain(t, "sign", out, "Signing zone test-post version 1:", "name       Observation post", "kind       protected", "hash       "+hash[1], "radius 300 m, buffer 500 m", "Still awaiting: il, us.")
	mustContain(t, "sign twice", sy.asFail("", "zones", "sign", "test-post"), "already signed")
	us.asOK("", "zones", "sign", "test-post")
	mustContain(t, "the last signature", il.asOK("", "zones", "sign", "test-post", "--version", "1"), "version 1 of zone test-post is in force")
	mustContain(t, "sign what is in force", il.asFail("", "zones", "sign", "aos"), "version 1 of zone aos is agreed: there is nothing to sign", "nothing was sent")

	// Export and import back: nothing changes, and the command says so.
	dir := t.TempDir()
	geo := filepath.Join(dir, "zones.geojson")
	mustContain(t, "export", jo.asOK("", "zones", "export", "--out", geo), "Wrote the zones in force to "+geo)
	out = il.asOK("", "zones", "import", geo)
	mustContain(t, "import of the export", out, "unchanged", "Imported: 14 features: 14 unchanged.")
	kml := filepath.Join(dir, "zones.kml")
	jo.asOK("", "zones", "export", "--kml", "--drafts", "--out", kml)
	if b, err := os.ReadFile(kml); err != nil || !strings.Contains(string(b), `<kml xmlns="http://www.opengis.net/kml/2.2">`) || !strings.Contains(string(b), "Buq&#39;ata (draft, version 1)") {
		t.Errorf("the KML export: %v\n%.300s", err, b)
	}

	// A QGIS layer: a new zone by properties.id, a new version of the
	// Area of Separation, a zone of no known kind, and one without an id.
	layer := writeFile(t, "layer.geojson", `{"type": "FeatureCollection", "name": "zones",
"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
"features": [
{"type": "Feature", "properties": {"id": "east-field", "name": "Eastern field", "kind": "limitation", "limits": {"tanks": 10}}, "geometry": `+freeBox+`},
{"type": "Feature", "id": "aos", "properties": {"name": "Area of Separation", "kind": "separation", "note": "Redrawn."}, "geometry": `+boxJSON(35.86, 33.0, 0.02)+`},
{"type": "Feature", "id": "bad-kind", "properties": {"name": "Buffer", "kind": "buffer"}, "geometry": `+boxJSON(36.2, 33.5, 0.01)+`},
{"type": "Feature", "properties": {"name": "Nameless"}, "geometry": `+boxJSON(36.1, 33.5, 0.01)+`},
{"type": "Feature", "id": "bowtie", "properties": {"name": "Crossed", "kind": "economic"}, "geometry": {"type": "Polygon", "coordinates": [[[36.5,33.0],[36.6,33.1],[36.6,33.0],[36.5,33.1],[36.5,33.0]]]}}
]}`)
	code, out, errs := il.as("", "zones", "import", layer, "--dry-run")
	if code == 0 {
		t.Error("a dry run with refusals exits 0")
	}
	mustContain(t, "dry run", out, "would propose     east-field", "a new limitation zone, version 1", "would propose     aos", "version 2 of zone aos",
		`zone kind "buffer"`, "features[3]: no zone id", "would refuse      bowtie", "features[4].geometry.coordinates[0]",
		"Dry run, nothing sent: 5 features: 2 would propose, 3 would refuse.")
	mustContain(t, "dry run's refusal", errs, "3 of 5 features refused")
	if !strings.Contains(jo.asOK("", "zones", "show", "aos"), "Version 1: AGREED") || strings.Contains(jo.asOK("", "zones", "show", "aos"), "Version 2") {
		t.Error("the dry run proposed")
	}
	code, out, _ = il.as("", "zones", "import", layer)
	if code == 0 {
		t.Error("an import with refusals exits 0")
	}
	mustContain(t, "import", out, "proposed          east-field", "limitation, a draft", "proposed          aos", "refused           bad-kind", `zone kind "buffer"`, "refused           bowtie", "2 proposed, 3 refused")
	mustContain(t, "the new version", jo.asOK("", "zones", "show", "aos"), "Version 2: DRAFT, proposed by il.military", "note       Redrawn.")
	// Again: the file's proposals landed once.
	code, out, _ = il.as("", "zones", "import", layer)
	if code == 0 {
		t.Error("a re-run with refusals exits 0")
	}
	mustContain(t, "re-run", out, "already imported  east-field", "already imported  aos", "from this file before", "2 already imported, 3 refused")
	if s := jo.asOK("", "zones", "show", "aos"); strings.Contains(s, "Version 3") {
		t.Errorf("the re-run proposed again:\n%s", s)
	}
	mustContain(t, "an observer imports", jo.asFail("", "zones", "import", writeFile(t, "one.geojson", `{"type":"FeatureCollection","features":[{"type":"Feature","id":"jo-zone","properties":{"name":"x","kind":"economic"},"geometry":`+boxJSON(36.2, 33.2, 0.01)+`}]}`)),
		"1 of 1 features refused")
	mustContain(t, "a layer in another system", il.asFail("", "zones", "import", writeFile(t, "itm.geojson", `{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2039"}},"features":[]}`)),
		"is not WGS 84 longitude/latitude", "nothing was sent")
}

func TestNotifyVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	il := signIn(t, d, url, "il.military")
	sy := signIn(t, d, url, "sy.military")
	us := signIn(t, d, url, "us.military")

	at := time.Now().Add(100 * time.Hour).UTC().Truncate(time.Minute)
	out := il.asOK("", "notify", "--type", "ground_movement", "--title", "Patrol on the eastern road", "--to", "sy", "--precedence", "priority",
		"--geometry", freeBox, "--start", at.Format(time.RFC3339), "--for", "3h")
	mustContain(t, "notify", out, "Notified activity", "version 1 (ground_movement, PRIORITY, \"Patrol on the eastern road\"), for sy and the mediator",
		"Window: "+utc(at)+"–"+at.Add(3*time.Hour).Format("15:04Z"), "Zone rules: none broken.")
	patrol := numberIn(t, out)

	// Syria's convoy overlaps the patrol: refused until named, and the
	// verb says how; nothing is named on Syria's behalf.
	convoy := []string{"notify", "--type", "humanitarian_convoy", "--title", "Convoy to the eastern villages", "--to", "il",
		"--geometry", boxJSON(36.35, 33.35, 0.005), "--start", "now+101h", "--end", "now+102h"}
	errs := sy.asFail("", convoy...)
	mustContain(t, "unnamed conflicts", errs, "Refused: the activity overlaps", patrol, "ground_movement", "Patrol on the eastern road", "--seen "+patrol+":1", "nothing was sent")
	if strings.Contains(sy.asOK("", "notify", "list"), "Convoy to the eastern villages") {
		t.Fatal("the refused convoy was notified")
	}
	out = sy.asOK("", append(convoy, "--seen", patrol+":1")...)
	mustContain(t, "named", out, "Conflicts accepted, named as seen:", "with "+patrol+" version 1")
	convoyN := numberIn(t, out)
	// For scripts: named after being printed.
	code, out, errs := sy.as("", "notify", "--type", "demining", "--title", "Clearing the verge", "--to", "il", "--geometry", boxJSON(36.34, 33.34, 0.004),
		"--start", "now+100h30m", "--for", "1h", "--name-conflicts")
	if code != 0 {
		t.Fatalf("--name-conflicts: exit %d: %s", code, errs)
	}
	mustContain(t, "--name-conflicts", errs, "Refused: the activity overlaps", patrol)
	mustContain(t, "--name-conflicts", out, "Naming them as seen (--name-conflicts): --seen ", "Notified activity", "with "+patrol+" version 1")

	// A zone rule broken: said, not refused.
	mustContain(t, "a zone rule", il.asOK("", "notify", "--type", "exercise", "--title", "Drill in the separation area", "--to", "sy",
		"--geometry", `{"type":"Point","coordinates":[35.857,33.03]}`, "--radius", "100", "--start", "now+100h", "--for", "2h"),
		"Zone rules it breaks:", "volume 1: aos (Area of Separation, separation zone, version 1): prohibited")

	// Held for the mediator: Syria is told that, and nothing of what.
	flight := il.asOK("", "notify", "--type", "uav_flight", "--title", "Reconnaissance for the mediator only", "--geometry", boxJSON(36.35, 33.55, 0.02),
		"--start", "now+100h", "--for", "5h", "--alt", "2000-3000")
	mustContain(t, "to the mediator alone", flight, "for the mediator alone")
	flightN := numberIn(t, flight)
	out = sy.asOK("", "notify", "--type", "exercise", "--title", "Drill by the northern post", "--to", "il", "--geometry", boxJSON(36.35, 33.55, 0.01),
		"--start", "now+101h", "--for", "1h")
	mustContain(t, "held", out, "HELD FOR THE MEDIATOR", "you are not told what it is")
	if strings.Contains(out, "Reconnaissance") || strings.Contains(out, " "+flightN+" ") {
		t.Errorf("Syria is told of the flight:\n%s", out)
	}
	drill := numberIn(t, out)
	mustContain(t, "a side clears", sy.asFail("", "notify", "clear", drill, "--cleared"), "the mediator decides")
	mustContain(t, "the mediator clears", us.asOK("", "notify", "clear", drill, "--cleared"), "Decided the conflicts held on activity "+drill+" version 1: cleared")
	mustContain(t, "nothing held any more", us.asFail("", "notify", "clear", drill, "--cleared"), "no conflict held", "nothing was sent")

	// Answers, an amendment that is asked again, the end.
	mustContain(t, "answer", sy.asOK("", "notify", "answer", patrol, "--no-objection"), "Answered no objection to activity "+patrol+" version 1")
	mustContain(t, "the notifier answers", il.asFail("", "notify", "answer", patrol, "--objection", "no"), "is not addressed")
	mustContain(t, "answer both ways", sy.asFail("", "notify", "answer", convoyN, "--no-objection", "--objection", "x"), "--no-objection or --objection")
	errs = il.asFail("", "notify", "amend", patrol, "--geometry", freeBox, "--start", "now+100h30m", "--for", "4h")
	mustContain(t, "amend without naming", errs, "Refused", convoyN)
	out = il.asOK("", "notify", "amend", patrol, "--title", "Patrol, later", "--geometry", freeBox, "--start", "now+100h30m", "--for", "4h", "--name-conflicts")
	mustContain(t, "amend", out, "Amended activity "+patrol+", version 2", "\"Patrol, later\"", "sy answer again, about version 2")
	mustContain(t, "show", sy.asOK("", "notify", "show", patrol), "Version 2 by il.military", "Version 1 by il.military", "sy answered no objection",
		"volume 1: Polygon, every altitude")
	var list []deconflict.Notification
	if err := json.Unmarshal([]byte(sy.asOK("", "notify", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	for _, n := range list {
		if strconv.FormatInt(n.ID, 10) == flightN {
			t.Errorf("Syria lists Israel's flight for the mediator: %+v", n)
		}
	}
	mustContain(t, "a flight Syria may not read", sy.asFail("", "notify", "show", flightN), "Not found")
	mustContain(t, "end", il.asOK("", "notify", "end", patrol, "--executed", "--note", "As notified."), "Activity "+patrol+" is executed")
	mustContain(t, "end again", il.asFail("", "notify", "end", patrol, "--withdrawn"), "already executed")

	// Volumes are checked before anything is sent.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--type", "exercise", "--title", "x", "--start", "now+1h", "--for", "1h"}, "--geometry is missing"},
		{[]string{"--type", "exercise", "--title", "x", "--geometry", freeBox, "--start", "now+1h"}, "--end or --for is required"},
		{[]string{"--type", "exercise", "--title", "x", "--geometry", freeBox, "--start", "tomorrow", "--for", "1h"}, "is not a time"},
		{[]string{"--type", "picnic", "--title", "x", "--geometry", freeBox, "--start", "now+1h", "--for", "1h"}, `--type "picnic"`},
		{[]string{"--type", "exercise", "--title", "x", "--geometry", freeBox, "--start", "now+1h", "--for", "1h", "--geometry", freeBox, "--start", "now+2h"}, "volume 2: --end or --for is required"},
		{[]string{"--type", "exercise", "--title", "x", "--geometry", freeBox, "--start", "now+1h", "--for", "1h", "--seen", "12"}, "NUMBER:VERSION"},
	} {
		mustContain(t, strings.Join(tc.args, " "), il.asFail("", append([]string{"notify"}, tc.args...)...), tc.want)
	}
	// Two volumes, each with its own window.
	out = il.asOK("", "notify", "--type", "air_patrol", "--title", "Two legs", "--geometry", boxJSON(36.6, 33.5, 0.01), "--start", "now+100h", "--for", "1h",
		"--geometry", boxJSON(36.7, 33.5, 0.01), "--start", "now+102h", "--for", "1h")
	var two deconflict.NotificationDetail
	if err := json.Unmarshal([]byte(il.asOK("", "notify", "show", numberIn(t, out), "--json")), &two); err != nil {
		t.Fatal(err)
	}
	if len(two.Versions) != 1 || len(two.Versions[0].Volumes) != 2 || !two.Versions[0].Volumes[1].Start.After(two.Versions[0].Volumes[0].End) {
		t.Errorf("two volumes: %+v", two.Versions)
	}
}

func TestIncidentAndBoardVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	il := signIn(t, d, url, "il.military")
	sy := signIn(t, d, url, "sy.military")
	us := signIn(t, d, url, "us.military")
	jo := signIn(t, d, url, "jo.duty")

	photo := writeFile(t, "drone.jpg", "\xff\xd8\xff\xe0 a photograph of the drone")
	out := sy.asOK("", "incident", "report", "--category", "uav", "--severity", "medium", "--title", "Drone over the eastern villages",
		"--description", "A drone crossed eastwards at low altitude.", "--geometry", `{"type":"Point","coordinates":[36.35,33.35]}`, "--radius", "500",
		"--at", "now-1h", "--to", "il", "--precedence", "IMMEDIATE", "--attach", photo)
	mustContain(t, "report", out, "Reported IMMEDIATE incident", "(uav, medium)", "Awaiting acknowledgement from il.")
	inc := numberIn(t, out)
	mustContain(t, "report at a protected site", sy.asOK("", "incident", "report", "--category", "shelling", "--severity", "high", "--title", "Impacts by Hadar",
		"--description", "Two impacts.", "--geometry", `{"type":"Point","coordinates":[35.855,33.268]}`, "--radius", "200", "--at", "now-20m", "--alleged", "hadar"),
		"at hadar (Hadar, protected zone)", "For the mediator alone")
	mustContain(t, "an unknown category", sy.asFail("", "incident", "report", "--category", "force_limits", "--severity", "low", "--title", "x", "--description", "x", "--geometry", freeBox), `--category "force_limits"`)

	mustContain(t, "ack without readback", il.asFail("", "incident", "ack", inc), "--readback", "nothing was sent")
	mustContain(t, "ack", il.asOK("", "incident", "ack", inc, "--readback", "A drone over the eastern villages an hour ago."), "Acknowledged incident "+inc)
	mustContain(t, "verify", sy.asOK("", "incident", "verify", inc, "--note", "Radar logs."), "Asked the mediator to verify incident "+inc, "The finding is due by")
	mustContain(t, "a side's finding", sy.asFail("", "incident", "finding", inc, "--finding", "confirmed", "--text", "x"), "the mediator records findings")
	mustContain(t, "a finding", us.asOK("", "incident", "finding", inc, "--finding", "confirmed", "--text", "Radar tracks confirm one crossing at 300 m."), "Recorded the finding on incident "+inc+": confirmed")
	mustContain(t, "show", il.asOK("", "incident", "show", inc), "Incident "+inc+": \"Drone over the eastern villages\"", "il acknowledged (il.military",
		"readback: \"A drone over", "attachment drone.jpg (image/jpeg", "FINDING: CONFIRMED (us.military")
	mustContain(t, "list", il.asOK("", "incident", "list"), inc, "uav", "Drone over the eastern villages")
	// Jordan reads neither the incident nor that it exists.
	hidden := jo.asFail("", "incident", "show", inc)
	missing := jo.asFail("", "incident", "show", "99999999")
	if strings.ReplaceAll(hidden, inc, "N") != strings.ReplaceAll(missing, "99999999", "N") {
		t.Errorf("a hidden incident is refused as %q, a missing one as %q", hidden, missing)
	}

	out = sy.asOK("", "board")
	mustContain(t, "board", out, "POSTURE  OPERATIONS SUSPENDED since", "ACTIVE NOTIFICATIONS", "Supply convoy, Khan Arnabah to Quneitra",
		"HELD FOR THE MEDIATOR (", "OWED (", "notification", "left", "OPEN VERIFICATIONS (", "INCIDENTS BY DAY, LAST 14 DAYS", "uav ")
	if strings.Contains(out, "Reconnaissance north of Hadar") {
		t.Errorf("Syria's board shows Israel's flight for the mediator:\n%s", out)
	}
	mustContain(t, "the mediator's board", us.asOK("", "board"), "Reconnaissance north of Hadar", "HELD FOR THE MEDIATOR (1)", "Company exercise north-east of Hadar")
	var b deconflict.Board
	if err := json.Unmarshal([]byte(sy.asOK("", "board", "--json")), &b); err != nil || b.Posture == nil || b.Days != 14 {
		t.Errorf("board --json: %v %+v", err, b)
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"now":                       now,
		"now+2h":                    now.Add(2 * time.Hour),
		"now-30m":                   now.Add(-30 * time.Minute),
		"now+1d12h":                 now.Add(36 * time.Hour),
		"now+2d":                    now.Add(48 * time.Hour),
		"2026-12-02T14:00:00Z":      time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC),
		"2026-12-02T16:00:00+02:00": time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "tomorrow", "now+", "now*2h", "now+-2h", "now+xd", "2026-12-02 14:00", "now+2x", "now+9999999999d"} {
		if got, err := parseWhen(in, now); err == nil {
			t.Errorf("parseWhen(%q) = %v, want an error", in, got)
		}
	}
}
