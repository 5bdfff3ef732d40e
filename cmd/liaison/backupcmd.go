package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/verify"
)

// runBackup copies a SQLite data directory, which a server may be writing
// to, and verifies the copy as 'liaison verify --data' would, so that a
// backup is known good when it is made rather than when it is needed.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	data := fs.String("data", "", "SQLite data directory to back up (the server may keep running)")
	out := fs.String("out", "", "new directory to write the backup into")
	db := fs.String("db", "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *db != "":
		return errors.New("back up a PostgreSQL deployment with pg_dump (or your database's own backups); 'liaison backup' copies a SQLite data directory")
	case *data == "" || *out == "":
		return errors.New("name the data directory and the backup's: --data DIR --out NEWDIR")
	}
	src, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	dest, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	if rel, err := filepath.Rel(src, dest); err == nil && filepath.IsLocal(rel) || src == dest {
		return fmt.Errorf("the backup %s would sit inside the data directory %s: choose a directory outside it", dest, src)
	}
	if err := sqlite.Backup(ctx, src, dest); err != nil {
		return err
	}
	st, err := sqlite.Open(ctx, dest)
	if err != nil {
		return fmt.Errorf("the backup in %s does not open: %w", dest, err)
	}
	defer st.Close()
	cells, err := st.Cells(ctx)
	if err != nil {
		return err
	}
	for _, c := range cells {
		s, err := verify.NewStoreSource(ctx, st, c, "sqlite:"+dest)
		if err != nil {
			return err
		}
		r, err := verify.Verify(ctx, s, verify.Options{})
		if err != nil {
			return fmt.Errorf("the backup of cell %s does not verify: %w", c, err)
		}
		fmt.Fprintf(stdout, "cell %s: %d entries backed up and verified\n", c, r.Size)
	}
	fmt.Fprintf(stdout, "Backup written to %s. Serve it with: liaison serve --data %s\n", dest, dest)
	if _, err := os.Stat(filepath.Join(dest, "secrets")); err == nil {
		fmt.Fprintln(stdout, "It holds the cell's secret keys: keep it where only the server's operators can read it.")
	}
	return nil
}
