package main

import (
	"io"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/testlog"
)

// relay is a TCP relay in front of the server standing for the network
// between a duty officer's terminal and the cell: a test takes it down
// (every connection through it is cut, and new ones are refused) and
// brings it back.
type relay struct {
	t       *testing.T
	ln      net.Listener
	target  string
	mu      sync.Mutex
	down    bool
	conns   map[net.Conn]struct{}
	streams int // stream requests relayed
	wake    chan struct{}
}

func newRelay(t *testing.T, serverURL string) *relay {
	t.Helper()
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{t: t, ln: ln, target: u.Host, conns: map[net.Conn]struct{}{}, wake: make(chan struct{}, 1)}
	go r.accept()
	t.Cleanup(func() {
		ln.Close()
		r.setDown(true)
	})
	return r
}

func (r *relay) url() string { return "http://" + r.ln.Addr().String() }

func (r *relay) accept() {
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.down {
			r.mu.Unlock()
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", r.target)
		if err != nil {
			r.mu.Unlock()
			in.Close()
			continue
		}
		r.conns[in], r.conns[out] = struct{}{}, struct{}{}
		r.mu.Unlock()
		go func() { io.Copy(out, io.TeeReader(in, requestCounter{r})); out.Close() }() //nolint:errcheck // a cut is the point
		go func() { io.Copy(in, out); in.Close() }()                                   //nolint:errcheck
	}
}

// requestCounter counts the stream requests going through the relay, so
// that a test knows when tail is connected. A request line arrives in one
// write from Go's HTTP client.
type requestCounter struct{ r *relay }

func (c requestCounter) Write(p []byte) (int, error) {
	if n := strings.Count(string(p), "/stream HTTP/1.1"); n > 0 {
		c.r.mu.Lock()
		c.r.streams += n
		c.r.mu.Unlock()
		select {
		case c.r.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// setDown cuts every connection and refuses new ones, or lets them through
// again.
func (r *relay) setDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
	if down {
		for c := range r.conns {
			c.Close()
		}
		clear(r.conns)
	}
}

// waitStreams waits until n stream requests have gone through.
func (r *relay) waitStreams(n int) {
	r.t.Helper()
	deadline := time.After(time.Minute)
	for {
		r.mu.Lock()
		got := r.streams
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-r.wake:
		case <-deadline:
			r.t.Fatalf("%d stream connections within a minute, want %d", got, n)
		}
	}
}

// A duty officer's tail loses its connection twice — before anything has
// arrived, and after a FLASH — while the other side sends and Syria
// acknowledges from another terminal. Once the line is back, tail shows
// everything that happened meanwhile on its channel, each entry once, in
// order.
func TestTailResumesAfterADroppedConnection(t *testing.T) {
	d := testlog.NewDemo(t)
	srv := startServer(t, d)
	line := newRelay(t, srv)
	il := signIn(t, d, srv, "il.duty")
	syDesk := signIn(t, d, srv, "sy.duty")
	syWatch := signIn(t, d, line.url(), "sy.duty")

	tail := syWatch.startTail("--channel", "joint-military")
	line.waitStreams(1)
	line.setDown(true)
	out := il.asOK("", "send", "--channel", "joint-military", "--precedence", "FLASH", "--subject", "Convoy Alpha", "--body", "Twelve vehicles at grid 33S, 14:30 UTC.")
	alpha := strconv.FormatInt(messageNumber(t, out), 10)
	line.setDown(false)
	tail.waitFor(regexp.MustCompile(`Convoy Alpha`))

	line.setDown(true)
	out = il.asOK("", "send", "--channel", "joint-military", "--precedence", "ROUTINE", "--subject", "Convoy Bravo", "--body", "Water trucks, tomorrow.")
	bravo := strconv.FormatInt(messageNumber(t, out), 10)
	il.asOK("", "send", "--channel", "joint-general", "--precedence", "ROUTINE", "--subject", "Convoy Charlie", "--body", "Another channel.")
	syDesk.asOK("", "ack", alpha, "--readback", "Twelve vehicles, grid 33S, 14:30 UTC.")
	line.setDown(false)
	tail.waitFor(regexp.MustCompile(`ACK +message ` + alpha + ` \(FLASH, joint-military, "Convoy Alpha"\) by sy\.duty`))
	got := tail.stop()

	for _, want := range []string{"#" + alpha + "  FLASH", "#" + bravo + "  ROUTINE", "ACK       message " + alpha} {
		if n := strings.Count(got, want); n != 1 {
			t.Errorf("tail shows %q %d times, want once:\n%s", want, n, got)
		}
	}
	if strings.Contains(got, "Convoy Charlie") {
		t.Errorf("tail --channel joint-military shows a message on joint-general:\n%s", got)
	}
	if a, b, ack := strings.Index(got, "Convoy Alpha"), strings.Index(got, "Convoy Bravo"), strings.Index(got, "ACK "); a >= b || b >= ack {
		t.Errorf("tail out of log order:\n%s", got)
	}
	if n := strings.Count(tail.errb.String(), "connection lost"); n < 2 {
		t.Errorf("tail told of %d lost connections, want 2:\n%s", n, tail.errb.String())
	}
}
