package stix

import (
	"slices"
	"strings"
)

// A TLP is a Traffic Light Protocol 2.0 level, ordered from the least to the
// most restrictive, so that the most restrictive of several is their max.
type TLP int

// The levels. TLPNone is no TLP at all, which is not CLEAR: whoever releases
// an unmarked object decides its level, the package does not.
const (
	TLPNone TLP = iota
	TLPClear
	TLPGreen
	TLPAmber
	TLPAmberStrict
	TLPRed
)

func (t TLP) String() string {
	switch t {
	case TLPClear:
		return "TLP:CLEAR"
	case TLPGreen:
		return "TLP:GREEN"
	case TLPAmber:
		return "TLP:AMBER"
	case TLPAmberStrict:
		return "TLP:AMBER+STRICT"
	case TLPRed:
		return "TLP:RED"
	}
	return "no TLP"
}

// TLP2Extension is the id of the OASIS extension definition for TLP 2.0
// markings (cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
const TLP2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// The standard TLP 2.0 marking definitions, as OASIS publishes them with
// the TLP 2.0 extension.
const (
	TLPClearID       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLPGreenID       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLPAmberID       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLPAmberStrictID = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLPRedID         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// The TLP 1.0 marking definitions of STIX 2.1 (section 7.2.1.4), still what
// most producers send. TLP 1.0 WHITE is TLP 2.0 CLEAR; its AMBER allows
// sharing with clients as TLP 2.0 AMBER does, so it is AMBER, not
// AMBER+STRICT.
const (
	tlp1White = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
	tlp1Green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
	tlp1Amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	tlp1Red   = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
)

var standardTLP = map[string]TLP{
	TLPClearID: TLPClear, TLPGreenID: TLPGreen, TLPAmberID: TLPAmber, TLPAmberStrictID: TLPAmberStrict, TLPRedID: TLPRed,
	tlp1White: TLPClear, tlp1Green: TLPGreen, tlp1Amber: TLPAmber, tlp1Red: TLPRed,
}

// tlp2Levels are the values of the TLP 2.0 extension's tlp_2_0 property.
var tlp2Levels = map[string]TLP{"clear": TLPClear, "green": TLPGreen, "amber": TLPAmber, "amber+strict": TLPAmberStrict, "red": TLPRed}

// MarkingID is the id of the level's standard TLP 2.0 marking definition,
// "" for TLPNone.
func (t TLP) MarkingID() string {
	switch t {
	case TLPClear:
		return TLPClearID
	case TLPGreen:
		return TLPGreenID
	case TLPAmber:
		return TLPAmberID
	case TLPAmberStrict:
		return TLPAmberStrictID
	case TLPRed:
		return TLPRedID
	}
	return ""
}

func tlp2ID(id string) bool {
	switch id {
	case TLPClearID, TLPGreenID, TLPAmberID, TLPAmberStrictID, TLPRedID:
		return true
	}
	return false
}

// StandardMarking reports whether id is one of the standard TLP marking
// definitions (TLP 2.0, or TLP 1.0 of STIX 2.1), which every reader knows
// without its definition in the bundle, and its level.
func StandardMarking(id string) (TLP, bool) {
	t, ok := standardTLP[id]
	return t, ok
}

// tlp1Def is the exact content STIX 2.1 gives a TLP 1.0 marking definition.
var tlp1Def = map[string]string{tlp1White: "white", tlp1Green: "green", tlp1Amber: "amber", tlp1Red: "red"}

// checkMarkingDefinition checks what the table cannot: the definition by
// type, and that a TLP marking is one of the standard ones with their exact
// content, as STIX 2.1 (TLP 1.0) and the TLP 2.0 extension require: "Other
// instances of tlp-marking MUST NOT be used or created".
func checkMarkingDefinition(c *checker, o *node) {
	id, _ := o.get("id")
	dt, hasDT := o.get("definition_type")
	def, hasDef := o.get("definition")
	if !o.has("extensions") && (!hasDT || !hasDef) {
		c.fail(ErrMissing, "definition", "a marking definition without extensions has a definition_type and a definition")
		return
	}
	if hasDT {
		switch dt.s {
		case "statement":
			if !hasDef {
				c.fail(ErrMissing, "definition", "a statement marking has a definition")
				return
			}
			c.fields("definition", def, map[string]propKind{"statement": pString}, "statement")
		case "tlp":
			level, ok := tlp1Def[id.s]
			if !ok {
				c.fail(ErrInvalid, "definition_type", "only the four standard TLP 1.0 marking definitions of STIX 2.1 have definition_type tlp")
				return
			}
			for _, m := range o.m {
				switch m.key {
				case "type", "spec_version", "id", "created", "definition_type", "name", "definition":
				default:
					c.fail(ErrUnknownProperty, m.key, "a standard TLP 1.0 marking definition has no other properties")
					return
				}
			}
			name, _ := o.get("name")
			created, _ := o.get("created")
			tlp, _ := def.get("tlp")
			if name == nil || name.s != "TLP:"+strings.ToUpper(level) || created.s != "2017-01-20T00:00:00.000Z" || tlp == nil || tlp.s != level || len(def.m) != 1 {
				c.fail(ErrInvalid, "definition", "not the standard TLP:"+strings.ToUpper(level)+" marking definition of STIX 2.1 section 7.2.1.4")
			}
		}
	}
	ext, ok := o.get("extensions")
	if !ok {
		return
	}
	tlp2, ok := ext.get(TLP2Extension)
	if !ok {
		return
	}
	level, _ := tlp2.get("tlp_2_0")
	want, isStd := standardTLP[id.s]
	switch {
	case !tlp2ID(id.s):
		c.fail(ErrInvalid, "extensions."+TLP2Extension, "the TLP 2.0 extension is used only by its five standard marking definitions")
	case len(tlp2.m) != 2 || level == nil || level.k != kString || tlp2Levels[level.s] != want || !isStd:
		c.fail(ErrInvalid, "extensions."+TLP2Extension, "not the standard content of "+want.String()+": extension_type property-extension and tlp_2_0 "+quote(strings.ToLower(strings.TrimPrefix(want.String(), "TLP:"))))
	default:
		if et, _ := tlp2.get("extension_type"); et == nil || et.s != "property-extension" {
			c.fail(ErrInvalid, "extensions."+TLP2Extension+".extension_type", "must be property-extension")
		}
		if name, ok := o.get("name"); !ok || name.s != want.String() {
			c.fail(ErrInvalid, "name", "the standard "+want.String()+" marking definition is named "+quote(want.String()))
		}
	}
}

// markingTLP is the TLP a marking definition object states, if any: by the
// TLP 2.0 extension, by STIX 2.1's TLP 1.0, or as MISP and OpenCTI also
// write it (a definition_type "TLP" with a definition {"TLP": "TLP:AMBER"}).
func markingTLP(o *Object) (TLP, bool) {
	if t, ok := standardTLP[o.id]; ok {
		return t, true
	}
	if ext, ok := o.tree.get("extensions"); ok {
		if e, ok := ext.get(TLP2Extension); ok {
			if l, ok := e.get("tlp_2_0"); ok {
				if t, ok := tlp2Levels[l.s]; ok {
					return t, true
				}
			}
		}
	}
	dt, ok := o.tree.get("definition_type")
	if !ok || !strings.EqualFold(dt.s, "tlp") {
		return TLPNone, false
	}
	def, ok := o.tree.get("definition")
	if !ok || def.k != kObject {
		return TLPNone, false
	}
	for _, m := range def.m {
		if !strings.EqualFold(m.key, "tlp") || m.val.k != kString {
			continue
		}
		v := strings.ToLower(strings.TrimSpace(m.val.s))
		v = strings.TrimPrefix(v, "tlp:")
		if v == "white" {
			v = "clear"
		}
		if t, ok := tlp2Levels[v]; ok {
			return t, true
		}
	}
	return TLPNone, false
}

// A Marking is what applies to an object, or to a set of them, for release.
type Marking struct {
	// TLP is the most restrictive TLP among the object markings and the
	// granular markings: a granular TLP counts as applying to the whole
	// object, since releasing the object releases the marked part with it.
	TLP TLP
	// Granular reports that a granular marking raised TLP above what the
	// object markings alone give.
	Granular bool
	// Other are the resolved markings that are not TLP (statements, other
	// marking types), each once.
	Other []string
	// Unresolved are the marking refs that are neither a standard TLP
	// marking nor defined to the resolver. What they require is not known
	// here: a release gate should refuse or escalate them, not ignore them.
	Unresolved []string
}

func (m *Marking) add(o Marking) {
	switch {
	case o.TLP > m.TLP:
		m.TLP, m.Granular = o.TLP, o.Granular
	case o.TLP == m.TLP && !o.Granular:
		m.Granular = false // an object marking reaches the level too
	}
	for _, id := range o.Other {
		if !slices.Contains(m.Other, id) {
			m.Other = append(m.Other, id)
		}
	}
	for _, id := range o.Unresolved {
		if !slices.Contains(m.Unresolved, id) {
			m.Unresolved = append(m.Unresolved, id)
		}
	}
}

// A Resolver knows marking definitions beyond the standard TLP ones: those
// of a bundle, or those a desk has stored.
type Resolver struct {
	defs map[string]*Object
}

// NewResolver knows the marking definitions among objs (other objects are
// ignored).
func NewResolver(objs ...*Object) *Resolver {
	r := &Resolver{defs: map[string]*Object{}}
	for _, o := range objs {
		if o.typ == "marking-definition" {
			r.defs[o.id] = o
		}
	}
	return r
}

func (r *Resolver) resolve(id string, m *Marking, level *TLP) {
	if t, ok := standardTLP[id]; ok {
		*level = max(*level, t)
		return
	}
	def := r.defs[id]
	if def == nil {
		if !slices.Contains(m.Unresolved, id) {
			m.Unresolved = append(m.Unresolved, id)
		}
		return
	}
	if t, ok := markingTLP(def); ok {
		*level = max(*level, t)
		return
	}
	if !slices.Contains(m.Other, id) {
		m.Other = append(m.Other, id)
	}
}

// Effective is the marking of one object: its object markings, and the
// markings of its granular markings taken as applying to it whole.
func (r *Resolver) Effective(o *Object) Marking {
	var m Marking
	var whole, parts TLP
	for _, id := range o.markingRefs {
		r.resolve(id, &m, &whole)
	}
	for _, g := range o.granular {
		r.resolve(g.MarkingRef, &m, &parts)
	}
	m.TLP = max(whole, parts)
	m.Granular = parts > whole
	return m
}

// Max is the marking a release of all of objs must honour: the most
// restrictive TLP of any of them, and every other and unresolved marking.
func (r *Resolver) Max(objs []*Object) Marking {
	var m Marking
	for _, o := range objs {
		m.add(r.Effective(o))
	}
	return m
}
