package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/stix/stixgen"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// prettyBundle is a report as a platform exports it: indented, with an
// ampersand and angle brackets left as they are, which json.Marshal of a
// json.RawMessage would compact and escape.
func prettyBundle(t *testing.T, seed string) []byte {
	t.Helper()
	r := stixgen.Report{Name: "Mortar team <north> & its spotter", TLP: stixgen.TLPGreen, Actor: "Mortar team", Created: time.Now().Add(-time.Hour).Truncate(time.Minute),
		Seed: seed, Description: "Two tubes & a spotter, <observed> at dawn.",
		Indicators: []stixgen.Indicator{{Name: "Spotter's radio", Pattern: "[ipv4-addr:value = '198.51.100.99']"}},
		Locations:  []stixgen.Location{{Name: "Ridge east of the road", Lat: 33.01, Lon: 35.88}}}
	var out bytes.Buffer
	if err := json.Indent(&out, r.Bundle(), "", "  "); err != nil {
		t.Fatal(err)
	}
	b := strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(out.String())
	return []byte(b + "\n")
}

type member struct {
	c   *client.Client
	key *record.DeviceKey
}

func as(t *testing.T, url string, d *testlog.Demo, id string) member {
	t.Helper()
	lr, err := client.New(url, "").Login(context.Background(), testlog.Cell, id, testlog.Password)
	if err != nil {
		t.Fatal(err)
	}
	k, err := record.ReadDeviceKey(filepath.Join(d.KeyDir, id+".key"))
	if err != nil {
		t.Fatal(err)
	}
	return member{client.New(url, lr.Token).WithCell(testlog.Cell), k}
}

// A bundle goes through the gate by the client alone, and what is signed
// is what each reader downloads, byte for byte: the submitter's file (its
// indentation, its unescaped "&"), and the draft the publisher signed.
func TestIntelThroughTheGate(t *testing.T) {
	hs, _, d := newServer(t)
	ctx := context.Background()
	il, usA, usB, sy := as(t, hs.URL, d, "il.intelligence"), as(t, hs.URL, d, "us.intelligence"), as(t, hs.URL, d, "us.duty"), as(t, hs.URL, d, "sy.intelligence")

	file := prettyBundle(t, "client-test")
	env, err := client.SignRaw(il.key, testlog.Cell, intel.KindSubmit, map[string]any{"title": "Mortar team"}, "bundle", file)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := il.c.SubmitIntel(ctx, env)
	if err != nil {
		t.Fatal(err)
	}
	s := sub.Submission
	if sub.Duplicate || s.ID != sub.Index || s.Count != 6 || s.TLP != "TLP:GREEN" || s.Status != intel.StatusSubmitted || s.Types["indicator"] != 1 {
		t.Errorf("the submission: %+v", sub)
	}
	if again, err := il.c.SubmitIntel(ctx, env); err != nil || !again.Duplicate || again.Index != sub.Index {
		t.Errorf("the same envelope again: %+v, %v", again, err)
	}
	got, err := il.c.IntelBundle(ctx, s.ID)
	if err != nil || !bytes.Equal(got, bytes.TrimSpace(file)) {
		t.Errorf("the bundle back is not the file: %v\n%s", err, got)
	}
	if _, err := sy.c.IntelSubmission(ctx, s.ID); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("Syria reads Israel's submission: %v", err)
	}

	const pid = "0123456789abcdef0123456789abcdef"
	env, err = client.Sign(usA.key, testlog.Cell, intel.KindPropose, map[string]any{"proposal": pid, "submission": s.ID, "decision": intel.Release,
		"to": []string{"sy"}, "sanitize": intel.Recipe{LocationKm: 10}})
	if err != nil {
		t.Fatal(err)
	}
	step, err := usA.c.Propose(ctx, env)
	if err != nil || step.Proposal.ID != pid || step.Proposal.Status != intel.ProposalOpen || step.Proposal.ProposedBy != "us.intelligence" {
		t.Fatalf("propose: %+v, %v", step, err)
	}
	q, err := usB.c.IntelQueue(ctx)
	if err != nil || len(q) == 0 || q[len(q)-1].ID != s.ID || q[len(q)-1].Proposal == nil || q[len(q)-1].Proposal.ID != pid {
		t.Errorf("the queue: %+v, %v", q, err)
	}
	p, err := usB.c.IntelProposal(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	env, err = client.Sign(usB.key, testlog.Cell, intel.KindApprove, intel.Approval(*p))
	if err != nil {
		t.Fatal(err)
	}
	if step, err = usB.c.Approve(ctx, pid, env); err != nil || step.Proposal.Status != intel.ProposalApproved || step.Proposal.ApprovedBy != "us.duty" {
		t.Fatalf("approve: %+v, %v", step, err)
	}
	draft, err := usB.c.IntelDraft(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	env, err = client.SignRaw(usB.key, testlog.Cell, intel.KindRelease, map[string]any{"proposal": pid, "title": "Mortar team & spotter"}, "bundle", draft)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := usB.c.Release(ctx, pid, env)
	if err != nil || rel.Release.ID != pid || rel.Release.Title != "Mortar team & spotter" || rel.Release.Derivation == nil {
		t.Fatalf("release: %+v, %v", rel, err)
	}
	rs, err := sy.c.IntelReleases(ctx)
	if err != nil || len(rs) == 0 || rs[0].ID != pid || rs[0].Derivation != nil || rs[0].Original != nil {
		t.Errorf("Syria's releases: %+v, %v", rs, err)
	}
	if r, err := sy.c.IntelRelease(ctx, pid); err != nil || r.Count != 6 || r.TLP != "TLP:GREEN" {
		t.Errorf("Syria's release: %+v, %v", r, err)
	}
	if got, err := sy.c.IntelReleaseBundle(ctx, pid); err != nil || !bytes.Equal(got, bytes.TrimSpace(draft)) {
		t.Errorf("the released bundle is not the draft signed: %v\n%s\n%s", err, got, draft)
	}
}

// SignRaw puts the document in the payload as given and nothing else
// changes: the payload is still one JSON object with the header.
func TestSignRaw(t *testing.T) {
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	raw := []byte("\n  {\"a\": \"x & <y>\",\n   \"b\": [1, 2]}\n")
	env, err := client.SignRaw(k, "c", "intel.submit", map[string]any{"title": "T"}, "bundle", raw)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		ID, Time, Cell, Title string
		Bundle                json.RawMessage
	}
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		t.Fatalf("%v: %s", err, env.Payload)
	}
	if !bytes.Equal(p.Bundle, bytes.TrimSpace(raw)) || p.Cell != "c" || p.Title != "T" || p.ID == "" || p.Time == "" {
		t.Errorf("payload %s", env.Payload)
	}
	for name, raw := range map[string]string{"not JSON": "{", "two values": "{} {}", "empty": "  "} {
		if _, err := client.SignRaw(k, "c", "intel.submit", nil, "bundle", []byte(raw)); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	if _, err := client.SignRaw(k, "c", "intel.submit", map[string]any{"bundle": 1}, "bundle", []byte("{}")); err == nil {
		t.Error("a bundle given twice: signed")
	}
}
