package api

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
)

// Sign-in limits. A lockout per username let anyone keep a chosen duty
// officer out at shift change with one guess every few seconds. So only
// failures are limited, and only by where they come from: per username
// at one client address, and per address. A right password from an
// address that has not itself been throttled always signs in, whatever
// failed elsewhere. Password checks of any outcome are limited per
// address too, which bounds the hashing an address can make the server
// do. Guessing is made visible instead: a metric, and a signed
// member.signin_alert for the member's party and the mediator when a
// member's failures cross a threshold (auth.SigninThresholds).
type signinGuard struct {
	pairs  *auth.Limiter // failures per cell, username and address
	addrs  *auth.Limiter // failures per address
	checks *auth.Limiter // password checks per address, right or wrong
	watch  *auth.FailureWatch
}

func newSigninGuard(cfg Config) signinGuard {
	return signinGuard{
		pairs:  auth.NewLimiter(cfg.LoginBurst, cfg.LoginInterval),
		addrs:  auth.NewLimiter(cfg.LoginBurst*5, cfg.LoginInterval/5),
		checks: auth.NewLimiter(cfg.LoginBurst*10, cfg.LoginInterval/20),
		watch:  auth.NewFailureWatch(cfg.SigninAlertWindow),
	}
}

// Outcomes of failed sign-ins, the metric's label.
const (
	signinWrongPassword = "wrong_password"
	signinUnknownUser   = "unknown_username"
	signinThrottled     = "throttled"
	signinDisabled      = "disabled"
)

// clientKey is the client address that sign-in limits count by: its IP,
// or for IPv6 its /64, which a single host is commonly given whole.
func clientKey(r *http.Request) string {
	host := clientAddr(r)
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return host
	}
	return p.String()
}

// signinAttempt is one password check, from taking its place in the
// limits to knowing its outcome.
type signinAttempt struct {
	s                *Server
	cell, addr, pair string
	member           string // once known to exist
}

// beginSignin takes the attempt's place in the limits, or answers 429.
// username need not exist: its limit works the same either way, so that
// being throttled tells nothing of which usernames exist.
func (s *Server) beginSignin(r *http.Request, cellID, username string) (*signinAttempt, error) {
	a := &signinAttempt{s: s, cell: cellID, addr: clientKey(r)}
	a.pair = cellID + "\x00" + username + "\x00" + a.addr
	g := &s.signin
	if ok, wait := g.addrs.Allow(a.addr); !ok {
		return nil, s.throttled(cellID, wait, "too many failed sign-ins from your address")
	}
	if ok, wait := g.pairs.Allow(a.pair); !ok {
		g.addrs.Refund(a.addr)
		return nil, s.throttled(cellID, wait, "too many failed sign-ins as this username from your address")
	}
	if ok, wait := g.checks.Allow(a.addr); !ok {
		g.addrs.Refund(a.addr)
		g.pairs.Refund(a.pair)
		return nil, s.throttled(cellID, wait, "too many sign-ins from your address")
	}
	return a, nil
}

func (s *Server) throttled(cellID string, wait time.Duration, detail string) *Problem {
	s.signinFailures.WithLabelValues(s.cellLabel(cellID), signinThrottled).Inc()
	p := problem(http.StatusTooManyRequests, "rate-limited", "Too many sign-in attempts", detail+": wait before trying again")
	p.RetryAfter = int(wait/time.Second) + 1
	return p
}

// ok gives back what the attempt took of the failure limits: the password
// was right. The username's failures at this address are forgotten too,
// typing mistakes of the one who knows it; the address's are not.
func (a *signinAttempt) ok() {
	a.s.signin.addrs.Refund(a.addr)
	a.s.signin.pairs.Forget(a.pair)
}

// undo gives back what the attempt took: it never checked a password.
func (a *signinAttempt) undo() {
	a.s.signin.addrs.Refund(a.addr)
	a.s.signin.pairs.Refund(a.pair)
}

// failed counts a failure; for a member that exists, towards its alerts.
func (a *signinAttempt) failed(outcome string) {
	s := a.s
	s.signinFailures.WithLabelValues(s.cellLabel(a.cell), outcome).Inc()
	if a.member == "" {
		return
	}
	if rep, ok := s.signin.watch.Fail(a.cell+"\x00"+a.member, a.addr); ok {
		s.signinAlert(a.cell, a.member, rep)
	}
}

// signinAlert writes a member.signin_alert. It does so after the answer,
// not before: a slower answer at a threshold would tell a guesser that
// the username exists.
func (s *Server) signinAlert(cellID, member string, rep auth.Report) {
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := s.led.SubmitServer(ctx, cellID, cell.KindMemberSigninAlert, map[string]any{
			// Made of the report, so that it never lands twice.
			"id":        fmt.Sprintf("signin-alert %s %d %d", member, rep.Since.UnixNano(), rep.Threshold),
			"member":    member,
			"failures":  rep.Failures,
			"addresses": rep.Addresses,
			"since":     rep.Since.UTC(),
			"threshold": rep.Threshold,
		})
		if err != nil {
			s.log.Error("sign-in alert not written", "cell", cellID, "member", member, "failures", rep.Failures, "err", err)
			return
		}
		s.log.Warn("failed sign-ins", "cell", cellID, "member", member, "failures", rep.Failures, "addresses", rep.Addresses, "since", rep.Since)
	}()
}

// cellLabel is a cell as the metrics name it: only cells this server
// holds, so that a client naming cells cannot grow the metric.
func (s *Server) cellLabel(cellID string) string {
	if _, err := s.led.Origin(cellID); err != nil {
		return "unknown"
	}
	return cellID
}

// SigninAlertView is a sign-in alert as the API lists it, with the log
// index of its entry.
type SigninAlertView struct {
	Entry int64 `json:"entry"`
	cell.SigninAlert
}

// listSigninAlerts lists the sign-in alerts of a party's members: the
// caller's own party's, or with ?party= another's; the mediator's admins
// see every party's by default.
func (s *Server) listSigninAlerts(w http.ResponseWriter, r *http.Request, p *Principal) error {
	party := r.URL.Query().Get("party")
	if party == "" && p.Party.Kind != cell.Mediator {
		party = p.Party.ID
	}
	if err := cell.May(p.Actor(), cell.ReadSigninAlerts, cell.Target{Party: party}); err != nil {
		return err
	}
	after, err := intParam(r, "after", -1)
	if err != nil {
		return err
	}
	const limit = 500
	objs, err := s.view(p).List(r.Context(), cell.ObjSigninAlert, party, after, limit)
	if err != nil {
		return err
	}
	out := make([]SigninAlertView, 0, len(objs))
	for _, o := range objs {
		a, err := decodeDoc[cell.SigninAlert](o)
		if err != nil {
			return err
		}
		out = append(out, SigninAlertView{Entry: o.Seq, SigninAlert: a})
	}
	body := map[string]any{"alerts": out}
	if len(objs) == limit {
		body["next"] = strconv.FormatInt(objs[len(objs)-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
