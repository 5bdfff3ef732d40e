package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// FeedWindow is how many recent entries of a cell the stream keeps in
// memory, parsed and rendered once for all readers. A reader further
// behind reads the store until it catches up.
const FeedWindow = 4096

// hub fans a cell's new entries out to its stream readers. One goroutine
// per cell reads each new entry from the store once, after commit, and
// renders its event; readers filter by audience in memory. Heavy read
// traffic thus stays off the database that serializes writes, and a notice
// carries only a position: a lost or merged one loses nothing.
type hub struct {
	st     store.Store
	log    *slog.Logger
	mu     sync.Mutex
	feeds  map[string]*feed
	cancel func()
	ctx    context.Context
	stop   context.CancelFunc
}

type event struct {
	index   int64
	mask    uint64
	members []string
	entry   *record.Entry
	frame   []byte // the rendered SSE event
}

type feed struct {
	cell    string
	mu      sync.Mutex
	ring    []event // consecutive indexes from first
	first   int64
	next    int64 // the index the feed will read next
	waiters map[chan struct{}]struct{}
	kick    chan struct{}
}

func newHub(st store.Store, log *slog.Logger) *hub {
	h := &hub{st: st, log: log, feeds: map[string]*feed{}}
	h.ctx, h.stop = context.WithCancel(context.Background())
	h.cancel = st.Subscribe(h.notice)
	return h
}

func (h *hub) notice(cellID string, _ int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, f := range h.feeds {
		if cellID == "" || id == cellID {
			select {
			case f.kick <- struct{}{}:
			default:
			}
		}
	}
}

// feed returns the cell's feed, starting it at the log's current end.
func (h *hub) feed(ctx context.Context, cellID string) (*feed, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f, ok := h.feeds[cellID]; ok {
		return f, nil
	}
	n, err := h.st.Size(ctx, cellID)
	if err != nil {
		return nil, err
	}
	f := &feed{cell: cellID, first: n, next: n, waiters: map[chan struct{}]struct{}{}, kick: make(chan struct{}, 1)}
	h.feeds[cellID] = f
	go h.run(f)
	f.kick <- struct{}{} // catch what was appended meanwhile
	return f, nil
}

func (h *hub) run(f *feed) {
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-f.kick:
		}
		for {
			rows, err := h.st.Entries(h.ctx, f.cell, f.next, f.next+512)
			if err != nil {
				if h.ctx.Err() != nil {
					return
				}
				// Retry rather than wait for the next notice: after the
				// last write of a burst none may come, and every reader
				// would stall behind this one failed read.
				h.log.Error("stream feed: reading new entries; retrying", "cell", f.cell, "err", err)
				select {
				case <-h.ctx.Done():
					return
				case <-time.After(500 * time.Millisecond):
				}
				continue
			}
			if len(rows) == 0 {
				break
			}
			evs := make([]event, 0, len(rows))
			for _, row := range rows {
				e, err := record.ParseEntry(row.LeafData)
				if err != nil {
					h.log.Error("stream feed: stored entry does not parse", "cell", f.cell, "index", row.Index, "err", err)
					return
				}
				data, _ := json.Marshal(streamEntryJSON(e, row.LeafData))
				frame := fmt.Appendf(nil, "id: %d\nevent: entry\ndata: %s\n\n", row.Index, data)
				evs = append(evs, event{index: row.Index, mask: row.Mask, members: row.Members, entry: e, frame: frame})
			}
			f.append(evs)
			if len(rows) < 512 {
				break
			}
		}
	}
}

func (f *feed) append(evs []event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ring = append(f.ring, evs...)
	f.next = evs[len(evs)-1].index + 1
	if over := len(f.ring) - FeedWindow; over > 0 {
		f.ring = append(f.ring[:0:0], f.ring[over:]...)
	}
	if len(f.ring) > 0 {
		f.first = f.ring[0].index
	}
	for ch := range f.waiters {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// since returns the events after index after, at most max; ok is false
// when after lies before the window, and the reader must read the store.
// end is the index the feed has reached.
func (f *feed) since(after int64, max int) (evs []event, end int64, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if after+1 < f.first {
		return nil, f.next, false
	}
	i := int(after + 1 - f.first)
	if i >= len(f.ring) {
		return nil, f.next, true
	}
	j := min(len(f.ring), i+max)
	return f.ring[i:j], f.next, true
}

func (f *feed) register() (chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	f.waiters[ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.waiters, ch)
		f.mu.Unlock()
	}
}

func (h *hub) close() {
	h.cancel()
	h.stop()
}

// StreamHeartbeat is how often an idle stream sends a comment, so that
// proxies keep it open and a dead client is noticed.
var StreamHeartbeat = 15 * time.Second

// stream serves Server-Sent Events: one "entry" event per log entry the
// caller may read, with the log index as event id. A client resumes with
// Last-Event-ID (or ?after=N) and receives every later entry exactly once;
// without either it starts at the log's current end. With ?log=1 it also
// announces the log's size as it grows ("log" events, no id), whoever the
// new entries are for: a party's mirror verifies every checkpoint, not
// only those its party's entries are in, and the size is what the signed
// checkpoint tells every reader of the log a moment later.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, p *Principal) error {
	announce := false
	if v := r.URL.Query().Get("log"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest("log must be 1 (announce the log's size as it grows) or 0")
		}
		if b {
			if err := cell.May(p.Actor(), cell.ReadLog, cell.Target{}); err != nil {
				return err
			}
		}
		announce = b
	}
	after := int64(-2)
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < -1 {
			return badRequest("Last-Event-ID must be a log index")
		}
		after = n
	} else if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < -1 {
			return badRequest("after must be a log index, or -1 for the whole log")
		}
		after = n
	}
	f, err := s.hub.feed(r.Context(), p.Cell)
	if err != nil {
		return err
	}
	wake, unregister := f.register()
	defer unregister()
	n, err := s.st.Size(r.Context(), p.Cell)
	if err != nil {
		return err
	}
	switch {
	case after == -2:
		after = n - 1
	case after >= n:
		// Every event id a client holds came from this log, which only
		// grows: a later one is a mistake (or a log restored from an older
		// backup), and waiting for it would wait for ever.
		return badRequest(fmt.Sprintf("after %d is beyond the log's end: it has %d entries, the last at index %d", after, n, n-1))
	}
	rc := http.NewResponseController(w)
	s.streams.Inc()
	defer s.streams.Dec()
	s.open.Add(1)
	defer s.open.Add(-1)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	// The stream lives long and sets a deadline before each write: from
	// here on its writes are its own (see deadlineWriter).
	rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) //nolint:errcheck
	w.WriteHeader(http.StatusOK)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "retry: 2000\n: stream of cell %s from index %d\n\n", p.Cell, after+1)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil
	}
	rc.Flush() //nolint:errcheck
	heartbeat := time.NewTicker(StreamHeartbeat)
	defer heartbeat.Stop()
	reader := p.reader()
	actor := p.Actor()
	visible := func(m uint64, members []string, e *record.Entry) bool {
		return reader.Reads(m, members) && cell.May(actor, cell.ReadEntry, cell.Target{Entry: e}) == nil
	}
	told := after + 1 // the log size announced, or known to the client
	for {
		buf.Reset()
		more := false
		evs, end, ok := f.since(after, 256)
		if ok {
			for _, ev := range evs {
				after = ev.index
				if visible(ev.mask, ev.members, ev.entry) {
					buf.Write(ev.frame)
				}
			}
			more = after+1 < end
		} else {
			// Behind the window: read the store until caught up.
			rows, err := s.st.EntriesFor(r.Context(), p.Cell, reader, after, 256)
			if err != nil {
				return err
			}
			for _, row := range rows {
				e, err := record.ParseEntry(row.LeafData)
				if err != nil {
					return err
				}
				after = row.Index
				if visible(row.Mask, row.Members, e) {
					data, _ := json.Marshal(streamEntryJSON(e, row.LeafData))
					fmt.Fprintf(&buf, "id: %d\nevent: entry\ndata: %s\n\n", row.Index, data)
				}
			}
			if len(rows) == 256 {
				more = true
			} else if after+1 < end {
				// No more visible entries before the window: skip ahead.
				after = max(after, end-1)
				if len(rows) == 0 {
					after = max(after, f.firstIndex()-1)
				}
				more = true
			}
		}
		if announce && !more && after+1 > told {
			// After the entries it covers, once caught up: one event per
			// burst, not per entry.
			told = after + 1
			fmt.Fprintf(&buf, "event: log\ndata: {\"size\":%d}\n\n", told)
		}
		if buf.Len() > 0 {
			rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) //nolint:errcheck
			if _, err := w.Write(buf.Bytes()); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
		if more {
			continue
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-wake:
			// With many readers, each event costs a system call per
			// reader; waiting a moment lets a burst go out in one write.
			// The wait grows with the number of open streams and is
			// bounded well below what a watch officer would notice.
			if d := coalesce(s.open.Load()); d > 0 {
				select {
				case <-r.Context().Done():
					return nil
				case <-time.After(d):
				}
			}
		case <-heartbeat.C:
			if !s.stillValid(r, p) {
				return nil
			}
			rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) //nolint:errcheck
			if _, err := w.Write([]byte(": ping\n\n")); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
	}
}

func (f *feed) firstIndex() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.first
}

// stillValid re-checks a streaming session: a revoked token or a disabled
// member stops receiving at the next heartbeat.
func (s *Server) stillValid(r *http.Request, p *Principal) bool {
	t, err := s.st.TokenByHash(r.Context(), auth.HashSecret(p.Secret))
	if err != nil || t.Revoked || time.Now().After(t.Expires) {
		return false
	}
	// unfiltered: whether the stream's own member is still active.
	m, err := cell.GetMember(r.Context(), s.st.View(p.Cell), p.Member.ID)
	return err == nil && !m.Disabled
}

// coalesce is how long a woken stream waits before writing, given the
// number of open streams: nothing for up to 128, then 50 µs for each
// stream beyond, at most 20 ms.
func coalesce(open int64) time.Duration {
	if open <= 128 {
		return 0
	}
	return min(time.Duration(open-128)*50*time.Microsecond, 20*time.Millisecond)
}
