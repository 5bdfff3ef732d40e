package diplomacy

import (
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// citable maps what a dispute may cite to the object of the desk that
// holds it: a link to another desk by entry index, as the architecture
// has desks link, read through the constants those desks export.
var citable = map[string]string{
	"message":      hotline.ObjMessage,
	"incident":     deconflict.ObjIncident,
	"activity":     deconflict.ObjNotification,
	"verification": deconflict.ObjVerification,
}

// FilePayload is the payload of dispute.file.
type FilePayload struct {
	record.Header
	Respondent  string       `json:"respondent"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Articles    []ArticleRef `json:"articles"`
	Cites       []Cite       `json:"cites,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Dispute steps awaited, as dues items.
const (
	stepAck      = "ack"
	stepResponse = "response"
	stepFinding  = "finding"
	stepAccept   = "accept"
)

func disputeDue(d Dispute, step, party string, now time.Time, window time.Duration) store.Change {
	return dues.Put(dues.Due{Kind: DueDispute, Ref: d.ID, Item: step, Party: party, Precedence: "PRIORITY",
		Title: d.Title, Start: now, Window: window})
}

func deadline(c *cell.Command, name string, def time.Duration) (time.Duration, error) {
	info, err := cell.GetInfo(c.Ctx, c.View)
	if err != nil {
		return 0, err
	}
	return info.Settings.Deadline(name, def), nil
}

// disputeFile files a dispute against another side, citing articles and
// what happened, on evidence both sides read: a cite the respondent may not
// read could not travel with the dispute, and is refused.
func disputeFile(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDiplomacy, cell.Target{Doing: "filing a dispute"}); err != nil {
		return store.Effect{}, err
	}
	if cell.May(c.Actor, cell.FileDispute, cell.Target{}) != nil {
		return store.Effect{}, forbidden("a side files a dispute; the mediator settles it")
	}
	var p FilePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	claimant := party(c.Actor)
	if !isSide(c, p.Respondent) || p.Respondent == claimant {
		return store.Effect{}, invalid("respondent %q: another side of this cell", p.Respondent)
	}
	if err := checkText("title", p.Title, MaxTitle, true); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("description", p.Description, MaxText, true); err != nil {
		return store.Effect{}, err
	}
	if len(p.Articles) == 0 || len(p.Articles) > 20 {
		return store.Effect{}, invalid("a dispute cites 1 to 20 articles of the agreements")
	}
	for _, a := range p.Articles {
		if _, _, err := article(c, a); err != nil {
			return store.Effect{}, err
		}
	}
	if len(p.Cites) > MaxCites {
		return store.Effect{}, invalid("at most %d cites", MaxCites)
	}
	resp, err := cell.GetParty(c.Ctx, c.View, p.Respondent)
	if err != nil {
		return store.Effect{}, err
	}
	for i := range p.Cites {
		ct := &p.Cites[i]
		kind, ok := citable[ct.Kind]
		if !ok {
			return store.Effect{}, invalid("cites[%d]: kind %q: want message, incident, activity or verification", i, ct.Kind)
		}
		o, err := c.View.Get(c.Ctx, kind, itoa(ct.ID))
		if err != nil || !cell.MayRead(c.Actor, o.Mask) {
			return store.Effect{}, invalid("cites[%d]: no %s %d", i, ct.Kind, ct.ID)
		}
		if !cell.PartyReads(resp, o.Mask) {
			return store.Effect{}, invalid("cites[%d]: %s %d is not %s's to read, so it cannot travel with the dispute: share it with them first",
				i, ct.Kind, ct.ID, p.Respondent)
		}
		ct.Entries = []int64{o.Seq}
		if o.Updated != o.Seq {
			ct.Entries = append(ct.Entries, o.Updated)
		}
	}
	if len(p.Attachments) > 10 {
		return store.Effect{}, invalid("at most 10 attachments")
	}
	for _, at := range p.Attachments {
		if !sha256Hex.MatchString(at.SHA256) {
			return store.Effect{}, invalid("attachment sha256 %q is not a lower-case hex SHA-256", at.SHA256)
		}
		if err := checkText("attachment name", at.Name, 255, true); err != nil {
			return store.Effect{}, err
		}
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := cell.Audience(parties, claimant, p.Respondent)
	if err != nil {
		return store.Effect{}, err
	}
	window, err := deadline(c, "dispute.ack", DefaultAckDeadline)
	if err != nil {
		return store.Effect{}, err
	}
	med, err := mediatorOf(c)
	if err != nil {
		return store.Effect{}, err
	}
	if p.Cites == nil {
		p.Cites = []Cite{}
	}
	d := Dispute{ID: idx, Claimant: claimant, Respondent: p.Respondent, Member: member(c.Actor), Title: p.Title, Description: p.Description,
		Articles: p.Articles, Cites: p.Cites, Attachments: p.Attachments, Status: DisputeFiled, Filed: now, Due: now.Add(window),
		Entries: []int64{idx}}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		putDispute(d), disputeDue(d, stepAck, med, now, window)}}, nil
}

// DisputeRef is a payload naming a dispute, with a text.
type DisputeRef struct {
	record.Header
	Dispute int64  `json:"dispute"`
	Text    string `json:"text,omitempty"`
	// Outcome is a finding's conclusion.
	Outcome string `json:"outcome,omitempty"`
}

// visibleDispute loads a dispute the actor may read; otherwise as if it
// did not exist.
func visibleDispute(c *cell.Command, id int64) (Dispute, store.Object, error) {
	d, o, err := get[Dispute](c, ObjDispute, itoa(id))
	if err != nil || !cell.MayRead(c.Actor, o.Mask) {
		return Dispute{}, store.Object{}, invalid("no dispute %d", id)
	}
	return d, o, nil
}

// step advances a dispute: it checks who may take the step and in what
// state, records it, ends the wait it answers and starts the next.
func step(c *cell.Command, id int64, want string, who func(d Dispute) bool, whoWords string,
	apply func(d *Dispute, idx int64, now time.Time) ([]store.Change, error)) (store.Effect, error) {
	d, o, err := visibleDispute(c, id)
	if err != nil {
		return store.Effect{}, err
	}
	if !who(d) {
		return store.Effect{}, forbidden("%s", whoWords)
	}
	if d.Status != want {
		return store.Effect{}, conflict("dispute %d is %s, not %s", d.ID, d.Status, want)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	changes, err := apply(&d, idx, now)
	if err != nil {
		return store.Effect{}, err
	}
	d.Entries = append(d.Entries, idx)
	changes = append(changes, putDispute(d))
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

func disputeAck(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "acknowledging a dispute"}); err != nil {
		return store.Effect{}, err
	}
	var p DisputeRef
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("text", p.Text, MaxText, false); err != nil {
		return store.Effect{}, err
	}
	return step(c, p.Dispute, DisputeFiled, func(Dispute) bool { return true }, "", func(d *Dispute, idx int64, now time.Time) ([]store.Change, error) {
		window, err := deadline(c, "dispute.response", DefaultResponseDeadline)
		if err != nil {
			return nil, err
		}
		d.Status, d.Due = DisputeAcknowledged, now.Add(window)
		return []store.Change{dues.ItemDone(DueDispute, d.ID, stepAck, party(c.Actor)), disputeDue(*d, stepResponse, d.Respondent, now, window)}, nil
	})
}

func disputeRespond(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDiplomacy, cell.Target{Doing: "responding to a dispute"}); err != nil {
		return store.Effect{}, err
	}
	var p DisputeRef
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("text", p.Text, MaxText, true); err != nil {
		return store.Effect{}, err
	}
	me := party(c.Actor)
	return step(c, p.Dispute, DisputeAcknowledged, func(d Dispute) bool { return d.Respondent == me }, "the respondent responds to a dispute",
		func(d *Dispute, idx int64, now time.Time) ([]store.Change, error) {
			window, err := deadline(c, "dispute.finding", DefaultFindingDeadline)
			if err != nil {
				return nil, err
			}
			med, err := mediatorOf(c)
			if err != nil {
				return nil, err
			}
			d.Status, d.Due = DisputeResponded, now.Add(window)
			d.Response = &Note{Text: p.Text, By: member(c.Actor), At: now, Entry: idx}
			return []store.Change{dues.ItemDone(DueDispute, d.ID, stepResponse, me), disputeDue(*d, stepFinding, med, now, window)}, nil
		})
}

// Finding outcomes.
var FindingOutcomes = []string{"upheld", "not_upheld", "partly_upheld"}

func disputeFinding(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "a dispute's finding"}); err != nil {
		return store.Effect{}, err
	}
	var p DisputeRef
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("text", p.Text, MaxText, true); err != nil {
		return store.Effect{}, err
	}
	if !slices.Contains(FindingOutcomes, p.Outcome) {
		return store.Effect{}, invalid("outcome %q: want upheld, not_upheld or partly_upheld", p.Outcome)
	}
	return step(c, p.Dispute, DisputeResponded, func(Dispute) bool { return true }, "", func(d *Dispute, idx int64, now time.Time) ([]store.Change, error) {
		window, err := deadline(c, "dispute.response", DefaultResponseDeadline)
		if err != nil {
			return nil, err
		}
		d.Status, d.Due = DisputeFound, now.Add(window)
		d.Finding = &Note{Text: p.Text, Outcome: p.Outcome, By: member(c.Actor), At: now, Entry: idx}
		d.Accepts = map[string]Accept{}
		return []store.Change{dues.ItemDone(DueDispute, d.ID, stepFinding, party(c.Actor)),
			disputeDue(*d, stepAccept, d.Claimant, now, window), disputeDue(*d, stepAccept, d.Respondent, now, window)}, nil
	})
}

// AcceptPayload is the payload of dispute.accept.
type AcceptPayload struct {
	record.Header
	Dispute int64  `json:"dispute"`
	Accept  bool   `json:"accept"`
	Reason  string `json:"reason,omitempty"`
}

// disputeAccept records a party's answer to the finding: both accepting
// resolves the dispute; one refusing escalates it to the agenda of the next
// talks round (or, with none called, to the first one called).
func disputeAccept(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.SignForParty, cell.Target{Doing: "answering a finding"}); err != nil {
		return store.Effect{}, err
	}
	var p AcceptPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if !p.Accept {
		if err := checkText("reason", p.Reason, MaxText, true); err != nil {
			return store.Effect{}, invalid("a refusal of the finding gives its reason")
		}
	}
	me := party(c.Actor)
	return step(c, p.Dispute, DisputeFound, func(d Dispute) bool { return d.Claimant == me || d.Respondent == me },
		"the parties to the dispute answer its finding", func(d *Dispute, idx int64, now time.Time) ([]store.Change, error) {
			if _, done := d.Accepts[me]; done {
				return nil, conflict("%s has answered the finding of dispute %d", me, d.ID)
			}
			d.Accepts = maps.Clone(d.Accepts)
			if d.Accepts == nil {
				d.Accepts = map[string]Accept{}
			}
			d.Accepts[me] = Accept{Accept: p.Accept, Reason: p.Reason, By: member(c.Actor), At: now, Entry: idx}
			changes := []store.Change{dues.ItemDone(DueDispute, d.ID, stepAccept, me)}
			switch {
			case !p.Accept:
				other := d.Claimant
				if me == d.Claimant {
					other = d.Respondent
				}
				changes = append(changes, dues.ItemDone(DueDispute, d.ID, stepAccept, other))
				d.Status, d.Due = DisputeEscalated, time.Time{}
				more, err := escalate(c, d, now)
				if err != nil {
					return nil, err
				}
				changes = append(changes, more...)
			case len(d.Accepts) == 2:
				d.Status, d.Due = DisputeResolved, time.Time{}
			}
			return changes, nil
		})
}

// escalate puts a dispute on the agenda of the next talks round, or among
// the items waiting for one; the item is for the dispute's parties only.
func escalate(c *cell.Command, d *Dispute, now time.Time) ([]store.Change, error) {
	o, err := c.View.Get(c.Ctx, ObjDispute, itoa(d.ID))
	if err != nil {
		return nil, err
	}
	item := AgendaItem{ID: "dispute-" + itoa(d.ID), Desk: cell.RoleDiplomatic, Title: "Dispute: " + d.Title, Dispute: d.ID}
	r, err := nextRound(c, now)
	if err != nil {
		return nil, err
	}
	if r == "" {
		return []store.Change{narrowed(ObjPending, item.ID, "", item, o.Mask)}, nil
	}
	d.Round, item.Round = r, r
	return []store.Change{narrowed(ObjAgendaItem, r+"/"+item.ID, r, item, o.Mask)}, nil
}

// SharePayload is the payload of dispute.share: the mediator shows an
// observer a dispute, restating what it shows, which is what the observer
// reads of it (never the finding).
type SharePayload struct {
	record.Header
	Dispute     int64  `json:"dispute"`
	Observer    string `json:"observer"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Status      string `json:"status"`
	Note        string `json:"note,omitempty"`
}

func disputeShare(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "sharing a dispute"}); err != nil {
		return store.Effect{}, err
	}
	var p SharePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	d, o, err := visibleDispute(c, p.Dispute)
	if err != nil {
		return store.Effect{}, err
	}
	obs, err := cell.GetParty(c.Ctx, c.View, p.Observer)
	if err != nil || obs.Kind != cell.Observer {
		return store.Effect{}, invalid("%q is not an observer of this cell", p.Observer)
	}
	if p.Title != d.Title || p.Description != d.Description || p.Status != d.Status {
		return store.Effect{}, invalid("a share restates the dispute as it is (title, description, status %q), for the observer's record", d.Status)
	}
	if err := checkText("note", p.Note, MaxText, false); err != nil {
		return store.Effect{}, err
	}
	_, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	ids, _ := cell.AudienceOfMask(parties, o.Mask)
	aud, mask, err := cell.Audience(parties, append(ids, obs.ID)...)
	if err != nil {
		return store.Effect{}, err
	}
	s := SharedDispute{Dispute: d.ID, Observer: obs.ID, Title: d.Title, Description: d.Description, Claimant: d.Claimant,
		Respondent: d.Respondent, Status: d.Status, Note: p.Note, At: now}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjDisputeShare, itoa(d.ID)+"/"+obs.ID, obs.ID, s)}}, nil
}
