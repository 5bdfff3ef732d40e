package mirror

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the mirror's own database

	"github.com/liaison-cell/liaison/internal/record"
)

// db is what a mirror keeps in its data directory: every leaf hash and
// the tree above them (as tlog stores it), the entries its member may
// read, every checkpoint it verified, the alarms it raised with the
// two signed checkpoints that prove each, and the outbox of its members'
// writes (outbox.go).
type db struct{ sql *sql.DB }

const schema = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hashes (idx INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, note BLOB NOT NULL, verified INTEGER NOT NULL, cosigned INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS alarms (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL, held BLOB NOT NULL, seen BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: the order writes are sent in
	member TEXT NOT NULL, kind TEXT NOT NULL, idem TEXT NOT NULL,
	queued INTEGER NOT NULL, -- Unix milliseconds, as are last_try and done
	state TEXT NOT NULL DEFAULT 'waiting',
	tries INTEGER NOT NULL DEFAULT 0, last_try INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',
	done INTEGER NOT NULL DEFAULT 0, entry INTEGER NOT NULL DEFAULT -1,
	status INTEGER NOT NULL DEFAULT 0, problem TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
	envelope BLOB NOT NULL,
	UNIQUE (member, idem)
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
`

func openDB(dir string) (*db, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "mirror.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, err
	}
	s.SetMaxOpenConns(1) // one writer; the mirror is one loop
	if _, err := s.Exec(schema); err != nil {
		s.Close()
		return nil, fmt.Errorf("mirror database: %w", err)
	}
	if err := migrate(s); err != nil {
		s.Close()
		return nil, fmt.Errorf("mirror database %s: %w", filepath.Join(dir, "mirror.db"), err)
	}
	return &db{sql: s}, nil
}

// migrations change the tables schema made, in order, each once and in
// its own transaction; the database's user_version counts those applied,
// so a mirror.db made by an older binary opens with what it holds, and
// one made by a newer binary is refused rather than misread.
var migrations = []string{
	// 1: the outbox also keeps members' uploads (kind attachment.upload),
	// whose bytes wait in DIR/blobs: the file's hash, size and type, and
	// no envelope.
	`ALTER TABLE outbox ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN content_type TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_blob ON outbox (sha256) WHERE sha256 <> '';`,
	// 2: the vouches, which the outbox reads for every write signed by a
	// key the log does not hold yet, are found without reading every
	// landed write kept beside them.
	`CREATE INDEX outbox_vouch ON outbox (seq) WHERE kind = 'key.vouch';`,
}

func migrate(s *sql.DB) error {
	var v int
	if err := s.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("its schema is version %d, newer than this binary's %d: open it with the binary that made it", v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		tx, err := s.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(migrations[v]); err != nil {
			tx.Rollback() //nolint:errcheck
			return fmt.Errorf("migration %d: %w", v+1, err)
		}
		if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, v+1)); err != nil {
			tx.Rollback() //nolint:errcheck
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func (d *db) close() error { return d.sql.Close() }

func (d *db) meta(ctx context.Context, k string) (string, error) {
	var v string
	err := d.sql.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = ?`, k).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

func setMeta(ctx context.Context, tx *sql.Tx, k, v string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v`, k, v)
	return err
}

// held returns the largest checkpoint verified, or nil.
func (d *db) held(ctx context.Context) ([]byte, error) {
	var note []byte
	err := d.sql.QueryRowContext(ctx, `SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1`).Scan(&note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return note, err
}

// checkpointAt returns the verified checkpoint of size n, or nil.
func (d *db) checkpointAt(ctx context.Context, n int64) ([]byte, error) {
	var note []byte
	err := d.sql.QueryRowContext(ctx, `SELECT note FROM checkpoints WHERE size = ?`, n).Scan(&note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return note, err
}

// readHashes implements tlog.HashReader over the stored tree and, first,
// the hashes of a batch not yet committed.
type hashReader struct {
	ctx     context.Context
	d       *db
	pending map[int64]record.Hash
}

func (r *hashReader) ReadHashes(idx []int64) ([]record.Hash, error) {
	out := make([]record.Hash, len(idx))
	for i, x := range idx {
		if h, ok := r.pending[x]; ok {
			out[i] = h
			continue
		}
		var b []byte
		if err := r.d.sql.QueryRowContext(r.ctx, `SELECT hash FROM hashes WHERE idx = ?`, x).Scan(&b); err != nil {
			return nil, fmt.Errorf("stored hash %d: %w", x, err)
		}
		copy(out[i][:], b)
	}
	return out, nil
}

func (d *db) entries(ctx context.Context, after int64, limit int) ([][]byte, []int64, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT idx, data FROM entries WHERE idx > ? ORDER BY idx LIMIT ?`, after, limit)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var data [][]byte
	var idx []int64
	for rows.Next() {
		var i int64
		var b []byte
		if err := rows.Scan(&i, &b); err != nil {
			return nil, nil, err
		}
		data, idx = append(data, b), append(idx, i)
	}
	return data, idx, rows.Err()
}

// Alarm is a misbehaviour of the cell a mirror caught, with the two
// signed checkpoints that prove it.
type Alarm struct {
	ID     int64
	At     int64 // Unix seconds
	Kind   string
	Detail string
	// Held is the checkpoint the mirror had verified; Seen the one that
	// contradicts it (signed by the cell's key, perhaps cosigned).
	Held, Seen []byte
}

func (d *db) addAlarm(ctx context.Context, a Alarm) error {
	_, err := d.sql.ExecContext(ctx, `INSERT INTO alarms (at, kind, detail, held, seen) VALUES (?, ?, ?, ?, ?)`, a.At, a.Kind, a.Detail, a.Held, a.Seen)
	return err
}

func (d *db) alarms(ctx context.Context) ([]Alarm, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, at, kind, detail, held, seen FROM alarms ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Alarm
	for rows.Next() {
		var a Alarm
		if err := rows.Scan(&a.ID, &a.At, &a.Kind, &a.Detail, &a.Held, &a.Seen); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
