package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
)

func TestProblemError(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/me":
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, `{"type":"urn:liaison:problem:stale","title":"Clock skew too large","status":422,"detail":"signed at noon"}`)
		default:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html>bad gateway</html>")
		}
	}))
	defer hs.Close()
	c := New(hs.URL+"/", "tok")

	_, err := c.Me(context.Background())
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Me: %v (%T), want *Error", err, err)
	}
	if e.Status != 422 || e.Type != "urn:liaison:problem:stale" || e.Title != "Clock skew too large" || e.Detail != "signed at noon" || e.RetryAfter != 3 {
		t.Errorf("problem = %+v", e)
	}
	if err.Error() != "Clock skew too large: signed at noon" {
		t.Errorf("Error() = %q", err.Error())
	}
	if !IsStatus(err, 422) || IsStatus(err, 400) {
		t.Error("IsStatus disagrees with the status")
	}

	_, err = c.VerifierKey(context.Background())
	if !errors.As(err, &e) || e.Status != 502 || !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "bad gateway") {
		t.Errorf("a non-problem answer: %v", err)
	}
}

// recorder serves fake log endpoints and records the requests.
type recorder struct {
	mu   sync.Mutex
	reqs []string
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, r.URL.Path+"?"+r.URL.RawQuery)
	rec.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer tok" {
		w.WriteHeader(401)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/log/leaves"):
		start, _ := strconv.ParseInt(r.URL.Query().Get("start"), 10, 64)
		end, _ := strconv.ParseInt(r.URL.Query().Get("end"), 10, 64)
		var hs []record.Hash
		for i := start; i < end; i++ {
			hs = append(hs, record.LeafHash([]byte(strconv.FormatInt(i, 10))))
		}
		json.NewEncoder(w).Encode(map[string]any{"leaves": record.EncodeHashes(hs)})
	default:
		json.NewEncoder(w).Encode(map[string]any{"cell": "c"})
	}
}

func TestLeavesPages(t *testing.T) {
	rec := &recorder{}
	hs := httptest.NewServer(rec)
	defer hs.Close()
	leaves, err := New(hs.URL, "tok").Leaves(context.Background(), 10, 2510)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaves) != 2500 {
		t.Fatalf("%d leaves", len(leaves))
	}
	for i, h := range leaves {
		if h != record.LeafHash([]byte(strconv.Itoa(10+i))) {
			t.Fatalf("leaf %d is out of place", 10+i)
		}
	}
	want := []string{
		"/api/v1/log/leaves?start=10&end=1010",
		"/api/v1/log/leaves?start=1010&end=2010",
		"/api/v1/log/leaves?start=2010&end=2510",
	}
	if fmt.Sprint(rec.reqs) != fmt.Sprint(want) {
		t.Errorf("requests %v, want %v", rec.reqs, want)
	}
}

func TestCellPrefix(t *testing.T) {
	rec := &recorder{}
	hs := httptest.NewServer(rec)
	defer hs.Close()
	ctx := context.Background()
	c := New(hs.URL, "tok")
	if _, err := c.Me(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WithCell("amman").Me(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WithCell("a b").Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"/api/v1/me?", "/api/v1/cells/amman/me?", "/api/v1/cells/a b/log/checkpoint?"}
	if fmt.Sprint(rec.reqs) != fmt.Sprint(want) {
		t.Errorf("requests %q, want %q", rec.reqs, want)
	}
	if c.Cell() != "" || c.WithCell("x").Cell() != "x" {
		t.Error("WithCell changed the original client")
	}
}

func TestSign(t *testing.T) {
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now().UTC()
	env, err := Sign(k, "amman", cell.KindKeyRevoke, map[string]any{"key_id": "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Verify(k.Public()); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if env.Kind() != cell.KindKeyRevoke {
		t.Errorf("kind %q", env.Kind())
	}
	var p cell.KeyRevokePayload
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		t.Fatal(err)
	}
	h, err := record.ParseHeader(env.Payload)
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	if h.Cell != "amman" || p.KeyID != "abc" || len(h.ID) < 16 || h.Time.Before(before.Add(-time.Second)) || h.Time.After(time.Now().Add(time.Second)) || h.Time.Location() != time.UTC {
		t.Errorf("payload %s", env.Payload)
	}
	env2, _ := Sign(k, "amman", cell.KindKeyRevoke, map[string]any{"key_id": "abc"})
	h2, _ := record.ParseHeader(env2.Payload)
	if h2.ID == h.ID {
		t.Error("two commands share an idempotency id")
	}
	env3, _ := Sign(k, "amman", cell.KindKeyRevoke, map[string]any{"id": "mine"})
	if h3, _ := record.ParseHeader(env3.Payload); h3.ID != "mine" {
		t.Errorf("explicit id replaced: %q", h3.ID)
	}
	if _, err := Sign(k, "", "x", nil); err == nil {
		t.Error("signed a command for no cell")
	}
	if _, err := Sign(nil, "amman", "x", nil); err == nil {
		t.Error("signed without a key")
	}
}
