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
	"github.com/liaison-cell/liaison/internal/mirror"
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

// BenchmarkMirrorFollow has 32 senders append messages on il's line (on
// Syria's for stream-unread) as fast as the cell takes them while il's
// mirror follows, verifies and cosigns; it reports the entries verified per second and the lag from an
// entry's append to the mirror holding a verified checkpoint that covers
// it. The mirror follows three ways: "stream" is Follow (a round when the
// stream announces an entry, as `liaison mirror` runs); "poll-1s" a round
// every second (what `liaison mirror` did before it followed the stream);
// "busy" rounds back to back, the most a polling mirror can do.
func BenchmarkMirrorFollow(b *testing.B) {
	stream := func(ctx context.Context, m *mirror.Mirror, on func(*mirror.RoundResult, error)) {
		m.Follow(ctx, mirror.FollowOptions{OnRound: on}) //nolint:errcheck // on sees every round's error
	}
	modes := []struct {
		name string
		run  func(ctx context.Context, m *mirror.Mirror, on func(*mirror.RoundResult, error))
		// sender, on the sender's line: il's line is read by il's mirror,
		// Syria's is not (the stream tells it the log grew, nothing more).
		sender string
	}{
		{"stream", stream, "il"},
		{"stream-unread", stream, "sy"},
		{"poll-1s", func(ctx context.Context, m *mirror.Mirror, on func(*mirror.RoundResult, error)) {
			for ctx.Err() == nil {
				on(m.Round(ctx))
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}, "il"},
		{"busy", func(ctx context.Context, m *mirror.Mirror, on func(*mirror.RoundResult, error)) {
			for ctx.Err() == nil {
				on(m.Round(ctx))
			}
		}, "il"},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				benchFollow(b, mode.run, mode.sender)
			}
		})
	}
}

func benchFollow(b *testing.B, run func(ctx context.Context, m *mirror.Mirror, on func(*mirror.RoundResult, error)), sender string) {
	const total = 10000
	d := testlog.NewDemo(b)
	c := startCell(b, d.Dir, nil)
	k := registerWitness(b, c, d, "il")
	m := openMirror(b, c.login(b, "il.duty"), b.TempDir(), k)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := m.Round(ctx); err != nil {
		b.Fatal(err)
	}
	start := m.Size()
	key := d.Key(b, sender+".duty")
	var mu sync.Mutex
	appended := map[int64]time.Time{}
	var sent atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range 32 {
		wg.Go(func() {
			for sent.Add(1) <= total {
				env, err := client.Sign(key, testlog.Cell, "message.send", map[string]any{
					"channel": "line-" + sender, "subject": "load", "body": "load", "lang": "en", "precedence": "ROUTINE"})
				if err != nil {
					panic(err)
				}
				r, err := c.led.Submit(context.Background(), testlog.Cell, sender+".duty", env)
				if err != nil {
					panic(err)
				}
				mu.Lock()
				appended[r.Entry.Index] = time.Now()
				mu.Unlock()
			}
		})
	}
	var sendersDone atomic.Bool
	go func() { wg.Wait(); sendersDone.Store(true) }()
	var lags []time.Duration
	var el time.Duration
	covered := start
	rounds, cosigned := 0, 0
	run(ctx, m, func(r *mirror.RoundResult, err error) {
		if err != nil {
			b.Errorf("round: %v", err)
			cancel()
			return
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
		if sendersDone.Load() && int64(len(lags)) >= total {
			el = now.Sub(t0)
			cancel()
		}
	})
	if int64(len(lags)) < total {
		b.Fatalf("followed %d entries of %d", len(lags), total)
	}
	slices.Sort(lags)
	b.ReportMetric(float64(len(lags))/el.Seconds(), "entries/s")
	b.ReportMetric(float64(lags[len(lags)/2].Milliseconds()), "lag-p50-ms")
	b.ReportMetric(float64(lags[len(lags)*99/100].Milliseconds()), "lag-p99-ms")
	b.ReportMetric(float64(rounds), "rounds")
	b.ReportMetric(float64(cosigned), "cosigned")
	fmt.Printf("followed %d entries in %s over %d rounds (%d cosigned)\n", len(lags), el.Round(time.Millisecond), rounds, cosigned)
}

// BenchmarkMirrorCatchUp is the mirror's own ceiling: 10,000 messages on
// il's line are appended and signed first, then il's mirror follows them
// in one round (leaves, tree, consistency proof, every entry's leaf and
// envelope signature, stored) with nothing else running.
func BenchmarkMirrorCatchUp(b *testing.B) {
	const total = 10000
	for b.Loop() {
		b.StopTimer()
		d := testlog.NewDemo(b)
		c := startCell(b, d.Dir, nil)
		k := registerWitness(b, c, d, "il")
		m := openMirror(b, c.login(b, "il.duty"), b.TempDir(), k)
		ctx := context.Background()
		if _, err := m.Round(ctx); err != nil {
			b.Fatal(err)
		}
		key := d.Key(b, "il.duty")
		var sent atomic.Int64
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for sent.Add(1) <= total {
					env, err := client.Sign(key, testlog.Cell, "message.send", map[string]any{
						"channel": "line-il", "subject": "load", "body": "load", "lang": "en", "precedence": "ROUTINE"})
					if err != nil {
						panic(err)
					}
					if _, err := c.led.Submit(ctx, testlog.Cell, "il.duty", env); err != nil {
						panic(err)
					}
				}
			})
		}
		wg.Wait()
		if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		r, err := m.Round(ctx)
		el := time.Since(t0)
		if err != nil || r.Entries < total {
			b.Fatalf("round %+v, %v", r, err)
		}
		b.ReportMetric(float64(r.Entries)/el.Seconds(), "entries/s")
	}
}
