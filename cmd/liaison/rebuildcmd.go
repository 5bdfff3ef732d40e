package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/liaison-cell/liaison/internal/rebuild"
)

func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rebuild", stderr)
	var sf storeFlags
	sf.register(fs, "")
	cellID := fs.String("cell", "", "cell to rebuild (default: every cell)")
	apply := fs.Bool("apply", false, "replace the stored projections with the replayed ones (stop the server first)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if sf.data == "" && sf.db == "" {
		return errors.New("name a store: --data DIR (SQLite) or --db URL (PostgreSQL)")
	}
	st, _, err := openExisting(ctx, &sf)
	if err != nil {
		return err
	}
	defer st.Close()
	cells := []string{*cellID}
	if *cellID == "" {
		if cells, err = st.Cells(ctx); err != nil {
			return err
		}
	}
	reg := newRegistry()
	var failed []string
	for _, c := range cells {
		rep, err := rebuild.Run(ctx, st, c, reg)
		if err != nil {
			return fmt.Errorf("cell %s: %w", c, err)
		}
		fmt.Fprintf(stdout, "cell %s: replayed %d entries into %d objects\n", c, rep.Entries, len(rep.Replayed))
		for _, d := range rep.EntryDiffs {
			fmt.Fprintf(stdout, "  %s\n", d)
		}
		for _, d := range rep.Diffs {
			fmt.Fprintf(stdout, "  %s\n", d)
		}
		switch {
		case rep.Equal():
			fmt.Fprintf(stdout, "cell %s: the stored projections match the log\n", c)
			continue
		case len(rep.Diffs) > 0 && *apply:
			if err := rebuild.Apply(ctx, st, rep, reg); err != nil {
				return fmt.Errorf("cell %s: %w", c, err)
			}
			fmt.Fprintf(stdout, "cell %s: replaced the projections of %d objects that differed; they now match the log\n", c, len(rep.Diffs))
		case len(rep.Diffs) > 0:
			fmt.Fprintf(stdout, "cell %s: %d objects differ from the log: run with --apply to replace the projections (with the server stopped)\n", c, len(rep.Diffs))
			failed = append(failed, fmt.Sprintf("%s: %d objects differ", c, len(rep.Diffs)))
		}
		if len(rep.EntryDiffs) > 0 {
			fmt.Fprintf(stdout, "cell %s: %d entries were logged with another audience than the domains now give them; --apply cannot change the log\n", c, len(rep.EntryDiffs))
			failed = append(failed, fmt.Sprintf("%s: %d entries' audiences differ", c, len(rep.EntryDiffs)))
		}
	}
	if failed != nil {
		return fmt.Errorf("projections differ from the log (%v)", failed)
	}
	return nil
}
