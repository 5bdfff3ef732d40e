package mirror

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

// Uploads at the mirror: a member attaches a file to a message, an incident
// report or a project while the line may be cut. The bytes are kept in
// DIR/blobs, beside mirror.db and not in the replica (a cache the mirror
// may be told to remake), before the outbox row that names them, and the
// row waits its turn with the signed writes (see outbox.go). The replica's
// store reads its blobs from there (Store), so the API serves a file
// uploaded here under the same rule as at the cell: to whoever may read
// something that carries it, once that is in the party's record.

// blobsDir is where a mirror in dir keeps the files its members uploaded.
func blobsDir(dir string) sqlite.Blobs { return sqlite.Blobs{Dir: filepath.Join(dir, "blobs")} }

// replicaStore is the replica as the mirror's server reads it: its blobs
// are the mirror's own uploads, the files the mirror holds.
type replicaStore struct {
	*sqlite.Store
	blobs sqlite.Blobs
}

func (s replicaStore) PutBlob(ctx context.Context, sha string, data []byte) error {
	return s.blobs.Put(ctx, sha, data)
}

func (s replicaStore) Blob(ctx context.Context, sha string) ([]byte, error) {
	return s.blobs.Get(ctx, sha)
}

var _ store.Store = replicaStore{}

// Upload keeps a file that member, signed in at the mirror, uploaded
// there, and queues its upload to the cell behind every write the outbox
// holds: what member then sends citing the file reaches the cell after it.
// The bytes are on disk before the row that names them; like Submit, it
// sends at once while sends reach the cell (the Outcome then Landed), and
// otherwise leaves it waiting. The cell's size limit is the caller's to
// apply (the API reads the body within it). The same member uploading the
// same bytes again is the one upload queued.
func (m *Mirror) Upload(ctx context.Context, member string, data []byte, contentType string) (*Outcome, error) {
	_, party := m.sharedRing()
	if party == "" || m.rep == nil {
		return nil, fmt.Errorf("mirror: %w: the mirror keeps no verified replica yet, so it cannot tell who uploads", ErrNotQueued)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("mirror: %w: an empty file", ErrNotQueued)
	}
	mem, err := cell.GetMember(ctx, m.rep.st.View(m.cfg.Cell), member)
	if errors.Is(err, store.ErrNotFound) || err == nil && (mem.Party != party || mem.Disabled) {
		return nil, fmt.Errorf("mirror: %w: %s is no active member of party %s, whose uploads this mirror sends", ErrNotQueued, member, party)
	} else if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	b := Blob{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Type: contentType}
	if err := m.blobs.Put(ctx, b.SHA256, data); err != nil {
		return nil, fmt.Errorf("mirror: keeping the upload: %w", err)
	}
	seq, err := m.db.enqueueBlob(ctx, member, b, m.cfg.Now().UnixMilli())
	if err != nil {
		return nil, err
	}
	return m.sendQueued(ctx, seq)
}

// upload sends a queued upload's bytes to the cell as the mirror's
// member. The cell answers a repeat with the same hash, its first upload
// entry standing.
func (m *Mirror) upload(ctx context.Context, q Queued, data []byte) error {
	sha, err := m.cfg.Client.PutBlob(ctx, data)
	if err != nil {
		return err
	}
	if sha != q.Blob.SHA256 {
		return fmt.Errorf("the cell named the upload of %s %s", q.Blob.SHA256, sha)
	}
	return nil
}

// HoldsUpload reports whether a member of the mirror's party uploaded the
// file sha at the mirror and its upload waits in the outbox or was sent
// from it: the party then holds the bytes, as an upload entry at the cell
// will say, and a message may cite the file before the replica holds that
// entry. A refused upload does not count.
func (m *Mirror) HoldsUpload(ctx context.Context, sha string) (bool, error) {
	var n int
	err := m.db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE sha256 = ? AND state <> ?`, sha, Refused).Scan(&n)
	return n > 0, err
}

// enqueueBlob queues member's upload of b, or finds it queued.
func (d *db) enqueueBlob(ctx context.Context, member string, b Blob, now int64) (int64, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() //nolint:errcheck
	id := "upload/" + b.SHA256
	var seq int64
	var held string
	err = tx.QueryRowContext(ctx, `SELECT seq, sha256 FROM outbox WHERE member = ? AND idem = ?`, member, id).Scan(&seq, &held)
	switch {
	case err == nil:
		if held != b.SHA256 {
			return 0, fmt.Errorf("mirror: %w: %s's id %q is queued (write %d) for a command", ErrNotQueued, member, id, seq)
		}
		return seq, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO outbox (member, kind, idem, queued, envelope, sha256, size, content_type) VALUES (?, ?, ?, ?, x'', ?, ?, ?) RETURNING seq`,
		member, hotline.KindAttachmentUpload, id, now, b.SHA256, b.Size, b.Type).Scan(&seq); err != nil {
		return 0, err
	}
	return seq, tx.Commit()
}
