package mirror_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/testlog/testcell"
)

// serveProcess is a `liaison serve` process.
type serveProcess struct {
	cmd    *exec.Cmd
	exited chan error
}

func buildLiaison(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "liaison")
	if out, err := exec.Command(gobin, "build", "-o", bin, "github.com/liaison-cell/liaison/cmd/liaison").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freeAddr is a loopback address no one listens on, for a server that
// must come back on the same one.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `liaison serve` on data and addr and waits until it
// answers.
func startServe(t *testing.T, bin, data, addr string) *serveProcess {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr)
	cmd.Env = append(os.Environ(), "LIAISON_DB=")
	logf, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, exited: make(chan error, 1)}
	go func() {
		p.exited <- cmd.Wait()
		logf.Close()
	}()
	t.Cleanup(p.kill)
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/api/v1/log/checkpoint")
		if err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("liaison serve exited before serving: %v\n%s", err, log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("liaison serve did not answer in a minute")
		}
	}
}

// kill ends the process with SIGKILL: no shutdown, no last checkpoint,
// nothing flushed beyond what each acknowledged append already was.
func (p *serveProcess) kill() {
	p.cmd.Process.Kill() //nolint:errcheck // it may have exited already
	err := <-p.exited
	p.exited <- err // for the next caller
}

func (f *follower) failures() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.errs)
}

// The cell is killed with SIGKILL in the middle of traffic, while two
// mirrors follow its stream, and restarted on the same data and port:
// the mirrors resume on their own and end holding exactly their party's
// entries of the log, as the cell serves them — nothing missed, nothing
// doubled, no gap — every checkpoint they held verified and extending the
// one before, and the last one cosigned by both.
func TestMirrorsResumeAfterTheCellIsKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildLiaison(t)
	d := testlog.NewDemo(t)
	addr := freeAddr(t)
	cell := startServe(t, bin, d.Dir, addr)
	url := "http://" + addr
	ctx := context.Background()
	login := func(member string) *client.Client { t.Helper(); return testcell.Login(t, url, member) }
	witness := func(party string) *record.WitnessKey {
		t.Helper()
		k, err := record.NewWitnessKey("mirror.test/" + party)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := login(party+".duty").RegisterWitness(ctx, testlog.Cell, party, d.Key(t, party+".duty"), k, "mirror"); err != nil {
			t.Fatal(err)
		}
		return k
	}
	ilK, syK := witness("il"), witness("sy")
	// The sessions outlive the process: they are in the store.
	ilC, syC := login("il.duty"), login("sy.duty")
	il := openMirror(t, ilC, t.TempDir(), ilK)
	sy := openMirror(t, syC, t.TempDir(), syK)
	opt := mirror.FollowOptions{Poll: 500 * time.Millisecond, Retry: 50 * time.Millisecond}
	ilF, syF := follow(t, il, opt), follow(t, sy, opt)

	// Traffic from three parties, on lines each mirror reads and lines it
	// does not, until stopped; a send the dying cell did not answer may or
	// may not have landed, and is not retried.
	var acked atomic.Int64
	var mu sync.Mutex
	landed := map[string][]int64{} // party: indexes the cell acknowledged
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range []struct{ party, member, channel string }{
		{"il", "il.duty", "line-il"}, {"sy", "sy.duty", "line-sy"}, {"us", "us.duty", "joint-general"}, {"us", "us.duty", "line-jo"}} {
		cl, key := login(s.member), d.Key(t, s.member)
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				env, err := client.Sign(key, testlog.Cell, "message.send", map[string]any{
					"channel": s.channel, "subject": fmt.Sprintf("traffic %d", i), "body": "body", "lang": "en", "precedence": "ROUTINE"})
				if err != nil {
					t.Error(err)
					return
				}
				r, err := cl.Submit(ctx, "/entries", env)
				if err != nil {
					time.Sleep(20 * time.Millisecond) // the cell is down
					continue
				}
				acked.Add(1)
				mu.Lock()
				landed[s.channel] = append(landed[s.channel], r.Entry.Index)
				mu.Unlock()
				// Paced, so that the mirrors follow round after round
				// before the kill, not one burst.
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	waitAcked := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for acked.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d sends acknowledged in a minute, want %d", acked.Load(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	waitAcked(120)
	cell.kill()
	killedAt := acked.Load()
	// Both mirrors notice the line is down (a round fails) before the
	// cell returns: the outage spans their following, not a gap between.
	for name, f := range map[string]*follower{"il": ilF, "sy": syF} {
		deadline := time.Now().Add(time.Minute)
		for f.failures() == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s's mirror ran no round while the cell was down", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// While the cell is down, sy's officer writes through sy's mirror:
	// each write waits in its outbox.
	const queuedWrites = 3
	for i := range queuedWrites {
		env, err := client.Sign(d.Key(t, "sy.duty"), testlog.Cell, "message.send", map[string]any{
			"channel": "line-sy", "subject": fmt.Sprintf("queued %d", i), "body": "written while the cell was down", "lang": "en", "precedence": "ROUTINE"})
		if err != nil {
			t.Fatal(err)
		}
		o, err := sy.Submit(ctx, "sy.duty", env)
		if err != nil || o.State != mirror.Waiting {
			t.Fatalf("write %d at sy's mirror with the cell down: %+v, %v; want it waiting", i, o, err)
		}
	}
	startServe(t, bin, d.Dir, addr) // killed at the test's end
	waitAcked(killedAt + 120)
	close(stop)
	wg.Wait()
	t.Logf("%d sends acknowledged, %d before the kill", acked.Load(), killedAt)

	// The last word on the joint channel, which both read, once the
	// checkpoint covers it.
	us := login("us.duty")
	env, err := client.Sign(d.Key(t, "us.duty"), testlog.Cell, "message.send", map[string]any{
		"channel": "joint-general", "subject": "end of traffic", "body": "body", "lang": "en", "precedence": "ROUTINE"})
	if err != nil {
		t.Fatal(err)
	}
	last, err := us.Submit(ctx, "/entries", env)
	if err != nil {
		t.Fatal(err)
	}
	size := last.Entry.Index + 1
	ilF.cosignedAt(t, "il's mirror after the restart", size)
	syF.cosignedAt(t, "sy's mirror after the restart", size)
	ilF.halt(t)
	syF.halt(t)

	msg, err := us.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := checkpointSize(t, msg); got != size {
		t.Fatalf("the cell's checkpoint is at %d, the traffic ended at %d", got, size)
	}
	for _, k := range []*record.WitnessKey{ilK, syK} {
		cosignedBy(t, msg, k)
	}
	vkey, err := us.VerifierKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	holdsExactly(t, "il", il, ilC, vkey)
	holdsExactly(t, "sy", sy, syC, vkey)

	// Every send the cell acknowledged, before the kill or after, is in
	// the mirror of each party that reads it.
	has := func(m *mirror.Mirror) map[int64]bool {
		out := map[int64]bool{}
		m.Entries(ctx, func(e *record.Entry) error { out[e.Index] = true; return nil }) //nolint:errcheck // holdsExactly read them
		return out
	}
	ilHas, syHas := has(il), has(sy)
	for channel, readers := range map[string][]map[int64]bool{"line-il": {ilHas}, "line-sy": {syHas}, "joint-general": {ilHas, syHas}} {
		for _, i := range landed[channel] {
			for _, h := range readers {
				if !h[i] {
					t.Errorf("acknowledged entry %d on %s is missing from a mirror that reads it", i, channel)
				}
			}
		}
	}
	for _, i := range landed["line-jo"] {
		if ilHas[i] || syHas[i] {
			t.Errorf("entry %d on Jordan's line is in a mirror of il or sy", i)
		}
	}
	// The writes queued while the cell was down landed, once each, in
	// the order they were written, as sy.duty's.
	var queued []int64
	sy.Entries(ctx, func(e *record.Entry) error { //nolint:errcheck // holdsExactly read them
		var p struct{ Subject string }
		if e.Envelope.Kind() == "message.send" && json.Unmarshal(e.Envelope.Payload, &p) == nil && strings.HasPrefix(p.Subject, "queued ") {
			if p.Subject != fmt.Sprintf("queued %d", len(queued)) || e.Member != "sy.duty" {
				t.Errorf("entry %d: %q by %s, want \"queued %d\" by sy.duty", e.Index, p.Subject, e.Member, len(queued))
			}
			queued = append(queued, e.Index)
		}
		return nil
	})
	if len(queued) != queuedWrites {
		t.Errorf("the %d writes queued at sy's mirror while the cell was down are %d entries: %v", queuedWrites, len(queued), queued)
	}
	if q, err := sy.Outbox(ctx); err != nil || len(q) != 0 {
		t.Errorf("sy's outbox after the line returned: %+v, %v; want nothing waiting or refused", q, err)
	}
	for name, m := range map[string]*mirror.Mirror{"il": il, "sy": sy} {
		if alarms, _ := m.Alarms(ctx); len(alarms) != 0 {
			t.Errorf("%s's alarms on an honest cell killed and restarted: %+v", name, alarms)
		}
	}
}
