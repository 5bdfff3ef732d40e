package intel

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/liaison-cell/liaison/internal/store"
)

// The desk's reads, over a reader's view (cell.ReadView): each holds only
// what the reader may read, and what it may not read is absent, as if it
// did not exist.

// maxList bounds what one list reads.
const maxList = 10_000

func listOf[T any](ctx context.Context, v store.View, kind, parent string) ([]T, error) {
	return store.ListDocs[T](ctx, v, kind, parent, maxList)
}

func getOf[T any](ctx context.Context, v store.View, kind, id string) (T, error) {
	x, _, err := store.GetDoc[T](ctx, v, kind, id)
	return x, err
}

// Submissions lists the submissions the reader reads (its party's; every
// party's for the mediator), newest first; status "" for all of them.
func Submissions(ctx context.Context, v store.View, status string) ([]Submission, error) {
	all, err := listOf[Submission](ctx, v, ObjSubmission, "")
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(all, func(s Submission) bool { return status != "" && s.Status != status })
	slices.SortFunc(out, func(a, b Submission) int { return cmp.Compare(b.ID, a.ID) })
	return out, nil
}

// SubmissionDetail is a submission with what the reader may read of its
// review: the proposals, for the mediator.
type SubmissionDetail struct {
	Submission
	Proposals []Proposal `json:"proposals,omitempty"`
}

// GetSubmission returns a submission and its proposals, oldest first.
func GetSubmission(ctx context.Context, v store.View, id int64) (SubmissionDetail, error) {
	s, err := getOf[Submission](ctx, v, ObjSubmission, itoa(id))
	if err != nil {
		return SubmissionDetail{}, err
	}
	ps, err := listOf[Proposal](ctx, v, ObjProposal, itoa(id))
	if err != nil {
		return SubmissionDetail{}, err
	}
	return SubmissionDetail{Submission: s, Proposals: ps}, nil
}

// GetProposal returns a proposal (the mediator's alone).
func GetProposal(ctx context.Context, v store.View, id string) (Proposal, error) {
	return getOf[Proposal](ctx, v, ObjProposal, id)
}

// Bundle returns a submission's bundle exactly as it was submitted.
func Bundle(ctx context.Context, v store.View, id int64) ([]byte, error) {
	o, err := v.Get(ctx, ObjBundle, itoa(id))
	if err != nil {
		return nil, err
	}
	return o.Doc, nil
}

// ReleaseDetail is a release as the reader reads it; for the mediator, with
// its original beside it.
type ReleaseDetail struct {
	ReleaseInfo
	Derivation *Derivation  `json:"derivation,omitempty"`
	Original   *Submission  `json:"original,omitempty"`
	Proposal   *Proposal    `json:"proposal,omitempty"`
	Answers    []Submission `json:"answers,omitempty"`
}

// Releases lists the releases the reader reads, newest first.
func Releases(ctx context.Context, v store.View) ([]ReleaseDetail, error) {
	rs, err := listOf[ReleaseInfo](ctx, v, ObjRelease, CollParent)
	if err != nil {
		return nil, err
	}
	out := make([]ReleaseDetail, 0, len(rs))
	for _, r := range rs {
		d, err := detail(ctx, v, r, false)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b ReleaseDetail) int { return cmp.Compare(b.Entry, a.Entry) })
	return out, nil
}

// GetRelease returns one release, with the answers to it the reader reads.
func GetRelease(ctx context.Context, v store.View, id string) (ReleaseDetail, error) {
	r, err := getOf[ReleaseInfo](ctx, v, ObjRelease, id)
	if err != nil {
		return ReleaseDetail{}, err
	}
	return detail(ctx, v, r, true)
}

func detail(ctx context.Context, v store.View, r ReleaseInfo, answers bool) (ReleaseDetail, error) {
	d := ReleaseDetail{ReleaseInfo: r}
	der, err := getOf[Derivation](ctx, v, ObjDerivation, r.ID)
	switch {
	case err == nil:
		d.Derivation = &der
		if s, err := getOf[Submission](ctx, v, ObjSubmission, itoa(der.Submission)); err == nil {
			d.Original = &s
		}
		if p, err := getOf[Proposal](ctx, v, ObjProposal, r.ID); err == nil {
			d.Proposal = &p
		}
	case !errors.Is(err, store.ErrNotFound):
		return d, err
	}
	if answers {
		subs, err := Submissions(ctx, v, "")
		if err != nil {
			return d, err
		}
		for _, s := range subs {
			if s.ReplyTo == r.ID {
				d.Answers = append(d.Answers, s)
			}
		}
	}
	return d, nil
}

// ReleaseBundle returns a release's bundle exactly as its publisher signed
// it.
func ReleaseBundle(ctx context.Context, v store.View, id string) ([]byte, error) {
	o, err := v.Get(ctx, ObjReleaseBundle, id)
	if err != nil {
		return nil, err
	}
	return o.Doc, nil
}

// ReleaseObjects returns the objects a release put in the collection coll,
// as the reader reads them, in the order written: what it wrote are the
// versions whose position is the release's entry.
func ReleaseObjects(ctx context.Context, v store.View, r ReleaseInfo, coll string) ([]Stored, error) {
	pg, ok := v.(store.Pager)
	if !ok {
		return nil, errors.New("intel: the view does not page")
	}
	var out []Stored
	seq, id := r.Entry, ""
	for {
		os, err := pg.Page(ctx, ObjObject, coll, seq, id, 1000)
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			if o.Seq != r.Entry {
				return out, nil
			}
			s, err := store.Decode[Stored](o)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		if len(os) < 1000 {
			return out, nil
		}
		seq, id = os[len(os)-1].Seq, os[len(os)-1].ID
	}
}

// CollectionOf is the collection of a release that reader party reads:
// its own, or, for the mediator (party ""), the first recipient's.
func CollectionOf(r ReleaseInfo, party string, parties func(member string) string) string {
	if party != "" {
		return Released(party)
	}
	if len(r.To) > 0 {
		return Released(r.To[0])
	}
	if len(r.Members) > 0 {
		return Released(parties(r.Members[0]))
	}
	return ""
}

// StagedOf lists member's staged TAXII posts, newest first.
func StagedOf(ctx context.Context, v store.View, member string) ([]Staged, error) {
	out, err := listOf[Staged](ctx, v, ObjStaged, member)
	slices.SortFunc(out, func(a, b Staged) int { return cmp.Compare(b.ID, a.ID) })
	return out, err
}

// QueueItem is a submission waiting for the gate, with its open proposal.
type QueueItem struct {
	Submission
	Proposal *Proposal `json:"proposal,omitempty"`
}

// Queue is the mediator's review queue: submissions waiting for a
// decision, oldest (most urgent) first, each with its open proposal.
func Queue(ctx context.Context, v store.View) ([]QueueItem, error) {
	subs, err := Submissions(ctx, v, StatusSubmitted)
	if err != nil {
		return nil, err
	}
	out := make([]QueueItem, 0, len(subs))
	for _, s := range slices.Backward(subs) {
		q := QueueItem{Submission: s}
		ps, err := listOf[Proposal](ctx, v, ObjProposal, itoa(s.ID))
		if err != nil {
			return nil, err
		}
		for i := range ps {
			if ps[i].Status == ProposalOpen || ps[i].Status == ProposalApproved {
				q.Proposal = &ps[i]
			}
		}
		out = append(out, q)
	}
	return out, nil
}
