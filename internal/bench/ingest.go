package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// IngestResult is the outcome of an ingest run.
type IngestResult struct {
	Backend  string
	Senders  int
	Sent     int
	Errors   int
	Elapsed  time.Duration
	PerSec   float64
	P50, P99 time.Duration
	Max      time.Duration
	FirstErr string
}

func (r IngestResult) String() string {
	return fmt.Sprintf("ingest %-8s senders=%-3d messages=%-6d errors=%d  %7.0f msg/s  p50=%-8s p99=%-8s max=%s",
		r.Backend, r.Senders, r.Sent, r.Errors, r.PerSec, r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(100*time.Microsecond))
}

// senders are the members who send on the joint military channel: each
// side's and the mediator's military desk and duty officer.
var senders = []string{"il.military", "sy.military", "us.military", "il.duty", "sy.duty", "us.duty"}

// Ingest has n concurrent senders post signed ROUTINE messages for d; each
// request is answered only once its entry is durable. Envelopes are signed
// before the clock starts: signing is the client's cost, on its own
// machine.
func Ingest(ctx context.Context, e *Env, n int, d time.Duration, perSender int) (IngestResult, error) {
	tokens := map[string]string{}
	for _, m := range senders {
		t, err := e.Login(ctx, m)
		if err != nil {
			return IngestResult{}, err
		}
		tokens[m] = t
	}
	bodies := make([][][]byte, n)
	for i := range n {
		m := senders[i%len(senders)]
		for j := range perSender {
			bodies[i] = append(bodies[i], e.message(e.Keys[m], "joint-military", "ROUTINE", j))
		}
	}
	tr := &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var sent, errs atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, n)
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tok := tokens[senders[i%len(senders)]]
			for _, b := range bodies[i] {
				if time.Now().After(stop) || ctx.Err() != nil {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/api/v1/messages", bytes.NewReader(b))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := hc.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body) //nolint:errcheck
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						err = fmt.Errorf("status %s", resp.Status)
					}
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
				sent.Add(1)
			}
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := IngestResult{Backend: e.Backend, Senders: n, Sent: int(sent.Load()), Errors: int(errs.Load()), Elapsed: elapsed,
		PerSec: float64(sent.Load()) / elapsed.Seconds()}
	if len(all) > 0 {
		r.P50, r.P99, r.Max = pct(all, 0.50), pct(all, 0.99), all[len(all)-1]
	}
	if v := firstErr.Load(); v != nil {
		r.FirstErr = v.(string)
	}
	return r, nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted)-1) * p)
	return sorted[i]
}
