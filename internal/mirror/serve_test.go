package mirror_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/auth"
	cellpkg "github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/web"
)

// serveMirror serves the API and pages over m's replica, read-only, as
// 'liaison mirror --listen' does; relay, when set, is the write hook.
func serveMirror(t *testing.T, m *mirror.Mirror, relay func(context.Context, string, *record.Envelope) (api.RelayAnswer, error)) string {
	t.Helper()
	return serveMirrorWith(t, m, func(c *api.Config) { c.Relay = relay })
}

// serveMirrorWith is serveMirror with the write hooks hook sets.
func serveMirrorWith(t *testing.T, m *mirror.Mirror, hook func(*api.Config)) string {
	t.Helper()
	ctx := context.Background()
	led, err := ledger.New(ledger.Config{Store: m.Store(), Registry: testlog.Registry(), Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if err := led.OpenReadOnly(ctx, testlog.Cell, m.VerifierKey()); err != nil {
		t.Fatal(err)
	}
	status := func() api.MirrorStatus {
		s := m.Status()
		out := api.MirrorStatus{Cell: s.Cell, Party: s.Party, PartyName: "Syria", Size: s.Size, Failures: s.Failures, LineDown: s.LineDown, Unprojected: s.Unprojected}
		if !s.LastHeard.IsZero() {
			out.LastHeard = &s.LastHeard
		}
		return out
	}
	cfg := api.Config{Ledger: led, DefaultCell: testlog.Cell, Password: auth.TestParams, Logger: testlog.Quiet(), Mirror: status}
	hook(&cfg)
	srv, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ui, err := web.New(web.Config{API: srv, Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetWeb(ui)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close(); led.Close() })
	return hs.URL
}

// get answers GET path at base as the holder of token: status and body.
func get(t *testing.T, base, token, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func post(t *testing.T, base, token, path string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func token(t *testing.T, base, member string) string {
	t.Helper()
	r, err := client.New(base, "").Login(context.Background(), testlog.Cell, member, testlog.Password)
	if err != nil {
		t.Fatalf("sign in as %s at %s: %v", member, base, err)
	}
	return r.Token
}

// A party's mirror serves its members what the cell serves them, the line
// up or down, and nothing its party may not read, through any route.
func TestMirrorServesItsPartyReadOnly(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	dir := t.TempDir()
	m, err := mirror.Open(ctx, mirror.Config{Client: c.login(t, "sy.duty"), Cell: testlog.Cell, Dir: dir, Registry: testlog.Registry(), DownAfter: 2, Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	round(t, m)

	// Sign-in at the mirror is the mirror's own, for its party only.
	h, err := auth.HashPassword(testlog.Password, auth.TestParams)
	if err != nil {
		t.Fatal(err)
	}
	if err := mirror.SetCredential(ctx, dir, "sy.duty", h); err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{"il.duty", "us.duty", "nobody"} {
		if err := mirror.SetCredential(ctx, dir, other, h); !errors.Is(err, mirror.ErrNotParty) {
			t.Errorf("a credential at sy's mirror for %s: %v, want ErrNotParty", other, err)
		}
	}
	mirrorURL := serveMirror(t, m, nil)
	atMirror, atCell := token(t, mirrorURL, "sy.duty"), token(t, c.URL, "sy.duty")
	if _, err := client.New(mirrorURL, "").Login(ctx, testlog.Cell, "il.duty", testlog.Password); err == nil {
		t.Error("il.duty signed in at sy's mirror")
	}

	// What a member of sy reads at the cell, they read at the mirror.
	var disputes struct {
		Disputes []struct {
			ID int64 `json:"id"`
		} `json:"disputes"`
	}
	if code, b := get(t, c.URL, atCell, "/api/v1/disputes"); code != 200 || json.Unmarshal(b, &disputes) != nil || len(disputes.Disputes) == 0 {
		t.Fatalf("the cell's disputes for sy: %d %s", code, b)
	}
	routes := []string{
		"/api/v1/channels",
		"/api/v1/channels/line-sy/messages",
		"/api/v1/disputes",
		fmt.Sprintf("/api/v1/disputes/%d", disputes.Disputes[0].ID),
		"/api/v1/zones",
		"/api/v1/parties",
	}
	same := func(when string) {
		t.Helper()
		for _, r := range routes {
			cc, cb := get(t, c.URL, atCell, r)
			mc, mb := get(t, mirrorURL, atMirror, r)
			if cc != 200 || mc != cc || !bytes.Equal(normal(t, cb), normal(t, mb)) {
				t.Errorf("%s: GET %s: the cell answers %d\n%s\nthe mirror %d\n%s", when, r, cc, cb, mc, mb)
			}
		}
	}
	same("the line up")
	// A published total is decided from the confidential pledges, and a
	// release and an approval from the mediator's proposal, which sy does
	// not read: the mirror projects them from the entries themselves
	// (their replay), so sy's officers see the total, the gate's decisions
	// on their submissions and the intelligence released to them as at
	// the cell.
	un, err := m.Unprojected(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range un {
		t.Errorf("entry %d (%s) is not projected at the mirror: %s", u.Index, u.Kind, u.Reason)
	}
	if st := m.Status(); st.Unprojected != len(un) {
		t.Errorf("the status counts %d unprojected entries, the mirror lists %d", st.Unprojected, len(un))
	}
	for _, r := range []string{"/api/v1/projects", "/api/v1/projects/golan-wind", "/api/v1/intel/releases", "/api/v1/intel/submissions"} {
		cc, cb := get(t, c.URL, atCell, r)
		mc, mb := get(t, mirrorURL, atMirror, r)
		if cc != 200 || mc != 200 || !bytes.Equal(normal(t, cb), normal(t, mb)) {
			t.Errorf("GET %s: the cell answers %d\n%s\nthe mirror %d\n%s", r, cc, cb, mc, mb)
		}
	}
	if _, b := get(t, mirrorURL, atMirror, "/api/v1/projects/golan-wind"); !bytes.Contains(b, []byte(`"funders":3`)) {
		t.Errorf("the wind farm's published total at sy's mirror: %s", b)
	}
	if _, b := get(t, mirrorURL, atMirror, "/api/v1/intel/submissions"); !bytes.Contains(b, []byte(`"status":"released"`)) {
		t.Errorf("no submission of sy's released by the gate, at sy's mirror: %s", b)
	}
	if _, b := get(t, mirrorURL, atMirror, "/api/v1/intel/releases"); !bytes.Contains(b, []byte(`"releases":[{`)) {
		t.Errorf("no release at sy's mirror: %s", b)
	}

	// Nothing sy may not read is held or served: not il's line, not the
	// confidential pledges, not any entry outside sy's audience.
	for _, r := range []string{"/api/v1/channels/line-il", "/api/v1/channels/line-il/messages"} {
		if code, b := get(t, mirrorURL, atMirror, r); code != 404 {
			t.Errorf("GET %s at sy's mirror: %d %s", r, code, b)
		}
	}
	us := token(t, c.URL, "us.duty")
	_, pledges := get(t, c.URL, us, "/api/v1/pledges")
	var pl struct {
		Pledges []struct {
			ID string `json:"id"`
		} `json:"pledges"`
	}
	if json.Unmarshal(pledges, &pl) != nil || len(pl.Pledges) == 0 {
		t.Fatalf("the mediator's pledges: %s", pledges)
	}
	for _, p := range pl.Pledges {
		if code, b := get(t, mirrorURL, atMirror, "/api/v1/pledges/"+p.ID); code != 404 {
			t.Errorf("the pledge %s at sy's mirror: %d %s", p.ID, code, b)
		}
	}
	hidden := 0
	for i := range d.Size(t) {
		e := d.Entry(t, int(i))
		if e.VisibleTo("sy", "sy.duty") {
			continue
		}
		hidden++
		if code, b := get(t, mirrorURL, atMirror, fmt.Sprintf("/api/v1/log/entries/%d", i)); code != 404 {
			t.Errorf("entry %d (%s, for %v) at sy's mirror: %d %s", i, e.Envelope.Kind(), e.Audience, code, b)
		}
	}
	if hidden == 0 {
		t.Fatal("the demo has no entry sy may not read: the test proves nothing")
	}
	checkReplicaHoldsOnly(t, m.Store(), "sy", "sy.duty")

	// Writes are refused, saying whose mirror this is.
	env, err := client.Sign(d.Key(t, "sy.duty"), testlog.Cell, "message.send", map[string]any{
		"channel": "line-sy", "subject": "at the mirror", "body": "x", "lang": "en", "precedence": "ROUTINE"})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(env)
	for _, r := range []string{"/api/v1/messages", "/api/v1/entries", "/api/v1/blobs"} {
		code, b := post(t, mirrorURL, atMirror, r, body)
		var p api.Problem
		if code != 503 || json.Unmarshal(b, &p) != nil || !strings.HasSuffix(p.Type, ":mirror-read-only") || !strings.Contains(p.Detail, "party Syria's mirror, read-only") {
			t.Errorf("POST %s at the mirror: %d %s", r, code, b)
		}
	}

	// The line is cut: the mirror keeps serving, and says so.
	c.stop()
	for range 2 {
		if _, err := m.Round(ctx); err == nil {
			t.Fatal("a round with the cell stopped succeeded")
		}
	}
	code, b := get(t, mirrorURL, atMirror, "/api/v1/mirror/status")
	var st api.MirrorStatus
	if code != 200 || json.Unmarshal(b, &st) != nil || !st.LineDown || st.Party != "sy" || st.Size != m.Size() || st.LastHeard == nil {
		t.Errorf("the mirror's status with the cell stopped: %d %s", code, b)
	}
	if code, b := get(t, mirrorURL, atMirror, "/api/v1/channels/line-sy/messages"); code != 200 || !strings.Contains(string(b), "Confirm the revised patrol schedule") {
		t.Errorf("sy's line at the mirror with the cell stopped: %d %s", code, b)
	}
	for _, lang := range []string{"en", "ar", "he"} {
		code, page := get(t, mirrorURL, atMirror, "/channels?lang="+lang)
		want := map[string]string{"en": "The line to the cell is down", "ar": "الخط إلى الخلية مقطوع", "he": "הקו לתא מנותק"}[lang]
		if code != 200 || !strings.Contains(string(page), want) || !strings.Contains(string(page), `class="mirror mirror-down"`) {
			t.Errorf("the channels page in %s with the line down: %d, no %q", lang, code, want)
		}
	}
	code, page := get(t, mirrorURL, "", "/login")
	if code != 200 || !strings.Contains(string(page), "mirror of the cell&#39;s record, read-only") {
		t.Errorf("the sign-in page at the mirror: %d\n%s", code, page)
	}
}

// normal is a JSON answer without what depends on the moment it is read.
// Keys named in drop go too.
func normal(t *testing.T, b []byte, drop ...string) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return b
	}
	var strip func(any) any
	strip = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for _, k := range append([]string{"now", "seconds_left", "server_time"}, drop...) {
				delete(x, k)
			}
			for k, v := range x {
				x[k] = strip(v)
			}
		case []any:
			for i, v := range x {
				x[i] = strip(v)
			}
		}
		return x
	}
	out, _ := json.Marshal(strip(v))
	return out
}

// checkReplicaHoldsOnly fails on any entry or object of the replica that
// party (through member) may not read.
func checkReplicaHoldsOnly(t *testing.T, st store.Store, party, member string) {
	t.Helper()
	ctx := context.Background()
	n, err := st.Size(ctx, testlog.Cell)
	if err != nil {
		t.Fatal(err)
	}
	es, err := st.Entries(ctx, testlog.Cell, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, se := range es {
		e, err := record.ParseEntry(se.LeafData)
		if err != nil {
			t.Fatal(err)
		}
		if !e.VisibleTo(party, member) {
			t.Errorf("%s's replica holds entry %d for %v", party, e.Index, e.Audience)
		}
	}
	p, err := cellpkg.GetParty(ctx, st.View(testlog.Cell), party)
	if err != nil {
		t.Fatal(err)
	}
	r := store.Reader{Mask: p.Bit(), Member: member}
	objs, err := st.Projection(ctx, testlog.Cell)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if !r.Reads(o.Mask, o.Members) {
			t.Errorf("%s's replica holds %s/%s (mask %#x, %v)", party, o.Kind, o.ID, o.Mask, o.Members)
		}
	}
}

// With a write hook, a member's signed command is checked and handed to
// it, and answered 202; one not signed by the member's key is not.
func TestMirrorRelaysWritesThroughTheHook(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	dir := t.TempDir()
	m, err := mirror.Open(ctx, mirror.Config{Client: c.login(t, "sy.duty"), Cell: testlog.Cell, Dir: dir, Registry: testlog.Registry(), Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	round(t, m)
	h, _ := auth.HashPassword(testlog.Password, auth.TestParams)
	if err := mirror.SetCredential(ctx, dir, "sy.duty", h); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []*record.Envelope
	url := serveMirror(t, m, func(_ context.Context, member string, env *record.Envelope) (api.RelayAnswer, error) {
		mu.Lock()
		defer mu.Unlock()
		if member != "sy.duty" {
			t.Errorf("relayed for %s", member)
		}
		got = append(got, env)
		return api.RelayAnswer{ID: "x", Position: int64(len(got))}, nil
	})
	tok := token(t, url, "sy.duty")
	env, err := client.Sign(d.Key(t, "sy.duty"), testlog.Cell, "message.send", map[string]any{
		"channel": "line-sy", "subject": "queued", "body": "x", "lang": "en", "precedence": "ROUTINE"})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(env)
	code, b := post(t, url, tok, "/api/v1/messages", body)
	var a api.RelayAnswer
	if code != 202 || json.Unmarshal(b, &a) != nil || a.Position != 1 {
		t.Errorf("a message at a relaying mirror: %d %s", code, b)
	}
	// Signed with another member's key: refused before the hook.
	env, _ = client.Sign(d.Key(t, "sy.military"), testlog.Cell, "message.send", map[string]any{
		"channel": "line-sy", "subject": "forged", "body": "x", "lang": "en", "precedence": "ROUTINE"})
	body, _ = json.Marshal(env)
	if code, b := post(t, url, tok, "/api/v1/messages", body); code != 403 {
		t.Errorf("another member's signature at a relaying mirror: %d %s", code, b)
	}
	// An upload is no signed command: refused without its own hook.
	if code, _ := post(t, url, tok, "/api/v1/blobs", []byte("data")); code != 503 {
		t.Errorf("an upload at a relaying mirror: %d", code)
	}
	if len(got) != 1 {
		t.Errorf("the hook took %d commands, want 1", len(got))
	}
}
