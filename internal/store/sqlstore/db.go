// Package sqlstore is the SQL both stores share, written once in the subset
// of SQL that SQLite and PostgreSQL agree on. Placeholders are written $n and
// rewritten for SQLite; what truly differs (locks, notifications, secrets)
// is left to the store/sqlite and store/postgres packages.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Dialect holds what differs between the databases in the shared SQL.
type Dialect struct {
	Name string
	// Blob is the binary column type.
	Blob string
	// Rebind rewrites $n placeholders, or nil to keep them.
	Rebind func(string) string
	// LockCell is appended to the SELECT that reads a cell's log size inside
	// Append, to serialize appends of one cell across nodes.
	LockCell string
	// Lock and Unlock bracket migrations.
	Lock, Unlock string
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique func(error) bool
	// Prepare runs the hot statements prepared once per pool and kept,
	// multi-row ones in power-of-two row counts (stmts.go): right for
	// SQLite, where parsing is dear and statements cost no round trip.
	Prepare bool
}

// DB implements the shared part of store.Store over database/sql. W is the
// writer pool (one connection for SQLite), R the reader pool.
type DB struct {
	D    Dialect
	W, R *sql.DB

	mu    sync.Mutex
	cache map[string]map[int64]record.Hash // committed tree hashes per cell
	subs  map[int]func(string, int64)
	next  int

	wStmts, rStmts stmtCache // prepared statements per pool (stmts.go)
	texts          sync.Map  // statement texts by recipe (stmts.go)

	Now func() time.Time
}

// New returns the shared store over the given pools.
func New(d Dialect, w, r *sql.DB) *DB {
	return &DB{D: d, W: w, R: r, cache: map[string]map[int64]record.Hash{}, subs: map[int]func(string, int64){}, Now: time.Now}
}

// q rewrites query's placeholders for the dialect, remembering the result:
// every query text is a constant or comes from a small set (stmts.go).
func (s *DB) q(query string) string {
	if s.D.Rebind == nil {
		return query
	}
	if q, ok := s.texts.Load(query); ok {
		return q.(string)
	}
	q := s.D.Rebind(query)
	s.texts.Store(query, q)
	return q
}

// RebindQuestion rewrites $n placeholders for SQLite. When they run $1, $2,
// ... in order, each used once, they become plain ?, bound by position;
// otherwise ?n, SQLite's numbered parameters. Plain ? is not a matter of
// taste: the driver looks up the name of every parameter it binds, and for
// numbered parameters SQLite finds it by a linear search, which makes a
// multi-row INSERT quadratic in its parameters.
func RebindQuestion(q string) string {
	var b strings.Builder
	b.Grow(len(q))
	plain, next := true, 1
	for i := 0; i < len(q); i++ {
		if q[i] != '$' {
			continue
		}
		j := i + 1
		n := 0
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			n = n*10 + int(q[j]-'0')
			j++
		}
		if j == i+1 || n != next {
			plain = false
			break
		}
		next++
		i = j - 1
	}
	if !plain {
		return strings.ReplaceAll(q, "$", "?")
	}
	for i := 0; i < len(q); i++ {
		if q[i] != '$' {
			b.WriteByte(q[i])
			continue
		}
		b.WriteByte('?')
		for i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
			i++
		}
	}
	return b.String()
}

// The cache of committed tree hashes holds up to hashCacheLimit hashes a
// cell. When it fills, hashes below level keepLevel are dropped and the
// upper levels kept: every proof needs a few hashes of each level, and the
// upper ones are shared by many proofs, while a lower one serves the
// proofs of a few neighbouring leaves only. (Levels >= 4 of a tree of n
// leaves hold about n/8 hashes.)
const (
	hashCacheLimit = 1 << 18
	keepLevel      = 4
)

// Cells implements store.Store.
func (s *DB) Cells(ctx context.Context) ([]string, error) {
	rows, err := s.R.QueryContext(ctx, `SELECT id FROM cells ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// CreateCell implements store.Store.
func (s *DB) CreateCell(ctx context.Context, cell, origin string) error {
	_, err := s.W.ExecContext(ctx, s.q(`INSERT INTO cells (id, origin, size) VALUES ($1, $2, 0)`), cell, origin)
	if err != nil && s.D.IsUnique != nil && s.D.IsUnique(err) {
		return fmt.Errorf("cell %q: %w", cell, store.ErrExists)
	}
	return err
}

// Size implements store.Store.
func (s *DB) Size(ctx context.Context, cell string) (int64, error) {
	var n int64
	err := s.R.QueryRowContext(ctx, s.q(`SELECT size FROM cells WHERE id = $1`), cell).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("cell %q: %w", cell, store.ErrNotFound)
	}
	return n, err
}

func scanEntries(rows *sql.Rows) ([]store.StoredEntry, error) {
	defer rows.Close()
	var out []store.StoredEntry
	for rows.Next() {
		var e store.StoredEntry
		var mask int64
		var members string
		if err := rows.Scan(&e.Index, &mask, &members, &e.LeafData); err != nil {
			return nil, err
		}
		e.Mask, e.Members = uint64(mask), decodeMembers(members)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Entries implements store.Store.
func (s *DB) Entries(ctx context.Context, cell string, start, end int64) ([]store.StoredEntry, error) {
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT idx, mask, members, data FROM entries WHERE cell = $1 AND idx >= $2 AND idx < $3 ORDER BY idx`), cell, start, end)
	if err != nil {
		return nil, err
	}
	return scanEntries(rows)
}

// EntriesFor implements store.Store.
func (s *DB) EntriesFor(ctx context.Context, cell string, r store.Reader, after int64, limit int) ([]store.StoredEntry, error) {
	clause, args := readerClause(r, 4)
	rows, err := s.R.QueryContext(ctx, s.q(`SELECT idx, mask, members, data FROM entries WHERE cell = $1 AND idx > $2`+clause+` ORDER BY idx LIMIT $3`), append([]any{cell, after, limit}, args...)...)
	if err != nil {
		return nil, err
	}
	return scanEntries(rows)
}

// readHashes reads hashes through run, consulting overlay (the hashes of
// the batch being appended) and then the cache of committed hashes first:
// stored hashes never change once committed, so the cache is always right,
// also when another node appends.
func (s *DB) readHashes(ctx context.Context, run runner, cell string, indexes []int64, overlay map[int64]record.Hash) ([]record.Hash, error) {
	out := make([]record.Hash, len(indexes))
	var missing []int64
	var pos map[int64][]int
	s.mu.Lock()
	c := s.cache[cell]
	for i, x := range indexes {
		if h, ok := overlay[x]; ok {
			out[i] = h
			continue
		}
		if h, ok := c[x]; ok {
			out[i] = h
			continue
		}
		if pos == nil {
			pos = map[int64][]int{}
		}
		if len(pos[x]) == 0 {
			missing = append(missing, x)
		}
		pos[x] = append(pos[x], i)
	}
	s.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	got := make(map[int64]record.Hash, len(missing))
	args := make([]any, 0, s.maxRows()+1)
	for todo := missing; len(todo) > 0; {
		n := min(len(todo), s.maxRows())
		chunk := todo[:n]
		todo = todo[n:]
		// Padded with repeats of the last index to a power of two, so that
		// few statement texts serve every read.
		args = append(args[:0], cell)
		for _, x := range chunk {
			args = append(args, x)
		}
		for len(args)-1 < padIn(n) {
			args = append(args, chunk[n-1])
		}
		if err := s.scanHashes(ctx, run, cell, args, got); err != nil {
			return nil, err
		}
	}
	if len(got) != len(missing) {
		return nil, fmt.Errorf("cell %s: %d of %d tree hashes missing: %w", cell, len(missing)-len(got), len(missing), store.ErrNotFound)
	}
	for x, h := range got {
		for _, i := range pos[x] {
			out[i] = h
		}
	}
	if overlay == nil { // read outside an append: committed, so cacheable
		s.remember(cell, got)
	}
	return out, nil
}

func (s *DB) scanHashes(ctx context.Context, run runner, cell string, args []any, got map[int64]record.Hash) error {
	rows, err := run.query(ctx, s.inSQL(`SELECT idx, hash FROM hashes WHERE cell = $1 AND idx IN (`, 2, len(args)-1), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x int64
		var h []byte
		if err := rows.Scan(&x, &h); err != nil {
			return err
		}
		if len(h) != len(record.Hash{}) {
			return fmt.Errorf("stored hash %d of cell %s has %d bytes", x, cell, len(h))
		}
		var hh record.Hash
		copy(hh[:], h)
		got[x] = hh
	}
	return rows.Err()
}

func (s *DB) remember(cell string, hs map[int64]record.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cache[cell]
	if c != nil && len(c)+len(hs) > hashCacheLimit {
		for k := range c {
			if level, _ := tlog.SplitStoredHashIndex(k); level < keepLevel {
				delete(c, k)
			}
		}
		if len(c)+len(hs) > hashCacheLimit/2 {
			c = nil // the upper levels alone fill it: start again
		}
	}
	if c == nil {
		c = make(map[int64]record.Hash, len(hs))
		s.cache[cell] = c
	}
	for k, v := range hs {
		c[k] = v
	}
}

// ReadHashes implements store.Store.
func (s *DB) ReadHashes(ctx context.Context, cell string, indexes []int64) ([]record.Hash, error) {
	return s.readHashes(ctx, runner{s: s}, cell, indexes, nil)
}

// PutCheckpoint implements store.Store.
func (s *DB) PutCheckpoint(ctx context.Context, cell string, size int64, note []byte) error {
	_, err := s.W.ExecContext(ctx, s.q(`INSERT INTO checkpoints (cell, size, note) VALUES ($1, $2, $3)
		ON CONFLICT (cell) DO UPDATE SET size = excluded.size, note = excluded.note WHERE checkpoints.size < excluded.size`), cell, size, note)
	return err
}

// Checkpoint implements store.Store.
func (s *DB) Checkpoint(ctx context.Context, cell string) (store.Checkpoint, error) {
	var c store.Checkpoint
	err := s.R.QueryRowContext(ctx, s.q(`SELECT size, note FROM checkpoints WHERE cell = $1`), cell).Scan(&c.Size, &c.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("checkpoint of cell %q: %w", cell, store.ErrNotFound)
	}
	return c, err
}

// PutCosignature implements store.Store.
func (s *DB) PutCosignature(ctx context.Context, cell string, c store.Cosignature) error {
	_, err := s.W.ExecContext(ctx, s.q(`INSERT INTO cosignatures (cell, size, witness, time, line, note) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (cell, size, witness) DO UPDATE SET time = excluded.time, line = excluded.line
		WHERE cosignatures.time < excluded.time`), cell, c.Size, c.Witness, c.Time, c.Line, c.Note)
	return err
}

// Cosignatures implements store.Store.
func (s *DB) Cosignatures(ctx context.Context, cell string, size int64) ([]store.Cosignature, error) {
	return s.cosignatures(ctx, `SELECT size, witness, time, line, note FROM cosignatures
		WHERE cell = $1 AND size = $2 ORDER BY witness`, cell, size)
}

// LatestCosignatures implements store.Store.
func (s *DB) LatestCosignatures(ctx context.Context, cell string) ([]store.Cosignature, error) {
	return s.cosignatures(ctx, `SELECT c.size, c.witness, c.time, c.line, c.note FROM cosignatures c
		WHERE c.cell = $1 AND c.size = (SELECT MAX(d.size) FROM cosignatures d WHERE d.cell = c.cell AND d.witness = c.witness)
		ORDER BY c.witness`, cell)
}

func (s *DB) cosignatures(ctx context.Context, query string, args ...any) ([]store.Cosignature, error) {
	rows, err := s.R.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Cosignature
	for rows.Next() {
		var c store.Cosignature
		if err := rows.Scan(&c.Size, &c.Witness, &c.Time, &c.Line, &c.Note); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LookupIdem implements store.Store.
func (s *DB) LookupIdem(ctx context.Context, cell, key string) (int64, error) {
	var idx int64
	err := s.R.QueryRowContext(ctx, s.q(`SELECT idx FROM idem WHERE cell = $1 AND k = $2`), cell, key).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	return idx, err
}

// Subscribe registers fn for local notices; implementations that span nodes
// call Deliver when a notice arrives from elsewhere.
func (s *DB) Subscribe(fn func(string, int64)) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.next
	s.next++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}

// Deliver passes a notice to every local subscriber.
func (s *DB) Deliver(cell string, size int64) {
	s.mu.Lock()
	fns := make([]func(string, int64), 0, len(s.subs))
	for _, f := range s.subs {
		fns = append(fns, f)
	}
	s.mu.Unlock()
	for _, f := range fns {
		f(cell, size)
	}
}
