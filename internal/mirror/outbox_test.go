package mirror_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// signed is member's message on channel, signed with its device key.
func signed(t testing.TB, d *testlog.Demo, member, channel, subject string) *record.Envelope {
	t.Helper()
	return signedWith(t, d.Key(t, member), channel, subject)
}

// loseFirstAnswer lets the first relay through to the cell and cuts the
// line before its answer reaches the mirror: the write landed, and the
// mirror does not know it.
func loseFirstAnswer(lost *atomic.Bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/relay") || !lost.CompareAndSwap(false, true) {
				h.ServeHTTP(w, r)
				return
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		})
	}
}

// subjects returns the subjects of the messages in a mirror's copy, in log
// order, with the entries that carry them.
func subjects(t *testing.T, m *mirror.Mirror) ([]string, map[string]*record.Entry) {
	t.Helper()
	var order []string
	by := map[string]*record.Entry{}
	for _, e := range mirrorEntries(t, m) {
		if e.Envelope.Kind() != "message.send" {
			continue
		}
		var p struct{ Subject string }
		if err := json.Unmarshal(e.Envelope.Payload, &p); err != nil {
			t.Fatal(err)
		}
		order = append(order, p.Subject)
		by[p.Subject] = e
	}
	return order, by
}

// The cell is stopped while the party's members write at their mirror; the
// writes wait in the outbox, through the mirror's own restart; when the
// cell is back they land once each, in the order written, even when an
// answer is lost and the flush retried; the one the cell refuses is
// reported with the cell's reason and holds back none after it.
func TestQueuedWritesLandOnceInOrder(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	cl := c.login(t, "il.duty")
	dir := t.TempDir()
	m := openMirror(t, cl, dir, nil)
	if _, err := m.Submit(ctx, "", signed(t, d, "il.military", "joint-military", "before the first round")); !errors.Is(err, mirror.ErrNotQueued) {
		t.Fatalf("a write before the mirror verified anything: %v, want ErrNotQueued", err)
	}
	round(t, m)

	// The line is up: the cell's answer at once.
	up, err := m.Submit(ctx, "il.military", signed(t, d, "il.military", "joint-military", "line up"))
	if err != nil || up.State != mirror.Landed || up.Answer == nil || up.Answer.Entry.Member != "il.military" || up.Entry != up.Answer.Entry.Index {
		t.Fatalf("a write with the line up: %+v, %v", up, err)
	}

	c.stop()
	writes := []struct{ member, channel, subject string }{
		{"il.military", "joint-military", "queued one"},
		{"il.duty", "line-il", "queued two"},
		{"il.military", "line-sy", "queued three, Syria's line"}, // not Israel's to write on
		{"il.diplomatic", "joint-diplomatic", "queued four"},
	}
	var envs []*record.Envelope
	for i, w := range writes {
		env := signed(t, d, w.member, w.channel, w.subject)
		envs = append(envs, env)
		o, err := m.Submit(ctx, w.member, env)
		if err != nil || o.State != mirror.Waiting || o.Waiting != i+1 {
			t.Fatalf("write %d with the line down: %+v, %v; want waiting, %d waiting", i, o, err, i+1)
		}
	}
	// A member's retry at the mirror is the same write.
	if o, err := m.Submit(ctx, "il.duty", envs[1]); err != nil || o.Waiting != len(writes) {
		t.Fatalf("a retry of a queued write: %+v, %v", o, err)
	}
	// The outbox holds its party's members' writes, signed by their own
	// active keys, and nothing else.
	stranger, _ := record.NewDeviceKey()
	junk, _ := client.Sign(stranger, testlog.Cell, "message.send", map[string]any{"channel": "joint-military", "subject": "x"})
	for name, bad := range map[string]struct {
		member string
		env    *record.Envelope
	}{
		"another party's member": {"", signed(t, d, "sy.military", "joint-military", "Syria's")},
		"the mediator's":         {"", signed(t, d, "us.duty", "line-il", "the mediator's")},
		"another member's key":   {"il.duty", signed(t, d, "il.military", "joint-military", "not il.duty's")},
		"an unregistered key":    {"", junk},
		"another command under one id": {"", func() *record.Envelope {
			e := signed(t, d, "il.duty", "line-il", "other")
			return resign(t, d, e, envs[1])
		}()},
	} {
		if _, err := m.Submit(ctx, bad.member, bad.env); !errors.Is(err, mirror.ErrNotQueued) {
			t.Errorf("%s: %v, want ErrNotQueued", name, err)
		}
	}
	if r, err := m.Flush(ctx); err == nil || r.Waiting != len(writes) || len(r.Landed) != 0 {
		t.Fatalf("a flush with the line down: %+v, %v", r, err)
	}

	// The queue survives the mirror's restart.
	m.Close()
	waiting, err := mirror.ReadOutbox(ctx, dir)
	if err != nil || len(waiting) != len(writes) {
		t.Fatalf("the outbox after a restart: %d writes, %v", len(waiting), err)
	}
	for i, q := range waiting {
		if q.State != mirror.Waiting || q.Member != writes[i].member || string(q.Envelope.Marshal()) != string(envs[i].Marshal()) {
			t.Errorf("queued %d: %+v, want %s's write %d", i, q, writes[i].member, i)
		}
	}

	// The cell returns where it was; the first answer is lost on the way.
	var lost atomic.Bool
	c = startCellAt(t, d.Dir, loseFirstAnswer(&lost), c.Addr)
	m = openMirror(t, cl, dir, nil)
	if r, err := m.Flush(ctx); err == nil || len(r.Landed) != 0 || r.Waiting != len(writes) {
		t.Fatalf("the flush whose answer was lost: %+v, %v", r, err)
	}
	r, err := m.Flush(ctx)
	if err != nil || len(r.Landed) != 3 || len(r.Refused) != 1 || r.Waiting != 0 {
		t.Fatalf("the flush with the line back: %+v, %v", r, err)
	}
	refused := r.Refused[0]
	if refused.Member != "il.military" || refused.Status/100 != 4 || refused.Reason == "" || refused.Problem == "" {
		t.Errorf("the refusal: %+v", refused)
	}
	t.Logf("refused: %d %s: %s", refused.Status, refused.Problem, refused.Reason)
	if r, err := m.Flush(ctx); err != nil || len(r.Landed)+len(r.Refused)+r.Waiting != 0 {
		t.Errorf("a flush with nothing left: %+v, %v", r, err)
	}
	// What the cell says when the member tries it directly is the reason
	// the mirror keeps.
	_, direct := c.login(t, "il.military").Submit(ctx, "/entries", signed(t, d, "il.military", "line-sy", "directly"))
	var ce *client.Error
	if !errors.As(direct, &ce) || ce.Status != refused.Status || ce.Type != refused.Problem {
		t.Errorf("sent directly: %v; the outbox kept %d %s", direct, refused.Status, refused.Problem)
	}

	// In the log: each once, in the order written, as its signer's.
	if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	round(t, m)
	order, by := subjects(t, m)
	var got []string
	for _, s := range order {
		if strings.HasPrefix(s, "queued") || s == "line up" {
			got = append(got, s)
		}
	}
	if want := []string{"line up", "queued one", "queued two", "queued four"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the log holds %q, want %q once each, in order", got, want)
	}
	if e := by["queued four"]; e == nil || e.Member != "il.diplomatic" || e.Party != "il" || e.KeyID != d.Key(t, "il.diplomatic").ID() {
		t.Errorf("a relayed entry is not its signer's: %+v", e)
	}
	if st := m.Status(); st.Waiting != 0 || st.Refused != 1 {
		t.Errorf("the status says %d waiting, %d refused; want 0 and 1", st.Waiting, st.Refused)
	}
	left, err := m.Outbox(ctx)
	if err != nil || len(left) != 1 || left[0].State != mirror.Refused || left[0].Seq != refused.Seq {
		t.Errorf("the outbox after the flush: %+v, %v; want the refusal alone", left, err)
	}

	// With the line up, a write the cell refuses is the cell's answer.
	_, err = m.Submit(ctx, "il.military", signed(t, d, "il.military", "line-sy", "refused at once"))
	if !errors.As(err, &ce) || ce.Status != refused.Status {
		t.Errorf("a refused write with the line up: %v", err)
	}
}

// resign makes env a command with the idempotency id of other, signed by
// other's signer: the same id for another command.
func resign(t testing.TB, d *testlog.Demo, env, other *record.Envelope) *record.Envelope {
	t.Helper()
	var p, o map[string]any
	if json.Unmarshal(env.Payload, &p) != nil || json.Unmarshal(other.Payload, &o) != nil {
		t.Fatal("payloads")
	}
	p["id"] = o["id"]
	e, err := client.Sign(d.Key(t, "il.duty"), testlog.Cell, env.Kind(), p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Members write at the mirror while it follows the cell: each write lands
// once, in the order one member wrote them.
func TestSubmitWhileFollowing(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	m := openMirror(t, c.login(t, "il.duty"), t.TempDir(), nil)
	round(t, m)
	done := make(chan error)
	go func() {
		for range 5 {
			if _, err := m.Round(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	var want []string
	for i := range 10 {
		s := "concurrent " + string(rune('a'+i))
		want = append(want, s)
		if o, err := m.Submit(ctx, "il.military", signed(t, d, "il.military", "joint-military", s)); err != nil || o.State != mirror.Landed {
			t.Fatalf("write %d: %+v, %v", i, o, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	round(t, m)
	order, _ := subjects(t, m)
	var got []string
	for _, s := range order {
		if strings.HasPrefix(s, "concurrent") {
			got = append(got, s)
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the log holds %q, want %q", got, want)
	}
}

// cutWhileSent ends the mirror's wait for the first relay (cancel) as
// soon as the cell has it, and lets the cell land it after all: a line too
// slow for the officer's patience.
func cutWhileSent(cancel func(), landed chan<- struct{}) func(http.Handler) http.Handler {
	var once atomic.Bool
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, "/relay") || !once.CompareAndSwap(false, true) {
				h.ServeHTTP(w, r)
				return
			}
			body, err := io.ReadAll(r.Body)
			cancel()
			if err == nil {
				r.Body = io.NopCloser(bytes.NewReader(body))
				h.ServeHTTP(httptest.NewRecorder(), r.WithContext(context.WithoutCancel(r.Context())))
			}
			close(landed)
		})
	}
}

// A write whose sender stopped waiting for the cell waits in the outbox;
// when the cell had taken it after all, the next flush finds it landed:
// once.
func TestGivenUpWriteWaitsAndLandsOnce(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	sctx, cancel := context.WithCancel(ctx)
	landed := make(chan struct{})
	c := startCell(t, d.Dir, cutWhileSent(cancel, landed))
	m := openMirror(t, c.login(t, "il.duty"), t.TempDir(), nil)
	round(t, m)
	o, err := m.Submit(sctx, "il.military", signed(t, d, "il.military", "joint-military", "slow"))
	if err != nil || o.State != mirror.Waiting || o.Waiting != 1 {
		t.Fatalf("a write its sender stopped waiting for: %+v, %v", o, err)
	}
	<-landed
	r, err := m.Flush(ctx)
	if err != nil || len(r.Landed) != 1 || r.Waiting != 0 {
		t.Fatalf("the flush after: %+v, %v", r, err)
	}
	if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	round(t, m)
	order, by := subjects(t, m)
	if n := strings.Count(strings.Join(order, "|"), "slow"); n != 1 || by["slow"].Index != r.Landed[0].Entry {
		t.Errorf("the log holds the write %d times; the outbox says entry %d", n, r.Landed[0].Entry)
	}
}

// A key revoked after a write it signed was queued: the cell refuses the
// write, and the mirror takes nothing more signed by it.
func TestQueuedWriteOfARevokedKey(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	officer := c.login(t, "il.commercial")
	k2, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := officer.RegisterKey(ctx, testlog.Cell, "", k2, "tablet"); err != nil {
		t.Fatal(err)
	}
	if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	m := openMirror(t, c.login(t, "il.duty"), t.TempDir(), nil)
	round(t, m)
	write := func(subject string) *record.Envelope {
		env, err := client.Sign(k2, testlog.Cell, "message.send", map[string]any{
			"channel": "joint-commercial", "subject": subject, "body": "text", "lang": "en", "precedence": "ROUTINE"})
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	c.stop()
	if o, err := m.Submit(ctx, "il.commercial", write("from the tablet")); err != nil || o.State != mirror.Waiting {
		t.Fatalf("queued: %+v, %v", o, err)
	}
	c = startCellAt(t, d.Dir, nil, c.Addr)
	if _, err := c.login(t, "il.commercial").RevokeKey(ctx, testlog.Cell, d.Key(t, "il.commercial"), k2.ID(), "the tablet is lost"); err != nil {
		t.Fatal(err)
	}
	if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	r := round(t, m)
	if r.Refused != 1 || r.Sent != 0 || r.Waiting != 0 {
		t.Fatalf("the round: %+v, want the write refused", r)
	}
	box, err := m.Outbox(ctx)
	if err != nil || len(box) != 1 || box[0].Status != http.StatusForbidden || !strings.Contains(box[0].Reason, k2.ID()) {
		t.Fatalf("the outbox: %+v, %v; want the refusal naming the key", box, err)
	}
	// The round followed the revocation after sending.
	if _, err := m.Submit(ctx, "il.commercial", write("after the revocation")); !errors.Is(err, mirror.ErrNotQueued) || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("a write signed by a revoked key: %v, want ErrNotQueued", err)
	}
}
