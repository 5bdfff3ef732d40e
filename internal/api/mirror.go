package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// A party's mirror (internal/mirror) serves this same API over its
// replica, the party's own verified copy of the cell's log: every read as
// the cell answers it to the party's members, and no write of its own.
// Config.Mirror says what the mirror is; the writes that stay local to the
// mirror (signing in and out, a member's own password at the mirror, the
// calendar and TAXII addresses) work as at the cell; every other write is
// refused with a problem that says where to write, unless Config.Relay
// takes members' signed commands for the cell (the mirror's outbox).

// MirrorStatus is what a mirror says of itself: whose it is, what it
// verified, and whether the line to the cell is down.
type MirrorStatus struct {
	Cell      string `json:"cell"`
	Party     string `json:"party"`
	PartyName string `json:"party_name,omitempty"`
	// PartyNames are the party's names in other languages (cell.Party.Names).
	PartyNames map[string]string `json:"party_names,omitempty"`
	Size       int64             `json:"size"`
	Verified   *time.Time        `json:"verified,omitempty"`
	LastHeard  *time.Time        `json:"last_heard,omitempty"`
	// Failures counts the rounds in a row the cell did not answer; past a
	// few, LineDown.
	Failures  int    `json:"failures"`
	LineDown  bool   `json:"line_down"`
	LastError string `json:"last_error,omitempty"`
	// Unprojected counts the party's entries the mirror holds but could
	// not project from its partial view of the log.
	Unprojected int    `json:"unprojected"`
	Alarms      int    `json:"alarms"`
	Alarm       string `json:"alarm,omitempty"`
	// Relayed reports whether members' writes are taken for the cell.
	Relayed bool `json:"writes_relayed"`
	// Waiting and Refused count the party's members' writes in the
	// mirror's outbox: to be sent when the line is up, and refused by the
	// cell. Queue lists them; each member is shown only their own.
	Waiting int           `json:"waiting"`
	Refused int           `json:"refused"`
	Queue   []MirrorWrite `json:"queue"`
}

// MirrorWrite is a member's write in the mirror's outbox: what it is and
// what became of it, never its content (the cell's entry will say that to
// its audience).
type MirrorWrite struct {
	Member string    `json:"member"`
	Kind   string    `json:"kind"`
	ID     string    `json:"id"`
	Queued time.Time `json:"queued"`
	State  string    `json:"state"` // waiting, refused
	Tries  int       `json:"tries"`
	// Reason is the cell's, for a refused write.
	Reason string `json:"reason,omitempty"`
}

// OwnQueue is st with only member's own writes listed.
func (st MirrorStatus) OwnQueue(member string) MirrorStatus {
	var own []MirrorWrite
	for _, w := range st.Queue {
		if w.Member == member {
			own = append(own, w)
		}
	}
	st.Queue = own
	return st
}

// RelayAnswer is what Config.Relay says of a member's command it took:
// queued for the cell, not yet an entry of its log.
type RelayAnswer struct {
	// ID is the command's idempotency id, by which it lands once.
	ID string `json:"id"`
	// Landed reports that the cell logged it, as entry Index, while the
	// member waited; otherwise it waits in the queue at Position, from 1.
	Landed   bool  `json:"landed"`
	Index    int64 `json:"index,omitempty"`
	Position int64 `json:"position,omitempty"`
	// Detail says it in words, for the member.
	Detail string `json:"detail,omitempty"`
}

// relayed carries a RelayAnswer from submit to the answer: a write taken
// by the relay answers 202 Accepted whatever route it came by.
type relayed struct{ answer RelayAnswer }

func (r *relayed) Error() string { return "relayed as " + r.answer.ID }

// IsMirror reports whether the server is a party's mirror.
func (s *Server) IsMirror() bool { return s.cfg.Mirror != nil }

// MirrorStatus returns the mirror's status, or false at the cell.
func (s *Server) MirrorStatus() (MirrorStatus, bool) {
	if s.cfg.Mirror == nil {
		return MirrorStatus{}, false
	}
	st := s.cfg.Mirror()
	st.Relayed = s.cfg.Relay != nil
	return st, true
}

func (s *Server) mirrorStatus(w http.ResponseWriter, r *http.Request, p *Principal) error {
	st, ok := s.MirrorStatus()
	if !ok {
		return notFound("this server is the cell itself, not a party's mirror")
	}
	st = st.OwnQueue(p.Member.ID)
	if st.Queue == nil {
		st.Queue = []MirrorWrite{}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// dismissRefused is POST /api/v1/mirror/outbox/{id}/dismiss: the member
// has read why the cell refused their write, and the banner stops saying
// it.
func (s *Server) dismissRefused(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if s.cfg.Mirror == nil {
		return notFound("this server is the cell itself, not a party's mirror")
	}
	if s.cfg.Dismiss == nil {
		return notFound("this mirror keeps no outbox")
	}
	if err := s.cfg.Dismiss(r.Context(), p.Member.ID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// localWrites are the writes a mirror serves itself: they change what it
// keeps outside the log (sessions, credentials, feed addresses).
var localWrites = map[string]bool{
	"POST /api/v1/auth/login":                 true,
	"POST /api/v1/mirror/outbox/{id}/dismiss": true,
	"POST /api/v1/auth/logout":                true,
	"POST /api/v1/me/password":                true,
	"POST /api/v1/calendar/token":             true,
	"DELETE /api/v1/calendar/token":           true,
	"POST /api/v1/intel/taxii/token":          true,
	"DELETE /api/v1/intel/taxii/token":        true,
}

// unrelayable are the writes that are not one signed command a relay can
// carry: an upload (taken by Config.Upload instead, when set), a
// witness's cosignature (for the cell to check), a TAXII client's bundle
// (staged by the server's key), and a relay itself (the mirror relays its
// members' own commands, as their member signed them in).
var unrelayable = map[string]bool{
	"POST /api/v1/relay":                                         true,
	blobsRoute:                                                   true,
	"POST /api/v1/log/cosignatures":                              true,
	"POST /api/v1/members/{member}/password":                     true,
	"POST /taxii2/{root}/collections/{coll}/objects/":            true,
	"DELETE /taxii2/{root}/collections/{coll}/objects/{object}/": true,
}

// mirrorGuard refuses at a mirror the writes the mirror does not take.
func (s *Server) mirrorGuard(pattern string, h handler) handler {
	method, _, ok := strings.Cut(pattern, " ")
	if s.cfg.Mirror == nil || !ok || method == http.MethodGet || method == http.MethodHead || localWrites[pattern] {
		return h
	}
	if s.cfg.Relay != nil && !unrelayable[pattern] || pattern == blobsRoute && s.cfg.Upload != nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error { return s.readOnly(s.cellOf(r)) }
}

// readOnly is the problem a write at a mirror answers.
func (s *Server) readOnly(cellID string) error {
	st, _ := s.MirrorStatus()
	name := st.PartyName
	if name == "" {
		name = st.Party
	}
	detail := fmt.Sprintf("this is party %s's mirror, read-only; it keeps the party's verified copy of cell %s's record and takes no writes: sign this command at the cell's server", name, cellID)
	if st.LineDown {
		detail += ", once the line to it, down now, is back"
	}
	return problem(http.StatusServiceUnavailable, "mirror-read-only", "Read-only mirror", detail)
}

// relay checks a member's signed command as the cell will (their active
// device key, this cell) and hands it to Config.Relay; a key.register goes
// to Config.Vouch.
func (s *Server) relay(ctx context.Context, p *Principal, env *record.Envelope) error {
	h, err := record.ParseHeader(env.Payload)
	if err != nil {
		return fmt.Errorf("%w: %v", cell.ErrInvalid, err)
	}
	if h.Cell != p.Cell {
		return fmt.Errorf("%w: signed for %q, sent to %q", ledger.ErrWrongCell, h.Cell, p.Cell)
	}
	if len(env.Signatures) != 1 {
		return fmt.Errorf("%w: want exactly one signature", cell.ErrInvalid)
	}
	if env.Kind() == cell.KindKeyRegister {
		return s.vouch(ctx, p, env)
	}
	// unfiltered: device keys are every party's to read (key.register's
	// audience); the relay checks a signature before queueing it.
	id := env.Signatures[0].KeyID
	k, err := cell.GetKey(ctx, s.st.View(p.Cell), id)
	if errors.Is(err, store.ErrNotFound) && s.cfg.PendingKey != nil {
		if pk, ok := s.cfg.PendingKey(ctx, id); ok {
			k, err = pk, nil
		}
	}
	if err != nil || k.Member != p.Member.ID || k.Revoked {
		return fmt.Errorf("%w: key %s is not an active key of member %s", ledger.ErrUnknownKey, id, p.Member.ID)
	}
	pub, err := record.DecodePublicKey(k.Public)
	if err != nil {
		return err
	}
	if err := env.Verify(pub); err != nil {
		return err
	}
	a, err := s.cfg.Relay(ctx, p.Member.ID, env)
	if err != nil {
		return err
	}
	return &relayed{a}
}

// vouch hands the key.register of the member signed in at the mirror to
// Config.Vouch.
func (s *Server) vouch(ctx context.Context, p *Principal, env *record.Envelope) error {
	if s.cfg.Vouch == nil {
		return problem(http.StatusServiceUnavailable, "mirror-read-only", "Read-only mirror",
			"this mirror vouches for no device key: register the key at the cell's server itself")
	}
	a, err := s.cfg.Vouch(ctx, p.Member.ID, env)
	if err != nil {
		return err
	}
	return &relayed{a}
}

// blobsRoute is the upload's route, which a mirror takes only with
// Config.Upload.
const blobsRoute = "POST /api/v1/blobs"

// UploadAnswer is what a mirror says of a file it took (Config.Upload):
// its hash, to cite it by at once, and whether its upload reached the
// cell or waits in the outbox (RelayAnswer's landed and position; the
// cell answers an upload with no entry index).
type UploadAnswer struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	RelayAnswer
}

// uploadAtMirror hands an upload's bytes to Config.Upload.
func (s *Server) uploadAtMirror(w http.ResponseWriter, r *http.Request, p *Principal, data []byte) error {
	a, err := s.cfg.Upload(r.Context(), p.Member.ID, data, r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !a.Landed {
		status = http.StatusAccepted
	}
	writeJSON(w, status, a)
	return nil
}

// pendingKey is GET /api/v1/keys/{key}'s answer at a mirror for a key
// whose vouch the outbox holds.
type pendingKey struct {
	cell.Key
	// Pending: the mirror vouched for the key, and the log it verified
	// does not hold the key yet.
	Pending bool `json:"pending"`
}

// writeRelayed answers a write the relay took, if err is one.
func writeRelayed(w http.ResponseWriter, err error) bool {
	var rel *relayed
	if !errors.As(err, &rel) {
		return false
	}
	writeJSON(w, http.StatusAccepted, rel.answer)
	return true
}
