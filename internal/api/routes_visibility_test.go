package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/stix/stixgen"
	"github.com/liaison-cell/liaison/internal/taxii"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// The walk of every GET route: each route the server registers is asked,
// with every value of its path parameters and the queries listed below,
// by a member of each kind of party, and no answer may hold any byte of an
// entry outside that member's audience. The routes come from the server's
// own table, so a route added later is walked too, or the test says which
// parameter it cannot fill.

// walkQueries are the queries a route is asked with besides none; {n}
// stands for the log's size. Routes not listed are asked without a query.
// The zones' export is walked as GeoJSON, not as KML: KML draws each disc
// and corridor with thousands of 8-decimal coordinates, which contain the
// walk's numeric traces ("35.88") by chance. Both are written from the
// same rows, read through the same view; TestDeskZonesExport reads the
// KML back.
var walkQueries = map[string][]string{
	"GET /api/v1/entries":                     {"?after=-1&limit=1000"},
	"GET /api/v1/log/leaves":                  {"?start=0&end={n}"},
	"GET /api/v1/log/proof/inclusion":         {"?index=0&size={n}", "?index=3&size={n}"},
	"GET /api/v1/log/proof/consistency":       {"?from=1&to={n}"},
	"GET /api/v1/channels/{channel}/messages": {"?limit=500"},
	"GET /api/v1/escalations":                 {"?after=-1"},
	"GET /api/v1/zones/export":                {"?drafts=1"},
	"GET /api/v1/agreements/{agreement}/diff": {"?from=1&to=1"},
	"GET /api/v1/statements/{statement}/diff": {"?from=1&to=2"},
	"GET /api/v1/disputes":                    {"?sort=deadline&status=open", "?article=paris:2", "?status=found"},
}

// perParty, perMember and perEntry name routes asked once for each party
// (?party=), each member (?member=) and each log index (?entries=).
var (
	perParty  = []string{"GET /api/v1/inbox", "GET /api/v1/members", "GET /api/v1/signin-alerts", "GET /api/v1/dues", "GET /api/v1/disputes"}
	perMember = []string{"GET /api/v1/keys"}
	perEntry  = []string{"GET /api/v1/evidence"}
)

// hiddenTraffic adds, to the demo's traffic, what the walk must find no
// trace of: Syria's line filled with everything a message can gather, and
// a joint channel that Jordan is invited into after an urgent message,
// whose acknowledgement, readback, receipt and translation come after the
// invitation and stay the message's. It ends with an entry for everyone.
func hiddenTraffic(t *testing.T, ts *testServer) (sentinel int64) {
	t.Helper()
	fillLineSy(t, ts)
	// Someone guesses the passwords of Israel's intelligence desk: an
	// alert for Israel's admins and the mediator's.
	size0 := ts.size(t)
	for i := range 5 {
		wantType(t, ts.signInFrom(t, "198.51.100.23", "il.intelligence", fmt.Sprint("guess ", i)), http.StatusUnauthorized, "bad-credentials")
	}
	ts.waitForSize(t, size0+1)
	il, sy, us := ts.login(t, "il.duty"), ts.login(t, "sy.duty"), ts.login(t, "us.duty")
	before := il.sendMessage(t, message("joint-commercial", hotline.Immediate, "Tender figures before Jordan joins",
		"Wind farm tender: our ceiling is forty-one million, not for the host country."))
	us.submitOK(t, "POST", "/api/v1/channels/joint-commercial/invite", us.sign(hotline.KindChannelInvite, map[string]any{
		"channel": "joint-commercial", "party": "jo", "title": "Commercial opportunities",
		"titles": map[string]string{"ar": "الفرص التجارية", "he": "הזדמנויות מסחריות"}}), http.StatusCreated)
	sy.onMessage(t, before, "ack", hotline.KindMessageAck, map[string]any{"readback": "Their ceiling for the wind farm tender is forty-one million."})
	sy.onMessage(t, before, "read", hotline.KindMessageRead, nil)
	us.onMessage(t, before, "translations", hotline.KindTranslationAdd, map[string]any{"lang": "he", "method": "human",
		"text": "מכרז חוות הרוח: התקרה שלנו ארבעים ואחד מיליון"})
	il.submitOK(t, "POST", "/api/v1/messages/"+itoa(before)+"/readback", il.sign(hotline.KindReadbackMark, map[string]any{
		"message": before, "party": "sy", "verdict": hotline.VerdictOK}), http.StatusCreated)
	intelTraffic(t, ts)
	welcome := message("joint-commercial", hotline.Routine, "Welcome to the host country", "Jordan now reads this channel.")
	brochure := []byte("the economic zone's prospectus, for every reader of the channel")
	welcome["attachments"] = []map[string]any{{"sha256": sy.upload(t, brochure), "name": "prospectus.pdf", "size": len(brochure), "type": "application/pdf"}}
	sy.sendMessage(t, welcome)
	e := us.submitOK(t, "POST", "/api/v1/glossary", us.sign(hotline.KindGlossarySet, map[string]any{"term": map[string]any{
		"id": "walk-sentinel", "terms": map[string]string{"en": "wind farm"}}}), http.StatusCreated)
	if err := ts.Ledger.SignCheckpoint(context.Background(), testlog.Cell); err != nil {
		t.Fatal(err)
	}
	return e.Entry.Index
}

// intelTraffic adds the intelligence desk's: a report released to Syria,
// a TLP:RED one released to Syria's analyst by name (which Syria's duty
// officer, walked, must not read), and a TAXII post by Syria's duty
// officer (an admin, who may submit), signed.
func intelTraffic(t *testing.T, ts *testServer) {
	t.Helper()
	at := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	ts.release(t, stixgen.Report{Name: "Launch cell near Quneitra", Description: "A rocket team observed preparing launches.",
		TLP: stixgen.TLPGreen, Actor: "Unit 840", Created: at, Seed: "walk-sy",
		Indicators: []stixgen.Indicator{{Name: "C2 relay at the farm", Pattern: "[ipv4-addr:value = '198.51.100.7']"}}}.Bundle(), []string{"sy"}, nil)
	ts.release(t, stixgen.Report{Name: "Source inside the battalion", Description: "For Syria's analyst alone.",
		TLP: stixgen.TLPRed, Actor: "Battalion 75", Created: at, Seed: "walk-red",
		Indicators: []stixgen.Indicator{{Name: "Handler's phone relay", Pattern: "[ipv4-addr:value = '192.0.2.44']"}}}.Bundle(), nil, []string{"sy.intelligence"})
	poster := ts.login(t, "sy.duty")
	tok := poster.taxiiToken(t)
	env := `{"objects":[` + string(indicatorJSON("indicator--"+uuid4(), "Syrian sighting of the relay posted over TAXII")) + `]}`
	req, _ := http.NewRequest("GET", "/", nil)
	basic(tok)(req)
	r := ts.send(t, "POST", "/taxii2/"+seed.DemoCell+"/collections/"+api.TAXIICollectionID(seed.DemoCell, intel.Submitted("sy"))+"/objects/", []byte(env),
		http.Header{"Authorization": {req.Header.Get("Authorization")}, "Content-Type": {taxii.MediaType}})
	var st struct{ ID string }
	if r.Status != http.StatusAccepted || json.Unmarshal(r.Body, &st) != nil {
		t.Fatalf("TAXII post: %s", r)
	}
	signStaged(t, ts, poster, st.ID)
}

// traces are the strings by which an entry shows: each string in its
// payload of six characters or more, its payload and signature as base64.
func traces(e api.EntryJSON) []string {
	out := []string{base64.StdEncoding.EncodeToString(e.Envelope.Payload)}
	for _, s := range e.Envelope.Signatures {
		out = append(out, base64.StdEncoding.EncodeToString(s.Sig))
	}
	return append(out, payloadTraces(e.Payload)...)
}

// payloadTraces are the strings of six characters or more in a JSON
// document, and its numbers with decimals.
func payloadTraces(doc []byte) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if len(v) >= 6 {
				out = append(out, v)
			}
		case float64:
			// A coordinate, an altitude: a number with decimals is as
			// telling as a string, and Go writes it the same way in every
			// answer.
			if t := strconv.FormatFloat(v, 'g', -1, 64); v != float64(int64(v)) && len(t) >= 5 {
				out = append(out, t)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var payload any
	if json.Unmarshal(doc, &payload) == nil {
		walk(payload)
	}
	return out
}

// vocabulary is the API's own words: every value an enumeration of
// api/openapi.yaml allows ("agreed", "withdrawal"), which an entry holds
// and an answer shows without revealing anything of the entry.
func vocabulary() map[string]bool {
	b, err := os.ReadFile(specFile)
	if err != nil {
		panic(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`enum:\s*\[([^\]]*)\]`).FindAllSubmatch(b, -1) {
		for _, w := range strings.Split(string(m[1]), ",") {
			out[strings.Trim(strings.TrimSpace(w), `'"`)] = true
		}
	}
	return out
}

// keysOf returns the object keys of an entry's payload: field names, and
// the activity types a zone's rules are keyed by, which are the API's
// vocabulary (api/openapi.yaml), not anyone's secret.
func keysOf(e api.EntryJSON) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				out = append(out, k)
				walk(x)
			}
		}
	}
	var payload any
	if json.Unmarshal(e.Payload, &payload) == nil {
		walk(payload)
	}
	return out
}

// secretsOf returns what must not reach party: the traces of entries it
// may not read, less those of entries it may (a channel's id is in both
// its creation, which a party may not read, and in later entries it may).
func secretsOf(all []api.EntryJSON, party string) map[string]int64 {
	seen := vocabulary()
	for _, e := range all {
		for _, k := range keysOf(e) {
			seen[k] = true
		}
	}
	for _, e := range all {
		if readable(e, party) {
			// Who signed an entry is part of it: member ids are the
			// cell's to read (see cell's rule book).
			seen[e.Member], seen[e.KeyID] = true, true
			for _, s := range traces(e) {
				seen[s] = true
			}
		}
	}
	out := map[string]int64{}
	for _, e := range all {
		if !readable(e, party) {
			for _, s := range traces(e) {
				if !seen[s] {
					out[s] = e.Index
				}
			}
		}
	}
	return out
}

// walkValues are the values of every path parameter, as the mediator
// reads them: everything that exists.
type walkValues map[string][]string

func collectValues(t *testing.T, ts *testServer, all []api.EntryJSON) walkValues {
	t.Helper()
	us := ts.login(t, "us.duty")
	v := walkValues{"cell": {seed.DemoCell}}
	var parties struct {
		Parties []struct{ ID string } `json:"parties"`
	}
	us.getJSON(t, "/api/v1/parties", &parties)
	for _, p := range parties.Parties {
		v["party"] = append(v["party"], p.ID)
	}
	var members struct {
		Members []struct{ ID string } `json:"members"`
	}
	us.getJSON(t, "/api/v1/members", &members)
	for _, m := range members.Members {
		v["member"] = append(v["member"], m.ID)
	}
	var keys struct {
		Keys []struct{ ID string } `json:"keys"`
	}
	us.getJSON(t, "/api/v1/keys", &keys)
	for _, k := range keys.Keys {
		v["key"] = append(v["key"], k.ID)
	}
	var chs struct {
		Channels []hotline.Channel `json:"channels"`
	}
	us.getJSON(t, "/api/v1/channels", &chs)
	for _, ch := range chs.Channels {
		v["channel"] = append(v["channel"], ch.ID)
	}
	var zones struct {
		Zones []struct{ ID string } `json:"zones"`
	}
	us.getJSON(t, "/api/v1/zones", &zones)
	for _, z := range zones.Zones {
		v["zone"] = append(v["zone"], z.ID)
	}
	// The diplomatic desk's, as the mediator lists them.
	var agreements struct{ Agreements []struct{ ID string } }
	us.getJSON(t, "/api/v1/agreements", &agreements)
	for _, a := range agreements.Agreements {
		v["agreement"] = append(v["agreement"], a.ID)
	}
	var commitments struct{ Commitments []struct{ ID string } }
	us.getJSON(t, "/api/v1/commitments", &commitments)
	for _, c := range commitments.Commitments {
		v["commitment"] = append(v["commitment"], c.ID)
	}
	var rounds struct{ Rounds []struct{ ID string } }
	us.getJSON(t, "/api/v1/rounds", &rounds)
	for _, r := range rounds.Rounds {
		v["round"] = append(v["round"], r.ID)
	}
	// The commercial desk's, as the mediator reads them (every pledge).
	var projects struct{ Projects []struct{ ID string } }
	us.getJSON(t, "/api/v1/projects", &projects)
	for _, p := range projects.Projects {
		v["project"] = append(v["project"], p.ID)
	}
	var pledges struct{ Pledges []struct{ ID string } }
	us.getJSON(t, "/api/v1/pledges", &pledges)
	for _, p := range pledges.Pledges {
		v["pledge"] = append(v["pledge"], p.ID)
	}
	var statements struct{ Statements []struct{ ID string } }
	us.getJSON(t, "/api/v1/statements", &statements)
	for _, st := range statements.Statements {
		v["statement"] = append(v["statement"], st.ID)
	}
	// The intelligence desk's, over TAXII as the mediator reads it: every
	// collection, every object in them, every staged post's status.
	v["root"] = []string{seed.DemoCell}
	var colls struct{ Collections []struct{ ID string } }
	us.getJSON(t, "/taxii2/"+seed.DemoCell+"/collections/", &colls)
	for _, c := range colls.Collections {
		v["coll"] = append(v["coll"], c.ID)
		var env struct{ Objects []struct{ ID string } }
		us.getJSON(t, "/taxii2/"+seed.DemoCell+"/collections/"+c.ID+"/objects/?match[version]=all", &env)
		for _, o := range env.Objects {
			if !slices.Contains(v["object"], o.ID) {
				v["object"] = append(v["object"], o.ID)
			}
		}
	}
	for _, e := range all {
		switch e.Kind {
		case intel.KindStage:
			v["status"] = append(v["status"], api.TAXIIStatusID(seed.DemoCell, e.Index))
			v["staged"] = append(v["staged"], itoa(e.Index))
		case diplomacy.KindDisputeFile:
			v["dispute"] = append(v["dispute"], itoa(e.Index))
		case deconflict.KindActivityNotify:
			v["activity"] = append(v["activity"], itoa(e.Index))
		case deconflict.KindIncidentReport, deconflict.KindForceInspect:
			v["incident"] = append(v["incident"], itoa(e.Index))
		case intel.KindSubmit:
			v["submission"] = append(v["submission"], itoa(e.Index))
		case intel.KindPropose:
			var p intel.ProposePayload
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			v["proposal"] = append(v["proposal"], p.Proposal)
		case intel.KindRelease:
			var p intel.ReleasePayload
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			v["release"] = append(v["release"], p.Proposal)
		}
		v["index"] = append(v["index"], itoa(e.Index))
		if e.Kind == hotline.KindMessageSend {
			v["message"] = append(v["message"], itoa(e.Index))
			var p hotline.SendPayload
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatal(err)
			}
			for _, a := range p.Attachments {
				if !slices.Contains(v["sha256"], a.SHA256) {
					v["sha256"] = append(v["sha256"], a.SHA256)
				}
			}
		}
	}
	for name, vals := range v {
		if len(vals) == 0 {
			t.Fatalf("the demo has no %s to walk", name)
		}
	}
	return v
}

// expand returns the paths of route pattern path with every combination
// of parameter values; sample keeps the first, the last and a few between
// of each parameter (for the /cells/{cell}/ twins of routes walked in
// full).
func expand(t *testing.T, path string, vals walkValues, sample bool) []string {
	t.Helper()
	i := strings.Index(path, "{")
	if i < 0 {
		return []string{path}
	}
	j := strings.Index(path[i:], "}")
	name := strings.TrimSuffix(path[i+1:i+j], "...")
	vs, ok := vals[name]
	if !ok {
		t.Fatalf("route %s has a path parameter {%s} that the walk cannot fill: add its values to collectValues", path, name)
	}
	if sample && len(vs) > 30 {
		vs = append(append(slices.Clone(vs[:3]), vs[len(vs)/2]), vs[len(vs)-2:]...)
	}
	var out []string
	for _, x := range vs {
		out = append(out, expand(t, path[:i]+url.PathEscape(x)+path[i+j+1:], vals, sample)...)
	}
	return out
}

// walker asks every route as one member.
type walker struct {
	t        *testing.T
	c        *client
	secrets  map[string]int64
	ok       map[string]bool // routes answered 200 at least once
	requests int
}

// check fails on any secret in body but the values the request itself
// named (a refusal may echo the id it was asked about).
func (w *walker) check(route, path string, body []byte) {
	w.t.Helper()
	for _, seg := range strings.FieldsFunc(path, func(r rune) bool { return strings.ContainsRune("/?&=,", r) }) {
		if s, err := url.PathUnescape(seg); err == nil && len(s) >= 6 {
			body = bytes.ReplaceAll(body, []byte(s), nil)
		}
	}
	for s, idx := range w.secrets {
		if shows(body, s) {
			w.t.Errorf("%s: %s (route %s) shows %q of entry %d, outside %s's audience", w.c.member, path, route, s, idx, w.c.member)
		}
	}
}

// shows reports whether body holds secret s: a long text anywhere; a
// number as a whole number (written bare, but "33.13" is not in
// "33.135" nor in a time's "05:12:33.13"); a short text (a word, a name)
// only as a whole JSON string, or a short Arabic word would be found
// inside every longer text that uses it.
func shows(body []byte, s string) bool {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		for i := 0; ; {
			j := bytes.Index(body[i:], []byte(s))
			if j < 0 {
				return false
			}
			at, end := i+j, i+j+len(s)
			// Inside a longer number, or a time's seconds ("12:33.13"):
			// not a JSON member's ("lat":33.13).
			before := at > 0 && (isDigit(body[at-1]) || body[at-1] == '.' || (body[at-1] == ':' && at > 1 && isDigit(body[at-2])))
			after := end < len(body) && isDigit(body[end])
			if !before && !after {
				return true
			}
			i = at + 1
		}
	}
	if utf8.RuneCountInString(s) >= 20 {
		return bytes.Contains(body, []byte(s))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) //nolint:errcheck
	return bytes.Contains(body, bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (w *walker) get(route, path string) {
	w.t.Helper()
	w.requests++
	r := w.c.get(w.t, path)
	if r.Status >= 500 {
		w.t.Errorf("%s: GET %s: %s", w.c.member, path, r)
	}
	if r.Status == http.StatusOK {
		w.ok[route] = true
	}
	body := r.Body
	if strings.HasPrefix(r.Header.Get("Content-Type"), "text/calendar") {
		body = icalText(body)
	}
	w.check(route, path, body)
}

// icalText is an iCalendar answer as its texts read: unfolded and
// unescaped, so that a secret folded across two lines or with its commas
// escaped is found all the same.
func icalText(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r\n "), nil)
	b = bytes.ReplaceAll(b, []byte("\r\n\t"), nil)
	var out bytes.Buffer
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+1 < len(b) {
			i++
			switch b[i] {
			case 'n', 'N':
				out.WriteByte('\n')
			default:
				out.WriteByte(b[i])
			}
			continue
		}
		out.WriteByte(b[i])
	}
	return out.Bytes()
}

// stream reads the whole log from the stream, up to the sentinel.
func (w *walker) stream(route, path string, sentinel int64) {
	w.t.Helper()
	w.requests++
	st := w.c.openStreamPath(w.t, path, "")
	defer st.close()
	for {
		ev, e := st.next(w.t)
		w.check(route, path, []byte(ev.Raw))
		if e.Index >= sentinel {
			w.ok[route] = true
			return
		}
	}
}

func TestEveryGETRouteKeepsToTheAudience(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		sentinel := hiddenTraffic(t, ts)
		all := ts.login(t, "us.duty").entries(t)
		if int64(len(all)) != ts.size(t) || all[len(all)-1].Index != sentinel {
			t.Fatalf("the mediator lists %d of %d entries", len(all), ts.size(t))
		}
		vals := collectValues(t, ts, all)
		// The demo holds a conflict Syria cannot see the other side of: the
		// walk must prove that nothing of that side reaches Syria.
		var blind bool
		for _, e := range all {
			if e.Kind == deconflict.KindActivityNotify && slices.Equal(e.Audience, []string{"il", "us"}) {
				var p deconflict.NotifyPayload
				if err := json.Unmarshal(e.Payload, &p); err != nil {
					t.Fatal(err)
				}
				_, hidden := secretsOf(all, "sy")[p.Title]
				blind = blind || hidden
			}
		}
		if !blind {
			t.Fatal("the demo has no notification for the mediator alone that the walk hides from Syria")
		}
		n := itoa(ts.size(t))
		var routes []string
		for _, rt := range ts.API.Routes() {
			if strings.HasPrefix(rt, "GET ") {
				routes = append(routes, rt)
			}
		}
		answered := map[string]bool{} // routes that answered 200 to some member
		for _, who := range []string{"us.duty", "us.military", "il.military", "il.duty", "sy.duty", "jo.duty"} {
			t.Run(who, func(t *testing.T) {
				w := &walker{t: t, c: ts.login(t, who), secrets: secretsOf(all, who[:2]), ok: answered}
				if who[:2] != "us" && len(w.secrets) == 0 {
					t.Fatalf("%s may read every entry: the walk would prove nothing", who)
				}
				// A calendar feed is its member's: each reads its own.
				own := maps.Clone(vals)
				own["feed"] = []string{strings.TrimPrefix(w.c.feedToken(t).Path, "/calendar/")}
				for _, rt := range routes {
					path := strings.TrimPrefix(rt, "GET ")
					plain := strings.Replace(path, "/api/v1/cells/{cell}/", "/api/v1/", 1)
					key := "GET " + plain
					for _, p := range expand(t, path, own, plain != path) {
						if plain == "/api/v1/stream" {
							w.stream(rt, p+"?after=-1", sentinel)
							continue
						}
						w.get(rt, p)
						for _, q := range walkQueries[key] {
							w.get(rt, p+strings.ReplaceAll(q, "{n}", n))
						}
						if slices.Contains(perParty, key) {
							for _, party := range vals["party"] {
								w.get(rt, p+"?party="+party)
							}
						}
						if slices.Contains(perMember, key) {
							for _, m := range vals["member"] {
								w.get(rt, p+"?member="+m)
							}
						}
						if slices.Contains(perEntry, key) {
							for _, i := range vals["index"] {
								w.get(rt, p+"?entries="+i)
							}
						}
					}
				}
				t.Logf("%s: %d requests over %d routes, %d secrets", who, w.requests, len(routes), len(w.secrets))
			})
		}
		// Every route answered someone: a walk of refusals alone would not
		// show that the answers are clean. The mirror's status answers at a
		// party's mirror only (404 here, walked all the same): the mirror's
		// own tests read it there.
		for _, rt := range routes {
			if !answered[rt] && !strings.HasSuffix(rt, "/mirror/status") {
				t.Errorf("route %s never answered 200 in the walk", rt)
			}
		}
	})
}
