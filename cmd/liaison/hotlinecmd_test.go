package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/testlog"
)

// signIn logs a CLI in as member with the demo's device key.
func signIn(t *testing.T, d *testlog.Demo, url, member string) *cli {
	t.Helper()
	c := newCLI(t)
	c.ok(testlog.Password+"\n", "login", "--server", url, "--username", member, "--key", filepath.Join(d.KeyDir, member+".key"), "--password-stdin")
	return c
}

// as runs a verb with c's configuration.
func (c *cli) as(input string, args ...string) (int, string, string) {
	c.t.Helper()
	c.t.Setenv("LIAISON_CONFIG_DIR", c.cfg)
	return c.run(input, args...)
}

func (c *cli) asOK(input string, args ...string) string {
	c.t.Helper()
	code, out, errs := c.as(input, args...)
	if code != 0 {
		c.t.Fatalf("liaison %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

func (c *cli) asFail(input string, args ...string) string {
	c.t.Helper()
	code, _, errs := c.as(input, args...)
	if code == 0 {
		c.t.Fatalf("liaison %s succeeded", strings.Join(args, " "))
	}
	return errs
}

var sentRE = regexp.MustCompile(`message (\d+)`)

func messageNumber(t *testing.T, out string) int64 {
	t.Helper()
	m := sentRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no message number in %q", out)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// syncBuffer is a buffer a running command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tailRun is a 'liaison tail' running in the background.
type tailRun struct {
	t         *testing.T
	cancel    func()
	out, errb syncBuffer
	done      chan int
}

// startTail runs 'liaison tail args...' as c until stopped. It reads c's
// configuration as it starts: wait for it to connect before another CLI
// changes LIAISON_CONFIG_DIR.
func (c *cli) startTail(args ...string) *tailRun {
	c.t.Helper()
	c.t.Setenv("LIAISON_CONFIG_DIR", c.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	r := &tailRun{t: c.t, cancel: cancel, done: make(chan int, 1)}
	go func() { r.done <- run(ctx, append([]string{"tail"}, args...), &r.out, &r.errb) }()
	c.t.Cleanup(cancel)
	return r
}

// waitFor waits until the output matches re.
func (r *tailRun) waitFor(re *regexp.Regexp) {
	r.t.Helper()
	deadline := time.After(time.Minute)
	for !re.MatchString(r.out.String()) {
		select {
		case code := <-r.done:
			r.t.Fatalf("tail ended (exit %d) before %s:\n%s%s", code, re, r.out.String(), r.errb.String())
		case <-deadline:
			r.t.Fatalf("tail did not show %s within a minute:\n%s%s", re, r.out.String(), r.errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop interrupts tail, as Ctrl-C does, and returns its output; tail must
// exit with status 0.
func (r *tailRun) stop() string {
	r.t.Helper()
	r.cancel()
	if code := <-r.done; code != 0 {
		r.t.Errorf("tail exit %d: %s", code, r.errb.String())
	}
	return r.out.String()
}

// tail runs 'liaison tail args...' as c until its output matches until,
// then stops it and returns the output.
func (c *cli) tail(until *regexp.Regexp, args ...string) string {
	c.t.Helper()
	r := c.startTail(args...)
	r.waitFor(until)
	return r.stop()
}

func TestHotlineVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	il := signIn(t, d, url, "il.duty")
	sy := signIn(t, d, url, "sy.duty")

	// Sending: the channel by title, the text from standard input, an
	// idempotency id of our own.
	out := il.asOK("Convoy of 12 vehicles crosses at grid 33S at 14:30 UTC.\n", "send", "--channel", "Military de-escalation",
		"--precedence", "flash", "--subject", "Convoy crossing", "--id", "convoy-1")
	mustContain(t, "send", out, "Sent FLASH message", "on joint-military", "awaiting acknowledgement from sy", "awaiting acknowledgement from us", "left")
	id := messageNumber(t, out)
	// A retry with the same id sends nothing twice.
	again := il.asOK("Convoy of 12 vehicles crosses at grid 33S at 14:30 UTC.\n", "send", "--channel", "joint-military",
		"--precedence", "FLASH", "--subject", "Convoy crossing", "--id", "convoy-1")
	mustContain(t, "send again", again, "Already sent: message "+strconv.FormatInt(id, 10))
	// A channel is found by its title in Arabic or Hebrew too.
	mustContain(t, "send by the Arabic title", sy.asOK("", "send", "--channel", "خفض التصعيد العسكري", "--subject", "Patrol", "--body", "Routine patrol."), "on joint-military")
	// An id the server refused is free for the corrected message; once
	// that lands, the id stands for it alone, even in a retry that drops
	// a flag.
	mustContain(t, "send refused", il.asFail("", "send", "--channel", "joint-military", "--subject", "Water", "--body", "Trucks.", "--reply-to", "99999", "--id", "water-1"), "99999")
	fixed := il.asOK("", "send", "--channel", "joint-military", "--subject", "Water", "--body", "Trucks.", "--reply-to", strconv.FormatInt(id, 10), "--id", "water-1")
	mustContain(t, "corrected send", fixed, "Sent ROUTINE message")
	mustContain(t, "retry without --reply-to", il.asFail("", "send", "--channel", "joint-military", "--subject", "Water", "--body", "Trucks.", "--id", "water-1"), "--id water-1 was used for a different message (its reply_to differs)")
	mustContain(t, "send to an unknown channel", il.asFail("x", "send", "--channel", "line-sy", "--subject", "s"), `no channel "line-sy" among yours`)
	mustContain(t, "a long FLASH", il.asFail(strings.Repeat("word ", 201), "send", "--channel", "joint-military", "--precedence", "FLASH", "--subject", "s"), "at most 200 words")

	// An attachment goes up by its SHA-256 and reaches the other side.
	overlay := filepath.Join(t.TempDir(), "sector south.geojson")
	if err := os.WriteFile(overlay, []byte(`{"type":"FeatureCollection","features":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out = il.asOK("", "send", "--channel", "joint-military", "--precedence", "PRIORITY", "--subject", "Overlay", "--body", "The agreed overlay.", "--attach", overlay)
	withFile := messageNumber(t, out)
	sum := sha256.Sum256([]byte(`{"type":"FeatureCollection","features":[]}`))
	var owed []struct {
		Message struct {
			ID          int64 `json:"id"`
			Attachments []struct {
				SHA256 string `json:"sha256"`
				Name   string `json:"name"`
			} `json:"attachments"`
		} `json:"message"`
	}
	if err := json.Unmarshal([]byte(sy.asOK("", "inbox", "--json")), &owed); err != nil {
		t.Fatal(err)
	}
	attached := false
	for _, it := range owed {
		if it.Message.ID == withFile {
			attached = len(it.Message.Attachments) == 1 && it.Message.Attachments[0].SHA256 == hex.EncodeToString(sum[:]) && it.Message.Attachments[0].Name == "sector south.geojson"
		}
	}
	if !attached {
		t.Errorf("Syria's inbox does not show message %d with its attachment: %+v", withFile, owed)
	}

	// Syria's inbox shows it with the time left.
	inbox := sy.asOK("", "inbox")
	mustContain(t, "inbox", inbox, strconv.FormatInt(id, 10), "FLASH", "joint-military", "il.duty", "Convoy crossing", "left")
	var items []struct {
		Message struct {
			ID         int64  `json:"id"`
			Precedence string `json:"precedence"`
		} `json:"message"`
		SecondsLeft int64 `json:"seconds_left"`
	}
	if err := json.Unmarshal([]byte(sy.asOK("", "inbox", "--json")), &items); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range items {
		if it.Message.ID == id {
			found = it.Message.Precedence == "FLASH" && it.SecondsLeft > 0
		}
	}
	if !found {
		t.Errorf("inbox --json has no FLASH %d with time left: %+v", id, items)
	}

	// A FLASH is not acknowledged without a readback, and nothing is sent.
	mustContain(t, "ack without readback", sy.asFail("", "ack", strconv.FormatInt(id, 10)), "--readback", "nothing was sent")
	if !strings.Contains(sy.asOK("", "inbox"), "Convoy crossing") {
		t.Error("the refused acknowledgement cleared the inbox")
	}
	out = sy.asOK("", "ack", strconv.FormatInt(id, 10), "--readback", "Twelve vehicles, grid 33S, 14:30 UTC.")
	mustContain(t, "ack", out, "Acknowledged message "+strconv.FormatInt(id, 10))
	if strings.Contains(sy.asOK("", "inbox"), "Convoy crossing") {
		t.Error("the acknowledged message is still in the inbox")
	}

	// Israel judges the readback.
	mustContain(t, "readback without a verdict", il.asFail("", "readback", strconv.FormatInt(id, 10)), "--correct or --incorrect")
	mustContain(t, "incorrect without correction", il.asFail("", "readback", strconv.FormatInt(id, 10), "--incorrect"), "--correction")
	out = il.asOK("", "readback", strconv.FormatInt(id, 10), "--correct")
	mustContain(t, "readback", out, "Marked sy's readback of message "+strconv.FormatInt(id, 10)+" correct")
	// Nothing more awaits a mark: said plainly, with what became of each
	// recipient's acknowledgement, and as a failure.
	mustContain(t, "readback with nothing awaiting a mark", il.asFail("", "readback", strconv.FormatInt(id, 10), "--correct"),
		"no readback of message "+strconv.FormatInt(id, 10)+" awaits a mark",
		"sy's readback was marked correct by il.duty", "us has not acknowledged it yet")

	// tail replays from the message: the send, the acknowledgement with
	// its readback and the mark, each once, in order.
	tailOut := sy.tail(regexp.MustCompile(`READBACK .* CORRECT`), "--from", strconv.FormatInt(id, 10))
	for _, want := range []string{"#" + strconv.FormatInt(id, 10) + "  FLASH", "ACK       message " + strconv.FormatInt(id, 10) + ` (FLASH, joint-military, "Convoy crossing") by sy.duty`, "readback: \"Twelve vehicles", "READBACK  message " + strconv.FormatInt(id, 10)} {
		if n := strings.Count(tailOut, want); n != 1 {
			t.Errorf("tail shows %q %d times, want once:\n%s", want, n, tailOut)
		}
	}
	if i, j := strings.Index(tailOut, "FLASH"), strings.Index(tailOut, "ACK "); i < 0 || j < i {
		t.Errorf("tail out of order:\n%s", tailOut)
	}
}

// Syria sees nothing of Israel's line through the CLI: not in its inbox,
// not in its live record.
func TestHotlineVerbsKeepLinesApart(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	us := signIn(t, d, url, "us.duty")
	il := signIn(t, d, url, "il.duty")
	sy := signIn(t, d, url, "sy.duty")

	secret := us.asOK("", "send", "--channel", "line-il", "--precedence", "IMMEDIATE", "--subject", "Proximity proposal for Israel", "--body", "Text of the proposal.")
	lineMsg := messageNumber(t, secret)
	mustContain(t, "il inbox", il.asOK("", "inbox"), "Proximity proposal for Israel")
	// The mediator watches what Israel owes; Syria may not ask.
	mustContain(t, "us inbox --party il", us.asOK("", "inbox", "--party", "il"), "Proximity proposal for Israel", "IMMEDIATE")
	mustContain(t, "sy inbox --party il", sy.asFail("", "inbox", "--party", "il"), "the mediator sees every party's")
	mustContain(t, "sy sending on Israel's line", sy.asFail("x", "send", "--channel", "line-il", "--subject", "s"), `no channel "line-il"`)
	if strings.Contains(sy.asOK("", "inbox"), "Proximity") {
		t.Error("Syria's inbox shows Israel's line")
	}
	// Acknowledging it is refused exactly as a message that does not exist.
	hidden := sy.asFail("", "ack", strconv.FormatInt(lineMsg, 10), "--readback", "x")
	missing := sy.asFail("", "ack", "99999", "--readback", "x")
	if strings.ReplaceAll(hidden, strconv.FormatInt(lineMsg, 10), "N") != strings.ReplaceAll(missing, "99999", "N") {
		t.Errorf("a hidden message is refused as %q, a missing one as %q", hidden, missing)
	}
	// A message Syria may see, after the line's: tail must reach it
	// without having shown the line's.
	after := us.asOK("", "send", "--channel", "line-sy", "--precedence", "ROUTINE", "--subject", "For Syria", "--body", "x")
	sentinel := messageNumber(t, after)
	out := sy.tail(regexp.MustCompile(`"index":`+strconv.FormatInt(sentinel, 10)+`,`), "--from", strconv.FormatInt(lineMsg, 10), "--json")
	if strings.Contains(out, "Proximity") || strings.Contains(out, "line-il") {
		t.Errorf("Syria's tail shows Israel's line:\n%s", out)
	}
}
