package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store/postgres"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// pgDemo seeds the demo cell into a schema of its own in the database
// $LIAISON_TEST_POSTGRES names, and returns the URL that uses it and a
// handle to tamper with it.
func pgDemo(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dbURL := testlog.PostgresSchema(t, "liaison_cli_test_")

	ctx := context.Background()
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	led, err := newLedger(st, testlog.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer led.Close()
	s := &seed.Seeder{Ledger: led, Store: st, Password: auth.TestParams}
	if _, err := s.Demo(ctx, filepath.Join(t.TempDir(), "keys"), testlog.Password, cell.Settings{}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dbURL, db
}

func TestStoreVerbsPostgres(t *testing.T) {
	dbURL, db := pgDemo(t)
	c := newCLI(t)
	mustContain(t, "verify --db", c.ok("", "verify", "--db", dbURL), "verified", "postgres:", "stored hashes")
	mustContain(t, "rebuild --db", c.ok("", "rebuild", "--db", dbURL), "the stored projections match the log")

	if _, err := db.Exec(`UPDATE objects SET updated = updated + 1 WHERE kind = 'member' AND id = 'sy.duty'`); err != nil {
		t.Fatal(err)
	}
	code, out, _ := c.run("", "rebuild", "--db", dbURL)
	if code == 0 {
		t.Fatal("rebuild of a tampered projection succeeded")
	}
	mustContain(t, "rebuild of a tampered projection", out, "different member/sy.duty: updated")
	c.ok("", "rebuild", "--db", dbURL, "--apply")
	c.ok("", "rebuild", "--db", dbURL)

	res, err := db.Exec(`UPDATE entries SET data = convert_to(replace(convert_from(data, 'UTF8'), '"party":""', '"party":"sy"'), 'UTF8') WHERE idx = 25`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tampered with %d rows", n)
	}
	mustContain(t, "verify --db of a tampered log", c.fail("", "verify", "--db", dbURL), "entry 25: leaf data does not hash to leaf 25")
}
