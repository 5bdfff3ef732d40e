// Package deskstest is the fixture of the desks' tests: a real store and
// ledger holding a cell with every desk registered, a member per role the
// rules tell apart, and commands sent through ledger.Submit, signed with
// the members' device keys, exactly as the API sends them.
package deskstest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

// Cell is the fixture's cell.
const Cell = "c1"

// Parties are the fixture's: the US mediates between Israel and Syria;
// Jordan observes.
var Parties = []seed.PartySpec{
	{ID: "us", Name: "Mediator", Kind: cell.Mediator, TimeZone: "America/New_York"},
	{ID: "il", Name: "Israel", Kind: cell.Side, TimeZone: "Asia/Jerusalem"},
	{ID: "sy", Name: "Syria", Kind: cell.Side, TimeZone: "Asia/Damascus"},
	{ID: "jo", Name: "Jordan", Kind: cell.Observer, TimeZone: "Asia/Amman"},
}

// Fixture is a cell in a real store, and its members' keys.
type Fixture struct {
	T    testing.TB
	Ctx  context.Context
	St   store.Store
	Led  *ledger.Ledger
	Sd   seed.Seeder
	Keys map[string]*record.DeviceKey
}

// New opens a fixture on SQLite in a temporary directory; parties are
// seated after the fixture's own (more observers, say).
func New(t testing.TB, members []seed.MemberSpec, settings cell.Settings, parties ...seed.PartySpec) *Fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return Open(t, ctx, st, members, settings, parties...)
}

// Open seeds the fixture's cell into st, through a ledger with every desk.
func Open(t testing.TB, ctx context.Context, st store.Store, members []seed.MemberSpec, settings cell.Settings, parties ...seed.PartySpec) *Fixture {
	t.Helper()
	return OpenWith(t, ctx, st, desks.Registry(), members, settings, parties...)
}

// OpenWith is Open through a ledger running reg: a desk's own tests that
// hold the desk's instance (to ask its index) register it themselves.
func OpenWith(t testing.TB, ctx context.Context, st store.Store, reg *cell.Registry, members []seed.MemberSpec, settings cell.Settings, parties ...seed.PartySpec) *Fixture {
	t.Helper()
	led, err := ledger.New(ledger.Config{Store: st, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(led.Close)
	f := &Fixture{T: t, Ctx: ctx, St: st, Led: led, Sd: seed.Seeder{Ledger: led, Store: st, Password: auth.TestParams},
		Keys: map[string]*record.DeviceKey{}}
	if err := f.Sd.CreateCell(ctx, Cell, "Test cell", "", settings); err != nil {
		t.Fatal(err)
	}
	for _, p := range append(slices.Clone(Parties), parties...) {
		if err := f.Sd.Party(ctx, Cell, p); err != nil {
			t.Fatal(err)
		}
	}
	keyDir := t.TempDir()
	for _, m := range members {
		if _, err := f.Sd.Member(ctx, Cell, m, ""); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(keyDir, m.ID+".key")
		if err := f.Sd.DeviceKey(ctx, Cell, m.ID, path, "test"); err != nil {
			t.Fatal(err)
		}
		k, err := record.ReadDeviceKey(path)
		if err != nil {
			t.Fatal(err)
		}
		f.Keys[m.ID] = k
	}
	return f
}

// As sends a command signed by member who.
func (f *Fixture) As(who, kind string, fields map[string]any) (store.Result, error) {
	f.T.Helper()
	k, ok := f.Keys[who]
	if !ok {
		f.T.Fatalf("no member %s in the fixture", who)
	}
	return f.Sd.As(f.Ctx, Cell, k, kind, fields)
}

// OK sends a command that must be accepted as a new entry: a test that
// means to resend one calls As and looks at Duplicate itself.
func (f *Fixture) OK(who, kind string, fields map[string]any) *record.Entry {
	f.T.Helper()
	r, err := f.As(who, kind, fields)
	if err != nil {
		f.T.Fatalf("%s by %s %s: %v", kind, who, brief(fields), err)
	}
	if r.Duplicate {
		f.T.Fatalf("%s by %s %s: answered as a duplicate of entry %d", kind, who, brief(fields), r.Entry.Index)
	}
	return r.Entry
}

// brief is fields for a failure message, cut short.
func brief(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	if len(b) > 160 {
		b = append(b[:160], "..."...)
	}
	return string(b)
}

// Fails sends a command that must be refused with want, leaving the log as
// it was.
func (f *Fixture) Fails(want error, who, kind string, fields map[string]any) error {
	f.T.Helper()
	n := f.Size()
	r, err := f.As(who, kind, fields)
	if err == nil {
		f.T.Fatalf("%s by %s %s: accepted as entry %d, want %v", kind, who, brief(fields), r.Entry.Index, want)
	}
	if !errors.Is(err, want) {
		f.T.Fatalf("%s by %s %s: %v, want %v", kind, who, brief(fields), err, want)
	}
	if m := f.Size(); m != n {
		f.T.Fatalf("%s by %s was refused but the log grew from %d to %d", kind, who, n, m)
	}
	return err
}

// Size is the log's size.
func (f *Fixture) Size() int64 {
	f.T.Helper()
	n, err := f.St.Size(f.Ctx, Cell)
	if err != nil {
		f.T.Fatal(err)
	}
	return n
}

// Actor is member as the rule book sees them.
func (f *Fixture) Actor(member string) cell.Actor {
	f.T.Helper()
	a, err := cell.ActorFor(f.Ctx, f.St.View(Cell), member)
	if err != nil {
		f.T.Fatal(err)
	}
	return a
}

// ViewOf is the projection as member reads it.
func (f *Fixture) ViewOf(member string) store.View {
	f.T.Helper()
	return cell.ReadView(f.St, Cell, f.Actor(member))
}

// PartyView is the projection as any member of party reads it; "" is the
// server's view, which sees everything.
func (f *Fixture) PartyView(party string) store.View {
	f.T.Helper()
	if party == "" {
		return f.St.View(Cell)
	}
	p, err := cell.GetParty(f.Ctx, f.St.View(Cell), party)
	if err != nil {
		f.T.Fatal(err)
	}
	return cell.ReadView(f.St, Cell, cell.Actor{Party: &p, Member: &cell.Member{ID: "x", Party: party}})
}

// Entry is the log's entry i.
func (f *Fixture) Entry(i int64) *record.Entry {
	f.T.Helper()
	rows, err := f.St.Entries(f.Ctx, Cell, i, i+1)
	if err != nil || len(rows) != 1 {
		f.T.Fatalf("entry %d: %v (%d rows)", i, err, len(rows))
	}
	e, err := record.ParseEntry(rows[0].LeafData)
	if err != nil {
		f.T.Fatal(err)
	}
	return e
}

// Entries are the log's entries as member reads them.
func (f *Fixture) Entries(member string) []*record.Entry {
	f.T.Helper()
	rows, err := f.St.EntriesFor(f.Ctx, Cell, cell.ReaderOf(f.Actor(member)), -1, 1<<30)
	if err != nil {
		f.T.Fatal(err)
	}
	var out []*record.Entry
	for _, r := range rows {
		e, err := record.ParseEntry(r.LeafData)
		if err != nil {
			f.T.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// Get reads kind/id through v into a T; ok false when v does not hold it.
func Get[T any](f *Fixture, v store.View, kind, id string) (T, bool) {
	f.T.Helper()
	var x T
	o, err := v.Get(f.Ctx, kind, id)
	if errors.Is(err, store.ErrNotFound) {
		return x, false
	}
	if err != nil {
		f.T.Fatal(err)
	}
	if err := json.Unmarshal(o.Doc, &x); err != nil {
		f.T.Fatal(err)
	}
	return x, true
}

// WantAudience fails unless e's audience is want.
func WantAudience(t testing.TB, e *record.Entry, want ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(e.Audience))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("entry %d (%s): audience %v, want %v", e.Index, e.Envelope.Kind(), got, want)
	}
}
