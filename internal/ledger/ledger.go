// Package ledger turns signed commands into log entries: it authenticates
// the envelope against the member's registered device key, lets the domain
// decide inside the appending transaction (through store.Appender's group
// commits), signs checkpoints and wakes live readers. It is the only path by
// which anything enters a cell's log.
package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Errors of authentication, mapped to 401/403/422 by the API.
var (
	ErrUnknownKey = errors.New("unknown or revoked device key")
	ErrStale      = errors.New("command time too far from the server's clock")
	ErrWrongCell  = errors.New("command is signed for another cell")
	ErrNoCell     = errors.New("no such cell")
	// ErrReadOnly refuses a write to a cell opened with OpenReadOnly.
	ErrReadOnly = errors.New("read-only: this server keeps a replica of the cell's log, not the log")
)

// Secret names of a cell's keys.
func noteKeySecret(cellID string) string   { return cellID + ".note.key" }
func serverKeySecret(cellID string) string { return cellID + ".server.key" }

// DefaultMaxSkew bounds the client clock's distance from the server's.
const DefaultMaxSkew = 5 * time.Minute

// Config configures a Ledger.
type Config struct {
	Store    store.Store
	Registry *cell.Registry
	Logger   *slog.Logger
	// CheckpointInterval is the least time between two signed checkpoints
	// of a cell (default 200ms): under load, one signature covers many
	// batches.
	CheckpointInterval time.Duration
	Now                func() time.Time
	MaxBatch           int
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Store == nil || c.Registry == nil {
		return errors.New("ledger: Store and Registry are required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.CheckpointInterval <= 0 {
		c.CheckpointInterval = 200 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Ledger appends to the logs of the cells of one deployment.
type Ledger struct {
	cfg Config
	st  store.Store
	app *store.Appender

	mu    sync.Mutex
	cells map[string]*cellKeys
	wg    sync.WaitGroup
	stop  chan struct{}

	pre preCache
}

// preCache keeps what Submit checks before an entry joins the append
// queue: a member's party and a key's member and public key, which never
// change, and whether the key is revoked, which may. These checks answer
// early and find the key to verify the signature with; the decision inside
// the appending transaction checks again from the store, so an entry
// signed with a key revoked a moment ago is still refused there. Reading
// them from the store for every message was a tenth of the ingest path.
type preCache struct {
	mu sync.Mutex
	m  map[string]preEntry
}

type preEntry struct {
	party   string // of a member
	member  string // of a key
	pub     ed25519.PublicKey
	revoked bool
	at      time.Time
}

// preCacheTTL bounds how stale a cached revocation may be before Submit
// reads it again; inside it, Decide is the one to refuse.
const preCacheTTL = 2 * time.Second

func (c *preCache) get(key string, now time.Time) (preEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.Sub(e.at) > preCacheTTL {
		return preEntry{}, false
	}
	return e, true
}

func (c *preCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

func (c *preCache) put(key string, e preEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 100000 {
		c.m = map[string]preEntry{}
	}
	c.m[key] = e
}

// memberParty returns the party of an existing member.
func (l *Ledger) memberParty(ctx context.Context, cellID, member string) (string, error) {
	key := "m\x00" + cellID + "\x00" + member
	now := time.Now()
	if e, ok := l.pre.get(key, now); ok {
		return e.party, nil
	}
	m, err := cell.GetMember(ctx, l.st.View(cellID), member)
	if err != nil {
		return "", err
	}
	l.pre.put(key, preEntry{party: m.Party, at: now})
	return m.Party, nil
}

// activeKey returns the public key of keyID if it is an unrevoked key of
// member.
func (l *Ledger) activeKey(ctx context.Context, cellID, member, keyID string) (ed25519.PublicKey, error) {
	key := "k\x00" + cellID + "\x00" + keyID
	now := time.Now()
	e, ok := l.pre.get(key, now)
	if !ok {
		k, err := cell.GetKey(ctx, l.st.View(cellID), keyID)
		if err != nil {
			return nil, fmt.Errorf("%w: key %s is not an active key of %s", ErrUnknownKey, keyID, member)
		}
		pub, err := record.DecodePublicKey(k.Public)
		if err != nil {
			return nil, err
		}
		e = preEntry{member: k.Member, pub: pub, revoked: k.Revoked, at: now}
		l.pre.put(key, e)
	}
	if e.member != member || e.revoked {
		return nil, fmt.Errorf("%w: key %s is not an active key of %s", ErrUnknownKey, keyID, member)
	}
	return e.pub, nil
}

type cellKeys struct {
	id     string
	origin string
	signer note.Signer
	vkey   string
	server ed25519.PrivateKey
	// readOnly: a replica's cell (OpenReadOnly), with neither key.
	readOnly bool
	dirty    chan struct{}
	skew     time.Duration
	relay    time.Duration
	skewAt   time.Time
	skewMu   sync.Mutex
}

// New returns a Ledger.
func New(cfg Config) (*Ledger, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	l := &Ledger{cfg: cfg, st: cfg.Store, cells: map[string]*cellKeys{}, stop: make(chan struct{})}
	l.app = store.NewAppender(cfg.Store, store.AppenderConfig{MaxBatch: cfg.MaxBatch, OnCommit: l.committed})
	return l, nil
}

// Store returns the ledger's store.
func (l *Ledger) Store() store.Store { return l.st }

func (l *Ledger) committed(cellID string, size int64) {
	// Followers first: the next batch's decisions read them, and the
	// appender runs it only after this returns.
	if err := l.cfg.Registry.Committed(context.Background(), cellID, l.st.View(cellID), size); err != nil {
		l.cfg.Logger.Error("following the commit", "cell", cellID, "size", size, "err", err)
	}
	if err := l.st.Notify(context.Background(), cellID, size); err != nil {
		l.cfg.Logger.Warn("notify", "cell", cellID, "err", err)
	}
	l.mu.Lock()
	ck := l.cells[cellID]
	l.mu.Unlock()
	if ck != nil {
		select {
		case ck.dirty <- struct{}{}:
		default:
		}
	}
}

// Create makes a new cell: its empty log, its note and server keys (kept as
// secrets, never in the log or an answer), and entry 0, cell.create, signed
// by the server key, which declares both public keys.
func (l *Ledger) Create(ctx context.Context, cellID, name, origin string, settings cell.Settings) error {
	if !cell.ValidID(cellID) {
		return fmt.Errorf("cell id %q: use lower-case letters, digits, '.', '_' or '-'", cellID)
	}
	if origin == "" {
		origin = "liaison/" + cellID
	}
	skey, vkey, err := record.NewNoteKey(origin)
	if err != nil {
		return err
	}
	_, spriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if err := l.st.CreateCell(ctx, cellID, origin); err != nil {
		return err
	}
	if err := l.st.PutSecret(ctx, noteKeySecret(cellID), []byte(skey)); err != nil {
		return err
	}
	if err := l.st.PutSecret(ctx, serverKeySecret(cellID), []byte(base64.StdEncoding.EncodeToString(spriv.Seed()))); err != nil {
		return err
	}
	if err := l.Open(ctx, cellID); err != nil {
		return err
	}
	r, err := l.SubmitServer(ctx, cellID, cell.KindCellCreate, map[string]any{
		"name": name, "origin": origin, "note_key": vkey,
		"server_key": record.EncodePublicKey(spriv.Public().(ed25519.PublicKey)), "settings": settings,
	})
	if err != nil {
		return err
	}
	if r.Entry.Index != 0 {
		return fmt.Errorf("cell %s: cell.create landed at index %d", cellID, r.Entry.Index)
	}
	return l.SignCheckpoint(ctx, cellID)
}

// Open loads a cell's keys and starts its checkpoint signer.
func (l *Ledger) Open(ctx context.Context, cellID string) error {
	l.mu.Lock()
	if _, ok := l.cells[cellID]; ok {
		l.mu.Unlock()
		return nil
	}
	l.mu.Unlock()
	skey, err := l.st.Secret(ctx, noteKeySecret(cellID))
	if err != nil {
		return fmt.Errorf("cell %s: note key: %w", cellID, err)
	}
	signer, err := note.NewSigner(string(skey))
	if err != nil {
		return fmt.Errorf("cell %s: note key: %w", cellID, err)
	}
	seed, err := l.st.Secret(ctx, serverKeySecret(cellID))
	if err != nil {
		return fmt.Errorf("cell %s: server key: %w", cellID, err)
	}
	sb, err := base64.StdEncoding.DecodeString(string(seed))
	if err != nil || len(sb) != ed25519.SeedSize {
		return fmt.Errorf("cell %s: server key file is damaged", cellID)
	}
	priv := ed25519.NewKeyFromSeed(sb)
	vkey, err := verifierKey(signer.Name(), string(skey))
	if err != nil {
		return err
	}
	// What the desks keep in memory (a spatial index) is built from the
	// store before the first command is decided.
	size, err := l.st.Size(ctx, cellID)
	if err != nil {
		return err
	}
	if err := l.cfg.Registry.Committed(ctx, cellID, l.st.View(cellID), size); err != nil {
		return fmt.Errorf("cell %s: %w", cellID, err)
	}
	ck := &cellKeys{id: cellID, origin: signer.Name(), signer: signer, vkey: vkey, server: priv, dirty: make(chan struct{}, 1)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.cells[cellID]; ok {
		return nil
	}
	l.cells[cellID] = ck
	l.wg.Add(1)
	go l.checkpointer(ck)
	return nil
}

// OpenReadOnly opens a cell whose log this ledger reads but does not keep:
// a party's mirror, whose store is a replica that the mirror alone writes
// (store.Replicator), from what it verified of the cell's log. The ledger
// knows the cell's verifier key, from which its origin; it holds neither
// of the cell's keys, signs no checkpoint, and refuses every command with
// ErrReadOnly, so that an api.Server over it serves reads only.
func (l *Ledger) OpenReadOnly(ctx context.Context, cellID, vkey string) error {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("cell %s: verifier key: %w", cellID, err)
	}
	size, err := l.st.Size(ctx, cellID)
	if err != nil {
		return err
	}
	if err := l.cfg.Registry.Committed(ctx, cellID, l.st.View(cellID), size); err != nil {
		return fmt.Errorf("cell %s: %w", cellID, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ck, ok := l.cells[cellID]; ok && !ck.readOnly {
		return fmt.Errorf("cell %s is open for writing", cellID)
	}
	l.cells[cellID] = &cellKeys{id: cellID, origin: v.Name(), vkey: vkey, readOnly: true}
	return nil
}

// OpenAll opens every cell in the store.
func (l *Ledger) OpenAll(ctx context.Context) ([]string, error) {
	ids, err := l.st.Cells(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := l.Open(ctx, id); err != nil {
			return nil, err
		}
		if err := l.SignCheckpoint(ctx, id); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// verifierKey derives the note verifier key from the signing key text
// (PRIVATE+KEY+name+hash+keydata), as note.GenerateKey would have printed it.
func verifierKey(name, skey string) (string, error) {
	const prefix = "PRIVATE+KEY+"
	if len(skey) < len(prefix) || skey[:len(prefix)] != prefix {
		return "", errors.New("note key: not a private key")
	}
	parts := bytes.SplitN([]byte(skey[len(prefix):]), []byte("+"), 3) // base64 may hold "+"
	if len(parts) != 3 {
		return "", errors.New("note key: malformed")
	}
	kd, err := base64.StdEncoding.DecodeString(string(parts[2]))
	if err != nil || len(kd) != 1+ed25519.SeedSize || kd[0] != 1 {
		return "", errors.New("note key: not an Ed25519 key")
	}
	pub := ed25519.NewKeyFromSeed(kd[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(name, pub)
}

func (l *Ledger) keys(cellID string) (*cellKeys, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ck, ok := l.cells[cellID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoCell, cellID)
	}
	return ck, nil
}

// VerifierKey returns the cell's note verifier key.
func (l *Ledger) VerifierKey(cellID string) (string, error) {
	ck, err := l.keys(cellID)
	if err != nil {
		return "", err
	}
	return ck.vkey, nil
}

// Origin returns the cell's log origin.
func (l *Ledger) Origin(cellID string) (string, error) {
	ck, err := l.keys(cellID)
	if err != nil {
		return "", err
	}
	return ck.origin, nil
}

// SignCheckpoint signs and stores a checkpoint of the cell's current size,
// unless one of that size is already stored.
func (l *Ledger) SignCheckpoint(ctx context.Context, cellID string) error {
	ck, err := l.keys(cellID)
	if err != nil {
		return err
	}
	if ck.readOnly {
		return fmt.Errorf("%w: cell %s", ErrReadOnly, cellID)
	}
	n, err := l.st.Size(ctx, cellID)
	if err != nil {
		return err
	}
	if old, err := l.st.Checkpoint(ctx, cellID); err == nil && old.Size >= n {
		return nil
	}
	root, err := record.TreeHash(n, l.HashReader(ctx, cellID))
	if err != nil {
		return fmt.Errorf("checkpoint: root of %d: %w", n, err)
	}
	msg, err := record.SignCheckpoint(record.Checkpoint{Origin: ck.origin, Size: n, Root: root}, ck.signer)
	if err != nil {
		return err
	}
	return l.st.PutCheckpoint(ctx, cellID, n, msg)
}

func (l *Ledger) checkpointer(ck *cellKeys) {
	defer l.wg.Done()
	for {
		select {
		case <-l.stop:
			return
		case <-ck.dirty:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := l.SignCheckpoint(ctx, ck.id); err != nil {
			l.cfg.Logger.Error("sign checkpoint", "cell", ck.id, "err", err)
		}
		cancel()
		select {
		case <-l.stop:
			return
		case <-time.After(l.cfg.CheckpointInterval):
		}
	}
}

// HashReader reads the cell's stored tree hashes.
func (l *Ledger) HashReader(ctx context.Context, cellID string) record.HashReader {
	return hashReader(func(idx []int64) ([]record.Hash, error) { return l.st.ReadHashes(ctx, cellID, idx) })
}

type hashReader func([]int64) ([]record.Hash, error)

func (f hashReader) ReadHashes(idx []int64) ([]record.Hash, error) { return f(idx) }

// bounds returns how far from the server's clock a command may have been
// signed (skew, both ways) and how long ago a relayed one may have been.
func (l *Ledger) bounds(ctx context.Context, cellID string, ck *cellKeys) (skew, relay time.Duration) {
	ck.skewMu.Lock()
	defer ck.skewMu.Unlock()
	if !ck.skewAt.IsZero() && time.Since(ck.skewAt) < 5*time.Second {
		return ck.skew, ck.relay
	}
	ck.skew, ck.relay = DefaultMaxSkew, cell.DefaultMaxRelayAge
	if info, err := cell.GetInfo(ctx, l.st.View(cellID)); err == nil {
		if info.Settings.MaxClockSkew > 0 {
			ck.skew = time.Duration(info.Settings.MaxClockSkew) * time.Second
		}
		ck.relay = info.Settings.RelayAge()
	}
	ck.skewAt = time.Now()
	return ck.skew, ck.relay
}

// Submit authenticates a member's envelope and appends it. member is the
// authenticated session's member: the envelope's key must be one of that
// member's active device keys (for key.register, the key it registers).
// A repeated idempotency id returns the original entry (Duplicate), or
// store.ErrConflict when the payload differs.
func (l *Ledger) Submit(ctx context.Context, cellID, member string, env *record.Envelope) (store.Result, error) {
	return l.submit(ctx, cellID, member, env, false)
}

// Relay authenticates an envelope that the member relayer hands over for
// the member who signed it, and appends it as the signer's: the entry names
// the signer, its party and its key, as if the signer had sent it, which is
// what the signature proves. It is how a party's mirror sends the writes
// its members made while the line to the cell was cut; whether relayer may
// relay that command is the rule book's (cell.RelayCommand). A relayed
// command may have been signed up to the cell's MaxRelayAge ago: its
// idempotency key is the signer's, so a command that landed before,
// relayed or sent directly, is answered with its entry and lands once.
func (l *Ledger) Relay(ctx context.Context, cellID, relayer string, env *record.Envelope) (store.Result, error) {
	if _, err := l.keys(cellID); err != nil {
		return store.Result{}, err
	}
	if len(env.Signatures) != 1 {
		return store.Result{}, fmt.Errorf("%w: want exactly one signature", cell.ErrInvalid)
	}
	// unfiltered: who signed the command and who relays it, for the rule
	// book to decide on; nothing read here is answered.
	v := l.st.View(cellID)
	a, err := cell.ActorFor(ctx, v, relayer)
	if err != nil {
		return store.Result{}, fmt.Errorf("%w: member %s: %v", cell.ErrForbidden, relayer, err)
	}
	keyID := env.Signatures[0].KeyID
	k, err := cell.GetKey(ctx, v, keyID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Result{}, fmt.Errorf("%w: key %s is not a device key of this cell", ErrUnknownKey, keyID)
	} else if err != nil {
		return store.Result{}, err
	}
	signer, err := cell.GetMember(ctx, v, k.Member)
	if err != nil {
		return store.Result{}, fmt.Errorf("%w: key %s: member %s: %v", ErrUnknownKey, keyID, k.Member, err)
	}
	t := cell.Target{Entry: &record.Entry{Cell: cellID, Member: signer.ID, Party: signer.Party, KeyID: keyID, Envelope: env}, Member: &signer, Key: &k}
	if err := cell.May(a, cell.RelayCommand, t); err != nil {
		return store.Result{}, err
	}
	return l.submit(ctx, cellID, signer.ID, env, true)
}

// submit appends member's envelope; relayed widens the past side of the
// clock's bound to the cell's MaxRelayAge.
func (l *Ledger) submit(ctx context.Context, cellID, member string, env *record.Envelope, relayed bool) (store.Result, error) {
	ck, err := l.keys(cellID)
	if err != nil {
		return store.Result{}, err
	}
	if ck.readOnly {
		return store.Result{}, fmt.Errorf("%w: cell %s", ErrReadOnly, cellID)
	}
	kind := env.Kind()
	if !l.cfg.Registry.Known(kind) {
		return store.Result{}, fmt.Errorf("%w: unknown command kind %q", cell.ErrInvalid, kind)
	}
	if kind == cell.KindCellCreate {
		return store.Result{}, fmt.Errorf("%w: only the server creates a cell", cell.ErrForbidden)
	}
	// A command that is not bulk keeps to the ordinary limit whatever
	// route brought it: the bulk routes read larger bodies for their kinds
	// only.
	if max := record.MaxEnvelopeSize; !l.cfg.Registry.Bulk(kind) && len(env.Payload) > max {
		return store.Result{}, fmt.Errorf("%w: a %s payload of %d bytes exceeds the limit of %d", record.ErrMalformed, kind, len(env.Payload), max)
	}
	if len(env.Payload) > record.MaxBulkEnvelopeSize {
		return store.Result{}, fmt.Errorf("%w: a %s payload of %d bytes exceeds the limit of %d", record.ErrMalformed, kind, len(env.Payload), record.MaxBulkEnvelopeSize)
	}
	// ParseEnvelope checked this for envelopes from outside; an envelope
	// built in this process (seeding, an import) is held to it here.
	if err := record.CheckIJSON(env.Payload); err != nil {
		return store.Result{}, fmt.Errorf("%w: payload: %v", record.ErrMalformed, err)
	}
	h, err := record.ParseHeader(env.Payload)
	if err != nil {
		return store.Result{}, fmt.Errorf("%w: %v", cell.ErrInvalid, err)
	}
	if h.Cell != cellID {
		return store.Result{}, fmt.Errorf("%w: signed for %q, sent to %q", ErrWrongCell, h.Cell, cellID)
	}
	if len(env.Signatures) != 1 {
		return store.Result{}, fmt.Errorf("%w: want exactly one signature", cell.ErrInvalid)
	}
	party, err := l.memberParty(ctx, cellID, member)
	if err != nil {
		return store.Result{}, fmt.Errorf("%w: member %s: %v", cell.ErrForbidden, member, err)
	}
	var pub ed25519.PublicKey
	keyID := env.Signatures[0].KeyID
	if kind == cell.KindKeyRegister && relayed {
		return store.Result{}, fmt.Errorf("%w: a key.register is not relayed", cell.ErrForbidden)
	}
	if kind == cell.KindKeyRegister {
		var p cell.KeyRegisterPayload
		if err := json.Unmarshal(env.Payload, &p); err != nil {
			return store.Result{}, fmt.Errorf("%w: key.register payload: %v", cell.ErrInvalid, err)
		}
		if pub, err = record.DecodePublicKey(p.PublicKey); err != nil {
			return store.Result{}, fmt.Errorf("%w: public_key: %v", cell.ErrInvalid, err)
		}
	} else if pub, err = l.activeKey(ctx, cellID, member, keyID); err != nil {
		return store.Result{}, err
	}
	if err := env.Verify(pub); err != nil {
		return store.Result{}, err
	}
	if strings.ContainsFunc(h.ID, unicode.IsControl) {
		return store.Result{}, fmt.Errorf("%w: the idempotency id holds a control character", cell.ErrInvalid)
	}
	idem := memberIdemKey(member, h.ID)
	now := l.cfg.Now()
	skew, relay := l.bounds(ctx, cellID, ck)
	past := skew
	if relayed && relay > past {
		past = relay
	}
	if h.Time.Before(now.Add(-past)) || h.Time.After(now.Add(skew)) {
		// A retry of a command that did land long ago is still answered
		// with its entry: retries must always be safe.
		if _, err := l.st.LookupIdem(ctx, cellID, idem); err != nil {
			bound := "±" + skew.String()
			if past != skew {
				bound = fmt.Sprintf("%s before to %s after, for a relayed command", past, skew)
			}
			return store.Result{}, fmt.Errorf("%w: signed at %s, server time %s (bound %s)", ErrStale,
				h.Time.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), bound)
		}
	}
	e := &record.Entry{Cell: cellID, Member: member, Party: party, KeyID: keyID, Envelope: env}
	return l.append(ctx, cellID, e, idem)
}

func (l *Ledger) append(ctx context.Context, cellID string, e *record.Entry, idem string) (store.Result, error) {
	r, err := l.app.Append(ctx, cellID, &store.Pending{Entry: e, IdemKey: idem, Decide: l.cfg.Registry.Decide(e)})
	if err != nil {
		return r, err
	}
	if r.Err != nil {
		return r, r.Err
	}
	if k := e.Envelope.Kind(); k == cell.KindKeyRevoke || k == cell.KindMemberUpdate {
		// Revocations through this node take effect in Submit's checks at
		// once; through another, within preCacheTTL (and in Decide always).
		l.pre.clear()
	}
	if r.Duplicate && !bytes.Equal(r.Entry.Envelope.Payload, e.Envelope.Payload) {
		return r, fmt.Errorf("%w (entry %d)", store.ErrConflict, r.Entry.Index)
	}
	return r, nil
}

// Idempotency keys are kept as text, and PostgreSQL text cannot hold a NUL
// byte: a member's key is "<member> <id>", unambiguous because member ids
// hold no space (cell.ValidID); the server's start with "*", which no
// member id does.
func memberIdemKey(member, id string) string { return member + " " + id }

func serverIdemKey(id string) string { return "*server " + id }

// SubmitServer appends an entry the server itself causes (a deadline
// passing, an escalation, bootstrap), signed with the cell's server key.
// body's fields join the header; an "id" in body makes it idempotent.
func (l *Ledger) SubmitServer(ctx context.Context, cellID, kind string, body map[string]any) (store.Result, error) {
	ck, err := l.keys(cellID)
	if err != nil {
		return store.Result{}, err
	}
	if ck.readOnly {
		return store.Result{}, fmt.Errorf("%w: cell %s", ErrReadOnly, cellID)
	}
	p := map[string]any{}
	for k, v := range body {
		p[k] = v
	}
	if _, ok := p["id"]; !ok {
		p["id"] = NewID()
	}
	p["time"] = l.cfg.Now().UTC().Format(time.RFC3339Nano)
	p["cell"] = cellID
	payload, err := json.Marshal(p)
	if err != nil {
		return store.Result{}, err
	}
	env := record.Sign(kind, payload, ck.server)
	e := &record.Entry{Cell: cellID, KeyID: env.Signatures[0].KeyID, Envelope: env}
	r, err := l.app.Append(ctx, cellID, &store.Pending{Entry: e, IdemKey: serverIdemKey(fmt.Sprint(p["id"])), Decide: l.cfg.Registry.Decide(e)})
	if err != nil {
		return r, err
	}
	if kind == cell.KindKeyRevoke || kind == cell.KindMemberUpdate {
		l.pre.clear()
	}
	return r, r.Err
}

// NewID returns a random idempotency id.
func NewID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Close stops the ledger after the queued appends finish.
func (l *Ledger) Close() {
	l.app.Close()
	close(l.stop)
	l.wg.Wait()
}

// Known reports whether kind is a command the ledger accepts.
func (l *Ledger) Known(kind string) bool { return l.cfg.Registry.Known(kind) }

// Bulk reports whether kind is a bulk command (cell.Registry.HandleBulk),
// whose envelope may be up to record.MaxBulkEnvelopeSize.
func (l *Ledger) Bulk(kind string) bool { return l.cfg.Registry.Bulk(kind) }
