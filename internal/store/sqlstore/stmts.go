package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// How statements run. SQLite (the pure-Go build especially) spends longer
// parsing a multi-row INSERT than running it, and a proof's one query is
// mostly parsing too, while a statement costs no round trip: with
// Dialect.Prepare the hot paths run statements prepared once per pool and
// kept, multi-row ones built for power-of-two row counts only so that a few
// texts serve every batch. PostgreSQL is the other way round: every
// statement is a round trip, and pgx keeps prepared statements per
// connection itself; so each chunk of rows is one statement of its exact
// size, run directly.

// Rows in one multi-row statement (and values in one IN list), at most: with
// at most 8 parameters a row both stay far below the databases' parameter
// limits.
const (
	maxRowsPrepared = 64
	maxRowsDirect   = 512
)

// maxStmts bounds each pool's cache; texts beyond it run unprepared.
const maxStmts = 256

func (s *DB) maxRows() int {
	if s.D.Prepare {
		return maxRowsPrepared
	}
	return maxRowsDirect
}

// chunkRows returns the row count of the next statement for n remaining rows.
func (s *DB) chunkRows(n int) int {
	m := min(n, s.maxRows())
	if !s.D.Prepare {
		return m
	}
	k := 1
	for k*2 <= m {
		k *= 2
	}
	return k
}

// padIn returns the length to which an IN list of n values (n <= maxRows)
// is padded, by repeating a value: the next power of two, so that a few
// statement texts serve every list.
func padIn(n int) int {
	k := 1
	for k < n {
		k *= 2
	}
	return k
}

type stmtCache struct {
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	want  map[string]bool // asked for inside a transaction, to prepare after it
}

// txStmt returns a statement for query bound to tx. A statement not yet
// prepared on the writer pool is prepared on tx for this once and noted, for
// prepareWanted to prepare on the pool after the transaction: preparing on
// the pool now would wait for a connection, and SQLite's writer pool has
// only the one tx holds.
func (s *DB) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	c := &s.wStmts
	c.mu.Lock()
	st := c.stmts[query]
	if st == nil && len(c.stmts)+len(c.want) < maxStmts {
		if c.want == nil {
			c.want = map[string]bool{}
		}
		c.want[query] = true
	}
	c.mu.Unlock()
	if st != nil {
		return tx.StmtContext(ctx, st), nil
	}
	return tx.PrepareContext(ctx, query)
}

// prepareWanted prepares on the writer pool the statements txStmt noted.
// Call it outside any transaction. Failures only leave them unprepared.
func (s *DB) prepareWanted(ctx context.Context) {
	c := &s.wStmts
	c.mu.Lock()
	var qs []string
	for q := range c.want {
		qs = append(qs, q)
	}
	c.want = nil
	c.mu.Unlock()
	for _, q := range qs {
		st, err := s.W.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if c.stmts == nil {
			c.stmts = map[string]*sql.Stmt{}
		}
		if c.stmts[q] == nil {
			c.stmts[q], st = st, nil
		}
		c.mu.Unlock()
		if st != nil {
			st.Close()
		}
	}
}

// readStmt returns a statement for query prepared on the reader pool,
// preparing it on first use, or nil when it cannot be cached.
func (s *DB) readStmt(ctx context.Context, query string) *sql.Stmt {
	c := &s.rStmts
	c.mu.Lock()
	st, full := c.stmts[query], len(c.stmts) >= maxStmts
	c.mu.Unlock()
	if st != nil || full {
		return st
	}
	st, err := s.R.PrepareContext(ctx, query)
	if err != nil {
		return nil // the caller's unprepared query reports the error
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.stmts[query]; old != nil {
		st.Close()
		return old
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
	return st
}

// valuesSQL returns prefix followed by rows groups of width $n
// placeholders, "($1,$2),($3,$4)", then suffix, rebound for the dialect.
func (s *DB) valuesSQL(prefix, suffix string, width, rows int) string {
	key := prefix + "\x00" + suffix + "\x00" + strconv.Itoa(width) + "\x00" + strconv.Itoa(rows)
	if q, ok := s.texts.Load(key); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString(prefix)
	n := 1
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range width {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
	b.WriteString(suffix)
	q := s.q(b.String())
	s.texts.Store(key, q)
	return q
}

// inSQL returns prefix followed by an IN list of n placeholders starting
// at $first and a closing parenthesis, rebound for the dialect.
func (s *DB) inSQL(prefix string, first, n int) string {
	key := "in\x00" + prefix + "\x00" + strconv.Itoa(first) + "\x00" + strconv.Itoa(n)
	if q, ok := s.texts.Load(key); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString(prefix)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(first + i))
	}
	b.WriteByte(')')
	q := s.q(b.String())
	s.texts.Store(key, q)
	return q
}

// runner runs statements through the caches: inside tx when it is set, on
// the reader pool otherwise.
type runner struct {
	s  *DB
	tx *sql.Tx
}

func (r runner) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !r.s.D.Prepare {
		if r.tx != nil {
			return r.tx.QueryContext(ctx, query, args...)
		}
		return r.s.R.QueryContext(ctx, query, args...)
	}
	if r.tx != nil {
		st, err := r.s.txStmt(ctx, r.tx, query)
		if err != nil {
			return nil, err
		}
		return st.QueryContext(ctx, args...)
	}
	if st := r.s.readStmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.s.R.QueryContext(ctx, query, args...)
}

func (r runner) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if !r.s.D.Prepare {
		if r.tx != nil {
			return r.tx.QueryRowContext(ctx, query, args...)
		}
		return r.s.R.QueryRowContext(ctx, query, args...)
	}
	if r.tx != nil {
		st, err := r.s.txStmt(ctx, r.tx, query)
		if err != nil {
			return r.tx.QueryRowContext(ctx, query, args...) // reports the same error
		}
		return st.QueryRowContext(ctx, args...)
	}
	if st := r.s.readStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.s.R.QueryRowContext(ctx, query, args...)
}

// exec runs a statement in the transaction.
func (r runner) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !r.s.D.Prepare {
		return r.tx.ExecContext(ctx, query, args...)
	}
	st, err := r.s.txStmt(ctx, r.tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}
