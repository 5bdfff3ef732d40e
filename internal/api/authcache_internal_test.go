package api

import (
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
)

// A request that read its token before a logout must not put it back in
// the cache after the logout forgot it: the session would live on.
func TestAuthCacheForgetWinsOverARacingLookup(t *testing.T) {
	var c authCache
	h := []byte("hash of a token")
	p := &Principal{Cell: "c", Member: cell.Member{ID: "il.duty"}}

	gen := c.generation()
	c.put(h, p, gen)
	if _, ok := c.get(h); !ok {
		t.Fatal("a lookup with no forget in between was not cached")
	}

	gen = c.generation() // a second request starts reading the token...
	c.forget(h, "", "")  // ...the member signs out...
	c.put(h, p, gen)     // ...and the request caches what it read.
	if _, ok := c.get(h); ok {
		t.Error("a token forgotten during a lookup was cached again")
	}

	gen = c.generation()
	c.forget(nil, "c", "sy.duty") // forgetting someone else also bumps the generation
	c.put(h, p, gen)
	if _, ok := c.get(h); ok {
		t.Error("cached across a forget; the lookup may have read a disabled member")
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:5000": true, "[::1]:5000": true, "127.9.9.9:1": true,
		"203.0.113.5:443": false, "[2001:db8::1]:80": false, "10.0.0.1:80": false, "garbage": false,
	} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
