package web

import (
	"html/template"
	"sort"
	"strings"
	"unicode"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/hotline"
)

// markTerms escapes text and marks the agreed glossary terms it uses, each
// with the term in the cell's other languages as its title, so that a
// reader sees which words carry an agreed meaning.
func markTerms(text string, hits []api.GlossaryHit, terms map[string]hotline.Term) template.HTML {
	runes := []rune(text)
	lower := make([]rune, len(runes))
	for i, r := range runes {
		lower[i] = unicode.ToLower(r) // rune for rune, so positions agree
	}
	type span struct {
		from, to int
		term     string
	}
	var spans []span
	for _, h := range hits {
		needle := []rune(strings.ToLower(h.Text))
		if len(needle) == 0 {
			continue
		}
		for i := 0; i+len(needle) <= len(lower); i++ {
			if string(lower[i:i+len(needle)]) == string(needle) {
				spans = append(spans, span{i, i + len(needle), h.Term})
				i += len(needle) - 1
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].from != spans[j].from {
			return spans[i].from < spans[j].from
		}
		return spans[i].to > spans[j].to
	})
	var b strings.Builder
	at := 0
	for _, s := range spans {
		if s.from < at {
			continue // overlaps a longer term already marked
		}
		b.WriteString(template.HTMLEscapeString(string(runes[at:s.from])))
		b.WriteString(`<mark class="term" data-term="` + template.HTMLEscapeString(s.term) + `" title="` +
			template.HTMLEscapeString(termTitle(terms[s.term])) + `">`)
		b.WriteString(template.HTMLEscapeString(string(runes[s.from:s.to])))
		b.WriteString(`</mark>`)
		at = s.to
	}
	b.WriteString(template.HTMLEscapeString(string(runes[at:])))
	return template.HTML(b.String()) //nolint:gosec // every piece above is escaped
}

// termTitle lists a term in each language: "en: buffer zone · ar: …".
func termTitle(t hotline.Term) string {
	var parts []string
	for _, lang := range Languages {
		if s := t.Terms[lang]; s != "" {
			parts = append(parts, lang+": "+s)
		}
	}
	return strings.Join(parts, " · ")
}

// termsIn finds the agreed terms a text uses, in any language: the API
// lists those of a message's own text, and a translation is marked the
// same way.
func termsIn(text string, terms map[string]hotline.Term) []api.GlossaryHit {
	lower := strings.ToLower(text)
	var out []api.GlossaryHit
	for id, t := range terms {
		for lang, s := range t.Terms {
			if s != "" && strings.Contains(lower, strings.ToLower(s)) {
				out = append(out, api.GlossaryHit{Term: id, Lang: lang, Text: s})
			}
		}
	}
	return out
}
