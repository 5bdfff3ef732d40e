package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/store/sqlstore"
	"github.com/liaison-cell/liaison/internal/store/storetest"
)

// LIAISON_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	go test -run '^$' -bench . ./internal/store/postgres/

func BenchmarkAppendSigned(b *testing.B) {
	storetest.BenchAppendSigned(b, newTestStore(b))
}

const (
	proofCell = "proofs"
	proofSize = 1_000_000
)

// proofStore opens a store whose cell proofCell holds proofSize entries.
// Building it takes a while, so it is built once into a schema of its own,
// named for the schema version and kept for later runs (drop it with
// DROP SCHEMA ... CASCADE to rebuild).
func proofStore(b *testing.B) *Store {
	b.Helper()
	ctx := context.Background()
	base := baseURL(b)
	schema := fmt.Sprintf("liaison_bench_proofs_v%d_%d", sqlstore.SchemaVersion, proofSize)
	db, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if exists {
		s := openStore(b, withSchema(b, base, schema))
		if n, err := s.Size(ctx, proofCell); err == nil && n == proofSize {
			return s
		}
		b.Fatalf("schema %s holds an incomplete log: drop it", schema)
	}
	// Built under another name and renamed when complete, so that an
	// interrupted build is never mistaken for a finished one.
	tmp := fmt.Sprintf("%s_tmp_%d", schema, time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+tmp); err != nil {
		b.Fatal(err)
	}
	defer db.ExecContext(context.WithoutCancel(ctx), `DROP SCHEMA IF EXISTS `+tmp+` CASCADE`) //nolint:errcheck
	s, err := Open(ctx, withSchema(b, base, tmp))
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
	s.Close()
	b.Logf("built a log of %d entries in %v", proofSize, time.Since(start).Round(time.Second))
	if _, err := db.ExecContext(ctx, `ALTER SCHEMA `+tmp+` RENAME TO `+schema); err != nil {
		b.Fatal(err)
	}
	return openStore(b, withSchema(b, base, schema))
}

func BenchmarkInclusionProof(b *testing.B) {
	storetest.BenchInclusionProof(b, proofStore(b), proofCell, proofSize)
}

func BenchmarkConsistencyProof(b *testing.B) {
	storetest.BenchConsistencyProof(b, proofStore(b), proofCell, proofSize)
}
