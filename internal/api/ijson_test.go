package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
)

// A signed command must read as one text to every reader: invalid UTF-8 or
// an unpaired surrogate escape, which Go reads as U+FFFD and another
// language as something else, is refused at the envelope with where it
// is, and nothing is appended. A correct surrogate pair is the character
// it encodes.
func TestEnvelopeMustBeIJSON(t *testing.T) {
	ts := newTestServer(t)
	il := ts.login(t, "il.military")
	// The payload as the client would sign it, with raw bytes put where
	// the body's text is.
	withBody := func(body string) []byte {
		p := payload(message("joint-military", hotline.Routine, "I-JSON", "BODY"))
		return bytes.Replace(p, []byte(`"BODY"`), []byte(`"`+body+`"`), 1)
	}
	at := func(p []byte, s string) int { return bytes.Index(p, []byte(s)) }

	type refusal struct {
		name    string
		payload []byte
		detail  func(p []byte) string
	}
	var cases []refusal
	for _, c := range []struct{ name, body, mark, what string }{
		{"invalid UTF-8", "x\xff\xfey", "\xff", "invalid UTF-8 in a string"},
		{"a UTF-8 surrogate", "x\xed\xa0\x80y", "\xed", "invalid UTF-8 in a string"},
		{"a lone high surrogate", `x\ud800y`, `\ud800`, `unpaired surrogate \ud800 in a string`},
		{"a high surrogate at the end", `x\uD83D`, `\uD83D`, `unpaired surrogate \uD83D in a string`},
		{"a lone low surrogate", `x\udc00y`, `\udc00`, `unpaired surrogate \udc00 in a string`},
		{"two high surrogates", `\ud83d\ud83d\ude00`, `\ud83d`, `unpaired surrogate \ud83d in a string`},
		{"a low before its high", `\ude00\ud83d`, `\ude00`, `unpaired surrogate \ude00 in a string`},
	} {
		cases = append(cases, refusal{"body: " + c.name, withBody(c.body), func(p []byte) string {
			return fmt.Sprintf("payload: %s at byte %d", c.what, at(p, c.mark))
		}})
	}
	// In a key, and deep in the payload.
	inKey := bytes.Replace(withBody("b"), []byte(`{"body"`), []byte(`{"\udfff":1,"body"`), 1)
	cases = append(cases, refusal{"in a key", inKey, func(p []byte) string {
		return fmt.Sprintf(`payload: unpaired surrogate \udfff in a key at byte %d`, at(p, `\udfff`))
	}})
	deep := bytes.Replace(withBody("b"), []byte(`{"body"`), []byte(`{"references":[{"kind":"message","id":"7\ud800"}],"body"`), 1)
	cases = append(cases, refusal{"deep in an array", deep, func(p []byte) string {
		return fmt.Sprintf(`payload: unpaired surrogate \ud800 in a string at byte %d`, at(p, `\ud800`))
	}})

	for _, path := range []string{"/api/v1/messages", "/api/v1/entries"} {
		for _, c := range cases {
			t.Run(strings.TrimPrefix(path, "/api/v1/")+"/"+c.name, func(t *testing.T) {
				size := ts.size(t)
				env := record.Sign(hotline.KindMessageSend, c.payload, il.key.Private)
				p := wantType(t, il.submit(t, "POST", path, env), http.StatusBadRequest, "malformed-envelope")
				if want := c.detail(c.payload); !strings.Contains(p.Detail, want) {
					t.Errorf("detail %q, want it to say %q", p.Detail, want)
				}
				if got := ts.size(t); got != size {
					t.Errorf("the refused envelope grew the log from %d to %d", size, got)
				}
			})
		}
	}

	// The envelope's own text is held to the same rule.
	t.Run("envelope", func(t *testing.T) {
		size := ts.size(t)
		env := il.sign(hotline.KindMessageSend, message("joint-military", hotline.Routine, "I-JSON", "b"))
		wire := `{"payloadType":"` + env.PayloadType + `","payload":"` + base64.StdEncoding.EncodeToString(env.Payload) +
			`","signatures":[{"keyid":"` + env.Signatures[0].KeyID + "\xff" + `","sig":"` + base64.StdEncoding.EncodeToString(env.Signatures[0].Sig) + `"}]}`
		p := wantType(t, il.do(t, "POST", "/api/v1/messages", []byte(wire)), http.StatusBadRequest, "malformed-envelope")
		if want := fmt.Sprintf("envelope: invalid UTF-8 in a string at byte %d", strings.Index(wire, "\xff")); !strings.Contains(p.Detail, want) {
			t.Errorf("detail %q, want it to say %q", p.Detail, want)
		}
		if got := ts.size(t); got != size {
			t.Errorf("the refused envelope grew the log from %d to %d", size, got)
		}
	})

	// A surrogate pair is one character, read so by everyone.
	t.Run("a surrogate pair", func(t *testing.T) {
		env := record.Sign(hotline.KindMessageSend, withBody(`Smile \ud83d\ude00 at grid 41`), il.key.Private)
		id := il.submitOK(t, "POST", "/api/v1/messages", env, http.StatusCreated).Entry.Index
		for _, m := range il.messages(t, "joint-military") {
			if m.ID == id && m.Body != "Smile \U0001F600 at grid 41" {
				t.Errorf("body %q, want the pair read as U+1F600", m.Body)
			}
		}
	})
	// An entry an older server let in is still served, as valid UTF-8:
	// its payload as null, its exact bytes in the envelope.
	t.Run("an old entry", func(t *testing.T) {
		old := record.Sign(hotline.KindMessageSend, withBody("x\xff\\ud800y"), il.key.Private)
		app := store.NewAppender(ts.Store, store.AppenderConfig{})
		e := &record.Entry{Cell: seed.DemoCell, Member: "il.military", Party: "il", KeyID: old.Signatures[0].KeyID, Envelope: old}
		res, err := app.Append(context.Background(), seed.DemoCell, &store.Pending{Entry: e, Decide: newRegistry().Decide(e)})
		app.Close()
		if err == nil {
			err = res.Err
		}
		if err != nil {
			t.Fatalf("append as an older server did: %v", err)
		}
		r := il.get(t, fmt.Sprintf("/api/v1/log/entries/%d", res.Entry.Index))
		if r.Status != http.StatusOK || !utf8.Valid(r.Body) {
			t.Fatalf("the old entry: %d, valid UTF-8 %v", r.Status, utf8.Valid(r.Body))
		}
		var got api.EntryJSON
		decode(t, r, &got)
		if (got.Payload != nil && string(got.Payload) != "null") || !bytes.Equal(got.Envelope.Payload, old.Payload) {
			t.Errorf("payload %s, envelope payload %q; want null and the stored bytes", got.Payload, got.Envelope.Payload)
		}
	})
}
