//go:build unix

package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/storetest"
)

// The crash test's child appends until it is killed; these variables tell
// it where and under which key prefix.
const (
	envCrashDir   = "LIAISON_CRASH_DIR"
	envCrashRound = "LIAISON_CRASH_ROUND"
	crashCell     = "crash"
	crashWorkers  = 16
	acksPerRound  = 2000
)

// TestCrash kills a process that appends through an Appender from many
// goroutines, with SIGKILL, in the middle of its work, and checks that the
// reopened store kept every acknowledged append at the index it was
// acknowledged with, that the log has no gap and that its tree verifies.
// Three rounds run on the same directory, each continuing the log.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := t.TempDir()
	ctx := context.Background()
	acked := map[string]int64{} // idempotency key → acknowledged index
	for round := range 3 {
		n := runCrashChild(t, dir, round, acked)
		t.Logf("round %d: %d acknowledgements before SIGKILL", round, n)

		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		es, err := storetest.CheckLog(ctx, s, crashCell)
		if err != nil {
			s.Close()
			t.Fatalf("round %d: log after kill: %v", round, err)
		}
		size := int64(len(es))
		if size < int64(len(acked)) {
			t.Errorf("round %d: log has %d entries, %d appends were acknowledged", round, size, len(acked))
		}
		for key, idx := range acked {
			got, err := s.LookupIdem(ctx, crashCell, key)
			if err != nil || got != idx {
				t.Errorf("round %d: acknowledged %s at %d; LookupIdem = %d, %v", round, key, idx, got, err)
				continue
			}
			if id := payloadID(t, es[idx].LeafData); id != key {
				t.Errorf("round %d: entry %d holds command %q, acknowledged as %q", round, idx, id, key)
			}
		}
		t.Logf("round %d: log of %d entries verified", round, size)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if t.Failed() {
			return
		}
	}
}

func payloadID(t *testing.T, leaf []byte) string {
	t.Helper()
	var e struct {
		Envelope struct {
			Payload []byte `json:"payload"`
		} `json:"envelope"`
	}
	var p struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(leaf, &e); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.Envelope.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// runCrashChild starts the child, reads its acknowledgements into acked,
// kills it after acksPerRound of them and returns how many it read.
func runCrashChild(t *testing.T, dir string, round int, acked map[string]int64) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), envCrashDir+"="+dir, envCrashRound+"="+strconv.Itoa(round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	n := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "ack" {
			continue // the testing package's own output
		}
		idx, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("bad acknowledgement %q", line)
		}
		if prev, ok := acked[f[2]]; ok && prev != idx {
			t.Fatalf("%s acknowledged at %d and at %d", f[2], prev, idx)
		}
		acked[f[2]] = idx
		n++
		if n == acksPerRound && !killed {
			// Kill in mid-stream; acknowledgements already written to the
			// pipe are still read below, and they count.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d acknowledgements: %v\n%s", n, err, stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v\n%s", err, stderr.String())
	}
	return n
}

// TestCrashChild is the child process of TestCrash: it appends until killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(envCrashDir)
	if dir == "" {
		t.Skip("only runs as TestCrash's child process")
	}
	round := os.Getenv(envCrashRound)
	ctx := context.Background()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCell(ctx, crashCell, "liaison.test/crash"); err != nil && !errors.Is(err, store.ErrExists) {
		t.Fatal(err)
	}
	a := store.NewAppender(s, store.AppenderConfig{})
	sg := storetest.NewSigner(t)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range crashWorkers {
		wg.Go(func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("r%s-w%d-%d", round, w, i)
				r, err := a.Append(ctx, crashCell, sg.Pending(crashCell, key, storetest.Admit(storetest.Everyone, 0b111)))
				if err == nil {
					err = r.Err
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d %s\n", r.Entry.Index, key)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
