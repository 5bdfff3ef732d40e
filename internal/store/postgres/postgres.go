// Package postgres is the store for deployments that outgrow one machine:
// several stateless nodes share one PostgreSQL database. Appends of a cell
// are serialized by a row lock, live notices cross nodes with LISTEN/NOTIFY,
// and an advisory lock elects the one node that runs timers.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlstore"
)

const (
	channel      = "liaison_log"
	migrateLock  = 7_246_001
	timersLockID = 7_246_002
)

// Store is the PostgreSQL store.
type Store struct {
	*sqlstore.DB
	url    string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	leader *sql.Conn

	bg        context.Context // ends at Close
	analyzing atomic.Bool
	analyzed  sync.Map // cell → log size at the last ANALYZE this node ran

	// Notices for other nodes wait here for the notifier goroutine: the
	// appending writer must not wait a round trip for pg_notify.
	notifyMu   sync.Mutex
	toNotify   map[string]int64
	notifyKick chan struct{}
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url, migrates it and starts listening
// for other nodes' notices.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	d := sqlstore.Dialect{
		Name:     "postgres",
		Blob:     "BYTEA",
		LockCell: " FOR UPDATE",
		Lock:     "SELECT pg_advisory_lock(" + strconv.Itoa(migrateLock) + ")",
		Unlock:   "SELECT pg_advisory_unlock(" + strconv.Itoa(migrateLock) + ")",
		IsUnique: isUnique,
	}
	s := &Store{DB: sqlstore.New(d, db, db), url: url, toNotify: map[string]int64{}, notifyKick: make(chan struct{}, 1)}
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.bg = cancel, lctx
	ready := make(chan struct{})
	s.wg.Add(2)
	go s.listen(lctx, ready)
	go s.notifier(lctx)
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
	}
	return s, nil
}

// Append implements store.Store, and keeps the planner's statistics of the
// log's tables current while a log grows. Without statistics (a young
// table, or autovacuum off) PostgreSQL plans the idempotency lookup as a
// scan of all the cell's keys, and prepared statements keep such a plan
// once made; an ANALYZE each time a log doubles (from 1024 entries) costs
// little and makes the server plan again.
func (s *Store) Append(ctx context.Context, cell string, batch []*store.Pending) ([]store.Result, error) {
	rs, err := s.DB.Append(ctx, cell, batch)
	if err != nil {
		return rs, err
	}
	var size int64
	for _, r := range rs {
		if r.Err == nil && r.Entry != nil {
			size = max(size, r.Entry.Index+1)
		}
	}
	last, _ := s.analyzed.LoadOrStore(cell, int64(0))
	if size >= 1024 && size >= 2*last.(int64) && s.bg.Err() == nil && s.analyzing.CompareAndSwap(false, true) {
		s.analyzed.Store(cell, size)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.analyzing.Store(false)
			if _, err := s.W.ExecContext(s.bg, `ANALYZE entries, hashes, idem`); err != nil && s.bg.Err() == nil {
				slog.Warn("postgres analyze", "err", err)
			}
		}()
	}
	return rs, nil
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// listen holds a connection in LISTEN and passes notices on, reconnecting
// after failures. A notice lost while reconnecting costs nothing: readers
// are woken once the connection is back and re-read the store.
func (s *Store) listen(ctx context.Context, ready chan struct{}) {
	defer s.wg.Done()
	once := sync.Once{}
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, s.url)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+channel)
		}
		if err != nil {
			if conn != nil {
				conn.Close(context.Background())
			}
			if ctx.Err() == nil {
				slog.Warn("postgres listen", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		once.Do(func() { close(ready) })
		s.Deliver("", -1) // wake everyone: notices may have been missed
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				break
			}
			cell, size, ok := strings.Cut(n.Payload, " ")
			if !ok {
				continue
			}
			sz, _ := strconv.ParseInt(size, 10, 64)
			s.Deliver(cell, sz)
		}
		conn.Close(context.Background())
	}
}

// Notify implements store.Store.
//
// This node's readers are told at once; other nodes through pg_notify,
// sent by a goroutine of its own that merges notices of one cell (a notice
// carries only a position, so the latest says all). This node hears its
// own notice again through LISTEN, which costs a redundant wake-up only.
func (s *Store) Notify(ctx context.Context, cell string, size int64) error {
	s.Deliver(cell, size)
	s.notifyMu.Lock()
	s.toNotify[cell] = max(s.toNotify[cell], size)
	s.notifyMu.Unlock()
	select {
	case s.notifyKick <- struct{}{}:
	default:
	}
	return nil
}

func (s *Store) notifier(ctx context.Context) {
	defer s.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.notifyKick:
		}
		s.notifyMu.Lock()
		batch := s.toNotify
		s.toNotify = map[string]int64{}
		s.notifyMu.Unlock()
		for cell, size := range batch {
			if _, err := s.W.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, cell+" "+strconv.FormatInt(size, 10)); err != nil && ctx.Err() == nil {
				// Other nodes' readers wake at their next notice or
				// heartbeat; nothing is lost, only delayed.
				slog.Warn("postgres notify", "cell", cell, "err", err)
			}
		}
	}
}

// TryLeader implements store.Store: the node holding the advisory lock on
// its own connection runs the timers until that connection drops.
func (s *Store) TryLeader(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leader != nil {
		if err := s.leader.PingContext(ctx); err == nil {
			return true, nil
		}
		s.leader.Close()
		s.leader = nil
	}
	conn, err := s.W.Conn(ctx)
	if err != nil {
		return false, err
	}
	var ok bool
	// The lock is keyed by schema too: deployments that share a database in
	// schemas of their own each elect their own leader.
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, int32(timersLockID)).Scan(&ok); err != nil {
		conn.Close()
		return false, err
	}
	if !ok {
		conn.Close()
		return false, nil
	}
	s.leader = conn
	return true, nil
}

// PutSecret implements store.Store: kept in the database, where every node
// finds it; the database's own access control guards it.
func (s *Store) PutSecret(ctx context.Context, name string, value []byte) error {
	return s.PutTableSecret(ctx, name, value)
}

// Secret implements store.Store.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	return s.TableSecret(ctx, name)
}

// PutBlob implements store.Store: in the database, where every node finds it.
func (s *Store) PutBlob(ctx context.Context, sha string, data []byte) error {
	return s.PutTableBlob(ctx, sha, data)
}

// Blob implements store.Store.
func (s *Store) Blob(ctx context.Context, sha string) ([]byte, error) { return s.TableBlob(ctx, sha) }

// Close implements store.Store.
func (s *Store) Close() error {
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	if s.leader != nil {
		s.leader.Close()
		s.leader = nil
	}
	s.mu.Unlock()
	return s.W.Close()
}
