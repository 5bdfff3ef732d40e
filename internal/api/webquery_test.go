package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// principal authenticates c's bearer token as a page's request would.
func (c *client) principal(t testing.TB) (*http.Request, *api.Principal) {
	t.Helper()
	r := httptest.NewRequest("GET", "/dashboard", nil)
	r.Header.Set("Authorization", "Bearer "+c.token)
	p, err := c.ts.API.Authenticate(r)
	if err != nil {
		t.Fatalf("authenticate %s: %v", c.member, err)
	}
	return r, p
}

func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s: the page's read differs from the API's:\n page %s\n API  %s", what, g, w)
	}
}

// TestWebQueriesAnswerAsTheAPI: what the pages read is what the API
// answers the same member — for the party that must not see Syria's line
// as for the one that must.
func TestWebQueriesAnswerAsTheAPI(t *testing.T) {
	ts := newTestServer(t)
	for _, member := range []string{"il.duty", "sy.duty", "us.duty", "jo.duty", "sy.intelligence"} {
		c := ts.login(t, member)
		r, p := c.principal(t)

		chs, err := ts.API.Channels(r, p)
		if err != nil {
			t.Fatal(err)
		}
		var apiChs struct{ Channels []hotline.Channel }
		c.getJSON(t, "/api/v1/channels", &apiChs)
		sameJSON(t, member+" channels", chs, apiChs.Channels)

		inbox, err := ts.API.Inbox(r, p)
		if err != nil {
			t.Fatal(err)
		}
		var apiInbox struct{ Items []api.InboxItem }
		c.getJSON(t, "/api/v1/inbox", &apiInbox)
		if len(inbox) != len(apiInbox.Items) {
			t.Errorf("%s inbox: %d items, the API %d", member, len(inbox), len(apiInbox.Items))
		}
		for i := range min(len(inbox), len(apiInbox.Items)) {
			if inbox[i].Message.ID != apiInbox.Items[i].Message.ID {
				t.Errorf("%s inbox item %d: message %d, the API %d", member, i, inbox[i].Message.ID, apiInbox.Items[i].Message.ID)
			}
		}

		esc, err := ts.API.Escalations(r, p, 500)
		if err != nil {
			t.Fatal(err)
		}
		var apiEsc struct{ Escalations []hotline.Escalation }
		c.getJSON(t, "/api/v1/escalations", &apiEsc)
		sameJSON(t, member+" escalations", esc, apiEsc.Escalations)

		lines, err := ts.API.LineHealth(r, p)
		if err != nil {
			t.Fatal(err)
		}
		var apiLines struct{ Lines []hotline.LinkHealth }
		c.getJSON(t, "/api/v1/linktests", &apiLines)
		sameJSON(t, member+" link tests", lines, apiLines.Lines)

		// Syria's line: the API's 404 is the page's 404.
		_, err = ts.API.Channel(r, p, "line-sy")
		sees := slices.ContainsFunc(chs, func(ch hotline.Channel) bool { return ch.ID == "line-sy" })
		status := c.get(t, "/api/v1/channels/line-sy").Status
		switch {
		case sees && (err != nil || status != http.StatusOK):
			t.Errorf("%s lists line-sy but Channel answers %v (API %d)", member, err, status)
		case !sees && (err == nil || api.ProblemOf(err).Status != http.StatusNotFound || status != http.StatusNotFound):
			t.Errorf("%s must not see line-sy: Channel answers %v (API %d)", member, err, status)
		}
		if !sees {
			if _, _, err := ts.API.ChannelMessages(r, p, "line-sy", -1, 10); api.ProblemOf(err).Status != http.StatusNotFound {
				t.Errorf("%s reads line-sy's messages: %v", member, err)
			}
		}
	}
}

// TestWebEntryAnswersAsTheLogAPI: an entry outside the reader's audience
// is refused as GET /log/entries/{i} refuses it; one beyond the log is
// not found.
func TestWebEntryAnswersAsTheLogAPI(t *testing.T) {
	ts := newTestServer(t)
	us := ts.login(t, "us.duty")
	var page struct{ Messages []api.MessageView }
	us.getJSON(t, "/api/v1/channels/line-sy/messages", &page)
	if len(page.Messages) == 0 {
		t.Fatal("the demo's line-sy has no message")
	}
	idx := page.Messages[0].ID
	for member, want := range map[string]int{"il.duty": http.StatusForbidden, "sy.duty": http.StatusOK, "us.duty": http.StatusOK} {
		c := ts.login(t, member)
		r, p := c.principal(t)
		_, err := ts.API.Entry(r, p, idx)
		got := http.StatusOK
		if err != nil {
			got = api.ProblemOf(err).Status
		}
		if api := c.get(t, "/api/v1/log/entries/"+itoa(idx)).Status; got != want || api != want {
			t.Errorf("%s entry %d: page %d, API %d, want %d", member, idx, got, api, want)
		}
		if _, err := ts.API.Entry(r, p, 1<<40); api.ProblemOf(err).Status != http.StatusNotFound {
			t.Errorf("%s entry beyond the log: %v", member, err)
		}
		es, _, err := ts.API.Entries(r, p, idx-1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if (len(es) == 1 && es[0].Index == idx) != (want == http.StatusOK) {
			t.Errorf("%s Entries around %d: %v", member, idx, es)
		}
	}
}

// TestSetWebMountsOutsideTheAPI: the web handler answers paths outside
// /api, and the API keeps its own.
func TestSetWebMountsOutsideTheAPI(t *testing.T) {
	ts := newTestServer(t)
	ts.API.SetWeb(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	if r := ts.send(t, "GET", "/dashboard", nil, nil); r.Status != http.StatusTeapot {
		t.Errorf("GET /dashboard: %d, want the web handler's", r.Status)
	}
	wantProblem(t, ts.send(t, "GET", "/api/v1/nothing", nil, nil), http.StatusNotFound)
}
