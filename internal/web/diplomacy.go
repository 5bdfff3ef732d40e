package web

// The diplomatic desk's pages: the register of disputes and a dispute's
// lifecycle, the timeline of commitments and a commitment's milestones,
// the agreements by article, the talks rounds, and the joint statements
// with their versions, diff, comments and signatures. Everything is read
// through the API's diplomacy queries (api/diplomacyquery.go) over the
// reader's view, so a page shows a member what the desk's routes would
// answer them and 404s where they would. The forms offer only what the
// desk would accept of the reader; the server decides again.

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/store"
)

// errNoVersion answers a version, or an id, that is not there as the
// ordinary not-found page.
var errNoVersion = fmt.Errorf("no such version: %w", store.ErrNotFound)

// dipPages are the desk's page templates, each parsed with the layout and
// the desk's shared parts (dipPartials).
var dipPages = []string{"disputes", "dispute", "commitments", "commitment", "agreements", "agreement", "rounds", "round", "statements", "statement"}

var dipPartials = []string{"templates/dip-parts.html"}

func (w *Web) dipRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /disputes", w.authed(w.disputesPage))
	m.HandleFunc("GET /disputes/{dispute}", w.authed(w.disputePage))
	m.HandleFunc("GET /commitments", w.authed(w.commitmentsPage))
	m.HandleFunc("GET /commitments/{commitment}", w.authed(w.commitmentPage))
	m.HandleFunc("GET /agreements", w.authed(w.agreementsPage))
	m.HandleFunc("GET /agreements/{agreement}", w.authed(w.agreementPage))
	m.HandleFunc("GET /rounds", w.authed(w.roundsPage))
	m.HandleFunc("GET /rounds/{round}", w.authed(w.roundPage))
	m.HandleFunc("GET /statements", w.authed(w.statementsPage))
	m.HandleFunc("GET /statements/{statement}", w.authed(w.statementPage))
}

// onDipDesk, commitsParty, mediatesDesk, filesDisputes and
// publishesStatements ask the rule book what the diplomatic desk's forms
// offer, as the desk asks it what it accepts.
func onDipDesk(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.ActDiplomacy, cell.Target{}) == nil
}

// commitsParty: a signature, an answer to a finding, a sign-off commit
// the party, which a duty officer may not do.
func commitsParty(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.SignForParty, cell.Target{}) == nil
}

// mediatesDesk: the mediator keeps the agreements, the rounds and the
// commitments.
func mediatesDesk(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.MediateDiplomacy, cell.Target{}) == nil
}

func filesDisputes(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.FileDispute, cell.Target{}) == nil
}

func publishesStatements(p *api.Principal) bool {
	return cell.May(p.Actor(), cell.PublishStatement, cell.Target{}) == nil
}

// named picks a title in the reader's language when it has one.
func named(l *Localizer, s string, in map[string]string) string {
	if n := in[l.Lang]; n != "" {
		return n
	}
	return s
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the page's own values: always marshal
	}
	return string(b)
}

// dipForm is what a form's script needs to sign and send its command: the
// kind, the API path and the fields the page fixes (the form adds its
// inputs), and the HTTP method when it is not POST (PUT /pledges/{id}).
type dipForm struct {
	Kind, Path, Fields string
	Method             string
}

func newForm(kind, path string, fields map[string]any) dipForm {
	return dipForm{Kind: kind, Path: path, Fields: jsonString(fields)}
}

// newPut is a form whose command replaces what its path names, by PUT.
func newPut(kind, path string, fields map[string]any) dipForm {
	f := newForm(kind, path, fields)
	f.Method = http.MethodPut
	return f
}

func articleLabel(a diplomacy.ArticleRef) string {
	s := a.Agreement + " " + a.Article
	if a.Version > 0 {
		s += " (v" + strconv.Itoa(a.Version) + ")"
	}
	return s
}

func articleHref(a diplomacy.ArticleRef) string {
	h := "/agreements/" + a.Agreement
	if a.Version > 0 {
		h += "?version=" + strconv.Itoa(a.Version)
	}
	return h + "#art-" + anchor(a.Article)
}

// anchor makes an article's number ("4.2", "Annex A") an element id.
func anchor(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' {
			return '-'
		}
		return r
	}, s)
}

type linkItem struct {
	Label, Href string
}

// ---- the register of disputes ----

type disputeRowItem struct {
	ID                   int64
	Href                 string
	Title                string
	Claimant, Respondent string
	Status, StatusLabel  string
	Filed                stamp
	Age                  string
	Due                  *stamp
	Left                 string
	Over                 bool
	Awaiting             string
	Articles             []linkItem
}

func (c *ctx) disputeRow(d api.DisputeRow) disputeRowItem {
	zones := c.deskZones(d.Claimant, d.Respondent)
	it := disputeRowItem{ID: d.ID, Href: "/disputes/" + strconv.FormatInt(d.ID, 10), Title: d.Title, Claimant: c.partyName(d.Claimant),
		Respondent: c.partyName(d.Respondent), Status: d.Status, StatusLabel: c.l.T("dip.status." + d.Status), Filed: newStamp(d.Filed, zones),
		Age: c.l.T("dip.days", "n", int(c.now.Sub(d.Filed).Hours()/24)), Awaiting: c.partyNames(d.Awaiting), Over: d.Overdue}
	if !d.Due.IsZero() && len(d.Awaiting) > 0 {
		due := newStamp(d.Due, zones)
		it.Due = &due
		left, over := countdown(c.now, d.Due)
		it.Left = leftText(c.l, left, over)
	}
	for _, a := range d.Articles {
		it.Articles = append(it.Articles, linkItem{Label: articleLabel(a), Href: articleHref(a)})
	}
	return it
}

type sharedItem struct {
	Dispute              int64
	Href                 string
	Title, Description   string
	Claimant, Respondent string
	StatusLabel          string
	Observer             string
	Note                 string
	At                   stamp
}

func (c *ctx) sharedItem(sd diplomacy.SharedDispute, link bool) sharedItem {
	it := sharedItem{Dispute: sd.Dispute, Title: sd.Title, Description: sd.Description, Claimant: c.partyName(sd.Claimant),
		Respondent: c.partyName(sd.Respondent), StatusLabel: c.l.T("dip.status." + sd.Status), Observer: c.partyName(sd.Observer),
		Note: sd.Note, At: newStamp(sd.At, c.deskZones(sd.Observer))}
	if link {
		it.Href = "/disputes/" + strconv.FormatInt(sd.Dispute, 10)
	}
	return it
}

type disputesData struct {
	Rows     []disputeRowItem
	Shared   []sharedItem
	Overdue  int
	Observer bool
	Parties  []option
	Articles []option
	Statuses []option
	Sorts    []option
	Filtered bool
	CanFile  bool
	File     dipForm
	Against  []option
	Cites    []option
	FileArts []option
}

// articleOptions are every article of every agreement's latest version, as
// AGREEMENT:NUMBER, the form a dispute cites them in.
func (w *Web) articleOptions(r *http.Request, c *ctx, selected string) ([]option, error) {
	as, err := w.api.Agreements(r, c.p)
	if err != nil {
		return nil, err
	}
	var out []option
	for _, a := range as {
		d, err := w.api.Agreement(r, c.p, a.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, option{Value: a.ID, Label: named(c.l, a.Title, a.Titles), Selected: selected == a.ID})
		for _, v := range d.Versions {
			if v.Version != d.Latest {
				continue
			}
			for _, art := range v.Content.Articles {
				val := a.ID + ":" + art.Number
				out = append(out, option{Value: val, Label: c.l.T("dip.article_of", "n", art.Number, "agreement", named(c.l, a.Title, a.Titles)),
					Selected: selected == val})
			}
		}
	}
	return out, nil
}

func (w *Web) disputesData(r *http.Request, c *ctx) (*disputesData, error) {
	q, err := api.ParseRegisterQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	reg, err := w.api.DisputeRegister(r, c.p, q, c.now)
	if err != nil {
		return nil, err
	}
	d := &disputesData{Observer: c.p.Party.Kind == cell.Observer, Filtered: q.Party != "" || q.Agreement != "" || q.Status != ""}
	for _, row := range reg.Disputes {
		it := c.disputeRow(row)
		if it.Over {
			d.Overdue++
		}
		d.Rows = append(d.Rows, it)
	}
	for _, sd := range reg.Shared {
		d.Shared = append(d.Shared, c.sharedItem(sd, !d.Observer))
	}
	d.Parties = []option{{Value: "", Label: c.l.T("dip.filter.any")}}
	for _, pa := range c.parties {
		if pa.Kind == cell.Side {
			d.Parties = append(d.Parties, option{Value: pa.ID, Label: partyName(c.l, pa), Selected: q.Party == pa.ID})
		}
	}
	art := q.Agreement
	if q.Article != "" {
		art += ":" + q.Article
	}
	arts, err := w.articleOptions(r, c, art)
	if err != nil {
		return nil, err
	}
	d.Articles = append([]option{{Value: "", Label: c.l.T("dip.filter.any")}}, arts...)
	d.Statuses = []option{{Value: "", Label: c.l.T("dip.filter.any")}, {Value: api.StatusOpen, Label: c.l.T("dip.status.open"), Selected: q.Status == api.StatusOpen}}
	for _, s := range []string{diplomacy.DisputeFiled, diplomacy.DisputeAcknowledged, diplomacy.DisputeResponded, diplomacy.DisputeFound,
		diplomacy.DisputeResolved, diplomacy.DisputeEscalated} {
		d.Statuses = append(d.Statuses, option{Value: s, Label: c.l.T("dip.status." + s), Selected: q.Status == s})
	}
	d.Sorts = []option{{Value: api.SortAge, Label: c.l.T("dip.sort.age"), Selected: q.Sort == api.SortAge},
		{Value: api.SortDeadline, Label: c.l.T("dip.sort.deadline"), Selected: q.Sort == api.SortDeadline}}
	// A side files against another side; the mediator settles, an
	// observer reads what it is given.
	d.CanFile = filesDisputes(c.p)
	if d.CanFile {
		d.File = newForm(diplomacy.KindDisputeFile, "/disputes", map[string]any{})
		for _, pa := range c.parties {
			if pa.Kind == cell.Side && pa.ID != c.p.Party.ID {
				d.Against = append(d.Against, option{Value: pa.ID, Label: partyName(c.l, pa), Selected: len(d.Against) == 0})
			}
		}
		for _, o := range arts {
			if strings.Contains(o.Value, ":") {
				d.FileArts = append(d.FileArts, option{Value: o.Value, Label: o.Label})
			}
		}
		// What the dispute may link: the incidents and activities the
		// filer reads (the desk refuses one the respondent may not read,
		// and says so).
		is, err := w.api.Incidents(r, c.p)
		if err != nil {
			return nil, err
		}
		for i := len(is) - 1; i >= 0 && len(d.Cites) < 30; i-- {
			d.Cites = append(d.Cites, option{Value: "incident:" + strconv.FormatInt(is[i].ID, 10), Label: c.l.T("dip.citeform.incident", "id", is[i].ID, "title", is[i].Title)})
		}
		ns, err := w.api.Activities(r, c.p)
		if err != nil {
			return nil, err
		}
		for i := len(ns) - 1; i >= 0 && len(d.Cites) < 60; i-- {
			d.Cites = append(d.Cites, option{Value: "activity:" + strconv.FormatInt(ns[i].ID, 10), Label: c.l.T("dip.citeform.activity", "id", ns[i].ID, "title", ns[i].Title)})
		}
		// A verification is cited by its incident, as the desk keeps it.
		for i := len(is) - 1; i >= 0 && i >= len(is)-20; i-- {
			det, err := w.api.Incident(r, c.p, strconv.FormatInt(is[i].ID, 10))
			if err != nil {
				return nil, err
			}
			if det.Verification == nil {
				continue
			}
			d.Cites = append(d.Cites, option{Value: "verification:" + strconv.FormatInt(is[i].ID, 10), Label: c.l.T("dip.citeform.verification", "id", is[i].ID, "title", is[i].Title)})
		}
		// The latest messages of each channel the filer reads.
		chs, err := w.api.Channels(r, c.p)
		if err != nil {
			return nil, err
		}
		for _, ch := range chs {
			ms, _, err := w.api.ChannelMessages(r, c.p, ch.ID, -1, 10)
			if err != nil {
				return nil, err
			}
			for i := len(ms) - 1; i >= 0; i-- {
				d.Cites = append(d.Cites, option{Value: "message:" + strconv.FormatInt(ms[i].ID, 10), Label: c.l.T("dip.citeform.message", "id", ms[i].ID, "title", ms[i].Subject)})
			}
		}
	}
	return d, nil
}

func (w *Web) disputesPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	d, err := w.disputesData(r, c)
	if err != nil {
		return err
	}
	pg := w.page(c, c.l.T("dip.disputes.title"), "diplomacy", "diplomacy", d)
	w.renderLive(rw, r, "disputes", "register", pg)
	return nil
}

// ---- a dispute ----

type stepItem struct {
	Step, Label string
	Done        bool
	Current     bool
	By, Party   string
	At          *stamp
	Entry       int64
	Text        string
	Outcome     string
}

type acceptItem struct {
	Party, Member string
	Accept        bool
	Label         string
	Reason        string
	At            stamp
	Entry         int64
}

type disputeData struct {
	disputeRowItem
	Member      string
	Description string
	Steps       []stepItem
	Accepts     []acceptItem
	Cites       []linkItem
	Attachments []diplomacy.Attachment
	Shares      []sharedItem
	Round       *linkItem
	Evidence    string
	Ack         *dipForm
	Respond     *dipForm
	Finding     *dipForm
	Accept      *dipForm
	Share       *dipForm
	Outcomes    []option
	Observers   []option
	ShareTitle  string
	ShareDesc   string
	ShareStatus string
}

// stepsOrder is the lifecycle a dispute goes through; it ends resolved or
// escalated to a round.
var stepsOrder = []string{diplomacy.DisputeFiled, diplomacy.DisputeAcknowledged, diplomacy.DisputeResponded, diplomacy.DisputeFound}

func (w *Web) disputeData(r *http.Request, c *ctx) (*disputeData, error) {
	id, err := strconv.ParseInt(r.PathValue("dispute"), 10, 64)
	if err != nil {
		return nil, errNoVersion
	}
	dd, err := w.api.Dispute(r, c.p, id, c.now)
	if err != nil {
		return nil, err
	}
	ds := dd.Dispute
	zones := c.deskZones(ds.Claimant, ds.Respondent)
	d := &disputeData{disputeRowItem: c.disputeRow(dd.DisputeRow), Member: ds.Member, Description: ds.Description, Attachments: ds.Attachments,
		Evidence: "/api/v1/disputes/" + strconv.FormatInt(id, 10) + "/evidence"}
	reached := slices.Index(stepsOrder, ds.Status)
	if reached < 0 { // resolved or escalated: every step was taken
		reached = len(stepsOrder)
	}
	for i, s := range stepsOrder {
		st := stepItem{Step: s, Label: c.l.T("dip.step." + s), Done: i <= reached, Current: i == reached}
		if i < len(ds.Entries) && st.Done {
			st.Entry = ds.Entries[i]
		}
		switch s {
		case diplomacy.DisputeFiled:
			at := newStamp(ds.Filed, zones)
			st.By, st.Party, st.At, st.Text = ds.Member, c.partyName(ds.Claimant), &at, ds.Title
		case diplomacy.DisputeAcknowledged:
			if st.Done && st.Entry > 0 {
				// The acknowledgement keeps no note in the dispute: its
				// entry says who and when, and the reader reads it.
				if e, err := w.api.Entry(r, c.p, st.Entry); err == nil {
					st.By, st.Party = e.Member, c.partyName(e.Party)
					if t, err := time.Parse(time.RFC3339Nano, e.Time); err == nil {
						at := newStamp(t, zones)
						st.At = &at
					}
					var p diplomacy.DisputeRef
					if json.Unmarshal(e.Payload, &p) == nil {
						st.Text = p.Text
					}
				}
			}
		case diplomacy.DisputeResponded:
			if n := ds.Response; n != nil {
				at := newStamp(n.At, zones)
				st.By, st.Party, st.At, st.Text, st.Entry = n.By, c.partyName(ds.Respondent), &at, n.Text, n.Entry
			}
		case diplomacy.DisputeFound:
			if n := ds.Finding; n != nil {
				at := newStamp(n.At, zones)
				st.By, st.At, st.Text, st.Entry, st.Outcome = n.By, &at, n.Text, n.Entry, c.l.T("dip.outcome."+n.Outcome)
			}
		}
		d.Steps = append(d.Steps, st)
	}
	for _, party := range []string{ds.Claimant, ds.Respondent} {
		if a, ok := ds.Accepts[party]; ok {
			label := c.l.T("dip.accept.no")
			if a.Accept {
				label = c.l.T("dip.accept.yes")
			}
			d.Accepts = append(d.Accepts, acceptItem{Party: c.partyName(party), Member: a.By, Accept: a.Accept, Label: label, Reason: a.Reason,
				At: newStamp(a.At, zones), Entry: a.Entry})
		}
	}
	for _, ct := range ds.Cites {
		id := strconv.FormatInt(ct.ID, 10)
		li := linkItem{Label: c.l.T("dip.cite."+ct.Kind, "id", ct.ID, "title", "")}
		switch ct.Kind {
		case "message":
			li.Href = "/messages/" + id
		case "activity":
			li.Href = "/activities/" + id
		default:
			li.Href = "/incidents/" + id
		}
		d.Cites = append(d.Cites, li)
	}
	for _, sd := range dd.Shares {
		d.Shares = append(d.Shares, c.sharedItem(sd, false))
	}
	if dd.Item != nil {
		if dd.Item.Round != "" {
			d.Round = &linkItem{Label: c.l.T("dip.escalated.round", "round", dd.Item.Round), Href: "/rounds/" + dd.Item.Round}
		} else {
			d.Round = &linkItem{Label: c.l.T("dip.escalated.waiting"), Href: "/rounds"}
		}
	}
	base := "/disputes/" + strconv.FormatInt(id, 10)
	ref := map[string]any{"dispute": id}
	mine := c.p.Party.ID
	desk, med := onDipDesk(c.p), mediatesDesk(c.p)
	switch {
	case ds.Status == diplomacy.DisputeFiled && med:
		f := newForm(diplomacy.KindDisputeAck, base+"/ack", ref)
		d.Ack = &f
	case ds.Status == diplomacy.DisputeAcknowledged && desk && mine == ds.Respondent:
		f := newForm(diplomacy.KindDisputeRespond, base+"/respond", ref)
		d.Respond = &f
	case ds.Status == diplomacy.DisputeResponded && med:
		f := newForm(diplomacy.KindDisputeFinding, base+"/finding", ref)
		d.Finding = &f
		for _, o := range diplomacy.FindingOutcomes {
			d.Outcomes = append(d.Outcomes, option{Value: o, Label: c.l.T("dip.outcome." + o)})
		}
	case ds.Status == diplomacy.DisputeFound && commitsParty(c.p) && (mine == ds.Claimant || mine == ds.Respondent):
		if _, answered := ds.Accepts[mine]; !answered {
			f := newForm(diplomacy.KindDisputeAccept, base+"/accept", ref)
			d.Accept = &f
		}
	}
	if med {
		for _, pa := range c.parties {
			if pa.Kind == cell.Observer && !slices.ContainsFunc(dd.Shares, func(s diplomacy.SharedDispute) bool { return s.Observer == pa.ID }) {
				d.Observers = append(d.Observers, option{Value: pa.ID, Label: partyName(c.l, pa)})
			}
		}
		if len(d.Observers) > 0 {
			// The share restates what the observer reads: the title and the
			// description, never the finding.
			f := newForm(diplomacy.KindDisputeShare, base+"/share", map[string]any{"dispute": id, "status": ds.Status})
			d.Share = &f
			d.ShareTitle, d.ShareDesc = ds.Title, ds.Description
		}
	}
	return d, nil
}

func (w *Web) disputePage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	d, err := w.disputeData(r, c)
	if err != nil {
		return err
	}
	pg := w.page(c, c.l.T("dip.dispute.title", "id", d.ID), "diplomacy", "diplomacy", d)
	w.renderLive(rw, r, "dispute", "lifecycle", pg)
	return nil
}

// ---- the commitments' timeline ----

type timelineItem struct {
	Commitment, Href    string
	Title, Milestone    string
	Party               string
	Status, StatusLabel string
	Reason              string
	Entry               int64
	Due                 stamp
	Left                string
	Over                bool
	Zone                *linkItem
	Article             linkItem
	X, Y                int // on the chart, in its viewBox's units
	LabelX              int
	Anchor              string
}

type timelineData struct {
	Items    []timelineItem
	Overdue  int
	Height   int
	TodayX   int
	Ticks    []tick
	AxisY    int
	Observer bool
	Statuses []option
	Create   *dipForm
	Fields   *commitmentFields
}

type tick struct {
	X     int
	Label string
}

// The chart's geometry, in the viewBox's units: items on rows, dated along
// a left-to-right axis whatever the page's direction (a time axis reads as
// a calendar does, in every language of the cell).
const (
	chartW   = 1000
	chartPad = 40
	rowH     = 26
)

func (w *Web) timelineData(r *http.Request, c *ctx) (*timelineData, error) {
	items, err := w.api.Timeline(r, c.p, c.now)
	if err != nil {
		return nil, err
	}
	d := &timelineData{Observer: c.p.Party.Kind == cell.Observer}
	for _, s := range diplomacy.Statuses {
		d.Statuses = append(d.Statuses, option{Value: s, Label: c.l.T("dip.cstatus." + s)})
	}
	from, to := c.now.AddDate(0, 0, -7), c.now.AddDate(0, 0, 7)
	for _, it := range items {
		if it.Milestone.Due.Before(from) {
			from = it.Milestone.Due
		}
		if it.Milestone.Due.After(to) {
			to = it.Milestone.Due
		}
	}
	from, to = from.AddDate(0, 0, -3), to.AddDate(0, 0, 3)
	span := to.Sub(from)
	x := func(t time.Time) int {
		return chartPad + int(float64(chartW-2*chartPad)*float64(t.Sub(from))/float64(span))
	}
	names, err := w.zoneNames(r, c)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		m := it.Milestone
		zones := c.deskZones(it.Party)
		ti := timelineItem{Commitment: it.Commitment, Href: "/commitments/" + it.Commitment + "#m-" + m.ID, Title: named(c.l, it.Title, it.Titles),
			Milestone: m.Title, Party: c.partyName(it.Party), Status: m.Status, StatusLabel: c.l.T("dip.cstatus." + m.Status), Reason: m.Reason,
			Entry: m.Entry, Due: newStamp(m.Due, zones), Over: m.Overdue, Article: linkItem{Label: articleLabel(it.Article), Href: articleHref(it.Article)},
			X: x(m.Due), Y: 40 + i*rowH}
		if m.Zone != "" {
			ti.Zone = &linkItem{Label: cmp(names[m.Zone], m.Zone), Href: "/zones/" + m.Zone}
		}
		left, over := countdown(c.now, m.Due)
		if m.Status != diplomacy.Fulfilled {
			ti.Left = leftText(c.l, left, over)
		}
		if ti.Over {
			d.Overdue++
		}
		// The label on the side with room for it.
		ti.LabelX, ti.Anchor = ti.X+10, "start"
		if ti.X > chartW/2 {
			ti.LabelX, ti.Anchor = ti.X-10, "end"
		}
		d.Items = append(d.Items, ti)
	}
	if mediatesDesk(c.p) {
		f := newForm(diplomacy.KindCommitmentCreate, "/commitments", map[string]any{})
		d.Create = &f
		if d.Fields, err = w.commitmentFields(r, c, "nc"); err != nil {
			return nil, err
		}
	}
	d.AxisY = 40 + len(items)*rowH
	d.Height = d.AxisY + 30
	d.TodayX = x(c.now)
	step := max(span/6, 24*time.Hour)
	for t := from.Add(step / 2); t.Before(to); t = t.Add(step) {
		d.Ticks = append(d.Ticks, tick{X: x(t), Label: t.UTC().Format("2006-01-02")})
	}
	return d, nil
}

func (w *Web) commitmentsPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	d, err := w.timelineData(r, c)
	if err != nil {
		return err
	}
	pg := w.page(c, c.l.T("dip.commitments.title"), "diplomacy", "diplomacy", d)
	w.renderLive(rw, r, "commitments", "timeline", pg)
	return nil
}

// ---- a commitment ----

type milestoneItem struct {
	ID, Title           string
	Status, StatusLabel string
	Reason              string
	Entry               int64
	Due                 stamp
	Left                string
	Over                bool
	Zone                *linkItem
	Report              *diplomacy.PhaseReport
	ReportAt            stamp
	Signoff             *diplomacy.Signoff
	SignoffAt           stamp
	SignoffParty        string
	SetStatus           *dipForm
	Statuses            []option
	ReportForm          *dipForm
	SignoffForm         *dipForm
}

type commitmentData struct {
	ID, Title           string
	Kind                string
	KindLabel           string
	Party               string
	Status, StatusLabel string
	Article             linkItem
	Round               *linkItem
	Entry               int64
	Milestones          []milestoneItem
}

func (w *Web) commitmentPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	cv, err := w.api.Commitment(r, c.p, r.PathValue("commitment"), c.now)
	if err != nil {
		return err
	}
	names, err := w.zoneNames(r, c)
	if err != nil {
		return err
	}
	zones := c.deskZones(cv.Party)
	d := commitmentData{ID: cv.ID, Title: named(c.l, cv.Title, cv.Titles), Kind: cv.Kind, KindLabel: c.l.T("dip.ckind." + cv.Kind), Party: c.partyName(cv.Party),
		Status: cv.Status, StatusLabel: c.l.T("dip.cstatus." + cv.Status), Article: linkItem{Label: articleLabel(cv.Article), Href: articleHref(cv.Article)}, Entry: cv.Entry}
	if cv.Round != "" {
		d.Round = &linkItem{Label: cv.Round, Href: "/rounds/" + cv.Round}
	}
	desk, med, mine := onDipDesk(c.p), mediatesDesk(c.p), c.p.Party.ID
	for _, m := range cv.Milestones {
		mi := milestoneItem{ID: m.ID, Title: m.Title, Status: m.Status, StatusLabel: c.l.T("dip.cstatus." + m.Status), Reason: m.Reason, Entry: m.Entry,
			Due: newStamp(m.Due, zones), Over: m.Overdue, Report: m.Report, Signoff: m.Signoff}
		if m.Zone != "" {
			mi.Zone = &linkItem{Label: cmp(names[m.Zone], m.Zone), Href: "/zones/" + m.Zone}
		}
		if m.Status != diplomacy.Fulfilled {
			left, over := countdown(c.now, m.Due)
			mi.Left = leftText(c.l, left, over)
		}
		if m.Report != nil {
			mi.ReportAt = newStamp(m.Report.At, zones)
		}
		if m.Signoff != nil {
			mi.SignoffAt, mi.SignoffParty = newStamp(m.Signoff.At, zones), c.partyName(m.Signoff.Party)
		}
		path := "/commitments/" + cv.ID + "/milestones/" + m.ID
		ref := map[string]any{"commitment": cv.ID, "milestone": m.ID}
		if m.Status != diplomacy.Fulfilled && (med || (desk && mine == cv.Party)) {
			f := newForm(diplomacy.KindCommitmentStatus, path+"/status", ref)
			mi.SetStatus = &f
			for _, s := range diplomacy.Statuses {
				// The responsible party reports itself on track or at
				// risk; the mediator sets any status.
				if med || s == diplomacy.OnTrack || s == diplomacy.AtRisk {
					mi.Statuses = append(mi.Statuses, option{Value: s, Label: c.l.T("dip.cstatus." + s), Selected: s == m.Status})
				}
			}
		}
		if cv.Kind == diplomacy.KindWithdrawal && med && m.Status != diplomacy.Fulfilled && (m.Report == nil || !m.Report.Complete) {
			f := newForm(diplomacy.KindPhaseReport, path+"/report", ref)
			mi.ReportForm = &f
		}
		if cv.Kind == diplomacy.KindWithdrawal && commitsParty(c.p) && !isMediator(c.p) && mine != cv.Party && m.Report != nil && m.Report.Complete &&
			m.Signoff == nil && m.Status != diplomacy.Fulfilled {
			f := newForm(diplomacy.KindPhaseSignoff, path+"/signoff", ref)
			mi.SignoffForm = &f
		}
		d.Milestones = append(d.Milestones, mi)
	}
	w.render(rw, r, http.StatusOK, "commitment", w.page(c, c.l.T("dip.commitment.title", "title", d.Title), "diplomacy", "diplomacy", d))
	return nil
}

// ---- agreements ----

type agreementRow struct {
	ID, Title, Href string
	Latest          int
	Reference       bool
}

type agreementsData struct {
	Rows   []agreementRow
	Record *agreementForm
}

func (w *Web) agreementsPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	as, err := w.api.Agreements(r, c.p)
	if err != nil {
		return err
	}
	var rows []agreementRow
	for _, a := range as {
		rows = append(rows, agreementRow{ID: a.ID, Title: named(c.l, a.Title, a.Titles), Href: "/agreements/" + a.ID, Latest: a.Latest, Reference: a.Reference})
	}
	d := agreementsData{Rows: rows, Record: c.newAgreementForm(nil)}
	w.render(rw, r, http.StatusOK, "agreements", w.page(c, c.l.T("dip.agreements.title"), "diplomacy", "diplomacy", d))
	return nil
}

type langText struct {
	Lang, LangName, Dir string
	Text                string
	Authoritative       bool
}

type articleItem struct {
	Number, Anchor, Title string
	Texts                 []langText
}

type articleDiffItem struct {
	Number, Anchor string
	Change, Label  string
	Langs          string
	From, To       []langText
}

type agreementData struct {
	ID, Title     string
	Version       int
	Latest        int
	Versions      []option
	From, To      []option
	Authoritative string
	Reference     bool
	Signed, Note  string
	Illustrative  bool
	Amends        string
	By            string
	At            stamp
	Entry         int64
	Articles      []articleItem
	Diff          []articleDiffItem
	DiffFrom      int
	DiffTo        int
	Amend         *agreementForm
}

func (c *ctx) langTexts(texts map[string]string, authoritative string) []langText {
	var out []langText
	for _, lang := range Languages {
		t, ok := texts[lang]
		if !ok {
			continue
		}
		dir := "ltr"
		if rtl[lang] {
			dir = "rtl"
		}
		out = append(out, langText{Lang: lang, LangName: c.l.T("lang." + lang), Dir: dir, Text: t, Authoritative: lang == authoritative})
	}
	return out
}

func intParam(r *http.Request, name string) int {
	n, _ := strconv.Atoi(r.URL.Query().Get(name))
	return max(n, 0)
}

func (w *Web) agreementPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	a, err := w.api.Agreement(r, c.p, r.PathValue("agreement"))
	if err != nil {
		return err
	}
	want := intParam(r, "version")
	if want == 0 {
		want = a.Latest
	}
	i := slices.IndexFunc(a.Versions, func(v diplomacy.AgreementVersion) bool { return v.Version == want })
	if i < 0 {
		return errNoVersion
	}
	v := a.Versions[i]
	ct := v.Content
	d := agreementData{ID: a.ID, Title: named(c.l, ct.Title, ct.Titles), Version: v.Version, Latest: a.Latest, Authoritative: c.l.T("lang." + ct.Authoritative),
		Reference: ct.Reference, Signed: ct.Signed, Note: ct.Note, Illustrative: strings.HasPrefix(strings.ToLower(ct.Note), "an illustrative"),
		Amends: v.Amends, By: v.By, At: newStamp(v.At, c.deskZones()), Entry: v.Entry}
	for _, ver := range a.Versions {
		d.Versions = append(d.Versions, option{Value: strconv.Itoa(ver.Version), Label: c.l.T("dip.version_n", "n", ver.Version), Selected: ver.Version == v.Version})
	}
	for _, art := range ct.Articles {
		d.Articles = append(d.Articles, articleItem{Number: art.Number, Anchor: anchor(art.Number), Title: art.Title, Texts: c.langTexts(art.Texts, ct.Authoritative)})
	}
	if a.Latest > 1 {
		diff, err := w.api.AgreementDiff(r, c.p, a.ID, intParam(r, "from"), intParam(r, "to"))
		if err != nil {
			return err
		}
		d.DiffFrom, d.DiffTo = diff.From, diff.To
		for _, ver := range a.Versions {
			n := strconv.Itoa(ver.Version)
			d.From = append(d.From, option{Value: n, Label: c.l.T("dip.version_n", "n", ver.Version), Selected: ver.Version == diff.From})
			d.To = append(d.To, option{Value: n, Label: c.l.T("dip.version_n", "n", ver.Version), Selected: ver.Version == diff.To})
		}
		for _, x := range diff.Articles {
			it := articleDiffItem{Number: x.Number, Anchor: anchor(x.Number), Change: x.Change, Label: c.l.T("dip.change." + x.Change)}
			var langs []string
			for _, l := range x.Langs {
				langs = append(langs, c.l.T("lang."+l))
			}
			it.Langs = joinList(c.l, langs)
			if x.From != nil {
				it.From = c.langTexts(x.From.Texts, ct.Authoritative)
			}
			if x.To != nil {
				it.To = c.langTexts(x.To.Texts, ct.Authoritative)
			}
			d.Diff = append(d.Diff, it)
		}
	}
	if li := slices.IndexFunc(a.Versions, func(v diplomacy.AgreementVersion) bool { return v.Version == a.Latest }); li >= 0 {
		d.Amend = c.newAgreementForm(&a.Versions[li])
	}
	w.render(rw, r, http.StatusOK, "agreement", w.page(c, c.l.T("dip.agreement.title", "title", d.Title), "diplomacy", "diplomacy", d))
	return nil
}

// ---- rounds ----

type roundRow struct {
	ID, Href   string
	Number     int
	Place      string
	Start, End stamp
}

type agendaItem struct {
	ID, Title   string
	Desk        string
	Dispute     *linkItem
	Carried     string
	Outcome     string
	OutcomeText string
	Commitment  *linkItem
	Entry       int64
	Record      *outcomeForm
}

type deskAgenda struct {
	Desk  string
	Items []agendaItem
}

type delegation struct {
	Party   string
	Members string
}

type roundsData struct {
	Rounds  []roundRow
	Waiting []agendaItem
	Feed    bool
	Create  *roundCreateForm
}

func (c *ctx) roundRow(rd diplomacy.Round) roundRow {
	zones := c.deskZones()
	return roundRow{ID: rd.ID, Href: "/rounds/" + rd.ID, Number: rd.Number, Place: named(c.l, rd.Place, rd.Places), Start: newStamp(rd.Start, zones), End: newStamp(rd.End, zones)}
}

func (c *ctx) agendaItem(it diplomacy.AgendaItem) agendaItem {
	ai := agendaItem{ID: it.ID, Title: it.Title, Desk: c.l.T("desk." + it.Desk), Carried: it.Carried}
	if it.Dispute != 0 {
		ai.Dispute = &linkItem{Label: c.l.T("dip.dispute.title", "id", it.Dispute), Href: "/disputes/" + strconv.FormatInt(it.Dispute, 10)}
	}
	if o := it.Outcome; o != nil {
		ai.Outcome, ai.OutcomeText, ai.Entry = c.l.T("dip.round.outcome."+o.Outcome), o.Text, o.Entry
		if o.Commitment != "" {
			ai.Commitment = &linkItem{Label: o.Commitment, Href: "/commitments/" + o.Commitment}
		}
	}
	return ai
}

func (w *Web) roundsPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	rv, err := w.api.Rounds(r, c.p)
	if err != nil {
		return err
	}
	// The feed is the member's own, over a session: a bearer token's
	// script does not issue one.
	d := roundsData{Feed: c.p.Token.Kind == "session"}
	for _, rd := range rv.Rounds {
		d.Rounds = append(d.Rounds, c.roundRow(rd))
	}
	for _, it := range rv.Waiting {
		d.Waiting = append(d.Waiting, c.agendaItem(it))
	}
	d.Create = c.newRoundCreateForm(rv.Rounds)
	w.render(rw, r, http.StatusOK, "rounds", w.page(c, c.l.T("dip.rounds.title"), "diplomacy", "diplomacy", d))
	return nil
}

type minuteItem struct {
	Lang, Dir string
	Text      string
	By        string
	At        stamp
	Entry     int64
}

type roundData struct {
	roundRow
	Entry       int64
	Delegations []delegation
	Agenda      []deskAgenda
	Minutes     []minuteItem
	Outcomes    []agendaItem
	Carried     []agendaItem
	Statements  []linkItem
	Forms       *roundForms
}

func (w *Web) roundPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	rv, err := w.api.Round(r, c.p, r.PathValue("round"))
	if err != nil {
		return err
	}
	d := roundData{roundRow: c.roundRow(rv.Round), Entry: rv.Entry, Forms: c.newRoundForms(rv.ID)}
	for _, pa := range c.parties {
		if ms, ok := rv.Delegations[pa.ID]; ok {
			d.Delegations = append(d.Delegations, delegation{Party: partyName(c.l, pa), Members: joinList(c.l, ms)})
		}
	}
	byDesk := map[string]int{}
	for n, it := range rv.Agenda {
		ai := c.agendaItem(it)
		if it.Outcome == nil && d.Forms != nil {
			f, err := w.newOutcomeForm(r, c, rv.ID, it.ID, n)
			if err != nil {
				return err
			}
			ai.Record = f
		}
		i, ok := byDesk[it.Desk]
		if !ok {
			i = len(d.Agenda)
			byDesk[it.Desk] = i
			d.Agenda = append(d.Agenda, deskAgenda{Desk: ai.Desk})
		}
		d.Agenda[i].Items = append(d.Agenda[i].Items, ai)
		if it.Outcome != nil {
			if it.Outcome.Outcome == diplomacy.OutcomeCarried {
				d.Carried = append(d.Carried, ai)
			} else {
				d.Outcomes = append(d.Outcomes, ai)
			}
		}
	}
	for _, m := range rv.Minutes {
		dir := "ltr"
		if rtl[m.Lang] {
			dir = "rtl"
		}
		d.Minutes = append(d.Minutes, minuteItem{Lang: m.Lang, Dir: dir, Text: m.Text, By: m.By, At: newStamp(m.At, c.deskZones()), Entry: m.Entry})
	}
	for _, st := range rv.Statements {
		d.Statements = append(d.Statements, linkItem{Label: named(c.l, st.Title, st.Titles), Href: "/statements/" + st.ID})
	}
	w.render(rw, r, http.StatusOK, "round", w.page(c, c.l.T("dip.round.title", "n", rv.Number, "place", d.Place), "diplomacy", "diplomacy", d))
	return nil
}

// ---- statements ----

type statementRow struct {
	ID, Href, Title string
	KindLabel       string
	Latest, Agreed  int
	State           string
	StateLabel      string
	Required        string
}

type statementsData struct {
	Rows  []statementRow
	Draft *draftForm
}

func (w *Web) statementsPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	sv, err := w.api.Statements(r, c.p)
	if err != nil {
		return err
	}
	var rows []statementRow
	seen := map[string]bool{}
	for _, st := range sv.Statements {
		state := "draft"
		switch {
		case st.Published:
			state = "published"
		case st.Agreed > 0:
			state = "agreed"
		}
		seen[st.ID] = true
		rows = append(rows, statementRow{ID: st.ID, Href: "/statements/" + st.ID, Title: named(c.l, st.Title, st.Titles), KindLabel: c.l.T("dip.skind." + st.Kind),
			Latest: st.Latest, Agreed: st.Agreed, State: state, StateLabel: c.l.T("dip.sstatus." + state), Required: c.partyNames(st.Required)})
	}
	// What a party outside a statement reads of it: its publication.
	for _, p := range sv.Published {
		if !seen[p.Statement] {
			rows = append(rows, statementRow{ID: p.Statement, Href: "/statements/" + p.Statement, Title: named(c.l, p.Title, p.Titles),
				KindLabel: c.l.T("dip.skind." + p.Kind), Latest: p.Version, Agreed: p.Version, State: "published", StateLabel: c.l.T("dip.sstatus.published"),
				Required: c.partyNames(slices.Sorted(maps.Keys(p.Signatures)))})
		}
	}
	d := statementsData{Rows: rows, Draft: c.newDraftForm()}
	w.render(rw, r, http.StatusOK, "statements", w.page(c, c.l.T("dip.statements.title"), "diplomacy", "diplomacy", d))
	return nil
}

type paragraphItem struct {
	Index    int
	Number   int
	Text     string
	Comments []commentItem
}

type textItem struct {
	Lang, LangName, Dir string
	Hash                string
	JSON                string // the exact paragraphs whose SHA-256 is Hash
	Paragraphs          []paragraphItem
}

type commentItem struct {
	By, Party, Text string
	At              stamp
	Entry           int64
}

type sigItem struct {
	Party, Member string
	Signed        bool
	Entry         int64
	At            *stamp
	Hashes        []langHash
}

type langHash struct {
	Lang, Hash string
}

type paraDiffItem struct {
	LangName, Dir string
	Number        int
	Change, Label string
	From, To      string
}

type statementData struct {
	ID, Title        string
	KindLabel        string
	Round            *linkItem
	Version          int
	Latest, Agreed   int
	VersionStatus    string
	StatusLabel      string
	Published        bool
	PublishedEntry   int64
	PublishedAt      *stamp
	By, Party        string
	At               stamp
	Entry            int64
	Versions         []option
	Texts            []textItem
	Signatures       []sigItem
	AllSigned        bool
	From, To         []option
	Diff             []paraDiffItem
	DiffFrom, DiffTo int
	Evidence         string
	Comment          *dipForm
	CommentOn        []option
	Sign             *dipForm
	SignPayload      string
	Publish          *dipForm
	PublishPayload   string
	Redraft          *dipForm
	RedraftOf        int
	RedraftParas     []paraEditor
}

func (c *ctx) textItems(texts map[string][]diplomacy.Paragraph, hashes map[string]string, comments []diplomacy.Comment, version int) []textItem {
	var out []textItem
	for _, lang := range Languages {
		ps, ok := texts[lang]
		if !ok {
			continue
		}
		b, _ := json.Marshal(ps)
		dir := "ltr"
		if rtl[lang] {
			dir = "rtl"
		}
		ti := textItem{Lang: lang, LangName: c.l.T("lang." + lang), Dir: dir, Hash: hashes[lang], JSON: string(b)}
		for i, p := range ps {
			pi := paragraphItem{Index: i, Number: i + 1, Text: p.Text}
			for _, cm := range comments {
				if cm.Version == version && cm.Lang == lang && cm.Paragraph == i {
					pi.Comments = append(pi.Comments, commentItem{By: cm.By, Party: c.partyName(cm.Party), Text: cm.Text, At: newStamp(cm.At, c.deskZones()), Entry: cm.ID})
				}
			}
			ti.Paragraphs = append(ti.Paragraphs, pi)
		}
		out = append(out, ti)
	}
	return out
}

func sortedHashes(h map[string]string) []langHash {
	var out []langHash
	for _, lang := range slices.Sorted(maps.Keys(h)) {
		out = append(out, langHash{Lang: lang, Hash: h[lang]})
	}
	return out
}

func (w *Web) statementPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	sd, err := w.api.Statement(r, c.p, r.PathValue("statement"))
	if err != nil {
		return err
	}
	zones := c.deskZones()
	d := statementData{ID: sd.ID, Title: named(c.l, sd.Title, sd.Titles), KindLabel: c.l.T("dip.skind." + sd.Kind), Latest: sd.Latest, Agreed: sd.Agreed,
		Published: sd.StatementInfo.Published, Evidence: "/api/v1/statements/" + sd.ID + "/evidence"}
	if sd.Round != "" {
		d.Round = &linkItem{Label: sd.Round, Href: "/rounds/" + sd.Round}
	}
	if pub := sd.Published; pub != nil {
		at := newStamp(pub.At, zones)
		d.PublishedEntry, d.PublishedAt = pub.Entry, &at
	}
	if len(sd.Versions) == 0 {
		// A reader outside the statement reads its publication: the texts
		// and signatures its entry restates.
		pub := sd.Published
		d.Version, d.VersionStatus, d.StatusLabel, d.Entry = pub.Version, "published", c.l.T("dip.sstatus.published"), pub.Draft
		d.Versions = []option{{Value: strconv.Itoa(pub.Version), Label: c.l.T("dip.version_n", "n", pub.Version), Selected: true}}
		d.Texts = c.textItems(pub.Texts, pub.Hashes, nil, pub.Version)
		for _, pid := range slices.Sorted(maps.Keys(pub.Signatures)) {
			s := pub.Signatures[pid]
			at := newStamp(s.At, zones)
			d.Signatures = append(d.Signatures, sigItem{Party: c.partyName(pid), Member: s.Member, Signed: true, Entry: s.Entry, At: &at, Hashes: sortedHashes(s.Hashes)})
		}
		d.AllSigned = true
		w.render(rw, r, http.StatusOK, "statement", w.page(c, c.l.T("dip.statement.title", "title", d.Title), "diplomacy", "diplomacy", d))
		return nil
	}
	want := intParam(r, "version")
	if want == 0 {
		want = sd.Latest
	}
	i := slices.IndexFunc(sd.Versions, func(v diplomacy.StatementVersion) bool { return v.Version == want })
	if i < 0 {
		return errNoVersion
	}
	v := sd.Versions[i]
	d.Version, d.VersionStatus, d.StatusLabel = v.Version, v.Status, c.l.T("dip.sstatus."+v.Status)
	d.By, d.Party, d.At, d.Entry = v.By, c.partyName(v.Party), newStamp(v.At, zones), v.Entry
	for _, ver := range sd.Versions {
		d.Versions = append(d.Versions, option{Value: strconv.Itoa(ver.Version), Label: c.l.T("dip.version_n", "n", ver.Version), Selected: ver.Version == v.Version})
	}
	d.Texts = c.textItems(v.Texts, v.Hashes, sd.Comments, v.Version)
	for _, pid := range sd.Required {
		si := sigItem{Party: c.partyName(pid)}
		if s, ok := v.Signatures[pid]; ok {
			at := newStamp(s.At, zones)
			si.Member, si.Signed, si.Entry, si.At, si.Hashes = s.Member, true, s.Entry, &at, sortedHashes(s.Hashes)
		}
		d.Signatures = append(d.Signatures, si)
	}
	d.AllSigned = len(v.Awaiting) == 0
	if sd.Latest > 1 {
		diff, err := w.api.StatementDiff(r, c.p, sd.ID, intParam(r, "from"), intParam(r, "to"))
		if err != nil {
			return err
		}
		d.DiffFrom, d.DiffTo = diff.From, diff.To
		for _, ver := range sd.Versions {
			n := strconv.Itoa(ver.Version)
			d.From = append(d.From, option{Value: n, Label: c.l.T("dip.version_n", "n", ver.Version), Selected: ver.Version == diff.From})
			d.To = append(d.To, option{Value: n, Label: c.l.T("dip.version_n", "n", ver.Version), Selected: ver.Version == diff.To})
		}
		for _, x := range diff.Paragraphs {
			dir := "ltr"
			if rtl[x.Lang] {
				dir = "rtl"
			}
			d.Diff = append(d.Diff, paraDiffItem{LangName: c.l.T("lang." + x.Lang), Dir: dir, Number: x.Paragraph + 1, Change: x.Change,
				Label: c.l.T("dip.change." + x.Change), From: x.From, To: x.To})
		}
	}
	mine := c.p.Party.ID
	required := slices.Contains(sd.Required, mine)
	if onDipDesk(c.p) && required && !sd.StatementInfo.Published {
		f := newForm(diplomacy.KindStatementComment, "/statements/"+sd.ID+"/comments", map[string]any{"statement": sd.ID, "version": v.Version})
		d.Comment = &f
		for _, ti := range d.Texts {
			for _, p := range ti.Paragraphs {
				d.CommentOn = append(d.CommentOn, option{Value: ti.Lang + ":" + strconv.Itoa(p.Index), Label: c.l.T("dip.paragraph_of", "n", p.Number, "lang", ti.LangName)})
			}
		}
	}
	if onDipDesk(c.p) && required && !sd.StatementInfo.Published {
		// A new version starts from the latest's texts, whichever version
		// the page shows.
		li := slices.IndexFunc(sd.Versions, func(v diplomacy.StatementVersion) bool { return v.Version == sd.Latest })
		if li >= 0 {
			f := newForm(diplomacy.KindStatementDraft, "/statements", map[string]any{"statement": map[string]any{"id": sd.ID}})
			d.Redraft, d.RedraftOf, d.RedraftParas = &f, sd.Latest, c.paraEditors("nv", sd.Versions[li].Texts)
		}
	}
	if _, signed := v.Signatures[mine]; commitsParty(c.p) && required && !signed && v.Status == "draft" && v.Version == sd.Latest {
		f := newForm(diplomacy.KindStatementSign, "/statements/"+sd.ID+"/sign", map[string]any{})
		d.Sign = &f
		d.SignPayload = jsonString(map[string]any{"statement": sd.ID, "version": v.Version, "hashes": v.Hashes})
	}
	if publishesStatements(c.p) && v.Status == "agreed" && !sd.StatementInfo.Published {
		f := newForm(diplomacy.KindStatementPublish, "/statements/"+sd.ID+"/publish", map[string]any{})
		d.Publish = &f
		pub := map[string]any{"statement": sd.ID, "version": v.Version, "title": sd.Title, "texts": v.Texts, "hashes": v.Hashes, "signatures": v.Signatures}
		if len(sd.Titles) > 0 {
			pub["titles"] = sd.Titles
		}
		d.PublishPayload = jsonString(pub)
	}
	pg := w.page(c, c.l.T("dip.statement.title", "title", d.Title), "diplomacy", "diplomacy", d)
	w.renderLive(rw, r, "statement", "signatures", pg)
	return nil
}
