package stix

import (
	"strings"
)

// A Bundle is a STIX bundle: an id and a list of objects, in order. The same
// object may appear in several versions; the same version twice only if the
// two are identical.
type Bundle struct {
	id      string
	objects []*Object
	extra   []member // the bundle's own custom (x_) properties
}

// ID is the bundle's identifier ("bundle--<UUID>").
func (b *Bundle) ID() string { return b.id }

// Objects are the bundle's objects in order. The slice is the caller's; the
// objects are immutable.
func (b *Bundle) Objects() []*Object {
	out := make([]*Object, len(b.objects))
	copy(out, b.objects)
	return out
}

// Len is the number of objects.
func (b *Bundle) Len() int { return len(b.objects) }

// Resolver knows the bundle's marking definitions (and the standard TLP
// ones, as every Resolver does).
func (b *Bundle) Resolver() *Resolver { return NewResolver(b.objects...) }

// NewBundle makes a bundle of objs under the given id, checking what a
// parsed bundle must satisfy.
func NewBundle(id string, objs []*Object) (*Bundle, error) {
	if t, _, ok := parseID(id); !ok || t != "bundle" {
		return nil, &Error{Index: -1, Path: "id", Reason: "not a bundle identifier: " + quote(id), Err: ErrID}
	}
	b := &Bundle{id: id, objects: append([]*Object(nil), objs...)}
	if err := b.checkVersions(); err != nil {
		return nil, err
	}
	return b, nil
}

// ParseBundle reads a STIX 2.1 bundle strictly (see the package comment) and
// checks every object in it. The first fault found is returned, as an *Error
// whose Index names the object.
func ParseBundle(data []byte) (*Bundle, error) {
	n, se := parseJSON(data)
	if se != nil {
		return nil, fromSyntax(se, true)
	}
	fail := func(kind error, path, reason string) (*Bundle, error) {
		return nil, &Error{Index: -1, Path: path, Reason: reason, Err: kind}
	}
	if n.k != kObject {
		return fail(ErrInvalid, "", "a bundle is a JSON object, not "+n.k.String())
	}
	b := &Bundle{}
	var objs *node
	for i := range n.m {
		m := &n.m[i]
		switch m.key {
		case "type":
			if m.val.k != kString || m.val.s != "bundle" {
				return fail(ErrInvalid, "type", "must be \"bundle\"")
			}
		case "id":
			t, _, ok := parseID(m.val.s)
			if m.val.k != kString || !ok || t != "bundle" {
				return fail(ErrID, "id", "not a bundle identifier (bundle--UUID)")
			}
			b.id = m.val.s
		case "objects":
			if m.val.k != kArray {
				return fail(ErrInvalid, "objects", "must be a list")
			}
			objs = &m.val
		case "spec_version":
			return fail(ErrSpecVersion, "spec_version", "a STIX 2.1 bundle has no spec_version (a STIX 2.0 bundle does)")
		default:
			if !strings.HasPrefix(m.key, "x_") || !validPropertyName(m.key) {
				return fail(ErrUnknownProperty, m.key, "a bundle has type, id and objects, and custom x_ properties")
			}
			c := &checker{index: -1}
			if c.customValue(m.key, &m.val, true); c.err != nil {
				return nil, c.err
			}
			b.extra = append(b.extra, *m)
		}
	}
	if !n.has("type") {
		return fail(ErrMissing, "type", "required")
	}
	if b.id == "" {
		return fail(ErrMissing, "id", "required")
	}
	if objs == nil {
		return b, nil
	}
	if len(objs.a) == 0 {
		return fail(ErrInvalid, "objects", "an empty list: STIX forbids them, leave objects out")
	}
	// Extension definitions first: an object's toplevel-property extension
	// is checked against its definition when the bundle has it.
	defs := extDefs{}
	for i := range objs.a {
		v := &objs.a[i]
		if t, ok := v.get("type"); ok && t.s == "extension-definition" {
			o, err := checkObject(v, i, nil)
			if err != nil {
				return nil, err
			}
			defs[o.id] = o
		}
	}
	b.objects = make([]*Object, len(objs.a))
	for i := range objs.a {
		o, err := checkObject(&objs.a[i], i, defs)
		if err != nil {
			return nil, err
		}
		b.objects[i] = o
	}
	if err := b.checkVersions(); err != nil {
		return nil, err
	}
	return b, nil
}

// checkVersions refuses two different objects with the same id and version
// (STIX 2.1 section 3.6: every representation of a version has the same
// properties and values), since readers would keep one or the other.
func (b *Bundle) checkVersions() error {
	type key struct{ id, modified, created string }
	seen := make(map[key]int, len(b.objects))
	for i, o := range b.objects {
		k := key{o.id, o.modified.String(), o.created.String()}
		if j, ok := seen[k]; ok {
			if !sameVersion(b.objects[j], o) {
				return &Error{Index: i, ID: o.id, Reason: "a different object with the same id and version as objects[" + itoa(j) + "]", Err: ErrConflict}
			}
			continue
		}
		seen[k] = i
	}
	return nil
}

// MarshalJSON is the bundle as compact JSON: type, id, the bundle's custom
// properties, then its objects, each as received.
func (b *Bundle) MarshalJSON() ([]byte, error) {
	dst := append([]byte(nil), `{"type":"bundle","id":`...)
	dst = appendString(dst, b.id)
	for i := range b.extra {
		dst = append(dst, ',')
		dst = appendString(dst, b.extra[i].key)
		dst = append(dst, ':')
		dst = encode(dst, &b.extra[i].val)
	}
	if len(b.objects) > 0 {
		dst = append(dst, `,"objects":[`...)
		for i, o := range b.objects {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = encode(dst, &o.tree)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), nil
}
