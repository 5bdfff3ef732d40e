package api_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/hotline"
)

// A client that drops the stream and resumes with Last-Event-ID while
// messages, acknowledgements and escalations keep being written receives
// every hotline event it may read exactly once, in order.
func TestHotlineStreamResumesExactlyOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		setDeadlines(t, ts, map[string]int{"FLASH": 1})
		reader := ts.login(t, "sy.duty")
		ilm, sym, us := ts.login(t, "il.military"), ts.login(t, "sy.military"), ts.login(t, "us.duty")
		start := ts.size(t) - 1

		// The watch ticks throughout: FLASHes nobody acknowledges escalate
		// whenever their deadline passes, connected or not.
		w := newWatch(t, ts)
		ctx, stop := context.WithCancel(context.Background())
		ticked := make(chan error, 1)
		go func() {
			for ctx.Err() == nil {
				if err := w.Tick(ctx); err != nil && ctx.Err() == nil {
					ticked <- err
					return
				}
				select {
				case <-ctx.Done():
				case <-time.After(20 * time.Millisecond):
				}
			}
			ticked <- nil
		}()
		defer stop()

		// One round of traffic: a FLASH on the joint channel (Syria
		// acknowledges every other one, the mediator never), a FLASH down
		// Syria's line (acknowledged every other round), and a message on
		// Israel's line, which Syria must not receive.
		round := func(i int) error {
			id, err := ilm.post("/api/v1/messages", ilm.sign(hotline.KindMessageSend,
				message("joint-military", hotline.Flash, fmt.Sprint("Joint flash ", i), "Convoy movement, round "+fmt.Sprint(i))))
			if err != nil {
				return err
			}
			if i%2 == 0 {
				if _, err := sym.post(fmt.Sprintf("/api/v1/messages/%d/ack", id), sym.sign(hotline.KindMessageAck,
					map[string]any{"message": id, "readback": fmt.Sprint("convoy, round ", i)})); err != nil {
					return err
				}
			}
			id, err = us.post("/api/v1/messages", us.sign(hotline.KindMessageSend,
				message("line-sy", hotline.Flash, fmt.Sprint("Line flash ", i), "Confirm, round "+fmt.Sprint(i))))
			if err != nil {
				return err
			}
			if i%2 == 1 {
				if _, err := reader.post(fmt.Sprintf("/api/v1/messages/%d/ack", id), reader.sign(hotline.KindMessageAck,
					map[string]any{"message": id, "readback": fmt.Sprint("confirmed, round ", i)})); err != nil {
					return err
				}
			}
			_, err = us.post("/api/v1/messages", us.sign(hotline.KindMessageSend,
				message("line-il", hotline.Routine, fmt.Sprint("Israel only ", i), "Not for Syria")))
			return err
		}

		var seen []int64
		last := start
		for r := range 4 {
			s := reader.openStream(t, "", itoa(last))
			// Traffic while connected; the client drops the stream
			// after a few events, in the middle of it.
			done := make(chan error, 1)
			go func() { done <- round(2 * r) }()
			for range 3 {
				_, e := s.next(t)
				seen = append(seen, e.Index)
				last = e.Index
			}
			s.close()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			// Traffic while disconnected.
			if err := round(2*r + 1); err != nil {
				t.Fatal(err)
			}
		}
		// Let the watch escalate what nobody acknowledged, then stop it.
		poll(t, "escalations", func() bool {
			n := 0
			for _, i := range escalationEntries(t, ts) {
				if i > start {
					n++
				}
			}
			return n >= 8
		})
		stop()
		if err := <-ticked; err != nil {
			t.Fatalf("tick: %v", err)
		}
		sentinel := us.submitOK(t, "POST", "/api/v1/glossary", us.sign(hotline.KindGlossarySet, map[string]any{"term": map[string]any{
			"id": "convoy", "terms": map[string]string{"en": "convoy"}}}), 201).Entry.Index
		s := reader.openStream(t, "", itoa(last))
		for {
			_, e := s.next(t)
			seen = append(seen, e.Index)
			if e.Index >= sentinel {
				break
			}
		}

		var want []int64
		kinds := map[string]int{}
		for _, e := range reader.entries(t) {
			if e.Index > start {
				want = append(want, e.Index)
				kinds[e.Kind]++
			}
		}
		if !slices.Equal(seen, want) {
			t.Fatalf("across reconnections the stream sent\n%v\nwant every visible entry once, in order:\n%v", seen, want)
		}
		for _, k := range []string{hotline.KindMessageSend, hotline.KindMessageAck, hotline.KindMessageEscalate} {
			if kinds[k] == 0 {
				t.Errorf("no %s among the streamed entries %v", k, kinds)
			}
		}
	})
}

// poll waits until done reports true, failing after hotlineWait.
func poll(t testing.TB, what string, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hotlineWait)
	defer cancel()
	for !done() {
		select {
		case <-ctx.Done():
			t.Fatalf("still waiting for %s after %s", what, hotlineWait)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
