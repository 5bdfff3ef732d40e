package testlog

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// PostgresEnv names the variable that points the tests at a PostgreSQL
// database, for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const PostgresEnv = "LIAISON_TEST_POSTGRES"

// PostgresURL returns $LIAISON_TEST_POSTGRES, or skips the test with a
// message that says how to run it.
func PostgresURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		tb.Skipf("PostgreSQL test skipped: set %s to a database URL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", PostgresEnv)
	}
	return u
}

// PostgresSchema gives the test an empty schema of its own, named prefix
// and a random suffix and dropped when the test ends, and returns the URL
// that uses it. Without $LIAISON_TEST_POSTGRES it skips the test.
func PostgresSchema(tb testing.TB, prefix string) string {
	tb.Helper()
	base := PostgresURL(tb)
	b := make([]byte, 6)
	rand.Read(b)
	schema := prefix + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := WithSearchPath(base, schema)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// WithSearchPath returns the database URL base with search_path set to
// schema, a runtime parameter pgx passes to the server on every connection.
func WithSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%s: %w", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
