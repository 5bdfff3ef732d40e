package web_test

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/web"
)

var (
	articleID   = regexp.MustCompile(`<article id="m-(\d+)"`)
	earlierLink = regexp.MustCompile(`<a href="([^"]*before=\d+)" rel="prev">Earlier messages</a>`)
)

func shownIDs(page string) []int64 {
	var out []int64
	for _, m := range articleID.FindAllStringSubmatch(page, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, n)
	}
	return out
}

// A channel with more messages than a page shows: the page holds the
// newest, oldest first as in a chat (the newest last, above the compose
// form), and links to the earlier ones, which hold the rest and link back
// to the live end.
func TestConversationPagesBackThroughHistory(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.military")
	n := web.MessagesShown + 5
	var sent []int64
	for i := range n {
		e := il.submit("/messages", hotline.KindMessageSend, map[string]any{"channel": "joint-military",
			"subject": fmt.Sprintf("Paging %d", i), "body": "b", "lang": "en", "precedence": hotline.Routine})
		sent = append(sent, e.Index)
	}

	first := il.page("/channels/joint-military")
	shown := shownIDs(first)
	if len(shown) != web.MessagesShown || shown[len(shown)-1] != sent[n-1] || !slices.IsSorted(shown) {
		t.Fatalf("the first page shows %d messages to %v, want the newest %d, the newest last", len(shown), shown[max(0, len(shown)-3):], web.MessagesShown)
	}
	if strings.Contains(first, "Back to the newest messages") {
		t.Error("the live page links to itself as the newest")
	}
	m := earlierLink.FindStringSubmatch(first)
	if m == nil {
		t.Fatal("no link to earlier messages")
	}
	older := il.page(html.UnescapeString(m[1]))
	rest := shownIDs(older)
	for _, id := range sent[:5] {
		if !slices.Contains(rest, id) {
			t.Errorf("message %d is on neither page", id)
		}
	}
	for _, id := range rest {
		if id >= shown[0] {
			t.Errorf("the earlier page repeats or passes message %d", id)
		}
	}
	if !strings.Contains(older, `href="/channels/joint-military">Back to the newest messages`) {
		t.Error("the earlier page has no way back to the live end")
	}
	// Its live refresh keeps it the earlier page.
	if frag := il.page(html.UnescapeString(m[1]) + "&fragment=messages"); !slices.Equal(shownIDs(frag), rest) {
		t.Error("the earlier page's fragment shows other messages than the page")
	}
	// Paging back is no way into a line the party may not see: the same
	// 404 as the page itself, also as a fragment.
	sy := ts.signInEnglish(t, "sy.duty")
	for _, path := range []string{"/channels/line-il?before=1000", "/channels/line-il?before=1000&fragment=messages"} {
		if r := sy.get(path); r.Status != 404 || strings.Contains(r.Body, "Israel – mediator line") {
			t.Errorf("sy.duty GET %s: %d", path, r.Status)
		}
	}
	if r := il.get("/channels/joint-military?before=-3"); r.Status != 400 {
		t.Errorf("before=-3: %d, want 400", r.Status)
	}
}
