package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
)

// TestRouteTargetCannotBeDoubled: a route that names what its command is
// about (/messages/{message}/read) must not be passed by a payload that
// names it once as the route wants and again, in another case, as
// encoding/json would read it.
func TestRouteTargetCannotBeDoubled(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, "sy.duty")
	first := func(channel string) int64 {
		var page struct{ Messages []api.MessageView }
		c.getJSON(t, "/api/v1/channels/"+channel+"/messages", &page)
		if len(page.Messages) == 0 {
			t.Fatalf("no message on %s", channel)
		}
		return page.Messages[0].ID
	}
	a, b := first("joint-military"), first("line-sy")
	size := ts.size(t)
	for _, p := range []string{
		`{"id":"x1","time":"%s","cell":"il-sy","message":%d,"Message":%d}`,
		`{"id":"x2","time":"%s","cell":"il-sy","message":%d,"message":%d}`,
	} {
		payload := []byte(fmtPayload(p, a, b))
		r := c.submit(t, "POST", "/api/v1/messages/"+strconv.FormatInt(a, 10)+"/read", record.Sign(hotline.KindMessageRead, payload, c.key.Private))
		if r.Status < 400 {
			t.Errorf("%s: accepted: %s", payload, r)
			continue
		}
		wantProblem(t, r, r.Status)
	}
	if n := ts.size(t); n != size {
		t.Errorf("refused commands appended %d entries", n-size)
	}
	// The plain form passes.
	c.submitOK(t, "POST", "/api/v1/messages/"+strconv.FormatInt(b, 10)+"/read",
		c.sign(hotline.KindMessageRead, map[string]any{"message": b}), http.StatusCreated)
}

func fmtPayload(p string, a, b int64) string {
	return fmt.Sprintf(p, time.Now().UTC().Format(time.RFC3339Nano), a, b)
}
