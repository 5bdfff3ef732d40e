package mirror_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/testlog/testcell"
	"github.com/liaison-cell/liaison/internal/verify"
)

func TestMain(m *testing.M) { testlog.Main(m) }

// cell is the demo cell served over the API on loopback.
type cell struct {
	URL  string
	Addr string
	led  *ledger.Ledger
	dir  string
	once sync.Once
	stop func()
}

// startCell serves the data directory dir; wrap, when set, sits in front
// of the API (a test double of a dishonest cell).
func startCell(t testing.TB, dir string, wrap func(http.Handler) http.Handler) *cell {
	t.Helper()
	return startCellAt(t, dir, wrap, "127.0.0.1:0")
}

// startCellAt serves dir on addr: a cell restarted where its mirrors
// know it.
func startCellAt(t testing.TB, dir string, wrap func(http.Handler) http.Handler, addr string) *cell {
	t.Helper()
	tc := testcell.Open(t, dir)
	var h http.Handler = tc.Server.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(h)
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	c := &cell{URL: hs.URL, Addr: ln.Addr().String(), led: tc.Ledger, dir: dir}
	c.stop = func() {
		c.once.Do(func() {
			hs.Close()
			tc.Close()
		})
	}
	t.Cleanup(c.stop)
	return c
}

func (c *cell) login(t testing.TB, member string) *client.Client {
	t.Helper()
	return testcell.Login(t, c.URL, member)
}

// send has member send a message on the party's line to the mediator,
// and the cell sign a checkpoint of it.
func (c *cell) send(t testing.TB, d *testlog.Demo, member, channel, subject string) {
	t.Helper()
	ctx := context.Background()
	env, err := client.Sign(d.Key(t, member), testlog.Cell, "message.send", map[string]any{
		"channel": channel, "subject": subject, "body": "text of " + subject, "lang": "en", "precedence": "ROUTINE"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.login(t, member).Submit(ctx, "/entries", env); err != nil {
		t.Fatalf("send as %s: %v", member, err)
	}
	if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
}

func registerWitness(t testing.TB, c *cell, d *testlog.Demo, party string) *record.WitnessKey {
	t.Helper()
	k, err := record.NewWitnessKey("mirror.test/" + party)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.login(t, party+".duty").RegisterWitness(context.Background(), testlog.Cell, party, d.Key(t, party+".duty"), k, "mirror"); err != nil {
		t.Fatal(err)
	}
	if err := c.led.SignCheckpoint(context.Background(), testlog.Cell); err != nil {
		t.Fatal(err)
	}
	return k
}

func openMirror(t testing.TB, c *client.Client, dir string, k *record.WitnessKey) *mirror.Mirror {
	t.Helper()
	return openMirrorKey(t, c, dir, k, nil)
}

// openMirrorKey opens a mirror that raises its alarms in the cell's log,
// signed with the member's device key dk.
func openMirrorKey(t testing.TB, c *client.Client, dir string, k *record.WitnessKey, dk *record.DeviceKey) *mirror.Mirror {
	t.Helper()
	m, err := mirror.Open(context.Background(), mirror.Config{Client: c, Cell: testlog.Cell, Dir: dir, Witness: k, Key: dk, Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func round(t *testing.T, m *mirror.Mirror) *mirror.RoundResult {
	t.Helper()
	r, err := m.Round(context.Background())
	if err != nil {
		t.Fatalf("round: %v", err)
	}
	return r
}

// mirrorEntries reads back every entry a mirror keeps.
func mirrorEntries(t *testing.T, m *mirror.Mirror) []*record.Entry {
	t.Helper()
	var out []*record.Entry
	err := m.Entries(context.Background(), func(e *record.Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTwoMirrorsFollowAndCosign(t *testing.T) {
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	ilK, syK := registerWitness(t, c, d, "il"), registerWitness(t, c, d, "sy")
	ilDir, syDir := t.TempDir(), t.TempDir()
	il := openMirror(t, c.login(t, "il.duty"), ilDir, ilK)
	sy := openMirror(t, c.login(t, "sy.duty"), syDir, syK)

	reader := c.login(t, "jo.duty")
	for i, sender := range []struct{ member, channel string }{{"il.duty", "line-il"}, {"sy.duty", "line-sy"}, {"us.duty", "line-il"}} {
		c.send(t, d, sender.member, sender.channel, "traffic "+string(rune('A'+i)))
		ri, rs := round(t, il), round(t, sy)
		if !ri.Cosigned || !rs.Cosigned || ri.To != rs.To || ri.To <= ri.From {
			t.Fatalf("round %d: il %+v, sy %+v", i, ri, rs)
		}
		// Every checkpoint cosigned by both, verifiable with
		// x/mod/sumdb/note and either witness key alone (a verifier
		// written from the C2SP specification, not the record package's).
		msg, err := reader.Checkpoint(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []*record.WitnessKey{ilK, syK} {
			if size := cosignedBy(t, msg, k); size != ri.To {
				t.Errorf("round %d: %s cosigned size %d, mirrors at %d", i, k.Name, size, ri.To)
			}
		}
		// And that verifier is no rubber stamp: the same signature lines
		// under another root do not verify.
		body, sigs, _ := strings.Cut(string(msg), "\n\n")
		lines := strings.Split(body, "\n")
		lines[2] = strings.Repeat("A", len(lines[2])-1) + "="
		forged := []byte(strings.Join(lines, "\n") + "\n\n" + sigs)
		if _, err := note.Open(forged, note.VerifierList(newSpecVerifier(t, ilK.VerifierKey()))); err == nil {
			t.Fatalf("round %d: a checkpoint with another root verifies with il's cosignature", i)
		}
	}

	// A mirror never holds an entry outside its party's audience, and
	// holds every one inside it.
	for _, m := range []struct {
		party string
		mir   *mirror.Mirror
	}{{"il", il}, {"sy", sy}} {
		held := mirrorEntries(t, m.mir)
		for _, e := range held {
			if !e.VisibleTo(m.party, m.party+".duty") {
				t.Errorf("%s's mirror holds entry %d for %v", m.party, e.Index, e.Audience)
			}
		}
		if int64(len(held)) >= m.mir.Size() || len(held) == 0 {
			t.Errorf("%s's mirror holds %d entries of %d: it should hold its party's, not all", m.party, len(held), m.mir.Size())
		}
	}

	// Restarted, a mirror resumes where it was: nothing missed or doubled.
	before := il.Size()
	il.Close()
	il = openMirror(t, c.login(t, "il.duty"), ilDir, ilK)
	if il.Size() != before {
		t.Fatalf("reopened at %d, was %d", il.Size(), before)
	}
	c.send(t, d, "il.duty", "line-il", "after the restart")
	if r := round(t, il); r.From != before || r.To != before+1 || r.Entries != 1 {
		t.Errorf("after the restart: %+v", r)
	}
	if alarms, _ := il.Alarms(context.Background()); len(alarms) != 0 {
		t.Errorf("alarms on an honest cell: %+v", alarms)
	}
}

// copyDir copies a stopped cell's data directory.
func copyDir(t testing.TB, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

// crossCosigned serves GET .../log/cosigned from another cell: the
// double of a forking cell that keeps one set of cosignatures (or of two
// mirrors comparing theirs directly).
func crossCosigned(other func() (*cell, string)) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if filepath.Base(r.URL.Path) != "cosigned" || r.Header.Get("X-Test-Crossed") != "" {
				h.ServeHTTP(w, r)
				return
			}
			o, token := other()
			req, _ := http.NewRequestWithContext(r.Context(), "GET", o.URL+r.URL.Path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("X-Test-Crossed", "1") // answered by the other cell itself
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
			w.WriteHeader(resp.StatusCode)
			io.Copy(w, resp.Body) //nolint:errcheck
		})
	}
}

// A cell that forks its log, showing il one history and sy another with
// the same key, is caught by both mirrors within one checkpoint.
func TestMirrorsCatchAFork(t *testing.T) {
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	ilK, syK := registerWitness(t, c, d, "il"), registerWitness(t, c, d, "sy")
	ilDir, syDir := t.TempDir(), t.TempDir()
	// Both mirrors follow the common history first.
	round(t, openMirror(t, c.login(t, "il.duty"), ilDir, nil))
	round(t, openMirror(t, c.login(t, "sy.duty"), syDir, nil))
	c.stop()
	forkDir := copyDir(t, d.Dir)

	var a, b *cell
	var aToken, bToken string
	a = startCell(t, d.Dir, crossCosigned(func() (*cell, string) { return b, bToken }))
	b = startCell(t, forkDir, crossCosigned(func() (*cell, string) { return a, aToken }))
	aToken, bToken = a.login(t, "jo.duty").Token(), b.login(t, "jo.duty").Token()
	a.send(t, d, "us.duty", "line-il", "history A")
	b.send(t, d, "us.duty", "line-il", "history B")

	il := openMirrorKey(t, a.login(t, "il.duty"), ilDir, ilK, d.Key(t, "il.duty"))
	sy := openMirrorKey(t, b.login(t, "sy.duty"), syDir, syK, d.Key(t, "sy.duty"))
	round(t, il) // verifies A, cosigns it; B has no cosignature yet
	_, err := sy.Round(context.Background())
	if !errors.Is(err, mirror.ErrAlarm) {
		t.Fatalf("sy's mirror, shown history B while il cosigned A: %v, want an alarm", err)
	}
	_, err = il.Round(context.Background())
	if !errors.Is(err, mirror.ErrAlarm) {
		t.Fatalf("il's mirror, on its next round: %v, want an alarm", err)
	}
	vkey, _ := a.login(t, "jo.duty").VerifierKey(context.Background())
	for name, m := range map[string]*mirror.Mirror{"il": il, "sy": sy} {
		alarms, err := m.Alarms(context.Background())
		if err != nil || len(alarms) != 1 || alarms[0].Kind != mirror.AlarmSplitView {
			t.Fatalf("%s's alarms: %+v, %v", name, alarms, err)
		}
		// The proof: two checkpoints, both signed by the cell's key, of the
		// same size and different roots.
		held, err1 := record.OpenCheckpoint(alarms[0].Held, vkey)
		seen, err2 := record.OpenCheckpoint(alarms[0].Seen, vkey)
		if err1 != nil || err2 != nil || held.Size != seen.Size || held.Root == seen.Root {
			t.Errorf("%s's proof: %+v %v / %+v %v", name, held, err1, seen, err2)
		}
		t.Logf("%s: %s", name, alarms[0].Detail)
	}

	// Each mirror raised its alarm in the log of the cell it follows, where
	// every party reads it, and a verifier of that log finds it proven:
	// the log verifies entry by entry, and still has an alarm.
	for name, c := range map[string]*cell{"il": a, "sy": b} {
		ctx := context.Background()
		if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
			t.Fatal(err)
		}
		reader := c.login(t, "jo.duty")
		raised, err := reader.Alarms(ctx)
		if err != nil || len(raised) != 1 || raised[0].Party != name || raised[0].Alarm != mirror.AlarmSplitView {
			t.Fatalf("alarms in the log %s's mirror follows: %+v, %v", name, raised, err)
		}
		// The operator's own verification of its store (over the API the
		// crossed cosignatures would fail it earlier, as a split view).
		c.stop()
		st, err := sqlite.Open(ctx, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		src, err := verify.NewStoreSource(ctx, st, testlog.Cell, name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := verify.Verify(ctx, src, verify.Options{})
		if err != nil {
			t.Fatalf("verify the log %s's mirror follows: %v", name, err)
		}
		if len(res.Alarms) != 1 || res.Alarms[0].Party != name || res.Alarms[0].Small.Size != res.Alarms[0].Large.Size {
			t.Errorf("verify of the log %s's mirror follows: alarms %+v", name, res.Alarms)
		}
	}
}

// A cell restored from an older copy (rolled back) is caught.
func TestMirrorCatchesRollback(t *testing.T) {
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	c.stop()
	old := copyDir(t, d.Dir)
	c = startCell(t, d.Dir, nil)
	dir := t.TempDir()
	m := openMirror(t, c.login(t, "il.duty"), dir, nil)
	round(t, m)
	c.send(t, d, "il.duty", "line-il", "to be rolled back")
	round(t, m)
	m.Close()
	c.stop()

	r := startCell(t, old, nil)
	m = openMirror(t, r.login(t, "il.duty"), dir, nil)
	_, err := m.Round(context.Background())
	if !errors.Is(err, mirror.ErrAlarm) {
		t.Fatalf("a rolled-back cell: %v, want an alarm", err)
	}
	alarms, _ := m.Alarms(context.Background())
	if len(alarms) != 1 || alarms[0].Kind != mirror.AlarmRollback {
		t.Fatalf("alarms %+v", alarms)
	}
	t.Log(alarms[0].Detail)
}
