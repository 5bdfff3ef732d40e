package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// FanoutResult is the outcome of a fan-out run.
type FanoutResult struct {
	Backend     string
	Subscribers int
	Rate        int
	Messages    int
	Deliveries  int
	Missing     int
	P50, P99    time.Duration
	Max         time.Duration
	HeapMiB     float64
	SysMiB      float64
}

func (r FanoutResult) String() string {
	return fmt.Sprintf("fanout %-8s subscribers=%-4d rate=%d/s messages=%-5d deliveries=%-7d missing=%d  p50=%-8s p99=%-8s max=%-8s heap=%.0fMiB sys=%.0fMiB",
		r.Backend, r.Subscribers, r.Rate, r.Messages, r.Deliveries, r.Missing, r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond),
		r.Max.Round(100*time.Microsecond), r.HeapMiB, r.SysMiB)
}

// Fanout opens subs stream subscriptions spread over every member of the
// four parties, sends rate messages a second on the joint general channel
// (which all parties hear) for d, and measures, for every delivery, the
// time from the start of the sender's request to the subscriber reading
// the event. The write is durable before any delivery: the stream serves
// committed entries only.
func Fanout(ctx context.Context, e *Env, subs, rate int, d time.Duration) (FanoutResult, error) {
	members := make([]string, 0, len(e.Keys))
	for m := range e.Keys {
		members = append(members, m)
	}
	slices.Sort(members)
	tokens := map[string]string{}
	for _, m := range members {
		t, err := e.Login(ctx, m)
		if err != nil {
			return FanoutResult{}, err
		}
		tokens[m] = t
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: subs + 8, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	type recv struct {
		index int64
		at    time.Time
	}
	got := make([][]recv, subs)
	var ready, done sync.WaitGroup
	for i := range subs {
		ready.Add(1)
		done.Add(1)
		go func(i int) {
			defer done.Done()
			req, _ := http.NewRequestWithContext(sctx, http.MethodGet, e.URL+"/api/v1/stream", nil)
			req.Header.Set("Authorization", "Bearer "+tokens[members[i%len(members)]])
			resp, err := hc.Do(req)
			ready.Done()
			if err != nil {
				return
			}
			defer resp.Body.Close()
			br := bufio.NewReaderSize(resp.Body, 64<<10)
			for {
				line, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if bytes.HasPrefix(line, []byte("id: ")) {
					n, _ := strconv.ParseInt(string(bytes.TrimSpace(line[4:])), 10, 64)
					got[i] = append(got[i], recv{n, time.Now()})
				}
			}
		}(i)
	}
	ready.Wait()
	time.Sleep(200 * time.Millisecond) // let every stream reach its wait
	tok := tokens["us.duty"]
	sendHC := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	starts := map[int64]time.Time{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	total := int(d.Seconds() * float64(rate))
	bodies := make([][]byte, total)
	for i := range bodies {
		bodies[i] = e.message(e.Keys["us.duty"], "joint-general", "ROUTINE", i)
	}
	tick := time.NewTicker(time.Second / time.Duration(rate))
	sendErrs := 0
	for i := range total {
		<-tick.C
		wg.Add(1)
		go func(b []byte) {
			defer wg.Done()
			t0 := time.Now()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/api/v1/messages", bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := sendHC.Do(req)
			if err != nil {
				mu.Lock()
				sendErrs++
				mu.Unlock()
				return
			}
			defer resp.Body.Close()
			var out struct {
				Entry struct{ Index int64 } `json:"entry"`
			}
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &out) != nil {
				mu.Lock()
				sendErrs++
				mu.Unlock()
				return
			}
			mu.Lock()
			starts[out.Entry.Index] = t0
			mu.Unlock()
		}(bodies[i])
	}
	tick.Stop()
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // the last deliveries
	heap, sys := ServerMemory()
	cancel()
	done.Wait()
	var lat []time.Duration
	deliveries := 0
	for i := range subs {
		seen := 0
		for _, r := range got[i] {
			if t0, ok := starts[r.index]; ok {
				lat = append(lat, r.at.Sub(t0))
				seen++
			}
		}
		deliveries += seen
	}
	slices.Sort(lat)
	res := FanoutResult{Backend: e.Backend, Subscribers: subs, Rate: rate, Messages: len(starts), Deliveries: deliveries,
		Missing: len(starts)*subs - deliveries, HeapMiB: heap, SysMiB: sys}
	if sendErrs > 0 {
		return res, fmt.Errorf("%d sends failed", sendErrs)
	}
	if len(lat) > 0 {
		res.P50, res.P99, res.Max = pct(lat, 0.5), pct(lat, 0.99), lat[len(lat)-1]
	}
	return res, nil
}
