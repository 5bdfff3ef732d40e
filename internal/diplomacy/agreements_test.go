package diplomacy_test

import (
	"slices"
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/diplomacy"
)

func paris() map[string]any {
	return map[string]any{"id": "paris", "title": "Paris liaison arrangement", "authoritative": "en", "articles": []map[string]any{
		{"number": "1", "title": "The mechanism", "texts": map[string]string{"en": "The parties establish a liaison mechanism under the mediator's supervision.",
			"ar": "تنشئ الأطراف آلية ارتباط تحت إشراف الوسيط."}},
		{"number": "2", "texts": map[string]string{"en": "Each party notifies planned military activity near the line in advance."}},
		{"number": "3", "texts": map[string]string{"en": "Disputes are raised through the mechanism and settled promptly."}},
	}}
}

// Agreements are recorded by the mediator, in versions every party reads;
// two versions compare article by article.
func TestAgreementVersionsAndDiff(t *testing.T) {
	f := newFixture(t)
	f.Fails(cell.ErrForbidden, "il.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": paris()})
	f.Fails(cell.ErrForbidden, "us.mil", diplomacy.KindAgreementRecord, map[string]any{"agreement": paris()})
	wantAudience(t, f.OK("us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": paris()}), "*")
	f.Fails(cell.ErrConflict, "us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": paris()})

	amended := paris()
	arts := amended["articles"].([]map[string]any)
	arts[1] = map[string]any{"number": "2", "texts": map[string]string{"en": "Each party notifies planned military activity within 25 km of the line 24 hours in advance."}}
	arts = append(arts[:2], map[string]any{"number": "4", "texts": map[string]string{"en": "The parties meet in rounds."}})
	amended["articles"] = arts
	f.OK("us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": amended, "amends": "Article 2 sets the distance and the notice; article 3 moves to the rounds."})

	d, err := diplomacy.GetAgreement(f.ctx, f.view("jo"), "paris")
	if err != nil || d.Latest != 2 || len(d.Versions) != 2 {
		t.Fatalf("the observer's agreement: %+v, %v", d, err)
	}
	diff, err := diplomacy.Diff(f.ctx, f.view("sy"), "paris", 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range diff {
		got = append(got, x.Number+":"+x.Change)
	}
	if want := []string{"1:unchanged", "2:changed", "4:added", "3:removed"}; !slices.Equal(got, want) {
		t.Errorf("the diff: %v, want %v", got, want)
	}
	if !slices.Equal(diff[1].Langs, []string{"en"}) {
		t.Errorf("article 2 changed in %v", diff[1].Langs)
	}

	for name, change := range map[string]func(a map[string]any){
		"no articles": func(a map[string]any) { a["articles"] = []map[string]any{} },
		"an article twice": func(a map[string]any) {
			a["articles"] = append(a["articles"].([]map[string]any), a["articles"].([]map[string]any)[0])
		},
		"no authoritative text":     func(a map[string]any) { a["authoritative"] = "ar" },
		"a language the cell lacks": func(a map[string]any) { a["authoritative"] = "fr" },
		"an id in capitals":         func(a map[string]any) { a["id"] = "Paris" },
		"an article in no language": func(a map[string]any) {
			a["articles"] = []map[string]any{{"number": "9", "texts": map[string]string{}}}
		},
		"an article in a foreign tongue": func(a map[string]any) {
			a["articles"] = []map[string]any{{"number": "9", "texts": map[string]string{"en": "x", "de": "y"}}}
		},
	} {
		a := paris()
		a["id"] = "other"
		change(a)
		f.Fails(cell.ErrInvalid, "us.dip", diplomacy.KindAgreementRecord, map[string]any{"agreement": a})
		_ = name
	}
}
