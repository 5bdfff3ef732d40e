package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/store/sqlstore"
	"github.com/liaison-cell/liaison/internal/store/storetest"
)

// go test -run '^$' -bench . ./internal/store/sqlite/

func BenchmarkAppendSigned(b *testing.B) {
	storetest.BenchAppendSigned(b, newTestStore(b, b.TempDir()))
}

const (
	proofCell = "proofs"
	proofSize = 1_000_000
)

// proofStore opens a store whose cell proofCell holds proofSize entries.
// Building it takes a while, so it is built once into a directory under
// os.TempDir(), keyed by schema version, and reused by later runs.
func proofStore(b *testing.B) *Store {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("liaison-bench-proofs-v%d-%d", sqlstore.SchemaVersion, proofSize))
	if _, err := os.Stat(dir); err == nil {
		s := newTestStore(b, dir)
		if n, err := s.Size(ctx, proofCell); err == nil && n == proofSize {
			return s
		}
		b.Fatalf("%s holds an incomplete log: remove it", dir)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", dir, os.Getpid())
	defer os.RemoveAll(tmp)
	s, err := Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := s.CreateCell(ctx, proofCell, "liaison.test/proofs"); err != nil {
		b.Fatal(err)
	}
	if err := storetest.FillLog(ctx, s, proofCell, proofSize, 5000); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a log of %d entries in %v", proofSize, time.Since(start).Round(time.Second))
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
	return newTestStore(b, dir)
}

func BenchmarkInclusionProof(b *testing.B) {
	storetest.BenchInclusionProof(b, proofStore(b), proofCell, proofSize)
}

func BenchmarkConsistencyProof(b *testing.B) {
	storetest.BenchConsistencyProof(b, proofStore(b), proofCell, proofSize)
}
