package main

import (
	"context"
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// A log that holds a proven alarm fails 'liaison verify', though every
// entry of it checks: the cell's key signed two histories, and the
// message says who raised it and at which sizes.
func TestVerifyFailsOnAProvenAlarm(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	c := newCLI(t)
	c.ok("", "verify", "--data", d.Dir)

	// What a thief of the cell's key (or a rogue node) signs: two roots
	// at one size.
	s := d.NoteSigner(t)
	var notes []string
	for _, leaf := range []string{"history A", "history B"} {
		msg, err := record.SignCheckpoint(record.Checkpoint{Origin: s.Name(), Size: 5, Root: record.LeafHash([]byte(leaf))}, s)
		if err != nil {
			t.Fatal(err)
		}
		notes = append(notes, string(msg))
	}
	ctx := context.Background()
	cl := client.New(url, "")
	r, err := cl.Login(ctx, "", "il.duty", testlog.Password)
	if err != nil {
		t.Fatal(err)
	}
	env, err := client.Sign(d.Key(t, "il.duty"), testlog.Cell, cell.KindWitnessAlarm, map[string]any{
		"alarm": "fork", "detail": "two signed checkpoints of size 5 with different roots", "held": notes[0], "seen": notes[1]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.WithToken(r.Token).WithCell(testlog.Cell).Submit(ctx, "/log/alarms", env); err != nil {
		t.Fatal(err)
	}

	code, out, errs := c.run("", "verify", "--data", d.Dir)
	if code != 4 {
		t.Fatalf("verify of a log holding an alarm: exit %d, want 4", code)
	}
	mustContain(t, "verify's report", out, "verified")
	mustContain(t, "verify's error", errs, "ALARM", "fork raised by il.duty (Israel)", "checkpoints of sizes 5 and 5", "different roots")
}
