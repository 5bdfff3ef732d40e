package diplomacy_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/store"
)

// unkeyed hides a view's keyed lists, so that DisputePage reads every
// dispute and filters and sorts them itself: the register as it was,
// against which the query's pages are checked.
type unkeyed struct{ v store.View }

func (u unkeyed) Get(ctx context.Context, kind, id string) (store.Object, error) {
	return u.v.Get(ctx, kind, id)
}

func (u unkeyed) List(ctx context.Context, kind, parent string, after int64, limit int) ([]store.Object, error) {
	return u.v.List(ctx, kind, parent, after, limit)
}

// registerWorld files disputes of both sides under two agreements and
// takes them to every step, a resolution by a round's outcome among them
// (the round writes the dispute too, and must file it anew).
func registerWorld(f *fixture) {
	f.t.Helper()
	f.OK("us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": paris()})
	other := paris()
	other["id"], other["title"] = "annex", "Annex on crossings"
	f.OK("us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": other})
	for i := range 24 {
		by, against := "il.dip", "sy"
		if i%3 == 0 {
			by, against = "sy.dip", "il"
		}
		p := file(against)
		p["articles"] = []map[string]any{{"agreement": "paris", "article": fmt.Sprint(1 + i%3)}}
		if i%4 == 0 {
			p["articles"] = append(p["articles"].([]map[string]any), map[string]any{"agreement": "annex", "article": "2"})
		}
		id := f.OK(by, diplomacy.KindDisputeFile, p).Index
		ref := map[string]any{"dispute": id}
		respondent := map[string]string{"sy": "sy.dip", "il": "il.dip"}[against]
		claimant := by
		if i%5 == 0 {
			continue // filed
		}
		f.OK("us.dip", diplomacy.KindDisputeAck, ref)
		if i%5 == 1 {
			continue // acknowledged
		}
		f.OK(respondent, diplomacy.KindDisputeRespond, map[string]any{"dispute": id, "text": "Our answer."})
		if i%5 == 2 {
			continue // responded
		}
		f.OK("us.dip", diplomacy.KindDisputeFinding, map[string]any{"dispute": id, "text": "Upheld.", "outcome": "upheld"})
		if i%5 == 3 {
			continue // found
		}
		f.OK(claimant, diplomacy.KindDisputeAccept, map[string]any{"dispute": id, "accept": true})
		if i%2 == 0 {
			f.OK(respondent, diplomacy.KindDisputeAccept, map[string]any{"dispute": id, "accept": true}) // resolved
		} else {
			f.OK(respondent, diplomacy.KindDisputeAccept, map[string]any{"dispute": id, "accept": false, "reason": "No."}) // escalated
		}
	}
	start := time.Now().Add(7 * 24 * time.Hour).UTC()
	f.OK("us.dip", diplomacy.KindRoundCreate, map[string]any{"round": map[string]any{"id": "round-1", "number": 1, "place": "Paris",
		"start": start.Format(time.RFC3339), "end": start.Add(48 * time.Hour).Format(time.RFC3339)}})
	r, err := diplomacy.GetRound(f.ctx, f.view("us"), "round-1")
	if err != nil || len(r.Agenda) == 0 {
		f.t.Fatalf("round-1's agenda: %+v, %v", r.Agenda, err)
	}
	f.OK("us.dip", diplomacy.KindRoundOutcome, map[string]any{"round": "round-1", "item": r.Agenda[0].ID, "outcome": "agreed", "text": "Agreed."})
}

// The register pages in the query exactly as it did when it read every
// dispute: for every filter, both orders, every reader and page size, the
// pages hold the same disputes in the order the register always had
// (deadline: soonest first, none last, then by filing), and each cursor
// leads to the same next page.
func TestRegisterPagesInTheQuery(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			f := be.open(t)
			registerWorld(f)
			all, err := diplomacy.Disputes(f.ctx, f.view("us"))
			if err != nil {
				t.Fatal(err)
			}
			statuses := map[string]int{}
			for _, d := range all {
				statuses[d.Status]++
			}
			if len(all) != 24 || len(statuses) != 6 {
				t.Fatalf("the world has %d disputes at steps %v, want 24 at all six", len(all), statuses)
			}
			var filters []diplomacy.RegisterFilter
			for _, party := range []string{"", "il", "sy", "us"} {
				for _, art := range [][2]string{{}, {"paris", ""}, {"paris", "2"}, {"annex", "2"}, {"annex", "1"}} {
					for _, status := range []string{"", "open", "filed", "acknowledged", "responded", "found", "resolved", "escalated"} {
						for _, order := range []string{diplomacy.OrderAge, diplomacy.OrderDeadline} {
							filters = append(filters, diplomacy.RegisterFilter{Party: party, Agreement: art[0], Article: art[1], Status: status, Order: order})
						}
					}
				}
			}
			nonEmpty := 0
			for _, reader := range []string{"us", "il", "jo"} {
				v := f.view(reader)
				readable, err := diplomacy.Disputes(f.ctx, v)
				if err != nil {
					t.Fatal(err)
				}
				for _, flt := range filters {
					want := wantRegister(readable, flt)
					if len(want) > 0 {
						nonEmpty++
					}
					for _, limit := range []int{1, 5, 50} {
						got := pages(t, f.ctx, v, flt, limit)
						old := pages(t, f.ctx, unkeyed{v}, flt, limit)
						if !slices.Equal(got.ids, want) {
							t.Errorf("%s reads %+v by pages of %d: %v, want %v", reader, flt, limit, got.ids, want)
						}
						if !slices.Equal(got.cursors, old.cursors) || !slices.Equal(old.ids, want) {
							t.Errorf("%s reads %+v by pages of %d: the query's pages %v (cursors %v), the scan's %v (cursors %v)",
								reader, flt, limit, got.ids, got.cursors, old.ids, old.cursors)
						}
					}
				}
			}
			if nonEmpty < 100 {
				t.Errorf("only %d of the filters keep any dispute: the world does not test them", nonEmpty)
			}
		})
	}
}

// wantRegister is the register as it was: every dispute the reader reads,
// filtered, sorted by filing or by deadline (those awaiting none last).
func wantRegister(ds []diplomacy.Dispute, flt diplomacy.RegisterFilter) []int64 {
	var kept []diplomacy.Dispute
	for _, d := range ds {
		if flt.Keeps(d) {
			kept = append(kept, d)
		}
	}
	slices.SortStableFunc(kept, func(a, b diplomacy.Dispute) int {
		if flt.Order == diplomacy.OrderDeadline {
			if a.Due.IsZero() != b.Due.IsZero() {
				if a.Due.IsZero() {
					return 1
				}
				return -1
			}
			if c := a.Due.Compare(b.Due); c != 0 {
				return c
			}
		}
		return cmp.Or(a.Filed.Compare(b.Filed), cmp.Compare(a.ID, b.ID))
	})
	out := []int64{}
	for _, d := range kept {
		out = append(out, d.ID)
	}
	return out
}

type paged struct {
	ids     []int64
	cursors []store.Cursor
}

func pages(t *testing.T, ctx context.Context, v store.View, flt diplomacy.RegisterFilter, limit int) paged {
	t.Helper()
	p := paged{ids: []int64{}}
	for after := (store.Cursor{}); ; {
		ds, next, err := diplomacy.DisputePage(ctx, v, flt, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) > limit || next != (store.Cursor{}) && len(ds) < limit {
			t.Fatalf("%+v: a page of %d with limit %d, next %v", flt, len(ds), limit, next)
		}
		for _, d := range ds {
			p.ids = append(p.ids, d.ID)
		}
		p.cursors = append(p.cursors, next)
		if next == (store.Cursor{}) {
			return p
		}
		if len(p.cursors) > 100 {
			t.Fatalf("%+v: more than 100 pages", flt)
		}
		after = next
	}
}
