package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlstore"
	"github.com/liaison-cell/liaison/internal/store/storetest"
	"github.com/liaison-cell/liaison/internal/testlog"
)

func baseURL(t testing.TB) string { return testlog.PostgresURL(t) }

// withSchema returns base with search_path set to schema.
func withSchema(t testing.TB, base, schema string) string {
	t.Helper()
	u, err := testlog.WithSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// newSchema creates an empty schema, dropped at the end of the test, and
// returns the URL that uses it.
func newSchema(t testing.TB) string { return testlog.PostgresSchema(t, "liaison_test_") }

func openStore(t testing.TB, u string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, u)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newTestStore(t testing.TB) *Store { return openStore(t, newSchema(t)) }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t) })
}

func TestSchemaIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := newTestStore(t), newTestStore(t)
	if err := a.CreateCell(ctx, "c", "o"); err != nil {
		t.Fatal(err)
	}
	if cs, err := b.Cells(ctx); err != nil || len(cs) != 0 {
		t.Errorf("a store in another schema sees cells %q, %v", cs, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	s := openStore(t, u)
	newer := sqlstore.SchemaVersion + 1
	if _, err := s.W.ExecContext(ctx, `UPDATE schema_version SET version = $1`, newer); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, u)
	if err == nil {
		s2.Close()
		t.Fatalf("Open of a database with schema version %d succeeded", newer)
	}
	t.Logf("refused as expected: %v", err)
}

// TestTwoNodes runs two stores on one schema, as two liaison serve nodes
// share one database.
func TestTwoNodes(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	nodes := []*Store{openStore(t, u), openStore(t, u)}
	const cell = "shared"
	if err := nodes[0].CreateCell(ctx, cell, "liaison.test/shared"); err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].CreateCell(ctx, cell, "liaison.test/shared"); err == nil {
		t.Errorf("the second node created the same cell again")
	}

	t.Run("ConcurrentAppends", func(t *testing.T) {
		sg := storetest.NewSigner(t)
		const workers, each = 8, 60
		var mu sync.Mutex
		var idx []int64
		var wg sync.WaitGroup
		errs := make(chan error, 2*workers)
		for n, s := range nodes {
			a := store.NewAppender(s, store.AppenderConfig{MaxBatch: 16})
			defer a.Close()
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						id := fmt.Sprintf("n%d-w%d-%d", n, w, i)
						r, err := a.Append(ctx, cell, sg.Pending(cell, id, storetest.Admit(storetest.Everyone, 1)))
						if err == nil {
							err = r.Err
						}
						if err != nil {
							errs <- fmt.Errorf("%s: %w", id, err)
							return
						}
						// A retry through the other node finds the entry.
						if i%20 == 0 {
							r2, err := nodes[1-n].Append(ctx, cell, []*store.Pending{sg.Pending(cell, id, storetest.Admit(storetest.Everyone, 1))})
							if err != nil || !r2[0].Duplicate || r2[0].Entry.Index != r.Entry.Index {
								errs <- fmt.Errorf("%s: retry on the other node: %+v, %v", id, r2, err)
								return
							}
						}
						mu.Lock()
						idx = append(idx, r.Entry.Index)
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		slices.Sort(idx)
		for i, x := range idx {
			if x != int64(i) {
				t.Fatalf("the %dth smallest index answered is %d: a gap or a duplicate", i, x)
			}
		}
		if len(idx) != 2*workers*each {
			t.Fatalf("%d appends answered", len(idx))
		}
		for _, s := range nodes {
			es, err := storetest.CheckLog(ctx, s, cell)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != len(idx) {
				t.Errorf("log has %d entries, %d appends answered", len(es), len(idx))
			}
		}
	})

	t.Run("NotifyCrossesNodes", func(t *testing.T) {
		got := make(chan int64, 1024)
		c := fmt.Sprintf("cross-%d", time.Now().UnixNano())
		cancel := nodes[1].Subscribe(func(cell string, size int64) {
			if cell == c {
				select {
				case got <- size:
				default:
				}
			}
		})
		defer cancel()
		if err := nodes[0].Notify(ctx, c, 42); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-got:
			if n != 42 {
				t.Errorf("node B received size %d, want 42", n)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("node A's notice never reached node B")
		}
	})

	t.Run("OneLeader", func(t *testing.T) {
		var leaders []int
		for round := range 2 {
			for n, s := range nodes {
				ok, err := s.TryLeader(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if ok && round == 0 {
					leaders = append(leaders, n)
				}
				if ok && !slices.Contains(leaders, n) {
					t.Errorf("round %d: node %d became leader too", round, n)
				}
			}
		}
		if len(leaders) != 1 {
			t.Fatalf("leaders %v, want exactly one", leaders)
		}
		// When the leader goes, the other node takes over.
		nodes[leaders[0]].Close()
		other := nodes[1-leaders[0]]
		deadline := time.Now().Add(30 * time.Second)
		for {
			ok, err := other.TryLeader(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the remaining node never became leader")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestLeaderPerSchema checks that deployments sharing a database in
// different schemas elect their timer leaders independently.
func TestLeaderPerSchema(t *testing.T) {
	ctx := context.Background()
	a, b := newTestStore(t), newTestStore(t)
	for name, s := range map[string]*Store{"a": a, "b": b} {
		if ok, err := s.TryLeader(ctx); err != nil || !ok {
			t.Errorf("node %s, alone in its schema: TryLeader = %v, %v", name, ok, err)
		}
	}
}

// A database written before migration 4 gives each object its entry's
// audience mask.
func TestMigrationMasksObjects(t *testing.T) {
	u := newSchema(t)
	storetest.MigrateMasks(t, openStore(t, u), func(s store.Store) store.Store {
		s.Close()
		db, err := sql.Open("pgx", u)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range storetest.Version3 {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return openStore(t, u)
	})
}
