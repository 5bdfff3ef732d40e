package api_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
)

// FuzzRegisterQuery reads arbitrary queries of the register of disputes:
// a query is refused or read into values the register knows, and what was
// read is read again the same from its own encoding.
func FuzzRegisterQuery(f *testing.F) {
	for _, q := range []string{"", "party=il", "article=paris:2", "article=paris", "article=disengagement-1974:C", "article=paris:Annex%20A",
		"status=open", "status=found&sort=deadline", "sort=age", "status=found&status=filed", "article=Paris:2", "article=:2", "article=paris:",
		"party=IL", "sort=newest", "article=%ff", "party=il&party=sy", "article=a:" + string(make([]byte, 40))} {
		f.Add(q)
	}
	statuses := []string{"", "open", "filed", "acknowledged", "responded", "found", "resolved", "escalated"}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		rq, err := api.ParseRegisterQuery(q)
		if err != nil {
			if api.ProblemOf(err).Status != 400 {
				t.Fatalf("%q: refused with %v, not a 400", raw, err)
			}
			return
		}
		if rq.Party != "" && !cell.ValidID(rq.Party) || !slices.Contains(statuses, rq.Status) || rq.Sort != api.SortAge && rq.Sort != api.SortDeadline {
			t.Fatalf("%q read as %+v", raw, rq)
		}
		again := url.Values{"sort": {rq.Sort}}
		if rq.Party != "" {
			again.Set("party", rq.Party)
		}
		if rq.Status != "" {
			again.Set("status", rq.Status)
		}
		if rq.Agreement != "" {
			a := rq.Agreement
			if rq.Article != "" {
				a += ":" + rq.Article
			}
			again.Set("article", a)
		}
		rq2, err := api.ParseRegisterQuery(again)
		if err != nil || rq2 != rq {
			t.Fatalf("%q read as %+v, its encoding %q as %+v, %v", raw, rq, again.Encode(), rq2, err)
		}
	})
}
