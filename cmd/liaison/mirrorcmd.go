package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/web"
)

// runMirror keeps a party's own copy of the cell's log, as the signed-in
// member reads it: it follows the cell's stream, verifies and cosigns each
// checkpoint as it arrives, keeps the party's replica, and with --listen serves the
// party's members from it, read-only, the line to the cell up or down. It
// stops with exit code 4 on an alarm, the proof kept in --data.
func runMirror(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "user" {
		return runMirrorUser(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "outbox" {
		return runMirrorOutbox(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("mirror", stderr)
	server := fs.String("server", "", "the cell's server (default: the server of 'liaison login'; must be the one signed in to)")
	party := fs.String("party", "", "the party whose record this mirror keeps (must be the signed-in member's)")
	data := fs.String("data", "", "the mirror's data directory (required)")
	keyFile := fs.String("witness-key", "", "witness key to cosign with (default <config>/keys/witness.key if it exists; none: verify only)")
	once := fs.Bool("once", false, "follow once (one round: checkpoint, proofs, entries, cosignature) and stop")
	interval := fs.Duration("interval", 5*time.Second, "the longest time between two rounds: the cell's stream wakes the mirror as soon as the log grows, and this poll is the fallback while the stream is down")
	listen := fs.String("listen", "", "serve the party's members from the mirror, read-only, at this address (127.0.0.1:PORT); sign them in with 'liaison mirror user'")
	insecure := fs.Bool("insecure-cookies", false, "with --listen: session cookies without Secure, for plain-HTTP loopback only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("--data DIR is required")
	}
	if *listen != "" && *once {
		return errors.New("--listen serves until stopped: leave out --once")
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	if *server != "" {
		srv, err := normalizeServer(*server)
		if err != nil {
			return err
		}
		if srv != cfg.Server {
			return fmt.Errorf("you are signed in to %s, not %s: run 'liaison login --server %s --username NAME' first", cfg.Server, srv, srv)
		}
	}
	var wk *record.WitnessKey
	if *keyFile != "" || fileExists(cfg.defaultWitnessKey()) {
		if wk, err = readWitnessKey(cfg, *keyFile); err != nil {
			return err
		}
	}

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// With the member's device key the mirror raises its alarms in the
	// cell's log as well; without one it keeps them here only.
	dk, err := cfg.deviceKey()
	if err != nil {
		log.Warn("no device key: alarms are kept in --data only, not raised in the cell's log", "err", err)
		dk = nil
	}
	reg := newRegistry()
	m, err := mirror.Open(ctx, mirror.Config{Client: c, Cell: cfg.Cell, Dir: *data, Witness: wk, Key: dk, Registry: reg, Logger: log})
	if err != nil {
		return err
	}
	defer m.Close()
	partyID, partyName := m.Status().Party, m.Status().Party
	me, err := c.Me(ctx)
	switch {
	case err == nil:
		partyID, partyName = me.Party.ID, me.Party.Name
		if held := m.Status().Party; held != "" && held != partyID {
			return fmt.Errorf("%s holds party %s's mirror; you are signed in as %s of party %s", *data, held, me.Member.ID, partyID)
		}
	case *listen != "" && partyID != "":
		// The line is down as the mirror starts: it serves what it holds.
		log.Warn("the cell does not answer; serving the mirror as last verified", "err", err)
	default:
		return sessionError(err)
	}
	if *party != "" && *party != partyID {
		if me != nil {
			return fmt.Errorf("you are signed in as %s of party %s, not %s", me.Member.ID, partyID, *party)
		}
		return fmt.Errorf("%s holds party %s's mirror, not %s's", *data, partyID, *party)
	}
	what := "verifying only (no witness key)"
	if wk != nil {
		what = "cosigning as " + wk.Name
	}
	fmt.Fprintf(stdout, "Mirror of cell %s for %s in %s, at size %d, %s.\n", cfg.Cell, partyName, *data, m.Size(), what)
	if *listen != "" {
		if m.VerifierKey() == "" {
			// Nothing held yet: the replica is made by a first round.
			if _, err := m.Round(ctx); err != nil {
				return fmt.Errorf("the mirror holds nothing yet and the cell does not answer: %w", err)
			}
		}
		url, stop, err := serveMirror(ctx, m, reg, cfg.Cell, *listen, !*insecure, log)
		if err != nil {
			return err
		}
		defer stop()
		fmt.Fprintf(stdout, "Serving %s's mirror read-only at %s\n", partyName, url)
	}
	report := func(r *mirror.RoundResult) {
		if r.Sent > 0 || r.Refused > 0 {
			fmt.Fprintf(stdout, "%s  sent %d queued writes to the cell", time.Now().UTC().Format(time.RFC3339), r.Sent)
			if r.Refused > 0 {
				fmt.Fprintf(stdout, "; it refused %d ('liaison mirror outbox --data %s' says why)", r.Refused, *data)
			}
			fmt.Fprintf(stdout, "; %d wait\n", r.Waiting)
		}
		if r.To > r.From || r.Cosigned {
			cos := ""
			if r.Cosigned {
				cos = ", cosigned"
			}
			fmt.Fprintf(stdout, "%s  size %d (+%d, %d entries of %s kept)%s\n", time.Now().UTC().Format(time.RFC3339), r.To, r.To-r.From, r.Entries, partyID, cos)
		}
	}
	alarm := func(err error) error {
		return &exitError{code: 4, err: fmt.Errorf("%w; the two signed checkpoints are kept in %s", err, *data)}
	}
	if *once {
		r, err := m.Round(ctx)
		switch {
		case errors.Is(err, mirror.ErrAlarm):
			return alarm(err)
		case err != nil:
			return sessionError(err)
		}
		report(r)
		return nil
	}
	down := false
	err = m.Follow(ctx, mirror.FollowOptions{Poll: *interval, OnRound: func(r *mirror.RoundResult, err error) {
		switch {
		case errors.Is(err, mirror.ErrAlarm):
		case err != nil:
			// Said once per outage, not once per retry.
			if !down {
				log.Warn("the cell does not answer; trying again", "err", err, "writes waiting", r.Waiting)
			}
			down = true
		default:
			if down {
				fmt.Fprintf(stdout, "%s  the cell answers again\n", time.Now().UTC().Format(time.RFC3339))
			}
			down = false
			report(r)
		}
	}})
	if errors.Is(err, mirror.ErrAlarm) {
		return alarm(err)
	}
	return err
}

// serveMirror serves the API and pages over the mirror's replica, with a
// read-only ledger: every read as at the cell; its members' writes go to
// the mirror's outbox (api.Config.Relay), for the cell.
func serveMirror(ctx context.Context, m *mirror.Mirror, reg *cell.Registry, cellID, addr string, secure bool, log *slog.Logger) (string, func(), error) {
	led, err := ledger.New(ledger.Config{Store: m.Store(), Registry: reg, Logger: log})
	if err != nil {
		return "", nil, err
	}
	if err := led.OpenReadOnly(ctx, cellID, m.VerifierKey()); err != nil {
		led.Close()
		return "", nil, err
	}
	srv, err := api.New(api.Config{Ledger: led, DefaultCell: cellID, Logger: log, Password: passwordParams(), SecureCookies: secure,
		Mirror: func() api.MirrorStatus { return mirrorStatus(m) },
		Relay: func(ctx context.Context, member string, env *record.Envelope) (api.RelayAnswer, error) {
			return relayAnswer(m.Submit(ctx, member, env))
		},
		Vouch: func(ctx context.Context, member string, reg *record.Envelope) (api.RelayAnswer, error) {
			return relayAnswer(m.Vouch(ctx, member, reg))
		},
		PendingKey: m.PendingKey,
		Dismiss: func(ctx context.Context, member, id string) error {
			if err := m.Dismiss(ctx, member, id); errors.Is(err, mirror.ErrNotInOutbox) {
				return fmt.Errorf("%w: %v", store.ErrNotFound, err)
			} else if err != nil {
				return err
			}
			return nil
		},
		Upload: func(ctx context.Context, member string, data []byte, contentType string) (api.UploadAnswer, error) {
			return uploadAnswer(m.Upload(ctx, member, data, contentType))
		},
		HeldUpload: m.HoldsUpload})
	if err != nil {
		led.Close()
		return "", nil, err
	}
	ui, err := web.New(web.Config{API: srv, SecureCookies: secure, Logger: log})
	if err != nil {
		srv.Close()
		led.Close()
		return "", nil, err
	}
	srv.SetWeb(ui)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		srv.Close()
		led.Close()
		return "", nil, err
	}
	hs := srv.HTTPServer()
	hs.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	go hs.Serve(ln) //nolint:errcheck // ends with Shutdown
	return "http://" + ln.Addr().String(), func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx) //nolint:errcheck // streams are cut at the deadline
		srv.Close()
		led.Close()
	}, nil
}

// relayAnswer says what became of a member's signed write that the
// mirror's outbox was given (Mirror.Submit, Mirror.Vouch): landed (the
// cell's entry), refused (the cell's own problem, passed on as it said
// it), or waiting for the line. What the outbox does not take (not signed
// by the member's active key, too large) was refused before anything was
// kept.
func relayAnswer(o *mirror.Outcome, err error) (api.RelayAnswer, error) {
	var ce *client.Error
	switch {
	case errors.As(err, &ce):
		p := &api.Problem{Type: ce.Type, Title: ce.Title, Status: ce.Status,
			Detail: "the cell refused it: " + ce.Detail, RetryAfter: ce.RetryAfter}
		if p.Status < 400 || p.Status > 599 {
			p.Status = http.StatusBadGateway
		}
		return api.RelayAnswer{}, p
	case errors.Is(err, mirror.ErrNotQueued):
		return api.RelayAnswer{}, &api.Problem{Type: api.ProblemTypeBase + "not-queued", Title: "Not queued",
			Status: http.StatusUnprocessableEntity, Detail: err.Error()}
	case err != nil:
		return api.RelayAnswer{}, err
	}
	a := api.RelayAnswer{ID: o.ID}
	switch {
	case o.Answer != nil:
		a.Landed, a.Index = true, o.Answer.Entry.Index
		a.Detail = fmt.Sprintf("sent through your party's mirror: the cell logged it as entry %d", a.Index)
	case o.State == mirror.Landed:
		a.Landed, a.Index = true, o.Entry
		a.Detail = fmt.Sprintf("sent through your party's mirror: the cell had logged it as entry %d", a.Index)
	default:
		a.Position = int64(o.Waiting)
		a.Detail = fmt.Sprintf("the line to the cell is down: your party's mirror keeps it and sends it, in order, when the line returns (%d waiting)", o.Waiting)
	}
	return a, nil
}

// uploadAnswer says what became of a file a member uploaded at the mirror
// (Mirror.Upload): sent to the cell, or waiting in the outbox ahead of
// what cites it.
func uploadAnswer(o *mirror.Outcome, err error) (api.UploadAnswer, error) {
	if err != nil {
		_, err = relayAnswer(o, err) // the same problems as a write's
		return api.UploadAnswer{}, err
	}
	a := api.UploadAnswer{SHA256: o.Blob.SHA256, Size: o.Blob.Size, RelayAnswer: api.RelayAnswer{ID: o.ID}}
	if o.State == mirror.Landed {
		a.Landed, a.Detail = true, "sent through your party's mirror: the cell holds the file"
	} else {
		a.Position = int64(o.Waiting)
		a.Detail = fmt.Sprintf("the line to the cell is down: your party's mirror keeps the file and sends it ahead of what cites it when the line returns (%d waiting)", o.Waiting)
	}
	return a, nil
}

// mirrorStatus is the mirror's status as the API and the pages say it,
// with the party's names from the replica.
func mirrorStatus(m *mirror.Mirror) api.MirrorStatus {
	s := m.Status()
	out := api.MirrorStatus{Cell: s.Cell, Party: s.Party, Size: s.Size, Failures: s.Failures, LineDown: s.LineDown,
		LastError: s.LastError, Unprojected: s.Unprojected, Alarms: s.Alarms, Alarm: s.Alarm}
	if !s.Verified.IsZero() {
		out.Verified = &s.Verified
	}
	if !s.LastHeard.IsZero() {
		out.LastHeard = &s.LastHeard
	}
	out.Waiting, out.Refused = s.Waiting, s.Refused
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// The outbox as it is now: a write queued a moment ago is on the
	// page that answers its member, not only after the next round.
	if q, err := m.Outbox(ctx); err == nil {
		out.Waiting, out.Refused = 0, 0
		for _, w := range q {
			switch w.State {
			case mirror.Waiting:
				out.Waiting++
			case mirror.Refused:
				out.Refused++
			default:
				continue
			}
			out.Queue = append(out.Queue, api.MirrorWrite{Member: w.For(), Kind: w.Kind, ID: w.ID, Queued: w.Queued,
				State: w.State, Tries: w.Tries, Reason: w.Reason})
		}
	}
	if p, err := cell.GetParty(ctx, m.Store().View(s.Cell), s.Party); err == nil {
		out.PartyName, out.PartyNames = p.Name, p.Names
	}
	return out
}

// runMirrorUser keeps a sign-in at the mirror for a member of its party:
// passwords are not in the log, so the mirror holds its own.
func runMirrorUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mirror user", stderr)
	data := fs.String("data", "", "the mirror's data directory (required)")
	member := fs.String("member", "", "the member of the mirror's party to sign in at the mirror (required)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || *member == "" {
		return errors.New("--data DIR and --member ID are required")
	}
	pw, err := readPassword(*pwStdin, fmt.Sprintf("Password for %s at the mirror: ", *member), stderr)
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(pw) < api.MinPasswordLength || len(pw) > 256 {
		return fmt.Errorf("a password takes %d to 256 characters", api.MinPasswordLength)
	}
	h, err := auth.HashPassword(pw, passwordParams())
	if err != nil {
		return err
	}
	if err := mirror.SetCredential(ctx, *data, *member, h); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s signs in at the mirror in %s with this password.\n", *member, *data)
	return nil
}

// runMirrorOutbox lists what a mirror's outbox holds: the members' writes
// waiting for the line to the cell, and those the cell refused, with its
// reason. It reads the data directory only, while the mirror runs or not.
func runMirrorOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mirror outbox", stderr)
	data := fs.String("data", "", "the mirror's data directory (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("--data DIR is required")
	}
	qs, err := mirror.ReadOutbox(ctx, *data)
	if err != nil {
		return err
	}
	var waiting, refused []mirror.Queued
	for _, q := range qs {
		if q.State == mirror.Refused {
			refused = append(refused, q)
		} else {
			waiting = append(waiting, q)
		}
	}
	if len(qs) == 0 {
		fmt.Fprintln(stdout, "The outbox is empty: every write taken was sent.")
		return nil
	}
	line := func(q mirror.Queued) string {
		if b := q.Blob; b != nil {
			return fmt.Sprintf("  #%d  %s  %s  %s  %s, %d bytes", q.Seq, q.Queued.Format(time.RFC3339), q.Member, q.Kind, b.SHA256, b.Size)
		}
		return fmt.Sprintf("  #%d  %s  %s  %s  id %s", q.Seq, q.Queued.Format(time.RFC3339), q.Member, q.Kind, q.ID)
	}
	if len(waiting) > 0 {
		fmt.Fprintf(stdout, "%d waiting to be sent to the cell, in this order:\n", len(waiting))
		for _, q := range waiting {
			fmt.Fprint(stdout, line(q))
			if q.Tries > 0 {
				times := fmt.Sprintf("%d times", q.Tries)
				if q.Tries == 1 {
					times = "once"
				}
				fmt.Fprintf(stdout, "  (tried %s, last at %s: %s)", times, q.LastTry.Format(time.RFC3339), q.LastError)
			}
			fmt.Fprintln(stdout)
		}
	}
	if len(refused) > 0 {
		fmt.Fprintf(stdout, "%d refused by the cell:\n", len(refused))
		for _, q := range refused {
			fmt.Fprintf(stdout, "%s\n      %d %s: %s\n", line(q), q.Status, strings.TrimPrefix(q.Problem, "urn:liaison:problem:"), q.Reason)
		}
	}
	return nil
}
