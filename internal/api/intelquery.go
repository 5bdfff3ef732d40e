package api

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/intel"
)

// The intelligence desk's reads, for the API's routes and for the pages.
// Each reads through the caller's view (s.view): a submission, a proposal
// or a release the caller's party (or the caller, for TLP:RED) may not read
// fails with the same 404 as one that does not exist.

// IntelSubmissions lists the submissions p reads, newest first, of one
// status or all ("").
func (s *Server) IntelSubmissions(r *http.Request, p *Principal, status string) ([]intel.Submission, error) {
	switch status {
	case "", intel.StatusSubmitted, intel.StatusReleased, intel.StatusWithheld, intel.StatusReturned:
	default:
		return nil, badRequest("status " + strconv.Quote(status) + ": submitted, released, withheld or returned")
	}
	return intel.Submissions(r.Context(), s.view(p), status)
}

// IntelSubmission returns a submission, with its proposals for the
// mediator.
func (s *Server) IntelSubmission(r *http.Request, p *Principal, id int64) (intel.SubmissionDetail, error) {
	d, err := intel.GetSubmission(r.Context(), s.view(p), id)
	return d, notFoundAs(err, "no submission "+strconv.FormatInt(id, 10))
}

// IntelBundle returns a submission's bundle as it was submitted.
func (s *Server) IntelBundle(r *http.Request, p *Principal, id int64) ([]byte, error) {
	b, err := intel.Bundle(r.Context(), s.view(p), id)
	return b, notFoundAs(err, "no submission "+strconv.FormatInt(id, 10))
}

// IntelQueue is the mediator's review queue, oldest first; for anyone else
// a 403, which hides nothing: that a queue exists is no secret.
func (s *Server) IntelQueue(r *http.Request, p *Principal) ([]intel.QueueItem, error) {
	if err := cell.May(p.Actor(), cell.ReviewIntel, cell.Target{}); err != nil {
		return nil, err
	}
	return intel.Queue(r.Context(), s.view(p))
}

// IntelProposal returns a proposal: the mediator's alone.
func (s *Server) IntelProposal(r *http.Request, p *Principal, id string) (intel.Proposal, error) {
	d, err := intel.GetProposal(r.Context(), s.view(p), id)
	return d, notFoundAs(err, "no proposal "+strconv.Quote(id))
}

// IntelReleases lists the releases p reads, newest first; for the
// mediator each with its original.
func (s *Server) IntelReleases(r *http.Request, p *Principal) ([]intel.ReleaseDetail, error) {
	return intel.Releases(r.Context(), s.view(p))
}

// IntelRelease returns one release.
func (s *Server) IntelRelease(r *http.Request, p *Principal, id string) (intel.ReleaseDetail, error) {
	d, err := intel.GetRelease(r.Context(), s.view(p), id)
	return d, notFoundAs(err, "no release "+strconv.Quote(id))
}

// IntelReleaseObjects returns the objects of a release as p reads them: in
// p's party's collection; for the mediator, in its first recipient's.
func (s *Server) IntelReleaseObjects(r *http.Request, p *Principal, id string) (intel.ReleaseDetail, []intel.Stored, error) {
	d, err := s.IntelRelease(r, p, id)
	if err != nil {
		return d, nil, err
	}
	party := p.Party.ID
	if p.Party.Kind == cell.Mediator {
		party = ""
	}
	v := s.view(p)
	coll := intel.CollectionOf(d.ReleaseInfo, party, func(member string) string {
		m, err := cell.GetMember(r.Context(), v, member)
		if err != nil {
			return ""
		}
		return m.Party
	})
	objs, err := intel.ReleaseObjects(r.Context(), v, d.ReleaseInfo, coll)
	return d, objs, err
}

// IntelDraft is what a release proposal releases, for the member who
// publishes it to sign: the mediator's alone, as the proposal is.
func (s *Server) IntelDraft(r *http.Request, p *Principal, id string) ([]byte, error) {
	b, err := intel.Draft(r.Context(), s.view(p), id)
	return b, notFoundAs(err, "no proposal "+strconv.Quote(id))
}

// IntelReleaseBundle is a release's bundle as its publisher signed it.
func (s *Server) IntelReleaseBundle(r *http.Request, p *Principal, id string) ([]byte, error) {
	b, err := intel.ReleaseBundle(r.Context(), s.view(p), id)
	return b, notFoundAs(err, "no release "+strconv.Quote(id))
}

// IntelStaged lists p's own TAXII posts, newest first: what waits for p's
// signature, and what p signed already. They are in the shape GET
// /api/v1/intel/staged answers, with the status id p's platform was given,
// so that the page and the route cannot come to say different things.
func (s *Server) IntelStaged(r *http.Request, p *Principal) ([]StagedPost, error) {
	st, err := intel.StagedOf(r.Context(), s.view(p), p.Member.ID)
	if err != nil {
		return nil, err
	}
	out := make([]StagedPost, len(st))
	for i, x := range st {
		out[i] = stagedPost(p.Cell, x)
	}
	return out, nil
}

// IntelStagedBundle is the exact bytes a TAXII post staged, for its poster
// alone: a colleague, who reads that it waits, does not read what it holds
// until it is signed, and is answered as if there were no such post.
func (s *Server) IntelStagedBundle(r *http.Request, p *Principal, id int64) ([]byte, error) {
	errNone := notFound("no TAXII post " + strconv.FormatInt(id, 10) + " of yours")
	o, err := s.view(p).Get(r.Context(), intel.ObjStaged, strconv.FormatInt(id, 10))
	if err != nil {
		return nil, notFoundAs(err, errNone.Detail)
	}
	var st intel.Staged
	if err := json.Unmarshal(o.Doc, &st); err != nil {
		return nil, err
	}
	if st.Member != p.Member.ID {
		return nil, errNone
	}
	b, err := s.st.Blob(r.Context(), st.SHA256)
	return b, notFoundAs(err, "the bundle of TAXII post "+strconv.FormatInt(id, 10)+" is no longer kept")
}

// IntelRecipients are the members a release may name, for the mediator's
// form: every active member of a party other than the mediator, party by
// party. For anyone else a 403, as the queue is.
func (s *Server) IntelRecipients(r *http.Request, p *Principal) ([]cell.Member, error) {
	if err := cell.May(p.Actor(), cell.ReviewIntel, cell.Target{}); err != nil {
		return nil, err
	}
	v := s.view(p)
	parties, err := cell.Parties(r.Context(), v)
	if err != nil {
		return nil, err
	}
	var out []cell.Member
	for _, pt := range parties {
		if pt.Kind == cell.Mediator {
			continue
		}
		ms, err := cell.Members(r.Context(), v, pt.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if !m.Disabled {
				out = append(out, m)
			}
		}
	}
	return out, nil
}
