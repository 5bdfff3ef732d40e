package ledger_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

// A registry's followers see the committed log: when the ledger opens a
// cell (what the store already holds) and after every commit, before the
// next batch is decided, with a view that holds what was committed.
func TestFollowersSeeEveryCommit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := filepath.Join(t.TempDir(), "data")
	open := func(f cell.Follower) (*ledger.Ledger, store.Store) {
		st, err := sqlite.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		reg := cell.NewRegistry()
		reg.Follow(f)
		led, err := ledger.New(ledger.Config{Store: st, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		return led, st
	}
	var mu sync.Mutex
	var sizes []int64
	follow := func(ctx context.Context, cellID string, v store.View, size int64) error {
		if _, err := cell.GetInfo(ctx, v); err != nil && size > 0 {
			t.Errorf("at size %d the follower's view lacks the cell: %v", size, err)
		}
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, size)
		return nil
	}
	led, st := open(follow)
	if err := led.Create(ctx, "c", "Cell", "", cell.Settings{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Cell A", "Cell B"} {
		if _, err := led.SubmitServer(ctx, "c", cell.KindCellRename, map[string]any{"name": name}); err != nil {
			t.Fatal(err)
		}
	}
	led.Close()
	st.Close()
	mu.Lock()
	if want := []int64{0, 1, 2, 3}; !slices.Equal(sizes, want) {
		t.Errorf("followed sizes %v, want %v", sizes, want)
	}
	sizes = nil
	mu.Unlock()

	// Reopened, the ledger hands followers what the store holds.
	led, st = open(follow)
	defer st.Close()
	defer led.Close()
	if _, err := led.OpenAll(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(sizes, []int64{3}) {
		t.Errorf("on opening, followed sizes %v, want [3]", sizes)
	}
}

// A cell opened read-only (a party's mirror) answers its keys and refuses
// every write, the server's own included: nothing enters a replica but
// what its mirror verified.
func TestOpenReadOnlyRefusesWrites(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "replica"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateCell(ctx, "c", "liaison.test/c"); err != nil {
		t.Fatal(err)
	}
	_, vkey, err := record.NewNoteKey("liaison.test/c")
	if err != nil {
		t.Fatal(err)
	}
	led, err := ledger.New(ledger.Config{Store: st, Registry: cell.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	if err := led.OpenReadOnly(ctx, "c", vkey); err != nil {
		t.Fatal(err)
	}
	if got, err := led.VerifierKey("c"); err != nil || got != vkey {
		t.Errorf("VerifierKey = %q, %v", got, err)
	}
	if got, err := led.Origin("c"); err != nil || got != "liaison.test/c" {
		t.Errorf("Origin = %q, %v", got, err)
	}
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	env := record.Sign("message.send", []byte(`{"id":"1","time":"2026-01-01T00:00:00Z","cell":"c"}`), k.Private)
	if _, err := led.Submit(ctx, "c", "m", env); !errors.Is(err, ledger.ErrReadOnly) {
		t.Errorf("Submit = %v, want ErrReadOnly", err)
	}
	if _, err := led.SubmitServer(ctx, "c", "member.signin_alert", nil); !errors.Is(err, ledger.ErrReadOnly) {
		t.Errorf("SubmitServer = %v, want ErrReadOnly", err)
	}
	if err := led.SignCheckpoint(ctx, "c"); !errors.Is(err, ledger.ErrReadOnly) {
		t.Errorf("SignCheckpoint = %v, want ErrReadOnly", err)
	}
	if n, _ := st.Size(ctx, "c"); n != 0 {
		t.Errorf("the replica grew to %d", n)
	}
}
