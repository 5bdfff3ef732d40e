package main

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// The officers of Israel write at their mirror while it cannot reach the
// cell; `mirror outbox` shows what waits; the next round of `mirror` sends
// it, and `mirror outbox` then shows what the cell refused and why.
func TestMirrorOutboxCLI(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewFreshDemo(t)
	url := startServer(t, d)
	il := signIn(t, d, url, "il.duty")
	dir := t.TempDir()
	il.asOK("", "mirror", "--once", "--data", dir)
	mustContain(t, "an empty outbox", il.asOK("", "mirror", "outbox", "--data", dir), "The outbox is empty")
	mustContain(t, "outbox without a mirror", il.asFail("", "mirror", "outbox", "--data", t.TempDir()), "no mirror in")

	// The mirror's side of the cut line: a cell that is not there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	cfg := il.config()
	m, err := mirror.Open(ctx, mirror.Config{Client: client.New(down, cfg.Token).WithCell(testlog.Cell), Cell: testlog.Cell, Dir: dir, Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct{ member, channel, subject string }{
		{"il.military", "joint-military", "written offline"},
		{"il.military", "line-sy", "on Syria's line"},
		{"il.duty", "line-il", "to the mediator"},
	} {
		env, err := client.Sign(d.Key(t, w.member), testlog.Cell, "message.send", map[string]any{
			"channel": w.channel, "subject": w.subject, "body": "text", "lang": "en", "precedence": "ROUTINE"})
		if err != nil {
			t.Fatal(err)
		}
		if o, err := m.Submit(ctx, w.member, env); err != nil || o.State != mirror.Waiting {
			t.Fatalf("%s offline: %+v, %v", w.subject, o, err)
		}
	}
	// The first write tried the line and found it cut; the others only
	// waited; the flush tried the first again.
	if _, err := m.Flush(ctx); err == nil {
		t.Fatal("a flush to a cell that is not there succeeded")
	}
	m.Close()
	out := il.asOK("", "mirror", "outbox", "--data", dir)
	mustContain(t, "the outbox offline", out, "3 waiting to be sent to the cell, in this order:", "il.military  message.send", "il.duty  message.send", "tried 2 times", "connection refused")
	if strings.Contains(out, "refused by the cell") {
		t.Errorf("nothing was refused yet:\n%s", out)
	}

	// The line is back: the next round sends them.
	out = il.asOK("", "mirror", "--once", "--data", dir)
	mustContain(t, "the round that sends", out, "sent 2 queued writes to the cell; it refused 1", "mirror outbox --data "+dir, "0 wait")
	out = il.asOK("", "mirror", "outbox", "--data", dir)
	mustContain(t, "the outbox after", out, "1 refused by the cell:", "il.military  message.send", "422 invalid", `no channel "line-sy"`)
	if strings.Contains(out, "waiting") {
		t.Errorf("nothing waits any more:\n%s", out)
	}
	// Sent once each: the cell holds one of each.
	cl := client.New(url, "")
	lr, err := cl.Login(ctx, "", "us.duty", testlog.Password)
	if err != nil {
		t.Fatal(err)
	}
	cl = cl.WithToken(lr.Token).WithCell(testlog.Cell)
	var all strings.Builder
	for after := int64(-1); ; {
		page, err := cl.Entries(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			all.Write(e.Payload)
			after = e.Index
		}
		if page.Next == "" {
			break
		}
	}
	for _, subject := range []string{"written offline", "to the mediator"} {
		if n := strings.Count(all.String(), `"subject":"`+subject+`"`); n != 1 {
			t.Errorf("the cell holds %q %d times", subject, n)
		}
	}
}
