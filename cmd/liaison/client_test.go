package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/testlog"
)

func TestMain(m *testing.M) { testlog.Main(m) }

// cli runs the binary's run function with a config directory of its own.
type cli struct {
	t   *testing.T
	cfg string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	c := &cli{t: t, cfg: filepath.Join(t.TempDir(), "config")}
	t.Setenv("LIAISON_CONFIG_DIR", c.cfg)
	t.Setenv("LIAISON_INSECURE_FAST_PASSWORDS", "1")
	t.Setenv("LIAISON_DB", "")
	return c
}

// run runs `liaison args...` with input on stdin and returns the exit code
// and outputs.
func (c *cli) run(input string, args ...string) (int, string, string) {
	c.t.Helper()
	old := stdin
	stdin = strings.NewReader(input)
	defer func() { stdin = old }()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	c.t.Logf("liaison %s -> %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// ok runs a command that must succeed and returns its stdout.
func (c *cli) ok(input string, args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(input, args...)
	if code != 0 {
		c.t.Fatalf("liaison %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// fail runs a command that must fail and returns its stderr.
func (c *cli) fail(input string, args ...string) string {
	c.t.Helper()
	code, _, errs := c.run(input, args...)
	if code == 0 {
		c.t.Fatalf("liaison %s succeeded", strings.Join(args, " "))
	}
	return errs
}

func (c *cli) config() config {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.cfg, "config.json"))
	if err != nil {
		c.t.Fatal(err)
	}
	var cf config
	if err := json.Unmarshal(b, &cf); err != nil {
		c.t.Fatal(err)
	}
	return cf
}

// startServer serves a demo data directory in-process, as 'liaison serve'
// does, and returns its URL.
func startServer(t *testing.T, d *testlog.Demo) string {
	t.Helper()
	url, _ := startServerAt(t, d, "127.0.0.1:0")
	return url
}

// startServerAt serves d at addr until stop is called (or the test ends):
// a stopped server can be started again on its address, as a cell whose
// line was cut comes back.
func startServerAt(t *testing.T, d *testlog.Demo, addr string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, st, serveOptions{addr: addr, cell: testlog.Cell, onListening: func(u string) { urls <- u }}, io.Discard, io.Discard)
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
			st.Close()
		})
	}
	t.Cleanup(stop)
	return url, stop
}

func mustContain(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

func TestClientVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	c := newCLI(t)
	demoKey := filepath.Join(d.KeyDir, "il.duty.key")

	// Not signed in yet.
	mustContain(t, "whoami", c.fail("", "whoami"), "not signed in")
	// The password never comes from a flag, nor from a non-terminal stdin
	// unless asked.
	c.fail("", "login", "--server", url, "--username", "il.duty", "--password", testlog.Password)
	mustContain(t, "login without a terminal", c.fail(testlog.Password+"\n", "login", "--server", url, "--username", "il.duty"), "--password-stdin")
	mustContain(t, "login with a wrong password", c.fail("wrong\n", "login", "--server", url, "--username", "il.duty", "--password-stdin"), "Sign-in failed")

	out := c.ok(testlog.Password+"\n", "login", "--server", url+"/", "--username", "il.duty", "--key", demoKey, "--password-stdin")
	mustContain(t, "login", out, "as il.duty", "party il", "cell "+testlog.Cell, "registered at entry 16")
	cf := c.config()
	if cf.Server != url || cf.Cell != testlog.Cell || cf.Member != "il.duty" || cf.Token == "" || cf.KeyFile != demoKey {
		t.Errorf("config after login: %+v", cf)
	}
	for p, want := range map[string]os.FileMode{c.cfg: 0o700, filepath.Join(c.cfg, "config.json"): 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
	mustContain(t, "whoami", c.ok("", "whoami"), "il.duty (Israel duty officer)", "admin, duty", testlog.Cell+" at "+url)

	// A new key: made, kept private, registered (signed by itself), used.
	out = c.ok("", "key", "new")
	keyFile := filepath.Join(c.cfg, "keys", "il.duty.key")
	k, err := record.ReadDeviceKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "key new", out, k.ID(), keyFile)
	if fi, _ := os.Stat(keyFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	mustContain(t, "key new again", c.fail("", "key", "new"), "exists")
	out = c.ok("", "key", "register", "--label", "laptop")
	mustContain(t, "key register", out, "Registered device key "+k.ID())
	if cf := c.config(); cf.KeyFile != keyFile {
		t.Errorf("the registered key is not remembered: %q", cf.KeyFile)
	}
	old, err := record.ReadDeviceKey(demoKey)
	if err != nil {
		t.Fatal(err)
	}
	out = c.ok("", "key", "list")
	mustContain(t, "key list", out, k.ID(), "laptop", "active (this device)", old.ID(), "demo CLI key")
	// Revoke the demo key, signing with the new one; the flag may follow
	// the id.
	mustContain(t, "key revoke", c.ok("", "key", "revoke", old.ID(), "--reason", "replaced"), "Revoked key "+old.ID())
	if !regexp.MustCompile(old.ID() + `\s+demo CLI key\s+entry 16\s+revoked at entry \d+`).MatchString(c.ok("", "key", "list")) {
		t.Error("key list does not show the demo key revoked")
	}
	mustContain(t, "revoking twice", c.fail("", "key", "revoke", old.ID()), "Conflict")

	// Verify over the API, twice: the second run extends the first.
	out = c.ok("", "verify")
	mustContain(t, "verify", out, "verified", "first use", "envelope signatures checked")
	out = c.ok("", "verify", "--server", url)
	mustContain(t, "second verify", out, "extends the checkpoint of")
	mustContain(t, "verify another server", c.fail("", "verify", "--server", "http://127.0.0.1:1"), "not signed in to http://127.0.0.1:1")
	// And straight from the data directory, while the server runs.
	out = c.ok("", "verify", "--data", d.Dir)
	mustContain(t, "verify --data", out, "verified", "stored hashes")
	mustContain(t, "rebuild", c.ok("", "rebuild", "--data", d.Dir), "match the log")

	// Logout ends the session on the server too.
	token := c.config().Token
	mustContain(t, "logout", c.ok("", "logout"), "Signed out")
	if cf := c.config(); cf.Token != "" || cf.KeyFile != keyFile {
		t.Errorf("config after logout: %+v", cf)
	}
	cf = c.config()
	cf.Token = token
	cf.dir = c.cfg
	if err := cf.save(); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "whoami with the old token", c.fail("", "whoami"), "liaison login")
}

func TestVerifyDataTampered(t *testing.T) {
	d := testlog.NewDemo(t)
	c := newCLI(t)
	out := c.ok("", "verify", "--data", d.Dir)
	mustContain(t, "verify", out, "verified", "first use")
	mustContain(t, "verify --data on nothing", c.fail("", "verify", "--data", t.TempDir()), "no Liaison data")

	data := d.Entries(t)[17]
	data[len(data)/2] ^= 1
	d.Exec(t, `UPDATE entries SET data = ? WHERE cell = ? AND idx = 17`, data, testlog.Cell)
	code, _, errs := c.run("", "verify", "--data", d.Dir)
	if code == 0 {
		t.Fatal("a tampered log verified")
	}
	mustContain(t, "verify of a tampered log", errs, "entry 17: leaf data does not hash to leaf 17")
}

func TestVerifyDataShrunk(t *testing.T) {
	d := testlog.NewDemo(t)
	c := newCLI(t)
	c.ok("", "verify", "--data", d.Dir)
	n := d.Size(t)
	d.Rewrite(t, func(es [][]byte) [][]byte { return es[:n-1] })
	errs := c.fail("", "verify", "--data", d.Dir)
	mustContain(t, "verify of a shrunk log", errs, "shrank", "entry "+strconv.FormatInt(n-1, 10))
}

func TestRebuildCommand(t *testing.T) {
	d := testlog.NewDemo(t)
	c := newCLI(t)
	mustContain(t, "rebuild", c.ok("", "rebuild", "--data", d.Dir), "the stored projections match the log")
	mustContain(t, "rebuild without a store", c.fail("", "rebuild"), "--data")

	d.Exec(t, `UPDATE objects SET doc = '{"id":"sy"}' WHERE cell = ? AND kind = 'party' AND id = 'sy'`, testlog.Cell)
	code, out, errs := c.run("", "rebuild", "--data", d.Dir)
	if code == 0 {
		t.Fatal("rebuild of a tampered projection succeeded")
	}
	mustContain(t, "rebuild of a tampered projection", out, `different party/sy: doc {"id":"sy","name":"Syria"`, `stored {"id":"sy"}`, "1 objects differ")
	mustContain(t, "rebuild error", errs, "differ")

	mustContain(t, "rebuild --apply", c.ok("", "rebuild", "--data", d.Dir, "--apply"), "now match the log")
	mustContain(t, "rebuild after --apply", c.ok("", "rebuild", "--data", d.Dir, "--cell", testlog.Cell), "the stored projections match the log")
}
