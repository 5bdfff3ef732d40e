package stix

import (
	"errors"
	"strconv"
	"strings"
)

// The kinds of refusal. Every error this package returns is an *Error
// wrapping one of these, so that a caller can map a kind to its answer with
// errors.Is and show the sender the *Error's place and reason.
var (
	// ErrSyntax: not valid JSON (or JSON that readers would decode
	// differently: invalid UTF-8, a lone surrogate, a number beyond float64).
	ErrSyntax = errors.New("invalid JSON")
	// ErrDuplicateKey: a member given twice in one JSON object.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrUnknownProperty: a property that the object's type does not define,
	// that is not custom (x_...), and that no declared extension adds.
	ErrUnknownProperty = errors.New("unknown property")
	// ErrMissing: a required property is absent.
	ErrMissing = errors.New("missing property")
	// ErrInvalid: a property's value is of the wrong kind, out of range, not
	// of an allowed value, or inconsistent with another property.
	ErrInvalid = errors.New("invalid value")
	// ErrID: an identifier that is not type--UUID (RFC 4122), or whose type
	// is not the object's or not one the property may refer to.
	ErrID = errors.New("invalid identifier")
	// ErrTimestamp: a timestamp that is not RFC 3339 in UTC with "Z".
	ErrTimestamp = errors.New("invalid timestamp")
	// ErrSpecVersion: spec_version is not "2.1".
	ErrSpecVersion = errors.New("unsupported spec_version")
	// ErrType: an object type that STIX 2.1 does not define and that is
	// neither custom (x-...) nor declared by a new-object extension.
	ErrType = errors.New("unsupported object type")
	// ErrConflict: two different objects in one bundle with the same id and
	// version.
	ErrConflict = errors.New("conflicting versions")
	// ErrRecipe: a sanitization recipe that is malformed, that would remove
	// what it may not, or that would leave an invalid object.
	ErrRecipe = errors.New("invalid recipe")
	// ErrLeak: a derivative would still contain an identifier of its
	// original, in a place the recipe did not remove.
	ErrLeak = errors.New("original identifier in derivative")
)

// An Error says what is wrong and where. Index is the object's position in
// the bundle's objects list (-1 for the bundle itself or a lone object), ID
// its id when it was read, and Path the property inside the object
// ("external_references[0].url"), empty when the error concerns the whole
// object.
type Error struct {
	Index  int
	ID     string
	Path   string
	Reason string
	Err    error // one of the Err* kinds above
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("stix: ")
	if e.Index >= 0 {
		b.WriteString("objects[" + strconv.Itoa(e.Index) + "]")
		if e.ID != "" {
			b.WriteString(" (" + e.ID + ")")
		}
		b.WriteString(": ")
	} else if e.ID != "" {
		b.WriteString(e.ID + ": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// joinPath renders path elements ("objects", "[3]", "name") as
// "objects[3].name".
func joinPath(elems []string) string {
	var b strings.Builder
	for _, e := range elems {
		if b.Len() > 0 && !strings.HasPrefix(e, "[") {
			b.WriteByte('.')
		}
		b.WriteString(e)
	}
	return b.String()
}

// fromSyntax turns a JSON fault into an *Error. When base is "objects" and the
// fault lies inside objects[i], Index is i and Path the rest.
func fromSyntax(se *syntaxError, inBundle bool) *Error {
	kind := ErrSyntax
	if strings.Contains(se.reason, "given twice") {
		kind = ErrDuplicateKey
	}
	e := &Error{Index: -1, Reason: se.reason + " (at byte " + strconv.Itoa(se.offset) + ")", Err: kind}
	path := se.path
	if inBundle && len(path) >= 2 && path[0] == "objects" && strings.HasPrefix(path[1], "[") {
		if i, err := strconv.Atoi(strings.Trim(path[1], "[]")); err == nil {
			e.Index = i
			path = path[2:]
		}
	}
	e.Path = joinPath(path)
	return e
}
