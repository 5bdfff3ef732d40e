package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/verify"
)

// runExport writes an evidence bundle of entries the signed-in member may
// read, for someone outside the cell to check with 'liaison verify
// --bundle'.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", stderr)
	message := fs.Int64("message", -1, "a message and every later entry about it you may read (acknowledgements, readbacks, receipts, translations, escalations)")
	list := fs.String("entries", "", "log indexes to cite: 12,15,20-22")
	out := fs.String("out", "", "file to write the bundle (or the registry) to")
	fs.StringVar(out, "o", "", "the same as --out")
	iati := fs.Bool("iati", false, "the commercial desk's registry as IATI 2.03 activities, as you read it (standard output without -o)")
	csv := fs.Bool("csv", false, "the commercial desk's registry as CSV, as you read it (standard output without -o)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *iati || *csv {
		if *iati && *csv || *message >= 0 || *list != "" {
			return errors.New("usage: liaison export --iati [-o FILE] | --csv [-o FILE]: one at a time, without --message or --entries")
		}
		return exportRegistry(ctx, *iati, *out, stdout, stderr)
	}
	if (*message < 0) == (*list == "") || *out == "" {
		return errors.New("usage: liaison export (--message N | --entries 12,15,20-22) --out FILE | --iati [-o FILE] | --csv [-o FILE]")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if cfg.Server == "" || cfg.Token == "" {
		return errNotSignedIn
	}
	src := verify.NewHTTPSource(client.New(cfg.Server, cfg.Token), cfg.Cell)
	var cited []int64
	if *message >= 0 {
		if cited, err = evidence.AboutMessage(ctx, src, *message); err != nil {
			return sessionError(err)
		}
	} else if cited, err = evidence.ParseIndexes(*list); err != nil {
		return fmt.Errorf("--entries: %w", err)
	}
	b, err := evidence.Build(ctx, src, cited)
	if err != nil {
		return sessionError(err)
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, append(data, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s: %d entries cited, %d in all, against the signed checkpoint of cell %s.\n", *out, len(b.Cited), len(b.Entries), b.Cell)
	fmt.Fprintf(stdout, "Whoever receives it checks it with: liaison verify --bundle %s\n", *out)
	return nil
}

// verifyBundle checks an evidence bundle offline and says what it shows.
func verifyBundle(path string, stdout io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var b evidence.Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("%s is not an evidence bundle: %w", path, err)
	}
	got, err := evidence.Check(&b)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(stdout, "Evidence verified: %d entries of cell %s, in its log of %d entries as its checkpoint signs it.\n", len(got.Cited), b.Cell, got.Checkpoint.Size)
	fmt.Fprintf(stdout, "Checkpoint key: %s\n  Compare it with the key the cell publishes (GET /api/v1/log/key, or 'liaison verify'): the bundle proves nothing against another key.\n\n", b.NoteKey)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "index\ttime (UTC)\tkind\tsigned by\twhat")
	for _, e := range got.Cited {
		who := e.Member + " (" + e.Party + ")"
		if e.Member == "" {
			who = "the cell's server"
		}
		var p map[string]any
		json.Unmarshal(e.Envelope.Payload, &p) //nolint:errcheck // checked above
		what := ""
		for _, k := range []string{"subject", "title", "readback", "verdict", "outcome", "text", "statement", "version", "level"} {
			switch v := p[k].(type) {
			case string, float64, bool: // an object (a draft's statement) says too much for a line
				what += fmt.Sprintf("%s: %v  ", k, v)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Index, e.Time.UTC().Format("2006-01-02 15:04:05"), e.Envelope.Kind(), who, strings.TrimSpace(what))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return proveStatements(got.Cited, stdout, path)
}

// proveStatements says what the bundle proves of each published statement
// in it, from the signed entries alone, and refuses a bundle whose
// statement evidence was cut: its entries each check, but a signature
// taken out with its place in the list would not otherwise be missed.
func proveStatements(cited []*record.Entry, stdout io.Writer, path string) error {
	proven, err := diplomacy.StatementsProven(cited)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, p := range proven {
		fmt.Fprintf(stdout, "\nStatement %s (%q), version %d, published at entry %d. Each language is bound by its hash:\n", p.Statement, p.Title, p.Version, p.Publication)
		for _, lang := range slices.Sorted(maps.Keys(p.Hashes)) {
			fmt.Fprintf(stdout, "  %s  %s\n", lang, p.Hashes[lang])
		}
		if p.Complete {
			fmt.Fprintf(stdout, "Signed by every party it requires (%s), each signature in this bundle; the text published is the one they signed (draft at entry %d).\n",
				strings.Join(p.Required, ", "), p.Draft)
		} else {
			fmt.Fprintln(stdout, "This bundle proves the publication alone: the drafts and signatures are for the parties it required to read.")
		}
	}
	return nil
}
