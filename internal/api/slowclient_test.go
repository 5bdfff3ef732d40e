package api_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// slowClientTimeout bounds how long a test waits for the server to act on
// a slow client; it is a guard against hanging, not a measure.
const slowClientTimeout = 30 * time.Second

// slowRates makes the slow-client bounds small enough to test in a
// fraction of a second: half a second of grace, then 1000 bytes a second.
func slowRates(c *api.Config) {
	c.BodyGrace, c.BodyRate = 500*time.Millisecond, 1000
	c.WriteGrace, c.WriteRate = 500*time.Millisecond, 1000
	c.HeaderTimeout = 500 * time.Millisecond
}

// rawPost opens a TCP connection to the test server and sends the headers
// of a signed POST whose body is length bytes; the body is the caller's
// to send. Whatever the server answers is read in the background.
func rawPost(t *testing.T, ts *testServer, c *client, path string, length int) (net.Conn, <-chan []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: liaison\r\nConnection: close\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		path, c.token, length); err != nil {
		t.Fatal(err)
	}
	answer := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(conn) // up to the close, or a reset
		answer <- b
	}()
	return conn, answer
}

// A body trickled a byte at a time, the way a client holds a connection
// open for ever, is cut off once it falls behind the minimum rate, with a
// 408 problem if the client still listens, and nothing is appended.
func TestTrickledBodyIsCutOff(t *testing.T) {
	ts := newTestServer(t, slowRates)
	il := ts.login(t, "il.military")
	body := il.sign(hotline.KindMessageSend, message("joint-military", hotline.Routine, "Trickle", "One byte at a time.")).Marshal()
	size := ts.size(t)
	conn, answer := rawPost(t, ts, il, "/api/v1/messages", len(body))
	tick := time.NewTicker(20 * time.Millisecond) // 50 bytes a second
	defer tick.Stop()
	guard := time.After(slowClientTimeout)
	var got []byte
	sent := 0
trickle:
	for {
		select {
		case got = <-answer:
			break trickle
		case <-tick.C:
			// The last byte never comes: without a deadline, the request
			// would stay open for ever.
			if sent < len(body)-1 {
				if _, err := conn.Write(body[sent : sent+1]); err == nil {
					sent++
				}
			}
		case <-guard:
			t.Fatalf("the server still reads a body trickled for %s (%d of %d bytes)", slowClientTimeout, sent, len(body))
		}
	}
	if len(got) > 0 {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
		if err != nil {
			t.Fatalf("answer %q: %v", got, err)
		}
		b, _ := io.ReadAll(resp.Body)
		p := wantType(t, reply{Status: resp.StatusCode, Header: resp.Header, Body: b, path: "/api/v1/messages"}, http.StatusRequestTimeout, "slow-body")
		if !strings.Contains(p.Detail, "1000 bytes a second") {
			t.Errorf("detail %q does not say the rate expected", p.Detail)
		}
	}
	if n := ts.size(t); n != size {
		t.Errorf("the cut-off request grew the log from %d to %d", size, n)
	}
}

// A slow but steady upload passes, though it takes longer than the grace
// that a flat deadline would allow it.
func TestSlowSteadyBodyPasses(t *testing.T) {
	ts := newTestServer(t, slowRates)
	il := ts.login(t, "il.military")
	text := strings.Repeat("Convoy of twelve vehicles at grid 33S. ", 80) // 3 KB: 0.75 s at the pace below
	body := il.sign(hotline.KindMessageSend, message("joint-military", hotline.Routine, "Steady", text)).Marshal()
	size := ts.size(t)
	conn, answer := rawPost(t, ts, il, "/api/v1/messages", len(body))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for sent := 0; sent < len(body); {
		<-tick.C
		n := min(40, len(body)-sent) // 4000 bytes a second, four times the minimum
		if _, err := conn.Write(body[sent : sent+n]); err != nil {
			t.Fatalf("after %d of %d bytes in %s: %v", sent, len(body), time.Since(start), err)
		}
		sent += n
	}
	took := time.Since(start)
	var got []byte
	select {
	case got = <-answer:
	case <-time.After(slowClientTimeout):
		conn.Close()
		got = <-answer
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
	if err != nil {
		t.Fatalf("answer %q: %v", got, err)
	}
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("a steady upload over %s: %d %s", took, resp.StatusCode, b)
	}
	if n := ts.size(t); n != size+1 {
		t.Errorf("the log grew from %d to %d, want one entry", size, n)
	}
}

// The live stream is long-lived and has no body: it outlives the body and
// write deadlines of ordinary requests and still delivers.
func TestStreamOutlivesRequestDeadlines(t *testing.T) {
	ts := newTestServer(t, slowRates, func(c *api.Config) {
		c.WriteRate = 1 << 30 // so that the bytes written buy no time past the grace
	})
	sy := ts.login(t, "sy.military")
	s := sy.openStream(t, "", "")
	// Past the body grace and the write grace, with nothing to send.
	time.Sleep(1200 * time.Millisecond)
	id := ts.login(t, "il.military").sendMessage(t, message("joint-military", hotline.Routine, "Later", "After the deadlines."))
	if _, e := s.next(t); e.Index != id {
		t.Fatalf("the stream sent entry %d, want the message %d", e.Index, id)
	}
}

// Headers sent halfway and then nothing are cut off too.
func TestStalledHeadersAreCutOff(t *testing.T) {
	ts := newTestServer(t, slowRates)
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: liaison\r\n"); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(slowClientTimeout))
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("the connection with stalled headers was not closed: %v", err)
	}
}
