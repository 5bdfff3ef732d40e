package diplomacy

import (
	"slices"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// CommitmentPayload is the payload of commitment.create.
type CommitmentPayload struct {
	record.Header
	Commitment Commitment `json:"commitment"`
}

// overdueWindow is how long before its due date a milestone starts to be
// awaited as a due: it escalates at the date, and a day after.
const overdueWindow = 24 * time.Hour

// milestoneDue is the wait on a milestone: the responsible party's, due at
// its date.
func milestoneDue(c Commitment, m Milestone, ref int64) store.Change {
	return dues.Put(dues.Due{Kind: DueMilestone, Ref: ref, Item: m.ID, Party: c.Party, Precedence: "PRIORITY",
		Title: c.Title + ": " + m.Title, Start: m.Due.Add(-overdueWindow), Window: overdueWindow})
}

func checkCommitment(c *cell.Command, x *Commitment) error {
	if !idPattern.MatchString(x.ID) {
		return invalid("commitment id %q: use lower-case letters, digits, '.', '_' or '-'", x.ID)
	}
	if x.Kind != KindCommitment && x.Kind != KindWithdrawal {
		return invalid("kind %q: want commitment or withdrawal", x.Kind)
	}
	if err := checkText("title", x.Title, MaxTitle, true); err != nil {
		return err
	}
	if err := cell.CheckNames("titles", x.Titles); err != nil {
		return err
	}
	if _, _, err := article(c, x.Article); err != nil {
		return err
	}
	if !isSide(c, x.Party) {
		return invalid("%q is not a side of this cell: a side owes a commitment", x.Party)
	}
	if len(x.Milestones) == 0 || len(x.Milestones) > MaxMilestone {
		return invalid("a commitment has 1 to %d milestones", MaxMilestone)
	}
	seen := map[string]bool{}
	for i, m := range x.Milestones {
		if !idPattern.MatchString(m.ID) || seen[m.ID] {
			return invalid("milestones[%d]: an id of lower-case letters and digits, once", i)
		}
		seen[m.ID] = true
		if err := checkText("milestones["+m.ID+"].title", m.Title, MaxTitle, true); err != nil {
			return err
		}
		if m.Due.IsZero() {
			return invalid("milestone %s has no due date", m.ID)
		}
		if x.Kind == KindWithdrawal {
			if m.Zone == "" {
				return invalid("phase %s names no zone: the line to withdraw to, or the area to vacate", m.ID)
			}
			if !deconflict.ZoneExists(c.Ctx, c.View, m.Zone) {
				return invalid("phase %s: no zone %q on the de-escalation desk", m.ID, m.Zone)
			}
		} else if m.Zone != "" {
			return invalid("milestone %s: only a withdrawal's phases name zones", m.ID)
		}
	}
	return nil
}

// commitmentCreate records a commitment under an article: the mediator
// records what the parties undertook (a round's outcome may too).
func commitmentCreate(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "recording a commitment"}); err != nil {
		return store.Effect{}, err
	}
	var p CommitmentPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	changes, err := newCommitment(c, &p.Commitment, idx, now)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := table(c)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// newCommitment checks a commitment and returns the changes that record
// it and start the waits on its milestones.
func newCommitment(c *cell.Command, x *Commitment, idx int64, now time.Time) ([]store.Change, error) {
	if err := checkCommitment(c, x); err != nil {
		return nil, err
	}
	if _, err := c.View.Get(c.Ctx, ObjCommitment, x.ID); err == nil {
		return nil, conflict("commitment %q exists", x.ID)
	}
	x.Entry = idx
	changes := []store.Change{}
	for i := range x.Milestones {
		m := &x.Milestones[i]
		m.Due = m.Due.UTC()
		m.Status, m.Reason, m.Entry, m.Report, m.Signoff = Pending, "recorded", idx, nil, nil
		changes = append(changes, milestoneDue(*x, *m, idx))
	}
	return append(changes, put(ObjCommitment, x.ID, x.Party, *x)), nil
}

// StatusPayload is the payload of commitment.status.
type StatusPayload struct {
	record.Header
	Commitment string `json:"commitment"`
	Milestone  string `json:"milestone"`
	Status     string `json:"status"`
	Reason     string `json:"reason"`
}

// commitmentStatus sets a milestone's status, always with its reason. The
// mediator sets any; the responsible party may report itself on track or
// at risk, never its own breach or fulfilment.
func commitmentStatus(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDiplomacy, cell.Target{Doing: "setting a commitment's status"}); err != nil {
		return store.Effect{}, err
	}
	var p StatusPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	x, o, err := get[Commitment](c, ObjCommitment, p.Commitment)
	if err != nil {
		return store.Effect{}, invalid("no commitment %q", p.Commitment)
	}
	i := slices.IndexFunc(x.Milestones, func(m Milestone) bool { return m.ID == p.Milestone })
	if i < 0 {
		return store.Effect{}, invalid("commitment %s has no milestone %q", x.ID, p.Milestone)
	}
	if !slices.Contains(Statuses, p.Status) {
		return store.Effect{}, invalid("status %q: want pending, on_track, at_risk, breached or fulfilled", p.Status)
	}
	if err := checkText("reason", p.Reason, MaxText, true); err != nil {
		return store.Effect{}, invalid("a status is set with its reason")
	}
	switch {
	case cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{}) == nil:
	case party(c.Actor) == x.Party && (p.Status == OnTrack || p.Status == AtRisk):
	default:
		return store.Effect{}, forbidden("the mediator sets a commitment's status; the responsible party reports itself on track or at risk")
	}
	m := &x.Milestones[i]
	if m.Status == Fulfilled {
		return store.Effect{}, conflict("milestone %s of %s is fulfilled", m.ID, x.ID)
	}
	idx, _, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	m.Status, m.Reason, m.Entry = p.Status, p.Reason, idx
	changes := []store.Change{put(ObjCommitment, x.ID, x.Party, x)}
	if p.Status == Fulfilled {
		changes = append(changes, dues.ItemDone(DueMilestone, x.Entry, m.ID, x.Party))
	}
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// ReportPayload is the payload of phase.report: the mediator's report
// after inspecting a withdrawal's phase.
type ReportPayload struct {
	record.Header
	Commitment string `json:"commitment"`
	Milestone  string `json:"milestone"`
	Complete   bool   `json:"complete"`
	Text       string `json:"text"`
}

func phaseReport(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "reporting on a phase"}); err != nil {
		return store.Effect{}, err
	}
	var p ReportPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	x, o, m, err := phaseOf(c, p.Commitment, p.Milestone)
	if err != nil {
		return store.Effect{}, err
	}
	if err := checkText("text", p.Text, MaxText, true); err != nil {
		return store.Effect{}, err
	}
	if m.Status == Fulfilled {
		return store.Effect{}, conflict("phase %s is fulfilled", m.ID)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	m.Report = &PhaseReport{Complete: p.Complete, Text: p.Text, By: member(c.Actor), At: now, Entry: idx}
	m.Signoff = nil
	m.Entry = idx
	if p.Complete {
		m.Status, m.Reason = OnTrack, "the mediator reports the phase complete; the other side's sign-off is awaited"
	} else {
		m.Status, m.Reason = AtRisk, "the mediator reports the phase incomplete: "+p.Text
		if now.After(m.Due) {
			m.Status = Breached
		}
	}
	changes := []store.Change{put(ObjCommitment, x.ID, x.Party, x)}
	if p.Complete {
		for _, s := range otherSides(c, x.Party) {
			changes = append(changes, dues.Put(dues.Due{Kind: DueSignoff, Ref: x.Entry, Item: m.ID, Party: s, Precedence: "PRIORITY",
				Title: "Sign off: " + x.Title + ": " + m.Title, Start: now, Window: 7 * 24 * time.Hour}))
		}
	}
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

func otherSides(c *cell.Command, responsible string) []string {
	ss, _ := sides(c)
	return slices.DeleteFunc(ss, func(s string) bool { return s == responsible })
}

func phaseOf(c *cell.Command, commitment, milestone string) (Commitment, store.Object, *Milestone, error) {
	x, o, err := get[Commitment](c, ObjCommitment, commitment)
	if err != nil {
		return x, o, nil, invalid("no commitment %q", commitment)
	}
	if x.Kind != KindWithdrawal {
		return x, o, nil, invalid("commitment %s is not a withdrawal timetable: it has no phases", x.ID)
	}
	i := slices.IndexFunc(x.Milestones, func(m Milestone) bool { return m.ID == milestone })
	if i < 0 {
		return x, o, nil, invalid("withdrawal %s has no phase %q", x.ID, milestone)
	}
	return x, o, &x.Milestones[i], nil
}

// SignoffPayload is the payload of phase.signoff.
type SignoffPayload struct {
	record.Header
	Commitment string `json:"commitment"`
	Milestone  string `json:"milestone"`
	Accept     bool   `json:"accept"`
	Reason     string `json:"reason,omitempty"`
}

// phaseSignoff is the other side's answer to a phase the mediator reported
// complete: accepted, the phase is fulfilled; refused, it is at risk, with
// the reason.
func phaseSignoff(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.SignForParty, cell.Target{Doing: "signing off a phase"}); err != nil {
		return store.Effect{}, err
	}
	var p SignoffPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	x, o, m, err := phaseOf(c, p.Commitment, p.Milestone)
	if err != nil {
		return store.Effect{}, err
	}
	me := party(c.Actor)
	if me == x.Party || !isSide(c, me) {
		return store.Effect{}, forbidden("the other side signs off a phase, not the party that owes it nor the mediator")
	}
	if m.Report == nil || !m.Report.Complete || m.Signoff != nil || m.Status == Fulfilled {
		return store.Effect{}, conflict("phase %s awaits no sign-off: the mediator has not reported it complete", m.ID)
	}
	if !p.Accept {
		if err := checkText("reason", p.Reason, MaxText, true); err != nil {
			return store.Effect{}, invalid("a refusal gives its reason")
		}
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	m.Signoff = &Signoff{Accept: p.Accept, Reason: p.Reason, By: member(c.Actor), Party: me, At: now, Entry: idx}
	m.Entry = idx
	changes := []store.Change{dues.ItemDone(DueSignoff, x.Entry, m.ID, me)}
	if p.Accept {
		m.Status, m.Reason = Fulfilled, "reported complete by the mediator and signed off by "+me
		changes = append(changes, dues.ItemDone(DueMilestone, x.Entry, m.ID, x.Party))
	} else {
		m.Status, m.Reason = AtRisk, me+" refuses the sign-off: "+p.Reason
	}
	changes = append(changes, put(ObjCommitment, x.ID, x.Party, x))
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}
