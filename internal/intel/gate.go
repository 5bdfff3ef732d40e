package intel

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/stix"
	"github.com/liaison-cell/liaison/internal/store"
)

// ProposePayload is the payload of intel.propose.
type ProposePayload struct {
	record.Header
	// Proposal is a new random id (32 lower-case hex digits) chosen by the
	// proposer: the release names it, and nothing that leads back to the
	// submission.
	Proposal   string   `json:"proposal"`
	Submission int64    `json:"submission"`
	Decision   string   `json:"decision"`
	To         []string `json:"to,omitempty"`
	Members    []string `json:"members,omitempty"`
	Sanitize   *Recipe  `json:"sanitize,omitempty"`
	Reason     string   `json:"reason,omitempty"`
}

// ApprovePayload is the payload of intel.approve. It restates the decision
// as the submitter will read it, from the proposal the approving member
// read: what a projection shows its entry must say. For a withholding or a
// return, Reason is the proposal's, addressed to the submitter; for a
// release it is empty, the analyst's rationale staying with the mediator.
type ApprovePayload struct {
	record.Header
	Proposal string `json:"proposal"`
	// Submission and ProposedBy restate what is decided and whose
	// proposal it is: the four eyes are the proposer's and the
	// approver's, and the submitter, who reads the approval but not the
	// proposal, learns both from it.
	Submission int64    `json:"submission"`
	ProposedBy string   `json:"proposed_by"`
	Decision   string   `json:"decision"`
	To         []string `json:"to,omitempty"`
	Members    []string `json:"members,omitempty"`
	Sanitized  bool     `json:"sanitized,omitempty"`
	Reason     string   `json:"reason,omitempty"`
}

// Approval is the approve payload's restatement of p, what the approving
// member signs.
func Approval(p Proposal) map[string]any {
	m := map[string]any{"proposal": p.ID, "submission": p.Submission, "proposed_by": p.ProposedBy, "decision": p.Decision}
	if len(p.To) > 0 {
		m["to"] = p.To
	}
	if len(p.Members) > 0 {
		m["members"] = p.Members
	}
	if p.Sanitize != nil {
		m["sanitized"] = true
	}
	if p.Decision != Release {
		m["reason"] = p.Reason
	}
	return m
}

// ReleasePayload is the payload of intel.release.
type ReleasePayload struct {
	record.Header
	Proposal string `json:"proposal"`
	// Title is the release's, as its recipients read it: the mediator's
	// words, which need not be the submitter's.
	Title string `json:"title"`
	// Bundle is what is released, exactly as Draft makes it: the member
	// who publishes signs the content, and the entry its recipients read
	// holds it, so that each can prove what it was given.
	Bundle json.RawMessage `json:"bundle"`
}

var proposalID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// derivationKey is the key of a derivative's ids: a hash of the original
// bundle's exact bytes. Whoever reads the original (its submitter, the
// mediator) can compute it and so link a derivative to it; a recipient of
// the derivative cannot, not knowing the original. It is a function of
// the log, so a replay derives the same ids.
func derivationKey(bundle []byte) []byte {
	h := sha256.New()
	h.Write([]byte("liaison intel derivation v1\x00"))
	h.Write(bundle)
	return h.Sum(nil)
}

// outcome is what a proposal releases: the bundle (the original, or its
// derivative), its marking, and the map of derived ids.
type outcome struct {
	bundle *stix.Bundle
	tlp    stix.TLP
	ids    map[string]string
}

func (g gateCtx) released(p Proposal) (outcome, error) { return released(g.c.Ctx, g.c.View, p) }

// Draft is what an approved proposal releases, as the bytes the publishing
// member signs into intel.release.
func Draft(ctx context.Context, v store.View, proposal string) ([]byte, error) {
	p, err := getOf[Proposal](ctx, v, ObjProposal, proposal)
	if err != nil {
		return nil, err
	}
	if p.Decision != Release {
		return nil, invalid("proposal %s does not release anything (%s)", p.ID, p.Decision)
	}
	out, err := released(ctx, v, p)
	if err != nil {
		return nil, err
	}
	return out.bundle.MarshalJSON()
}

func released(ctx context.Context, v store.View, p Proposal) (outcome, error) {
	raw, err := v.Get(ctx, ObjBundle, itoa(p.Submission))
	if err != nil {
		return outcome{}, err
	}
	b, err := stix.ParseBundle(raw.Doc)
	if err != nil {
		return outcome{}, err
	}
	out := outcome{bundle: b}
	if p.Sanitize != nil {
		r := stix.Recipe{RemoveIDs: p.Sanitize.RemoveIDs, RemoveTypes: p.Sanitize.RemoveTypes,
			LocationKm: p.Sanitize.LocationKm, Key: derivationKey(raw.Doc)}
		for _, pp := range p.Sanitize.RemoveProperties {
			r.RemoveProperties = append(r.RemoveProperties, stix.PropertyPath{Type: pp.Type, Path: pp.Path})
		}
		d, ids, err := stix.Sanitize(b, r)
		if err != nil {
			return outcome{}, invalid("sanitize: %v", err)
		}
		out.bundle, out.ids = d, ids
	}
	if out.bundle.Len() == 0 {
		return outcome{}, invalid("sanitize: nothing is left to release")
	}
	m := out.bundle.Resolver().Max(out.bundle.Objects())
	if len(m.Unresolved) > 0 {
		return outcome{}, invalid("the bundle carries markings the gate cannot read (%v): what they require is not known, so it is not released", m.Unresolved)
	}
	out.tlp = m.TLP
	return out, nil
}

type gateCtx struct {
	c       *cell.Command
	parties []cell.Party
	med     cell.Party
}

func newGate(c *cell.Command) (gateCtx, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return gateCtx{}, err
	}
	med, err := mediator(parties)
	return gateCtx{c: c, parties: parties, med: med}, err
}

// checkRecipients holds a release to what its markings allow: TLP:RED to
// named members only, AMBER+STRICT to one party only, and never to the
// mediator itself (which reads everything) or to a member of it.
func (g gateCtx) checkRecipients(tlp stix.TLP, to, members []string) ([]cell.Member, error) {
	if len(to)+len(members) == 0 {
		return nil, invalid("a release names its recipients: parties (to) or members")
	}
	if len(to) > MaxTo || len(members) > MaxTo {
		return nil, invalid("at most %d recipients of each kind", MaxTo)
	}
	for _, id := range to {
		i := slices.IndexFunc(g.parties, func(p cell.Party) bool { return p.ID == id })
		if i < 0 || g.parties[i].Kind == cell.Mediator {
			return nil, invalid("to: %q is not a party of this cell other than the mediator", id)
		}
	}
	var ms []cell.Member
	for _, id := range members {
		m, err := cell.GetMember(g.c.Ctx, g.c.View, id)
		if err != nil || m.Disabled {
			return nil, invalid("members: %q is not an active member", id)
		}
		if m.Party == g.med.ID {
			return nil, invalid("members: %q is the mediator's, which reads every submission already", id)
		}
		ms = append(ms, m)
	}
	switch tlp {
	case stix.TLPRed:
		if len(to) > 0 {
			return nil, invalid("TLP:RED is released to named members only, not to whole parties (to: %v)", to)
		}
	case stix.TLPAmberStrict:
		ps := slices.Clone(to)
		for _, m := range ms {
			ps = append(ps, m.Party)
		}
		slices.Sort(ps)
		if len(slices.Compact(ps)) > 1 {
			return nil, invalid("TLP:AMBER+STRICT stays within one receiving party: release it to one party at a time")
		}
	}
	return ms, nil
}

// propose is an analyst's proposed decision on a submission; a second
// member of the mediator approves it. A new proposal supersedes an open
// one.
func propose(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.AnalyseIntel, cell.Target{Doing: "proposing a decision"}); err != nil {
		return store.Effect{}, err
	}
	if cell.May(c.Actor, cell.ProposeIntel, cell.Target{}) != nil {
		return store.Effect{}, forbidden("the mediator's analysts review submissions")
	}
	var p ProposePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if !proposalID.MatchString(p.Proposal) {
		return store.Effect{}, invalid("proposal %q: a new random id of 32 lower-case hex digits, which recipients see and which must say nothing", p.Proposal)
	}
	if _, err := c.View.Get(c.Ctx, ObjProposal, p.Proposal); err == nil {
		return store.Effect{}, conflict("proposal %s exists already", p.Proposal)
	}
	sub, _, err := get[Submission](c, ObjSubmission, itoa(p.Submission))
	if err != nil {
		return store.Effect{}, invalid("submission %d: no such submission", p.Submission)
	}
	if sub.Status != StatusSubmitted {
		return store.Effect{}, conflict("submission %d is %s already", p.Submission, sub.Status)
	}
	if err := checkText("reason", p.Reason, MaxText, p.Decision != Release); err != nil {
		return store.Effect{}, err
	}
	g, err := newGate(c)
	if err != nil {
		return store.Effect{}, err
	}
	prop := Proposal{ID: p.Proposal, Submission: p.Submission, Decision: p.Decision, Reason: p.Reason,
		Status: ProposalOpen, ProposedBy: c.Actor.Member.ID}
	switch p.Decision {
	case Release:
		to := p.To
		if len(to) == 0 && len(p.Members) == 0 && sub.ReplyTo != "" {
			// What answers a release goes back to its source by default.
			if d, _, err := get[Derivation](c, ObjDerivation, sub.ReplyTo); err == nil {
				if src, _, err := get[Submission](c, ObjSubmission, itoa(d.Submission)); err == nil {
					to = []string{src.Party}
				}
			}
		}
		prop.To, prop.Members, prop.Sanitize = to, p.Members, p.Sanitize
		out, err := g.released(prop)
		if err != nil {
			return store.Effect{}, err
		}
		if _, err := g.checkRecipients(out.tlp, to, p.Members); err != nil {
			return store.Effect{}, err
		}
		prop.TLP, prop.Count = out.tlp.String(), out.bundle.Len()
	case Withhold, Return:
		if len(p.To)+len(p.Members) > 0 || p.Sanitize != nil {
			return store.Effect{}, invalid("a %s names no recipients and no recipe", p.Decision)
		}
	default:
		return store.Effect{}, invalid("decision %q: want release, withhold or return", p.Decision)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	prop.ProposedAt, prop.Entry = now, idx
	changes := []store.Change{put(ObjProposal, prop.ID, itoa(prop.Submission), prop)}
	open, err := c.View.List(c.Ctx, ObjProposal, itoa(p.Submission), -1, 1000)
	if err != nil {
		return store.Effect{}, err
	}
	for _, o := range open {
		old, err := store.Decode[Proposal](o)
		if err != nil {
			return store.Effect{}, err
		}
		if old.Status == ProposalOpen {
			old.Status = ProposalSuperseded
			changes = append(changes, put(ObjProposal, old.ID, o.Parent, old))
		}
	}
	aud, mask, err := cell.Audience(g.parties)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// approve is the second member's decision: the submitter learns it. A
// release is then published by intel.release, for its recipients alone.
func approve(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.DecideIntel, cell.Target{Doing: "approving a decision"}); err != nil {
		return store.Effect{}, err
	}
	var p ApprovePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	prop, _, err := get[Proposal](c, ObjProposal, p.Proposal)
	if err != nil {
		return store.Effect{}, invalid("proposal %q: no such proposal", p.Proposal)
	}
	if prop.Status != ProposalOpen {
		return store.Effect{}, conflict("proposal %s is %s", prop.ID, prop.Status)
	}
	if prop.ProposedBy == c.Actor.Member.ID {
		return store.Effect{}, forbidden("four eyes: %s proposed this decision, and another member of the mediator must approve it", prop.ProposedBy)
	}
	wantReason := prop.Reason
	if prop.Decision == Release {
		wantReason = ""
	}
	if p.Decision != prop.Decision || !slices.Equal(p.To, prop.To) || !slices.Equal(p.Members, prop.Members) ||
		p.Sanitized != (prop.Sanitize != nil) || p.Reason != wantReason || p.Submission != prop.Submission || p.ProposedBy != prop.ProposedBy {
		return store.Effect{}, invalid("the approval restates proposal %s as it stands (submission, proposer, decision, to, members, sanitized, and the reason of a withholding or a return): re-read it", prop.ID)
	}
	sub, _, err := get[Submission](c, ObjSubmission, itoa(prop.Submission))
	if err != nil {
		return store.Effect{}, err
	}
	if sub.Status != StatusSubmitted {
		return store.Effect{}, conflict("submission %d is %s already", sub.ID, sub.Status)
	}
	g, err := newGate(c)
	if err != nil {
		return store.Effect{}, err
	}
	eff, idx, now, err := approvalEffect(c, g, sub, p)
	if err != nil {
		return store.Effect{}, err
	}
	prop.Status, prop.ApprovedBy, prop.ApprovedAt, prop.Approval = ProposalApproved, c.Actor.Member.ID, now, idx
	eff.Changes = append(eff.Changes, narrowed(put(ObjProposal, prop.ID, itoa(prop.Submission), prop), g.med.Bit(), nil))
	return eff, nil
}

// approvalEffect is what an approval writes for the submitter: the
// gate's decision on its submission, and the mediator's review done.
func approvalEffect(c *cell.Command, g gateCtx, sub Submission, p ApprovePayload) (store.Effect, int64, time.Time, error) {
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, 0, now, err
	}
	sub.Decision = &Decision{Decision: p.Decision, To: p.To, Members: p.Members, Sanitized: p.Sanitized,
		Reason: p.Reason, ProposedBy: p.ProposedBy, ApprovedBy: c.Actor.Member.ID, At: now, Entry: idx}
	switch p.Decision {
	case Release:
		sub.Status = StatusReleased
	case Withhold:
		sub.Status = StatusWithheld
	case Return:
		sub.Status = StatusReturned
	}
	aud, mask, err := cell.Audience(g.parties, sub.Party)
	if err != nil {
		return store.Effect{}, 0, now, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjSubmission, itoa(sub.ID), sub.Party, sub),
		dues.Done(DueReview, sub.ID, g.med.ID),
	}}, idx, now, nil
}

// replayApprove projects an approval for its submitter's mirror, which
// does not read the mediator's proposal: the approval restates the
// decision, the submission and the proposer, which the cell checked
// against the proposal.
func replayApprove(c *cell.Command) (store.Effect, error) {
	var p ApprovePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	sub, _, err := get[Submission](c, ObjSubmission, itoa(p.Submission))
	if err != nil {
		return store.Effect{}, invalid("submission %d: not in this view", p.Submission)
	}
	g, err := newGate(c)
	if err != nil {
		return store.Effect{}, err
	}
	eff, _, _, err := approvalEffect(c, g, sub, p)
	return eff, err
}

// release publishes an approved release to its recipients: each party's
// objects in its "released" collection, for it and the mediator; named
// members' for them alone.
func release(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.DecideIntel, cell.Target{Doing: "publishing a release"}); err != nil {
		return store.Effect{}, err
	}
	var p ReleasePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	prop, _, err := get[Proposal](c, ObjProposal, p.Proposal)
	if err != nil {
		return store.Effect{}, invalid("proposal %q: no such proposal", p.Proposal)
	}
	if prop.Status != ProposalApproved || prop.Decision != Release {
		return store.Effect{}, conflict("proposal %s is not an approved release (%s, %s)", prop.ID, prop.Decision, prop.Status)
	}
	sub, _, err := get[Submission](c, ObjSubmission, itoa(prop.Submission))
	if err != nil {
		return store.Effect{}, err
	}
	g, err := newGate(c)
	if err != nil {
		return store.Effect{}, err
	}
	out, err := g.released(prop)
	if err != nil {
		return store.Effect{}, err
	}
	if err := checkText("title", p.Title, MaxTitle, true); err != nil {
		return store.Effect{}, err
	}
	if len(p.Bundle) == 0 {
		return store.Effect{}, invalid("bundle: the release carries what it releases, as the proposal's draft gives it (GET /api/v1/intel/proposals/%s/draft)", prop.ID)
	}
	signed, err := parseBundle(p.Bundle)
	if err != nil {
		return store.Effect{}, err
	}
	want, _ := out.bundle.MarshalJSON()
	// A publisher signs the draft's bytes as they are, and parsing them
	// re-serializes them exactly (the stix package's round trip): only
	// other bytes need re-serializing to be compared.
	if !bytes.Equal(p.Bundle, want) {
		if got, _ := signed.MarshalJSON(); !bytes.Equal(got, want) {
			return store.Effect{}, invalid("bundle: not what proposal %s releases: sign its draft as it is (GET /api/v1/intel/proposals/%s/draft)", prop.ID, prop.ID)
		}
	}
	ms, err := g.checkRecipients(out.tlp, prop.To, prop.Members)
	if err != nil {
		return store.Effect{}, err
	}
	eff, idx, err := releaseEffect(c, g, releaseSpec{id: prop.ID, title: p.Title, raw: p.Bundle, out: out, to: prop.To, members: ms, answer: sub.ReplyTo})
	if err != nil {
		return store.Effect{}, err
	}
	prop.Status, prop.Released = ProposalReleased, idx
	eff.Changes = append(eff.Changes,
		narrowed(put(ObjProposal, prop.ID, itoa(prop.Submission), prop), g.med.Bit(), nil),
		narrowed(put(ObjDerivation, prop.ID, "", Derivation{Release: prop.ID, Submission: sub.ID, Sanitized: prop.Sanitize != nil, IDs: out.ids}), g.med.Bit(), nil))
	return eff, nil
}

// releaseSpec is what a release publishes, as its decision judged it.
type releaseSpec struct {
	id, title string
	raw       []byte // the bundle as signed
	out       outcome
	to        []string
	members   []cell.Member
	answer    string
}

// releaseEffect is what a release writes for its readers: the release,
// its bundle, and the objects each recipient's collection holds.
func releaseEffect(c *cell.Command, g gateCtx, r releaseSpec) (store.Effect, int64, error) {
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, 0, err
	}
	aud, mask, err := cell.Audience(g.parties, r.to...)
	if err != nil {
		return store.Effect{}, 0, err
	}
	aud, named := cell.WithMembers(aud, r.members)
	memberIDs := make([]string, len(r.members))
	for i, m := range r.members {
		memberIDs[i] = m.ID
	}
	info := ReleaseInfo{ID: r.id, Title: r.title, BundleID: r.out.bundle.ID(), To: r.to, Members: memberIDs,
		TLP: r.out.tlp.String(), Count: r.out.bundle.Len(), Types: typesOf(r.out.bundle), At: now, Entry: idx, Answer: r.answer}
	changes := []store.Change{
		put(ObjRelease, r.id, CollParent, info),
		{Kind: ObjReleaseBundle, ID: r.id, Doc: r.raw},
	}
	for _, party := range r.to {
		pt, err := cell.GetParty(c.Ctx, c.View, party)
		if err != nil {
			return store.Effect{}, 0, err
		}
		objs, err := putObjects(c, Released(party), r.out.bundle, now, idx, pt.Bit()|g.med.Bit(), nil)
		if err != nil {
			return store.Effect{}, 0, err
		}
		changes = append(changes, objs...)
	}
	byParty := map[string][]string{}
	for _, m := range r.members {
		if !slices.Contains(r.to, m.Party) {
			byParty[m.Party] = append(byParty[m.Party], m.ID)
		}
	}
	for _, party := range sortedKeys(byParty) {
		objs, err := putObjects(c, Released(party), r.out.bundle, now, idx, g.med.Bit(), byParty[party])
		if err != nil {
			return store.Effect{}, 0, err
		}
		changes = append(changes, objs...)
	}
	return store.Effect{Audience: aud, Mask: mask, Members: named, Changes: changes}, idx, nil
}

// replayRelease projects a release for a reader who does not read the
// mediator's proposal behind it (a recipient party's mirror): the bundle
// is the one signed into the entry, the recipients are the entry's logged
// audience. Which earlier release it answers is the submission's, which
// the reader may not read: it is left out.
func replayRelease(c *cell.Command) (store.Effect, error) {
	var p ReleasePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	b, err := parseBundle(p.Bundle)
	if err != nil {
		return store.Effect{}, err
	}
	m := b.Resolver().Max(b.Objects())
	g, err := newGate(c)
	if err != nil {
		return store.Effect{}, err
	}
	var to []string
	var members []cell.Member
	for _, a := range c.Entry.Audience {
		if id := record.NamedMember(a); id != "" {
			party, _, _ := strings.Cut(a, "/")
			members = append(members, cell.Member{ID: id, Party: party})
		} else if a != g.med.ID && a != record.Everyone {
			to = append(to, a)
		}
	}
	slices.Sort(to)
	eff, _, err := releaseEffect(c, g, releaseSpec{id: p.Proposal, title: p.Title, raw: p.Bundle, out: outcome{bundle: b, tlp: m.TLP}, to: to, members: members})
	return eff, err
}
