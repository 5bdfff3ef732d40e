// Package store defines the one storage interface that Liaison's layers use,
// with the types that cross it. Implementations live in store/sqlite and
// store/postgres and share their SQL through store/sqlstore; storetest holds
// the conformance suite both run.
package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/liaison-cell/liaison/internal/record"
)

// Sentinel errors, wrapped with %w by implementations.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrConflict reports an idempotency id reused for a different command.
	ErrConflict = errors.New("idempotency id already used for a different command")
	// ErrPushback reports that the append queue is full; callers answer 503
	// with Retry-After.
	ErrPushback = errors.New("too many appends in flight")
	// ErrClosed reports use of a closed store.
	ErrClosed = errors.New("store closed")
)

// Pending is one entry waiting to be appended. The store fills in Index and
// Time of Entry; Decide computes its audience and projection changes against
// the state as it is inside the appending transaction, after every entry
// before it.
type Pending struct {
	Entry *record.Entry
	// IdemKey identifies the command for retries: a second Pending with the
	// same cell and IdemKey returns the first one's entry. Empty for none.
	IdemKey string
	// Decide validates the command against current state. It must not keep
	// view after it returns. A Decide error rejects this entry only.
	Decide func(ctx context.Context, view View) (Effect, error)
}

// Effect is what a domain decided about an entry.
type Effect struct {
	// Audience lists who may read the entry (the mediator among them): its
	// parties, and the members named one by one (record.MemberAudience);
	// Mask is its parties as bits of party numbers and Members the named
	// members' ids, for queries.
	Audience []string
	Mask     uint64
	Members  []string
	Changes  []Change
}

// Reader is who reads, as the store's queries filter: the audience mask of
// their party (cell.ReadMask) and their member id, which opens what is
// addressed to them by name (a TLP:RED report released to one analyst).
type Reader struct {
	Mask   uint64
	Member string
}

// Reads reports whether r reads what carries mask and members: the store's
// query filter, as a function.
func (r Reader) Reads(mask uint64, members []string) bool {
	return mask&r.Mask != 0 || (r.Member != "" && slices.Contains(members, r.Member))
}

// Change puts (Doc non-nil) or deletes (Doc nil) one projected object.
type Change struct {
	Kind   string // e.g. "party", "member", "key"
	ID     string
	Parent string // groups objects for listing, e.g. a member's party
	Doc    []byte // JSON
	// Mask is the audience of what the object reveals, as party bits. Zero
	// means the entry's own audience, which is right for almost every
	// object: a projection reveals what its entry says, to whom the entry
	// says it. A domain may narrow it (never widen it: see Effect.Resolve).
	// With Mask set, Members are the members named besides its parties,
	// each one of the entry's; with Mask zero both are the entry's.
	Mask    uint64
	Members []string
	// Keys file the object under terms of a keyed list (Keyed), so that a
	// list filtered and ordered by what is inside the documents pages in
	// the query instead of reading every object. Non-nil replaces the
	// object's keys; nil leaves them as they were, so that the kinds no
	// list finds by key cost nothing more to write. A kind found by key
	// gives its keys on every put; a delete removes them.
	Keys []Key
}

// Key files an object under a term (say "party=il") at a place in the
// term's order: Sort, then the object's id. SQLite compares Sort as bytes
// and PostgreSQL by the database's collation, which may skip punctuation:
// keep Sort to digits of a fixed width, which both order alike.
type Key struct {
	Term string
	Sort string
}

// ErrWiderAudience reports a change whose object would reveal to a party
// what the entry that writes it does not.
var ErrWiderAudience = errors.New("an object's audience is wider than its entry's")

// Resolve gives every put its audience: the entry's where the domain left
// the mask zero. A mask with a party the entry's lacks, or a member the
// entry does not name, is refused: what a projection shows must stay
// within what its log entry shows, or reading the projection would reveal
// what reading the log may not. The stores and the replay call it before
// applying an effect.
func (e *Effect) Resolve() error {
	for i := range e.Changes {
		c := &e.Changes[i]
		if c.Doc == nil {
			continue
		}
		if c.Mask == 0 {
			c.Mask, c.Members = e.Mask, e.Members
			continue
		}
		if c.Mask&^e.Mask != 0 {
			return fmt.Errorf("%w: %s/%s has mask %#x, its entry %#x", ErrWiderAudience, c.Kind, c.ID, c.Mask, e.Mask)
		}
		for _, m := range c.Members {
			if !slices.Contains(e.Members, m) {
				return fmt.Errorf("%w: %s/%s names member %s, its entry does not", ErrWiderAudience, c.Kind, c.ID, m)
			}
		}
	}
	return nil
}

// Object is one projected object.
type Object struct {
	Kind    string
	ID      string
	Parent  string
	Seq     int64 // log index of the entry that created it
	Updated int64 // log index of the entry that last changed it
	Doc     []byte
	// Mask is the audience of what the object reveals (Change.Mask, as
	// resolved when it was last written). Reads for a member go through
	// Store.ViewFor, which filters by it in the query. Members are the
	// members who read it by name besides its parties.
	Mask    uint64
	Members []string
	// Keys are the object's keys (Change.Keys), ordered by term, as
	// Projection reads them; Keyed's answers carry the one key they were
	// found under.
	Keys []Key
}

// View reads projected state. Inside Decide it sees the transaction,
// including the changes of the entries before in the same batch.
type View interface {
	Get(ctx context.Context, kind, id string) (Object, error) // ErrNotFound
	// List returns objects of kind (and parent, when not "") created after
	// log index after, in creation order, at most limit.
	List(ctx context.Context, kind, parent string, after int64, limit int) ([]Object, error)
}

// Latest is implemented by the stores' committed views: the newest
// objects of kind under parent created before log index before, newest
// first, at most limit. A conversation shows its last messages without
// reading its whole history.
type Latest interface {
	Latest(ctx context.Context, kind, parent string, before int64, limit int) ([]Object, error)
}

// Pager is implemented by the stores' committed views: objects of kind
// under parent after the cursor (afterSeq, afterID), in (seq, id) order, at
// most limit. Objects one entry writes share a seq (a release of ten
// thousand STIX objects), which List's cursor cannot page within; a
// cursor of (-1, "") starts at the beginning.
type Pager interface {
	Page(ctx context.Context, kind, parent string, afterSeq int64, afterID string, limit int) ([]Object, error)
}

// Keyed is implemented by the stores' committed views: the objects of
// kind filed under every one of terms, in the order of their key under
// terms[0] (its Sort, then the object's id), after the place after (the
// zero Cursor for the start), at most limit. A filtered view leaves out,
// in the query, what its reader may not read, so a page is full whenever
// more exist and a cursor counts nothing hidden. Each object carries the
// key of terms[0] in Keys, from which the caller makes the next cursor.
type Keyed interface {
	ByKey(ctx context.Context, kind string, terms []string, after Cursor, limit int) ([]Object, error)
}

// Cursor is a place in a keyed list: a key's Sort and an object's id.
type Cursor struct {
	Sort, ID string
}

// Position is implemented by the View that Decide receives: the log index
// and server time the entry will have if it is appended. Deadlines and ids
// derived from them are therefore reproduced exactly when the log is
// replayed.
type Position interface {
	Next() (index int64, t time.Time)
}

// Memo is implemented by the View that Decide receives inside an append:
// it keeps a value derived from the projection (decoded JSON, mostly) for
// the rest of the batch, until an entry of the batch changes an object of
// one of the kinds the value was derived from. A batch of fifty messages
// then decodes its cell's parties once, not fifty times.
type Memo interface {
	Memo(key string, kinds []string, load func() (any, error)) (any, error)
}

// Memoized returns load's value, through v's Memo when it has one. The
// value is shared with every later caller in the batch: treat it as
// read-only. Errors are not kept.
func Memoized[T any](v View, key string, kinds []string, load func() (T, error)) (T, error) {
	m, ok := v.(Memo)
	if !ok {
		return load()
	}
	x, err := m.Memo(key, kinds, func() (any, error) { return load() })
	if err != nil {
		var zero T
		return zero, err
	}
	return x.(T), nil
}

// NextPosition returns the position of the entry being decided, or ok
// false for a View outside an append.
func NextPosition(v View) (index int64, t time.Time, ok bool) {
	p, ok := v.(Position)
	if !ok {
		return 0, time.Time{}, false
	}
	index, t = p.Next()
	return index, t, true
}

// Result is the outcome of one Pending.
type Result struct {
	Entry     *record.Entry
	LeafData  []byte
	Duplicate bool  // an earlier entry with the same IdemKey was returned
	Err       error // the Decide error, or the store's error
}

// StoredEntry is an entry as read back from the log.
type StoredEntry struct {
	Index    int64
	LeafData []byte // the exact canonical bytes
	Mask     uint64
	Members  []string // named readers besides the parties of Mask
}

// Checkpoint is the latest signed checkpoint of a cell.
type Checkpoint struct {
	Size int64
	Note []byte
}

// Cosignature is a witness's cosignature of a checkpoint the cell signed,
// as the cell serves it beside its own signature.
type Cosignature struct {
	Size    int64
	Witness string // the witness key's id (cell.Witness.ID)
	Time    int64  // the time the cosignature states, in Unix seconds
	Line    string // its signature line, "— name base64\n"
	// Note is the checkpoint of Size as the cell signed it, with the
	// cell's signature line alone.
	Note []byte
}

// Token is a hashed bearer token or browser session.
type Token struct {
	Hash      []byte // SHA-256 of the secret; the secret is never stored
	Cell      string
	Member    string
	Kind      string // "bearer", "session", or "calendar" and "taxii" (a feed's, a TAXII client's: each opens nothing else)
	Created   time.Time
	Expires   time.Time
	Revoked   bool
	UserAgent string
}

// Credential is a member's password hash, kept outside the log: the log is
// readable by other parties and a hash there would invite offline guessing.
type Credential struct {
	Cell     string
	Member   string
	Username string
	Hash     string // PHC-style argon2id string
	Disabled bool
}

// Store is everything Liaison keeps. Every method takes a context; errors
// wrap the sentinels above.
type Store interface {
	// Cells lists the ids of cells that have been created.
	Cells(ctx context.Context) ([]string, error)
	// CreateCell registers an empty log for cell with the note origin.
	CreateCell(ctx context.Context, cell, origin string) error

	// Append appends the pendings of one cell in one transaction, in order,
	// and returns one Result each. Entries whose Decide fails are skipped
	// without a gap. The call returns only after the transaction commits;
	// an error return means nothing was appended.
	Append(ctx context.Context, cell string, batch []*Pending) ([]Result, error)
	// Size returns the number of entries in the cell's log.
	Size(ctx context.Context, cell string) (int64, error)
	// Entries returns entries start <= i < end.
	Entries(ctx context.Context, cell string, start, end int64) ([]StoredEntry, error)
	// EntriesFor returns up to limit entries after index after that r
	// reads (Reader.Reads), in index order.
	EntriesFor(ctx context.Context, cell string, r Reader, after int64, limit int) ([]StoredEntry, error)
	// ReadHashes reads stored tree hashes by storage index.
	ReadHashes(ctx context.Context, cell string, indexes []int64) ([]record.Hash, error)
	// PutCheckpoint keeps note as the latest checkpoint unless a larger one
	// is already stored.
	PutCheckpoint(ctx context.Context, cell string, size int64, note []byte) error
	Checkpoint(ctx context.Context, cell string) (Checkpoint, error)
	// PutCosignature keeps a witness's cosignature of the checkpoint of
	// c.Size, the caller having verified it; of two by the same witness at
	// the same size it keeps the later.
	PutCosignature(ctx context.Context, cell string, c Cosignature) error
	// Cosignatures returns the cosignatures of the checkpoint of size, by
	// witness id.
	Cosignatures(ctx context.Context, cell string, size int64) ([]Cosignature, error)
	// LatestCosignatures returns each witness's cosignature of the largest
	// checkpoint it cosigned, by witness id.
	LatestCosignatures(ctx context.Context, cell string) ([]Cosignature, error)

	// View reads committed projections of a cell, all of them: for the
	// server's own decisions and timers, never to answer a member.
	View(cell string) View
	// ViewFor reads committed projections of a cell as r (cell.ReaderOf):
	// Get answers ErrNotFound for, and List and Latest leave out in the
	// query, every object r does not read (Reader.Reads). Every read made
	// for a member goes through it, by way of cell.ReadView.
	ViewFor(cell string, r Reader) View
	// Projection dumps every projected object of a cell, ordered by kind and
	// id, for rebuild comparisons.
	Projection(ctx context.Context, cell string) ([]Object, error)
	// ReplaceProjection swaps the cell's projections for objs in one
	// transaction (used by rebuild).
	ReplaceProjection(ctx context.Context, cell string, objs []Object) error
	// LookupIdem returns the log index recorded for an idempotency key.
	LookupIdem(ctx context.Context, cell, key string) (int64, error)

	PutCredential(ctx context.Context, c Credential) error
	CredentialByUsername(ctx context.Context, cell, username string) (Credential, error)
	CredentialByMember(ctx context.Context, cell, member string) (Credential, error)

	PutToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	RevokeToken(ctx context.Context, hash []byte) error
	RevokeMemberTokens(ctx context.Context, cell, member string) error
	// RevokeMemberTokensOfKind revokes member's live tokens of one kind
	// (their calendar feeds, say, and no session) and returns how many it
	// revoked.
	RevokeMemberTokensOfKind(ctx context.Context, cell, member, kind string) (int64, error)

	// PutSecret and Secret keep server secrets (the cell's note and server
	// keys): in files only the server's user reads for SQLite, in the
	// database for PostgreSQL so that every node finds them.
	PutSecret(ctx context.Context, name string, value []byte) error
	Secret(ctx context.Context, name string) ([]byte, error)

	// PutBlob keeps an attachment under its SHA-256 (lower-case hex), which
	// the caller has computed; storing the same blob twice is no error.
	// Blobs live in files beside a SQLite database, in the database for
	// PostgreSQL.
	PutBlob(ctx context.Context, sha256 string, data []byte) error
	// Blob returns a blob, or ErrNotFound.
	Blob(ctx context.Context, sha256 string) ([]byte, error)

	// Notify tells every node (this one included) that cell's log has grown
	// to size; Subscribe receives such notices. Readers re-read the store,
	// so a lost or merged notice loses nothing.
	Notify(ctx context.Context, cell string, size int64) error
	Subscribe(fn func(cell string, size int64)) (cancel func())

	// TryLeader reports whether this node holds the timer lock (always true
	// for SQLite; a PostgreSQL advisory lock otherwise).
	TryLeader(ctx context.Context) (bool, error)

	Close() error
}

// Replicator is implemented by the SQL stores: it keeps a party's replica
// of a cell's log, the store a mirror serves its party from (issue 13).
// A replica holds every tree hash of the verified log but only the entries
// its party reads, at their own indices: its log has gaps, and its size is
// the size of the cell's checkpoint it verified, which it keeps as the
// cell signed it.
type Replicator interface {
	// Replicate appends, in one transaction, what a mirror verified of the
	// cell's log up to b.Size: the tree hashes, the entries (each decided
	// against the replica's projection at its own index and time) and the
	// checkpoint. A Decide error fails the whole batch: the caller decides
	// what an entry that cannot be projected becomes (see ReplicaEntry).
	Replicate(ctx context.Context, cell string, b ReplicaBatch) error
}

// ReplicaBatch is what a mirror verified since its replica's size.
type ReplicaBatch struct {
	// Reader is the replica's party (and the mirror's member): an entry it
	// does not read is refused, and an object it does not read is never
	// stored (a put of one deletes the replica's copy, which the cell no
	// longer shows the party either).
	Reader Reader
	// Size and Checkpoint are the verified checkpoint, as the cell signed it.
	Size       int64
	Checkpoint []byte
	// Hashes are the tree hashes the leaves below Size add, by storage
	// index (record.StoredHashes).
	Hashes  map[int64]record.Hash
	Entries []ReplicaEntry
}

// ReplicaEntry is one entry of a replica, with the decision that gives
// its audience mask and projection changes.
type ReplicaEntry struct {
	Entry    *record.Entry
	LeafData []byte
	Decide   func(ctx context.Context, view View) (Effect, error)
}
