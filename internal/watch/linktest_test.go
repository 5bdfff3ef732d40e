package watch_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/watch"
)

// linkTests returns the link-test messages in the log, by channel.
func linkTests(t *testing.T, n *node) map[string][]hotline.Message {
	t.Helper()
	out := map[string][]hotline.Message{}
	for _, e := range entriesOf(t, n.st, hotline.KindMessageSend) {
		var p hotline.SendPayload
		if err := json.Unmarshal(e.Envelope.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if !p.LinkTest {
			continue
		}
		m, ok := object[hotline.Message](t, n.st, hotline.ObjMessage, hotline.MsgID(e.Index))
		if !ok {
			t.Fatalf("link test entry %d has no message", e.Index)
		}
		out[m.Channel] = append(out[m.Channel], m)
	}
	return out
}

func health(t *testing.T, n *node, channel string) hotline.LinkHealth {
	t.Helper()
	h, ok := object[hotline.LinkHealth](t, n.st, hotline.ObjLinkHealth, channel)
	if !ok {
		t.Fatalf("no link health for %s", channel)
	}
	return h
}

var lines = map[string]string{"line-il": "il", "line-sy": "sy", "line-jo": "jo"}

// At a scheduled time the watch sends one link test down every line, once
// however often it ticks; an acknowledgement by the line's party marks
// the line ok, silence escalates and marks it dead.
func TestLinkTests(t *testing.T) {
	t.Parallel()
	n := newNode(t, openSQLite(t, filepath.Join(t.TempDir(), "data")))
	now := time.Now().UTC()
	keys := seedCell(t, n, cell.Settings{LinkTests: []string{now.Format("15:04")}, LinkTestDeadline: 1})
	for ch := range lines {
		if h := health(t, n, ch); h.Status != "untested" {
			t.Errorf("%s before any test: %+v", ch, h)
		}
	}

	for range 3 {
		if err := n.w.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	sent := linkTests(t, n)
	if len(sent) != len(lines) {
		t.Fatalf("link tests on %d channels, want the %d lines: %v", len(sent), len(lines), sent)
	}
	for ch, party := range lines {
		ms := sent[ch]
		if len(ms) != 1 {
			t.Fatalf("%s: %d link tests after three ticks, want 1", ch, len(ms))
		}
		m := ms[0]
		if m.Sender != "" || m.SenderParty != "" || !m.LinkTest || m.Precedence != hotline.Immediate || !slices.Equal(m.Recipients, []string{party}) {
			t.Errorf("%s: link test %+v", ch, m)
		}
		wantAudience := []string{party, "us"}
		slices.Sort(wantAudience)
		for _, e := range entriesOf(t, n.st, hotline.KindMessageSend) {
			if e.Index == m.ID && !slices.Equal(e.Audience, wantAudience) {
				t.Errorf("%s: link test entry's audience %v, want %v", ch, e.Audience, wantAudience)
			}
		}
		if h := health(t, n, ch); h.Status != "pending" || h.LastTest != m.ID || !h.LastSent.Equal(m.Sent) || h.Party != party {
			t.Errorf("%s after the test was sent: %+v", ch, h)
		}
		if d, ok := object[hotline.Deadline](t, n.st, hotline.ObjDeadline, hotline.AckID(m.ID, party)); !ok || !d.LinkTest || d.Window != time.Second {
			t.Errorf("%s: deadline %+v (present %v), want a link test's of one second", ch, d, ok)
		}
	}

	// Israel answers, without a readback, from a desk that is not duty.
	ilTest := sent["line-il"][0]
	ack := keys.as(t, n, "il.gen", hotline.KindMessageAck, map[string]any{"message": ilTest.ID})
	if h := health(t, n, "line-il"); h.Status != "ok" || !h.LastOK.Equal(ack.Time) || h.LastTest != ilTest.ID {
		t.Errorf("line-il after the answer: %+v", h)
	}

	// Syria and Jordan stay silent.
	tickUntil(t, n.w, "the silent lines' escalations", func() bool { return len(escalations(t, n.st)) >= 2 })
	for _, e := range escalations(t, n.st) {
		if e.Party == "il" {
			t.Errorf("the answered link test escalated: %+v", e)
		}
		if e.Message != sent["line-"+e.Party][0].ID {
			t.Errorf("escalation %+v is not of %s's link test", e, e.Party)
		}
		esc, _ := object[hotline.Escalation](t, n.st, hotline.ObjEscalation, hotline.MsgID(e.Index))
		if !esc.LinkTest || esc.Channel != "line-"+e.Party {
			t.Errorf("escalation object %+v", esc)
		}
	}
	for ch, want := range map[string]string{"line-il": "ok", "line-sy": "dead", "line-jo": "dead"} {
		if h := health(t, n, ch); h.Status != want {
			t.Errorf("%s: %+v, want %s", ch, h, want)
		}
	}
	// A dead line comes back when it answers.
	keys.as(t, n, "sy.mil", hotline.KindMessageAck, map[string]any{"message": sent["line-sy"][0].ID})
	if h := health(t, n, "line-sy"); h.Status != "ok" {
		t.Errorf("line-sy after a late answer: %+v", h)
	}
	// Still one test per line.
	if err := n.w.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	for ch, ms := range linkTests(t, n) {
		if len(ms) != 1 {
			t.Errorf("%s: %d link tests", ch, len(ms))
		}
	}
}

// clock is a settable watch clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// The schedule: a test is due from its time of day (UTC) for an hour,
// across midnight too, and is sent once per day and line.
func TestLinkTestSchedule(t *testing.T) {
	t.Parallel()
	n := newNode(t, openSQLite(t, filepath.Join(t.TempDir(), "data")))
	seedCell(t, n, cell.Settings{LinkTests: []string{"06:00", "23:50"}})
	// The watch's clock runs days behind the server's, so that no
	// deadline it sees is yet due by the server's own clock.
	day := time.Now().UTC().AddDate(0, 0, -3).Truncate(24 * time.Hour)
	clk := &clock{}
	w, err := watch.New(watch.Config{Ledger: n.led, Logger: quiet, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		k := 0
		for _, ms := range linkTests(t, n) {
			k += len(ms)
		}
		return k
	}
	for _, step := range []struct {
		at   time.Time
		want int // link tests in the log after the tick
	}{
		{day.Add(5*time.Hour + 59*time.Minute), 0},
		{day.Add(6 * time.Hour), 3},
		{day.Add(6*time.Hour + 59*time.Minute), 3},
		{day.Add(7 * time.Hour), 3},
		{day.Add(23*time.Hour + 49*time.Minute), 3},
		{day.Add(24*time.Hour + 10*time.Minute), 6}, // yesterday's 23:50, after midnight
		{day.Add(24*time.Hour + 50*time.Minute), 6},
		{day.Add(30*time.Hour + 30*time.Minute), 9}, // the next day's 06:00
	} {
		clk.set(step.at)
		if err := w.Tick(context.Background()); err != nil {
			t.Fatalf("tick at %s: %v", step.at, err)
		}
		if got := count(); got != step.want {
			t.Fatalf("after a tick at %s: %d link tests, want %d", step.at.Format(time.RFC3339), got, step.want)
		}
	}
	for ch, ms := range linkTests(t, n) {
		var subjects []string
		for _, m := range ms {
			subjects = append(subjects, m.Subject)
		}
		if want := []string{"Link test 06:00Z", "Link test 23:50Z", "Link test 06:00Z"}; !slices.Equal(subjects, want) {
			t.Errorf("%s: %v, want %v", ch, subjects, want)
		}
	}
}
