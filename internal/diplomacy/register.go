package diplomacy

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/liaison-cell/liaison/internal/store"
)

// The register of disputes, paged in the query. Every dispute is filed
// (store.Change.Keys) under the terms a register may filter by, in both
// of its orders, so that a page of the register at a hundred thousand
// disputes reads its fifty rows down one index instead of every dispute.

// StatusOpen keeps every step but resolved.
const StatusOpen = "open"

// Orders of the register.
const (
	OrderAge      = "age" // oldest filed first
	OrderDeadline = "due" // soonest next deadline first; those awaiting none last
)

// RegisterFilter is what a register keeps, and in what order.
type RegisterFilter struct {
	// Party keeps the disputes it is claimant or respondent in.
	Party string
	// Agreement and Article keep the disputes citing that article (of any
	// version); Article "" keeps those citing the agreement at all.
	Agreement, Article string
	// Status keeps one step, or StatusOpen every step but resolved.
	Status string
	// Order is OrderAge (also for "") or OrderDeadline.
	Order string
}

// Keeps reports whether the filter keeps d.
func (f RegisterFilter) Keeps(d Dispute) bool {
	if f.Party != "" && d.Claimant != f.Party && d.Respondent != f.Party {
		return false
	}
	if !f.KeepsStatus(d.Status) {
		return false
	}
	return f.Agreement == "" || slices.ContainsFunc(d.Articles, func(a ArticleRef) bool {
		return a.Agreement == f.Agreement && (f.Article == "" || a.Article == f.Article)
	})
}

// KeepsStatus reports whether the filter keeps a dispute at step status.
func (f RegisterFilter) KeepsStatus(status string) bool {
	return f.Status == "" || f.Status == status || f.Status == StatusOpen && status != DisputeResolved
}

func (f RegisterFilter) order() string {
	if f.Order == OrderDeadline {
		return OrderDeadline
	}
	return OrderAge
}

// terms are the filter's terms, the most selective first: the query walks
// the first in order and looks the others up.
func (f RegisterFilter) terms() []string {
	var ts []string
	switch {
	case f.Agreement != "" && f.Article != "":
		ts = append(ts, "article="+f.Agreement+":"+f.Article)
	case f.Agreement != "":
		ts = append(ts, "agreement="+f.Agreement)
	}
	switch f.Status {
	case "":
	case StatusOpen:
		ts = append(ts, "open")
	default:
		ts = append(ts, "status="+f.Status)
	}
	if f.Party != "" {
		ts = append(ts, "party="+f.Party)
	}
	if len(ts) == 0 {
		ts = append(ts, "all")
	}
	o := f.order()
	for i := range ts {
		ts[i] = o + "/" + ts[i]
	}
	return ts
}

// sortKey is d's place in an order: digits of a fixed width, which every
// database's collation orders as Go does (store.Key).
func sortKey(d Dispute, order string) string {
	if order != OrderDeadline {
		return fmt.Sprintf("%019d", d.ID)
	}
	if d.Due.IsZero() {
		return fmt.Sprintf("1%019d%019d", 0, d.ID)
	}
	return fmt.Sprintf("0%019d%019d", d.Due.UnixNano(), d.ID)
}

// disputeKeys files d under every term a register filters by, in both
// orders.
func disputeKeys(d Dispute) []store.Key {
	terms := []string{"all", "party=" + d.Claimant, "party=" + d.Respondent, "status=" + d.Status}
	if d.Status != DisputeResolved {
		terms = append(terms, "open")
	}
	for _, a := range d.Articles {
		terms = append(terms, "agreement="+a.Agreement, "article="+a.Agreement+":"+a.Article)
	}
	slices.Sort(terms)
	terms = slices.Compact(terms)
	keys := make([]store.Key, 0, 2*len(terms))
	for _, o := range []string{OrderAge, OrderDeadline} {
		s := sortKey(d, o)
		for _, t := range terms {
			keys = append(keys, store.Key{Term: o + "/" + t, Sort: s})
		}
	}
	return keys
}

// putDispute writes a dispute with its keys: every write of one must, or
// the register would find it where it was.
func putDispute(d Dispute) store.Change { return narrowedDispute(d, 0) }

func narrowedDispute(d Dispute, mask uint64) store.Change {
	c := narrowed(ObjDispute, itoa(d.ID), d.Claimant, d, mask)
	c.Keys = disputeKeys(d)
	return c
}

// DisputePage returns the disputes the reader reads that f keeps, in f's
// order, after the cursor after (zero for the first page), at most limit,
// and the cursor of the next page (zero when this one is the last). A
// view that cannot page by key (none of the stores') is read whole.
func DisputePage(ctx context.Context, v store.View, f RegisterFilter, after store.Cursor, limit int) ([]Dispute, store.Cursor, error) {
	var none store.Cursor
	if limit <= 0 {
		return []Dispute{}, none, nil
	}
	k, ok := v.(store.Keyed)
	if !ok {
		return scanPage(ctx, v, f, after, limit)
	}
	objs, err := k.ByKey(ctx, ObjDispute, f.terms(), after, limit)
	if err != nil {
		return nil, none, err
	}
	out := make([]Dispute, 0, len(objs))
	for _, o := range objs {
		var d Dispute
		if err := unmarshal(o, &d); err != nil {
			return nil, none, err
		}
		out = append(out, d)
	}
	if len(objs) < limit {
		return out, none, nil
	}
	last := objs[len(objs)-1]
	return out, store.Cursor{Sort: last.Keys[0].Sort, ID: last.ID}, nil
}

// scanPage is DisputePage over every dispute, filtered and sorted here, in
// the keys' order so that its pages and cursors are the same.
func scanPage(ctx context.Context, v store.View, f RegisterFilter, after store.Cursor, limit int) ([]Dispute, store.Cursor, error) {
	ds, err := Disputes(ctx, v)
	if err != nil {
		return nil, store.Cursor{}, err
	}
	o := f.order()
	type keyed struct {
		d   Dispute
		cur store.Cursor
	}
	var kept []keyed
	for _, d := range ds {
		cur := store.Cursor{Sort: sortKey(d, o), ID: itoa(d.ID)}
		if f.Keeps(d) && compareCursors(cur, after) > 0 {
			kept = append(kept, keyed{d, cur})
		}
	}
	slices.SortFunc(kept, func(a, b keyed) int { return compareCursors(a.cur, b.cur) })
	out := []Dispute{}
	for _, k := range kept[:min(limit, len(kept))] {
		out = append(out, k.d)
	}
	if len(kept) < limit {
		return out, store.Cursor{}, nil
	}
	return out, kept[limit-1].cur, nil
}

func compareCursors(a, b store.Cursor) int {
	return cmp.Or(cmp.Compare(a.Sort, b.Sort), cmp.Compare(a.ID, b.ID))
}
