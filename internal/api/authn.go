package api

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/store"
)

// SessionCookie is the browser session cookie's name.
const SessionCookie = "liaison_session"

// Principal is the authenticated caller of a request.
type Principal struct {
	Cell   string
	Member cell.Member
	Party  cell.Party
	Token  store.Token
	Secret string // the bearer or session secret presented
}

// Actor is the principal as cell.May sees it.
func (p *Principal) Actor() cell.Actor { return cell.Actor{Member: &p.Member, Party: &p.Party} }

type principalKey struct{}

// PrincipalFrom returns the principal of an authenticated request.
func PrincipalFrom(r *http.Request) *Principal {
	p, _ := r.Context().Value(principalKey{}).(*Principal)
	return p
}

// Authenticate resolves the caller of r (for other packages: the web UI).
func (s *Server) Authenticate(r *http.Request) (*Principal, error) { return s.authenticate(r) }

// authenticate resolves the bearer token or session cookie, and checks that
// it is unexpired and unrevoked, belongs to the addressed cell, and that its
// member is still active: disabling a member locks them out at once.
func (s *Server) authenticate(r *http.Request) (*Principal, error) {
	var secret, kind string
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return nil, errUnauthenticated
		}
		secret, kind = strings.TrimSpace(tok), "bearer"
	} else if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		secret, kind = c.Value, "session"
	} else {
		return nil, errUnauthenticated
	}
	hash := auth.HashSecret(secret)
	if p, ok := s.auth.get(hash); ok {
		if p.Token.Kind != kind || time.Now().After(p.Token.Expires) {
			return nil, problem(http.StatusUnauthorized, "expired", "Session ended", "the token has expired or was revoked; sign in again")
		}
		if p.Cell != s.cellOf(r) {
			return nil, problem(http.StatusForbidden, "wrong-cell", "Another cell", "this token belongs to another cell")
		}
		if err := checkCSRF(r, kind, secret); err != nil {
			return nil, err
		}
		q := *p
		q.Secret = secret
		return &q, nil
	}
	gen := s.auth.generation()
	t, err := s.st.TokenByHash(r.Context(), hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if t.Revoked || time.Now().After(t.Expires) || t.Kind != kind {
		return nil, problem(http.StatusUnauthorized, "expired", "Session ended", "the token has expired or was revoked; sign in again")
	}
	if t.Cell != s.cellOf(r) {
		return nil, problem(http.StatusForbidden, "wrong-cell", "Another cell", "this token belongs to another cell")
	}
	if err := checkCSRF(r, kind, secret); err != nil {
		return nil, err
	}
	// unfiltered: who the token's member is, before there is a reader.
	v := s.st.View(t.Cell)
	m, err := cell.GetMember(r.Context(), v, t.Member)
	if err != nil {
		return nil, errUnauthenticated
	}
	if m.Disabled {
		return nil, problem(http.StatusUnauthorized, "disabled", "Member disabled", "member "+m.ID+" has been disabled by an admin")
	}
	pa, err := cell.GetParty(r.Context(), v, m.Party)
	if err != nil {
		return nil, err
	}
	p := &Principal{Cell: t.Cell, Member: m, Party: pa, Token: t}
	s.auth.put(hash, p, gen)
	q := *p
	q.Secret = secret
	return &q, nil
}

// checkCSRF: cookies ride along on cross-site requests, so a write made
// with a session must also carry the CSRF header only our pages can set.
func checkCSRF(r *http.Request, kind, secret string) error {
	if kind == "session" && !safeMethod(r.Method) {
		if h := r.Header.Get("X-CSRF-Token"); h == "" || subtle.ConstantTimeCompare([]byte(h), csrfToken(secret)) != 1 {
			return forbiddenP("missing or wrong X-CSRF-Token header")
		}
	}
	return nil
}

// AuthCacheTTL bounds how long a verified token is trusted without
// reading the store again. Revocations and disablings made through this
// node take effect at once (they purge the cache); those made through
// another node, within this time.
const AuthCacheTTL = time.Second

type authCache struct {
	mu sync.Mutex
	m  map[string]authCached
	// gen counts forgets: a lookup that began before one must not cache
	// what it read, or a logout racing a request would be undone for the
	// cache's lifetime.
	gen uint64
}

type authCached struct {
	p  *Principal
	at time.Time
}

func (c *authCache) get(hash []byte) (*Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[string(hash)]
	if !ok || time.Since(e.at) > AuthCacheTTL {
		return nil, false
	}
	return e.p, true
}

func (c *authCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *authCache) put(hash []byte, p *Principal, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]authCached{}
	}
	c.m[string(hash)] = authCached{p: p, at: time.Now()}
}

// forget drops cached tokens: of one hash, or every token of a member.
func (c *authCache) forget(hash []byte, cellID, member string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if hash != nil {
		delete(c.m, string(hash))
	}
	if member != "" {
		for k, e := range c.m {
			if e.p.Cell == cellID && e.p.Member.ID == member {
				delete(c.m, k)
			}
		}
	}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// csrfToken derives the CSRF token of a session: pages embed it, and a
// cross-site attacker, who cannot read the cookie, cannot compute it.
func csrfToken(session string) []byte {
	h := auth.HashSecret("csrf\x00" + session)
	const hexd = "0123456789abcdef"
	out := make([]byte, 32)
	for i := range 16 {
		out[2*i], out[2*i+1] = hexd[h[i]>>4], hexd[h[i]&15]
	}
	return out
}

// CSRFToken returns the CSRF token of a session secret.
func CSRFToken(session string) string { return string(csrfToken(session)) }

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Session asks for a browser session cookie instead of a bearer token.
	Session bool `json:"session,omitempty"`
}

type loginResponse struct {
	Token     string    `json:"token,omitempty"`
	CSRFToken string    `json:"csrf_token,omitempty"`
	Expires   time.Time `json:"expires"`
	Member    any       `json:"member"`
	Cell      string    `json:"cell"`
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" || len(req.Username) > 64 || len(req.Password) > 256 || !utf8.ValidString(req.Username) {
		return badRequest("username and password are required (username at most 64 bytes, password at most 256)")
	}
	cellID := s.cellOf(r)
	at, err := s.beginSignin(r, cellID, req.Username)
	if err != nil {
		return err
	}
	c, err := s.st.CredentialByUsername(r.Context(), cellID, req.Username)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a real check, so that timing does not
		// reveal which usernames exist.
		auth.CheckPassword(dummyHash(s.cfg.Password), req.Password) //nolint:errcheck
		at.failed(signinUnknownUser)
		return auth.ErrBadPassword
	}
	if err != nil {
		at.undo()
		return err
	}
	at.member = c.Member
	if err := auth.CheckPassword(c.Hash, req.Password); err != nil {
		at.failed(signinWrongPassword)
		return auth.ErrBadPassword
	}
	at.ok()
	// unfiltered: the member behind a verified password, before there
	// is a reader.
	m, err := cell.GetMember(r.Context(), s.st.View(cellID), c.Member)
	if err != nil {
		return err
	}
	if m.Disabled || c.Disabled {
		s.signinFailures.WithLabelValues(s.cellLabel(cellID), signinDisabled).Inc()
		return problem(http.StatusUnauthorized, "disabled", "Member disabled", "member "+m.ID+" has been disabled by an admin")
	}
	kind, ttl, prefix := "bearer", s.cfg.TokenTTL, "lsn_"
	if req.Session {
		kind, ttl, prefix = "session", s.cfg.SessionTTL, "lss_"
	}
	secret := auth.NewSecret(prefix)
	now := time.Now().UTC()
	t := store.Token{Hash: auth.HashSecret(secret), Cell: cellID, Member: m.ID, Kind: kind, Created: now, Expires: now.Add(ttl), UserAgent: truncate(r.UserAgent(), 200)}
	if err := s.st.PutToken(r.Context(), t); err != nil {
		return err
	}
	s.log.Info("login", "cell", cellID, "member", m.ID, "kind", kind)
	resp := loginResponse{Expires: t.Expires, Member: m, Cell: cellID}
	if req.Session {
		http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", Expires: t.Expires,
			HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
		resp.CSRFToken = CSRFToken(secret)
	} else {
		resp.Token = secret
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

var dummy struct {
	once sync.Once
	hash string
}

func dummyHash(p auth.Params) string {
	dummy.once.Do(func() { dummy.hash, _ = auth.HashPassword("not a password", p) })
	return dummy.hash
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := s.st.RevokeToken(r.Context(), p.Token.Hash); err != nil {
		return err
	}
	s.auth.forget(p.Token.Hash, "", "")
	if p.Token.Kind == "session" {
		http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p *Principal) error {
	keys, err := s.memberKeys(r, p, p.Member.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"cell": p.Cell, "member": p.Member, "party": p.Party, "keys": keys,
		"session": map[string]any{"kind": p.Token.Kind, "expires": p.Token.Expires},
	})
	return nil
}

type passwordRequest struct {
	Old string `json:"old_password"`
	New string `json:"new_password"`
}

// MinPasswordLength is the shortest password a member may choose.
const MinPasswordLength = 12

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, p *Principal) error {
	var req passwordRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if utf8.RuneCountInString(req.New) < MinPasswordLength || len(req.New) > 256 {
		return problem(http.StatusUnprocessableEntity, "weak-password", "Password too short", "choose at least 12 characters")
	}
	c, err := s.st.CredentialByMember(r.Context(), p.Cell, p.Member.ID)
	if err != nil {
		return err
	}
	// Guesses of the current password here spend the same budget as
	// sign-in attempts, and count towards the member's alerts: a stolen
	// session must not become a free oracle.
	at, err := s.beginSignin(r, p.Cell, c.Username)
	if err != nil {
		return err
	}
	at.member = c.Member
	if err := auth.CheckPassword(c.Hash, req.Old); err != nil {
		at.failed(signinWrongPassword)
		// 403, not 401: the session is fine, and a client must not
		// take this for "signed out".
		return problem(http.StatusForbidden, "wrong-password", "Wrong current password", "the current password is not correct; the password was not changed")
	}
	at.ok()
	if c.Hash, err = auth.HashPassword(req.New, s.cfg.Password); err != nil {
		return err
	}
	if err := s.st.PutCredential(r.Context(), c); err != nil {
		return err
	}
	// A password is changed because it may be known to someone else:
	// every session it opened ends, this one included.
	if err := s.st.RevokeMemberTokens(r.Context(), p.Cell, p.Member.ID); err != nil {
		return err
	}
	s.auth.forget(nil, p.Cell, p.Member.ID)
	s.log.Info("password changed; sessions ended", "cell", p.Cell, "member", p.Member.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
