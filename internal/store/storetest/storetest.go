// Package storetest is the conformance suite that every store.Store
// implementation runs, after golang.org/x/mod/sumdb/storage's TestStorage:
// one exported Run drives each method through its contract. It also holds
// what the store packages' own tests and benchmarks share: signed entries
// made as a member's client makes them, and CheckLog, which verifies a
// cell's whole log as an outside verifier would.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Run runs the conformance suite. open must return a new, empty store and
// close it with t.Cleanup; every subtest opens its own.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Cells", testCells},
		{"AppendGapless", testAppendGapless},
		{"AppendDecideError", testAppendDecideError},
		{"AppendDecideSeesBatch", testAppendDecideSeesBatch},
		{"AppendBlindChanges", testAppendBlindChanges},
		{"AppendMemo", testAppendMemo},
		{"AppendIdempotent", testAppendIdempotent},
		{"DecidePosition", testDecidePosition},
		{"TreeHashes", testTreeHashes},
		{"Proofs", testProofs},
		{"Entries", testEntries},
		{"Checkpoint", testCheckpoint},
		{"Cosignatures", testCosignatures},
		{"View", testView},
		{"ViewFor", testViewFor},
		{"NamedReaders", testNamedReaders},
		{"Page", testPage},
		{"Latest", testLatest},
		{"Keyed", testKeyed},
		{"Projection", testProjection},
		{"Credentials", testCredentials},
		{"Tokens", testTokens},
		{"Secrets", testSecrets},
		{"NotifySubscribe", testNotifySubscribe},
		{"TryLeader", testTryLeader},
		{"AppenderConcurrent", testAppenderConcurrent},
		{"AppenderIdempotent", testAppenderIdempotent},
		{"AppenderPushback", testAppenderPushback},
		{"AppenderCanceled", testAppenderCanceled},
		{"AppenderClose", testAppenderClose},
		{"Replicate", testReplicate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// Decide is the type of store.Pending's Decide.
type Decide = func(ctx context.Context, view store.View) (store.Effect, error)

// Admit returns a Decide that admits an entry for audience (as mask) with
// the given projection changes.
func Admit(audience []string, mask uint64, changes ...store.Change) Decide {
	return func(context.Context, store.View) (store.Effect, error) {
		return store.Effect{Audience: audience, Mask: mask, Changes: changes}, nil
	}
}

// Everyone is the audience of most entries the suite appends.
var Everyone = []string{"il", "mediator", "us"}

// Signer signs commands with one fresh device key, as a member's client does.
type Signer struct {
	Key    *record.DeviceKey
	Member string
	Party  string
}

// NewSigner returns a signer for member m1 of party us.
func NewSigner(tb testing.TB) *Signer {
	tb.Helper()
	k, err := record.NewDeviceKey()
	if err != nil {
		tb.Fatal(err)
	}
	return &Signer{Key: k, Member: "m1", Party: "us"}
}

// Envelope signs the command payload {"id": id, "time": now, "cell": cell}.
func (s *Signer) Envelope(cell, id string) *record.Envelope {
	payload, err := json.Marshal(record.Header{ID: id, Time: time.Now().UTC(), Cell: cell})
	if err != nil {
		panic(err)
	}
	return record.Sign("test.note", payload, s.Key.Private)
}

// Entry wraps env in an entry of the signer's member; the store fills in
// the cell, index, time, audience and nonce.
func (s *Signer) Entry(env *record.Envelope) *record.Entry {
	return &record.Entry{Member: s.Member, Party: s.Party, KeyID: s.Key.ID(), Envelope: env}
}

// Pending returns a freshly signed command with idempotency id id, which is
// also its IdemKey, decided by d.
func (s *Signer) Pending(cell, id string, d Decide) *store.Pending {
	return &store.Pending{Entry: s.Entry(s.Envelope(cell, id)), IdemKey: id, Decide: d}
}

// HashReader reads a cell's stored tree hashes from s.
func HashReader(ctx context.Context, s store.Store, cell string) record.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]record.Hash, error) {
		return s.ReadHashes(ctx, cell, idx)
	})
}

// RootFromLeaves computes the RFC 6962 root of the leaves' canonical bytes
// directly from its definition, without stored hashes.
func RootFromLeaves(leaves [][]byte) record.Hash {
	hs := make([]record.Hash, len(leaves))
	for i, l := range leaves {
		hs[i] = record.LeafHash(l)
	}
	return mth(hs)
}

func mth(hs []record.Hash) record.Hash {
	switch len(hs) {
	case 0:
		return record.Hash(sha256Empty)
	case 1:
		return hs[0]
	}
	k := 1
	for k*2 < len(hs) {
		k *= 2
	}
	return tlog.NodeHash(mth(hs[:k]), mth(hs[k:]))
}

// sha256Empty is SHA-256 of the empty string, RFC 6962's root of no leaves.
var sha256Empty = [32]byte{0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}

// CheckLog verifies a cell's whole log as an outside verifier would: every
// entry 0 <= i < Size is present, in order, and parses as a canonical entry
// of cell at index i; every stored tree hash equals the hash recomputed from
// the leaves; and the root read through the stored hashes equals the RFC
// 6962 root computed from the leaves alone. It returns the entries.
func CheckLog(ctx context.Context, s store.Store, cell string) ([]store.StoredEntry, error) {
	n, err := s.Size(ctx, cell)
	if err != nil {
		return nil, err
	}
	var all []store.StoredEntry
	for start := int64(0); start < n; start += 1000 {
		es, err := s.Entries(ctx, cell, start, min(start+1000, n))
		if err != nil {
			return nil, fmt.Errorf("entries from %d: %w", start, err)
		}
		all = append(all, es...)
	}
	if int64(len(all)) != n {
		return nil, fmt.Errorf("size is %d but %d entries are stored", n, len(all))
	}
	leaves := make([][]byte, n)
	var mem []record.Hash // the stored hashes as recomputed from the leaves
	memReader := tlog.HashReaderFunc(func(idx []int64) ([]record.Hash, error) {
		out := make([]record.Hash, len(idx))
		for i, x := range idx {
			out[i] = mem[x]
		}
		return out, nil
	})
	for i, e := range all {
		if e.Index != int64(i) {
			return nil, fmt.Errorf("entry %d is stored at position %d: the index has a gap or is out of order", e.Index, i)
		}
		ent, err := record.ParseEntry(e.LeafData)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if ent.Index != int64(i) || ent.Cell != cell {
			return nil, fmt.Errorf("entry %d says it is entry %d of cell %q", i, ent.Index, ent.Cell)
		}
		leaves[i] = e.LeafData
		hs, err := tlog.StoredHashes(int64(i), e.LeafData, memReader)
		if err != nil {
			return nil, err
		}
		mem = append(mem, hs...)
	}
	for start := int64(0); start < int64(len(mem)); start += 1000 {
		end := min(start+1000, int64(len(mem)))
		idx := make([]int64, 0, end-start)
		for x := start; x < end; x++ {
			idx = append(idx, x)
		}
		got, err := s.ReadHashes(ctx, cell, idx)
		if err != nil {
			return nil, fmt.Errorf("read hashes %d..%d: %w", start, end, err)
		}
		for i, x := range idx {
			if got[i] != mem[x] {
				lvl, k := tlog.SplitStoredHashIndex(x)
				return nil, fmt.Errorf("stored hash %d (level %d, node %d) is %v, recomputed %v", x, lvl, k, got[i], mem[x])
			}
		}
	}
	root, err := record.TreeHash(n, HashReader(ctx, s, cell))
	if err != nil {
		return nil, fmt.Errorf("root from stored hashes: %w", err)
	}
	if want := RootFromLeaves(leaves); root != want {
		return nil, fmt.Errorf("root from stored hashes %v differs from the root of the leaves %v", root, want)
	}
	return all, nil
}

const cell = "cell-a"

func newCell(t *testing.T, s store.Store, name string) {
	t.Helper()
	if err := s.CreateCell(context.Background(), name, "liaison.test/"+name); err != nil {
		t.Fatalf("CreateCell(%q): %v", name, err)
	}
}

func mustAppend(t *testing.T, s store.Store, c string, batch ...*store.Pending) []store.Result {
	t.Helper()
	rs, err := s.Append(context.Background(), c, batch)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if len(rs) != len(batch) {
		t.Fatalf("Append of %d pendings returned %d results", len(batch), len(rs))
	}
	return rs
}

// appendN appends n entries admitted for everyone, in one batch.
func appendN(t *testing.T, s store.Store, sg *Signer, c string, n int, prefix string) []store.Result {
	t.Helper()
	var batch []*store.Pending
	for i := range n {
		batch = append(batch, sg.Pending(c, fmt.Sprintf("%s-%d", prefix, i), Admit(Everyone, 0b111)))
	}
	rs := mustAppend(t, s, c, batch...)
	for i, r := range rs {
		if r.Err != nil {
			t.Fatalf("entry %d: %v", i, r.Err)
		}
	}
	return rs
}

func size(t *testing.T, s store.Store, c string) int64 {
	t.Helper()
	n, err := s.Size(context.Background(), c)
	if err != nil {
		t.Fatalf("Size(%q): %v", c, err)
	}
	return n
}

func checkLog(t *testing.T, s store.Store, c string) []store.StoredEntry {
	t.Helper()
	es, err := CheckLog(context.Background(), s, c)
	if err != nil {
		t.Fatalf("log of %s: %v", c, err)
	}
	return es
}

// checkResult checks a committed result against its pending and index.
func checkResult(t *testing.T, r store.Result, p *store.Pending, c string, idx int64) {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("entry %d: %v", idx, r.Err)
	}
	if r.Entry == nil {
		t.Fatalf("entry %d: result has no entry", idx)
	}
	if r.Entry.Index != idx {
		t.Errorf("entry has index %d, want %d", r.Entry.Index, idx)
	}
	if r.Entry.Cell != c {
		t.Errorf("entry %d has cell %q, want %q", idx, r.Entry.Cell, c)
	}
	if r.Entry.Time.IsZero() || r.Entry.Time.Location() != time.UTC {
		t.Errorf("entry %d has time %v, want a UTC time", idx, r.Entry.Time)
	}
	if !bytes.Equal(r.Entry.Bytes(), r.LeafData) {
		t.Errorf("entry %d: LeafData is not Entry.Bytes()", idx)
	}
	parsed, err := record.ParseEntry(r.LeafData)
	if err != nil {
		t.Fatalf("entry %d: LeafData does not parse: %v", idx, err)
	}
	if !bytes.Equal(parsed.Bytes(), r.LeafData) || parsed.Index != idx || !parsed.Time.Equal(r.Entry.Time) {
		t.Errorf("entry %d: parsed LeafData disagrees with the result's entry", idx)
	}
	if p != nil {
		if !bytes.Equal(parsed.Envelope.Marshal(), p.Entry.Envelope.Marshal()) {
			t.Errorf("entry %d: stored envelope differs from the appended one", idx)
		}
		if parsed.KeyID != p.Entry.KeyID || parsed.Member != p.Entry.Member {
			t.Errorf("entry %d: key %q member %q, want %q %q", idx, parsed.KeyID, parsed.Member, p.Entry.KeyID, p.Entry.Member)
		}
	}
}

func testCells(t *testing.T, s store.Store) {
	ctx := context.Background()
	if cs, err := s.Cells(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("Cells of a new store = %q, %v; want none", cs, err)
	}
	newCell(t, s, "b")
	newCell(t, s, "a")
	if err := s.CreateCell(ctx, "a", "other"); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateCell of an existing cell: %v, want ErrExists", err)
	}
	cs, err := s.Cells(ctx)
	if err != nil || !slices.Equal(cs, []string{"a", "b"}) {
		t.Errorf("Cells = %q, %v; want [a b]", cs, err)
	}
	if n := size(t, s, "a"); n != 0 {
		t.Errorf("Size of a new cell = %d", n)
	}
	if _, err := s.Size(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Size of an unknown cell: %v, want ErrNotFound", err)
	}
	sg := NewSigner(t)
	if _, err := s.Append(ctx, "nope", []*store.Pending{sg.Pending("nope", "x", Admit(Everyone, 1))}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Append to an unknown cell: %v, want ErrNotFound", err)
	}
}

func testAppendGapless(t *testing.T, s store.Store) {
	newCell(t, s, cell)
	newCell(t, s, "other")
	sg := NewSigner(t)
	before := time.Now().Add(-time.Minute)
	var next int64
	for b, n := range []int{1, 5, 17, 2} {
		var batch []*store.Pending
		for i := range n {
			batch = append(batch, sg.Pending(cell, fmt.Sprintf("g%d-%d", b, i), Admit(Everyone, 0b101)))
		}
		rs := mustAppend(t, s, cell, batch...)
		for i, r := range rs {
			checkResult(t, r, batch[i], cell, next)
			if r.Duplicate {
				t.Errorf("entry %d is marked duplicate", next)
			}
			if r.Entry.Time.Before(before) || r.Entry.Time.After(time.Now().Add(time.Minute)) {
				t.Errorf("entry %d has time %v, not now", next, r.Entry.Time)
			}
			if !slices.Equal(r.Entry.Audience, Everyone) {
				t.Errorf("entry %d has audience %q", next, r.Entry.Audience)
			}
			next++
		}
		if got := size(t, s, cell); got != next {
			t.Fatalf("after batch %d: Size = %d, want %d", b, got, next)
		}
	}
	// Another cell's log starts from 0 and leaves this one alone.
	rs := appendN(t, s, sg, "other", 3, "o")
	for i, r := range rs {
		checkResult(t, r, nil, "other", int64(i))
	}
	if got := size(t, s, cell); got != next {
		t.Errorf("Size after appending to another cell = %d, want %d", got, next)
	}
	es := checkLog(t, s, cell)
	for _, e := range es {
		if e.Mask != 0b101 {
			t.Errorf("entry %d has mask %b, want 101", e.Index, e.Mask)
		}
	}
	checkLog(t, s, "other")
	// An empty batch appends nothing.
	if rs, err := s.Append(context.Background(), cell, nil); err != nil || len(rs) != 0 {
		t.Errorf("Append of no pendings = %v, %v", rs, err)
	}
	if got := size(t, s, cell); got != next {
		t.Errorf("Size after an empty append = %d, want %d", got, next)
	}
}

func testAppendDecideError(t *testing.T, s store.Store) {
	newCell(t, s, cell)
	sg := NewSigner(t)
	errNo := errors.New("no: the command is invalid")
	refuse := func(context.Context, store.View) (store.Effect, error) { return store.Effect{}, errNo }
	batch := []*store.Pending{
		sg.Pending(cell, "a", Admit(Everyone, 1, store.Change{Kind: "k", ID: "a", Doc: []byte(`{}`)})),
		sg.Pending(cell, "b", func(context.Context, store.View) (store.Effect, error) {
			return store.Effect{Audience: Everyone, Mask: 1, Changes: []store.Change{{Kind: "k", ID: "b", Doc: []byte(`{}`)}}}, errNo
		}),
		sg.Pending(cell, "c", Admit(Everyone, 1)),
		sg.Pending(cell, "d", Admit(nil, 0)), // no audience: rejected by the store
		sg.Pending(cell, "e", refuse),
		sg.Pending(cell, "f", Admit(Everyone, 1)),
	}
	rs := mustAppend(t, s, cell, batch...)
	checkResult(t, rs[0], batch[0], cell, 0)
	checkResult(t, rs[2], batch[2], cell, 1)
	checkResult(t, rs[5], batch[5], cell, 2)
	for _, i := range []int{1, 4} {
		if !errors.Is(rs[i].Err, errNo) {
			t.Errorf("result %d: err %v, want the Decide error", i, rs[i].Err)
		}
	}
	if rs[3].Err == nil {
		t.Errorf("an entry without audience was appended")
	}
	for _, i := range []int{1, 3, 4} {
		if rs[i].Entry != nil || rs[i].LeafData != nil {
			t.Errorf("rejected result %d carries an entry", i)
		}
	}
	if n := size(t, s, cell); n != 3 {
		t.Errorf("Size = %d, want 3", n)
	}
	if _, err := s.View(cell).Get(context.Background(), "k", "b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a rejected entry's change was applied: %v", err)
	}
	if _, err := s.View(cell).Get(context.Background(), "k", "a"); err != nil {
		t.Errorf("an admitted entry's change is missing: %v", err)
	}
	// A batch that is all rejected appends nothing, and a refused idempotency
	// id is free for a retry.
	rs = mustAppend(t, s, cell, sg.Pending(cell, "g", refuse), sg.Pending(cell, "h", refuse))
	if rs[0].Err == nil || rs[1].Err == nil {
		t.Fatalf("refused entries were appended")
	}
	if _, err := s.LookupIdem(context.Background(), cell, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LookupIdem of a refused command: %v, want ErrNotFound", err)
	}
	retry := sg.Pending(cell, "b", Admit(Everyone, 1))
	rs = mustAppend(t, s, cell, retry)
	checkResult(t, rs[0], retry, cell, 3)
	if rs[0].Duplicate {
		t.Errorf("the retry of a refused command is marked duplicate")
	}
	// Inside one batch too: a refused first try leaves the key free.
	rs = mustAppend(t, s, cell, sg.Pending(cell, "i", refuse), sg.Pending(cell, "i", Admit(Everyone, 1)))
	if rs[0].Err == nil {
		t.Fatalf("refused entry was appended")
	}
	checkResult(t, rs[1], nil, cell, 4)
	if rs[1].Duplicate {
		t.Errorf("the in-batch retry of a refused command is marked duplicate")
	}
	checkLog(t, s, cell)
}

func testAppendDecideSeesBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	rs := mustAppend(t, s, cell, sg.Pending(cell, "p", Admit(Everyone, 1, store.Change{Kind: "party", ID: "us", Doc: []byte(`{"n":0}`)})))
	checkResult(t, rs[0], nil, cell, 0)

	var seen []string
	var errs []error
	var mu sync.Mutex
	note := func(err error, format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
		seen = append(seen, fmt.Sprintf(format, args...))
	}
	batch := []*store.Pending{
		sg.Pending(cell, "a", func(ctx context.Context, v store.View) (store.Effect, error) {
			o, err := v.Get(ctx, "party", "us") // committed in an earlier batch
			note(err, "a:%s/%d", o.Doc, o.Seq)
			return store.Effect{Audience: Everyone, Mask: 1, Changes: []store.Change{
				{Kind: "member", ID: "m1", Parent: "us", Doc: []byte(`{"n":1}`)},
				{Kind: "party", ID: "us", Doc: []byte(`{"n":1}`)},
			}}, nil
		}),
		sg.Pending(cell, "b", func(ctx context.Context, v store.View) (store.Effect, error) {
			o, err := v.Get(ctx, "member", "m1") // put by entry a, same batch
			note(err, "b:%s/%d/%d", o.Doc, o.Seq, o.Updated)
			p, err := v.Get(ctx, "party", "us")
			note(err, "b:%s/%d/%d", p.Doc, p.Seq, p.Updated)
			return store.Effect{Audience: Everyone, Mask: 1, Changes: []store.Change{
				{Kind: "member", ID: "m2", Parent: "us", Doc: []byte(`{"n":2}`)},
				{Kind: "member", ID: "m1"}, // delete
			}}, nil
		}),
		sg.Pending(cell, "c", func(ctx context.Context, v store.View) (store.Effect, error) {
			_, err := v.Get(ctx, "member", "m1")
			note(nil, "c:m1 %v", errors.Is(err, store.ErrNotFound))
			os, err := v.List(ctx, "member", "us", -1, 10)
			var ids []string
			for _, o := range os {
				ids = append(ids, o.ID)
			}
			note(err, "c:%v", ids)
			return store.Effect{}, errors.New("refused")
		}),
		sg.Pending(cell, "d", func(ctx context.Context, v store.View) (store.Effect, error) {
			os, err := v.List(ctx, "member", "", -1, 10)
			note(err, "d:%d", len(os))
			return store.Effect{Audience: Everyone, Mask: 1}, nil
		}),
	}
	rs = mustAppend(t, s, cell, batch...)
	for _, err := range errs {
		t.Errorf("Decide view: %v", err)
	}
	want := []string{`a:{"n":0}/0`, `b:{"n":1}/1/1`, `b:{"n":1}/0/1`, `c:m1 true`, `c:[m2]`, `d:1`}
	if !slices.Equal(seen, want) {
		t.Errorf("Decide saw\n%q\nwant\n%q", seen, want)
	}
	checkResult(t, rs[0], batch[0], cell, 1)
	checkResult(t, rs[1], batch[1], cell, 2)
	checkResult(t, rs[3], batch[3], cell, 3)
	// After commit, the committed view agrees.
	o, err := s.View(cell).Get(ctx, "member", "m2")
	if err != nil || string(o.Doc) != `{"n":2}` || o.Seq != 2 || o.Parent != "us" {
		t.Errorf("View.Get(member m2) = %+v, %v", o, err)
	}
	if _, err := s.View(cell).Get(ctx, "member", "m1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted object: %v, want ErrNotFound", err)
	}
}

// testAppendBlindChanges checks the projection after a batch whose
// entries change objects they never read: the store may hold such changes
// back and write them together, but the result (and every later read in
// the batch) must be as if each had been applied in turn: a put keeps the
// creation index of an existing object, a delete makes the next put create
// it anew.
func testAppendBlindChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	put := func(kind, id, doc string) store.Change {
		return store.Change{Kind: kind, ID: id, Parent: "p", Doc: []byte(doc)}
	}
	del := func(kind, id string) store.Change { return store.Change{Kind: kind, ID: id} }
	mustAppend(t, s, cell, // index 0
		sg.Pending(cell, "0", Admit(Everyone, 1, put("o", "kept", `0`), put("o", "gone", `0`), put("o", "reborn", `0`), put("o", "read", `0`))))
	var seen []string
	look := func(id string) Decide {
		return func(ctx context.Context, v store.View) (store.Effect, error) {
			o, err := v.Get(ctx, "o", id)
			seen = append(seen, fmt.Sprintf("%s:%s/%d/%d/%v", id, o.Doc, o.Seq, o.Updated, errors.Is(err, store.ErrNotFound)))
			return store.Effect{Audience: Everyone, Mask: 1}, nil
		}
	}
	list := func(ctx context.Context, v store.View) (store.Effect, error) {
		os, err := v.List(ctx, "o", "p", -1, 100)
		var ids []string
		for _, o := range os {
			ids = append(ids, fmt.Sprintf("%s/%d", o.ID, o.Seq))
		}
		seen = append(seen, fmt.Sprintf("list:%v%v", ids, err))
		return store.Effect{Audience: Everyone, Mask: 1}, nil
	}
	mustAppend(t, s, cell,
		sg.Pending(cell, "1", Admit(Everyone, 1, put("o", "kept", `1`), put("o", "new", `1`), del("o", "gone"), del("o", "reborn"), put("o", "read", `1`))),
		sg.Pending(cell, "2", Admit(Everyone, 1, put("o", "kept", `2`), put("o", "new", `2`), put("o", "reborn", `2`), del("o", "never"))),
		sg.Pending(cell, "3", look("read")),   // index 3: a blind put on a committed row, then read
		sg.Pending(cell, "4", look("reborn")), // deleted at 1, created anew at 2
		sg.Pending(cell, "5", look("new")),
		sg.Pending(cell, "6", Admit(Everyone, 1, put("o", "new", `6`), del("o", "kept"), put("o", "kept", `6`))),
		sg.Pending(cell, "7", look("kept")),
		sg.Pending(cell, "8", list),
		sg.Pending(cell, "9", list), // nothing changed since: the same answer
		sg.Pending(cell, "10", Admit(Everyone, 1, put("o", "late", `10`), del("o", "read"))),
		sg.Pending(cell, "11", list),
	)
	want := []string{"read:1/0/1/false", "reborn:2/2/2/false", "new:2/1/2/false", "kept:6/6/6/false",
		"list:[read/0 new/1 reborn/2 kept/6]<nil>", "list:[read/0 new/1 reborn/2 kept/6]<nil>", "list:[new/1 reborn/2 kept/6 late/10]<nil>"}
	if !slices.Equal(seen, want) {
		t.Errorf("Decide saw\n%q\nwant\n%q", seen, want)
	}
	got, err := s.Projection(ctx, cell)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, "Projection", got, []store.Object{
		{Kind: "o", ID: "kept", Parent: "p", Seq: 6, Updated: 6, Doc: []byte(`6`), Mask: 1},
		{Kind: "o", ID: "late", Parent: "p", Seq: 10, Updated: 10, Doc: []byte(`10`), Mask: 1},
		{Kind: "o", ID: "new", Parent: "p", Seq: 1, Updated: 6, Doc: []byte(`6`), Mask: 1},
		{Kind: "o", ID: "reborn", Parent: "p", Seq: 2, Updated: 2, Doc: []byte(`2`), Mask: 1},
	})
}

// testAppendMemo checks store.Memoized inside an append: a value is
// loaded once for the batch, loaded again after an entry changes an object
// of its kinds, never kept from an error, and not carried into the next
// batch.
func testAppendMemo(t *testing.T, s store.Store) {
	newCell(t, s, cell)
	sg := NewSigner(t)
	loads := 0
	var seen []string
	read := func(ctx context.Context, v store.View) (store.Effect, error) {
		x, err := store.Memoized(v, "k", []string{"watched"}, func() (string, error) {
			loads++
			o, err := v.Get(ctx, "watched", "w")
			if err != nil {
				return "", err
			}
			return string(o.Doc), nil
		})
		seen = append(seen, fmt.Sprintf("%s/%d/%v", x, loads, errors.Is(err, store.ErrNotFound)))
		return store.Effect{Audience: Everyone, Mask: 1}, nil
	}
	mustAppend(t, s, cell,
		sg.Pending(cell, "1", read), // not found: loaded, error not kept
		sg.Pending(cell, "2", Admit(Everyone, 1, store.Change{Kind: "watched", ID: "w", Doc: []byte(`1`)})),
		sg.Pending(cell, "3", read),
		sg.Pending(cell, "4", read), // kept
		sg.Pending(cell, "5", Admit(Everyone, 1, store.Change{Kind: "other", ID: "o", Doc: []byte(`{}`)})),
		sg.Pending(cell, "6", read), // a change of another kind keeps it
		sg.Pending(cell, "7", Admit(Everyone, 1, store.Change{Kind: "watched", ID: "w", Doc: []byte(`2`)})),
		sg.Pending(cell, "8", read),
	)
	mustAppend(t, s, cell, sg.Pending(cell, "9", read)) // a new batch loads anew
	want := []string{"/1/true", "1/2/false", "1/2/false", "1/2/false", "2/3/false", "2/4/false"}
	if !slices.Equal(seen, want) {
		t.Errorf("memoized values and loads\n%q\nwant\n%q", seen, want)
	}
	// Outside an append, Memoized just loads.
	v := s.View(cell)
	for range 2 {
		if _, err := store.Memoized(v, "k", []string{"watched"}, func() (int, error) { loads++; return 0, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if loads != 6 {
		t.Errorf("outside an append: %d loads in all, want 6", loads)
	}
}

// testDecidePosition checks that Decide learns the index and time its entry
// will have (store.NextPosition), and that a committed view has none.
func testDecidePosition(t *testing.T, s store.Store) {
	newCell(t, s, cell)
	sg := NewSigner(t)
	appendN(t, s, sg, cell, 2, "before")
	type pos struct {
		idx int64
		t   time.Time
		ok  bool
	}
	var seen []pos
	record := func(ctx context.Context, v store.View) (store.Effect, error) {
		i, tm, ok := store.NextPosition(v)
		seen = append(seen, pos{i, tm, ok})
		return store.Effect{Audience: Everyone, Mask: 1}, nil
	}
	refuse := func(ctx context.Context, v store.View) (store.Effect, error) {
		i, tm, ok := store.NextPosition(v)
		seen = append(seen, pos{i, tm, ok})
		return store.Effect{}, errors.New("refused")
	}
	rs := mustAppend(t, s, cell, sg.Pending(cell, "a", record), sg.Pending(cell, "b", refuse), sg.Pending(cell, "c", record))
	if len(seen) != 3 {
		t.Fatalf("Decide ran %d times, want 3", len(seen))
	}
	for i, want := range []int64{2, 3, 3} { // the refused entry leaves index 3 free
		if !seen[i].ok || seen[i].idx != want {
			t.Errorf("Decide %d: NextPosition = %d, %v; want %d, true", i, seen[i].idx, seen[i].ok, want)
		}
	}
	for _, i := range []int{0, 2} { // the appended ones
		checkResult(t, rs[i], nil, cell, seen[i].idx)
		if !seen[i].t.Equal(rs[i].Entry.Time) {
			t.Errorf("Decide %d saw time %v; the entry has %v", i, seen[i].t, rs[i].Entry.Time)
		}
	}
	if _, _, ok := store.NextPosition(s.View(cell)); ok {
		t.Errorf("the committed View reports a next position")
	}
}

func testAppendIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	newCell(t, s, "other")
	sg := NewSigner(t)
	first := sg.Pending(cell, "k1", Admit(Everyone, 1, store.Change{Kind: "k", ID: "first", Doc: []byte(`{}`)}))
	r1 := mustAppend(t, s, cell, first)[0]
	checkResult(t, r1, first, cell, 0)
	if r1.Duplicate {
		t.Fatalf("first append is marked duplicate")
	}

	// A retry in a later batch, re-signed (a different envelope): the first
	// entry is returned and the retry's decision is not applied. Inside one
	// batch, a repeat returns the entry appended earlier in that batch.
	retry := sg.Pending(cell, "k1", Admit(Everyone, 1, store.Change{Kind: "k", ID: "retry", Doc: []byte(`{}`)}))
	k2 := sg.Pending(cell, "k2", Admit(Everyone, 1))
	k2again := sg.Pending(cell, "k2", Admit(Everyone, 1, store.Change{Kind: "k", ID: "k2again", Doc: []byte(`{}`)}))
	plain := &store.Pending{Entry: sg.Entry(sg.Envelope(cell, "no-key")), Decide: Admit(Everyone, 1)}
	plain2 := &store.Pending{Entry: sg.Entry(sg.Envelope(cell, "no-key")), Decide: Admit(Everyone, 1)}
	rs := mustAppend(t, s, cell, retry, k2, k2again, plain, plain2)

	if !rs[0].Duplicate || rs[0].Err != nil || rs[0].Entry == nil {
		t.Fatalf("retry of k1 in a later batch: %+v, want the first entry marked Duplicate", rs[0])
	}
	if !bytes.Equal(rs[0].LeafData, r1.LeafData) || rs[0].Entry.Index != 0 {
		t.Errorf("retry of k1 returned entry %d, not the first entry", rs[0].Entry.Index)
	}
	checkResult(t, rs[1], k2, cell, 1)
	if rs[1].Duplicate {
		t.Errorf("k2 is marked duplicate")
	}
	if !rs[2].Duplicate || rs[2].Err != nil || rs[2].Entry == nil || rs[2].Entry.Index != 1 || !bytes.Equal(rs[2].LeafData, rs[1].LeafData) {
		t.Errorf("repeat of k2 in its batch: %+v, want entry 1 marked Duplicate", rs[2])
	}
	// Pendings without an IdemKey are never duplicates.
	checkResult(t, rs[3], plain, cell, 2)
	checkResult(t, rs[4], plain2, cell, 3)
	if rs[3].Duplicate || rs[4].Duplicate {
		t.Errorf("entries without IdemKey marked duplicate")
	}
	if n := size(t, s, cell); n != 4 {
		t.Errorf("Size = %d, want 4", n)
	}
	for _, id := range []string{"retry", "k2again"} {
		if _, err := s.View(cell).Get(ctx, "k", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a duplicate's change %q was applied: %v", id, err)
		}
	}
	for k, want := range map[string]int64{"k1": 0, "k2": 1} {
		if idx, err := s.LookupIdem(ctx, cell, k); err != nil || idx != want {
			t.Errorf("LookupIdem(%s) = %d, %v; want %d", k, idx, err, want)
		}
	}
	if _, err := s.LookupIdem(ctx, cell, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LookupIdem of an unknown key: %v, want ErrNotFound", err)
	}
	// Keys are per cell: the same key in another cell is a new command.
	r := mustAppend(t, s, "other", sg.Pending("other", "k1", Admit(Everyone, 1)))[0]
	checkResult(t, r, nil, "other", 0)
	if r.Duplicate {
		t.Errorf("k1 in another cell is marked duplicate")
	}
	checkLog(t, s, cell)
}

func testTreeHashes(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	var leaves [][]byte
	for b, n := range []int{1, 1, 2, 3, 7, 9, 16, 1, 33} {
		for _, r := range appendN(t, s, sg, cell, n, fmt.Sprint("t", b)) {
			leaves = append(leaves, r.LeafData)
		}
		// After every batch, every prefix of the tree has the right root.
		hr := HashReader(ctx, s, cell)
		for m := 1; m <= len(leaves); m++ {
			got, err := record.TreeHash(int64(m), hr)
			if err != nil {
				t.Fatalf("TreeHash(%d): %v", m, err)
			}
			if want := RootFromLeaves(leaves[:m]); got != want {
				t.Fatalf("after batch %d: root of the first %d leaves is %v from stored hashes, %v from the leaves", b, m, got, want)
			}
		}
	}
	n := int64(len(leaves))
	if _, err := s.ReadHashes(ctx, cell, []int64{tlog.StoredHashCount(n) + 5}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadHashes past the tree: %v, want ErrNotFound", err)
	}
	// Repeated indexes each get their hash.
	hs, err := s.ReadHashes(ctx, cell, []int64{3, 0, 3})
	if err != nil || len(hs) != 3 || hs[0] != hs[2] || hs[0] == hs[1] {
		t.Errorf("ReadHashes with a repeated index = %v, %v", hs, err)
	}
	// One call may ask for many hashes, in any order.
	appendN(t, s, sg, cell, 400, "big")
	n = size(t, s, cell)
	all := make([]int64, 0, tlog.StoredHashCount(n))
	for x := tlog.StoredHashCount(n) - 1; x >= 0; x-- {
		all = append(all, x)
	}
	hs, err = s.ReadHashes(ctx, cell, all)
	if err != nil || len(hs) != len(all) {
		t.Fatalf("ReadHashes of %d indexes: %d hashes, %v", len(all), len(hs), err)
	}
	if got, err := tlog.TreeHash(n, tlog.HashReaderFunc(func(idx []int64) ([]record.Hash, error) {
		out := make([]record.Hash, len(idx))
		for i, x := range idx {
			out[i] = hs[len(all)-1-int(x)]
		}
		return out, nil
	})); err != nil || got != RootFromLeaves(leavesOf(checkLog(t, s, cell))) {
		t.Errorf("root over the hashes read in one call = %v, %v; want the root of the leaves", got, err)
	}
}

func leavesOf(es []store.StoredEntry) [][]byte {
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = e.LeafData
	}
	return out
}

func testProofs(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	var leaves [][]byte
	for b, n := range []int{3, 10, 1, 24} {
		for _, r := range appendN(t, s, sg, cell, n, fmt.Sprint("p", b)) {
			leaves = append(leaves, r.LeafData)
		}
	}
	hr := HashReader(ctx, s, cell)
	roots := make([]record.Hash, len(leaves)+1)
	for m := 1; m <= len(leaves); m++ {
		roots[m] = RootFromLeaves(leaves[:m])
	}
	for n := int64(1); n <= int64(len(leaves)); n++ {
		for i := range n {
			p, err := record.InclusionProof(i, n, hr)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", i, n, err)
			}
			if err := tlog.CheckRecord(p, n, roots[n], i, record.LeafHash(leaves[i])); err != nil {
				t.Fatalf("inclusion proof of %d in %d does not verify: %v", i, n, err)
			}
			other := (i + 1) % int64(len(leaves))
			if err := tlog.CheckRecord(p, n, roots[n], i, record.LeafHash(leaves[other])); other != i && err == nil {
				t.Fatalf("inclusion proof of %d in %d verifies leaf %d", i, n, other)
			}
		}
		for m := int64(1); m <= n; m++ {
			p, err := record.ConsistencyProof(m, n, hr)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", m, n, err)
			}
			if err := tlog.CheckTree(p, n, roots[n], m, roots[m]); err != nil {
				t.Fatalf("consistency proof %d→%d does not verify: %v", m, n, err)
			}
			if m < n {
				if err := tlog.CheckTree(p, n, roots[n], m, roots[m+1]); err == nil {
					t.Fatalf("consistency proof %d→%d verifies a wrong old root", m, n)
				}
			}
		}
	}
}

func testEntries(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	masks := []uint64{0b001, 0b010, 0b100, 0b011, 0b110, 0b010, 0b111, 1 << 63, 0b100}
	var batch []*store.Pending
	for i, m := range masks {
		batch = append(batch, sg.Pending(cell, fmt.Sprint("e", i), Admit(Everyone, m)))
	}
	rs := mustAppend(t, s, cell, batch...)
	all, err := s.Entries(ctx, cell, 0, 100)
	if err != nil || len(all) != len(masks) {
		t.Fatalf("Entries(0, 100) = %d entries, %v; want %d", len(all), err, len(masks))
	}
	for i, e := range all {
		if e.Index != int64(i) || e.Mask != masks[i] || !bytes.Equal(e.LeafData, rs[i].LeafData) {
			t.Errorf("entry %d: index %d mask %b, want mask %b and the appended bytes", i, e.Index, e.Mask, masks[i])
		}
	}
	idx := func(es []store.StoredEntry) []int64 {
		out := []int64{}
		for _, e := range es {
			out = append(out, e.Index)
		}
		return out
	}
	for _, tc := range []struct{ start, end int64 }{{2, 5}, {0, 1}, {8, 9}, {4, 4}, {7, 20}, {20, 30}} {
		es, err := s.Entries(ctx, cell, tc.start, tc.end)
		var want []int64
		for i := tc.start; i < min(tc.end, int64(len(masks))); i++ {
			want = append(want, i)
		}
		if got := idx(es); err != nil || !slices.Equal(got, append([]int64{}, want...)) {
			t.Errorf("Entries(%d, %d) = %v, %v; want %v", tc.start, tc.end, got, err, want)
		}
	}
	for _, tc := range []struct {
		mask  uint64
		after int64
		limit int
		want  []int64
	}{
		{0b100, -1, 100, []int64{2, 4, 6, 8}},
		{0b010, -1, 100, []int64{1, 3, 4, 5, 6}},
		{0b001, -1, 100, []int64{0, 3, 6}},
		{0b101, -1, 100, []int64{0, 2, 3, 4, 6, 8}},
		{1 << 63, -1, 100, []int64{7}},
		{0b1000, -1, 100, []int64{}},
		{0b100, 2, 100, []int64{4, 6, 8}},
		{0b100, 2, 2, []int64{4, 6}},
		{0b100, 6, 2, []int64{8}},
		{0b100, 8, 2, []int64{}},
		{0b010, -1, 1, []int64{1}},
	} {
		es, err := s.EntriesFor(ctx, cell, store.Reader{Mask: tc.mask}, tc.after, tc.limit)
		if got := idx(es); err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("EntriesFor(mask %b, after %d, limit %d) = %v, %v; want %v", tc.mask, tc.after, tc.limit, got, err, tc.want)
		}
		for _, e := range es {
			if e.Mask&tc.mask == 0 || !bytes.Equal(e.LeafData, rs[e.Index].LeafData) {
				t.Errorf("EntriesFor(mask %b) returned entry %d with mask %b or other bytes", tc.mask, e.Index, e.Mask)
			}
		}
	}
	newCell(t, s, "other")
	if es, err := s.Entries(ctx, "other", 0, 100); err != nil || len(es) != 0 {
		t.Errorf("Entries of another cell = %v, %v; want none", idx(es), err)
	}
}

func testCheckpoint(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	newCell(t, s, "other")
	if _, err := s.Checkpoint(ctx, cell); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Checkpoint before any: %v, want ErrNotFound", err)
	}
	check := func(c string, size int64, note string) {
		t.Helper()
		cp, err := s.Checkpoint(ctx, c)
		if err != nil || cp.Size != size || string(cp.Note) != note {
			t.Errorf("Checkpoint(%s) = %d %q, %v; want %d %q", c, cp.Size, cp.Note, err, size, note)
		}
	}
	for _, step := range []struct {
		size       int64
		note       string
		wantSize   int64
		wantNote   string
		otherCells bool
	}{
		{5, "five", 5, "five", false},
		{3, "three", 5, "five", false},
		{8, "eight", 8, "eight", false},
		{0, "zero", 8, "eight", false},
		{9, "nine", 9, "nine", false},
	} {
		if err := s.PutCheckpoint(ctx, cell, step.size, []byte(step.note)); err != nil {
			t.Fatalf("PutCheckpoint(%d): %v", step.size, err)
		}
		check(cell, step.wantSize, step.wantNote)
	}
	if err := s.PutCheckpoint(ctx, "other", 1, []byte("one")); err != nil {
		t.Fatal(err)
	}
	check("other", 1, "one")
	check(cell, 9, "nine")
}

func testCosignatures(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	newCell(t, s, "other")
	if cs, err := s.LatestCosignatures(ctx, cell); err != nil || len(cs) != 0 {
		t.Errorf("LatestCosignatures before any = %v, %v", cs, err)
	}
	put := func(c string, size int64, w string, at int64) {
		t.Helper()
		line := fmt.Sprintf("— %s %d@%d\n", w, size, at)
		if err := s.PutCosignature(ctx, c, store.Cosignature{Size: size, Witness: w, Time: at, Line: line, Note: []byte(fmt.Sprint("note ", size))}); err != nil {
			t.Fatal(err)
		}
	}
	put(cell, 5, "il", 100)
	put(cell, 5, "sy", 101)
	put(cell, 7, "il", 102)
	put(cell, 7, "il", 90)  // an earlier cosignature of the same: kept out
	put(cell, 5, "sy", 103) // a later one of the same: kept
	put("other", 9, "il", 104)
	lines := func(cs []store.Cosignature) []string {
		var out []string
		for _, c := range cs {
			out = append(out, strings.TrimSpace(c.Line)+" "+string(c.Note))
		}
		return out
	}
	if cs, err := s.Cosignatures(ctx, cell, 5); err != nil || !slices.Equal(lines(cs), []string{"— il 5@100 note 5", "— sy 5@103 note 5"}) {
		t.Errorf("Cosignatures(5) = %q, %v", lines(cs), err)
	}
	if cs, err := s.Cosignatures(ctx, cell, 7); err != nil || !slices.Equal(lines(cs), []string{"— il 7@102 note 7"}) {
		t.Errorf("Cosignatures(7) = %q, %v", lines(cs), err)
	}
	if cs, err := s.Cosignatures(ctx, cell, 6); err != nil || len(cs) != 0 {
		t.Errorf("Cosignatures(6) = %q, %v", lines(cs), err)
	}
	if cs, err := s.LatestCosignatures(ctx, cell); err != nil || !slices.Equal(lines(cs), []string{"— il 7@102 note 7", "— sy 5@103 note 5"}) {
		t.Errorf("LatestCosignatures = %q, %v", lines(cs), err)
	}
}

func testView(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	newCell(t, s, "other")
	sg := NewSigner(t)
	put := func(kind, id, parent, doc string) store.Change {
		return store.Change{Kind: kind, ID: id, Parent: parent, Doc: []byte(doc)}
	}
	// Entry 0 creates two parties, entries 1..6 members of us and il.
	mustAppend(t, s, cell, sg.Pending(cell, "0", Admit(Everyone, 1, put("party", "us", "", `{"p":"us"}`), put("party", "il", "", `{"p":"il"}`))))
	for i, m := range []struct{ id, party string }{{"m1", "us"}, {"m2", "il"}, {"m3", "us"}, {"m4", "us"}, {"m5", "il"}, {"m6", "us"}} {
		r := mustAppend(t, s, cell, sg.Pending(cell, fmt.Sprint("m", i), Admit(Everyone, 1, put("member", m.id, m.party, fmt.Sprintf(`{"id":%q}`, m.id)))))
		if r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
	}
	// Entry 7 updates m1; entry 8 deletes m5; the other cell has its own m1.
	mustAppend(t, s, cell, sg.Pending(cell, "u", Admit(Everyone, 1, put("member", "m1", "il", `{"id":"m1","moved":true}`))))
	mustAppend(t, s, cell, sg.Pending(cell, "d", Admit(Everyone, 1, store.Change{Kind: "member", ID: "m5"})))
	mustAppend(t, s, "other", sg.Pending("other", "x", Admit(Everyone, 1, put("member", "m1", "us", `{"other":true}`), put("member", "m9", "us", `{}`))))

	v := s.View(cell)
	o, err := v.Get(ctx, "member", "m1")
	if err != nil || o.Kind != "member" || o.ID != "m1" || o.Parent != "il" || o.Seq != 1 || o.Updated != 7 || string(o.Doc) != `{"id":"m1","moved":true}` {
		t.Errorf("Get(member m1) = %+v, %v", o, err)
	}
	o, err = v.Get(ctx, "party", "us")
	if err != nil || o.Seq != 0 || o.Updated != 0 || o.Parent != "" || string(o.Doc) != `{"p":"us"}` {
		t.Errorf("Get(party us) = %+v, %v", o, err)
	}
	for _, k := range [][2]string{{"member", "m5"}, {"member", "nope"}, {"party", "m1"}, {"member", "m9"}} {
		if _, err := v.Get(ctx, k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%s %s): %v, want ErrNotFound", k[0], k[1], err)
		}
	}
	if o, err := s.View("other").Get(ctx, "member", "m1"); err != nil || string(o.Doc) != `{"other":true}` {
		t.Errorf("other cell's Get(member m1) = %+v, %v", o, err)
	}
	ids := func(os []store.Object) []string {
		out := []string{}
		for _, o := range os {
			out = append(out, o.ID)
		}
		return out
	}
	for _, tc := range []struct {
		kind, parent string
		after        int64
		limit        int
		want         []string
	}{
		{"member", "", -1, 100, []string{"m1", "m2", "m3", "m4", "m6"}},
		{"member", "us", -1, 100, []string{"m3", "m4", "m6"}}, // m1 moved to il
		{"member", "il", -1, 100, []string{"m1", "m2"}},
		{"member", "", 2, 100, []string{"m3", "m4", "m6"}},
		{"member", "", -1, 2, []string{"m1", "m2"}},
		{"member", "", 2, 2, []string{"m3", "m4"}},
		{"member", "", 4, 2, []string{"m6"}},
		{"member", "", 6, 2, []string{}},
		{"member", "us", 3, 1, []string{"m4"}},
		{"party", "", -1, 100, []string{"il", "us"}}, // same seq: by id
		{"nope", "", -1, 100, []string{}},
	} {
		os, err := v.List(ctx, tc.kind, tc.parent, tc.after, tc.limit)
		if got := ids(os); err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("List(%s, %q, after %d, limit %d) = %v, %v; want %v", tc.kind, tc.parent, tc.after, tc.limit, got, err, tc.want)
		}
		for _, o := range os {
			if o.Kind != tc.kind || (tc.parent != "" && o.Parent != tc.parent) || len(o.Doc) == 0 {
				t.Errorf("List(%s, %q) returned %+v", tc.kind, tc.parent, o)
			}
		}
	}
	// Paging through with a cursor visits each object once.
	var paged []string
	after := int64(-1)
	for {
		os, err := v.List(ctx, "member", "", after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(os) == 0 {
			break
		}
		paged = append(paged, ids(os)...)
		after = os[len(os)-1].Seq
	}
	if want := []string{"m1", "m2", "m3", "m4", "m6"}; !slices.Equal(paged, want) {
		t.Errorf("paging by 2 = %v, want %v", paged, want)
	}
}

// testViewFor checks the audience masks of objects: a put takes its
// entry's mask unless it narrows it, never a wider one; a reader's view
// (ViewFor) holds exactly the objects whose mask meets the reader's, in
// Get, List, Latest and their cursors; rewriting an object gives it the
// new entry's audience.
func testViewFor(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	const us, il, sy = 1, 2, 4 // party bits: the mediator, two sides
	all := ^uint64(0)
	msg := func(id string) store.Change {
		return store.Change{Kind: "msg", ID: id, Parent: "ch", Doc: []byte(`{"id":"` + id + `"}`)}
	}
	narrow := msg("relay")
	narrow.Mask = us
	mustAppend(t, s, cell,
		sg.Pending(cell, "a", Admit([]string{"il", "us"}, us|il, msg("1"))),
		sg.Pending(cell, "b", Admit([]string{"sy", "us"}, us|sy, msg("2"))),
		sg.Pending(cell, "c", Admit([]string{"*"}, all, msg("3"))),
		sg.Pending(cell, "d", Admit([]string{"il", "sy", "us"}, us|il|sy, msg("4"), narrow)),
	)
	wide := msg("5")
	wide.Mask = sy
	r := mustAppend(t, s, cell, sg.Pending(cell, "e", Admit([]string{"il", "us"}, us|il, wide)))
	if !errors.Is(r[0].Err, store.ErrWiderAudience) {
		t.Errorf("an object wider than its entry: %v, want ErrWiderAudience", r[0].Err)
	}
	if n := size(t, s, cell); n != 4 {
		t.Errorf("after the refused entry the log has %d entries, want 4", n)
	}
	masks := map[string]uint64{"1": us | il, "2": us | sy, "3": all, "4": us | il | sy, "relay": us}
	for id, want := range masks {
		if o, err := s.View(cell).Get(ctx, "msg", id); err != nil || o.Mask != want {
			t.Errorf("Get(msg %s) = mask %#x, %v; want %#x", id, o.Mask, err, want)
		}
	}
	ids := func(os []store.Object) string {
		var out []string
		for _, o := range os {
			if o.Mask != masks[o.ID] {
				t.Errorf("listed %s with mask %#x, want %#x", o.ID, o.Mask, masks[o.ID])
			}
			out = append(out, o.ID)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name string
		mask uint64
		want string
	}{
		{"Israel", il, "1,3,4"},
		{"Syria", sy, "2,3,4"},
		{"an observer", 8, "3"},
		{"the mediator", all, "1,2,3,4,relay"},
		{"no one", 0, ""},
	} {
		v := s.ViewFor(cell, store.Reader{Mask: tc.mask})
		os, err := v.List(ctx, "msg", "", -1, 100)
		if got := ids(os); err != nil || got != tc.want {
			t.Errorf("%s: List = %q, %v; want %q", tc.name, got, err, tc.want)
		}
		os, err = v.List(ctx, "msg", "ch", -1, 100)
		if got := ids(os); err != nil || got != tc.want {
			t.Errorf("%s: List under a parent = %q, %v; want %q", tc.name, got, err, tc.want)
		}
		// One at a time: the cursor steps over what the reader may not see.
		var paged []string
		for after := int64(-1); ; {
			os, err := v.List(ctx, "msg", "ch", after, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(os) == 0 {
				break
			}
			paged = append(paged, ids(os))
			after = os[0].Seq
		}
		if got := strings.Join(paged, ","); got != strings.ReplaceAll(tc.want, ",relay", "") {
			t.Errorf("%s: paging by 1 = %q, want %q", tc.name, got, tc.want)
		}
		l, ok := v.(store.Latest)
		if !ok {
			t.Fatalf("%s: a reader's view does not implement store.Latest", tc.name)
		}
		os, err = l.Latest(ctx, "msg", "ch", 1<<62, 2)
		var want []string
		for _, id := range strings.Split(tc.want, ",") {
			if id != "" {
				want = append([]string{id}, want...)
			}
		}
		if len(want) > 2 {
			want = want[:2]
		}
		if got := ids(os); err != nil || got != strings.Join(want, ",") {
			t.Errorf("%s: Latest = %q, %v; want %q", tc.name, got, err, strings.Join(want, ","))
		}
		for id, m := range masks {
			_, err := v.Get(ctx, "msg", id)
			if visible := m&tc.mask != 0; visible != (err == nil) {
				t.Errorf("%s: Get(msg %s) = %v; visible %v", tc.name, id, err, visible)
			} else if !visible && !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: Get(msg %s) = %v, want ErrNotFound", tc.name, id, err)
			}
		}
	}
	// Rewritten by an entry for Syria and the mediator, message 1 is
	// theirs now, and no longer Israel's.
	var seen uint64
	mustAppend(t, s, cell, sg.Pending(cell, "f", func(ctx context.Context, v store.View) (store.Effect, error) {
		o, err := v.Get(ctx, "msg", "1")
		seen = o.Mask
		return store.Effect{Audience: []string{"sy", "us"}, Mask: us | sy, Changes: []store.Change{msg("1")}}, err
	}), sg.Pending(cell, "g", func(ctx context.Context, v store.View) (store.Effect, error) {
		o, err := v.Get(ctx, "msg", "1") // the batch's own change
		if err == nil && o.Mask != us|sy {
			err = fmt.Errorf("inside the batch, msg 1 has mask %#x", o.Mask)
		}
		return store.Effect{Audience: []string{"us"}, Mask: us}, err
	}))
	if seen != us|il {
		t.Errorf("Decide saw msg 1 with mask %#x, want %#x", seen, us|il)
	}
	if _, err := s.ViewFor(cell, store.Reader{Mask: il}).Get(ctx, "msg", "1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Israel reads the rewritten message: %v", err)
	}
	if o, err := s.ViewFor(cell, store.Reader{Mask: sy}).Get(ctx, "msg", "1"); err != nil || o.Mask != us|sy || o.Seq != 0 {
		t.Errorf("Syria's view of the rewritten message: %+v, %v", o, err)
	}
}

// testNamedReaders checks the members an entry names one by one, outside
// its parties (a TLP:RED release to one analyst): the named member reads
// the entry and its objects through EntriesFor, Get, List and Latest, a
// colleague of the same party does not, nor a member whose id the name
// would match as a LIKE pattern ('_' is any character there); an object
// may name only members its entry names; an effect naming a member its
// audience does not record is refused.
func testNamedReaders(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	const us, sy = 1, 4
	red := store.Change{Kind: "report", ID: "red", Parent: "rel", Doc: []byte(`{"tlp":"red"}`)}
	link := store.Change{Kind: "report", ID: "link", Parent: "rel", Doc: []byte(`{"of":"red"}`), Mask: us}
	named := func(changes ...store.Change) Decide {
		return func(context.Context, store.View) (store.Effect, error) {
			return store.Effect{Audience: []string{"sy/sy.red_1", "us"}, Mask: us, Members: []string{"sy.red_1"}, Changes: changes}, nil
		}
	}
	mustAppend(t, s, cell,
		sg.Pending(cell, "a", Admit([]string{"sy", "us"}, us|sy, store.Change{Kind: "report", ID: "amber", Parent: "rel", Doc: []byte(`{}`)})),
		sg.Pending(cell, "b", named(red, link)),
	)
	bad := mustAppend(t, s, cell,
		sg.Pending(cell, "c", func(context.Context, store.View) (store.Effect, error) {
			return store.Effect{Audience: []string{"us"}, Mask: us, Members: []string{"sy.duty"}}, nil
		}),
		sg.Pending(cell, "d", named(store.Change{Kind: "report", ID: "wide", Parent: "rel", Doc: []byte(`{}`), Mask: us, Members: []string{"sy.duty"}})),
	)
	if bad[0].Err == nil {
		t.Error("an effect naming a member its audience does not record was appended")
	}
	if !errors.Is(bad[1].Err, store.ErrWiderAudience) {
		t.Errorf("an object naming a member its entry does not: %v, want ErrWiderAudience", bad[1].Err)
	}
	if o, err := s.View(cell).Get(ctx, "report", "red"); err != nil || o.Mask != us || !slices.Equal(o.Members, []string{"sy.red_1"}) {
		t.Errorf("the red report's object = mask %#x members %v, %v", o.Mask, o.Members, err)
	}
	if o, err := s.View(cell).Get(ctx, "report", "link"); err != nil || len(o.Members) != 0 {
		t.Errorf("the mediator's link, narrowed to the mediator, names %v (%v)", o.Members, err)
	}
	for _, tc := range []struct {
		name    string
		r       store.Reader
		entries []int64
		objects string
	}{
		{"the named analyst", store.Reader{Mask: sy, Member: "sy.red_1"}, []int64{0, 1}, "amber,red"},
		{"a colleague", store.Reader{Mask: sy, Member: "sy.duty"}, []int64{0}, "amber"},
		{"a LIKE-alike id", store.Reader{Mask: sy, Member: "sy.redx1"}, []int64{0}, "amber"},
		{"a prefix of the id", store.Reader{Mask: sy, Member: "sy.red"}, []int64{0}, "amber"},
		{"the mediator", store.Reader{Mask: ^uint64(0), Member: "us.desk"}, []int64{0, 1}, "amber,link,red"},
		{"the name alone, without its party", store.Reader{Member: "sy.red_1"}, []int64{1}, "red"},
	} {
		es, err := s.EntriesFor(ctx, cell, tc.r, -1, 100)
		var got []int64
		for _, e := range es {
			got = append(got, e.Index)
			if e.Index == 1 && !slices.Equal(e.Members, []string{"sy.red_1"}) {
				t.Errorf("%s: entry 1 read back naming %v", tc.name, e.Members)
			}
		}
		if err != nil || !slices.Equal(got, tc.entries) {
			t.Errorf("%s: EntriesFor = %v, %v; want %v", tc.name, got, err, tc.entries)
		}
		v := s.ViewFor(cell, tc.r)
		os, err := v.List(ctx, "report", "rel", -1, 100)
		var ids []string
		for _, o := range os {
			ids = append(ids, o.ID)
		}
		if err != nil || strings.Join(ids, ",") != tc.objects {
			t.Errorf("%s: List = %v, %v; want %s", tc.name, ids, err, tc.objects)
		}
		os, err = v.(store.Latest).Latest(ctx, "report", "rel", 1<<62, 100)
		if err != nil || len(os) != len(ids) {
			t.Errorf("%s: Latest found %d objects, %v; List %d", tc.name, len(os), err, len(ids))
		}
		_, err = v.Get(ctx, "report", "red")
		if reads := strings.Contains(tc.objects, "red"); reads != (err == nil) {
			t.Errorf("%s: Get(red) = %v, want readable %v", tc.name, err, reads)
		}
	}
	// Rebuild's round trip keeps the names.
	objs, err := s.Projection(ctx, cell)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceProjection(ctx, cell, objs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ViewFor(cell, store.Reader{Mask: sy, Member: "sy.red_1"}).Get(ctx, "report", "red"); err != nil {
		t.Errorf("after ReplaceProjection the named analyst cannot read the report: %v", err)
	}
}

// testPage checks store.Pager: one entry's many objects under a parent page
// by (seq, id), each exactly once and in order, hidden ones skipped
// without being counted, other parents and kinds left out.
func testPage(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	const us, il, sy = 1, 2, 4
	var first, second []store.Change
	var want []string
	for i := range 25 {
		c := store.Change{Kind: "o", ID: fmt.Sprintf("o%02d", i), Parent: "p", Doc: []byte(`{}`)}
		if i%5 == 3 {
			c.Mask = us | sy // Israel does not read these
		} else {
			want = append(want, c.ID)
		}
		first = append(first, c)
	}
	for _, id := range []string{"a", "z"} {
		second = append(second, store.Change{Kind: "o", ID: id, Parent: "p", Doc: []byte(`{}`)})
		want = append(want, id)
	}
	first = append(first, store.Change{Kind: "o", ID: "other-parent", Parent: "q", Doc: []byte(`{}`)},
		store.Change{Kind: "x", ID: "other-kind", Parent: "p", Doc: []byte(`{}`)})
	mustAppend(t, s, cell, sg.Pending(cell, "a", Admit([]string{"il", "sy", "us"}, us|il|sy, first...)))
	mustAppend(t, s, cell, sg.Pending(cell, "b", Admit([]string{"il", "sy", "us"}, us|il|sy, second...)))
	pg, ok := s.ViewFor(cell, store.Reader{Mask: il}).(store.Pager)
	if !ok {
		t.Fatal("a reader's view does not implement store.Pager")
	}
	for _, size := range []int{1, 4, 100} {
		var got []string
		seq, id := int64(-1), ""
		for range 100 {
			os, err := pg.Page(ctx, "o", "p", seq, id, size)
			if err != nil {
				t.Fatal(err)
			}
			if len(os) > size {
				t.Fatalf("a page of %d holds %d", size, len(os))
			}
			if len(os) == 0 {
				break
			}
			for _, o := range os {
				got = append(got, o.ID)
			}
			last := os[len(os)-1]
			seq, id = last.Seq, last.ID
		}
		if !slices.Equal(got, want) {
			t.Errorf("paging by %d = %v, want %v", size, got, want)
		}
	}
}

// testLatest checks store.Latest: the newest objects under a parent before
// an index, newest first, without other parents' or kinds'.
func testLatest(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	for i := range 6 {
		parent := "a"
		if i%3 == 2 {
			parent = "b"
		}
		mustAppend(t, s, cell, sg.Pending(cell, fmt.Sprint(i), Admit(Everyone, 1,
			store.Change{Kind: "m", ID: fmt.Sprint(i), Parent: parent, Doc: []byte(`{}`)},
			store.Change{Kind: "other", ID: fmt.Sprint(i), Parent: parent, Doc: []byte(`{}`)})))
	}
	l, ok := s.View(cell).(store.Latest)
	if !ok {
		t.Fatal("the committed view does not implement store.Latest")
	}
	ids := func(before int64, limit int) string {
		os, err := l.Latest(ctx, "m", "a", before, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range os {
			out = append(out, o.ID)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		before int64
		limit  int
		want   string
	}{{1 << 62, 10, "4,3,1,0"}, {1 << 62, 2, "4,3"}, {3, 10, "1,0"}, {0, 10, ""}} {
		if got := ids(c.before, c.limit); got != c.want {
			t.Errorf("Latest(m, a, before %d, limit %d) = %q, want %q", c.before, c.limit, got, c.want)
		}
	}
}

// testKeyed files objects under terms and pages them as a register does:
// by the first term's order, every other term required, what the reader
// may not read left out in the query, and keys replaced, kept or dropped
// as the changes say.
func testKeyed(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	key := func(term, sort string) store.Key { return store.Key{Term: term, Sort: sort} }
	// Object i sorts at 9-i under "all": newest first, so the order is the
	// keys' and not the log's. Odd ones are "odd"; the mask alternates 1, 2.
	for i := range 8 {
		keys := []store.Key{key("all", fmt.Sprint(9-i)), key("all", fmt.Sprint(9-i))} // a duplicate is filed once
		if i%2 == 1 {
			keys = append(keys, key("odd", "0"))
		}
		mustAppend(t, s, cell, sg.Pending(cell, fmt.Sprint(i), Admit(Everyone, 3,
			store.Change{Kind: "d", ID: fmt.Sprint(i), Doc: []byte(`{}`), Mask: uint64(1 + i%2), Keys: keys},
			store.Change{Kind: "other", ID: fmt.Sprint(i), Doc: []byte(`{}`), Keys: []store.Key{key("all", "0")}})))
	}
	page := func(v store.View, terms []string, after store.Cursor, limit int) (string, store.Cursor) {
		t.Helper()
		k, ok := v.(store.Keyed)
		if !ok {
			t.Fatal("the committed view does not implement store.Keyed")
		}
		os, err := k.ByKey(ctx, "d", terms, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		var next store.Cursor
		for _, o := range os {
			if len(o.Keys) != 1 || o.Keys[0].Term != terms[0] {
				t.Fatalf("ByKey(%v): object %s carries keys %v, want its key of %q", terms, o.ID, o.Keys, terms[0])
			}
			ids = append(ids, o.ID)
			next = store.Cursor{Sort: o.Keys[0].Sort, ID: o.ID}
		}
		return strings.Join(ids, ","), next
	}
	all := s.View(cell)
	if got, _ := page(all, []string{"all"}, store.Cursor{}, 100); got != "7,6,5,4,3,2,1,0" {
		t.Errorf("ByKey(all) = %q, want the order of the keys, 7,6,5,4,3,2,1,0", got)
	}
	var pages []string
	for after := (store.Cursor{}); ; {
		got, next := page(all, []string{"all"}, after, 3)
		if got == "" {
			break
		}
		pages, after = append(pages, got), next
	}
	if got := strings.Join(pages, " | "); got != "7,6,5 | 4,3,2 | 1,0" {
		t.Errorf("ByKey(all) by pages of 3 = %q", got)
	}
	if got, _ := page(all, []string{"all", "odd"}, store.Cursor{}, 100); got != "7,5,3,1" {
		t.Errorf("ByKey(all, odd) = %q, want 7,5,3,1", got)
	}
	// Under "odd" every object has the same sort: the id breaks the tie.
	if got, _ := page(all, []string{"odd", "all"}, store.Cursor{Sort: "0", ID: "3"}, 100); got != "5,7" {
		t.Errorf("ByKey(odd, all) after (0, 3) = %q, want 5,7", got)
	}
	if got, _ := page(all, []string{"all", "none"}, store.Cursor{}, 100); got != "" {
		t.Errorf("ByKey(all, none) = %q, want nothing", got)
	}
	// A reader of mask 2 reads the odd ones alone, and a page of two is
	// full: the hidden objects take no place in it.
	if got, _ := page(s.ViewFor(cell, store.Reader{Mask: 2}), []string{"all"}, store.Cursor{}, 2); got != "7,5" {
		t.Errorf("ByKey(all) for mask 2, limit 2 = %q, want 7,5", got)
	}
	// A put with keys replaces them; one without keeps them; a delete
	// drops them.
	mustAppend(t, s, cell, sg.Pending(cell, "rekey", Admit(Everyone, 3,
		store.Change{Kind: "d", ID: "0", Doc: []byte(`{"v":2}`), Mask: 1, Keys: []store.Key{key("all", "99")}},
		store.Change{Kind: "d", ID: "1", Doc: []byte(`{"v":2}`), Mask: 2},
		store.Change{Kind: "d", ID: "2"})))
	if got, _ := page(all, []string{"all"}, store.Cursor{}, 100); got != "7,6,5,4,3,1,0" {
		t.Errorf("ByKey(all) after rekeying 0, keeping 1's keys, deleting 2 = %q, want 7,6,5,4,3,1,0", got)
	}
	if got, _ := page(all, []string{"odd"}, store.Cursor{}, 100); got != "1,3,5,7" {
		t.Errorf("ByKey(odd) after 1 kept its keys = %q, want 1,3,5,7", got)
	}
	proj, err := s.Projection(ctx, cell)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range proj {
		if o.Kind == "d" && o.ID == "1" && !slices.Equal(o.Keys, []store.Key{key("all", "8"), key("odd", "0")}) {
			t.Errorf("Projection: d/1 has keys %v, want [{all 8} {odd 0}]", o.Keys)
		}
	}
	// ReplaceProjection keeps the keys it is given (rebuild's replay).
	if err := s.ReplaceProjection(ctx, cell, proj); err != nil {
		t.Fatal(err)
	}
	again, err := s.Projection(ctx, cell)
	if err != nil {
		t.Fatal(err)
	}
	for i := range again {
		if !slices.Equal(again[i].Keys, proj[i].Keys) {
			t.Errorf("after ReplaceProjection, %s/%s has keys %v, want %v", again[i].Kind, again[i].ID, again[i].Keys, proj[i].Keys)
		}
	}
	if got, _ := page(all, []string{"all", "odd"}, store.Cursor{}, 100); got != "7,5,3,1" {
		t.Errorf("ByKey(all, odd) after ReplaceProjection = %q, want 7,5,3,1", got)
	}
}

func testProjection(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	newCell(t, s, "other")
	sg := NewSigner(t)
	mustAppend(t, s, cell,
		sg.Pending(cell, "1", Admit(Everyone, 1, store.Change{Kind: "b", ID: "2", Parent: "p", Doc: []byte(`{"x":1}`)})),
		sg.Pending(cell, "2", Admit(Everyone, 1, store.Change{Kind: "a", ID: "9", Doc: []byte(`{}`)}, store.Change{Kind: "b", ID: "1", Doc: []byte(`[]`)})),
		sg.Pending(cell, "3", Admit(Everyone, 1, store.Change{Kind: "b", ID: "2", Parent: "q", Doc: []byte(`{"x":2}`)})),
	)
	mustAppend(t, s, "other", sg.Pending("other", "1", Admit(Everyone, 1, store.Change{Kind: "z", ID: "z", Doc: []byte(`{}`)})))
	got, err := s.Projection(ctx, cell)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Object{
		{Kind: "a", ID: "9", Seq: 1, Updated: 1, Doc: []byte(`{}`), Mask: 1},
		{Kind: "b", ID: "1", Seq: 1, Updated: 1, Doc: []byte(`[]`), Mask: 1},
		{Kind: "b", ID: "2", Parent: "q", Seq: 0, Updated: 2, Doc: []byte(`{"x":2}`), Mask: 1},
	}
	checkObjects(t, "Projection", got, want)

	repl := []store.Object{
		{Kind: "c", ID: "1", Parent: "p", Seq: 4, Updated: 5, Doc: []byte(`{"c":1}`), Mask: 6},
		{Kind: "a", ID: "9", Seq: 1, Updated: 3, Doc: []byte(`{"a":9}`), Mask: ^uint64(0)},
	}
	if err := s.ReplaceProjection(ctx, cell, repl); err != nil {
		t.Fatalf("ReplaceProjection: %v", err)
	}
	got, err = s.Projection(ctx, cell)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, "Projection after ReplaceProjection", got, []store.Object{repl[1], repl[0]})
	if o, err := s.View(cell).Get(ctx, "c", "1"); err != nil || o.Seq != 4 || o.Updated != 5 || o.Mask != 6 {
		t.Errorf("View after ReplaceProjection: %+v, %v", o, err)
	}
	if _, err := s.ViewFor(cell, store.Reader{Mask: 1}).Get(ctx, "c", "1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a reader outside a replaced object's audience: %v, want ErrNotFound", err)
	}
	other, err := s.Projection(ctx, "other")
	if err != nil || len(other) != 1 || other[0].Kind != "z" {
		t.Errorf("another cell's projection changed: %+v, %v", other, err)
	}
	// A large replacement (more rows than one statement's parameters allow).
	var big []store.Object
	for i := range 3000 {
		big = append(big, store.Object{Kind: "k", ID: fmt.Sprintf("%05d", i), Seq: int64(i), Updated: int64(i), Doc: []byte(`{}`), Mask: uint64(i%7 + 1)})
	}
	if err := s.ReplaceProjection(ctx, cell, big); err != nil {
		t.Fatalf("ReplaceProjection of %d objects: %v", len(big), err)
	}
	got, err = s.Projection(ctx, cell)
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, "Projection after a large ReplaceProjection", got, big)
	if err := s.ReplaceProjection(ctx, cell, nil); err != nil {
		t.Fatalf("ReplaceProjection with nothing: %v", err)
	}
	if got, err := s.Projection(ctx, cell); err != nil || len(got) != 0 {
		t.Errorf("Projection after replacing with nothing = %d objects, %v", len(got), err)
	}
}

func checkObjects(t *testing.T, what string, got, want []store.Object) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d objects, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || g.ID != w.ID || g.Parent != w.Parent || g.Seq != w.Seq || g.Updated != w.Updated || g.Mask != w.Mask || !bytes.Equal(g.Doc, w.Doc) {
			t.Errorf("%s: object %d = %+v, want %+v", what, i, g, w)
		}
	}
}

func testCredentials(t *testing.T, s store.Store) {
	ctx := context.Background()
	c1 := store.Credential{Cell: cell, Member: "m1", Username: "alice", Hash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA"}
	if err := s.PutCredential(ctx, c1); err != nil {
		t.Fatal(err)
	}
	for name, get := range map[string]func() (store.Credential, error){
		"ByUsername": func() (store.Credential, error) { return s.CredentialByUsername(ctx, cell, "alice") },
		"ByMember":   func() (store.Credential, error) { return s.CredentialByMember(ctx, cell, "m1") },
	} {
		if c, err := get(); err != nil || c != c1 {
			t.Errorf("Credential%s = %+v, %v; want %+v", name, c, err, c1)
		}
	}
	// Usernames are unique per cell.
	if err := s.PutCredential(ctx, store.Credential{Cell: cell, Member: "m2", Username: "alice", Hash: "h"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("second member with username alice: %v, want ErrExists", err)
	}
	if _, err := s.CredentialByMember(ctx, cell, "m2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused credential was stored: %v", err)
	}
	c2 := store.Credential{Cell: "other", Member: "m2", Username: "alice", Hash: "h2"}
	if err := s.PutCredential(ctx, c2); err != nil {
		t.Errorf("username alice in another cell: %v", err)
	}
	// Putting again replaces a member's credential.
	c1b := store.Credential{Cell: cell, Member: "m1", Username: "alice2", Hash: "h3", Disabled: true}
	if err := s.PutCredential(ctx, c1b); err != nil {
		t.Fatal(err)
	}
	if c, err := s.CredentialByMember(ctx, cell, "m1"); err != nil || c != c1b {
		t.Errorf("after replacing: %+v, %v; want %+v", c, err, c1b)
	}
	if _, err := s.CredentialByUsername(ctx, cell, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old username still found: %v", err)
	}
	if c, err := s.CredentialByUsername(ctx, "other", "alice"); err != nil || c != c2 {
		t.Errorf("other cell's alice = %+v, %v", c, err)
	}
	if _, err := s.CredentialByUsername(ctx, cell, "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown username: %v, want ErrNotFound", err)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	tok := func(b byte, c, m, kind string) store.Token {
		h := bytes.Repeat([]byte{b}, 32)
		return store.Token{Hash: h, Cell: c, Member: m, Kind: kind, Created: now, Expires: now.Add(24 * time.Hour), UserAgent: fmt.Sprint("test/", b)}
	}
	toks := []store.Token{tok(1, cell, "m1", "bearer"), tok(2, cell, "m1", "session"), tok(3, cell, "m2", "session"), tok(4, "other", "m1", "session")}
	for _, x := range toks {
		if err := s.PutToken(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	same := func(a, b store.Token) bool {
		return bytes.Equal(a.Hash, b.Hash) && a.Cell == b.Cell && a.Member == b.Member && a.Kind == b.Kind &&
			a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires) && a.Revoked == b.Revoked && a.UserAgent == b.UserAgent
	}
	check := func(revoked ...bool) {
		t.Helper()
		for i, x := range toks {
			got, err := s.TokenByHash(ctx, x.Hash)
			x.Revoked = revoked[i]
			if err != nil || !same(got, x) {
				t.Errorf("TokenByHash(%d) = %+v, %v; want %+v", i, got, err, x)
			}
		}
	}
	check(false, false, false, false)
	if _, err := s.TokenByHash(ctx, bytes.Repeat([]byte{9}, 32)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash of an unknown hash: %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, toks[0].Hash); err != nil {
		t.Fatal(err)
	}
	check(true, false, false, false)
	if err := s.RevokeMemberTokens(ctx, cell, "m1"); err != nil {
		t.Fatal(err)
	}
	check(true, true, false, false) // not m2, not m1 of another cell
	if err := s.RevokeMemberTokens(ctx, cell, "m2"); err != nil {
		t.Fatal(err)
	}
	check(true, true, true, false)

	// One kind of a member's tokens: their calendar feeds, not their
	// sessions; and only what is still live is counted.
	feeds := []store.Token{tok(5, cell, "m3", "calendar"), tok(6, cell, "m3", "calendar"), tok(7, cell, "m3", "session"),
		tok(8, cell, "m4", "calendar"), tok(9, "other", "m3", "calendar")}
	for _, x := range feeds {
		if err := s.PutToken(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeToken(ctx, feeds[1].Hash); err != nil {
		t.Fatal(err)
	}
	n, err := s.RevokeMemberTokensOfKind(ctx, cell, "m3", "calendar")
	if err != nil || n != 1 {
		t.Errorf("RevokeMemberTokensOfKind = %d, %v; want the one live feed", n, err)
	}
	for i, want := range []bool{true, true, false, false, false} {
		got, err := s.TokenByHash(ctx, feeds[i].Hash)
		if err != nil || got.Revoked != want {
			t.Errorf("token %d after revoking m3's feeds: revoked %v, %v; want %v", i+5, got.Revoked, err, want)
		}
	}
	if n, err := s.RevokeMemberTokensOfKind(ctx, cell, "m3", "calendar"); err != nil || n != 0 {
		t.Errorf("RevokeMemberTokensOfKind again = %d, %v; want 0", n, err)
	}
}

func testSecrets(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Secret(ctx, "note-key"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Secret before any: %v, want ErrNotFound", err)
	}
	v1 := []byte("PRIVATE+KEY+liaison.test+1234+AAAA\x00\xff")
	if err := s.PutSecret(ctx, "note-key", v1); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSecret(ctx, "server-key", []byte("other")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSecret(ctx, "note-key", []byte("replacement")); !errors.Is(err, store.ErrExists) {
		t.Errorf("second PutSecret: %v, want ErrExists", err)
	}
	if got, err := s.Secret(ctx, "note-key"); err != nil || !bytes.Equal(got, v1) {
		t.Errorf("Secret = %q, %v; want %q", got, err, v1)
	}
	if got, err := s.Secret(ctx, "server-key"); err != nil || string(got) != "other" {
		t.Errorf("Secret(server-key) = %q, %v", got, err)
	}
}

// notices collects what a subscription receives.
type notices struct {
	ch chan [2]any
}

func subscribe(s store.Store) (*notices, func()) {
	n := &notices{ch: make(chan [2]any, 1024)}
	cancel := s.Subscribe(func(cell string, size int64) {
		select {
		case n.ch <- [2]any{cell, size}:
		default: // a lost notice loses nothing; the tests send few
		}
	})
	return n, cancel
}

// waitNotice waits until n has received (cell, size), skipping other
// notices (wake-ups, other cells).
func waitNotice(t *testing.T, n *notices, cell string, size int64) {
	t.Helper()
	timeout := time.NewTimer(30 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case got := <-n.ch:
			if got[0] == cell && got[1] == size {
				return
			}
		case <-timeout.C:
			t.Fatalf("no notice (%s, %d) delivered", cell, size)
		}
	}
}

func testNotifySubscribe(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := fmt.Sprintf("notify-%d", time.Now().UnixNano()) // unique: notices may cross databases' schemas
	a, cancelA := subscribe(s)
	b, cancelB := subscribe(s)
	defer cancelB()
	if err := s.Notify(ctx, c, 7); err != nil {
		t.Fatal(err)
	}
	waitNotice(t, a, c, 7)
	waitNotice(t, b, c, 7)
	cancelA()
	cancelA() // cancelling twice is harmless
	// Notices reach subscribers in order, so once b has seen 9 and then 10,
	// a would have seen 9 had it still been subscribed.
	for _, n := range []int64{9, 10} {
		if err := s.Notify(ctx, c, n); err != nil {
			t.Fatal(err)
		}
		waitNotice(t, b, c, n)
	}
	for len(a.ch) > 0 {
		if got := <-a.ch; got[0] == c {
			t.Errorf("cancelled subscription received %v", got)
		}
	}
}

func testTryLeader(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 3 {
		ok, err := s.TryLeader(ctx)
		if err != nil || !ok {
			t.Fatalf("TryLeader (call %d) on the only node = %v, %v; want true", i, ok, err)
		}
	}
}

func testAppenderConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	newCell(t, s, "other")
	sg := NewSigner(t)
	var mu sync.Mutex
	var commits []int64
	a := store.NewAppender(s, store.AppenderConfig{MaxBatch: 64, OnCommit: func(c string, size int64) {
		if c == cell {
			mu.Lock()
			commits = append(commits, size)
			mu.Unlock()
		}
	}})
	defer a.Close()
	const workers, each = 16, 40
	got := make([][]store.Result, workers)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c := cell
				if i%10 == 9 {
					c = "other"
				}
				p := sg.Pending(c, fmt.Sprintf("w%d-%d", w, i), Admit(Everyone, 1))
				r, err := a.Append(ctx, c, p)
				if err == nil {
					err = r.Err
				}
				if err != nil {
					errs <- err
					return
				}
				if r.Duplicate || r.Entry.Cell != c {
					errs <- fmt.Errorf("append %s: duplicate %v cell %q", p.IdemKey, r.Duplicate, r.Entry.Cell)
					return
				}
				got[w] = append(got[w], r)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, c := range []string{cell, "other"} {
		var idx []int64
		for _, rs := range got {
			for _, r := range rs {
				if r.Entry.Cell == c {
					idx = append(idx, r.Entry.Index)
				}
			}
		}
		slices.Sort(idx)
		for i, x := range idx {
			if x != int64(i) {
				t.Fatalf("cell %s: the %dth smallest index answered is %d: a gap or a duplicate", c, i, x)
			}
		}
		if n := size(t, s, c); n != int64(len(idx)) {
			t.Errorf("cell %s: Size %d, %d appends answered", c, n, len(idx))
		}
		checkLog(t, s, c)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(commits) == 0 || !slices.IsSorted(commits) || commits[len(commits)-1] != size(t, s, cell) {
		t.Errorf("OnCommit sizes %v do not grow to the final size", commits)
	}
	// Each answered append is committed, at its index, under its key.
	for _, rs := range got {
		for _, r := range rs {
			var id struct{ ID string }
			if err := json.Unmarshal(r.Entry.Envelope.Payload, &id); err != nil {
				t.Fatal(err)
			}
			if x, err := s.LookupIdem(ctx, r.Entry.Cell, id.ID); err != nil || x != r.Entry.Index {
				t.Errorf("LookupIdem(%s) = %d, %v; want %d", id.ID, x, err, r.Entry.Index)
			}
		}
	}
}

func testAppenderIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	a := store.NewAppender(s, store.AppenderConfig{})
	defer a.Close()
	const n = 12
	rs := make([]store.Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := a.Append(ctx, cell, sg.Pending(cell, "same", Admit(Everyone, 1)))
			if err != nil {
				r.Err = err
			}
			rs[i] = r
		})
	}
	wg.Wait()
	firsts := 0
	for i, r := range rs {
		if r.Err != nil {
			t.Fatalf("append %d: %v", i, r.Err)
		}
		if r.Entry.Index != 0 || !bytes.Equal(r.LeafData, rs[0].LeafData) {
			t.Errorf("append %d answered entry %d", i, r.Entry.Index)
		}
		if !r.Duplicate {
			firsts++
		}
	}
	if firsts != 1 {
		t.Errorf("%d appends of one idempotency id were not duplicates, want 1", firsts)
	}
	if n := size(t, s, cell); n != 1 {
		t.Errorf("Size = %d, want 1", n)
	}
}

func testAppenderPushback(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	a := store.NewAppender(s, store.AppenderConfig{MaxQueue: 1})
	defer a.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		r, err := a.Append(ctx, cell, sg.Pending(cell, "blocker", func(context.Context, store.View) (store.Effect, error) {
			close(entered)
			<-release
			return store.Effect{Audience: Everyone, Mask: 1}, nil
		}))
		if err == nil {
			err = r.Err
		}
		first <- err
	}()
	<-entered // the batch is committing; the queue (of 1) is empty
	// Of two more appends, one fills the queue and the other is pushed back.
	more := make(chan error, 2)
	for i := range 2 {
		go func() {
			r, err := a.Append(ctx, cell, sg.Pending(cell, fmt.Sprint("q", i), Admit(Everyone, 1)))
			if err == nil {
				err = r.Err
			}
			more <- err
		}()
	}
	if err := <-more; !errors.Is(err, store.ErrPushback) {
		t.Errorf("append to a full queue: %v, want ErrPushback", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("blocked append: %v", err)
	}
	if err := <-more; err != nil {
		t.Errorf("queued append: %v", err)
	}
	if n := size(t, s, cell); n != 2 {
		t.Errorf("Size = %d, want 2", n)
	}
}

func testAppenderCanceled(t *testing.T, s store.Store) {
	newCell(t, s, cell)
	sg := NewSigner(t)
	a := store.NewAppender(s, store.AppenderConfig{})
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := a.Append(ctx, cell, sg.Pending(cell, "x", Admit(Everyone, 1)))
	if err == nil {
		err = r.Err
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("append with a cancelled context: %v, want context.Canceled", err)
	}
	if n := size(t, s, cell); n != 0 {
		t.Errorf("a cancelled append was written: Size %d", n)
	}
}

func testAppenderClose(t *testing.T, s store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	a := store.NewAppender(s, store.AppenderConfig{})
	var wg sync.WaitGroup
	var answered sync.Map
	for i := range 32 {
		wg.Go(func() {
			r, err := a.Append(ctx, cell, sg.Pending(cell, fmt.Sprint("c", i), Admit(Everyone, 1)))
			if err == nil && r.Err == nil {
				answered.Store(r.Entry.Index, true)
			} else if !errors.Is(err, store.ErrClosed) {
				t.Errorf("append during Close: %v, %v", err, r.Err)
			}
		})
	}
	a.Close()
	wg.Wait()
	a.Close() // twice is harmless
	if _, err := a.Append(ctx, cell, sg.Pending(cell, "late", Admit(Everyone, 1))); !errors.Is(err, store.ErrClosed) {
		t.Errorf("append after Close: %v, want ErrClosed", err)
	}
	n := size(t, s, cell)
	count := int64(0)
	answered.Range(func(k, _ any) bool {
		count++
		if k.(int64) >= n {
			t.Errorf("answered entry %d is beyond the log's size %d", k, n)
		}
		return true
	})
	if count != n {
		t.Errorf("%d appends answered, log has %d entries", count, n)
	}
	checkLog(t, s, cell)
}

// Version3 holds the SQL that takes a store's database back to schema
// version 3, before objects carried audience masks (and, since 5, named
// readers, since 7, keys, and since 8, cosignatures).
var Version3 = []string{
	`DROP TABLE cosignatures`,
	`DROP TABLE object_keys`,
	`ALTER TABLE objects DROP COLUMN members`, `ALTER TABLE entries DROP COLUMN members`,
	`ALTER TABLE objects DROP COLUMN mask`, `UPDATE schema_version SET version = 3`,
}

// MigrateMasks checks migration 4 on a store: objects written by entries of
// several audiences, the database taken back to version 3 (Version3 run by
// downgrade, which closes s and returns it reopened, migrated), and every
// object then carries the mask of the entry that last wrote it, so that
// readers see after the upgrade exactly what their party may read.
func MigrateMasks(t *testing.T, s store.Store, downgrade func(s store.Store) store.Store) {
	ctx := context.Background()
	newCell(t, s, cell)
	sg := NewSigner(t)
	put := func(id string) store.Change {
		return store.Change{Kind: "o", ID: id, Parent: "p", Doc: []byte(`{}`)}
	}
	mustAppend(t, s, cell,
		sg.Pending(cell, "a", Admit([]string{"il", "us"}, 3, put("line"), put("both"))),
		sg.Pending(cell, "b", Admit([]string{"*"}, ^uint64(0), put("all"))),
		sg.Pending(cell, "c", Admit([]string{"sy", "us"}, 5, put("both"))),
	)
	s = downgrade(s)
	got, err := s.Projection(ctx, cell)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{"all": ^uint64(0), "both": 5, "line": 3}
	for _, o := range got {
		if o.Mask != want[o.ID] {
			t.Errorf("after migration %s has mask %#x, want %#x (its last entry's)", o.ID, o.Mask, want[o.ID])
		}
		delete(want, o.ID)
	}
	if len(want) != 0 {
		t.Errorf("after migration objects are missing: %v", want)
	}
	if os, err := s.ViewFor(cell, store.Reader{Mask: 2}).List(ctx, "o", "p", -1, 10); err != nil || len(os) != 2 || os[0].ID != "line" || os[1].ID != "all" {
		t.Errorf("Israel's view after migration: %+v, %v", os, err)
	}
}
