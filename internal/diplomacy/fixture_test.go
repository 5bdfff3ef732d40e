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
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks/deskstest"
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

const testCell = deskstest.Cell

// golan is the fixture's region.
var golan = cell.Region{South: 32.55, West: 35.55, North: 33.45, East: 36.25}

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

// fixture is the desks' fixture, with the names these tests have always
// used for its parts.
type fixture struct {
	*deskstest.Fixture
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
// desk (a dispute cites an incident, a withdrawal names a zone).
func openFixture(t testing.TB, ctx context.Context, st store.Store) *fixture {
	t.Helper()
	d := deskstest.Open(t, ctx, st, testMembers, cell.Settings{Region: &golan})
	return &fixture{Fixture: d, t: t, ctx: ctx, st: st, led: d.Led, sd: d.Sd, keys: d.Keys}
}

// view is the projection as party reads it ("": everything).
func (f *fixture) view(party string) store.View {
	f.t.Helper()
	return f.PartyView(party)
}

func obj[T any](f *fixture, v store.View, kind, id string) (T, bool) {
	f.t.Helper()
	return deskstest.Get[T](f.Fixture, v, kind, id)
}

func wantAudience(t *testing.T, e *record.Entry, want ...string) {
	t.Helper()
	deskstest.WantAudience(t, e, want...)
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
