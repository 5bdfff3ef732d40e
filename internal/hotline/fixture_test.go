package hotline_test

// The fixture of the domain tests: a real SQLite store and ledger holding a
// cell with a mediator (us), two sides (il, sy) and an observer (jo), a
// member per role that the rules tell apart, and the channels most tests
// use. Commands go through ledger.Submit, signed with the members' device
// keys, exactly as the API sends them.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

const testCell = "c1"

var testParties = []seed.PartySpec{
	{ID: "us", Name: "Mediator", Kind: cell.Mediator, TimeZone: "America/New_York"},
	{ID: "il", Name: "Israel", Kind: cell.Side, TimeZone: "Asia/Jerusalem"},
	{ID: "sy", Name: "Syria", Kind: cell.Side, TimeZone: "Asia/Damascus"},
	{ID: "jo", Name: "Jordan", Kind: cell.Observer, TimeZone: "Asia/Amman"},
}

// testMembers: "x.duty" holds duty and admin, "x.mil" the military desk,
// "x.dip" the diplomatic desk, "x.gen" no role at all; us.admin is the
// mediator's admin and us.mil a mediator member without admin.
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

type fixture struct {
	t    *testing.T
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
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := cell.NewRegistry()
	hotline.Register(reg)
	led, err := ledger.New(ledger.Config{Store: st, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(led.Close)
	f := &fixture{t: t, ctx: ctx, st: st, led: led, sd: seed.Seeder{Ledger: led, Store: st, Password: auth.TestParams},
		keys: map[string]*record.DeviceKey{}}
	if err := f.sd.CreateCell(ctx, testCell, "Test cell", "", settings); err != nil {
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
	for _, ch := range testChannels {
		if _, err := led.SubmitServer(ctx, testCell, hotline.KindChannelCreate, map[string]any{"channel": ch}); err != nil {
			t.Fatalf("channel %s: %v", ch.ID, err)
		}
	}
	return f
}

// as submits a command signed by member who.
func (f *fixture) as(who, kind string, fields map[string]any) (store.Result, error) {
	f.t.Helper()
	k, ok := f.keys[who]
	if !ok {
		f.t.Fatalf("no member %s in the fixture", who)
	}
	return f.sd.As(f.ctx, testCell, k, kind, fields)
}

// ok submits a command that must succeed and returns its entry.
func (f *fixture) ok(who, kind string, fields map[string]any) *record.Entry {
	f.t.Helper()
	r, err := f.as(who, kind, fields)
	if err != nil {
		f.t.Fatalf("%s by %s: %v", kind, who, err)
	}
	if r.Duplicate {
		f.t.Fatalf("%s by %s: answered as a duplicate", kind, who)
	}
	return r.Entry
}

// fails submits a command that must be refused with want (cell.ErrInvalid,
// cell.ErrForbidden or cell.ErrConflict).
func (f *fixture) fails(want error, who, kind string, fields map[string]any) error {
	f.t.Helper()
	n := f.size()
	r, err := f.as(who, kind, fields)
	if err == nil {
		f.t.Fatalf("%s by %s %v: accepted as entry %d, want %v", kind, who, brief(fields), r.Entry.Index, want)
	}
	if !errors.Is(err, want) {
		f.t.Fatalf("%s by %s %v: %v, want %v", kind, who, brief(fields), err, want)
	}
	if m := f.size(); m != n {
		f.t.Fatalf("%s by %s was refused but the log grew from %d to %d", kind, who, n, m)
	}
	return err
}

func brief(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	if len(b) > 160 {
		b = append(b[:160], "..."...)
	}
	return string(b)
}

func (f *fixture) size() int64 {
	f.t.Helper()
	n, err := f.st.Size(f.ctx, testCell)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// send sends a message and returns its id (its entry's index).
func (f *fixture) send(who, channel, precedence, body string, extra ...map[string]any) int64 {
	f.t.Helper()
	fields := map[string]any{"channel": channel, "subject": "Subject of " + body, "body": body, "lang": "en", "precedence": precedence}
	for _, e := range extra {
		for k, v := range e {
			fields[k] = v
		}
	}
	return f.ok(who, hotline.KindMessageSend, fields).Index
}

// obj reads a projected object into v; it reports whether it exists.
func obj[T any](f *fixture, kind, id string) (T, bool) {
	f.t.Helper()
	var v T
	o, err := f.st.View(testCell).Get(f.ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return v, false
	}
	if err != nil {
		f.t.Fatal(err)
	}
	if err := json.Unmarshal(o.Doc, &v); err != nil {
		f.t.Fatal(err)
	}
	return v, true
}

// must reads a projected object that must exist.
func must[T any](f *fixture, kind, id string) T {
	f.t.Helper()
	v, ok := obj[T](f, kind, id)
	if !ok {
		f.t.Fatalf("no %s %s", kind, id)
	}
	return v
}

// entry reads back the stored entry at index i.
func (f *fixture) entry(i int64) *record.Entry {
	f.t.Helper()
	rows, err := f.st.Entries(f.ctx, testCell, i, i+1)
	if err != nil || len(rows) != 1 {
		f.t.Fatalf("entry %d: %v (%d rows)", i, err, len(rows))
	}
	e, err := record.ParseEntry(rows[0].LeafData)
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

func wantAudience(t *testing.T, e *record.Entry, want ...string) {
	t.Helper()
	got := slices.Clone(e.Audience)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("entry %d (%s): audience %v, want %v", e.Index, e.Envelope.Kind(), got, want)
	}
}

func words(n int) string { return strings.TrimSpace(strings.Repeat("word ", n)) }
