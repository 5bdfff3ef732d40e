package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// ProblemTypeBase prefixes every problem type URI (RFC 9457 allows a URI
// that does not resolve; a URN says so plainly).
const ProblemTypeBase = "urn:liaison:problem:"

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// RetryAfter, in seconds, is also sent as the Retry-After header.
	RetryAfter int `json:"retry_after,omitempty"`
	// Extensions are members beside the standard ones (RFC 9457 §3.2):
	// what a domain error says in structure, such as the conflicts a
	// notification must name.
	Extensions map[string]any `json:"-"`
}

// MarshalJSON writes the extension members beside the standard ones.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.Extensions) == 0 {
		return b, err
	}
	m := map[string]any{}
	for k, v := range p.Extensions {
		m[k] = v
	}
	var std map[string]any
	if err := json.Unmarshal(b, &std); err != nil {
		return nil, err
	}
	for k, v := range std { // the standard members win
		m[k] = v
	}
	return json.Marshal(m)
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

func problem(status int, slug, title, detail string) *Problem {
	return &Problem{Type: ProblemTypeBase + slug, Title: title, Status: status, Detail: detail}
}

func badRequest(detail string) *Problem {
	return problem(http.StatusBadRequest, "bad-request", "Bad request", detail)
}

func notFound(detail string) *Problem {
	return problem(http.StatusNotFound, "not-found", "Not found", detail)
}

func forbiddenP(detail string) *Problem {
	return problem(http.StatusForbidden, "forbidden", "Forbidden", detail)
}

var errUnauthenticated = problem(http.StatusUnauthorized, "unauthenticated", "Authentication required",
	"send a bearer token (POST /api/v1/auth/login) or a session cookie")

// toProblem maps an error from any layer to the problem the client sees.
// Unknown errors become a 500 whose detail hides internals.
func toProblem(err error) *Problem {
	var p *Problem
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &mbe):
		return problem(http.StatusRequestEntityTooLarge, "too-large", "Request body too large",
			"the body exceeds "+strconv.FormatInt(mbe.Limit, 10)+" bytes")
	case errors.Is(err, store.ErrPushback):
		p := problem(http.StatusServiceUnavailable, "pushback", "Server busy", "too many writes in flight; retry with the same idempotency id")
		p.RetryAfter = 1
		return p
	case errors.Is(err, record.ErrBadSignature):
		return problem(http.StatusUnprocessableEntity, "bad-signature", "Signature does not verify", err.Error())
	case errors.Is(err, record.ErrMalformed):
		return problem(http.StatusBadRequest, "malformed-envelope", "Malformed envelope", err.Error())
	case errors.Is(err, ledger.ErrUnknownKey):
		return problem(http.StatusForbidden, "unknown-key", "Unknown or revoked device key", err.Error())
	case errors.Is(err, ledger.ErrStale):
		return problem(http.StatusUnprocessableEntity, "stale", "Clock skew too large", err.Error())
	case errors.Is(err, ledger.ErrWrongCell):
		return problem(http.StatusUnprocessableEntity, "wrong-cell", "Signed for another cell", err.Error())
	case errors.Is(err, ledger.ErrReadOnly):
		return problem(http.StatusServiceUnavailable, "mirror-read-only", "Read-only mirror",
			"this server is a party's mirror, read-only: it keeps a verified copy of the cell's record and takes no writes; write at the cell's server")
	case errors.Is(err, ledger.ErrNoCell):
		return notFound(err.Error())
	case errors.Is(err, cell.ErrForbidden):
		return forbiddenP(detailOf(err, cell.ErrForbidden))
	case errors.Is(err, cell.ErrInvalid):
		return problem(http.StatusUnprocessableEntity, "invalid", "Invalid command", detailOf(err, cell.ErrInvalid))
	case errors.Is(err, cell.ErrConflict), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrExists):
		p := problem(http.StatusConflict, "conflict", "Conflict", detailOf(err, cell.ErrConflict))
		var d cell.Detailed
		if errors.As(err, &d) {
			p.Extensions = d.Extensions()
		}
		return p
	case errors.Is(err, auth.ErrBadPassword):
		return problem(http.StatusUnauthorized, "bad-credentials", "Sign-in failed", "wrong username or password")
	case errors.Is(err, store.ErrNotFound):
		return notFound(err.Error())
	}
	return problem(http.StatusInternalServerError, "internal", "Internal error",
		"the server failed; the error is logged and nothing acknowledged was lost")
}

// detailOf is err's message without the sentinel's own words in front,
// which the problem's title already says ("Forbidden: forbidden: ...").
func detailOf(err, sentinel error) string {
	return strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
}

func writeProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := toProblem(err)
	switch {
	case p.Status == http.StatusServiceUnavailable:
		// Busy or not yet signed: the client is told when to come back,
		// and nothing is wrong with the server.
		log.Warn("request deferred", "method", r.Method, "path", r.URL.Path, "err", err)
	case p.Status >= 500:
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	q := *p
	q.Instance = r.URL.Path
	w.Header().Set("Content-Type", "application/problem+json")
	if q.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(q.RetryAfter))
	}
	if q.Status == http.StatusUnauthorized {
		// RFC 9110 §15.5.2: a 401 carries at least one challenge.
		w.Header().Set("WWW-Authenticate", `Bearer realm="liaison"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(q.Status)
	json.NewEncoder(w).Encode(q) //nolint:errcheck
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck
}

// MaxJSONBody bounds request bodies that are not envelopes.
const MaxJSONBody = 64 << 10

func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, MaxJSONBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var p *Problem // a body too slow
		if errors.As(err, &mbe) || errors.As(err, &p) {
			return err
		}
		return badRequest("request body: " + err.Error())
	}
	return nil
}
