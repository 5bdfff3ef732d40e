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
	"github.com/liaison-cell/liaison/internal/record"
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

// BenchmarkWriteThroughMirror is an officer's write at the party's mirror
// with the line up, from the mirror taking it to the cell's answer: the
// outbox's durable commit, the relay over loopback, the cell's checks and
// append. "direct" is the same member's write straight to the cell, the
// same commands, beside it in one run; "vouched" is a write signed by a
// key the mirror vouched for a moment before.
func BenchmarkWriteThroughMirror(b *testing.B) {
	ctx := context.Background()
	d := testlog.NewDemo(b)
	c := startCell(b, d.Dir, nil)
	m, err := mirror.Open(ctx, mirror.Config{Client: c.login(b, "il.duty"), Cell: testlog.Cell, Dir: b.TempDir(),
		Key: d.Key(b, "il.duty"), Registry: testlog.Registry(), Logger: testlog.Quiet()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	if _, err := m.Round(ctx); err != nil {
		b.Fatal(err)
	}
	k := d.Key(b, "il.military")
	direct := c.login(b, "il.military")
	vk, err := record.NewDeviceKey()
	if err != nil {
		b.Fatal(err)
	}
	reg, err := client.Registration(vk, testlog.Cell, "il.military", "bench")
	if err != nil {
		b.Fatal(err)
	}
	if o, err := m.Vouch(ctx, "il.military", reg); err != nil || o.State != mirror.Landed {
		b.Fatalf("vouch: %+v, %v", o, err)
	}
	write := func(key *record.DeviceKey, i int) *record.Envelope {
		env, err := client.Sign(key, testlog.Cell, "message.send", map[string]any{
			"channel": "joint-military", "subject": fmt.Sprint("bench ", i), "body": "text", "lang": "en", "precedence": "ROUTINE"})
		if err != nil {
			b.Fatal(err)
		}
		return env
	}
	for _, mode := range []struct {
		name string
		send func(i int) error
	}{
		{"mirror", func(i int) error {
			o, err := m.Submit(ctx, "il.military", write(k, i))
			if err == nil && o.State != mirror.Landed {
				err = fmt.Errorf("not landed: %+v", o)
			}
			return err
		}},
		{"vouched", func(i int) error {
			o, err := m.Submit(ctx, "il.military", write(vk, i))
			if err == nil && o.State != mirror.Landed {
				err = fmt.Errorf("not landed: %+v", o)
			}
			return err
		}},
		{"direct", func(i int) error {
			_, err := direct.Submit(ctx, "/entries", write(k, i))
			return err
		}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var lat []time.Duration
			i := 0
			for b.Loop() {
				t0 := time.Now()
				if err := mode.send(i); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
