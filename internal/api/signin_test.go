package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/rebuild"
	"github.com/liaison-cell/liaison/internal/seed"
)

// signInFrom posts credentials from a client address of the test's
// choosing, through the server's own handler.
func (ts *testServer) signInFrom(t testing.TB, addr, username, password string) reply {
	t.Helper()
	return ts.signInAt(t, "/api/v1/auth/login", addr, username, password)
}

func (ts *testServer) signInAt(t testing.TB, path, addr, username, password string) reply {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	r := httptest.NewRequest("POST", path, bytes.NewReader(b))
	r.RemoteAddr = net.JoinHostPort(addr, "40000")
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	ts.API.Handler().ServeHTTP(w, r)
	return reply{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes(), path: path}
}

// Wrong passwords from anywhere used to lock the member out: ten guesses,
// then one every few seconds, kept a chosen duty officer from signing in
// at shift change. Now failures hold back only where they come from.
func TestSigninNoLockoutByOthers(t *testing.T) {
	const burst = 3
	ts := newTestServer(t, func(c *api.Config) { c.LoginBurst, c.LoginInterval = burst, time.Hour })
	const target = "il.intelligence"
	attacker := "198.51.100.7"
	for i := range burst {
		wantType(t, ts.signInFrom(t, attacker, target, fmt.Sprint("guess ", i)), http.StatusUnauthorized, "bad-credentials")
	}
	// The attacker's own address is held back, even with the password.
	wantType(t, ts.signInFrom(t, attacker, target, "guess again"), http.StatusTooManyRequests, "rate-limited")
	wantType(t, ts.signInFrom(t, attacker, target, demoPassword), http.StatusTooManyRequests, "rate-limited")
	// The duty officer at another address signs in.
	if r := ts.signInFrom(t, "203.0.113.5", target, demoPassword); r.Status != http.StatusOK {
		t.Fatalf("the right password from another address, after another's failures: %s", r)
	}
	// However many addresses the guesses come from.
	for a := range 10 {
		for i := range burst {
			wantType(t, ts.signInFrom(t, fmt.Sprint("198.51.100.", 10+a), target, fmt.Sprint("guess ", i)), http.StatusUnauthorized, "bad-credentials")
		}
	}
	if r := ts.signInFrom(t, "203.0.113.6", target, demoPassword); r.Status != http.StatusOK {
		t.Fatalf("the right password after %d failures from 10 addresses: %s", 10*burst, r)
	}
	// An IPv6 client is one address with its /64.
	for i := range burst {
		wantType(t, ts.signInFrom(t, "2001:db8:1:2::1", target, fmt.Sprint("guess ", i)), http.StatusUnauthorized, "bad-credentials")
	}
	wantType(t, ts.signInFrom(t, "2001:db8:1:2::99", target, demoPassword), http.StatusTooManyRequests, "rate-limited")
	if r := ts.signInFrom(t, "2001:db8:1:3::1", target, demoPassword); r.Status != http.StatusOK {
		t.Fatalf("the right password from another /64: %s", r)
	}
	// A username's mistakes at an address are forgotten once it signs in
	// there.
	office := "203.0.113.8"
	for range 2 {
		for i := range burst - 1 {
			wantType(t, ts.signInFrom(t, office, "sy.duty", fmt.Sprint("typo ", i)), http.StatusUnauthorized, "bad-credentials")
		}
		if r := ts.signInFrom(t, office, "sy.duty", demoPassword); r.Status != http.StatusOK {
			t.Fatalf("the right password after %d typos: %s", burst-1, r)
		}
	}
	// An address spraying usernames, known or not, is held back for all.
	sprayer := "198.51.100.50"
	for i := range 5 * burst {
		wantType(t, ts.signInFrom(t, sprayer, fmt.Sprint("spray", i), "x"), http.StatusUnauthorized, "bad-credentials")
	}
	r := ts.signInFrom(t, sprayer, "il.duty", demoPassword)
	p := wantType(t, r, http.StatusTooManyRequests, "rate-limited")
	if p.RetryAfter < 1 || !strings.Contains(p.Detail, "your address") {
		t.Errorf("throttled with %+v: want a wait and the reason", p)
	}
	if r := ts.signInFrom(t, "203.0.113.9", "il.duty", demoPassword); r.Status != http.StatusOK {
		t.Fatalf("the right password from elsewhere, after a spray: %s", r)
	}
}

// Being throttled tells nothing of whether a username exists: an unknown
// one is held back after as many failures as a member.
func TestSigninThrottleHidesUsernames(t *testing.T) {
	const burst = 3
	ts := newTestServer(t, func(c *api.Config) { c.LoginBurst, c.LoginInterval = burst, time.Hour })
	for _, username := range []string{"il.duty", "il.nobody"} {
		addr := "198.51.100." + fmt.Sprint(len(username))
		var got []int
		for i := range burst + 1 {
			got = append(got, ts.signInFrom(t, addr, username, fmt.Sprint("guess ", i)).Status)
		}
		if want := []int{401, 401, 401, 429}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: answers %v, want %v", username, got, want)
		}
	}
}

// waitForSize waits until the log holds n entries: the server writes
// sign-in alerts after its answer.
func (ts *testServer) waitForSize(t testing.TB, n int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for ts.size(t) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the log holds %d entries after a minute, want %d", ts.size(t), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type alertsPage struct {
	Alerts []api.SigninAlertView `json:"alerts"`
	Next   string                `json:"next"`
}

// Repeated failures are made visible to the member's party's admins and
// the mediator's, as signed entries written at thresholds, one each, and
// to no one else; unknown usernames write nothing.
func TestSigninAlerts(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		start := ts.size(t)
		for i := range 30 {
			wantType(t, ts.signInFrom(t, fmt.Sprint("198.51.100.", i), fmt.Sprint("il.nobody", i%3), "guess"), http.StatusUnauthorized, "bad-credentials")
		}
		const target = "il.intelligence"
		fail := func(n int) {
			t.Helper()
			for i := range n {
				addr := []string{"198.51.100.7", "203.0.113.40"}[i%2]
				wantType(t, ts.signInFrom(t, addr, target, fmt.Sprint("guess ", i)), http.StatusUnauthorized, "bad-credentials")
			}
		}
		fail(5)
		ts.waitForSize(t, start+1)
		if got := ts.size(t); got != start+1 {
			t.Fatalf("the log grew by %d after 5 failures as %s and 30 as unknown usernames, want one alert", got-start, target)
		}
		fail(25) // 30 in all: the threshold of 20 is crossed once
		ts.waitForSize(t, start+2)

		il := ts.login(t, "il.duty")
		var page alertsPage
		il.getJSON(t, "/api/v1/signin-alerts", &page)
		if len(page.Alerts) != 2 {
			t.Fatalf("il's admin lists %d alerts, want 2: %+v", len(page.Alerts), page.Alerts)
		}
		first, second := page.Alerts[0], page.Alerts[1]
		if first.Member != target || first.Party != "il" || first.Failures != 5 || first.Threshold != 5 || first.Addresses != 2 ||
			second.Failures != 20 || second.Threshold != 20 || second.Addresses != 2 || !second.Since.Equal(first.Since) || first.Since.IsZero() {
			t.Errorf("alerts %+v", page.Alerts)
		}
		if ts.size(t) != start+2 {
			t.Errorf("the log grew by %d, want the two alerts alone", ts.size(t)-start)
		}

		// The mediator's admins see them, in every party's list and in il's.
		us := ts.login(t, "us.duty")
		for _, q := range []string{"", "?party=il"} {
			var all alertsPage
			us.getJSON(t, "/api/v1/signin-alerts"+q, &all)
			if len(all.Alerts) != 2 || all.Alerts[0].Entry != first.Entry {
				t.Errorf("the mediator's admin, %q: %+v", q, all.Alerts)
			}
		}
		// The other party and the observer see nothing of them; a desk
		// officer of il does not either.
		sy := ts.login(t, "sy.duty")
		var own alertsPage
		sy.getJSON(t, "/api/v1/signin-alerts", &own)
		if len(own.Alerts) != 0 {
			t.Errorf("sy's admin lists %+v", own.Alerts)
		}
		wantType(t, sy.get(t, "/api/v1/signin-alerts?party=il"), http.StatusForbidden, "forbidden")
		wantType(t, ts.login(t, "jo.duty").get(t, "/api/v1/signin-alerts?party=il"), http.StatusForbidden, "forbidden")
		wantType(t, ts.login(t, "il.military").get(t, "/api/v1/signin-alerts"), http.StatusForbidden, "forbidden")
		wantType(t, ts.login(t, "us.military").get(t, "/api/v1/signin-alerts"), http.StatusForbidden, "forbidden")
		for _, a := range page.Alerts {
			wantType(t, sy.get(t, fmt.Sprintf("/api/v1/log/entries/%d", a.Entry)), http.StatusForbidden, "forbidden")
			var e api.EntryJSON
			il.getJSON(t, fmt.Sprintf("/api/v1/log/entries/%d", a.Entry), &e)
			if e.Kind != "member.signin_alert" || e.Member != "" || !strings.Contains(string(e.Payload), `"member":"`+target+`"`) {
				t.Errorf("entry %d as il reads it: %s %s", a.Entry, e.Kind, e.Payload)
			}
		}
		// Replayed, the log makes the same alerts.
		rep, err := rebuild.Run(context.Background(), ts.Store, seed.DemoCell, newRegistry())
		if err != nil || !rep.Equal() {
			t.Errorf("rebuild after the alerts: %v %v", err, rep)
		}
		for who, c := range map[string]*client{"sy": sy, "il": il} {
			n := 0
			for _, e := range c.entries(t) {
				if e.Kind == "member.signin_alert" {
					n++
				}
			}
			if want := map[string]int{"sy": 0, "il": 2}[who]; n != want {
				t.Errorf("%s pages through %d sign-in alerts, want %d", who, n, want)
			}
		}
	})
}

// The failures are counted for the operator by cell and outcome; no
// username, chosen by whoever guesses, becomes a label.
func TestSigninFailureMetric(t *testing.T) {
	ts := newTestServer(t)
	for i := range 3 {
		ts.signInFrom(t, "198.51.100.7", "il.duty", fmt.Sprint("guess ", i))
		ts.signInFrom(t, "198.51.100.7", fmt.Sprint("guessed.name", i), "guess")
		ts.signInAt(t, fmt.Sprintf("/api/v1/cells/made-up-%d/auth/login", i), "198.51.100.7", "il.duty", "guess")
	}
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.RemoteAddr = "127.0.0.1:40000"
	w := httptest.NewRecorder()
	ts.API.Handler().ServeHTTP(w, r)
	body := w.Body.String()
	for _, want := range []string{
		`liaison_signin_failures_total{cell="il-sy",outcome="wrong_password"} 3`,
		`liaison_signin_failures_total{cell="il-sy",outcome="unknown_username"} 3`,
		`liaison_signin_failures_total{cell="unknown",outcome="unknown_username"} 3`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, leak := range []string{"guessed.name", "made-up", "il.duty"} {
		if strings.Contains(body, leak) {
			t.Errorf("metrics name %q", leak)
		}
	}
}
