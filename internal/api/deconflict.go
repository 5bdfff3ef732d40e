package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/geo"
	"github.com/liaison-cell/liaison/internal/store"
)

// The de-escalation desk's routes. Reads go through the reader's view
// (s.view), so each answer holds what the caller may read and nothing
// else; a notification, an incident or a zone the caller may not read is
// answered as one that does not exist.

func (s *Server) deconflictRoutes() {
	s.authed("GET /api/v1/zones", s.listZones)
	s.authed("POST /api/v1/zones", s.submitKind(deconflict.KindZonePropose, http.StatusCreated))
	s.authed("GET /api/v1/zones/export", s.exportZones)
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

// exportZones writes the zones in force (with drafts=1, each zone's later
// draft too, marked as one) as a GeoJSON FeatureCollection (RFC 7946) or a
// KML 2.2 document, for a map or a GIS: what every party works from.
func (s *Server) exportZones(w http.ResponseWriter, r *http.Request, p *Principal) error {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "geojson"
	}
	if format != "geojson" && format != "kml" {
		return badRequest("format " + strconv.Quote(format) + ": want geojson or kml")
	}
	drafts := false
	switch q.Get("drafts") {
	case "", "0", "false":
	case "1", "true":
		drafts = true
	default:
		return badRequest("drafts " + strconv.Quote(q.Get("drafts")) + ": want 1 (with the drafts) or 0")
	}
	v := s.view(p)
	fs, err := deconflict.ZoneFeatures(r.Context(), v, drafts)
	if err != nil {
		return err
	}
	info, err := cell.GetInfo(r.Context(), v)
	if err != nil {
		return err
	}
	name := "liaison-" + p.Cell + "-zones"
	if drafts {
		name += "-with-drafts"
	}
	var body bytes.Buffer
	if format == "kml" {
		if err := zonesKML(&body, info, fs, drafts); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/vnd.google-earth.kml+xml")
		name += ".kml"
	} else {
		if err := zonesGeoJSON(&body, fs); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/geo+json")
		name += ".geojson"
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body.Bytes()) //nolint:errcheck
	return nil
}

// zonesGeoJSON writes the zone versions as a FeatureCollection: each
// feature's id the zone's, its geometry the one the parties signed (in the
// canonical form its hash covers), its properties the rest of the content
// and the version's state. A zone with a draft after its version in force
// has two features of the same id, told apart by properties.status.
func zonesGeoJSON(b *bytes.Buffer, fs []deconflict.ZoneFeature) error {
	type feature struct {
		Type       string                       `json:"type"`
		ID         string                       `json:"id"`
		Geometry   json.RawMessage              `json:"geometry"`
		Properties deconflict.FeatureProperties `json:"properties"`
	}
	out := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	for _, f := range fs {
		out.Features = append(out.Features, feature{Type: "Feature", ID: f.Zone, Geometry: f.Content.Geometry, Properties: f.Properties()})
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// zonesKML writes the zone versions as KML placemarks: the name, marked
// when a draft; the names in the cell's other languages, kind, status,
// version, hash and rules in the description, which is all KML's reader
// shows beside the shape.
func zonesKML(b *bytes.Buffer, info cell.Info, fs []deconflict.ZoneFeature, drafts bool) error {
	var pms []geo.Placemark
	for _, f := range fs {
		fp, err := f.Content.Footprint()
		if err != nil {
			return fmt.Errorf("zone %s version %d: %w", f.Zone, f.Version, err)
		}
		name := f.Content.Name
		if !f.Agreed {
			name += " (draft, version " + strconv.Itoa(f.Version) + ")"
		}
		pms = append(pms, geo.Placemark{Name: name, Description: zoneDescription(f.ZoneVersion), Footprint: fp})
	}
	title := info.Name + ": zones in force"
	if drafts {
		title += " and drafts"
	}
	return geo.WriteKML(b, title, pms)
}

// zoneDescription says in plain lines what a zone version is.
func zoneDescription(v deconflict.ZoneVersion) string {
	z := v.Content
	var lines []string
	for _, lang := range slices.Sorted(maps.Keys(z.Names)) {
		lines = append(lines, lang+": "+z.Names[lang])
	}
	status := v.Status
	if v.Status == "draft" {
		status = "draft, awaiting " + strings.Join(v.Awaiting, ", ")
	}
	lines = append(lines, "zone "+z.ID+", version "+strconv.Itoa(v.Version)+": "+status, "kind: "+z.Kind, "hash: "+v.Hash)
	var rules []string
	for _, t := range slices.Sorted(maps.Keys(z.Rules)) {
		rules = append(rules, t+" "+ruleText(z.Rules[t]))
	}
	if z.Default != nil {
		rules = append(rules, "otherwise "+ruleText(*z.Default))
	}
	if len(rules) > 0 {
		lines = append(lines, "rules: "+strings.Join(rules, "; "))
	}
	var limits []string
	for _, c := range deconflict.ForceCategories {
		if n, ok := z.Limits[c]; ok {
			limits = append(limits, c+" "+strconv.Itoa(n))
		}
	}
	if len(limits) > 0 {
		lines = append(lines, "force limits: "+strings.Join(limits, ", "))
	}
	if z.BufferM > 0 {
		lines = append(lines, "buffer: "+strconv.FormatFloat(z.BufferM, 'f', -1, 64)+" m")
	}
	if z.Note != "" {
		lines = append(lines, z.Note)
	}
	return strings.Join(lines, "\n")
}

func ruleText(r deconflict.Rule) string {
	if r.Rule != deconflict.RuleNotice {
		return r.Rule
	}
	if r.LeadTime%3600 == 0 {
		return "notice " + strconv.Itoa(r.LeadTime/3600) + " h ahead"
	}
	return "notice " + strconv.Itoa(r.LeadTime/60) + " min ahead"
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
