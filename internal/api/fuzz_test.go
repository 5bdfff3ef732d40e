package api_test

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
)

// The fuzz targets drive a real server: without -fuzz they run their seeds
// as ordinary tests.

// FuzzSubmit posts arbitrary bodies as envelopes. Whatever comes in, the
// answer is a success with an entry or a 4xx problem, never a server
// failure, and only a success grows the log.
func FuzzSubmit(f *testing.F) {
	ts := newTestServer(f)
	c := ts.login(f, "sy.duty")
	valid := c.sign(cell.KindPartyUpdate, map[string]any{"party": map[string]any{"id": "sy", "name": "Syria", "time_zone": "Asia/Damascus"}})
	f.Add(valid.Marshal())
	f.Add(c.sign(cell.KindMemberCreate, map[string]any{"member": member("sy.fuzz", "sy")}).Marshal())
	f.Add(c.sign(cell.KindMemberUpdate, map[string]any{"member": member("sy.military", "sy", "military")}).Marshal())
	f.Add(c.sign(cell.KindKeyRevoke, map[string]any{"key_id": "nope"}).Marshal())
	f.Add(c.sign("message.ack", map[string]any{"message": 1 << 62}).Marshal())
	f.Add(record.Sign(cell.KindPartyUpdate, []byte(`{"id":"x","time":"2026-01-01T00:00:00Z","cell":"il-sy","party":null}`), c.key.Private).Marshal())
	f.Add(record.Sign(cell.KindPartyUpdate, []byte(`[]`), c.key.Private).Marshal())
	f.Add(record.Sign(cell.KindPartyUpdate, []byte(`{"id":"`+strings.Repeat("é", 70)+`","time":"`+time.Now().UTC().Format(time.RFC3339)+`","cell":"il-sy"}`), c.key.Private).Marshal())
	f.Add([]byte(`{"payloadType":"application/vnd.liaison.party.update+json","payload":"","signatures":[{"keyid":"` + c.key.ID() + `","sig":""}]}`))
	f.Add([]byte(`{"payloadType":"application/vnd.liaison.x+json","payload":"bnVsbA==","signatures":[{"keyid":"a","sig":"AA=="},{"keyid":"b","sig":"AA=="}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte("\xff\xfe"))
	// Not I-JSON: one text to Go, another to Python.
	now := time.Now().UTC().Format(time.RFC3339)
	f.Add(record.Sign(cell.KindPartyUpdate, []byte(`{"id":"s1","time":"`+now+`","cell":"il-sy","party":{"id":"sy","name":"Syria\ud800","time_zone":"Asia/Damascus"}}`), c.key.Private).Marshal())
	f.Add(record.Sign(cell.KindPartyUpdate, []byte(`{"id":"s2","time":"`+now+`","cell":"il-sy","party":{"id":"sy","name":"Syria`+"\xff"+`","time_zone":"Asia/Damascus"}}`), c.key.Private).Marshal())
	f.Fuzz(func(t *testing.T, body []byte) {
		before := ts.size(t)
		r := c.do(t, "POST", "/api/v1/entries", body)
		after := ts.size(t)
		if !utf8.Valid(r.Body) {
			t.Fatalf("an answer that is not UTF-8: %q", r.Body)
		}
		switch {
		case r.Status == http.StatusCreated:
			var s submitted
			decode(t, r, &s)
			if after != before+1 || s.Entry.Index != before || s.Duplicate {
				t.Fatalf("201 for entry %d (duplicate %v), log %d → %d", s.Entry.Index, s.Duplicate, before, after)
			}
		case r.Status == http.StatusOK:
			var s submitted
			decode(t, r, &s)
			if !s.Duplicate || after != before {
				t.Fatalf("200 without a duplicate: %s", r)
			}
		case r.Status >= 400 && r.Status < 500:
			wantProblem(t, r, r.Status)
			if after != before {
				t.Fatalf("refused (%s) but the log grew", r)
			}
		default:
			t.Fatalf("answer %s", r)
		}
	})
}

// FuzzStreamResume opens the stream with arbitrary Last-Event-ID and
// ?after values: an index of the log (or -1) opens it, anything else (an
// index past the log's end included) is a 400 problem, and nothing fails
// the server.
func FuzzStreamResume(f *testing.F) {
	ts := newTestServer(f)
	c := ts.login(f, "il.duty")
	size := ts.size(f)
	for _, s := range []string{"", "-1", "0", "5", "-2", "abc", "1e3", "0x1f", "+7", "007", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1 2", "١٢"} {
		f.Add(s, "")
		f.Add("", s)
	}
	f.Fuzz(func(t *testing.T, lastID, after string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		u := ts.URL + "/api/v1/stream"
		if after != "" {
			u += "?after=" + url.QueryEscape(after)
		}
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			t.Skip(err)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := ts.HTTP.Do(req)
		if err != nil {
			t.Skip(err) // a header value the client will not send
		}
		defer resp.Body.Close()
		// The value the server sees: the client drops surrounding blanks.
		v, source := strings.Trim(lastID, " \t"), "Last-Event-ID"
		if v == "" {
			v, source = after, "after"
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		valid := v == "" || perr == nil && n >= -1 && n < size
		switch {
		case valid && resp.StatusCode == http.StatusOK:
			if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
				t.Fatalf("200 with Content-Type %q", resp.Header.Get("Content-Type"))
			}
		case !valid && resp.StatusCode == http.StatusBadRequest:
			var p struct {
				Type   string `json:"type"`
				Status int    `json:"status"`
			}
			if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/problem+json" || json.NewDecoder(resp.Body).Decode(&p) != nil || p.Status != 400 {
				t.Fatalf("400 that is not a problem: %q", resp.Header.Get("Content-Type"))
			}
		default:
			t.Fatalf("%s %q: status %d", source, v, resp.StatusCode)
		}
	})
}
