package hotline_test

// The fixture of the domain tests: a real SQLite store and ledger holding a
// cell with a mediator (us), two sides (il, sy) and an observer (jo), a
// member per role that the rules tell apart, and the channels most tests
// use. Commands go through ledger.Submit, signed with the members' device
// keys, exactly as the API sends them.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks/deskstest"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

const testCell = deskstest.Cell

var testMembers = []seed.MemberSpec{
	{ID: "us.admin", Party: "us", Name: "Mediator admin", Roles: []string{cell.RoleAdmin, cell.RoleDuty}},
	{ID: "us.mil", Party: "us", Name: "Mediator military", Roles: []string{cell.RoleMilitary}},
	{ID: "il.duty", Party: "il", Name: "IL duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
	{ID: "il.mil", Party: "il", Name: "IL military", Roles: []string{cell.RoleMilitary}},
	{ID: "il.dip", Party: "il", Name: "IL diplomatic", Roles: []string{cell.RoleDiplomatic}},
	{ID: "il.gen", Party: "il", Name: "IL clerk", Roles: []string{}},
	{ID: "sy.duty", Party: "sy", Name: "SY duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
	{ID: "sy.mil", Party: "sy", Name: "SY military", Roles: []string{cell.RoleMilitary}},
	{ID: "sy.dip", Party: "sy", Name: "SY diplomatic", Roles: []string{cell.RoleDiplomatic}},
	{ID: "sy.gen", Party: "sy", Name: "SY clerk", Roles: []string{}},
	{ID: "jo.duty", Party: "jo", Name: "JO duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
}

// testChannels are created by the server in every fixture.
var testChannels = []hotline.Channel{
	{ID: "joint-mil", Desk: "military", Kind: hotline.Joint, Title: "Military"},
	{ID: "joint-gen", Desk: "general", Kind: hotline.Joint, Title: "General"},
	{ID: "line-il", Desk: "general", Kind: hotline.Line, Party: "il", Title: "IL line"},
	{ID: "line-sy", Desk: "general", Kind: hotline.Line, Party: "sy", Title: "SY line"},
	{ID: "line-jo", Desk: "general", Kind: hotline.Line, Party: "jo", Title: "JO line"},
}

// fixture is the desks' fixture with the hotline alone registered, and the
// names these tests have always used for its parts.
type fixture struct {
	*deskstest.Fixture
	t    testing.TB
	ctx  context.Context
	st   store.Store
	led  *ledger.Ledger
	sd   seed.Seeder
	keys map[string]*record.DeviceKey
}

func newFixture(t *testing.T, settings cell.Settings) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	st, err := sqlite.Open(ctx, t.TempDir()+"/data")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := cell.NewRegistry()
	hotline.Register(reg)
	d := deskstest.OpenWith(t, ctx, st, reg, testMembers, settings)
	for _, ch := range testChannels {
		if _, err := d.Led.SubmitServer(ctx, testCell, hotline.KindChannelCreate, map[string]any{"channel": ch}); err != nil {
			t.Fatalf("channel %s: %v", ch.ID, err)
		}
	}
	return &fixture{Fixture: d, t: t, ctx: ctx, st: st, led: d.Led, sd: d.Sd, keys: d.Keys}
}

func (f *fixture) send(who, channel, precedence, body string, extra ...map[string]any) int64 {
	f.t.Helper()
	fields := map[string]any{"channel": channel, "subject": "Subject of " + body, "body": body, "lang": "en", "precedence": precedence}
	for _, e := range extra {
		for k, v := range e {
			fields[k] = v
		}
	}
	return f.OK(who, hotline.KindMessageSend, fields).Index
}

// obj reads a projected object into v; it reports whether it exists.
// obj reads kind/id as the server sees it.
func obj[T any](f *fixture, kind, id string) (T, bool) {
	f.t.Helper()
	return deskstest.Get[T](f.Fixture, f.st.View(testCell), kind, id)
}

func must[T any](f *fixture, kind, id string) T {
	f.t.Helper()
	v, ok := obj[T](f, kind, id)
	if !ok {
		f.t.Fatalf("no %s %s", kind, id)
	}
	return v
}

// entry reads back the stored entry at index i.
func wantAudience(t *testing.T, e *record.Entry, want ...string) {
	t.Helper()
	deskstest.WantAudience(t, e, want...)
}

func words(n int) string { return strings.TrimSpace(strings.Repeat("word ", n)) }
