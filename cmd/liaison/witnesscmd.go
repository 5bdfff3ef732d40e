package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/verify"
)

const witnessUsage = `usage: liaison witness <command>

  key new  [--out FILE] [--name NAME] [--force]  make your party's witness key (default <config>/keys/witness.key)
  register [--key FILE] [--label TEXT]           register it for your party (you must be an admin of it)
  list                                           the parties' witness keys
  revoke   ID [--reason TEXT]                    revoke one of your party's witness keys
  cosign   [--key FILE]                          verify the log as your party reads it, that it extends
                                                 the checkpoint you last verified, and cosign the checkpoint`

func runWitness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, witnessUsage)
		if len(args) == 0 {
			return errors.New("name a witness command")
		}
		return flag.ErrHelp
	}
	switch {
	case args[0] == "key" && len(args) > 1 && args[1] == "new":
		return witnessKeyNew(ctx, args[2:], stdout, stderr)
	case args[0] == "register":
		return witnessRegister(ctx, args[1:], stdout, stderr)
	case args[0] == "list":
		return witnessList(ctx, args[1:], stdout, stderr)
	case args[0] == "revoke":
		return witnessRevoke(ctx, args[1:], stdout, stderr)
	case args[0] == "cosign":
		return witnessCosign(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, witnessUsage)
	return fmt.Errorf("unknown witness command %q", args[0])
}

func (c *config) defaultWitnessKey() string { return filepath.Join(c.dir, "keys", "witness.key") }

func witnessKeyFile(cfg *config, file string) (string, error) {
	if file == "" {
		return cfg.defaultWitnessKey(), nil
	}
	return filepath.Abs(file)
}

// readWitnessKey reads the witness key in file, or the default one.
func readWitnessKey(cfg *config, file string) (*record.WitnessKey, error) {
	path, err := witnessKeyFile(cfg, file)
	if err != nil {
		return nil, err
	}
	return record.ReadWitnessKey(path)
}

func witnessKeyNew(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("witness key new", stderr)
	out := fs.String("out", "", "key file to write (default <config>/keys/witness.key)")
	name := fs.String("name", "", "the key name of its signature lines (default liaison-witness/<cell>/<party>)")
	force := fs.Bool("force", false, "overwrite an existing key file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if *out, err = witnessKeyFile(cfg, *out); err != nil {
		return err
	}
	if fileExists(*out) && !*force {
		return fmt.Errorf("%s exists: a key file is not overwritten without --force (a registered key lost is a key to revoke)", *out)
	}
	if *name == "" {
		c, err := cfg.client()
		if err != nil {
			return fmt.Errorf("not signed in, so no default name: give --name NAME (%w)", err)
		}
		me, err := c.Me(ctx)
		if err != nil {
			return sessionError(err)
		}
		*name = "liaison-witness/" + me.Cell + "/" + me.Party.ID
	}
	k, err := record.NewWitnessKey(*name)
	if err != nil {
		return err
	}
	if err := k.WriteFile(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "New witness key written to %s (readable by you only):\n  %s\n", *out, k.VerifierKey())
	fmt.Fprintf(stdout, "Register it for your party with: liaison witness register --key %s\n", *out)
	return nil
}

func witnessRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("witness register", stderr)
	file := fs.String("key", "", "witness key file (default <config>/keys/witness.key)")
	label := fs.String("label", "", "label to recognise the key by")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	wk, err := readWitnessKey(cfg, *file)
	if err != nil {
		return err
	}
	dk, err := cfg.deviceKey()
	if err != nil {
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		return sessionError(err)
	}
	sub, err := c.RegisterWitness(ctx, cfg.Cell, me.Party.ID, dk, wk, *label)
	if err != nil {
		return sessionError(err)
	}
	fmt.Fprintf(stdout, "Registered witness key %s of %s at entry %d:\n  %s\n", record.KeyID(wk.Public()), me.Party.Name, sub.Entry.Index, wk.VerifierKey())
	return nil
}

func witnessList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("witness list", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	ws, err := c.Witnesses(ctx)
	if err != nil {
		return sessionError(err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPARTY\tENTRY\tSTATE\tVERIFIER KEY")
	for _, w := range ws {
		state := "active"
		if w.Revoked {
			state = fmt.Sprintf("revoked at %d", w.RevokedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", w.ID, w.Party, w.Registered, state, w.VerifierKey)
	}
	return tw.Flush()
}

func witnessRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("witness revoke", stderr)
	reason := fs.String("reason", "", "why (kept in the log)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: liaison witness revoke ID [--reason TEXT]")
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	dk, err := cfg.deviceKey()
	if err != nil {
		return err
	}
	sub, err := c.RevokeWitness(ctx, cfg.Cell, dk, pos[0], *reason)
	if err != nil {
		return sessionError(err)
	}
	fmt.Fprintf(stdout, "Revoked witness key %s at entry %d.\n", pos[0], sub.Entry.Index)
	return nil
}

// witnessCosign is one round of a witness: verify the log as the party
// reads it (every leaf, every readable entry, and consistency with the
// checkpoint this user last verified), then cosign that checkpoint and
// return the cosignature to the cell.
func witnessCosign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("witness cosign", stderr)
	file := fs.String("key", "", "witness key file (default <config>/keys/witness.key)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	wk, err := readWitnessKey(cfg, *file)
	if err != nil {
		return err
	}
	r, err := verify.Verify(ctx, verify.NewHTTPSource(c, cfg.Cell), verify.Options{StateDir: cfg.checkpointDir()})
	if err != nil {
		return &exitError{code: 3, err: fmt.Errorf("not cosigned: %w", sessionError(err))}
	}
	cos, err := wk.Cosign(r.Note, r.VerifierKey)
	if err != nil {
		return err
	}
	rec, err := c.AddCosignatures(ctx, cos)
	if err != nil {
		return sessionError(err)
	}
	printVerified(stdout, r)
	fmt.Fprintf(stdout, "Cosigned the checkpoint of size %d as %s; the cell keeps %d cosignature(s) from this request.\n",
		rec.Size, wk.Name, len(rec.Cosignatures))
	return nil
}
