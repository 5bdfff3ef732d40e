package diplomacy_test

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/diplomacy"
)

func texts(en string) map[string]any {
	return map[string]any{"en": []map[string]string{{"text": en}, {"text": "The parties will meet again in January."}},
		"ar": []map[string]string{{"text": "اتفقت الأطراف على تمديد وقف العمليات."}, {"text": "ستجتمع الأطراف مجددا في كانون الثاني."}}}
}

func hashesOf(t *testing.T, f *fixture, id string, v int) map[string]string {
	t.Helper()
	x, ok := obj[diplomacy.StatementVersion](f, f.view(""), diplomacy.ObjStatementVersion, diplomacy.VersionID(id, v))
	if !ok {
		t.Fatalf("no version %d of %s", v, id)
	}
	return x.Hashes
}

// A joint statement is agreed only when every required party and the
// mediator sign the same version; a signature on an older version does not
// count for a newer one; drafts are for the required parties, and an
// observer reads the statement only once it is published.
func TestStatementCoSigning(t *testing.T) {
	f := newFixture(t)
	draft := map[string]any{"statement": map[string]any{"id": "paris-5", "title": "Joint statement of the fifth round", "kind": "joint_statement",
		"required": []string{"il", "sy"}}, "texts": texts("The parties agreed to extend the suspension of operations.")}
	f.Fails(cell.ErrForbidden, "jo.duty", diplomacy.KindStatementDraft, draft)
	e := f.OK("us.dip", diplomacy.KindStatementDraft, draft)
	wantAudience(t, e, "il", "sy", "us")
	h1 := hashesOf(t, f, "paris-5", 1)
	sign := func(v int, h map[string]string) map[string]any {
		return map[string]any{"statement": "paris-5", "version": v, "hashes": h}
	}
	f.OK("il.dip", diplomacy.KindStatementSign, sign(1, h1))
	f.OK("us.dip", diplomacy.KindStatementSign, sign(1, h1))
	st, _ := obj[diplomacy.StatementInfo](f, f.view("il"), diplomacy.ObjStatement, "paris-5")
	if st.Agreed != 0 {
		t.Fatalf("agreed with two of three signatures: %+v", st)
	}
	// Syria asks for a change: version 2 carries no signature.
	f.OK("sy.dip", diplomacy.KindStatementComment, map[string]any{"statement": "paris-5", "version": 1, "lang": "en", "paragraph": 0,
		"text": "Say 'in the south' after 'operations'."})
	f.Fails(cell.ErrInvalid, "sy.dip", diplomacy.KindStatementComment, map[string]any{"statement": "paris-5", "version": 1, "lang": "en", "paragraph": 5, "text": "x"})
	draft["texts"] = texts("The parties agreed to extend the suspension of operations in the south.")
	f.OK("sy.dip", diplomacy.KindStatementDraft, map[string]any{"statement": map[string]any{"id": "paris-5"}, "texts": draft["texts"]})
	h2 := hashesOf(t, f, "paris-5", 2)
	if v1, _ := obj[diplomacy.StatementVersion](f, f.view(""), diplomacy.ObjStatementVersion, "paris-5/1"); v1.Status != "superseded" {
		t.Errorf("version 1 is %s", v1.Status)
	}
	f.Fails(cell.ErrConflict, "sy.dip", diplomacy.KindStatementSign, sign(1, h1))  // an older version takes no signature
	f.Fails(cell.ErrConflict, "sy.dip", diplomacy.KindStatementSign, sign(2, h1))  // the hashes are version 1's
	f.Fails(cell.ErrForbidden, "sy.mil", diplomacy.KindStatementSign, sign(2, h2)) // a military desk does not commit Syria
	f.Fails(cell.ErrForbidden, "jo.duty", diplomacy.KindStatementSign, sign(2, h2))
	f.OK("sy.dip", diplomacy.KindStatementSign, sign(2, h2))
	f.OK("il.dip", diplomacy.KindStatementSign, sign(2, h2))
	if st, _ := obj[diplomacy.StatementInfo](f, f.view(""), diplomacy.ObjStatement, "paris-5"); st.Agreed != 0 {
		t.Fatalf("agreed without the mediator's signature on version 2: %+v", st)
	}
	f.OK("us.dip", diplomacy.KindStatementSign, sign(2, h2))
	if st, _ := obj[diplomacy.StatementInfo](f, f.view(""), diplomacy.ObjStatement, "paris-5"); st.Agreed != 2 {
		t.Fatalf("not agreed when all three signed version 2: %+v", st)
	}
	if _, err := diplomacy.GetStatement(f.ctx, f.view("jo"), "paris-5"); err == nil {
		t.Fatal("an observer reads the statement before it is published")
	}

	v2, _ := obj[diplomacy.StatementVersion](f, f.view(""), diplomacy.ObjStatementVersion, "paris-5/2")
	publish := map[string]any{"statement": "paris-5", "version": 2, "title": "Joint statement of the fifth round", "texts": v2.Texts, "hashes": v2.Hashes,
		"signatures": v2.Signatures}
	f.Fails(cell.ErrForbidden, "il.dip", diplomacy.KindStatementPublish, publish)
	f.Fails(cell.ErrInvalid, "us.dip", diplomacy.KindStatementPublish, map[string]any{"statement": "paris-5", "version": 2,
		"title": "Joint statement of the fifth round", "texts": texts("other words"), "hashes": v2.Hashes})
	// The title is restated too: the draft that named it is not every
	// party's to read.
	f.Fails(cell.ErrInvalid, "us.dip", diplomacy.KindStatementPublish, map[string]any{"statement": "paris-5", "version": 2, "texts": v2.Texts, "hashes": v2.Hashes})
	f.Fails(cell.ErrInvalid, "us.dip", diplomacy.KindStatementPublish, map[string]any{"statement": "paris-5", "version": 2,
		"title": "A statement of the fifth round", "texts": v2.Texts, "hashes": v2.Hashes})
	// So are the signatures: an observer reads who signed from the
	// publication, not from the signatures it is not the audience of.
	for _, sigs := range []any{
		nil,
		map[string]diplomacy.StatementSignature{"il": v2.Signatures["il"], "us": v2.Signatures["us"]},
		map[string]diplomacy.StatementSignature{"il": v2.Signatures["il"], "sy": v2.Signatures["il"], "us": v2.Signatures["us"]},
	} {
		bad := maps.Clone(publish)
		bad["signatures"] = sigs
		f.Fails(cell.ErrInvalid, "us.dip", diplomacy.KindStatementPublish, bad)
	}
	pubEntry := f.OK("us.dip", diplomacy.KindStatementPublish, publish)
	wantAudience(t, pubEntry, "*")
	var restated diplomacy.PublishPayload
	if err := json.Unmarshal(pubEntry.Envelope.Payload, &restated); err != nil || len(restated.Signatures) != 3 {
		t.Fatalf("the publication's entry restates %+v, %v", restated.Signatures, err)
	}
	d, err := diplomacy.GetStatement(f.ctx, f.view("jo"), "paris-5")
	if err != nil || d.Published == nil || d.Published.Version != 2 || d.Published.Title != "Joint statement of the fifth round" ||
		len(d.Versions) != 0 || len(d.Comments) != 0 {
		t.Fatalf("the observer's published statement: %+v, %v", d, err)
	}
	for _, party := range []string{"il", "sy", "us"} {
		got, want := d.Published.Signatures[party], v2.Signatures[party]
		if got.Member != want.Member || got.Entry != want.Entry || got.Entry == 0 {
			t.Errorf("the observer reads %s's signature as %+v, want %+v", party, got, want)
		}
	}
	all, err := diplomacy.GetStatement(f.ctx, f.view("il"), "paris-5")
	if err != nil || len(all.Versions) != 2 || len(all.Comments) != 1 {
		t.Fatalf("Israel's statement: %d versions, %d comments, %v", len(all.Versions), len(all.Comments), err)
	}
	if ev := all.Evidence(); len(ev) != 5 { // the draft, three signatures, the publication
		t.Errorf("the statement's evidence: %v", ev)
	}
	f.Fails(cell.ErrConflict, "us.dip", diplomacy.KindStatementDraft, map[string]any{"statement": map[string]any{"id": "paris-5"}, "texts": texts("A change after publication.")})
	diff := diplomacy.DiffStatement(all.Versions[0], all.Versions[1])
	changed := 0
	for _, x := range diff {
		if x.Change == "changed" {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("the diff of versions 1 and 2: %+v", diff)
	}
}
