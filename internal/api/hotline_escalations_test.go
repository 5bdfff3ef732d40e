package api_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/liaison-cell/liaison/internal/hotline"
)

// escalationPages pages through GET /api/v1/escalations and returns the
// escalations' ids and how many pages it took.
func escalationPages(t *testing.T, c *client) (ids []int64, pages int) {
	t.Helper()
	after := "-1"
	for {
		var page struct {
			Escalations []hotline.Escalation `json:"escalations"`
			Next        string               `json:"next"`
		}
		c.getJSON(t, "/api/v1/escalations?after="+after, &page)
		pages++
		for _, e := range page.Escalations {
			ids = append(ids, e.ID)
		}
		if page.Next == "" {
			return ids, pages
		}
		if len(page.Escalations) == 0 {
			t.Fatalf("%s: an empty page of escalations with a cursor %s", c.member, page.Next)
		}
		after = page.Next
	}
}

// A page of escalations holds, and its cursor counts, only those the
// caller may see: a cursor set by other parties' escalations would tell
// how many there are.
func TestHotlineEscalationPages(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 500 messages")
	}
	t.Parallel()
	ts := newTestServer(t)
	setDeadlines(t, ts, map[string]int{"FLASH": 1})
	us := ts.login(t, "us.duty")
	const n = 500
	for i := range n {
		us.sendMessage(t, message("line-sy", hotline.Flash, fmt.Sprint("Flash ", i), "Answer this one."))
	}
	w := newWatch(t, ts)
	tickUntil(t, w, "the escalations", func() bool { return len(escalationEntries(t, ts)) >= n+2 })
	all := escalationEntries(t, ts) // the demo's two, then at least n more

	for _, who := range []string{"il.duty", "jo.duty"} {
		c := ts.login(t, who)
		ids, pages := escalationPages(t, c)
		if len(ids) != 0 || pages != 1 {
			t.Errorf("%s: %d escalations in %d pages, want none in one page", who, len(ids), pages)
		}
	}
	for _, who := range []string{"us.duty", "sy.military"} {
		ids, pages := escalationPages(t, ts.login(t, who))
		if !slices.Equal(ids, all) || pages != 2 {
			t.Errorf("%s: %d escalations in %d pages, want all %d in 2", who, len(ids), pages, len(all))
		}
	}
}
