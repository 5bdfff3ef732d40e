package diplomacy_test

// The fixture of the desk's tests: a real SQLite store and ledger holding a
// cell with a mediator (us), two sides (il, sy) and an observer (jo), every
// desk registered (a dispute cites an incident, a withdrawal names a
// zone), and a member per role the rules tell apart. Commands go through
// ledger.Submit, signed with the members' device keys, exactly as the API
// sends them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks"
	"github.com/liaison-cell/liaison/internal/dues"
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

// golan is the fixture's region.
var golan = cell.Region{South: 32.55, West: 35.55, North: 33.45, East: 36.25}

var testParties = []seed.PartySpec{
	{ID: "us", Name: "Mediator", Kind: cell.Mediator, TimeZone: "America/New_York"},
	{ID: "il", Name: "Israel", Kind: cell.Side, TimeZone: "Asia/Jerusalem"},
	{ID: "sy", Name: "Syria", Kind: cell.Side, TimeZone: "Asia/Damascus"},
	{ID: "jo", Name: "Jordan", Kind: cell.Observer, TimeZone: "Asia/Amman"},
}

var testMembers = []seed.MemberSpec{
	{ID: "us.admin", Party: "us", Name: "Mediator admin", Roles: []string{cell.RoleAdmin, cell.RoleDuty}},
	{ID: "us.dip", Party: "us", Name: "Mediator diplomatic", Roles: []string{cell.RoleDiplomatic}},
	{ID: "us.duty", Party: "us", Name: "Mediator duty", Roles: []string{cell.RoleDuty}},
	{ID: "us.mil", Party: "us", Name: "Mediator military", Roles: []string{cell.RoleMilitary}},
	{ID: "il.mil", Party: "il", Name: "IL military", Roles: []string{cell.RoleMilitary}},
	{ID: "il.dip", Party: "il", Name: "IL diplomatic", Roles: []string{cell.RoleDiplomatic}},
	{ID: "il.duty", Party: "il", Name: "IL duty", Roles: []string{cell.RoleDuty}},
	{ID: "sy.mil", Party: "sy", Name: "SY military", Roles: []string{cell.RoleMilitary}},
	{ID: "sy.dip", Party: "sy", Name: "SY diplomatic", Roles: []string{cell.RoleDiplomatic}},
	{ID: "sy.duty", Party: "sy", Name: "SY duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
	{ID: "jo.duty", Party: "jo", Name: "JO duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin, cell.RoleDiplomatic}},
}

type fixture struct {
	t    testing.TB
	ctx  context.Context
	st   store.Store
	led  *ledger.Ledger
	sd   seed.Seeder
	keys map[string]*record.DeviceKey
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return openFixture(t, ctx, st)
}

// newPostgresFixture is newFixture in a PostgreSQL schema of its own; it
// skips without LIAISON_TEST_POSTGRES.
func newPostgresFixture(t testing.TB) *fixture {
	t.Helper()
	u := testlog.PostgresSchema(t, "liaison_diplomacy_test_")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	st, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return openFixture(t, ctx, st)
}

// backends opens a fixture on each store.
var backends = []struct {
	name string
	open func(t testing.TB) *fixture
}{{"sqlite", newFixture}, {"postgres", newPostgresFixture}}

// openFixture seeds a fixture's cell into st, through a ledger with every
// desk.
func openFixture(t testing.TB, ctx context.Context, st store.Store) *fixture {
	t.Helper()
	led, err := ledger.New(ledger.Config{Store: st, Registry: desks.Registry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(led.Close)
	f := &fixture{t: t, ctx: ctx, st: st, led: led, sd: seed.Seeder{Ledger: led, Store: st, Password: auth.TestParams},
		keys: map[string]*record.DeviceKey{}}
	if err := f.sd.CreateCell(ctx, testCell, "Test cell", "", cell.Settings{Region: &golan}); err != nil {
		t.Fatal(err)
	}
	for _, p := range testParties {
		if err := f.sd.Party(ctx, testCell, p); err != nil {
			t.Fatal(err)
		}
	}
	keyDir := t.TempDir()
	for _, m := range testMembers {
		if _, err := f.sd.Member(ctx, testCell, m, ""); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(keyDir, m.ID+".key")
		if err := f.sd.DeviceKey(ctx, testCell, m.ID, path, "test"); err != nil {
			t.Fatal(err)
		}
		k, err := record.ReadDeviceKey(path)
		if err != nil {
			t.Fatal(err)
		}
		f.keys[m.ID] = k
	}
	return f
}

func (f *fixture) as(who, kind string, fields map[string]any) (store.Result, error) {
	f.t.Helper()
	k, ok := f.keys[who]
	if !ok {
		f.t.Fatalf("no member %s in the fixture", who)
	}
	return f.sd.As(f.ctx, testCell, k, kind, fields)
}

func (f *fixture) ok(who, kind string, fields map[string]any) *record.Entry {
	f.t.Helper()
	r, err := f.as(who, kind, fields)
	if err != nil {
		f.t.Fatalf("%s by %s: %v", kind, who, err)
	}
	return r.Entry
}

func (f *fixture) fails(want error, who, kind string, fields map[string]any) error {
	f.t.Helper()
	n := f.size()
	r, err := f.as(who, kind, fields)
	if err == nil {
		f.t.Fatalf("%s by %s: accepted as entry %d, want %v", kind, who, r.Entry.Index, want)
	}
	if !errors.Is(err, want) {
		f.t.Fatalf("%s by %s: %v, want %v", kind, who, err, want)
	}
	if m := f.size(); m != n {
		f.t.Fatalf("%s by %s was refused but the log grew from %d to %d", kind, who, n, m)
	}
	return err
}

func (f *fixture) size() int64 {
	f.t.Helper()
	n, err := f.st.Size(f.ctx, testCell)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// view is the projection as party reads it.
func (f *fixture) view(party string) store.View {
	f.t.Helper()
	if party == "" {
		return f.st.View(testCell)
	}
	p, err := cell.GetParty(f.ctx, f.st.View(testCell), party)
	if err != nil {
		f.t.Fatal(err)
	}
	return cell.ReadView(f.st, testCell, cell.Actor{Party: &p, Member: &cell.Member{ID: "x", Party: party}})
}

func obj[T any](f *fixture, v store.View, kind, id string) (T, bool) {
	f.t.Helper()
	var x T
	o, err := v.Get(f.ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return x, false
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if err := json.Unmarshal(o.Doc, &x); err != nil {
		f.t.Fatal(err)
	}
	return x, true
}

func wantAudience(t *testing.T, e *record.Entry, want ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(e.Audience))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("entry %d (%s): audience %v, want %v", e.Index, e.Envelope.Kind(), got, want)
	}
}

func itoa(i int64) string { return fmt.Sprint(i) }

// tick runs the watch a few times: each round escalates a due one level.
func tick(t *testing.T, f *fixture) {
	t.Helper()
	w, err := watch.New(watch.Config{Ledger: f.led, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := w.Tick(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// escalations lists the escalations of dues that party reads.
func escalations(t *testing.T, f *fixture, party string) []dues.Escalation {
	t.Helper()
	objs, err := f.view(party).List(f.ctx, dues.ObjEscalation, "", -1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []dues.Escalation
	for _, o := range objs {
		var e dues.Escalation
		if err := json.Unmarshal(o.Doc, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}
