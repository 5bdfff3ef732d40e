package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/seed"
)

// demoIntel is the demo's intelligence traffic as the mediator reads it:
// the releases by title, the submissions by title, and the ids of the
// proposals not (yet) released.
type demoIntel struct {
	releases    map[string]intel.ReleaseDetail
	submissions map[string]intel.Submission
	proposals   []string
}

func readDemoIntel(t *testing.T, us *browser) demoIntel {
	t.Helper()
	var rs struct {
		Releases []intel.ReleaseDetail `json:"releases"`
	}
	if err := json.Unmarshal([]byte(us.get("/api/v1/intel/releases").Body), &rs); err != nil {
		t.Fatal(err)
	}
	var ss struct {
		Submissions []intel.Submission `json:"submissions"`
	}
	if err := json.Unmarshal([]byte(us.get("/api/v1/intel/submissions").Body), &ss); err != nil {
		t.Fatal(err)
	}
	d := demoIntel{releases: map[string]intel.ReleaseDetail{}, submissions: map[string]intel.Submission{}}
	for _, r := range rs.Releases {
		d.releases[r.Title] = r
	}
	for _, s := range ss.Submissions {
		d.submissions[s.Title] = s
		var sd intel.SubmissionDetail
		if err := json.Unmarshal([]byte(us.get(fmt.Sprintf("/api/v1/intel/submissions/%d", s.ID)).Body), &sd); err != nil {
			t.Fatal(err)
		}
		for _, p := range sd.Proposals {
			// A release names its proposal's id: its recipients read
			// that one.
			if p.Status != intel.ProposalReleased {
				d.proposals = append(d.proposals, p.ID)
			}
		}
	}
	for _, title := range []string{"Launch positions in the Quneitra sector", "Syria's patrol: relay mast dismantled", "Convoy timing"} {
		if _, ok := d.releases[title]; !ok {
			t.Fatalf("the demo's release %q is missing: %v", title, d.releases)
		}
	}
	if len(d.submissions) != 4 || len(d.proposals) != 1 {
		t.Fatalf("the demo's submissions %d and unreleased proposals %d, want 4 and 1", len(d.submissions), len(d.proposals))
	}
	return d
}

// intelPagesOf are every intelligence page and fragment, with each
// submission's page: what a reader must be checked on.
func intelPagesOf(d demoIntel) []string {
	ps := []string{"/intel", "/intel?fragment=submissions", "/intel/released", "/intel/released?fragment=released",
		"/intel/queue", "/intel/queue?fragment=queue"}
	for _, s := range d.submissions {
		ps = append(ps, fmt.Sprintf("/intel/submissions/%d", s.ID))
	}
	return ps
}

// Each page renders for each role, and offers what the reader may do.
func TestIntelPagesPerRole(t *testing.T) {
	ts := newServer(t)
	usIntel := ts.signInEnglish(t, "us.intelligence")
	usDuty := ts.signInEnglish(t, "us.duty")
	il := ts.signInEnglish(t, "il.intelligence")
	sy := ts.signInEnglish(t, "sy.intelligence")
	syDuty := ts.signInEnglish(t, "sy.duty")
	jo := ts.signInEnglish(t, "jo.duty")
	d := readDemoIntel(t, usIntel)

	for _, b := range []*browser{usIntel, usDuty, il, sy, syDuty, jo} {
		for _, p := range []string{"/intel", "/intel/released"} {
			mustContain(t, b.member+" "+p, b.page(p), `aria-current="page">Intelligence</a>`, `src="/static/js/intel.js"`, `href="/static/css/intel.css"`)
		}
	}
	for _, b := range []*browser{il, sy, syDuty, jo} {
		if r := b.get("/intel/queue"); r.Status != http.StatusForbidden {
			t.Errorf("%s GET /intel/queue: %d, want 403", b.member, r.Status)
		}
	}
	// The mediator's nav leads to its queue; a party's to its submissions.
	mustContain(t, "the mediator's nav", usIntel.page("/intel/released"), `<a href="/intel/queue" aria-current="page">Intelligence</a>`)
	mustContain(t, "Israel's nav", il.page("/intel/released"), `<a href="/intel" aria-current="page">Intelligence</a>`)

	// Israel's analyst: its submissions with the decisions, the form that
	// signs a file, TAXII; the decision says who proposed and approved.
	mine := il.page("/intel")
	mustContain(t, "Israel's /intel", mine, "Launch positions near Quneitra", "Convoy timing (source report)", "Drone launches from the Yarmouk valley",
		`class="tlp tlp-amber"`, `class="tlp tlp-red"`, "Waiting for the gate", "Proposed by", "us.intelligence", "approved by", "us.duty",
		`<form id="submit-intel"`, `data-kind="intel.submit"`, `data-path="/intel/submissions"`, `type="file"`, `name="reply_to"`,
		`id="taxii-new"`, `id="taxii-revoke"`, `data-taxii-url="/taxii2/"`, `data-taxii-url="/taxii2/il-sy/"`, "MISP", "OpenCTI")
	// Syria's officer answers what it was given.
	rel := d.releases["Launch positions in the Quneitra sector"]
	mustContain(t, "Syria's reply", sy.page("/intel?reply_to="+rel.ID), fmt.Sprintf(`<option value="%s" selected>`, rel.ID))
	// A member without the intelligence (or an admin's) role reads, and
	// submits nothing; Jordan's analyst signs what its MISP posted over
	// TAXII.
	mustNotContain(t, "Jordan's military desk /intel", ts.signInEnglish(t, "jo.military").page("/intel"), `<form id="submit-intel"`, `id="taxii-new"`)
	joIntel := ts.signInEnglish(t, "jo.intelligence")
	mustContain(t, "Jordan's analyst /intel", joIntel.page("/intel"), "Posted over TAXII, waiting for your signature", `data-staged-form`,
		`&#34;staged&#34;:`, "/bundle")
	mustNotContain(t, "Israel's /intel", mine, "data-staged-form")

	// Syria's released list: cards, the pattern, the TLP, the map, the
	// download, the answer.
	got := sy.page("/intel/released")
	mustContain(t, "Syria's /intel/released", got, "Launch positions in the Quneitra sector", `class="tlp tlp-amber"`, `data-stix-type="indicator"`,
		`<pre class="pattern mono" dir="ltr">[ipv4-addr:value = &#39;198.51.100.23&#39;]</pre>`, `data-stix-type="location"`, `class="small-map intel-map"`,
		`data-points="[{&#34;lat&#34;:`, `href="/api/v1/intel/releases/`+rel.ID+`/bundle" download`, `href="/intel?reply_to=`+rel.ID+`#submit-intel"`,
		`data-stix-type="report"`, "Refers to")
	mustNotContain(t, "Syria's /intel/released", got, "Launch cell 7") // the recipe removed the threat actor

	// The queue: the waiting submission, its deadline, whose step it is.
	q := usDuty.page("/intel/queue")
	mustContain(t, "the queue", q, "Drone launches from the Yarmouk valley", `data-step="approve"`, "A second member&#39;s approval (not us.intelligence)",
		"data-deadline=", `data-fragment="queue"`)
	// The waiting submission: the proposer may not approve, a colleague may.
	pending := fmt.Sprintf("/intel/submissions/%d", d.submissions["Drone launches from the Yarmouk valley"].ID)
	own := usIntel.page(pending)
	mustContain(t, "the proposer's "+pending, own, `<form id="approve-intel"`, "data-four-eyes", `<button type="submit" disabled aria-describedby="four-eyes">`,
		`<form id="propose-intel"`, `data-kind="intel.propose"`, `name="remove_types"`, `name="location_km"`, `value="sy.intelligence"`, "GREEN, and Jordan watches the valley too.")
	other := usDuty.page(pending)
	mustContain(t, "a colleague's "+pending, other, `<form id="approve-intel"`, `data-kind="intel.approve"`, `&#34;decision&#34;:&#34;release&#34;`)
	mustNotContain(t, "a colleague's "+pending, other, "data-four-eyes", `disabled aria-describedby="four-eyes"`)

	// A released submission: the derivative beside its original, what
	// the recipe removed and coarsened marked, for the mediator.
	quneitra := fmt.Sprintf("/intel/submissions/%d", d.submissions["Launch positions near Quneitra"].ID)
	cmp := usIntel.page(quneitra)
	mustContain(t, "the mediator's "+quneitra, cmp, "data-compare", `data-side="original"`, `data-side="derived"`, `data-mark="removed"`, `data-mark="coarsened"`, "Launch cell 7")
	mustNotContain(t, "the mediator's "+quneitra, cmp, `<form id="propose-intel"`, `<form id="approve-intel"`)
	mustContain(t, "the mediator's released", usIntel.page("/intel/released"), "data-derivation", quneitra)

	for _, lang := range []string{"ar", "he"} {
		for _, b := range []*browser{usIntel, il} {
			for _, p := range []string{"/intel", "/intel/released", pending} {
				body := b.page(p + "?lang=" + lang)
				mustContain(t, b.member+" "+p+"?lang="+lang, body, fmt.Sprintf(`<html lang="%s" dir="rtl">`, lang))
				mustNotContain(t, b.member+" "+p+"?lang="+lang, body, ">Submissions<", ">Submit a STIX bundle<", ">Released to us<")
			}
		}
	}
}

// The party that must not see: a release is read by its recipients alone
// (a TLP:RED one by the member it names), a proposal and the link from a
// derivative to its original by the mediator alone, on every page and
// fragment.
func TestIntelPagesKeepToTheReadersView(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.intelligence")
	d := readDemoIntel(t, us)
	quneitra, answer, red := d.releases["Launch positions in the Quneitra sector"], d.releases["Syria's patrol: relay mast dismantled"], d.releases["Convoy timing"]
	// What only the mediator reads, on any party's page.
	mediatorOnly := []string{"data-proposal", "data-derivation", "data-compare", "Proposals (the mediator", `<form id="propose-intel"`, `<form id="approve-intel"`,
		"Syria needs the area to act on", "GREEN, and Jordan watches the valley too.", "TLP:RED: to the one officer"}
	mediatorOnly = append(mediatorOnly, d.proposals...)
	check := func(b *browser, secrets []string) {
		t.Helper()
		for _, p := range intelPagesOf(d) {
			r := b.get(p)
			switch r.Status {
			case http.StatusOK, http.StatusForbidden, http.StatusNotFound:
			default:
				t.Errorf("%s GET %s: %d", b.member, p, r.Status)
			}
			mustNotContain(t, b.member+" "+p, r.Body, secrets...)
		}
	}
	// Israel reads its own submissions' decisions, never the release made
	// for Syria (nor Syria's answer as Syria submitted it, whose release
	// came back to Israel as a release of its own).
	check(ts.signInEnglish(t, "il.intelligence"), append([]string{"Launch positions in the Quneitra sector", "Convoy timing</span>", "data-release=\"" + quneitra.ID + "\"",
		"data-release=\"" + red.ID + "\"", "/intel/releases/" + quneitra.ID, "/intel/releases/" + red.ID}, mediatorOnly...))
	mustContain(t, "Israel's released", ts.signInEnglish(t, "il.intelligence").page("/intel/released"), "Syria&#39;s patrol: relay mast dismantled",
		`data-release="`+answer.ID+`"`)
	// Syria's duty officer reads what Syria was given, not the report
	// released to sy.intelligence by name.
	redSecrets := []string{"Convoy timing", "Convoy coordinator", "203.0.113.41", "Crossing point", red.ID}
	syDuty := ts.signInEnglish(t, "sy.duty")
	check(syDuty, append(redSecrets, mediatorOnly...))
	mustContain(t, "Syria's duty officer's released", syDuty.page("/intel/released"), "Launch positions in the Quneitra sector")
	syIntel := ts.signInEnglish(t, "sy.intelligence")
	check(syIntel, mediatorOnly)
	mustContain(t, "sy.intelligence's released", syIntel.page("/intel/released"), "Convoy timing", "203.0.113.41", `class="tlp tlp-red"`, red.ID)
	// Jordan was given no release: it reads none, nor anything of the
	// proposal that would release to it.
	for _, m := range []string{"jo.duty", "jo.intelligence"} {
		jo := ts.signInEnglish(t, m)
		check(jo, append([]string{"Launch positions", "Convoy timing", "relay mast", "Drone launches", quneitra.ID, red.ID, answer.ID, "data-release="}, mediatorOnly...))
		mustContain(t, m+"'s released", jo.page("/intel/released"), "Nothing has been released to you.")
	}
	// A party's submission page is its own or not found.
	for _, s := range d.submissions {
		p := fmt.Sprintf("/intel/submissions/%d", s.ID)
		for _, m := range []string{"il.intelligence", "sy.intelligence", "jo.duty"} {
			b := ts.signInEnglish(t, m)
			want := http.StatusNotFound
			if strings.HasPrefix(m, s.Party+".") {
				want = http.StatusOK
			}
			if r := b.get(p); r.Status != want {
				t.Errorf("%s GET %s (%s's): %d, want %d", m, p, s.Party, r.Status, want)
			}
		}
	}
}

// The live parts render alone for intel.js to swap in.
func TestIntelFragments(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.intelligence")
	sy := ts.signInEnglish(t, "sy.intelligence")
	for _, c := range []struct {
		b          *browser
		path, want string
	}{
		{us, "/intel/queue?fragment=queue", `data-step="approve"`},
		{sy, "/intel/released?fragment=released", `data-stix-type="indicator"`},
		{sy, "/intel?fragment=submissions", "Relay mast found dismantled"},
	} {
		r := c.b.get(c.path)
		if r.Status != http.StatusOK || strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, c.want) {
			t.Errorf("%s GET %s: %d, want a fragment with %q: %.300s", c.b.member, c.path, r.Status, c.want, r.Body)
		}
	}
}

// A TAXII post waits on its poster's page alone: the member whose platform
// posted it reads what it holds and signs it there; a colleague of the same
// party, another party and the mediator find neither the post nor its bytes
// on any page, fragment or route. Signed, it leaves the poster's page.
func TestIntelStagedPostIsItsPostersAlone(t *testing.T) {
	ts := newServer(t)
	jo := ts.signInEnglish(t, "jo.intelligence")
	var list struct {
		Staged []api.StagedPost `json:"staged"`
	}
	if err := json.Unmarshal([]byte(jo.get("/api/v1/intel/staged").Body), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Staged) != 1 || list.Staged[0].State != "pending" || list.Staged[0].Count != 6 {
		t.Fatalf("jo.intelligence's staged posts: %+v, want the demo's one pending", list.Staged)
	}
	post := list.Staged[0]
	item := fmt.Sprintf(`data-staged="%d"`, post.ID)
	bundleURL := fmt.Sprintf("/api/v1/intel/staged/%d/bundle", post.ID)

	mine := jo.page("/intel")
	mustContain(t, "jo.intelligence's /intel", mine, `data-fragment="staged"`, item, "Posted over TAXII, waiting for your signature",
		`data-bundle="`+bundleURL+`"`, post.SHA256, post.Status, "What it holds", `data-stix-type="indicator"`, "courier@example.net",
		`value="Smuggling route across the Yarmouk"`, fmt.Sprintf(`&#34;staged&#34;:%d`, post.ID))
	if r := jo.get("/intel?fragment=staged"); r.Status != http.StatusOK || strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, item) {
		t.Errorf("jo.intelligence GET /intel?fragment=staged: %d, want the fragment with the post: %.300s", r.Status, r.Body)
	}

	secrets := []string{item, post.SHA256, post.Status, bundleURL, "Smuggling route", "courier@example.net", "Yarmouk ford"}
	for _, m := range []string{"jo.duty", "jo.military", "il.intelligence", "us.intelligence", "us.duty"} {
		b := ts.signInEnglish(t, m)
		for _, p := range []string{"/intel", "/intel?fragment=staged", "/intel?fragment=submissions", "/intel/released", "/intel/queue"} {
			r := b.get(p)
			if r.Status != http.StatusOK && r.Status != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", m, p, r.Status)
			}
			mustNotContain(t, m+" "+p, r.Body, secrets...)
		}
		if r := b.get(bundleURL); r.Status != http.StatusNotFound {
			t.Errorf("%s GET %s: %d, want 404", m, bundleURL, r.Status)
		}
		mustNotContain(t, m+" /api/v1/intel/staged", b.get("/api/v1/intel/staged").Body, post.SHA256, post.Status)
	}
	// Who has no staged section at all: a member who may not submit.
	mustNotContain(t, "jo.military /intel", ts.signInEnglish(t, "jo.military").page("/intel"), `data-fragment="staged"`, "data-staged-news")

	r := jo.get(bundleURL)
	if r.Status != http.StatusOK || intel.BundleHash([]byte(r.Body)) != post.SHA256 {
		t.Fatalf("jo.intelligence GET %s: %d, sha256 %s, want %s", bundleURL, r.Status, intel.BundleHash([]byte(r.Body)), post.SHA256)
	}
	jo.submit("/intel/submissions", intel.KindSubmit, map[string]any{"title": "Smuggling route across the Yarmouk", "staged": post.ID,
		"bundle": json.RawMessage(r.Body)})
	mustNotContain(t, "jo.intelligence's /intel once signed", jo.page("/intel"), item, "data-staged-form")
	mustContain(t, "jo.intelligence's /intel once signed", jo.page("/intel"), "Smuggling route across the Yarmouk", `data-fragment="staged"`)
}

// What a platform posts over TAXII reaches its poster's staged fragment,
// which the page merges in live: a small post as cards of what it holds, a
// large one counted only, so that the list the stream re-reads stays cheap.
func TestIntelStagedFragmentOfATAXIIPost(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.intelligence")
	r := il.do("POST", "/api/v1/intel/taxii/token", nil, http.Header{"X-CSRF-Token": {il.csrf}})
	if r.Status != http.StatusCreated {
		t.Fatalf("TAXII credentials: %d %s", r.Status, r.Body)
	}
	var tok api.TAXIIToken
	if err := json.Unmarshal([]byte(r.Body), &tok); err != nil {
		t.Fatal(err)
	}
	objects := tok.APIRoot + "collections/" + api.TAXIICollectionID(seed.DemoCell, intel.Submitted("il")) + "/objects/"
	post := func(n int, name string) string {
		t.Helper()
		objs := make([]map[string]any, 0, n)
		for i := range n {
			objs = append(objs, map[string]any{"type": "indicator", "spec_version": "2.1", "id": fmt.Sprintf("indicator--%08d-0000-4000-8000-%012d", i, n),
				"created": "2026-01-02T03:04:05.000Z", "modified": "2026-01-02T03:04:05.000Z", "name": fmt.Sprintf("%s %d", name, i),
				"pattern": fmt.Sprintf("[ipv4-addr:value = '198.51.100.%d']", i%250), "pattern_type": "stix", "valid_from": "2026-01-02T03:04:05.000Z"})
		}
		body, _ := json.Marshal(map[string]any{"objects": objs})
		req, err := http.NewRequest("POST", objects, strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(tok.Username, tok.Password)
		req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusAccepted || st.Status != "pending" {
			t.Fatalf("TAXII POST of %d objects: %d %+v %v", n, resp.StatusCode, st, err)
		}
		return st.ID
	}
	small := post(2, "Spotter phone")
	large := post(201, "Relay")

	frag := il.get("/intel?fragment=staged")
	if frag.Status != http.StatusOK || strings.Contains(frag.Body, "<html") {
		t.Fatalf("GET /intel?fragment=staged: %d %.300s", frag.Status, frag.Body)
	}
	items := strings.Split(frag.Body, `<li class="item" data-staged=`)[1:]
	if len(items) != 2 {
		t.Fatalf("the fragment lists %d posts, want 2: %s", len(items), frag.Body)
	}
	// Newest first: the large post, counted, without cards.
	mustContain(t, "the large post", items[0], large, "201 objects, posted")
	mustNotContain(t, "the large post", items[0], "What it holds", "Relay 0")
	mustContain(t, "the small post", items[1], small, "2 objects, posted", "What it holds", "Spotter phone 1", "[ipv4-addr:value = &#39;198.51.100.1&#39;]")
}
