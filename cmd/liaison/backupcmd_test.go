package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// A backup taken while the server takes messages is a verified log, its
// projections match it, and it carries the attachments and the secret
// keys (mode 0600): serving from it is a working cell.
func TestBackupWhileServing(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	c := client.New(url, "")
	login, err := c.Login(ctx, testlog.Cell, "il.duty", testlog.Password)
	if err != nil {
		t.Fatal(err)
	}
	c = c.WithToken(login.Token).WithCell(testlog.Cell)
	key, err := record.ReadDeviceKey(filepath.Join(d.KeyDir, "il.duty.key"))
	if err != nil {
		t.Fatal(err)
	}
	send := func(subject string, extra map[string]any) error {
		fields := map[string]any{"channel": "joint-military", "subject": subject, "body": "Backup drill.", "lang": "en", "precedence": hotline.Routine}
		for k, v := range extra {
			fields[k] = v
		}
		env, err := client.Sign(key, testlog.Cell, hotline.KindMessageSend, fields)
		if err != nil {
			return err
		}
		_, err = c.Submit(ctx, "/messages", env)
		return err
	}
	overlay := []byte("overlay carried into the backup")
	sha, err := c.PutBlob(ctx, overlay)
	if err != nil {
		t.Fatal(err)
	}
	if err := send("Overlay", map[string]any{"attachments": []map[string]any{{"sha256": sha, "name": "o.txt", "size": len(overlay), "type": "text/plain"}}}); err != nil {
		t.Fatal(err)
	}

	// Messages keep arriving while the backup runs.
	stop, sent := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				sent <- n
				return
			default:
			}
			if send("Traffic", nil) == nil {
				n++
			}
		}
	}()
	dest := filepath.Join(t.TempDir(), "backup")
	var out, errb strings.Builder
	err = runBackup(ctx, []string{"--data", d.Dir, "--out", dest}, &out, &errb)
	close(stop)
	n := <-sent
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, errb.String())
	}
	t.Logf("%d messages sent during the backup\n%s", n, out.String())
	if !strings.Contains(out.String(), "entries backed up and verified") {
		t.Errorf("backup says:\n%s", out.String())
	}

	var rb strings.Builder
	if err := runRebuild(ctx, []string{"--data", dest}, &rb, io.Discard); err != nil || !strings.Contains(rb.String(), "the stored projections match the log") {
		t.Errorf("rebuild of the backup: %v\n%s", err, rb.String())
	}
	if b, err := os.ReadFile(filepath.Join(dest, "blobs", sha[:2], sha)); err != nil || string(b) != string(overlay) {
		t.Errorf("the attachment in the backup: %q, %v", b, err)
	}
	secrets, err := os.ReadDir(filepath.Join(dest, "secrets"))
	if err != nil || len(secrets) == 0 {
		t.Fatalf("the backup holds no secret keys: %v", err)
	}
	for _, s := range secrets {
		info, err := s.Info()
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("secret %s: mode %v, %v", s.Name(), info.Mode(), err)
		}
	}
	if info, err := os.Stat(dest); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("backup directory mode: %v, %v", info.Mode(), err)
	}

	// Never over an existing backup, nor inside the data directory, nor
	// of PostgreSQL.
	for _, args := range [][]string{
		{"--data", d.Dir, "--out", dest},
		{"--data", d.Dir, "--out", filepath.Join(d.Dir, "backup")},
		{"--db", "postgres://localhost/x", "--out", t.TempDir()},
		{"--data", d.Dir},
	} {
		if err := runBackup(ctx, args, io.Discard, io.Discard); err == nil {
			t.Errorf("backup %v succeeded", args)
		}
	}
}
