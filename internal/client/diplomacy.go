package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/diplomacy"
)

// The diplomatic desk's reads, and the calendar feed. Each answers what the
// member's party may read; a thing it may not read is a 404, as one that
// does not exist. The types mirror the API's answers (api/openapi.yaml).

// Agreements lists the agreements.
func (c *Client) Agreements(ctx context.Context) ([]diplomacy.Agreement, error) {
	var r struct {
		Agreements []diplomacy.Agreement `json:"agreements"`
	}
	return r.Agreements, c.getJSON(ctx, "/agreements", &r)
}

// Agreement reads an agreement with every version.
func (c *Client) Agreement(ctx context.Context, id string) (*diplomacy.AgreementDetail, error) {
	var a diplomacy.AgreementDetail
	return &a, c.getJSON(ctx, "/agreements/"+url.PathEscape(id), &a)
}

// MilestoneView is a milestone with whether it is overdue.
type MilestoneView struct {
	diplomacy.Milestone
	Overdue bool `json:"overdue"`
}

// CommitmentView is a commitment with its status, its milestones' and how
// many are overdue.
type CommitmentView struct {
	diplomacy.Commitment
	Status     string          `json:"status"`
	Milestones []MilestoneView `json:"milestones"`
	Overdue    int             `json:"overdue"`
}

// Commitments lists the commitments, soonest unfulfilled milestone first.
func (c *Client) Commitments(ctx context.Context) ([]CommitmentView, error) {
	var r struct {
		Commitments []CommitmentView `json:"commitments"`
	}
	return r.Commitments, c.getJSON(ctx, "/commitments", &r)
}

// Commitment reads one commitment.
func (c *Client) Commitment(ctx context.Context, id string) (*CommitmentView, error) {
	var x CommitmentView
	return &x, c.getJSON(ctx, "/commitments/"+url.PathEscape(id), &x)
}

// DisputeRow is a dispute in the register.
type DisputeRow struct {
	diplomacy.Dispute
	Awaiting []string `json:"awaiting"`
	Overdue  bool     `json:"overdue"`
}

// Register is the register of disputes.
type Register struct {
	Disputes []DisputeRow `json:"disputes"`
	// Next is the cursor of the next page, when there may be one.
	Next   string                    `json:"next,omitempty"`
	Shared []diplomacy.SharedDispute `json:"shared"`
}

// Disputes reads a page of the register, filtered by q (party, article,
// status, sort, limit, after).
func (c *Client) Disputes(ctx context.Context, q url.Values) (*Register, error) {
	p := "/disputes"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var r Register
	return &r, c.getJSON(ctx, p, &r)
}

// DisputeDetail is a dispute with its shares and agenda item.
type DisputeDetail struct {
	DisputeRow
	Shares []diplomacy.SharedDispute `json:"shares"`
	Item   *diplomacy.AgendaItem     `json:"item,omitempty"`
}

// Dispute reads one dispute.
func (c *Client) Dispute(ctx context.Context, id int64) (*DisputeDetail, error) {
	var d DisputeDetail
	return &d, c.getJSON(ctx, "/disputes/"+strconv.FormatInt(id, 10), &d)
}

// DisputeEvidence returns a dispute's evidence bundle, as the server wrote
// it.
func (c *Client) DisputeEvidence(ctx context.Context, id int64) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/disputes/"+strconv.FormatInt(id, 10)+"/evidence", nil, "")
}

// RoundsView is the rounds and the items waiting for the next one.
type RoundsView struct {
	Rounds  []diplomacy.Round      `json:"rounds"`
	Waiting []diplomacy.AgendaItem `json:"waiting"`
}

// Rounds lists the rounds, soonest first.
func (c *Client) Rounds(ctx context.Context) (*RoundsView, error) {
	var r RoundsView
	return &r, c.getJSON(ctx, "/rounds", &r)
}

// RoundView is a round with its agenda and statements.
type RoundView struct {
	diplomacy.RoundDetail
	Statements []diplomacy.StatementInfo `json:"statements"`
}

// Round reads one round.
func (c *Client) Round(ctx context.Context, id string) (*RoundView, error) {
	var r RoundView
	return &r, c.getJSON(ctx, "/rounds/"+url.PathEscape(id), &r)
}

// StatementsView lists the statements the member drafts and signs, and
// those published.
type StatementsView struct {
	Statements []diplomacy.StatementInfo `json:"statements"`
	Published  []diplomacy.Published     `json:"published"`
}

// Statements lists the statements.
func (c *Client) Statements(ctx context.Context) (*StatementsView, error) {
	var r StatementsView
	return &r, c.getJSON(ctx, "/statements", &r)
}

// Statement reads a statement with all the member may read of it.
func (c *Client) Statement(ctx context.Context, id string) (*diplomacy.StatementDetail, error) {
	var d diplomacy.StatementDetail
	return &d, c.getJSON(ctx, "/statements/"+url.PathEscape(id), &d)
}

// StatementDiff is two versions of a statement compared.
type StatementDiff struct {
	Statement  string                    `json:"statement"`
	From       int                       `json:"from"`
	To         int                       `json:"to"`
	Paragraphs []diplomacy.ParagraphDiff `json:"paragraphs"`
}

// DiffStatement compares versions from and to of a statement (0: the
// server's defaults, the latest and the one before).
func (c *Client) DiffStatement(ctx context.Context, id string, from, to int) (*StatementDiff, error) {
	q := url.Values{}
	if from > 0 {
		q.Set("from", strconv.Itoa(from))
	}
	if to > 0 {
		q.Set("to", strconv.Itoa(to))
	}
	p := "/statements/" + url.PathEscape(id) + "/diff"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var d StatementDiff
	return &d, c.getJSON(ctx, p, &d)
}

// StatementEvidence returns a statement's evidence bundle, as the server
// wrote it.
func (c *Client) StatementEvidence(ctx context.Context, id string) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/statements/"+url.PathEscape(id)+"/evidence", nil, "")
}

// CalendarToken is a calendar feed's address, shown once.
type CalendarToken struct {
	URL     string    `json:"url"`
	Path    string    `json:"path"`
	Expires time.Time `json:"expires"`
	Revoked int64     `json:"revoked"`
}

// NewCalendarToken issues the member's calendar feed, ending any earlier
// one.
func (c *Client) NewCalendarToken(ctx context.Context) (*CalendarToken, error) {
	b, err := c.do(ctx, http.MethodPost, "/calendar/token", nil, "")
	if err != nil {
		return nil, err
	}
	var t CalendarToken
	return &t, json.Unmarshal(b, &t)
}

// RevokeCalendarToken ends the member's calendar feed and says how many
// were live.
func (c *Client) RevokeCalendarToken(ctx context.Context) (int64, error) {
	b, err := c.do(ctx, http.MethodDelete, "/calendar/token", nil, "")
	if err != nil {
		return 0, err
	}
	var r struct {
		Revoked int64 `json:"revoked"`
	}
	return r.Revoked, json.Unmarshal(b, &r)
}
