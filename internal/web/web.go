// Package web is the browser interface, served by the liaison binary from
// embedded files: server-rendered pages in English, Arabic and Hebrew, and
// small scripts that sign every write with the browser's own device key
// and keep the pages live over the API's event stream.
//
// Pages read through the API server's own visibility code (api.Server's
// Channels, Message, Inbox, ...), so a page shows a member exactly what the
// API would answer them; writes go to the API as signed envelopes.
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
)

//go:embed static
var static embed.FS

//go:embed templates/*.html
var templateFiles embed.FS

// Config configures the web interface.
type Config struct {
	// API is the server whose visibility code the pages read through.
	API *api.Server
	// SecureCookies marks the language cookie Secure, as the API does the
	// session cookie.
	SecureCookies bool
	Logger        *slog.Logger
}

// Web serves the pages.
type Web struct {
	api    *api.Server
	secure bool
	log    *slog.Logger
	cat    catalogs
	pages  map[string]*template.Template
	mux    *http.ServeMux
}

// ContentSecurityPolicy is every page's policy: scripts and styles from
// our own origin only (no inline script, no inline style), no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// pageNames are the templates, each parsed with the layout.
var pageNames = []string{"login", "device", "dashboard", "channels", "channel", "glossary", "records", "record", "proof", "error"}

// New returns the web interface's handler.
func New(cfg Config) (*Web, error) {
	if cfg.API == nil {
		return nil, errors.New("web: API is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cat, err := loadCatalogs()
	if err != nil {
		return nil, err
	}
	w := &Web{api: cfg.API, secure: cfg.SecureCookies, log: cfg.Logger, cat: cat, pages: map[string]*template.Template{}}
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/parts.html")
	if err != nil {
		return nil, err
	}
	dip, intelligence, com := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, n := range dipPages {
		dip[n] = true
	}
	for _, n := range intelPages {
		intelligence[n] = true
	}
	for _, n := range comPages {
		com[n] = true
	}
	for _, name := range slices.Concat(pageNames, deskPages, dipPages, intelPages, comPages) {
		partials := deskPartials[name]
		switch {
		case dip[name]:
			partials = dipPartials
		case intelligence[name]:
			partials = intelPartials
		}
		if com[name] {
			partials = comPartials
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if w.pages[name], err = t.ParseFS(templateFiles, append([]string{"templates/" + name + ".html"}, partials...)...); err != nil {
			return nil, err
		}
	}
	w.routes()
	return w, nil
}

func (w *Web) routes() {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	m := http.NewServeMux()
	m.Handle("GET /static/", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			w.notFound(rw, r, nil, nil)
			return
		}
		// Revalidate: the files change with each release and are small.
		rw.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(rw, r)
	}))
	m.HandleFunc("GET /favicon.ico", serveIcon("image/x-icon", iconICO()))
	m.HandleFunc("GET /favicon.svg", serveIcon("image/svg+xml", iconSVG()))
	m.HandleFunc("GET /{$}", w.root)
	m.HandleFunc("GET /login", w.loginPage)
	m.HandleFunc("GET /device", w.authed(w.devicePage))
	m.HandleFunc("GET /dashboard", w.authed(w.dashboard))
	m.HandleFunc("GET /urgent", w.authed(w.urgent))
	m.HandleFunc("GET /channels", w.authed(w.channelsPage))
	m.HandleFunc("GET /channels/{channel}", w.authed(w.channelPage))
	m.HandleFunc("GET /messages/{message}", w.authed(w.messageLink))
	m.HandleFunc("GET /glossary", w.authed(w.glossaryPage))
	m.HandleFunc("GET /record", w.authed(w.recordsPage))
	m.HandleFunc("GET /record/{index}", w.authed(w.recordPage))
	m.HandleFunc("GET /record/proof", w.authed(w.proofPage))
	m.HandleFunc("GET /record/proof/alarms/{alarm}/{which}", w.authed(w.alarmCheckpoint))
	w.deskRoutes(m)
	w.dipRoutes(m)
	w.intelRoutes(m)
	w.comRoutes(m)
	m.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		p, _ := w.api.Authenticate(r)
		w.notFound(rw, r, p, nil)
	})
	w.mux = m
}

// ServeHTTP sets the security headers every answer carries and routes.
func (w *Web) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	h := rw.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	w.mux.ServeHTTP(rw, r)
}

// pageHandler is a page for a signed-in member.
type pageHandler func(rw http.ResponseWriter, r *http.Request, c *ctx) error

// ctx is what every signed-in page knows about its request.
type ctx struct {
	p       *api.Principal
	l       *Localizer
	info    cell.Info
	parties []cell.Party
	now     time.Time
	proof   *proofLine
}

func (c *ctx) party(id string) cell.Party {
	for _, p := range c.parties {
		if p.ID == id {
			return p
		}
	}
	return cell.Party{ID: id, Name: id}
}

// partyName names a party by id in the reader's language.
func (c *ctx) partyName(id string) string {
	if id == "" {
		return c.l.T("signer.server")
	}
	return partyName(c.l, c.party(id))
}

// authed runs h for a signed-in member; without a valid session it sends
// the browser to sign in, and comes back after.
func (w *Web) authed(h pageHandler) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		p, err := w.api.Authenticate(r)
		if err != nil {
			if prob := api.ProblemOf(err); prob.Status == http.StatusUnauthorized {
				next := r.URL.Path
				if r.URL.RawQuery != "" && r.URL.Query().Get("fragment") == "" {
					next += "?" + r.URL.RawQuery
				}
				if r.URL.Query().Get("fragment") != "" {
					// A page script asked: it shows "signed out" itself.
					rw.Header().Set("Cache-Control", "no-store")
					http.Error(rw, "session ended", http.StatusUnauthorized)
					return
				}
				http.Redirect(rw, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
				return
			}
			w.fail(rw, r, nil, nil, err)
			return
		}
		l := w.localizer(rw, r, p.Member.Lang)
		c := &ctx{p: p, l: l, now: time.Now()}
		if c.info, c.parties, err = w.api.CellInfo(r, p); err != nil {
			w.fail(rw, r, p, l, err)
			return
		}
		c.proof = w.proofOf(r, c)
		if err := h(rw, r, c); err != nil {
			w.fail(rw, r, p, l, err)
		}
	}
}

// localizer picks the request's language, remembering an explicit choice.
func (w *Web) localizer(rw http.ResponseWriter, r *http.Request, memberLang string) *Localizer {
	lang, chosen := chooseLang(r, memberLang)
	if chosen {
		http.SetCookie(rw, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode})
	}
	return w.cat.localizer(lang)
}

// fail answers a page that could not be shown: the API's status, and for
// 404 the ordinary not-found page, never saying whether the thing exists.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, p *api.Principal, l *Localizer, err error) {
	prob := api.ProblemOf(err)
	if prob.Status == http.StatusNotFound {
		w.notFound(rw, r, p, l)
		return
	}
	if prob.Status >= 500 {
		w.log.Error("web page failed", "path", r.URL.Path, "err", err)
	}
	if l == nil {
		l = w.localizer(rw, r, "")
	}
	title, text := l.T("error.title"), prob.Detail
	switch prob.Status {
	case http.StatusForbidden:
		title = l.T("error.forbidden.title")
		text = l.T("error.forbidden.text")
	case http.StatusBadRequest:
		title = l.T("error.bad.title")
	case http.StatusUnauthorized:
		title = l.T("error.signin.title")
	}
	if prob.Status >= 500 {
		text = l.T("error.internal.text")
	}
	w.errorPage(rw, r, p, l, prob.Status, title, text)
}

// errorPage renders an error in the layout of the cell the member works
// in: an officer who lands on one must still see which cell's screen it is.
func (w *Web) errorPage(rw http.ResponseWriter, r *http.Request, p *api.Principal, l *Localizer, status int, title, text string) {
	pg := w.pageData(p, l, title, "", "", errorData{Heading: title, Text: text, Status: status})
	if p != nil {
		if info, _, err := w.api.CellInfo(r, p); err == nil {
			pg.CellName = cellName(info, l)
		}
	}
	w.render(rw, r, status, "error", pg)
}

type errorData struct {
	Heading, Text string
	Status        int
}

func (w *Web) notFound(rw http.ResponseWriter, r *http.Request, p *api.Principal, l *Localizer) {
	if l == nil {
		lang := ""
		if p != nil {
			lang = p.Member.Lang
		}
		l = w.localizer(rw, r, lang)
	}
	w.errorPage(rw, r, p, l, http.StatusNotFound, l.T("error.notfound.title"), l.T("error.notfound.text"))
}

// page is what the layout renders.
type page struct {
	L         *Localizer
	Title     string
	Nav       string // the current section: dashboard, hotline, record
	Script    string // the page's own module under /static/js/
	Signed    bool
	CSRF      string
	Member    string
	Party     string
	Mediator  bool
	Cell      string
	CellName  string
	PartyName string // in the reader's language
	Strings   string // the catalog's js.* messages, as JSON, for scripts
	ServerNow string
	Langs     []langLink
	// Proof is the log's "verified by" line and alarm count, on every
	// signed-in page.
	Proof *proofLine
	// Mirror is set at a party's mirror: the banner every page shows.
	Mirror *mirrorBanner
	Data   any
}

// mirrorBanner is what a mirror's pages say of it: whose it is, what it
// verified, when it last heard from the cell, and plainly when the line
// is down.
type mirrorBanner struct {
	Party       string // in the reader's language
	Size        int64
	Heard       string // UTC; empty when never
	LineDown    bool
	Relayed     bool
	Unprojected int
	// Waiting and Refused count the party's writes in the mirror's
	// outbox; Queue lists the reader's own.
	Waiting, Refused int
	Queue            []mirrorWrite
}

type mirrorWrite struct {
	Kind, ID, Queued, State, Reason string
}

func (w *Web) mirrorBanner(p *api.Principal, l *Localizer) *mirrorBanner {
	st, ok := w.api.MirrorStatus()
	if !ok {
		return nil
	}
	b := &mirrorBanner{Party: partyName(l, cell.Party{ID: st.Party, Name: st.PartyName, Names: st.PartyNames}), Size: st.Size,
		LineDown: st.LineDown, Relayed: st.Relayed, Unprojected: st.Unprojected, Waiting: st.Waiting, Refused: st.Refused}
	if p != nil {
		for _, q := range st.OwnQueue(p.Member.ID).Queue {
			b.Queue = append(b.Queue, mirrorWrite{Kind: q.Kind, ID: q.ID, Queued: newStamp(q.Queued, nil).Text, State: q.State, Reason: q.Reason})
		}
	}
	if b.Party == "" {
		b.Party = st.Party
	}
	if st.LastHeard != nil {
		b.Heard = newStamp(*st.LastHeard, nil).Text
	}
	return b
}

type langLink struct {
	Lang, Name, Href string
	Current          bool
}

var langNames = map[string]string{"en": "English", "ar": "العربية", "he": "עברית"}

func (w *Web) pageData(p *api.Principal, l *Localizer, title, nav, script string, data any) *page {
	pg := &page{L: l, Title: title, Nav: nav, Script: script, Data: data, ServerNow: time.Now().UTC().Format(time.RFC3339Nano)}
	js := map[string]string{}
	for k, v := range w.cat[l.Lang] {
		if rest, ok := strings.CutPrefix(k, "js."); ok {
			js[rest] = v
		}
	}
	b, _ := json.Marshal(js)
	pg.Strings = string(b)
	pg.Mirror = w.mirrorBanner(p, l)
	for _, lang := range Languages {
		pg.Langs = append(pg.Langs, langLink{Lang: lang, Name: langNames[lang], Href: "?lang=" + lang, Current: lang == l.Lang})
	}
	if p != nil {
		pg.Signed = true
		pg.Member, pg.Cell = p.Member.ID, p.Cell
		pg.Party, pg.Mediator = p.Party.ID, p.Party.Kind == cell.Mediator
		if p.Token.Kind == "session" {
			pg.CSRF = api.CSRFToken(p.Secret)
		}
		pg.PartyName = partyName(l, p.Party)
	}
	return pg
}

// render executes a page into a buffer first, so that a template error
// answers 500 instead of half a page.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, name string, pg *page) {
	w.renderTemplate(rw, r, status, name, "layout", pg)
}

// renderFragment renders one named part of a page, for a script that
// refreshes that part live.
// renderLive renders page name, or only its part frag-<fragment> when the
// page's script asks for it (?fragment=<fragment>) to refresh it in place
// on the stream's news.
func (w *Web) renderLive(rw http.ResponseWriter, r *http.Request, name, fragment string, pg *page) {
	if r.URL.Query().Get("fragment") == fragment {
		w.renderFragment(rw, r, name, "frag-"+fragment, pg)
		return
	}
	w.render(rw, r, http.StatusOK, name, pg)
}

func (w *Web) renderFragment(rw http.ResponseWriter, r *http.Request, name, fragment string, pg *page) {
	w.renderTemplate(rw, r, http.StatusOK, name, fragment, pg)
}

func (w *Web) renderTemplate(rw http.ResponseWriter, r *http.Request, status int, name, tmpl string, pg *page) {
	var buf bytes.Buffer
	if err := w.pages[name].ExecuteTemplate(&buf, tmpl, pg); err != nil {
		w.log.Error("web template", "page", name, "template", tmpl, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("Content-Language", pg.L.Lang)
	rw.Header().Set("Vary", "Cookie, Accept-Language")
	rw.WriteHeader(status)
	if r.Method != http.MethodHead {
		rw.Write(buf.Bytes()) //nolint:errcheck
	}
}

// root sends a signed-in member to the watch screen, anyone else to sign in.
func (w *Web) root(rw http.ResponseWriter, r *http.Request) {
	if _, err := w.api.Authenticate(r); err == nil {
		http.Redirect(rw, r, "/dashboard", http.StatusSeeOther)
		return
	}
	http.Redirect(rw, r, "/login", http.StatusSeeOther)
}

// localPath accepts a path on this site to return to after sign-in, and
// nothing that would leave it.
func localPath(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return "/dashboard"
	}
	u, err := url.Parse(s)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/dashboard"
	}
	if c := path.Clean(u.Path); c == "/login" || c == "/" {
		return "/dashboard"
	}
	return s
}

func (w *Web) loginPage(rw http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if _, err := w.api.Authenticate(r); err == nil {
		http.Redirect(rw, r, next, http.StatusSeeOther)
		return
	}
	l := w.localizer(rw, r, "")
	w.render(rw, r, http.StatusOK, "login", w.pageData(nil, l, l.T("login.title"), "", "login", map[string]string{"Next": next}))
}

func (w *Web) devicePage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	w.render(rw, r, http.StatusOK, "device", w.pageData(c.p, c.l, c.l.T("device.title"), "", "device", nil))
	return nil
}
