package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
)

// The outbox keeps one envelope per --id, under a name of fixed length
// however long the id, returns it unchanged for a retry, and drops what
// is older than a month when it writes.
func TestOutbox(t *testing.T) {
	cfg := &config{dir: t.TempDir(), Server: "http://127.0.0.1:8080", Cell: "il-sy", Member: "il.duty"}
	key, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	signs := 0
	sign := func(fields map[string]any) func() (*record.Envelope, error) {
		return func() (*record.Envelope, error) {
			signs++
			return client.Sign(key, cfg.Cell, hotline.KindMessageSend, fields)
		}
	}
	fields := map[string]any{"channel": "joint-military", "subject": "S", "id": strings.Repeat("x", 400)}
	first, _, err := outboxEnvelope(cfg, fields["id"].(string), fields, sign(fields))
	if err != nil {
		t.Fatalf("an id of 400 bytes: %v", err)
	}
	again, forget, err := outboxEnvelope(cfg, fields["id"].(string), fields, sign(fields))
	if err != nil || string(again.Marshal()) != string(first.Marshal()) || signs != 1 {
		t.Fatalf("a retry signed anew (%d signatures) or differs: %v", signs, err)
	}
	dir := filepath.Join(cfg.dir, "outbox")
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || len(ents[0].Name()) != 64+len(".json") {
		t.Fatalf("outbox holds %v", ents)
	}
	// A month later another send prunes it; a fresh one stays.
	old := time.Now().Add(-outboxKeep - time.Hour)
	if err := os.Chtimes(filepath.Join(dir, ents[0].Name()), old, old); err != nil {
		t.Fatal(err)
	}
	other := map[string]any{"channel": "joint-military", "subject": "T", "id": "t-1"}
	if _, _, err := outboxEnvelope(cfg, "t-1", other, sign(other)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ents[0].Name())); !os.IsNotExist(err) {
		t.Errorf("a month-old envelope is still kept: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("after pruning the outbox holds %d envelopes, want the fresh one", len(ents))
	}
	forget() // of a file already pruned: no harm
}
