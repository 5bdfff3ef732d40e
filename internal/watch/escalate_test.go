package watch_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/watch"
)

// A FLASH left unacknowledged escalates once at its deadline and once
// more at twice the deadline, across a restart of the server in between,
// and never again.
func TestEscalationAcrossRestart(t *testing.T) {
	t.Parallel()
	const window = 2 * time.Second
	dir := filepath.Join(t.TempDir(), "data")
	n := newNode(t, openSQLite(t, dir))
	keys := seedCell(t, n, cell.Settings{AckDeadlines: map[string]int{"FLASH": int(window / time.Second)}})
	m := keys.send(t, n, "us.duty", "line-sy", hotline.Flash, "confirm the revised patrol schedule")
	ackID := hotline.AckID(m.Index, "sy")

	tickUntil(t, n.w, "the first escalation", func() bool { return len(escalations(t, n.st)) > 0 })
	es := escalations(t, n.st)
	if len(es) != 1 {
		t.Fatalf("after the first escalation the log holds %d: %+v", len(es), es)
	}
	first := es[0]
	if first.Message != m.Index || first.Party != "sy" || first.Level != 1 || first.Round != 0 {
		t.Errorf("first escalation %+v", first.EscalatePayload)
	}
	if first.Time.Before(m.Time.Add(window)) {
		t.Errorf("first escalation at %s, before the deadline %s", first.Time, m.Time.Add(window))
	}

	// Restart: everything closed, reopened from the data directory.
	n.close()
	n = newNode(t, openSQLite(t, dir))
	if d, ok := object[hotline.Deadline](t, n.st, hotline.ObjDeadline, ackID); !ok || d.Level != 1 {
		t.Fatalf("after the restart the deadline is %+v (present %v), want level 1", d, ok)
	}
	tickUntil(t, n.w, "the second escalation", func() bool { return len(escalations(t, n.st)) > 1 })
	es = escalations(t, n.st)
	if len(es) != 2 {
		t.Fatalf("after the second escalation the log holds %d: %+v", len(es), es)
	}
	if es[0] != first {
		t.Errorf("the first escalation changed: %+v, was %+v", es[0], first)
	}
	second := es[1]
	if second.Message != m.Index || second.Party != "sy" || second.Level != 2 || second.Round != 0 {
		t.Errorf("second escalation %+v", second.EscalatePayload)
	}
	if second.Time.Before(m.Time.Add(2 * window)) {
		t.Errorf("second escalation at %s, before twice the deadline %s", second.Time, m.Time.Add(2*window))
	}

	// No third, not even when a third deadline would have passed.
	waitUntil(t, m.Time.Add(3*window+100*time.Millisecond))
	for range 3 {
		if err := n.w.Tick(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if es := escalations(t, n.st); len(es) != 2 {
		t.Fatalf("later ticks escalated again: %+v", es)
	}

	// The projections agree: still awaited (overdue), escalated twice, and
	// each escalation pages the right people.
	a, _ := object[hotline.Ack](t, n.st, hotline.ObjAck, ackID)
	if a.Status != hotline.AckPending || a.Escalations != 2 {
		t.Errorf("ack after two escalations: %+v", a)
	}
	if d, ok := object[hotline.Deadline](t, n.st, hotline.ObjDeadline, ackID); !ok || d.Level != 2 {
		t.Errorf("deadline after two escalations: %+v (present %v)", d, ok)
	}
	for i, want := range [][]string{{cell.RoleDuty}, {cell.RoleAdmin}} {
		e, ok := object[hotline.Escalation](t, n.st, hotline.ObjEscalation, hotline.MsgID(es[i].Index))
		if !ok || e.Level != i+1 || e.Channel != "line-sy" || e.Party != "sy" || !slices.Equal(e.NotifyRoles, want) || !e.At.Equal(es[i].Time) {
			t.Errorf("escalation object %d: %+v", es[i].Index, e)
		}
	}
	for _, e := range entriesOf(t, n.st, hotline.KindMessageEscalate) {
		if !slices.Equal(e.Audience, []string{"sy", "us"}) || e.Member != "" {
			t.Errorf("escalation entry %d: audience %v, member %q", e.Index, e.Audience, e.Member)
		}
	}
}

// An acknowledgement stops escalation; an incorrect readback starts a new
// round that escalates on its own.
func TestEscalationFollowsAcknowledgement(t *testing.T) {
	t.Parallel()
	n := newNode(t, openSQLite(t, filepath.Join(t.TempDir(), "data")))
	keys := seedCell(t, n, cell.Settings{AckDeadlines: map[string]int{"FLASH": 1}})
	m := keys.send(t, n, "il.mil", "joint-mil", hotline.Flash, "convoy at 0600Z")
	keys.as(t, n, "sy.mil", hotline.KindMessageAck, map[string]any{"message": m.Index, "readback": "convoy at 0800Z"})

	// The mediator is silent: it escalates twice; Syria acknowledged in
	// time: never.
	tickUntil(t, n.w, "two escalations for us", func() bool { return len(escalations(t, n.st)) == 2 })
	for _, e := range escalations(t, n.st) {
		if e.Party != "us" {
			t.Errorf("escalation for %s, who acknowledged: %+v", e.Party, e)
		}
	}
	// A late acknowledgement ends the wait.
	keys.as(t, n, "us.duty", hotline.KindMessageAck, map[string]any{"message": m.Index, "readback": "convoy"})
	if _, ok := object[hotline.Deadline](t, n.st, hotline.ObjDeadline, hotline.AckID(m.Index, "us")); ok {
		t.Error("the deadline outlived a late acknowledgement")
	}

	// Israel finds Syria's readback wrong: a new round, with its own two
	// escalations.
	mark := keys.as(t, n, "il.mil", hotline.KindReadbackMark, map[string]any{"message": m.Index, "party": "sy", "verdict": hotline.VerdictFail, "correction": "0600Z"})
	tickUntil(t, n.w, "two escalations of round 1", func() bool { return len(escalations(t, n.st)) == 4 })
	es := escalations(t, n.st)
	for i, e := range es[2:] {
		if e.Party != "sy" || e.Round != 1 || e.Level != i+1 {
			t.Errorf("escalation %d of the new round: %+v", i+1, e.EscalatePayload)
		}
		if e.Time.Before(mark.Time.Add(time.Duration(i+1) * time.Second)) {
			t.Errorf("escalation %d of the new round at %s, before %s", i+1, e.Time, mark.Time.Add(time.Duration(i+1)*time.Second))
		}
	}
	// And Syria's acknowledgement of round 1 ends it.
	keys.as(t, n, "sy.mil", hotline.KindMessageAck, map[string]any{"message": m.Index, "readback": "convoy at 0600Z"})
	if err := n.w.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if es := escalations(t, n.st); len(es) != 4 {
		t.Errorf("escalations after everyone acknowledged: %d", len(es))
	}
}

// tickers runs w.Tick of each watch in a loop of its own until stop.
type tickers struct {
	stop  chan struct{}
	wg    sync.WaitGroup
	ticks []atomic.Int64
	mu    sync.Mutex
	errs  []error
}

func startTickers(ws ...*watch.Watch) *tickers {
	tk := &tickers{stop: make(chan struct{}), ticks: make([]atomic.Int64, len(ws))}
	for i, w := range ws {
		tk.wg.Add(1)
		go func() {
			defer tk.wg.Done()
			for {
				select {
				case <-tk.stop:
					return
				default:
				}
				if err := w.Tick(context.Background()); err != nil {
					tk.mu.Lock()
					tk.errs = append(tk.errs, fmt.Errorf("watch %d: %w", i, err))
					tk.mu.Unlock()
				}
				tk.ticks[i].Add(1)
			}
		}()
	}
	return tk
}

// settle lets every watch tick a few more times.
func (tk *tickers) settle(t *testing.T) {
	t.Helper()
	start := make([]int64, len(tk.ticks))
	for i := range tk.ticks {
		start[i] = tk.ticks[i].Load()
	}
	poll(t, "more ticks", func() bool {
		for i := range tk.ticks {
			if tk.ticks[i].Load() < start[i]+3 {
				return false
			}
		}
		return true
	})
}

func (tk *tickers) halt(t *testing.T) {
	t.Helper()
	close(tk.stop)
	tk.wg.Wait()
	for _, err := range tk.errs {
		t.Error(err)
	}
}

// poll waits until done reports true, failing after waitLimit.
func poll(t *testing.T, what string, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for !done() {
		select {
		case <-ctx.Done():
			t.Fatalf("still waiting for %s after %s", what, waitLimit)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// deadlines sends FLASH messages that await 2 acknowledgements each on
// the joint channel and one on Syria's line, and returns the awaited
// acknowledgements' ids.
func flashes(t *testing.T, n *node, keys cellKeys) []string {
	t.Helper()
	var awaited []string
	for i := range 3 {
		m := keys.send(t, n, "il.mil", "joint-mil", hotline.Flash, fmt.Sprint("joint flash ", i))
		awaited = append(awaited, hotline.AckID(m.Index, "sy"), hotline.AckID(m.Index, "us"))
		m = keys.send(t, n, "us.duty", "line-sy", hotline.Flash, fmt.Sprint("line flash ", i))
		awaited = append(awaited, hotline.AckID(m.Index, "sy"))
	}
	return awaited
}

// wantOnce requires exactly one escalation of each level for each awaited
// acknowledgement, and no other.
func wantOnce(t *testing.T, st store.Store, awaited []string) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range escalations(t, st) {
		seen[fmt.Sprintf("%s/%d", hotline.AckID(e.Message, e.Party), e.Level)]++
	}
	for _, id := range awaited {
		for _, level := range []int{1, 2} {
			key := fmt.Sprintf("%s/%d", id, level)
			if seen[key] != 1 {
				t.Errorf("escalation %s: %d times, want once", key, seen[key])
			}
			delete(seen, key)
		}
	}
	for k, n := range seen {
		t.Errorf("unexpected escalation %s (%d times)", k, n)
	}
}

// Two watches that both lead (SQLite: every node leads) over one store,
// ticking at once, escalate each deadline once per level.
func TestTwoWatchesEscalateOnce(t *testing.T) {
	t.Parallel()
	st := openSQLite(t, filepath.Join(t.TempDir(), "data"))
	t.Cleanup(func() { st.Close() })
	a := sharedNode(t, st)
	keys := seedCell(t, a, cell.Settings{AckDeadlines: map[string]int{"FLASH": 1}})
	b := sharedNode(t, st)
	awaited := flashes(t, a, keys)

	tk := startTickers(a.w, b.w)
	poll(t, "every escalation", func() bool { return len(escalations(t, st)) >= 2*len(awaited) })
	tk.settle(t)
	tk.halt(t)
	wantOnce(t, st, awaited)
}

// Two nodes over one PostgreSQL schema, ticking at once: one leads and
// escalates each deadline once; when it stops, another takes over and
// still nothing happens twice.
func TestTwoNodesEscalateOncePostgres(t *testing.T) {
	t.Parallel()
	u := postgresURL(t)
	a := newNode(t, openPostgres(t, u))
	keys := seedCell(t, a, cell.Settings{AckDeadlines: map[string]int{"FLASH": 1}})
	b := newNode(t, openPostgres(t, u))
	awaited := flashes(t, a, keys)

	level1 := func() bool {
		n := 0
		for _, e := range escalations(t, a.st) {
			if e.Level == 1 {
				n++
			}
		}
		return n == len(awaited)
	}
	tk := startTickers(a.w, b.w)
	poll(t, "the first escalations", level1)
	tk.halt(t)

	// Which node leads? The leader's lock answers yes to it and no to the
	// other.
	ctx := context.Background()
	la, err := a.st.TryLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := b.st.TryLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if la == lb {
		t.Fatalf("leadership: a %v, b %v; want exactly one leader", la, lb)
	}
	leader, other := a, b
	if lb {
		leader, other = b, a
	}
	// The leader stops; a new node joins; both tick.
	leader.close()
	c := newNode(t, openPostgres(t, u))
	tk = startTickers(other.w, c.w)
	poll(t, "every escalation", func() bool { return len(escalations(t, other.st)) >= 2*len(awaited) })
	tk.settle(t)
	tk.halt(t)
	wantOnce(t, other.st, awaited)
}

// The watch reads deadlines a page at a time; the deadlines of one
// message (one per recipient) share a creation index, and a page boundary
// between them must not lose one. Not parallel: it changes the page size.
func TestEscalationPaging(t *testing.T) {
	old := *watch.ListPage
	*watch.ListPage = 3
	t.Cleanup(func() { *watch.ListPage = old })

	n := newNode(t, openSQLite(t, filepath.Join(t.TempDir(), "data")))
	keys := seedCell(t, n, cell.Settings{AckDeadlines: map[string]int{"FLASH": 1}})
	// One deadline, then pairs: pages of three split every pair.
	var awaited []string
	last := keys.send(t, n, "us.duty", "line-sy", hotline.Flash, "line")
	awaited = append(awaited, hotline.AckID(last.Index, "sy"))
	for i := range 4 {
		last = keys.send(t, n, "il.mil", "joint-mil", hotline.Flash, fmt.Sprint("joint ", i))
		awaited = append(awaited, hotline.AckID(last.Index, "sy"), hotline.AckID(last.Index, "us"))
	}
	// Once every deadline has passed, one tick escalates them all.
	waitUntil(t, last.Time.Add(1100*time.Millisecond))
	if err := n.w.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range escalations(t, n.st) {
		got[hotline.AckID(e.Message, e.Party)] = true
	}
	for _, id := range awaited {
		if !got[id] {
			t.Errorf("one tick after every deadline passed, %s is not escalated", id)
		}
	}
	if len(got) != len(awaited) {
		t.Errorf("%d escalations for %d deadlines", len(got), len(awaited))
	}
}
