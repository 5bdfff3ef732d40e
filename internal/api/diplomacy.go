package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/store"
)

// The diplomatic desk's routes: agreements, commitments and the withdrawal
// timetable, disputes, talks rounds and joint statements. Reads go through
// the query functions of diplomacyquery.go, over the reader's view; writes
// are signed envelopes whose ids must be the path's. A thing the caller
// may not read is answered as one that does not exist.

func (s *Server) diplomacyRoutes() {
	s.authed("GET /api/v1/agreements", s.listAgreements)
	s.authed("POST /api/v1/agreements", s.submitKindThen(diplomacy.KindAgreementRecord, http.StatusCreated, s.agreementAfter))
	s.authed("GET /api/v1/agreements/{agreement}", s.getAgreement)
	s.authed("GET /api/v1/agreements/{agreement}/diff", s.agreementDiff)

	s.authed("GET /api/v1/commitments", s.listCommitments)
	s.authed("POST /api/v1/commitments", s.submitKindThen(diplomacy.KindCommitmentCreate, http.StatusCreated, s.commitmentAfter))
	s.authed("GET /api/v1/commitments/{commitment}", s.getCommitment)
	milestone := func(kind string) authedHandler {
		return s.submitBound(kind, s.commitmentAfter, bind{"commitment", "commitment"}, bind{"milestone", "milestone"})
	}
	s.authed("POST /api/v1/commitments/{commitment}/milestones/{milestone}/status", milestone(diplomacy.KindCommitmentStatus))
	s.authed("POST /api/v1/commitments/{commitment}/milestones/{milestone}/report", milestone(diplomacy.KindPhaseReport))
	s.authed("POST /api/v1/commitments/{commitment}/milestones/{milestone}/signoff", milestone(diplomacy.KindPhaseSignoff))

	s.authed("GET /api/v1/disputes", s.listDisputes)
	s.authed("POST /api/v1/disputes", s.submitKindThen(diplomacy.KindDisputeFile, http.StatusCreated, s.disputeAfter))
	s.authed("GET /api/v1/disputes/{dispute}", s.getDispute)
	s.authed("GET /api/v1/disputes/{dispute}/evidence", s.disputeEvidence)
	step := func(kind string) authedHandler { return s.submitOnThen(kind, "dispute", "dispute", s.disputeAfter) }
	s.authed("POST /api/v1/disputes/{dispute}/ack", step(diplomacy.KindDisputeAck))
	s.authed("POST /api/v1/disputes/{dispute}/respond", step(diplomacy.KindDisputeRespond))
	s.authed("POST /api/v1/disputes/{dispute}/finding", step(diplomacy.KindDisputeFinding))
	s.authed("POST /api/v1/disputes/{dispute}/accept", step(diplomacy.KindDisputeAccept))
	s.authed("POST /api/v1/disputes/{dispute}/share", step(diplomacy.KindDisputeShare))

	s.authed("GET /api/v1/rounds", s.listRounds)
	s.authed("POST /api/v1/rounds", s.submitKindThen(diplomacy.KindRoundCreate, http.StatusCreated, s.roundAfter))
	s.authed("GET /api/v1/rounds/{round}", s.getRound)
	s.authed("POST /api/v1/rounds/{round}/agenda", s.submitOnThen(diplomacy.KindRoundAgenda, "round", "round", s.roundAfter))
	s.authed("POST /api/v1/rounds/{round}/minutes", s.submitOnThen(diplomacy.KindRoundMinutes, "round", "round", s.roundAfter))
	s.authed("POST /api/v1/rounds/{round}/items/{item}/outcome",
		s.submitBound(diplomacy.KindRoundOutcome, s.roundAfter, bind{"round", "round"}, bind{"item", "item"}))

	s.authed("GET /api/v1/statements", s.listStatements)
	s.authed("POST /api/v1/statements", s.submitKindThen(diplomacy.KindStatementDraft, http.StatusCreated, s.statementAfter))
	s.authed("GET /api/v1/statements/{statement}", s.getStatement)
	s.authed("GET /api/v1/statements/{statement}/diff", s.statementDiff)
	s.authed("GET /api/v1/statements/{statement}/evidence", s.statementEvidence)
	s.authed("POST /api/v1/statements/{statement}/comments", s.submitOnThen(diplomacy.KindStatementComment, "statement", "statement", s.statementAfter))
	s.authed("POST /api/v1/statements/{statement}/sign", s.submitOnThen(diplomacy.KindStatementSign, "statement", "statement", s.statementAfter))
	s.authed("POST /api/v1/statements/{statement}/publish", s.submitOnThen(diplomacy.KindStatementPublish, "statement", "statement", s.statementAfter))
}

// payloadString reads a string field of an appended command's payload,
// one object down per name ("statement", "id"): the id of what a command
// that takes no path made.
func payloadString(res store.Result, names ...string) string {
	var v any
	if json.Unmarshal(res.Entry.Envelope.Payload, &v) != nil {
		return ""
	}
	for _, n := range names {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[n]
	}
	s, _ := v.(string)
	return s
}

// versionsParam reads ?from=&to= (each optional: 0).
func versionsParam(r *http.Request) (from, to int, err error) {
	for name, dst := range map[string]*int{"from": &from, "to": &to} {
		v := r.URL.Query().Get(name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, badRequest(name + " " + strconv.Quote(v) + ": a version number, from 1")
		}
		*dst = n
	}
	return from, to, nil
}

func (s *Server) listAgreements(w http.ResponseWriter, r *http.Request, p *Principal) error {
	as, err := s.Agreements(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"agreements": as})
	return nil
}

func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request, p *Principal) error {
	a, err := s.Agreement(r, p, r.PathValue("agreement"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) agreementDiff(w http.ResponseWriter, r *http.Request, p *Principal) error {
	from, to, err := versionsParam(r)
	if err != nil {
		return err
	}
	d, err := s.AgreementDiff(r, p, r.PathValue("agreement"), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// agreementAfter answers a recorded version with the agreement.
func (s *Server) agreementAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	a, err := s.Agreement(r, p, payloadString(res, "agreement", "id"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"agreement": a.Agreement}, nil
}

func (s *Server) listCommitments(w http.ResponseWriter, r *http.Request, p *Principal) error {
	cs, err := s.Commitments(r, p, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"commitments": cs})
	return nil
}

func (s *Server) getCommitment(w http.ResponseWriter, r *http.Request, p *Principal) error {
	c, err := s.Commitment(r, p, r.PathValue("commitment"), time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// commitmentAfter answers with the commitment as it now stands.
func (s *Server) commitmentAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	id := r.PathValue("commitment")
	if id == "" {
		id = payloadString(res, "commitment", "id")
	}
	c, err := s.Commitment(r, p, id, time.Now())
	if err != nil {
		return nil, err
	}
	return map[string]any{"commitment": c}, nil
}

func (s *Server) listDisputes(w http.ResponseWriter, r *http.Request, p *Principal) error {
	q, err := ParseRegisterQuery(r.URL.Query())
	if err != nil {
		return err
	}
	reg, err := s.DisputeRegister(r, p, q, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reg)
	return nil
}

func (s *Server) getDispute(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "dispute")
	if err != nil {
		return err
	}
	d, err := s.Dispute(r, p, id, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// disputeAfter answers a dispute's step with the dispute as it now
// stands.
func (s *Server) disputeAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	id := res.Entry.Index
	if r.PathValue("dispute") != "" {
		var err error
		if id, err = pathID(r, "dispute"); err != nil {
			return nil, err
		}
	}
	d, err := s.Dispute(r, p, id, time.Now())
	if err != nil {
		return nil, err
	}
	return map[string]any{"dispute": d.DisputeRow}, nil
}

// disputeEvidence answers GET /disputes/{dispute}/evidence: the bundle of
// the dispute's steps and what it cites, as far as the caller may read
// them, for 'liaison verify --bundle' anywhere.
func (s *Server) disputeEvidence(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "dispute")
	if err != nil {
		return err
	}
	cited, err := s.DisputeEvidence(r, p, id)
	if err != nil {
		return err
	}
	return s.bundleOf(w, r, p, cited, "dispute-"+strconv.FormatInt(id, 10))
}

// bundleOf writes the evidence bundle of entries p may read.
func (s *Server) bundleOf(w http.ResponseWriter, r *http.Request, p *Principal, cited []int64, name string) error {
	if len(cited) == 0 {
		return notFound("no entry of " + name + " that you may read")
	}
	release, err := s.evidenceSlot()
	if err != nil {
		return err
	}
	defer release()
	src, err := s.readerSource(r.Context(), p)
	if err != nil {
		return err
	}
	return s.writeBundle(w, r, src, cited, name)
}

func (s *Server) listRounds(w http.ResponseWriter, r *http.Request, p *Principal) error {
	rs, err := s.Rounds(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rs)
	return nil
}

func (s *Server) getRound(w http.ResponseWriter, r *http.Request, p *Principal) error {
	rd, err := s.Round(r, p, r.PathValue("round"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rd)
	return nil
}

// roundAfter answers with the round as it now stands.
func (s *Server) roundAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	id := r.PathValue("round")
	if id == "" {
		id = payloadString(res, "round", "id")
	}
	rd, err := s.Round(r, p, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"round": rd}, nil
}

func (s *Server) listStatements(w http.ResponseWriter, r *http.Request, p *Principal) error {
	ss, err := s.Statements(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ss)
	return nil
}

func (s *Server) getStatement(w http.ResponseWriter, r *http.Request, p *Principal) error {
	d, err := s.Statement(r, p, r.PathValue("statement"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) statementDiff(w http.ResponseWriter, r *http.Request, p *Principal) error {
	from, to, err := versionsParam(r)
	if err != nil {
		return err
	}
	d, err := s.StatementDiff(r, p, r.PathValue("statement"), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// statementEvidence answers GET /statements/{statement}/evidence: the
// bundle that proves the statement's text, who signed it and its
// publication, as far as the caller may read them.
func (s *Server) statementEvidence(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id := r.PathValue("statement")
	cited, err := s.StatementEvidence(r, p, id)
	if err != nil {
		return err
	}
	return s.bundleOf(w, r, p, cited, "statement-"+id)
}

// StatementAnswer is what a statement's command is answered with: the
// statement and its latest version that the caller reads.
type StatementAnswer struct {
	diplomacy.StatementInfo
	Version *diplomacy.StatementVersion `json:"version,omitempty"`
}

// statementAfter answers with the statement and its latest version.
func (s *Server) statementAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	id := r.PathValue("statement")
	if id == "" {
		id = payloadString(res, "statement", "id")
	}
	d, err := s.Statement(r, p, id)
	if err != nil {
		return nil, err
	}
	a := StatementAnswer{StatementInfo: d.StatementInfo}
	if n := len(d.Versions); n > 0 {
		a.Version = &d.Versions[n-1]
	}
	return map[string]any{"statement": a}, nil
}
