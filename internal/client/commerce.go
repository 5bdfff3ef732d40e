package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/record"
)

// The commercial desk: the registry of projects, their milestones, interest
// in them, the funders' pledges and the published totals, and the
// registry's exports. A pledge the member's party did not make is a 404 (the
// mediator reads every one), as one that does not exist; a project's gates
// are judged on what the member's party reads.

// Projects lists the registry, in the order registered.
func (c *Client) Projects(ctx context.Context) ([]commerce.ProjectDetail, error) {
	var r struct {
		Projects []commerce.ProjectDetail `json:"projects"`
	}
	return r.Projects, c.getJSON(ctx, "/projects", &r)
}

// Project reads one project: its milestones' gates, interests, published
// total, disclosed pledges, and the pledges the member reads.
func (c *Client) Project(ctx context.Context, id string) (*commerce.ProjectDetail, error) {
	var d commerce.ProjectDetail
	return &d, c.getJSON(ctx, "/projects/"+url.PathEscape(id), &d)
}

// ProjectStep is the answer to a project's step: the entry, and the project
// as it stands after it.
type ProjectStep struct {
	Entry     Entry                  `json:"entry"`
	Duplicate bool                   `json:"duplicate"`
	Project   commerce.ProjectDetail `json:"project"`
}

// PledgeDetail is a pledge with what was paid against it.
type PledgeDetail struct {
	commerce.Pledge
	Disbursals []commerce.Disbursal `json:"disbursals"`
}

// PledgeStep is the answer to a pledge's step: the entry, and the pledge as
// it stands after it.
type PledgeStep struct {
	Entry     Entry        `json:"entry"`
	Duplicate bool         `json:"duplicate"`
	Pledge    PledgeDetail `json:"pledge"`
}

// step sends a signed command and decodes the answer into a T.
func step[T any](ctx context.Context, c *Client, method, path string, env *record.Envelope) (*T, error) {
	b, err := c.do(ctx, method, path, bytes.NewReader(env.Marshal()), "application/json")
	if err != nil {
		return nil, err
	}
	var s T
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return &s, nil
}

func projectPath(id string) string { return "/projects/" + url.PathEscape(id) }
func pledgePath(id string) string  { return "/pledges/" + url.PathEscape(id) }

// RegisterProject posts a signed project.register.
func (c *Client) RegisterProject(ctx context.Context, env *record.Envelope) (*ProjectStep, error) {
	return step[ProjectStep](ctx, c, http.MethodPost, "/projects", env)
}

// UpdateProject puts a signed project.update of project id: the server
// refuses one whose project is another.
func (c *Client) UpdateProject(ctx context.Context, id string, env *record.Envelope) (*ProjectStep, error) {
	return step[ProjectStep](ctx, c, http.MethodPut, projectPath(id), env)
}

// ReachMilestone posts a signed project.milestone; while a gate holds the
// milestone the answer is a 409 whose detail says which and why.
func (c *Client) ReachMilestone(ctx context.Context, project, milestone string, env *record.Envelope) (*ProjectStep, error) {
	return step[ProjectStep](ctx, c, http.MethodPost, projectPath(project)+"/milestones/"+url.PathEscape(milestone)+"/reached", env)
}

// ExpressInterest posts a signed project.interest.
func (c *Client) ExpressInterest(ctx context.Context, project string, env *record.Envelope) (*ProjectStep, error) {
	return step[ProjectStep](ctx, c, http.MethodPost, projectPath(project)+"/interest", env)
}

// FundingPublishable is what the rule of published totals lets the
// mediator publish of a project now: the total, or the reason none.
type FundingPublishable struct {
	Publishable bool             `json:"publishable"`
	Reason      string           `json:"reason"`
	Funding     commerce.Funding `json:"funding"`
}

// Publishable asks what may be published of a project now (the mediator's
// alone; a 403 for a party).
func (c *Client) Publishable(ctx context.Context, project string) (*FundingPublishable, error) {
	var f FundingPublishable
	return &f, c.getJSON(ctx, projectPath(project)+"/funding", &f)
}

// PublishFunding posts a signed funding.publish, which restates the total
// and the number of funders Publishable gave.
func (c *Client) PublishFunding(ctx context.Context, project string, env *record.Envelope) (*ProjectStep, error) {
	return step[ProjectStep](ctx, c, http.MethodPost, projectPath(project)+"/funding", env)
}

// Pledges lists the pledges the member reads: its party's; every one for
// the mediator.
func (c *Client) Pledges(ctx context.Context) ([]commerce.Pledge, error) {
	var r struct {
		Pledges []commerce.Pledge `json:"pledges"`
	}
	return r.Pledges, c.getJSON(ctx, "/pledges", &r)
}

// Pledge reads a pledge with its disbursals.
func (c *Client) Pledge(ctx context.Context, id string) (*PledgeDetail, error) {
	var d PledgeDetail
	return &d, c.getJSON(ctx, pledgePath(id), &d)
}

// MakePledge posts a signed pledge.make.
func (c *Client) MakePledge(ctx context.Context, env *record.Envelope) (*PledgeStep, error) {
	return step[PledgeStep](ctx, c, http.MethodPost, "/pledges", env)
}

// UpdatePledge puts a signed pledge.update of pledge id.
func (c *Client) UpdatePledge(ctx context.Context, id string, env *record.Envelope) (*PledgeStep, error) {
	return step[PledgeStep](ctx, c, http.MethodPut, pledgePath(id), env)
}

// Disburse posts a signed pledge.disburse against pledge id.
func (c *Client) Disburse(ctx context.Context, id string, env *record.Envelope) (*PledgeStep, error) {
	return step[PledgeStep](ctx, c, http.MethodPost, pledgePath(id)+"/disbursals", env)
}

// Disclose posts a signed pledge.disclose of pledge id, which restates its
// amount and currency as they stand: every party then reads it.
func (c *Client) Disclose(ctx context.Context, id string, env *record.Envelope) (*PledgeStep, error) {
	return step[PledgeStep](ctx, c, http.MethodPost, pledgePath(id)+"/disclose", env)
}

// ExportCSV returns the registry as CSV, as the member reads it.
func (c *Client) ExportCSV(ctx context.Context) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/export/projects.csv", nil, "")
}

// ExportIATI returns the registry as IATI 2.03 activities, as the member
// reads it.
func (c *Client) ExportIATI(ctx context.Context) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/export/iati.xml", nil, "")
}
