// Package testlog builds real cell logs on disk for tests — the demo cell,
// written through the ledger into a SQLite data directory — and tampers
// with them the way a dishonest operator could: editing rows behind the
// server's back, or rewriting the whole log and re-signing its checkpoint
// with the cell's own note key.
package testlog

import (
	"context"
	"database/sql"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite" // the "sqlite" driver, for tampering

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

// Password is the password of every demo member.
const Password = "correct horse battery staple"

// Cell is the demo cell's id.
const Cell = seed.DemoCell

// Demo is a demo cell in a data directory.
type Demo struct {
	Dir    string // SQLite data directory
	KeyDir string // device keys, <member>.key
}

// Key reads a demo member's device key.
func (d *Demo) Key(tb testing.TB, member string) *record.DeviceKey {
	tb.Helper()
	k, err := record.ReadDeviceKey(filepath.Join(d.KeyDir, member+".key"))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// NoteSigner returns the cell's checkpoint signer, as a thief of the
// cell's key (or a rogue node) would hold it: to sign another history.
func (d *Demo) NoteSigner(tb testing.TB) note.Signer {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), d.Dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	skey, err := st.Secret(context.Background(), Cell+".note.key")
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(string(skey))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Registry holds the commands of every domain, as the server's does.
func Registry() *cell.Registry { return desks.Registry() }

var template struct {
	once sync.Once
	dir  string
	err  error
}

// NewDemo returns a copy of the demo cell in a fresh data directory; the
// store is closed, so that the test may open it or tamper with it. Every
// copy holds the same log and keys: seeding runs once per test binary
// (TestMain should call Main to remove it at the end).
func NewDemo(tb testing.TB) *Demo {
	tb.Helper()
	template.once.Do(func() {
		template.dir, template.err = os.MkdirTemp("", "liaison-testlog-")
		if template.err == nil {
			template.err = seedDemo(filepath.Join(template.dir, "data"))
		}
	})
	if template.err != nil {
		tb.Fatalf("seeding the demo: %v", template.err)
	}
	d := &Demo{Dir: filepath.Join(tb.TempDir(), "data")}
	d.KeyDir = filepath.Join(d.Dir, "demo-keys")
	if err := os.CopyFS(d.Dir, os.DirFS(filepath.Join(template.dir, "data"))); err != nil {
		tb.Fatal(err)
	}
	// CopyFS makes files 0644 and directories 0777 less umask; the store
	// and its secrets are the operator's alone.
	err := filepath.WalkDir(d.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return os.Chmod(p, 0o700)
		}
		return os.Chmod(p, 0o600)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// NewFreshDemo seeds a demo cell of its own, with its own keys.
func NewFreshDemo(tb testing.TB) *Demo {
	tb.Helper()
	d := &Demo{Dir: filepath.Join(tb.TempDir(), "data")}
	d.KeyDir = filepath.Join(d.Dir, "demo-keys")
	if err := seedDemo(d.Dir); err != nil {
		tb.Fatal(err)
	}
	return d
}

// Main runs the tests and removes the seeded template. It silences the
// default logger, which the demo's seeding logs escalations to.
func Main(m *testing.M) {
	slog.SetDefault(Quiet())
	code := m.Run()
	if template.dir != "" {
		os.RemoveAll(template.dir)
	}
	os.Exit(code)
}

func seedDemo(dir string) error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	led, err := ledger.New(ledger.Config{Store: st, Registry: Registry(), Logger: Quiet()})
	if err != nil {
		return err
	}
	defer led.Close()
	s := &seed.Seeder{Ledger: led, Store: st, Password: auth.TestParams}
	_, err = s.Demo(ctx, filepath.Join(dir, "demo-keys"), Password, cell.Settings{})
	return err
}

// Size returns the number of entries of the demo cell's log.
func (d *Demo) Size(tb testing.TB) int64 {
	tb.Helper()
	return int64(len(d.Entries(tb)))
}

// Quiet is a logger that drops everything.
func Quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// DB opens the demo's SQLite database directly, for tampering.
func (d *Demo) DB(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", filepath.Join(d.Dir, "liaison.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Exec runs a statement on the demo's database.
func (d *Demo) Exec(tb testing.TB, query string, args ...any) {
	tb.Helper()
	db := d.DB(tb)
	if _, err := db.Exec(query, args...); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	db.Close()
}

// Entries reads the leaf data of every entry of the demo cell, in order.
func (d *Demo) Entries(tb testing.TB) [][]byte {
	tb.Helper()
	db := d.DB(tb)
	defer db.Close()
	rows, err := db.Query(`SELECT data FROM entries WHERE cell = ? ORDER BY idx`, Cell)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Entry parses entry i.
func (d *Demo) Entry(tb testing.TB, i int) *record.Entry {
	tb.Helper()
	e, err := record.ParseEntry(d.Entries(tb)[i])
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// Rewrite replaces the whole log with the entries edit returns — their
// rows, every stored tree hash, the size — and signs a checkpoint of the
// new log with the cell's note key, as an operator holding the server's
// secrets could. Only a verifier that saw the log before can tell.
func (d *Demo) Rewrite(tb testing.TB, edit func(entries [][]byte) [][]byte) {
	tb.Helper()
	entries := edit(d.Entries(tb))
	db := d.DB(tb)
	defer db.Close()
	masks := map[int]int64{}    // keep each index's audience mask
	members := map[int]string{} // and the members it names
	rows, err := db.Query(`SELECT idx, mask, members FROM entries WHERE cell = ?`, Cell)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var i int
		var m int64
		var ms string
		if err := rows.Scan(&i, &m, &ms); err != nil {
			tb.Fatal(err)
		}
		masks[i], members[i] = m, ms
	}
	rows.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	must := func(_ sql.Result, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(tx.Exec(`DELETE FROM entries WHERE cell = ?`, Cell))
	must(tx.Exec(`DELETE FROM hashes WHERE cell = ?`, Cell))
	var hashes []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i, data := range entries {
		mask, ok := masks[i]
		if !ok {
			mask = -1
		}
		must(tx.Exec(`INSERT INTO entries (cell, idx, mask, members, data) VALUES (?, ?, ?, ?, ?)`, Cell, i, mask, members[i], data))
		hs, err := tlog.StoredHashes(int64(i), data, hr)
		if err != nil {
			tb.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	for x, h := range hashes {
		must(tx.Exec(`INSERT INTO hashes (cell, idx, hash) VALUES (?, ?, ?)`, Cell, x, h[:]))
	}
	n := int64(len(entries))
	must(tx.Exec(`UPDATE cells SET size = ? WHERE id = ?`, n, Cell))
	var origin string
	if err := tx.QueryRow(`SELECT origin FROM cells WHERE id = ?`, Cell).Scan(&origin); err != nil {
		tb.Fatal(err)
	}
	skey, err := os.ReadFile(filepath.Join(d.Dir, "secrets", Cell+".note.key"))
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := note.NewSigner(string(skey))
	if err != nil {
		tb.Fatal(err)
	}
	root, err := tlog.TreeHash(n, hr)
	if err != nil {
		tb.Fatal(err)
	}
	msg, err := record.SignCheckpoint(record.Checkpoint{Origin: origin, Size: n, Root: root}, signer)
	if err != nil {
		tb.Fatal(err)
	}
	must(tx.Exec(`UPDATE checkpoints SET size = ?, note = ? WHERE cell = ?`, n, msg, Cell))
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// Resign returns entry data with the envelope replaced by one over the same
// payload signed by priv, and the entry's key id set to priv's: a validly
// encoded entry that the key's owner never made.
func Resign(tb testing.TB, data []byte, key *record.DeviceKey) []byte {
	tb.Helper()
	e, err := record.ParseEntry(data)
	if err != nil {
		tb.Fatal(err)
	}
	e.Envelope = record.Sign(e.Envelope.Kind(), e.Envelope.Payload, key.Private)
	e.KeyID = key.ID()
	return e.Bytes()
}
