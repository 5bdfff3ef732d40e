package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/stix/stixgen"
	"github.com/liaison-cell/liaison/internal/testlog"
)

var (
	submissionRE = regexp.MustCompile(`as submission (\d+)`)
	proposalRE   = regexp.MustCompile(`Proposed ([0-9a-f]{32}) `)
)

// exportedBundle is a report as MISP or OpenCTI write it to a file:
// indented, ending in a newline, its "&" unescaped.
func exportedBundle(t *testing.T) []byte {
	t.Helper()
	r := stixgen.Report{Name: "Mortar team & spotter on the ridge", TLP: stixgen.TLPAmber, Actor: "Mortar team", Created: time.Now().Add(-time.Hour).Truncate(time.Minute),
		Seed: "cli-test", Description: "Two tubes & a spotter, seen at dawn.",
		Indicators: []stixgen.Indicator{{Name: "Spotter's radio", Pattern: "[ipv4-addr:value = '198.51.100.99']"}},
		Locations:  []stixgen.Location{{Name: "Ridge east of the road", Lat: 33.01, Lon: 35.88, Address: "Ridge road 2"}}}
	var out bytes.Buffer
	if err := json.Indent(&out, r.Bundle(), "", "  "); err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(out.String(), `\u0026`, "&") + "\n")
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A report through the gate from terminals: Israel's analyst submits an
// exported file; the mediator's analyst proposes a sanitized release to
// Syria and may not approve it (four eyes, here and at the server); the
// duty officer approves and publishes; Syria's analyst downloads exactly
// the draft that was signed. Syria's duty officer cannot read the demo's
// TLP:RED release, named to its analyst alone.
func TestIntelVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	il, usA, usB := signIn(t, d, url, "il.intelligence"), signIn(t, d, url, "us.intelligence"), signIn(t, d, url, "us.duty")
	sy, syDuty := signIn(t, d, url, "sy.intelligence"), signIn(t, d, url, "sy.duty")

	// Files that are not bundles are refused, saying why.
	notJSON := writeFile(t, "notes.json", "{\n  \"type\": \"bundle\",\n  \"objects\": [\n}\n")
	mustContain(t, "a file that is not JSON", il.asFail("", "intel", "submit", notJSON), notJSON+" is not JSON (line 4", "nothing was sent")
	notBundle := writeFile(t, "indicator.json", `{"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`)
	code, _, errs := il.as("", "intel", "submit", notBundle, "--title", "One indicator")
	if code != 1 {
		t.Errorf("a file that is not a bundle: exit %d", code)
	}
	mustContain(t, "a file that is not a bundle", errs, notBundle+" was refused", "bundle: ")
	if subs := il.asOK("", "intel", "list"); strings.Contains(subs, "One indicator") {
		t.Errorf("a refused file is listed:\n%s", subs)
	}

	file := writeFile(t, "report.json", string(exportedBundle(t)))
	out := il.asOK("", "intel", "submit", file, "--note", "Keep the address to us.")
	mustContain(t, "submit", out, "Submitted "+file+" as submission", `"Mortar team & spotter on the ridge"`, "6 objects (", "indicator 1", "TLP:AMBER",
		"the mediator's gate owes a decision by", "left")
	sub := submissionRE.FindStringSubmatch(out)[1]
	mustContain(t, "the party's list", il.asOK("", "intel", "list", "--status", "submitted"), sub, "il.intelligence", "Mortar team & spotter", "submitted")
	if s := sy.asOK("", "intel", "list"); strings.Contains(s, "Mortar team") {
		t.Errorf("Syria lists Israel's submission:\n%s", s)
	}
	back := filepath.Join(t.TempDir(), "back.json")
	il.asOK("", "intel", "bundle", sub, "-o", back)
	if got := readFile(t, back); !bytes.Equal(got, bytes.TrimSpace(readFile(t, file))) {
		t.Errorf("the bundle back is not the file submitted:\n%s", got)
	}

	// The mediator's queue, oldest first: the demo's waiting proposal, then
	// this one.
	q := usA.asOK("", "intel", "review")
	mustContain(t, "the queue", q, "Drone launches", "waiting for a second member", "none yet", "Mortar team")
	if strings.Index(q, "Drone launches") > strings.Index(q, "Mortar team") {
		t.Errorf("the queue is not oldest first:\n%s", q)
	}
	mustContain(t, "a party's queue", il.asFail("", "intel", "review"), "the mediator's")
	mustContain(t, "a withholding without reason", usA.asFail("", "intel", "review", sub, "--withhold"), "takes --reason")
	mustContain(t, "two decisions", usA.asFail("", "intel", "review", sub, "--release", "--return"), "one of --release")
	out = usA.asOK("", "intel", "review", sub, "--release", "--to", "sy", "--coarsen-km", "10", "--remove-type", "threat-actor", "--reason", "Syria acts on the area.")
	mustContain(t, "propose", out, "on submission "+sub, "RELEASE to sy, sanitized: locations coarsened to 10 km; without threat-actor", "TLP:AMBER",
		"liaison intel approve")
	pid := proposalRE.FindStringSubmatch(out)[1]
	mustContain(t, "the queue after", usA.asOK("", "intel", "review"), pid+" release to sy")

	// Four eyes: refused by the verb, and by the server when signed anyway.
	mustContain(t, "the proposer approves", usA.asFail("", "intel", "approve", pid), "four eyes: you (us.intelligence) proposed "+pid, "nothing was sent")
	restated, _ := json.Marshal(map[string]any{"proposal": pid, "decision": "release", "to": []string{"sy"}, "sanitized": true})
	mustContain(t, "the proposer approves at the server", usA.asFail("", "submit", intel.KindApprove, string(restated)), "four eyes")
	mustContain(t, "a party approves", sy.asFail("", "intel", "approve", pid), "Not found")
	out = usB.asOK("", "intel", "approve", pid)
	mustContain(t, "approve", out, "Approving "+pid+", proposed by us.intelligence", "RELEASE to sy, sanitized", "Approved at log index", "liaison intel release "+pid)
	mustContain(t, "the submitter reads the decision", il.asOK("", "intel", "show", sub), "DECISION: RELEASE to sy, sanitized, proposed by us.intelligence, approved by us.duty", "RELEASED")
	if s := il.asOK("", "intel", "show", sub); strings.Contains(s, "Syria acts on the area") {
		t.Errorf("the submitter reads the mediator's rationale:\n%s", s)
	}

	mustContain(t, "the mediator's view", usB.asOK("", "intel", "show", sub), "proposal "+pid+" by us.intelligence", "APPROVED (approved by us.duty",
		"reason: Syria acts on the area.", "note: Keep the address to us.")

	// A return, with a question the submitter reads: it supersedes the
	// demo's open proposal on the drone report.
	var subs []intel.Submission
	if err := json.Unmarshal([]byte(il.asOK("", "intel", "list", "--json")), &subs); err != nil {
		t.Fatal(err)
	}
	j := slices.IndexFunc(subs, func(s intel.Submission) bool { return strings.HasPrefix(s.Title, "Drone launches") })
	if j < 0 {
		t.Fatalf("no drone report among %+v", subs)
	}
	drones := strconv.FormatInt(subs[j].ID, 10)
	out = usA.asOK("", "intel", "review", drones, "--return", "--reason", "Which evenings, and at what time?")
	ret := proposalRE.FindStringSubmatch(out)[1]
	mustContain(t, "approve a return", usB.asOK("", "intel", "approve", ret), "RETURN", "The submitter reads: Which evenings, and at what time?", "Approved at log index")
	mustContain(t, "the returned submission", il.asOK("", "intel", "show", drones), "RETURNED", "DECISION: RETURN, proposed by us.intelligence, approved by us.duty",
		"reason: Which evenings, and at what time?")
	mustContain(t, "the superseded proposal", usB.asOK("", "intel", "show", drones), "SUPERSEDED", ret)

	// The release: what it publishes, asked first.
	token := usB.config().Token
	draft, err := client.New(url, token).WithCell(testlog.Cell).IntelDraft(context.Background(), pid)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = usB.as("n\n", "intel", "release", pid, "--title", "Mortar positions on the ridge")
	if code == 0 {
		t.Fatal("a release answered no was published")
	}
	mustContain(t, "the release asked", out, "Releasing "+pid+", \"Mortar positions on the ridge\"", "to sy", "3 objects (", "TLP:AMBER", "locations coarsened to 10 km",
		"approved by us.duty")
	mustContain(t, "the release declined", errs, "Sign and publish it? [y/N]", "not released: nothing was sent")
	if s := sy.asOK("", "intel", "releases"); strings.Contains(s, pid) {
		t.Errorf("a declined release reached Syria:\n%s", s)
	}
	mustContain(t, "release", usB.asOK("", "intel", "release", pid, "--title", "Mortar positions on the ridge", "--yes"), "Released "+pid+" at log index", "to sy: 3 objects, TLP:AMBER")
	mustContain(t, "release twice", usB.asFail("", "intel", "release", pid, "--yes"), "only an approved release is published")

	mustContain(t, "Syria's releases", sy.asOK("", "intel", "releases"), pid, "Mortar positions on the ridge", "TLP:AMBER", "release-bundle")
	if s := sy.asOK("", "intel", "releases"); strings.Contains(s, "ORIGINAL") || strings.Contains(s, "submission "+sub) {
		t.Errorf("Syria reads the release's original:\n%s", s)
	}
	mustContain(t, "the mediator's releases", usB.asOK("", "intel", "releases"), pid, "ORIGINAL", "submission "+sub+" by il, sanitized")
	got := filepath.Join(t.TempDir(), "released.json")
	sy.asOK("", "intel", "release-bundle", pid, "-o", got)
	if b := readFile(t, got); !bytes.Equal(b, bytes.TrimSpace(draft)) {
		t.Errorf("Syria's download is not the draft signed:\n%s\n%s", b, draft)
	}
	if s := sy.asOK("", "intel", "release-bundle", pid); s != string(bytes.TrimSpace(draft)) {
		t.Errorf("the download to stdout:\n%s", s)
	}

	// The demo's TLP:RED release, named to sy.intelligence: its party's
	// duty officer neither lists nor downloads it.
	var rs []intel.ReleaseDetail
	if err := json.Unmarshal([]byte(sy.asOK("", "intel", "releases", "--json")), &rs); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(rs, func(r intel.ReleaseDetail) bool { return r.TLP == "TLP:RED" })
	if i < 0 {
		t.Fatalf("sy.intelligence has no TLP:RED release: %+v", rs)
	}
	red := rs[i].ID
	sy.asOK("", "intel", "release-bundle", red, "-o", filepath.Join(t.TempDir(), "red.json"))
	if s := syDuty.asOK("", "intel", "releases"); strings.Contains(s, red) || strings.Contains(s, "Convoy") {
		t.Errorf("sy.duty lists the TLP:RED release:\n%s", s)
	}
	mustContain(t, "sy.duty downloads the TLP:RED release", syDuty.asFail("", "intel", "release-bundle", red, "-o", filepath.Join(t.TempDir(), "x.json")), "Not found")
}

// The queue says plainly what is overdue: a submission due in 2020, from a
// server that answers the queue alone.
func TestIntelReviewOverdue(t *testing.T) {
	due := time.Date(2020, 1, 2, 3, 4, 0, 0, time.UTC)
	q := []intel.QueueItem{{Submission: intel.Submission{ID: 7, Party: "il", Title: "Late report", Count: 2, TLP: "TLP:GREEN", At: due.Add(-24 * time.Hour), Due: due}}}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/cells/"+testlog.Cell+"/intel/queue" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"queue": q})
	}))
	defer hs.Close()
	c := newCLI(t)
	cfg := config{Server: hs.URL, Cell: testlog.Cell, Member: "us.intelligence", Token: "tok", dir: c.cfg}
	if err := cfg.save(); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "an overdue submission", c.ok("", "intel", "review"), "Late report", "2020-01-02 03:04Z (OVERDUE by", "none yet")
}
