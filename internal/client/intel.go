package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/record"
)

// The intelligence desk: submissions and their bundles, the mediator's
// review queue and proposals, approval and release, and the releases a
// party receives. A submission or release the caller may not read is a
// 404, as one that does not exist.

// SignRaw is Sign for a command that carries a document whose signed bytes
// matter, a STIX bundle: raw goes into the payload under name exactly as
// given, where encoding it as a json.RawMessage would compact it and
// escape its <, > and &. Whoever later downloads it (the bundle of a
// submission, a release) then gets what was signed, byte for byte. raw
// must be one JSON value; the whitespace around it is not part of it.
func SignRaw(key *record.DeviceKey, cellID, kind string, fields map[string]any, name string, raw []byte) (*record.Envelope, error) {
	if key == nil {
		return nil, errors.New("sign: no device key")
	}
	if cellID == "" {
		return nil, errors.New("sign: a command must name its cell")
	}
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) {
		return nil, fmt.Errorf("sign %s: %s is not one JSON value", kind, name)
	}
	if _, ok := fields[name]; ok {
		return nil, fmt.Errorf("sign %s: %s is given twice", kind, name)
	}
	head, err := json.Marshal(withHeader(cellID, fields))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", kind, err)
	}
	// head is an object of at least the header, so it ends in "}" after
	// at least one member: the document is one more.
	quoted, _ := json.Marshal(name)
	payload := make([]byte, 0, len(head)+len(quoted)+len(raw)+2)
	payload = append(payload, head[:len(head)-1]...)
	payload = append(payload, ',')
	payload = append(payload, quoted...)
	payload = append(payload, ':')
	payload = append(payload, raw...)
	payload = append(payload, '}')
	return record.Sign(kind, payload, key.Private), nil
}

// IntelSubmitted is the answer to intel.submit: the submission, not the
// entry, which holds the bundle its sender has.
type IntelSubmitted struct {
	Index      int64                  `json:"index"`
	Duplicate  bool                   `json:"duplicate"`
	Submission intel.SubmissionDetail `json:"submission"`
}

// SubmitIntel posts a signed intel.submit (SignRaw, the bundle under
// "bundle"); its envelope may be up to record.MaxBulkEnvelopeSize.
func (c *Client) SubmitIntel(ctx context.Context, env *record.Envelope) (*IntelSubmitted, error) {
	body := env.Marshal()
	if len(body) > record.MaxBulkEnvelopeSize {
		// Said here, before sending 32 MiB for the server to refuse.
		return nil, fmt.Errorf("the signed submission is %d bytes, above the %d a server takes: split the bundle", len(body), record.MaxBulkEnvelopeSize)
	}
	b, err := c.do(ctx, http.MethodPost, "/intel/submissions", bytes.NewReader(body), "application/json")
	if err != nil {
		return nil, err
	}
	var s IntelSubmitted
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("POST /intel/submissions: %w", err)
	}
	return &s, nil
}

// IntelSubmissions lists the submissions the member reads (the party's;
// every party's for the mediator), newest first, of one status or all
// ("").
func (c *Client) IntelSubmissions(ctx context.Context, status string) ([]intel.Submission, error) {
	p := "/intel/submissions"
	if status != "" {
		p += "?status=" + url.QueryEscape(status)
	}
	var r struct {
		Submissions []intel.Submission `json:"submissions"`
	}
	return r.Submissions, c.getJSON(ctx, p, &r)
}

// IntelSubmission reads a submission, with its proposals for the mediator.
func (c *Client) IntelSubmission(ctx context.Context, id int64) (*intel.SubmissionDetail, error) {
	var d intel.SubmissionDetail
	return &d, c.getJSON(ctx, "/intel/submissions/"+strconv.FormatInt(id, 10), &d)
}

// IntelBundle returns a submission's bundle exactly as it was submitted.
func (c *Client) IntelBundle(ctx context.Context, id int64) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/intel/submissions/"+strconv.FormatInt(id, 10)+"/bundle", nil, "")
}

// IntelQueue is the mediator's review queue, oldest first.
func (c *Client) IntelQueue(ctx context.Context) ([]intel.QueueItem, error) {
	var r struct {
		Queue []intel.QueueItem `json:"queue"`
	}
	return r.Queue, c.getJSON(ctx, "/intel/queue", &r)
}

// ProposalStep is the answer to a proposal's step (intel.propose,
// intel.approve): the entry, and the proposal as it stands.
type ProposalStep struct {
	Entry     Entry          `json:"entry"`
	Duplicate bool           `json:"duplicate"`
	Proposal  intel.Proposal `json:"proposal"`
}

func (c *Client) proposalStep(ctx context.Context, path string, env *record.Envelope) (*ProposalStep, error) {
	b, err := c.do(ctx, http.MethodPost, path, bytes.NewReader(env.Marshal()), "application/json")
	if err != nil {
		return nil, err
	}
	var s ProposalStep
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	return &s, nil
}

// Propose posts a signed intel.propose.
func (c *Client) Propose(ctx context.Context, env *record.Envelope) (*ProposalStep, error) {
	return c.proposalStep(ctx, "/intel/proposals", env)
}

// IntelProposal reads a proposal (the mediator's alone).
func (c *Client) IntelProposal(ctx context.Context, id string) (*intel.Proposal, error) {
	var p intel.Proposal
	return &p, c.getJSON(ctx, "/intel/proposals/"+url.PathEscape(id), &p)
}

// IntelDraft returns what an approved release proposal releases: the
// bundle the publishing member signs into intel.release, as it is.
func (c *Client) IntelDraft(ctx context.Context, id string) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/intel/proposals/"+url.PathEscape(id)+"/draft", nil, "")
}

// Approve posts a signed intel.approve of proposal id, whose payload
// restates the proposal (intel.Approval).
func (c *Client) Approve(ctx context.Context, id string, env *record.Envelope) (*ProposalStep, error) {
	return c.proposalStep(ctx, "/intel/proposals/"+url.PathEscape(id)+"/approve", env)
}

// Released is the answer to intel.release.
type Released struct {
	Entry     Entry               `json:"entry"`
	Duplicate bool                `json:"duplicate"`
	Release   intel.ReleaseDetail `json:"release"`
}

// Release posts a signed intel.release of proposal id (SignRaw, the
// draft under "bundle"); like a submission, up to
// record.MaxBulkEnvelopeSize.
func (c *Client) Release(ctx context.Context, id string, env *record.Envelope) (*Released, error) {
	path := "/intel/proposals/" + url.PathEscape(id) + "/release"
	b, err := c.do(ctx, http.MethodPost, path, bytes.NewReader(env.Marshal()), "application/json")
	if err != nil {
		return nil, err
	}
	var r Released
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	return &r, nil
}

// IntelReleases lists the releases the member reads, newest first; for the
// mediator, each with its original.
func (c *Client) IntelReleases(ctx context.Context) ([]intel.ReleaseDetail, error) {
	var r struct {
		Releases []intel.ReleaseDetail `json:"releases"`
	}
	return r.Releases, c.getJSON(ctx, "/intel/releases", &r)
}

// IntelRelease reads one release, with the answers to it the member reads.
func (c *Client) IntelRelease(ctx context.Context, id string) (*intel.ReleaseDetail, error) {
	var d intel.ReleaseDetail
	return &d, c.getJSON(ctx, "/intel/releases/"+url.PathEscape(id), &d)
}

// IntelReleaseBundle returns a release's bundle exactly as its publisher
// signed it.
func (c *Client) IntelReleaseBundle(ctx context.Context, id string) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/intel/releases/"+url.PathEscape(id)+"/bundle", nil, "")
}
