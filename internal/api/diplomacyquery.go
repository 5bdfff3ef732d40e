package api

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// The diplomatic desk's reads, for the API's routes and for the pages.
// Each reads through the caller's view (s.view), so that it holds only
// what the caller's party may read; something it may not read fails with
// the same 404 problem as something that does not exist, which a page
// answers with ProblemOf. Times that decide a state ("overdue") are taken
// against now, which the caller passes in so that a page and the API it
// mirrors agree within one request.

// Agreements lists the agreements (every party reads them), in the order
// they were first recorded.
func (s *Server) Agreements(r *http.Request, p *Principal) ([]diplomacy.Agreement, error) {
	return diplomacy.Agreements(r.Context(), s.view(p))
}

// Agreement returns an agreement with every version, oldest first.
func (s *Server) Agreement(r *http.Request, p *Principal, id string) (diplomacy.AgreementDetail, error) {
	d, err := diplomacy.GetAgreement(r.Context(), s.view(p), id)
	if err != nil {
		return d, notFoundAs(err, "no agreement "+strconv.Quote(id))
	}
	return d, nil
}

// AgreementDiff compares two versions of an agreement article by article:
// the later version's articles in order (added, changed, unchanged), then
// those it dropped. from and to are version numbers; 0 for to means the
// latest, 0 for from the version before to.
func (s *Server) AgreementDiff(r *http.Request, p *Principal, id string, from, to int) (AgreementDiff, error) {
	a, err := s.Agreement(r, p, id)
	if err != nil {
		return AgreementDiff{}, err
	}
	from, to, err = versionPair(from, to, a.Latest)
	if err != nil {
		return AgreementDiff{}, err
	}
	arts, err := diplomacy.Diff(r.Context(), s.view(p), id, from, to)
	if err != nil {
		return AgreementDiff{}, notFoundAs(err, "agreement "+id+" has no such version")
	}
	return AgreementDiff{Agreement: id, From: from, To: to, Articles: arts}, nil
}

// AgreementDiff is the comparison of two versions of an agreement.
type AgreementDiff struct {
	Agreement string                  `json:"agreement"`
	From      int                     `json:"from"`
	To        int                     `json:"to"`
	Articles  []diplomacy.ArticleDiff `json:"articles"`
}

// versionPair fills the defaults of a diff's versions and checks them
// against the latest version there is.
func versionPair(from, to, latest int) (int, int, error) {
	if to == 0 {
		to = latest
	}
	if from == 0 {
		from = max(to-1, 1)
	}
	if from < 1 || to < 1 {
		return 0, 0, badRequest("versions are numbered from 1")
	}
	if from > latest || to > latest {
		return 0, 0, notFound("there is no version " + strconv.Itoa(max(from, to)) + ": the latest is " + strconv.Itoa(latest))
	}
	return from, to, nil
}

// MilestoneView is a milestone with whether it is overdue: past its date
// and not fulfilled.
type MilestoneView struct {
	diplomacy.Milestone
	Overdue bool `json:"overdue"`
}

// CommitmentView is a commitment with its status (its worst milestone's,
// fulfilled when all are) and each milestone's status, the reason and the
// entry that set it, and whether it is overdue.
type CommitmentView struct {
	diplomacy.Commitment
	Status     string          `json:"status"`
	Milestones []MilestoneView `json:"milestones"`
	// Overdue counts the overdue milestones.
	Overdue int `json:"overdue"`
}

func commitmentView(c diplomacy.Commitment, now time.Time) CommitmentView {
	v := CommitmentView{Commitment: c, Status: c.Status(), Milestones: []MilestoneView{}}
	for _, m := range c.Milestones {
		late := m.Overdue(now)
		if late {
			v.Overdue++
		}
		v.Milestones = append(v.Milestones, MilestoneView{Milestone: m, Overdue: late})
	}
	return v
}

// Commitments lists the commitments the caller reads (the sides' and the
// mediator's; an observer reads none), soonest unfulfilled milestone first.
func (s *Server) Commitments(r *http.Request, p *Principal, now time.Time) ([]CommitmentView, error) {
	cs, err := diplomacy.Commitments(r.Context(), s.view(p))
	if err != nil {
		return nil, err
	}
	out := make([]CommitmentView, 0, len(cs))
	for _, c := range cs {
		out = append(out, commitmentView(c, now))
	}
	return out, nil
}

// Commitment returns one commitment.
func (s *Server) Commitment(r *http.Request, p *Principal, id string, now time.Time) (CommitmentView, error) {
	c, err := diplomacy.GetCommitment(r.Context(), s.view(p), id)
	if err != nil {
		return CommitmentView{}, notFoundAs(err, "no commitment "+strconv.Quote(id))
	}
	return commitmentView(c, now), nil
}

// TimelineItem is one milestone on the timeline of every commitment.
type TimelineItem struct {
	Commitment string               `json:"commitment"`
	Kind       string               `json:"kind"`
	Title      string               `json:"title"`
	Titles     map[string]string    `json:"titles,omitempty"`
	Party      string               `json:"party"`
	Article    diplomacy.ArticleRef `json:"article"`
	Round      string               `json:"round,omitempty"`
	Milestone  MilestoneView        `json:"milestone"`
}

// Timeline lists every milestone of every commitment the caller reads, by
// due date (then commitment and milestone, so that the order is stable):
// what a page draws as the timeline of what is owed under the agreements.
func (s *Server) Timeline(r *http.Request, p *Principal, now time.Time) ([]TimelineItem, error) {
	cs, err := s.Commitments(r, p, now)
	if err != nil {
		return nil, err
	}
	out := []TimelineItem{}
	for _, c := range cs {
		for _, m := range c.Milestones {
			out = append(out, TimelineItem{Commitment: c.ID, Kind: c.Kind, Title: c.Title, Titles: c.Titles, Party: c.Party,
				Article: c.Article, Round: c.Round, Milestone: m})
		}
	}
	slices.SortStableFunc(out, func(a, b TimelineItem) int {
		return cmp.Or(a.Milestone.Due.Compare(b.Milestone.Due), cmp.Compare(a.Commitment, b.Commitment))
	})
	return out, nil
}

// Dispute sorts of the register.
const (
	SortAge      = "age"      // oldest filed first
	SortDeadline = "deadline" // soonest next deadline first; those awaiting none last
)

// StatusOpen filters the register to the disputes not yet resolved.
const StatusOpen = diplomacy.StatusOpen

// The register's pages: 50 rows unless the caller asks otherwise, at most
// 500.
const (
	DefaultRegisterLimit = 50
	MaxRegisterLimit     = 500
)

// RegisterQuery filters, sorts and pages the register of disputes.
type RegisterQuery struct {
	// Party keeps the disputes it is claimant or respondent in.
	Party string
	// Agreement and Article keep the disputes citing that article (of any
	// version); Article "" keeps those citing the agreement at all.
	Agreement, Article string
	// Status keeps one step (filed, ..., escalated), or StatusOpen every
	// step but resolved.
	Status string
	// Sort is SortAge (the default) or SortDeadline.
	Sort string
	// Limit is the page's size (DefaultRegisterLimit when 0); After is the
	// cursor of the page before ("" for the first), Register.Next.
	Limit int
	After string
}

var disputeStatuses = []string{diplomacy.DisputeFiled, diplomacy.DisputeAcknowledged, diplomacy.DisputeResponded,
	diplomacy.DisputeFound, diplomacy.DisputeResolved, diplomacy.DisputeEscalated}

var agreementRef = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// registerCursor is a cursor of the register as the API writes it: the
// sort key and the dispute's id, digits both.
var registerCursor = regexp.MustCompile(`^([0-9]{1,40})\.([0-9]{1,19})$`)

// ParseRegisterQuery reads the register's query: party=il, article=paris:2
// (or article=paris for any of its articles), status=found (or open),
// sort=age or deadline, limit=50 and after=CURSOR.
func ParseRegisterQuery(q url.Values) (RegisterQuery, error) {
	var rq RegisterQuery
	for name, vs := range q {
		if len(vs) > 1 {
			return rq, badRequest(name + " is given " + strconv.Itoa(len(vs)) + " times: give it once")
		}
	}
	rq.Party, rq.Status, rq.Sort, rq.After = q.Get("party"), q.Get("status"), q.Get("sort"), q.Get("after")
	if rq.Party != "" && !cell.ValidID(rq.Party) {
		return rq, badRequest("party " + strconv.Quote(rq.Party) + " is not a party id")
	}
	if a := q.Get("article"); a != "" {
		ag, art, _ := strings.Cut(a, ":")
		if !agreementRef.MatchString(ag) || len(art) > 32 || strings.ContainsAny(art, ",") {
			return rq, badRequest("article " + strconv.Quote(a) + ": give AGREEMENT:ARTICLE, as in paris:2, or an agreement's id alone")
		}
		rq.Agreement, rq.Article = ag, art
	}
	if rq.Status != "" && rq.Status != StatusOpen && !slices.Contains(disputeStatuses, rq.Status) {
		return rq, badRequest("status " + strconv.Quote(rq.Status) + ": one of open, " + strings.Join(disputeStatuses, ", "))
	}
	switch rq.Sort {
	case "":
		rq.Sort = SortAge
	case SortAge, SortDeadline:
	default:
		return rq, badRequest("sort " + strconv.Quote(rq.Sort) + ": age or deadline")
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxRegisterLimit {
			return rq, badRequest("limit " + strconv.Quote(v) + ": a page of 1 to " + strconv.Itoa(MaxRegisterLimit) + " disputes")
		}
		rq.Limit = n
	}
	if rq.After != "" && !registerCursor.MatchString(rq.After) {
		return rq, badRequest("after " + strconv.Quote(rq.After) + ": pass back the register's next, as it was given")
	}
	return rq, nil
}

func (q RegisterQuery) filter() diplomacy.RegisterFilter {
	f := diplomacy.RegisterFilter{Party: q.Party, Agreement: q.Agreement, Article: q.Article, Status: q.Status, Order: diplomacy.OrderAge}
	if q.Sort == SortDeadline {
		f.Order = diplomacy.OrderDeadline
	}
	return f
}

func (q RegisterQuery) cursor() store.Cursor {
	m := registerCursor.FindStringSubmatch(q.After)
	if m == nil {
		return store.Cursor{}
	}
	return store.Cursor{Sort: m[1], ID: m[2]}
}

// DisputeRow is a dispute as the register shows it: with the parties
// whose step is next and whether its deadline has passed.
type DisputeRow struct {
	diplomacy.Dispute
	// Awaiting are the parties that owe the next step: the mediator an
	// acknowledgement or a finding, the respondent its response, each
	// party its answer to the finding. None for a dispute resolved, or
	// escalated to the talks.
	Awaiting []string `json:"awaiting"`
	Overdue  bool     `json:"overdue"`
}

func disputeRow(d diplomacy.Dispute, mediator string, now time.Time) DisputeRow {
	row := DisputeRow{Dispute: d, Awaiting: []string{}, Overdue: !d.Due.IsZero() && now.After(d.Due)}
	switch d.Status {
	case diplomacy.DisputeFiled, diplomacy.DisputeResponded:
		row.Awaiting = append(row.Awaiting, mediator)
	case diplomacy.DisputeAcknowledged:
		row.Awaiting = append(row.Awaiting, d.Respondent)
	case diplomacy.DisputeFound:
		for _, party := range []string{d.Claimant, d.Respondent} {
			if _, answered := d.Accepts[party]; !answered {
				row.Awaiting = append(row.Awaiting, party)
			}
		}
	}
	return row
}

// Register is the register of disputes as the caller reads it: the
// disputes of which it is a party (every one, for the mediator), a page
// at a time, and what the mediator has shared with an observer. An
// observer reads only the latter, each as the share restated it, and
// never a finding.
type Register struct {
	Disputes []DisputeRow `json:"disputes"`
	// Next is the cursor of the next page of disputes, when there may be
	// one: pass it back as after.
	Next string `json:"next,omitempty"`
	// Shared are the shares the caller reads: an observer its own, a side
	// those of its disputes, the mediator every one, all of them on the
	// first page and none on the next. A query by article leaves them out:
	// a share does not restate the articles.
	Shared []diplomacy.SharedDispute `json:"shared"`
}

// DisputeRegister returns a page of the register, filtered and sorted by
// q, read in the query (diplomacy.DisputePage): its time does not grow
// with the disputes the log holds.
func (s *Server) DisputeRegister(r *http.Request, p *Principal, q RegisterQuery, now time.Time) (Register, error) {
	v := s.view(p)
	limit := q.Limit
	if limit == 0 {
		limit = DefaultRegisterLimit
	}
	f := q.filter()
	ds, next, err := diplomacy.DisputePage(r.Context(), v, f, q.cursor(), limit)
	if err != nil {
		return Register{}, err
	}
	med, err := mediatorID(r.Context(), v)
	if err != nil {
		return Register{}, err
	}
	reg := Register{Disputes: []DisputeRow{}, Shared: []diplomacy.SharedDispute{}}
	for _, d := range ds {
		reg.Disputes = append(reg.Disputes, disputeRow(d, med, now))
	}
	if next != (store.Cursor{}) {
		reg.Next = next.Sort + "." + next.ID
	}
	if q.Agreement != "" || q.After != "" {
		return reg, nil
	}
	observer := ""
	if p.Party.Kind == cell.Observer {
		observer = p.Party.ID
	}
	shared, err := diplomacy.SharedDisputes(r.Context(), v, observer)
	if err != nil {
		return Register{}, err
	}
	for _, sd := range shared {
		if (q.Party == "" || sd.Claimant == q.Party || sd.Respondent == q.Party) && f.KeepsStatus(sd.Status) {
			reg.Shared = append(reg.Shared, sd)
		}
	}
	return reg, nil
}

func mediatorID(ctx context.Context, v store.View) (string, error) {
	parties, err := cell.Parties(ctx, v)
	if err != nil {
		return "", err
	}
	for _, pa := range parties {
		if pa.Kind == cell.Mediator {
			return pa.ID, nil
		}
	}
	return "", errors.New("api: the cell has no mediator")
}

// DisputeDetail is a dispute with what else its reader may read of it.
type DisputeDetail struct {
	DisputeRow
	// Shares are the shares of this dispute with observers.
	Shares []diplomacy.SharedDispute `json:"shares"`
	// Item is the agenda item of the talks round it was escalated to, or
	// the item waiting for the next round to be called (its round "").
	Item *diplomacy.AgendaItem `json:"item,omitempty"`
}

// Dispute returns a dispute of which p's party is a party (any, for the
// mediator); for anyone else, an observer it was shared with included, a
// 404 as for one that does not exist: an observer reads the share, in
// the register.
func (s *Server) Dispute(r *http.Request, p *Principal, id int64, now time.Time) (DisputeDetail, error) {
	v := s.view(p)
	d, err := diplomacy.GetDispute(r.Context(), v, id)
	if err != nil {
		return DisputeDetail{}, notFoundAs(err, "no dispute "+strconv.FormatInt(id, 10))
	}
	med, err := mediatorID(r.Context(), v)
	if err != nil {
		return DisputeDetail{}, err
	}
	out := DisputeDetail{DisputeRow: disputeRow(d, med, now), Shares: []diplomacy.SharedDispute{}}
	shared, err := diplomacy.SharedDisputes(r.Context(), v, "")
	if err != nil {
		return out, err
	}
	for _, sd := range shared {
		if sd.Dispute == id {
			out.Shares = append(out.Shares, sd)
		}
	}
	if d.Status == diplomacy.DisputeEscalated || d.Round != "" {
		item := "dispute-" + strconv.FormatInt(id, 10)
		var it diplomacy.AgendaItem
		if d.Round != "" {
			it, err = getDoc[diplomacy.AgendaItem](r, v, diplomacy.ObjAgendaItem, d.Round+"/"+item)
		} else {
			it, err = getDoc[diplomacy.AgendaItem](r, v, diplomacy.ObjPending, item)
		}
		switch {
		case err == nil:
			out.Item = &it
		case !errors.Is(err, store.ErrNotFound):
			return out, err
		}
	}
	return out, nil
}

// DisputeEvidence lists the entries of a dispute's evidence bundle that p
// may read: the dispute's own steps and the entries its cites stand for
// (diplomacy.Dispute.EvidenceOf).
func (s *Server) DisputeEvidence(r *http.Request, p *Principal, id int64) ([]int64, error) {
	d, err := diplomacy.GetDispute(r.Context(), s.view(p), id)
	if err != nil {
		return nil, notFoundAs(err, "no dispute "+strconv.FormatInt(id, 10))
	}
	return s.readableOf(r.Context(), p, d.EvidenceOf())
}

// readableOf keeps the entries among idx that p may read, as GET /entries
// would serve them: a bundle made for p holds nothing else.
func (s *Server) readableOf(ctx context.Context, p *Principal, idx []int64) ([]int64, error) {
	out := []int64{}
	for _, i := range idx {
		rows, err := s.st.Entries(ctx, p.Cell, i, i+1)
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 || !p.reader().Reads(rows[0].Mask, rows[0].Members) {
			continue
		}
		e, err := record.ParseEntry(rows[0].LeafData)
		if err != nil {
			return nil, err
		}
		if cell.May(p.Actor(), cell.ReadEntry, cell.Target{Entry: e}) == nil {
			out = append(out, i)
		}
	}
	return out, nil
}

// RoundsView is the talks rounds the caller reads, soonest first, and the
// items waiting for the next round to be called.
type RoundsView struct {
	Rounds  []diplomacy.Round      `json:"rounds"`
	Waiting []diplomacy.AgendaItem `json:"waiting"`
}

// Rounds lists the rounds and the items waiting for the next one: the
// sides' and the mediator's (an observer reads none); an item born of a
// dispute is for the dispute's parties only.
func (s *Server) Rounds(r *http.Request, p *Principal) (RoundsView, error) {
	v := s.view(p)
	rs, err := diplomacy.Rounds(r.Context(), v)
	if err != nil {
		return RoundsView{}, err
	}
	w, err := diplomacy.Waiting(r.Context(), v)
	return RoundsView{Rounds: rs, Waiting: w}, err
}

// RoundView is a round with the agenda items the caller reads and the
// statements of the round it reads.
type RoundView struct {
	diplomacy.RoundDetail
	Statements []diplomacy.StatementInfo `json:"statements"`
}

// Round returns a round.
func (s *Server) Round(r *http.Request, p *Principal, id string) (RoundView, error) {
	v := s.view(p)
	d, err := diplomacy.GetRound(r.Context(), v, id)
	if err != nil {
		return RoundView{}, notFoundAs(err, "no round "+strconv.Quote(id))
	}
	out := RoundView{RoundDetail: d, Statements: []diplomacy.StatementInfo{}}
	ss, _, err := diplomacy.Statements(r.Context(), v)
	if err != nil {
		return out, err
	}
	for _, st := range ss {
		if st.Round == id {
			out.Statements = append(out.Statements, st)
		}
	}
	return out, nil
}

// StatementsView lists the statements the caller drafts and signs (those
// that require its party; every one, for the mediator) and those
// published, which every party reads.
type StatementsView struct {
	Statements []diplomacy.StatementInfo `json:"statements"`
	Published  []diplomacy.Published     `json:"published"`
}

// Statements lists the statements.
func (s *Server) Statements(r *http.Request, p *Principal) (StatementsView, error) {
	ss, ps, err := diplomacy.Statements(r.Context(), s.view(p))
	return StatementsView{Statements: ss, Published: ps}, err
}

// Statement returns a statement with its versions, their signatures and
// the comments, for the parties it requires and the mediator; for any
// other party, what was published of it (404 before it is).
func (s *Server) Statement(r *http.Request, p *Principal, id string) (diplomacy.StatementDetail, error) {
	d, err := diplomacy.GetStatement(r.Context(), s.view(p), id)
	if err != nil {
		return d, notFoundAs(err, "no statement "+strconv.Quote(id))
	}
	return d, nil
}

// StatementDiff is the comparison of two versions of a statement.
type StatementDiff struct {
	Statement  string                    `json:"statement"`
	From       int                       `json:"from"`
	To         int                       `json:"to"`
	Paragraphs []diplomacy.ParagraphDiff `json:"paragraphs"`
}

// StatementDiff compares two versions of a statement paragraph by
// paragraph, language by language (0 for to: the latest; 0 for from: the
// version before to). Only the versions the caller reads compare: an
// observer reads none but the published text.
func (s *Server) StatementDiff(r *http.Request, p *Principal, id string, from, to int) (StatementDiff, error) {
	d, err := s.Statement(r, p, id)
	if err != nil {
		return StatementDiff{}, err
	}
	if from, to, err = versionPair(from, to, d.Latest); err != nil {
		return StatementDiff{}, err
	}
	version := func(n int) (diplomacy.StatementVersion, error) {
		i := slices.IndexFunc(d.Versions, func(v diplomacy.StatementVersion) bool { return v.Version == n })
		if i < 0 {
			return diplomacy.StatementVersion{}, notFound("statement " + id + " has no version " + strconv.Itoa(n) + " that you may read")
		}
		return d.Versions[i], nil
	}
	a, err := version(from)
	if err != nil {
		return StatementDiff{}, err
	}
	b, err := version(to)
	if err != nil {
		return StatementDiff{}, err
	}
	ps := diplomacy.DiffStatement(a, b)
	if ps == nil {
		ps = []diplomacy.ParagraphDiff{}
	}
	return StatementDiff{Statement: id, From: from, To: to, Paragraphs: ps}, nil
}

// StatementEvidence lists the entries of a statement's evidence bundle
// that p may read: the first version's draft (which names the parties the
// statement requires), the agreed version's draft, its signatures and the
// publication (diplomacy.StatementDetail.Evidence); before any version is
// agreed, the latest version's draft and its signatures so far. An
// observer reads the publication alone, which restates the texts and
// their hashes.
func (s *Server) StatementEvidence(r *http.Request, p *Principal, id string) ([]int64, error) {
	d, err := s.Statement(r, p, id)
	if err != nil {
		return nil, err
	}
	cited := d.Evidence()
	for _, v := range d.Versions {
		if v.Version == 1 {
			cited = append(cited, v.Entry)
		}
		if d.Agreed == 0 && d.Published == nil && v.Version == d.Latest {
			cited = append(cited, v.Entry)
			for _, sig := range v.Signatures {
				cited = append(cited, sig.Entry)
			}
		}
	}
	slices.Sort(cited)
	return s.readableOf(r.Context(), p, slices.Compact(cited))
}
