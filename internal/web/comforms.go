package web

// The commercial desk's editing forms: a pledge's amount, conditions and
// tranche schedule, for its funder (commerce.pledgeUpdate); a project's
// milestones with their security gates and its documents, at registration
// for anyone on the desk (projectRegister) and later for the project's
// party and the mediator (projectUpdate). Each is offered to whom the desk
// accepts it from; the server decides again. The repeated parts are read by
// static/js/forms.js, as the diplomatic desk's are.

import (
	"net/http"
	"slices"

	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/deconflict"
)

// ---- a pledge ----

type pledgeEditor struct {
	dipForm
	ID         string
	Amount     int64
	Min        int64 // what was disbursed: the amount may not go below it
	MinText    string
	Conditions string
	Tranches   []trancheRow
}

type trancheRow struct {
	N      int // its number, as the form shows it
	Due    string
	Amount int64
}

// mayUpdatePledge: the rule book says who changes a pledge (its funder);
// a disclosed one is pledged anew.
func mayUpdatePledge(c *ctx, p commerce.Pledge) bool {
	return fundsPledge(c.p, p) && !p.Disclosed
}

func (c *ctx) pledgeEditor(p commerce.Pledge) *pledgeEditor {
	if !mayUpdatePledge(c, p) {
		return nil
	}
	// The page fixes what a pledge keeps, its id and its project, and the
	// version it shows, which the update amends.
	fixed := map[string]any{"id": p.ID, "project": p.Project, "version": p.Version}
	e := &pledgeEditor{dipForm: newPut(commerce.KindPledgeUpdate, "/pledges/"+p.ID, map[string]any{"pledge": fixed}),
		ID: p.ID, Amount: p.Amount, Min: p.Disbursed, MinText: money(p.Disbursed, p.Currency), Conditions: p.Conditions}
	for _, t := range p.Schedule {
		e.Tranches = append(e.Tranches, trancheRow{N: len(e.Tranches) + 1, Due: inputUTC(t.Due), Amount: t.Amount})
	}
	return e
}

// ---- a project's milestones and documents ----

type projectEditor struct {
	dipForm
	Prefix      string // keeps the ids of the registry's form and a project's apart
	Milestones  []msRow
	Blank       msRow
	BlankGate   gateRow
	Reached     []string // the reached milestones' titles, kept as they are
	ReachedJSON string
	Documents   []commerce.Document
}

type msRow struct {
	N              int
	Prefix         string
	ID, Title, Due string
	Gates          []gateRow
}

type gateRow struct {
	N                                   int
	Kinds, Zones, Commitments, Postures []option
	Kind                                string
	Days                                int
}

// gateChoices are what a gate may name, as the reader reads it.
type gateChoices struct {
	zones, commitments []option
}

func (w *Web) gateChoices(r *http.Request, c *ctx) (gateChoices, error) {
	var g gateChoices
	zs, err := w.api.Zones(r, c.p)
	if err != nil {
		return g, err
	}
	for _, z := range zs {
		g.zones = append(g.zones, option{Value: z.ID, Label: zoneName(c.l, z.Name, z.Names)})
	}
	cs, err := w.api.Commitments(r, c.p, c.now)
	if err != nil {
		return g, err
	}
	for _, x := range cs {
		g.commitments = append(g.commitments, option{Value: x.ID, Label: x.ID + ": " + x.Title})
	}
	return g, nil
}

// pick copies options with value selected.
func pick(opts []option, value string) []option {
	out := slices.Clone(opts)
	for i := range out {
		out[i].Selected = out[i].Value == value
	}
	return out
}

func (c *ctx) gateRow(ch gateChoices, g commerce.Gate) gateRow {
	if g.Kind == "" {
		g.Kind = commerce.GateZoneQuiet
	}
	row := gateRow{N: 1, Kind: g.Kind, Days: g.Days, Zones: pick(ch.zones, g.Zone), Commitments: pick(ch.commitments, g.Commitment)}
	for _, k := range []string{commerce.GateZoneQuiet, commerce.GateCommitment, commerce.GatePosture} {
		row.Kinds = append(row.Kinds, option{Value: k, Label: c.l.T("com.gate.kind." + k), Selected: k == g.Kind})
	}
	for _, s := range deconflict.Postures {
		row.Postures = append(row.Postures, option{Value: s, Label: c.l.T("desk.posture." + s), Selected: s == g.Posture})
	}
	return row
}

// projectEditor lays out a project's milestones and documents for editing:
// the milestones not yet reached as rows, the reached ones kept as they are
// (the desk restores them whatever a command says of them, and refuses a
// command that leaves one out), the documents the project names.
func (w *Web) projectEditor(r *http.Request, c *ctx, form dipForm, prefix string, p commerce.Project) (*projectEditor, error) {
	ch, err := w.gateChoices(r, c)
	if err != nil {
		return nil, err
	}
	e := &projectEditor{dipForm: form, Prefix: prefix, Blank: msRow{N: 1, Prefix: prefix}, BlankGate: c.gateRow(ch, commerce.Gate{}), Documents: p.Documents}
	var reached []commerce.Milestone
	for _, m := range p.Milestones {
		if m.Entry != 0 {
			reached = append(reached, m)
			e.Reached = append(e.Reached, m.Title)
			continue
		}
		row := msRow{N: len(e.Milestones) + 1, Prefix: prefix, ID: m.ID, Title: m.Title, Due: inputUTC(m.Due)}
		for i, g := range m.Gates {
			gr := c.gateRow(ch, g)
			gr.N = i + 1
			row.Gates = append(row.Gates, gr)
		}
		e.Milestones = append(e.Milestones, row)
	}
	if reached == nil {
		reached = []commerce.Milestone{}
	}
	e.ReachedJSON = jsonString(reached)
	return e, nil
}

// registerEditor is the registry's form's part for a new project's
// milestones and documents.
func (w *Web) registerEditor(r *http.Request, c *ctx, form dipForm) (*projectEditor, error) {
	return w.projectEditor(r, c, form, "rg", commerce.Project{})
}

// updateEditor restates the project as it stands, but for what the form
// edits: a project.update carries the whole project.
func (w *Web) updateEditor(r *http.Request, c *ctx, p commerce.Project) (*projectEditor, error) {
	x := p
	x.Milestones, x.Documents = nil, nil
	return w.projectEditor(r, c, newPut(commerce.KindProjectUpdate, "/projects/"+p.ID, map[string]any{"project": x}), "pe", p)
}
