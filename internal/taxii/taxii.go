package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/liaison-cell/liaison/internal/stix"
)

// The media types of TAXII 2.1 (section 1.6.8) and of the STIX objects it
// carries. MediaType is the Content-Type of every response.
const (
	MediaType     = "application/taxii+json;version=2.1"
	STIXMediaType = "application/stix+json;version=2.1"
)

// Backend is what the intelligence desk provides: who may see what, and the
// records themselves. Every call carries the caller, as Authenticate returned
// it (opaque to this package), and the request's context. The package checks
// the protocol (parameters, media types, sizes, permissions the collection
// resource declares) before it calls; the backend decides what the caller
// may read, and filters and pages in its own store, so that a collection of
// 100,000 objects pages flat.
//
// Errors wrapping the Err… sentinels map to their HTTP status; any other
// error is a 500 whose text the client never sees.
type Backend interface {
	// Discovery describes the server and the API roots the caller may use,
	// by name (section 4.1).
	Discovery(ctx context.Context, who any) (Discovery, error)
	// APIRoot describes one API root; ErrNotFound when the caller may not
	// use it (section 4.2).
	APIRoot(ctx context.Context, who any, root string) (APIRoot, error)
	// Collections lists the collections of the root with the caller's
	// permissions on each, in an order that does not change between calls
	// (section 3.3). A collection the caller can neither read nor write is
	// treated as absent whether or not it is listed.
	Collections(ctx context.Context, who any, root string) ([]Collection, error)
	// Objects returns one page of the records of a collection that match f,
	// sorted by date added (then in an order of the backend's that does not
	// change), at most f.Limit of them. The package serves Get Objects (5.4),
	// Get Object Manifests (5.3), Get an Object (5.6) and Get Object Versions
	// (5.8) from it, so the four cannot disagree.
	Objects(ctx context.Context, who any, root, collection string, f Filter) (Page, error)
	// Delete removes the versions of an object that f.Versions selects
	// (section 5.7); ErrNotFound when none matched.
	Delete(ctx context.Context, who any, root, collection, objectID string, f Filter) error
	// Add receives the objects of a POSTed envelope (section 5.5), each a
	// JSON object as sent, and answers the status resource of the request,
	// which Status must then answer too.
	Add(ctx context.Context, who any, root, collection string, objects []json.RawMessage) (Status, error)
	// Status answers a status resource (section 4.3); ErrNotFound when it
	// does not exist or is not the caller's to see.
	Status(ctx context.Context, who any, root, statusID string) (Status, error)
}

// The errors a Backend (or Authenticate) returns, wrapped with %w, to choose
// the answer. The text of a wrapping error is shown to the client only for
// ErrBadRequest, ErrTooLarge and ErrUnprocessable, which concern what the
// client sent; the others could reveal what the caller may not know, and
// carry a description only when the backend gives one with Explain.
var (
	ErrBadRequest    = errors.New("bad request")             // 400: e.g. a next value the backend did not issue for this query
	ErrUnauthorized  = errors.New("authentication required") // 401, with WWW-Authenticate
	ErrForbidden     = errors.New("forbidden")               // 403
	ErrNotFound      = errors.New("not found")               // 404
	ErrTooLarge      = errors.New("request too large")       // 413
	ErrUnprocessable = errors.New("unprocessable content")   // 422
	ErrUnavailable   = errors.New("temporarily unavailable") // 503
)

// Explain attaches a description the client may read to a refusal wrapping
// one of the Err… sentinels: what the backend itself wrote, and so knows
// reveals nothing (a deployment that never deletes says why, say), where
// the text of a wrapped error could.
func Explain(err error, description string) error { return &explained{err, description} }

type explained struct {
	err         error
	description string
}

func (e *explained) Error() string { return e.err.Error() + ": " + e.description }
func (e *explained) Unwrap() error { return e.err }

// Discovery is the server's discovery resource (section 4.1.1). APIRoots are
// names; the package serves each at {prefix}/taxii2/{name}/ and lists that
// path. Default, when set, must be one of them.
type Discovery struct {
	Title       string
	Description string
	Contact     string
	Default     string
	APIRoots    []string
}

// APIRoot is the api-root resource (section 4.2.1). The package adds the
// versions list. MaxContentLength is the largest request body, in bytes, that
// the root accepts; when it is not positive the package uses
// DefaultMaxContentLength.
type APIRoot struct {
	Title            string
	Description      string
	MaxContentLength int64
}

// DefaultMaxContentLength is the body limit of an API root that names none.
const DefaultMaxContentLength = 10 << 20

// Collection is the collection resource (section 5.2.1) as the caller sees
// it. MediaTypes empty means STIX 2.1 alone.
type Collection struct {
	ID          string
	Title       string
	Description string
	Alias       string
	CanRead     bool
	CanWrite    bool
	MediaTypes  []string
}

// Filter is a request's filtering and paging (section 3.4), parsed and
// checked: every value is well formed, and lists hold no duplicates. A nil
// list does not filter.
type Filter struct {
	// AddedAfter, when not zero, keeps the records added strictly after it.
	// It has microsecond precision, as TAXII timestamps do; a backend must
	// keep date_added to the microsecond too, or the X-TAXII-Date-Added-Last
	// of one page, used as the next request's added_after, would return that
	// page's last record again.
	AddedAfter time.Time
	// Limit is the most records the page may hold: the client's limit,
	// capped by the server's. Always at least 1.
	Limit int
	// Next is the client's next parameter, as the backend issued it in
	// Page.Next, or empty. A backend must not trust it (Appendix B): it
	// re-applies the query and the caller's rights, and answers
	// ErrBadRequest for a value it cannot read.
	Next string
	// IDs, Types and SpecVersions: match[id], match[type],
	// match[spec_version]. With no SpecVersions, each object is served in
	// the latest specification version the backend holds of it.
	IDs          []string
	Types        []string
	SpecVersions []string
	// Versions is match[version]: Last when the request names none, and
	// All for a DELETE that names none.
	Versions VersionMatch
	// Manifest says that only the records' metadata will be used: the
	// backend may leave Record.Object nil.
	Manifest bool
}

// VersionMatch selects versions of each object (section 3.4.1): any of the
// first, the last, and versions whose modified (created for an unversioned
// object) is one of At, by instant; or all of them. Versions are selected
// among those matching IDs, Types and SpecVersions, before AddedAfter and
// paging apply: a client that follows a collection by added_after is never
// handed a version older than the latest.
type VersionMatch struct {
	All, First, Last bool
	At               []stix.Timestamp
}

// Record is one version of one object in a collection.
type Record struct {
	// Object is the STIX object, the JSON sent to Add, re-served verbatim.
	Object json.RawMessage
	// ID, Type and SpecVersion are the object's; Version is its modified
	// timestamp as written in it (created for an unversioned object).
	ID, Type, SpecVersion, Version string
	// MediaType defaults to STIXMediaType.
	MediaType string
	// DateAdded is when this version entered the collection.
	DateAdded time.Time
}

// Page is one page of records. More says that records beyond it match the
// query; Next, which must then be set, is what the client sends to get them.
type Page struct {
	Records []Record
	More    bool
	Next    string
}

// Status is the status resource of an Add request (section 4.3.1). The
// counts are written as given; the lists, which TAXII makes optional, are
// written when not empty. State is "complete" or "pending".
type Status struct {
	ID               string
	State            string
	RequestTimestamp time.Time
	TotalCount       int
	SuccessCount     int
	Successes        []StatusDetail
	FailureCount     int
	Failures         []StatusDetail
	PendingCount     int
	Pendings         []StatusDetail
}

// The two values of Status.State.
const (
	StatusComplete = "complete"
	StatusPending  = "pending"
)

// StatusDetail is one object of an Add request (status-details).
type StatusDetail struct {
	ID, Version, Message string
}
