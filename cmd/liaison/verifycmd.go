package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/verify"
)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", stderr)
	server := fs.String("server", "", "verify through this server's API, as the signed-in member (default: the server of 'liaison login')")
	var sf storeFlags
	sf.register(fs, "")
	cellID := fs.String("cell", "", "cell to verify in a store (default: its only cell)")
	bundle := fs.String("bundle", "", "check an evidence bundle ('liaison export') offline, with nothing but itself")
	if err := fs.Parse(args); err != nil {
		return err
	}
	set := setFlags(fs)
	if set["bundle"] {
		if len(set) > 1 {
			return errors.New("--bundle is checked on its own, with no server or store")
		}
		return verifyBundle(*bundle, stdout)
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	var src verify.Source
	switch {
	case set["server"] && (set["data"] || set["db"]):
		return errors.New("verify either --server or a store (--data, --db), not both")
	case set["data"] || set["db"] || (!set["server"] && sf.db != ""):
		st, name, err := openExisting(ctx, &sf)
		if err != nil {
			return err
		}
		defer st.Close()
		if src, err = verify.NewStoreSource(ctx, st, *cellID, name); err != nil {
			return err
		}
	default:
		if set["cell"] {
			return errors.New("--cell is for a store; over the API the cell is the one you signed in to")
		}
		if *server != "" {
			srv, err := normalizeServer(*server)
			if err != nil {
				return err
			}
			if srv != cfg.Server {
				return fmt.Errorf("you are not signed in to %s: run 'liaison login --server %s --username NAME' first", srv, srv)
			}
		}
		if cfg.Server == "" || cfg.Token == "" {
			return errNotSignedIn
		}
		src = verify.NewHTTPSource(client.New(cfg.Server, cfg.Token), cfg.Cell)
	}
	r, err := verify.Verify(ctx, src, verify.Options{StateDir: cfg.checkpointDir()})
	if err != nil {
		if client.IsStatus(err, 401) {
			return sessionError(err)
		}
		return fmt.Errorf("%s: %w", src.Name(), err)
	}
	printVerified(stdout, r)
	if len(r.Alarms) > 0 {
		return &exitError{code: 4, err: alarmsError(r.Alarms)}
	}
	return nil
}

// alarmsError says which proven alarms the log holds. Each entry checked
// and still the log fails: the cell's key signed two histories, and
// whoever reads only one of them was shown the other's lie.
func alarmsError(as []verify.Alarm) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ALARM: the log holds %d proven alarm(s): the cell's key signed two checkpoints no single history has", len(as))
	for _, a := range as {
		fmt.Fprintf(&b, "\n  entry %d: %s raised by %s (%s): checkpoints of sizes %d and %d: %s",
			a.Index, a.Kind, a.Member, a.PartyName, a.Small.Size, a.Large.Size, a.Detail)
	}
	return errors.New(b.String())
}

func printVerified(w io.Writer, r *verify.Result) {
	fmt.Fprintf(w, "Log of cell %s verified (%s).\n", r.Cell, r.Source)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	entries := fmt.Sprint(r.Size)
	if r.Size != r.Checkpoint.Size {
		entries += fmt.Sprintf(" (the signed checkpoint covers %d)", r.Checkpoint.Size)
	}
	fmt.Fprintf(tw, "  entries\t%s\n", entries)
	fmt.Fprintf(tw, "  root\t%s\n", base64.StdEncoding.EncodeToString(r.Checkpoint.Root[:]))
	key := r.VerifierKey
	if r.FirstUse {
		key += "  (first use: now trusted for this log)"
	}
	fmt.Fprintf(tw, "  checkpoint key\t%s\n", key)
	fmt.Fprintf(tw, "  entries read\t%d, with %d envelope signatures checked\n", r.Read, r.Signatures)
	if r.StoredHashes > 0 {
		fmt.Fprintf(tw, "  stored hashes\t%d recomputed from the entries\n", r.StoredHashes)
	}
	if r.Previous != nil {
		fmt.Fprintf(tw, "  consistency\textends the checkpoint of %d entries verified %s\n",
			r.Previous.Size, r.PreviousTime.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintf(tw, "  consistency\tfirst verification of this log: later runs will prove it only grew\n")
	}
	tw.Flush()
	if line := witnessedLine(r.Witnessed); line != "" {
		fmt.Fprintln(w, line)
	}
}

// witnessedLine says which parties' witnesses cosigned the log verified:
// "Verified by Israel, Syria and the United States at size N." Each
// cosigned a checkpoint this run found in the log's own leaves; the
// smallest such size is what all of them vouch for, and who went further
// is said after.
func witnessedLine(ws []verify.Witnessed) string {
	if len(ws) == 0 {
		return "Verified by no party's witness: no registered witness has cosigned a checkpoint of this log yet."
	}
	least := ws[len(ws)-1].Size
	var names []string
	var ahead []string
	for _, x := range ws {
		if !slices.Contains(names, x.PartyName) {
			names = append(names, x.PartyName)
		}
		if x.Size > least {
			ahead = append(ahead, fmt.Sprintf("%s at %d", x.PartyName, x.Size))
		}
	}
	slices.Sort(names)
	line := "Verified by " + andList(names) + " at size " + fmt.Sprint(least)
	if len(ahead) > 0 {
		line += " (" + strings.Join(ahead, ", ") + ")"
	}
	return line + "."
}

func andList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { m[f.Name] = true })
	return m
}

// openExisting opens the store that --data or --db names without creating
// one, and returns a name for it that carries no password.
func openExisting(ctx context.Context, sf *storeFlags) (store.Store, string, error) {
	var name string
	if sf.db != "" {
		u, err := url.Parse(sf.db)
		if err != nil {
			return nil, "", errors.New("--db is not a URL")
		}
		name = "postgres:" + u.Redacted()
	} else if sf.data != "" {
		dir, err := filepath.Abs(sf.data)
		if err != nil {
			return nil, "", err
		}
		if _, err := os.Stat(filepath.Join(dir, "liaison.db")); err != nil {
			return nil, "", fmt.Errorf("%s holds no Liaison data: %w", dir, err)
		}
		sf.data, name = dir, "sqlite:"+dir
	}
	st, err := sf.open(ctx)
	if err != nil {
		return nil, "", err
	}
	return st, name, nil
}
