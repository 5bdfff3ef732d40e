package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/deconflict"
)

// demoActivity finds a notification of the demo by a word of its title, as
// the mediator reads them all.
func demoActivity(t *testing.T, us *browser, word string) int64 {
	t.Helper()
	var out struct{ Activities []deconflict.Notification }
	if err := json.Unmarshal([]byte(us.get("/api/v1/activities").Body), &out); err != nil {
		t.Fatal(err)
	}
	for _, n := range out.Activities {
		if strings.Contains(n.Title, word) {
			return n.ID
		}
	}
	t.Fatalf("no demo activity titled %q", word)
	return 0
}

func demoIncident(t *testing.T, us *browser) deconflict.Incident {
	t.Helper()
	var out struct{ Incidents []deconflict.Incident }
	if err := json.Unmarshal([]byte(us.get("/api/v1/incidents").Body), &out); err != nil {
		t.Fatal(err)
	}
	for _, inc := range out.Incidents {
		if strings.Contains(inc.Title, "Hadar") {
			return inc
		}
	}
	t.Fatal("the demo has no incident near Hadar")
	return deconflict.Incident{}
}

func TestMapPage(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.military")
	body := il.page("/map")
	mustContain(t, "/map", body, "<h1>Map</h1>", `id="map"`, `dir="ltr"`, `data-data="/map/data"`, `src="/static/js/map.js"`,
		`href="/static/css/map.css"`, `src="/static/vendor/leaflet/leaflet.js"`, `href="/static/vendor/leaflet/leaflet.css"`,
		"Illustrative map.", `<a href="/map" aria-current="page">De-escalation</a>`,
		// the legend, every kind named
		"Area of separation", "Area of limitation", "Demilitarized zone", "Economic zone", "Protected site", "Draft zone, not yet agreed",
		// each zone's card, its rules per activity type, buffer and limits, the draft as a draft
		`data-zone-card="hadar/1"`, `<th scope="row">Exercise</th><td class="rule rule-prohibited">Prohibited</td>`,
		"Buffer: 1500 m around the site", `data-zone-card="buqata/1"`, ">DRAFT</strong>", "Force limits per side:", "tanks: <bdi>75</bdi>",
		// the forms Israel's military desk may use
		`<form id="notify"`, `<form id="report"`, `<label for="n-start">Start (UTC)</label>`, `name="addressed" value="sy" checked`, `name="addressed" value="jo">`,
		`<input type="range" id="map-time"`, "Show what is active at")
	mustNotContain(t, "/map addressed", body, `name="addressed" value="il"`, `name="addressed" value="us"`)

	// An observer reads the map, but neither notifies nor reports.
	jo := ts.signInEnglish(t, "jo.duty").page("/map")
	mustContain(t, "Jordan's /map", jo, `data-zone-card="aos/1"`)
	mustNotContain(t, "Jordan's /map", jo, `<form id="notify"`, `<form id="report"`)
	// Nor does a member off the desk.
	mustNotContain(t, "Syria's diplomatic desk's /map", ts.signInEnglish(t, "sy.diplomatic").page("/map"), `<form id="notify"`)

	for lang, dir := range map[string]string{"ar": "rtl", "he": "rtl"} {
		body := il.page("/map?lang=" + lang)
		mustContain(t, "/map?lang="+lang, body, fmt.Sprintf(`<html lang="%s" dir="%s">`, lang, dir), `id="map" class="map" dir="ltr"`)
		mustNotContain(t, "/map?lang="+lang, body, ">Area of separation<", ">Show what is active at<")
	}
}

// The map's data holds what the reader may read and nothing more: Syria
// never receives Israel's mediator-only flight, nor its geometry.
func TestMapData(t *testing.T) {
	ts := newServer(t)
	type data struct {
		Zones []struct {
			ID    string `json:"id"`
			Draft bool   `json:"draft"`
		} `json:"zones"`
		Activities []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
			Mine  bool   `json:"mine"`
		} `json:"activities"`
		Incidents []struct {
			ID int64 `json:"id"`
		} `json:"incidents"`
	}
	read := func(member string) (data, string) {
		r := ts.signInEnglish(t, member).get("/map/data")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("%s /map/data: %d %s", member, r.Status, r.Header.Get("Content-Type"))
		}
		var d data
		if err := json.Unmarshal([]byte(r.Body), &d); err != nil {
			t.Fatal(err)
		}
		return d, r.Body
	}
	us, _ := read("us.duty")
	sy, syBody := read("sy.duty")
	il, _ := read("il.duty")
	if len(us.Zones) != len(deconflictDemoZones) || len(sy.Zones) != len(us.Zones) {
		t.Errorf("zones: us %d, sy %d, want %d each", len(us.Zones), len(sy.Zones), len(deconflictDemoZones))
	}
	drafts := 0
	for _, z := range sy.Zones {
		if z.Draft {
			drafts++
			if z.ID != "buqata" {
				t.Errorf("zone %s drawn as a draft", z.ID)
			}
		}
	}
	if drafts != 1 {
		t.Errorf("%d drafts, want buqata alone", drafts)
	}
	titles := func(d data) string {
		var out []string
		for _, a := range d.Activities {
			out = append(out, a.Title)
		}
		return strings.Join(out, " | ")
	}
	mustContain(t, "the mediator's map", titles(us), "mediator only", "Supply convoy", "Company exercise")
	mustContain(t, "Israel's map", titles(il), "mediator only", "Supply convoy")
	mustContain(t, "Syria's map", titles(sy), "Supply convoy", "Company exercise", "Surveillance flight")
	mustNotContain(t, "Syria's map data", syBody, "mediator only", "Reconnaissance north of Hadar")
	for _, a := range sy.Activities {
		if a.Mine != strings.Contains("Supply convoy, Khan Arnabah to Quneitra|Company exercise north-east of Hadar", a.Title) {
			t.Errorf("Syria's map marks %q mine=%v", a.Title, a.Mine)
		}
	}
	// Syria's shelling report and Israel's drone over the ski resort's
	// lift station, addressed to Syria.
	if len(sy.Incidents) != 2 || len(us.Incidents) < 2 {
		t.Errorf("incidents: sy %d, us %d", len(sy.Incidents), len(us.Incidents))
	}
	if r := ts.anonymous(t).get("/map/data"); r.Status != http.StatusSeeOther {
		t.Errorf("/map/data signed out: %d", r.Status)
	}
}

var deconflictDemoZones = []string{"aos", "aol-sy-10", "aol-sy-20", "aol-sy-25", "aol-il-10", "aol-il-20", "aol-il-25", "quneitra-econ",
	"alpha-line", "majdal-shams", "hadar", "suwayda", "quneitra-hospital", "buqata"}

// An activity's page renders for the parties that read it, 404s exactly as
// the API does for one that may not (Syria, on Israel's mediator-only
// flight), and offers each form only to who may use it.
func TestActivityPage(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.duty")
	private := demoActivity(t, us, "mediator only")
	path := fmt.Sprintf("/activities/%d", private)

	body := us.page(path)
	mustContain(t, "the mediator's view", body, "Reconnaissance north of Hadar (mediator only)", "The mediator alone", `data-volumes="`,
		`src="/static/js/desk.js"`, "Conflicts with other notifications", `<form id="answer"`)
	mustContain(t, "Israel's view", ts.signInEnglish(t, "il.military").page(path), "Reconnaissance north of Hadar", "Amend this notification", "End this activity")

	syDuty := ts.signInEnglish(t, "sy.duty")
	hidden := syDuty.get(path)
	missing := syDuty.get("/activities/999999")
	for _, r := range []reply{hidden, missing} {
		if r.Status != http.StatusNotFound {
			t.Fatalf("Syria on a notification it may not read: %d, want 404", r.Status)
		}
	}
	strip := regexp.MustCompile(`data-server-now="[^"]*"`)
	if strip.ReplaceAllString(hidden.Body, "") != strip.ReplaceAllString(missing.Body, "") {
		t.Error("the hidden notification's 404 differs from a missing one's")
	}
	mustNotContain(t, "Syria's 404", hidden.Body, "Reconnaissance", "mediator only")
	if r := ts.signInEnglish(t, "jo.duty").get(path); r.Status != http.StatusNotFound {
		t.Errorf("Jordan on Israel's mediator-only flight: %d", r.Status)
	}
	if r := us.get("/activities/not-a-number"); r.Status != http.StatusBadRequest {
		t.Errorf("a malformed id: %d, want the API's 400", r.Status)
	}

	// Syria's exercise overlaps the flight it may not see: held for the
	// mediator, which Syria is told and nothing more; the mediator sees
	// with what, and may clear it.
	ex := demoActivity(t, us, "Company exercise")
	exPath := fmt.Sprintf("/activities/%d", ex)
	sy := ts.signInEnglish(t, "sy.military").page(exPath)
	mustContain(t, "Syria's held exercise", sy, "A conflict of this notification is held for the mediator", "Amend this notification")
	mustNotContain(t, "Syria's held exercise", sy, "Reconnaissance", fmt.Sprintf(`href="/activities/%d"`, private), `<form id="clear"`, `<form id="answer"`)
	med := us.page(exPath)
	mustContain(t, "the mediator's held exercise", med, `<form id="clear"`, fmt.Sprintf(`<a href="/activities/%d">notification %d, version 1</a>`, private, private),
		"Reconnaissance north of Hadar", "Held for the mediator")
	mustNotContain(t, "the mediator's held exercise", med, "A conflict of this notification is held for the mediator, who")
	// Israel, addressed, answers it; its notifier does not.
	il := ts.signInEnglish(t, "il.military").page(exPath)
	mustContain(t, "Israel on Syria's exercise", il, `<form id="answer"`, "Answer awaited from Israel")
	mustNotContain(t, "Israel on Syria's exercise", il, `<form id="clear"`, "Amend this notification")

	// Syria's objection to the live-fire exercise, and the zone rule it breaks.
	live := demoActivity(t, us, "Live-fire")
	body = ts.signInEnglish(t, "il.military").page(fmt.Sprintf("/activities/%d", live))
	mustContain(t, "the objected exercise", body, `data-answer="objection"`, "Inside Hadar&#39;s safety buffer", "Zone rules it breaks",
		`<a href="/zones/hadar" dir="auto">Hadar</a>`, "inside a protected site or its buffer")
	mustNotContain(t, "Syria's answered exercise", ts.signInEnglish(t, "sy.military").page(fmt.Sprintf("/activities/%d", live)), `<form id="answer"`)

	// Pages in Arabic and Hebrew carry the same forms, right to left.
	mustContain(t, "the exercise in Hebrew", ts.signInEnglish(t, "il.military").page(exPath+"?lang=he"), `<html lang="he" dir="rtl">`, "אין התנגדות")
}

func TestActivitiesAndIncidentsLists(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.duty")
	private := demoActivity(t, us, "mediator only")
	mustContain(t, "the mediator's list", us.page("/activities"), "<h1>Activities</h1>", fmt.Sprintf(`data-activity="%d"`, private))
	sy := ts.signInEnglish(t, "sy.duty").page("/activities")
	mustContain(t, "Syria's list", sy, "Supply convoy", "Held for the mediator")
	mustNotContain(t, "Syria's list", sy, fmt.Sprintf(`data-activity="%d"`, private), "Reconnaissance")
	inc := demoIncident(t, us)
	mustContain(t, "Israel's incidents", ts.signInEnglish(t, "il.duty").page("/incidents"), "Shelling on the outskirts of Hadar", fmt.Sprintf(`data-incident="%d"`, inc.ID))
	mustNotContain(t, "Jordan's incidents", ts.signInEnglish(t, "jo.duty").page("/incidents"), "Shelling on the outskirts of Hadar")
}

func TestIncidentPage(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.duty")
	inc := demoIncident(t, us)
	path := fmt.Sprintf("/incidents/%d", inc.ID)
	// Israel, addressed, acknowledges with a readback (IMMEDIATE).
	il := ts.signInEnglish(t, "il.military")
	body := il.page(path)
	mustContain(t, "Israel's incident", body, "Shelling on the outskirts of Hadar", "Awaiting acknowledgement from Israel", `<form id="ack"`,
		`required data-required`, "We ask the mediator to visit the site.", `data-location="`, `<a href="/zones/hadar" dir="auto">Hadar</a>`)
	mustNotContain(t, "Israel's incident", body, `<form id="finding"`, `<form id="verify-request"`)
	// Syria reported it and asked for verification: nothing to acknowledge.
	mustNotContain(t, "Syria's incident", ts.signInEnglish(t, "sy.military").page(path), `<form id="ack"`, `<form id="verify-request"`, `<form id="finding"`)
	// The mediator records the finding.
	mustContain(t, "the mediator's incident", us.page(path), `<form id="finding"`, `value="not_confirmed"`)
	if r := ts.signInEnglish(t, "jo.duty").get(path); r.Status != http.StatusNotFound {
		t.Errorf("Jordan on an incident not addressed to it: %d, want 404", r.Status)
	}

	il.submit(path+"/ack", deconflict.KindIncidentAck, map[string]any{"incident": inc.ID, "readback": "Four impacts 600 m south of Hadar, no casualties."})
	us.submit(path+"/finding", deconflict.KindVerifyFinding, map[string]any{"incident": inc.ID, "finding": "inconclusive", "text": "Craters found; their origin could not be established."})
	body = ts.signInEnglish(t, "sy.duty").page(path)
	mustContain(t, "after the acknowledgement and the finding", body, "Acknowledged by Israel", "Four impacts 600 m south of Hadar", `data-finding="inconclusive"`, "Craters found")
	mustNotContain(t, "after the finding", us.page(path), `<form id="finding"`)
}

func TestZonePage(t *testing.T) {
	ts := newServer(t)
	sy := ts.signInEnglish(t, "sy.military")
	body := sy.page("/zones/buqata")
	mustContain(t, "Syria's draft zone", body, "Buq&#39;ata", "Draft: binds no one", `<code class="mono hash" dir="ltr" data-hash>`,
		`data-sign-payload>{&#34;hash&#34;:&#34;`, ">Sign</button>", "No version is agreed yet", `data-content>{`)
	// Israel proposed and signed nothing yet? It proposed; the sides and the
	// mediator sign. An observer reads it, and signs nothing.
	mustNotContain(t, "Jordan's draft zone", ts.signInEnglish(t, "jo.duty").page("/zones/buqata"), ">Sign</button>")
	agreed := sy.page("/zones/hadar")
	mustContain(t, "an agreed zone", agreed, "Agreed, in force", "Version 1 is in force.", "us.military (United States)", "sy.military (Syria)")
	mustNotContain(t, "an agreed zone", agreed, ">Sign</button>")
	if r := sy.get("/zones/no-such-zone"); r.Status != http.StatusNotFound {
		t.Errorf("a missing zone: %d", r.Status)
	}

	// The hash shown is the one the server checks: signing it is accepted.
	m := regexp.MustCompile(`data-hash>([0-9a-f]{64})<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no hash on the zone page")
	}
	sy.submit("/zones/buqata/sign", deconflict.KindZoneSign, map[string]any{"zone": "buqata", "version": 1, "hash": m[1]})
	mustNotContain(t, "after Syria signs", sy.page("/zones/buqata"), ">Sign</button>")
}

// The desk's board on the watch screen: the posture with its date, what is
// active, what is owed with a countdown, open verifications, incidents by
// day; the held conflicts the mediator alone sees which.
func TestDeskBoard(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.duty")
	body := us.page("/dashboard")
	mustContain(t, "the mediator's board", body, `>De-escalation desk`, `data-desk-fragment="board"`, `src="/static/js/board.js"`,
		`data-desk-posture="operations_suspended"`, "Military operations suspended", "since ", "Company exercise north-east of Hadar",
		`data-held="`, "Open verifications", "Shelling on the outskirts of Hadar", "Incidents by day and category", "requested by Syria")
	frag := us.get("/board?fragment=board")
	if frag.Status != http.StatusOK || strings.Contains(frag.Body, "<html") || !strings.Contains(frag.Body, `data-board="owed"`) {
		t.Fatalf("board fragment: %d %.200s", frag.Status, frag.Body)
	}
	if r := us.get("/board?fragment=nonsense"); r.Status != http.StatusNotFound {
		t.Errorf("an unknown board fragment: %d", r.Status)
	}
	// Israel sees its own owed answer to Syria's exercise, and none of the
	// conflicts held for the mediator, which are not its own.
	il := ts.signInEnglish(t, "il.duty").page("/dashboard")
	mustContain(t, "Israel's board", il, "Military operations suspended", "owed by Israel", "None of ours.")
	mustNotContain(t, "Israel's board", il, `data-held="`)
	// Syria sees that its own exercise is held, and nothing of the flight.
	sy := ts.signInEnglish(t, "sy.duty").get("/board?fragment=board&lang=en").Body
	mustContain(t, "Syria's board", sy, `data-held="`, "Company exercise north-east of Hadar")
	mustNotContain(t, "Syria's board", sy, "Reconnaissance", "mediator only")
	// Jordan, an observer, reads the posture and nothing of the sides' traffic.
	jo := ts.signInEnglish(t, "jo.duty").get("/board?fragment=board&lang=en").Body
	mustContain(t, "Jordan's board", jo, "Military operations suspended", "No active notification.")
	mustNotContain(t, "Jordan's board", jo, "Shelling", "Supply convoy")
}
