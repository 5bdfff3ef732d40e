package mirror_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// specVerifier checks one witness's C2SP cosignature/v1 line, written
// from the specification with the standard library alone: the tests do
// not take the record package's word for the signatures it makes.
type specVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func newSpecVerifier(t testing.TB, vkey string) *specVerifier {
	t.Helper()
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		t.Fatalf("witness vkey %q is not name+hash+key", vkey)
	}
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != 0x04 {
		t.Fatalf("witness vkey %q: not a cosignature/v1 Ed25519 key", vkey)
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), key...))
	hash := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", hash) != parts[1] {
		t.Fatalf("witness vkey %q: key hash is not sha256(name, LF, 0x04, key)", vkey)
	}
	return &specVerifier{name: parts[0], hash: hash, pub: key[1:]}
}

func (v *specVerifier) Name() string    { return v.name }
func (v *specVerifier) KeyHash() uint32 { return v.hash }

// Verify: the signature is the 8-byte big-endian time, then Ed25519 over
// "cosignature/v1\ntime <t>\n" and the checkpoint body.
func (v *specVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	signed := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	return ed25519.Verify(v.pub, signed, sig[8:])
}

// cosignedBy opens the checkpoint the cell serves with note and one
// witness's verifier alone, and returns its size.
func cosignedBy(t testing.TB, msg []byte, k *record.WitnessKey) int64 {
	t.Helper()
	n, err := note.Open(msg, note.VerifierList(newSpecVerifier(t, k.VerifierKey())))
	if err != nil {
		t.Fatalf("the checkpoint with %s's key alone: %v\n%s", k.Name, err, msg)
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if len(lines) < 3 || err != nil {
		t.Fatalf("checkpoint body %q", n.Text)
	}
	return size
}

// follower runs a mirror's Follow and keeps what its rounds did.
type follower struct {
	m    *mirror.Mirror
	mu   sync.Mutex
	last *mirror.RoundResult // the last round that succeeded
	// cosigned is the largest size the mirror cosigned.
	cosigned int64
	errs     []error
	tick     chan struct{}
	done     chan error
	stop     context.CancelFunc
}

func follow(t testing.TB, m *mirror.Mirror, opt mirror.FollowOptions) *follower {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{m: m, tick: make(chan struct{}, 1), done: make(chan error, 1), stop: cancel}
	opt.OnRound = func(r *mirror.RoundResult, err error) {
		f.mu.Lock()
		if err != nil {
			f.errs = append(f.errs, err)
		} else {
			f.last = r
			if r.Cosigned {
				f.cosigned = max(f.cosigned, r.To)
			}
		}
		f.mu.Unlock()
		select {
		case f.tick <- struct{}{}:
		default:
		}
	}
	go func() { f.done <- m.Follow(ctx, opt) }()
	t.Cleanup(func() { f.halt(t) })
	return f
}

// halt stops Follow and waits for it to return; it must return nil.
func (f *follower) halt(t testing.TB) {
	t.Helper()
	f.stop()
	if err := <-f.done; err != nil {
		t.Errorf("Follow: %v", err)
	}
	f.done <- nil
}

// cosignedAt waits until the mirror has verified and cosigned a
// checkpoint of at least size; a follower that never gets there fails the
// test after a minute, with what its rounds said.
func (f *follower) cosignedAt(t testing.TB, what string, size int64) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		f.mu.Lock()
		done := f.cosigned >= size
		last, errs := f.last, f.errs
		f.mu.Unlock()
		if done {
			return
		}
		select {
		case <-f.tick:
		case err := <-f.done:
			f.done <- err
			t.Fatalf("%s: Follow returned %v", what, err)
		case <-deadline:
			t.Fatalf("%s: not after a minute; last round %+v, errors %v", what, last, errs)
		}
	}
}

// served is every entry the cell serves a member, by index.
func served(t testing.TB, cl *client.Client) map[int64][]byte {
	t.Helper()
	out := map[int64][]byte{}
	for after := int64(-1); ; {
		p, err := cl.Entries(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Entries {
			out[e.Index] = e.LeafData
		}
		if p.Next == "" {
			return out
		}
		if after, err = strconv.ParseInt(p.Next, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
}

// holdsExactly checks that a mirror holds the entries the cell serves its
// member below the mirror's size, byte for byte, and no other; and that
// every checkpoint it held verifies with the cell's key and extends the
// one before it.
func holdsExactly(t testing.TB, who string, m *mirror.Mirror, cl *client.Client, vkey string) {
	t.Helper()
	ctx := context.Background()
	want := served(t, cl)
	got := map[int64]bool{}
	prev := int64(-1)
	err := m.Entries(ctx, func(e *record.Entry) error {
		if e.Index <= prev {
			return fmt.Errorf("entry %d after entry %d", e.Index, prev)
		}
		prev = e.Index
		got[e.Index] = true
		data, ok := want[e.Index]
		if !ok {
			return fmt.Errorf("it holds entry %d, which the cell does not serve its member", e.Index)
		}
		if !bytes.Equal(e.Bytes(), data) {
			return fmt.Errorf("entry %d is not the one the cell serves", e.Index)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s's mirror: %v", who, err)
	}
	missed := 0
	for i := range want {
		if i < m.Size() && !got[i] {
			missed++
			t.Errorf("%s's mirror misses entry %d", who, i)
		}
	}
	if len(got) == 0 {
		t.Errorf("%s's mirror holds no entries", who)
	}

	cps, err := m.Checkpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	var last record.Checkpoint
	for _, h := range cps {
		n, err := note.Open(h.Note, note.VerifierList(v))
		if err != nil {
			t.Fatalf("%s's mirror holds a checkpoint of size %d that the cell's key does not verify: %v", who, h.Size, err)
		}
		cp, err := record.ParseCheckpoint(n.Text)
		if err != nil || cp.Size != h.Size || cp.Size <= last.Size {
			t.Fatalf("%s's mirror holds checkpoint %+v (%v) after size %d", who, cp, err, last.Size)
		}
		if last.Size > 0 {
			proof, err := cl.ConsistencyProof(ctx, last.Size, cp.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckTree(proof, cp.Size, cp.Root, last.Size, last.Root); err != nil {
				t.Errorf("%s's checkpoint %d does not extend %d: %v", who, cp.Size, last.Size, err)
			}
		}
		last = cp
	}
	if last.Size != m.Size() {
		t.Errorf("%s's mirror is at size %d, its last checkpoint at %d", who, m.Size(), last.Size)
	}
	t.Logf("%s's mirror: %d entries of %d, %d checkpoints, nothing missed", who, len(got), m.Size(), len(cps))
}

// A cell and two mirrors following its stream, with traffic from three
// parties at once: the mirrors keep up on the stream alone (the poll is
// an hour away), to the last entry even when neither party may read it,
// and the checkpoint the traffic ends at is cosigned by both, verifiable
// with x/mod/sumdb/note and either witness key alone.
func TestTwoMirrorsFollowTheStream(t *testing.T) {
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	ilK, syK := registerWitness(t, c, d, "il"), registerWitness(t, c, d, "sy")
	ilC, syC := c.login(t, "il.duty"), c.login(t, "sy.duty")
	il := openMirror(t, ilC, t.TempDir(), ilK)
	sy := openMirror(t, syC, t.TempDir(), syK)
	opt := mirror.FollowOptions{Poll: time.Hour}
	ilF, syF := follow(t, il, opt), follow(t, sy, opt)

	ctx := context.Background()
	var wg sync.WaitGroup
	for _, s := range []struct{ member, channel string }{{"il.duty", "line-il"}, {"sy.duty", "line-sy"}, {"us.duty", "line-il"}, {"us.duty", "line-jo"}} {
		cl, key := c.login(t, s.member), d.Key(t, s.member)
		wg.Go(func() {
			for i := range 25 {
				env, err := client.Sign(key, testlog.Cell, "message.send", map[string]any{
					"channel": s.channel, "subject": fmt.Sprintf("traffic %d", i), "body": "body", "lang": "en", "precedence": "ROUTINE"})
				if err == nil {
					_, err = cl.Submit(ctx, "/entries", env)
				}
				if err != nil {
					t.Errorf("%s on %s: %v", s.member, s.channel, err)
					return
				}
			}
		})
	}
	wg.Wait()
	c.send(t, d, "us.duty", "joint-general", "end of traffic")
	reader := c.login(t, "jo.duty")
	msg, err := reader.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	size := checkpointSize(t, msg) // where the traffic ended
	ilF.cosignedAt(t, "il's mirror at the end of traffic", size)
	syF.cosignedAt(t, "sy's mirror at the end of traffic", size)
	// With both mirrors settled, one more word, on Jordan's line, which
	// neither party reads: the stream tells both mirrors the log grew.
	c.send(t, d, "us.duty", "line-jo", "unread by il and sy")
	size++
	ilF.cosignedAt(t, "il's mirror after an entry it may not read", size)
	syF.cosignedAt(t, "sy's mirror after an entry it may not read", size)
	ilF.halt(t)
	syF.halt(t)

	if msg, err = reader.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range []*record.WitnessKey{ilK, syK} {
		if got := cosignedBy(t, msg, k); got != size {
			t.Errorf("%s cosigned size %d, the traffic ended at %d", k.Name, got, size)
		}
	}
	vkey, _ := reader.VerifierKey(ctx)
	holdsExactly(t, "il", il, ilC, vkey)
	holdsExactly(t, "sy", sy, syC, vkey)
	for name, m := range map[string]*mirror.Mirror{"il": il, "sy": sy} {
		if alarms, _ := m.Alarms(ctx); len(alarms) != 0 {
			t.Errorf("%s's alarms on an honest cell: %+v", name, alarms)
		}
	}
}

// checkpointSize reads a checkpoint note's size, unverified.
func checkpointSize(t testing.TB, msg []byte) int64 {
	t.Helper()
	lines := strings.SplitN(string(msg), "\n", 3)
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if len(lines) < 3 || err != nil {
		t.Fatalf("checkpoint %q", msg)
	}
	return n
}
