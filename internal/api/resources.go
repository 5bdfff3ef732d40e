package api

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// EntryJSON is an entry as the API shows it: the decoded fields, the
// payload as JSON, and leaf_data, the exact bytes whose RFC 6962 leaf hash
// is the tree's leaf.
type EntryJSON struct {
	Index    int64            `json:"index"`
	Time     string           `json:"time"`
	Cell     string           `json:"cell"`
	Kind     string           `json:"kind"`
	Member   string           `json:"member,omitempty"`
	Party    string           `json:"party,omitempty"`
	KeyID    string           `json:"key_id"`
	Audience []string         `json:"audience"`
	Payload  json.RawMessage  `json:"payload"`
	Envelope *record.Envelope `json:"envelope"`
	LeafData string           `json:"leaf_data,omitempty"` // left out of stream events
	LeafHash string           `json:"leaf_hash"`
	// Omitted marks a stream event of a bulk command (a STIX bundle) sent
	// without its payload and envelope: GET /api/v1/log/entries/{index}
	// has them.
	Omitted bool `json:"omitted,omitempty"`
}

// streamEntryJSON renders an entry for the live stream: without its leaf
// bytes, which repeat the whole entry in base64. Every event goes to every
// reader through its own socket, and a frame that outgrows the HTTP
// server's 4 KiB write buffer costs three system calls instead of one.
//
// A bulk command's event leaves out its payload too: megabytes of STIX
// sent to every open page of its audience, and kept in the stream's window,
// would stall the stream for what no page shows. The leaf hash still binds
// the event to the entry.
func streamEntryJSON(e *record.Entry, leafData []byte) EntryJSON {
	j := NewEntryJSON(e, leafData)
	j.LeafData = ""
	if len(e.Envelope.Payload) > record.MaxEnvelopeSize {
		j.Payload, j.Envelope, j.Omitted = nil, nil, true
	}
	return j
}

// NewEntryJSON renders an entry.
func NewEntryJSON(e *record.Entry, leafData []byte) EntryJSON {
	lh := record.LeafHash(leafData)
	payload := json.RawMessage(e.Envelope.Payload)
	// A log may hold a payload from before envelopes had to be I-JSON:
	// inside this answer it would make the whole document unreadable as
	// UTF-8. Its exact bytes are still in the envelope, in base64.
	if !json.Valid(payload) || record.CheckIJSON(payload) != nil {
		payload = nil
	}
	return EntryJSON{
		Index: e.Index, Time: e.Time.UTC().Format("2006-01-02T15:04:05.000000000Z"), Cell: e.Cell,
		Kind: e.Envelope.Kind(), Member: e.Member, Party: e.Party, KeyID: e.KeyID, Audience: e.Audience,
		Payload: payload, Envelope: e.Envelope,
		LeafData: base64.StdEncoding.EncodeToString(leafData), LeafHash: base64.StdEncoding.EncodeToString(lh[:]),
	}
}

// reader is the principal as the store's queries filter (the rule book's
// ReaderOf).
func (p *Principal) reader() store.Reader { return cell.ReaderOf(p.Actor()) }

// view is the cell's projections as p may read them. Every read of a
// projection made to answer a member goes through it (cell.ReadView);
// s.st.View, which sees everything, serves only the server's own checks
// (authentication, and whether a blob exists at all).
func (s *Server) view(p *Principal) store.View { return cell.ReadView(s.st, p.Cell, p.Actor()) }

func (s *Server) readEnvelope(w http.ResponseWriter, r *http.Request) (*record.Envelope, error) {
	return s.readEnvelopeMax(w, r, record.MaxEnvelopeSize)
}

// readEnvelopeMax reads an envelope of up to max bytes: the routes of bulk
// commands (record.MaxBulkEnvelopeSize) read larger ones than the rest.
func (s *Server) readEnvelopeMax(w http.ResponseWriter, r *http.Request, max int) (*record.Envelope, error) {
	r.Body = http.MaxBytesReader(w, r.Body, int64(max))
	b, err := io.ReadAll(r.Body)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, badRequest("the request body ended before its Content-Length")
	}
	if err != nil {
		return nil, err
	}
	return record.ParseEnvelopeMax(b, max)
}

// submit runs a signed command through the ledger and counts the outcome.
func (s *Server) submit(r *http.Request, p *Principal, env *record.Envelope) (store.Result, error) {
	if err := s.attachmentsExist(r, p, env); err != nil {
		return store.Result{}, err
	}
	if s.cfg.Mirror != nil {
		if s.cfg.Relay == nil {
			return store.Result{}, s.readOnly(p.Cell)
		}
		return store.Result{}, s.relay(r.Context(), p, env)
	}
	res, err := s.led.Submit(r.Context(), p.Cell, p.Member.ID, env)
	s.count(env, res, err)
	return res, err
}

// relayCommand is POST /api/v1/relay: p hands over a command another member of
// its party signed (a party's mirror sending what its members wrote while
// the line was cut), to land as the signer's. Whether p may is the rule
// book's (cell.RelayCommand, asked by the ledger). The answer is the
// entry, as for the signer's own submission; a command that landed before
// is answered with its entry (200, duplicate).
func (s *Server) relayCommand(w http.ResponseWriter, r *http.Request, p *Principal) error {
	env, err := s.readEnvelope(w, r)
	if err != nil {
		return err
	}
	if err := s.attachmentsExist(r, p, env); err != nil {
		return err
	}
	res, err := s.led.Relay(r.Context(), p.Cell, p.Member.ID, env)
	s.count(env, res, err)
	if err != nil {
		return err
	}
	writeEntry(w, http.StatusCreated, res, nil)
	return nil
}

// count counts a submission's outcome by kind.
func (s *Server) count(env *record.Envelope, res store.Result, err error) {
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "rejected"
		if toProblem(err).Status >= 500 {
			outcome = "error"
		}
	case res.Duplicate:
		outcome = "duplicate"
	}
	kind := env.Kind()
	if !s.cfg.Ledger.Known(kind) {
		kind = "unknown"
	}
	s.appends.WithLabelValues(kind, outcome).Inc()
}

// attachmentsExist refuses a message naming an attachment that was never
// uploaded: the record must not point at content no one can fetch. Whether
// the sender may use an uploaded one is the hotline's decision.
func (s *Server) attachmentsExist(r *http.Request, who *Principal, env *record.Envelope) error {
	if env.Kind() != hotline.KindMessageSend {
		return nil
	}
	var pl struct {
		Attachments []struct {
			SHA256 string `json:"sha256"`
		} `json:"attachments"`
	}
	if json.Unmarshal(env.Payload, &pl) != nil || len(pl.Attachments) > hotline.MaxAttachments {
		return nil // the decision explains what is wrong with the payload
	}
	for _, at := range pl.Attachments {
		if len(at.SHA256) != 64 || strings.Trim(at.SHA256, "0123456789abcdef") != "" {
			continue // malformed: the decision says so
		}
		if s.cfg.Mirror != nil {
			// A mirror holds the bytes of the files uploaded there only;
			// the cell holds those of every file its replica names. One
			// uploaded there by a member of its party may be attached at
			// once, its upload ahead of the message in the outbox.
			if s.cfg.HeldUpload != nil {
				if held, err := s.cfg.HeldUpload(r.Context(), at.SHA256); err != nil {
					return err
				} else if held {
					continue
				}
			}
		} else if _, err := s.st.Blob(r.Context(), at.SHA256); errors.Is(err, store.ErrNotFound) {
			return hotline.NoAttachment(at.SHA256)
		} else if err != nil {
			return err
		}
		// At a mirror the replica holds only what its party reads, so a
		// file it names is one the party uploaded or reads a message
		// carrying: the hotline's own rule, asked before the write waits.
		//
		// The decision lets a file that no upload entry and no message names
		// be attached by anyone, because such files predate logged uploads and
		// old logs must replay. A new message may not: the bytes are
		// uploaded again, which records who holds them. This also closes the
		// moment between storing an upload and logging it.
		named := false
		for _, kind := range []string{hotline.ObjUpload, hotline.ObjAttachment} {
			// unfiltered: whether anyone's upload or message names the
			// file; the answer is the same refusal either way.
			objs, err := s.st.View(who.Cell).List(r.Context(), kind, at.SHA256, -1, 1)
			if err != nil {
				return err
			}
			named = named || len(objs) > 0
		}
		if !named {
			return hotline.NoAttachment(at.SHA256)
		}
	}
	return nil
}

func writeEntry(w http.ResponseWriter, status int, res store.Result, extra map[string]any) {
	if res.Duplicate {
		status = http.StatusOK
	}
	// A bulk command's answer leaves its payload out, as the stream does:
	// its sender has the megabytes it sent.
	e := NewEntryJSON(res.Entry, res.LeafData)
	if len(res.Entry.Envelope.Payload) > record.MaxEnvelopeSize {
		e = streamEntryJSON(res.Entry, res.LeafData)
	}
	body := map[string]any{"entry": e, "duplicate": res.Duplicate}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

// pathTarget reads the id a command is about from its payload, so that a
// route like PUT /members/{member} cannot carry a command about another.
func pathTarget(env *record.Envelope) string {
	var p struct {
		Party     struct{ ID string } `json:"party"`
		Member    struct{ ID string } `json:"member"`
		KeyID     string              `json:"key_id"`
		WitnessID string              `json:"witness_id"`
	}
	json.Unmarshal(env.Payload, &p) //nolint:errcheck // validated by the domain
	switch env.Kind() {
	case cell.KindPartyUpdate:
		return p.Party.ID
	case cell.KindMemberUpdate:
		return p.Member.ID
	case cell.KindKeyRevoke:
		return p.KeyID
	case cell.KindWitnessRevoke:
		return p.WitnessID
	}
	return ""
}

func (s *Server) checkRoute(r *http.Request, env *record.Envelope, kind string) error {
	if env.Kind() != kind {
		return problem(http.StatusUnprocessableEntity, "wrong-kind", "Wrong command kind",
			"this endpoint takes "+record.PayloadType(kind)+", not "+env.PayloadType)
	}
	for _, name := range []string{"party", "member", "key", "witness"} {
		if v := r.PathValue(name); v != "" && v != pathTarget(env) {
			return problem(http.StatusUnprocessableEntity, "wrong-target", "Command is about another "+name,
				"the path names "+name+" "+strconv.Quote(v)+" but the signed command is about "+strconv.Quote(pathTarget(env)))
		}
	}
	return nil
}

func (s *Server) submitKind(kind string, status int) authedHandler {
	return s.submitKindThen(kind, status, nil)
}

// submitKindThen is submitKind whose answer then completes.
func (s *Server) submitKindThen(kind string, status int, after then) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		env, err := s.readEnvelope(w, r)
		if err != nil {
			return err
		}
		if err := s.checkRoute(r, env, kind); err != nil {
			return err
		}
		res, err := s.submit(r, p, env)
		if err != nil {
			return err
		}
		return s.answerEntry(w, r, p, status, res, after)
	}
}

func (s *Server) submitAny(w http.ResponseWriter, r *http.Request, p *Principal) error {
	env, err := s.readEnvelope(w, r)
	if err != nil {
		return err
	}
	switch env.Kind() {
	case cell.KindMemberCreate:
		return s.memberCreated(w, r, p, env)
	case cell.KindMemberUpdate:
		return s.memberUpdated(w, r, p, env, http.StatusCreated)
	}
	res, err := s.submit(r, p, env)
	if err != nil {
		return err
	}
	writeEntry(w, http.StatusCreated, res, nil)
	return nil
}

func (s *Server) getCell(w http.ResponseWriter, r *http.Request, p *Principal) error {
	info, parties, err := s.CellInfo(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"cell": info, "parties": parties})
	return nil
}

func (s *Server) listParties(w http.ResponseWriter, r *http.Request, p *Principal) error {
	parties, err := cell.Parties(r.Context(), s.view(p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"parties": parties})
	return nil
}

func (s *Server) getParty(w http.ResponseWriter, r *http.Request, p *Principal) error {
	pa, err := cell.GetParty(r.Context(), s.view(p), r.PathValue("party"))
	if err != nil {
		return err
	}
	if err := cell.May(p.Actor(), cell.ReadParty, cell.Target{Party: pa.ID}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pa)
	return nil
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, p *Principal) error {
	party := r.URL.Query().Get("party")
	if party == "" && p.Party.Kind != cell.Mediator {
		party = p.Party.ID
	}
	if party != "" {
		if err := cell.May(p.Actor(), cell.ReadMember, cell.Target{Member: &cell.Member{Party: party}}); err != nil {
			return err
		}
	}
	ms, err := cell.Members(r.Context(), s.view(p), party)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": ms})
	return nil
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request, p *Principal) error {
	m, err := cell.GetMember(r.Context(), s.view(p), r.PathValue("member"))
	if errors.Is(err, store.ErrNotFound) {
		// Do not confirm to another party that a name exists.
		return notFound("no member " + strconv.Quote(r.PathValue("member")) + " visible to you")
	}
	if err != nil {
		return err
	}
	if err := cell.May(p.Actor(), cell.ReadMember, cell.Target{Member: &m}); err != nil {
		return notFound("no member " + strconv.Quote(m.ID) + " visible to you")
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) createMember(w http.ResponseWriter, r *http.Request, p *Principal) error {
	env, err := s.readEnvelope(w, r)
	if err != nil {
		return err
	}
	if err := s.checkRoute(r, env, cell.KindMemberCreate); err != nil {
		return err
	}
	return s.memberCreated(w, r, p, env)
}

// memberCreated appends member.create and gives the new member an initial
// password, shown once to the admin who created them.
func (s *Server) memberCreated(w http.ResponseWriter, r *http.Request, p *Principal, env *record.Envelope) error {
	res, err := s.submit(r, p, env)
	if err != nil {
		return err
	}
	extra := map[string]any{}
	if !res.Duplicate {
		m, err := cell.GetMember(r.Context(), s.view(p), pathMember(env))
		if err != nil {
			return err
		}
		pw := auth.NewPassword()
		h, err := auth.HashPassword(pw, s.cfg.Password)
		if err != nil {
			return err
		}
		if err := s.st.PutCredential(r.Context(), store.Credential{Cell: p.Cell, Member: m.ID, Username: m.ID, Hash: h}); err != nil {
			return err
		}
		extra["initial_password"] = pw
	}
	writeEntry(w, http.StatusCreated, res, extra)
	return nil
}

func pathMember(env *record.Envelope) string {
	var p struct {
		Member struct{ ID string } `json:"member"`
	}
	json.Unmarshal(env.Payload, &p) //nolint:errcheck
	return p.Member.ID
}

func (s *Server) updateMember(w http.ResponseWriter, r *http.Request, p *Principal) error {
	env, err := s.readEnvelope(w, r)
	if err != nil {
		return err
	}
	if err := s.checkRoute(r, env, cell.KindMemberUpdate); err != nil {
		return err
	}
	return s.memberUpdated(w, r, p, env, http.StatusOK)
}

// memberUpdated appends member.update; disabling a member also ends their
// sessions (authentication checks the flag too, so a crash in between
// leaves no door open). status is the answer to a new entry: 200 for PUT,
// 201 for POST /entries as for every other kind.
func (s *Server) memberUpdated(w http.ResponseWriter, r *http.Request, p *Principal, env *record.Envelope, status int) error {
	res, err := s.submit(r, p, env)
	if err != nil {
		return err
	}
	m, err := cell.GetMember(r.Context(), s.view(p), pathMember(env))
	if err != nil {
		return err
	}
	if m.Disabled {
		if err := s.st.RevokeMemberTokens(r.Context(), p.Cell, m.ID); err != nil {
			return err
		}
	}
	s.auth.forget(nil, p.Cell, m.ID) // roles may have changed too
	writeEntry(w, status, res, nil)
	return nil
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, p *Principal) error {
	v := s.view(p)
	m, err := cell.GetMember(r.Context(), v, r.PathValue("member"))
	if err != nil {
		return notFound("no member " + strconv.Quote(r.PathValue("member")) + " visible to you")
	}
	hasAdmin, err := cell.PartyHasAdmin(r.Context(), v, m.Party)
	if err != nil {
		return err
	}
	if err := cell.May(p.Actor(), cell.ManageMembers, cell.Target{Party: m.Party, PartyHasAdmin: hasAdmin}); err != nil {
		if cell.May(p.Actor(), cell.ReadMember, cell.Target{Member: &m}) != nil {
			return notFound("no member " + strconv.Quote(m.ID) + " visible to you")
		}
		return err
	}
	pw := auth.NewPassword()
	h, err := auth.HashPassword(pw, s.cfg.Password)
	if err != nil {
		return err
	}
	if err := s.st.PutCredential(r.Context(), store.Credential{Cell: p.Cell, Member: m.ID, Username: m.ID, Hash: h}); err != nil {
		return err
	}
	if err := s.st.RevokeMemberTokens(r.Context(), p.Cell, m.ID); err != nil {
		return err
	}
	s.auth.forget(nil, p.Cell, m.ID)
	s.log.Info("password reset", "cell", p.Cell, "member", m.ID, "by", p.Member.ID)
	writeJSON(w, http.StatusOK, map[string]any{"member": m.ID, "password": pw})
	return nil
}

func (s *Server) memberKeys(r *http.Request, p *Principal, member string) ([]cell.Key, error) {
	objs, err := s.view(p).List(r.Context(), cell.ObjKey, member, -1, 10000)
	if err != nil {
		return nil, err
	}
	out := make([]cell.Key, 0, len(objs))
	for _, o := range objs {
		var k cell.Key
		if err := cell.KeyFromObject(o, &k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := cell.May(p.Actor(), cell.ReadKey, cell.Target{}); err != nil {
		return err
	}
	keys, err := s.memberKeys(r, p, r.URL.Query().Get("member"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
	return nil
}

func (s *Server) getKey(w http.ResponseWriter, r *http.Request, p *Principal) error {
	k, err := cell.GetKey(r.Context(), s.view(p), r.PathValue("key"))
	if errors.Is(err, store.ErrNotFound) && s.cfg.PendingKey != nil {
		if pk, ok := s.cfg.PendingKey(r.Context(), r.PathValue("key")); ok {
			if err := cell.May(p.Actor(), cell.ReadKey, cell.Target{Key: &pk}); err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, pendingKey{Key: pk, Pending: true})
			return nil
		}
	}
	if err != nil {
		return err
	}
	if err := cell.May(p.Actor(), cell.ReadKey, cell.Target{Key: &k}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, k)
	return nil
}

// listEntries pages through the entries the caller may read, by log index.
func (s *Server) listEntries(w http.ResponseWriter, r *http.Request, p *Principal) error {
	after, err := intParam(r, "after", -1)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 1000 {
		return badRequest("limit must be between 1 and 1000")
	}
	out, next, err := s.Entries(r, p, after, int(limit))
	if err != nil {
		return err
	}
	if out == nil {
		out = []EntryJSON{}
	}
	body := map[string]any{"entries": out}
	if next >= 0 {
		body["next"] = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func intParam(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest(name + " must be an integer")
	}
	return n, nil
}
