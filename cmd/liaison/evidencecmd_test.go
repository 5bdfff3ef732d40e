package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// findMessage returns the index of the first message whose subject holds
// text, as the mediator reads the log.
func findMessage(t *testing.T, d *testlog.Demo, url, text string) int64 {
	t.Helper()
	ctx := context.Background()
	c := client.New(url, "")
	l, err := c.Login(ctx, testlog.Cell, "us.duty", testlog.Password)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.WithToken(l.Token).WithCell(testlog.Cell).Entries(ctx, -1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Entries {
		if e.Kind == "message.send" && strings.Contains(string(e.Payload), text) {
			return e.Index
		}
	}
	t.Fatalf("no message %q", text)
	return 0
}

// Syria exports the drill's FLASH with everything about it; anyone checks
// the file offline, signed in nowhere; a changed file fails; Israel cannot
// export what Syria's line holds.
func TestExportAndVerifyBundle(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	flash := findMessage(t, d, url, "UAV over the buffer zone")
	line := findMessage(t, d, url, "Confirm the revised patrol schedule")
	sy := signIn(t, d, url, "sy.duty")
	il := signIn(t, d, url, "il.duty")
	file := filepath.Join(t.TempDir(), "flash.json")
	out := sy.asOK("", "export", "--message", strconv.FormatInt(flash, 10), "--out", file)
	mustContain(t, "export", out, "Wrote "+file, "liaison verify --bundle")

	judge := newCLI(t) // signed in nowhere
	out = judge.ok("", "verify", "--bundle", file)
	mustContain(t, "verify --bundle", out, "Evidence verified", "UAV over the buffer zone", "message.ack", "message.readback", "sy.duty (sy)", "Checkpoint key: liaison/il-sy+")

	mustContain(t, "Israel exports Syria's line", il.asFail("", "export", "--message", strconv.FormatInt(line, 10), "--out", filepath.Join(t.TempDir(), "x.json")), "no such entry that you may read")
	mustContain(t, "Israel cites Syria's line", il.asFail("", "export", "--entries", strconv.FormatInt(line, 10), "--out", filepath.Join(t.TempDir(), "x.json")), "no such entry that you may read")

	// Backdate the FLASH by a year: the bundle no longer checks.
	var b evidence.Bundle
	data, _ := os.ReadFile(file)
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	for i := range b.Entries {
		if b.Entries[i].Index == flash {
			changed := strings.Replace(string(b.Entries[i].LeafData), `"time":"2026-`, `"time":"2025-`, 1)
			if changed == string(b.Entries[i].LeafData) {
				t.Fatal("the FLASH's entry has no time to change")
			}
			b.Entries[i].LeafData = []byte(changed)
		}
	}
	data, _ = json.Marshal(b)
	bad := filepath.Join(t.TempDir(), "changed.json")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "verify a changed bundle", judge.fail("", "verify", "--bundle", bad), "not in the signed log")
	mustContain(t, "bad --entries", sy.asFail("", "export", "--entries", "3-x", "--out", bad), "not a range")
}
