package api_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/taxii"
)

func TestLogin(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		r := ts.tryLogin(t, "il.duty", demoPassword)
		if r.Status != http.StatusOK {
			t.Fatalf("login: %s", r)
		}
		var lr struct {
			Token   string      `json:"token"`
			Expires time.Time   `json:"expires"`
			Member  cell.Member `json:"member"`
			Cell    string      `json:"cell"`
		}
		decode(t, r, &lr)
		if !strings.HasPrefix(lr.Token, "lsn_") || lr.Member.ID != "il.duty" || lr.Member.Party != "il" || lr.Cell != seed.DemoCell || !lr.Expires.After(time.Now()) {
			t.Errorf("login answer %s", r.Body)
		}
		if r.Header.Get("Set-Cookie") != "" {
			t.Errorf("a bearer login set a cookie: %s", r.Header.Get("Set-Cookie"))
		}
		c := &client{ts: ts, member: "il.duty", token: lr.Token}
		var me struct {
			Member cell.Member `json:"member"`
			Party  cell.Party  `json:"party"`
			Keys   []cell.Key  `json:"keys"`
		}
		c.getJSON(t, "/api/v1/me", &me)
		if me.Member.ID != "il.duty" || me.Party.ID != "il" || len(me.Keys) != 1 || me.Keys[0].ID != ts.deviceKey(t, "il.duty").ID() {
			t.Errorf("/me = %+v", me)
		}

		// A wrong password and an unknown user get the very same answer:
		// the API does not tell which usernames exist.
		wrong := wantType(t, ts.tryLogin(t, "il.duty", "not the password"), http.StatusUnauthorized, "bad-credentials")
		unknown := wantType(t, ts.tryLogin(t, "nobody.here", demoPassword), http.StatusUnauthorized, "bad-credentials")
		if !reflect.DeepEqual(wrong, unknown) {
			t.Errorf("wrong password answered %+v, unknown user %+v", wrong, unknown)
		}
		// Usernames are exact.
		wantType(t, ts.tryLogin(t, "IL.DUTY", demoPassword), http.StatusUnauthorized, "bad-credentials")

		for name, body := range map[string]string{
			"empty username":  `{"username":"","password":"x"}`,
			"no password":     `{"username":"il.duty"}`,
			"unknown field":   `{"username":"il.duty","password":"x","admin":true}`,
			"not JSON":        `username=il.duty`,
			"trailing object": `{"username":"il.duty","password":`,
			"long username":   `{"username":"` + strings.Repeat("a", 65) + `","password":"x"}`,
		} {
			t.Run(name, func(t *testing.T) {
				wantProblem(t, ts.send(t, "POST", "/api/v1/auth/login", []byte(body), nil), http.StatusBadRequest)
			})
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	const burst = 3
	ts := newTestServer(t, func(c *api.Config) { c.LoginBurst, c.LoginInterval = burst, time.Hour })
	for i := range burst {
		wantType(t, ts.tryLogin(t, "sy.duty", "guess "+strconv.Itoa(i)), http.StatusUnauthorized, "bad-credentials")
	}
	// The burst is spent: from this address, even the right password
	// waits (TestSigninNoLockoutByOthers: from another, it does not).
	for _, pw := range []string{"guess again", demoPassword} {
		r := ts.tryLogin(t, "sy.duty", pw)
		p := wantType(t, r, http.StatusTooManyRequests, "rate-limited")
		ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 3600+1 {
			t.Errorf("Retry-After %q: want whole seconds up to the refill interval", r.Header.Get("Retry-After"))
		}
		if p.RetryAfter != ra {
			t.Errorf("retry_after %d, Retry-After %d", p.RetryAfter, ra)
		}
	}
	// The limit is per username at the address: another member still
	// signs in from it.
	ts.login(t, "il.duty")
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	// The per-address bucket holds five times the per-username burst:
	// spraying many usernames from one address is stopped too.
	const burst = 2
	ts := newTestServer(t, func(c *api.Config) { c.LoginBurst, c.LoginInterval = burst, time.Hour })
	for i := range 5 * burst {
		wantType(t, ts.tryLogin(t, "spray"+strconv.Itoa(i), "x"), http.StatusUnauthorized, "bad-credentials")
	}
	wantType(t, ts.tryLogin(t, "il.duty", demoPassword), http.StatusTooManyRequests, "rate-limited")
}

// fillPath gives a route's wildcards values that exist in the demo cell.
func fillPath(ts *testServer, t testing.TB, path string) string {
	return strings.NewReplacer(
		"{cell}", seed.DemoCell, "{party}", "il", "{member}", "il.duty",
		"{key}", ts.deviceKey(t, "il.duty").ID(), "{index}", "0",
	).Replace(path)
}

// publicRoutes are the routes that answer without authentication.
var publicRoutes = map[string]bool{
	"GET /metrics":                         true,
	"GET /healthz":                         true,
	"POST /api/v1/auth/login":              true,
	"POST /api/v1/cells/{cell}/auth/login": true,
	"/api/":                                true, // 404 for every unknown API path
	// A calendar application sends no credentials: the feed's address is
	// one, and any other is a 404 (TestCalendarFeed).
	"GET /calendar/{feed}": true,
}

func TestEveryRouteNeedsAuthentication(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, "us.duty")
	revoked := ts.login(t, "us.duty")
	if r := revoked.do(t, "POST", "/api/v1/auth/logout", nil); r.Status != http.StatusNoContent {
		t.Fatalf("logout: %s", r)
	}
	credentials := map[string]http.Header{
		"none":            nil,
		"unknown token":   {"Authorization": {"Bearer lsn_not-a-token"}},
		"revoked token":   {"Authorization": {"Bearer " + revoked.token}},
		"empty bearer":    {"Authorization": {"Bearer "}},
		"basic":           {"Authorization": {"Basic dXMuZHV0eTpwYXNzd29yZA=="}},
		"token as cookie": {"Cookie": {api.SessionCookie + "=" + c.token}},
	}
	n := 0
	for _, route := range ts.API.Routes() {
		if publicRoutes[route] {
			continue
		}
		method, path, ok := strings.Cut(route, " ")
		if !ok {
			t.Errorf("route %q has no method: every route but the catch-all names one", route)
			continue
		}
		n++
		path = fillPath(ts, t, path)
		for name, hdr := range credentials {
			body := []byte("{}")
			if method == "GET" {
				body = nil
			}
			r := ts.send(t, method, path, body, hdr)
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s %s with %s: want 401, got %s", method, path, name, r)
				continue
			}
			if strings.HasPrefix(path, "/taxii2/") {
				// TAXII answers its own error message, with the Basic
				// challenge TAXII clients expect (TAXII 2.1, 1.6.9).
				if r.Header.Get("Content-Type") != taxii.MediaType || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
					t.Errorf("%s %s with %s: 401 as %q with challenge %q, want a TAXII error with a Basic challenge",
						method, path, name, r.Header.Get("Content-Type"), r.Header.Get("WWW-Authenticate"))
				}
				continue
			}
			wantProblem(t, r, http.StatusUnauthorized)
		}
	}
	if n < 50 {
		t.Errorf("only %d authenticated routes: the route list looks wrong", n)
	}
	// The log endpoints of the design's stable contract are among them.
	for _, p := range []string{"/api/v1/log/key", "/api/v1/log/checkpoint", "/api/v1/log/leaves?start=0&end=1",
		"/api/v1/log/entries/0", "/api/v1/log/proof/inclusion?index=0&size=1", "/api/v1/log/proof/consistency?from=1&to=1"} {
		wantType(t, ts.send(t, "GET", p, nil, nil), http.StatusUnauthorized, "unauthenticated")
		if r := c.get(t, p); r.Status != http.StatusOK {
			t.Errorf("GET %s signed in: %s", p, r)
		}
	}
}

func TestLogoutRevokesToken(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		c := ts.login(t, "sy.diplomatic")
		other := ts.login(t, "sy.diplomatic")
		if r := c.get(t, "/api/v1/me"); r.Status != http.StatusOK {
			t.Fatalf("/me: %s", r)
		}
		if r := c.do(t, "POST", "/api/v1/auth/logout", nil); r.Status != http.StatusNoContent {
			t.Fatalf("logout: %s", r)
		}
		wantProblem(t, c.get(t, "/api/v1/me"), http.StatusUnauthorized)
		wantProblem(t, c.do(t, "POST", "/api/v1/auth/logout", nil), http.StatusUnauthorized)
		// Only that token: the member's other session lives on.
		if r := other.get(t, "/api/v1/me"); r.Status != http.StatusOK {
			t.Errorf("another token of the same member after logout: %s", r)
		}
	})
}

func TestSessionCookieNeedsCSRFToken(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		r := ts.send(t, "POST", "/api/v1/auth/login", []byte(`{"username":"jo.duty","password":"`+demoPassword+`","session":true}`), nil)
		if r.Status != http.StatusOK {
			t.Fatalf("session login: %s", r)
		}
		var lr struct {
			Token     string `json:"token"`
			CSRFToken string `json:"csrf_token"`
		}
		decode(t, r, &lr)
		var session *http.Cookie
		for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
			if ck.Name == api.SessionCookie {
				session = ck
			}
		}
		if session == nil || session.Value == "" || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
			t.Fatalf("session cookie %+v (Set-Cookie %q)", session, r.Header.Values("Set-Cookie"))
		}
		if lr.Token != "" || lr.CSRFToken == "" || lr.CSRFToken != api.CSRFToken(session.Value) {
			t.Fatalf("session login answer %s", r.Body)
		}
		cookie := api.SessionCookie + "=" + session.Value
		if r := ts.send(t, "GET", "/api/v1/me", nil, http.Header{"Cookie": {cookie}}); r.Status != http.StatusOK {
			t.Fatalf("GET /me with the cookie, no CSRF header needed: %s", r)
		}
		// The session's secret is not a bearer token.
		wantProblem(t, ts.send(t, "GET", "/api/v1/me", nil, http.Header{"Authorization": {"Bearer " + session.Value}}), http.StatusUnauthorized)

		key := ts.deviceKey(t, "jo.duty")
		env := record.Sign(cell.KindPartyUpdate, payload(map[string]any{"party": map[string]any{
			"id": "jo", "name": "Hashemite Kingdom of Jordan", "time_zone": "Asia/Amman"}}), key.Private)
		size := ts.size(t)
		for name, csrf := range map[string][]string{"no": nil, "empty": {""}, "wrong": {strings.Repeat("0", 32)},
			"another session's": {api.CSRFToken("lss_other")}} {
			hdr := http.Header{"Cookie": {cookie}}
			if csrf != nil {
				hdr["X-Csrf-Token"] = csrf
			}
			r := ts.send(t, "PUT", "/api/v1/parties/jo", env.Marshal(), hdr)
			if p := wantProblem(t, r, http.StatusForbidden); !strings.Contains(p.Detail, "CSRF") {
				t.Errorf("%s CSRF token: detail %q", name, p.Detail)
			}
		}
		if n := ts.size(t); n != size {
			t.Fatalf("refused writes appended %d entries", n-size)
		}
		r = ts.send(t, "PUT", "/api/v1/parties/jo", env.Marshal(), http.Header{"Cookie": {cookie}, "X-Csrf-Token": {lr.CSRFToken}})
		if r.Status != http.StatusOK {
			t.Fatalf("write with the CSRF token: %s", r)
		}
		// Logout is a write too, and ends the session.
		wantProblem(t, ts.send(t, "POST", "/api/v1/auth/logout", nil, http.Header{"Cookie": {cookie}}), http.StatusForbidden)
		r = ts.send(t, "POST", "/api/v1/auth/logout", nil, http.Header{"Cookie": {cookie}, "X-Csrf-Token": {lr.CSRFToken}})
		if r.Status != http.StatusNoContent {
			t.Fatalf("logout: %s", r)
		}
		wantProblem(t, ts.send(t, "GET", "/api/v1/me", nil, http.Header{"Cookie": {cookie}}), http.StatusUnauthorized)
	})
}

func TestTokenOfAnotherCell(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, "il.duty")
	if r := c.get(t, "/api/v1/cells/"+seed.DemoCell+"/me"); r.Status != http.StatusOK {
		t.Fatalf("the demo cell by its prefix: %s", r)
	}
	wantType(t, c.get(t, "/api/v1/cells/other-cell/me"), http.StatusForbidden, "wrong-cell")
	wantType(t, c.get(t, "/api/v1/cells/other-cell/log/entries/0"), http.StatusForbidden, "wrong-cell")
	// Credentials are per cell too.
	wantType(t, ts.send(t, "POST", "/api/v1/cells/other-cell/auth/login",
		[]byte(`{"username":"il.duty","password":"`+demoPassword+`"}`), nil), http.StatusUnauthorized, "bad-credentials")
}

func TestChangePassword(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, "jo.commercial")
	body := func(old, new string) []byte {
		return []byte(`{"old_password":"` + old + `","new_password":"` + new + `"}`)
	}
	wantType(t, c.do(t, "POST", "/api/v1/me/password", body(demoPassword, "short")), http.StatusUnprocessableEntity, "weak-password")
	// A wrong current password is refused without ending the session.
	wantType(t, c.do(t, "POST", "/api/v1/me/password", body("wrong", "a much longer password")), http.StatusForbidden, "wrong-password")
	if r := c.do(t, "GET", "/api/v1/me", nil); r.Status != http.StatusOK {
		t.Fatalf("session after a wrong current password: %s", r)
	}
	other := ts.login(t, "jo.commercial")
	if r := c.do(t, "POST", "/api/v1/me/password", body(demoPassword, "a much longer password")); r.Status != http.StatusNoContent {
		t.Fatalf("change password: %s", r)
	}
	// Every session the old password opened has ended.
	for _, s := range []*client{c, other} {
		wantType(t, s.do(t, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "expired")
	}
	wantType(t, ts.tryLogin(t, "jo.commercial", demoPassword), http.StatusUnauthorized, "bad-credentials")
	if r := ts.tryLogin(t, "jo.commercial", "a much longer password"); r.Status != http.StatusOK {
		t.Fatalf("login with the new password: %s", r)
	}
}

// Guessing the current password through a session spends the sign-in
// budget of the username at that address.
func TestChangePasswordIsRateLimited(t *testing.T) {
	ts := newTestServer(t, func(c *api.Config) { c.LoginBurst, c.LoginInterval = 3, time.Hour })
	c := ts.login(t, "jo.commercial") // a right password spends nothing
	body := []byte(`{"old_password":"guess","new_password":"a much longer password"}`)
	for range 3 {
		wantType(t, c.do(t, "POST", "/api/v1/me/password", body), http.StatusForbidden, "wrong-password")
	}
	wantType(t, c.do(t, "POST", "/api/v1/me/password", body), http.StatusTooManyRequests, "rate-limited")
	wantType(t, ts.tryLogin(t, "jo.commercial", demoPassword), http.StatusTooManyRequests, "rate-limited")
}

func TestBodyLimits(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		c := ts.login(t, "il.military")
		size := ts.size(t)

		// An envelope beyond record.MaxEnvelopeSize is refused before it
		// is parsed, whatever it holds.
		big := c.sign(cell.KindKeyRegister, map[string]any{"label": strings.Repeat("x", record.MaxEnvelopeSize)})
		for _, path := range []string{"/api/v1/entries", "/api/v1/keys", "/api/v1/members"} {
			wantType(t, c.submit(t, "POST", path, big), http.StatusRequestEntityTooLarge, "too-large")
		}
		wantType(t, c.do(t, "POST", "/api/v1/entries", bytes.Repeat([]byte(" "), record.MaxEnvelopeSize+1)), http.StatusRequestEntityTooLarge, "too-large")
		// Other JSON bodies are bounded by MaxJSONBody.
		wantType(t, ts.send(t, "POST", "/api/v1/auth/login", []byte(`{"username":"`+strings.Repeat("a", api.MaxJSONBody)+`"}`), nil),
			http.StatusRequestEntityTooLarge, "too-large")
		wantType(t, c.do(t, "POST", "/api/v1/me/password", []byte(`{"old_password":"`+strings.Repeat("a", api.MaxJSONBody)+`"}`)),
			http.StatusRequestEntityTooLarge, "too-large")

		for name, body := range map[string]string{
			"empty":           ``,
			"not JSON":        `payloadType=x`,
			"truncated":       `{"payloadType":"application/vnd.liaison.key.register+json","payload":"e30=","signatures":[`,
			"array":           `[]`,
			"unknown field":   `{"payloadType":"application/vnd.liaison.key.register+json","payload":"e30=","signatures":[{"keyid":"k","sig":"AA=="}],"x":1}`,
			"no signatures":   `{"payloadType":"application/vnd.liaison.key.register+json","payload":"e30=","signatures":[]}`,
			"foreign type":    `{"payloadType":"application/json","payload":"e30=","signatures":[{"keyid":"k","sig":"AA=="}]}`,
			"payload not b64": `{"payloadType":"application/vnd.liaison.key.register+json","payload":"%%%","signatures":[{"keyid":"k","sig":"AA=="}]}`,
			"two envelopes":   `{"payloadType":"application/vnd.liaison.key.register+json","payload":"e30=","signatures":[{"keyid":"k","sig":"AA=="}]} {}`,
		} {
			t.Run(name, func(t *testing.T) {
				wantType(t, c.do(t, "POST", "/api/v1/entries", []byte(body)), http.StatusBadRequest, "malformed-envelope")
			})
		}
		if n := ts.size(t); n != size {
			t.Errorf("refused bodies appended %d entries", n-size)
		}
	})
}

func TestProblems(t *testing.T) {
	ts := newTestServer(t)
	c := ts.login(t, "sy.duty")
	n := ts.size(t)
	cases := []struct {
		method, path string
		body         string
		status       int
	}{
		{"GET", "/api/v1/nothing-here", "", 404},
		{"DELETE", "/api/v1/me", "", 404},
		{"GET", "/api/v2/me", "", 404},
		{"GET", "/api/v1/parties/nowhere", "", 404},
		{"GET", "/api/v1/keys/0000", "", 404},
		{"GET", "/api/v1/members/nobody", "", 404},
		{"GET", "/api/v1/entries?after=x", "", 400},
		{"GET", "/api/v1/entries?limit=0", "", 400},
		{"GET", "/api/v1/entries?limit=1001", "", 400},
		{"GET", "/api/v1/log/entries/-1", "", 400},
		{"GET", "/api/v1/log/entries/x", "", 400},
		{"GET", "/api/v1/log/entries/" + strconv.FormatInt(n, 10), "", 404},
		{"GET", "/api/v1/log/leaves", "", 400},
		{"GET", "/api/v1/log/leaves?start=0&end=x", "", 400},
		{"GET", "/api/v1/log/leaves?start=2&end=1", "", 400},
		{"GET", "/api/v1/log/leaves?start=0&end=" + strconv.FormatInt(n+1, 10), "", 400},
		{"GET", "/api/v1/log/leaves?start=0&end=1001", "", 400},
		{"GET", "/api/v1/log/proof/inclusion?index=0", "", 400},
		{"GET", "/api/v1/log/proof/inclusion?index=5&size=5", "", 400},
		{"GET", "/api/v1/log/proof/inclusion?index=0&size=" + strconv.FormatInt(n+1, 10), "", 400},
		{"GET", "/api/v1/log/proof/consistency?from=0&to=1", "", 400},
		{"GET", "/api/v1/log/proof/consistency?from=3&to=2", "", 400},
		{"GET", "/api/v1/stream?after=x", "", 400},
		{"GET", "/api/v1/stream?after=-2", "", 400},
		{"POST", "/api/v1/me/password", "{", 400},
		{"POST", "/api/v1/entries", "{}", 400},
	}
	for _, tc := range cases {
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		r := c.do(t, tc.method, tc.path, body)
		wantProblem(t, r, tc.status)
	}
	// Stale or invalid commands, wrong routes and kinds.
	key := ts.deviceKey(t, "sy.duty")
	for _, tc := range []struct {
		name, method, path string
		env                *record.Envelope
		status             int
		slug               string
	}{
		{"unknown kind", "POST", "/api/v1/entries", c.sign("no.such.kind", nil), 422, "invalid"},
		{"cell.create", "POST", "/api/v1/entries", c.sign(cell.KindCellCreate, map[string]any{"name": "x"}), 403, "forbidden"},
		{"wrong kind for route", "POST", "/api/v1/parties", c.sign(cell.KindKeyRevoke, map[string]any{"key_id": key.ID()}), 422, "wrong-kind"},
		{"path names another member", "PUT", "/api/v1/members/sy.military", c.sign(cell.KindMemberUpdate, map[string]any{"member": member("sy.intelligence", "sy")}), 422, "wrong-target"},
		{"path names another key", "POST", "/api/v1/keys/abc/revoke", c.sign(cell.KindKeyRevoke, map[string]any{"key_id": key.ID()}), 422, "wrong-target"},
		{"signed for another cell", "POST", "/api/v1/entries", record.Sign(cell.KindPartyUpdate, []byte(`{"id":"x","time":"`+time.Now().UTC().Format(time.RFC3339)+`","cell":"other"}`), key.Private), 422, "wrong-cell"},
		{"no idempotency id", "POST", "/api/v1/entries", record.Sign(cell.KindPartyUpdate, []byte(`{"time":"`+time.Now().UTC().Format(time.RFC3339)+`","cell":"il-sy"}`), key.Private), 422, "invalid"},
		{"invalid member", "POST", "/api/v1/members", c.sign(cell.KindMemberCreate, map[string]any{"member": member("BAD ID", "sy")}), 422, "invalid"},
		{"unknown payload field", "POST", "/api/v1/entries", c.sign(cell.KindKeyRevoke, map[string]any{"key_id": key.ID(), "why": "x"}), 422, "invalid"},
		{"existing member", "POST", "/api/v1/members", c.sign(cell.KindMemberCreate, map[string]any{"member": member("sy.military", "sy")}), 409, "conflict"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantType(t, c.submit(t, tc.method, tc.path, tc.env), tc.status, tc.slug)
		})
	}
	if m := ts.size(t); m != n {
		t.Errorf("refused commands appended %d entries", m-n)
	}
}

// /metrics tells request volumes by route and time: traffic analysis a
// party's network neighbour must not get. Only loopback clients are
// answered unless the operator says otherwise.
func TestMetricsOnlyOnLoopback(t *testing.T) {
	for _, public := range []bool{false, true} {
		ts := newTestServer(t, func(c *api.Config) { c.MetricsPublic = public })
		for remote, local := range map[string]bool{"127.0.0.1:40000": true, "198.51.100.7:40000": false} {
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.RemoteAddr = remote
			w := httptest.NewRecorder()
			ts.API.Handler().ServeHTTP(w, r)
			want := http.StatusOK
			if !local && !public {
				want = http.StatusNotFound
			}
			if w.Code != want || (want == http.StatusOK && !strings.Contains(w.Body.String(), "go_goroutines")) {
				t.Errorf("public=%v, from %s: %d, want %d", public, remote, w.Code, want)
			}
		}
	}
}
