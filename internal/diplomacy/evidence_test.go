package diplomacy_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/record"
)

// What a bundle's entries prove of a published statement: complete with
// its drafts and every signature, the publication alone without them, and
// refused with some of them missing or with a text that is not the one
// its hash binds.
func TestStatementsProven(t *testing.T) {
	f := newFixture(t)
	draft := map[string]any{"statement": map[string]any{"id": "s", "title": "Statement", "kind": "joint_statement", "required": []string{"il", "sy"}},
		"texts": texts("Version one.")}
	first := f.OK("us.dip", diplomacy.KindStatementDraft, draft)
	second := f.OK("il.dip", diplomacy.KindStatementDraft, map[string]any{"statement": map[string]any{"id": "s"}, "texts": texts("Version two.")})
	h := hashesOf(t, f, "s", 2)
	var sigs []*record.Entry
	for _, who := range []string{"il.dip", "sy.dip", "us.dip"} {
		sigs = append(sigs, f.OK(who, diplomacy.KindStatementSign, map[string]any{"statement": "s", "version": 2, "hashes": h}))
	}
	v2, _ := obj[diplomacy.StatementVersion](f, f.view(""), diplomacy.ObjStatementVersion, "s/2")
	pub := f.OK("us.dip", diplomacy.KindStatementPublish, map[string]any{"statement": "s", "version": 2, "title": "Statement", "texts": v2.Texts, "hashes": v2.Hashes,
		"signatures": v2.Signatures})
	all := append([]*record.Entry{first, second}, append(sigs, pub)...)

	got, err := diplomacy.StatementsProven(all)
	if err != nil || len(got) != 1 {
		t.Fatalf("the whole evidence: %+v, %v", got, err)
	}
	p := got[0]
	if !p.Complete || p.Version != 2 || p.Draft != second.Index || p.Publication != pub.Index || !slices.Equal(p.Required, []string{"il", "sy", "us"}) ||
		!slices.Equal(p.Signed, []string{"il", "sy", "us"}) || p.Signatures["sy"] != sigs[1].Index || p.Title != "Statement" {
		t.Errorf("the whole evidence proves %+v", p)
	}
	if got, err := diplomacy.StatementsProven([]*record.Entry{pub}); err != nil || len(got) != 1 || got[0].Complete || got[0].Required != nil {
		t.Errorf("the publication alone: %+v, %v", got, err)
	}
	for name, c := range map[string]struct {
		entries []*record.Entry
		want    string
	}{
		"a signature taken out":       {[]*record.Entry{first, second, sigs[0], sigs[2], pub}, "no signature of version 2 by sy"},
		"the first draft taken out":   {[]*record.Entry{second, sigs[0], sigs[1], sigs[2], pub}, "no draft that names the parties it requires"},
		"the agreed draft taken out":  {[]*record.Entry{first, sigs[0], sigs[1], sigs[2], pub}, "not the draft of version 2"},
		"a signature of another text": {[]*record.Entry{first, second, sigs[0], sigs[1], resigned(t, f, sigs[2]), pub}, "no signature of version 2 by us"},
		"a signature the publication does not restate": {[]*record.Entry{first, second, sigs[0], sigs[1], sigs[2], edited(t, pub, func(p map[string]any) {
			delete(p["signatures"].(map[string]any), "sy")
		})}, "does not restate"},
		"a publication's text changed": {[]*record.Entry{edited(t, pub, func(p map[string]any) {
			p["texts"].(map[string]any)["en"].([]any)[0].(map[string]any)["text"] = "Another text."
		})}, "does not hash"},
	} {
		if got, err := diplomacy.StatementsProven(c.entries); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %+v, %v; want an error saying %q", name, got, err, c.want)
		}
	}
}

// edited is e with its payload changed (its signature no longer checks,
// which the bundle's own check finds; this is what StatementsProven finds
// of it).
func edited(t *testing.T, e *record.Entry, change func(map[string]any)) *record.Entry {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(e.Envelope.Payload, &p); err != nil {
		t.Fatal(err)
	}
	change(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	x := *e
	env := *e.Envelope
	env.Payload = b
	x.Envelope = &env
	return &x
}

// resigned is a signature entry whose hashes are another text's.
func resigned(t *testing.T, f *fixture, e *record.Entry) *record.Entry {
	t.Helper()
	return edited(t, e, func(p map[string]any) { p["hashes"] = hashesOf(t, f, "s", 1) })
}
