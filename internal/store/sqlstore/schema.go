package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migrations is the ordered schema history, written once for both dialects:
// {{blob}} becomes BLOB or BYTEA, and a statement that starts {{sqlite}}
// runs on SQLite alone. Each runs in its own transaction; a
// database whose version is newer than len(migrations) is refused.
var migrations = []string{
	// 1: the log, its tree, projections, and local auth state.
	`CREATE TABLE cells (
		id TEXT PRIMARY KEY,
		origin TEXT NOT NULL,
		size BIGINT NOT NULL DEFAULT 0
	);
	CREATE TABLE entries (
		cell TEXT NOT NULL,
		idx BIGINT NOT NULL,
		mask BIGINT NOT NULL,
		data {{blob}} NOT NULL,
		PRIMARY KEY (cell, idx)
	);
	CREATE TABLE hashes (
		cell TEXT NOT NULL,
		idx BIGINT NOT NULL,
		hash {{blob}} NOT NULL,
		PRIMARY KEY (cell, idx)
	);
	CREATE TABLE checkpoints (
		cell TEXT PRIMARY KEY,
		size BIGINT NOT NULL,
		note {{blob}} NOT NULL
	);
	CREATE TABLE idem (
		cell TEXT NOT NULL,
		k TEXT NOT NULL,
		idx BIGINT NOT NULL,
		PRIMARY KEY (cell, k)
	);
	CREATE TABLE objects (
		cell TEXT NOT NULL,
		kind TEXT NOT NULL,
		id TEXT NOT NULL,
		parent TEXT NOT NULL,
		seq BIGINT NOT NULL,
		updated BIGINT NOT NULL,
		doc {{blob}} NOT NULL,
		PRIMARY KEY (cell, kind, id)
	);
	CREATE INDEX objects_list ON objects (cell, kind, parent, seq);
	CREATE INDEX objects_seq ON objects (cell, kind, seq);
	CREATE TABLE credentials (
		cell TEXT NOT NULL,
		member TEXT NOT NULL,
		username TEXT NOT NULL,
		hash TEXT NOT NULL,
		disabled BOOLEAN NOT NULL DEFAULT FALSE,
		PRIMARY KEY (cell, member)
	);
	CREATE UNIQUE INDEX credentials_username ON credentials (cell, username);
	CREATE TABLE tokens (
		hash {{blob}} PRIMARY KEY,
		cell TEXT NOT NULL,
		member TEXT NOT NULL,
		kind TEXT NOT NULL,
		created BIGINT NOT NULL,
		expires BIGINT NOT NULL,
		revoked BOOLEAN NOT NULL DEFAULT FALSE,
		user_agent TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX tokens_member ON tokens (cell, member);
	CREATE TABLE secrets (
		name TEXT PRIMARY KEY,
		value {{blob}} NOT NULL
	);`,
	// 2: attachments, for stores that keep them in the database.
	`CREATE TABLE blobs (
		sha256 TEXT PRIMARY KEY,
		data {{blob}} NOT NULL
	);`,
	// 3: SQLite keeps tree hashes clustered by their key. A rowid table
	// with a (cell, idx) key finds a hash in two B-trees, the key's index
	// and then the table; a proof reads twenty scattered hashes, so this
	// halves its page visits. PostgreSQL has no rowid: nothing to do.
	`{{sqlite}} CREATE TABLE hashes_clustered (
		cell TEXT NOT NULL,
		idx BIGINT NOT NULL,
		hash {{blob}} NOT NULL,
		PRIMARY KEY (cell, idx)
	) WITHOUT ROWID;
	{{sqlite}} INSERT INTO hashes_clustered (cell, idx, hash) SELECT cell, idx, hash FROM hashes ORDER BY cell, idx;
	{{sqlite}} DROP TABLE hashes;
	{{sqlite}} ALTER TABLE hashes_clustered RENAME TO hashes;`,
	// 4: every projected object carries the audience mask of what it
	// reveals, by which reads for a member are filtered in the query.
	// Objects written before take the mask of the entry that last wrote
	// them: what Append gives an object unless its domain narrows it, and
	// no domain did before this version.
	`ALTER TABLE objects ADD COLUMN mask BIGINT NOT NULL DEFAULT 0;
	UPDATE objects SET mask = COALESCE((SELECT e.mask FROM entries e WHERE e.cell = objects.cell AND e.idx = objects.updated), 0);`,
	// 5: an entry or object may name members who read it besides its
	// parties (a TLP:RED report released to one analyst of a party),
	// kept as ",a,b," for one LIKE to find; none before this version.
	`ALTER TABLE entries ADD COLUMN members TEXT NOT NULL DEFAULT '';
	ALTER TABLE objects ADD COLUMN members TEXT NOT NULL DEFAULT '';`,
	// 6: lists page by (seq, id): one entry may write thousands of objects
	// under one parent (a STIX release), and a page that starts inside
	// them must find its place in the index, not sort them all.
	`DROP INDEX objects_list;
	CREATE INDEX objects_list ON objects (cell, kind, parent, seq, id);`,
	// 7: the keys of keyed lists (store.Keyed): a list filtered and ordered
	// by what is inside its documents (the register of disputes by party,
	// status, article and deadline) pages down the first index instead of
	// reading every object; the second serves the other terms of a query
	// and the rewriting of an object's keys. Objects written before carry
	// no keys: 'liaison rebuild' files them.
	`CREATE TABLE object_keys (
		cell TEXT NOT NULL,
		kind TEXT NOT NULL,
		term TEXT NOT NULL,
		sortkey TEXT NOT NULL,
		id TEXT NOT NULL,
		PRIMARY KEY (cell, kind, term, sortkey, id)
	);
	CREATE INDEX object_keys_object ON object_keys (cell, kind, id, term);`,
	// 8: witnesses' cosignatures of checkpoints (issue 13), each with the
	// checkpoint the cell signed at that size, which the checkpoints
	// table no longer holds once a later one is signed.
	`CREATE TABLE cosignatures (
		cell TEXT NOT NULL,
		size BIGINT NOT NULL,
		witness TEXT NOT NULL,
		time BIGINT NOT NULL,
		line TEXT NOT NULL,
		note {{blob}} NOT NULL,
		PRIMARY KEY (cell, size, witness)
	);
	CREATE INDEX cosignatures_witness ON cosignatures (cell, witness, size);`,
}

// SchemaVersion is the version this build writes and understands.
var SchemaVersion = len(migrations)

// Migrate brings the schema up to date. lock and unlock, when set, bracket
// the work so that several nodes starting together do not race (a
// PostgreSQL advisory lock); SQLite has a single writer and needs none.
func (s *DB) Migrate(ctx context.Context) error {
	conn, err := s.W.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if s.D.Lock != "" {
		if _, err := conn.ExecContext(ctx, s.D.Lock); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), s.D.Unlock) //nolint:errcheck
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var v int
	err = conn.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	switch {
	case err == sql.ErrNoRows:
		if _, err := conn.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	case err != nil:
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this binary understands (%d): upgrade liaison", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		ddl := strings.ReplaceAll(migrations[i], "{{blob}}", s.D.Blob)
		for _, stmt := range strings.Split(ddl, ";") {
			stmt = strings.TrimSpace(stmt)
			if rest, ok := strings.CutPrefix(stmt, "{{sqlite}}"); ok {
				if s.D.Name != "sqlite" {
					continue
				}
				stmt = rest
			}
			if stmt == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE schema_version SET version = $1`), i+1); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: commit: %w", i+1, err)
		}
	}
	return nil
}
