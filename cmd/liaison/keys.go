package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/liaison-cell/liaison/internal/record"
)

const keyUsage = `usage: liaison key <command>

  new      [--out FILE] [--force]        make a device key (default <config>/keys/<member>.key)
  register [--key FILE] [--label TEXT]   register it: the command is signed by the key itself
  list     [--member M]                  list a member's keys (default: yours)
  revoke   ID [--reason TEXT]            revoke a key, signing with your device key`

func runKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, keyUsage)
		if len(args) == 0 {
			return errors.New("name a key command")
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "new":
		return keyNew(args[1:], stdout, stderr)
	case "register":
		return keyRegister(ctx, args[1:], stdout, stderr)
	case "list":
		return keyList(ctx, args[1:], stdout, stderr)
	case "revoke":
		return keyRevoke(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, keyUsage)
	return fmt.Errorf("unknown key command %q", args[0])
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("revoke ID --reason x"), and returns those.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func keyNew(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("key new", stderr)
	out := fs.String("out", "", "key file to write (default <config>/keys/<member>.key)")
	force := fs.Bool("force", false, "overwrite an existing key file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if *out == "" {
		if cfg.Member == "" {
			return errors.New("not signed in, so no default key file: give --out FILE")
		}
		*out = cfg.defaultKeyFile(cfg.Member)
	}
	if *out, err = filepath.Abs(*out); err != nil {
		return err
	}
	if fileExists(*out) && !*force {
		return fmt.Errorf("%s exists: a key file is not overwritten without --force (a registered key lost is a key to revoke)", *out)
	}
	k, err := record.NewDeviceKey()
	if err != nil {
		return err
	}
	k.Member, k.Server = cfg.Member, cfg.Server
	if err := k.WriteFile(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "New device key %s written to %s (readable by you only).\n", k.ID(), *out)
	fmt.Fprintf(stdout, "Register it with: liaison key register --key %s\n", *out)
	return nil
}

func keyRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("key register", stderr)
	file := fs.String("key", "", "key file (default <config>/keys/<member>.key)")
	label := fs.String("label", "", "label to recognise the key by (default: liaison CLI on <host>)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	if *file == "" {
		*file = cfg.defaultKeyFile(cfg.Member)
	}
	if *file, err = filepath.Abs(*file); err != nil {
		return err
	}
	k, err := record.ReadDeviceKey(*file)
	if err != nil {
		return err
	}
	if k.Member != "" && k.Member != cfg.Member {
		return fmt.Errorf("key file %s belongs to %s; you are signed in as %s", *file, k.Member, cfg.Member)
	}
	if *label == "" {
		host, _ := os.Hostname()
		*label = "liaison CLI on " + host
	}
	sub, err := c.RegisterKey(ctx, cfg.Cell, cfg.Member, k, *label)
	if err != nil {
		return sessionError(err)
	}
	cfg.KeyFile = *file
	if err := cfg.save(); err != nil {
		return err
	}
	if r := sub.Relayed; r != nil && !r.Landed {
		// At a party's mirror with the line down: the key signs at once,
		// and the mirror sends what it signs after its registration.
		fmt.Fprintf(stdout, "Device key %s for %s is vouched for by your party's mirror; it signs your commands from now on, and they reach the cell after it.\n", k.ID(), cfg.Member)
		return queuedAt(sub, err)
	}
	fmt.Fprintf(stdout, "Registered device key %s for %s at entry %d; it signs your commands from now on.\n", k.ID(), cfg.Member, sub.Entry.Index)
	return nil
}

func keyList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("key list", stderr)
	member := fs.String("member", "", "whose keys (default: yours)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	if *member == "" {
		*member = cfg.Member
	}
	keys, err := c.Keys(ctx, *member)
	if err != nil {
		return sessionError(err)
	}
	mine := ""
	if k, err := cfg.deviceKey(); err == nil {
		mine = k.ID()
	}
	if len(keys) == 0 {
		fmt.Fprintf(stdout, "%s has no device keys.\n", *member)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLABEL\tREGISTERED\tSTATUS")
	for _, k := range keys {
		status := "active"
		if k.Revoked {
			status = fmt.Sprintf("revoked at entry %d", k.RevokedAt)
		}
		if k.ID == mine {
			status += " (this device)"
		}
		fmt.Fprintf(tw, "%s\t%s\tentry %d\t%s\n", k.ID, k.Label, k.Registered, status)
	}
	return tw.Flush()
}

func keyRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("key revoke", stderr)
	reason := fs.String("reason", "", "why (recorded in the log)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: liaison key revoke ID [--reason TEXT]")
	}
	id := pos[0]
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	signer, err := cfg.deviceKey()
	if err != nil {
		return err
	}
	sub, err := c.RevokeKey(ctx, cfg.Cell, signer, id, *reason)
	if err != nil {
		return sessionError(err)
	}
	fmt.Fprintf(stdout, "Revoked key %s at entry %d.\n", id, sub.Entry.Index)
	if id == signer.ID() {
		cfg.KeyFile = ""
		if err := cfg.save(); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "That was this device's key: make a new one with 'liaison key new' and 'liaison key register'.")
	}
	return nil
}
