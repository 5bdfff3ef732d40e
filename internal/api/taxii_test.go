package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/stix/stixgen"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/taxii"
	"github.com/liaison-cell/liaison/internal/taxii/taxiitest"
)

// signed appends a command signed with member's demo device key, through
// the ledger as the API would.
func (ts *testServer) signed(t testing.TB, member, kind string, fields map[string]any) store.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env := record.Sign(kind, payload(fields), ts.deviceKey(t, member).Private)
	res, err := ts.Ledger.Submit(ctx, seed.DemoCell, member, env)
	if err != nil {
		t.Fatalf("%s %s: %v", member, kind, err)
	}
	return res
}

func newProposal() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// release puts bundle through the real gate: Israel's analyst submits it,
// one analyst of the mediator proposes its release (to parties to, or to
// named members), the duty officer approves and publishes it.
func (ts *testServer) release(t testing.TB, bundle []byte, to, members []string) {
	t.Helper()
	sub := ts.signed(t, "il.intelligence", intel.KindSubmit, map[string]any{"title": "Report for the gate", "bundle": json.RawMessage(bundle)})
	id := newProposal()
	prop := map[string]any{"proposal": id, "submission": sub.Entry.Index, "decision": intel.Release}
	if to != nil {
		prop["to"] = to
	}
	if members != nil {
		prop["members"] = members
	}
	ts.signed(t, "us.intelligence", intel.KindPropose, prop)
	ctx := context.Background()
	// The mediator reads it all: what it approves and publishes.
	v := cell.ReadView(ts.Store, seed.DemoCell, ts.actor(t, "us.duty"))
	p, err := intel.GetProposal(ctx, v, id)
	if err != nil {
		t.Fatal(err)
	}
	ts.signed(t, "us.duty", intel.KindApprove, intel.Approval(p))
	draft, err := intel.Draft(ctx, v, id)
	if err != nil {
		t.Fatal(err)
	}
	ts.signed(t, "us.duty", intel.KindRelease, map[string]any{"proposal": id, "title": "Released for the walk", "bundle": json.RawMessage(draft)})
}

// actor is member as the rule book sees them.
func (ts *testServer) actor(t testing.TB, member string) cell.Actor {
	t.Helper()
	// unfiltered: who the member is, before there is a reader.
	a, err := cell.ActorFor(context.Background(), ts.Store.View(seed.DemoCell), member)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func bundleOf(objects ...json.RawMessage) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--` + uuid4() + `","objects":[`)
	for i, o := range objects {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(o)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func uuid4() string {
	var u [16]byte
	rand.Read(u[:])
	u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
	x := hex.EncodeToString(u[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// taxiiToken issues c's TAXII credentials.
func (c *client) taxiiToken(t testing.TB) api.TAXIIToken {
	t.Helper()
	r := c.do(t, "POST", "/api/v1/intel/taxii/token", nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("%s: TAXII token: %s", c.member, r)
	}
	var tok api.TAXIIToken
	decode(t, r, &tok)
	if tok.Username != c.member || !strings.HasPrefix(tok.Password, "ltx_") || !strings.HasSuffix(tok.APIRoot, "/taxii2/"+seed.DemoCell+"/") {
		t.Fatalf("%s: TAXII token %+v", c.member, tok)
	}
	return tok
}

// basic is how a TAXII client sends a member's credentials.
func basic(tok api.TAXIIToken) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(tok.Username, tok.Password) }
}

// taxiiGet asks a TAXII path with HTTP Basic.
func (ts *testServer) taxiiGet(t testing.TB, tok api.TAXIIToken, path string) reply {
	t.Helper()
	req, _ := http.NewRequest("GET", "/", nil)
	basic(tok)(req)
	return ts.send(t, "GET", path, nil, http.Header{"Authorization": {req.Header.Get("Authorization")}, "Accept": {taxii.MediaType}})
}

// TestTAXIIConformance runs the TAXII conformance suite against the
// server: Syria's duty officer reads what the mediator released to Syria,
// gated for real; Syria's analyst posts to Syria's submissions and signs
// each post; Israel's analyst is the stranger to both.
func TestTAXIIConformance(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		reader, writer, stranger := ts.login(t, "sy.duty"), ts.login(t, "sy.intelligence"), ts.login(t, "il.intelligence")
		wtok := writer.taxiiToken(t)
		taxiitest.Run(t, taxiitest.Target{
			Discovery:       ts.URL + "/taxii2/",
			APIRoot:         "/taxii2/" + seed.DemoCell + "/",
			Client:          ts.HTTP,
			Reader:          basic(reader.taxiiToken(t)),
			Writer:          basic(wtok),
			Stranger:        basic(stranger.taxiiToken(t)),
			ReadCollection:  api.TAXIICollectionID(seed.DemoCell, intel.Released("sy")),
			WriteCollection: api.TAXIICollectionID(seed.DemoCell, intel.Submitted("sy")),
			Seed: func(t *testing.T, objects []json.RawMessage) {
				// One release each, so that each is added after the one
				// before.
				for _, o := range objects {
					ts.release(t, bundleOf(o), []string{"sy"}, nil)
				}
			},
			NoDelete: true,
			Complete: func(t *testing.T, status string) { signStaged(t, ts, writer, status) },
		})
	})
}

// signStaged signs, as its poster, the TAXII post whose status is status:
// what the web page or the CLI does with the staged bundle.
func signStaged(t *testing.T, ts *testServer, poster *client, status string) {
	t.Helper()
	var list struct {
		Staged []api.StagedPost `json:"staged"`
	}
	poster.getJSON(t, "/api/v1/intel/staged", &list)
	for _, st := range list.Staged {
		if st.Status != status {
			continue
		}
		if st.State != taxii.StatusPending || st.Member != poster.member {
			t.Fatalf("staged post %+v", st)
		}
		r := poster.get(t, fmt.Sprintf("/api/v1/intel/staged/%d/bundle", st.ID))
		if r.Status != http.StatusOK || intel.BundleHash(r.Body) != st.SHA256 {
			t.Fatalf("the staged bundle of %d: %d, sha256 %s, want %s", st.ID, r.Status, intel.BundleHash(r.Body), st.SHA256)
		}
		ts.signed(t, poster.member, intel.KindSubmit, map[string]any{"title": "Posted over TAXII", "bundle": json.RawMessage(r.Body), "staged": st.ID})
		return
	}
	t.Fatalf("status %s is not among %s's staged posts", status, poster.member)
}

func indicatorJSON(id, name string) json.RawMessage {
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	return json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"` + now + `","modified":"` + now +
		`","name":"` + name + `","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix","valid_from":"` + now + `"}`)
}

// objectIDs pages a collection's objects as tok's member, all versions.
func (ts *testServer) objectIDs(t *testing.T, tok api.TAXIIToken, coll string) (ids []string, code int) {
	t.Helper()
	next := ""
	for {
		q := "?limit=7&match[version]=all"
		if next != "" {
			q += "&next=" + next
		}
		r := ts.taxiiGet(t, tok, "/taxii2/"+seed.DemoCell+"/collections/"+api.TAXIICollectionID(seed.DemoCell, coll)+"/objects/"+q)
		if r.Status != http.StatusOK {
			return ids, r.Status
		}
		var e struct {
			More    bool              `json:"more"`
			Next    string            `json:"next"`
			Objects []json.RawMessage `json:"objects"`
		}
		decode(t, r, &e)
		for _, o := range e.Objects {
			var x struct{ ID string }
			json.Unmarshal(o, &x)
			ids = append(ids, x.ID)
		}
		if !e.More {
			return ids, http.StatusOK
		}
		next = e.Next
	}
}

// A party reads over TAXII exactly what was released to it: not another
// party's collections, not a TLP:RED release to a colleague, and an
// observer nothing of a release to Syria.
func TestTAXIIKeepsToReleases(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		toSyria := "indicator--" + uuid4()
		ts.release(t, bundleOf(indicatorJSON(toSyria, "Released to Syria")), []string{"sy"}, nil)
		rep := stixgen.Report{Name: "Red report for one analyst", Description: "For sy.intelligence alone.", TLP: stixgen.TLPRed,
			Actor: "Unit 9", Created: time.Now().UTC().Truncate(time.Millisecond), Seed: uuid4(),
			Indicators: []stixgen.Indicator{{Name: "Relay", Pattern: "[ipv4-addr:value = '198.51.100.7']"}}}
		red := rep.Bundle()
		ts.release(t, red, nil, []string{"sy.intelligence"})
		var redIDs []string
		var rb struct{ Objects []struct{ ID, Type string } }
		json.Unmarshal(red, &rb)
		for _, o := range rb.Objects {
			if o.Type != "marking-definition" {
				redIDs = append(redIDs, o.ID)
			}
		}

		tok := map[string]api.TAXIIToken{}
		for _, m := range []string{"sy.intelligence", "sy.duty", "jo.intelligence", "il.intelligence", "us.intelligence"} {
			tok[m] = ts.login(t, m).taxiiToken(t)
		}
		contains := func(ids []string, id string) bool {
			for _, x := range ids {
				if x == id {
					return true
				}
			}
			return false
		}
		// The named analyst reads the red report; the colleague does not.
		ana, code := ts.objectIDs(t, tok["sy.intelligence"], intel.Released("sy"))
		duty, code2 := ts.objectIDs(t, tok["sy.duty"], intel.Released("sy"))
		if code != 200 || code2 != 200 || !contains(ana, toSyria) || !contains(duty, toSyria) {
			t.Fatalf("Syria's members do not read what was released to Syria: %d %d %v %v", code, code2, ana, duty)
		}
		for _, id := range redIDs {
			if !contains(ana, id) {
				t.Errorf("sy.intelligence does not read %s, released to them by name", id)
			}
			if contains(duty, id) {
				t.Errorf("sy.duty reads %s, released by name to sy.intelligence alone", id)
			}
			r := ts.taxiiGet(t, tok["sy.duty"], "/taxii2/"+seed.DemoCell+"/collections/"+api.TAXIICollectionID(seed.DemoCell, intel.Released("sy"))+"/objects/"+id+"/")
			if r.Status != http.StatusNotFound {
				t.Errorf("sy.duty GETs %s, released to a colleague by name: %s", id, r)
			}
		}
		// Israel's collections do not exist for Syria, nor Syria's for the
		// observer.
		for who, colls := range map[string][]string{
			"sy.intelligence": {intel.Released("il"), intel.Submitted("il"), intel.Released("jo")},
			"jo.intelligence": {intel.Released("sy"), intel.Submitted("sy"), intel.Released("il"), intel.Submitted("il")},
			"il.intelligence": {intel.Released("sy"), intel.Submitted("sy")},
		} {
			for _, c := range colls {
				base := "/taxii2/" + seed.DemoCell + "/collections/" + api.TAXIICollectionID(seed.DemoCell, c) + "/"
				for _, p := range []string{"", "objects/", "manifest/", "objects/" + toSyria + "/", "objects/" + toSyria + "/versions/"} {
					if r := ts.taxiiGet(t, tok[who], base+p); r.Status != http.StatusNotFound {
						t.Errorf("%s GET %s (%s): %s, want 404", who, base+p, c, r)
					}
				}
			}
		}
		jo, code := ts.objectIDs(t, tok["jo.intelligence"], intel.Released("jo"))
		if code != 200 || len(jo) != 0 {
			t.Errorf("the observer's released collection: %d %v, want empty", code, jo)
		}
		r := ts.taxiiGet(t, tok["jo.intelligence"], "/taxii2/"+seed.DemoCell+"/collections/")
		for _, c := range []string{intel.Released("sy"), intel.Submitted("sy"), intel.Released("il")} {
			if bytes.Contains(r.Body, []byte(api.TAXIICollectionID(seed.DemoCell, c))) {
				t.Errorf("the observer is shown collection %s: %s", c, r.Body)
			}
		}
		// The mediator reads every party's, and may write none.
		med, code := ts.objectIDs(t, tok["us.intelligence"], intel.Released("sy"))
		if code != 200 || !contains(med, toSyria) || !contains(med, redIDs[0]) {
			t.Errorf("the mediator's view of Syria's released collection: %d %v", code, med)
		}
	})
}

// TAXII credentials open /taxii2/ alone, end when revoked or replaced,
// and open nothing for a disabled member.
func TestTAXIICredentials(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, "sy.intelligence")
	first := c.taxiiToken(t)
	disc := "/taxii2/"
	if r := ts.taxiiGet(t, first, disc); r.Status != http.StatusOK {
		t.Fatalf("discovery with TAXII credentials: %s", r)
	}
	// Not a bearer token of the API.
	for _, p := range []string{"/api/v1/me", "/api/v1/intel/staged"} {
		r := ts.send(t, "GET", p, nil, http.Header{"Authorization": {"Bearer " + first.Password}})
		wantProblem(t, r, http.StatusUnauthorized)
	}
	// As a bearer token on /taxii2/, and the API's bearer token too.
	for _, h := range []string{"Bearer " + first.Password, "Bearer " + c.token} {
		if r := ts.send(t, "GET", disc, nil, http.Header{"Authorization": {h}}); r.Status != http.StatusOK {
			t.Errorf("discovery with %s…: %s", h[:12], r)
		}
	}
	// Someone else's username with this password is refused.
	wrong := first
	wrong.Username = "sy.duty"
	if r := ts.taxiiGet(t, wrong, disc); r.Status != http.StatusUnauthorized || !strings.Contains(r.Header.Get("WWW-Authenticate"), "Basic") {
		t.Errorf("another member's username: %s %q", r, r.Header.Get("WWW-Authenticate"))
	}
	second := c.taxiiToken(t)
	if second.Revoked != 1 {
		t.Errorf("issuing again revoked %d earlier tokens, want 1", second.Revoked)
	}
	if r := ts.taxiiGet(t, first, disc); r.Status != http.StatusUnauthorized {
		t.Errorf("replaced TAXII credentials: %s", r)
	}
	if r := ts.taxiiGet(t, second, disc); r.Status != http.StatusOK {
		t.Errorf("new TAXII credentials: %s", r)
	}
	if r := c.do(t, "DELETE", "/api/v1/intel/taxii/token", nil); r.Status != http.StatusOK {
		t.Fatalf("revoke: %s", r)
	}
	if r := ts.taxiiGet(t, second, disc); r.Status != http.StatusUnauthorized {
		t.Errorf("revoked TAXII credentials: %s", r)
	}
	// A disabled member's credentials open nothing.
	third := c.taxiiToken(t)
	upd := member("sy.intelligence", "sy", cell.RoleIntelligence)
	upd["disabled"] = true
	admin := ts.login(t, "sy.duty")
	admin.submitOK(t, "PUT", "/api/v1/members/sy.intelligence", admin.sign(cell.KindMemberUpdate, map[string]any{"member": upd}), http.StatusOK)
	if r := ts.taxiiGet(t, third, disc); r.Status != http.StatusUnauthorized {
		t.Errorf("a disabled member's TAXII credentials: %s", r)
	}
}

// A post's bundle is its poster's to read until signed; the list of staged
// posts is the member's own.
func TestTAXIIStagedIsThePosters(t *testing.T) {
	ts := newTestServer(t)
	poster := ts.login(t, "sy.intelligence")
	tok := poster.taxiiToken(t)
	coll := api.TAXIICollectionID(seed.DemoCell, intel.Submitted("sy"))
	env := `{"objects":[` + string(indicatorJSON("indicator--"+uuid4(), "Posted by Syria's analyst")) + `]}`
	req, _ := http.NewRequest("GET", "/", nil)
	basic(tok)(req)
	r := ts.send(t, "POST", "/taxii2/"+seed.DemoCell+"/collections/"+coll+"/objects/", []byte(env),
		http.Header{"Authorization": {req.Header.Get("Authorization")}, "Accept": {taxii.MediaType}, "Content-Type": {taxii.MediaType}})
	if r.Status != http.StatusAccepted || !bytes.Contains(r.Body, []byte(`"pending"`)) {
		t.Fatalf("POST: %s", r)
	}
	var list struct{ Staged []api.StagedPost }
	poster.getJSON(t, "/api/v1/intel/staged", &list)
	if len(list.Staged) != 1 {
		t.Fatalf("staged: %+v", list)
	}
	bundle := fmt.Sprintf("/api/v1/intel/staged/%d/bundle", list.Staged[0].ID)
	if r := poster.get(t, bundle); r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte("Posted by Syria")) {
		t.Errorf("the poster's bundle: %s", r)
	}
	for _, who := range []string{"sy.duty", "il.intelligence", "us.duty"} {
		c := ts.login(t, who)
		wantProblem(t, c.get(t, bundle), http.StatusNotFound)
		var l struct{ Staged []api.StagedPost }
		c.getJSON(t, "/api/v1/intel/staged", &l)
		if len(l.Staged) != 0 {
			t.Errorf("%s lists %s's staged posts", who, poster.member)
		}
	}
	// The poster's colleague and the mediator see the status; Israel does not.
	st := "/taxii2/" + seed.DemoCell + "/status/" + list.Staged[0].Status + "/"
	for who, want := range map[string]int{"sy.duty": 200, "us.duty": 200, "il.intelligence": 404} {
		if r := ts.taxiiGet(t, ts.login(t, who).taxiiToken(t), st); r.Status != want {
			t.Errorf("%s GET the status: %s, want %d", who, r, want)
		}
	}
}

// variant renames every object of a stixgen bundle (its UUIDs, the
// references to them included) for the k-th copy, so that copies are new
// objects rather than the same ones again; the standard TLP markings keep
// their ids.
func variant(bundle []byte, k int) []byte {
	re := regexp.MustCompile(`([a-z0-9-]+)--([0-9a-f]{8})-`)
	return re.ReplaceAllFunc(bundle, func(m []byte) []byte {
		sub := re.FindSubmatch(m)
		if string(sub[1]) == "marking-definition" {
			return m
		}
		n, _ := strconv.ParseUint(string(sub[2]), 16, 32)
		return fmt.Appendf(nil, "%s--%08x-", sub[1], uint32(n)^uint32(k)*0x9e3779b9)
	})
}

// BenchmarkTAXIIPaging pages a collection of 100,000 released objects
// (LIAISON_BENCH_TAXII_OBJECTS to change it) at limit=1000, over HTTP as a
// TAXII client does: the first page, one in the middle and the last,
// which the keyset on (seq, id) should serve alike. The world is ten
// stixgen bundles of 10,000 objects, each through the real gate, released
// by name to Syria's analyst (the bundles carry TLP:RED).
func BenchmarkTAXIIPaging(b *testing.B) {
	total := 100_000
	if n, err := strconv.Atoi(os.Getenv("LIAISON_BENCH_TAXII_OBJECTS")); err == nil && n > 0 {
		total = n
	}
	const perBundle = 10_000
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ts := newTestServerOn(b, be)
			built := time.Now()
			base := stixgen.Bundle(min(perBundle, total))
			for k := 0; k*perBundle < total; k++ {
				ts.release(b, variant(base, k+1), nil, []string{"sy.intelligence"})
			}
			b.Logf("%s: %d objects released in %s", be.name, total, time.Since(built).Round(time.Second))
			tok := ts.login(b, "sy.intelligence").taxiiToken(b)
			objects := "/taxii2/" + seed.DemoCell + "/collections/" + api.TAXIICollectionID(seed.DemoCell, intel.Released("sy")) + "/objects/?limit=1000"
			// Every page's next, so that each page can be asked alone.
			var nexts []string
			next, served := "", 0
			for {
				nexts = append(nexts, next)
				p := objects
				if next != "" {
					p += "&next=" + next
				}
				r := ts.taxiiGet(b, tok, p)
				var e struct {
					More    bool              `json:"more"`
					Next    string            `json:"next"`
					Objects []json.RawMessage `json:"objects"`
				}
				if r.Status != http.StatusOK || json.Unmarshal(r.Body, &e) != nil {
					b.Fatalf("page %d: %s", len(nexts), r)
				}
				served += len(e.Objects)
				if !e.More {
					break
				}
				next = e.Next
			}
			if served != total {
				b.Fatalf("paging served %d objects of %d", served, total)
			}
			for _, pg := range []struct {
				name string
				next string
			}{{"first", nexts[0]}, {"middle", nexts[len(nexts)/2]}, {"last", nexts[len(nexts)-1]}} {
				b.Run(pg.name, func(b *testing.B) {
					p := objects
					if pg.next != "" {
						p += "&next=" + pg.next
					}
					for b.Loop() {
						if r := ts.taxiiGet(b, tok, p); r.Status != http.StatusOK {
							b.Fatal(r)
						}
					}
				})
			}
		})
	}
}
