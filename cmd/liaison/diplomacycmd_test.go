package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
)

var disputeRE = regexp.MustCompile(`[Dd]ispute (\d+)`)

// sameRefusal requires a hidden thing and a missing one to be refused in
// the same words but for their ids.
func sameRefusal(t *testing.T, hidden, hiddenID, missing, missingID string) {
	t.Helper()
	if strings.ReplaceAll(hidden, hiddenID, "N") != strings.ReplaceAll(missing, missingID, "N") {
		t.Errorf("the hidden is refused as %q, the missing as %q", hidden, missing)
	}
}

// A dispute from a terminal, filed by Syria, through the mediator's
// acknowledgement, Israel's response, the finding and its share with
// Jordan (which never reads the finding), to Israel's refusal, which sends
// it to the next round; its bundle checks signed in nowhere.
func TestDisputeVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	il, sy, us, jo := signIn(t, d, url, "il.diplomatic"), signIn(t, d, url, "sy.diplomatic"), signIn(t, d, url, "us.diplomatic"), signIn(t, d, url, "jo.duty")

	mustContain(t, "the register", il.asOK("", "dispute", "list"), "Shelling near Hadar", "Artillery inside the 20 km line", "acknowledged", "found", "left",
		"paris:2, paris:3", "SHARED WITH OBSERVERS", "shared with jo")
	mustContain(t, "the register by deadline", il.asOK("", "dispute", "list", "--sort", "deadline", "--status", "found"), "Artillery inside the 20 km line")
	if s := il.asOK("", "dispute", "list", "--article", "disengagement-1974"); strings.Contains(s, "Hadar") {
		t.Errorf("the register by article:\n%s", s)
	}
	mustContain(t, "a bad filter", il.asFail("", "dispute", "list", "--sort", "newest"), "sort \"newest\": age or deadline")
	out := jo.asOK("", "dispute", "list")
	mustContain(t, "Jordan's register", out, "SHARED WITH OBSERVERS", "Artillery inside the 20 km line", "For the host country's information")
	if strings.Contains(out, "Shelling") || strings.Contains(out, "partly") || strings.Contains(out, "Our observers confirm") {
		t.Errorf("Jordan's register shows more than was shared with it:\n%s", out)
	}

	evidenceFile := writeFile(t, "photo.jpg", "\xff\xd8\xff\xe0 a photograph of the impacts")
	mustContain(t, "an article without its agreement", sy.asFail("", "dispute", "file", "--against", "il", "--title", "x", "--description", "x", "--article", "2"), "AGREEMENT:ARTICLE")
	mustContain(t, "a cite of no kind", sy.asFail("", "dispute", "file", "--against", "il", "--title", "x", "--description", "x", "--article", "paris:2", "--cite", "photo:1"), "KIND:NUMBER")
	mustContain(t, "the observer files", jo.asFail("", "dispute", "file", "--against", "il", "--title", "x", "--description", "x", "--article", "paris:2"), "for the sides and the mediator")
	out = sy.asOK("", "dispute", "file", "--against", "il", "--title", "Patrol inside the separation area", "--description", "A patrol entered the area of separation at dawn.",
		"--article", "paris:2", "--article", "disengagement-1974:B", "--attach", evidenceFile)
	mustContain(t, "file", out, "Filed dispute", "against il", "awaiting us by", "left")
	id := disputeRE.FindStringSubmatch(out)[1]

	mustContain(t, "a side acknowledges", sy.asFail("", "dispute", "ack", id), "the mediator's")
	mustContain(t, "respond before the acknowledgement", il.asFail("", "dispute", "respond", id, "--text", "early"), "is filed, not acknowledged")
	mustContain(t, "respond without text", il.asFail("", "dispute", "respond", id), "--text is required")
	mustContain(t, "ack", us.asOK("", "dispute", "ack", id, "--text", "Received."), "awaiting il by")
	mustContain(t, "respond", il.asOK("", "dispute", "respond", id, "--text", "The patrol stayed on our side of the line."), "awaiting us by")
	mustContain(t, "a finding of no outcome", us.asFail("", "dispute", "finding", id, "--outcome", "guilty", "--text", "x"), `--outcome "guilty"`)
	const finding = "The patrol's track crosses the line by 300 m for twenty minutes."
	mustContain(t, "finding", us.asOK("", "dispute", "finding", id, "--outcome", "upheld", "--text", finding), "awaiting sy and il")
	mustContain(t, "share", us.asOK("", "dispute", "share", id, "--observer", "jo", "--note", "Before the mechanism."), "Sharing dispute "+id+" with jo as it stands", "Shared at log index")
	if s := jo.asOK("", "dispute", "list"); !strings.Contains(s, "Patrol inside the separation area") || strings.Contains(s, finding) {
		t.Errorf("Jordan's register after the share:\n%s", s)
	}
	sameRefusal(t, jo.asFail("", "dispute", "show", id), id, jo.asFail("", "dispute", "show", "99999999"), "99999999")
	mustContain(t, "accept both ways", sy.asFail("", "dispute", "accept", id, "--accept", "--refuse"), "--accept or --refuse")
	mustContain(t, "refuse without reason", il.asFail("", "dispute", "accept", id, "--refuse"), "--refuse takes --reason")
	mustContain(t, "accept", sy.asOK("", "dispute", "accept", id, "--accept"), "awaiting il")
	mustContain(t, "refuse", il.asOK("", "dispute", "accept", id, "--refuse", "--reason", "Our track shows no crossing."), "escalated: it waits for the next talks round")
	mustContain(t, "show", il.asOK("", "dispute", "show", id), "Dispute "+id+": \"Patrol inside the separation area\"", "sy against il", "ESCALATED",
		"articles: paris:2, disengagement-1974:B", "attachment photo.jpg (image/jpeg", "RESPONSE (il.diplomatic", "FINDING: UPHELD (us.diplomatic",
		"sy accepts the finding", "il REFUSES the finding", "waits for the next talks round", "shared with jo")
	mustContain(t, "the items waiting", il.asOK("", "rounds"), "WAITING FOR THE NEXT ROUND", "dispute-"+id)

	file := filepath.Join(t.TempDir(), "dispute.json")
	mustContain(t, "export", sy.asOK("", "dispute", "export", id, "--out", file), "Wrote "+file, "the evidence of dispute "+id, "liaison verify --bundle")
	judge := newCLI(t) // signed in nowhere
	mustContain(t, "verify the dispute", judge.ok("", "verify", "--bundle", file), "Evidence verified", "dispute.file", "dispute.acknowledge", "dispute.respond",
		"dispute.finding", "dispute.accept", "outcome: upheld", "sy.diplomatic (sy)")
	mustContain(t, "the observer exports", jo.asFail("", "dispute", "export", id, "--out", filepath.Join(t.TempDir(), "x.json")), "Not found")
}

// statementBundle reads an exported bundle back.
func statementBundle(t *testing.T, path string) *evidence.Bundle {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b evidence.Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	return &b
}

func writeBundleFile(t *testing.T, b *evidence.Bundle) string {
	t.Helper()
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "tampered.json", string(data))
}

// A statement from a terminal: the demo's draft on the economic zone,
// compared version by version, signed by Syria (printing exactly what it
// signs) and the mediator, published; its bundle is accepted signed in
// nowhere, and refused with a text changed or a signature taken out.
func TestStatementVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	il, sy, us, jo := signIn(t, d, url, "il.diplomatic"), signIn(t, d, url, "sy.diplomatic"), signIn(t, d, url, "us.diplomatic"), signIn(t, d, url, "jo.duty")

	mustContain(t, "list", il.asOK("", "statement", "list"), "paris-5", "PUBLISHED", "economic-zone", "drafting", "il,sy,us")
	mustContain(t, "Jordan's list", jo.asOK("", "statement", "list"), "paris-5", "PUBLISHED")
	if s := jo.asOK("", "statement", "list"); strings.Contains(s, "economic-zone") {
		t.Errorf("Jordan lists the draft:\n%s", s)
	}
	mustContain(t, "show", il.asOK("", "statement", "show", "economic-zone"), "Statement economic-zone: \"Joint statement on the economic zone\"",
		"Version 2 by sy.diplomatic (sy)", "DRAFT", "signed by il (il.diplomatic", "awaiting sy, us", "Version 1 by us.diplomatic (us)", "SUPERSEDED",
		"comment by sy.diplomatic (sy) on en ¶1", "¶1  The parties will study")
	sameRefusal(t, jo.asFail("", "statement", "show", "economic-zone"), "economic-zone", jo.asFail("", "statement", "show", "no-such-thing"), "no-such-thing")
	mustContain(t, "diff", il.asOK("", "statement", "diff", "economic-zone", "--from", "1", "--to", "2"), "version 1 to 2", "en ¶1 changed",
		"- The parties will study a demilitarized economic zone on both sides of the line, around Quneitra.", "+ The parties will study", "ar ¶1 changed",
		"2 paragraphs unchanged")

	// Syria signs: the verb says what it signs, the version and each
	// language's hash, which are the draft's.
	var st diplomacy.StatementDetail
	if err := json.Unmarshal([]byte(sy.asOK("", "statement", "show", "economic-zone", "--json")), &st); err != nil {
		t.Fatal(err)
	}
	v2 := st.Versions[1]
	mustContain(t, "sign an older version", sy.asFail("", "statement", "sign", "economic-zone", "--version", "1"), "version 1 of statement economic-zone is superseded", "nothing was sent")
	mustContain(t, "the military signs", signIn(t, d, url, "sy.military").asFail("", "statement", "sign", "economic-zone"), "commits the party")
	out := sy.asOK("", "statement", "sign", "economic-zone")
	mustContain(t, "sign", out, "Signing statement economic-zone version 2 (\"Joint statement on the economic zone\") for sy.diplomatic:",
		"ar  "+v2.Hashes["ar"]+"  (2 paragraphs)", "en  "+v2.Hashes["en"]+"  (2 paragraphs)", "Still awaiting: us.")
	mustContain(t, "sign twice", sy.asFail("", "statement", "sign", "economic-zone"), "has signed version 2")
	mustContain(t, "status", us.asOK("", "statement", "status", "economic-zone"), "version 2 is a DRAFT, signed by il, sy, awaiting us")
	mustContain(t, "publish before agreement", us.asFail("", "statement", "publish", "economic-zone"), "no version every required party has signed")
	mustContain(t, "the last signature", us.asOK("", "statement", "sign", "economic-zone"), "Every required party has signed: version 2 of statement economic-zone is agreed.")
	mustContain(t, "a side publishes", il.asFail("", "statement", "publish", "economic-zone"), "the mediator publishes")
	mustContain(t, "publish", us.asOK("", "statement", "publish", "economic-zone"), "Published version 2 of statement economic-zone")
	mustContain(t, "status after", il.asOK("", "statement", "status", "economic-zone"), "version 2 PUBLISHED", "signed by il, sy, us")
	mustContain(t, "Jordan reads it", jo.asOK("", "statement", "show", "economic-zone"), "PUBLISHED version 2", "signed by il, sy, us", "for civilian projects")
	if s := jo.asOK("", "statement", "show", "economic-zone"); strings.Contains(s, "Say that the zone's projects") || strings.Contains(s, "around Quneitra.\n") {
		t.Errorf("Jordan reads the drafts:\n%s", s)
	}

	// Drafting a new one from a file of texts.
	texts := writeFile(t, "texts.json", `{"en": ["The parties met.", {"text": "They will meet again."}], "he": ["הצדדים נפגשו."]}`)
	mustContain(t, "a new one without title", il.asFail("", "statement", "draft", "round-6", "--file", texts), "is new: give its --title", "nothing was sent")
	mustContain(t, "draft", il.asOK("", "statement", "draft", "round-6", "--file", texts, "--title", "Joint statement of the sixth round", "--required", "il,sy"),
		"Drafted version 1 of statement round-6", "it awaits the signatures of il, sy, us", "en  ", "he  ")
	mustContain(t, "a version that renames", il.asFail("", "statement", "draft", "round-6", "--file", texts, "--title", "x"), "keeps its title")
	mustContain(t, "texts in French", il.asFail("", "statement", "draft", "round-6", "--file", writeFile(t, "fr.json", `{"fr": ["Bonjour."]}`)), `"fr" is not one of the cell's languages`)
	mustContain(t, "a comment", sy.asOK("", "statement", "comment", "round-6", "--lang", "en", "--paragraph", "2", "--text", "Say when."), "Commented en ¶2 of version 1")

	// The bundle, signed in nowhere, with the cell's key alone.
	file := filepath.Join(t.TempDir(), "statement.json")
	mustContain(t, "export", il.asOK("", "statement", "export", "economic-zone", "--out", file), "Wrote "+file, "the evidence of statement economic-zone")
	judge := newCLI(t)
	mustContain(t, "verify", judge.ok("", "verify", "--bundle", file), "Evidence verified", "statement.draft", "statement.sign", "statement.publish",
		"Statement economic-zone (\"Joint statement on the economic zone\"), version 2", "en  "+v2.Hashes["en"],
		"Signed by every party it requires (il, sy, us), each signature in this bundle")
	jofile := filepath.Join(t.TempDir(), "jo.json")
	jo.asOK("", "statement", "export", "economic-zone", "--out", jofile)
	mustContain(t, "verify the observer's", judge.ok("", "verify", "--bundle", jofile), "Evidence verified", "statement.publish", "proves the publication alone")
	if b := statementBundle(t, jofile); len(b.Cited) != 1 {
		t.Errorf("Jordan's bundle cites %v", b.Cited)
	}

	// A changed text: the entry is no longer the log's.
	b := statementBundle(t, file)
	changed := false
	for i, it := range b.Entries {
		e, err := record.ParseEntry(it.LeafData)
		if err != nil {
			t.Fatal(err)
		}
		if e.Envelope.Kind() != diplomacy.KindStatementPublish {
			continue
		}
		p64 := base64.StdEncoding.EncodeToString(e.Envelope.Payload)
		payload := bytes.Replace(e.Envelope.Payload, []byte("civilian projects"), []byte("military projects"), 1)
		b.Entries[i].LeafData = bytes.Replace(it.LeafData, []byte(p64), []byte(base64.StdEncoding.EncodeToString(payload)), 1)
		changed = !bytes.Equal(b.Entries[i].LeafData, it.LeafData)
	}
	if !changed {
		t.Fatal("no publication's text to change")
	}
	mustContain(t, "verify a changed text", judge.fail("", "verify", "--bundle", writeBundleFile(t, b)), "is not in the signed log")

	// A signature taken out, and out of the list of what is cited.
	b = statementBundle(t, file)
	var cut int64 = -1
	for _, it := range b.Entries {
		if e, _ := record.ParseEntry(it.LeafData); e != nil && e.Envelope.Kind() == diplomacy.KindStatementSign && e.Party == "sy" {
			cut = it.Index
		}
	}
	if cut < 0 {
		t.Fatal("no signature of Syria's in the bundle")
	}
	b.Entries = slices.DeleteFunc(b.Entries, func(it evidence.Item) bool { return it.Index == cut })
	b.Cited = slices.DeleteFunc(b.Cited, func(i int64) bool { return i == cut })
	mustContain(t, "verify without a signature", judge.fail("", "verify", "--bundle", writeBundleFile(t, b)), "no signature of version 2 by sy")
}

// The timetable and the rounds from a terminal: each milestone with its
// due date, status and reason, OVERDUE plainly; the mediator's report and
// the other side's sign-off; the observer reads none of it.
func TestCommitmentAndRoundVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	il, sy, us, jo := signIn(t, d, url, "il.diplomatic"), signIn(t, d, url, "sy.diplomatic"), signIn(t, d, url, "us.diplomatic"), signIn(t, d, url, "jo.duty")

	out := il.asOK("", "commitments")
	mustContain(t, "commitments", out, "withdrawal-timetable  \"Withdrawal timetable\" (withdrawal), owed by il under paris:5: AT_RISK, 1 OVERDUE (agreed in round-5)",
		"phase-1", "Vacate the posts inside the Area of Separation", "AT_RISK", "OVERDUE by 3d", "The date has passed and the mediator has not been asked to inspect.",
		"phase-2", "PENDING", "left", "recorded (entry", "no-heavy-artillery")
	mustContain(t, "Jordan's commitments", jo.asOK("", "commitments", "list"), "No commitment that your party may read.")
	sameRefusal(t, jo.asFail("", "commitments", "show", "withdrawal-timetable"), "withdrawal-timetable", jo.asFail("", "commitments", "show", "nothing"), "nothing")
	mustContain(t, "a side fulfils itself", il.asFail("", "commitments", "status", "withdrawal-timetable", "phase-1", "--status", "fulfilled", "--reason", "done"), "the mediator sets")
	mustContain(t, "status without reason", il.asFail("", "commitments", "status", "withdrawal-timetable", "phase-1", "--status", "on_track"), "--reason is required")
	mustContain(t, "one argument", il.asFail("", "commitments", "status", "withdrawal-timetable", "--status", "on_track", "--reason", "x"), "name the commitment and the milestone")
	mustContain(t, "on track", il.asOK("", "commitments", "status", "withdrawal-timetable", "phase-1", "--status", "on_track", "--reason", "The units have their orders."),
		"phase-1 of withdrawal-timetable is ON_TRACK: The units have their orders.")
	mustContain(t, "a side reports", il.asFail("", "commitments", "report", "withdrawal-timetable", "phase-1", "--complete", "--text", "x"), "the mediator's")
	mustContain(t, "report", us.asOK("", "commitments", "report", "withdrawal-timetable", "phase-1", "--complete", "--text", "The posts are vacated."), "ON_TRACK")
	mustContain(t, "sign off one's own", il.asFail("", "commitments", "signoff", "withdrawal-timetable", "phase-1", "--accept"), "the other side signs off")
	mustContain(t, "sign off", sy.asOK("", "commitments", "signoff", "withdrawal-timetable", "phase-1", "--accept"), "FULFILLED: reported complete by the mediator and signed off by sy")
	mustContain(t, "show", il.asOK("", "commitments", "show", "withdrawal-timetable"), "FULFILLED", "done", "zone aos", "report (us.diplomatic", "sign-off by sy (sy.diplomatic")

	mustContain(t, "rounds", il.asOK("", "rounds"), "round-5", "5", "Paris", "il,sy,us", "WAITING FOR THE NEXT ROUND", "economic-zone  commercial: The economic zone around Quneitra (carried from round-5)")
	mustContain(t, "round", il.asOK("", "rounds", "show", "round-5"), "Round 5 of talks (round-5): Paris", "il: Head of delegation, Military adviser", "AGENDA",
		"withdrawal  diplomatic: A timetable for the withdrawal", "AGREED: Israel withdraws in two phases", "(commitment withdrawal-timetable)", "CARRIED", "MINUTES",
		"STATEMENT paris-5", "published", "STATEMENT economic-zone", "in drafting")
	mustContain(t, "Jordan's rounds", jo.asOK("", "rounds", "list"), "No talks round that your party may read.")
	sameRefusal(t, jo.asFail("", "rounds", "show", "round-5"), "round-5", jo.asFail("", "rounds", "show", "round-9"), "round-9")
}

// The calendar feed from a terminal: an address a calendar application
// reads signed in nowhere, and after 'calendar revoke' a 404.
func TestCalendarVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	il := signIn(t, d, url, "il.diplomatic")
	out := il.asOK("", "calendar", "token")
	feed := regexp.MustCompile(`http://\S+/calendar/lcal_\S+\.ics`).FindString(out)
	mustContain(t, "token", out, "Your calendar feed, until", "shown this once", "'liaison calendar revoke' ends it")
	if !strings.HasPrefix(feed, url+"/calendar/") {
		t.Fatalf("no feed address in %q", out)
	}
	get := func() (int, string) {
		t.Helper()
		resp, err := http.Get(feed)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body) //nolint:errcheck
		return resp.StatusCode, b.String()
	}
	if code, body := get(); code != http.StatusOK || !strings.HasPrefix(body, "BEGIN:VCALENDAR\r\n") || !strings.Contains(body, "Response to dispute") {
		t.Fatalf("the feed: %d\n%s", code, body)
	}
	mustContain(t, "a new token", il.asOK("", "calendar", "token"), "It replaces your earlier feed")
	if code, _ := get(); code != http.StatusNotFound {
		t.Errorf("the replaced feed answers %d", code)
	}
	mustContain(t, "revoke", il.asOK("", "calendar", "revoke"), "Revoked your calendar feed")
	mustContain(t, "revoke again", il.asOK("", "calendar", "revoke"), "You had no calendar feed to revoke.")
	mustContain(t, "no verb", il.asFail("", "calendar"), "liaison calendar token")
}

// FuzzReadTexts feeds the statement draft's reader arbitrary files. What it
// accepts is in the cell's languages, each with paragraphs none of which
// is empty, and reads back the same from its own JSON.
func FuzzReadTexts(f *testing.F) {
	for _, s := range []string{`{"en": ["One.", "Two."]}`, `{"en": [{"text": "One."}], "ar": ["واحد"]}`, `{"fr": ["Un."]}`, `{"en": []}`, `{"en": ["a"], "en": ["b"]}`,
		`{"en": [""]}`, `{"en": [{"text": "a", "x": 1}]}`, `[]`, `{}`, `{"en": ["a"]} {}`, `{"he": [null]}`, `{"en": [1]}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		texts, err := readTexts(data)
		if err != nil {
			return
		}
		if len(texts) == 0 {
			t.Fatal("accepted no text")
		}
		for lang, ps := range texts {
			if !slices.Contains([]string{"en", "ar", "he"}, lang) || len(ps) == 0 || len(ps) > diplomacy.MaxParagraph {
				t.Fatalf("accepted %s with %d paragraphs", lang, len(ps))
			}
			for _, p := range ps {
				if strings.TrimSpace(p.Text) == "" {
					t.Fatalf("accepted an empty paragraph in %s", lang)
				}
			}
		}
		b, err := json.Marshal(texts)
		if err != nil {
			t.Fatal(err)
		}
		again, err := readTexts(b)
		if err != nil || !maps.EqualFunc(texts, again, slices.Equal) {
			t.Fatalf("%s read back as %v, %v", b, again, err)
		}
	})
}
