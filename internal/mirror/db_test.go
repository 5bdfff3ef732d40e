package mirror

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
)

// A mirror.db written before the outbox took uploads opens with the writes
// it holds still waiting, in order, and then takes uploads; one written by
// a newer binary is refused rather than misread.
func TestOldMirrorDatabaseOpens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "mirror.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The tables as the binary before uploads made them.
	if _, err := old.Exec(schema); err != nil {
		t.Fatal(err)
	}
	k, _ := record.NewDeviceKey()
	env, err := client.Sign(k, "cell", "message.send", map[string]any{"channel": "line-sy", "subject": "queued before the upgrade"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO outbox (member, kind, idem, queued, envelope) VALUES ('sy.duty', 'message.send', 'w1', 1, ?)`, env.Marshal()); err != nil {
		t.Fatal(err)
	}
	old.Close()

	d, err := openDB(dir)
	if err != nil {
		t.Fatalf("opening the old mirror.db: %v", err)
	}
	qs, err := d.outbox(ctx)
	if err != nil || len(qs) != 1 || qs[0].State != Waiting || qs[0].Blob != nil || string(qs[0].Envelope.Marshal()) != string(env.Marshal()) {
		t.Fatalf("the old outbox: %+v, %v; want its write, waiting", qs, err)
	}
	seq, err := d.enqueueBlob(ctx, "sy.duty", Blob{SHA256: strings.Repeat("ab", 32), Size: 3, Type: "image/jpeg"}, time.Now().UnixMilli())
	if err != nil || seq <= qs[0].Seq {
		t.Fatalf("an upload queued in the old outbox: %d, %v; want it after the write", seq, err)
	}
	d.close()
	// Opening again applies nothing twice.
	if d, err = openDB(dir); err != nil {
		t.Fatalf("opening the upgraded mirror.db again: %v", err)
	}
	if qs, err := d.outbox(ctx); err != nil || len(qs) != 2 || qs[1].Blob == nil || qs[1].Blob.Type != "image/jpeg" {
		t.Errorf("the outbox opened again: %+v, %v", qs, err)
	}
	if _, err := d.sql.Exec(`PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	d.close()
	if _, err := openDB(dir); err == nil || !strings.Contains(err.Error(), "newer than this binary's") {
		t.Errorf("a mirror.db of a newer binary: %v", err)
	}
}
