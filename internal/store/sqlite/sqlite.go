// Package sqlite is the embedded store: a data directory holding a SQLite
// database (pure Go, no cgo) in WAL mode with one writer connection, and the
// cell's secret keys as files only the server's user can read.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlstore"
)

// Store is the SQLite store.
type Store struct {
	*sqlstore.DB
	dir string
}

var _ store.Store = (*Store)(nil)

// addCachePragmas sizes a connection's page cache, and maps the file so
// that pages outside it are read without a system call each: a proof on a
// log of a million entries touches some twenty pages scattered over the
// hash table, and with SQLite's default 2 MB cache most of its time went
// to pread.
func addCachePragmas(q url.Values, cacheBytes int) {
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cacheBytes>>10))
	q.Add("_pragma", "mmap_size(1073741824)")
	q.Add("_pragma", "temp_store(MEMORY)")
}

// Open opens (creating if needed) the store in dir.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, "liaison.db")
	// synchronous(FULL): a commit is on disk before Append answers, so a
	// crash, even of the machine, never loses an acknowledged write.
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	// The writer's cache holds the pages appends touch; a larger one made
	// every commit slower (SQLite sweeps the cache's hash table at the end
	// of a write transaction): 64 MB gave 5,624-5,647 msg/s at 32 senders,
	// 8 or 16 MB 5,840-6,121 (liaison bench ingest, side by side).
	addCachePragmas(q, 16<<20)
	q.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1) // SQLite has one writer; queueing here beats SQLITE_BUSY
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	rq := url.Values{}
	rq.Add("_pragma", "busy_timeout(10000)")
	rq.Add("_pragma", "query_only(1)")
	addCachePragmas(rq, 16<<20)
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	d := sqlstore.Dialect{
		Name:     "sqlite",
		Blob:     "BLOB",
		Rebind:   sqlstore.RebindQuestion,
		IsUnique: isUnique,
		Prepare:  true,
	}
	s := &Store{DB: sqlstore.New(d, w, r), dir: dir}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// Close implements store.Store.
func (s *Store) Close() error {
	err := s.W.Close()
	if err2 := s.R.Close(); err == nil {
		err = err2
	}
	return err
}

// Notify implements store.Store: a SQLite store has a single node.
func (s *Store) Notify(ctx context.Context, cell string, size int64) error {
	s.Deliver(cell, size)
	return nil
}

// TryLeader implements store.Store.
func (s *Store) TryLeader(ctx context.Context) (bool, error) { return true, nil }

func (s *Store) secretPath(name string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("bad secret name %q", name)
	}
	return filepath.Join(s.dir, "secrets", name), nil
}

// PutSecret implements store.Store: a file with mode 0600 in a 0700
// directory; an existing secret is never overwritten.
func (s *Store) PutSecret(ctx context.Context, name string, value []byte) error {
	p, err := s.secretPath(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("secret %q: %w", name, store.ErrExists)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(value); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Secret implements store.Store.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	p, err := s.secretPath(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("secret %q: %w", name, store.ErrNotFound)
	}
	return b, err
}

// PutBlob implements store.Store: a file under DIR/blobs (Blobs).
func (s *Store) PutBlob(ctx context.Context, sha string, data []byte) error {
	return s.blobs().Put(ctx, sha, data)
}

// Blob implements store.Store.
func (s *Store) Blob(ctx context.Context, sha string) ([]byte, error) {
	return s.blobs().Get(ctx, sha)
}

func (s *Store) blobs() Blobs { return Blobs{Dir: filepath.Join(s.dir, "blobs")} }

// Blobs is a directory of files named by their SHA-256 (lower-case hex),
// under DIR/xx/ by the first two digits: the store's attachments, and a
// party's mirror's own uploads, which it keeps beside its database rather
// than in its replica, a cache it may remake.
type Blobs struct{ Dir string }

func (b Blobs) path(sha string) (string, error) {
	if len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		return "", fmt.Errorf("blob name %q is not a hex SHA-256", sha)
	}
	return filepath.Join(b.Dir, sha[:2], sha), nil
}

// Put keeps data under sha, written to a temporary name, synced, renamed
// and its directories synced, so a crash leaves no torn blob and loses
// none that was stored. A blob already kept is kept as it is.
func (b Blobs) Put(ctx context.Context, sha string, data []byte) error {
	p, err := b.path(sha)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return err
	}
	// What names the blob (an upload entry, a mirror's outbox row) is
	// durable once written, so the blob's name must be too before the
	// caller goes on, and the names of the directories this upload may
	// have made.
	for _, d := range []string{filepath.Dir(p), b.Dir, filepath.Dir(b.Dir)} {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the blob sha, or store.ErrNotFound.
func (b Blobs) Get(ctx context.Context, sha string) ([]byte, error) {
	p, err := b.path(sha)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", sha, store.ErrNotFound)
	}
	return data, err
}
