package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/rebuild"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/verify"
)

func TestMain(m *testing.M) { testlog.Main(m) }

func verifyStore(t *testing.T, d *testlog.Demo, stateDir string) (*verify.Result, error) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src, err := verify.NewStoreSource(ctx, st, "", "sqlite:"+d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	return verify.Verify(ctx, src, verify.Options{StateDir: stateDir})
}

func mustVerifyStore(t *testing.T, d *testlog.Demo, stateDir string) *verify.Result {
	t.Helper()
	r, err := verifyStore(t, d, stateDir)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return r
}

// wantEntryError checks that err is a verification error about entry i
// alone, and says so.
func wantEntryError(t *testing.T, err error, i int64, contains string) {
	t.Helper()
	t.Logf("error: %v", err)
	var ve *verify.Error
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a verification error", err, err)
	}
	if ve.Index != i || ve.End != i+1 {
		t.Fatalf("error %q is about entries [%d, %d), want entry %d", err, ve.Index, ve.End, i)
	}
	if !strings.HasPrefix(err.Error(), fmt.Sprintf("entry %d: ", i)) {
		t.Errorf("error %q does not start by naming entry %d", err, i)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q does not say %q", err, contains)
	}
}

// wantRangeError checks that err is a verification error about entries
// that include entry i.
func wantRangeError(t *testing.T, err error, i int64, contains string) {
	t.Helper()
	t.Logf("error: %v", err)
	var ve *verify.Error
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a verification error", err, err)
	}
	if ve.Index < 0 || i < ve.Index || i >= ve.End {
		t.Fatalf("error %q is about entries [%d, %d), which does not include entry %d", err, ve.Index, ve.End, i)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(ve.Index)) {
		t.Errorf("error %q does not name index %d", err, ve.Index)
	}
	if !strings.Contains(err.Error(), contains) {
		t.Errorf("error %q does not say %q", err, contains)
	}
}

func TestVerifyStore(t *testing.T) {
	d := testlog.NewDemo(t)
	demoSize := d.Size(t)
	state := t.TempDir()
	r := mustVerifyStore(t, d, state)
	if !r.FirstUse || r.Previous != nil {
		t.Errorf("first run: FirstUse %v, Previous %v", r.FirstUse, r.Previous)
	}
	if r.Size != demoSize || r.Checkpoint.Size != demoSize || r.Read != demoSize || r.Signatures != demoSize {
		t.Errorf("first run: size %d, checkpoint %d, read %d, signatures %d; want %d of each",
			r.Size, r.Checkpoint.Size, r.Read, r.Signatures, demoSize)
	}
	if want := tlog.StoredHashCount(demoSize); r.StoredHashes != want {
		t.Errorf("compared %d stored hashes, want all %d", r.StoredHashes, want)
	}
	if r.Cell != testlog.Cell || !strings.HasPrefix(r.VerifierKey, "liaison/"+testlog.Cell+"+") {
		t.Errorf("cell %q, verifier key %q", r.Cell, r.VerifierKey)
	}

	// The state is kept, private, and the next run extends it.
	p := verify.StatePath(state, "sqlite:"+d.Dir+"#"+testlog.Cell)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("state not saved: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	r = mustVerifyStore(t, d, state)
	if r.FirstUse || r.Previous == nil || r.Previous.Size != demoSize {
		t.Errorf("second run: FirstUse %v, Previous %+v", r.FirstUse, r.Previous)
	}
}

// grow appends two entries through the ledger, as members would: il.military
// registers a second key, then revokes its first with it.
func grow(t *testing.T, d *testlog.Demo) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	led, err := ledger.New(ledger.Config{Store: st, Registry: testlog.Registry(), Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	if _, err := led.OpenAll(ctx); err != nil {
		t.Fatal(err)
	}
	old := d.Key(t, "il.military")
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	env, err := client.Sign(k, testlog.Cell, cell.KindKeyRegister, map[string]any{"public_key": record.EncodePublicKey(k.Public())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.Submit(ctx, testlog.Cell, "il.military", env); err != nil {
		t.Fatal(err)
	}
	env, err = client.Sign(k, testlog.Cell, cell.KindKeyRevoke, map[string]any{"key_id": old.ID(), "reason": "lost"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.Submit(ctx, testlog.Cell, "il.military", env); err != nil {
		t.Fatal(err)
	}
	if err := led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyStoreGrows(t *testing.T) {
	d := testlog.NewDemo(t)
	demoSize := d.Size(t)
	state := t.TempDir()
	mustVerifyStore(t, d, state)
	grow(t, d)
	r := mustVerifyStore(t, d, state)
	if r.Previous == nil || r.Previous.Size != demoSize || r.Size != demoSize+2 || r.Signatures != demoSize+2 {
		t.Errorf("after growing: previous %+v, size %d, signatures %d", r.Previous, r.Size, r.Signatures)
	}
}

func at(i int64) func(int64) int64 { return func(int64) int64 { return i } }

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x01
	return c
}

// TestVerifyStoreTampered edits rows behind the server's back. Each edit
// must fail verification naming the entry, whether or not the verifier
// saw the log before.
func TestVerifyStoreTampered(t *testing.T) {
	const victim = 17
	for _, tc := range []struct {
		name     string
		tamper   func(t *testing.T, d *testlog.Demo)
		index    func(size int64) int64
		single   bool // the error names exactly the index
		contains string
	}{
		{"flipped byte in entries.data", func(t *testing.T, d *testlog.Demo) {
			data := d.Entries(t)[victim]
			d.Exec(t, `UPDATE entries SET data = ? WHERE cell = ? AND idx = ?`, flip(data, len(data)/2), testlog.Cell, victim)
		}, at(victim), true, "leaf data does not hash to leaf 17"},
		{"overwritten leaf hash row", func(t *testing.T, d *testlog.Demo) {
			d.Exec(t, `UPDATE hashes SET hash = ? WHERE cell = ? AND idx = ?`,
				make([]byte, 32), testlog.Cell, record.StoredHashIndex(0, victim))
		}, at(victim), true, "leaf data does not hash to leaf 17"},
		{"overwritten interior hash row", func(t *testing.T, d *testlog.Demo) {
			// The node over entries 16..19: the leaves and the entries
			// agree, only the stored tree (which proofs are built from)
			// lies.
			d.Exec(t, `UPDATE hashes SET hash = ? WHERE cell = ? AND idx = ?`,
				make([]byte, 32), testlog.Cell, record.StoredHashIndex(2, 4))
		}, at(victim), false, "stored tree hash"},
		{"last entry deleted, size decremented", func(t *testing.T, d *testlog.Demo) {
			n := d.Size(t)
			d.Exec(t, `DELETE FROM entries WHERE cell = ? AND idx = ?`, testlog.Cell, n-1)
			d.Exec(t, `UPDATE cells SET size = ? WHERE id = ?`, n-1, testlog.Cell)
		}, func(n int64) int64 { return n - 1 }, false, "entr"},
		{"envelope re-signed by an unregistered key", func(t *testing.T, d *testlog.Demo) {
			k, _ := record.NewDeviceKey()
			d.Exec(t, `UPDATE entries SET data = ? WHERE cell = ? AND idx = ?`,
				testlog.Resign(t, d.Entries(t)[victim], k), testlog.Cell, victim)
		}, at(victim), true, "leaf data does not hash to leaf 17"},
	} {
		for _, seen := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/seen=%v", tc.name, seen), func(t *testing.T) {
				d := testlog.NewDemo(t)
				index := tc.index(d.Size(t))
				state := t.TempDir()
				if seen {
					mustVerifyStore(t, d, state)
				}
				tc.tamper(t, d)
				_, err := verifyStore(t, d, state)
				if err == nil {
					t.Fatal("tampered log verified")
				}
				if tc.single {
					wantEntryError(t, err, index, tc.contains)
				} else {
					wantRangeError(t, err, index, tc.contains)
				}
				if seen && strings.Contains(tc.name, "deleted") && !strings.Contains(err.Error(), "shrank") {
					t.Errorf("error %q does not say the log shrank", err)
				}
			})
		}
	}
}

// TestVerifyStoreRewritten rewrites the whole log — rows, stored tree and a
// checkpoint signed with the cell's own note key — as an operator holding
// the server's secrets could. Forged signatures show to any verifier; a
// rewrite made only of validly signed entries shows to a verifier that saw
// the log before.
func TestVerifyStoreRewritten(t *testing.T) {
	t.Run("entry signed by an unregistered key", func(t *testing.T) {
		d := testlog.NewDemo(t)
		k, _ := record.NewDeviceKey()
		d.Rewrite(t, func(es [][]byte) [][]byte {
			es[17] = testlog.Resign(t, es[17], k)
			return es
		})
		_, err := verifyStore(t, d, t.TempDir())
		wantEntryError(t, err, 17, "signed by key "+k.ID()+", which no earlier key.register entry registers")
	})

	t.Run("corrupted signature", func(t *testing.T) {
		d := testlog.NewDemo(t)
		d.Rewrite(t, func(es [][]byte) [][]byte {
			e, _ := record.ParseEntry(es[17])
			e.Envelope.Signatures[0].Sig[5] ^= 1
			es[17] = e.Bytes()
			return es
		})
		_, err := verifyStore(t, d, t.TempDir())
		wantEntryError(t, err, 17, "signature does not verify")
	})

	t.Run("key.register signed by another key", func(t *testing.T) {
		d := testlog.NewDemo(t)
		k, _ := record.NewDeviceKey()
		d.Rewrite(t, func(es [][]byte) [][]byte {
			es[18] = testlog.Resign(t, es[18], k) // entry 18 registers il.military's key
			return es
		})
		_, err := verifyStore(t, d, t.TempDir())
		wantEntryError(t, err, 18, "not by the key it registers")
	})

	t.Run("entry names another member than its key's", func(t *testing.T) {
		d := testlog.NewDemo(t)
		n := d.Size(t)
		grow(t, d) // entry n: il.military registers a key; n+1: revokes the old one with it
		d.Rewrite(t, func(es [][]byte) [][]byte {
			e, _ := record.ParseEntry(es[n+1])
			e.Member = "il.duty"
			es[n+1] = e.Bytes()
			return es
		})
		_, err := verifyStore(t, d, t.TempDir())
		wantEntryError(t, err, n+1, `belongs to member "il.military"`)
	})

	t.Run("entry signed after its key's revocation", func(t *testing.T) {
		d := testlog.NewDemo(t)
		n := d.Size(t)
		grow(t, d) // n+1 revokes il.military's demo key
		old := d.Key(t, "il.military")
		d.Rewrite(t, func(es [][]byte) [][]byte {
			prev, _ := record.ParseEntry(es[len(es)-1])
			payload, _ := json.Marshal(map[string]any{"id": "late", "time": time.Now().UTC(), "cell": testlog.Cell,
				"member": cell.Member{ID: "il.military", Name: "renamed"}})
			e := &record.Entry{Cell: testlog.Cell, Index: int64(len(es)), Time: prev.Time.Add(time.Second),
				Member: "il.military", Party: "il", KeyID: old.ID(), Audience: []string{"il", "us"}, Nonce: record.NewNonce(),
				Envelope: record.Sign(cell.KindMemberUpdate, payload, old.Private)}
			return append(es, e.Bytes())
		})
		_, err := verifyStore(t, d, t.TempDir())
		wantEntryError(t, err, n+2, fmt.Sprintf("after its revocation at entry %d", n+1))
	})

	t.Run("truncated and re-signed", func(t *testing.T) {
		d := testlog.NewDemo(t)
		demoSize := d.Size(t)
		state := t.TempDir()
		mustVerifyStore(t, d, state)
		d.Rewrite(t, func(es [][]byte) [][]byte { return es[:len(es)-1] })
		// A newcomer sees a consistent, smaller log ...
		if r := mustVerifyStore(t, d, t.TempDir()); r.Size != demoSize-1 {
			t.Fatalf("size %d", r.Size)
		}
		// ... but whoever saw the longer one is not fooled.
		_, err := verifyStore(t, d, state)
		wantRangeError(t, err, demoSize-1, "shrank")
	})

	t.Run("history replaced by validly signed entries", func(t *testing.T) {
		d := testlog.NewDemo(t)
		demoSize := d.Size(t)
		state := t.TempDir()
		mustVerifyStore(t, d, state)
		// The operator replaces the last entry with a key of its own,
		// registered in a member's name with a valid self-signature.
		d.Rewrite(t, func(es [][]byte) [][]byte {
			last, _ := record.ParseEntry(es[len(es)-1])
			k, _ := record.NewDeviceKey()
			payload, _ := json.Marshal(map[string]any{"id": "swap", "time": time.Now().UTC(), "cell": testlog.Cell,
				"public_key": record.EncodePublicKey(k.Public())})
			last.Envelope = record.Sign(cell.KindKeyRegister, payload, k.Private)
			last.KeyID, last.Member, last.Party = k.ID(), "jo.commercial", "jo"
			es[len(es)-1] = last.Bytes()
			return es
		})
		mustVerifyStore(t, d, t.TempDir()) // every signature checks out
		_, err := verifyStore(t, d, state)
		wantRangeError(t, err, demoSize-1, "forked or rewritten")

		// So does a rewrite that also grows the log.
		d.Rewrite(t, func(es [][]byte) [][]byte {
			e, _ := record.ParseEntry(es[1])
			e.Index = int64(len(es))
			return append(es, e.Bytes())
		})
		_, err = verifyStore(t, d, state)
		wantRangeError(t, err, demoSize-1, "does not extend the checkpoint")
	})

	t.Run("verifier key changed", func(t *testing.T) {
		d := testlog.NewDemo(t)
		dir := t.TempDir()
		mustVerifyStore(t, d, dir)
		// Move the state to another data directory's name: the same
		// source as far as the verifier knows, but a cell with other keys.
		other := testlog.NewFreshDemo(t)
		b, err := os.ReadFile(verify.StatePath(dir, "sqlite:"+d.Dir+"#"+testlog.Cell))
		if err != nil {
			t.Fatal(err)
		}
		var s map[string]any
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		s["source"] = "sqlite:" + other.Dir + "#" + testlog.Cell
		b, _ = json.Marshal(s)
		if err := os.WriteFile(verify.StatePath(dir, s["source"].(string)), b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = verifyStore(t, other, dir)
		if !errors.Is(err, verify.ErrKeyChanged) {
			t.Fatalf("verify with another key: %v, want verify.ErrKeyChanged", err)
		}
	})
}

func TestStatePath(t *testing.T) {
	a := verify.StatePath("/s", "https://a.example#c")
	b := verify.StatePath("/s", "https://a.example#d")
	c := verify.StatePath("/s", "https://a.example/#c")
	if a == b || a == c || b == c {
		t.Fatalf("state paths collide: %s %s %s", a, b, c)
	}
	if filepath.Dir(a) != "/s" || strings.ContainsAny(filepath.Base(a), ":/#") {
		t.Fatalf("state path %s", a)
	}
}

// Before envelopes had to be I-JSON, a server let in payloads that are
// not. The ledger refuses them now, but a log holding one still verifies
// and replays to the projections it made.
func TestOldNonIJSONPayloadStillVerifies(t *testing.T) {
	d := testlog.NewDemo(t)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	led, err := ledger.New(ledger.Config{Store: st, Registry: testlog.Registry(), Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if err := led.Open(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	payload := fmt.Sprintf(`{"id":"old-1","time":%q,"cell":%q,"channel":"joint-military","subject":"old","body":"%s","lang":"en","precedence":"ROUTINE"}`,
		time.Now().UTC().Format(time.RFC3339Nano), testlog.Cell, "x\\ud800 y\xff")
	env := record.Sign(hotline.KindMessageSend, []byte(payload), d.Key(t, "il.duty").Private)
	if _, err := led.Submit(ctx, testlog.Cell, "il.duty", env); !errors.Is(err, record.ErrMalformed) {
		t.Fatalf("the ledger took a payload that is not I-JSON: %v", err)
	}
	// In, as an older server let it: through the appender, decided as then.
	app := store.NewAppender(st, store.AppenderConfig{})
	e := &record.Entry{Cell: testlog.Cell, Member: "il.duty", Party: "il", KeyID: env.Signatures[0].KeyID, Envelope: env}
	r, err := app.Append(ctx, testlog.Cell, &store.Pending{Entry: e, IdemKey: "il.duty old-1", Decide: testlog.Registry().Decide(e)})
	if err == nil {
		err = r.Err
	}
	app.Close()
	if err != nil {
		t.Fatalf("append as an older server did: %v", err)
	}
	if err := led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	led.Close()
	rep, err := rebuild.Run(ctx, st, testlog.Cell, testlog.Registry())
	if err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	if !rep.Equal() {
		t.Errorf("the replay differs from the projections: %v %v", rep.Diffs, rep.EntryDiffs)
	}
	st.Close()
	res := mustVerifyStore(t, d, t.TempDir())
	if res.Size != r.Entry.Index+1 {
		t.Errorf("verified %d entries, want %d: through the old entry", res.Size, r.Entry.Index+1)
	}
}
