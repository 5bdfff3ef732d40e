package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// demoMirror is one party's mirror beside the demo cell, as its capital
// would run it: signed in as the party's duty officer, cosigning with the
// party's registered witness key, serving the party's members read-only.
type demoMirror struct {
	party, name string
	url         string
	m           *mirror.Mirror
	stop        func()
}

// startDemoMirrors starts a mirror for the mediator and each side, in
// data/mirrors/<party>, on the ports after the cell's (or any free port
// when the cell's is chosen by the system). What a capital would do by
// hand the demo does for it: a witness key made and registered by the
// duty officer, a bearer token for the mirror's follow, and the party's
// members' passwords at the mirror the same as at the cell. It returns
// when every mirror serves; they follow the cell until ctx ends, and stop
// waits for them.
func startDemoMirrors(ctx context.Context, st store.Store, cellID, cellURL, data, keyDir string, log *slog.Logger) ([]*demoMirror, func(), error) {
	parties, err := cell.Parties(ctx, st.View(cellID))
	if err != nil {
		return nil, nil, err
	}
	_, cellPort, err := net.SplitHostPort(cellURL[len("http://"):])
	if err != nil {
		return nil, nil, err
	}
	port, _ := strconv.Atoi(cellPort)
	var out []*demoMirror
	var wg sync.WaitGroup
	stopAll := func() {
		for _, d := range out {
			d.stop()
		}
		wg.Wait()
		for _, d := range out {
			d.m.Close()
		}
	}
	for _, p := range parties {
		if p.Kind != cell.Mediator && p.Kind != cell.Side {
			continue
		}
		addr := "127.0.0.1:0"
		if port != 0 {
			port++
			addr = "127.0.0.1:" + strconv.Itoa(port)
		}
		d, err := startDemoMirror(ctx, st, cellID, cellURL, filepath.Join(data, "mirrors", p.ID), keyDir, p, addr, log)
		if err != nil {
			stopAll()
			return nil, nil, fmt.Errorf("%s's mirror: %w", p.Name, err)
		}
		out = append(out, d)
		wg.Add(1)
		go func() {
			defer wg.Done()
			followDemoMirror(ctx, d, log)
		}()
	}
	return out, stopAll, nil
}

func startDemoMirror(ctx context.Context, st store.Store, cellID, cellURL, dir, keyDir string, p cell.Party, addr string, log *slog.Logger) (*demoMirror, error) {
	duty := p.ID + ".duty"
	dk, err := record.ReadDeviceKey(filepath.Join(keyDir, duty+".key"))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	token, err := demoToken(ctx, st, cellID, duty)
	if err != nil {
		return nil, err
	}
	c := client.New(cellURL, token).WithCell(cellID)
	wk, err := demoWitness(ctx, c, cellID, p, dk, filepath.Join(dir, "witness.key"))
	if err != nil {
		return nil, err
	}
	reg := newRegistry()
	m, err := mirror.Open(ctx, mirror.Config{Client: c, Cell: cellID, Dir: dir, Witness: wk, Key: dk, Registry: reg, Logger: log})
	if err != nil {
		return nil, err
	}
	if _, err := m.Round(ctx); err != nil {
		m.Close()
		return nil, err
	}
	if err := demoMirrorLogins(ctx, st, cellID, p.ID, dir); err != nil {
		m.Close()
		return nil, err
	}
	url, stop, err := serveMirror(ctx, m, reg, cellID, addr, false, log)
	if err != nil {
		m.Close()
		return nil, err
	}
	return &demoMirror{party: p.ID, name: p.Name, url: url, m: m, stop: stop}, nil
}

// demoToken mints a bearer token of member's in the demo's own store: the
// demo is the operator of its cell, and holds no password after its first
// run.
func demoToken(ctx context.Context, st store.Store, cellID, member string) (string, error) {
	secret := auth.NewSecret("lsn_")
	now := time.Now().UTC()
	err := st.PutToken(ctx, store.Token{Hash: auth.HashSecret(secret), Cell: cellID, Member: member, Kind: "bearer",
		Created: now, Expires: now.Add(30 * 24 * time.Hour), UserAgent: "liaison demo mirror"})
	return secret, err
}

// demoWitness is the party's witness key in file, made and registered by
// its duty officer on the first run.
func demoWitness(ctx context.Context, c *client.Client, cellID string, p cell.Party, dk *record.DeviceKey, file string) (*record.WitnessKey, error) {
	wk, err := record.ReadWitnessKey(file)
	if errors.Is(err, os.ErrNotExist) {
		if wk, err = record.NewWitnessKey("liaison-witness/" + cellID + "/" + p.ID); err != nil {
			return nil, err
		}
		if err := wk.WriteFile(file); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	ws, err := c.Witnesses(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		if w.Party == p.ID && w.VerifierKey == wk.VerifierKey() && !w.Revoked {
			return wk, nil
		}
	}
	if _, err := c.RegisterWitness(ctx, cellID, p.ID, dk, wk, p.Name+"'s mirror (demo)"); err != nil {
		return nil, fmt.Errorf("registering the witness key: %w", err)
	}
	return wk, nil
}

// demoMirrorLogins gives the party's members at the mirror the passwords
// they have at the cell (their hashes: the demo holds both databases).
func demoMirrorLogins(ctx context.Context, st store.Store, cellID, party, dir string) error {
	objs, err := st.View(cellID).List(ctx, cell.ObjMember, party, -1, 10000)
	if err != nil {
		return err
	}
	for _, o := range objs {
		var mem cell.Member
		if err := json.Unmarshal(o.Doc, &mem); err != nil {
			return err
		}
		cr, err := st.CredentialByMember(ctx, cellID, mem.ID)
		if errors.Is(err, store.ErrNotFound) || mem.Disabled {
			continue
		}
		if err != nil {
			return err
		}
		if err := mirror.SetCredential(ctx, dir, mem.ID, cr.Hash); err != nil {
			return err
		}
	}
	return nil
}

// followDemoMirror follows the cell's stream until ctx ends, as
// `liaison mirror` does. An alarm stops the mirror (its proof kept) and is
// logged; the demo cell goes on.
func followDemoMirror(ctx context.Context, d *demoMirror, log *slog.Logger) {
	err := d.m.Follow(ctx, mirror.FollowOptions{OnRound: func(_ *mirror.RoundResult, err error) {
		if err != nil && !errors.Is(err, mirror.ErrAlarm) {
			log.Warn("mirror round", "party", d.party, "err", err)
		}
	}})
	if err != nil {
		log.Error("mirror alarm", "party", d.party, "err", err)
	}
}

func printDemoMirrors(w io.Writer, ms []*demoMirror) {
	fmt.Fprintln(w, "\nEach party's own mirror (verified copy, read-only; same logins as the cell):")
	for _, d := range ms {
		fmt.Fprintf(w, "  %-14s %s/\n", d.name, d.url)
	}
}
