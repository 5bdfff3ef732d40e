package rebuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/testlog"
)

func TestMain(m *testing.M) { testlog.Main(m) }

func openStore(t *testing.T, dir string) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestRebuildDemoEqual(t *testing.T) {
	d := testlog.NewDemo(t)
	st := openStore(t, d.Dir)
	ctx := context.Background()
	rep, err := Run(ctx, st, testlog.Cell, testlog.Registry())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Equal() {
		t.Fatalf("a fresh demo differs from its replay: %v %v", rep.Diffs, rep.EntryDiffs)
	}
	stored, err := st.Projection(ctx, testlog.Cell)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != d.Size(t) || len(rep.Replayed) != len(stored) || len(stored) < 40 {
		t.Errorf("replayed %d entries into %d objects; the store holds %d (log %d)", rep.Entries, len(rep.Replayed), len(stored), d.Size(t))
	}
}

// TestRebuildTampered changes the stored projections behind the log's back;
// the replay names exactly the objects changed, and Apply mends them.
func TestRebuildTampered(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sql     string
		args    []any
		want    string // Diff.String() prefix
		problem string
		fields  []string
	}{
		{"doc", `UPDATE objects SET doc = ? WHERE cell = ? AND kind = 'member' AND id = 'il.duty'`,
			[]any{[]byte(`{"id":"il.duty","party":"il","name":"Mallory","roles":["admin"]}`)},
			`different member/il.duty: doc {"id":"il.duty"`, "different", []string{"doc"}},
		{"seq and updated", `UPDATE objects SET seq = seq + 1, updated = updated + 2 WHERE cell = ? AND kind = 'party' AND id = 'sy'`, nil,
			"different party/sy: seq 3, stored 4; updated 3, stored 5", "different", []string{"seq", "updated"}},
		{"parent", `UPDATE objects SET parent = 'sy' WHERE cell = ? AND kind = 'member' AND id = 'il.military'`, nil,
			`different member/il.military: parent "il", stored "sy"`, "different", []string{"parent"}},
		{"missing", `DELETE FROM objects WHERE cell = ? AND kind = 'party' AND id = 'jo'`, nil,
			"missing   party/jo: the log creates it at entry 4", "missing", nil},
		{"extra", `INSERT INTO objects (cell, kind, id, parent, seq, updated, doc) VALUES (?, 'key', 'k0', 'il.duty', 3, 3, '{}')`, nil,
			"extra     key/k0: the store holds it (seq 3, updated 3)", "extra", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := testlog.NewDemo(t)
			ctx := context.Background()
			before := openProjection(t, d)
			d.Exec(t, tc.sql, append(tc.args, testlog.Cell)...)

			st := openStore(t, d.Dir)
			rep, err := Run(ctx, st, testlog.Cell, testlog.Registry())
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Diffs) != 1 || len(rep.EntryDiffs) != 0 {
				t.Fatalf("diffs %v, entry diffs %v; want one", rep.Diffs, rep.EntryDiffs)
			}
			diff := rep.Diffs[0]
			t.Logf("%s", diff)
			if diff.Problem != tc.problem || !reflect.DeepEqual(diff.Fields, tc.fields) || !strings.HasPrefix(diff.String(), tc.want) {
				t.Errorf("diff %q (%s %v), want %q (%s %v)", diff, diff.Problem, diff.Fields, tc.want, tc.problem, tc.fields)
			}

			if err := Apply(ctx, st, rep, testlog.Registry()); err != nil {
				t.Fatal(err)
			}
			after, err := st.Projection(ctx, testlog.Cell)
			if err != nil {
				t.Fatal(err)
			}
			if d := Compare(before, after); len(d) != 0 {
				t.Errorf("after Apply the projection is not the original: %v", d)
			}
		})
	}
}

func openProjection(t *testing.T, d *testlog.Demo) []store.Object {
	t.Helper()
	st, err := sqlite.Open(context.Background(), d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	objs, err := st.Projection(context.Background(), testlog.Cell)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func TestRebuildReplayRejects(t *testing.T) {
	d := testlog.NewDemo(t)
	// The operator appends a second party.create of an existing party.
	d.Rewrite(t, func(es [][]byte) [][]byte {
		e, err := record.ParseEntry(es[2])
		if err != nil {
			t.Fatal(err)
		}
		e.Index = int64(len(es))
		return append(es, e.Bytes())
	})
	_, err := Run(context.Background(), openStore(t, d.Dir), testlog.Cell, testlog.Registry())
	want := fmt.Sprintf("entry %d (party.create): the replay rejects it", d.Size(t)-1)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("replay of a log with a repeated party.create: %v, want %q", err, want)
	}
}

func TestRebuildAudience(t *testing.T) {
	d := testlog.NewDemo(t)
	// Entry 17 (member.create of il.military) is logged for il and the
	// mediator; make the log say Syria may read it too.
	d.Rewrite(t, func(es [][]byte) [][]byte {
		e, _ := record.ParseEntry(es[17])
		e.Audience = append(e.Audience, "sy")
		es[17] = e.Bytes()
		return es
	})
	rep, err := Run(context.Background(), openStore(t, d.Dir), testlog.Cell, testlog.Registry())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.EntryDiffs) != 1 || rep.EntryDiffs[0].Index != 17 || rep.Equal() {
		t.Fatalf("entry diffs %v", rep.EntryDiffs)
	}
	if s := rep.EntryDiffs[0].String(); s != "entry 17 (member.create): audience [il us], logged [il sy us]" {
		t.Errorf("diff %q", s)
	}
}

func TestApplyRefusesAfterGrowth(t *testing.T) {
	d := testlog.NewDemo(t)
	st := openStore(t, d.Dir)
	rep, err := Run(context.Background(), st, testlog.Cell, testlog.Registry())
	if err != nil {
		t.Fatal(err)
	}
	rep.Entries--
	if err := Apply(context.Background(), st, rep, testlog.Registry()); err == nil || !strings.Contains(err.Error(), "grew") {
		t.Fatalf("Apply after the log grew: %v", err)
	}
}

// TestViewMatchesStore applies the same changes through a real store's
// Append and through the in-memory view, and compares what each view shows
// to the deciding entries and the projections that result.
func TestViewMatchesStore(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	const c = "conf"
	if err := st.CreateCell(ctx, c, "test/conf"); err != nil {
		t.Fatal(err)
	}
	put := func(kind, id, parent, doc string) store.Change {
		return store.Change{Kind: kind, ID: id, Parent: parent, Doc: []byte(doc)}
	}
	del := func(kind, id string) store.Change { return store.Change{Kind: kind, ID: id} }
	steps := [][]store.Change{
		{put("a", "x", "p", `{"v":1}`), put("a", "y", "q", `{"v":2}`), put("b", "z", "", `{}`)},
		{put("a", "w", "p", `{"v":3}`), put("a", "b", "p", `{"v":4}`)},
		{put("a", "x", "q", `{"v":5}`)},
		{del("a", "y")},
		{put("a", "y", "p", `{"v":6}`), del("a", "nope")},
		{put("a", "c", "q", `{}`), del("a", "c")},
		{del("a", "b"), put("a", "b", "q", `{"v":7}`)},
		nil,
	}
	type seen struct {
		Next  int64
		Lists [][]store.Object
		Gets  []string
	}
	look := func(v store.View) seen {
		var s seen
		s.Next, _, _ = store.NextPosition(v)
		for _, q := range []struct {
			parent string
			after  int64
			limit  int
		}{{"", -1, 100}, {"p", -1, 100}, {"q", -1, 100}, {"", 0, 2}, {"", 1, 100}, {"p", 1, 1}} {
			l, err := v.List(ctx, "a", q.parent, q.after, q.limit)
			if err != nil {
				t.Fatal(err)
			}
			if l == nil {
				l = []store.Object{}
			}
			s.Lists = append(s.Lists, l)
		}
		for _, id := range []string{"x", "y", "nope"} {
			o, err := v.Get(ctx, "a", id)
			s.Gets = append(s.Gets, fmt.Sprintf("%+v %v", o, errors.Is(err, store.ErrNotFound)))
		}
		return s
	}
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	var real []seen
	for i, ch := range steps {
		payload, _ := json.Marshal(record.Header{ID: fmt.Sprint(i), Time: time.Now().UTC(), Cell: c})
		env := record.Sign("test.note", payload, k.Private)
		rs, err := st.Append(ctx, c, []*store.Pending{{
			Entry: &record.Entry{Member: "m", Party: "p", KeyID: k.ID(), Envelope: env},
			Decide: func(ctx context.Context, v store.View) (store.Effect, error) {
				real = append(real, look(v))
				return store.Effect{Audience: []string{"*"}, Mask: 1, Changes: ch}, nil
			},
		}})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("append %d: %v %v", i, err, rs[0].Err)
		}
	}
	v := newMemView()
	for i, ch := range steps {
		v.next = int64(i)
		got := look(v)
		if !reflect.DeepEqual(got, real[i]) {
			t.Errorf("before entry %d the in-memory view shows\n%+v\nthe store's shows\n%+v", i, got, real[i])
		}
		v.apply(int64(i), ch)
	}
	stored, err := st.Projection(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if d := Compare(v.objects(), stored); len(d) != 0 {
		t.Errorf("projections differ: %v", d)
	}
	if len(stored) != 5 {
		t.Errorf("%d objects stored, want 5", len(stored))
	}
}
