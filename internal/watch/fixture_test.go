package watch_test

// The fixture of the watch tests: nodes (store + ledger + watch) over
// SQLite data directories or one PostgreSQL schema, a cell seeded through
// the first node, and helpers that read the escalations back from the log
// itself. Deadlines pass in real time (the domain checks an escalation
// against its entry's server time), so the tests use deadlines of a
// second or two and wait by polling under a generous context deadline;
// nothing is asserted about how long anything took.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/postgres"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/watch"
)

const testCell = "c1"

// waitLimit bounds every wait for a deadline to pass.
const waitLimit = 2 * time.Minute

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// node is one server: a store, a ledger over it and a watch.
type node struct {
	st     store.Store
	led    *ledger.Ledger
	w      *watch.Watch
	shared bool // the store is another node's too: close leaves it open
	once   sync.Once
}

// newNode starts a node over st, which it closes when it stops (at the
// latest when the test ends).
func newNode(t *testing.T, st store.Store, hooks ...watch.Webhook) *node {
	t.Helper()
	n := startNode(t, st, hooks...)
	t.Cleanup(n.close)
	return n
}

// sharedNode starts a node over a store that outlives it.
func sharedNode(t *testing.T, st store.Store) *node {
	t.Helper()
	n := startNode(t, st)
	n.shared = true
	t.Cleanup(n.close)
	return n
}

func startNode(t *testing.T, st store.Store, hooks ...watch.Webhook) *node {
	t.Helper()
	led, err := ledger.New(ledger.Config{Store: st, Registry: desks.Registry(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := led.OpenAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	w, err := watch.New(watch.Config{Ledger: led, Logger: quiet, Webhooks: hooks})
	if err != nil {
		t.Fatal(err)
	}
	return &node{st: st, led: led, w: w}
}

// close stops the ledger, then closes the store: what a shutdown does.
func (n *node) close() {
	n.once.Do(func() {
		n.led.Close()
		if !n.shared {
			n.st.Close()
		}
	})
}

func openSQLite(t *testing.T, dir string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// postgresURL creates a schema of its own for the test (dropped at the
// end) and returns a URL that uses it; it skips the test without
// LIAISON_TEST_POSTGRES.
func postgresURL(t *testing.T) string {
	t.Helper()
	return testlog.PostgresSchema(t, "liaison_watch_test_")
}

func openPostgres(t *testing.T, url string) store.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// members of the test cell: x.duty holds duty and admin, x.mil the
// military desk, x.gen no role.
var members = []seed.MemberSpec{
	{ID: "us.duty", Party: "us", Name: "US duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
	{ID: "il.duty", Party: "il", Name: "IL duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
	{ID: "il.mil", Party: "il", Name: "IL military", Roles: []string{cell.RoleMilitary}},
	{ID: "il.gen", Party: "il", Name: "IL clerk", Roles: []string{}},
	{ID: "sy.duty", Party: "sy", Name: "SY duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
	{ID: "sy.mil", Party: "sy", Name: "SY military", Roles: []string{cell.RoleMilitary}},
	{ID: "jo.duty", Party: "jo", Name: "JO duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
}

// cellKeys are the members' device keys.
type cellKeys map[string]*record.DeviceKey

// seedCell creates the test cell through n: the mediator us, sides il and
// sy, observer jo, the members, a joint military channel and a line per
// party.
func seedCell(t *testing.T, n *node, settings cell.Settings) cellKeys {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sd := seed.Seeder{Ledger: n.led, Store: n.st, Password: auth.TestParams}
	if err := sd.CreateCell(ctx, testCell, "Test cell", "", settings); err != nil {
		t.Fatal(err)
	}
	for _, p := range []seed.PartySpec{
		{ID: "us", Name: "Mediator", Kind: cell.Mediator, TimeZone: "UTC"},
		{ID: "il", Name: "Israel", Kind: cell.Side, TimeZone: "Asia/Jerusalem"},
		{ID: "sy", Name: "Syria", Kind: cell.Side, TimeZone: "Asia/Damascus"},
		{ID: "jo", Name: "Jordan", Kind: cell.Observer, TimeZone: "Asia/Amman"},
	} {
		if err := sd.Party(ctx, testCell, p); err != nil {
			t.Fatal(err)
		}
	}
	keys := cellKeys{}
	dir := t.TempDir()
	for _, m := range members {
		if _, err := sd.Member(ctx, testCell, m, ""); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, m.ID+".key")
		if err := sd.DeviceKey(ctx, testCell, m.ID, path, "test"); err != nil {
			t.Fatal(err)
		}
		k, err := record.ReadDeviceKey(path)
		if err != nil {
			t.Fatal(err)
		}
		keys[m.ID] = k
	}
	for _, ch := range []hotline.Channel{
		{ID: "joint-mil", Desk: "military", Kind: hotline.Joint, Title: "Military"},
		{ID: "line-il", Desk: "general", Kind: hotline.Line, Party: "il", Title: "IL line"},
		{ID: "line-sy", Desk: "general", Kind: hotline.Line, Party: "sy", Title: "SY line"},
		{ID: "line-jo", Desk: "general", Kind: hotline.Line, Party: "jo", Title: "JO line"},
	} {
		if _, err := n.led.SubmitServer(ctx, testCell, hotline.KindChannelCreate, map[string]any{"channel": ch}); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// as submits a command signed by member who through n.
func (k cellKeys) as(t *testing.T, n *node, who, kind string, fields map[string]any) *record.Entry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sd := seed.Seeder{Ledger: n.led, Store: n.st}
	r, err := sd.As(ctx, testCell, k[who], kind, fields)
	if err != nil {
		t.Fatal(err)
	}
	return r.Entry
}

// send sends a message and returns its entry.
func (k cellKeys) send(t *testing.T, n *node, who, channel, precedence, text string) *record.Entry {
	t.Helper()
	return k.as(t, n, who, hotline.KindMessageSend, map[string]any{
		"channel": channel, "subject": "About " + text, "body": text, "lang": "en", "precedence": precedence})
}

// escalation is a message.escalate entry as the log holds it.
type escalation struct {
	hotline.EscalatePayload
	Index int64
	Time  time.Time
}

// entriesOf reads every entry of kind from the log.
func entriesOf(t *testing.T, st store.Store, kind string) []*record.Entry {
	t.Helper()
	ctx := context.Background()
	n, err := st.Size(ctx, testCell)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Entries(ctx, testCell, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	var out []*record.Entry
	for _, row := range rows {
		e, err := record.ParseEntry(row.LeafData)
		if err != nil {
			t.Fatal(err)
		}
		if e.Envelope.Kind() == kind {
			out = append(out, e)
		}
	}
	return out
}

// escalations lists the message.escalate entries in the log.
func escalations(t *testing.T, st store.Store) []escalation {
	t.Helper()
	var out []escalation
	for _, e := range entriesOf(t, st, hotline.KindMessageEscalate) {
		var p hotline.EscalatePayload
		if err := json.Unmarshal(e.Envelope.Payload, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, escalation{EscalatePayload: p, Index: e.Index, Time: e.Time})
	}
	return out
}

// tickUntil ticks w until done reports true, failing the test after
// waitLimit. Between ticks it waits a little: deadlines pass in real time.
func tickUntil(t *testing.T, w *watch.Watch, what string, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for {
		if err := w.Tick(ctx); err != nil {
			t.Fatalf("tick: %v", err)
		}
		if done() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("still waiting for %s after %s", what, waitLimit)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitUntil waits, without asserting anything about time, until t0 has
// passed by the real clock.
func waitUntil(t *testing.T, t0 time.Time) {
	t.Helper()
	if d := time.Until(t0); d > waitLimit {
		t.Fatalf("will not wait %s", d)
	} else if d > 0 {
		time.Sleep(d)
	}
}

// object reads a projected object.
func object[T any](t *testing.T, st store.Store, kind, id string) (T, bool) {
	t.Helper()
	var v T
	o, err := st.View(testCell).Get(context.Background(), kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, false
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(o.Doc, &v); err != nil {
		t.Fatal(err)
	}
	return v, true
}
