package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/liaison-cell/liaison/internal/store"
)

// PutCredential implements store.Store.
func (s *DB) PutCredential(ctx context.Context, c store.Credential) error {
	_, err := s.W.ExecContext(ctx, s.q(`INSERT INTO credentials (cell, member, username, hash, disabled) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (cell, member) DO UPDATE SET username = excluded.username, hash = excluded.hash, disabled = excluded.disabled`),
		c.Cell, c.Member, c.Username, c.Hash, c.Disabled)
	if err != nil && s.D.IsUnique != nil && s.D.IsUnique(err) {
		return fmt.Errorf("username %q: %w", c.Username, store.ErrExists)
	}
	return err
}

func (s *DB) credential(ctx context.Context, where string, args ...any) (store.Credential, error) {
	var c store.Credential
	err := s.R.QueryRowContext(ctx, s.q(`SELECT cell, member, username, hash, disabled FROM credentials WHERE `+where), args...).
		Scan(&c.Cell, &c.Member, &c.Username, &c.Hash, &c.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("credential: %w", store.ErrNotFound)
	}
	return c, err
}

// CredentialByUsername implements store.Store.
func (s *DB) CredentialByUsername(ctx context.Context, cell, username string) (store.Credential, error) {
	return s.credential(ctx, `cell = $1 AND username = $2`, cell, username)
}

// CredentialByMember implements store.Store.
func (s *DB) CredentialByMember(ctx context.Context, cell, member string) (store.Credential, error) {
	return s.credential(ctx, `cell = $1 AND member = $2`, cell, member)
}

// PutToken implements store.Store.
func (s *DB) PutToken(ctx context.Context, t store.Token) error {
	_, err := s.W.ExecContext(ctx, s.q(`INSERT INTO tokens (hash, cell, member, kind, created, expires, revoked, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`),
		t.Hash, t.Cell, t.Member, t.Kind, t.Created.UnixMilli(), t.Expires.UnixMilli(), t.Revoked, t.UserAgent)
	return err
}

// TokenByHash implements store.Store.
func (s *DB) TokenByHash(ctx context.Context, hash []byte) (store.Token, error) {
	var t store.Token
	var created, expires int64
	err := s.R.QueryRowContext(ctx, s.q(`SELECT hash, cell, member, kind, created, expires, revoked, user_agent FROM tokens WHERE hash = $1`), hash).
		Scan(&t.Hash, &t.Cell, &t.Member, &t.Kind, &created, &expires, &t.Revoked, &t.UserAgent)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	t.Created, t.Expires = time.UnixMilli(created).UTC(), time.UnixMilli(expires).UTC()
	return t, err
}

// RevokeToken implements store.Store.
func (s *DB) RevokeToken(ctx context.Context, hash []byte) error {
	_, err := s.W.ExecContext(ctx, s.q(`UPDATE tokens SET revoked = TRUE WHERE hash = $1`), hash)
	return err
}

// RevokeMemberTokens implements store.Store.
func (s *DB) RevokeMemberTokens(ctx context.Context, cell, member string) error {
	_, err := s.W.ExecContext(ctx, s.q(`UPDATE tokens SET revoked = TRUE WHERE cell = $1 AND member = $2`), cell, member)
	return err
}

// RevokeMemberTokensOfKind implements store.Store.
func (s *DB) RevokeMemberTokensOfKind(ctx context.Context, cell, member, kind string) (int64, error) {
	res, err := s.W.ExecContext(ctx, s.q(`UPDATE tokens SET revoked = TRUE WHERE cell = $1 AND member = $2 AND kind = $3 AND revoked = FALSE`), cell, member, kind)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PutTableSecret keeps a secret in the database (PostgreSQL deployments).
func (s *DB) PutTableSecret(ctx context.Context, name string, value []byte) error {
	_, err := s.W.ExecContext(ctx, s.q(`INSERT INTO secrets (name, value) VALUES ($1, $2)`), name, value)
	if err != nil && s.D.IsUnique != nil && s.D.IsUnique(err) {
		return fmt.Errorf("secret %q: %w", name, store.ErrExists)
	}
	return err
}

// TableSecret reads a secret kept by PutTableSecret.
func (s *DB) TableSecret(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.R.QueryRowContext(ctx, s.q(`SELECT value FROM secrets WHERE name = $1`), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("secret %q: %w", name, store.ErrNotFound)
	}
	return v, err
}

// PutTableBlob keeps a blob in the database.
func (s *DB) PutTableBlob(ctx context.Context, sha string, data []byte) error {
	_, err := s.W.ExecContext(ctx, s.q(`INSERT INTO blobs (sha256, data) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING`), sha, data)
	return err
}

// TableBlob reads a blob kept by PutTableBlob.
func (s *DB) TableBlob(ctx context.Context, sha string) ([]byte, error) {
	var v []byte
	err := s.R.QueryRowContext(ctx, s.q(`SELECT data FROM blobs WHERE sha256 = $1`), sha).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("blob %s: %w", sha, store.ErrNotFound)
	}
	return v, err
}
