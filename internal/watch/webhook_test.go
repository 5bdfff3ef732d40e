package watch_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/watch"
)

// hook is a party's paging system: it records every call.
type hook struct {
	watch.Webhook
	srv       *httptest.Server
	failFirst bool

	mu    sync.Mutex
	calls []call
}

type call struct {
	header http.Header
	body   []byte
	status int
}

func newHook(t *testing.T, party string, failFirst bool) *hook {
	t.Helper()
	h := &hook{failFirst: failFirst}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		status := http.StatusNoContent
		if h.failFirst && len(h.calls) == 0 {
			status = http.StatusServiceUnavailable
		}
		h.calls = append(h.calls, call{header: r.Header.Clone(), body: body, status: status})
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	h.Webhook = watch.Webhook{Party: party, URL: h.srv.URL + "/page/" + party, Secret: "secret of " + party + " paging system"}
	return h
}

// delivered returns the pages the hook accepted, by escalation entry,
// after checking every call's signature.
func (h *hook) delivered(t *testing.T) map[int64]watch.Page {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[int64]watch.Page{}
	for _, c := range h.calls {
		ts := c.header.Get(watch.TimestampHeader)
		if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
			t.Errorf("%s: timestamp header %q", h.Party, ts)
		}
		if got, want := c.header.Get(watch.SignatureHeader), watch.Sign(h.Secret, ts, c.body); got != want {
			t.Errorf("%s: signature %q, want %q", h.Party, got, want)
		}
		if watch.Sign("another secret entirely", ts, c.body) == c.header.Get(watch.SignatureHeader) {
			t.Errorf("%s: the signature does not depend on the secret", h.Party)
		}
		if ct := c.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", h.Party, ct)
		}
		var p watch.Page
		dec := json.NewDecoder(bytes.NewReader(c.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Errorf("%s: page %s: %v", h.Party, c.body, err)
			continue
		}
		if c.status < 300 {
			if _, dup := out[p.Entry]; dup {
				t.Errorf("%s: escalation %d delivered twice", h.Party, p.Entry)
			}
			out[p.Entry] = p
		}
	}
	return out
}

func (h *hook) bodies() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out [][]byte
	for _, c := range h.calls {
		out = append(out, c.body)
	}
	return out
}

// Escalations page the silent party's and the mediator's duty officers,
// then their admins, through signed webhooks; nobody else hears of them.
func TestWebhooks(t *testing.T) {
	t.Parallel()
	// Syria's paging system fails once: the watch retries.
	sy, us, il := newHook(t, "sy", true), newHook(t, "us", false), newHook(t, "il", false)
	n := newNode(t, openSQLite(t, filepath.Join(t.TempDir(), "data")), sy.Webhook, us.Webhook, il.Webhook)
	keys := seedCell(t, n, cell.Settings{AckDeadlines: map[string]int{"FLASH": 1}})
	const text = "confirm the revised patrol schedule for sector south"
	m := keys.send(t, n, "us.duty", "line-sy", hotline.Flash, text)

	tickUntil(t, n.w, "two escalations", func() bool { return len(escalations(t, n.st)) == 2 })
	es := escalations(t, n.st)
	for _, h := range []*hook{sy, us} {
		poll(t, h.Party+"'s pages", func() bool { return len(h.delivered(t)) == 2 })
		got := h.delivered(t)
		for i, e := range es {
			p, ok := got[e.Index]
			want := watch.Page{Cell: testCell, Entry: e.Index, Message: m.Index, Channel: "line-sy", Party: "sy",
				Precedence: hotline.Flash, Level: i + 1, NotifyRoles: []string{[]string{cell.RoleDuty, cell.RoleAdmin}[i]},
				Due: m.Time.Add(time.Duration(i+1) * time.Second)}
			if !ok || !pageEqual(p, want) {
				t.Errorf("%s: page of escalation %d: %+v, want %+v", h.Party, e.Index, p, want)
			}
		}
		// The page says who must look, not what the message says.
		for _, b := range h.bodies() {
			if bytes.Contains(b, []byte("patrol")) {
				t.Errorf("%s: the page carries the message's text: %s", h.Party, b)
			}
		}
	}
	sy.mu.Lock()
	if c := sy.calls; c[0].status < 300 || len(c) < 3 {
		t.Errorf("Syria's paging system failed the first call and was called %d times; want a retry", len(c))
	}
	sy.mu.Unlock()

	// Israel's paging system hears nothing of Syria's line, though it
	// works: an escalation on Israel's own line reaches it.
	own := keys.send(t, n, "us.duty", "line-il", hotline.Flash, "Israel's own")
	tickUntil(t, n.w, "the escalation on Israel's line", func() bool { return len(escalations(t, n.st)) >= 3 })
	poll(t, "Israel's page", func() bool { return len(il.delivered(t)) > 0 })
	for _, p := range il.delivered(t) {
		if p.Channel != "line-il" || p.Party != "il" || p.Message != own.Index {
			t.Errorf("Israel was paged about %+v", p)
		}
	}
	for _, b := range il.bodies() {
		if bytes.Contains(b, []byte("line-sy")) {
			t.Errorf("Israel's paging system heard of Syria's line: %s", b)
		}
	}
	poll(t, "the mediator's page about Israel's line", func() bool {
		for _, p := range us.delivered(t) {
			if p.Channel == "line-il" {
				return true
			}
		}
		return false
	})
	for _, p := range sy.delivered(t) {
		if p.Channel != "line-sy" {
			t.Errorf("Syria was paged about %+v", p)
		}
	}
}

func pageEqual(a, b watch.Page) bool {
	return a.Cell == b.Cell && a.Entry == b.Entry && a.Message == b.Message && a.Channel == b.Channel && a.Party == b.Party &&
		a.Precedence == b.Precedence && a.Level == b.Level && slices.Equal(a.NotifyRoles, b.NotifyRoles) &&
		a.LinkTest == b.LinkTest && a.Due.Equal(b.Due)
}

func TestWebhookConfig(t *testing.T) {
	t.Parallel()
	n := newNode(t, openSQLite(t, filepath.Join(t.TempDir(), "data")))
	for _, hk := range []watch.Webhook{
		{Party: "", URL: "http://127.0.0.1:1/", Secret: "sixteen chars ok"},
		{Party: "sy", URL: "", Secret: "sixteen chars ok"},
		{Party: "sy", URL: "http://127.0.0.1:1/", Secret: "too short"},
	} {
		if _, err := watch.New(watch.Config{Ledger: n.led, Webhooks: []watch.Webhook{hk}}); err == nil {
			t.Errorf("watch.New accepted webhook %+v", hk)
		}
	}
	if _, err := watch.New(watch.Config{Ledger: n.led, Webhooks: []watch.Webhook{{Party: "sy", URL: "http://127.0.0.1:1/", Secret: "sixteen chars ok"}}}); err != nil {
		t.Errorf("a good webhook: %v", err)
	}
	if _, err := watch.New(watch.Config{}); err == nil {
		t.Error("watch.New without a ledger")
	}
}
