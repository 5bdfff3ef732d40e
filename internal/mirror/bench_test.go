package mirror_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// BenchmarkCosignatureRoundTrip is one witness round trip over loopback:
// GET the checkpoint, verify and cosign it, POST it back, the cell
// checking it against the witness key and its tree and storing it.
func BenchmarkCosignatureRoundTrip(b *testing.B) {
	d := testlog.NewDemo(b)
	c := startCell(b, d.Dir, nil)
	k := registerWitness(b, c, d, "il")
	cl := c.login(b, "il.duty")
	ctx := context.Background()
	vkey, err := cl.VerifierKey(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		msg, err := cl.Checkpoint(ctx)
		if err != nil {
			b.Fatal(err)
		}
		cos, err := k.Cosign(msg, vkey)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cl.AddCosignatures(ctx, cos); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMirrorFollow has 32 senders append messages on il's line as
// fast as the cell takes them while il's mirror follows, verifies and
// cosigns round after round; it reports the entries verified per second
// and the lag from an entry's append to the mirror holding a verified
// checkpoint that covers it.
func BenchmarkMirrorFollow(b *testing.B) {
	const total = 10000
	for b.Loop() {
		d := testlog.NewDemo(b)
		c := startCell(b, d.Dir, nil)
		k := registerWitness(b, c, d, "il")
		m := openMirror(b, c.login(b, "il.duty"), b.TempDir(), k)
		ctx := context.Background()
		if _, err := m.Round(ctx); err != nil {
			b.Fatal(err)
		}
		start := m.Size()
		key := d.Key(b, "il.duty")
		var mu sync.Mutex
		appended := map[int64]time.Time{}
		var sent atomic.Int64
		var wg sync.WaitGroup
		t0 := time.Now()
		for range 32 {
			wg.Go(func() {
				for sent.Add(1) <= total {
					env, err := client.Sign(key, testlog.Cell, "message.send", map[string]any{
						"channel": "line-il", "subject": "load", "body": "load", "lang": "en", "precedence": "ROUTINE"})
					if err != nil {
						panic(err)
					}
					r, err := c.led.Submit(ctx, testlog.Cell, "il.duty", env)
					if err != nil {
						panic(err)
					}
					mu.Lock()
					appended[r.Entry.Index] = time.Now()
					mu.Unlock()
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		var lags []time.Duration
		covered := start
		rounds, cosigned := 0, 0
	follow:
		for {
			r, err := m.Round(ctx)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			rounds++
			if r.Cosigned {
				cosigned++
			}
			mu.Lock()
			for i := covered; i < r.To; i++ {
				if at, ok := appended[i]; ok {
					lags = append(lags, now.Sub(at))
				}
			}
			mu.Unlock()
			covered = max(covered, r.To)
			select {
			case <-done:
				if int64(len(lags)) >= total {
					el := time.Since(t0)
					slices.Sort(lags)
					b.ReportMetric(float64(len(lags))/el.Seconds(), "entries/s")
					b.ReportMetric(float64(lags[len(lags)/2].Milliseconds()), "lag-p50-ms")
					b.ReportMetric(float64(lags[len(lags)*99/100].Milliseconds()), "lag-p99-ms")
					b.ReportMetric(float64(rounds), "rounds")
					b.ReportMetric(float64(cosigned), "cosigned")
					fmt.Printf("followed %d entries in %s over %d rounds (%d cosigned)\n", len(lags), el.Round(time.Millisecond), rounds, cosigned)
					break follow
				}
			default:
			}
		}
	}
}
