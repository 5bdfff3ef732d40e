package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
)

// runMirror keeps a party's own copy of the cell's log, as the signed-in
// member reads it: it follows the cell, verifies and cosigns each
// checkpoint, and stops with exit code 4 on an alarm, the proof kept in
// --data.
func runMirror(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("mirror", stderr)
	server := fs.String("server", "", "the cell's server (default: the server of 'liaison login'; must be the one signed in to)")
	party := fs.String("party", "", "the party whose record this mirror keeps (must be the signed-in member's)")
	data := fs.String("data", "", "the mirror's data directory (required)")
	keyFile := fs.String("witness-key", "", "witness key to cosign with (default <config>/keys/witness.key if it exists; none: verify only)")
	once := fs.Bool("once", false, "follow once and stop")
	interval := fs.Duration("interval", time.Second, "time between rounds")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("--data DIR is required")
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
	me, err := c.Me(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *party != "" && *party != me.Party.ID {
		return fmt.Errorf("you are signed in as %s of party %s, not %s", me.Member.ID, me.Party.ID, *party)
	}
	var wk *record.WitnessKey
	switch {
	case *keyFile != "":
		if wk, err = record.ReadWitnessKey(*keyFile); err != nil {
			return err
		}
	case fileExists(cfg.defaultWitnessKey()):
		if wk, err = record.ReadWitnessKey(cfg.defaultWitnessKey()); err != nil {
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
	m, err := mirror.Open(ctx, mirror.Config{Client: c, Cell: cfg.Cell, Dir: *data, Witness: wk, Key: dk, Logger: log})
	if err != nil {
		return err
	}
	defer m.Close()
	what := "verifying only (no witness key)"
	if wk != nil {
		what = "cosigning as " + wk.Name
	}
	fmt.Fprintf(stdout, "Mirror of cell %s for %s in %s, at size %d, %s.\n", cfg.Cell, me.Party.Name, *data, m.Size(), what)
	for {
		r, err := m.Round(ctx)
		switch {
		case errors.Is(err, mirror.ErrAlarm):
			return &exitError{code: 4, err: fmt.Errorf("%w; the two signed checkpoints are kept in %s", err, *data)}
		case err != nil && *once:
			return sessionError(err)
		case err != nil:
			log.Warn("the cell does not answer; trying again", "err", err)
		case r.To > r.From || r.Cosigned:
			cos := ""
			if r.Cosigned {
				cos = ", cosigned"
			}
			fmt.Fprintf(stdout, "%s  size %d (+%d, %d entries of %s kept)%s\n", time.Now().UTC().Format(time.RFC3339), r.To, r.To-r.From, r.Entries, me.Party.ID, cos)
		}
		if *once {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*interval):
		}
	}
}
