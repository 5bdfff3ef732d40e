package web

// The commercial desk's pages: the registry of the economic zone's
// projects on the zones' map, a project's milestones with the security
// gates that hold them, its expressions of interest and its funding, and
// the pledges page, the funder's own and the mediator's whole. Everything
// is read through the API's commerce queries (api/commercequery.go) over
// the reader's view: a side's page holds no pledge because its view holds
// none, a funder's its own, the mediator's every one. What every party
// reads of the money is the published total and the disclosed pledges.

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/commerce"
)

// comPages are the desk's page templates, parsed with the layout, the
// desk's parts and the de-escalation desk's (for Leaflet and its map).
var comPages = []string{"projects", "project", "pledges"}

var comPartials = []string{"templates/com-parts.html", "templates/desk-parts.html"}

func (w *Web) comRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /projects", w.authed(w.projectsPage))
	m.HandleFunc("GET /projects/{project}", w.authed(w.projectPage))
	m.HandleFunc("GET /pledges", w.authed(w.pledgesPage))
}

// onComDesk, funds, mayMark and mayExpress ask the rule book what the
// desk's forms offer, as the decisions ask it what they accept.
func onComDesk(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.WorkCommerce, cell.Target{}) == nil
}

func funds(p *api.Principal) bool { return cell.May(p.Actor(), cell.Fund, cell.Target{}) == nil }

// fundsPledge: a pledge is changed and disclosed by its funder.
func fundsPledge(p *api.Principal, x commerce.Pledge) bool {
	return cell.May(p.Actor(), cell.Fund, cell.Target{Party: x.Funder}) == nil
}

// mayMark: the project's party and the mediator mark its milestones and
// move its stage.
func mayMark(p *api.Principal, proj commerce.Project) bool {
	return cell.May(p.Actor(), cell.WorkCommerce, cell.Target{Party: proj.Party}) == nil
}

func mayExpress(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.ExpressInterest, cell.Target{}) == nil
}

// money renders an amount with its currency: "87,000,000 USD". The
// digits are grouped the same in every language, laid out left to right.
func money(n int64, currency string) string {
	out := commerce.Grouped(n)
	if currency != "" {
		out += " " + currency
	}
	return out
}

// or is a's value, or b when a is empty: a name, or the id it names.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// dueIn says how far off a milestone is: in days, since milestones are
// months apart, and in hours and minutes only in its last two days.
func (c *ctx) dueIn(due time.Time) (string, bool) {
	d := due.Sub(c.now)
	if d > 48*time.Hour {
		return c.l.T("com.due.in_days", "n", int(d.Hours()/24)), false
	}
	if d < -48*time.Hour {
		return c.l.T("com.due.days_over", "n", int(-d.Hours()/24)), true
	}
	left, over := countdown(c.now, due)
	return leftText(c.l, left, over), over
}

// ---- the registry ----

type nextItem struct {
	Title  string
	Due    stamp
	Left   string
	Over   bool
	Held   bool
	Reason string
}

type projectCard struct {
	ID, Href, Title    string
	Sector, IATI       string
	SectorLabel        string
	Stage, StageLabel  string
	ZoneID, Zone       string
	SiteID, Site       string
	Party              string
	Next               *nextItem
	Published          string // the published total, rounded, when there is one
	PublishedFunders   int
	Disclosed          int
	MilestonesReached  int
	MilestonesTotal    int
	HeldMilestoneCount int
}

func (c *ctx) projectCard(d commerce.ProjectDetail, zones map[string]string) projectCard {
	p := d.Project
	pc := projectCard{ID: p.ID, Href: "/projects/" + p.ID, Title: named(c.l, p.Title, p.Titles), Sector: p.Sector, IATI: commerce.Sectors[p.Sector],
		SectorLabel: c.l.T("com.sector." + p.Sector), Stage: p.Stage, StageLabel: c.l.T("com.stage." + p.Stage), ZoneID: p.Zone,
		Zone: or(zones[p.Zone], p.Zone), SiteID: p.Site, Party: c.partyName(p.Party), Disclosed: len(d.Disclosures),
		MilestonesTotal: len(d.States)}
	if p.Site != "" {
		pc.Site = or(zones[p.Site], p.Site)
	}
	if d.Funding != nil {
		pc.Published, pc.PublishedFunders = money(d.Funding.Total, d.Funding.Currency), d.Funding.Funders
	}
	var next *commerce.MilestoneState
	for i, m := range d.States {
		if m.Entry != 0 {
			pc.MilestonesReached++
			continue
		}
		if m.Held {
			pc.HeldMilestoneCount++
		}
		if next == nil || m.Due.Before(next.Due) {
			next = &d.States[i]
		}
	}
	if next != nil {
		left, over := c.dueIn(next.Due)
		// A card is small: its date in UTC; the project's page gives the zones.
		pc.Next = &nextItem{Title: next.Title, Due: typedStamp(next.Due, nil), Left: left, Over: over, Held: next.Held}
		for _, g := range next.Gates {
			if !g.Holds {
				pc.Next.Reason = g.Reason
				break
			}
		}
	}
	return pc
}

type projectsData struct {
	Cards    []projectCard
	Sectors  []option
	Stages   []option
	Filtered bool
	Total    int
	MapJSON  string
	CanAdd   bool
	Register *projectEditor
	RegSect  []option
	RegZones []option
	RegStage []option
}

type mapProject struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Href  string `json:"href"`
	Zone  string `json:"zone"`
	Site  string `json:"site,omitempty"`
	Label string `json:"label"` // sector · stage, localized
	Held  bool   `json:"held"`
}

func (w *Web) projectsData(r *http.Request, c *ctx) (*projectsData, error) {
	ds, err := w.api.Projects(r, c.p, c.now)
	if err != nil {
		return nil, err
	}
	zones, err := w.zoneNames(r, c)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	sector, stage := q.Get("sector"), q.Get("stage")
	d := &projectsData{Filtered: sector != "" || stage != "", Total: len(ds)}
	var marks []mapProject
	for _, x := range ds {
		if (sector != "" && x.Sector != sector) || (stage != "" && x.Stage != stage) {
			continue
		}
		pc := c.projectCard(x, zones)
		d.Cards = append(d.Cards, pc)
		marks = append(marks, mapProject{ID: pc.ID, Title: pc.Title, Href: pc.Href, Zone: x.Zone, Site: x.Site,
			Label: pc.SectorLabel + " · " + pc.StageLabel, Held: pc.Next != nil && pc.Next.Held})
	}
	if marks == nil {
		marks = []mapProject{}
	}
	d.MapJSON = jsonString(marks)
	d.Sectors = []option{{Value: "", Label: c.l.T("dip.filter.any")}}
	for _, s := range sectorOrder() {
		d.Sectors = append(d.Sectors, option{Value: s, Label: c.l.T("com.sector." + s), Selected: s == sector})
	}
	d.Stages = []option{{Value: "", Label: c.l.T("dip.filter.any")}}
	for _, s := range append(slices.Clone(commerce.Stages), commerce.Suspended) {
		d.Stages = append(d.Stages, option{Value: s, Label: c.l.T("com.stage." + s), Selected: s == stage})
	}
	if d.CanAdd = onComDesk(c.p); d.CanAdd {
		if d.Register, err = w.registerEditor(r, c, newForm(commerce.KindProjectRegister, "/projects", map[string]any{"project": map[string]any{}})); err != nil {
			return nil, err
		}
		for _, s := range sectorOrder() {
			d.RegSect = append(d.RegSect, option{Value: s, Label: c.l.T("com.sector."+s) + " (" + commerce.Sectors[s] + ")"})
		}
		zs, err := w.api.Zones(r, c.p)
		if err != nil {
			return nil, err
		}
		for _, z := range zs {
			if z.Kind == "economic" {
				d.RegZones = append(d.RegZones, option{Value: z.ID, Label: zoneName(c.l, z.Name, z.Names), Selected: len(d.RegZones) == 0})
			}
		}
		for _, s := range []string{commerce.Concept, commerce.Feasibility} {
			d.RegStage = append(d.RegStage, option{Value: s, Label: c.l.T("com.stage." + s), Selected: s == commerce.Concept})
		}
	}
	return d, nil
}

// sectorOrder lists the desk's sectors by name, "other" last, so that a
// sector the desk adds appears in the filters without a change here.
func sectorOrder() []string {
	out := slices.Sorted(maps.Keys(commerce.Sectors))
	if i := slices.Index(out, "other"); i >= 0 {
		out = append(slices.Delete(out, i, i+1), "other")
	}
	return out
}

func (w *Web) projectsPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	d, err := w.projectsData(r, c)
	if err != nil {
		return err
	}
	pg := w.page(c, c.l.T("com.projects.title"), "commerce", "commerce", d)
	w.renderLive(rw, r, "projects", "registry", pg)
	return nil
}

// ---- a project ----

type gateItem struct {
	Holds  bool
	What   string // the condition, in words
	Reason string // why it fails, as the desk judged it
	Since  *stamp
}

type comMilestone struct {
	ID, Title string
	Due       stamp
	Left      string
	Over      bool
	Reached   *stamp
	By, Note  string
	Entry     int64
	Held      bool
	Gates     []gateItem
	Mark      *dipForm
}

// segment is a part of the funding bar, in the bar's viewBox units.
type segment struct {
	Class, Label string
	X, W         int
}

type pledgeItem struct {
	ID, Href   string
	Funder     string
	Member     string
	Amount     string
	Disbursed  string
	Conditions string
	Disclosed  bool
	Mine       bool
	At         stamp
}

type fundingView struct {
	Currency  string
	Published string
	Funders   int
	PubAt     *stamp
	PubEntry  int64
	Disclosed []disclosedItem
	Segments  []segment
	Public    string // the sum of what every party reads
	Pledges   []pledgeItem
	Mediator  bool
}

type disclosedItem struct {
	Name, Amount string
	Entry        int64
}

// funding builds the bar: what every party reads (the published total of
// confidential pledges and each disclosed pledge, named), and beside it
// the pledges this reader reads, which are only the funder's own or, for
// the mediator, every one.
func (c *ctx) funding(d commerce.ProjectDetail) fundingView {
	f := fundingView{Currency: d.Currency, Mediator: isMediator(c.p)}
	var parts []int64
	var sum int64
	if d.Funding != nil {
		f.Published, f.Funders, f.PubEntry = money(d.Funding.Total, d.Funding.Currency), d.Funding.Funders, d.Funding.Entry
		at := newStamp(d.Funding.At, c.deskZones(c.p.Party.ID))
		f.PubAt = &at
		parts = append(parts, d.Funding.Total)
		sum += d.Funding.Total
		f.Segments = append(f.Segments, segment{Class: "seg-published", Label: c.l.T("com.funding.published_seg", "total", f.Published, "n", f.Funders)})
	}
	for i, x := range d.Disclosures {
		f.Disclosed = append(f.Disclosed, disclosedItem{Name: x.Name, Amount: money(x.Amount, x.Currency), Entry: x.Entry})
		parts = append(parts, x.Amount)
		sum += x.Amount
		f.Segments = append(f.Segments, segment{Class: "seg-disclosed seg-d" + strconv.Itoa(i%4), Label: x.Name + ": " + money(x.Amount, x.Currency)})
	}
	if sum > 0 {
		x := 0
		for i, n := range parts {
			wd := int(n * 1000 / sum)
			if i == len(parts)-1 {
				wd = 1000 - x
			}
			f.Segments[i].X, f.Segments[i].W = x, wd
			x += wd
		}
		f.Public = money(sum, d.Currency)
	}
	for _, p := range d.Pledges {
		f.Pledges = append(f.Pledges, c.pledgeItem(p))
	}
	return f
}

func (c *ctx) pledgeItem(p commerce.Pledge) pledgeItem {
	return pledgeItem{ID: p.ID, Href: "/pledges#pledge-" + p.ID, Funder: c.partyName(p.Funder), Member: p.Member, Amount: money(p.Amount, p.Currency),
		Disbursed: money(p.Disbursed, p.Currency), Conditions: p.Conditions, Disclosed: p.Disclosed, Mine: p.Funder == c.p.Party.ID,
		At: newStamp(p.At, c.deskZones(p.Funder))}
}

type interestItem struct {
	Party, Member, Organization, Text string
	At                                stamp
	Entry                             int64
}

type projectData struct {
	projectCard
	Description string
	Sponsors    []string
	Documents   []commerce.Document
	// Edit restates the project with its milestones and documents edited,
	// for its party and the mediator.
	Edit       *projectEditor
	Version    int
	Entry      int64
	Milestones []comMilestone
	Funding    fundingView
	Interests  []interestItem
	CanMark    bool
	Advance    *dipForm
	AdvanceTo  string
	Suspend    *dipForm
	Resume     *dipForm
	ResumeTo   string
	Interest   *dipForm
	Observer   bool
	CanPledge  bool
	// Alerts are the watch's alerts of failing gates while the project is
	// in implementation, as far as the reader reads what fails.
	Alerts []alertItem
}

type alertItem struct {
	Milestone string
	Reason    string
	Since     *stamp
	At        stamp
	Entry     int64
}

// gateWhat says a gate's condition in the reader's words.
func (c *ctx) gateWhat(g commerce.Gate, zones map[string]string) string {
	switch g.Kind {
	case commerce.GateZoneQuiet:
		return c.l.T("com.gate.zone_quiet", "zone", or(zones[g.Zone], g.Zone), "days", g.Days)
	case commerce.GateCommitment:
		return c.l.T("com.gate.commitment", "commitment", g.Commitment)
	case commerce.GatePosture:
		return c.l.T("com.gate.posture", "posture", c.l.T("desk.posture."+g.Posture))
	}
	return g.Kind
}

func (w *Web) projectData(r *http.Request, c *ctx) (*projectData, error) {
	d, err := w.api.Project(r, c.p, r.PathValue("project"), c.now)
	if err != nil {
		return nil, err
	}
	zones, err := w.zoneNames(r, c)
	if err != nil {
		return nil, err
	}
	p := d.Project
	pd := &projectData{projectCard: c.projectCard(d, zones), Description: named(c.l, p.Description, p.Descriptions), Sponsors: p.Sponsors, Documents: p.Documents,
		Version: p.Version, Entry: p.Entry, Funding: c.funding(d), CanMark: mayMark(c.p, p) && p.Stage != commerce.Suspended,
		Observer: c.p.Party.Kind == cell.Observer, CanPledge: funds(c.p)}
	tz := c.deskZones(c.p.Party.ID, p.Party)
	states := slices.Clone(d.States)
	slices.SortStableFunc(states, func(a, b commerce.MilestoneState) int { return a.Due.Compare(b.Due) })
	base := "/projects/" + p.ID
	for _, m := range states {
		mi := comMilestone{ID: m.ID, Title: m.Title, Due: typedStamp(m.Due, tz), Held: m.Held && m.Entry == 0, Entry: m.Entry, By: m.By, Note: m.Note}
		if m.Entry != 0 {
			at := newStamp(m.Reached, tz)
			mi.Reached = &at
		} else {
			mi.Left, mi.Over = c.dueIn(m.Due)
			if pd.CanMark {
				f := newForm(commerce.KindProjectMilestone, base+"/milestones/"+m.ID+"/reached", map[string]any{"project": p.ID, "milestone": m.ID})
				mi.Mark = &f
			}
		}
		for _, g := range m.Gates {
			gi := gateItem{Holds: g.Holds, What: c.gateWhat(g.Gate, zones), Reason: g.Reason}
			if !g.Since.IsZero() {
				s := newStamp(g.Since, tz)
				gi.Since = &s
			}
			mi.Gates = append(mi.Gates, gi)
		}
		pd.Milestones = append(pd.Milestones, mi)
	}
	for _, a := range d.Alerts {
		ai := alertItem{Milestone: a.Milestone, Reason: a.Reason, At: newStamp(a.At, tz), Entry: a.Entry}
		if i := slices.IndexFunc(p.Milestones, func(m commerce.Milestone) bool { return m.ID == a.Milestone }); i >= 0 {
			ai.Milestone = p.Milestones[i].Title
		}
		if !a.Since.IsZero() {
			s := newStamp(a.Since, tz)
			ai.Since = &s
		}
		pd.Alerts = append(pd.Alerts, ai)
	}
	for _, in := range d.Interests {
		pd.Interests = append(pd.Interests, interestItem{Party: c.partyName(in.Party), Member: in.Member, Organization: in.Organization, Text: in.Text,
			At: newStamp(in.At, tz), Entry: in.ID})
	}
	slices.Reverse(pd.Interests)
	if mayExpress(c.p) {
		f := newForm(commerce.KindProjectInterest, base+"/interest", map[string]any{"project": p.ID})
		pd.Interest = &f
	}
	if mayMark(c.p, p) {
		if pd.Edit, err = w.updateEditor(r, c, p); err != nil {
			return nil, err
		}
		// A stage change restates the whole project, as project.update
		// carries it; the desk keeps what was reached.
		stageTo := func(s string) *dipForm {
			x := p
			x.Stage = s
			f := newPut(commerce.KindProjectUpdate, base, map[string]any{"project": x})
			return &f
		}
		switch {
		case p.Stage == commerce.Suspended:
			pd.Resume, pd.ResumeTo = stageTo(p.Before), c.l.T("com.stage."+p.Before)
		default:
			if i := slices.Index(commerce.Stages, p.Stage); i >= 0 && i+1 < len(commerce.Stages) {
				pd.Advance, pd.AdvanceTo = stageTo(commerce.Stages[i+1]), c.l.T("com.stage."+commerce.Stages[i+1])
			}
			pd.Suspend = stageTo(commerce.Suspended)
		}
	}
	return pd, nil
}

func (w *Web) projectPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	d, err := w.projectData(r, c)
	if err != nil {
		return err
	}
	pg := w.page(c, d.Title, "commerce", "commerce", d)
	switch r.URL.Query().Get("fragment") {
	case "milestones":
		w.renderFragment(rw, r, "project", "frag-milestones", pg)
		return nil
	case "funding":
		w.renderFragment(rw, r, "project", "frag-funding", pg)
		return nil
	case "interests":
		w.renderFragment(rw, r, "project", "frag-interests", pg)
		return nil
	}
	w.render(rw, r, http.StatusOK, "project", pg)
	return nil
}

// ---- pledges ----

type disbursalItem struct {
	Amount, Date, Note, By string
	Entry                  int64
}

type myPledge struct {
	pledgeItem
	Project, ProjectHref string
	Currency             string
	Schedule             []trancheItem
	Disbursals           []disbursalItem
	Disclose             *dipForm
	DiscloseAmount       string
	DiscloseName         string
	Disburse             *dipForm
	Remaining            int64
	Update               *pledgeEditor
}

type trancheItem struct {
	Due    stamp
	Amount string
}

type projectPledges struct {
	ID, Title, Href string
	Pledges         []myPledge
	Published       string
	Funders         int
	Publish         *dipForm
	PublishText     string
	Reason          string
}

type pledgesData struct {
	Mediator     bool
	Funder       bool
	Projects     []projectPledges
	Count        int
	CanPledge    bool
	Pledge       dipForm
	NewID        string
	Options      []option
	Public       []projectPledges // what every party reads: totals and disclosures
	Editing      bool             // a pledge's update form is on the page: its tranche template too
	BlankTranche trancheRow
}

// newPledgeID proposes an id for a new pledge; the funder may keep it.
func newPledgeID(party string) string {
	b := make([]byte, 4)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return party + "-" + hex.EncodeToString(b)
}

func (w *Web) pledgesData(r *http.Request, c *ctx) (*pledgesData, error) {
	ds, err := w.api.Projects(r, c.p, c.now)
	if err != nil {
		return nil, err
	}
	med := isMediator(c.p)
	d := &pledgesData{Mediator: med, Funder: c.p.Party.Kind == cell.Observer, CanPledge: funds(c.p), BlankTranche: trancheRow{N: 1}}
	for _, x := range ds {
		title := named(c.l, x.Title, x.Titles)
		pp := projectPledges{ID: x.ID, Title: title, Href: "/projects/" + x.ID}
		if x.Funding != nil {
			pp.Published, pp.Funders = money(x.Funding.Total, x.Funding.Currency), x.Funding.Funders
		}
		for _, p := range x.Pledges {
			pd, err := w.api.Pledge(r, c.p, p.ID)
			if err != nil {
				return nil, err
			}
			mp := myPledge{pledgeItem: c.pledgeItem(p), Project: title, ProjectHref: pp.Href, Currency: p.Currency, Remaining: p.Amount - p.Disbursed}
			for _, t := range p.Schedule {
				mp.Schedule = append(mp.Schedule, trancheItem{Due: typedStamp(t.Due, c.deskZones(p.Funder)), Amount: money(t.Amount, p.Currency)})
			}
			for _, db := range pd.Disbursals {
				mp.Disbursals = append(mp.Disbursals, disbursalItem{Amount: money(db.Amount, p.Currency), Date: db.Date, Note: db.Note, By: db.By, Entry: db.ID})
			}
			if fundsPledge(c.p, p) && !p.Disclosed && p.Amount > 0 {
				f := newForm(commerce.KindPledgeDisclose, "/pledges/"+p.ID+"/disclose", map[string]any{"pledge": p.ID, "amount": p.Amount, "currency": p.Currency})
				mp.Disclose, mp.DiscloseAmount, mp.DiscloseName = &f, money(p.Amount, p.Currency), partyName(c.l, c.p.Party)
			}
			if cell.May(c.p.Actor(), cell.WorkCommerce, cell.Target{Party: p.Funder}) == nil && mp.Remaining > 0 {
				f := newForm(commerce.KindPledgeDisburse, "/pledges/"+p.ID+"/disbursals", map[string]any{"pledge": p.ID})
				mp.Disburse = &f
			}
			if mp.Update = c.pledgeEditor(p); mp.Update != nil {
				d.Editing = true
			}
			pp.Pledges = append(pp.Pledges, mp)
			d.Count++
		}
		if med {
			f, why, err := w.api.Publishable(r, c.p, x.ID)
			if err != nil {
				return nil, err
			}
			if why == "" && onComDesk(c.p) {
				form := newForm(commerce.KindFundingPublish, "/projects/"+x.ID+"/funding", map[string]any{"project": x.ID, "total": f.Total, "funders": f.Funders})
				pp.Publish, pp.PublishText = &form, c.l.T("com.publish.text", "total", money(f.Total, f.Currency), "n", f.Funders)
			} else {
				pp.Reason = why
			}
		}
		if med || len(pp.Pledges) > 0 {
			d.Projects = append(d.Projects, pp)
		}
		if pp.Published != "" || len(x.Disclosures) > 0 {
			pub := projectPledges{ID: x.ID, Title: title, Href: pp.Href, Published: pp.Published, Funders: pp.Funders}
			for _, dc := range x.Disclosures {
				pub.Pledges = append(pub.Pledges, myPledge{pledgeItem: pledgeItem{ID: dc.Pledge, Funder: dc.Name, Amount: money(dc.Amount, dc.Currency), Disclosed: true}})
			}
			d.Public = append(d.Public, pub)
		}
		if d.CanPledge {
			d.Options = append(d.Options, option{Value: x.ID, Label: title + " (" + x.Currency + ")", Selected: r.URL.Query().Get("project") == x.ID})
		}
	}
	if d.CanPledge {
		d.Pledge = newForm(commerce.KindPledgeMake, "/pledges", map[string]any{"pledge": map[string]any{}})
		d.NewID = newPledgeID(c.p.Party.ID)
	}
	return d, nil
}

func (w *Web) pledgesPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	d, err := w.pledgesData(r, c)
	if err != nil {
		return err
	}
	pg := w.page(c, c.l.T("com.pledges.title"), "commerce", "commerce", d)
	w.renderLive(rw, r, "pledges", "pledges", pg)
	return nil
}
