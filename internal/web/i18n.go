package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Languages are the interface's languages, in the order the language links
// show them.
var Languages = []string{"en", "ar", "he"}

// rtl holds the languages written right to left.
var rtl = map[string]bool{"ar": true, "he": true}

// LangCookie remembers a chosen language.
const LangCookie = "liaison_lang"

//go:embed i18n/*.json
var catalogFiles embed.FS

// catalogs holds each language's messages by key. Keys are flat
// ("nav.dashboard"); a value may name arguments as {name}.
type catalogs map[string]map[string]string

func loadCatalogs() (catalogs, error) {
	out := catalogs{}
	for _, lang := range Languages {
		b, err := catalogFiles.ReadFile("i18n/" + lang + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n/%s.json: %w", lang, err)
		}
		out[lang] = m
	}
	return out, nil
}

// Localizer renders messages in one language.
type Localizer struct {
	Lang string
	cat  map[string]string
	en   map[string]string
}

func (c catalogs) localizer(lang string) *Localizer {
	if _, ok := c[lang]; !ok {
		lang = "en"
	}
	return &Localizer{Lang: lang, cat: c[lang], en: c["en"]}
}

// Dir is the writing direction of the language: "rtl" or "ltr".
func (l *Localizer) Dir() string {
	if rtl[l.Lang] {
		return "rtl"
	}
	return "ltr"
}

// T renders the message key with arguments given as name, value pairs. A
// key missing from the language falls back to English and then to the key
// itself (a test keeps every catalog complete).
func (l *Localizer) T(key string, args ...any) string {
	s, ok := l.cat[key]
	if !ok {
		if s, ok = l.en[key]; !ok {
			s = key
		}
	}
	if len(args) == 0 {
		return s
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(deref(args[i+1])))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// ltrText is an argument of TH laid out left to right whatever it holds
// or surrounds: a time, a countdown, a member's id, a hash.
type ltrText string

// TH renders the message key as HTML, each argument isolated in a <bdi>
// (ltrText ones with dir="ltr"), so that a value keeps its own order in a
// sentence of the other direction: in Arabic, a countdown or a member's
// id written left to right does not take the punctuation beside it along,
// nor swap places with its neighbours.
func (l *Localizer) TH(key string, args ...any) template.HTML {
	s := l.T(key)
	vals := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		vals[fmt.Sprint(args[i])] = args[i+1]
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '{')
		end := strings.IndexByte(s[max(open, 0):], '}') + max(open, 0)
		if open < 0 || end < open {
			break
		}
		v, ok := vals[s[open+1:end]]
		if !ok {
			b.WriteString(template.HTMLEscapeString(s[:end+1]))
			s = s[end+1:]
			continue
		}
		b.WriteString(template.HTMLEscapeString(s[:open]))
		if x, isLTR := v.(ltrText); isLTR {
			b.WriteString(`<bdi dir="ltr">` + template.HTMLEscapeString(string(x)) + `</bdi>`)
		} else {
			b.WriteString(`<bdi>` + template.HTMLEscapeString(fmt.Sprint(deref(v))) + `</bdi>`)
		}
		s = s[end+1:]
	}
	b.WriteString(template.HTMLEscapeString(s))
	return template.HTML(b.String()) //nolint:gosec // every piece is escaped above
}

// deref gives the value behind a pointer (an optional field, as a
// template's "with" hands it over), which fmt would print as an address.
func deref(v any) any {
	r := reflect.ValueOf(v)
	for r.Kind() == reflect.Pointer {
		if r.IsNil() {
			return ""
		}
		r = r.Elem()
	}
	if !r.IsValid() {
		return v
	}
	return r.Interface()
}

// Has reports whether the catalog holds key, for messages chosen by data
// (a precedence, a desk) that may be outside the catalog.
func (l *Localizer) Has(key string) bool {
	_, ok := l.cat[key]
	return ok
}

// chooseLang picks the interface language of a request: an explicit
// ?lang=, then the remembered cookie, then the browser's preference (the
// device's own setting), then the member's language, then English. fromQuery tells the caller to
// remember the choice.
func chooseLang(r *http.Request, memberLang string) (lang string, fromQuery bool) {
	if q := r.URL.Query().Get("lang"); slices.Contains(Languages, q) {
		return q, true
	}
	if c, err := r.Cookie(LangCookie); err == nil && slices.Contains(Languages, c.Value) {
		return c.Value, false
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if slices.Contains(Languages, base) {
			return base, false
		}
	}
	if base, _, _ := strings.Cut(strings.ToLower(memberLang), "-"); slices.Contains(Languages, base) {
		return base, false
	}
	return "en", false
}
