package mirror_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// A write the mirror said it queued survives the mirror killed with
// SIGKILL: a process of this test binary queues writes with the line cut
// and says so after each, until the test kills it.
func TestQueuedWritesSurviveKill9(t *testing.T) {
	if os.Getenv("MIRROR_CRASH_DIR") != "" {
		queueUntilKilled(t)
		return
	}
	ctx := context.Background()
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	cl := c.login(t, "il.duty")
	dir := t.TempDir()
	m := openMirror(t, cl, dir, nil)
	round(t, m)
	m.Close()
	c.stop()

	cmd := exec.Command(os.Args[0], "-test.run=^TestQueuedWritesSurviveKill9$")
	cmd.Env = append(os.Environ(), "MIRROR_CRASH_DIR="+dir, "MIRROR_CRASH_KEY="+d.KeyDir+"/il.military.key",
		"MIRROR_CRASH_URL="+c.URL, "MIRROR_CRASH_TOKEN="+cl.Token())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int64]string{}
	sc := bufio.NewScanner(out)
	for len(acked) < 50 && sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "queued" {
			continue
		}
		seq, _ := strconv.ParseInt(f[1], 10, 64)
		acked[seq] = f[2]
	}
	cmd.Process.Kill() //nolint:errcheck // SIGKILL: no chance to close the database
	cmd.Wait()         //nolint:errcheck
	if len(acked) < 50 {
		t.Fatalf("the process said it queued %d writes before it stopped", len(acked))
	}
	box, err := mirror.ReadOutbox(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	held := map[int64]string{}
	for _, q := range box {
		held[q.Seq] = q.ID
	}
	for seq, id := range acked {
		if held[seq] != id {
			t.Errorf("write %d (id %s), acknowledged as queued, is not in the outbox after kill -9", seq, id)
		}
	}
}

// queueUntilKilled is the process TestQueuedWritesSurviveKill9 kills.
func queueUntilKilled(t *testing.T) {
	ctx := context.Background()
	key, err := record.ReadDeviceKey(os.Getenv("MIRROR_CRASH_KEY"))
	if err != nil {
		t.Fatal(err)
	}
	cl := client.New(os.Getenv("MIRROR_CRASH_URL"), os.Getenv("MIRROR_CRASH_TOKEN")).WithCell(testlog.Cell)
	m, err := mirror.Open(ctx, mirror.Config{Client: cl, Cell: testlog.Cell, Dir: os.Getenv("MIRROR_CRASH_DIR"), Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		env, err := client.Sign(key, testlog.Cell, "message.send", map[string]any{
			"channel": "joint-military", "subject": fmt.Sprint("write ", i), "body": "text", "lang": "en", "precedence": "ROUTINE"})
		if err != nil {
			t.Fatal(err)
		}
		o, err := m.Submit(ctx, "il.military", env)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := record.ParseHeader(env.Payload)
		fmt.Printf("queued %d %s\n", o.Seq, h.ID)
	}
}
