package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
)

// lineSecrets is what must never reach a party outside Syria's line.
type lineSecrets struct {
	strings  []string // "line-sy", every text said on it, the attachment's hash and name
	messages []int64  // the line's message ids
	sha      string
	blob     []byte
	origin   int64 // a line-sy message the mediator relayed...
	copy     int64 // ...as this message on Israel's line
	sentinel int64 // the last entry, which every party reads
}

// fillLineSy adds to the demo's Syrian line (which already holds an
// escalated FLASH) an attachment, an acknowledgement, a read receipt, a
// translation and a relay to Israel's line, and ends with an entry every
// party reads.
func fillLineSy(t *testing.T, ts *testServer) lineSecrets {
	t.Helper()
	sy, us := ts.login(t, "sy.duty"), ts.login(t, "us.duty")
	s := lineSecrets{blob: []byte("overlay of the southern sector positions, for the mediator only")}
	s.sha = sy.upload(t, s.blob)
	withFile := message("line-sy", hotline.Routine, "Southern sector overlay", "Attached: our positions in the southern sector, for you alone.")
	withFile["attachments"] = []map[string]any{{"sha256": s.sha, "name": "overlay-south.geojson", "size": len(s.blob), "type": "application/geo+json"}}
	s.origin = sy.sendMessage(t, withFile)
	us.onMessage(t, s.origin, "ack", hotline.KindMessageAck, nil)
	us.onMessage(t, s.origin, "read", hotline.KindMessageRead, nil)
	us.onMessage(t, s.origin, "translations", hotline.KindTranslationAdd, map[string]any{"lang": "ar", "method": "human",
		"text": "مرفق: مواقعنا في القطاع الجنوبي، لكم وحدكم."})
	s.copy = us.sendMessage(t, message("line-il", hotline.Immediate, "Message from the other side", "The other side has shared where it stands; we will brief you in person."))
	us.submitOK(t, "POST", "/api/v1/messages/"+itoa(s.origin)+"/relay", us.sign(hotline.KindMessageRelay, map[string]any{
		"origin": s.origin, "copy": s.copy, "note": "softened for Jerusalem"}), http.StatusCreated)
	s.sentinel = us.submitOK(t, "POST", "/api/v1/glossary", us.sign(hotline.KindGlossarySet, map[string]any{"term": map[string]any{
		"id": "sector-south", "terms": map[string]string{"en": "southern sector"}}}), http.StatusCreated).Entry.Index

	// Everything said on the line, as Syria reads it.
	s.strings = []string{"line-sy", s.sha, "overlay-south.geojson", "softened for Jerusalem"}
	for _, m := range sy.messages(t, "line-sy") {
		s.messages = append(s.messages, m.ID)
		if m.LinkTest {
			continue // its words are the same on every line
		}
		s.strings = append(s.strings, m.Subject, m.Body)
		for _, tr := range m.Translations {
			s.strings = append(s.strings, tr.Text)
		}
		for _, a := range m.Acks {
			if a.Readback != "" {
				s.strings = append(s.strings, a.Readback)
			}
		}
	}
	if len(s.messages) < 2 {
		t.Fatalf("line-sy holds %d messages; the demo's FLASH is missing", len(s.messages))
	}
	if s.sentinel != ts.size(t)-1 {
		t.Fatalf("the sentinel %d is not the last entry (%d)", s.sentinel, ts.size(t)-1)
	}
	return s
}

// viewer reads every hotline resource as one member and checks that none
// of it mentions Syria's line.
type viewer struct {
	t       *testing.T
	c       *client
	party   string
	secrets lineSecrets
}

// clean requires that a response names nothing of the line. A request
// path may echo what the client itself sent; the response is checked
// apart from that echo.
func (v *viewer) clean(what string, body []byte, echo ...string) {
	v.t.Helper()
	for _, e := range echo {
		body = bytes.ReplaceAll(body, []byte(e), nil)
	}
	for _, s := range v.secrets.strings {
		if s != "" && bytes.Contains(body, []byte(s)) {
			v.t.Errorf("%s: %s reveals %q: %s", v.c.member, what, s, body)
		}
	}
}

// get requires status and a clean body.
func (v *viewer) get(path string, status int, echo ...string) reply {
	v.t.Helper()
	r := v.c.get(v.t, path)
	if r.Status != status {
		v.t.Errorf("%s: GET %s: want %d, got %s", v.c.member, path, status, r)
	}
	v.clean("GET "+path, r.Body, echo...)
	return r
}

// sameAs requires a refusal to look exactly like the refusal of something
// that does not exist.
func (v *viewer) sameAs(hidden, missing reply, hiddenID, missingID string) {
	v.t.Helper()
	a := strings.ReplaceAll(string(hidden.Body), hiddenID, "ID")
	b := strings.ReplaceAll(string(missing.Body), missingID, "ID")
	if hidden.Status != missing.Status || a != b {
		v.t.Errorf("%s: a hidden resource answers %d %s\nbut a missing one %d %s", v.c.member, hidden.Status, a, missing.Status, b)
	}
}

func (v *viewer) checkAll(ts *testServer, all []api.EntryJSON) {
	t := v.t
	s := v.secrets

	// Channels, and every message in every visible channel.
	var chs struct {
		Channels []hotline.Channel `json:"channels"`
	}
	decode(t, v.get("/api/v1/channels", http.StatusOK), &chs)
	if len(chs.Channels) == 0 {
		t.Errorf("%s sees no channel at all", v.c.member)
	}
	visible := map[string]bool{}
	for _, ch := range chs.Channels {
		visible[ch.ID] = true
		if !slices.Contains(ch.Parties, v.party) {
			t.Errorf("%s lists channel %s of parties %v", v.c.member, ch.ID, ch.Parties)
		}
		v.get("/api/v1/channels/"+ch.ID, http.StatusOK)
		var page struct {
			Messages []api.MessageView `json:"messages"`
		}
		decode(t, v.get("/api/v1/channels/"+ch.ID+"/messages?limit=500", http.StatusOK), &page)
		for _, m := range page.Messages {
			r := v.get("/api/v1/messages/"+itoa(m.ID), http.StatusOK)
			if m.ID == s.copy && bytes.Contains(r.Body, []byte("relayed")) {
				t.Errorf("%s sees the relay link of message %d: %s", v.c.member, m.ID, r.Body)
			}
		}
	}
	v.sameAs(v.get("/api/v1/channels/line-sy", http.StatusNotFound, "line-sy"), v.c.get(t, "/api/v1/channels/line-zz"), "line-sy", "line-zz")
	v.sameAs(v.get("/api/v1/channels/line-sy/messages", http.StatusNotFound, "line-sy"), v.c.get(t, "/api/v1/channels/line-zz/messages"), "line-sy", "line-zz")
	missing := v.c.get(t, "/api/v1/messages/999999")
	for _, id := range s.messages {
		v.sameAs(v.get("/api/v1/messages/"+itoa(id), http.StatusNotFound), missing, itoa(id), "999999")
	}

	// The inbox, the mediator's view of another party's, escalations, link
	// tests, the glossary.
	var inbox struct {
		Party string          `json:"party"`
		Items []api.InboxItem `json:"items"`
	}
	decode(t, v.get("/api/v1/inbox", http.StatusOK), &inbox)
	for _, it := range inbox.Items {
		if it.Deadline.Party != v.party || !visible[it.Message.Channel] {
			t.Errorf("%s's inbox holds %+v", v.c.member, it)
		}
	}
	v.get("/api/v1/inbox?party=sy", http.StatusForbidden)
	var esc struct {
		Escalations []hotline.Escalation `json:"escalations"`
		Next        string               `json:"next"`
	}
	decode(t, v.get("/api/v1/escalations", http.StatusOK), &esc)
	for _, e := range esc.Escalations {
		if !visible[e.Channel] {
			t.Errorf("%s sees escalation %+v", v.c.member, e)
		}
	}
	if esc.Next != "" {
		t.Errorf("%s: a cursor after %d escalations", v.c.member, len(esc.Escalations))
	}
	var lt struct {
		Lines []hotline.LinkHealth `json:"lines"`
	}
	decode(t, v.get("/api/v1/linktests", http.StatusOK), &lt)
	for _, h := range lt.Lines {
		if h.Party != v.party {
			t.Errorf("%s sees link health %+v", v.c.member, h)
		}
	}
	v.get("/api/v1/glossary", http.StatusOK)

	// The attachment, as if it did not exist.
	other := strings.Repeat("ab", 32)
	v.sameAs(v.get("/api/v1/blobs/"+s.sha, http.StatusNotFound, s.sha), v.c.get(t, "/api/v1/blobs/"+other), s.sha, other)

	// The log: listed entries, and each entry by index.
	var got []int64
	after := "-1"
	for {
		r := v.get("/api/v1/entries?limit=50&after="+after, http.StatusOK)
		var page struct {
			Entries []api.EntryJSON `json:"entries"`
			Next    string          `json:"next"`
		}
		decode(t, r, &page)
		got = append(got, indexes(page.Entries)...)
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	var want []int64
	for _, e := range all {
		if readable(e, v.party) {
			want = append(want, e.Index)
			v.get("/api/v1/log/entries/"+itoa(e.Index), http.StatusOK)
		} else {
			v.get("/api/v1/log/entries/"+itoa(e.Index), http.StatusForbidden)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s lists entries %v\nwant %v", v.c.member, got, want)
	}

	// The stream, from the start of the log to its end.
	st := v.c.openStream(t, "?after=-1", "")
	var streamed []int64
	for {
		ev, e := st.next(t)
		v.clean("stream event "+ev.ID, []byte(ev.Raw))
		streamed = append(streamed, e.Index)
		if e.Index >= s.sentinel {
			break
		}
	}
	st.close()
	if !slices.Equal(streamed, want) {
		t.Errorf("%s streams entries %v\nwant %v", v.c.member, streamed, want)
	}
}

func readable(e api.EntryJSON, party string) bool {
	return slices.Contains(e.Audience, record.Everyone) || slices.Contains(e.Audience, party)
}

// A party never sees another party's line, its messages,
// acknowledgements, escalations, attachments or counts, through any
// endpoint or the stream; the line's own party sees all of it.
func TestHotlineLineIsPrivate(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		s := fillLineSy(t, ts)
		all := ts.login(t, "us.duty").entries(t)
		if int64(len(all)) != ts.size(t) {
			t.Fatalf("the mediator lists %d of %d entries", len(all), ts.size(t))
		}
		var lineEntries int
		for _, e := range all {
			if slices.Equal(e.Audience, []string{"sy", "us"}) && bytes.Contains(e.Payload, []byte("line-sy")) {
				lineEntries++
			}
		}
		if lineEntries == 0 {
			t.Fatal("no entry names line-sy")
		}
		for _, who := range []string{"il.duty", "il.military", "jo.duty"} {
			t.Run(who, func(t *testing.T) {
				v := &viewer{t: t, c: ts.login(t, who), party: who[:2], secrets: s}
				v.checkAll(ts, all)
			})
		}

		// The control: Syria's duty officer sees all of it, by the same calls.
		t.Run("sy.duty", func(t *testing.T) {
			sy := ts.login(t, "sy.duty")
			for _, c := range []struct {
				path string
				want []string
			}{
				{"/api/v1/channels", []string{"line-sy"}},
				{"/api/v1/channels/line-sy", []string{"line-sy"}},
				{"/api/v1/channels/line-sy/messages?limit=500", s.strings[:2]},
				{"/api/v1/messages/" + itoa(s.origin), []string{s.sha, "overlay-south.geojson", "Southern sector overlay"}},
				{"/api/v1/inbox", []string{"line-sy"}},
				{"/api/v1/inbox?party=sy", []string{"line-sy"}},
				{"/api/v1/escalations", []string{"line-sy"}},
				{"/api/v1/linktests", []string{"line-sy"}},
				{"/api/v1/entries?limit=1000", []string{"line-sy", s.sha}},
				{"/api/v1/blobs/" + s.sha, []string{string(s.blob)}},
			} {
				r := sy.get(t, c.path)
				if r.Status != http.StatusOK {
					t.Errorf("sy.duty: GET %s: %s", c.path, r)
					continue
				}
				for _, w := range c.want {
					if !bytes.Contains(r.Body, []byte(w)) {
						t.Errorf("sy.duty: GET %s lacks %q", c.path, w)
					}
				}
			}
			for _, e := range all {
				if !readable(e, "sy") {
					continue
				}
				if r := sy.get(t, "/api/v1/log/entries/"+itoa(e.Index)); r.Status != http.StatusOK {
					t.Errorf("sy.duty: entry %d: %s", e.Index, r)
				}
			}
			st := sy.openStream(t, "?after=-1", "")
			var sawLine, sawSHA bool
			for {
				ev, e := st.next(t)
				sawLine = sawLine || strings.Contains(ev.Raw, "line-sy")
				sawSHA = sawSHA || strings.Contains(ev.Raw, s.sha)
				if e.Index >= s.sentinel {
					break
				}
			}
			if !sawLine || !sawSHA {
				t.Errorf("sy.duty's stream: line-sy %v, attachment %v", sawLine, sawSHA)
			}
		})

		// The relay link is the mediator's alone.
		t.Run("us.duty", func(t *testing.T) {
			us := ts.login(t, "us.duty")
			var copy, origin api.MessageView
			us.getJSON(t, "/api/v1/messages/"+itoa(s.copy), &copy)
			us.getJSON(t, "/api/v1/messages/"+itoa(s.origin), &origin)
			if copy.RelayedFrom == nil || *copy.RelayedFrom != s.origin || !slices.Equal(origin.RelayedTo, []int64{s.copy}) {
				t.Errorf("the mediator does not see the relay: copy from %v, origin to %v", copy.RelayedFrom, origin.RelayedTo)
			}
			var il api.MessageView
			ts.login(t, "il.duty").getJSON(t, "/api/v1/messages/"+itoa(s.copy), &il)
			if il.RelayedFrom != nil || il.RelayedTo != nil {
				t.Errorf("Israel sees the relay: %+v", il)
			}
			b, _ := json.Marshal(il)
			if bytes.Contains(b, []byte("relayed")) {
				t.Errorf("Israel's view of the copy: %s", b)
			}
		})
	})
}
