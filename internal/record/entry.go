package record

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// EntryVersion is the version of the canonical entry form.
const EntryVersion = 1

// Entry is one record of a cell's log: a signed command and what the server
// added to it. Its canonical bytes (Bytes) are what the Merkle tree commits
// to; they are stored as they were made and never re-encoded.
type Entry struct {
	Cell   string    // the cell whose log holds the entry
	Index  int64     // gapless position in the cell's log, from 0
	Time   time.Time // when the server appended it, UTC
	Member string    // acting member; "" when the server itself acts
	Party  string    // the acting member's party; "" for the server
	KeyID  string    // the device key (or server key) that signed the envelope
	// Audience lists the parties that may read the entry's content, sorted.
	// The mediator is always one of them.
	Audience []string
	// Nonce makes the leaf hash of an entry unguessable to a party outside
	// its audience, which sees the leaf hash but not the content.
	Nonce    []byte
	Envelope *Envelope
}

type wireEntry struct {
	V        int       `json:"v"`
	Cell     string    `json:"cell"`
	Index    int64     `json:"index"`
	Time     string    `json:"time"`
	Member   string    `json:"member"`
	Party    string    `json:"party"`
	KeyID    string    `json:"key"`
	Audience []string  `json:"audience"`
	Nonce    []byte    `json:"nonce"`
	Envelope *Envelope `json:"envelope"`
}

// NewNonce returns a fresh random nonce for an entry.
func NewNonce() []byte {
	n := make([]byte, 16)
	if _, err := rand.Read(n); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n
}

// Bytes returns the entry's canonical form: compact JSON with fields in a
// fixed order, time in RFC 3339 with nanoseconds in UTC, audience sorted.
func (e *Entry) Bytes() []byte {
	aud := slices.Clone(e.Audience)
	slices.Sort(aud)
	if aud == nil {
		aud = []string{}
	}
	w := wireEntry{
		V: EntryVersion, Cell: e.Cell, Index: e.Index,
		Time:   e.Time.UTC().Format(time.RFC3339Nano),
		Member: e.Member, Party: e.Party, KeyID: e.KeyID,
		Audience: aud, Nonce: e.Nonce, Envelope: e.Envelope,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		panic(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// LeafHash returns the RFC 6962 leaf hash of canonical entry bytes.
func LeafHash(data []byte) tlog.Hash { return tlog.RecordHash(data) }

// ParseEntry decodes canonical entry bytes. It checks that the bytes are
// exactly the canonical form of what they decode to, so that two different
// byte strings never stand for the same entry.
func ParseEntry(data []byte) (*Entry, error) {
	var w wireEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("entry: %w", err)
	}
	if w.V != EntryVersion {
		return nil, fmt.Errorf("entry: unknown version %d", w.V)
	}
	if w.Envelope == nil {
		return nil, errors.New("entry: no envelope")
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return nil, fmt.Errorf("entry: time: %w", err)
	}
	e := &Entry{
		Cell: w.Cell, Index: w.Index, Time: t.UTC(), Member: w.Member, Party: w.Party,
		KeyID: w.KeyID, Audience: w.Audience, Nonce: w.Nonce, Envelope: w.Envelope,
	}
	if !bytes.Equal(e.Bytes(), data) {
		return nil, errors.New("entry: bytes are not in canonical form")
	}
	return e, nil
}

// Everyone is the audience of an entry that every party of the cell may
// read, including parties that join later (the cell's own constitution,
// its parties, and public keys, which anyone verifying a signature needs).
const Everyone = "*"

// Visible reports whether party may read the entry's content: every
// member of it. A party whose members are named one by one (MemberAudience)
// is not in the audience as a whole.
func (e *Entry) Visible(party string) bool {
	return slices.Contains(e.Audience, Everyone) || slices.Contains(e.Audience, party)
}

// VisibleTo reports whether member, of party, may read the entry's content:
// their party is in its audience, or they are named in it.
func (e *Entry) VisibleTo(party, member string) bool {
	return e.Visible(party) || (member != "" && slices.Contains(e.Audience, MemberAudience(party, member)))
}

// MemberAudience is how an audience names one member of a party who reads
// an entry while the rest of the party does not ("sy/sy.analyst"): what
// TLP:RED asks of a release. Party and member ids never hold a '/'.
func MemberAudience(party, member string) string { return party + "/" + member }

// NamedMember returns the member an audience item names, or "" for an item
// that names a whole party (or Everyone).
func NamedMember(item string) string {
	if i := strings.IndexByte(item, '/'); i >= 0 {
		return item[i+1:]
	}
	return ""
}

// Header is the part of every command payload that the record relies on.
type Header struct {
	// ID is the client's idempotency id: a repeated id returns the original
	// entry instead of appending another.
	ID string `json:"id"`
	// Time is the client's clock when it signed; the server rejects a
	// command whose time is too far from its own.
	Time time.Time `json:"time"`
	// Cell binds the signature to one cell, so an envelope cannot be
	// replayed into another.
	Cell string `json:"cell"`
}

// ParseHeader reads the header fields of a command payload.
func ParseHeader(payload []byte) (Header, error) {
	var h Header
	if err := json.Unmarshal(payload, &h); err != nil {
		return h, fmt.Errorf("%w: payload is not a JSON object: %v", ErrMalformed, err)
	}
	switch {
	case h.ID == "":
		return h, fmt.Errorf("%w: payload has no idempotency id (\"id\")", ErrMalformed)
	case len(h.ID) > 128:
		return h, fmt.Errorf("%w: idempotency id longer than 128 bytes", ErrMalformed)
	case h.Time.IsZero():
		return h, fmt.Errorf("%w: payload has no client time (\"time\")", ErrMalformed)
	case h.Cell == "":
		return h, fmt.Errorf("%w: payload names no cell (\"cell\")", ErrMalformed)
	}
	return h, nil
}
