package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Backup copies the data directory dir into dest, which must not exist or
// be empty, while a server may go on writing to dir: the database as one
// consistent snapshot (VACUUM INTO, which reads inside one transaction and
// blocks no writer), then the attachments and the secret keys. Attachments
// are copied after the snapshot, and a file is stored before any entry
// names it, so every attachment the snapshot names is in the copy. Every
// file is synced before Backup returns.
func Backup(ctx context.Context, dir, dest string) error {
	src := filepath.Join(dir, "liaison.db")
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("%s holds no Liaison database: %w", dir, err)
	}
	if ents, err := os.ReadDir(dest); err == nil && len(ents) > 0 {
		return fmt.Errorf("%s is not empty: back up into a new directory", dest)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dest, 0o700); err != nil {
		return err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+src+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer db.Close()
	out := filepath.Join(dest, "liaison.db")
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, out); err != nil {
		return fmt.Errorf("snapshot of %s: %w", src, err)
	}
	if err := syncFile(out); err != nil {
		return err
	}
	for _, sub := range []string{"blobs", "secrets"} {
		if err := copyTree(filepath.Join(dir, sub), filepath.Join(dest, sub)); err != nil {
			return err
		}
	}
	return syncDir(dest)
}

// copyTree copies the regular files under from into to (directories 0700,
// files 0600), skipping temporary files; a missing from copies nothing.
func copyTree(from, to string) error {
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o700)
		case !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".tmp-"):
			return nil
		}
		if err := copyFile(p, target); err != nil {
			return err
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return filepath.WalkDir(to, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(p)
	})
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes the names in a directory durable: a file created or
// renamed into it survives a crash only once its directory is synced.
func syncDir(p string) error {
	d, err := os.Open(p)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
