package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/store"
)

// The commercial desk's routes: reads through commercequery.go over the
// caller's view, writes as signed commands, exports as the field reads
// them (IATI 2.03 XML, CSV), holding what the caller reads and nothing of
// a confidential pledge.
func (s *Server) commerceRoutes() {
	s.authed("GET /api/v1/projects", s.listProjects)
	s.authed("POST /api/v1/projects", s.submitKindThen(commerce.KindProjectRegister, http.StatusCreated, s.projectAfter))
	s.authed("GET /api/v1/projects/{project}", s.getProject)
	s.authed("PUT /api/v1/projects/{project}", s.submitNested(commerce.KindProjectUpdate, "project", "project", s.projectAfter))
	s.authed("POST /api/v1/projects/{project}/milestones/{milestone}/reached",
		s.submitBound(commerce.KindProjectMilestone, s.projectAfter, bind{"project", "project"}, bind{"milestone", "milestone"}))
	s.authed("POST /api/v1/projects/{project}/interest", s.submitOnThen(commerce.KindProjectInterest, "project", "project", s.projectAfter))
	s.authed("GET /api/v1/projects/{project}/funding", s.getPublishable)
	s.authed("POST /api/v1/projects/{project}/funding", s.submitOnThen(commerce.KindFundingPublish, "project", "project", s.projectAfter))
	s.authed("GET /api/v1/pledges", s.listPledges)
	s.authed("POST /api/v1/pledges", s.submitKindThen(commerce.KindPledgeMake, http.StatusCreated, s.pledgeAfter))
	s.authed("GET /api/v1/pledges/{pledge}", s.getPledge)
	s.authed("PUT /api/v1/pledges/{pledge}", s.submitNested(commerce.KindPledgeUpdate, "pledge", "pledge", s.pledgeAfter))
	s.authed("POST /api/v1/pledges/{pledge}/disbursals", s.submitOnThen(commerce.KindPledgeDisburse, "pledge", "pledge", s.pledgeAfter))
	s.authed("POST /api/v1/pledges/{pledge}/disclose", s.submitOnThen(commerce.KindPledgeDisclose, "pledge", "pledge", s.pledgeAfter))
	s.authed("GET /api/v1/export/projects.csv", s.exportCSV)
	s.authed("GET /api/v1/export/iati.xml", s.exportIATI)
}

// submitNested takes a command of kind whose payload holds an object
// (field) whose id must be the path parameter param: PUT /projects/{id}
// with a project.update about that project and no other.
func (s *Server) submitNested(kind, field, param string, after then) authedHandler {
	return func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		env, err := s.readEnvelope(w, r)
		if err != nil {
			return err
		}
		if err := s.checkRoute(r, env, kind); err != nil {
			return err
		}
		// The payload's other members (the header's id, time and cell) are
		// strings: only the nested object is read for its id.
		var fields map[string]json.RawMessage
		var target struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(env.Payload, &fields) != nil || json.Unmarshal(fields[field], &target) != nil {
			return problem(http.StatusUnprocessableEntity, "invalid", "Invalid command", "the payload's "+field+" is not an object with an id")
		}
		if got := target.ID; got != r.PathValue(param) {
			return problem(http.StatusUnprocessableEntity, "wrong-target", "Command is about another "+param,
				"the path names "+param+" "+strconv.Quote(r.PathValue(param))+" but the signed command's "+field+" is "+strconv.Quote(got))
		}
		res, err := s.submit(r, p, env)
		if err != nil {
			return err
		}
		return s.answerEntry(w, r, p, http.StatusCreated, res, after)
	}
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, p *Principal) error {
	ps, err := s.Projects(r, p, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"projects": ps})
	return nil
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request, p *Principal) error {
	d, err := s.Project(r, p, r.PathValue("project"), time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// projectAfter answers a project's step with the project as it stands.
func (s *Server) projectAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	id := r.PathValue("project")
	if id == "" {
		id = payloadString(res, "project", "id")
	}
	d, err := s.Project(r, p, id, time.Now())
	if err != nil {
		return nil, err
	}
	return map[string]any{"project": d}, nil
}

func (s *Server) getPublishable(w http.ResponseWriter, r *http.Request, p *Principal) error {
	f, why, err := s.Publishable(r, p, r.PathValue("project"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"publishable": why == "", "reason": why, "funding": f})
	return nil
}

func (s *Server) listPledges(w http.ResponseWriter, r *http.Request, p *Principal) error {
	ps, err := s.Pledges(r, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"pledges": ps})
	return nil
}

func (s *Server) getPledge(w http.ResponseWriter, r *http.Request, p *Principal) error {
	d, err := s.Pledge(r, p, r.PathValue("pledge"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) pledgeAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	id := r.PathValue("pledge")
	if id == "" {
		id = payloadString(res, "pledge", "id")
	}
	d, err := s.Pledge(r, p, id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"pledge": d}, nil
}

func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, p *Principal) error {
	ps, err := s.Projects(r, p, time.Now())
	if err != nil {
		return err
	}
	b, err := commerce.CSV(ps)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="projects.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b) //nolint:errcheck // the client went away
	return nil
}

func (s *Server) exportIATI(w http.ResponseWriter, r *http.Request, p *Principal) error {
	ps, err := s.Projects(r, p, time.Now())
	if err != nil {
		return err
	}
	info, _, err := s.CellInfo(r, p)
	if err != nil {
		return err
	}
	places, err := commerce.Places(r.Context(), s.view(p), ps)
	if err != nil {
		return err
	}
	b, err := commerce.IATI(ps, places, commerce.Reporter{Ref: "XM-LIAISON-" + p.Cell, Name: info.Name}, time.Now())
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="iati-activities.xml"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b) //nolint:errcheck // the client went away
	return nil
}
