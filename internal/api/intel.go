package api

import (
	"net/http"

	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// The intelligence desk's routes. Reads go through the query functions of
// intelquery.go, over the reader's view; writes are signed commands. A
// submission carries its bundle, so its route alone reads envelopes up to
// record.MaxBulkEnvelopeSize.
func (s *Server) intelRoutes() {
	s.authed("GET /api/v1/intel/submissions", s.listIntelSubmissions)
	s.authed("POST /api/v1/intel/submissions", s.submitIntel)
	s.authed("GET /api/v1/intel/submissions/{submission}", s.getIntelSubmission)
	s.authed("GET /api/v1/intel/submissions/{submission}/bundle", s.getIntelBundle)
	s.authed("GET /api/v1/intel/queue", s.getIntelQueue)
	s.authed("POST /api/v1/intel/proposals", s.submitKindThen(intel.KindPropose, http.StatusCreated, s.proposalAfter))
	s.authed("GET /api/v1/intel/proposals/{proposal}", s.getIntelProposal)
	s.authed("GET /api/v1/intel/proposals/{proposal}/draft", s.getIntelDraft)
	s.authed("POST /api/v1/intel/proposals/{proposal}/approve", s.submitOnThen(intel.KindApprove, "proposal", "proposal", s.proposalAfter))
	s.authed("POST /api/v1/intel/proposals/{proposal}/release", s.submitOnThen(intel.KindRelease, "proposal", "proposal", s.releaseAfter))
	s.authed("GET /api/v1/intel/releases", s.listIntelReleases)
	s.authed("GET /api/v1/intel/releases/{release}", s.getIntelRelease)
	s.authed("GET /api/v1/intel/releases/{release}/bundle", s.getIntelReleaseBundle)
}

func (s *Server) listIntelSubmissions(w http.ResponseWriter, r *http.Request, p *Principal) error {
	subs, err := s.IntelSubmissions(r, p, r.URL.Query().Get("status"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"submissions": subs})
	return nil
}

// submitIntel takes an intel.submit and answers with the submission, not
// the entry: the entry holds the whole bundle, which its sender has.
func (s *Server) submitIntel(w http.ResponseWriter, r *http.Request, p *Principal) error {
	env, err := s.readEnvelopeMax(w, r, record.MaxBulkEnvelopeSize)
	if err != nil {
		return err
	}
	if err := s.checkRoute(r, env, intel.KindSubmit); err != nil {
		return err
	}
	res, err := s.submit(r, p, env)
	if err != nil {
		return err
	}
	sub, err := s.IntelSubmission(r, p, res.Entry.Index)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{"index": res.Entry.Index, "duplicate": res.Duplicate, "submission": sub})
	return nil
}

func (s *Server) getIntelSubmission(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "submission")
	if err != nil {
		return err
	}
	d, err := s.IntelSubmission(r, p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// writeSTIX answers a STIX bundle in its media type.
func writeSTIX(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/stix+json;version=2.1")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b) //nolint:errcheck // the client went away
}

func (s *Server) getIntelBundle(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "submission")
	if err != nil {
		return err
	}
	b, err := s.IntelBundle(r, p, id)
	if err != nil {
		return err
	}
	writeSTIX(w, b)
	return nil
}

func (s *Server) getIntelQueue(w http.ResponseWriter, r *http.Request, p *Principal) error {
	q, err := s.IntelQueue(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"queue": q})
	return nil
}

func (s *Server) getIntelProposal(w http.ResponseWriter, r *http.Request, p *Principal) error {
	d, err := s.IntelProposal(r, p, r.PathValue("proposal"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// getIntelDraft answers what an approved proposal releases: the bundle the
// publishing member signs into intel.release.
func (s *Server) getIntelDraft(w http.ResponseWriter, r *http.Request, p *Principal) error {
	b, err := s.IntelDraft(r, p, r.PathValue("proposal"))
	if err != nil {
		return err
	}
	writeSTIX(w, b)
	return nil
}

// proposalAfter answers a proposal's step with the proposal as it stands,
// for the mediator who took it.
func (s *Server) proposalAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	id := r.PathValue("proposal")
	if id == "" {
		id = payloadString(res, "proposal")
	}
	d, err := s.IntelProposal(r, p, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"proposal": d}, nil
}

func (s *Server) releaseAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	d, err := s.IntelRelease(r, p, r.PathValue("proposal"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"release": d}, nil
}

func (s *Server) listIntelReleases(w http.ResponseWriter, r *http.Request, p *Principal) error {
	rs, err := s.IntelReleases(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"releases": rs})
	return nil
}

func (s *Server) getIntelRelease(w http.ResponseWriter, r *http.Request, p *Principal) error {
	d, err := s.IntelRelease(r, p, r.PathValue("release"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// getIntelReleaseBundle answers a release's bundle exactly as its
// publisher signed it, to import into MISP or OpenCTI as a file.
func (s *Server) getIntelReleaseBundle(w http.ResponseWriter, r *http.Request, p *Principal) error {
	b, err := s.IntelReleaseBundle(r, p, r.PathValue("release"))
	if err != nil {
		return err
	}
	writeSTIX(w, b)
	return nil
}
