package api_test

// Helpers of the hotline API tests, over the shared harness (harness_test.go,
// stream_test.go).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/watch"
)

// hotlineWait bounds every wait for a deadline to pass.
const hotlineWait = 2 * time.Minute

// message is a message.send command's fields.
func message(channel, precedence, subject, body string) map[string]any {
	return map[string]any{"channel": channel, "subject": subject, "body": body, "lang": "en", "precedence": precedence}
}

// sendMessage posts a message and returns its id.
func (c *client) sendMessage(t testing.TB, fields map[string]any) int64 {
	t.Helper()
	return c.submitOK(t, "POST", "/api/v1/messages", c.sign(hotline.KindMessageSend, fields), http.StatusCreated).Entry.Index
}

// onMessage posts a command about message id to /api/v1/messages/{id}/{verb}.
func (c *client) onMessage(t testing.TB, id int64, verb, kind string, fields map[string]any) submitted {
	t.Helper()
	f := map[string]any{"message": id}
	for k, v := range fields {
		f[k] = v
	}
	return c.submitOK(t, "POST", fmt.Sprintf("/api/v1/messages/%d/%s", id, verb), c.sign(kind, f), http.StatusCreated)
}

// setDeadlines has the mediator's admin set the cell's acknowledgement
// deadlines (in seconds).
func setDeadlines(t testing.TB, ts *testServer, deadlines map[string]int) {
	t.Helper()
	us := ts.login(t, "us.duty")
	us.submitOK(t, "POST", "/api/v1/entries", us.sign(cell.KindCellSettings, map[string]any{
		"settings": map[string]any{"ack_deadlines": deadlines}}), http.StatusCreated)
}

// newWatch returns a watch over the test server's ledger.
func newWatch(t testing.TB, ts *testServer) *watch.Watch {
	t.Helper()
	w, err := watch.New(watch.Config{Ledger: ts.Ledger, Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// escalationEntries returns the indexes of the message.escalate entries in
// the log.
func escalationEntries(t testing.TB, ts *testServer) []int64 {
	t.Helper()
	rows, err := ts.Store.Entries(context.Background(), seed.DemoCell, 0, ts.size(t))
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, row := range rows {
		e, err := record.ParseEntry(row.LeafData)
		if err != nil {
			t.Fatal(err)
		}
		if e.Envelope.Kind() == hotline.KindMessageEscalate {
			out = append(out, e.Index)
		}
	}
	return out
}

// tickUntil ticks w until done, failing after hotlineWait; deadlines pass
// in real time, so it pauses a little between ticks.
func tickUntil(t testing.TB, w *watch.Watch, what string, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hotlineWait)
	defer cancel()
	for {
		if err := w.Tick(ctx); err != nil {
			t.Fatalf("tick: %v", err)
		}
		if done() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("still waiting for %s after %s", what, hotlineWait)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// messages lists a channel's messages as c sees them.
func (c *client) messages(t testing.TB, channel string) []api.MessageView {
	t.Helper()
	var out []api.MessageView
	after := "-1"
	for {
		var page struct {
			Messages []api.MessageView `json:"messages"`
			Next     string            `json:"next"`
		}
		c.getJSON(t, "/api/v1/channels/"+channel+"/messages?limit=500&after="+after, &page)
		out = append(out, page.Messages...)
		if page.Next == "" {
			return out
		}
		after = page.Next
	}
}

// post is a submission that reports instead of failing the test, for
// goroutines other than the test's.
func (c *client) post(path string, env *record.Envelope) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", c.ts.URL+path, bytes.NewReader(env.Marshal()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.ts.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("%s %s: %d %s", c.member, path, resp.StatusCode, b)
	}
	var s submitted
	if err := json.Unmarshal(b, &s); err != nil {
		return 0, err
	}
	return s.Entry.Index, nil
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// upload posts an attachment as c and returns its hash, checking that the
// answer names the bytes' SHA-256 and size.
func (c *client) upload(t testing.TB, data []byte) string {
	t.Helper()
	r := c.do(t, "POST", "/api/v1/blobs", data)
	if r.Status != http.StatusCreated {
		t.Fatalf("%s: upload: %s", c.member, r)
	}
	var got struct {
		SHA256 string `json:"sha256"`
		Size   int    `json:"size"`
	}
	decode(t, r, &got)
	sum := sha256.Sum256(data)
	if got.SHA256 != hex.EncodeToString(sum[:]) || got.Size != len(data) {
		t.Fatalf("upload answered %+v for %d bytes", got, len(data))
	}
	return got.SHA256
}
