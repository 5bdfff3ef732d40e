package diplomacy

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/liaison-cell/liaison/internal/store"
)

// The desk's reads. Each takes the view of the member it answers (the
// API's cell.ReadView), so that it holds only what that member may read.

func list[T any](ctx context.Context, v store.View, kind, parent string) ([]T, error) {
	out := []T{}
	for after := int64(-1); ; {
		objs, err := v.List(ctx, kind, parent, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			after = o.Seq
			var x T
			if err := unmarshal(o, &x); err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		if len(objs) < 1000 {
			return out, nil
		}
	}
}

func one[T any](ctx context.Context, v store.View, kind, id string) (T, error) {
	var x T
	o, err := v.Get(ctx, kind, id)
	if err != nil {
		return x, err
	}
	return x, unmarshal(o, &x)
}

// Agreements lists the agreements.
func Agreements(ctx context.Context, v store.View) ([]Agreement, error) {
	return list[Agreement](ctx, v, ObjAgreement, "")
}

// AgreementDetail is an agreement with every version.
type AgreementDetail struct {
	Agreement
	Versions []AgreementVersion `json:"versions"`
}

// GetAgreement returns an agreement with its versions.
func GetAgreement(ctx context.Context, v store.View, id string) (AgreementDetail, error) {
	a, err := one[Agreement](ctx, v, ObjAgreement, id)
	if err != nil {
		return AgreementDetail{}, err
	}
	vs, err := list[AgreementVersion](ctx, v, ObjAgreementVersion, id)
	return AgreementDetail{Agreement: a, Versions: vs}, err
}

// Diff compares two versions of an agreement by article.
func Diff(ctx context.Context, v store.View, id string, from, to int) ([]ArticleDiff, error) {
	a, err := one[AgreementVersion](ctx, v, ObjAgreementVersion, VersionID(id, from))
	if err != nil {
		return nil, err
	}
	b, err := one[AgreementVersion](ctx, v, ObjAgreementVersion, VersionID(id, to))
	if err != nil {
		return nil, err
	}
	return DiffArticles(a.Content, b.Content), nil
}

// Commitments lists the commitments, soonest next milestone first.
func Commitments(ctx context.Context, v store.View) ([]Commitment, error) {
	cs, err := list[Commitment](ctx, v, ObjCommitment, "")
	if err != nil {
		return nil, err
	}
	next := func(c Commitment) time.Time {
		var t time.Time
		for _, m := range c.Milestones {
			if m.Status != Fulfilled && (t.IsZero() || m.Due.Before(t)) {
				t = m.Due
			}
		}
		return t
	}
	slices.SortStableFunc(cs, func(a, b Commitment) int { return next(a).Compare(next(b)) })
	return cs, nil
}

// GetCommitment returns a commitment.
func GetCommitment(ctx context.Context, v store.View, id string) (Commitment, error) {
	return one[Commitment](ctx, v, ObjCommitment, id)
}

// Overdue reports whether a milestone is past its date and not fulfilled.
func (m Milestone) Overdue(now time.Time) bool { return m.Status != Fulfilled && now.After(m.Due) }

// Disputes lists the disputes the reader reads, oldest first.
func Disputes(ctx context.Context, v store.View) ([]Dispute, error) {
	return list[Dispute](ctx, v, ObjDispute, "")
}

// GetDispute returns a dispute.
func GetDispute(ctx context.Context, v store.View, id int64) (Dispute, error) {
	return one[Dispute](ctx, v, ObjDispute, itoa(id))
}

// SharedDisputes lists the disputes shared with an observer.
func SharedDisputes(ctx context.Context, v store.View, observer string) ([]SharedDispute, error) {
	return list[SharedDispute](ctx, v, ObjDisputeShare, observer)
}

// EvidenceOf lists the entries that travel with a dispute: its own steps
// and what it cites.
func (d Dispute) EvidenceOf() []int64 {
	out := slices.Clone(d.Entries)
	for _, c := range d.Cites {
		out = append(out, c.Entries...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// RoundDetail is a round with its agenda.
type RoundDetail struct {
	Round
	Agenda []AgendaItem `json:"agenda"`
}

// Rounds lists the rounds, soonest first.
func Rounds(ctx context.Context, v store.View) ([]Round, error) {
	rs, err := list[Round](ctx, v, ObjRound, "")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rs, func(a, b Round) int { return a.Start.Compare(b.Start) })
	return rs, nil
}

// GetRound returns a round with the agenda items the reader may read.
func GetRound(ctx context.Context, v store.View, id string) (RoundDetail, error) {
	r, err := one[Round](ctx, v, ObjRound, id)
	if err != nil {
		return RoundDetail{}, err
	}
	items, err := list[AgendaItem](ctx, v, ObjAgendaItem, id)
	return RoundDetail{Round: r, Agenda: items}, err
}

// Waiting lists the items waiting for the next round to be called.
func Waiting(ctx context.Context, v store.View) ([]AgendaItem, error) {
	return list[AgendaItem](ctx, v, ObjPending, "")
}

// StatementDetail is a statement with its versions and comments, or, for
// a reader outside it, what was published of it.
type StatementDetail struct {
	StatementInfo
	Versions  []StatementVersion `json:"versions"`
	Comments  []Comment          `json:"comments"`
	Published *Published         `json:"published,omitempty"`
}

// Statements lists the statements the reader drafts and signs, and those
// published.
func Statements(ctx context.Context, v store.View) ([]StatementInfo, []Published, error) {
	ss, err := list[StatementInfo](ctx, v, ObjStatement, "")
	if err != nil {
		return nil, nil, err
	}
	ps, err := list[Published](ctx, v, ObjPublished, "")
	return ss, ps, err
}

// GetStatement returns a statement with all the reader may read of it.
func GetStatement(ctx context.Context, v store.View, id string) (StatementDetail, error) {
	var d StatementDetail
	pub, err := one[Published](ctx, v, ObjPublished, id)
	switch {
	case err == nil:
		d.Published = &pub
	case !errors.Is(err, store.ErrNotFound):
		return d, err
	}
	st, err := one[StatementInfo](ctx, v, ObjStatement, id)
	switch {
	case errors.Is(err, store.ErrNotFound) && d.Published != nil:
		d.StatementInfo = StatementInfo{ID: pub.Statement, Title: pub.Title, Titles: pub.Titles, Kind: pub.Kind, Published: true,
			Latest: pub.Version, Agreed: pub.Version}
		d.Versions, d.Comments = []StatementVersion{}, []Comment{}
		return d, nil
	case err != nil:
		return d, err
	}
	d.StatementInfo = st
	if d.Versions, err = list[StatementVersion](ctx, v, ObjStatementVersion, id); err != nil {
		return d, err
	}
	d.Comments = []Comment{}
	for _, ver := range d.Versions {
		cs, err := list[Comment](ctx, v, ObjComment, VersionID(id, ver.Version))
		if err != nil {
			return d, err
		}
		d.Comments = append(d.Comments, cs...)
	}
	return d, nil
}

// Evidence lists the entries that prove a statement: each version's
// draft, every signature of the agreed version, and the publication.
func (d StatementDetail) Evidence() []int64 {
	var out []int64
	for _, v := range d.Versions {
		if v.Version == d.Agreed {
			out = append(out, v.Entry)
			for _, s := range v.Signatures {
				out = append(out, s.Entry)
			}
			if v.Published != 0 {
				out = append(out, v.Published)
			}
		}
	}
	if d.Published != nil {
		out = append(out, d.Published.Draft, d.Published.Entry)
		for _, s := range d.Published.Signatures {
			out = append(out, s.Entry)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ParagraphDiff says how one paragraph of one language differs between
// two versions of a statement.
type ParagraphDiff struct {
	Lang      string `json:"lang"`
	Paragraph int    `json:"paragraph"`
	Change    string `json:"change"` // added, removed, changed, unchanged
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
}

// DiffStatement compares two versions paragraph by paragraph, language by
// language.
func DiffStatement(a, b StatementVersion) []ParagraphDiff {
	var out []ParagraphDiff
	for _, lang := range []string{"en", "ar", "he"} {
		x, y := a.Texts[lang], b.Texts[lang]
		for i := range max(len(x), len(y)) {
			d := ParagraphDiff{Lang: lang, Paragraph: i}
			switch {
			case i >= len(x):
				d.Change, d.To = "added", y[i].Text
			case i >= len(y):
				d.Change, d.From = "removed", x[i].Text
			case x[i].Text == y[i].Text:
				d.Change, d.From, d.To = "unchanged", x[i].Text, y[i].Text
			default:
				d.Change, d.From, d.To = "changed", x[i].Text, y[i].Text
			}
			out = append(out, d)
		}
	}
	return out
}
