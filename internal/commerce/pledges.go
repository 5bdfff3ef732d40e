package commerce

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// MaxAmount bounds a pledge: ten trillion units of any currency.
const MaxAmount = 10_000_000_000_000

// PledgePayload is the payload of pledge.make and pledge.update.
type PledgePayload struct {
	record.Header
	Pledge Pledge `json:"pledge"`
}

func checkPledge(x *Pledge) error {
	if !idPattern.MatchString(x.ID) {
		return invalid("pledge id %q: lower-case letters, digits, '.', '_' or '-'", x.ID)
	}
	if x.Amount < 0 || x.Amount > MaxAmount {
		return invalid("amount %d: 0 (withdrawn) to %d whole units", x.Amount, int64(MaxAmount))
	}
	if err := checkText("conditions", x.Conditions, MaxText, false); err != nil {
		return err
	}
	var sum int64
	for i, t := range x.Schedule {
		if t.Due.IsZero() || t.Amount <= 0 {
			return invalid("schedule[%d]: a due date and a positive amount", i)
		}
		sum += t.Amount
	}
	if sum > x.Amount {
		return invalid("the schedule's tranches (%d) exceed the pledge (%d)", sum, x.Amount)
	}
	return nil
}

// pledgeMake records a funder's pledge, for the funder and the mediator.
func pledgeMake(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.Fund, cell.Target{Doing: "pledging"}); err != nil {
		return store.Effect{}, err
	}
	var p PledgePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	x := p.Pledge
	if err := checkPledge(&x); err != nil {
		return store.Effect{}, err
	}
	if x.Amount == 0 {
		return store.Effect{}, invalid("a pledge pledges something")
	}
	// A funder's pledge ids are its own: one refused as taken tells of a
	// pledge of its own, never of another funder's.
	if !strings.HasPrefix(x.ID, c.Actor.Party.ID+"-") {
		return store.Effect{}, invalid("pledge id %q: a pledge's id starts with its funder's party and a dash (%s-...)", x.ID, c.Actor.Party.ID)
	}
	if _, err := c.View.Get(c.Ctx, ObjPledge, x.ID); err == nil {
		return store.Effect{}, conflict("pledge %s exists: update it", x.ID)
	}
	proj, _, err := get[Project](c, ObjProject, x.Project)
	if err != nil {
		return store.Effect{}, invalid("project %q: no such project", x.Project)
	}
	if x.Currency != "" && x.Currency != proj.Currency {
		return store.Effect{}, invalid("project %s takes pledges in %s", proj.ID, proj.Currency)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	x.Currency, x.Funder, x.Member, x.Disbursed, x.Disclosed, x.Changed, x.At = proj.Currency, c.Actor.Party.ID, c.Actor.Member.ID, 0, false, idx, now
	x.Version, x.Entry = 1, idx
	aud, mask, err := funderAudience(c, x.Funder)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjPledge, x.ID, x.Project, x)}}, nil
}

// pledgeUpdate changes a pledge's amount (0 withdraws it), conditions or
// schedule: its funder's, restating the version it amends.
func pledgeUpdate(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.Fund, cell.Target{Doing: "changing a pledge"}); err != nil {
		return store.Effect{}, err
	}
	var p PledgePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	old, _, err := get[Pledge](c, ObjPledge, p.Pledge.ID)
	// Another funder's pledge is refused as one that does not exist: its
	// funder and the mediator alone know it is there.
	if err != nil || cell.May(c.Actor, cell.Fund, cell.Target{Party: old.Funder}) != nil {
		return store.Effect{}, invalid("pledge %q: no pledge of your party's", p.Pledge.ID)
	}
	if old.Disclosed {
		return store.Effect{}, conflict("pledge %s was disclosed: pledge anew", old.ID)
	}
	// An update restates the amount, conditions and schedule: one made from
	// a reading older than the pledge's last version, by a colleague at the
	// funder, would silently undo that version.
	if err := amends(p.Pledge.Version, Stale{Pledge: old.ID, Version: old.Version, Entry: old.Entry, By: old.Member, At: old.At}); err != nil {
		return store.Effect{}, err
	}
	x := p.Pledge
	if err := checkPledge(&x); err != nil {
		return store.Effect{}, err
	}
	if x.Project != old.Project || (x.Currency != "" && x.Currency != old.Currency) {
		return store.Effect{}, invalid("a pledge keeps its project and currency")
	}
	if x.Amount < old.Disbursed {
		return store.Effect{}, invalid("amount %d is less than what was disbursed (%d)", x.Amount, old.Disbursed)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	// Disclosing is pledge.disclose's, which names the funder: an update
	// never takes a pledge out of the confidential total.
	x.Currency, x.Funder, x.Member, x.Disbursed, x.Disclosed, x.At, x.Changed = old.Currency, old.Funder, c.Actor.Member.ID, old.Disbursed, false, now, old.Changed
	x.Version, x.Entry = old.Version+1, idx
	if x.Amount != old.Amount {
		x.Changed = idx
	}
	aud, mask, err := funderAudience(c, x.Funder)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjPledge, x.ID, x.Project, x)}}, nil
}

// DisbursePayload is the payload of pledge.disburse.
type DisbursePayload struct {
	record.Header
	Pledge string `json:"pledge"`
	Amount int64  `json:"amount"`
	Date   string `json:"date"`
	Note   string `json:"note,omitempty"`
}

// pledgeDisburse records money paid against a pledge, by its funder or the
// mediator; as confidential as the pledge.
func pledgeDisburse(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.WorkCommerce, cell.Target{Doing: "recording a disbursal"}); err != nil {
		return store.Effect{}, err
	}
	var p DisbursePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	x, o, err := get[Pledge](c, ObjPledge, p.Pledge)
	if err != nil || !cell.MayReadObject(c.Actor, o) || cell.May(c.Actor, cell.WorkCommerce, cell.Target{Party: x.Funder}) != nil {
		return store.Effect{}, invalid("pledge %q: no pledge of your party's", p.Pledge)
	}
	if p.Amount <= 0 || x.Disbursed+p.Amount > x.Amount {
		return store.Effect{}, invalid("amount %d: positive, and at most what remains of the pledge (%d)", p.Amount, x.Amount-x.Disbursed)
	}
	if !dateRe.MatchString(p.Date) {
		return store.Effect{}, invalid("date %q: YYYY-MM-DD", p.Date)
	}
	if err := checkText("note", p.Note, MaxText, false); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	x.Disbursed += p.Amount
	aud, mask, err := funderAudience(c, x.Funder)
	if err != nil {
		return store.Effect{}, err
	}
	d := Disbursal{ID: idx, Pledge: x.ID, Amount: p.Amount, Date: p.Date, Note: p.Note, By: c.Actor.Member.ID, At: now}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjPledge, x.ID, x.Project, x), put(ObjDisbursal, itoa(idx), x.ID, d)}}, nil
}

// DisclosePayload is the payload of pledge.disclose: the funder names
// itself and restates its pledge, which every party then reads.
type DisclosePayload struct {
	record.Header
	Pledge   string `json:"pledge"`
	Name     string `json:"name"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func pledgeDisclose(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.Fund, cell.Target{Doing: "disclosing a pledge"}); err != nil {
		return store.Effect{}, err
	}
	var p DisclosePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	x, o, err := get[Pledge](c, ObjPledge, p.Pledge)
	if err != nil || cell.May(c.Actor, cell.Fund, cell.Target{Party: x.Funder}) != nil {
		return store.Effect{}, invalid("pledge %q: no pledge of your party's", p.Pledge)
	}
	if x.Disclosed {
		return store.Effect{}, conflict("pledge %s is disclosed already", x.ID)
	}
	if p.Amount != x.Amount || p.Currency != x.Currency {
		return store.Effect{}, invalid("the disclosure restates the pledge as it stands: %d %s", x.Amount, x.Currency)
	}
	if err := checkText("name", p.Name, MaxTitle, true); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	x.Disclosed = true
	aud, mask := everyone()
	pl := put(ObjPledge, x.ID, x.Project, x)
	pl.Mask = o.Mask // the pledge itself stays the funder's and the mediator's
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{pl,
		put(ObjDisclosure, x.ID, x.Project, Disclosure{Pledge: x.ID, Project: x.Project, Funder: x.Funder, Name: p.Name,
			Amount: x.Amount, Currency: x.Currency, Entry: idx, At: now})}}, nil
}

// PublishPayload is the payload of funding.publish: the total the rule
// allows, restated by the mediator who publishes it.
type PublishPayload struct {
	record.Header
	Project string `json:"project"`
	Total   int64  `json:"total"`
	Funders int    `json:"funders"`
}

// Publishable is the total of project the rule of published totals lets
// the mediator publish now, or why none: judged on the whole projection,
// which only the mediator (and the decision) reads.
func Publishable(ctx context.Context, v store.View, project string) (Funding, FundingBase, string, error) {
	proj, err := getOf[Project](ctx, v, ObjProject, project)
	if err != nil {
		return Funding{}, FundingBase{}, "", err
	}
	ps, err := listOf[Pledge](ctx, v, ObjPledge, project)
	if err != nil {
		return Funding{}, FundingBase{}, "", err
	}
	base := FundingBase{Project: project, Pledges: map[string]int64{}}
	var total int64
	for _, p := range ps {
		if p.Disclosed || p.Amount == 0 {
			continue
		}
		base.Pledges[p.ID] = p.Changed
		total += p.Amount
	}
	f := Funding{Project: project, Total: Bucket(total), Currency: proj.Currency, Funders: len(base.Pledges)}
	if f.Funders < MinFunders {
		return f, base, "fewer than three confidential pledges make up the total", nil
	}
	prev, err := getOf[FundingBase](ctx, v, ObjFundingBase, project)
	if err == nil {
		changed := 0
		for id, at := range base.Pledges {
			if prev.Pledges[id] != at {
				changed++
			}
		}
		for id := range prev.Pledges {
			if _, ok := base.Pledges[id]; !ok {
				changed++
			}
		}
		if changed < MinChanges {
			return f, base, "fewer than three funders' pledges changed since the last total: a new one would show a change of one or two", nil
		}
	}
	return f, base, "", nil
}

// fundingPublish publishes a project's confidential total, when the rule
// lets it, for every party.
func fundingPublish(c *cell.Command) (store.Effect, error) {
	if c.Actor.Server {
		return store.Effect{}, forbidden("the mediator publishes funding totals")
	}
	if err := cell.May(c.Actor, cell.PublishFunding, cell.Target{}); err != nil {
		return store.Effect{}, err
	}
	var p PublishPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	f, base, why, err := Publishable(c.Ctx, c.View, p.Project)
	if err != nil {
		return store.Effect{}, invalid("project %q: no such project", p.Project)
	}
	if why != "" {
		return store.Effect{}, conflict("no total of project %s may be published now: %s", p.Project, why)
	}
	if p.Total != f.Total || p.Funders != f.Funders {
		return store.Effect{}, invalid("the total to publish is %d %s from %d funders", f.Total, f.Currency, f.Funders)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	_, med, err := cell.Audience(parties)
	if err != nil {
		return store.Effect{}, err
	}
	f.Entry, f.At = idx, now
	b := put(ObjFundingBase, p.Project, "", base)
	b.Mask = med
	aud, mask := everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjFunding, p.Project, "", f), b}}, nil
}

// replayFundingPublish projects a published total for a reader who does
// not read the confidential pledges it was made of (a party's mirror): the
// total and the count of funders are the entry's own, as the mediator
// signed them and the cell checked them against the pledges; the currency
// is the project's. What the total was made of stays the mediator's.
func replayFundingPublish(c *cell.Command) (store.Effect, error) {
	var p PublishPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	proj, err := getOf[Project](c.Ctx, c.View, ObjProject, p.Project)
	if err != nil {
		return store.Effect{}, invalid("project %q: not in this view", p.Project)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	f := Funding{Project: p.Project, Total: p.Total, Currency: proj.Currency, Funders: p.Funders, Entry: idx, At: now}
	aud, mask := everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjFunding, p.Project, "", f)}}, nil
}

func sortByID[T any](xs []T, id func(T) string) {
	slices.SortFunc(xs, func(a, b T) int { return cmp.Compare(id(a), id(b)) })
}
