package stix

import (
	"encoding/json"
	"math"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// An Object is one STIX object, checked, with every property kept as it was
// received (order, number literals, custom properties and extensions). It is
// immutable: the accessors return copies, and a derivative is a new Object.
type Object struct {
	typ, id, specVersion string
	created, modified    Timestamp
	createdBy            string
	revoked              bool
	labels               []string
	confidence           int
	hasConfidence        bool
	lang                 string
	markingRefs          []string
	granular             []GranularMarking
	extRefs              []ExternalReference
	tree                 node // the whole object
}

// A GranularMarking applies a marking to parts of an object, named by
// selectors ("description", "external_references.[0].url").
type GranularMarking struct {
	MarkingRef string
	Selectors  []string
}

// An ExternalReference points to information outside STIX.
type ExternalReference struct {
	SourceName  string
	Description string
	URL         string
	ExternalID  string
	Hashes      map[string]string
}

// Type is the object's type ("indicator").
func (o *Object) Type() string { return o.typ }

// ID is the object's identifier ("indicator--<UUID>").
func (o *Object) ID() string { return o.id }

// SpecVersion is "2.1", or "" for a cyber-observable that omits it.
func (o *Object) SpecVersion() string { return o.specVersion }

// Created is when the object's first version was made; zero for
// cyber-observables, which are not versioned.
func (o *Object) Created() Timestamp { return o.created }

// Modified identifies this version; zero for objects that are not versioned
// (marking definitions, cyber-observables).
func (o *Object) Modified() Timestamp { return o.modified }

// CreatedByRef is the id of the identity that made the object, or "".
func (o *Object) CreatedByRef() string { return o.createdBy }

// Revoked reports whether this version revokes the object.
func (o *Object) Revoked() bool { return o.revoked }

// Labels are the object's labels.
func (o *Object) Labels() []string { return slices.Clone(o.labels) }

// Confidence is the creator's confidence (0–100), and whether it was given.
func (o *Object) Confidence() (int, bool) { return o.confidence, o.hasConfidence }

// Lang is the language of the object's text, "" when not given (English).
func (o *Object) Lang() string { return o.lang }

// ObjectMarkingRefs are the ids of the marking definitions that apply to the
// whole object.
func (o *Object) ObjectMarkingRefs() []string { return slices.Clone(o.markingRefs) }

// GranularMarkings are the markings that apply to parts of the object.
func (o *Object) GranularMarkings() []GranularMarking {
	out := make([]GranularMarking, len(o.granular))
	for i, g := range o.granular {
		out[i] = GranularMarking{MarkingRef: g.MarkingRef, Selectors: slices.Clone(g.Selectors)}
	}
	return out
}

// ExternalReferences are the object's pointers outside STIX.
func (o *Object) ExternalReferences() []ExternalReference {
	out := make([]ExternalReference, len(o.extRefs))
	for i, r := range o.extRefs {
		out[i] = r
		if r.Hashes != nil {
			out[i].Hashes = make(map[string]string, len(r.Hashes))
			for k, v := range r.Hashes {
				out[i].Hashes[k] = v
			}
		}
	}
	return out
}

// Extensions are the keys of the object's extensions: extension-definition
// ids and predefined extension names, in the order received.
func (o *Object) Extensions() []string {
	ext, ok := o.tree.get("extensions")
	if !ok {
		return nil
	}
	out := make([]string, len(ext.m))
	for i, m := range ext.m {
		out[i] = m.key
	}
	return out
}

// PropertyNames are the names of all the object's top-level properties, in
// the order received.
func (o *Object) PropertyNames() []string {
	out := make([]string, len(o.tree.m))
	for i, m := range o.tree.m {
		out[i] = m.key
	}
	return out
}

// Property is the value of a top-level property as compact JSON (custom ones
// included), and whether the object has it.
func (o *Object) Property(name string) (json.RawMessage, bool) {
	v, ok := o.tree.get(name)
	if !ok {
		return nil, false
	}
	return encode(nil, v), true
}

// String is the value of a top-level string property, and whether the object
// has one of that name.
func (o *Object) String(name string) (string, bool) {
	v, ok := o.tree.get(name)
	if !ok || v.k != kString {
		return "", false
	}
	return v.s, true
}

// MarshalJSON is the object as compact JSON, every property in the order
// received and every value as received.
func (o *Object) MarshalJSON() ([]byte, error) { return encode(nil, &o.tree), nil }

// References are the ids the object refers to, each once, in the order
// found: every *_ref and *_refs property at any depth (in extensions and
// granular markings too), object_marking_refs and created_by_ref included.
func (o *Object) References() []string {
	var out []string
	seen := map[string]bool{}
	walkRefs(&o.tree, func(id string) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	})
	return out
}

// walkRefs calls fn with the value of every reference property under n.
func walkRefs(n *node, fn func(string)) {
	switch n.k {
	case kArray:
		for i := range n.a {
			walkRefs(&n.a[i], fn)
		}
	case kObject:
		for i := range n.m {
			m := &n.m[i]
			switch {
			case strings.HasSuffix(m.key, "_ref") && m.val.k == kString:
				if _, _, ok := parseID(m.val.s); ok {
					fn(m.val.s)
				}
			case strings.HasSuffix(m.key, "_refs") && m.val.k == kArray:
				for _, e := range m.val.a {
					if _, _, ok := parseID(e.s); ok && e.k == kString {
						fn(e.s)
					}
				}
			default:
				walkRefs(&m.val, fn)
			}
		}
	}
}

// ParseObject reads one STIX object on its own (as TAXII serves them). Its
// toplevel-property extensions cannot be checked against a definition, so
// any well-formed property name is accepted under one.
func ParseObject(data []byte) (*Object, error) {
	n, se := parseJSON(data)
	if se != nil {
		return nil, fromSyntax(se, false)
	}
	o, err := checkObject(&n, -1, nil)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// checker collects the first fault found in one object.
type checker struct {
	index int
	id    string
	err   *Error
	// toplevel: the top-level property names that the definitions of this
	// object's toplevel-property extensions add; nil when there is none,
	// and anyName when one of them is not known.
	toplevel map[string]bool
	anyName  bool
}

func (c *checker) fail(kind error, path, reason string) {
	if c.err == nil {
		c.err = &Error{Index: c.index, ID: c.id, Path: path, Reason: reason, Err: kind}
	}
}

// extDefs maps extension-definition ids to their definitions, as far as the
// bundle holds them.
type extDefs map[string]*Object

// checkObject checks n as a STIX object and builds it.
func checkObject(n *node, index int, defs extDefs) (*Object, *Error) {
	c := &checker{index: index}
	if n.k != kObject {
		c.fail(ErrInvalid, "", "a STIX object is a JSON object, not "+n.k.String())
		return nil, c.err
	}
	typ, ok := n.get("type")
	if !ok {
		c.fail(ErrMissing, "type", "required")
		return nil, c.err
	}
	if typ.k != kString || !validTypeName(typ.s) {
		c.fail(ErrInvalid, "type", "not a STIX type name")
		return nil, c.err
	}
	idv, ok := n.get("id")
	if !ok {
		c.fail(ErrMissing, "id", "required")
		return nil, c.err
	}
	if idv.k != kString {
		c.fail(ErrID, "id", "must be a string")
		return nil, c.err
	}
	idType, _, ok := parseID(idv.s)
	if !ok {
		c.fail(ErrID, "id", "not of the form type--UUID (RFC 4122): "+quote(idv.s))
		return nil, c.err
	}
	if idType != typ.s {
		c.fail(ErrID, "id", "names the type "+quote(idType)+" but the object is of type "+quote(typ.s))
		return nil, c.err
	}
	c.id = idv.s
	o := &Object{typ: typ.s, id: idv.s, tree: *n}

	spec, custom := specs[typ.s], false
	if spec == nil {
		custom = true
		switch newObjectExtension(n) {
		case "new-sco":
			spec = customSCOSpec
		case "new-sdo", "new-sro":
			spec = customSpec
		default:
			if !strings.HasPrefix(typ.s, "x-") {
				c.fail(ErrType, "type", quote(typ.s)+" is not a STIX 2.1 type, not custom (x-...), and no new-object extension declares it")
				return nil, c.err
			}
			spec = customSpec
		}
	}
	c.declaredToplevel(n, defs)

	// The core.
	if sv, ok := n.get("spec_version"); ok {
		if sv.k != kString || sv.s != "2.1" {
			c.fail(ErrSpecVersion, "spec_version", "must be \"2.1\"")
			return nil, c.err
		}
		o.specVersion = sv.s
	} else if spec.class != sco {
		c.fail(ErrSpecVersion, "spec_version", "required, and must be \"2.1\"")
		return nil, c.err
	}
	versioned := spec.class == sdo || spec.class == languageContent || spec.class == extensionDef
	if spec.class != sco {
		o.created = c.timestamp(n, "created", true)
	}
	if versioned {
		o.modified = c.timestamp(n, "modified", true)
		if c.err == nil && o.modified.Compare(o.created) < 0 {
			c.fail(ErrInvalid, "modified", "earlier than created")
		}
	}

	for i := range n.m {
		m := &n.m[i]
		switch m.key {
		case "type", "id", "spec_version":
			continue
		case "created":
			if spec.class != sco {
				continue
			}
		case "modified":
			if versioned {
				continue
			}
		}
		if p := spec.props[m.key]; p != nil {
			c.property(m.key, &m.val, p, spec.class)
			continue
		}
		switch {
		case !validPropertyName(m.key):
			c.fail(ErrUnknownProperty, m.key, "not a STIX property name (a lowercase letter, then lowercase letters, digits and underscores, 3 to 250 in all)")
		case reserved(m.key):
			c.fail(ErrUnknownProperty, m.key, "a name STIX 2.1 reserves (section 3.8)")
		case typ.s == "observed-data" && m.key == "objects":
			// The OASIS schema requires ids of the observables inside the
			// deprecated container, which STIX 2.0 content never has, so
			// nothing written with one validates.
			c.fail(ErrUnknownProperty, m.key, "the deprecated observable container is not accepted: refer to the observables by object_refs")
		case custom, strings.HasPrefix(m.key, "x_"), c.anyName, c.toplevel[m.key]:
			c.customValue(m.key, &m.val, true)
		default:
			c.fail(ErrUnknownProperty, m.key, "not a property of "+typ.s+"; a custom property's name starts with x_")
		}
	}
	for _, name := range spec.order {
		if spec.props[name].required && !n.has(name) {
			c.fail(ErrMissing, name, "required")
		}
	}
	if c.err == nil && spec.extra != nil {
		spec.extra(c, n)
	}
	if c.err != nil {
		return nil, c.err
	}

	// The typed core, from the checked tree.
	if v, ok := n.get("created_by_ref"); ok {
		o.createdBy = v.s
	}
	if v, ok := n.get("revoked"); ok {
		o.revoked = v.s == "true"
	}
	if v, ok := n.get("labels"); ok {
		o.labels = strs(v)
	}
	if v, ok := n.get("confidence"); ok {
		f, _ := strconv.ParseFloat(v.s, 64)
		o.confidence, o.hasConfidence = int(f), true
	}
	if v, ok := n.get("lang"); ok {
		o.lang = v.s
	}
	if v, ok := n.get("object_marking_refs"); ok {
		o.markingRefs = strs(v)
	}
	if v, ok := n.get("granular_markings"); ok {
		for i := range v.a {
			g := &v.a[i]
			ref, _ := g.get("marking_ref")
			sel, _ := g.get("selectors")
			for _, s := range strs(sel) {
				if !selects(n, s) {
					c.fail(ErrInvalid, "granular_markings["+strconv.Itoa(i)+"].selectors", "the selector "+quote(s)+" selects nothing in the object")
					return nil, c.err
				}
			}
			o.granular = append(o.granular, GranularMarking{MarkingRef: ref.s, Selectors: strs(sel)})
		}
	}
	if v, ok := n.get("external_references"); ok {
		for i := range v.a {
			r := ExternalReference{}
			for _, m := range v.a[i].m {
				switch m.key {
				case "source_name":
					r.SourceName = m.val.s
				case "description":
					r.Description = m.val.s
				case "url":
					r.URL = m.val.s
				case "external_id":
					r.ExternalID = m.val.s
				case "hashes":
					r.Hashes = map[string]string{}
					for _, h := range m.val.m {
						r.Hashes[h.key] = h.val.s
					}
				}
			}
			o.extRefs = append(o.extRefs, r)
		}
	}
	return o, nil
}

func strs(n *node) []string {
	out := make([]string, len(n.a))
	for i := range n.a {
		out[i] = n.a[i].s
	}
	return out
}

func reserved(name string) bool {
	switch name {
	case "severity", "action", "username", "phone_numbers":
		return true
	}
	return false
}

// newObjectExtension is the extension_type of a new-object extension the
// object declares ("new-sdo", "new-sco", "new-sro"), or "".
func newObjectExtension(n *node) string {
	ext, ok := n.get("extensions")
	if !ok || ext.k != kObject {
		return ""
	}
	for _, m := range ext.m {
		if !strings.HasPrefix(m.key, "extension-definition--") || m.val.k != kObject {
			continue
		}
		if t, ok := m.val.get("extension_type"); ok && t.k == kString && strings.HasPrefix(t.s, "new-") {
			return t.s
		}
	}
	return ""
}

// declaredToplevel finds the object's toplevel-property extensions and what
// their definitions let it add at the top level.
func (c *checker) declaredToplevel(n *node, defs extDefs) {
	ext, ok := n.get("extensions")
	if !ok || ext.k != kObject {
		return
	}
	for _, m := range ext.m {
		if m.val.k != kObject {
			continue
		}
		if t, ok := m.val.get("extension_type"); !ok || t.s != "toplevel-property-extension" {
			continue
		}
		def := defs[m.key]
		if def == nil {
			c.anyName = true
			continue
		}
		if c.toplevel == nil {
			c.toplevel = map[string]bool{}
		}
		if props, ok := def.tree.get("extension_properties"); ok {
			for _, p := range props.a {
				c.toplevel[p.s] = true
			}
		}
	}
}

func (c *checker) timestamp(n *node, name string, millis bool) Timestamp {
	v, ok := n.get(name)
	if !ok {
		c.fail(ErrMissing, name, "required")
		return Timestamp{}
	}
	if v.k != kString {
		c.fail(ErrTimestamp, name, "must be a timestamp string, not "+v.k.String())
		return Timestamp{}
	}
	t, err := ParseTimestamp(v.s)
	if err != nil {
		c.fail(ErrTimestamp, name, err.(*Error).Reason)
		return Timestamp{}
	}
	if millis && !t.millis() {
		c.fail(ErrTimestamp, name, "must be precise to the millisecond at least (three digits after the second): "+quote(v.s))
	}
	return t
}

// property checks a value against its table entry.
func (c *checker) property(path string, v *node, p *propSpec, cl class) {
	if c.err != nil {
		return
	}
	want := func(k kind) bool {
		if v.k != k {
			c.fail(ErrInvalid, path, "must be "+k.String()+", not "+v.k.String())
			return false
		}
		return true
	}
	list := func(each func(path string, e *node)) {
		if !want(kArray) {
			return
		}
		if len(v.a) == 0 {
			c.fail(ErrInvalid, path, "an empty list: STIX forbids them, leave the property out")
			return
		}
		for i := range v.a {
			each(path+"["+strconv.Itoa(i)+"]", &v.a[i])
		}
	}
	switch p.kind {
	case pString:
		want(kString)
	case pTimestamp:
		if want(kString) {
			if _, err := ParseTimestamp(v.s); err != nil {
				c.fail(ErrTimestamp, path, err.(*Error).Reason)
			}
		}
	case pBool:
		want(kBool)
	case pInt, pNumber:
		if !want(kNumber) {
			return
		}
		f, _ := strconv.ParseFloat(v.s, 64)
		if p.kind == pInt && (f != math.Trunc(f) || math.Abs(f) > 1<<53-1) {
			c.fail(ErrInvalid, path, "must be an integer within ±(2^53-1): "+v.s)
			return
		}
		if p.lo != nil && f < *p.lo || p.hi != nil && f > *p.hi {
			c.fail(ErrInvalid, path, "out of range: "+v.s)
		}
	case pStrings:
		list(func(path string, e *node) {
			if e.k != kString {
				c.fail(ErrInvalid, path, "must be a string, not "+e.k.String())
			}
		})
	case pRef:
		c.ref(path, v, p)
	case pRefs:
		list(func(path string, e *node) { c.ref(path, e, p) })
	case pEnum:
		if want(kString) && !slices.Contains(p.values, v.s) {
			c.fail(ErrInvalid, path, quote(v.s)+" is not one of "+strings.Join(p.values, ", "))
		}
	case pEnums:
		list(func(path string, e *node) {
			if e.k != kString || !slices.Contains(p.values, e.s) {
				c.fail(ErrInvalid, path, "must be one of "+strings.Join(p.values, ", "))
			}
		})
	case pKillChain:
		list(func(path string, e *node) {
			c.fields(path, e, map[string]propKind{"kill_chain_name": pString, "phase_name": pString}, "kill_chain_name", "phase_name")
		})
	case pHashes:
		c.hashes(path, v, false)
	case pDict:
		c.dict(path, v)
	case pObject:
		if want(kObject) && len(v.m) == 0 {
			c.fail(ErrInvalid, path, "an empty object: leave the property out")
		}
	case pObjects:
		list(func(path string, e *node) {
			if e.k != kObject || len(e.m) == 0 {
				c.fail(ErrInvalid, path, "must be a non-empty object")
			}
		})
	case pBinary:
		if want(kString) && !validBase64(v.s) {
			c.fail(ErrInvalid, path, "not base64 (RFC 4648, with padding)")
		}
	case pHex:
		if want(kString) && !validHex(v.s) {
			c.fail(ErrInvalid, path, "not an even number of lowercase hexadecimal digits")
		}
	case pURI:
		if want(kString) && !validURI(v.s) {
			c.fail(ErrInvalid, path, "not an absolute URI (RFC 3986): "+quote(v.s))
		}
	case pExtRefs:
		list(c.externalReference)
	case pGranular:
		list(c.granularMarking)
	case pExtensions:
		c.extensions(path, v, cl)
	}
}

func (c *checker) ref(path string, v *node, p *propSpec) {
	if v.k != kString {
		c.fail(ErrID, path, "an identifier must be a string, not "+v.k.String())
		return
	}
	typ, _, ok := parseID(v.s)
	if !ok {
		c.fail(ErrID, path, "not of the form type--UUID (RFC 4122): "+quote(v.s))
		return
	}
	if len(p.values) > 0 && slices.Contains(p.values, typ) == p.not {
		what := "may refer only to " + strings.Join(p.values, ", ")
		if p.not {
			what = "may not refer to " + strings.Join(p.values, ", ")
		}
		c.fail(ErrID, path, what+": "+quote(v.s))
	}
}

// fields checks a small object of named string fields: each known field of
// its kind, custom x_ ones kept, anything else refused.
func (c *checker) fields(path string, v *node, known map[string]propKind, required ...string) {
	if v.k != kObject {
		c.fail(ErrInvalid, path, "must be an object, not "+v.k.String())
		return
	}
	for i := range v.m {
		m := &v.m[i]
		k, ok := known[m.key]
		switch {
		case !ok && strings.HasPrefix(m.key, "x_") && validPropertyName(m.key):
			c.customValue(path+"."+m.key, &m.val, true)
		case !ok:
			c.fail(ErrUnknownProperty, path+"."+m.key, "not a property here; a custom property's name starts with x_")
		case k == pString && m.val.k != kString:
			c.fail(ErrInvalid, path+"."+m.key, "must be a string, not "+m.val.k.String())
		}
	}
	for _, r := range required {
		if !v.has(r) {
			c.fail(ErrMissing, path+"."+r, "required")
		}
	}
}

var hashPatterns = map[string]func(string) bool{
	"MD5":      hexOf(32),
	"SHA-1":    hexOf(40),
	"SHA-256":  hexOf(64),
	"SHA-512":  hexOf(128),
	"SHA3-256": hexOf(64),
	"SHA3-512": hexOf(128),
	"SSDEEP": func(s string) bool {
		return len(s) >= 1 && len(s) <= 128 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+:.") == ""
	},
	"TLSH": func(s string) bool {
		return len(s) == 70 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
	},
}

func hexOf(n int) func(string) bool {
	return func(s string) bool {
		if len(s) != n {
			return false
		}
		for i := 0; i < n; i++ {
			if !isHex(s[i]) {
				return false
			}
		}
		return true
	}
}

// hashes checks a hashes dictionary; an external reference's may use only
// the algorithms of hash-algorithm-ov (section 2.5.1).
func (c *checker) hashes(path string, v *node, vocabOnly bool) {
	if v.k != kObject || len(v.m) == 0 {
		c.fail(ErrInvalid, path, "must be a non-empty object of hashes")
		return
	}
	for _, m := range v.m {
		at := path + "." + m.key
		check, known := hashPatterns[m.key]
		switch {
		case !validDictKey(m.key) || len(m.key) < 3:
			c.fail(ErrInvalid, at, "not a hash algorithm name")
		case vocabOnly && !known:
			c.fail(ErrInvalid, at, "an external reference's hashes come from hash-algorithm-ov")
		case m.val.k != kString:
			c.fail(ErrInvalid, at, "a hash is a string")
		case known && !check(m.val.s):
			c.fail(ErrInvalid, at, "not a "+m.key+" hash")
		}
	}
}

func validDictKey(k string) bool {
	if len(k) > 250 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (c *checker) dict(path string, v *node) {
	if v.k != kObject || len(v.m) == 0 {
		c.fail(ErrInvalid, path, "must be a non-empty dictionary")
		return
	}
	for i := range v.m {
		m := &v.m[i]
		if !validDictKey(m.key) || m.key == "" {
			c.fail(ErrInvalid, path+"."+m.key, "a dictionary key is ASCII letters, digits, - and _, at most 250")
			return
		}
		c.customValue(path+"."+m.key, &m.val, false)
	}
}

// customValue checks what STIX asks of any value, custom ones included: no
// null (STIX has none: a property is left out instead), no empty list, and
// at the top level of an object the encodings that a name ending in _bin,
// _hex, _ref or _refs promises.
func (c *checker) customValue(path string, v *node, named bool) {
	switch v.k {
	case kNull:
		c.fail(ErrInvalid, path, "null: STIX has no null, leave the property out")
		return
	case kArray:
		if len(v.a) == 0 {
			c.fail(ErrInvalid, path, "an empty list: STIX forbids them, leave the property out")
			return
		}
	}
	if !named {
		return
	}
	name := path[strings.LastIndexByte(path, '.')+1:]
	switch {
	case strings.HasSuffix(name, "_bin"):
		c.property(path, v, &propSpec{kind: pBinary}, sdo)
	case strings.HasSuffix(name, "_hex"):
		c.property(path, v, &propSpec{kind: pHex}, sdo)
	case strings.HasSuffix(name, "_ref"):
		c.ref(path, v, &propSpec{})
	case strings.HasSuffix(name, "_refs"):
		c.property(path, v, &propSpec{kind: pRefs}, sdo)
	}
}

func (c *checker) externalReference(path string, v *node) {
	c.fields(path, v, map[string]propKind{"source_name": pString, "description": pString, "url": pURI, "external_id": pString, "hashes": pHashes}, "source_name")
	if c.err != nil {
		return
	}
	if u, ok := v.get("url"); ok && !validURI(u.s) {
		c.fail(ErrInvalid, path+".url", "not an absolute URI (RFC 3986): "+quote(u.s))
		return
	}
	if h, ok := v.get("hashes"); ok {
		c.hashes(path+".hashes", h, true)
		return
	}
	src, _ := v.get("source_name")
	ext, hasExt := v.get("external_id")
	switch {
	case src.s == "cve" && (!hasExt || !validCVE(ext.s)):
		c.fail(ErrInvalid, path+".external_id", "a cve reference's external_id is CVE-YYYY-NNNN")
	case src.s == "capec" && (!hasExt || !validCAPEC(ext.s)):
		c.fail(ErrInvalid, path+".external_id", "a capec reference's external_id is CAPEC-N")
	case src.s != "cve" && src.s != "capec" && hasExt && (validCVE(ext.s) || validCAPEC(ext.s)):
		// The OASIS schema's rule: a CVE or CAPEC id is given under its
		// own source_name, so that readers find it.
		c.fail(ErrInvalid, path+".source_name", "a CVE or CAPEC external_id must have source_name cve or capec")
	case !hasExt && !v.has("description") && !v.has("url"):
		c.fail(ErrMissing, path, "an external reference needs a description, a url or an external_id")
	}
}

func validCVE(s string) bool {
	if !strings.HasPrefix(s, "CVE-") || len(s) < 13 || s[8] != '-' {
		return false
	}
	year, num := s[4:8], s[9:]
	if !allDigits(year) || !allDigits(num) || len(num) < 4 {
		return false
	}
	return num[0] != '0' || len(num) == 4
}

func validCAPEC(s string) bool {
	return strings.HasPrefix(s, "CAPEC-") && len(s) > 6 && allDigits(s[6:])
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (c *checker) granularMarking(path string, v *node) {
	c.fields(path, v, map[string]propKind{"marking_ref": pRef, "selectors": pStrings, "lang": pString}, "selectors")
	if c.err != nil {
		return
	}
	ref, ok := v.get("marking_ref")
	if !ok {
		// STIX 2.1 allows a granular marking of a language alone, but the
		// OASIS schema requires marking_ref, and what this package emits
		// must validate against the schema.
		c.fail(ErrMissing, path+".marking_ref", "required (language-only granular markings are not accepted)")
		return
	}
	if v.has("lang") {
		c.fail(ErrInvalid, path+".lang", "a granular marking has a marking_ref or a lang, not both")
		return
	}
	c.ref(path+".marking_ref", ref, &propSpec{values: []string{"marking-definition"}})
	sel, _ := v.get("selectors")
	c.property(path+".selectors", sel, &propSpec{kind: pStrings}, sdo)
	for i, s := range sel.a {
		if !validSelector(s.s) {
			c.fail(ErrInvalid, path+".selectors["+strconv.Itoa(i)+"]", "not a selector: "+quote(s.s))
		}
	}
}

// validSelector is the OASIS schema's selector syntax: a property name, then
// property names, dictionary keys or [n] list indexes, separated by dots.
func validSelector(s string) bool {
	if s == "id" {
		return true
	}
	parts := strings.Split(s, ".")
	for i, p := range parts {
		if strings.HasPrefix(p, "[") && strings.HasSuffix(p, "]") && i > 0 {
			if !allDigits(p[1 : len(p)-1]) {
				return false
			}
			continue
		}
		min := 1
		if i == 0 {
			min = 3
		}
		if len(p) < min || len(p) > 250 {
			return false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// selects reports whether a selector names content present in the object,
// as STIX 2.1 section 7.2.3 requires of every selector.
func selects(n *node, sel string) bool {
	cur := n
	for _, p := range strings.Split(sel, ".") {
		if strings.HasPrefix(p, "[") {
			i, err := strconv.Atoi(p[1 : len(p)-1])
			if err != nil || cur.k != kArray || i >= len(cur.a) {
				return false
			}
			cur = &cur.a[i]
			continue
		}
		if cur.k != kObject {
			return false
		}
		next, ok := cur.get(p)
		if !ok {
			return false
		}
		cur = next
	}
	return true
}

// extensions checks the extensions dictionary: keys are extension-definition
// ids or predefined extension names (...-ext; not on marking definitions),
// values non-empty objects whose properties follow the rules of any STIX
// property.
func (c *checker) extensions(path string, v *node, cl class) {
	if v.k != kObject || len(v.m) == 0 {
		c.fail(ErrInvalid, path, "must be a non-empty object")
		return
	}
	for i := range v.m {
		m := &v.m[i]
		at := path + "." + m.key
		byDef := false
		if t, _, ok := parseID(m.key); ok && t == "extension-definition" {
			byDef = true
		} else if cl == markingDef || !strings.HasSuffix(m.key, "-ext") || !validTypeName(m.key) {
			c.fail(ErrInvalid, at, "an extension's key is an extension-definition id or a predefined extension's name")
			return
		}
		if m.val.k != kObject || len(m.val.m) == 0 {
			c.fail(ErrInvalid, at, "an extension is a non-empty object")
			return
		}
		for j := range m.val.m {
			e := &m.val.m[j]
			if e.key == "extension_type" {
				c.property(at+".extension_type", &e.val, &propSpec{kind: pEnum, values: []string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}}, cl)
				continue
			}
			if !validPropertyName(e.key) && e.key != "id" {
				c.fail(ErrInvalid, at+"."+e.key, "not a STIX property name")
				return
			}
			c.customValue(at+"."+e.key, &e.val, true)
		}
		if byDef && !m.val.has("extension_type") {
			c.fail(ErrMissing, at+".extension_type", "required of an extension by definition")
		}
	}
}

func validBase64(s string) bool {
	if len(s) == 0 || len(s)%4 != 0 {
		return false
	}
	pad := len(s) - len(strings.TrimRight(s, "="))
	if pad > 2 {
		return false
	}
	for i := 0; i < len(s)-pad; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

func validHex(s string) bool {
	if len(s) == 0 || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

func validURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && !strings.ContainsAny(s, " \t\r\n")
}

func checkAddr(v6 bool) func(c *checker, o *node) {
	return func(c *checker, o *node) {
		v, ok := o.get("value")
		if !ok || v.k != kString {
			return
		}
		var a netip.Addr
		var err error
		if strings.Contains(v.s, "/") {
			var p netip.Prefix
			p, err = netip.ParsePrefix(v.s)
			a = p.Addr()
		} else {
			a, err = netip.ParseAddr(v.s)
		}
		if err != nil || a.Is4() == v6 || a.Is4In6() {
			what := "an IPv4 address or CIDR block"
			if v6 {
				what = "an IPv6 address or CIDR block"
			}
			c.fail(ErrInvalid, "value", "not "+what+": "+quote(v.s))
		}
	}
}
