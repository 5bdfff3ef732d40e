package mirror_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// serveOutbox serves m as 'liaison mirror --listen' does, its members'
// writes and uploads going to its outbox.
func serveOutbox(t *testing.T, m *mirror.Mirror) string {
	t.Helper()
	return serveMirrorWith(t, m, func(c *api.Config) {
		c.Relay = func(ctx context.Context, member string, env *record.Envelope) (api.RelayAnswer, error) {
			o, err := m.Submit(ctx, member, env)
			if err != nil {
				return api.RelayAnswer{}, err
			}
			return api.RelayAnswer{ID: o.ID, Landed: o.State == mirror.Landed, Index: o.Entry, Position: int64(o.Waiting)}, nil
		}
		c.Upload = func(ctx context.Context, member string, data []byte, typ string) (api.UploadAnswer, error) {
			o, err := m.Upload(ctx, member, data, typ)
			if err != nil {
				return api.UploadAnswer{}, err
			}
			return api.UploadAnswer{SHA256: o.Blob.SHA256, Size: o.Blob.Size,
				RelayAnswer: api.RelayAnswer{ID: o.ID, Landed: o.State == mirror.Landed, Position: int64(o.Waiting)}}, nil
		}
		c.HeldUpload = m.HoldsUpload
	})
}

// withFile is member's message on channel carrying the file sha.
func withFile(t *testing.T, d *testlog.Demo, member, channel, subject, sha string, size int) []byte {
	t.Helper()
	env, err := client.Sign(d.Key(t, member), testlog.Cell, hotline.KindMessageSend, map[string]any{
		"channel": channel, "subject": subject, "body": "See the photograph.", "lang": "en", "precedence": "IMMEDIATE",
		"attachments": []map[string]any{{"sha256": sha, "name": "crossing.jpg", "size": size, "type": "image/jpeg"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	return b
}

func shaOf(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// With the line to the cell cut, Syria's duty officer attaches a
// photograph to a message at Syria's mirror: the file and the message wait
// in the outbox, in that order, through the mirror's restart; when the
// line returns the upload reaches the cell before the message, once each,
// and the other parties the message is addressed to download the file at
// the cell. A file neither uploaded there nor in Syria's record is refused
// at the mirror as the cell refuses it, and the mirror serves the files it
// holds under the cell's rule.
func TestUploadAtTheMirrorLandsBeforeTheMessageCitingIt(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	cl := c.login(t, "sy.duty")
	dir := t.TempDir()
	open := func() *mirror.Mirror {
		m, err := mirror.Open(ctx, mirror.Config{Client: cl, Cell: testlog.Cell, Dir: dir, Key: d.Key(t, "sy.duty"), Registry: testlog.Registry(), Logger: testlog.Quiet()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	m := open()
	round(t, m)
	h, _ := auth.HashPassword(testlog.Password, auth.TestParams)
	if err := mirror.SetCredential(ctx, dir, "sy.military", h); err != nil {
		t.Fatal(err)
	}
	// Israel uploads a file at the cell and sends it on its own line only.
	ilTok := token(t, c.URL, "il.duty")
	israels := []byte("Israel's overlay, on Israel's line only")
	if code, b := post(t, c.URL, ilTok, "/api/v1/blobs", israels); code != http.StatusCreated {
		t.Fatalf("Israel's upload at the cell: %d %s", code, b)
	}
	if code, b := post(t, c.URL, ilTok, "/api/v1/messages", withFile(t, d, "il.duty", "line-il", "Overlay", shaOf(israels), len(israels))); code != http.StatusCreated {
		t.Fatalf("Israel's message at the cell: %d %s", code, b)
	}
	c.stop()

	url := serveOutbox(t, m)
	tok := token(t, url, "sy.military")
	photo := []byte("\xff\xd8\xff\xe0 a photograph of the crossing at 0412Z")
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/blobs", bytes.NewReader(photo))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "image/jpeg")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code := resp.StatusCode
	var up api.UploadAnswer
	if code != http.StatusAccepted || json.Unmarshal(b, &up) != nil || up.SHA256 != shaOf(photo) || up.Size != int64(len(photo)) || up.Landed || up.Position != 1 {
		t.Fatalf("an upload at the mirror with the line down: %d %s; want 202, waiting first", code, b)
	}
	// Uploaded again (a retried request): the one upload.
	if code, b := post(t, url, tok, "/api/v1/blobs", photo); code != http.StatusAccepted || !bytes.Contains(b, []byte(`"position":1`)) {
		t.Errorf("the same upload again: %d %s", code, b)
	}
	// A draft is no one's to read, at the mirror as at the cell.
	if code, _ := get(t, url, tok, "/api/v1/blobs/"+up.SHA256); code != http.StatusNotFound {
		t.Errorf("a file uploaded and not yet sent, at the mirror: %d, want 404", code)
	}
	// The cell's size limit holds at the mirror.
	if code, b := post(t, url, tok, "/api/v1/blobs", make([]byte, api.MaxBlob+1)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("an upload over the cell's limit at the mirror: %d %s", code, b)
	}

	code, b = post(t, url, tok, "/api/v1/messages", withFile(t, d, "sy.military", "joint-military", "Crossing", up.SHA256, len(photo)))
	var sent api.RelayAnswer
	if code != http.StatusAccepted || json.Unmarshal(b, &sent) != nil || sent.Landed || sent.Position != 2 {
		t.Fatalf("a message citing the queued file: %d %s; want 202, waiting behind it", code, b)
	}
	// A file the mirror's outbox does not hold and Syria's record does not
	// name is refused as at the cell: one never uploaded, and Israel's.
	for name, sha := range map[string]string{"never uploaded": strings.Repeat("ab", 32), "Israel's": shaOf(israels)} {
		code, b := post(t, url, tok, "/api/v1/messages", withFile(t, d, "sy.military", "joint-military", "Not ours", sha, 10))
		var p api.Problem
		if code != http.StatusUnprocessableEntity || json.Unmarshal(b, &p) != nil || !strings.HasSuffix(p.Type, ":invalid") ||
			p.Detail != "no attachment "+sha+": upload it (POST /blobs) before sending" {
			t.Errorf("a message citing a file %s, at the mirror: %d %s", name, code, b)
		}
	}
	if r, err := m.Round(ctx); err == nil || r.Waiting != 2 {
		t.Errorf("a round with the line down: %+v, %v; want an error, the upload and the message waiting", r, err)
	}
	if st := m.Status(); st.Waiting != 2 {
		t.Errorf("the status counts %d waiting, want the upload and the message", st.Waiting)
	}

	// The outbox, the file with it, outlives the mirror's restart.
	m.Close()
	box, err := mirror.ReadOutbox(ctx, dir)
	if err != nil || len(box) != 2 {
		t.Fatalf("the outbox after a restart: %+v, %v", box, err)
	}
	if q := box[0]; q.Kind != hotline.KindAttachmentUpload || q.Member != "sy.military" || q.Blob == nil || q.Blob.SHA256 != up.SHA256 ||
		q.Blob.Size != int64(len(photo)) || q.Blob.Type != "image/jpeg" || q.Envelope != nil || q.State != mirror.Waiting {
		t.Errorf("the queued upload: %+v", q)
	}
	if q := box[1]; q.Kind != hotline.KindMessageSend || q.Member != "sy.military" || q.Blob != nil {
		t.Errorf("the queued message: %+v", q)
	}
	m = open()
	url = serveOutbox(t, m)
	tok = token(t, url, "sy.military")
	if held, err := m.HoldsUpload(ctx, up.SHA256); err != nil || !held {
		t.Errorf("the reopened mirror holds the upload: %v, %v", held, err)
	}

	// The line returns: the upload, then the message, once each.
	c = startCellAt(t, d.Dir, nil, c.Addr)
	if r := round(t, m); r.Sent != 2 || r.Refused != 0 || r.Waiting != 0 {
		t.Fatalf("the round when the line returned: %+v, want both sent", r)
	}
	if r, err := m.Flush(ctx); err != nil || len(r.Landed)+len(r.Refused)+r.Waiting != 0 {
		t.Errorf("a flush with nothing left: %+v, %v", r, err)
	}
	if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	round(t, m)
	uploadAt, messageAt, uploads := int64(-1), int64(-1), 0
	for _, e := range mirrorEntries(t, m) {
		switch e.Envelope.Kind() {
		case hotline.KindAttachmentUpload:
			var p hotline.UploadPayload
			if json.Unmarshal(e.Envelope.Payload, &p) != nil || p.SHA256 != up.SHA256 {
				continue
			}
			uploads++
			uploadAt = e.Index
			// The cell took the bytes from the mirror's own member, of
			// Syria: the party's upload, which the message's check asks for.
			if p.Party != "sy" || p.Member != "sy.duty" {
				t.Errorf("the upload entry names %s of %s, want the mirror's sy.duty", p.Member, p.Party)
			}
		case hotline.KindMessageSend:
			if bytes.Contains(e.Envelope.Payload, []byte(up.SHA256)) {
				messageAt = e.Index
				if e.Member != "sy.military" || e.Party != "sy" {
					t.Errorf("the message landed as %s of %s, want its author's", e.Member, e.Party)
				}
			}
		}
	}
	if uploads != 1 || uploadAt < 0 || messageAt <= uploadAt {
		t.Errorf("%d upload entries, the upload at %d, the message at %d: want one upload, before the message", uploads, uploadAt, messageAt)
	}

	// Israel and the mediator, to whom the message is addressed, download
	// the photograph at the cell.
	for _, member := range []string{"il.duty", "us.duty"} {
		if code, b := get(t, c.URL, token(t, c.URL, member), "/api/v1/blobs/"+up.SHA256); code != http.StatusOK || !bytes.Equal(b, photo) {
			t.Errorf("%s downloads the photograph at the cell: %d %q", member, code, b)
		}
	}
	// At the mirror, once the message is in Syria's record, its file is
	// Syria's members' to download there; Israel's file, which the mirror
	// does not hold and Syria may not read, is not served.
	if code, b := get(t, url, tok, "/api/v1/blobs/"+up.SHA256); code != http.StatusOK || !bytes.Equal(b, photo) {
		t.Errorf("the photograph at the mirror: %d %q", code, b)
	}
	if code, b := get(t, url, tok, "/api/v1/blobs/"+shaOf(israels)); code != http.StatusNotFound || bytes.Contains(b, israels) {
		t.Errorf("Israel's file at Syria's mirror: %d %s", code, b)
	}

	// With the line up, an upload reaches the cell at once, and a member
	// of another party is not taken as an uploader.
	more := []byte("a second photograph")
	if code, b := post(t, url, tok, "/api/v1/blobs", more); code != http.StatusCreated || !bytes.Contains(b, []byte(`"landed":true`)) {
		t.Errorf("an upload at the mirror with the line up: %d %s", code, b)
	}
	if _, err := m.Upload(ctx, "il.duty", more, ""); !errors.Is(err, mirror.ErrNotQueued) {
		t.Errorf("an upload for a member of another party: %v, want ErrNotQueued", err)
	}
}
