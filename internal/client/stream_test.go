package client_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
)

// A server that drops the stream twice, and on each reconnect replays an
// entry the client already has: the client resumes from its last entry
// and hands each entry to its caller exactly once, in order.
func TestStreamResumesExactlyOnce(t *testing.T) {
	var mu sync.Mutex
	var resumedFrom []string
	connects := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		connects++
		n := connects
		resumedFrom = append(resumedFrom, r.Header.Get("Last-Event-ID"))
		mu.Unlock()
		last, err := strconv.Atoi(r.Header.Get("Last-Event-ID"))
		if err != nil {
			last = -1
		}
		w.Header().Set("Content-Type", "text/event-stream")
		// One entry the client already has (a server may repeat one
		// around a reconnect), then three new ones, then a drop.
		start := max(last, 0)
		for i := start; i <= last+3 && i < 9; i++ {
			fmt.Fprintf(w, "id: %d\nevent: entry\ndata: {\"index\": %d, \"kind\": \"message.send\"}\n\n: ping\n\n", i, i)
		}
		if n >= 4 {
			<-r.Context().Done() // stay open until the client stops
		}
	}))
	defer srv.Close()

	c := client.New(srv.URL, "tok")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []int64
	drops, opens := 0, 0
	opt := client.StreamOptions{After: -1, Reconnect: 10 * time.Millisecond, MaxReconnect: 40 * time.Millisecond,
		OnReconnect: func(error) { drops++ }, OnConnect: func() { opens++ }}
	err := c.Stream(ctx, opt, func(e client.Event) error {
		got = append(got, e.Index)
		if e.Index == 8 {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(got, want) {
		t.Errorf("entries %v, want %v", got, want)
	}
	if drops < 2 {
		t.Errorf("%d reconnects, want at least 2", drops)
	}
	mu.Lock()
	defer mu.Unlock()
	if opens != connects {
		t.Errorf("told of %d connections, the server answered %d", opens, connects)
	}
	if resumedFrom[0] != "-1" || resumedFrom[1] != "2" {
		t.Errorf("resumed with Last-Event-ID %q, want -1, then the last entry delivered", resumedFrom)
	}
}

// A session that has ended is not retried for ever.
func TestStreamStopsWhenTheSessionEnds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"title":"Session ended","status":401,"detail":"sign in again"}`)
	}))
	defer srv.Close()
	err := client.New(srv.URL, "tok").Stream(context.Background(), client.StreamOptions{Reconnect: time.Millisecond}, func(client.Event) error { return nil })
	if !client.IsStatus(err, http.StatusUnauthorized) {
		t.Fatalf("Stream = %v, want the 401", err)
	}
}

// Following "from now", a drop before any entry has arrived must not move
// the start to wherever the log's end is at the reconnect: what was
// appended while the connection was down is delivered.
func TestStreamFromNowKeepsItsPlaceAcrossADrop(t *testing.T) {
	var mu sync.Mutex
	var resumedFrom []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/log/checkpoint" {
			fmt.Fprintf(w, "test.example/cell\n5\n%s\n\n— test.example/cell AAAA\n", base64.StdEncoding.EncodeToString(make([]byte, 32)))
			return
		}
		mu.Lock()
		resumedFrom = append(resumedFrom, r.Header.Get("Last-Event-ID"))
		n := len(resumedFrom)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			return // dropped before anything happened
		}
		// Meanwhile the log grew past where the client started.
		for i := 5; i <= 7; i++ {
			fmt.Fprintf(w, "id: %d\nevent: entry\ndata: {\"index\": %d, \"kind\": \"message.send\"}\n\n", i, i)
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []int64
	err := client.New(srv.URL, "tok").Stream(ctx, client.StreamOptions{After: -2, Reconnect: time.Millisecond}, func(e client.Event) error {
		got = append(got, e.Index)
		if e.Index == 7 {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{5, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("entries %v, want %v", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(resumedFrom) < 2 || resumedFrom[0] != "4" || resumedFrom[1] != "4" {
		t.Errorf("connected with Last-Event-ID %q, want 4 both times (the log's size was 5)", resumedFrom)
	}
}

// A client that wants the log's size asks for it, is told each size in
// order with the entries, and still resumes after the last entry: a size
// is not an event id. A server that does not announce sizes (one that
// ignores ?log) costs it nothing but the sizes.
func TestStreamLogSizes(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Query().Get("log")+"/"+r.Header.Get("Last-Event-ID"))
		n := len(asked)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			fmt.Fprint(w, "id: 3\nevent: entry\ndata: {\"index\": 3}\n\nevent: log\ndata: {\"size\":4}\n\n")
			fmt.Fprint(w, "event: log\ndata: {\"size\":9}\n\n")
			return // dropped
		}
		fmt.Fprint(w, "id: 9\nevent: entry\ndata: {\"index\": 9}\n\nevent: log\ndata: {\"size\":10}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []string
	opt := client.StreamOptions{After: 2, Reconnect: time.Millisecond, OnLog: func(n int64) {
		got = append(got, "size "+strconv.FormatInt(n, 10))
		if n == 10 {
			cancel()
		}
	}}
	err := client.New(srv.URL, "tok").Stream(ctx, opt, func(e client.Event) error {
		got = append(got, "entry "+strconv.FormatInt(e.Index, 10))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"entry 3", "size 4", "size 9", "entry 9", "size 10"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"1/2", "1/3"}; !slices.Equal(asked, want) {
		t.Errorf("asked with log/Last-Event-ID %q, want %q", asked, want)
	}
}

// A log event that is not {"size": N} is a broken server, not a size.
func TestStreamBadLogEvent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: log\ndata: {\"size\":\"many\"}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	drops := 0
	opt := client.StreamOptions{After: -1, Reconnect: time.Millisecond, OnLog: func(int64) { t.Error("told a size") },
		OnReconnect: func(err error) {
			t.Log(err)
			if drops++; drops == 2 {
				cancel()
			}
		}}
	if err := client.New(srv.URL, "tok").Stream(ctx, opt, func(client.Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if drops < 2 {
		t.Errorf("%d drops, want the stream dropped on the bad event", drops)
	}
}

// A connection on which nothing arrives, not even a heartbeat, is dropped
// and made again: a line cut without a reset does not hold the stream.
func TestStreamIdleConnectionIsDropped(t *testing.T) {
	var mu sync.Mutex
	connects := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		connects++
		n := connects
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n >= 2 {
			fmt.Fprint(w, "id: 0\nevent: entry\ndata: {\"index\": 0}\n\n")
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done() // then silence
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var drops []string
	opt := client.StreamOptions{After: -1, Reconnect: time.Millisecond, Idle: 100 * time.Millisecond,
		OnReconnect: func(err error) { drops = append(drops, err.Error()) }}
	err := client.New(srv.URL, "tok").Stream(ctx, opt, func(e client.Event) error {
		cancel()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(drops) == 0 {
		t.Error("the silent connection was never dropped")
	}
	for _, d := range drops {
		if !strings.Contains(d, "nothing from the stream") {
			t.Errorf("dropped for %q, want for silence", d)
		}
	}
}
