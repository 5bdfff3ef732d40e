package web_test

// The pages' test harness: a real server (SQLite store, ledger, seeded demo
// cell, API with the web interface mounted) behind httptest, and browsers
// that sign in with a session cookie as a demo member. Commands are signed
// with the demo members' CLI keys, as a browser would sign with its own.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/web"
)

const demoPassword = "test password of the demo cell"

var tmpl struct {
	once   sync.Once
	err    error
	dir    string
	data   string
	keyDir string
}

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	code := m.Run()
	if tmpl.dir != "" {
		os.RemoveAll(tmpl.dir)
	}
	os.Exit(code)
}

func newRegistry() *cell.Registry { return desks.Registry() }

// seeded returns the data directory of a freshly seeded demo cell, copied
// from a template seeded once per test binary (the demo's drill waits for
// deadlines to pass).
func seeded(t *testing.T) string {
	t.Helper()
	tmpl.once.Do(func() {
		tmpl.err = func() error {
			dir, err := os.MkdirTemp("", "liaison-web-test-")
			if err != nil {
				return err
			}
			tmpl.dir, tmpl.data, tmpl.keyDir = dir, filepath.Join(dir, "data"), filepath.Join(dir, "keys")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			st, err := sqlite.Open(ctx, tmpl.data)
			if err != nil {
				return err
			}
			led, err := ledger.New(ledger.Config{Store: st, Registry: newRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				return errors.Join(err, st.Close())
			}
			sd := seed.Seeder{Ledger: led, Store: st, Password: auth.TestParams}
			_, err = sd.Demo(ctx, tmpl.keyDir, demoPassword, cell.Settings{})
			led.Close()
			return errors.Join(err, st.Close())
		}()
	})
	if tmpl.err != nil {
		t.Fatalf("seeding the demo: %v", tmpl.err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(dir, os.DirFS(tmpl.data)); err != nil {
		t.Fatal(err)
	}
	return dir
}

type testServer struct {
	URL    string
	Ledger *ledger.Ledger
	Store  store.Store
}

func newServer(t *testing.T) *testServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := sqlite.Open(ctx, seeded(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	led, err := ledger.New(ledger.Config{Store: st, Registry: newRegistry(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(led.Close)
	if _, err := led.OpenAll(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Ledger: led, DefaultCell: seed.DemoCell, Password: auth.TestParams, Logger: log,
		LoginBurst: 1000, LoginInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ui, err := web.New(web.Config{API: srv, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv.SetWeb(ui)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &testServer{URL: hs.URL, Ledger: led, Store: st}
}

// browser is a signed-in (or not) browser: a cookie jar that does not
// follow redirects, so tests see them.
type browser struct {
	t      *testing.T
	ts     *testServer
	c      *http.Client
	member string
	csrf   string
}

func (ts *testServer) anonymous(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, ts: ts, c: &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn signs in as a demo member with a session cookie, as the login
// page does.
func (ts *testServer) signIn(t *testing.T, member string) *browser {
	t.Helper()
	b := ts.anonymous(t)
	body, _ := json.Marshal(map[string]any{"username": member, "password": demoPassword, "session": true})
	r := b.do("POST", "/api/v1/auth/login", body, http.Header{"Content-Type": {"application/json"}})
	if r.Status != http.StatusOK {
		t.Fatalf("sign in as %s: %d %s", member, r.Status, r.Body)
	}
	var lr struct {
		CSRF string `json:"csrf_token"`
	}
	if err := json.Unmarshal([]byte(r.Body), &lr); err != nil || lr.CSRF == "" {
		t.Fatalf("sign in as %s: no CSRF token in %s", member, r.Body)
	}
	b.member, b.csrf = member, lr.CSRF
	return b
}

// signInEnglish signs in and chooses English, as the contract's browser
// tests do (the demo's members default to their own languages).
func (ts *testServer) signInEnglish(t *testing.T, member string) *browser {
	t.Helper()
	b := ts.signIn(t, member)
	u, _ := url.Parse(ts.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: web.LangCookie, Value: "en", Path: "/"}})
	return b
}

type reply struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(method, path string, body []byte, hdr http.Header) reply {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, b.ts.URL+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: string(out)}
}

func (b *browser) get(path string) reply {
	b.t.Helper()
	return b.do("GET", path, nil, nil)
}

// page GETs path and requires a 200 HTML page.
func (b *browser) page(path string) string {
	b.t.Helper()
	r := b.get(path)
	if r.Status != http.StatusOK {
		b.t.Fatalf("%s GET %s: %d %.300s", b.member, path, r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		b.t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	checkPageSecurity(b.t, path, r)
	return r.Body
}

// submit signs a command with the member's demo key and posts it with the
// session cookie and CSRF header, as a page script does.
func (b *browser) submit(path, kind string, fields map[string]any) api.EntryJSON {
	b.t.Helper()
	r := b.send(http.MethodPost, path, kind, fields)
	if r.Status != http.StatusCreated {
		b.t.Fatalf("%s %s %s: %d %s", b.member, kind, path, r.Status, r.Body)
	}
	var out struct {
		Entry api.EntryJSON `json:"entry"`
	}
	json.Unmarshal([]byte(r.Body), &out) //nolint:errcheck
	return out.Entry
}

// send signs a command as submit does and sends it with method, whatever
// the answer: for a command the server must refuse.
func (b *browser) send(method, path, kind string, fields map[string]any) reply {
	b.t.Helper()
	k, err := record.ReadDeviceKey(filepath.Join(tmpl.keyDir, b.member+".key"))
	if err != nil {
		b.t.Fatal(err)
	}
	p := map[string]any{"id": ledger.NewID(), "time": time.Now().UTC().Format(time.RFC3339Nano), "cell": seed.DemoCell}
	for f, v := range fields {
		p[f] = v
	}
	payload, _ := json.Marshal(p)
	env := record.Sign(kind, payload, k.Private)
	return b.do(method, "/api/v1"+path, env.Marshal(), http.Header{"X-CSRF-Token": {b.csrf}, "Content-Type": {"application/json"}})
}

var (
	markupTag     = regexp.MustCompile(`<[a-zA-Z][^>]*>`)
	inlineHandler = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	inlineStyle   = regexp.MustCompile(`(?i)\sstyle\s*=`)
)

var inlineScript = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)

// checkPageSecurity requires the headers every page carries and no inline
// script (the policy would block it, so it would be a dead feature).
func checkPageSecurity(t *testing.T, path string, r reply) {
	t.Helper()
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("GET %s: CSP %q lacks %s", path, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("GET %s: CSP allows unsafe code: %q", path, csp)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("GET %s: missing nosniff or X-Frame-Options", path)
	}
	for _, m := range inlineScript.FindAllStringSubmatch(r.Body, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("GET %s: inline script %.120q", path, m[0])
		}
	}
	for _, tag := range markupTag.FindAllString(r.Body, -1) {
		if inlineHandler.MatchString(tag) {
			t.Errorf("GET %s: an inline event handler in %.120q", path, tag)
		}
		if inlineStyle.MatchString(tag) {
			t.Errorf("GET %s: an inline style attribute (the policy blocks it) in %.120q", path, tag)
		}
	}
}
