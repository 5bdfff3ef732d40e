package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
)

// cosignLatest has party's witness cosign the cell's latest checkpoint
// through the API, as its mirror does.
func cosignLatest(t *testing.T, b *browser, k *record.WitnessKey) {
	t.Helper()
	cp, vkey := b.get("/api/v1/log/checkpoint"), b.get("/api/v1/log/key")
	msg, err := k.Cosign([]byte(cp.Body), strings.TrimSpace(vkey.Body))
	if err != nil {
		t.Fatal(err)
	}
	r := b.do("POST", "/api/v1/log/cosignatures", msg, http.Header{"X-CSRF-Token": {b.csrf}, "Content-Type": {"text/plain"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("cosign as %s: %d %s", b.member, r.Status, r.Body)
	}
}

func registerWitness(t *testing.T, b *browser, party string) *record.WitnessKey {
	t.Helper()
	k, err := record.NewWitnessKey("web.test/" + party)
	if err != nil {
		t.Fatal(err)
	}
	b.submit("/witnesses", cell.KindWitnessRegister, map[string]any{"verifier_key": k.VerifierKey(), "proof": k.ProvePossession(seed.DemoCell, party)})
	return k
}

func TestPagesSayWhoVerifiedTheLogAndRaiseTheAlarm(t *testing.T) {
	ts := newServer(t)
	ctx := context.Background()
	il, sy, us := ts.signInEnglish(t, "il.duty"), ts.signInEnglish(t, "sy.duty"), ts.signInEnglish(t, "us.duty")
	obs := ts.signInEnglish(t, "jo.duty")
	mustContain(t, "before any witness", obs.page("/dashboard"), "Not yet verified by any party&#39;s witness")

	ilK, syK, usK := registerWitness(t, il, "il"), registerWitness(t, sy, "sy"), registerWitness(t, us, "us")
	if err := ts.Ledger.SignCheckpoint(ctx, seed.DemoCell); err != nil {
		t.Fatal(err)
	}
	cosignLatest(t, il, ilK)
	cosignLatest(t, sy, syK)
	cosignLatest(t, us, usK)
	size, err := ts.Store.Size(ctx, seed.DemoCell)
	if err != nil {
		t.Fatal(err)
	}
	line := "Verified by Israel, Syria and United States at size " + itoa(size)
	// Every page of every member says it, the observer's too, and links to
	// the proof.
	for _, path := range []string{"/dashboard", "/channels", "/record", "/glossary"} {
		mustContain(t, path, obs.page(path), `<a href="/record/proof" id="verified-by">`+line+`</a>`)
	}
	proof := obs.page("/record/proof")
	mustContain(t, "the proof page", proof, line, "The latest signed checkpoint covers "+itoa(size)+" entries.",
		"Every party&#39;s witness has cosigned the latest checkpoint.", "No witness key registered, so not verifying the log for the others: Jordan, Regional partner A and Regional partner B.", "No alarm has been raised.")
	if strings.Contains(proof, `id="log-alarm"`) {
		t.Error("an alarm banner with no alarm")
	}

	// Israel's mirror cosigns no more; the mediator's witness goes on.
	il.submit("/entries", "message.send", map[string]any{"channel": "line-il", "subject": "after", "body": "b", "lang": "en", "precedence": "ROUTINE"})
	if err := ts.Ledger.SignCheckpoint(ctx, seed.DemoCell); err != nil {
		t.Fatal(err)
	}
	cosignLatest(t, us, usK)
	cosignLatest(t, sy, syK)
	proof = obs.page("/record/proof")
	mustContain(t, "after Israel fell behind", proof, "Verified by Israel, Syria and United States at size "+itoa(size),
		"Not yet cosigned the latest checkpoint: Israel")

	// The cell's key signs two roots at one size: Syria's mirror raises it.
	notes := forkedNotes(t, ts, 7)
	sy.submit("/log/alarms", cell.KindWitnessAlarm, map[string]any{"alarm": "fork", "detail": "two roots at size 7", "held": notes[0], "seen": notes[1]})
	for _, path := range []string{"/dashboard", "/record/proof"} {
		mustContain(t, path+" with an alarm", obs.page(path), `id="log-alarm"`, "Alarm: the cell&#39;s key signed two conflicting histories of the log (1 raised)")
	}
	proof = obs.page("/record/proof")
	mustContain(t, "the alarm on the proof page", proof, "Fork: raised by sy.duty (Syria), checkpoints of sizes 7 and 7", "two roots at size 7")
	for i, which := range []string{"held", "seen"} {
		i0 := strings.Index(proof, `/record/proof/alarms/`)
		href := proof[i0:i0+strings.Index(proof[i0:], `/held"`)] + "/" + which
		r := obs.get(href)
		if r.Status != http.StatusOK || r.Body != notes[i] || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("download %s: %d %q %q", href, r.Status, r.Header.Get("Content-Disposition"), r.Body)
		}
	}
	// In Arabic, right to left, with the names in Arabic.
	ar := obs.page("/record/proof?lang=ar")
	mustContain(t, "the Arabic proof page", ar, `dir="rtl"`, "تحقّق منه", "إنذار", "تفرّع")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// forkedNotes signs, with the cell's own checkpoint key, two checkpoints
// of size n with different roots: what a thief of the key shows two parties.
func forkedNotes(t *testing.T, ts *testServer, n int64) []string {
	t.Helper()
	skey, err := ts.Store.Secret(context.Background(), seed.DemoCell+".note.key")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(string(skey))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, leaf := range []string{"A", "B"} {
		msg, err := record.SignCheckpoint(record.Checkpoint{Origin: s.Name(), Size: n, Root: record.LeafHash([]byte(leaf))}, s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(msg))
	}
	return out
}
