package diplomacy

import (
	"errors"
	"reflect"
	"slices"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// AgreementPayload is the payload of agreement.record: a version of an
// agreement as the parties agreed it (the first makes the agreement; a
// later one is an amendment, and the history stays).
type AgreementPayload struct {
	record.Header
	Agreement AgreementContent `json:"agreement"`
	Amends    string           `json:"amends,omitempty"`
}

func checkAgreement(a *AgreementContent) error {
	if !idPattern.MatchString(a.ID) {
		return invalid("agreement id %q: use lower-case letters, digits, '.', '_' or '-'", a.ID)
	}
	if err := checkText("title", a.Title, MaxTitle, true); err != nil {
		return err
	}
	if err := cell.CheckNames("titles", a.Titles); err != nil {
		return err
	}
	if !slices.Contains(cell.Languages, a.Authoritative) {
		return invalid("authoritative: %q is not one of the cell's languages (en, ar, he)", a.Authoritative)
	}
	if err := checkText("signed", a.Signed, MaxTitle, false); err != nil {
		return err
	}
	if len(a.Articles) == 0 || len(a.Articles) > MaxArticles {
		return invalid("an agreement has 1 to %d articles", MaxArticles)
	}
	seen := map[string]bool{}
	for i, art := range a.Articles {
		if art.Number == "" || len(art.Number) > 32 {
			return invalid("articles[%d]: a number of 1 to 32 characters", i)
		}
		if seen[art.Number] {
			return invalid("article %q appears twice", art.Number)
		}
		seen[art.Number] = true
		if err := checkText("articles["+art.Number+"].title", art.Title, MaxTitle, false); err != nil {
			return err
		}
		if err := checkLangTexts("articles["+art.Number+"].texts", art.Texts, MaxArticle, true); err != nil {
			return err
		}
		if _, ok := art.Texts[a.Authoritative]; !ok {
			return invalid("article %s has no text in the authoritative language %s", art.Number, a.Authoritative)
		}
	}
	return checkText("note", a.Note, MaxText, false)
}

// agreementRecord records a version of an agreement. The mediator keeps
// the texts the parties agreed, as it keeps the glossary.
func agreementRecord(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.MediateDiplomacy, cell.Target{Doing: "recording an agreement"}); err != nil {
		return store.Effect{}, err
	}
	var p AgreementPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	a := p.Agreement
	if err := checkAgreement(&a); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("amends", p.Amends, MaxText, false); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	ag, _, err := get[Agreement](c, ObjAgreement, a.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		ag = Agreement{ID: a.ID}
	case err != nil:
		return store.Effect{}, err
	default:
		last, _, err := get[AgreementVersion](c, ObjAgreementVersion, VersionID(a.ID, ag.Latest))
		if err != nil {
			return store.Effect{}, err
		}
		if reflect.DeepEqual(last.Content, a) {
			return store.Effect{}, conflict("version %d of agreement %s already says exactly this", ag.Latest, a.ID)
		}
	}
	ag.Latest++
	ag.Title, ag.Titles, ag.Reference = a.Title, a.Titles, a.Reference
	v := AgreementVersion{Agreement: a.ID, Version: ag.Latest, Content: a, Entry: idx, By: member(c.Actor), At: now, Amends: p.Amends}
	aud, mask := cell.Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjAgreement, a.ID, "", ag), put(ObjAgreementVersion, VersionID(a.ID, v.Version), a.ID, v)}}, nil
}

// article finds an article in the agreement's version (latest when v is
// 0).
func article(c *cell.Command, ref ArticleRef) (AgreementVersion, Article, error) {
	ag, _, err := get[Agreement](c, ObjAgreement, ref.Agreement)
	if err != nil {
		return AgreementVersion{}, Article{}, invalid("no agreement %q", ref.Agreement)
	}
	v := ref.Version
	if v == 0 {
		v = ag.Latest
	}
	av, _, err := get[AgreementVersion](c, ObjAgreementVersion, VersionID(ref.Agreement, v))
	if err != nil {
		return AgreementVersion{}, Article{}, invalid("agreement %s has no version %d", ref.Agreement, v)
	}
	for _, art := range av.Content.Articles {
		if art.Number == ref.Article {
			return av, art, nil
		}
	}
	return av, Article{}, invalid("agreement %s (version %d) has no article %q", ref.Agreement, v, ref.Article)
}

// ArticleDiff says how one article differs between two versions.
type ArticleDiff struct {
	Number string `json:"number"`
	// Change is added, removed, changed or unchanged.
	Change string   `json:"change"`
	From   *Article `json:"from,omitempty"`
	To     *Article `json:"to,omitempty"`
	// Langs lists the languages whose text changed.
	Langs []string `json:"langs,omitempty"`
}

// DiffArticles compares two versions article by article: the later
// version's articles in their order (added, changed or unchanged), then
// those it no longer has (removed), in the earlier version's order.
func DiffArticles(from, to AgreementContent) []ArticleDiff {
	old := map[string]Article{}
	for _, a := range from.Articles {
		old[a.Number] = a
	}
	var out []ArticleDiff
	for _, a := range to.Articles {
		art := a
		o, ok := old[a.Number]
		if !ok {
			out = append(out, ArticleDiff{Number: a.Number, Change: "added", To: &art})
			continue
		}
		prev := o
		d := ArticleDiff{Number: a.Number, Change: "unchanged", From: &prev, To: &art}
		for _, lang := range cell.Languages {
			if o.Texts[lang] != a.Texts[lang] {
				d.Langs = append(d.Langs, lang)
			}
		}
		if len(d.Langs) > 0 || o.Title != a.Title {
			d.Change = "changed"
		}
		out = append(out, d)
	}
	for _, a := range from.Articles {
		if !slices.ContainsFunc(to.Articles, func(x Article) bool { return x.Number == a.Number }) {
			art := a
			out = append(out, ArticleDiff{Number: a.Number, Change: "removed", From: &art})
		}
	}
	return out
}
