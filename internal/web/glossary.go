package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// glossaryData is the cell's agreed terms, side by side in its languages,
// for the officers and translators who must use them; the mediator, who
// keeps the glossary, adds and amends terms here.
type glossaryData struct {
	Terms   []termRow
	CanEdit bool
}

type termRow struct {
	ID         string
	En, Ar, He string
	Note       string
}

func (w *Web) glossaryPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	terms, err := w.api.Glossary(r, c.p)
	if err != nil {
		return err
	}
	d := glossaryData{CanEdit: cell.May(c.p.Actor(), cell.KeepGlossary, cell.Target{}) == nil}
	for _, t := range terms {
		d.Terms = append(d.Terms, termRow{ID: t.ID, En: termIn(t, "en"), Ar: termIn(t, "ar"), He: termIn(t, "he"), Note: t.Note})
	}
	slices.SortFunc(d.Terms, func(a, b termRow) int { return strings.Compare(a.ID, b.ID) })
	w.render(rw, r, http.StatusOK, "glossary", w.page(c, c.l.T("glossary.title"), "glossary", "glossary", d))
	return nil
}

// termIn is a term's wording in a base language (a tag like "ar-SY"
// counts for "ar").
func termIn(t hotline.Term, lang string) string {
	if s := t.Terms[lang]; s != "" {
		return s
	}
	for tag, s := range t.Terms {
		if baseLang(tag) == lang {
			return s
		}
	}
	return ""
}
