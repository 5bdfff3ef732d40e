package main

import (
	"bufio"
	"context"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
)

const outsidePassword = "outside-verifier-password"

// demoProcess is a `liaison demo` process.
type demoProcess struct {
	cmd    *exec.Cmd
	url    string
	exited chan error
	// lines are what it prints after its URL, as long as someone reads
	// them (the rest are dropped: the demo must never block on stdout).
	lines chan string
}

// startDemo runs `liaison demo` on data and waits until it prints the URL
// it serves.
func startDemo(t *testing.T, bin, data, addr string, extra ...string) *demoProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"demo", "--data", data, "--addr", addr}, extra...)...)
	cmd.Env = append(os.Environ(), "LIAISON_INSECURE_FAST_PASSWORDS=1", "LIAISON_DEMO_PASSWORD="+outsidePassword, "LIAISON_DB=")
	logf, err := os.Create(filepath.Join(t.TempDir(), "demo.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &demoProcess{cmd: cmd, exited: make(chan error, 1), lines: make(chan string, 1024)}
	urls := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() { // read to the end, so that the demo never blocks on stdout
			if u := re.FindString(sc.Text()); u != "" && !sent {
				urls <- u
				sent = true
			} else if sent {
				select {
				case p.lines <- sc.Text():
				default:
				}
			}
		}
		p.exited <- cmd.Wait()
		logf.Close()
	}()
	t.Cleanup(p.kill)
	select {
	case p.url = <-urls:
	case err := <-p.exited:
		p.exited <- err
		log, _ := os.ReadFile(logf.Name())
		t.Fatalf("liaison demo exited before serving: %v\n%s", err, log)
	case <-time.After(2 * time.Minute):
		t.Fatal("liaison demo printed no URL in two minutes")
	}
	return p
}

// kill ends the process with SIGKILL (on Unix): no shutdown, no last
// checkpoint, no flush beyond what each acknowledged append already did.
func (p *demoProcess) kill() {
	p.cmd.Process.Kill() //nolint:errcheck // it may have exited already
	err := <-p.exited
	p.exited <- err // for the next caller
}

// waitCheckpoint waits until the signed checkpoint covers size entries
// (the server signs one shortly after each commit).
func waitCheckpoint(t *testing.T, base, token string, size int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		cp, err := outsideCheckpointNote(base, token)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size >= size {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the checkpoint still covers %d entries, not %d", cp.Size, size)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// buildBinary builds the liaison binary for a test that runs it as users
// do; it skips in -short mode and where there is no go command.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "liaison")
	if out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestOutsideVerifier builds the liaison binary, runs the demo, and
// verifies its log with nothing but net/http, encoding/json and
// golang.org/x/mod/sumdb — before and after writes, and after the server
// is killed with SIGKILL and restarted on the same data.
func TestOutsideVerifier(t *testing.T) {
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()

	demo := startDemo(t, bin, data, "127.0.0.1:0")
	token, err := outsideLogin(demo.url, "il.duty", outsidePassword)
	if err != nil {
		t.Fatal(err)
	}
	first, err := outsideVerify(demo.url, token, nil)
	if err != nil {
		t.Fatalf("outside verification of the fresh demo: %v", err)
	}
	if first.Read == 0 || int64(first.Read) >= first.Checkpoint.Size || first.Signatures != first.Read || first.Inclusion != first.Read {
		t.Errorf("first verification: %d entries, %d read, %d signatures, %d inclusion proofs",
			first.Checkpoint.Size, first.Read, first.Signatures, first.Inclusion)
	}
	t.Logf("fresh demo: %d entries, il.duty reads %d", first.Checkpoint.Size, first.Read)

	// The CLI verifies too, and remembers the checkpoint.
	cfgDir := filepath.Join(t.TempDir(), "config")
	cliRun := func(input string, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "LIAISON_CONFIG_DIR="+cfgDir, "LIAISON_DB=")
		cmd.Stdin = strings.NewReader(input)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("liaison %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	cliRun(outsidePassword+"\n", "login", "--server", demo.url, "--username", "il.duty", "--password-stdin")
	cliRun("", "verify")

	// Write: register keys through the API, then see them in a checkpoint.
	c := client.New(demo.url, token)
	var last *client.Submitted
	for i := range 3 {
		k, err := record.NewDeviceKey()
		if err != nil {
			t.Fatal(err)
		}
		if last, err = c.RegisterKey(ctx, "il-sy", "", k, "outside "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitCheckpoint(t, demo.url, token, last.Entry.Index+1)
	second, err := outsideVerify(demo.url, token, &first.Checkpoint)
	if err != nil {
		t.Fatalf("outside verification after writes: %v", err)
	}
	if second.Checkpoint.Size <= first.Checkpoint.Size || second.Read < first.Read+3 {
		t.Errorf("after three writes: %d entries (was %d), %d read (was %d)", second.Checkpoint.Size, first.Checkpoint.Size, second.Read, first.Read)
	}

	// One more write, acknowledged, then SIGKILL: perhaps before any
	// checkpoint covers it.
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	acked, err := c.RegisterKey(ctx, "il-sy", "", k, "just before the kill")
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(demo.url, "http://")
	demo.kill()

	// Restart on the same data and address.
	demo = startDemo(t, bin, data, addr)
	if demo.url != "http://"+addr {
		t.Fatalf("restarted at %s, not %s", demo.url, addr)
	}
	token, err = outsideLogin(demo.url, "il.duty", outsidePassword)
	if err != nil {
		t.Fatal(err)
	}
	third, err := outsideVerify(demo.url, token, &second.Checkpoint)
	if err != nil {
		t.Fatalf("outside verification after SIGKILL and restart: %v", err)
	}
	i := acked.Entry.Index
	if third.Checkpoint.Size <= i || third.Leaves[i] != record.LeafHash(acked.Entry.LeafData) {
		t.Fatalf("the entry acknowledged before the kill (index %d) is not in the log of %d entries", i, third.Checkpoint.Size)
	}
	if _, err := outsideVerify(demo.url, token, &first.Checkpoint); err != nil {
		t.Errorf("the restarted log does not extend the first checkpoint: %v", err)
	}
	out := cliRun("", "verify")
	if !strings.Contains(out, "extends the checkpoint of") {
		t.Errorf("the CLI's second verification did not prove consistency:\n%s", out)
	}
}

// TestOutsideVerifierImports keeps the outside verifier free of Liaison
// code: what it proves must hold for anyone's verifier.
func TestOutsideVerifierImports(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "outside_verifier_test.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !strings.Contains(p, ".") {
			continue // the standard library
		}
		if p != "golang.org/x/mod/sumdb/note" && p != "golang.org/x/mod/sumdb/tlog" {
			t.Errorf("the outside verifier imports %s", p)
		}
	}
}
