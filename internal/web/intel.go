package web

// The intelligence desk's pages: a party's submissions and the form that
// submits a STIX bundle (or signs one posted over TAXII), the releases the
// reader received as cards of their objects, and the mediator's review
// queue with each submission's four-eyes gate. Everything is read through
// the API's intelligence queries (api/intelquery.go) over the reader's
// view, so a member sees what the desk's routes would answer them: a
// TLP:RED release only its named members, the proposals and the link from
// a derivative to its original only the mediator. The forms offer what the
// gate would accept of the reader; the server decides again.

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/stix"
	"github.com/liaison-cell/liaison/internal/store"
)

var intelPages = []string{"intel", "intel-released", "intel-queue", "intel-submission"}

// intelPartials: the desk's own parts, and the de-escalation desk's for
// Leaflet and the base map, which the released locations are drawn on.
var intelPartials = []string{"templates/intel-parts.html", "templates/desk-parts.html"}

func (w *Web) intelRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /intel", w.authed(w.intelPage))
	m.HandleFunc("GET /intel/released", w.authed(w.intelReleasedPage))
	m.HandleFunc("GET /intel/queue", w.authed(w.intelQueuePage))
	m.HandleFunc("GET /intel/submissions/{submission}", w.authed(w.intelSubmissionPage))
}

// analyst (submitting), proposer (the gate's first step) and decider
// (its second) ask the rule book what the intelligence desk's forms offer.
func analyst(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.AnalyseIntel, cell.Target{}) == nil
}

func proposer(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.ProposeIntel, cell.Target{}) == nil
}

func decider(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.DecideIntel, cell.Target{}) == nil
}

// tlpBadge is a TLP as the standard badge shows it: its own words (TLP
// labels are not translated, by the standard), on its colour.
type tlpBadge struct {
	Class, Text string
}

func (c *ctx) tlp(s string) tlpBadge {
	switch s {
	case "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED":
		return tlpBadge{Class: "tlp-" + strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s, "TLP:")), "+", "-"), Text: s}
	}
	return tlpBadge{Class: "tlp-none", Text: c.l.T("intel.tlp.none")}
}

// ---- STIX objects as cards ----

type factItem struct {
	Label, Value string
	LTR          bool // an identifier, a time, a number: read left to right
}

type refItem struct {
	Label, ID string
}

// stixCard is one STIX object as the pages show it: what an officer reads
// first (its kind, name, TLP), what it says, and what it refers to.
type stixCard struct {
	Type, TypeLabel, ID string
	Name, Description   string
	TLP                 *tlpBadge
	Pattern             string
	Content             string
	Facts               []factItem
	Refs                []refItem
	HasPoint            bool
	Lat, Lon            float64
	// Mark is what sanitizing did to it, beside its original: "removed"
	// or "coarsened".
	Mark, MarkLabel string
}

// stixTypes are the object types the desk names in the reader's words;
// others show their STIX type as it is.
var stixTypes = []string{"indicator", "threat-actor", "sighting", "note", "report", "location", "identity", "malware",
	"observed-data", "opinion", "campaign", "attack-pattern", "infrastructure", "tool", "vulnerability", "relationship", "intrusion-set", "marking-definition"}

func (c *ctx) typeLabel(t string) string {
	if slices.Contains(stixTypes, t) {
		return c.l.T("intel.type." + t)
	}
	return t
}

// orElse is s, or, when s is empty, alt.
func orElse(s, alt string) string {
	if s != "" {
		return s
	}
	return alt
}

func str(o map[string]any, k string) string {
	s, _ := o[k].(string)
	return s
}

func strList(o map[string]any, k string) []string {
	var out []string
	switch v := o[k].(type) {
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case string:
		out = append(out, v)
	}
	return out
}

// cards turns a set of STIX objects into cards, naming each reference by
// the name of the object it refers to when the set has it. Marking
// definitions are left out: each card shows its TLP.
func (c *ctx) cards(raws []json.RawMessage) []stixCard {
	objs := make([]map[string]any, 0, len(raws))
	names := map[string]string{}
	for _, raw := range raws {
		var o map[string]any
		if json.Unmarshal(raw, &o) != nil {
			continue
		}
		objs = append(objs, o)
		if n := str(o, "name"); n != "" {
			names[str(o, "id")] = n
		}
	}
	ref := func(id string) refItem {
		typ, _, _ := strings.Cut(id, "--")
		label := names[id]
		if label == "" {
			label = c.typeLabel(typ)
		} else {
			label = c.typeLabel(typ) + ": " + label
		}
		return refItem{Label: label, ID: id}
	}
	var out []stixCard
	for _, o := range objs {
		typ := str(o, "type")
		if typ == "marking-definition" || typ == "extension-definition" {
			continue
		}
		k := stixCard{Type: typ, TypeLabel: c.typeLabel(typ), ID: str(o, "id"), Name: str(o, "name"), Description: str(o, "description")}
		for _, m := range strList(o, "object_marking_refs") {
			if t, ok := stix.StandardMarking(m); ok {
				b := c.tlp(t.String())
				k.TLP = &b
			}
		}
		fact := func(key, label string, ltr bool) {
			if v := strings.Join(strList(o, key), c.l.T("list.sep")); v != "" {
				k.Facts = append(k.Facts, factItem{Label: label, Value: v, LTR: ltr})
			}
		}
		switch typ {
		case "indicator":
			k.Pattern = str(o, "pattern")
			fact("pattern_type", c.l.T("intel.f.pattern_type"), true)
			fact("indicator_types", c.l.T("intel.f.kinds"), true)
			fact("valid_from", c.l.T("intel.f.valid_from"), true)
			fact("valid_until", c.l.T("intel.f.valid_until"), true)
		case "threat-actor", "intrusion-set", "malware", "tool", "campaign":
			fact("aliases", c.l.T("intel.f.aliases"), false)
			fact("threat_actor_types", c.l.T("intel.f.kinds"), true)
			fact("first_seen", c.l.T("intel.f.first_seen"), true)
			fact("last_seen", c.l.T("intel.f.last_seen"), true)
		case "sighting":
			fact("first_seen", c.l.T("intel.f.first_seen"), true)
			fact("last_seen", c.l.T("intel.f.last_seen"), true)
			if n, ok := o["count"].(float64); ok {
				k.Facts = append(k.Facts, factItem{Label: c.l.T("intel.f.count"), Value: strconv.FormatFloat(n, 'f', -1, 64), LTR: true})
			}
			for _, id := range strList(o, "sighting_of_ref") {
				r := ref(id)
				r.Label = c.l.T("intel.f.sighting_of") + " " + r.Label
				k.Refs = append(k.Refs, r)
			}
			for _, id := range strList(o, "where_sighted_refs") {
				r := ref(id)
				r.Label = c.l.T("intel.f.where_sighted") + " " + r.Label
				k.Refs = append(k.Refs, r)
			}
		case "note", "opinion":
			k.Name = orElse(k.Name, str(o, "abstract"))
			k.Content = orElse(str(o, "content"), str(o, "explanation"))
			fact("opinion", c.l.T("intel.f.opinion"), true)
		case "report":
			fact("published", c.l.T("intel.f.published"), true)
			fact("report_types", c.l.T("intel.f.kinds"), true)
		case "location":
			lat, okLat := o["latitude"].(float64)
			lon, okLon := o["longitude"].(float64)
			if okLat && okLon {
				k.HasPoint, k.Lat, k.Lon = true, lat, lon
				k.Facts = append(k.Facts, factItem{Label: c.l.T("intel.f.position"), Value: fmt.Sprintf("%.4f, %.4f", lat, lon), LTR: true})
			}
			if p, ok := o["precision"].(float64); ok {
				k.Facts = append(k.Facts, factItem{Label: c.l.T("intel.f.precision"), Value: c.l.T("desk.m", "n", strconv.FormatFloat(p, 'f', -1, 64)), LTR: true})
			}
			for _, key := range []string{"street_address", "city", "region", "country"} {
				fact(key, c.l.T("intel.f.place"), false)
			}
		case "relationship":
			fact("relationship_type", c.l.T("intel.f.kinds"), true)
			for _, key := range []string{"source_ref", "target_ref"} {
				for _, id := range strList(o, key) {
					k.Refs = append(k.Refs, ref(id))
				}
			}
		}
		fact("labels", c.l.T("intel.f.labels"), false)
		if conf, ok := o["confidence"].(float64); ok {
			k.Facts = append(k.Facts, factItem{Label: c.l.T("intel.f.confidence"), Value: strconv.FormatFloat(conf, 'f', -1, 64), LTR: true})
		}
		for _, id := range strList(o, "object_refs") {
			if strings.HasPrefix(id, "marking-definition--") {
				continue
			}
			k.Refs = append(k.Refs, ref(id))
		}
		if k.Name == "" && k.Pattern == "" && k.Content == "" && k.Description == "" {
			k.Name = k.ID
		}
		out = append(out, k)
	}
	return out
}

// bundleObjects are the objects of a bundle's bytes, in its order.
func bundleObjects(b []byte) []json.RawMessage {
	var bundle struct {
		Objects []json.RawMessage `json:"objects"`
	}
	json.Unmarshal(b, &bundle) //nolint:errcheck // the desk parsed it before storing it
	return bundle.Objects
}

func storedObjects(objs []intel.Stored) []json.RawMessage {
	out := make([]json.RawMessage, len(objs))
	for i, o := range objs {
		out[i] = o.Object
	}
	return out
}

// mapPoint is a location as intel.js draws it on the base map.
type mapPoint struct {
	Lat  float64 `json:"lat"`
	Lon  float64 `json:"lon"`
	Name string  `json:"name"`
	// RadiusM is how uncertain the point is: a coarsened location is a
	// cell of a grid, and the map says so by its circle.
	RadiusM float64 `json:"radius_m"`
}

func pointsOf(cards []stixCard, coarsenKm float64) string {
	var ps []mapPoint
	for _, k := range cards {
		if k.HasPoint {
			ps = append(ps, mapPoint{Lat: k.Lat, Lon: k.Lon, Name: orElse(k.Name, k.ID), RadiusM: math.Max(coarsenKm*500, 300)})
		}
	}
	if len(ps) == 0 {
		return ""
	}
	return jsonString(ps)
}

// ---- submissions ----

type decisionItem struct {
	Decision, Label        string
	To                     string
	Reason                 string
	Sanitized              bool
	ProposedBy, ApprovedBy string
	At                     stamp
	Entry                  int64
}

type subRow struct {
	ID                  int64
	Href                string
	Title               string
	Party, Member       string
	At                  stamp
	TLP                 tlpBadge
	Count               int
	Types               string
	Status, StatusLabel string
	ReplyTo             string
	Decision            *decisionItem
	Due                 *stamp
	Left                string
	Over                bool
	Unresolved          []string
}

func (c *ctx) recipients(to, members []string) string {
	names := []string{}
	for _, p := range to {
		names = append(names, c.partyName(p))
	}
	names = append(names, members...)
	return joinList(c.l, names)
}

func (c *ctx) typesText(types map[string]int) string {
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(types)) {
		parts = append(parts, c.l.T("intel.type_n", "type", c.typeLabel(t), "n", types[t]))
	}
	return joinList(c.l, parts)
}

func (c *ctx) decisionLabel(d string) string {
	switch d {
	case intel.Release:
		return c.l.T("intel.decision.release")
	case intel.Withhold:
		return c.l.T("intel.decision.withhold")
	case intel.Return:
		return c.l.T("intel.decision.return")
	}
	return d
}

func (c *ctx) statusLabel(s string) string {
	switch s {
	case intel.StatusSubmitted:
		return c.l.T("intel.status.submitted")
	case intel.StatusReleased:
		return c.l.T("intel.status.released")
	case intel.StatusWithheld:
		return c.l.T("intel.status.withheld")
	case intel.StatusReturned:
		return c.l.T("intel.status.returned")
	}
	return s
}

func (c *ctx) subRow(s intel.Submission) subRow {
	zones := c.deskZones(s.Party)
	row := subRow{ID: s.ID, Href: "/intel/submissions/" + strconv.FormatInt(s.ID, 10), Title: s.Title, Party: c.partyName(s.Party), Member: s.Member,
		At: newStamp(s.At, zones), TLP: c.tlp(s.TLP), Count: s.Count, Types: c.typesText(s.Types), Status: s.Status, StatusLabel: c.statusLabel(s.Status),
		ReplyTo: s.ReplyTo, Unresolved: s.Unresolved}
	if d := s.Decision; d != nil {
		row.Decision = &decisionItem{Decision: d.Decision, Label: c.decisionLabel(d.Decision), To: c.recipients(d.To, d.Members), Reason: d.Reason,
			Sanitized: d.Sanitized, ProposedBy: d.ProposedBy, ApprovedBy: d.ApprovedBy, At: newStamp(d.At, zones), Entry: d.Entry}
	}
	if s.Status == intel.StatusSubmitted && !s.Due.IsZero() {
		due := newStamp(s.Due, c.deskZones())
		row.Due = &due
		left, over := countdown(c.now, s.Due)
		row.Left, row.Over = leftText(c.l, left, over), over
	}
	return row
}

// stagedItem is a TAXII post waiting for its poster's signature: what it
// holds as cards, for the poster to read before signing, and the status
// id their platform was answered, to tell one post from another.
type stagedItem struct {
	ID      int64
	SHA256  string
	Status  string
	Count   int
	At      stamp
	Form    dipForm
	Objects []stixCard
	// Title is the name of the report the post carries, if any: a
	// suggestion the poster may change.
	Title string
}

type intelData struct {
	Rows      []subRow
	Mediator  bool
	CanSubmit bool
	Submit    dipForm
	ReplyTo   []option
	Staged    []stagedItem
	// TAXII: where a party's MISP or OpenCTI finds the desk.
	TAXII     bool
	Discovery string
	APIRoot   string
}

func (w *Web) intelPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	subs, err := w.api.IntelSubmissions(r, c.p, "")
	if err != nil {
		return err
	}
	d := &intelData{Mediator: isMediator(c.p), CanSubmit: analyst(c.p), TAXII: analyst(c.p),
		Discovery: "/taxii2/", APIRoot: "/taxii2/" + c.p.Cell + "/"}
	for _, s := range subs {
		d.Rows = append(d.Rows, c.subRow(s))
	}
	if d.CanSubmit {
		d.Submit = newForm(intel.KindSubmit, "/intel/submissions", map[string]any{})
		rs, err := w.api.IntelReleases(r, c.p)
		if err != nil {
			return err
		}
		want := r.URL.Query().Get("reply_to")
		d.ReplyTo = []option{{Value: "", Label: c.l.T("intel.submit.reply_none")}}
		for _, rl := range rs {
			d.ReplyTo = append(d.ReplyTo, option{Value: rl.ID, Label: rl.Title, Selected: rl.ID == want})
		}
		if d.Staged, err = w.stagedItems(r, c); err != nil {
			return err
		}
	}
	pg := w.page(c, c.l.T("intel.submissions.title"), "intel", "intel", d)
	switch r.URL.Query().Get("fragment") {
	case "submissions":
		w.renderFragment(rw, r, "intel", "frag-submissions", pg)
		return nil
	case "staged":
		w.renderFragment(rw, r, "intel", "frag-staged", pg)
		return nil
	}
	w.render(rw, r, http.StatusOK, "intel", pg)
	return nil
}

// stagedCardsMax is the most objects a staged post is shown with as
// cards: a platform may post thousands, and the list is rendered again
// whenever a post arrives.
const stagedCardsMax = 200

// stagedItems are the reader's own TAXII posts that wait for their
// signature, newest first.
func (w *Web) stagedItems(r *http.Request, c *ctx) ([]stagedItem, error) {
	st, err := w.api.IntelStaged(r, c.p)
	if err != nil {
		return nil, err
	}
	var out []stagedItem
	for _, s := range st {
		if s.Submission != 0 {
			continue
		}
		it := stagedItem{ID: s.ID, SHA256: s.SHA256, Status: s.Status, Count: s.Count, At: newStamp(s.At, c.deskZones(s.Party)),
			Form: newForm(intel.KindSubmit, "/intel/submissions", map[string]any{"staged": s.ID})}
		if s.Count > stagedCardsMax {
			// Too many to read as cards: the preview still counts them.
			out = append(out, it)
			continue
		}
		b, err := w.api.IntelStagedBundle(r, c.p, s.ID)
		switch {
		case api.IsNotFound(err):
			// The post is listed without its cards; the script, which
			// fetches the same bytes to sign them, says why it cannot.
		case err != nil:
			return nil, err
		default:
			it.Objects = c.cards(bundleObjects(b))
			for _, k := range it.Objects {
				if k.Type == "report" && k.Name != "" {
					it.Title = k.Name
					break
				}
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// ---- releases ----

type releaseItem struct {
	ID, Title string
	TLP       tlpBadge
	At        stamp
	Count     int
	Types     string
	To        string
	Answer    string // the release this one answers
	Objects   []stixCard
	Points    string
	Bundle    string
	Entry     int64
	CanAnswer bool
	AnswerTo  string
	// Original links the mediator to the submission a release comes from:
	// the mediator's alone, as intel.derivation is.
	Original *linkItem
	Answers  []linkItem
}

func (w *Web) releaseItem(r *http.Request, c *ctx, rd intel.ReleaseDetail) (releaseItem, error) {
	_, objs, err := w.api.IntelReleaseObjects(r, c.p, rd.ID)
	if err != nil {
		return releaseItem{}, err
	}
	it := releaseItem{ID: rd.ID, Title: rd.Title, TLP: c.tlp(rd.TLP), At: newStamp(rd.At, c.deskZones(rd.To...)), Count: rd.Count,
		Types: c.typesText(rd.Types), To: c.recipients(rd.To, rd.Members), Answer: rd.Answer, Objects: c.cards(storedObjects(objs)),
		Bundle: "/api/v1/intel/releases/" + rd.ID + "/bundle", Entry: rd.Entry}
	km := 0.0
	if rd.Proposal != nil && rd.Proposal.Sanitize != nil {
		km = rd.Proposal.Sanitize.LocationKm
	}
	it.Points = pointsOf(it.Objects, km)
	if analyst(c.p) && !isMediator(c.p) {
		it.CanAnswer, it.AnswerTo = true, "/intel?reply_to="+rd.ID+"#submit-intel"
	}
	if rd.Original != nil {
		it.Original = &linkItem{Label: c.l.T("intel.release.original", "id", rd.Original.ID, "title", rd.Original.Title),
			Href: "/intel/submissions/" + strconv.FormatInt(rd.Original.ID, 10)}
	}
	return it, nil
}

func (w *Web) intelReleasedPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	rs, err := w.api.IntelReleases(r, c.p)
	if err != nil {
		return err
	}
	var items []releaseItem
	for _, rd := range rs {
		it, err := w.releaseItem(r, c, rd)
		if err != nil {
			return err
		}
		items = append(items, it)
	}
	pg := w.page(c, c.l.T("intel.released.title"), "intel", "intel", items)
	w.renderLive(rw, r, "intel-released", "released", pg)
	return nil
}

// ---- the mediator's queue ----

type queueRow struct {
	subRow
	Step     string // propose, approve, publish
	Waiting  string
	Proposal *proposalItem
}

type proposalItem struct {
	ID                     string
	Decision, Label        string
	To                     string
	Reason                 string
	Sanitize               string
	TLP                    *tlpBadge
	Count                  int
	Status, StatusLabel    string
	ProposedBy, ApprovedBy string
	ProposedAt             stamp
	ApprovedAt             *stamp
	Entry, Approval        int64
	Released               int64
}

func (c *ctx) proposalStatus(s string) string {
	switch s {
	case intel.ProposalOpen:
		return c.l.T("intel.pstatus.proposed")
	case intel.ProposalApproved:
		return c.l.T("intel.pstatus.approved")
	case intel.ProposalReleased:
		return c.l.T("intel.pstatus.released")
	case intel.ProposalSuperseded:
		return c.l.T("intel.pstatus.superseded")
	}
	return s
}

func (c *ctx) recipeText(rc *intel.Recipe) string {
	if rc == nil {
		return ""
	}
	var parts []string
	if len(rc.RemoveTypes) > 0 {
		var ts []string
		for _, t := range rc.RemoveTypes {
			ts = append(ts, c.typeLabel(t))
		}
		parts = append(parts, c.l.T("intel.recipe.types", "types", joinList(c.l, ts)))
	}
	if len(rc.RemoveIDs) > 0 {
		parts = append(parts, c.l.T("intel.recipe.ids", "n", len(rc.RemoveIDs)))
	}
	if len(rc.RemoveProperties) > 0 {
		parts = append(parts, c.l.T("intel.recipe.props", "n", len(rc.RemoveProperties)))
	}
	if rc.LocationKm > 0 {
		parts = append(parts, c.l.T("intel.recipe.km", "n", strconv.FormatFloat(rc.LocationKm, 'f', -1, 64)))
	}
	return strings.Join(parts, "; ")
}

func (c *ctx) proposalItem(p intel.Proposal) proposalItem {
	zones := c.deskZones()
	it := proposalItem{ID: p.ID, Decision: p.Decision, Label: c.decisionLabel(p.Decision), To: c.recipients(p.To, p.Members), Reason: p.Reason,
		Sanitize: c.recipeText(p.Sanitize), Count: p.Count, Status: p.Status, StatusLabel: c.proposalStatus(p.Status), ProposedBy: p.ProposedBy,
		ApprovedBy: p.ApprovedBy, ProposedAt: newStamp(p.ProposedAt, zones), Entry: p.Entry, Approval: p.Approval, Released: p.Released}
	if p.TLP != "" {
		b := c.tlp(p.TLP)
		it.TLP = &b
	}
	if !p.ApprovedAt.IsZero() {
		at := newStamp(p.ApprovedAt, zones)
		it.ApprovedAt = &at
	}
	return it
}

// waiting says whose step it is: the gate's steps are taken by different
// people, and the queue must show who is holding a submission up.
func (c *ctx) waiting(p *intel.Proposal) (step, text string) {
	switch {
	case p == nil:
		return "propose", c.l.T("intel.wait.propose")
	case p.Status == intel.ProposalOpen:
		return "approve", c.l.T("intel.wait.approve", "member", p.ProposedBy)
	case p.Status == intel.ProposalApproved && p.Decision == intel.Release:
		return "publish", c.l.T("intel.wait.publish")
	}
	return "", ""
}

type queueTable struct {
	Caption string
	Rows    []queueRow
}

type queueData struct {
	Queue     queueTable
	Overdue   int
	Publish   queueTable
	CanDecide bool
}

func (w *Web) intelQueuePage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	q, err := w.api.IntelQueue(r, c.p)
	if err != nil {
		return err
	}
	d := &queueData{CanDecide: decider(c.p), Queue: queueTable{Caption: c.l.T("intel.queue.head")},
		Publish: queueTable{Caption: c.l.T("intel.queue.publish_head")}}
	for _, it := range q {
		row := queueRow{subRow: c.subRow(it.Submission)}
		row.Step, row.Waiting = c.waiting(it.Proposal)
		if it.Proposal != nil {
			pi := c.proposalItem(*it.Proposal)
			row.Proposal = &pi
		}
		if row.Over {
			d.Overdue++
		}
		d.Queue.Rows = append(d.Queue.Rows, row)
	}
	// An approved release leaves the queue (its submitter has the
	// decision) but still waits for a member to publish it.
	released, err := w.api.IntelSubmissions(r, c.p, intel.StatusReleased)
	if err != nil {
		return err
	}
	for _, s := range released {
		sd, err := w.api.IntelSubmission(r, c.p, s.ID)
		if err != nil {
			return err
		}
		for _, p := range sd.Proposals {
			if p.Status == intel.ProposalApproved && p.Decision == intel.Release {
				row := queueRow{subRow: c.subRow(s)}
				row.Step, row.Waiting = c.waiting(&p)
				pi := c.proposalItem(p)
				row.Proposal = &pi
				d.Publish.Rows = append(d.Publish.Rows, row)
			}
		}
	}
	pg := w.page(c, c.l.T("intel.queue.title"), "intel", "intel", d)
	w.renderLive(rw, r, "intel-queue", "queue", pg)
	return nil
}

// ---- a submission ----

type approveItem struct {
	Form    dipForm
	Payload string
	Mine    bool // the reader proposed it: four eyes
	Prop    proposalItem
}

type publishItem struct {
	Form     dipForm
	Proposal string
	Draft    string
	Title    string
}

// compareItem is a release beside the original it was made from: what the
// recipe removed and what it coarsened, visible to the mediator.
type compareItem struct {
	Title     string
	Href      string
	TLP       tlpBadge
	Sanitized bool
	Original  []stixCard
	Derived   []stixCard
	Removed   int
	Coarsened int
}

type submissionData struct {
	subRow
	Note      string
	Bundle    string
	Objects   []stixCard
	Points    string
	Mediator  bool
	Proposals []proposalItem
	Propose   *dipForm
	Parties   []option
	Members   []option
	Types     []option
	ObjectIDs []option
	Approve   *approveItem
	Publish   *publishItem
	Compare   []compareItem
}

func (w *Web) intelSubmissionPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	id, err := strconv.ParseInt(r.PathValue("submission"), 10, 64)
	if err != nil {
		return fmt.Errorf("submission %q: %w", r.PathValue("submission"), store.ErrNotFound)
	}
	sd, err := w.api.IntelSubmission(r, c.p, id)
	if err != nil {
		return err
	}
	raw, err := w.api.IntelBundle(r, c.p, id)
	if err != nil {
		return err
	}
	d := &submissionData{subRow: c.subRow(sd.Submission), Note: sd.Note, Bundle: "/api/v1/intel/submissions/" + strconv.FormatInt(id, 10) + "/bundle",
		Objects: c.cards(bundleObjects(raw)), Mediator: isMediator(c.p)}
	d.Points = pointsOf(d.Objects, 0)
	for i := len(sd.Proposals) - 1; i >= 0; i-- {
		d.Proposals = append(d.Proposals, c.proposalItem(sd.Proposals[i]))
	}
	if sd.Status == intel.StatusSubmitted && proposer(c.p) {
		f := newForm(intel.KindPropose, "/intel/proposals", map[string]any{"submission": id})
		d.Propose = &f
		for _, pt := range c.parties {
			if pt.Kind != cell.Mediator {
				d.Parties = append(d.Parties, option{Value: pt.ID, Label: partyName(c.l, pt)})
			}
		}
		ms, err := w.api.IntelRecipients(r, c.p)
		if err != nil {
			return err
		}
		for _, m := range ms {
			d.Members = append(d.Members, option{Value: m.ID, Label: m.ID + " (" + c.partyName(m.Party) + ")"})
		}
		for _, t := range slices.Sorted(maps.Keys(sd.Types)) {
			d.Types = append(d.Types, option{Value: t, Label: c.typeLabel(t)})
		}
		for _, k := range d.Objects {
			d.ObjectIDs = append(d.ObjectIDs, option{Value: k.ID, Label: k.TypeLabel + ": " + orElse(k.Name, k.ID)})
		}
	}
	for _, p := range sd.Proposals {
		switch {
		case p.Status == intel.ProposalOpen && decider(c.p) && sd.Status == intel.StatusSubmitted:
			d.Approve = &approveItem{Form: newForm(intel.KindApprove, "/intel/proposals/"+p.ID+"/approve", map[string]any{}),
				Payload: jsonString(intel.Approval(p)), Mine: p.ProposedBy == c.p.Member.ID, Prop: c.proposalItem(p)}
		case p.Status == intel.ProposalApproved && p.Decision == intel.Release && decider(c.p):
			d.Publish = &publishItem{Form: newForm(intel.KindRelease, "/intel/proposals/"+p.ID+"/release", map[string]any{"proposal": p.ID}),
				Proposal: p.ID, Draft: "/api/v1/intel/proposals/" + p.ID + "/draft", Title: sd.Title}
		case p.Status == intel.ProposalReleased && d.Mediator:
			ci, err := w.compare(r, c, p, raw)
			if err != nil {
				return err
			}
			d.Compare = append(d.Compare, ci)
		}
	}
	pg := w.page(c, c.l.T("intel.submission.title", "id", id), "intel", "intel", d)
	w.render(rw, r, http.StatusOK, "intel-submission", pg)
	return nil
}

// compare puts a release beside its original: each original object the
// recipe removed is marked, and each location it coarsened, on both sides.
func (w *Web) compare(r *http.Request, c *ctx, p intel.Proposal, original []byte) (compareItem, error) {
	rd, objs, err := w.api.IntelReleaseObjects(r, c.p, p.ID)
	if err != nil {
		return compareItem{}, err
	}
	it := compareItem{Title: rd.Title, Href: "/intel/released#release-" + rd.ID, TLP: c.tlp(rd.TLP), Original: c.cards(bundleObjects(original)),
		Derived: c.cards(storedObjects(objs))}
	origOf := map[string]string{}
	if rd.Derivation != nil {
		it.Sanitized = rd.Derivation.Sanitized
		maps.Copy(origOf, rd.Derivation.IDs)
	}
	kept := map[string]int{}
	for i, k := range it.Derived {
		oid := orElse(origOf[k.ID], k.ID)
		kept[oid] = i
	}
	for i := range it.Original {
		o := &it.Original[i]
		j, ok := kept[o.ID]
		if !ok {
			o.Mark, o.MarkLabel = "removed", c.l.T("intel.compare.removed")
			it.Removed++
			continue
		}
		dk := &it.Derived[j]
		if o.HasPoint && dk.HasPoint && (o.Lat != dk.Lat || o.Lon != dk.Lon) {
			o.Mark, o.MarkLabel = "coarsened", c.l.T("intel.compare.coarsened")
			dk.Mark, dk.MarkLabel = "coarsened", c.l.T("intel.compare.coarsened")
			it.Coarsened++
		}
	}
	return it, nil
}
