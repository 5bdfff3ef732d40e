package verify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/testlog/testcell"
	"github.com/liaison-cell/liaison/internal/verify"
)

// testServer serves a demo data directory over the API; wrap, when set,
// sits between the client and the API (a lying server).
type testServer struct {
	*httptest.Server
	led *ledger.Ledger
}

func newTestServer(t *testing.T, d *testlog.Demo, wrap func(http.Handler) http.Handler) *testServer {
	t.Helper()
	tc := testcell.Open(t, d.Dir)
	var h http.Handler = tc.Server.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		hs.Close()
		tc.Close()
	})
	return &testServer{Server: hs, led: tc.Ledger}
}

func (s *testServer) login(t *testing.T, member string) *client.Client {
	t.Helper()
	return testcell.Login(t, s.URL, member)
}

func verifyHTTP(t *testing.T, c *client.Client, stateDir string) (*verify.Result, error) {
	t.Helper()
	return verify.Verify(context.Background(), verify.NewHTTPSource(c, testlog.Cell), verify.Options{StateDir: stateDir})
}

// hiddenFrom returns the index of an entry that party may not read.
func hiddenFrom(t *testing.T, d *testlog.Demo, party string) int64 {
	t.Helper()
	for i, data := range d.Entries(t) {
		e, err := record.ParseEntry(data)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && !e.Visible(party) {
			return int64(i)
		}
	}
	t.Fatalf("every entry is visible to %s", party)
	return 0
}

func TestVerifyHTTP(t *testing.T) {
	d := testlog.NewDemo(t)
	n := d.Size(t)
	srv := newTestServer(t, d, nil)
	ctx := context.Background()

	// A party reads part of the log, and checks every leaf.
	state := t.TempDir()
	il := srv.login(t, "il.duty")
	r, err := verifyHTTP(t, il, state)
	if err != nil {
		t.Fatalf("verify as il.duty: %v", err)
	}
	if r.Size != n || r.Read == 0 || r.Read >= n || r.Signatures != r.Read || !r.FirstUse {
		t.Errorf("as il.duty: size %d (log %d), read %d, signatures %d, first use %v", r.Size, n, r.Read, r.Signatures, r.FirstUse)
	}
	if r.Source != srv.URL+"#"+testlog.Cell {
		t.Errorf("source %q", r.Source)
	}

	// The mediator reads it all.
	us := srv.login(t, "us.duty")
	r, err = verifyHTTP(t, us, t.TempDir())
	if err != nil {
		t.Fatalf("verify as us.duty: %v", err)
	}
	if r.Read != n || r.Signatures != n {
		t.Errorf("as us.duty: read %d, signatures %d, want %d", r.Read, r.Signatures, n)
	}

	// The log grows; the next run proves it extends the first.
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := il.RegisterKey(ctx, testlog.Cell, "", k, "second"); err != nil {
		t.Fatal(err)
	}
	if err := srv.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	r, err = verifyHTTP(t, il, state)
	if err != nil {
		t.Fatalf("verify after growth: %v", err)
	}
	if r.FirstUse || r.Previous == nil || r.Previous.Size != n || r.Size != n+1 {
		t.Errorf("after growth: first use %v, previous %+v, size %d", r.FirstUse, r.Previous, r.Size)
	}
}

// rewriteJSON returns middleware that lets edit change the JSON answer of
// requests whose path ends in suffix.
func rewriteJSON(suffix string, edit func(r *http.Request, body map[string]any)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, suffix) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var body map[string]any
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
				w.WriteHeader(rec.Code)
				io.Copy(w, rec.Body)
				return
			}
			edit(r, body)
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(body)
		})
	}
}

// flipLeaf returns middleware that serves leaf b wrong in /log/leaves.
func flipLeaf(b int64) func(http.Handler) http.Handler {
	return rewriteJSON("/log/leaves", func(r *http.Request, body map[string]any) {
		start, _ := strconv.ParseInt(r.URL.Query().Get("start"), 10, 64)
		leaves := body["leaves"].([]any)
		if b < start || b >= start+int64(len(leaves)) {
			return
		}
		h, _ := base64.StdEncoding.DecodeString(leaves[b-start].(string))
		h[0] ^= 1
		leaves[b-start] = base64.StdEncoding.EncodeToString(h)
	})
}

func TestVerifyHTTPLyingLeaves(t *testing.T) {
	d := testlog.NewDemo(t)
	hidden := hiddenFrom(t, d, "il")

	// A leaf of an entry il may not read: only the root disagrees, and
	// inclusion proofs find the leaf.
	srv := newTestServer(t, d, flipLeaf(hidden))
	_, err := verifyHTTP(t, srv.login(t, "il.duty"), t.TempDir())
	wantEntryError(t, err, hidden, "inclusion proofs")

	// The mediator reads that entry, so its data shows the lie at once.
	_, err = verifyHTTP(t, srv.login(t, "us.duty"), t.TempDir())
	wantEntryError(t, err, hidden, "leaf data does not hash")

	// The last leaf, and the first.
	n := d.Size(t)
	for _, b := range []int64{0, n - 1} {
		srv := newTestServer(t, testlog.NewDemo(t), flipLeaf(b))
		_, err := verifyHTTP(t, srv.login(t, "il.duty"), t.TempDir())
		var ve *verify.Error
		if !errors.As(err, &ve) || ve.Index != b {
			t.Errorf("leaf %d served wrong: %v", b, err)
		}
	}
}

// TestVerifyHTTPTamperedLeafRow overwrites the stored leaf hash of an entry
// il may not read before the server starts: the server's own leaves and
// proofs then disagree with its checkpoint around that entry.
func TestVerifyHTTPTamperedLeafRow(t *testing.T) {
	d := testlog.NewDemo(t)
	hidden := hiddenFrom(t, d, "il")
	d.Exec(t, `UPDATE hashes SET hash = ? WHERE cell = ? AND idx = ?`, make([]byte, 32), testlog.Cell, record.StoredHashIndex(0, hidden))
	srv := newTestServer(t, d, nil)
	_, err := verifyHTTP(t, srv.login(t, "il.duty"), t.TempDir())
	wantRangeError(t, err, hidden, "")
	var ve *verify.Error
	if errors.As(err, &ve) && ve.End-ve.Index > 2 {
		t.Errorf("the error blames %d entries (%v); inclusion proofs should narrow it to the leaf and its sibling", ve.End-ve.Index, err)
	}
}

func TestVerifyHTTPLyingEntry(t *testing.T) {
	d := testlog.NewDemo(t)
	// The server shows il another member than the one who signed.
	srv := newTestServer(t, d, rewriteJSON("/entries", func(r *http.Request, body map[string]any) {
		for _, e := range body["entries"].([]any) {
			e := e.(map[string]any)
			if e["index"].(float64) != 18 {
				continue
			}
			data, _ := base64.StdEncoding.DecodeString(e["leaf_data"].(string))
			e["leaf_data"] = base64.StdEncoding.EncodeToString(bytes.Replace(data, []byte(`"member":"il.military"`), []byte(`"member":"il.diplomatic"`), 1))
		}
	}))
	_, err := verifyHTTP(t, srv.login(t, "il.duty"), t.TempDir())
	wantEntryError(t, err, 18, "leaf data does not hash to leaf 18")
}

func TestVerifyHTTPKeyChanged(t *testing.T) {
	d := testlog.NewDemo(t)
	state := t.TempDir()
	srv := newTestServer(t, d, nil)
	if _, err := verifyHTTP(t, srv.login(t, "il.duty"), state); err != nil {
		t.Fatal(err)
	}
	_, other, err := record.NewNoteKey("liaison/" + testlog.Cell)
	if err != nil {
		t.Fatal(err)
	}
	// The same server now presents another verifier key.
	lying := newTestServer(t, d, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/log/key") {
				io.WriteString(w, other+"\n")
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	// The state is kept per server URL: present the lying server under the
	// first one's name, as if it had taken its place.
	src := &renamed{Source: verify.NewHTTPSource(lying.login(t, "il.duty"), testlog.Cell), name: srv.URL + "#" + testlog.Cell}
	_, err = verify.Verify(context.Background(), src, verify.Options{StateDir: state})
	if !errors.Is(err, verify.ErrKeyChanged) {
		t.Fatalf("verify with a changed key: %v, want verify.ErrKeyChanged", err)
	}
	// Without the saved key, the checkpoint does not verify with the new
	// key: nothing is trusted.
	if _, err := verify.Verify(context.Background(), src, verify.Options{StateDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "checkpoint does not verify") {
		t.Fatalf("verify a checkpoint under another key: %v", err)
	}
}

// renamed presents a source under another name.
type renamed struct {
	verify.Source
	name string
}

func (r *renamed) Name() string { return r.name }

// TestVerifyHTTPForked restarts the server on a rewritten log, with its
// checkpoint re-signed by the cell's own note key: a party that verified
// before sees the fork.
func TestVerifyHTTPForked(t *testing.T) {
	d := testlog.NewDemo(t)
	n := d.Size(t)
	state := t.TempDir()
	srv := newTestServer(t, d, nil)
	c := srv.login(t, "il.duty")
	if _, err := verifyHTTP(t, c, state); err != nil {
		t.Fatal(err)
	}
	name := srv.URL + "#" + testlog.Cell
	srv.Close()

	// Same size, another last entry: a server key signature (valid).
	d.Rewrite(t, func(es [][]byte) [][]byte {
		e, _ := record.ParseEntry(es[n-1])
		e.Nonce = record.NewNonce()
		es[n-1] = e.Bytes()
		return es
	})
	srv2 := newTestServer(t, d, nil)
	src := &renamed{Source: verify.NewHTTPSource(srv2.login(t, "il.duty"), testlog.Cell), name: name}
	if _, err := verify.Verify(context.Background(), src, verify.Options{StateDir: t.TempDir()}); err != nil {
		t.Fatalf("a newcomer should accept the rewritten log: %v", err)
	}
	_, err := verify.Verify(context.Background(), src, verify.Options{StateDir: state})
	wantRangeError(t, err, n-1, "forked or rewritten")
}
