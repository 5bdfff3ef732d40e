package bench

// The intelligence desk's target (issue 11): a 10,000-object bundle
// submitted end to end, and released through the gate. Every benchmark
// runs on SQLite and, when LIAISON_TEST_POSTGRES names a database, on
// PostgreSQL; the seeded server is set up inside the benchmark, so that
// plain `go test` (which runs no benchmark) never pays for it.
//
//	go test -run '^$' -bench Intel -benchtime 5x ./internal/bench/

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/desks"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/stix/stixgen"
)

// intelObjects is the bundle size.
const intelObjects = 10_000

func eachBackend(b *testing.B, run func(b *testing.B, e *Env)) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			pg := ""
			if name == "postgres" {
				if pg = os.Getenv("LIAISON_TEST_POSTGRES"); pg == "" {
					b.Skip("LIAISON_TEST_POSTGRES is not set: no PostgreSQL to measure")
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			e, err := Setup(ctx, pg, desks.Registry())
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			run(b, e)
		})
	}
}

// signed signs a command of kind for member, as a client does before it
// sends it.
func (e *Env) signed(member, kind string, fields map[string]any) *record.Envelope {
	p := map[string]any{"id": ledger.NewID(), "time": time.Now().UTC(), "cell": e.Cell}
	for f, v := range fields {
		p[f] = v
	}
	payload, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	return record.Sign(kind, payload, e.Keys[member].Private)
}

// do sends a request and decodes a JSON answer into out, failing unless
// the status is want.
func (e *Env) do(b *testing.B, token, method, path string, body []byte, want int, out any) {
	b.Helper()
	req, _ := http.NewRequest(method, e.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != want {
		b.Fatalf("%s %s: %s, want %d: %.500s", method, path, resp.Status, want, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			b.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

func (e *Env) token(b *testing.B, member string) string {
	b.Helper()
	t, err := e.Login(context.Background(), member)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// newBundle is a bundle of new objects for iteration i: a benchmark that
// submitted the same one again would measure a resubmission.
func newBundle(i int) []byte { return stixgen.BundleSeed(intelObjects, uint64(1000+i)) }

// peakMem follows the process's heap while a measured step runs: the peak
// of the heap's objects (live and not yet collected), sampled every
// millisecond, and the peak resident set (VmHWM, reset before each step
// where Linux allows it).
type peakMem struct {
	heap, rss uint64
	stop      chan struct{}
	done      sync.WaitGroup
	cur       uint64
	// cpu is the process's CPU time over the steps (user and system, every
	// goroutine's, the server's included), t0 its reading at a step's start:
	// on a shared machine a steadier measure of the work than wall time.
	cpu, t0 time.Duration
	n       int
}

func (m *peakMem) start() {
	runtime.GC()
	// Writing 5 to clear_refs resets VmHWM to the current RSS (Linux).
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) //nolint:errcheck
	m.stop = make(chan struct{})
	m.cur = 0
	m.t0 = cpuTime()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	sample := func() {
		metrics.Read(s)
		m.cur = max(m.cur, s[0].Value.Uint64())
	}
	sample()
	m.done.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				sample()
				return
			case <-t.C:
				sample()
			}
		}
	})
}

func (m *peakMem) end() {
	m.cpu += cpuTime() - m.t0
	m.n++
	close(m.stop)
	m.done.Wait()
	m.heap = max(m.heap, m.cur)
	m.rss = max(m.rss, vmHWM())
}

func (m *peakMem) report(b *testing.B) {
	b.ReportMetric(float64(m.heap)/(1<<20), "peak-heap-MiB")
	if m.n > 0 {
		b.ReportMetric(m.cpu.Seconds()/float64(m.n), "cpu-s/op")
	}
	if m.rss > 0 {
		b.ReportMetric(float64(m.rss)/(1<<20), "peak-RSS-MiB")
	}
}

// vmHWM is the process's peak resident set in bytes, 0 where /proc does
// not tell it.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkIntelSubmitHTTP posts a signed 10,000-object submission to a
// real server on loopback and waits for its 201: the envelope read and
// verified, the decision, the append and its projection, the answer.
// Signing is the client's, before the clock starts.
func BenchmarkIntelSubmitHTTP(b *testing.B) {
	eachBackend(b, func(b *testing.B, e *Env) {
		tok := e.token(b, "il.intelligence")
		var mem peakMem
		size := 0
		b.ReportAllocs()
		b.StopTimer()
		for i := range b.N {
			bundle := newBundle(i)
			size = len(bundle)
			body := e.signed("il.intelligence", intel.KindSubmit, map[string]any{"title": "Weekly export", "bundle": json.RawMessage(bundle)}).Marshal()
			mem.start()
			b.StartTimer()
			var out struct{ Submission intel.Submission }
			e.do(b, tok, http.MethodPost, "/api/v1/intel/submissions", body, http.StatusCreated, &out)
			b.StopTimer()
			mem.end()
			if out.Submission.Count != intelObjects {
				b.Fatalf("the submission holds %d objects, want %d", out.Submission.Count, intelObjects)
			}
		}
		mem.report(b)
		b.ReportMetric(float64(size)/(1<<20), "bundle-MiB")
	})
}

// BenchmarkIntelSubmitLedger is the same submission through the ledger
// alone, without HTTP: what the decision and the append cost.
func BenchmarkIntelSubmitLedger(b *testing.B) {
	eachBackend(b, func(b *testing.B, e *Env) {
		var mem peakMem
		b.ReportAllocs()
		b.StopTimer()
		for i := range b.N {
			env := e.signed("il.intelligence", intel.KindSubmit, map[string]any{"title": "Weekly export", "bundle": json.RawMessage(newBundle(i))})
			mem.start()
			b.StartTimer()
			_, err := e.led.Submit(context.Background(), e.Cell, "il.intelligence", env)
			b.StopTimer()
			mem.end()
			if err != nil {
				b.Fatal(err)
			}
		}
		mem.report(b)
	})
}

// BenchmarkIntelResubmitLedger submits the same bundle again each time:
// every object is then in the collection already.
func BenchmarkIntelResubmitLedger(b *testing.B) {
	eachBackend(b, func(b *testing.B, e *Env) {
		bundle := newBundle(0)
		first := e.signed("il.intelligence", intel.KindSubmit, map[string]any{"title": "Weekly export", "bundle": json.RawMessage(bundle)})
		if _, err := e.led.Submit(context.Background(), e.Cell, "il.intelligence", first); err != nil {
			b.Fatal(err)
		}
		var mem peakMem
		b.ReportAllocs()
		b.StopTimer()
		for range b.N {
			env := e.signed("il.intelligence", intel.KindSubmit, map[string]any{"title": "Weekly export again", "bundle": json.RawMessage(bundle)})
			mem.start()
			b.StartTimer()
			_, err := e.led.Submit(context.Background(), e.Cell, "il.intelligence", env)
			b.StopTimer()
			mem.end()
			if err != nil {
				b.Fatal(err)
			}
		}
		mem.report(b)
	})
}

func randomProposal() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// BenchmarkIntelRelease runs a 10,000-object submission through the gate
// over HTTP: proposed sanitized (which sanitizes to check it), approved,
// its draft fetched, and released to Syria's intelligence officer (the
// generated bundle holds TLP:RED, which goes to named members only). The
// submission is made before the clock starts; each step's mean is
// reported beside the whole.
func BenchmarkIntelRelease(b *testing.B) {
	eachBackend(b, func(b *testing.B, e *Env) {
		il, us, duty := e.token(b, "il.intelligence"), e.token(b, "us.intelligence"), e.token(b, "us.duty")
		var propose, approve, draft, release time.Duration
		var mem peakMem
		b.ReportAllocs()
		b.StopTimer()
		for i := range b.N {
			var sub struct{ Index int64 }
			body := e.signed("il.intelligence", intel.KindSubmit, map[string]any{"title": "Weekly export", "bundle": json.RawMessage(newBundle(i))}).Marshal()
			e.do(b, il, http.MethodPost, "/api/v1/intel/submissions", body, http.StatusCreated, &sub)
			id := randomProposal()
			body = e.signed("us.intelligence", intel.KindPropose, map[string]any{"proposal": id, "submission": sub.Index,
				"decision": intel.Release, "members": []string{"sy.intelligence"}, "sanitize": map[string]any{"location_km": 10}}).Marshal()

			mem.start()
			b.StartTimer()
			t0 := time.Now()
			e.do(b, us, http.MethodPost, "/api/v1/intel/proposals", body, http.StatusCreated, nil)
			t1 := time.Now()
			var p intel.Proposal
			e.do(b, duty, http.MethodGet, "/api/v1/intel/proposals/"+id, nil, http.StatusOK, &p)
			body = e.signed("us.duty", intel.KindApprove, intel.Approval(p)).Marshal()
			e.do(b, duty, http.MethodPost, "/api/v1/intel/proposals/"+id+"/approve", body, http.StatusCreated, nil)
			t2 := time.Now()
			var d json.RawMessage
			e.do(b, duty, http.MethodGet, "/api/v1/intel/proposals/"+id+"/draft", nil, http.StatusOK, &d)
			t3 := time.Now()
			// Signing the draft is the publisher's client's work.
			b.StopTimer()
			body = e.signed("us.duty", intel.KindRelease, map[string]any{"proposal": id, "title": "Weekly export", "bundle": d}).Marshal()
			b.StartTimer()
			t4 := time.Now()
			e.do(b, duty, http.MethodPost, "/api/v1/intel/proposals/"+id+"/release", body, http.StatusCreated, nil)
			t5 := time.Now()
			b.StopTimer()
			mem.end()
			propose += t1.Sub(t0)
			approve += t2.Sub(t1)
			draft += t3.Sub(t2)
			release += t5.Sub(t4)
		}
		n := float64(b.N) * float64(time.Millisecond)
		b.ReportMetric(float64(propose)/n, "propose-ms")
		b.ReportMetric(float64(approve)/n, "approve-ms")
		b.ReportMetric(float64(draft)/n, "draft-ms")
		b.ReportMetric(float64(release)/n, "release-ms")
		mem.report(b)
	})
}

// TestMain keeps the demo's drill (its escalations) out of the benchmarks'
// output.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	os.Exit(m.Run())
}
