package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/store"
)

// The de-escalation desk's routes. Reads go through the reader's view
// (s.view), so each answer holds what the caller may read and nothing
// else; a notification, an incident or a zone the caller may not read is
// answered as one that does not exist.

func (s *Server) deconflictRoutes() {
	s.authed("GET /api/v1/zones", s.listZones)
	s.authed("POST /api/v1/zones", s.submitKind(deconflict.KindZonePropose, http.StatusCreated))
	s.authed("GET /api/v1/zones/{zone}", s.getZone)
	s.authed("POST /api/v1/zones/{zone}/sign", s.submitOn(deconflict.KindZoneSign, "zone", "zone"))
	s.authed("GET /api/v1/zones/{zone}/forces", s.zoneForces)
	s.authed("POST /api/v1/zones/{zone}/declarations", s.submitOn(deconflict.KindForceDeclare, "zone", "zone"))
	s.authed("POST /api/v1/zones/{zone}/inspections", s.submitOn(deconflict.KindForceInspect, "zone", "zone"))
	s.authed("GET /api/v1/activities", s.listActivities)
	s.authed("POST /api/v1/activities", s.submitKindThen(deconflict.KindActivityNotify, http.StatusCreated, s.notificationAfter))
	s.authed("GET /api/v1/activities/{activity}", s.getActivity)
	s.authed("POST /api/v1/activities/{activity}/amend", s.submitOnThen(deconflict.KindActivityAmend, "notification", "activity", s.notificationAfter))
	s.authed("POST /api/v1/activities/{activity}/answer", s.submitOn(deconflict.KindActivityAnswer, "notification", "activity"))
	s.authed("POST /api/v1/activities/{activity}/end", s.submitOn(deconflict.KindActivityEnd, "notification", "activity"))
	s.authed("POST /api/v1/activities/{activity}/clear", s.submitOn(deconflict.KindConflictClear, "notification", "activity"))
	s.authed("GET /api/v1/incidents", s.listIncidents)
	s.authed("POST /api/v1/incidents", s.submitKind(deconflict.KindIncidentReport, http.StatusCreated))
	s.authed("GET /api/v1/incidents/{incident}", s.getIncident)
	s.authed("POST /api/v1/incidents/{incident}/ack", s.submitOn(deconflict.KindIncidentAck, "incident", "incident"))
	s.authed("POST /api/v1/incidents/{incident}/verification", s.submitOn(deconflict.KindVerifyRequest, "incident", "incident"))
	s.authed("POST /api/v1/incidents/{incident}/finding", s.submitOn(deconflict.KindVerifyFinding, "incident", "incident"))
	s.authed("POST /api/v1/posture", s.submitKind(deconflict.KindPostureDeclare, http.StatusCreated))
	s.authed("GET /api/v1/deconfliction", s.getBoard)
	s.authed("GET /api/v1/dues", s.listDues)
}

func (s *Server) listZones(w http.ResponseWriter, r *http.Request, p *Principal) error {
	zs, err := deconflict.Zones(r.Context(), s.view(p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"zones": zs})
	return nil
}

func (s *Server) getZone(w http.ResponseWriter, r *http.Request, p *Principal) error {
	z, err := deconflict.GetZone(r.Context(), s.view(p), r.PathValue("zone"))
	if err != nil {
		return notFoundAs(err, "no zone "+strconv.Quote(r.PathValue("zone")))
	}
	writeJSON(w, http.StatusOK, z)
	return nil
}

func (s *Server) zoneForces(w http.ResponseWriter, r *http.Request, p *Principal) error {
	v := s.view(p)
	if _, err := deconflict.GetZone(r.Context(), v, r.PathValue("zone")); err != nil {
		return notFoundAs(err, "no zone "+strconv.Quote(r.PathValue("zone")))
	}
	ds, is, err := deconflict.Forces(r.Context(), v, r.PathValue("zone"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"declarations": ds, "inspections": is})
	return nil
}

// notFoundAs turns "not found" into a 404 saying what, and passes other
// errors on.
func notFoundAs(err error, what string) error {
	if IsNotFound(err) {
		return notFound(what)
	}
	return err
}

// pathID reads a log index from the path.
func pathID(r *http.Request, name string) (int64, error) {
	id, ok := deconflict.ParseID(r.PathValue(name))
	if !ok {
		return 0, badRequest("a " + name + " id is a log index")
	}
	return id, nil
}

func (s *Server) listActivities(w http.ResponseWriter, r *http.Request, p *Principal) error {
	after, err := intParam(r, "after", -1)
	if err != nil {
		return err
	}
	const limit = 500
	ns, last, err := deconflict.Notifications(r.Context(), s.view(p), after, limit)
	if err != nil {
		return err
	}
	body := map[string]any{"activities": ns}
	if len(ns) == limit {
		body["next"] = strconv.FormatInt(last, 10)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) getActivity(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "activity")
	if err != nil {
		return err
	}
	n, err := deconflict.GetNotification(r.Context(), s.view(p), id)
	if err != nil {
		return notFoundAs(err, "no activity "+strconv.FormatInt(id, 10))
	}
	writeJSON(w, http.StatusOK, n)
	return nil
}

// notificationAfter answers a notification or an amendment with the
// notification as its notifier reads it: the zone rules it breaks, the
// conflicts it was accepted with, and whether one is held for the
// mediator (and nothing of what that one is with).
func (s *Server) notificationAfter(r *http.Request, p *Principal, res store.Result) (map[string]any, error) {
	id := res.Entry.Index
	if r.PathValue("activity") != "" {
		id, _ = deconflict.ParseID(r.PathValue("activity"))
	}
	n, err := deconflict.GetNotification(r.Context(), s.view(p), id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"activity": n}, nil
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, p *Principal) error {
	after, err := intParam(r, "after", -1)
	if err != nil {
		return err
	}
	const limit = 500
	is, last, err := deconflict.Incidents(r.Context(), s.view(p), after, limit)
	if err != nil {
		return err
	}
	body := map[string]any{"incidents": is}
	if len(is) == limit {
		body["next"] = strconv.FormatInt(last, 10)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	inc, err := deconflict.GetIncident(r.Context(), s.view(p), id)
	if err != nil {
		return notFoundAs(err, "no incident "+strconv.FormatInt(id, 10))
	}
	writeJSON(w, http.StatusOK, inc)
	return nil
}

func (s *Server) getBoard(w http.ResponseWriter, r *http.Request, p *Principal) error {
	b, err := deconflict.GetBoard(r.Context(), s.view(p), time.Now(), 14)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// listDues lists what a party owes on every desk, soonest deadline first:
// the caller's party by default; the mediator may ask for any (?party=).
func (s *Server) listDues(w http.ResponseWriter, r *http.Request, p *Principal) error {
	ds, party, err := s.Dues(r, p, r.URL.Query().Get("party"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"party": party, "dues": ds})
	return nil
}

// Dues lists what party ("" for p's own) owes on every desk, soonest
// deadline first, as the rule book lets p see it.
func (s *Server) Dues(r *http.Request, p *Principal, party string) ([]dues.Due, string, error) {
	if party == "" {
		party = p.Party.ID
	}
	if err := cell.May(p.Actor(), cell.ReadInbox, cell.Target{Party: party}); err != nil {
		return nil, party, err
	}
	ds, err := listDocs[dues.Due](r, s.view(p), dues.ObjDue, party)
	if err != nil {
		return nil, party, err
	}
	if ds == nil {
		ds = []dues.Due{}
	}
	dues.Sort(ds)
	return ds, party, nil
}
