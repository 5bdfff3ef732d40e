package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/desks"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/postgres"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/watch"
	"github.com/liaison-cell/liaison/internal/web"
)

// storeFlags are the flags that choose a store.
type storeFlags struct {
	data string
	db   string
}

func (sf *storeFlags) register(fs *flag.FlagSet, defData string) {
	fs.StringVar(&sf.data, "data", defData, "SQLite data directory")
	fs.StringVar(&sf.db, "db", os.Getenv("LIAISON_DB"), "PostgreSQL URL (postgres://...); overrides --data")
}

func (sf *storeFlags) open(ctx context.Context) (store.Store, error) {
	if sf.db != "" {
		if !strings.HasPrefix(sf.db, "postgres://") && !strings.HasPrefix(sf.db, "postgresql://") {
			return nil, errors.New("--db must be a postgres:// URL")
		}
		return postgres.Open(ctx, sf.db)
	}
	if sf.data == "" {
		return nil, errors.New("name a store: --data DIR (SQLite) or --db URL (PostgreSQL)")
	}
	return sqlite.Open(ctx, sf.data)
}

// passwordParams lets tests and benchmarks use cheap password hashing; a
// real deployment never sets it.
func passwordParams() auth.Params {
	if os.Getenv("LIAISON_INSECURE_FAST_PASSWORDS") == "1" {
		return auth.TestParams
	}
	return auth.DefaultParams
}

func newLedger(st store.Store, log *slog.Logger) (*ledger.Ledger, error) {
	return ledger.New(ledger.Config{Store: st, Registry: newRegistry(), Logger: log})
}

// newRegistry holds every domain's commands.
func newRegistry() *cell.Registry { return desks.Registry() }

type serveOptions struct {
	webhooks    string
	addr        string
	cell        string
	secure      bool
	metrics     bool // serve /metrics beyond loopback
	onListening func(url string)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	var sf storeFlags
	sf.register(fs, "")
	var o serveOptions
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&o.cell, "cell", "", "default cell (the only or first cell when empty)")
	insecure := fs.Bool("insecure-cookies", false, "session cookies without Secure, for plain-HTTP loopback only")
	fs.BoolVar(&o.metrics, "metrics-public", false, "serve /metrics to every client, not only on loopback")
	fs.StringVar(&o.webhooks, "webhooks", "", "JSON file of escalation webhooks: [{\"party\", \"url\", \"secret\"}]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.secure = !*insecure
	st, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return serve(ctx, st, o, stdout, stderr)
}

func serve(ctx context.Context, st store.Store, o serveOptions, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	led, err := newLedger(st, log)
	if err != nil {
		return err
	}
	defer led.Close()
	cells, err := led.OpenAll(ctx)
	if err != nil {
		return err
	}
	if len(cells) == 0 {
		return errors.New("the store holds no cell: run 'liaison init' first")
	}
	if o.cell == "" {
		o.cell = cells[0]
	}
	var hooks []watch.Webhook
	if o.webhooks != "" {
		b, err := os.ReadFile(o.webhooks)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &hooks); err != nil {
			return fmt.Errorf("%s: %w", o.webhooks, err)
		}
	}
	wt, err := watch.New(watch.Config{Ledger: led, Logger: log, Webhooks: hooks})
	if err != nil {
		return err
	}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go wt.Run(wctx)
	srv, err := api.New(api.Config{Ledger: led, DefaultCell: o.cell, Logger: log, Password: passwordParams(),
		SecureCookies: o.secure, MetricsPublic: o.metrics})
	if err != nil {
		return err
	}
	defer srv.Close()
	ui, err := web.New(web.Config{API: srv, SecureCookies: o.secure, Logger: log})
	if err != nil {
		return err
	}
	srv.SetWeb(ui)
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	hs := srv.HTTPServer()
	hs.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	url := "http://" + ln.Addr().String()
	log.Info("serving", "url", url, "cells", cells, "default_cell", o.cell)
	if o.onListening != nil {
		o.onListening(url)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	hs.Shutdown(sctx) //nolint:errcheck // streams are cut at the deadline
	fmt.Fprintln(stdout, "stopped")
	return nil
}
