package dues_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks/deskstest"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/watch"
)

const testCell = deskstest.Cell

// awaitPayload is a desk's command, for the test: it makes party owe an
// answer to this entry within window seconds, the entry being for party
// and the mediator.
type awaitPayload struct {
	record.Header
	Party  string   `json:"party"`
	Window int      `json:"window"`
	Answer bool     `json:"answer,omitempty"` // the answer: ends the wait on ref
	Ref    int64    `json:"ref,omitempty"`
	Items  []string `json:"items,omitempty"`
}

func await(c *cell.Command) (store.Effect, error) {
	var p awaitPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := cell.Audience(parties, p.Party)
	if err != nil {
		return store.Effect{}, err
	}
	if p.Answer && len(p.Items) == 0 {
		return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{dues.Done("test", p.Ref, p.Party)}}, nil
	}
	if p.Answer && len(p.Items) > 0 {
		return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{dues.ItemDone("test", p.Ref, p.Items[0], p.Party)}}, nil
	}
	idx, now, _ := store.NextPosition(c.View)
	d := dues.Due{Kind: "test", Ref: idx, Party: p.Party, Precedence: "FLASH", Title: "answer entry " + strconv.FormatInt(idx, 10),
		Start: now, Window: time.Duration(p.Window) * time.Second}
	if len(p.Items) == 0 {
		return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{dues.Put(d)}}, nil
	}
	var changes []store.Change
	for _, it := range p.Items {
		d.Item = it
		changes = append(changes, dues.Put(d))
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

type fixture struct {
	t   *testing.T
	ctx context.Context
	st  store.Store
	led *ledger.Ledger
	sd  seed.Seeder
	us  *record.DeviceKey
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := cell.NewRegistry()
	dues.Register(reg)
	reg.Handle("test.await", await)
	d := deskstest.OpenWith(t, ctx, st, reg, []seed.MemberSpec{
		{ID: "us.duty", Party: "us", Name: "Duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}}}, cell.Settings{})
	return &fixture{t: t, ctx: ctx, st: st, led: d.Led, sd: d.Sd, us: d.Keys["us.duty"]}
}

func (f *fixture) server(kind string, fields map[string]any) (store.Result, error) {
	return f.led.SubmitServer(f.ctx, testCell, kind, fields)
}

func (f *fixture) due(id string) (dues.Due, store.Object, bool) {
	f.t.Helper()
	o, err := f.st.View(testCell).Get(f.ctx, dues.ObjDue, id)
	if errors.Is(err, store.ErrNotFound) {
		return dues.Due{}, o, false
	}
	if err != nil {
		f.t.Fatal(err)
	}
	var d dues.Due
	if err := json.Unmarshal(o.Doc, &d); err != nil {
		f.t.Fatal(err)
	}
	return d, o, true
}

func escalation(d dues.Due, level int) map[string]any {
	return map[string]any{"id": dues.EscalationID(d, level), "kind": d.Kind, "ref": d.Ref, "party": d.Party, "level": level, "round": d.Round}
}

// waitUntil sleeps until t has passed on the server's clock.
func waitUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d + 20*time.Millisecond)
	}
}

// A due escalates at its deadline and at twice it, once each, only by the
// server, never before its time, never once answered; each escalation is
// for the audience of what is awaited.
func TestEscalationRules(t *testing.T) {
	f := newFixture(t)
	r, err := f.server("test.await", map[string]any{"party": "sy", "window": 1})
	if err != nil {
		t.Fatal(err)
	}
	id := dues.ID("test", r.Entry.Index, "sy")
	d, o, ok := f.due(id)
	if !ok || d.Party != "sy" || d.Window != time.Second || d.Level != 0 {
		t.Fatalf("the due: %+v, %v", d, ok)
	}
	if o.Parent != "sy" {
		t.Errorf("a due is listed under its party, not %q", o.Parent)
	}

	if _, err := f.sd.As(f.ctx, testCell, f.us, dues.KindEscalate, escalation(d, 1)); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("a member escalates: %v, want forbidden", err)
	}
	if _, err := f.server(dues.KindEscalate, escalation(d, 1)); !errors.Is(err, cell.ErrInvalid) {
		t.Errorf("an escalation before the deadline: %v, want invalid", err)
	}
	for _, bad := range []map[string]any{escalation(d, 2), escalation(d, 0),
		{"kind": "test", "ref": d.Ref, "party": "sy", "level": 1, "round": 1},
		{"kind": "test", "ref": d.Ref, "party": "il", "level": 1, "round": 0},
		{"kind": "other", "ref": d.Ref, "party": "sy", "level": 1, "round": 0}} {
		if _, err := f.server(dues.KindEscalate, bad); !errors.Is(err, cell.ErrConflict) {
			t.Errorf("escalation %v: %v, want conflict", bad, err)
		}
	}

	waitUntil(d.DueAt())
	e1, err := f.server(dues.KindEscalate, escalation(d, 1))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e1.Entry.Audience, []string{"sy", "us"}) {
		t.Errorf("the escalation's audience %v, want the awaited entry's [sy us]", e1.Entry.Audience)
	}
	again, err := f.server(dues.KindEscalate, escalation(d, 1))
	if err != nil || !again.Duplicate || again.Entry.Index != e1.Entry.Index {
		t.Errorf("the same escalation again: %+v, %v; want the first entry", again.Entry, err)
	}
	d, _, _ = f.due(id)
	if d.Level != 1 {
		t.Errorf("after the first escalation the due is at level %d", d.Level)
	}
	var esc dues.Escalation
	eo, err := f.st.View(testCell).Get(f.ctx, dues.ObjEscalation, strconv.FormatInt(e1.Entry.Index, 10))
	if err != nil || json.Unmarshal(eo.Doc, &esc) != nil || esc.Level != 1 || !slices.Equal(esc.NotifyRoles, []string{cell.RoleDuty}) || esc.Title != d.Title {
		t.Errorf("the escalation object: %+v, %v", esc, err)
	}
	if _, err := f.server(dues.KindEscalate, escalation(d, 2)); !errors.Is(err, cell.ErrInvalid) {
		t.Errorf("the second escalation before twice the deadline: %v, want invalid", err)
	}
	waitUntil(d.NextDue())
	if e2, err := f.server(dues.KindEscalate, escalation(d, 2)); err != nil {
		t.Fatal(err)
	} else if eo, _ := f.st.View(testCell).Get(f.ctx, dues.ObjEscalation, strconv.FormatInt(e2.Entry.Index, 10)); !json.Valid(eo.Doc) ||
		json.Unmarshal(eo.Doc, &esc) != nil || !slices.Equal(esc.NotifyRoles, []string{cell.RoleAdmin}) {
		t.Errorf("the second escalation alerts %v, want the admins", esc.NotifyRoles)
	}
	d, _, _ = f.due(id)
	if _, err := f.server(dues.KindEscalate, escalation(d, 3)); !errors.Is(err, cell.ErrConflict) {
		t.Errorf("a third escalation: %v, want conflict", err)
	}
	if _, _, still := f.due(id); !still {
		t.Error("the due is gone after its last escalation; it is still owed")
	}

	// Answered, nothing more escalates.
	r2, err := f.server("test.await", map[string]any{"party": "il", "window": 1})
	if err != nil {
		t.Fatal(err)
	}
	d2, _, _ := f.due(dues.ID("test", r2.Entry.Index, "il"))
	if _, err := f.server("test.await", map[string]any{"party": "il", "answer": true, "ref": r2.Entry.Index}); err != nil {
		t.Fatal(err)
	}
	waitUntil(d2.DueAt())
	if _, err := f.server(dues.KindEscalate, escalation(d2, 1)); !errors.Is(err, cell.ErrConflict) {
		t.Errorf("escalating what was answered: %v, want conflict", err)
	}
}

// The watch escalates dues without being told about them, once each, and
// a restarted or second watch does not repeat them.
func TestWatchEscalatesDues(t *testing.T) {
	f := newFixture(t)
	r, err := f.server("test.await", map[string]any{"party": "sy", "window": 1})
	if err != nil {
		t.Fatal(err)
	}
	id := dues.ID("test", r.Entry.Index, "sy")
	d, _, _ := f.due(id)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w1, err := watch.New(watch.Config{Ledger: f.led, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w2, err := watch.New(watch.Config{Ledger: f.led, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(d.NextDue().Add(d.Window)) // past both deadlines
	for range 3 {
		for _, w := range []*watch.Watch{w1, w2} {
			if err := w.Tick(f.ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	objs, err := f.st.View(testCell).List(f.ctx, dues.ObjEscalation, "sy", -1, 10)
	if err != nil {
		t.Fatal(err)
	}
	var levels []int
	for _, o := range objs {
		var e dues.Escalation
		if err := json.Unmarshal(o.Doc, &e); err != nil {
			t.Fatal(err)
		}
		levels = append(levels, e.Level)
	}
	if !slices.Equal(levels, []int{1, 2}) {
		t.Errorf("escalations at levels %v, want [1 2]", levels)
	}
	if d, _, _ := f.due(id); d.Level != 2 {
		t.Errorf("the due is at level %d, want 2", d.Level)
	}
}

// Items of one thing (the milestones of a commitment) are owed apart: each
// escalates on its own, and answering one leaves the others owed.
func TestItemsEscalateApart(t *testing.T) {
	f := newFixture(t)
	r, err := f.server("test.await", map[string]any{"party": "sy", "window": 1, "items": []string{"phase-1", "phase-2"}})
	if err != nil {
		t.Fatal(err)
	}
	ref := r.Entry.Index
	if _, err := f.server("test.await", map[string]any{"party": "sy", "answer": true, "ref": ref, "items": []string{"phase-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := f.due(dues.ItemID("test", ref, "phase-1", "sy")); ok {
		t.Error("the answered item is still owed")
	}
	d, _, ok := f.due(dues.ItemID("test", ref, "phase-2", "sy"))
	if !ok || d.Item != "phase-2" {
		t.Fatalf("the other item: %+v, %v", d, ok)
	}
	waitUntil(d.DueAt())
	e, err := f.server(dues.KindEscalate, dues.EscalationFields(d, 1))
	if err != nil {
		t.Fatal(err)
	}
	var esc dues.Escalation
	o, _ := f.st.View(testCell).Get(f.ctx, dues.ObjEscalation, strconv.FormatInt(e.Entry.Index, 10))
	if json.Unmarshal(o.Doc, &esc) != nil || esc.Item != "phase-2" {
		t.Errorf("the escalation names item %q", esc.Item)
	}
	gone := d
	gone.Item = "phase-1"
	if _, err := f.server(dues.KindEscalate, dues.EscalationFields(gone, 1)); !errors.Is(err, cell.ErrConflict) {
		t.Errorf("escalating the answered item: %v, want conflict", err)
	}
}
