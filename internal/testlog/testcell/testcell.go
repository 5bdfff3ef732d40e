// Package testcell serves a test cell's data directory (testlog's demo)
// over the real ledger and API, for the tests of what talks to a cell
// from outside: the client, the verifier, a party's mirror.
package testcell

import (
	"context"
	"sync"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// Cell is a data directory's store, its ledger with every desk, and the
// API over them.
type Cell struct {
	Store  store.Store
	Ledger *ledger.Ledger
	Server *api.Server
	once   sync.Once
}

// Open opens the cell in dir; it is closed when the test ends, or before
// by Close.
func Open(tb testing.TB, dir string) *Cell {
	tb.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		tb.Fatal(err)
	}
	led, err := ledger.New(ledger.Config{Store: st, Registry: testlog.Registry(), Logger: testlog.Quiet()})
	if err != nil {
		st.Close()
		tb.Fatal(err)
	}
	if _, err := led.OpenAll(ctx); err != nil {
		led.Close()
		st.Close()
		tb.Fatal(err)
	}
	srv, err := api.New(api.Config{Ledger: led, DefaultCell: testlog.Cell, Password: auth.TestParams, Logger: testlog.Quiet()})
	if err != nil {
		led.Close()
		st.Close()
		tb.Fatal(err)
	}
	c := &Cell{Store: st, Ledger: led, Server: srv}
	tb.Cleanup(c.Close)
	return c
}

// Close ends the API, the ledger and the store, once; a server serving
// the handler must be closed first.
func (c *Cell) Close() {
	c.once.Do(func() {
		c.Server.Close()
		c.Ledger.Close()
		c.Store.Close()
	})
}

// Login signs member in at url with the demo's password, as a client of
// the demo cell.
func Login(tb testing.TB, url, member string) *client.Client {
	tb.Helper()
	cl := client.New(url, "")
	r, err := cl.Login(context.Background(), "", member, testlog.Password)
	if err != nil {
		tb.Fatalf("login %s: %v", member, err)
	}
	return cl.WithToken(r.Token).WithCell(testlog.Cell)
}
