package web

// The military de-escalation desk's pages: the map of the zones, the
// activities notified and the incidents reported, with the forms that
// notify, report and answer; an activity's, an incident's and a zone's
// own page; the lists; and the desk's status board on the watch screen.
// Everything is read through the API's desk queries (api/deskquery.go),
// so a page shows a member what the desk's routes would answer them, and
// 404s where they would.

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
)

// deskPages are the desk's page templates, parsed with the layout like
// pageNames.
var deskPages = []string{"map", "activities", "activity", "incidents", "incident", "zone"}

// deskPartials are the templates a page includes besides its own: the
// desk's shared parts on every desk page, and the desk's board on the
// watch screen.
var deskPartials = map[string][]string{
	"dashboard":  {"templates/board.html", "templates/desk-parts.html"},
	"map":        {"templates/desk-parts.html"},
	"activities": {"templates/desk-parts.html"},
	"activity":   {"templates/desk-parts.html"},
	"incidents":  {"templates/desk-parts.html"},
	"incident":   {"templates/desk-parts.html"},
	"zone":       {"templates/desk-parts.html"},
}

func (w *Web) deskRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /map", w.authed(w.mapPage))
	m.HandleFunc("GET /map/data", w.authed(w.mapDataJSON))
	m.HandleFunc("GET /activities", w.authed(w.activitiesPage))
	m.HandleFunc("GET /activities/{activity}", w.authed(w.activityPage))
	m.HandleFunc("GET /incidents", w.authed(w.incidentsPage))
	m.HandleFunc("GET /incidents/{incident}", w.authed(w.incidentPage))
	m.HandleFunc("GET /zones/{zone}", w.authed(w.zonePage))
	m.HandleFunc("GET /board", w.authed(w.boardFragment))
}

// onDesk asks the rule book whether p acts on the de-escalation desk, so
// that the pages offer only what the desk will accept; it decides again.
// mediatesDeconflict and requestsVerification ask the same of the
// mediator's part of the desk and of a side's call on it.
func onDesk(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.ActDeconflict, cell.Target{}) == nil
}

func mediatesDeconflict(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.MediateDeconflict, cell.Target{}) == nil
}

func requestsVerification(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.RequestVerification, cell.Target{}) == nil
}

func isMediator(p *api.Principal) bool { return p.Party.Kind == cell.Mediator }

// zoneName names a zone in the reader's language when it has a name in it.
func zoneName(l *Localizer, name string, names map[string]string) string {
	if n := names[l.Lang]; n != "" {
		return n
	}
	return name
}

// leadTime renders a notice's lead time: "24 h", "5 h 59 min", "45 min".
func leadTime(l *Localizer, secs int) string {
	h, m := secs/3600, secs%3600/60
	switch {
	case h > 0 && m > 0:
		return l.T("desk.hours_minutes", "h", h, "m", m)
	case h > 0:
		return l.T("desk.hours", "n", h)
	case m > 0:
		return l.T("desk.minutes", "n", m)
	}
	return l.T("desk.seconds", "n", secs)
}

// metres renders a distance: "1,500 m", "2.5 km".
func metres(l *Localizer, m float64) string {
	if m >= 10000 {
		return l.T("desk.km", "n", strconv.FormatFloat(m/1000, 'f', -1, 64))
	}
	return l.T("desk.m", "n", strconv.FormatFloat(m, 'f', -1, 64))
}

func (c *ctx) partyNames(ids []string) string {
	var names []string
	for _, id := range ids {
		names = append(names, c.partyName(id))
	}
	return joinList(c.l, names)
}

// deskZones are the zones of the parties concerned with something: the
// times on a desk page are shown in UTC and in each of theirs.
func (c *ctx) deskZones(ids ...string) []zone {
	return zonesOf(c.l, c.parties, ids)
}

func precOptions(selected string) []option {
	var out []option
	for _, p := range cell.Precedences {
		out = append(out, option{Value: p, Label: p, Selected: p == selected})
	}
	return out
}

// ---- zones ----

type ruleItem struct {
	Type  string
	Rule  string // prohibited, notice, allowed
	Label string
	Lead  string
}

type limitItem struct {
	Category string
	Max      int
}

// zoneItem is a zone version as the map's legend and popups show it.
type zoneItem struct {
	ID, Version  string
	Name         string
	Kind         string
	KindLabel    string
	Draft        bool
	StatusLabel  string
	Href         string
	Rules        []ruleItem
	DefaultRule  string
	Buffer       string
	Limits       []limitItem
	Note         string
	Illustrative bool
}

func (c *ctx) zoneItem(zv deconflict.ZoneVersion) zoneItem {
	z := zv.Content
	it := zoneItem{ID: zv.Zone, Version: strconv.Itoa(zv.Version), Name: zoneName(c.l, z.Name, z.Names), Kind: z.Kind,
		KindLabel: c.l.T("desk.kind." + z.Kind), Draft: zv.Status == "draft", StatusLabel: c.l.T("desk.zone.status." + zv.Status),
		Href: "/zones/" + zv.Zone, Note: z.Note, Illustrative: strings.HasPrefix(strings.ToLower(z.Note), "illustrative")}
	for _, t := range deconflict.ActivityTypes {
		r := z.RuleFor(t)
		ri := ruleItem{Type: c.l.T("desk.type." + t), Rule: r.Rule, Label: c.l.T("desk.rule." + r.Rule)}
		if r.Rule == deconflict.RuleNotice {
			ri.Lead = leadTime(c.l, r.LeadTime)
		}
		it.Rules = append(it.Rules, ri)
	}
	if z.BufferM > 0 {
		it.Buffer = metres(c.l, z.BufferM)
	}
	for _, cat := range deconflict.ForceCategories {
		if n, ok := z.Limits[cat]; ok {
			it.Limits = append(it.Limits, limitItem{Category: c.l.T("desk.force." + cat), Max: n})
		}
	}
	return it
}

// ---- the map ----

type mapData struct {
	Zones        []zoneItem
	Kinds        []option
	Illustrative int
	CanNotify    bool
	CanReport    bool
	NoRegion     bool
	Types        []option
	Precedences  []option
	Addressable  []option
	Categories   []option
	Severities   []option
	InForce      []option
	Start, End   string // the notify form's default window, UTC, for datetime-local
	Occurred     string
	Clocks       []clock
}

func (w *Web) mapPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	fs, err := w.api.ZoneFeatures(r, c.p)
	if err != nil {
		return err
	}
	d := mapData{NoRegion: c.info.Settings.Region == nil}
	for _, f := range fs {
		it := c.zoneItem(f.ZoneVersion)
		if it.Illustrative {
			d.Illustrative++
		}
		d.Zones = append(d.Zones, it)
		if f.Agreed {
			d.InForce = append(d.InForce, option{Value: f.Zone, Label: it.Name})
		}
	}
	for _, k := range deconflict.ZoneKinds {
		d.Kinds = append(d.Kinds, option{Value: k, Label: c.l.T("desk.kind." + k)})
	}
	may := onDesk(c.p) && !d.NoRegion
	d.CanNotify, d.CanReport = may, may
	for _, t := range deconflict.ActivityTypes {
		d.Types = append(d.Types, option{Value: t, Label: c.l.T("desk.type." + t)})
	}
	d.Precedences = precOptions("PRIORITY")
	for _, pa := range c.parties {
		// The other sides by default; an observer only when the officer
		// says so: what is notified is need-to-know.
		if pa.ID != c.p.Party.ID && pa.Kind != cell.Mediator {
			d.Addressable = append(d.Addressable, option{Value: pa.ID, Label: partyName(c.l, pa), Selected: pa.Kind == cell.Side})
		}
	}
	for _, cat := range deconflict.IncidentCategories {
		if cat != "force_limits" { // the server's own, for an inspection's findings
			d.Categories = append(d.Categories, option{Value: cat, Label: c.l.T("desk.category." + cat)})
		}
	}
	for _, s := range deconflict.Severities {
		d.Severities = append(d.Severities, option{Value: s, Label: c.l.T("desk.severity." + s), Selected: s == "medium"})
	}
	const local = "2006-01-02T15:04"
	start := c.now.UTC().Truncate(time.Hour).Add(2 * time.Hour)
	d.Start, d.End = start.Format(local), start.Add(3*time.Hour).Format(local)
	d.Occurred = c.now.UTC().Truncate(time.Minute).Format(local)
	d.Clocks = append(d.Clocks, clock{Party: "UTC", Zone: "UTC"})
	for _, pa := range c.parties {
		if pa.TimeZone != "" {
			d.Clocks = append(d.Clocks, clock{Party: partyName(c.l, pa), Zone: pa.TimeZone})
		}
	}
	w.render(rw, r, http.StatusOK, "map", w.page(c, c.l.T("map.title"), "desk", "map", d))
	return nil
}

// The map's data: what the page's script draws, read through the same
// queries as the pages, localized here so that the script only draws.
type mapJSON struct {
	Region     *cell.Region  `json:"region"`
	Now        time.Time     `json:"now"`
	Zones      []mapZone     `json:"zones"`
	Activities []mapActivity `json:"activities"`
	Incidents  []mapIncident `json:"incidents"`
	Parties    []mapParty    `json:"parties"`
}

type mapParty struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Zone string `json:"zone"`
}

type mapZone struct {
	ID       string          `json:"id"`
	Version  int             `json:"version"`
	Kind     string          `json:"kind"`
	Draft    bool            `json:"draft"`
	Name     string          `json:"name"`
	Geometry json.RawMessage `json:"geometry"`
	RadiusM  float64         `json:"radius_m,omitempty"`
	WidthM   float64         `json:"width_m,omitempty"`
	BufferM  float64         `json:"buffer_m,omitempty"`
}

type mapActivity struct {
	ID         int64               `json:"id"`
	Version    int                 `json:"version"`
	Party      string              `json:"party"`
	PartyName  string              `json:"party_name"`
	Type       string              `json:"type"`
	TypeLabel  string              `json:"type_label"`
	Title      string              `json:"title"`
	Precedence string              `json:"precedence"`
	Held       bool                `json:"held"`
	Mine       bool                `json:"mine"`
	Href       string              `json:"href"`
	Volumes    []deconflict.Volume `json:"volumes"`
}

type mapIncident struct {
	ID         int64           `json:"id"`
	Title      string          `json:"title"`
	Category   string          `json:"category"`
	Severity   string          `json:"severity"`
	Label      string          `json:"label"` // category · severity, localized
	Precedence string          `json:"precedence"`
	PartyName  string          `json:"party_name"`
	OccurredAt time.Time       `json:"occurred_at"`
	Geometry   json.RawMessage `json:"geometry"`
	RadiusM    float64         `json:"radius_m,omitempty"`
	Href       string          `json:"href"`
}

// incidentsShown is how far back the map shows incidents, as the board
// counts them.
const incidentsShown = api.BoardDays * 24 * time.Hour

func (w *Web) mapDataJSON(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	d := mapJSON{Region: c.info.Settings.Region, Now: c.now.UTC(), Zones: []mapZone{}, Activities: []mapActivity{}, Incidents: []mapIncident{}}
	fs, err := w.api.ZoneFeatures(r, c.p)
	if err != nil {
		return err
	}
	for _, f := range fs {
		z := f.Content
		d.Zones = append(d.Zones, mapZone{ID: f.Zone, Version: f.Version, Kind: z.Kind, Draft: !f.Agreed, Name: zoneName(c.l, z.Name, z.Names),
			Geometry: z.Geometry, RadiusM: z.RadiusM, WidthM: z.WidthM, BufferM: z.BufferM})
	}
	ns, err := w.api.Activities(r, c.p)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if n.State != deconflict.StateActive || !n.End.After(c.now) {
			continue
		}
		nv, err := w.api.ActivityVersion(r, c.p, n.ID, n.Version)
		if err != nil {
			return err
		}
		d.Activities = append(d.Activities, mapActivity{ID: n.ID, Version: n.Version, Party: n.Party, PartyName: c.partyName(n.Party),
			Type: n.Type, TypeLabel: c.l.T("desk.type." + n.Type), Title: n.Title, Precedence: n.Precedence, Held: n.Held,
			Mine: n.Party == c.p.Party.ID, Href: "/activities/" + strconv.FormatInt(n.ID, 10), Volumes: nv.Volumes})
	}
	is, err := w.api.Incidents(r, c.p)
	if err != nil {
		return err
	}
	for _, inc := range is {
		if c.now.Sub(inc.OccurredAt) > incidentsShown {
			continue
		}
		d.Incidents = append(d.Incidents, mapIncident{ID: inc.ID, Title: inc.Title, Category: inc.Category, Severity: inc.Severity,
			Label: c.l.T("desk.category."+inc.Category) + " · " + c.l.T("desk.severity."+inc.Severity), Precedence: inc.Precedence,
			PartyName: c.partyName(inc.Party), OccurredAt: inc.OccurredAt, Geometry: inc.Location.Geometry, RadiusM: inc.Location.RadiusM,
			Href: "/incidents/" + strconv.FormatInt(inc.ID, 10)})
	}
	for _, pa := range c.parties {
		if pa.TimeZone != "" {
			d.Parties = append(d.Parties, mapParty{ID: pa.ID, Name: partyName(c.l, pa), Zone: pa.TimeZone})
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("Vary", "Cookie, Accept-Language")
	rw.Write(b) //nolint:errcheck
	return nil
}

// ---- lists ----

type activityRow struct {
	ID         int64
	Href       string
	Title      string
	TypeLabel  string
	Party      string
	Precedence string
	State      string
	StateLabel string
	Version    int
	Held       bool
	Start, End stamp
}

func (c *ctx) activityRow(n deconflict.Notification) activityRow {
	zones := c.deskZones(append([]string{n.Party}, n.Addressed...)...)
	return activityRow{ID: n.ID, Href: "/activities/" + strconv.FormatInt(n.ID, 10), Title: n.Title, TypeLabel: c.l.T("desk.type." + n.Type),
		Party: c.partyName(n.Party), Precedence: n.Precedence, State: n.State, StateLabel: c.l.T("desk.state." + n.State),
		Version: n.Version, Held: n.Held, Start: newStamp(n.Start, zones), End: newStamp(n.End, zones)}
}

func (w *Web) activitiesPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	ns, err := w.api.Activities(r, c.p)
	if err != nil {
		return err
	}
	var rows []activityRow
	for i := len(ns) - 1; i >= 0; i-- { // the newest first
		rows = append(rows, c.activityRow(ns[i]))
	}
	w.render(rw, r, http.StatusOK, "activities", w.page(c, c.l.T("desk.activities.title"), "desk", "", rows))
	return nil
}

type incidentRow struct {
	ID            int64
	Href          string
	Title         string
	CategoryLabel string
	Severity      string
	SeverityLabel string
	Precedence    string
	Party         string
	Occurred      stamp
}

func (c *ctx) incidentRow(inc deconflict.Incident) incidentRow {
	zones := c.deskZones(append([]string{inc.Party}, inc.Addressed...)...)
	return incidentRow{ID: inc.ID, Href: "/incidents/" + strconv.FormatInt(inc.ID, 10), Title: inc.Title,
		CategoryLabel: c.l.T("desk.category." + inc.Category), Severity: inc.Severity, SeverityLabel: c.l.T("desk.severity." + inc.Severity),
		Precedence: inc.Precedence, Party: c.partyName(inc.Party), Occurred: newStamp(inc.OccurredAt, zones)}
}

func (w *Web) incidentsPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	is, err := w.api.Incidents(r, c.p)
	if err != nil {
		return err
	}
	var rows []incidentRow
	for i := len(is) - 1; i >= 0; i-- {
		rows = append(rows, c.incidentRow(is[i]))
	}
	w.render(rw, r, http.StatusOK, "incidents", w.page(c, c.l.T("desk.incidents.title"), "desk", "", rows))
	return nil
}

// ---- an activity ----

type volumeItem struct {
	Index      int
	Shape      string
	Start, End stamp
	Altitude   string
}

type zoneConflictItem struct {
	Zone, Name, Href string
	Rule             string
	Text             string
	Volume           int
}

type versionItem struct {
	Version       int
	Entry         int64
	Member        string
	At            stamp
	Description   string
	Volumes       []volumeItem
	ZoneConflicts []zoneConflictItem
	Seen          []deconflict.Ref
	Current       bool
}

type conflictItem struct {
	Version      int
	Other        int64
	OtherVersion int
	OtherHref    string
	OtherTitle   string
	OtherParty   string
	Volume       int
	OtherVolume  int
	Held         bool
	Decision     string
	Note         string
}

type answerItem struct {
	Version int
	Party   string
	Member  string
	Answer  string
	Label   string
	Reason  string
	At      stamp
	Entry   int64
}

type pendingItem struct {
	Party string
	Due   stamp
	Left  string
	Over  bool
}

type activityData struct {
	activityRow
	Member      string
	Addressed   string
	Description string
	Versions    []versionItem
	Conflicts   []conflictItem
	Answers     []answerItem
	Pending     []pendingItem
	// HeldMine tells the notifier that a conflict waits for the mediator,
	// and nothing more; the mediator sees which (Conflicts).
	HeldNote  bool
	Volumes   string // the current version's volumes, as JSON, for the small map
	CanAnswer bool
	CanAmend  bool
	CanEnd    bool
	CanClear  bool
	AmendJSON string
}

func (c *ctx) zoneConflict(zc deconflict.ZoneConflict, zoneNames map[string]string) zoneConflictItem {
	name := zoneNames[zc.Zone]
	if name == "" {
		name = zc.Name
	}
	it := zoneConflictItem{Zone: zc.Zone, Name: name, Href: "/zones/" + zc.Zone, Rule: zc.Rule, Volume: zc.Volume + 1}
	switch zc.Rule {
	case deconflict.RuleNotice:
		it.Text = c.l.T("desk.zc.notice", "lead", leadTime(c.l, zc.LeadTime), "given", leadTime(c.l, zc.Given))
	case "protected":
		it.Text = c.l.T("desk.zc.protected")
	default:
		it.Text = c.l.T("desk.zc.prohibited")
	}
	return it
}

// zoneNames names every zone in the reader's language, for the zone rules
// a notification or an incident cites.
func (w *Web) zoneNames(r *http.Request, c *ctx) (map[string]string, error) {
	zs, err := w.api.Zones(r, c.p)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, z := range zs {
		out[z.ID] = zoneName(c.l, z.Name, z.Names)
	}
	return out, nil
}

func (c *ctx) shapeLabel(s deconflict.Shape) string {
	var g struct {
		Type string `json:"type"`
	}
	json.Unmarshal(s.Geometry, &g) //nolint:errcheck // stored geometry, checked when written
	switch g.Type {
	case "Point":
		return c.l.T("desk.shape.point", "r", metres(c.l, s.RadiusM))
	case "LineString":
		return c.l.T("desk.shape.route", "w", metres(c.l, s.WidthM))
	}
	return c.l.T("desk.shape.polygon")
}

// where renders a point's position as an officer reads it off a map
// ("33.2620° N, 35.8560° E") with its radius; other shapes by their kind.
func (c *ctx) where(s deconflict.Shape) string {
	var g struct {
		Type        string    `json:"type"`
		Coordinates []float64 `json:"coordinates"`
	}
	if json.Unmarshal(s.Geometry, &g) != nil || g.Type != "Point" || len(g.Coordinates) < 2 {
		return c.shapeLabel(s)
	}
	return c.l.T("desk.where", "lat", strconv.FormatFloat(g.Coordinates[1], 'f', 4, 64), "lng", strconv.FormatFloat(g.Coordinates[0], 'f', 4, 64),
		"r", metres(c.l, s.RadiusM))
}

func (w *Web) activityPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	n, err := w.api.Activity(r, c.p, r.PathValue("activity"))
	if err != nil {
		return err
	}
	names, err := w.zoneNames(r, c)
	if err != nil {
		return err
	}
	zones := c.deskZones(append([]string{n.Party}, n.Addressed...)...)
	d := activityData{activityRow: c.activityRow(n.Notification), Member: n.Member, Addressed: c.partyNames(n.Addressed)}
	if len(n.Addressed) == 0 {
		d.Addressed = c.l.T("desk.addressed.mediator_only")
	}
	for i, v := range n.Versions {
		vi := versionItem{Version: v.Version, Entry: v.Entry, Member: v.Member, At: newStamp(v.At, zones), Description: v.Description,
			Seen: v.Seen, Current: i == len(n.Versions)-1}
		for j, vol := range v.Volumes {
			it := volumeItem{Index: j + 1, Shape: c.shapeLabel(vol.Shape), Start: newStamp(vol.Start, zones), End: newStamp(vol.End, zones)}
			if vol.AltLo != nil && vol.AltHi != nil {
				it.Altitude = c.l.T("desk.altitude", "lo", strconv.FormatFloat(*vol.AltLo, 'f', -1, 64), "hi", strconv.FormatFloat(*vol.AltHi, 'f', -1, 64))
			}
			vi.Volumes = append(vi.Volumes, it)
		}
		for _, zc := range v.ZoneConflicts {
			vi.ZoneConflicts = append(vi.ZoneConflicts, c.zoneConflict(zc, names))
		}
		if vi.Current {
			d.Description = v.Description
			b, _ := json.Marshal(v.Volumes)
			d.Volumes = string(b)
			pretty, _ := json.MarshalIndent(v.Volumes, "", "  ")
			d.AmendJSON = string(pretty)
		}
		d.Versions = append(d.Versions, vi)
	}
	slices.Reverse(d.Versions) // the current version first
	for _, x := range n.Conflicts {
		ci := conflictItem{Version: x.A.Version, Other: x.B.Notification, OtherVersion: x.B.Version, Volume: x.VolumeA + 1, OtherVolume: x.VolumeB + 1,
			Held: x.Held, Decision: x.Decision, Note: x.Note, OtherHref: "/activities/" + strconv.FormatInt(x.B.Notification, 10)}
		if o, err := w.api.Activity(r, c.p, strconv.FormatInt(x.B.Notification, 10)); err == nil {
			ci.OtherTitle, ci.OtherParty = o.Title, c.partyName(o.Party)
		}
		if x.Decision != "" {
			ci.Decision = c.l.T("desk.decision." + x.Decision)
		}
		d.Conflicts = append(d.Conflicts, ci)
	}
	answered := map[string]bool{}
	for _, a := range n.Answers {
		d.Answers = append(d.Answers, answerItem{Version: a.Version, Party: c.partyName(a.Party), Member: a.Member, Answer: a.Answer,
			Label: c.l.T("desk.answer." + a.Answer), Reason: a.Reason, At: newStamp(a.At, zones), Entry: a.Entry})
		if a.Version == n.Version {
			answered[a.Party] = true
		}
	}
	active := n.State == deconflict.StateActive
	if active && len(n.Versions) > 0 {
		due := n.Versions[len(n.Versions)-1].At.Add(c.info.Settings.AckDeadline(n.Precedence))
		for _, p := range n.Addressed {
			if !answered[p] {
				left, over := countdown(c.now, due)
				d.Pending = append(d.Pending, pendingItem{Party: c.partyName(p), Due: newStamp(due, zones), Left: leftText(c.l, left, over), Over: over})
			}
		}
	}
	mine := c.p.Party.ID
	d.HeldNote = n.Held && !isMediator(c.p)
	desk := onDesk(c.p)
	d.CanAnswer = desk && active && mine != n.Party && !answered[mine] && (slices.Contains(n.Addressed, mine) || mediatesDeconflict(c.p))
	d.CanAmend = desk && active && mine == n.Party
	d.CanEnd = d.CanAmend
	d.CanClear = mediatesDeconflict(c.p) && n.Held
	w.render(rw, r, http.StatusOK, "activity", w.page(c, c.l.T("desk.activity.title", "id", n.ID), "desk", "desk", d))
	return nil
}

func leftText(l *Localizer, left string, over bool) string {
	if over {
		return l.T("js.countdown.overdue", "t", left)
	}
	return l.T("js.countdown.left", "t", left)
}

// ---- an incident ----

type incidentAckItem struct {
	Party, Member, Readback string
	At                      stamp
}

type incidentLinkItem struct {
	Notification int64
	Version      int
	Volume       int
	Title        string
	Href         string
}

type verificationItem struct {
	RequestedBy, Party, Note string
	Requested, Due           stamp
	Left                     string
	Over                     bool
	Finding, FindingLabel    string
	Text, FoundBy            string
	FoundAt                  *stamp
}

type incidentData struct {
	incidentRow
	Member       string
	Description  string
	Addressed    string
	Reported     stamp
	Location     string // JSON of the location shape, for the small map
	Where        string // its coordinates, in words
	Attachments  []deconflict.Attachment
	Alleged      []zoneConflictItem
	Sites        []zoneConflictItem
	Acks         []incidentAckItem
	Pending      []pendingItem
	Links        []incidentLinkItem
	Verification *verificationItem
	Inspection   int64
	CanAck       bool
	NeedReadback bool
	CanRequest   bool
	CanFind      bool
	Findings     []option
}

func (w *Web) incidentPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	inc, err := w.api.Incident(r, c.p, r.PathValue("incident"))
	if err != nil {
		return err
	}
	names, err := w.zoneNames(r, c)
	if err != nil {
		return err
	}
	zones := c.deskZones(append([]string{inc.Party}, inc.Addressed...)...)
	b, _ := json.Marshal(inc.Location)
	d := incidentData{incidentRow: c.incidentRow(inc.Incident), Member: inc.Member, Description: inc.Description, Addressed: c.partyNames(inc.Addressed),
		Reported: newStamp(inc.Reported, zones), Location: string(b), Attachments: inc.Attachments, Inspection: inc.Inspection}
	if len(inc.Addressed) == 0 {
		d.Addressed = c.l.T("desk.addressed.mediator_only")
	}
	d.Where = c.where(inc.Location)
	for _, z := range inc.Alleged {
		d.Alleged = append(d.Alleged, zoneConflictItem{Zone: z, Name: cmp(names[z], z), Href: "/zones/" + z})
	}
	for _, s := range inc.Sites {
		d.Sites = append(d.Sites, zoneConflictItem{Zone: s.Zone, Name: cmp(names[s.Zone], s.Name), Href: "/zones/" + s.Zone, Text: c.l.T("desk.kind." + s.Kind)})
	}
	acked := map[string]bool{}
	for _, a := range inc.Acks {
		d.Acks = append(d.Acks, incidentAckItem{Party: c.partyName(a.Party), Member: a.Member, Readback: a.Readback, At: newStamp(a.At, zones)})
		acked[a.Party] = true
	}
	due := inc.Reported.Add(c.info.Settings.AckDeadline(inc.Precedence))
	for _, p := range inc.Addressed {
		if !acked[p] {
			left, over := countdown(c.now, due)
			d.Pending = append(d.Pending, pendingItem{Party: c.partyName(p), Due: newStamp(due, zones), Left: leftText(c.l, left, over), Over: over})
		}
	}
	for _, l := range inc.Links {
		li := incidentLinkItem{Notification: l.Notification, Version: l.Version, Volume: l.Volume + 1, Href: "/activities/" + strconv.FormatInt(l.Notification, 10)}
		if n, err := w.api.Activity(r, c.p, strconv.FormatInt(l.Notification, 10)); err == nil {
			li.Title = n.Title
		}
		d.Links = append(d.Links, li)
	}
	if v := inc.Verification; v != nil {
		vi := &verificationItem{RequestedBy: v.RequestedBy, Party: c.partyName(v.Party), Note: v.Note, Requested: newStamp(v.Requested, zones),
			Due: newStamp(v.Due, zones), Finding: v.Finding, Text: v.Text, FoundBy: v.FoundBy}
		if v.Finding != "" {
			vi.FindingLabel = c.l.T("desk.finding." + v.Finding)
			at := newStamp(v.FoundAt, zones)
			vi.FoundAt = &at
		} else {
			left, over := countdown(c.now, v.Due)
			vi.Left, vi.Over = leftText(c.l, left, over), over
		}
		d.Verification = vi
	}
	mine := c.p.Party.ID
	desk := onDesk(c.p)
	d.CanAck = desk && slices.Contains(inc.Addressed, mine) && !acked[mine]
	d.NeedReadback = inc.Precedence == "FLASH" || inc.Precedence == "IMMEDIATE"
	d.CanRequest = requestsVerification(c.p) && inc.Verification == nil
	d.CanFind = mediatesDeconflict(c.p) && inc.Verification != nil && inc.Verification.Finding == ""
	for _, f := range deconflict.Findings {
		d.Findings = append(d.Findings, option{Value: f, Label: c.l.T("desk.finding." + f)})
	}
	w.render(rw, r, http.StatusOK, "incident", w.page(c, c.l.T("desk.incident.title", "id", inc.ID), "desk", "desk", d))
	return nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ---- a zone ----

type signatureItem struct {
	Party, Member string
	Entry         int64
	At            stamp
}

type zoneVersionItem struct {
	zoneItem
	Number      int
	Hash        string
	ProposedBy  string
	Party       string
	Proposed    stamp
	Entry       int64
	Signatures  []signatureItem
	Awaiting    string
	Content     string // the exact JSON whose SHA-256 is Hash
	SignPayload string // what the Sign button signs
	CanSign     bool
	Geometry    string // the version's shape, as JSON, for the small map
}

type zoneData struct {
	Name      string
	Kind      string
	KindLabel string
	Agreed    int
	Versions  []zoneVersionItem
}

func (w *Web) zonePage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	z, err := w.api.Zone(r, c.p, r.PathValue("zone"))
	if err != nil {
		return err
	}
	zones := c.deskZones()
	d := zoneData{Name: zoneName(c.l, z.Name, z.Names), Kind: z.Kind, KindLabel: c.l.T("desk.kind." + z.Kind), Agreed: z.Agreed}
	for _, v := range z.Versions {
		content, err := json.Marshal(v.Content)
		if err != nil {
			return err
		}
		shape, _ := json.Marshal(struct {
			deconflict.Shape
			BufferM float64 `json:"buffer_m,omitempty"`
		}{v.Content.Shape, v.Content.BufferM})
		sign, _ := json.Marshal(map[string]any{"zone": v.Zone, "version": v.Version, "hash": v.Hash})
		vi := zoneVersionItem{zoneItem: c.zoneItem(v), Number: v.Version, Hash: v.Hash, ProposedBy: v.ProposedBy, Party: c.partyName(v.Party),
			Proposed: newStamp(v.Proposed, zones), Entry: v.Entry, Awaiting: c.partyNames(v.Awaiting), Content: string(content),
			SignPayload: string(sign), Geometry: string(shape)}
		for _, pa := range c.parties {
			if s, ok := v.Signatures[pa.ID]; ok {
				vi.Signatures = append(vi.Signatures, signatureItem{Party: partyName(c.l, pa), Member: s.Member, Entry: s.Entry, At: newStamp(s.At, zones)})
			}
		}
		vi.CanSign = onDesk(c.p) && v.Status == "draft" && slices.Contains(v.Awaiting, c.p.Party.ID)
		d.Versions = append(d.Versions, vi)
	}
	slices.Reverse(d.Versions)
	w.render(rw, r, http.StatusOK, "zone", w.page(c, c.l.T("desk.zone.title", "name", d.Name), "desk", "desk", d))
	return nil
}

// ---- the board on the watch screen ----

type boardDue struct {
	Kind       string
	Title      string
	Href       string
	Party      string
	Precedence string
	Due        stamp
	Left       string
	Over       bool
	Level      int
}

type boardVerification struct {
	Incident int64
	Href     string
	Title    string
	Party    string
	Due      stamp
	Left     string
	Over     bool
}

type boardDay struct {
	Day    string
	Counts []int
	Total  int
}

// deskBoard is the desk's status board, as one member reads it.
type deskBoard struct {
	Posture        bool
	PostureState   string
	PostureLabel   string
	PostureSince   string // an ISO date
	PostureText    string
	PostureEntry   int64
	Active         []activityRow
	Held           []activityRow
	Mediator       bool
	Owed           []boardDue // what our party owes
	Awaited        []boardDue // what the others owe, on what we read
	AwaitedMore    int
	Verifications  []boardVerification
	Categories     []string // the columns of the incident counts
	Days           []boardDay
	DaysCounted    int
	IncidentsTotal int
}

// boardActiveShown and boardAwaitedShown bound what the board lists of
// the active notifications and of what other parties owe.
const (
	boardActiveShown  = 8
	boardAwaitedShown = 6
)

func (w *Web) deskBoard(r *http.Request, c *ctx) (*deskBoard, error) {
	b, err := w.api.DeskBoard(r, c.p, c.now)
	if err != nil {
		return nil, err
	}
	ns, err := w.api.Activities(r, c.p)
	if err != nil {
		return nil, err
	}
	is, err := w.api.Incidents(r, c.p)
	if err != nil {
		return nil, err
	}
	titles := map[int64]string{}
	for _, n := range ns {
		titles[n.ID] = n.Title
	}
	for _, inc := range is {
		titles[inc.ID] = inc.Title
	}
	d := &deskBoard{Mediator: isMediator(c.p), DaysCounted: b.Days}
	if p := b.Posture; p != nil {
		d.Posture, d.PostureState, d.PostureEntry = true, p.State, p.Entry
		d.PostureLabel = c.l.T("desk.posture." + p.State)
		// Isolated left to right: the sentence around it may run right to left.
		d.PostureSince = "\u2066" + p.Since.UTC().Format("2006-01-02") + "\u2069"
		d.PostureText = cmp(p.Texts[c.l.Lang], p.Text)
	}
	for i, n := range b.Active {
		if i < boardActiveShown {
			d.Active = append(d.Active, c.activityRow(n))
		}
	}
	for _, n := range b.Held {
		// The mediator sees which notifications wait for it; a party, only
		// its own, which its own page already tells it is held.
		if d.Mediator || n.Party == c.p.Party.ID {
			d.Held = append(d.Held, c.activityRow(n))
		}
	}
	zones := c.deskZones()
	for _, du := range b.Awaiting {
		left, over := countdown(c.now, du.DueAt())
		it := boardDue{Kind: c.l.T("desk.due." + du.Kind), Title: cmp(titles[du.Ref], du.Title), Party: c.partyName(du.Party),
			Precedence: du.Precedence, Due: newStamp(du.DueAt(), zones), Left: leftText(c.l, left, over), Over: over, Level: du.Level}
		switch du.Kind {
		case deconflict.DueAnswer, deconflict.DueConflict:
			it.Href = "/activities/" + strconv.FormatInt(du.Ref, 10)
		default:
			it.Href = "/incidents/" + strconv.FormatInt(du.Ref, 10)
		}
		// What our party owes comes first and whole: it is the watch's to
		// answer. What others owe us is for following up, and shortened.
		switch {
		case du.Party == c.p.Party.ID:
			d.Owed = append(d.Owed, it)
		case len(d.Awaited) < boardAwaitedShown:
			d.Awaited = append(d.Awaited, it)
		default:
			d.AwaitedMore++
		}
	}
	for _, v := range b.Verifications {
		left, over := countdown(c.now, v.Due)
		d.Verifications = append(d.Verifications, boardVerification{Incident: v.Incident, Href: "/incidents/" + strconv.FormatInt(v.Incident, 10),
			Title: titles[v.Incident], Party: c.partyName(v.Party), Due: newStamp(v.Due, zones), Left: leftText(c.l, left, over), Over: over})
	}
	var cats []string
	for _, counts := range b.IncidentsByDay {
		for cat := range counts {
			if !slices.Contains(cats, cat) {
				cats = append(cats, cat)
			}
		}
	}
	// Columns in the desk's own order of categories.
	for _, cat := range deconflict.IncidentCategories {
		if slices.Contains(cats, cat) {
			d.Categories = append(d.Categories, c.l.T("desk.category."+cat))
		}
	}
	var days []string
	for day := range b.IncidentsByDay {
		days = append(days, day)
	}
	slices.Sort(days)
	slices.Reverse(days) // the latest day first
	for _, day := range days {
		row := boardDay{Day: day}
		for _, cat := range deconflict.IncidentCategories {
			if slices.Contains(cats, cat) {
				n := b.IncidentsByDay[day][cat]
				row.Counts = append(row.Counts, n)
				row.Total += n
			}
		}
		d.IncidentsTotal += row.Total
		d.Days = append(d.Days, row)
	}
	return d, nil
}

// boardFragment is the board alone, for the watch screen's script to
// refresh when the desk's traffic arrives.
func (w *Web) boardFragment(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	if r.URL.Query().Get("fragment") != "board" {
		return errNoFragment
	}
	d, err := w.deskBoard(r, c)
	if err != nil {
		return err
	}
	w.renderFragment(rw, r, "dashboard", "frag-board", w.page(c, "", "", "", d))
	return nil
}

// dueKinds are the kinds of what the desk waits on, for the catalog test.
var dueKinds = []string{deconflict.DueAnswer, deconflict.DueConflict, deconflict.DueIncident, deconflict.DueVerification}
