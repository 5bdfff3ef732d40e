package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlstore"
	"github.com/liaison-cell/liaison/internal/store/storetest"
)

func newTestStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t, t.TempDir()) })
}

func TestSecretFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := newTestStore(t, dir)
	ctx := context.Background()
	if err := s.PutSecret(ctx, "note-key", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		dir:                           0o700 | os.ModeDir,
		filepath.Join(dir, "secrets"): 0o700 | os.ModeDir,
		filepath.Join(dir, "secrets", "note-key"): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
		}
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden", `a\b`} {
		if err := s.PutSecret(ctx, bad, []byte("x")); err == nil {
			t.Errorf("PutSecret(%q) succeeded", bad)
		}
	}
}

func TestOpenTightensDirMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	newTestStore(t, dir)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory has mode %v after Open, want 0700", fi.Mode().Perm())
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	sg := storetest.NewSigner(t)
	if err := s.CreateCell(ctx, "c", "liaison.test/c"); err != nil {
		t.Fatal(err)
	}
	var batch []*store.Pending
	for i := range 10 {
		batch = append(batch, sg.Pending("c", strconv.Itoa(i), storetest.Admit(storetest.Everyone, 0b11,
			store.Change{Kind: "k", ID: strconv.Itoa(i), Doc: []byte(`{}`)})))
	}
	rs, err := s.Append(ctx, "c", batch)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutCheckpoint(ctx, "c", 10, []byte("note")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSecret(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCredential(ctx, store.Credential{Cell: "c", Member: "m", Username: "u", Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = newTestStore(t, dir)
	es, err := storetest.CheckLog(ctx, s, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 10 {
		t.Fatalf("reopened log has %d entries, want 10", len(es))
	}
	for i, e := range es {
		if string(e.LeafData) != string(rs[i].LeafData) || e.Mask != 0b11 {
			t.Errorf("entry %d changed across reopening", i)
		}
	}
	if idx, err := s.LookupIdem(ctx, "c", "7"); err != nil || idx != 7 {
		t.Errorf("LookupIdem after reopening = %d, %v", idx, err)
	}
	if objs, err := s.Projection(ctx, "c"); err != nil || len(objs) != 10 {
		t.Errorf("projection after reopening: %d objects, %v", len(objs), err)
	}
	if cp, err := s.Checkpoint(ctx, "c"); err != nil || cp.Size != 10 {
		t.Errorf("checkpoint after reopening: %+v, %v", cp, err)
	}
	if v, err := s.Secret(ctx, "k"); err != nil || string(v) != "v" {
		t.Errorf("secret after reopening: %q, %v", v, err)
	}
	if c, err := s.CredentialByUsername(ctx, "c", "u"); err != nil || c.Member != "m" {
		t.Errorf("credential after reopening: %+v, %v", c, err)
	}
	// The log continues where it stopped.
	r, err := s.Append(ctx, "c", []*store.Pending{sg.Pending("c", "next", storetest.Admit(storetest.Everyone, 1))})
	if err != nil || r[0].Err != nil || r[0].Entry.Index != 10 {
		t.Fatalf("append after reopening: %+v, %v", r, err)
	}
	if _, err := storetest.CheckLog(ctx, s, "c"); err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	newer := sqlstore.SchemaVersion + 1
	if _, err := db.Exec(`UPDATE schema_version SET version = ?`, newer); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = Open(ctx, dir)
	if err == nil {
		s.Close()
		t.Fatalf("Open of a database with schema version %d succeeded", newer)
	}
	msg := err.Error()
	if !strings.Contains(msg, strconv.Itoa(newer)) || !strings.Contains(msg, "newer") {
		t.Errorf("error %q does not say the schema version %d is newer", msg, newer)
	}
}

// A database written before migration 3 (tree hashes in a rowid table)
// opens with its log intact and its hashes clustered by key.
func TestMigrationClustersHashes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCell(ctx, "c", "liaison.test/c"); err != nil {
		t.Fatal(err)
	}
	sg := storetest.NewSigner(t)
	var batch []*store.Pending
	for i := range 37 {
		batch = append(batch, sg.Pending("c", strconv.Itoa(i), storetest.Admit(storetest.Everyone, 1)))
	}
	if _, err := s.Append(ctx, "c", batch); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Back to version 2's table.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "liaison.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE hashes_v2 (cell TEXT NOT NULL, idx BIGINT NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (cell, idx))`,
		`INSERT INTO hashes_v2 SELECT cell, idx, hash FROM hashes`,
		`DROP TABLE hashes`,
		`ALTER TABLE hashes_v2 RENAME TO hashes`,
		`DROP TABLE cosignatures`,
		`ALTER TABLE objects DROP COLUMN members`,
		`ALTER TABLE entries DROP COLUMN members`,
		`ALTER TABLE objects DROP COLUMN mask`,
		`DROP TABLE object_keys`,
		`UPDATE schema_version SET version = 2`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s = newTestStore(t, dir)
	es, err := storetest.CheckLog(ctx, s, "c")
	if err != nil || len(es) != 37 {
		t.Fatalf("log after migration: %d entries, %v", len(es), err)
	}
	db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "liaison.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ddl string
	var version int
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'hashes'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT version FROM schema_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "WITHOUT ROWID") || version != sqlstore.SchemaVersion {
		t.Errorf("after migration: version %d, hashes table %q", version, ddl)
	}
}

// A database written before migration 4 gives each object its entry's
// audience mask.
func TestMigrationMasksObjects(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MigrateMasks(t, s, func(s store.Store) store.Store {
		s.Close()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "liaison.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for _, q := range storetest.Version3 {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return newTestStore(t, dir)
	})
}
