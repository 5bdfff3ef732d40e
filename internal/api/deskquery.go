package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/deconflict"
)

// The de-escalation desk's reads for the pages, through the same view and
// the same deconflict reads as the desk's routes (deconflict.go): a page
// shows a member what GET /api/v1/activities/{id} would, and a page about
// a notification the member may not read fails with the route's 404.

// Zones lists the zones (every party reads the map, drafts included).
func (s *Server) Zones(r *http.Request, p *Principal) ([]deconflict.Zone, error) {
	return deconflict.Zones(r.Context(), s.view(p))
}

// ZoneFeatures returns each zone's version in force and a later draft, as
// the map draws them.
func (s *Server) ZoneFeatures(r *http.Request, p *Principal) ([]deconflict.ZoneFeature, error) {
	return deconflict.ZoneFeatures(r.Context(), s.view(p), true)
}

// Zone returns a zone with its versions, as GET /api/v1/zones/{zone} does.
func (s *Server) Zone(r *http.Request, p *Principal, id string) (deconflict.ZoneDetail, error) {
	z, err := deconflict.GetZone(r.Context(), s.view(p), id)
	if err != nil {
		return z, notFoundAs(err, "no zone "+strconv.Quote(id))
	}
	return z, nil
}

// Activities lists every notification p's party reads, oldest first.
func (s *Server) Activities(r *http.Request, p *Principal) ([]deconflict.Notification, error) {
	v := s.view(p)
	out := []deconflict.Notification{}
	for after := int64(-1); ; {
		ns, last, err := deconflict.Notifications(r.Context(), v, after, 1000)
		if err != nil {
			return nil, err
		}
		out = append(out, ns...)
		if len(ns) < 1000 {
			return out, nil
		}
		after = last
	}
}

// Activity returns a notification with its versions, answers and the
// conflicts p reads, as GET /api/v1/activities/{activity} does.
func (s *Server) Activity(r *http.Request, p *Principal, id string) (deconflict.NotificationDetail, error) {
	n, ok := deconflict.ParseID(id)
	if !ok {
		return deconflict.NotificationDetail{}, badRequest("an activity id is a log index")
	}
	d, err := deconflict.GetNotification(r.Context(), s.view(p), n)
	if err != nil {
		return d, notFoundAs(err, "no activity "+strconv.FormatInt(n, 10))
	}
	return d, nil
}

// ActivityVersion returns one version of a notification p reads (the map
// draws the current version's volumes).
func (s *Server) ActivityVersion(r *http.Request, p *Principal, n int64, version int) (deconflict.NotificationVersion, error) {
	nv, err := getDoc[deconflict.NotificationVersion](r, s.view(p), deconflict.ObjNotifVersion, deconflict.VersionID(n, version))
	if err != nil {
		return nv, notFoundAs(err, "no activity "+strconv.FormatInt(n, 10))
	}
	return nv, nil
}

// Incidents lists every incident p's party reads, oldest first.
func (s *Server) Incidents(r *http.Request, p *Principal) ([]deconflict.Incident, error) {
	v := s.view(p)
	out := []deconflict.Incident{}
	for after := int64(-1); ; {
		is, last, err := deconflict.Incidents(r.Context(), v, after, 1000)
		if err != nil {
			return nil, err
		}
		out = append(out, is...)
		if len(is) < 1000 {
			return out, nil
		}
		after = last
	}
}

// Incident returns an incident with its acknowledgements, links and
// verification, as GET /api/v1/incidents/{incident} does.
func (s *Server) Incident(r *http.Request, p *Principal, id string) (deconflict.IncidentDetail, error) {
	n, ok := deconflict.ParseID(id)
	if !ok {
		return deconflict.IncidentDetail{}, badRequest("an incident id is a log index")
	}
	d, err := deconflict.GetIncident(r.Context(), s.view(p), n)
	if err != nil {
		return d, notFoundAs(err, "no incident "+strconv.FormatInt(n, 10))
	}
	return d, nil
}

// DeskBoard is the desk's status board at now, as GET /api/v1/deconfliction
// answers it.
func (s *Server) DeskBoard(r *http.Request, p *Principal, now time.Time) (deconflict.Board, error) {
	return deconflict.GetBoard(r.Context(), s.view(p), now, BoardDays)
}

// BoardDays is how many days back the board counts incidents: the route
// (GET /api/v1/deconfliction) counts as many.
const BoardDays = 14
