package api

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// MaxBlob bounds one attachment.
const MaxBlob = 10 << 20

func (s *Server) hotlineRoutes() {
	s.authed("GET /api/v1/channels", s.listChannels)
	s.authed("POST /api/v1/channels", s.submitKind(hotline.KindChannelCreate, http.StatusCreated))
	s.authed("GET /api/v1/channels/{channel}", s.getChannel)
	s.authed("POST /api/v1/channels/{channel}/invite", s.submitOn(hotline.KindChannelInvite, "channel", "channel"))
	s.authed("GET /api/v1/channels/{channel}/messages", s.listMessages)
	s.authed("POST /api/v1/messages", s.submitKind(hotline.KindMessageSend, http.StatusCreated))
	s.authed("GET /api/v1/messages/{message}", s.getMessage)
	s.authed("GET /api/v1/messages/{message}/evidence", s.getEvidence)
	s.authed("GET /api/v1/evidence", s.getEvidenceOf)
	s.authed("POST /api/v1/messages/{message}/ack", s.submitOn(hotline.KindMessageAck, "message", "message"))
	s.authed("POST /api/v1/messages/{message}/readback", s.submitOn(hotline.KindReadbackMark, "message", "message"))
	s.authed("POST /api/v1/messages/{message}/read", s.submitOn(hotline.KindMessageRead, "message", "message"))
	s.authed("POST /api/v1/messages/{message}/translations", s.submitOn(hotline.KindTranslationAdd, "message", "message"))
	s.authed("POST /api/v1/messages/{message}/relay", s.submitOn(hotline.KindMessageRelay, "origin", "message"))
	s.authed("POST /api/v1/translations/{translation}/confirm", s.submitOn(hotline.KindTranslationConfirm, "translation", "translation"))
	s.authed("GET /api/v1/inbox", s.inbox)
	s.authed("GET /api/v1/escalations", s.listEscalations)
	s.authed("GET /api/v1/glossary", s.listGlossary)
	s.authed("POST /api/v1/glossary", s.submitKind(hotline.KindGlossarySet, http.StatusCreated))
	s.authed("GET /api/v1/linktests", s.linkTests)
	s.authed("POST /api/v1/blobs", s.putBlob)
	s.authed("GET /api/v1/blobs/{sha256}", s.getBlob)
}

// submitOn takes a command of kind whose payload field must equal the
// path parameter param, so that a URL cannot carry a command about
// something else.
func (s *Server) submitOn(kind, field, param string) authedHandler {
	return s.submitOnThen(kind, field, param, nil)
}

// then adds to the answer of an appended command what the caller should
// see of its effect (the conflicts a notification found, say), read
// through the caller's view.
type then func(r *http.Request, p *Principal, res store.Result) (map[string]any, error)

// submitOnThen is submitOn whose answer then completes.
func (s *Server) submitOnThen(kind, field, param string, after then) authedHandler {
	return s.submitBound(kind, after, bind{field, param})
}

// bind ties a payload field to the path parameter that must equal it.
type bind struct{ field, param string }

// submitBound takes a command of kind whose payload fields equal the path
// parameters they are bound to: a path that names two things (a
// commitment and its milestone) binds each.
func (s *Server) submitBound(kind string, after then, binds ...bind) authedHandler {
	max := record.MaxEnvelopeSize
	if s.led.Bulk(kind) {
		max = record.MaxBulkEnvelopeSize
	}
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		env, err := s.readEnvelopeMax(w, r, max)
		if err != nil {
			return err
		}
		if env.Kind() != kind {
			return problem(http.StatusUnprocessableEntity, "wrong-kind", "Wrong command kind",
				"this endpoint takes "+record.PayloadType(kind)+", not "+env.PayloadType)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(env.Payload, &fields); err != nil {
			return problem(http.StatusUnprocessableEntity, "invalid", "Invalid command", "payload is not a JSON object")
		}
		for _, b := range binds {
			got := strings.Trim(string(fields[b.field]), `"`)
			if got != r.PathValue(b.param) {
				return problem(http.StatusUnprocessableEntity, "wrong-target", "Command is about another "+b.param,
					"the path names "+b.param+" "+strconv.Quote(r.PathValue(b.param))+" but the signed command's "+b.field+" is "+strconv.Quote(got))
			}
		}
		res, err := s.submit(r, p, env)
		if err != nil {
			return err
		}
		return s.answerEntry(w, r, p, http.StatusCreated, res, after)
	}
}

// answerEntry writes the answer of an appended command, completed by
// after when it is set.
func (s *Server) answerEntry(w http.ResponseWriter, r *http.Request, p *Principal, status int, res store.Result, after then) error {
	var extra map[string]any
	if after != nil {
		var err error
		if extra, err = after(r, p, res); err != nil {
			return err
		}
	}
	writeEntry(w, status, res, extra)
	return nil
}

func decodeDoc[T any](o store.Object) (T, error) {
	var v T
	err := json.Unmarshal(o.Doc, &v)
	return v, err
}

func getDoc[T any](r *http.Request, v store.View, kind, id string) (T, error) {
	o, err := v.Get(r.Context(), kind, id)
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeDoc[T](o)
}

func listDocs[T any](r *http.Request, v store.View, kind, parent string) ([]T, error) {
	var out []T
	after := int64(-1)
	for {
		objs, err := v.List(r.Context(), kind, parent, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			d, err := decodeDoc[T](o)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
			after = o.Seq
		}
		if len(objs) < 1000 {
			return out, nil
		}
	}
}

// channels returns the channels the principal's party reads.
func (s *Server) channels(r *http.Request, p *Principal) ([]hotline.Channel, error) {
	return listDocs[hotline.Channel](r, s.view(p), hotline.ObjChannel, "")
}

// visibleChannel answers 404 for a channel the caller may not read, the
// same as for one that does not exist: a party must not learn that
// another's line exists.
func (s *Server) visibleChannel(r *http.Request, p *Principal, id string) (hotline.Channel, error) {
	ch, err := getDoc[hotline.Channel](r, s.view(p), hotline.ObjChannel, id)
	if errors.Is(err, store.ErrNotFound) {
		return ch, notFound("no channel " + strconv.Quote(id))
	}
	return ch, err
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request, p *Principal) error {
	chs, err := s.channels(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": chs})
	return nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, p *Principal) error {
	ch, err := s.visibleChannel(r, p, r.PathValue("channel"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

// MessageView is a message with everything said about it that the caller
// may read.
type MessageView struct {
	hotline.Message
	Acks         []hotline.Ack         `json:"acks"`
	Receipts     []hotline.Receipt     `json:"receipts"`
	Translations []hotline.Translation `json:"translations"`
	// Glossary lists the agreed terms the message uses.
	Glossary []GlossaryHit `json:"glossary,omitempty"`
	// RelayedFrom and RelayedTo link relays; only the mediator sees them.
	RelayedFrom *int64  `json:"relayed_from,omitempty"`
	RelayedTo   []int64 `json:"relayed_to,omitempty"`
}

// GlossaryHit is an agreed term found in a message's text.
type GlossaryHit struct {
	Term string `json:"term"` // the term id
	Lang string `json:"lang"`
	Text string `json:"text"` // the term as it appears in the glossary
}

func (s *Server) messageView(r *http.Request, p *Principal, m hotline.Message, terms []hotline.Term) (MessageView, error) {
	v := s.view(p)
	id := hotline.MsgID(m.ID)
	mv := MessageView{Message: m}
	var err error
	if mv.Acks, err = listDocs[hotline.Ack](r, v, hotline.ObjAck, id); err != nil {
		return mv, err
	}
	if mv.Receipts, err = listDocs[hotline.Receipt](r, v, hotline.ObjReceipt, id); err != nil {
		return mv, err
	}
	if mv.Translations, err = listDocs[hotline.Translation](r, v, hotline.ObjTranslation, id); err != nil {
		return mv, err
	}
	mv.Glossary = glossaryHits(m.Subject+"\n"+m.Body, terms)
	// Relay links are entries for the mediator alone: the view holds
	// them for the mediator and for no one else.
	if rel, err := getDoc[hotline.Relay](r, v, hotline.ObjRelay, id); err == nil {
		mv.RelayedFrom = &rel.Origin
	} else if !errors.Is(err, store.ErrNotFound) {
		return mv, err
	}
	rels, err := listDocs[hotline.Relay](r, v, hotline.ObjRelay, id)
	if err != nil {
		return mv, err
	}
	for _, rel := range rels {
		mv.RelayedTo = append(mv.RelayedTo, rel.Copy)
	}
	for _, sl := range []*[]hotline.Ack{&mv.Acks} {
		if *sl == nil {
			*sl = []hotline.Ack{}
		}
	}
	if mv.Receipts == nil {
		mv.Receipts = []hotline.Receipt{}
	}
	if mv.Translations == nil {
		mv.Translations = []hotline.Translation{}
	}
	return mv, nil
}

// glossaryHits finds agreed terms in text, case-insensitively.
func glossaryHits(text string, terms []hotline.Term) []GlossaryHit {
	lower := strings.ToLower(text)
	var out []GlossaryHit
	for _, t := range terms {
		for lang, s := range t.Terms {
			if s != "" && strings.Contains(lower, strings.ToLower(s)) {
				out = append(out, GlossaryHit{Term: t.ID, Lang: lang, Text: s})
			}
		}
	}
	slices.SortFunc(out, func(a, b GlossaryHit) int { return cmp.Or(cmp.Compare(a.Term, b.Term), cmp.Compare(a.Lang, b.Lang)) })
	return out
}

func (s *Server) visibleMessage(r *http.Request, p *Principal, idText string) (hotline.Message, error) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id < 0 {
		return hotline.Message{}, badRequest("a message id is a log index")
	}
	m, err := getDoc[hotline.Message](r, s.view(p), hotline.ObjMessage, hotline.MsgID(id))
	if errors.Is(err, store.ErrNotFound) {
		return m, notFound("no message " + idText)
	}
	return m, err
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request, p *Principal) error {
	m, err := s.visibleMessage(r, p, r.PathValue("message"))
	if err != nil {
		return err
	}
	terms, err := listDocs[hotline.Term](r, s.view(p), hotline.ObjGlossary, "")
	if err != nil {
		return err
	}
	mv, err := s.messageView(r, p, m, terms)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mv)
	return nil
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request, p *Principal) error {
	ch, err := s.visibleChannel(r, p, r.PathValue("channel"))
	if err != nil {
		return err
	}
	after, err := intParam(r, "after", -1)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 50)
	if err != nil {
		return err
	}
	if limit < 1 || limit > 500 {
		return badRequest("limit must be between 1 and 500")
	}
	v := s.view(p)
	objs, err := v.List(r.Context(), hotline.ObjMessage, ch.ID, after, int(limit))
	if err != nil {
		return err
	}
	terms, err := listDocs[hotline.Term](r, v, hotline.ObjGlossary, "")
	if err != nil {
		return err
	}
	out := make([]MessageView, 0, len(objs))
	for _, o := range objs {
		m, err := decodeDoc[hotline.Message](o)
		if err != nil {
			return err
		}
		mv, err := s.messageView(r, p, m, terms)
		if err != nil {
			return err
		}
		out = append(out, mv)
	}
	body := map[string]any{"messages": out}
	if len(objs) == int(limit) {
		body["next"] = strconv.FormatInt(objs[len(objs)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// InboxItem is a message awaiting the caller's party's acknowledgement.
type InboxItem struct {
	Message  hotline.Message  `json:"message"`
	Ack      hotline.Ack      `json:"ack"`
	Deadline hotline.Deadline `json:"deadline"`
	Due      time.Time        `json:"due"`
	// SecondsLeft is negative once the deadline has passed.
	SecondsLeft int64 `json:"seconds_left"`
}

// inbox lists what awaits the caller's party's acknowledgement, soonest
// deadline first; the mediator may ask for another party with ?party=.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request, p *Principal) error {
	party := p.Party.ID
	if q := r.URL.Query().Get("party"); q != "" {
		party = q
	}
	items, err := s.PartyInbox(r, p, party)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"party": party, "items": items})
	return nil
}

// inboxItems lists what awaits party's acknowledgement, soonest deadline
// first; the caller has checked that p may see party's inbox.
func (s *Server) inboxItems(r *http.Request, p *Principal, party string) ([]InboxItem, error) {
	v := s.view(p)
	ds, err := listDocs[hotline.Deadline](r, v, hotline.ObjDeadline, party)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	items := make([]InboxItem, 0, len(ds))
	for _, d := range ds {
		m, err := getDoc[hotline.Message](r, v, hotline.ObjMessage, hotline.MsgID(d.Message))
		if err != nil {
			return nil, err
		}
		a, err := getDoc[hotline.Ack](r, v, hotline.ObjAck, hotline.AckID(d.Message, d.Party))
		if err != nil {
			return nil, err
		}
		items = append(items, InboxItem{Message: m, Ack: a, Deadline: d, Due: a.Due, SecondsLeft: int64(a.Due.Sub(now) / time.Second)})
	}
	slices.SortFunc(items, func(a, b InboxItem) int { return a.Due.Compare(b.Due) })
	return items, nil
}

func (s *Server) listEscalations(w http.ResponseWriter, r *http.Request, p *Principal) error {
	after, err := intParam(r, "after", -1)
	if err != nil {
		return err
	}
	const limit = 500
	out, last, err := s.escalations(r, p, after, limit)
	if err != nil {
		return err
	}
	body := map[string]any{"escalations": out}
	if len(out) == limit {
		body["next"] = strconv.FormatInt(last, 10)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// escalations lists at most limit escalations p may read, after the
// cursor; last is the cursor of the last one listed. The view filters in
// the query, so the page and its cursor count only what p may see: a
// cursor moved by other parties' escalations would tell how many there
// are.
func (s *Server) escalations(r *http.Request, p *Principal, after int64, limit int) (out []hotline.Escalation, last int64, err error) {
	objs, err := s.view(p).List(r.Context(), hotline.ObjEscalation, "", after, limit)
	if err != nil {
		return nil, 0, err
	}
	out = make([]hotline.Escalation, 0, len(objs))
	for _, o := range objs {
		e, err := decodeDoc[hotline.Escalation](o)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
		last = o.Seq
	}
	return out, last, nil
}

func (s *Server) listGlossary(w http.ResponseWriter, r *http.Request, p *Principal) error {
	terms, err := listDocs[hotline.Term](r, s.view(p), hotline.ObjGlossary, "")
	if err != nil {
		return err
	}
	if terms == nil {
		terms = []hotline.Term{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"terms": terms})
	return nil
}

func (s *Server) linkTests(w http.ResponseWriter, r *http.Request, p *Principal) error {
	out, err := s.lineHealth(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"lines": out})
	return nil
}

// lineHealth lists the link-test state of the lines p may see: every line
// for the mediator, its own for a party (a line's audience).
func (s *Server) lineHealth(r *http.Request, p *Principal) ([]hotline.LinkHealth, error) {
	hs, err := listDocs[hotline.LinkHealth](r, s.view(p), hotline.ObjLinkHealth, "")
	if hs == nil && err == nil {
		hs = []hotline.LinkHealth{}
	}
	return hs, err
}

// putBlob stores an attachment before the message that carries it is
// sent. Its hash is the name; the bytes are readable only through a
// message the reader may see, and attachable by a party that uploaded them
// or may read a message carrying them.
func (s *Server) putBlob(w http.ResponseWriter, r *http.Request, p *Principal) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBlob)
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return badRequest("empty attachment")
	}
	if s.cfg.Mirror != nil {
		// The route is open at a mirror only with Config.Upload.
		return s.uploadAtMirror(w, r, p, data)
	}
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	if err := s.st.PutBlob(r.Context(), sha, data); err != nil {
		return err
	}
	// The log records that this party holds the bytes, which is what lets
	// it attach them; a second upload by the same party is the same entry.
	if _, err := s.led.SubmitServer(r.Context(), p.Cell, hotline.KindAttachmentUpload, map[string]any{
		"id": "upload/" + p.Party.ID + "/" + sha, "sha256": sha, "size": len(data), "party": p.Party.ID, "member": p.Member.ID,
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sha256": sha, "size": len(data)})
	return nil
}

// getBlob serves an attachment to whoever may read a message carrying it:
// its attachment objects carry their message's audience. A file uploaded
// and not yet sent is no one's to read, its uploader's included: an
// upload is a draft, and the server is not a file store.
func (s *Server) getBlob(w http.ResponseWriter, r *http.Request, p *Principal) error {
	sha := r.PathValue("sha256")
	refs, err := s.view(p).List(r.Context(), hotline.ObjAttachment, sha, -1, 1)
	if err != nil {
		return err
	}
	if len(refs) == 0 {
		return notFound("no attachment " + sha + " visible to you")
	}
	ref, err := decodeDoc[struct {
		Name string `json:"name"`
	}](refs[0])
	if err != nil {
		return err
	}
	name := ref.Name
	data, err := s.st.Blob(r.Context(), sha)
	if errors.Is(err, store.ErrNotFound) && s.cfg.Mirror != nil {
		// A party's record names the file; a mirror holds the bytes of
		// those uploaded there only.
		return problem(http.StatusNotFound, "not-found", "Not found",
			"this mirror holds the files uploaded through it only, not "+name+": download it at the cell's server")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlEscape(name))
	w.Header().Set("Cache-Control", "private, max-age=3600, immutable")
	w.Write(data) //nolint:errcheck
	return nil
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}
