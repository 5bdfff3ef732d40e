package taxii

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Config is what a Handler needs.
type Config struct {
	// Backend supplies the collections and their records.
	Backend Backend
	// Authenticate says who sent a request (the desk maps HTTP Basic, which
	// TAXII clients send, and bearer tokens to members). It returns an error
	// wrapping ErrUnauthorized when credentials are absent or wrong, which is
	// answered 401 with a WWW-Authenticate challenge (section 1.6.9); any
	// other error is answered as a Backend's would be.
	Authenticate func(*http.Request) (who any, err error)
	// Realm names the Basic challenge's realm; "TAXII" when empty.
	Realm string
	// Prefix is the path the handler is mounted at, "" or "/something"
	// without a trailing slash. Discovery is served at Prefix+"/taxii2/"
	// (section 8.2.1 wants /taxii2/ at the server's root, so a deployment
	// that follows TAXII mounts at ""), API roots at Prefix+"/taxii2/{name}/".
	Prefix string
	// MaxPageSize is the server's own limit on records in one response
	// (section 3.4); 1000 when zero.
	MaxPageSize int
	// Logger receives the errors answered 500; slog.Default() when nil.
	Logger *slog.Logger
}

// DefaultMaxPageSize is the page size of a server that sets none.
const DefaultMaxPageSize = 1000

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Backend == nil:
		return errors.New("taxii: no Backend")
	case c.Authenticate == nil:
		return errors.New("taxii: no Authenticate")
	case c.Prefix != "" && (!strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/")):
		return fmt.Errorf("taxii: prefix %q must be empty or start with / and not end with one", c.Prefix)
	case c.MaxPageSize < 0:
		return errors.New("taxii: negative MaxPageSize")
	case strings.ContainsAny(c.Realm, "\"\\\r\n"):
		return fmt.Errorf("taxii: realm %q cannot be written in a challenge", c.Realm)
	}
	return nil
}

// Handler serves TAXII 2.1 (a "TAXII 2.1 Collections Server", section 8.1.2)
// over a Backend. It is an http.Handler for the paths under Prefix.
type Handler struct {
	cfg       Config
	base      string // Prefix + "/taxii2/"
	challenge string
	log       *slog.Logger
	mux       *http.ServeMux
}

// New makes a Handler of a valid Config.
func New(cfg Config) (*Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxPageSize == 0 {
		cfg.MaxPageSize = DefaultMaxPageSize
	}
	realm := cfg.Realm
	if realm == "" {
		realm = "TAXII"
	}
	h := &Handler{
		cfg:       cfg,
		base:      cfg.Prefix + "/taxii2/",
		challenge: `Basic realm="` + realm + `", charset="UTF-8"`,
		log:       cfg.Logger,
		mux:       http.NewServeMux(),
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	b := h.base
	coll := b + "{root}/collections/{coll}/"
	h.route(b+"{$}", false, method{"GET", epPlain, h.getDiscovery})
	h.route(b+"{root}/{$}", false, method{"GET", epPlain, h.getAPIRoot})
	h.route(b+"{root}/status/{status}/{$}", false, method{"GET", epPlain, h.getStatus})
	h.route(b+"{root}/collections/{$}", false, method{"GET", epPlain, h.getCollections})
	h.route(coll+"{$}", false, method{"GET", epPlain, h.getCollection})
	h.route(coll+"manifest/{$}", true, method{"GET", epObjects, h.getManifest})
	h.route(coll+"objects/{$}", false, method{"GET", epObjects, h.getObjects}, method{"POST", epPlain, h.postObjects})
	h.route(coll+"objects/{object}/{$}", false, method{"GET", epObject, h.getObject}, method{"DELETE", epDelete, h.deleteObject})
	h.route(coll+"objects/{object}/versions/{$}", false, method{"GET", epVersions, h.getVersions})
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if _, err := h.cfg.Authenticate(r); err != nil {
			h.fail(w, r, err)
			return
		}
		h.fail(w, r, ErrNotFound)
	})
	return h, nil
}

// ServeHTTP answers a TAXII request. No panic of the backend's reaches the
// client as a dropped connection: it is logged and answered 500.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.fail(w, r, fmt.Errorf("panic: %v", p))
		}
	}()
	h.mux.ServeHTTP(w, r)
}

// A request, once authenticated and its query parsed.
type request struct {
	w   http.ResponseWriter
	r   *http.Request
	ctx context.Context
	who any
	f   Filter
}

type method struct {
	name string
	ep   endpoint
	fn   func(*request) error
}

// route registers a path's methods behind the checks every endpoint makes,
// in this order: authentication (401, before anything is revealed about
// what exists), the Accept header (406), the method (405), the query (400).
func (h *Handler) route(pattern string, manifest bool, methods ...method) {
	allow := make([]string, 0, len(methods)+1)
	for _, m := range methods {
		allow = append(allow, m.name)
		if m.name == "GET" {
			allow = append(allow, "HEAD")
		}
	}
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		who, err := h.cfg.Authenticate(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !acceptable(r.Header.Values("Accept"), manifest) {
			h.fail(w, r, &statusError{http.StatusNotAcceptable, "Not acceptable",
				"this server answers " + MediaType})
			return
		}
		name := r.Method
		if name == "HEAD" {
			name = "GET"
		}
		for _, m := range methods {
			if m.name != name {
				continue
			}
			f, err := parseFilter(m.ep, r.URL.RawQuery, h.cfg.MaxPageSize)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			if err := m.fn(&request{w: w, r: r, ctx: r.Context(), who: who, f: f}); err != nil {
				h.fail(w, r, err)
			}
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		h.fail(w, r, &statusError{http.StatusMethodNotAllowed, "Method not allowed",
			"this endpoint answers " + strings.Join(allow, ", ")})
	})
}

// statusError is a refusal the package itself decides.
type statusError struct {
	code               int
	title, description string
}

func (e *statusError) Error() string { return e.title + ": " + e.description }

// The error message of section 3.6.1. http_status is a string there.
type errorMessage struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	ErrorID     string `json:"error_id,omitempty"`
	HTTPStatus  string `json:"http_status"`
}

// fail answers err with its status and an error message.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		se *statusError
		qe *queryError
		ex *explained
		m  errorMessage
	)
	code := http.StatusInternalServerError
	switch {
	case errors.As(err, &se):
		code, m.Title, m.Description = se.code, se.title, se.description
	case errors.As(err, &qe):
		code, m.Title, m.Description = http.StatusBadRequest, "Bad query parameter", qe.Error()
	case errors.Is(err, ErrBadRequest):
		code, m.Title, m.Description = http.StatusBadRequest, "Bad request", err.Error()
	case errors.Is(err, ErrUnauthorized):
		code, m.Title = http.StatusUnauthorized, "Authentication required"
		w.Header().Set("WWW-Authenticate", h.challenge)
	case errors.Is(err, ErrForbidden):
		code, m.Title = http.StatusForbidden, "Forbidden"
	case errors.Is(err, ErrNotFound):
		code, m.Title = http.StatusNotFound, "Not found"
	case errors.Is(err, ErrTooLarge):
		code, m.Title, m.Description = http.StatusRequestEntityTooLarge, "Request too large", err.Error()
	case errors.Is(err, ErrUnprocessable):
		code, m.Title, m.Description = http.StatusUnprocessableEntity, "Unprocessable content", err.Error()
	case errors.Is(err, ErrUnavailable):
		code, m.Title = http.StatusServiceUnavailable, "Temporarily unavailable"
		w.Header().Set("Retry-After", "5")
	default:
		// The text may say what the caller must not learn (a table, a
		// query, another party's collection): it goes to the log, and the
		// client gets an id to quote.
		var id [8]byte
		_, _ = rand.Read(id[:])
		m.Title, m.ErrorID = "Internal server error", hex.EncodeToString(id[:])
		h.log.Error("taxii: request failed", "error_id", m.ErrorID, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if errors.As(err, &ex) && code != http.StatusInternalServerError {
		m.Description = ex.description
	}
	m.HTTPStatus = strconv.Itoa(code)
	body, _ := json.Marshal(m)
	h.write(w, code, body)
}

// write sends a TAXII response. Every response is the caller's own (what a
// member may read), so none may be cached.
func (h *Handler) write(w http.ResponseWriter, code int, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", MediaType)
	hd.Set("Cache-Control", "no-store")
	if body != nil {
		hd.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(code)
	if body != nil {
		_, _ = w.Write(body)
	}
}

func (h *Handler) writeJSON(w http.ResponseWriter, code int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h.write(w, code, body)
	return nil
}

// 4.1: the discovery resource.
func (h *Handler) getDiscovery(q *request) error {
	d, err := h.cfg.Backend.Discovery(q.ctx, q.who)
	if err != nil {
		return err
	}
	out := struct {
		Title       string   `json:"title"`
		Description string   `json:"description,omitempty"`
		Contact     string   `json:"contact,omitempty"`
		Default     string   `json:"default,omitempty"`
		APIRoots    []string `json:"api_roots,omitempty"`
	}{Title: d.Title, Description: d.Description, Contact: d.Contact}
	for _, name := range d.APIRoots {
		out.APIRoots = append(out.APIRoots, h.rootPath(name))
		if name == d.Default {
			out.Default = h.rootPath(name)
		}
	}
	return h.writeJSON(q.w, http.StatusOK, out)
}

// rootPath is an API root's URL: relative, starting with a single "/"
// (4.1.1), the name escaped so that it stays one path segment.
func (h *Handler) rootPath(name string) string { return h.base + url.PathEscape(name) + "/" }

// 4.2: the api-root resource.
func (h *Handler) getAPIRoot(q *request) error {
	info, err := h.apiRoot(q)
	if err != nil {
		return err
	}
	return h.writeJSON(q.w, http.StatusOK, struct {
		Title            string   `json:"title"`
		Description      string   `json:"description,omitempty"`
		Versions         []string `json:"versions"`
		MaxContentLength int64    `json:"max_content_length"`
	}{info.Title, info.Description, []string{MediaType}, info.MaxContentLength})
}

func (h *Handler) apiRoot(q *request) (APIRoot, error) {
	info, err := h.cfg.Backend.APIRoot(q.ctx, q.who, q.r.PathValue("root"))
	if err == nil && info.MaxContentLength <= 0 {
		info.MaxContentLength = DefaultMaxContentLength // 4.2.1: a positive integer
	}
	return info, err
}

// 4.3: a status resource.
func (h *Handler) getStatus(q *request) error {
	st, err := h.cfg.Backend.Status(q.ctx, q.who, q.r.PathValue("root"), q.r.PathValue("status"))
	if err != nil {
		return err
	}
	return h.writeStatus(q.w, http.StatusOK, st)
}

type statusJSON struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []statusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []statusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []statusDetail `json:"pendings,omitempty"`
}

type statusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

func (h *Handler) writeStatus(w http.ResponseWriter, code int, st Status) error {
	if st.ID == "" || (st.State != StatusComplete && st.State != StatusPending) {
		return fmt.Errorf("backend status %q has state %q", st.ID, st.State)
	}
	details := func(ds []StatusDetail) []statusDetail {
		var out []statusDetail
		for _, d := range ds {
			out = append(out, statusDetail(d))
		}
		return out
	}
	out := statusJSON{
		ID: st.ID, Status: st.State,
		TotalCount:   st.TotalCount,
		SuccessCount: st.SuccessCount, Successes: details(st.Successes),
		FailureCount: st.FailureCount, Failures: details(st.Failures),
		PendingCount: st.PendingCount, Pendings: details(st.Pendings),
	}
	if !st.RequestTimestamp.IsZero() {
		out.RequestTimestamp = FormatTimestamp(st.RequestTimestamp)
	}
	return h.writeJSON(w, code, out)
}

type collectionJSON struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

func toCollectionJSON(c Collection) collectionJSON {
	return collectionJSON(c)
}

// visible is whether the caller may know of a collection: one it can
// neither read nor write is answered 404 everywhere, as if absent, as the
// table of 5.7 requires for DELETE and as the whole project does for what a
// reader may not see.
func visible(c Collection) bool { return c.CanRead || c.CanWrite }

// 5.1: the collections resource, in the backend's stable order (3.3); with
// none, the empty object.
func (h *Handler) getCollections(q *request) error {
	cs, err := h.cfg.Backend.Collections(q.ctx, q.who, q.r.PathValue("root"))
	if err != nil {
		return err
	}
	var out struct {
		Collections []collectionJSON `json:"collections,omitempty"`
	}
	for _, c := range cs {
		if visible(c) {
			out.Collections = append(out.Collections, toCollectionJSON(c))
		}
	}
	return h.writeJSON(q.w, http.StatusOK, out)
}

// collection finds the path's collection, by id or alias (5.2.1).
func (h *Handler) collection(q *request) (Collection, error) {
	cs, err := h.cfg.Backend.Collections(q.ctx, q.who, q.r.PathValue("root"))
	if err != nil {
		return Collection{}, err
	}
	id := q.r.PathValue("coll")
	for _, c := range cs {
		if (c.ID == id || c.Alias != "" && c.Alias == id) && visible(c) {
			return c, nil
		}
	}
	return Collection{}, ErrNotFound
}

// readable finds the path's collection and checks that the caller may read
// it: 403 for one it knows of but may not read (5.3, 5.4, 5.6, 5.8 allow 403
// or 404; the caller already sees it listed, so 403 hides nothing and says
// more).
func (h *Handler) readable(q *request) (Collection, error) {
	c, err := h.collection(q)
	if err == nil && !c.CanRead {
		err = ErrForbidden
	}
	return c, err
}

// 5.2: one collection resource.
func (h *Handler) getCollection(q *request) error {
	c, err := h.collection(q)
	if err != nil {
		return err
	}
	return h.writeJSON(q.w, http.StatusOK, toCollectionJSON(c))
}

// page asks the backend for a page and checks what TAXII requires of it that
// only the backend can get wrong: no more than the limit (3.4), sorted by
// date added (3.3), and JSON objects that can be written as they are.
func (h *Handler) page(q *request, c Collection) (Page, error) {
	p, err := h.cfg.Backend.Objects(q.ctx, q.who, q.r.PathValue("root"), c.ID, q.f)
	if err != nil {
		return p, err
	}
	if len(p.Records) > q.f.Limit {
		return p, fmt.Errorf("backend returned %d records for a limit of %d", len(p.Records), q.f.Limit)
	}
	for i := range p.Records {
		r := &p.Records[i]
		if i > 0 && r.DateAdded.Before(p.Records[i-1].DateAdded) {
			return p, fmt.Errorf("backend returned records out of date_added order at %d", i)
		}
		if r.MediaType == "" {
			r.MediaType = STIXMediaType
		}
		if !q.f.Manifest && (len(r.Object) == 0 || r.Object[0] != '{' || !json.Valid(r.Object)) {
			return p, fmt.Errorf("backend record %s %s is not a JSON object", r.ID, r.Version)
		}
	}
	return p, nil
}

// dateHeaders sets X-TAXII-Date-Added-First and -Last (3.2) to the first and
// last record's date_added. A response without records has no date to give
// and carries neither: a header cannot be present and empty of a timestamp.
func dateHeaders(w http.ResponseWriter, rs []Record) {
	if len(rs) == 0 {
		return
	}
	w.Header().Set("X-TAXII-Date-Added-First", FormatTimestamp(rs[0].DateAdded))
	w.Header().Set("X-TAXII-Date-Added-Last", FormatTimestamp(rs[len(rs)-1].DateAdded))
}

// 5.3: the manifest, one manifest-record per version, from the same records
// as the objects.
func (h *Handler) getManifest(q *request) error {
	c, err := h.readable(q)
	if err != nil {
		return err
	}
	q.f.Manifest = true
	p, err := h.page(q, c)
	if err != nil {
		return err
	}
	type manifestRecord struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
		MediaType string `json:"media_type,omitempty"`
	}
	out := struct {
		More    bool             `json:"more"`
		Next    string           `json:"next,omitempty"`
		Objects []manifestRecord `json:"objects,omitempty"`
	}{More: p.More, Next: p.Next}
	out.Objects = make([]manifestRecord, 0, len(p.Records))
	for _, r := range p.Records {
		out.Objects = append(out.Objects, manifestRecord{r.ID, FormatTimestamp(r.DateAdded), r.Version, r.MediaType})
	}
	dateHeaders(q.w, p.Records)
	return h.writeJSON(q.w, http.StatusOK, out)
}

// 5.4: objects, in an envelope (3.7), even when there are none.
func (h *Handler) getObjects(q *request) error {
	c, err := h.readable(q)
	if err != nil {
		return err
	}
	p, err := h.page(q, c)
	if err != nil {
		return err
	}
	h.writeEnvelope(q.w, p)
	return nil
}

// writeEnvelope writes the objects as the backend holds them, without
// decoding them: a page of a thousand objects costs a copy.
func (h *Handler) writeEnvelope(w http.ResponseWriter, p Page) {
	size := 64 + len(p.Next)
	for _, r := range p.Records {
		size += len(r.Object) + 1
	}
	var b bytes.Buffer
	b.Grow(size)
	b.WriteString(`{"more":`)
	b.WriteString(strconv.FormatBool(p.More))
	if p.Next != "" {
		nx, _ := json.Marshal(p.Next)
		b.WriteString(`,"next":`)
		b.Write(nx)
	}
	if len(p.Records) > 0 {
		b.WriteString(`,"objects":[`)
		for i, r := range p.Records {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(r.Object)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	dateHeaders(w, p.Records)
	h.write(w, http.StatusOK, b.Bytes())
}

// 5.5: add objects; 202 and the status resource.
func (h *Handler) postObjects(q *request) error {
	c, err := h.collection(q)
	if err != nil {
		return err
	}
	if !c.CanWrite {
		return ErrForbidden
	}
	if !contentTypeOK(q.r.Header.Get("Content-Type")) {
		return &statusError{http.StatusUnsupportedMediaType, "Unsupported media type",
			"send a TAXII envelope as " + MediaType}
	}
	info, err := h.apiRoot(q)
	if err != nil {
		return err
	}
	limit := info.MaxContentLength
	tooLarge := &statusError{http.StatusRequestEntityTooLarge, "Request too large",
		"the body exceeds this API root's max_content_length of " + strconv.FormatInt(limit, 10) + " bytes"}
	if q.r.ContentLength > limit {
		return tooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge
		}
		return &statusError{http.StatusBadRequest, "Bad request", "the body could not be read"}
	}
	objects, err := parseEnvelope(body)
	if err != nil {
		// 5.5 names 422 for "a malformed body, or other unprocessable content".
		return &statusError{http.StatusUnprocessableEntity, "Unprocessable content", err.Error()}
	}
	st, err := h.cfg.Backend.Add(q.ctx, q.who, q.r.PathValue("root"), c.ID, objects)
	if err != nil {
		return err
	}
	return h.writeStatus(q.w, http.StatusAccepted, st)
}

// objectQuery narrows the request to the path's object (5.6: "a search where
// the match[id] parameter is set to the {object-id}"). An id that is not a
// STIX identifier names nothing: 404, as a path that leads nowhere.
func (h *Handler) objectQuery(q *request) error {
	id := q.r.PathValue("object")
	if checkID(id) != nil {
		return ErrNotFound
	}
	q.f.IDs = []string{id}
	return nil
}

// 5.6: one object's versions that match, in an envelope. When nothing
// matches on a first page the answer is 404: 5.7 requires it of an object
// or version that was deleted, and a client cannot tell a version that never
// was from one that was deleted. A later page (next given) may come back
// empty when objects were deleted meanwhile (3.5) and is answered as such.
func (h *Handler) getObject(q *request) error {
	c, err := h.readable(q)
	if err != nil {
		return err
	}
	if err := h.objectQuery(q); err != nil {
		return err
	}
	p, err := h.page(q, c)
	if err != nil {
		return err
	}
	if len(p.Records) == 0 && q.f.Next == "" {
		return ErrNotFound
	}
	h.writeEnvelope(q.w, p)
	return nil
}

// 5.7: delete an object, or the versions match[version] names. The table of
// 5.7: 404 unless the caller can read or write the collection, 403 unless
// both.
func (h *Handler) deleteObject(q *request) error {
	c, err := h.collection(q)
	if err != nil {
		return err
	}
	if !c.CanRead || !c.CanWrite {
		return ErrForbidden
	}
	id := q.r.PathValue("object")
	if checkID(id) != nil {
		return ErrNotFound
	}
	if err := h.cfg.Backend.Delete(q.ctx, q.who, q.r.PathValue("root"), c.ID, id, q.f); err != nil {
		return err
	}
	h.write(q.w, http.StatusOK, nil)
	return nil
}

// 5.8: the versions of an object, the manifest of its every version, in the
// same order as the manifest and with the same paging.
func (h *Handler) getVersions(q *request) error {
	c, err := h.readable(q)
	if err != nil {
		return err
	}
	if err := h.objectQuery(q); err != nil {
		return err
	}
	q.f.Versions = VersionMatch{All: true}
	q.f.Manifest = true
	p, err := h.page(q, c)
	if err != nil {
		return err
	}
	if len(p.Records) == 0 && q.f.Next == "" {
		return ErrNotFound
	}
	out := struct {
		More     bool     `json:"more"`
		Next     string   `json:"next,omitempty"`
		Versions []string `json:"versions,omitempty"`
	}{More: p.More, Next: p.Next}
	for _, r := range p.Records {
		out.Versions = append(out.Versions, r.Version)
	}
	dateHeaders(q.w, p.Records)
	return h.writeJSON(q.w, http.StatusOK, out)
}
