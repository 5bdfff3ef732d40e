package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
)

// logEvent reads the next event, which must be a "log" event without an
// id (a client's resume point stays an entry's), and returns its size.
func (s *sseStream) logEvent(t testing.TB) int64 {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("the stream ended")
		}
		const prefix = `{"size":`
		if ev.Event != "log" || ev.ID != "" || len(ev.Data) < len(prefix)+2 || ev.Data[:len(prefix)] != prefix || ev.Data[len(ev.Data)-1] != '}' {
			t.Fatalf("want a log event without id, got %q", ev.Raw)
		}
		n, err := strconv.ParseInt(ev.Data[len(prefix):len(ev.Data)-1], 10, 64)
		if err != nil {
			t.Fatalf("log event %q: %v", ev.Raw, err)
		}
		return n
	case <-s.ctx.Done():
		t.Fatalf("no event within %s", streamTimeout)
	}
	panic("unreachable")
}

// A stream that asks (?log=1) is told the log's size as it grows, entries
// it may not read included, after the entries it may read; it is never
// sent those entries. A stream that does not ask is told nothing of them
// (TestStreamAudience).
func TestStreamAnnouncesTheLogSize(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il := ts.login(t, "il.duty")
		live := ts.login(t, "sy.commercial").openStream(t, "?log=1", "")
		hidden := il.createMember(t, "il.hidden", "il", cell.RoleIntelligence)
		if n := live.logEvent(t); n != hidden.Entry.Index+1 {
			t.Fatalf("told the log has %d entries, want %d", n, hidden.Entry.Index+1)
		}
		sentinel := ts.login(t, "sy.duty").partyUpdate(t)
		if _, e := live.next(t); e.Index != sentinel.Entry.Index {
			t.Fatalf("event of entry %d (%v), want %d", e.Index, e.Audience, sentinel.Entry.Index)
		}
		if n := live.logEvent(t); n != sentinel.Entry.Index+1 {
			t.Fatalf("told the log has %d entries, want %d", n, sentinel.Entry.Index+1)
		}
	})
}

func TestStreamBadLog(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, "il.duty")
	wantType(t, c.get(t, "/api/v1/stream?log=yes"), http.StatusBadRequest, "bad-request")
}
