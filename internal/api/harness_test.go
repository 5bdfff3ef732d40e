package api_test

// The test harness: a real server (store, ledger, seeded demo cell, API)
// behind httptest, and a client that signs in as a demo member and signs
// commands with that member's demo device key. Every API test runs against
// each backend in backends; PostgreSQL runs only when LIAISON_TEST_POSTGRES
// names a database, each test in a schema of its own.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
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
	"github.com/liaison-cell/liaison/internal/store/postgres"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// demoPassword is every demo member's password in these tests.
const demoPassword = "test password of the demo cell"

// backend gives each test a store holding a freshly seeded demo cell. The
// demo is seeded once per backend and test binary (its drill waits for a
// deadline to pass, which takes seconds) into a template that every test
// then copies: a data directory for SQLite, a schema for PostgreSQL.
type backend struct {
	name string
	// seeded returns a store cloned from the seeded template, closed (and
	// dropped) when the test ends, and the directory of the demo's keys.
	seeded func(t testing.TB) (store.Store, string)
}

var backends = []backend{
	{"sqlite", seededSQLite},
	{"postgres", seededPostgres},
}

// template is a seeded demo, made once.
type template struct {
	once   sync.Once
	err    error
	where  string // data directory or schema
	keyDir string
	drop   func()
}

var templates struct {
	sqlite, postgres template
}

// TestMain silences the default logger (the demo's drill logs through it)
// and removes the templates at the end.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	code := m.Run()
	for _, tp := range []*template{&templates.sqlite, &templates.postgres} {
		if tp.drop != nil {
			tp.drop()
		}
	}
	os.Exit(code)
}

// newRegistry is the server's registry: the demo seeds hotline channels and
// a drill, so the cell's commands alone would not do.
func newRegistry() *cell.Registry { return desks.Registry() }

// seedDemo seeds the demo cell into st, with keys under keyDir.
func seedDemo(st store.Store, keyDir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	led, err := ledger.New(ledger.Config{Store: st, Registry: newRegistry(), Logger: quiet})
	if err != nil {
		return err
	}
	defer led.Close()
	sd := seed.Seeder{Ledger: led, Store: st, Password: auth.TestParams}
	if _, err := sd.Demo(ctx, keyDir, demoPassword, cell.Settings{}); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	return nil
}

func seededSQLite(t testing.TB) (store.Store, string) {
	t.Helper()
	tp := &templates.sqlite
	tp.once.Do(func() {
		dir, err := os.MkdirTemp("", "liaison-api-test-")
		if err != nil {
			tp.err = err
			return
		}
		tp.drop = func() { os.RemoveAll(dir) }
		tp.where, tp.keyDir = filepath.Join(dir, "data"), filepath.Join(dir, "keys")
		st, err := sqlite.Open(context.Background(), tp.where)
		if err != nil {
			tp.err = err
			return
		}
		tp.err = errors.Join(seedDemo(st, tp.keyDir), st.Close())
	})
	if tp.err != nil {
		t.Fatalf("SQLite template: %v", tp.err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(dir, os.DirFS(tp.where)); err != nil {
		t.Fatalf("copy the seeded data directory: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, tp.keyDir
}

func newSchemaName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "liaison_api_test_" + hex.EncodeToString(b)
}

func seededPostgres(t testing.TB) (store.Store, string) {
	t.Helper()
	base := testlog.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tp := &templates.postgres
	tp.once.Do(func() {
		tp.err = func() error {
			db, err := sql.Open("pgx", base) // the driver is registered by package postgres
			if err != nil {
				return err
			}
			tp.where = newSchemaName()
			if _, err := db.Exec(`CREATE SCHEMA ` + tp.where); err != nil {
				db.Close()
				return err
			}
			tp.drop = func() {
				db.Exec(`DROP SCHEMA ` + tp.where + ` CASCADE`)
				db.Close()
			}
			dir, err := os.MkdirTemp("", "liaison-api-test-")
			if err != nil {
				return err
			}
			tp.keyDir = filepath.Join(dir, "keys")
			drop := tp.drop
			tp.drop = func() { drop(); os.RemoveAll(dir) }
			u, err := testlog.WithSearchPath(base, tp.where)
			if err != nil {
				return err
			}
			st, err := postgres.Open(ctx, u)
			if err != nil {
				return err
			}
			return errors.Join(seedDemo(st, tp.keyDir), st.Close())
		}()
	})
	if tp.err != nil {
		t.Fatalf("PostgreSQL template: %v", tp.err)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := newSchemaName()
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	// Registered first, so it runs last: after the store has closed.
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, tp.where)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		for _, stmt := range []string{
			`CREATE TABLE ` + schema + `.` + tb + ` (LIKE ` + tp.where + `.` + tb + ` INCLUDING ALL)`,
			`INSERT INTO ` + schema + `.` + tb + ` SELECT * FROM ` + tp.where + `.` + tb,
		} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("copy the seeded schema: %s: %v", stmt, err)
			}
		}
	}
	u, err := testlog.WithSearchPath(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, tp.keyDir
}

// eachBackend runs f once per backend, as parallel subtests.
func eachBackend(t *testing.T, f func(t *testing.T, ts *testServer)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, newTestServerOn(t, b))
		})
	}
}

// testServer is a running API over a seeded demo cell.
type testServer struct {
	t      testing.TB
	URL    string
	HTTP   *http.Client
	API    *api.Server
	Ledger *ledger.Ledger
	Store  store.Store
	KeyDir string
}

// option adjusts the API configuration of a test server.
type option func(*api.Config)

// newTestServer starts a server on SQLite.
func newTestServer(t testing.TB, opts ...option) *testServer {
	return newTestServerOn(t, backends[0], opts...)
}

// newTestServerOn serves a freshly seeded demo cell in a store of backend
// b. Sign-in is not rate-limited unless an option says so.
func newTestServerOn(t testing.TB, b backend, opts ...option) *testServer {
	t.Helper()
	st, keyDir := b.seeded(t)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	led, err := ledger.New(ledger.Config{Store: st, Registry: newRegistry(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(led.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := led.OpenAll(ctx); err != nil {
		t.Fatalf("open the seeded cell: %v", err)
	}
	cfg := api.Config{Ledger: led, DefaultCell: seed.DemoCell, Password: auth.TestParams, Logger: log,
		LoginBurst: 1000, LoginInterval: time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hs := httptest.NewUnstartedServer(nil)
	hs.Config = srv.HTTPServer()
	hs.Start()
	t.Cleanup(hs.Close)
	return &testServer{t: t, URL: hs.URL, HTTP: hs.Client(), API: srv, Ledger: led, Store: st, KeyDir: keyDir}
}

// testWriter sends the server's warnings and errors to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	if _, fuzz := w.t.(*testing.F); fuzz {
		// A fuzz target's F may not log while its fuzz function runs,
		// and the server logs from its own goroutines.
		return os.Stderr.Write(b)
	}
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// reply is an HTTP answer, read in full.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
	path   string
}

func (r reply) String() string {
	return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Body))
}

// send makes one request and reads the whole answer.
func (ts *testServer) send(t testing.TB, method, path string, body []byte, hdr http.Header) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := ts.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	u, _ := url.Parse(path)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b, path: u.Path}
}

// tryLogin posts credentials and returns the answer.
func (ts *testServer) tryLogin(t testing.TB, username, password string) reply {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"username": username, "password": password})
	return ts.send(t, "POST", "/api/v1/auth/login", b, http.Header{"Content-Type": {"application/json"}})
}

// deviceKey reads a demo member's device key from the seed's key directory.
func (ts *testServer) deviceKey(t testing.TB, member string) *record.DeviceKey {
	t.Helper()
	k, err := record.ReadDeviceKey(filepath.Join(ts.KeyDir, member+".key"))
	if err != nil {
		t.Fatalf("device key of %s: %v", member, err)
	}
	return k
}

// client is a signed-in demo member holding their device key.
type client struct {
	ts     *testServer
	member string
	token  string
	key    *record.DeviceKey
}

// login signs in as a demo member with a bearer token.
func (ts *testServer) login(t testing.TB, member string) *client {
	t.Helper()
	r := ts.tryLogin(t, member, demoPassword)
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %s", member, r)
	}
	var lr struct {
		Token string `json:"token"`
	}
	decode(t, r, &lr)
	if lr.Token == "" {
		t.Fatalf("login %s: no token in %s", member, r)
	}
	return &client{ts: ts, member: member, token: lr.Token, key: ts.deviceKey(t, member)}
}

// do sends an authenticated request.
func (c *client) do(t testing.TB, method, path string, body []byte) reply {
	t.Helper()
	return c.ts.send(t, method, path, body, http.Header{"Authorization": {"Bearer " + c.token}})
}

// get sends an authenticated GET.
func (c *client) get(t testing.TB, path string) reply {
	t.Helper()
	return c.do(t, "GET", path, nil)
}

// getJSON GETs path, requires 200 and decodes the answer into v.
func (c *client) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	r := c.get(t, path)
	if r.Status != http.StatusOK {
		t.Fatalf("%s GET %s: %s", c.member, path, r)
	}
	decode(t, r, v)
}

// payload builds a command payload for the demo cell: a fresh idempotency
// id, the current time and the cell, and fields.
func payload(fields map[string]any) []byte {
	return payloadAt(time.Now(), fields)
}

func payloadAt(at time.Time, fields map[string]any) []byte {
	p := map[string]any{"id": ledger.NewID(), "time": at.UTC().Format(time.RFC3339Nano), "cell": seed.DemoCell}
	for k, v := range fields {
		p[k] = v
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return b
}

// sign signs a command of kind with the client's device key.
func (c *client) sign(kind string, fields map[string]any) *record.Envelope {
	return record.Sign(kind, payload(fields), c.key.Private)
}

// submit sends a signed envelope.
func (c *client) submit(t testing.TB, method, path string, env *record.Envelope) reply {
	t.Helper()
	return c.do(t, method, path, env.Marshal())
}

// submitted is the answer to a successful submission.
type submitted struct {
	Entry           api.EntryJSON `json:"entry"`
	Duplicate       bool          `json:"duplicate"`
	InitialPassword string        `json:"initial_password"`
}

// submitOK sends a signed envelope and requires status want.
func (c *client) submitOK(t testing.TB, method, path string, env *record.Envelope, want int) submitted {
	t.Helper()
	r := c.submit(t, method, path, env)
	if r.Status != want {
		t.Fatalf("%s %s %s (%s): want %d, got %s", c.member, method, path, env.Kind(), want, r)
	}
	var s submitted
	decode(t, r, &s)
	if s.Entry.Kind != env.Kind() {
		t.Fatalf("%s %s: answered entry of kind %q, want %q", method, path, s.Entry.Kind, env.Kind())
	}
	return s
}

// member is a member's fields as commands carry them.
func member(id, party string, roles ...string) map[string]any {
	if roles == nil {
		roles = []string{}
	}
	return map[string]any{"id": id, "party": party, "name": "Officer " + id, "roles": roles}
}

// createMember has c append member.create and requires success.
func (c *client) createMember(t testing.TB, id, party string, roles ...string) submitted {
	t.Helper()
	return c.submitOK(t, "POST", "/api/v1/members", c.sign(cell.KindMemberCreate, map[string]any{"member": member(id, party, roles...)}), http.StatusCreated)
}

func decode(t testing.TB, r reply, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %s: %v", r, err)
	}
}

// wantProblem requires an RFC 9457 problem of status: the media type, every
// field, the instance (the request path) and a Retry-After header that
// agrees with retry_after.
func wantProblem(t testing.TB, r reply, status int) api.Problem {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: want status %d, got %s", r.path, status, r)
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/problem+json" {
		t.Fatalf("%s: %d answered with Content-Type %q, want application/problem+json", r.path, status, r.Header.Get("Content-Type"))
	}
	var p api.Problem
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: problem body %q: %v", r.path, r.Body, err)
	}
	switch {
	case p.Status != status:
		t.Errorf("%s: problem status %d, HTTP status %d", r.path, p.Status, status)
	case !strings.HasPrefix(p.Type, api.ProblemTypeBase) || len(p.Type) == len(api.ProblemTypeBase):
		t.Errorf("%s: problem type %q does not name a problem under %s", r.path, p.Type, api.ProblemTypeBase)
	case p.Title == "":
		t.Errorf("%s: problem without a title: %s", r.path, r.Body)
	case p.Detail == "":
		t.Errorf("%s: problem without a detail: %s", r.path, r.Body)
	case p.Instance != r.path:
		t.Errorf("%s: problem instance %q, want the request path", r.path, p.Instance)
	}
	if ra := r.Header.Get("Retry-After"); (ra != "") != (p.RetryAfter > 0) || (ra != "" && ra != fmt.Sprint(p.RetryAfter)) {
		t.Errorf("%s: Retry-After header %q but retry_after %d", r.path, ra, p.RetryAfter)
	}
	if status == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("%s: 401 without a WWW-Authenticate: Bearer challenge (RFC 9110 §15.5.2)", r.path)
	}
	return p
}

// wantType requires a problem of status whose type ends in slug.
func wantType(t testing.TB, r reply, status int, slug string) api.Problem {
	t.Helper()
	p := wantProblem(t, r, status)
	if p.Type != api.ProblemTypeBase+slug {
		t.Errorf("%s: problem type %q, want %s%s (%s)", r.path, p.Type, api.ProblemTypeBase, slug, p.Detail)
	}
	return p
}

// entries lists every entry visible to c, paging with the cursor.
func (c *client) entries(t testing.TB) []api.EntryJSON {
	t.Helper()
	var out []api.EntryJSON
	after := "-1"
	for {
		var page struct {
			Entries []api.EntryJSON `json:"entries"`
			Next    string          `json:"next"`
		}
		c.getJSON(t, "/api/v1/entries?limit=7&after="+after, &page)
		out = append(out, page.Entries...)
		if page.Next == "" {
			return out
		}
		after = page.Next
	}
}

// size returns the length of the demo cell's log.
func (ts *testServer) size(t testing.TB) int64 {
	t.Helper()
	n, err := ts.Store.Size(context.Background(), seed.DemoCell)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
