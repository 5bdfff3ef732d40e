package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
)

// sseEvent is one dispatched Server-Sent Event.
type sseEvent struct {
	ID, Event, Data string
	Raw             string // the event's lines as sent
}

// sseStream reads a live stream in the background. Reads wait on the
// stream's context: a generous deadline, never a sleep.
type sseStream struct {
	ctx    context.Context
	cancel context.CancelFunc
	events chan sseEvent
	done   chan struct{}
}

// streamTimeout bounds how long a test waits for an event that must come.
const streamTimeout = time.Minute

// openStream opens GET /api/v1/stream with query and, when lastID is not
// "", a Last-Event-ID header. It requires the 200 event-stream answer; the
// stream's start position is fixed once it returns.
func (c *client) openStream(t testing.TB, query, lastID string) *sseStream {
	t.Helper()
	return c.openStreamPath(t, "/api/v1/stream"+query, lastID)
}

// openStreamPath is openStream of the stream at path (with its query).
func (c *client) openStreamPath(t testing.TB, path, lastID string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), streamTimeout)
	req, err := http.NewRequestWithContext(ctx, "GET", c.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := c.ts.HTTP.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open stream: %v", err)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); resp.StatusCode != http.StatusOK || mt != "text/event-stream" {
		resp.Body.Close()
		cancel()
		t.Fatalf("open stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Buffered well beyond any test's burst: a test that writes before it
	// reads must not stall the server on a full socket (it would end the
	// stream at its write deadline, as it does a dead client's).
	s := &sseStream{ctx: ctx, cancel: cancel, events: make(chan sseEvent, 1<<14), done: make(chan struct{})}
	go s.read(resp)
	t.Cleanup(s.close)
	return s
}

// read parses the stream as the HTML standard's EventSource does.
func (s *sseStream) read(resp *http.Response) {
	defer close(s.done)
	defer close(s.events)
	defer resp.Body.Close()
	br := bufio.NewReaderSize(resp.Body, 1<<20)
	var ev sseEvent
	var data []string
	var raw strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if data != nil {
				ev.Data, ev.Raw = strings.Join(data, "\n"), raw.String()
				select {
				case s.events <- ev:
				case <-s.ctx.Done():
					return
				}
			}
			ev, data = sseEvent{}, nil
			raw.Reset()
			continue
		}
		raw.WriteString(line + "\n")
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.ID = value
		case "event":
			ev.Event = value
		case "data":
			data = append(data, value)
		}
	}
}

// close disconnects and waits for the reader to stop.
func (s *sseStream) close() {
	s.cancel()
	<-s.done
}

// next returns the next event, failing the test when the stream ends or
// the deadline passes first.
func (s *sseStream) next(t testing.TB) (sseEvent, api.EntryJSON) {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		if ev.Event != "entry" {
			t.Fatalf("event type %q, want entry: %q", ev.Event, ev.Raw)
		}
		var e api.EntryJSON
		if err := json.Unmarshal([]byte(ev.Data), &e); err != nil {
			t.Fatalf("event data: %v: %q", err, ev.Data)
		}
		want := "id: " + strconv.FormatInt(e.Index, 10) + "\nevent: entry\ndata: "
		if ev.ID != strconv.FormatInt(e.Index, 10) || !strings.HasPrefix(ev.Raw, want) {
			t.Fatalf("event of entry %d sent as %q", e.Index, ev.Raw)
		}
		return ev, e
	case <-s.ctx.Done():
		t.Fatalf("no event within %s", streamTimeout)
	}
	panic("unreachable")
}

// until reads events up to and including the entry at index last, and
// returns their indexes.
func (s *sseStream) until(t testing.TB, last int64) []int64 {
	t.Helper()
	var got []int64
	for {
		_, e := s.next(t)
		if len(got) > 0 && e.Index <= got[len(got)-1] {
			t.Fatalf("entry %d after entry %d", e.Index, got[len(got)-1])
		}
		got = append(got, e.Index)
		if e.Index == last {
			return got
		}
		if e.Index > last {
			t.Fatalf("stream passed entry %d without sending it (at %d, after %v)", last, e.Index, got)
		}
	}
}

// ended waits for the server to close the stream.
func (s *sseStream) ended(t testing.TB) {
	t.Helper()
	for {
		select {
		case _, ok := <-s.events:
			if !ok {
				return
			}
		case <-s.ctx.Done():
			t.Fatalf("the stream did not end within %s", streamTimeout)
		}
	}
}

func indexes(es []api.EntryJSON) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Index
	}
	return out
}

// partyUpdate is a harmless command every admin may send: it renames the
// own party and is visible to everyone.
func (c *client) partyUpdate(t testing.TB) submitted {
	t.Helper()
	var p cell.Party
	c.getJSON(t, "/api/v1/parties/"+c.member[:2], &p)
	return c.submitOK(t, "PUT", "/api/v1/parties/"+p.ID, c.sign(cell.KindPartyUpdate, map[string]any{
		"party": map[string]any{"id": p.ID, "name": p.Name + ".", "time_zone": p.TimeZone}}), http.StatusOK)
}

func TestStreamLive(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		us := ts.login(t, "us.military")
		s := us.openStream(t, "", "")
		il := ts.login(t, "il.duty")
		sy := ts.login(t, "sy.duty")
		a := il.createMember(t, "il.watch", "il", cell.RoleDuty)
		b := sy.createMember(t, "sy.watch", "sy", cell.RoleDuty)
		c := sy.partyUpdate(t)
		for _, want := range []submitted{a, b, c} {
			_, got := s.next(t)
			if got.Index != want.Entry.Index || got.LeafHash != want.Entry.LeafHash || got.Kind != want.Entry.Kind {
				t.Fatalf("event %d %s, want entry %d %s", got.Index, got.Kind, want.Entry.Index, want.Entry.Kind)
			}
		}
	})
}

func TestStreamResume(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		me := ts.login(t, "il.military")
		il, sy, us := ts.login(t, "il.duty"), ts.login(t, "sy.duty"), ts.login(t, "us.duty")
		visible := indexes(me.entries(t))
		s := me.openStream(t, "?after=-1", "")
		if got := s.until(t, visible[len(visible)-1]); !slices.Equal(got, visible) {
			t.Fatalf("replay %v\nwant %v", got, visible)
		}
		s.close()

		// Written while the client is away: some for il, some not.
		sy.createMember(t, "sy.away", "sy")
		il.createMember(t, "il.away", "il")
		us.submitOK(t, "POST", "/api/v1/parties", us.sign(cell.KindPartyCreate, map[string]any{"party": map[string]any{
			"id": "lb", "name": "Lebanon", "kind": cell.Side, "time_zone": "Asia/Beirut"}}), http.StatusCreated)
		_, reg := registerKey(t, "sy spare")
		sy.submitOK(t, "POST", "/api/v1/keys", reg, http.StatusCreated)
		sy.submitOK(t, "PUT", "/api/v1/members/sy.away", sy.sign(cell.KindMemberUpdate, map[string]any{
			"member": member("sy.away", "sy", cell.RoleCommercial)}), http.StatusOK)
		sentinel := il.partyUpdate(t)

		var want []int64
		for _, i := range indexes(me.entries(t)) {
			if i > visible[len(visible)-1] {
				want = append(want, i)
			}
		}
		if len(want) != 4 || want[len(want)-1] != sentinel.Entry.Index {
			t.Fatalf("il should see 4 of the 6 new entries, ending with %d: %v", sentinel.Entry.Index, want)
		}
		// Last-Event-ID wins over the ?after=-1 the reconnecting
		// EventSource repeats from its URL.
		lastID := strconv.FormatInt(visible[len(visible)-1], 10)
		s = me.openStream(t, "?after=-1", lastID)
		if got := s.until(t, sentinel.Entry.Index); !slices.Equal(got, want) {
			t.Fatalf("after reconnecting at %s: %v\nwant %v", lastID, got, want)
		}
		// And once caught up, the next event is the next entry, not a
		// repeat.
		next := il.partyUpdate(t)
		if _, e := s.next(t); e.Index != next.Entry.Index {
			t.Fatalf("live event %d, want %d", e.Index, next.Entry.Index)
		}
		s.close()

		// A client that resumes at the very end misses nothing either.
		s = me.openStream(t, "", strconv.FormatInt(next.Entry.Index, 10))
		after := sy.partyUpdate(t)
		if _, e := s.next(t); e.Index != after.Entry.Index {
			t.Fatalf("first event after resuming at the end: %d, want %d", e.Index, after.Entry.Index)
		}
	})
}

func TestStreamAudience(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, us := ts.login(t, "il.duty"), ts.login(t, "us.duty")
		for _, who := range []string{"sy.commercial", "jo.intelligence"} {
			c := ts.login(t, who)
			party := who[:2]
			live := c.openStream(t, "", "")
			// Neither entry is addressed to this party...
			il.createMember(t, "il.hidden-from-"+party, "il", cell.RoleIntelligence)
			us.createMember(t, "us.hidden-from-"+party, "us", cell.RoleIntelligence)
			// ...so the first event it sees is this one.
			sentinel := ts.login(t, party+".duty").partyUpdate(t)
			if _, e := live.next(t); e.Index != sentinel.Entry.Index {
				t.Fatalf("%s: first live event is entry %d (%s, audience %v), want %d", who, e.Index, e.Kind, e.Audience, sentinel.Entry.Index)
			}

			replay := c.openStream(t, "?after=-1", "")
			var got []int64
			for {
				_, e := replay.next(t)
				if !slices.Contains(e.Audience, record.Everyone) && !slices.Contains(e.Audience, party) {
					t.Errorf("%s received entry %d (%s) of audience %v", who, e.Index, e.Kind, e.Audience)
				}
				got = append(got, e.Index)
				if e.Index == sentinel.Entry.Index {
					break
				}
			}
			if want := indexes(c.entries(t)); !slices.Equal(got, want) {
				t.Errorf("%s replays %v\nwant %v", who, got, want)
			}
		}
	})
}

func TestStreamReplaysWholeLog(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		// More entries than one read of the stream (256) takes.
		il := ts.login(t, "il.duty")
		for i := range 130 {
			il.createMember(t, "il.m"+strconv.Itoa(i), "il")
			il.partyUpdate(t)
		}
		n := ts.size(t)
		s := ts.login(t, "us.diplomatic").openStream(t, "?after=-1", "")
		got := s.until(t, n-1)
		if int64(len(got)) != n || got[0] != 0 {
			t.Fatalf("the mediator's replay has %d events from %d, want all %d from 0", len(got), got[0], n)
		}
		// Resuming mid-log with ?after.
		s = ts.login(t, "us.diplomatic").openStream(t, "?after=99", "")
		if got := s.until(t, n-1); int64(len(got)) != n-100 || got[0] != 100 {
			t.Fatalf("replay after 99: %d events from %d", len(got), got[0])
		}
	})
}

func TestStreamBadResume(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, "il.duty")
	for _, id := range []string{"abc", "-2", "1.5", "0x10", "3 4", "99999999999999999999"} {
		r := ts.send(t, "GET", "/api/v1/stream", nil, http.Header{"Authorization": {"Bearer " + c.token}, "Last-Event-Id": {id}})
		wantType(t, r, http.StatusBadRequest, "bad-request")
	}
	wantType(t, c.get(t, "/api/v1/stream?after=-7"), http.StatusBadRequest, "bad-request")
}

// A resume point past the log's end is refused at once. The largest
// int64 used to overflow the index and spin a core for as long as the
// client kept the connection open.
func TestStreamResumePastTheEnd(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, "il.duty")
	n := ts.size(t)
	for _, id := range []string{"9223372036854775807", "9223372036854775806", itoa(n), itoa(n + 5)} {
		r := ts.send(t, "GET", "/api/v1/stream", nil, http.Header{"Authorization": {"Bearer " + c.token}, "Last-Event-Id": {id}})
		p := wantType(t, r, http.StatusBadRequest, "bad-request")
		if !strings.Contains(p.Detail, "beyond the log's end") {
			t.Errorf("Last-Event-ID %s: %q", id, p.Detail)
		}
		p = wantType(t, c.get(t, "/api/v1/stream?after="+id), http.StatusBadRequest, "bad-request")
		if !strings.Contains(p.Detail, itoa(n)+" entries") {
			t.Errorf("after=%s: %q", id, p.Detail)
		}
	}
	// The last index itself is a resume point: the stream waits for more.
	st := c.openStream(t, "?after="+itoa(n-1), "")
	st.close()
}

func TestStreamEndsWithSession(t *testing.T) {
	// Not parallel: the heartbeat is a package variable.
	old := api.StreamHeartbeat
	api.StreamHeartbeat = 10 * time.Millisecond
	t.Cleanup(func() { api.StreamHeartbeat = old })
	ts := newTestServer(t)

	c := ts.login(t, "sy.military")
	s := c.openStream(t, "", "")
	if r := c.do(t, "POST", "/api/v1/auth/logout", nil); r.Status != http.StatusNoContent {
		t.Fatalf("logout: %s", r)
	}
	s.ended(t)

	c = ts.login(t, "sy.military")
	s = c.openStream(t, "", "")
	admin := ts.login(t, "sy.duty")
	disabled := member("sy.military", "sy", cell.RoleMilitary)
	disabled["disabled"] = true
	admin.submitOK(t, "PUT", "/api/v1/members/sy.military", admin.sign(cell.KindMemberUpdate, map[string]any{"member": disabled}), http.StatusOK)
	s.ended(t)
}

func TestStreamUnderConcurrentWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		us := ts.login(t, "us.military")
		sy := ts.login(t, "sy.commercial")
		start := ts.size(t) - 1
		all := us.openStream(t, "", "")
		mine := sy.openStream(t, "", "")
		// Four members write at once; the appender batches them.
		const writers, each = 4, 15
		var wg sync.WaitGroup
		errs := make(chan string, writers*each)
		for _, who := range []string{"il.duty", "sy.duty", "jo.duty", "us.duty"} {
			c := ts.login(t, who)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					// Roster changes: each visible to one party and the
					// mediator only.
					env := c.sign(cell.KindMemberCreate, map[string]any{"member": member(fmt.Sprintf("%s.c%d", c.member[:2], i), c.member[:2])})
					req, _ := http.NewRequest("POST", ts.URL+"/api/v1/members", bytes.NewReader(env.Marshal()))
					req.Header.Set("Authorization", "Bearer "+c.token)
					resp, err := ts.HTTP.Do(req)
					if err != nil {
						errs <- err.Error()
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						errs <- fmt.Sprintf("%s: %d", c.member, resp.StatusCode)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		sentinel := ts.login(t, "sy.duty").partyUpdate(t)
		end := sentinel.Entry.Index
		var want []int64
		for i := start + 1; i <= end; i++ {
			want = append(want, i)
		}
		if got := all.until(t, end); !slices.Equal(got, want) {
			t.Fatalf("the mediator's stream: %v\nwant %v", got, want)
		}
		want = nil
		for _, e := range sy.entries(t) {
			if e.Index > start {
				want = append(want, e.Index)
			}
		}
		if len(want) != each+1 {
			t.Fatalf("sy sees %d of the new entries, want its %d and the sentinel", len(want), each)
		}
		if got := mine.until(t, end); !slices.Equal(got, want) {
			t.Fatalf("sy's stream: %v\nwant %v", got, want)
		}
	})
}

// TestStreamResumesBehindWindow writes more entries than the stream keeps
// in memory (api.FeedWindow), mostly outside the reader's audience, and
// resumes from before them: the reader catches up from the store and
// continues live, each of its entries once.
func TestStreamResumesBehindWindow(t *testing.T) {
	if testing.Short() {
		t.Skipf("writes %d entries", api.FeedWindow+200)
	}
	eachBackend(t, func(t *testing.T, ts *testServer) {
		us := ts.login(t, "us.duty")
		sy := ts.login(t, "sy.intelligence")
		start := ts.size(t) - 1
		live := us.openStream(t, "", "") // starts the cell's feed here
		n := api.FeedWindow + 200
		keys := map[string]*record.DeviceKey{"il.military": ts.deviceKey(t, "il.military"), "sy.military": ts.deviceKey(t, "sy.military")}
		const workers = 16
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += workers {
					who, line := "il.military", "line-il" // invisible to sy...
					if i%500 == 0 {
						who, line = "sy.military", "line-sy" // ...but for these
					}
					env := record.Sign(hotline.KindMessageSend, payload(map[string]any{"channel": line,
						"subject": fmt.Sprint("bulk ", i), "body": "x", "lang": "en", "precedence": hotline.Routine}), keys[who].Private)
					if _, err := ts.Ledger.Submit(context.Background(), seed.DemoCell, who, env); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		end := ts.size(t) - 1
		if end != start+int64(n) {
			t.Fatalf("log end %d, want %d", end, start+int64(n))
		}
		var want []int64
		for i := start + 1; i <= end; i++ {
			want = append(want, i)
		}
		if got := live.until(t, end); !slices.Equal(got, want) {
			t.Fatalf("the live stream missed or repeated entries: %d events for %d entries", len(got), len(want))
		}
		live.close()

		// Resume from before the window, as sy and as the mediator.
		sentinel := ts.login(t, "sy.duty").partyUpdate(t)
		for _, c := range []*client{sy, us} {
			want = nil
			for _, e := range c.entries(t) {
				if e.Index > start && e.Index <= sentinel.Entry.Index {
					want = append(want, e.Index)
				}
			}
			s := c.openStream(t, "", strconv.FormatInt(start, 10))
			if got := s.until(t, sentinel.Entry.Index); !slices.Equal(got, want) {
				t.Fatalf("%s resuming at %d: %d events, want %d", c.member, start, len(got), len(want))
			}
			// Then live, from the window.
			next := ts.login(t, "sy.duty").partyUpdate(t)
			want = nil
			for _, e := range c.entries(t) {
				if e.Index > sentinel.Entry.Index {
					want = append(want, e.Index)
				}
			}
			if got := s.until(t, next.Entry.Index); !slices.Equal(got, want) {
				t.Fatalf("%s: live events %v after catching up, want %v", c.member, got, want)
			}
			s.close()
		}

		// Resume again while the log ends in entries sy may not read, once
		// the window holds them: the reader skips them, and the next entry
		// for sy still arrives.
		watch := us.openStream(t, "", "")
		il := ts.login(t, "il.duty")
		var tail submitted
		for range 3 {
			tail = il.partyUpdate(t) // everyone's...
			tail = il.createMember(t, fmt.Sprintf("il.tail%d", tail.Entry.Index), "il")
		}
		watch.until(t, tail.Entry.Index) // the feed has read the tail
		s := sy.openStream(t, "", strconv.FormatInt(start, 10))
		want = nil
		for _, e := range sy.entries(t) {
			if e.Index > start {
				want = append(want, e.Index)
			}
		}
		if got := s.until(t, want[len(want)-1]); !slices.Equal(got, want) {
			t.Fatalf("sy resuming with an invisible tail: %d events, want %d", len(got), len(want))
		}
		x := ts.login(t, "sy.duty").partyUpdate(t)
		ts.login(t, "sy.duty").partyUpdate(t)
		if _, e := s.next(t); e.Index != x.Entry.Index {
			t.Fatalf("after the invisible tail, sy's next event is %d, want %d", e.Index, x.Entry.Index)
		}
	})
}

// The demo's TLP:RED release names sy.intelligence alone: its stream
// replays the release's entry, Syria's duty officer's does not.
func TestStreamNamedReaders(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		named := func(who string) []int64 {
			c := ts.login(t, who)
			sentinel := ts.login(t, "sy.duty").partyUpdate(t)
			s := c.openStream(t, "?after=-1", "")
			defer s.close()
			var out []int64
			for {
				_, e := s.next(t)
				if e.Kind == intel.KindRelease && slices.Contains(e.Audience, record.MemberAudience("sy", "sy.intelligence")) {
					out = append(out, e.Index)
				}
				if e.Index == sentinel.Entry.Index {
					return out
				}
			}
		}
		if got := named("sy.intelligence"); len(got) != 1 {
			t.Errorf("sy.intelligence's stream holds %d releases naming it, want the demo's one", len(got))
		}
		if got := named("sy.duty"); len(got) != 0 {
			t.Errorf("sy.duty's stream holds the release named for sy.intelligence: entries %v", got)
		}
	})
}
