package api

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/commerce"
)

// The commercial desk's reads, for the API's routes and for the pages,
// each through the caller's view: a pledge the caller's party did not make
// is absent (404, as for none), and a project's gates are judged on what
// the caller reads.

// Projects returns the registry, each project as p reads it at now.
func (s *Server) Projects(r *http.Request, p *Principal, now time.Time) ([]commerce.ProjectDetail, error) {
	ds, err := commerce.Registry(r.Context(), s.view(p), now)
	if err == nil {
		s.dateGates(r, p, ds)
	}
	return ds, err
}

// Project returns one project as p reads it at now.
func (s *Server) Project(r *http.Request, p *Principal, id string, now time.Time) (commerce.ProjectDetail, error) {
	d, err := commerce.GetProject(r.Context(), s.view(p), id, now)
	if err == nil {
		s.dateGates(r, p, []commerce.ProjectDetail{d})
	}
	return d, notFoundAs(err, "no project "+strconv.Quote(id))
}

// dateGates gives a failing gate that the desk cannot date (a commitment
// at risk: the diplomatic desk keeps the entry that set its status, not a
// time) the time of the entry it fails from, when p reads that entry: the
// page and the CLI say since when, as they do of an incident.
func (s *Server) dateGates(r *http.Request, p *Principal, ds []commerce.ProjectDetail) {
	times := map[int64]time.Time{}
	for i := range ds {
		for j := range ds[i].States {
			for k := range ds[i].States[j].Gates {
				g := &ds[i].States[j].Gates[k]
				if g.Holds || !g.Since.IsZero() || g.Cause == 0 {
					continue
				}
				t, ok := times[g.Cause]
				if !ok {
					if e, err := s.Entry(r, p, g.Cause); err == nil {
						t, _ = time.Parse(time.RFC3339Nano, e.Time)
					}
					times[g.Cause] = t
				}
				g.Since = t
			}
		}
	}
}

// PledgeDetail is a pledge with what was paid against it.
type PledgeDetail struct {
	commerce.Pledge
	Disbursals []commerce.Disbursal `json:"disbursals"`
}

// Pledges lists the pledges p reads: its party's; every one for the
// mediator.
func (s *Server) Pledges(r *http.Request, p *Principal) ([]commerce.Pledge, error) {
	return commerce.Pledges(r.Context(), s.view(p))
}

// Pledge returns a pledge p reads, with its disbursals.
func (s *Server) Pledge(r *http.Request, p *Principal, id string) (PledgeDetail, error) {
	v := s.view(p)
	o, err := v.Get(r.Context(), commerce.ObjPledge, id)
	if err != nil {
		return PledgeDetail{}, notFoundAs(err, "no pledge "+strconv.Quote(id))
	}
	var d PledgeDetail
	if d.Pledge, err = decodeDoc[commerce.Pledge](o); err != nil {
		return d, err
	}
	d.Disbursals, err = commerce.Disbursals(r.Context(), v, id)
	return d, err
}

// Publishable is what the rule of published totals lets the mediator
// publish of a project now, or why nothing: for the mediator, whose view
// holds every pledge.
func (s *Server) Publishable(r *http.Request, p *Principal, id string) (commerce.Funding, string, error) {
	if err := cell.May(p.Actor(), cell.PublishFunding, cell.Target{}); err != nil {
		return commerce.Funding{}, "", err
	}
	f, _, why, err := commerce.Publishable(r.Context(), s.view(p), id)
	return f, why, notFoundAs(err, "no project "+strconv.Quote(id))
}

// GateAlerts lists the gate alerts that are news for p at now: those p's
// party reads whose failure stands, if the rule book says p is one of the
// desks they alert.
func (s *Server) GateAlerts(r *http.Request, p *Principal, now time.Time) ([]commerce.StandingAlert, error) {
	as, err := commerce.Standing(r.Context(), s.view(p), now)
	if err != nil {
		return nil, err
	}
	as = slices.DeleteFunc(as, func(a commerce.StandingAlert) bool {
		return cell.May(p.Actor(), cell.HearAlert, cell.Target{Roles: a.NotifyRoles}) != nil
	})
	for i := range as {
		if a := &as[i]; a.Since.IsZero() && a.Cause != 0 {
			if e, err := s.Entry(r, p, a.Cause); err == nil {
				a.Since, _ = time.Parse(time.RFC3339Nano, e.Time)
			}
		}
	}
	return as, nil
}
