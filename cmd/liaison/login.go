package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
)

func runLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("login", stderr)
	server := fs.String("server", "", "server URL, e.g. https://liaison.example (default: the last one)")
	username := fs.String("username", "", "your username")
	cellID := fs.String("cell", "", "cell id (default: the server's default cell)")
	keyFile := fs.String("key", "", "device key file to sign with (default: the remembered one, or <config>/keys/<member>.key)")
	pwStdin := fs.Bool("password-stdin", false, "read the password from stdin instead of the terminal")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (the password is never a flag: type it, or use --password-stdin)", fs.Arg(0))
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if *server == "" {
		*server = cfg.Server
	}
	if *server == "" || *username == "" {
		return errors.New("--server URL and --username NAME are required")
	}
	srv, err := normalizeServer(*server)
	if err != nil {
		return err
	}
	if strings.HasPrefix(srv, "http://") && !loopback(srv) {
		fmt.Fprintf(stderr, "warning: %s is plain HTTP: your password and token cross the network unencrypted\n", srv)
	}
	var key *record.DeviceKey
	if *keyFile != "" {
		if *keyFile, err = filepath.Abs(*keyFile); err != nil {
			return err
		}
		if key, err = record.ReadDeviceKey(*keyFile); err != nil {
			return err
		}
	}
	pw, err := readPassword(*pwStdin, fmt.Sprintf("Password for %s at %s: ", *username, srv), stderr)
	if err != nil {
		return err
	}
	res, err := client.New(srv, "").Login(ctx, *cellID, *username, pw)
	if err != nil {
		return err
	}
	c := client.New(srv, res.Token).WithCell(res.Cell)
	me, err := c.Me(ctx)
	if err != nil {
		return err
	}
	if key != nil && key.Member != "" && key.Member != me.Member.ID {
		c.Logout(ctx) //nolint:errcheck // the token is not kept
		return fmt.Errorf("key file %s belongs to %s, not %s", *keyFile, key.Member, me.Member.ID)
	}
	same := cfg.Server == srv && cfg.Cell == res.Cell && cfg.Member == me.Member.ID
	switch {
	case key != nil:
	case same && cfg.KeyFile != "":
		*keyFile = cfg.KeyFile
	default:
		if p := cfg.defaultKeyFile(me.Member.ID); fileExists(p) {
			*keyFile = p
		}
	}
	*cfg = config{dir: cfg.dir, Server: srv, Cell: res.Cell, Member: me.Member.ID, Token: res.Token, KeyFile: *keyFile}
	if err := cfg.save(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Signed in to %s as %s (%s, party %s) in cell %s; the session ends %s.\n",
		srv, me.Member.ID, me.Member.Name, me.Party.ID, res.Cell, res.Expires.UTC().Format(time.RFC3339))
	fmt.Fprintln(stdout, keyStatus(ctx, c, cfg, me))
	return nil
}

// keyStatus describes the remembered device key as the server sees it.
// At a party's mirror, c says of a key the mirror vouched for.
func keyStatus(ctx context.Context, c *client.Client, cfg *config, me *client.Me) string {
	if cfg.KeyFile == "" {
		return "No device key: create and register one with 'liaison key new' and 'liaison key register'."
	}
	k, err := record.ReadDeviceKey(cfg.KeyFile)
	if err != nil {
		return fmt.Sprintf("Device key %s: %v", cfg.KeyFile, err)
	}
	for _, rk := range me.Keys {
		if rk.ID != k.ID() {
			continue
		}
		if rk.Revoked {
			return fmt.Sprintf("Device key %s (%s) was revoked at entry %d: create a new one with 'liaison key new'.", k.ID(), cfg.KeyFile, rk.RevokedAt)
		}
		return fmt.Sprintf("Device key %s (%s), registered at entry %d.", k.ID(), cfg.KeyFile, rk.Registered)
	}
	if rk, pending, err := c.KeyState(ctx, k.ID()); err == nil && pending && rk.Member == me.Member.ID {
		return fmt.Sprintf("Device key %s (%s), vouched for by your party's mirror: it signs now, and reaches the cell's log when the line is up.", k.ID(), cfg.KeyFile)
	}
	return fmt.Sprintf("Device key %s (%s) is not registered: run 'liaison key register'.", k.ID(), cfg.KeyFile)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func runLogout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("logout", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	err = c.Logout(ctx)
	cfg.Token = ""
	if serr := cfg.save(); serr != nil {
		return serr
	}
	if err != nil && !client.IsStatus(err, 401) {
		return fmt.Errorf("the token was forgotten here, but the server did not confirm ending the session: %w", err)
	}
	fmt.Fprintf(stdout, "Signed out of %s.\n", cfg.Server)
	return nil
}

func runWhoami(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("whoami", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		return sessionError(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "member\t%s (%s)\n", me.Member.ID, me.Member.Name)
	fmt.Fprintf(tw, "party\t%s (%s, %s)\n", me.Party.ID, me.Party.Name, partyKind(me.Party.Kind))
	fmt.Fprintf(tw, "roles\t%s\n", strings.Join(me.Member.Roles, ", "))
	fmt.Fprintf(tw, "cell\t%s at %s\n", me.Cell, cfg.Server)
	fmt.Fprintf(tw, "session\t%s, ends %s\n", me.Session.Kind, me.Session.Expires.UTC().Format(time.RFC3339))
	tw.Flush()
	fmt.Fprintln(stdout, keyStatus(ctx, c, cfg, me))
	return nil
}

func partyKind(k string) string {
	switch k {
	case cell.Mediator:
		return "the mediator"
	case cell.Observer:
		return "an observer"
	}
	return "a party"
}
