package commerce

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-cell/liaison/internal/store"
)

// The desk's reads, over a reader's view (cell.ReadView).

func listOf[T any](ctx context.Context, v store.View, kind, parent string) ([]T, error) {
	return store.ListDocs[T](ctx, v, kind, parent, 10_000)
}

func getOf[T any](ctx context.Context, v store.View, kind, id string) (T, error) {
	x, _, err := store.GetDoc[T](ctx, v, kind, id)
	return x, err
}

// Projects lists the registry, in the order registered.
func Projects(ctx context.Context, v store.View) ([]Project, error) {
	return listOf[Project](ctx, v, ObjProject, "")
}

// MilestoneState is a milestone with its gates judged for the reader.
type MilestoneState struct {
	Milestone
	Gates []GateState `json:"gate_states"`
	Held  bool        `json:"held"`
}

// ProjectDetail is a project as its reader reads it: its milestones' gates
// judged on what the reader reads, interests, the published total and the
// disclosed pledges, and the pledges the reader reads (a funder its own,
// the mediator every one).
type ProjectDetail struct {
	Project
	States      []MilestoneState `json:"milestone_states"`
	Interests   []Interest       `json:"interests"`
	Funding     *Funding         `json:"funding,omitempty"`
	Disclosures []Disclosure     `json:"disclosures"`
	Pledges     []Pledge         `json:"pledges,omitempty"`
	Alerts      []Alert          `json:"alerts,omitempty"`
}

// GetProject returns a project for its reader at now.
func GetProject(ctx context.Context, v store.View, id string, now time.Time) (ProjectDetail, error) {
	return detail(ctx, v, id, now, map[Gate]GateState{})
}

// Registry returns every project for its reader at now, judging each gate
// once: the projects of one zone share its gate, which reads every
// incident in it.
func Registry(ctx context.Context, v store.View, now time.Time) ([]ProjectDetail, error) {
	ps, err := Projects(ctx, v)
	if err != nil {
		return nil, err
	}
	judged := map[Gate]GateState{}
	out := make([]ProjectDetail, 0, len(ps))
	for _, p := range ps {
		d, err := detail(ctx, v, p.ID, now, judged)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func detail(ctx context.Context, v store.View, id string, now time.Time, judged map[Gate]GateState) (ProjectDetail, error) {
	p, err := getOf[Project](ctx, v, ObjProject, id)
	if err != nil {
		return ProjectDetail{}, err
	}
	d := ProjectDetail{Project: p}
	for _, m := range p.Milestones {
		ms := MilestoneState{Milestone: m}
		for _, g := range m.Gates {
			st, ok := judged[g]
			if ok {
				ms.Gates = append(ms.Gates, st)
				ms.Held = ms.Held || !st.Holds
				continue
			}
			st, err := Evaluate(ctx, v, g, now)
			judged[g] = st
			if err != nil {
				return d, err
			}
			ms.Gates = append(ms.Gates, st)
			ms.Held = ms.Held || !st.Holds
		}
		d.States = append(d.States, ms)
	}
	if d.Interests, err = listOf[Interest](ctx, v, ObjInterest, id); err != nil {
		return d, err
	}
	if f, err := getOf[Funding](ctx, v, ObjFunding, id); err == nil {
		d.Funding = &f
	} else if !errors.Is(err, store.ErrNotFound) {
		return d, err
	}
	if d.Disclosures, err = listOf[Disclosure](ctx, v, ObjDisclosure, id); err != nil {
		return d, err
	}
	if d.Pledges, err = listOf[Pledge](ctx, v, ObjPledge, id); err != nil {
		return d, err
	}
	sortByID(d.Pledges, func(p Pledge) string { return p.ID })
	d.Alerts, err = Alerts(ctx, v, id)
	return d, err
}

// Disbursals lists what was paid against a pledge the reader reads.
func Disbursals(ctx context.Context, v store.View, pledge string) ([]Disbursal, error) {
	return listOf[Disbursal](ctx, v, ObjDisbursal, pledge)
}

// Pledges lists the pledges the reader reads (a funder its own, the
// mediator every one), by project then id.
func Pledges(ctx context.Context, v store.View) ([]Pledge, error) {
	ps, err := Projects(ctx, v)
	if err != nil {
		return nil, err
	}
	var out []Pledge
	for _, p := range ps {
		xs, err := listOf[Pledge](ctx, v, ObjPledge, p.ID)
		if err != nil {
			return nil, err
		}
		sortByID(xs, func(x Pledge) string { return x.ID })
		out = append(out, xs...)
	}
	return out, nil
}
