package diplomacy

import (
	"slices"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// RoundPayload is the payload of round.create.
type RoundPayload struct {
	record.Header
	Round Round `json:"round"`
}

// nextRound is the id of the round that meets next, after now ("" when
// none is called).
func nextRound(c *cell.Command, now time.Time) (string, error) {
	var best Round
	for after := int64(-1); ; {
		objs, err := c.View.List(c.Ctx, ObjRound, "", after, 1000)
		if err != nil {
			return "", err
		}
		for _, o := range objs {
			after = o.Seq
			var r Round
			if err := unmarshal(o, &r); err != nil {
				return "", err
			}
			if r.End.After(now) && (best.ID == "" || r.Start.Before(best.Start)) {
				best = r
			}
		}
		if len(objs) < 1000 {
			return best.ID, nil
		}
	}
}

// roundCreate calls a round of talks. The items that wait for a round (a
// dispute escalated, an item carried) join its agenda, each keeping its
// own audience.
func roundCreate(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "calling a round"}); err != nil {
		return store.Effect{}, err
	}
	var p RoundPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	r := p.Round
	if !idPattern.MatchString(r.ID) {
		return store.Effect{}, invalid("round id %q: use lower-case letters, digits, '.', '_' or '-'", r.ID)
	}
	if _, err := c.View.Get(c.Ctx, ObjRound, r.ID); err == nil {
		return store.Effect{}, conflict("round %q exists", r.ID)
	}
	if r.Number < 1 {
		return store.Effect{}, invalid("a round has a number from 1")
	}
	if err := checkText("place", r.Place, MaxTitle, true); err != nil {
		return store.Effect{}, err
	}
	if err := cell.CheckNames("places", r.Places); err != nil {
		return store.Effect{}, err
	}
	if r.Start.IsZero() || !r.Start.Before(r.End) {
		return store.Effect{}, invalid("a round has a start before its end")
	}
	for pid, names := range r.Delegations {
		if _, err := cell.GetParty(c.Ctx, c.View, pid); err != nil {
			return store.Effect{}, invalid("delegations: no party %q", pid)
		}
		if len(names) > 100 {
			return store.Effect{}, invalid("delegations: at most 100 names a party")
		}
		for _, n := range names {
			if err := checkText("delegations."+pid, n, MaxTitle, true); err != nil {
				return store.Effect{}, err
			}
		}
	}
	idx, _, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	r.Start, r.End, r.Entry, r.Minutes = r.Start.UTC(), r.End.UTC(), idx, []Minute{}
	changes := []store.Change{put(ObjRound, r.ID, "", r)}
	waiting, err := c.View.List(c.Ctx, ObjPending, "", -1, 1000)
	if err != nil {
		return store.Effect{}, err
	}
	for _, o := range waiting {
		var it AgendaItem
		if err := unmarshal(o, &it); err != nil {
			return store.Effect{}, err
		}
		it.Round = r.ID
		changes = append(changes, narrowed(ObjAgendaItem, r.ID+"/"+it.ID, r.ID, it, o.Mask), store.Change{Kind: ObjPending, ID: o.ID})
		if it.Dispute != 0 {
			d, do, err := get[Dispute](c, ObjDispute, itoa(it.Dispute))
			if err == nil && d.Status == DisputeEscalated {
				d.Round = r.ID
				changes = append(changes, narrowedDispute(d, do.Mask))
			}
		}
	}
	aud, mask, err := table(c)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// AgendaPayload is the payload of round.agenda.
type AgendaPayload struct {
	record.Header
	Round string     `json:"round"`
	Item  AgendaItem `json:"item"`
}

func roundAgenda(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "setting a round's agenda"}); err != nil {
		return store.Effect{}, err
	}
	var p AgendaPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if _, _, err := get[Round](c, ObjRound, p.Round); err != nil {
		return store.Effect{}, invalid("no round %q", p.Round)
	}
	it := p.Item
	if !idPattern.MatchString(it.ID) {
		return store.Effect{}, invalid("item id %q: use lower-case letters, digits, '.', '_' or '-'", it.ID)
	}
	if !slices.Contains(append(slices.Clone(cell.Desks), "general"), it.Desk) {
		return store.Effect{}, invalid("desk %q: military, intelligence, diplomatic, commercial or general", it.Desk)
	}
	if err := checkText("title", it.Title, MaxTitle, true); err != nil {
		return store.Effect{}, err
	}
	if it.Dispute != 0 || it.Carried != "" || it.Outcome != nil {
		return store.Effect{}, invalid("disputes and carried items join the agenda by themselves; an item is added with an id, desk and title")
	}
	if _, err := c.View.Get(c.Ctx, ObjAgendaItem, p.Round+"/"+it.ID); err == nil {
		return store.Effect{}, conflict("round %s already has item %s", p.Round, it.ID)
	}
	it.Round = p.Round
	aud, mask, err := table(c)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjAgendaItem, p.Round+"/"+it.ID, p.Round, it)}}, nil
}

// MinutesPayload is the payload of round.minutes.
type MinutesPayload struct {
	record.Header
	Round string `json:"round"`
	Lang  string `json:"lang"`
	Text  string `json:"text"`
}

func roundMinutes(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "keeping a round's minutes"}); err != nil {
		return store.Effect{}, err
	}
	var p MinutesPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	r, o, err := get[Round](c, ObjRound, p.Round)
	if err != nil {
		return store.Effect{}, invalid("no round %q", p.Round)
	}
	if err := checkLangTexts("minutes", map[string]string{p.Lang: p.Text}, MaxText, true); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	r.Minutes = append(r.Minutes, Minute{Lang: p.Lang, Text: p.Text, By: member(c.Actor), At: now, Entry: idx})
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjRound, r.ID, "", r)}}, nil
}

// OutcomePayload is the payload of round.outcome: what the round decided
// on an item, which may create a commitment or carry the item on.
type OutcomePayload struct {
	record.Header
	Round      string      `json:"round"`
	Item       string      `json:"item"`
	Outcome    string      `json:"outcome"`
	Text       string      `json:"text"`
	Commitment *Commitment `json:"commitment,omitempty"`
}

func roundOutcome(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "recording an outcome"}); err != nil {
		return store.Effect{}, err
	}
	var p OutcomePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	it, o, err := get[AgendaItem](c, ObjAgendaItem, p.Round+"/"+p.Item)
	if err != nil || !cell.MayRead(c.Actor, o.Mask) {
		return store.Effect{}, invalid("round %q has no item %q", p.Round, p.Item)
	}
	if it.Outcome != nil {
		return store.Effect{}, conflict("item %s of round %s has an outcome", p.Item, p.Round)
	}
	switch p.Outcome {
	case OutcomeAgreed, OutcomeNoted:
	case OutcomeCarried:
		if p.Commitment != nil {
			return store.Effect{}, invalid("a carried item creates no commitment yet")
		}
	default:
		return store.Effect{}, invalid("outcome %q: want agreed, carried or noted", p.Outcome)
	}
	if err := checkText("text", p.Text, MaxText, true); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	out := &Outcome{Outcome: p.Outcome, Text: p.Text, By: member(c.Actor), At: now, Entry: idx}
	var changes []store.Change
	if p.Commitment != nil {
		x := *p.Commitment
		x.Round = p.Round
		more, err := newCommitment(c, &x, idx, now)
		if err != nil {
			return store.Effect{}, err
		}
		changes = append(changes, more...)
		out.Commitment = x.ID
	}
	it.Outcome = out
	changes = append(changes, narrowed(ObjAgendaItem, o.ID, p.Round, it, o.Mask))
	if p.Outcome == OutcomeCarried {
		next := it
		next.Round, next.Carried, next.Outcome = "", p.Round, nil
		changes = append(changes, narrowed(ObjPending, it.ID+"-from-"+p.Round, "", next, o.Mask))
	}
	if it.Dispute != 0 && p.Outcome == OutcomeAgreed {
		d, do, err := get[Dispute](c, ObjDispute, itoa(it.Dispute))
		if err == nil && d.Status == DisputeEscalated {
			d.Status, d.Entries = DisputeResolved, append(d.Entries, idx)
			changes = append(changes, narrowedDispute(d, do.Mask))
		}
	}
	// For the item's audience: a dispute's item is for its parties only.
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	for i := range changes {
		if changes[i].Mask != 0 {
			changes[i].Mask &= mask
		}
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}
