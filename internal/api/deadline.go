package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// Slow clients are bounded per request, not per server: http.Server's
// ReadTimeout would cancel the live stream's context through the
// connection's background read, and a flat deadline on the body would cut
// off a 10 MB attachment over a slow field link. Instead a request's body
// must keep up a minimum rate once a grace has passed, and so must the
// client taking the answer; a handler that sets its own write deadline
// (the stream, once per write) takes over its writes.

// withDeadlines sets the read and write deadlines of every request.
func (s *Server) withDeadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rc := http.NewResponseController(w)
		dw := &deadlineWriter{ResponseWriter: w, rc: rc, grace: s.cfg.WriteGrace, rate: s.cfg.WriteRate}
		// A write the server makes before the handler's first (a 100
		// Continue) must not meet the deadline an earlier request on this
		// connection left behind.
		rc.SetWriteDeadline(start.Add(s.cfg.WriteGrace)) //nolint:errcheck // not a net.Conn: nothing to bound
		if r.Body != nil && r.Body != http.NoBody {
			b := &minRateBody{ReadCloser: r.Body, rc: rc, dw: dw, start: start, grace: s.cfg.BodyGrace, rate: s.cfg.BodyRate}
			b.extend()
			r.Body = b
		}
		next.ServeHTTP(dw, r)
		dw.finish()
	})
}

// after is how long n bytes take at rate bytes a second.
func after(n int64, rate int) time.Duration {
	return time.Duration(n) * time.Second / time.Duration(rate)
}

// minRateBody is a request body that must arrive at rate bytes a second
// or faster after grace: each read moves the connection's read deadline to
// start + grace + (bytes read)/rate. At the end of the body the deadline
// is cleared, so that the connection's background read, which watches for
// the client going away, does not end a long-running handler.
type minRateBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	dw    *deadlineWriter
	start time.Time
	grace time.Duration
	rate  int
	read  int64
	done  bool
}

func (b *minRateBody) extend() {
	if !b.dw.ownsRead() {
		b.rc.SetReadDeadline(b.start.Add(b.grace + after(b.read, b.rate))) //nolint:errcheck
	}
}

func (b *minRateBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	switch {
	case err == io.EOF:
		if !b.done && !b.dw.ownsRead() {
			b.done = true
			b.rc.SetReadDeadline(time.Time{}) //nolint:errcheck
		}
	case errors.Is(err, os.ErrDeadlineExceeded):
		p := problem(http.StatusRequestTimeout, "slow-body", "Request body too slow",
			fmt.Sprintf("the request body came slower than %d bytes a second once %s had passed (%d bytes in %s); send it again, steadily",
				b.rate, b.grace, b.read, time.Since(b.start).Round(time.Millisecond)))
		return n, p
	case err == nil && n > 0:
		b.extend()
	}
	return n, err
}

// deadlineWriter moves the connection's write deadline as the answer is
// written: first write + grace + (bytes written)/rate, so that a client
// that stops reading is let go. A handler that sets a write deadline of
// its own through http.ResponseController reaches SetWriteDeadline here
// and from then on manages its writes alone.
type deadlineWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	grace time.Duration
	rate  int

	mu         sync.Mutex // a handler may write from another goroutine
	first      time.Time
	written    int64
	ownW, ownR bool
}

func (w *deadlineWriter) ownsRead() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ownR
}

// before moves the deadline for n more bytes about to be written.
func (w *deadlineWriter) before(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ownW {
		return
	}
	now := time.Now()
	if w.first.IsZero() {
		w.first = now
	}
	w.written += int64(n)
	w.rc.SetWriteDeadline(w.first.Add(w.grace + after(w.written, w.rate))) //nolint:errcheck
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.before(len(p))
	return w.ResponseWriter.Write(p)
}

// Flush sends what is buffered: it needs a deadline as much as a write.
func (w *deadlineWriter) Flush() {
	w.before(0)
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// FlushError is what http.ResponseController.Flush calls.
func (w *deadlineWriter) FlushError() error {
	w.before(0)
	return w.rc.Flush()
}

// SetWriteDeadline hands the write deadline to the handler.
func (w *deadlineWriter) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	w.ownW = true
	w.mu.Unlock()
	return w.rc.SetWriteDeadline(t)
}

// SetReadDeadline hands the read deadline to the handler.
func (w *deadlineWriter) SetReadDeadline(t time.Time) error {
	w.mu.Lock()
	w.ownR = true
	w.mu.Unlock()
	return w.rc.SetReadDeadline(t)
}

func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish gives what the server sends after the handler returns (the
// buffered end of the answer, or the headers of an empty one) a deadline
// of its own: the handler may have worked long after its last write.
func (w *deadlineWriter) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ownW {
		w.rc.SetWriteDeadline(time.Now().Add(w.grace)) //nolint:errcheck
	}
}
