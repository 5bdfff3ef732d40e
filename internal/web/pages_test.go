package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/hotline"
)

func mustContain(t *testing.T, where, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", where, w)
		}
	}
}

func mustNotContain(t *testing.T, where, body string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(body, n) {
			t.Errorf("%s shows %q", where, n)
		}
	}
}

func TestSignedOutPagesRedirectToLogin(t *testing.T) {
	ts := newServer(t)
	b := ts.anonymous(t)
	for _, path := range []string{"/dashboard", "/channels", "/channels/joint-military", "/glossary", "/record", "/record/1", "/device"} {
		r := b.get(path)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s signed out: %d Location %q, want 303 to /login", path, r.Status, r.Header.Get("Location"))
		}
	}
	if r := b.get("/"); r.Header.Get("Location") != "/login" {
		t.Errorf("GET / signed out: Location %q", r.Header.Get("Location"))
	}
	// A script refreshing a fragment learns that the session ended, and is
	// not handed a sign-in page to paste into the watch screen.
	if r := b.get("/dashboard?fragment=awaiting"); r.Status != http.StatusUnauthorized {
		t.Errorf("fragment signed out: %d, want 401", r.Status)
	}
}

func TestLoginPage(t *testing.T) {
	ts := newServer(t)
	b := ts.anonymous(t)
	body := b.page("/login")
	mustContain(t, "/login", body, `<label for="username">Username</label>`, `<label for="password">Password</label>`,
		`>Sign in</button>`, `src="/static/js/login.js"`, `lang="en" dir="ltr"`)
	mustNotContain(t, "/login", body, `name="csrf-token"`, `aria-label="Main"`)
	// A next that leaves the site is not followed.
	body = b.page("/login?next=//evil.example/")
	mustContain(t, "/login", body, `data-next="/dashboard"`)

	s := ts.signInEnglish(t, "il.duty")
	if r := s.get("/"); r.Header.Get("Location") != "/dashboard" {
		t.Errorf("GET / signed in: Location %q", r.Header.Get("Location"))
	}
	if r := s.get("/login?next=/channels"); r.Header.Get("Location") != "/channels" {
		t.Errorf("GET /login signed in: Location %q", r.Header.Get("Location"))
	}
}

func TestLayoutOfSignedInPages(t *testing.T) {
	ts := newServer(t)
	b := ts.signInEnglish(t, "il.duty")
	body := b.page("/dashboard")
	mustContain(t, "/dashboard", body,
		`<meta name="csrf-token" content="`+b.csrf+`">`,
		`<meta name="liaison-member" content="il.duty">`,
		`<meta name="liaison-cell" content="il-sy">`,
		`<nav aria-label="Main">`, `>Dashboard</a>`, `>Hotline</a>`, `>Record</a>`,
		`>English</a>`, `>العربية</a>`, `>עברית</a>`, `>Sign out</button>`,
		`href="/static/fonts/fonts.css"`)
}

func TestRightToLeftLanguages(t *testing.T) {
	ts := newServer(t)
	b := ts.signInEnglish(t, "us.duty")
	for lang, dir := range map[string]string{"ar": "rtl", "he": "rtl", "en": "ltr"} {
		for _, path := range []string{"/dashboard", "/channels", "/channels/joint-military", "/record"} {
			body := b.page(path + "?lang=" + lang)
			mustContain(t, path+"?lang="+lang, body, fmt.Sprintf(`<html lang="%s" dir="%s">`, lang, dir))
		}
	}
	// The choice is remembered.
	b.page("/dashboard?lang=he")
	mustContain(t, "/channels after choosing he", b.page("/channels"), `<html lang="he" dir="rtl">`, "קו חם")
	mustContain(t, "/dashboard in ar", b.page("/dashboard?lang=ar"), "بانتظار إقرارنا بالاستلام")
	// A member's own language is the default: Syria's duty officer works in Arabic.
	mustContain(t, "sy.duty's dashboard", ts.signIn(t, "sy.duty").page("/dashboard"), `<html lang="ar" dir="rtl">`)
	// The browser's own preference comes before the member's.
	r := ts.signIn(t, "sy.duty").do("GET", "/dashboard", nil, http.Header{"Accept-Language": {"he-IL,he;q=0.9"}})
	mustContain(t, "sy.duty's dashboard in a Hebrew browser", r.Body, `<html lang="he" dir="rtl">`)
}

var awaitingItem = regexp.MustCompile(`<li data-message-id="(\d+)" data-precedence="(\w+)"`)

func TestDashboard(t *testing.T) {
	ts := newServer(t)
	// The drill left the mediator's FLASH down Syria's line unanswered and
	// escalated twice.
	sy := ts.signInEnglish(t, "sy.duty")
	body := sy.page("/dashboard?lang=en")
	mustContain(t, "sy dashboard", body, "<h1>Watch</h1>", ">Awaiting our acknowledgement</h2>", ">Escalations</h2>",
		">Link tests</h2>", ">Posture</h2>", "Confirm the revised patrol schedule", `class="countdown over"`, "overdue ",
		"data-escalation=", "escalated to admin", `data-posture="alert"`)
	m := awaitingItem.FindStringSubmatch(body)
	if m == nil || m[2] != "FLASH" {
		t.Fatalf("sy dashboard: no FLASH awaiting item: %v", m)
	}
	// Times in UTC and in each party's zone: the line joins Syria and the US.
	mustContain(t, "sy dashboard", body, " UTC</time>", "UTC&#43;3</time>")

	// Israel sees none of Syria's line: not the message, not its escalation.
	il := ts.signInEnglish(t, "il.duty")
	body = il.page("/dashboard")
	mustNotContain(t, "il dashboard", body, "Confirm the revised patrol schedule", "data-escalation=", "Syria – mediator line")
	mustContain(t, "il dashboard", body, "Nothing awaits our acknowledgement.")

	// A new ROUTINE message from Israel on the joint channel awaits Syria's
	// acknowledgement, soonest deadline first: the overdue FLASH stays on top.
	e := ts.signInEnglish(t, "il.military").submit("/messages", hotline.KindMessageSend, map[string]any{
		"channel": "joint-military", "subject": "Convoy at the crossing", "body": "A supply convoy crosses at 1400Z.", "lang": "en", "precedence": "ROUTINE"})
	frag := sy.get("/dashboard?fragment=awaiting&lang=en")
	if frag.Status != http.StatusOK || strings.Contains(frag.Body, "<html") {
		t.Fatalf("awaiting fragment: %d %.200s", frag.Status, frag.Body)
	}
	// Between them, the IMMEDIATE link test of the demo's drill.
	ids := awaitingItem.FindAllStringSubmatch(frag.Body, -1)
	if len(ids) != 3 || ids[0][2] != "FLASH" || ids[1][2] != "IMMEDIATE" || ids[2][1] != fmt.Sprint(e.Index) || ids[2][2] != "ROUTINE" {
		t.Errorf("awaiting fragment: items %v, want the overdue FLASH, the link test, then message %d", ids, e.Index)
	}
	mustContain(t, "awaiting fragment", frag.Body, `href="/channels/joint-military#m-`+fmt.Sprint(e.Index)+`"`, " left</time>")
	for _, f := range []string{"escalations", "linktests", "posture"} {
		if r := sy.get("/dashboard?fragment=" + f); r.Status != http.StatusOK || strings.Contains(r.Body, "<html") {
			t.Errorf("fragment %s: %d", f, r.Status)
		}
	}
	if r := sy.get("/dashboard?fragment=nonsense"); r.Status != http.StatusNotFound {
		t.Errorf("unknown fragment: %d, want 404", r.Status)
	}
	// Once Syria acknowledges, its escalation closes.
	sy.submit(fmt.Sprintf("/messages/%d/ack", e.Index), hotline.KindMessageAck, map[string]any{"message": e.Index})
	ids = awaitingItem.FindAllStringSubmatch(sy.get("/dashboard?fragment=awaiting").Body, -1)
	if len(ids) != 2 || ids[0][2] != "FLASH" || ids[1][2] != "IMMEDIATE" {
		t.Errorf("after acknowledging: awaiting %v, want only the FLASH and the link test", ids)
	}
}

func TestLinkTestsPerLine(t *testing.T) {
	ts := newServer(t)
	body := ts.signInEnglish(t, "us.duty").page("/dashboard?fragment=linktests")
	// The demo's drill tested every line: Israel and Jordan answered,
	// Syria's answer is awaited.
	for line, status := range map[string]string{"line-il": "ok", "line-sy": "pending", "line-jo": "ok"} {
		mustContain(t, "mediator link tests", body, `data-line="`+line+`" data-status="`+status+`"`)
	}
	body = ts.signInEnglish(t, "il.duty").page("/dashboard?fragment=linktests")
	mustContain(t, "Israel's link tests", body, `data-line="line-il"`)
	mustNotContain(t, "Israel's link tests", body, `data-line="line-sy"`, `data-line="line-jo"`)
}

func TestChannelsList(t *testing.T) {
	ts := newServer(t)
	body := ts.signInEnglish(t, "il.military").page("/channels")
	mustContain(t, "il /channels", body, "<h1>Hotline</h1>", `>Military de-escalation</h2>`,
		`<a href="/channels/joint-military" dir="auto">Military de-escalation</a>`,
		`<a href="/channels/line-il" dir="auto">Israel – mediator line</a>`)
	mustNotContain(t, "il /channels", body, "line-sy", "Syria – mediator line", "line-jo")
	body = ts.signInEnglish(t, "us.duty").page("/channels")
	mustContain(t, "us /channels", body, "line-sy", "line-il", "line-jo")

	// In Arabic and Hebrew, the titles the channels carry in them.
	sy := ts.signInEnglish(t, "sy.duty")
	mustContain(t, "sy /channels in Arabic", sy.page("/channels?lang=ar"), `dir="auto">خفض التصعيد العسكري</a>`, `dir="auto">خط سوريا – الوسيط</a>`,
		`<span class="cell" dir="auto">آلية الارتباط بين إسرائيل وسوريا</span>`)
	mustContain(t, "line-sy in Hebrew", sy.page("/channels/line-sy?lang=he"), `<h1 dir="auto">קו סוריה – המתווך</h1>`)
	mustContain(t, "sy dashboard in Arabic", sy.page("/dashboard?lang=ar"), "خط سوريا – الوسيط")
}

func TestHiddenChannelIsNotFound(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.duty")
	hidden := il.get("/channels/line-sy")
	missing := il.get("/channels/no-such-line")
	for _, r := range []reply{hidden, missing} {
		if r.Status != http.StatusNotFound {
			t.Fatalf("il GET another party's line: %d, want 404", r.Status)
		}
	}
	// The same page either way: nothing tells that Syria's line exists.
	strip := regexp.MustCompile(`data-server-now="[^"]*"`)
	if strip.ReplaceAllString(hidden.Body, "") != strip.ReplaceAllString(missing.Body, "") {
		t.Error("the hidden line's 404 differs from a missing channel's")
	}
	mustNotContain(t, "404 page", hidden.Body, "Syria – mediator line", "Confirm the revised patrol schedule")
	if r := il.get("/channels/line-sy?fragment=messages"); r.Status != http.StatusNotFound {
		t.Errorf("fragment of a hidden line: %d", r.Status)
	}
	// A message on the hidden line is as absent.
	sy := ts.signInEnglish(t, "sy.duty")
	page := sy.page("/channels/line-sy")
	id := mediatorFlash(t, page)
	if r := il.get("/messages/" + id); r.Status != http.StatusNotFound {
		t.Errorf("il GET /messages/%s on Syria's line: %d", id, r.Status)
	}
	if r := sy.get("/messages/" + id); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/channels/line-sy#m-"+id {
		t.Errorf("sy GET /messages/%s: %d %q", id, r.Status, r.Header.Get("Location"))
	}
	if r := il.get("/no/such/page"); r.Status != http.StatusNotFound {
		t.Errorf("unknown path: %d", r.Status)
	}
}

func TestConversation(t *testing.T) {
	ts := newServer(t)
	sy := ts.signInEnglish(t, "sy.duty")
	body := sy.page("/channels/joint-military?lang=en")
	// The drill's FLASH: acknowledged with readbacks marked correct, an
	// Arabic translation beside the original, glossary terms marked.
	mustContain(t, "joint-military", body,
		`data-precedence="FLASH"`, `<span class="prec prec-flash">FLASH</span>`,
		"Original (authoritative)", "Translation into Arabic", `dir="auto"`,
		`<mark class="term" data-term="buffer-zone"`, `<mark class="term" data-term="search-and-rescue"`,
		"Acknowledged by Syria", "Acknowledged by United States", "Readback correct",
		"Unarmed Israeli drone over the buffer zone", "Read by", `href="/record/`,
		`<form aria-label="Compose"`, `<label for="c-precedence">Precedence</label>`, `<label for="c-lang">Language</label>`,
		`<label for="c-subject">Subject</label>`, `<label for="c-body">Message</label>`,
		`<label for="c-files">Attachments</label>`, `type="file"`, `>Send</button>`)

	// Israel's military desk sends an IMMEDIATE; Syria's military desk must
	// acknowledge it with a readback.
	il := ts.signInEnglish(t, "il.military")
	e := il.submit("/messages", hotline.KindMessageSend, map[string]any{
		"channel": "joint-military", "subject": "Artillery exercise near the ceasefire line", "body": "Live fire 0600-0800Z, 5 km from the ceasefire line.",
		"lang": "en", "precedence": "IMMEDIATE"})
	id := fmt.Sprint(e.Index)
	syMil := ts.signInEnglish(t, "sy.military")
	art := article(t, syMil.page("/channels/joint-military?fragment=messages&lang=en"), id)
	mustContain(t, "the IMMEDIATE for Syria", art, `data-precedence="IMMEDIATE"`, "Awaiting acknowledgement from Syria",
		`data-action="ack-open"`, ">Acknowledge</button>", `<label for="rb-text-`+id+`">Readback</label>`, ">Send acknowledgement</button>",
		`<mark class="term" data-term="ceasefire-line"`)
	// The sender's side cannot acknowledge its own message, and the
	// intelligence desk may not act on the military one.
	mustNotContain(t, "the IMMEDIATE for Israel", article(t, il.page("/channels/joint-military?fragment=messages"), id), ">Acknowledge</button>")
	mustNotContain(t, "the IMMEDIATE for Syria's intelligence desk",
		article(t, ts.signInEnglish(t, "sy.intelligence").page("/channels/joint-military?fragment=messages&lang=en"), id), ">Acknowledge</button>")

	syMil.submit("/messages/"+id+"/ack", hotline.KindMessageAck, map[string]any{"message": e.Index, "readback": "Live fire 0600 to 0800Z, five km off the line."})
	art = article(t, il.page("/channels/joint-military?fragment=messages&lang=en"), id)
	mustContain(t, "the readback for Israel", art, "Acknowledged by Syria", "Live fire 0600 to 0800Z",
		">Readback correct</button>", ">Readback incorrect</button>", ">Correction</label>")
	il.submit("/messages/"+id+"/readback", hotline.KindReadbackMark, map[string]any{"message": e.Index, "party": "sy", "verdict": "incorrect", "correction": "5 km, not five km off the line: from the ceasefire line."})
	art = article(t, syMil.page("/channels/joint-military?fragment=messages&lang=en"), id)
	mustContain(t, "after an incorrect readback", art, "Readback incorrect", "Awaiting acknowledgement from Syria", "5 km, not five km", ">Acknowledge</button>")
}

// mediatorFlash finds the id of the demo's FLASH from the mediator on
// Syria's line (the drill's link test shares the line) in its page.
func mediatorFlash(t *testing.T, page string) string {
	t.Helper()
	for _, m := range regexp.MustCompile(`<article id="m-(\d+)"`).FindAllStringSubmatch(page, -1) {
		if strings.Contains(article(t, page, m[1]), "Confirm the revised patrol schedule") {
			return m[1]
		}
	}
	t.Fatal("line-sy lacks the mediator's FLASH")
	return ""
}

// article cuts one message's article out of a page.
func article(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<article id="m-`+id+`"`)
	if i < 0 {
		t.Fatalf("no article for message %s", id)
	}
	j := strings.Index(body[i:], "</article>")
	return body[i : i+j]
}

func TestRecordPages(t *testing.T) {
	ts := newServer(t)
	sy := ts.signInEnglish(t, "sy.duty")
	body := sy.page("/record")
	mustContain(t, "/record", body, "<h1>Record</h1>", `<label for="goto-index">Log index</label>`)
	page := sy.page("/channels/line-sy")
	id := mediatorFlash(t, page)
	body = sy.page("/record/" + id)
	mustContain(t, "/record/"+id, body, "Record entry "+id, `data-field="index">`+id+`<`, "message.send", "us.duty",
		"United States", ">Verify</button>", `role="status"`, `src="/static/js/record.js"`, "Open the message",
		`<a href="/api/v1/evidence?entries=`+id+`" download data-evidence>Evidence bundle</a>`)
	// Israel may not read the entry of Syria's line: the API answers 403,
	// and so does the page, without its content.
	r := ts.signInEnglish(t, "il.duty").get("/record/" + id)
	if r.Status != http.StatusForbidden {
		t.Errorf("il GET /record/%s: %d, want 403", id, r.Status)
	}
	mustNotContain(t, "the forbidden record", r.Body, "Confirm the revised patrol schedule", "message.send")
	if r := sy.get("/record/999999"); r.Status != http.StatusNotFound {
		t.Errorf("record beyond the log: %d", r.Status)
	}
	if r := sy.get("/record?index=" + id); r.Header.Get("Location") != "/record/"+id {
		t.Errorf("go to entry: %q", r.Header.Get("Location"))
	}
}

func TestDevicePage(t *testing.T) {
	ts := newServer(t)
	body := ts.signInEnglish(t, "il.duty").page("/device")
	mustContain(t, "/device", body, "<h1>Device key</h1>", ">Create a new device key</button>", `src="/static/js/device.js"`, `role="status"`)
}

func TestStaticFiles(t *testing.T) {
	ts := newServer(t)
	b := ts.anonymous(t)
	for _, path := range []string{"/static/js/page.js", "/static/js/channel.js", "/static/css/app.css"} {
		r := b.get(path)
		if r.Status != http.StatusOK {
			t.Errorf("GET %s: %d", path, r.Status)
		}
		if r.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no CSP", path)
		}
	}
	if r := b.get("/static/"); r.Status != http.StatusNotFound {
		t.Errorf("GET /static/ lists the directory: %d", r.Status)
	}
}

// TestUserTextIsEscapedAndTermsMarked: what a party writes is shown as
// text, never as markup, with the agreed terms marked in it and in its
// translations.
func TestUserTextIsEscapedAndTermsMarked(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.military")
	e := il.submit("/messages", hotline.KindMessageSend, map[string]any{
		"channel": "joint-military", "subject": `<img src=x onerror=alert(1)> Buffer Zone`, "body": `<script>alert("x")</script> near the buffer zone`,
		"lang": "en", "precedence": "PRIORITY"})
	id := fmt.Sprint(e.Index)
	sy := ts.signInEnglish(t, "sy.military")
	sy.submit("/messages/"+id+"/translations", hotline.KindTranslationAdd, map[string]any{
		"message": e.Index, "lang": "ar", "method": "human", "text": "<b>قرب</b> المنطقة العازلة"})
	art := article(t, sy.page("/channels/joint-military?fragment=messages"), id)
	mustNotContain(t, "the article", art, "<script>", "<img", "<b>")
	mustContain(t, "the article", art, "&lt;script&gt;", "&lt;img src=x onerror=alert(1)&gt;",
		`<mark class="term" data-term="buffer-zone" title="en: buffer zone · ar: المنطقة العازلة · he: אזור החיץ">Buffer Zone</mark>`,
		`<mark class="term" data-term="buffer-zone" title="en: buffer zone · ar: المنطقة العازلة · he: אזור החיץ">المنطقة العازلة</mark>`,
		"&lt;b&gt;قرب&lt;/b&gt;", `data-precedence="PRIORITY"`, ">Mark as read</button>")
	// The sender is not asked to mark their own message read.
	mustNotContain(t, "the sender's article", article(t, il.page("/channels/joint-military?fragment=messages"), id), ">Mark as read</button>")
	// Syria's military desk, a recipient that did not add it, may confirm the
	// translation; whoever added it may not.
	mustNotContain(t, "the translator's article", art, ">Confirm translation</button>")
	mustContain(t, "a recipient's article", article(t, ts.signInEnglish(t, "sy.duty").page("/channels/joint-military?fragment=messages"), id), ">Confirm translation</button>")
}

// The mediator watches every party's silence: what each party owes, owner
// named, soonest deadline first. No party sees that list, nor its fragment.
func TestMediatorSeesWhatThePartiesOwe(t *testing.T) {
	ts := newServer(t)
	ts.signInEnglish(t, "il.military").submit("/messages", hotline.KindMessageSend, map[string]any{
		"channel": "joint-military", "subject": "Convoy at the crossing", "body": "A supply convoy crosses at 1400Z.", "lang": "en", "precedence": "IMMEDIATE"})
	us := ts.signInEnglish(t, "us.duty")
	body := us.page("/dashboard?lang=en")
	mustContain(t, "us dashboard", body, ">Awaiting the parties&#39; acknowledgement</h2>", `data-fragment="owing"`)
	frag := us.get("/dashboard?fragment=owing&lang=en")
	if frag.Status != http.StatusOK {
		t.Fatalf("owing fragment: %d", frag.Status)
	}
	// The drill's FLASH owed by Syria (overdue) comes before Israel's new
	// message, owed by Syria too; the US's own debt is not on this list.
	mustContain(t, "owing", frag.Body, "Confirm the revised patrol schedule", "Convoy at the crossing", "owed by Syria")
	if i, j := strings.Index(frag.Body, "Confirm the revised patrol schedule"), strings.Index(frag.Body, "Convoy at the crossing"); i > j {
		t.Error("what the parties owe is not ordered by deadline")
	}
	if strings.Contains(frag.Body, "owed by United States") || strings.Contains(frag.Body, "owed by Israel") {
		t.Errorf("the list names a party that owes nothing here:\n%s", frag.Body)
	}
	for _, member := range []string{"sy.duty", "il.duty"} {
		b := ts.signInEnglish(t, member)
		mustNotContain(t, member+" dashboard", b.page("/dashboard?lang=en"), "Awaiting the parties", `data-fragment="owing"`)
		if r := b.get("/dashboard?fragment=owing"); r.Status != http.StatusNotFound {
			t.Errorf("%s reads the owing fragment: %d", member, r.Status)
		}
	}
}

// Every signed-in page carries a banner of the FLASH and IMMEDIATE
// messages the member's party has yet to acknowledge; it lists only the
// party's own, and follows new traffic.
func TestUrgentBanner(t *testing.T) {
	ts := newServer(t)
	sy := ts.signInEnglish(t, "sy.duty")
	page := sy.page("/record")
	mustContain(t, "a signed-in page", page, `<meta name="liaison-party" content="sy">`, `<div id="urgent" class="urgent-slot" aria-busy="true"></div>`, `aria-live="assertive"`)

	count := regexp.MustCompile(`data-urgent-count="(\d+)"`)
	urgent := func(c *browser) (string, string) {
		t.Helper()
		r := c.get("/urgent?fragment=urgent&lang=en")
		if r.Status != http.StatusOK || strings.Contains(r.Body, "<html") {
			t.Fatalf("/urgent: %d %.200s", r.Status, r.Body)
		}
		m := count.FindStringSubmatch(r.Body)
		if m == nil {
			return "0", r.Body
		}
		return m[1], r.Body
	}
	// The demo leaves Syria an escalated FLASH and the drill's link test.
	n, body := urgent(sy)
	if n != "2" {
		t.Errorf("Syria's urgent count %s, want 2:\n%s", n, body)
	}
	mustContain(t, "Syria's banner", body, "Confirm the revised patrol schedule", "Link test", `class="countdown over"`, `href="/dashboard"`)

	// Israel owes nothing urgent, and sees nothing of Syria's.
	il := ts.signInEnglish(t, "il.duty")
	n, body = urgent(il)
	if n != "0" {
		t.Errorf("Israel's urgent count %s, want 0", n)
	}
	mustNotContain(t, "Israel's banner", body, "Confirm the revised patrol schedule", "Syria", "urgent-items")

	// A FLASH from Israel on the joint channel joins Syria's banner and the
	// mediator's; a ROUTINE one does not.
	e := ts.signInEnglish(t, "il.military").submit("/messages", hotline.KindMessageSend, map[string]any{
		"channel": "joint-military", "subject": "Shots heard at the crossing", "body": "Shots heard near the crossing at 1405Z; our patrol holds fire.", "lang": "en", "precedence": "FLASH"})
	ts.signInEnglish(t, "il.military").submit("/messages", hotline.KindMessageSend, map[string]any{
		"channel": "joint-military", "subject": "Weekly schedule", "body": "Attached next week.", "lang": "en", "precedence": "ROUTINE"})
	n, body = urgent(sy)
	if n != "3" {
		t.Errorf("after a FLASH, Syria's urgent count %s, want 3", n)
	}
	mustContain(t, "Syria's banner", body, "Shots heard at the crossing", fmt.Sprintf(`data-message-id="%d"`, e.Index))
	mustNotContain(t, "Syria's banner", body, "Weekly schedule")
	if _, body := urgent(ts.signInEnglish(t, "us.duty")); !strings.Contains(body, "Shots heard at the crossing") {
		t.Error("the mediator's banner lacks the FLASH it must acknowledge")
	}
	if n, _ := urgent(il); n != "0" {
		t.Errorf("Israel's banner counts its own FLASH: %s", n)
	}

	// Signed out, the script is told so, not handed the sign-in page.
	if r := ts.anonymous(t).get("/urgent?fragment=urgent"); r.Status != http.StatusUnauthorized {
		t.Errorf("signed out: %d, want 401", r.Status)
	}
}

// The mediator may relay a line's message to another party's line from
// the page; the parties get no such form, and only the mediator sees the
// link between the original and its relayed copy.
func TestRelayForm(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.duty")
	page := us.page("/channels/line-sy")
	origin := mediatorFlash(t, page)
	art := article(t, page, origin)
	mustContain(t, "the mediator's line-sy message", art, `data-action="relay"`, `<option value="line-il">Israel – mediator line</option>`,
		`<option value="line-jo">Jordan – mediator line</option>`, `value="Confirm the revised patrol schedule"`, `<option value="FLASH" selected>`)
	mustNotContain(t, "the mediator's line-sy message", art, `<option value="line-sy">`)
	mustNotContain(t, "the mediator's joint channel", us.page("/channels/joint-military"), `data-action="relay"`)
	mustNotContain(t, "Syria's own line", ts.signInEnglish(t, "sy.duty").page("/channels/line-sy"), `data-action="relay"`)

	// Relayed as the page does it: a message of the mediator's on Israel's
	// line, then the link.
	copy := us.submit("/messages", hotline.KindMessageSend, map[string]any{
		"channel": "line-il", "subject": "Patrol schedule", "body": "The other side asks you to confirm the revised patrol schedule for sector south.", "lang": "en", "precedence": "IMMEDIATE"})
	us.submit("/messages/"+origin+"/relay", hotline.KindMessageRelay, map[string]any{"origin": json.Number(origin), "copy": copy.Index, "note": "softened"})
	mustContain(t, "the mediator's copy", article(t, us.page("/channels/line-il"), fmt.Sprint(copy.Index)), `data-relayed-from="`+origin+`">relayed from message `+origin+`</a>`)
	mustContain(t, "the mediator's original", article(t, us.page("/channels/line-sy"), origin), fmt.Sprintf(`data-relayed-to="%d"`, copy.Index))
	ilPage := ts.signInEnglish(t, "il.duty").page("/channels/line-il")
	mustNotContain(t, "Israel's copy", article(t, ilPage, fmt.Sprint(copy.Index)), "data-relayed-from", "relayed from", "/messages/"+origin)
}

// A message offers a reply to whoever may send on the channel, and a
// correction only to its own party.
func TestReplyAndCorrectActions(t *testing.T) {
	ts := newServer(t)
	il := ts.signInEnglish(t, "il.military")
	e := il.submit("/messages", hotline.KindMessageSend, map[string]any{
		"channel": "joint-military", "subject": "Convoy at 1400Z", "body": "A convoy crosses at 1400Z.", "lang": "en", "precedence": "PRIORITY"})
	id := fmt.Sprint(e.Index)
	mustContain(t, "Israel's own message", article(t, il.page("/channels/joint-military"), id), `data-action="reply"`, `data-action="correct"`,
		`<a href="/api/v1/messages/`+id+`/evidence" download data-evidence>Evidence bundle</a>`)
	sy := article(t, ts.signInEnglish(t, "sy.military").page("/channels/joint-military"), id)
	mustContain(t, "Syria's view", sy, `data-action="reply"`)
	mustNotContain(t, "Syria's view", sy, `data-action="correct"`)
	// A correction and a reply name the original by its number.
	c := il.submit("/messages", hotline.KindMessageSend, map[string]any{
		"channel": "joint-military", "subject": "Correction: convoy at 1430Z", "body": "The convoy crosses at 1430Z.", "lang": "en", "precedence": "PRIORITY", "corrects": e.Index})
	mustContain(t, "the correction", article(t, il.page("/channels/joint-military"), fmt.Sprint(c.Index)), `<a href="#m-`+id+`">corrects `+id+`</a>`)
	// Syria's commercial desk may not send on the military channel at all.
	mustNotContain(t, "another desk's view", article(t, ts.signInEnglish(t, "sy.commercial").page("/channels/joint-military"), id), `data-action="reply"`, `data-action="correct"`)
}

// The mediator's admins invite an observer into a joint channel from its
// page; nobody else is offered it, nor on a line.
func TestInviteForm(t *testing.T) {
	ts := newServer(t)
	us := ts.signInEnglish(t, "us.duty")
	page := us.page("/channels/joint-general")
	mustContain(t, "the mediator admin's joint channel", page, `<form id="invite"`, `<option value="jo">Jordan</option>`)
	mustNotContain(t, "the mediator admin's line", us.page("/channels/line-sy"), `<form id="invite"`)
	for _, who := range []string{"us.military", "il.duty", "sy.duty"} {
		mustNotContain(t, who+"'s joint channel", ts.signInEnglish(t, who).page("/channels/joint-general"), `<form id="invite"`)
	}
	if r := ts.signInEnglish(t, "jo.duty").get("/channels/joint-general"); r.Status != http.StatusNotFound {
		t.Errorf("Jordan opens a channel it is not in: %d, want 404", r.Status)
	}
	us.submit("/channels/joint-general/invite", hotline.KindChannelInvite, map[string]any{"channel": "joint-general", "party": "jo",
		"title": "General", "titles": map[string]string{"ar": "عام", "he": "כללי"}})
	page = us.page("/channels/joint-general")
	mustNotContain(t, "once Jordan is in", page, `<option value="jo">`)
	mustContain(t, "once Jordan is in", page, "Jordan", `<option value="rpa">Regional partner A</option>`)
	if r := ts.signInEnglish(t, "jo.duty").get("/channels/joint-general"); r.Status != http.StatusOK {
		t.Errorf("Jordan opens the channel it was invited to: %d", r.Status)
	}
}

// Every member reads the agreed terms side by side; only the mediator,
// who keeps the glossary, is offered the form to add or amend one.
func TestGlossaryPage(t *testing.T) {
	ts := newServer(t)
	body := ts.signInEnglish(t, "il.duty").page("/glossary")
	mustContain(t, "Israel's glossary", body, "<h1>Glossary</h1>", `<tr data-term="buffer-zone"><td lang="en" dir="ltr">buffer zone</td><td lang="ar" dir="rtl">المنطقة العازلة</td><td lang="he" dir="rtl">אזור החיץ</td>`,
		`<a href="/glossary" aria-current="page">Glossary</a>`)
	mustNotContain(t, "Israel's glossary", body, `<form id="term"`)
	us := ts.signInEnglish(t, "us.duty")
	mustContain(t, "the mediator's glossary", us.page("/glossary"), `<form id="term"`, `src="/static/js/glossary.js"`)
	us.submit("/glossary", hotline.KindGlossarySet, map[string]any{"term": map[string]any{"id": "checkpoint-alpha", "terms": map[string]string{"en": "Checkpoint Alpha", "ar": "نقطة التفتيش ألفا"}}})
	mustContain(t, "after a new term", ts.signInEnglish(t, "sy.duty").page("/glossary?lang=ar"), `<tr data-term="checkpoint-alpha"><td lang="en" dir="ltr">Checkpoint Alpha</td><td lang="ar" dir="rtl">نقطة التفتيش ألفا</td><td lang="he" dir="rtl"></td>`)
}
