package web_test

// The duty officer's screen as found in a real browser (issue 8): what
// an officer relies on at a glance, page by page.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image/png"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/watch"
)

// overdueFlashes sends n FLASH messages from Israel's military desk on
// the joint military channel under a one-second deadline, waits until
// every one is past it and lets the watch escalate them, as the server's
// watch does: Syria and the mediator owe each, overdue. The cell's
// deadlines are the defaults again afterwards.
func overdueFlashes(t *testing.T, ts *testServer, n int, subject string) []int64 {
	t.Helper()
	us := ts.signInEnglish(t, "us.duty")
	us.submit("/entries", cell.KindCellSettings, map[string]any{"settings": map[string]any{"ack_deadlines": map[string]int{hotline.Flash: 1}}})
	il := ts.signInEnglish(t, "il.military")
	var ids []int64
	for i := range n {
		e := il.submit("/messages", hotline.KindMessageSend, map[string]any{"channel": "joint-military",
			"subject": fmt.Sprintf("%s %d", subject, i+1), "body": "Mortar rounds reported near the crossing.", "lang": "en", "precedence": hotline.Flash})
		ids = append(ids, e.Index)
	}
	sent := time.Now()
	us.submit("/entries", cell.KindCellSettings, map[string]any{"settings": map[string]any{}})
	// Their deadlines passed one second after the last was sent.
	time.Sleep(time.Until(sent.Add(1100 * time.Millisecond)))
	w, err := watch.New(watch.Config{Ledger: ts.Ledger})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ids
}

var (
	escalationItem  = regexp.MustCompile(`<li data-escalation="\d+" data-message-id="(\d+)" data-party="(\w+)"`)
	openEscalations = regexp.MustCompile(`Open escalations: (\d+)`)
)

// A party's watch counts its own silence: Syria reads the joint channel's
// escalations of the mediator's silence too, and its panel and posture
// counted them as its own. The mediator sees every party's, each named.
func TestEscalationsAreThePartysOwn(t *testing.T) {
	ts := newServer(t)
	ids := overdueFlashes(t, ts, 1, "Mortar fire at the crossing")
	id := fmt.Sprint(ids[0])

	sy := ts.signInEnglish(t, "sy.duty")
	body := sy.page("/dashboard?lang=en")
	items := escalationItem.FindAllStringSubmatch(body, -1)
	mine := 0
	for _, it := range items {
		if it[2] != "sy" {
			t.Errorf("Syria's watch lists an escalation of %s's silence (message %s)", it[2], it[1])
		}
		if it[1] == id {
			mine++
		}
	}
	if mine != 1 {
		t.Errorf("Syria's watch lists %d escalations of message %s, want its own one", mine, id)
	}
	if m := openEscalations.FindStringSubmatch(body); m == nil || m[1] != fmt.Sprint(len(items)) {
		t.Errorf("Syria's posture says %v open escalations; its panel lists %d", m, len(items))
	}
	// Israel sent the FLASH and owes nothing: no escalation is its own.
	body = ts.signInEnglish(t, "il.duty").page("/dashboard?lang=en")
	if items := escalationItem.FindAllStringSubmatch(body, -1); len(items) != 0 {
		t.Errorf("Israel's watch lists the others' escalations: %v", items)
	}
	mustContain(t, "Israel's posture", body, "Open escalations: 0")

	// The mediator's lists both parties' silence on the message, each named.
	body = ts.signInEnglish(t, "us.duty").page("/dashboard?fragment=escalations&lang=en")
	owed := map[string]bool{}
	for _, it := range escalationItem.FindAllStringSubmatch(body, -1) {
		if it[1] == id {
			owed[it[2]] = true
		}
	}
	if !owed["sy"] || !owed["us"] {
		t.Errorf("the mediator's escalations of message %s are owed by %v, want Syria and the US", id, owed)
	}
	mustContain(t, "the mediator's escalations", body, "owed by <bdi>Syria</bdi>", "owed by <bdi>United States</bdi>")
}

// An officer who lands on an error page still sees which cell's screen it
// is; a visitor who is not signed in is not told the cell's name.
func TestErrorPagesNameTheCell(t *testing.T) {
	ts := newServer(t)
	sy := ts.signInEnglish(t, "sy.duty")
	flash := mediatorFlash(t, sy.page("/channels/line-sy"))
	il := ts.signInEnglish(t, "il.duty")
	const name = `<span class="cell" dir="auto">Israel–Syria liaison mechanism</span>`
	for path, status := range map[string]int{
		"/no/such/page":     http.StatusNotFound,
		"/channels/line-sy": http.StatusNotFound,  // another party's line
		"/record/" + flash:  http.StatusForbidden, // an entry of that line
		"/record?from=x":    http.StatusBadRequest,
	} {
		r := il.get(path)
		if r.Status != status {
			t.Errorf("il GET %s: %d, want %d", path, r.Status, status)
			continue
		}
		mustContain(t, "il's error page "+path, r.Body, name, `<link rel="icon" href="/favicon.svg"`)
	}
	mustContain(t, "an Arabic error page", il.get("/no/such/page?lang=ar").Body, `<span class="cell" dir="auto">آلية الارتباط بين إسرائيل وسوريا</span>`)
	r := ts.anonymous(t).get("/no/such/page")
	if r.Status != http.StatusNotFound {
		t.Fatalf("anonymous GET /no/such/page: %d", r.Status)
	}
	mustNotContain(t, "a signed-out error page", r.Body, "Israel–Syria liaison mechanism")
}

// Every browser asks a site for /favicon.ico, page or no page: it is an
// icon (the cell's, in the two sizes a tab and a bookmark use), and the
// SVG the layout links is served too.
func TestFaviconIsServed(t *testing.T) {
	ts := newServer(t)
	b := ts.anonymous(t)
	r := b.get("/favicon.ico")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/x-icon" {
		t.Fatalf("GET /favicon.ico: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	ico := []byte(r.Body)
	le := binary.LittleEndian
	if len(ico) < 6 || le.Uint16(ico[0:]) != 0 || le.Uint16(ico[2:]) != 1 {
		t.Fatalf("/favicon.ico is not an ICO file: % x", ico[:min(len(ico), 16)])
	}
	n := int(le.Uint16(ico[4:]))
	sizes := map[int]bool{}
	for i := range n {
		e := ico[6+16*i:]
		size, length, offset := int(e[0]), le.Uint32(e[8:]), le.Uint32(e[12:])
		img, err := png.Decode(bytes.NewReader(ico[offset : offset+length]))
		if err != nil {
			t.Fatalf("image %d of /favicon.ico: %v", i, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Errorf("image %d says %d px, holds %v", i, size, b)
		}
		// Drawn, not blank: the corner is outside the rounded square, the
		// middle of the mediator's disc is gold.
		if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
			t.Errorf("%d px: the corner is painted", size)
		}
		if r, g, b, _ := img.At(size/2, size*10/32).RGBA(); r>>8 < 0xe0 || g>>8 < 0xc0 || b>>8 > 0x90 {
			t.Errorf("%d px: the mediator's disc is %x %x %x, not gold", size, r>>8, g>>8, b>>8)
		}
		sizes[size] = true
	}
	if !sizes[16] || !sizes[32] {
		t.Errorf("/favicon.ico holds sizes %v, want 16 and 32", sizes)
	}
	r = b.get("/favicon.svg")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(r.Body, "<svg ") {
		t.Errorf("GET /favicon.svg: %d %q %.40q", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
}

var bannerItem = regexp.MustCompile(`<li data-message-id="(\d+)" data-precedence="\w+"( data-overdue)?`)

// With five older FLASHes overdue, a new one with minutes left was hidden
// behind "and 3 more": the banner listed the soonest deadlines first, and
// the overdue ones have the soonest. What can still be answered in time
// comes first, all of it; then the newest escalations; the rest is
// counted, and said to be overdue.
func TestUrgentBannerPutsWhatCanBeSavedFirst(t *testing.T) {
	ts := newServer(t)
	old := overdueFlashes(t, ts, 5, "Mortar fire at the crossing")
	fresh := ts.signInEnglish(t, "il.military").submit("/messages", hotline.KindMessageSend, map[string]any{"channel": "joint-military",
		"subject": "Patrol crossing the line at 1500Z", "body": "A patrol crosses the ceasefire line at 1500Z.", "lang": "en", "precedence": hotline.Flash})

	r := ts.signInEnglish(t, "sy.duty").get("/urgent?fragment=urgent&lang=en")
	items := bannerItem.FindAllStringSubmatch(r.Body, -1)
	// Syria owes the five, the new one, and the demo's drill: its overdue
	// FLASH on Syria's line and its link test, not yet due.
	mustContain(t, "Syria's banner", r.Body, `data-urgent-count="8"`, "(6 overdue)", "and 3 more overdue, on the watch screen")
	if len(items) != 5 {
		t.Fatalf("Syria's banner lists %d items, want 5:\n%s", len(items), r.Body)
	}
	inTime := 0
	for i, it := range items {
		if it[2] == "" {
			if i != inTime {
				t.Errorf("item %d (message %s), not overdue, comes after an overdue one", i, it[1])
			}
			inTime++
		}
	}
	if inTime != 2 {
		t.Errorf("the banner lists %d items still answerable in time, want the link test and the new FLASH", inTime)
	}
	mustContain(t, "Syria's banner", r.Body, fmt.Sprintf(`<li data-message-id="%d" data-precedence="FLASH" data-channel=`, fresh.Index))
	// Of the overdue, the newest escalations: three of the five just
	// escalated, not the drill's, escalated when the demo was seeded.
	mustNotContain(t, "Syria's banner", r.Body, "Confirm the revised patrol schedule")
	for _, it := range items[inTime:] {
		if !slices.Contains(old, mustInt(t, it[1])) {
			t.Errorf("the banner lists message %s among the newest escalations; they are %v", it[1], old)
		}
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The sender is told that a readback awaits its judgement: on the watch
// screen, in the banner of every page, in the posture; until it judges.
func TestReadbacksToJudgeOnTheWatch(t *testing.T) {
	ts := newServer(t)
	il, sy := ts.signInEnglish(t, "il.duty"), ts.signInEnglish(t, "sy.military")
	mustContain(t, "Israel's watch", il.page("/dashboard?lang=en"), `<h2 id="h-readbacks">Readbacks to judge</h2>`,
		"No readback awaits our judgement.", "Readbacks to judge: 0")

	e := ts.signInEnglish(t, "il.military").submit("/messages", hotline.KindMessageSend, map[string]any{"channel": "joint-military",
		"subject": "Artillery exercise near the line", "body": "Live fire 0600-0800Z, 5 km from the ceasefire line.", "lang": "en", "precedence": hotline.Immediate})
	sy.submit(fmt.Sprintf("/messages/%d/ack", e.Index), hotline.KindMessageAck, map[string]any{"message": e.Index, "readback": "Live fire 0600 to 0800Z, five km off the line."})

	item := fmt.Sprintf(`<li data-readback="%d/sy" data-message-id="%d"`, e.Index, e.Index)
	href := fmt.Sprintf(`href="/channels/joint-military#m-%d"`, e.Index)
	body := il.page("/dashboard?lang=en")
	panel := body[strings.Index(body, `data-fragment="readbacks"`):]
	panel = panel[:strings.Index(panel, "</section>")]
	mustContain(t, "Israel's readbacks panel", panel, item, "Artillery exercise near the line", "readback from <bdi>Syria</bdi>",
		"by <bdi>sy.military</bdi>", "Live fire 0600 to 0800Z, five km off the line.", href)
	mustContain(t, "Israel's posture", body, "Readbacks to judge: 1", `data-posture="attention"`)
	banner := il.get("/urgent?fragment=urgent&lang=en").Body
	mustContain(t, "Israel's banner", banner, `data-urgent-count="0" data-readback-count="1"`, "Readbacks awaiting our judgement: 1", item, href,
		`data-alert="Readback from Syria to judge: Artillery exercise near the line"`)
	if r := il.get("/dashboard?fragment=readbacks"); r.Status != http.StatusOK || !strings.Contains(r.Body, item) || strings.Contains(r.Body, "<html") {
		t.Errorf("the readbacks fragment: %d %.300s", r.Status, r.Body)
	}
	// Syria read back; it has nothing to judge.
	mustContain(t, "Syria's watch", ts.signInEnglish(t, "sy.duty").page("/dashboard?lang=en"), "No readback awaits our judgement.")
	mustNotContain(t, "Syria's banner", sy.get("/urgent?fragment=urgent&lang=en").Body, "data-readback=")

	ts.signInEnglish(t, "il.military").submit(fmt.Sprintf("/messages/%d/readback", e.Index), hotline.KindReadbackMark, map[string]any{"message": e.Index, "party": "sy", "verdict": hotline.VerdictOK})
	mustContain(t, "Israel's watch once judged", il.page("/dashboard?lang=en"), "No readback awaits our judgement.", "Readbacks to judge: 0")
	mustNotContain(t, "Israel's banner once judged", il.get("/urgent?fragment=urgent&lang=en").Body, "data-readback=")
}

var pinID = regexp.MustCompile(`<div class="pin prec-edge-\w+" data-pin="(\d+)"`)

// What the reader's party owes in a conversation is pinned above it, with
// the readback field open, until acknowledged; the sender has nothing
// pinned, and a member whose desk may not acknowledge is told so.
func TestPinnedAboveTheConversation(t *testing.T) {
	ts := newServer(t)
	sy := ts.signInEnglish(t, "sy.duty")
	page := sy.page("/channels/line-sy?lang=en")
	flash := mediatorFlash(t, page)
	pins := pinID.FindAllStringSubmatch(page, -1)
	// In the banner's order: the drill's link test, still answerable in
	// time, then its overdue FLASH.
	if len(pins) != 2 || pins[1][1] != flash {
		t.Fatalf("Syria's line pins %v, want the link test, then the mediator's FLASH %s", pins, flash)
	}
	if i, j := strings.Index(page, `data-pin="`+flash+`"`), strings.Index(page, `<div class="scroller"`); i < 0 || i > j {
		t.Error("the pinned FLASH is not above the conversation")
	}
	mustContain(t, "the pinned FLASH", page, `<h2 id="h-pinned">Awaiting our acknowledgement: 2</h2>`,
		`<label for="pin-rb-`+flash+`">Readback</label>`, `data-action="ack-send">Acknowledge</button>`, `data-action="ack">Acknowledge</button>`)
	frag := sy.get("/channels/line-sy?fragment=pinned&lang=en")
	if frag.Status != http.StatusOK || strings.Contains(frag.Body, "<html") || !strings.Contains(frag.Body, `data-pin="`+flash+`"`) {
		t.Errorf("the pinned fragment: %d %.200s", frag.Status, frag.Body)
	}

	il := ts.signInEnglish(t, "il.military")
	e := il.submit("/messages", hotline.KindMessageSend, map[string]any{"channel": "joint-military",
		"subject": "Shots heard at the crossing", "body": "Shots heard near the crossing at 1405Z.", "lang": "en", "precedence": hotline.Flash})
	id := fmt.Sprint(e.Index)
	mustNotContain(t, "the sender's conversation", il.page("/channels/joint-military"), `data-pin=`)
	intel := ts.signInEnglish(t, "sy.intelligence").page("/channels/joint-military?lang=en")
	mustContain(t, "the intelligence desk's conversation", intel, `data-pin="`+id+`"`, "Acknowledging it takes this channel&#39;s desk or duty.")
	mustNotContain(t, "the intelligence desk's conversation", intel, `for="pin-rb-`+id+`"`)

	ts.signInEnglish(t, "sy.military").submit("/messages/"+id+"/ack", hotline.KindMessageAck, map[string]any{"message": e.Index, "readback": "Shots near the crossing at 1405Z."})
	mustNotContain(t, "once acknowledged", sy.page("/channels/joint-military"), `data-pin="`+id+`"`)
}

// The banner lists the newest readbacks to judge: the one that just
// sounded is in it, however many older ones wait; the watch screen lists
// them all, the one waiting longest first.
func TestBannerListsTheNewestReadbacks(t *testing.T) {
	ts := newServer(t)
	il, sy := ts.signInEnglish(t, "il.military"), ts.signInEnglish(t, "sy.military")
	var ids []int64
	for i := range 7 {
		e := il.submit("/messages", hotline.KindMessageSend, map[string]any{"channel": "joint-military",
			"subject": fmt.Sprintf("Patrol report %d", i+1), "body": "Patrols as scheduled.", "lang": "en", "precedence": hotline.Immediate})
		sy.submit(fmt.Sprintf("/messages/%d/ack", e.Index), hotline.KindMessageAck, map[string]any{"message": e.Index, "readback": "Patrols as scheduled."})
		ids = append(ids, e.Index)
	}
	duty := ts.signInEnglish(t, "il.duty")
	banner := duty.get("/urgent?fragment=urgent&lang=en").Body
	mustContain(t, "Israel's banner", banner, `data-readback-count="7"`, fmt.Sprintf(`data-readback="%d/sy"`, ids[6]), "and 2 more on the watch screen")
	mustNotContain(t, "Israel's banner", banner, fmt.Sprintf(`data-readback="%d/sy"`, ids[0]), fmt.Sprintf(`data-readback="%d/sy"`, ids[1]))
	watch := duty.page("/dashboard?fragment=readbacks&lang=en")
	if i, j := strings.Index(watch, fmt.Sprintf(`data-readback="%d/sy"`, ids[0])), strings.Index(watch, fmt.Sprintf(`data-readback="%d/sy"`, ids[6])); i < 0 || j < 0 || i > j {
		t.Error("the watch screen does not list every readback, the one waiting longest first")
	}
}
