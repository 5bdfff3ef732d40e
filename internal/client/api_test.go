package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/testlog/testcell"
)

func TestMain(m *testing.M) { testlog.Main(m) }

func newServer(t *testing.T) (*httptest.Server, *ledger.Ledger, *testlog.Demo) {
	t.Helper()
	d := testlog.NewDemo(t)
	tc := testcell.Open(t, d.Dir)
	hs := httptest.NewServer(tc.Server.Handler())
	t.Cleanup(func() { hs.Close(); tc.Close() })
	return hs, tc.Ledger, d
}

// TestAgainstServer drives the client against the real API.
func TestAgainstServer(t *testing.T) {
	hs, led, d := newServer(t)
	ctx := context.Background()
	anon := client.New(hs.URL, "")

	if _, err := anon.Login(ctx, "", "il.duty", "wrong password"); !client.IsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("login with a wrong password: %v", err)
	}
	lr, err := anon.Login(ctx, testlog.Cell, "il.duty", testlog.Password)
	if err != nil {
		t.Fatal(err)
	}
	if lr.Cell != testlog.Cell || lr.Member.ID != "il.duty" || lr.Token == "" {
		t.Fatalf("login: %+v", lr)
	}
	for _, c := range []*client.Client{anon.WithToken(lr.Token), anon.WithToken(lr.Token).WithCell(testlog.Cell)} {
		me, err := c.Me(ctx)
		if err != nil {
			t.Fatalf("me (cell %q): %v", c.Cell(), err)
		}
		if me.Member.ID != "il.duty" || me.Party.ID != "il" || me.Cell != testlog.Cell || len(me.Keys) != 1 {
			t.Errorf("me: %+v", me)
		}
	}
	c := anon.WithToken(lr.Token).WithCell(testlog.Cell)

	// Keys: register one signed by itself, then revoke it with the demo key.
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	sub, err := c.RegisterKey(ctx, testlog.Cell, "", k, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if sub.Entry.Kind != "key.register" || sub.Entry.KeyID != k.ID() || sub.Duplicate || record.LeafHash(sub.Entry.LeafData) != record.Hash(sub.Entry.LeafHash) {
		t.Errorf("register: %+v", sub.Entry)
	}
	keys, err := c.Keys(ctx, "il.duty")
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys: %v, %v", keys, err)
	}
	rv, err := c.RevokeKey(ctx, testlog.Cell, d.Key(t, "il.duty"), k.ID(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterKey(ctx, testlog.Cell, "", k, "again"); !client.IsStatus(err, http.StatusConflict) {
		t.Errorf("registering a key twice: %v", err)
	}
	if err := led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}

	// The log.
	vkey, err := c.VerifierKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	note, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := record.OpenCheckpoint(note, vkey)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != rv.Entry.Index+1 {
		t.Fatalf("checkpoint size %d, last entry %d", cp.Size, rv.Entry.Index)
	}
	leaves, err := c.Leaves(ctx, 0, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Entry(ctx, sub.Entry.Index)
	if err != nil {
		t.Fatal(err)
	}
	if record.LeafHash(e.LeafData) != leaves[e.Index] {
		t.Error("entry's leaf data does not hash to its leaf")
	}
	proof, err := c.InclusionProof(ctx, e.Index, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, e.Index, leaves[e.Index]); err != nil {
		t.Errorf("inclusion proof: %v", err)
	}
	old := mth(leaves[:5])
	cproof, err := c.ConsistencyProof(ctx, 5, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(cproof, cp.Size, cp.Root, 5, old); err != nil {
		t.Errorf("consistency proof: %v", err)
	}

	// Entries il may read, in pages; an entry it may not read is a 403.
	var seen []int64
	for after := int64(-1); ; {
		p, err := c.Entries(ctx, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Entries {
			seen = append(seen, e.Index)
		}
		if p.Next == "" {
			break
		}
		if after, err = strconv.ParseInt(p.Next, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) == 0 || int64(len(seen)) >= cp.Size {
		t.Errorf("il read %d of %d entries", len(seen), cp.Size)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("entries out of order: %v", seen)
		}
	}
	// The first entry the listing left out (where it falls depends on how
	// the demo is seeded) is outside il's audience, and read alone as well.
	hidden := int64(0)
	for _, i := range seen {
		if i != hidden {
			break
		}
		hidden++
	}
	if _, err := c.Entry(ctx, hidden); !client.IsStatus(err, http.StatusForbidden) {
		t.Errorf("entry %d, outside il's audience: %v", hidden, err)
	}

	// Logout ends the token.
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Me(ctx); !client.IsStatus(err, http.StatusUnauthorized) {
		t.Errorf("me after logout: %v", err)
	}
}

// mth is RFC 6962's Merkle tree hash over leaf hashes.
func mth(leaves []tlog.Hash) tlog.Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return tlog.NodeHash(mth(leaves[:k]), mth(leaves[k:]))
}
