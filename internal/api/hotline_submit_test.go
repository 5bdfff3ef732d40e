package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
)

// countSubject counts the messages of a channel with a subject.
func countSubject(t *testing.T, c *client, channel, subject string) int {
	t.Helper()
	n := 0
	for _, m := range c.messages(t, channel) {
		if m.Subject == subject {
			n++
		}
	}
	return n
}

// A retried send with the same idempotency id creates one message; the
// same id with another body is refused.
func TestHotlineSendIsIdempotent(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il := ts.login(t, "il.military")
		const subject = "Artillery exercise 1400Z"
		fields := map[string]any{"id": "retry-1", "time": time.Now().UTC().Format(time.RFC3339Nano), "cell": seed.DemoCell,
			"channel": "joint-military", "subject": subject, "body": "Live fire south of the line, 1400Z to 1600Z.", "lang": "en", "precedence": hotline.Immediate}
		raw := func(f map[string]any) *record.Envelope {
			b, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			return record.Sign(hotline.KindMessageSend, b, il.key.Private)
		}
		env := raw(fields)
		first := il.submitOK(t, "POST", "/api/v1/messages", env, http.StatusCreated)
		if first.Duplicate {
			t.Fatal("the first send is a duplicate")
		}
		size := ts.size(t)
		// The same envelope again (a client that never saw the answer),
		// and through the generic endpoint.
		for _, path := range []string{"/api/v1/messages", "/api/v1/entries"} {
			again := il.submitOK(t, "POST", path, env, http.StatusOK)
			if !again.Duplicate || again.Entry.Index != first.Entry.Index || again.Entry.LeafHash != first.Entry.LeafHash {
				t.Errorf("retry through %s: duplicate %v, entry %d, want the first, %d", path, again.Duplicate, again.Entry.Index, first.Entry.Index)
			}
		}
		// Signed again, the same command: still the first.
		resigned := il.submitOK(t, "POST", "/api/v1/messages", raw(fields), http.StatusOK)
		if !resigned.Duplicate || resigned.Entry.Index != first.Entry.Index {
			t.Errorf("re-signed retry: duplicate %v, entry %d", resigned.Duplicate, resigned.Entry.Index)
		}
		if n := countSubject(t, il, "joint-military", subject); n != 1 {
			t.Errorf("the channel holds %d copies of the message", n)
		}
		if got := ts.size(t); got != size {
			t.Errorf("retries grew the log from %d to %d", size, got)
		}

		// The same id, another body: a conflict, and nothing appended.
		changed := map[string]any{}
		for k, v := range fields {
			changed[k] = v
		}
		changed["body"] = "Live fire north of the line."
		wantType(t, il.submit(t, "POST", "/api/v1/messages", raw(changed)), http.StatusConflict, "conflict")
		if got := ts.size(t); got != size {
			t.Errorf("a conflicting retry grew the log from %d to %d", size, got)
		}
		if n := countSubject(t, il, "joint-military", subject); n != 1 {
			t.Errorf("after a conflicting retry the channel holds %d copies", n)
		}
		var m api.MessageView
		il.getJSON(t, "/api/v1/messages/"+itoa(first.Entry.Index), &m)
		if m.Body != fields["body"] {
			t.Errorf("the message's body became %q", m.Body)
		}

		// Idempotency ids are each member's own: another member's same id
		// is another command.
		sy := ts.login(t, "sy.military")
		other := map[string]any{}
		for k, v := range fields {
			other[k] = v
		}
		b, _ := json.Marshal(other)
		if r := sy.submitOK(t, "POST", "/api/v1/messages", record.Sign(hotline.KindMessageSend, b, sy.key.Private), http.StatusCreated); r.Duplicate {
			t.Error("another member's command with the same id was taken for a retry")
		}
	})
}

// Attachments: uploaded before the message that carries them, bounded in
// size, and readable only through a message the reader may see.
func TestHotlineBlobs(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		sy, il, us, jo := ts.login(t, "sy.duty"), ts.login(t, "il.military"), ts.login(t, "us.duty"), ts.login(t, "jo.duty")
		attach := func(sha, name string, size int) []map[string]any {
			return []map[string]any{{"sha256": sha, "name": name, "size": size, "type": "application/octet-stream"}}
		}
		fetch := func(c *client, sha string, want []byte) {
			t.Helper()
			r := c.get(t, "/api/v1/blobs/"+sha)
			if want == nil {
				wantType(t, r, http.StatusNotFound, "not-found")
				return
			}
			if r.Status != http.StatusOK || !bytes.Equal(r.Body, want) {
				t.Errorf("%s: GET blob %s: %d, %d bytes", c.member, sha[:8], r.Status, len(r.Body))
			}
		}

		// Limits.
		wantType(t, sy.do(t, "POST", "/api/v1/blobs", nil), http.StatusBadRequest, "bad-request")
		wantType(t, sy.do(t, "POST", "/api/v1/blobs", make([]byte, api.MaxBlob+1)), http.StatusRequestEntityTooLarge, "too-large")
		big := bytes.Repeat([]byte("x"), api.MaxBlob)
		bigSHA := sy.upload(t, big)

		// Uploaded but carried by no message: nobody reads it, not even
		// whoever uploaded it.
		data := []byte("sector south overlay")
		sha := sy.upload(t, data)
		for _, c := range []*client{sy, us, il} {
			fetch(c, sha, nil)
		}

		// Carried by a message on Syria's line: Syria and the mediator.
		sy.sendMessage(t, func() map[string]any {
			m := message("line-sy", hotline.Routine, "Overlay", "Attached.")
			m["attachments"] = append(attach(sha, "overlay south.geojson", len(data)), attach(bigSHA, "big.bin", len(big))...)
			return m
		}())
		fetch(sy, sha, data)
		fetch(us, sha, data)
		fetch(sy, bigSHA, big)
		fetch(il, sha, nil)
		fetch(jo, sha, nil)
		fetch(il, bigSHA, nil)
		r := sy.get(t, "/api/v1/blobs/"+sha)
		if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''overlay%20south.geojson") {
			t.Errorf("Content-Disposition %q", cd)
		}
		// Nor may Israel, knowing the hash, attach Syria's file to a message
		// of its own and so read it: refused in the very words used for a
		// file never uploaded, so that neither is confirmed.
		sendWith := func(c *client, channel, sha string) reply {
			m := message(channel, hotline.Routine, "Forward", "Attached.")
			m["attachments"] = attach(sha, "f.bin", 1)
			return c.submit(t, "POST", "/api/v1/messages", c.sign(hotline.KindMessageSend, m))
		}
		before := ts.size(t)
		stolen := sendWith(il, "joint-military", sha)
		never := sendWith(il, "joint-military", strings.Repeat("ab", 32))
		for _, r := range []reply{stolen, never} {
			if r.Status < 400 || r.Status >= 500 {
				t.Fatalf("attaching a file Israel may not use: %s", r)
			}
		}
		if strings.ReplaceAll(string(stolen.Body), sha, "H") != strings.ReplaceAll(string(never.Body), strings.Repeat("ab", 32), "H") {
			t.Errorf("another party's file is refused as\n%s\na missing one as\n%s", stolen.Body, never.Body)
		}
		if ts.size(t) != before {
			t.Error("a refused attachment was written to the log")
		}
		fetch(il, sha, nil)

		// Israel uploading the same bytes proves it holds them: that alone
		// reads nothing, and answers as any upload does...
		if il.upload(t, data) != sha {
			t.Fatal("the same bytes have another hash")
		}
		fetch(il, sha, nil)
		// ...but now Israel may attach its copy to its own line, and read
		// it there, while Syria's message stays out of its sight.
		if r := sendWith(il, "line-il", sha); r.Status != http.StatusCreated {
			t.Fatalf("Israel attaching bytes it uploaded itself: %s", r)
		}
		fetch(il, sha, data)
		wantType(t, il.get(t, "/api/v1/channels/line-sy/messages"), http.StatusNotFound, "not-found")

		// Carried on a joint channel: every side and the mediator, not an
		// observer outside it.
		joint := []byte("joint map")
		jsha := il.upload(t, joint)
		il.sendMessage(t, func() map[string]any {
			m := message("joint-military", hotline.Routine, "Map", "Attached.")
			m["attachments"] = attach(jsha, "map.png", len(joint))
			return m
		}())
		fetch(il, jsha, joint)
		fetch(sy, jsha, joint)
		fetch(us, jsha, joint)
		fetch(jo, jsha, nil)

		// Unknown and malformed hashes.
		fetch(sy, strings.Repeat("0", 64), nil)
		fetch(sy, "not-a-hash", nil)

		// Syria may forward its own file to the joint channel; then the
		// observer, invited nowhere, still reads nothing of it.
		if r := sendWith(sy, "joint-military", sha); r.Status != http.StatusCreated {
			t.Fatalf("Syria forwarding its own file: %s", r)
		}
		fetch(jo, sha, nil)
	})
}
