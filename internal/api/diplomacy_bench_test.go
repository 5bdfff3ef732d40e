package api_test

// The diplomatic desk's benchmarks: what a duty officer waits on. Each
// backend's world is the seeded demo cell and, written through the ledger
// as members sign them, N disputes (a half acknowledged, a quarter
// answered too), 1,000 commitments of Israel's with 10 milestones each
// (10,000 milestones it owes), and 20 talks rounds. N is 10,000; set
//
//	LIAISON_BENCH_DISPUTES=10000,100000
//
// for the register at both sizes (the 100,000 world takes minutes to
// write). The benchmarks run only under -bench:
//
//	go test -run '^$' -bench Diplomacy -benchtime 20x ./internal/api/

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/postgres"
)

func benchSizes(b *testing.B) []int {
	v := os.Getenv("LIAISON_BENCH_DISPUTES")
	if v == "" {
		return []int{10_000}
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("LIAISON_BENCH_DISPUTES=%q: sizes, as 10000,100000", v)
		}
		out = append(out, n)
	}
	return out
}

// submitAll submits the commands that cmd(i) signs, i < n, from 32
// goroutines, through the ledger as the API does: enough in flight for the
// ledger's group commits to fill.
func submitAll(b *testing.B, ts *testServer, n int, cmd func(i int) (member string, env *record.Envelope)) {
	b.Helper()
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || failed.Load() != nil {
					return
				}
				member, env := cmd(i)
				if _, err := ts.Ledger.Submit(ctx, seed.DemoCell, member, env); err != nil {
					failed.Store(fmt.Errorf("command %d by %s: %w", i, member, err))
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
}

type benchWorld struct {
	ts       *testServer
	disputes []int64 // in filing order
	keys     map[string]*record.DeviceKey
	// calendarCold is the first feed's time, before the server kept any
	// entry's time.
	calendarCold time.Duration
}

func (w *benchWorld) sign(member, kind string, fields map[string]any) *record.Envelope {
	return record.Sign(kind, payload(fields), w.keys[member].Private)
}

// newBenchWorld writes the world into a freshly seeded demo on backend be.
func newBenchWorld(b *testing.B, be backend, n int) *benchWorld {
	b.Helper()
	start := time.Now()
	ts := newTestServerOn(b, be)
	w := &benchWorld{ts: ts, keys: map[string]*record.DeviceKey{}}
	for _, m := range []string{"il.diplomatic", "sy.diplomatic", "us.diplomatic"} {
		w.keys[m] = ts.deviceKey(b, m)
	}
	ctx := context.Background()
	first, err := ts.Store.Size(ctx, seed.DemoCell)
	if err != nil {
		b.Fatal(err)
	}
	arts := []string{"2", "3", "4"}
	submitAll(b, ts, n, func(i int) (string, *record.Envelope) {
		by, against := "il.diplomatic", "sy"
		if i%3 == 0 {
			by, against = "sy.diplomatic", "il"
		}
		articles := []map[string]any{{"agreement": "paris", "article": arts[i%len(arts)]}}
		if i%10 == 0 {
			articles = append(articles, map[string]any{"agreement": "disengagement-1974", "article": "C"})
		}
		return by, w.sign(by, diplomacy.KindDisputeFile, map[string]any{"respondent": against, "title": "Dispute " + strconv.Itoa(i),
			"description": "Activity near the line without the notice article 2 requires.", "articles": articles})
	})
	// The disputes are the entries of kind dispute.file written since.
	size, err := ts.Store.Size(ctx, seed.DemoCell)
	if err != nil {
		b.Fatal(err)
	}
	var respondents []string
	for i := first; i < size; i += 1000 {
		rows, err := ts.Store.Entries(ctx, seed.DemoCell, i, min(i+1000, size))
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			e, err := record.ParseEntry(r.LeafData)
			if err != nil {
				b.Fatal(err)
			}
			if e.Envelope.Kind() == diplomacy.KindDisputeFile {
				w.disputes = append(w.disputes, r.Index)
				respondents = append(respondents, map[string]string{"il": "sy.diplomatic", "sy": "il.diplomatic"}[e.Party])
			}
		}
	}
	if len(w.disputes) != n {
		b.Fatalf("%d disputes filed of %d", len(w.disputes), n)
	}
	submitAll(b, ts, n/2, func(i int) (string, *record.Envelope) {
		return "us.diplomatic", w.sign("us.diplomatic", diplomacy.KindDisputeAck, map[string]any{"dispute": w.disputes[2*i]})
	})
	submitAll(b, ts, n/4, func(i int) (string, *record.Envelope) {
		return respondents[4*i], w.sign(respondents[4*i], diplomacy.KindDisputeRespond, map[string]any{"dispute": w.disputes[4*i], "text": "Notice was given."})
	})
	day := time.Now().UTC().Truncate(24 * time.Hour)
	submitAll(b, ts, 1000, func(i int) (string, *record.Envelope) {
		var ms []map[string]any
		for j := range 10 {
			ms = append(ms, map[string]any{"id": "m" + strconv.Itoa(j), "title": "Step " + strconv.Itoa(j),
				"due": day.Add(time.Duration((i*10+j)%365*24+i%24) * time.Hour)})
		}
		return "us.diplomatic", w.sign("us.diplomatic", diplomacy.KindCommitmentCreate, map[string]any{"commitment": map[string]any{
			"id": "bench-" + strconv.Itoa(i), "kind": "commitment", "title": "Commitment " + strconv.Itoa(i),
			"article": map[string]any{"agreement": "paris", "article": "5"}, "party": "il", "milestones": ms}})
	})
	submitAll(b, ts, 20, func(i int) (string, *record.Envelope) {
		at := day.AddDate(0, 0, 14*(i+1))
		return "us.diplomatic", w.sign("us.diplomatic", diplomacy.KindRoundCreate, map[string]any{"round": map[string]any{
			"id": "bench-round-" + strconv.Itoa(i), "number": 100 + i, "place": "Paris", "start": at, "end": at.Add(48 * time.Hour),
			"delegations": map[string][]string{"il": {"Head of delegation"}, "sy": {"Head of delegation"}}}})
	})
	if err := ts.Ledger.SignCheckpoint(ctx, seed.DemoCell); err != nil {
		b.Fatal(err)
	}
	// PostgreSQL plans by the tables' statistics, which autovacuum takes
	// within a minute of a large write; the world is read at once, so take
	// them now. Without them (tables it believes empty), the register's
	// query by article and step took 142 ms at 500 disputes: each key
	// joined to every object by a scan instead of its primary key.
	if pg, ok := ts.Store.(*postgres.Store); ok {
		if _, err := pg.W.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	if size, err = ts.Store.Size(ctx, seed.DemoCell); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s world of %d disputes: %d entries, written in %.1f s", be.name, n, size, time.Since(start).Seconds())
	return w
}

// unkeyedView hides the store's keyed lists, so that the register reads
// every dispute and filters and sorts them in Go: the register as it was
// before it paged in the query.
type unkeyedView struct{ v store.View }

func (u unkeyedView) Get(ctx context.Context, kind, id string) (store.Object, error) {
	return u.v.Get(ctx, kind, id)
}

func (u unkeyedView) List(ctx context.Context, kind, parent string, after int64, limit int) ([]store.Object, error) {
	return u.v.List(ctx, kind, parent, after, limit)
}

// BenchmarkDiplomacy runs every benchmark of the desk on each backend and
// world size, the world built once for all of them.
func BenchmarkDiplomacy(b *testing.B) {
	for _, be := range backends {
		for _, n := range benchSizes(b) {
			b.Run(fmt.Sprintf("%s/disputes=%d", be.name, n), func(b *testing.B) {
				w := newBenchWorld(b, be, n)
				b.Run("Register", func(b *testing.B) { benchRegister(b, w) })
				b.Run("Timeline", func(b *testing.B) { benchTimeline(b, w) })
				b.Run("Calendar", func(b *testing.B) { benchCalendar(b, w) })
				b.Run("StatementEvidence", func(b *testing.B) { benchStatementEvidence(b, w) })
				b.Run("SubmitDisputeFile", func(b *testing.B) { benchSubmit(b, w, diplomacy.KindDisputeFile) })
				b.Run("SubmitStatementSign", func(b *testing.B) { benchSubmit(b, w, diplomacy.KindStatementSign) })
			})
		}
	}
}

// registerQueries are what a duty officer asks of the register.
var registerQueries = []struct{ name, query string }{
	{"open-by-deadline", "status=open&sort=deadline"},
	{"party-by-deadline", "party=il&sort=deadline"},
	{"article-acknowledged", "article=paris:3&status=acknowledged"},
	{"rare-article", "article=disengagement-1974:C&sort=deadline"},
	{"all-by-age", ""},
}

// benchRegister times a page of 50 of the register as the mediator reads
// it (every dispute), through the query function behind GET
// /api/v1/disputes: the first page, and a page deep in the register by
// its cursor; then the same pages read as the register was read before
// it paged in the query.
func benchRegister(b *testing.B, w *benchWorld) {
	c := w.ts.login(b, "us.duty")
	r, p := c.principal(b)
	now := time.Now()
	for _, q := range registerQueries {
		vals, err := urlValues(q.query)
		if err != nil {
			b.Fatal(err)
		}
		rq, err := api.ParseRegisterQuery(vals)
		if err != nil {
			b.Fatal(err)
		}
		// The cursor of page 100 (or the last), for the deep page.
		deep := rq
		for range 100 {
			reg, err := w.ts.API.DisputeRegister(r, p, deep, now)
			if err != nil {
				b.Fatal(err)
			}
			if reg.Next == "" {
				break
			}
			deep.After = reg.Next
		}
		for _, pg := range []struct {
			name string
			q    api.RegisterQuery
		}{{"first", rq}, {"deep", deep}} {
			b.Run("query/"+q.name+"/"+pg.name, func(b *testing.B) {
				rows := 0
				for range b.N {
					reg, err := w.ts.API.DisputeRegister(r, p, pg.q, now)
					if err != nil {
						b.Fatal(err)
					}
					rows = len(reg.Disputes)
				}
				b.ReportMetric(float64(rows), "rows")
			})
		}
		b.Run("scan/"+q.name+"/first", func(b *testing.B) {
			v := unkeyedView{cell.ReadView(w.ts.Store, p.Cell, p.Actor())}
			f := diplomacy.RegisterFilter{Party: rq.Party, Agreement: rq.Agreement, Article: rq.Article, Status: rq.Status, Order: diplomacy.OrderAge}
			if rq.Sort == api.SortDeadline {
				f.Order = diplomacy.OrderDeadline
			}
			rows := 0
			for range b.N {
				ds, _, err := diplomacy.DisputePage(r.Context(), v, f, store.Cursor{}, api.DefaultRegisterLimit)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(ds)
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

func urlValues(q string) (map[string][]string, error) {
	out := map[string][]string{}
	if q == "" {
		return out, nil
	}
	for _, kv := range strings.Split(q, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("query %q", q)
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

// benchTimeline times the timeline of every commitment's milestones, as
// Israel reads it (the 1,000 commitments it owes and the demo's).
func benchTimeline(b *testing.B, w *benchWorld) {
	c := w.ts.login(b, "il.diplomatic")
	r, p := c.principal(b)
	items := 0
	for range b.N {
		tl, err := w.ts.API.Timeline(r, p, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		items = len(tl)
	}
	b.ReportMetric(float64(items), "milestones")
}

// benchCalendar times GET /calendar/{token}.ics of an Israeli member:
// every milestone Israel owes, the responses it owes to disputes, and the
// rounds it sits in. The server's first feed reads every event's entry
// for its time (first-ms); later ones, as a calendar polling it, find the
// times kept.
func benchCalendar(b *testing.B, w *benchWorld) {
	c := w.ts.login(b, "il.diplomatic")
	var tok api.CalendarToken
	if r := c.do(b, "POST", "/api/v1/calendar/token", nil); r.Status != http.StatusCreated {
		b.Fatalf("calendar token: %s", r)
	} else {
		decode(b, r, &tok)
	}
	var events, size int
	feed := func() {
		resp, err := w.ts.HTTP.Get(w.ts.URL + tok.Path)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("feed: %d, %v", resp.StatusCode, err)
		}
		events, size = bytes.Count(buf.Bytes(), []byte("BEGIN:VEVENT")), buf.Len()
	}
	if w.calendarCold == 0 {
		t0 := time.Now()
		feed()
		w.calendarCold = time.Since(t0)
	}
	b.ResetTimer()
	for range b.N {
		feed()
	}
	b.ReportMetric(float64(w.calendarCold.Microseconds())/1000, "first-ms")
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(float64(size)/1e6, "MB")
}

// benchStatementEvidence times the export of the demo's co-signed joint
// statement's evidence bundle over HTTP as Syria reads it, and its check
// offline (evidence.Check: the checkpoint, each entry's inclusion proof,
// each signature), in the world's log.
func benchStatementEvidence(b *testing.B, w *benchWorld) {
	c := w.ts.login(b, "sy.diplomatic")
	var export, check time.Duration
	entries := 0
	for range b.N {
		t0 := time.Now()
		r := c.get(b, "/api/v1/statements/paris-5/evidence")
		if r.Status != http.StatusOK {
			b.Fatalf("evidence: %s", r)
		}
		t1 := time.Now()
		var bundle evidence.Bundle
		if err := json.Unmarshal(r.Body, &bundle); err != nil {
			b.Fatal(err)
		}
		ck, err := evidence.Check(&bundle)
		if err != nil {
			b.Fatal(err)
		}
		check += time.Since(t1)
		export += t1.Sub(t0)
		entries = len(ck.Cited)
	}
	size, err := w.ts.Store.Size(context.Background(), seed.DemoCell)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(export.Microseconds())/float64(b.N), "export-µs")
	b.ReportMetric(float64(check.Microseconds())/float64(b.N), "check-µs")
	b.ReportMetric(float64(entries), "entries")
	b.ReportMetric(float64(size), "log-entries")
}

// benchSubmit times a command end to end over HTTP, from four writers at
// once, each request answered once its entry is committed; envelopes are
// signed before the clock starts. statement.sign signs, for Israel, one
// of b.N statements drafted beforehand.
func benchSubmit(b *testing.B, w *benchWorld, kind string) {
	const writers = 4
	il := w.ts.login(b, "il.diplomatic")
	var envs []*record.Envelope
	var paths []string
	switch kind {
	case diplomacy.KindDisputeFile:
		for i := range b.N {
			envs = append(envs, il.sign(kind, map[string]any{"respondent": "sy", "title": "Benchmark dispute " + strconv.Itoa(i),
				"description": "Activity near the line without notice.", "articles": []map[string]any{{"agreement": "paris", "article": "2"}}}))
			paths = append(paths, "/api/v1/disputes")
		}
	case diplomacy.KindStatementSign:
		texts := map[string][]diplomacy.Paragraph{"en": {{Text: "The parties met and agreed."}}}
		hashes := map[string]string{"en": diplomacy.TextHash(texts["en"])}
		id := fmt.Sprintf("bench-%d-", time.Now().UnixNano())
		submitAll(b, w.ts, b.N, func(i int) (string, *record.Envelope) {
			return "us.diplomatic", w.sign("us.diplomatic", diplomacy.KindStatementDraft, map[string]any{"statement": map[string]any{
				"id": id + strconv.Itoa(i), "title": "Statement " + strconv.Itoa(i), "kind": "joint_statement", "required": []string{"il", "sy"}},
				"texts": texts})
		})
		for i := range b.N {
			envs = append(envs, il.sign(kind, map[string]any{"statement": id + strconv.Itoa(i), "version": 1, "hashes": hashes}))
			paths = append(paths, "/api/v1/statements/"+id+strconv.Itoa(i)+"/sign")
		}
	}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range writers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				t0 := time.Now()
				r := il.submit(b, "POST", paths[i], envs[i])
				lat[i] = time.Since(t0)
				if r.Status != http.StatusCreated && r.Status != http.StatusOK {
					b.Errorf("%s %d: %s", kind, i, r)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "cmd/s")
}
