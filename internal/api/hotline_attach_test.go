package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// A Syrian officer who has learnt the hash of a file on Israel's line
// (from a leak, or by guessing its content) must not be able to attach it
// to a message of Syria's and so obtain it, nor learn from the answer that
// the file exists: the refusal is word for word the one for a hash nobody
// ever uploaded, and nothing is written to the log.
func TestAttachmentFromAnotherLineIsRefusedAsUnknown(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, sy := ts.login(t, "il.duty"), ts.login(t, "sy.duty")
		withAttachment := func(channel, sha string) map[string]any {
			m := message(channel, hotline.Routine, "Overlay", "See the attachment.")
			m["attachments"] = []map[string]any{{"sha256": sha, "name": "overlay.geojson", "size": 20, "type": "application/geo+json"}}
			return m
		}

		secret := il.upload(t, []byte("israeli sector overlay"))
		il.sendMessage(t, withAttachment("line-il", secret))

		before := ts.size(t)
		stolen := sy.submit(t, "POST", "/api/v1/messages", sy.sign(hotline.KindMessageSend, withAttachment("joint-military", secret)))
		nobody := strings.Repeat("c3", 32)
		missing := sy.submit(t, "POST", "/api/v1/messages", sy.sign(hotline.KindMessageSend, withAttachment("joint-military", nobody)))
		p := wantType(t, stolen, http.StatusUnprocessableEntity, "invalid")
		if !strings.Contains(p.Detail, "no attachment "+secret) {
			t.Errorf("the refusal does not name the attachment: %q", p.Detail)
		}
		if stolen.Status != missing.Status || strings.ReplaceAll(string(stolen.Body), secret, "H") != strings.ReplaceAll(string(missing.Body), nobody, "H") {
			t.Errorf("Israel's file is refused as\n%s\na file never uploaded as\n%s", stolen, missing)
		}
		if ts.size(t) != before {
			t.Error("a refused attachment was written to the log")
		}
		wantType(t, sy.get(t, "/api/v1/blobs/"+secret), http.StatusNotFound, "not-found")

		// What Syria uploaded itself it may attach, and Israel may forward
		// its own file to the joint channel.
		own := sy.upload(t, []byte("syrian sector overlay"))
		sy.sendMessage(t, withAttachment("joint-military", own))
		il.sendMessage(t, withAttachment("joint-military", secret))
	})
}

// A file Israel has uploaded but not yet sent is Israel's alone: Syria,
// knowing its hash, may not attach it (and so read it), and is refused in
// the words used for a file nobody uploaded. The log records the upload
// for Israel and the mediator, never for Syria.
func TestUploadNotYetSentIsTheUploadersAlone(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, sy, us := ts.login(t, "il.duty"), ts.login(t, "sy.duty"), ts.login(t, "us.duty")
		data := []byte("draft overlay, not yet sent")
		up := struct{ SHA256 string }{il.upload(t, data)}
		// A second upload of the same bytes by the same party is no new entry.
		before := ts.size(t)
		il.upload(t, data)
		if ts.size(t) != before {
			t.Error("uploading the same bytes twice wrote a second entry")
		}

		attach := func(c *client, sha string) reply {
			m := message("joint-military", hotline.Routine, "Overlay", "Attached.")
			m["attachments"] = []map[string]any{{"sha256": sha, "name": "o.geojson", "size": len(data), "type": "application/geo+json"}}
			return c.submit(t, "POST", "/api/v1/messages", c.sign(hotline.KindMessageSend, m))
		}
		nobody := strings.Repeat("d4", 32)
		stolen, missing := attach(sy, up.SHA256), attach(sy, nobody)
		wantType(t, stolen, http.StatusUnprocessableEntity, "invalid")
		if strings.ReplaceAll(string(stolen.Body), up.SHA256, "H") != strings.ReplaceAll(string(missing.Body), nobody, "H") {
			t.Errorf("Israel's unsent file is refused as\n%s\na file never uploaded as\n%s", stolen, missing)
		}
		wantType(t, sy.get(t, "/api/v1/blobs/"+up.SHA256), http.StatusNotFound, "not-found")
		// Nor by the generic route, which takes any signed command.
		m := message("joint-military", hotline.Routine, "Overlay", "Attached.")
		m["attachments"] = []map[string]any{{"sha256": up.SHA256, "name": "o.geojson", "size": len(data), "type": "application/geo+json"}}
		wantType(t, sy.submit(t, "POST", "/api/v1/entries", sy.sign(hotline.KindMessageSend, m)), http.StatusUnprocessableEntity, "invalid")

		uploads := func(c *client) (n int) {
			t.Helper()
			var page struct {
				Entries []struct {
					Kind    string         `json:"kind"`
					Payload map[string]any `json:"payload"`
				} `json:"entries"`
			}
			c.getJSON(t, "/api/v1/entries?after=-1&limit=1000", &page)
			for _, e := range page.Entries {
				if e.Kind == hotline.KindAttachmentUpload && e.Payload["sha256"] == up.SHA256 {
					n++
				}
			}
			return n
		}
		if n := uploads(il); n != 1 {
			t.Errorf("Israel reads %d entries of its upload, want 1", n)
		}
		if n := uploads(us); n != 1 {
			t.Errorf("the mediator reads %d entries of Israel's upload, want 1", n)
		}
		if n := uploads(sy); n != 0 {
			t.Errorf("Syria reads %d entries of Israel's upload", n)
		}

		// Israel itself may send it.
		if r := attach(il, up.SHA256); r.Status != http.StatusCreated {
			t.Fatalf("Israel sending its own upload: %s", r)
		}

		// Bytes stored without an upload entry (as before uploads were
		// logged, or when the server stopped between the two) are attached
		// by nobody until someone uploads them again.
		old := []byte("stored before uploads were logged")
		sum := sha256.Sum256(old)
		oldSHA := hex.EncodeToString(sum[:])
		if err := ts.Store.PutBlob(context.Background(), oldSHA, old); err != nil {
			t.Fatal(err)
		}
		wantType(t, attach(sy, oldSHA), http.StatusUnprocessableEntity, "invalid")
		sy.upload(t, old)
		if r := attach(sy, oldSHA); r.Status != http.StatusCreated {
			t.Fatalf("Syria sending bytes it uploaded again: %s", r)
		}
	})
}

// A member downloads the evidence bundle of a message it may read; it
// checks offline and holds the acknowledgement. Of a message on another
// party's line there is nothing, as for one that does not exist.
func TestEvidenceBundle(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, sy := ts.login(t, "il.duty"), ts.login(t, "sy.duty")
		id := il.sendMessage(t, message("joint-military", hotline.Routine, "Convoy at 1400Z", "A convoy crosses at 1400Z."))
		sy.onMessage(t, id, "ack", hotline.KindMessageAck, nil)
		if err := ts.Ledger.SignCheckpoint(context.Background(), testlog.Cell); err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/messages/" + itoa(id) + "/evidence"
		r := sy.get(t, path)
		if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("GET %s: %s", path, r)
		}
		var b evidence.Bundle
		decode(t, r, &b)
		got, err := evidence.Check(&b)
		if err != nil {
			t.Fatal(err)
		}
		kinds := []string{}
		for _, e := range got.Cited {
			kinds = append(kinds, e.Envelope.Kind())
		}
		if len(kinds) != 2 || kinds[0] != hotline.KindMessageSend || kinds[1] != hotline.KindMessageAck {
			t.Errorf("the bundle cites %v", kinds)
		}

		// Any entries by index: one the caller may read checks; one it may
		// not is as absent as one past the end.
		r = sy.get(t, "/api/v1/evidence?entries="+itoa(id))
		if r.Status != http.StatusOK {
			t.Fatalf("GET /evidence: %s", r)
		}
		var one evidence.Bundle
		decode(t, r, &one)
		if _, err := evidence.Check(&one); err != nil || len(one.Cited) != 1 {
			t.Errorf("the bundle of entry %d: %v, cites %v", id, err, one.Cited)
		}
		wantType(t, sy.get(t, "/api/v1/evidence?entries=3-x"), http.StatusBadRequest, "bad-request")
		// Past the log's end an entry will never be signed: it does not
		// exist, and saying "try again" would be a lie.
		n := ts.size(t)
		for _, q := range []string{itoa(n), itoa(id) + "," + itoa(n+3), "9223372036854775000"} {
			p := wantType(t, sy.get(t, "/api/v1/evidence?entries="+q), http.StatusNotFound, "not-found")
			if !strings.Contains(p.Detail, "the log has "+itoa(n)+" entries") {
				t.Errorf("entries=%s: %q", q, p.Detail)
			}
		}

		secret := ts.login(t, "us.duty").sendMessage(t, message("line-sy", hotline.Routine, "For Syria", "Only for Syria."))
		if err := ts.Ledger.SignCheckpoint(context.Background(), testlog.Cell); err != nil {
			t.Fatal(err)
		}
		hidden := il.get(t, "/api/v1/messages/"+itoa(secret)+"/evidence")
		wantType(t, hidden, http.StatusNotFound, "not-found")
		byIndex := il.get(t, "/api/v1/evidence?entries="+itoa(secret))
		wantType(t, byIndex, http.StatusNotFound, "not-found")
		if strings.Contains(string(byIndex.Body), "For Syria") {
			t.Errorf("the refusal shows Syria's line: %s", byIndex)
		}
		missing := il.get(t, "/api/v1/messages/999999/evidence")
		if hidden.Status != missing.Status || strings.ReplaceAll(string(hidden.Body), itoa(secret), "N") != strings.ReplaceAll(string(missing.Body), "999999", "N") {
			t.Errorf("another party's message answers\n%s\nand a missing one\n%s", hidden, missing)
		}
	})
}
