// Package api is Liaison's HTTP interface: routing, authentication,
// problem+json errors and the live stream. It is thin: every decision about
// what a member may see or do is cell.May's, every write goes through the
// ledger.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Config configures the API server.
type Config struct {
	Ledger      *ledger.Ledger
	DefaultCell string
	Logger      *slog.Logger
	Password    auth.Params
	TokenTTL    time.Duration // bearer tokens (default 24h)
	SessionTTL  time.Duration // browser sessions (default 12h: one watch)
	// CalendarTTL bounds a calendar feed's address (default a year): a
	// calendar application holds it unattended, and it ends sooner when
	// revoked or replaced.
	CalendarTTL time.Duration
	// TAXIITTL bounds a member's TAXII credentials (default a year): a
	// MISP or OpenCTI holds them unattended, and they end sooner when
	// revoked or replaced.
	TAXIITTL time.Duration
	// SecureCookies marks session cookies Secure; off only for a demo on
	// plain loopback HTTP.
	SecureCookies bool
	// Web serves everything outside /api, /healthz and /metrics.
	Web http.Handler
	// MetricsPublic serves /metrics to any client; by default only to
	// clients on loopback (a scraper beside the server, or through a
	// proxy that adds its own authentication). Request counts by route
	// and time are traffic analysis that a party's network neighbour has
	// no business reading.
	MetricsPublic bool
	// LoginBurst and LoginInterval limit failed sign-ins per username at
	// one client address (default 10, then one per 6 s); per address, five
	// times the burst at five times the pace; and password checks of any
	// outcome per address, ten times the burst at twenty times the pace.
	// A right password does not count as a failure (see signinGuard).
	LoginBurst    int
	LoginInterval time.Duration
	// SigninAlertWindow is how long a member's failed sign-ins are counted
	// towards alerts from the first one (default 24 h).
	SigninAlertWindow time.Duration
	// Slow clients. A request body must come at BodyRate bytes a second
	// or faster once BodyGrace has passed (default 10 s, then 1 KiB/s),
	// and an answer be taken at WriteRate once WriteGrace has (default
	// 30 s, then 1 KiB/s): a client that trickles a byte every few seconds
	// is cut off, an attachment over a slow field link is not. The live
	// stream keeps its own write deadlines and has no body.
	BodyGrace  time.Duration
	BodyRate   int
	WriteGrace time.Duration
	WriteRate  int
	// HeaderTimeout bounds reading a request's headers (default 10 s) and
	// IdleTimeout how long a kept-alive connection waits for its next
	// request (default 2 min): the settings of HTTPServer.
	HeaderTimeout time.Duration
	IdleTimeout   time.Duration
	// Mirror, when set, makes this server a party's mirror (internal/mirror)
	// over its replica, whose ledger is read-only (ledger.OpenReadOnly): it
	// says what the mirror is, for GET /api/v1/mirror/status and the
	// pages' banner, and writes are refused (see mirror.go) unless Relay
	// is set.
	Mirror func() MirrorStatus
	// Relay, at a mirror, takes a member's signed command for the cell
	// instead of refusing it: the mirror's outbox, which sends it when the
	// line is up, in order, exactly once by its idempotency id. The route's
	// own checks have passed and the signature verifies with one of the
	// member's active device keys in the replica; the answer is 202
	// Accepted with the RelayAnswer. An error is answered as any other
	// (cell.ErrInvalid, store.ErrConflict, a *Problem). With Relay nil, a
	// mirror refuses every write with 503 and a problem that says so.
	Relay func(ctx context.Context, member string, env *record.Envelope) (RelayAnswer, error)
	// Vouch, at a mirror that relays, takes member's key.register of a key
	// they hold (POST /api/v1/keys, signed in at the mirror) for the cell,
	// in a key.vouch of the mirror's own member, a party admin's: the cell
	// never sees a session at the mirror. Vouch checks the registration
	// (mirror.Vouch: it must name member and verify with its own key).
	// With Vouch nil a mirror registers no key.
	Vouch func(ctx context.Context, member string, reg *record.Envelope) (RelayAnswer, error)
	// PendingKey, at a mirror, is a device key that Vouch took and the
	// replica does not hold yet: it signs the member's writes at the mirror
	// meanwhile, and GET /api/v1/keys/{key} answers it as pending.
	PendingKey func(ctx context.Context, id string) (cell.Key, bool)
	// Dismiss, at a mirror, removes member's own refused write, by its
	// idempotency id, from the outbox once they have read the cell's
	// reason; an error wrapping store.ErrNotFound when there is none.
	Dismiss func(ctx context.Context, member, id string) error
	// Upload, at a mirror that relays, takes a file member uploads (POST
	// /api/v1/blobs, its body within MaxBlob) for the cell: the mirror
	// keeps the bytes and queues the upload ahead of whatever cites it.
	// The answer is 201 when it reached the cell, 202 while it waits. With
	// Upload nil a mirror takes no upload.
	Upload func(ctx context.Context, member string, data []byte, contentType string) (UploadAnswer, error)
	// HeldUpload, at a mirror, reports whether a file was uploaded there by
	// a member of its party, its upload waiting for the cell or sent: a
	// message may then attach it before the replica holds the cell's
	// upload entry.
	HeldUpload func(ctx context.Context, sha256 string) (bool, error)
}

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	if c.Ledger == nil {
		return errors.New("api: Ledger is required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Password == (auth.Params{}) {
		c.Password = auth.DefaultParams
	}
	if c.TokenTTL <= 0 {
		c.TokenTTL = 24 * time.Hour
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.CalendarTTL <= 0 {
		c.CalendarTTL = 365 * 24 * time.Hour
	}
	if c.TAXIITTL <= 0 {
		c.TAXIITTL = 365 * 24 * time.Hour
	}
	if c.LoginBurst <= 0 {
		c.LoginBurst = 10
	}
	if c.LoginInterval <= 0 {
		c.LoginInterval = 6 * time.Second
	}
	if c.SigninAlertWindow <= 0 {
		c.SigninAlertWindow = 24 * time.Hour
	}
	if c.BodyGrace <= 0 {
		c.BodyGrace = 10 * time.Second
	}
	if c.BodyRate <= 0 {
		c.BodyRate = 1 << 10
	}
	if c.WriteGrace <= 0 {
		c.WriteGrace = 30 * time.Second
	}
	if c.WriteRate <= 0 {
		c.WriteRate = 1 << 10
	}
	if c.HeaderTimeout <= 0 {
		c.HeaderTimeout = 10 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	return nil
}

// Server is the HTTP API.
type Server struct {
	cfg    Config
	led    *ledger.Ledger
	st     store.Store
	log    *slog.Logger
	mux    *http.ServeMux
	routes []string
	signin signinGuard
	hub    *hub
	auth   authCache
	// handler is mux behind the per-request deadlines.
	handler http.Handler
	// evidence bounds the evidence bundles built at once: each reads the
	// log from its message to the end.
	evidence chan struct{}
	// background is the work that outlives its request (sign-in alerts).
	background sync.WaitGroup
	// stamps are the times of the entries the calendar feeds have read.
	stamps stampCache

	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	appends        *prometheus.CounterVec
	signinFailures *prometheus.CounterVec
	streams        prometheus.Gauge
	open           atomic.Int64 // open streams
}

// New returns a server.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{evidence: make(chan struct{}, 2),
		cfg: cfg, led: cfg.Ledger, st: cfg.Ledger.Store(), log: cfg.Logger, mux: http.NewServeMux(),
		signin: newSigninGuard(cfg),
	}
	s.hub = newHub(s.st, cfg.Logger)
	s.metrics()
	if err := s.routesInit(); err != nil {
		return nil, err
	}
	s.handler = s.withDeadlines(s.mux)
	return s, nil
}

// Close stops the stream hub, after the sign-in alerts being written.
func (s *Server) Close() {
	s.background.Wait()
	s.hub.close()
}

func (s *Server) metrics() {
	s.reg = prometheus.NewRegistry()
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_http_requests_total", Help: "HTTP requests by route and status code."}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "liaison_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
	s.appends = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_appends_total", Help: "Signed commands submitted, by kind and outcome."}, []string{"kind", "outcome"})
	// No username label: an attacker chooses usernames, and the metric
	// must not grow with them. Who is being guessed at is in the alerts.
	s.signinFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "liaison_signin_failures_total",
		Help: "Failed sign-ins by cell and outcome (wrong_password, unknown_username, throttled, disabled)."}, []string{"cell", "outcome"})
	s.streams = prometheus.NewGauge(prometheus.GaugeOpts{Name: "liaison_streams", Help: "Open live event streams."})
	s.reg.MustRegister(s.requests, s.latency, s.appends, s.signinFailures, s.streams)
}

// Routes lists every route pattern the server registers (the OpenAPI test
// checks each is described).
func (s *Server) Routes() []string { return s.routes }

type handler func(w http.ResponseWriter, r *http.Request) error

type authedHandler func(w http.ResponseWriter, r *http.Request, p *Principal) error

// handle registers pattern ("METHOD /path"); API paths are registered for
// the default cell and under /api/v1/cells/{cell}/ as well.
func (s *Server) handle(pattern string, h handler) {
	h = s.mirrorGuard(pattern, h)
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, s.wrap(pattern, h))
	method, path, _ := strings.Cut(pattern, " ")
	if rest, ok := strings.CutPrefix(path, "/api/v1/"); ok && !strings.HasPrefix(rest, "cells/") {
		p := method + " /api/v1/cells/{cell}/" + rest
		s.routes = append(s.routes, p)
		s.mux.Handle(p, s.wrap(p, h))
	}
}

func (s *Server) authed(pattern string, h authedHandler) {
	s.handle(pattern, func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), p)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap turns a handler into an http.Handler: errors become problems, panics
// become 500s (logged with their stack), every request is counted.
func (s *Server) wrap(route string, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "route", route, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if sw.code == 0 {
					writeProblem(sw, r, s.log, fmt.Errorf("panic: %v", v))
				}
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			s.requests.WithLabelValues(route, fmt.Sprint(code)).Inc()
			s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := h(sw, r); err != nil {
			if sw.code != 0 { // already answering (a stream): nothing more to say
				s.log.Warn("after response started", "route", route, "err", err)
				return
			}
			if writeRelayed(sw, err) {
				return
			}
			writeProblem(sw, r, s.log, err)
		}
	})
}

// Handler returns the HTTP handler of the whole server, which bounds how
// slowly each request may be sent and its answer taken (Config.BodyRate).
func (s *Server) Handler() http.Handler { return s.handler }

// HTTPServer returns an http.Server for the API, with the header and idle
// timeouts of the configuration. It sets no ReadTimeout or WriteTimeout:
// Handler bounds each request itself, and those would end the live
// stream.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: s.cfg.HeaderTimeout, IdleTimeout: s.cfg.IdleTimeout}
}

func (s *Server) routesInit() error {
	metrics := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
	s.mux.Handle("GET /metrics", s.wrap("GET /metrics", func(w http.ResponseWriter, r *http.Request) error {
		if !s.cfg.MetricsPublic && !loopback(r.RemoteAddr) {
			return notFound("no route GET /metrics for this client: metrics answer on loopback only (serve --metrics-public to change)")
		}
		metrics.ServeHTTP(w, r)
		return nil
	}))
	s.routes = append(s.routes, "GET /metrics")
	s.handle("GET /healthz", s.healthz)
	s.handle("POST /api/v1/auth/login", s.login)
	s.authed("POST /api/v1/auth/logout", s.logout)
	s.authed("GET /api/v1/me", s.me)
	s.authed("POST /api/v1/me/password", s.changePassword)
	s.authed("GET /api/v1/signin-alerts", s.listSigninAlerts)
	s.authed("GET /api/v1/cell", s.getCell)
	s.authed("GET /api/v1/parties", s.listParties)
	s.authed("POST /api/v1/parties", s.submitKind(cell.KindPartyCreate, http.StatusCreated))
	s.authed("GET /api/v1/parties/{party}", s.getParty)
	s.authed("PUT /api/v1/parties/{party}", s.submitKind(cell.KindPartyUpdate, http.StatusOK))
	s.authed("GET /api/v1/members", s.listMembers)
	s.authed("POST /api/v1/members", s.createMember)
	s.authed("GET /api/v1/members/{member}", s.getMember)
	s.authed("PUT /api/v1/members/{member}", s.updateMember)
	s.authed("POST /api/v1/members/{member}/password", s.resetPassword)
	s.authed("GET /api/v1/keys", s.listKeys)
	s.authed("POST /api/v1/keys", s.submitKind(cell.KindKeyRegister, http.StatusCreated))
	s.authed("GET /api/v1/keys/{key}", s.getKey)
	s.authed("POST /api/v1/keys/{key}/revoke", s.submitKind(cell.KindKeyRevoke, http.StatusOK))
	s.authed("POST /api/v1/entries", s.submitAny)
	s.authed("POST /api/v1/relay", s.relayCommand)
	s.authed("GET /api/v1/entries", s.listEntries)
	s.authed("GET /api/v1/log/key", s.logKey)
	s.authed("GET /api/v1/log/checkpoint", s.logCheckpoint)
	s.authed("GET /api/v1/log/leaves", s.logLeaves)
	s.authed("GET /api/v1/log/entries/{index}", s.logEntry)
	s.authed("GET /api/v1/log/proof/inclusion", s.proofInclusion)
	s.authed("GET /api/v1/log/proof/consistency", s.proofConsistency)
	s.authed("GET /api/v1/stream", s.stream)
	s.authed("GET /api/v1/mirror/status", s.mirrorStatus)
	s.authed("POST /api/v1/mirror/outbox/{id}/dismiss", s.dismissRefused)
	s.witnessRoutes()
	s.hotlineRoutes()
	s.deconflictRoutes()
	s.diplomacyRoutes()
	s.intelRoutes()
	s.commerceRoutes()
	s.calendarRoutes()
	s.watchRoutes()
	if err := s.taxiiRoutes(); err != nil {
		return err
	}
	s.handle("/api/", func(w http.ResponseWriter, r *http.Request) error {
		return notFound("no API route " + r.Method + " " + r.URL.Path)
	})
	if s.cfg.Web != nil {
		s.mux.Handle("/", s.cfg.Web)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.st.Cells(ctx); err != nil {
		s.log.Error("healthz", "err", err)
		return problem(http.StatusServiceUnavailable, "unhealthy", "Unhealthy", "the database does not answer")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// cellOf returns the cell a request addresses.
func (s *Server) cellOf(r *http.Request) string {
	if c := r.PathValue("cell"); c != "" {
		return c
	}
	return s.cfg.DefaultCell
}

// loopback reports whether a request's remote address is on loopback.
func loopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
