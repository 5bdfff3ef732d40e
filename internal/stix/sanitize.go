package stix

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A Recipe says how to make a sanitized derivative of a bundle.
type Recipe struct {
	// RemoveIDs are objects to leave out. Each must be in the bundle: an id
	// that names nothing is a mistake that would leave something in.
	RemoveIDs []string
	// RemoveTypes are object types to leave out whole.
	RemoveTypes []string
	// RemoveProperties are properties to take out of the objects that keep.
	RemoveProperties []PropertyPath
	// LocationKm, when positive, coarsens every location to a grid of that
	// many kilometres: latitude and longitude are rounded to it, precision
	// becomes at least the grid's, and street_address and postal_code are
	// removed. region, country, administrative_area and city are kept; a
	// recipe that must hide them too removes them by path.
	LocationKm float64
	// CreatedBy is the identity that makes the derivative (the mediator),
	// which STIX 2.1 section 3.5 makes the creator of republished objects:
	// it becomes the created_by_ref of every derived object that can have
	// one. Empty: the derived objects have no created_by_ref.
	CreatedBy string
	// AddMarkings are marking definition ids added to every derived object's
	// object_marking_refs. A derivative keeps every marking of what it keeps;
	// these can only add to them.
	AddMarkings []string
	// Key, when set, derives each new id from the original one by
	// HMAC-SHA-256: the same key gives the same original the same derived id,
	// so that a later version of an original is a later version of its
	// derivative. Without it the new ids are random.
	Key []byte
}

// A PropertyPath names properties to remove: Path is a top-level property,
// or one inside it, with a dot between names ("description",
// "external_references.url", "extensions.x-acme-ext.score"); a list on the
// way is entered element by element. Type limits the path to objects of one
// type ("" for all).
type PropertyPath struct {
	Type string
	Path string
}

// What a recipe may not remove: the identity and version of an object, and
// its markings, since a derivative that dropped a marking would be released
// under less than its content requires.
var unremovable = map[string]string{
	"type":                "the type of an object",
	"id":                  "the id of an object (derived objects get new ones)",
	"spec_version":        "the spec_version of an object",
	"created":             "the created timestamp, which identifies versions",
	"modified":            "the modified timestamp, which identifies versions",
	"object_marking_refs": "the markings of what the derivative keeps",
	"granular_markings":   "the markings of what the derivative keeps",
}

// Sanitize makes a derivative of b by r. It returns the derivative, and a
// mapping from each derived id to the original it replaces (the bundle's id
// included), which only the mediator keeps.
//
// What the derivative holds:
//
//   - The objects of b that the recipe does not remove, in their order,
//     less the objects whose required references all point to removed ones:
//     a relationship whose source or target is removed, a sighting of a
//     removed object, a report, note, opinion, grouping or observed data
//     whose every object_refs entry is removed. Those are removed too, and
//     so on until nothing more is.
//   - Each under a new id. Every identifier elsewhere (every string that is
//     one, at any depth: *_ref and *_refs properties, granular markings,
//     extensions, custom properties) is rewritten to the new id of what it
//     names, or dropped when that was removed (a list entry, or the property
//     when it was the only one). An id of an object outside b is given a new
//     id too, the same wherever it appears.
//   - Marking definitions and extension definitions are copied whole, ids
//     included: they are shared definitions that recipients must recognise,
//     and they carry no intelligence. So are the standard TLP ids.
//   - Granular marking selectors follow the content they select: renumbered
//     when entries before them are dropped, dropped when their content is.
//
// Sanitize refuses (ErrRecipe) a recipe that removes a marking definition
// carrying a TLP, removes an unremovable property, names an object that is
// not in b, or leaves an object invalid; and (ErrLeak) a derivative in which
// an original id, or its UUID, still appears anywhere, in a description, a
// URL or a key: the recipe must remove that property too.
func Sanitize(b *Bundle, r Recipe) (*Bundle, map[string]string, error) {
	fail := func(kind error, index int, id, path, reason string) (*Bundle, map[string]string, error) {
		return nil, nil, &Error{Index: index, ID: id, Path: path, Reason: reason, Err: kind}
	}
	if err := r.check(); err != nil {
		return nil, nil, err
	}
	s := &sanitizer{r: r, removed: map[string]bool{}, derived: map[string]string{}, public: map[string]bool{}}
	index := map[string]int{}
	for i, o := range b.objects {
		if _, ok := index[o.id]; !ok {
			index[o.id] = i
		}
		if definition(o) {
			s.public[o.id] = true
		}
		if slices.Contains(r.RemoveTypes, o.typ) {
			s.removed[o.id] = true
		}
	}
	for _, id := range r.RemoveIDs {
		if _, ok := index[id]; !ok {
			return fail(ErrRecipe, -1, id, "", "the recipe removes an object the bundle does not have")
		}
		s.removed[id] = true
	}
	for _, o := range b.objects {
		if _, isTLP := markingTLP(o); s.removed[o.id] && o.typ == "marking-definition" && isTLP {
			return fail(ErrRecipe, index[o.id], o.id, "", "a TLP marking definition is never removed: what it marks would lose its marking")
		}
	}
	if r.CreatedBy != "" {
		s.public[r.CreatedBy] = true
	}
	for _, m := range r.AddMarkings {
		s.public[m] = true
	}
	s.cascade(b)

	// New ids for everything that is not public, kept or not: the removed
	// ones must not appear either, and the mapping covers what does.
	leak := map[string]bool{}
	note := func(id string) {
		if _, uuid, ok := parseID(id); ok && !s.public[id] && !publicType(id) {
			leak[strings.ToLower(uuid)] = true
			if !s.removed[id] {
				s.newID(id)
			}
		}
	}
	note(b.id)
	for _, o := range b.objects {
		note(o.id)
		if !s.removed[o.id] && !definition(o) {
			walkIDs(&o.tree, note)
		}
	}

	objs := make([]*Object, 0, len(b.objects))
	defs := extDefs{}
	for _, o := range b.objects {
		if o.typ == "extension-definition" && !s.removed[o.id] {
			defs[o.id] = o
		}
	}
	for i, o := range b.objects {
		if s.removed[o.id] {
			continue
		}
		if definition(o) {
			objs = append(objs, o)
			continue
		}
		t := s.derive(o)
		d, cerr := checkObject(&t, i, defs)
		if cerr != nil {
			return fail(ErrRecipe, i, o.id, cerr.Path, "the derived object would be invalid: "+cerr.Reason)
		}
		objs = append(objs, d)
	}
	for i, o := range objs {
		if path, found := findLeak(&o.tree, leak, ""); found {
			orig := o.id
			if back, ok := s.derived[o.id]; ok {
				orig = back
			}
			return fail(ErrLeak, i, orig, path, "an original identifier would remain in the derivative: remove this property")
		}
	}
	out, err := NewBundle(s.newID(b.id), objs)
	if err != nil {
		return nil, nil, err
	}
	mapping := make(map[string]string, len(s.derived)/2)
	for orig, d := range s.derived {
		if !strings.HasPrefix(orig, "\x00") {
			mapping[d] = orig
		}
	}
	return out, mapping, nil
}

func (r *Recipe) check() error {
	fail := func(path, reason string) error {
		return &Error{Index: -1, Path: path, Reason: reason, Err: ErrRecipe}
	}
	for _, id := range r.RemoveIDs {
		if _, _, ok := parseID(id); !ok {
			return fail("RemoveIDs", "not an identifier: "+quote(id))
		}
	}
	for _, t := range r.RemoveTypes {
		if !validTypeName(t) {
			return fail("RemoveTypes", "not a type name: "+quote(t))
		}
	}
	for _, p := range r.RemoveProperties {
		parts := strings.Split(p.Path, ".")
		if slices.Contains(parts, "") {
			return fail("RemoveProperties", "not a property path: "+quote(p.Path))
		}
		if why, ok := unremovable[parts[0]]; ok {
			return fail("RemoveProperties", quote(p.Path)+": a recipe does not remove "+why)
		}
		if p.Type == "marking-definition" || p.Type == "extension-definition" {
			return fail("RemoveProperties", "definitions are copied whole, not edited")
		}
	}
	if math.IsNaN(r.LocationKm) || r.LocationKm < 0 || r.LocationKm > 20000 {
		return fail("LocationKm", "a precision between 0 and 20,000 km")
	}
	if r.CreatedBy != "" {
		if t, _, ok := parseID(r.CreatedBy); !ok || t != "identity" {
			return fail("CreatedBy", "not an identity: "+quote(r.CreatedBy))
		}
	}
	for _, m := range r.AddMarkings {
		if t, _, ok := parseID(m); !ok || t != "marking-definition" {
			return fail("AddMarkings", "not a marking definition: "+quote(m))
		}
	}
	return nil
}

// definition: an object copied whole into a derivative.
func definition(o *Object) bool {
	return o.typ == "marking-definition" || o.typ == "extension-definition"
}

// publicType: ids that are never re-identified, since they name shared
// definitions (a marking a trust group knows, an extension's schema).
func publicType(id string) bool {
	return strings.HasPrefix(id, "marking-definition--") || strings.HasPrefix(id, "extension-definition--")
}

type sanitizer struct {
	r       Recipe
	removed map[string]bool
	public  map[string]bool
	derived map[string]string // original → derived, and "\x00"+derived → original
	// lists maps the path of each list that lost entries (in selector form,
	// "object_refs") to each old index's new one, -1 for a dropped entry.
	lists map[string][]int
	mac   hash.Hash // keyed, reset for each new id
	sum   [sha256.Size]byte
}

// cascade removes the objects that cannot stand without what was removed.
func (s *sanitizer) cascade(b *Bundle) {
	for changed := true; changed; {
		changed = false
		for _, o := range b.objects {
			if s.removed[o.id] || definition(o) {
				continue
			}
			if s.orphan(o) {
				s.removed[o.id] = true
				changed = true
			}
		}
	}
}

func (s *sanitizer) orphan(o *Object) bool {
	spec := specs[o.typ]
	if spec == nil {
		return false
	}
	for _, m := range o.tree.m {
		p := spec.props[m.key]
		if p == nil {
			continue
		}
		switch {
		case p.kind == pRef && p.required && s.removed[m.val.s]:
			return true
		case p.kind == pRefs && p.required:
			all := true
			for _, e := range m.val.a {
				all = all && s.removed[e.s]
			}
			if all {
				return true
			}
		}
	}
	return false
}

// newID is the derived id of orig, made once.
func (s *sanitizer) newID(orig string) string {
	if d, ok := s.derived[orig]; ok {
		return d
	}
	typ, _, _ := parseID(orig)
	var u [16]byte
	if s.r.Key != nil {
		if s.mac == nil {
			s.mac = hmac.New(sha256.New, s.r.Key)
		}
		s.mac.Reset()
		s.mac.Write([]byte(orig))
		copy(u[:], s.mac.Sum(s.sum[:0]))
	} else if _, err := rand.Read(u[:]); err != nil {
		panic("stix: no randomness for new ids: " + err.Error())
	}
	u[6] = u[6]&0x0f | 0x40 // version 4: to a reader, as random as any other
	u[8] = u[8]&0x3f | 0x80 // the RFC 4122 variant
	h := hex.EncodeToString(u[:])
	d := typ + "--" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	s.derived[orig] = d
	s.derived["\x00"+d] = orig
	return d
}

// walkIDs calls fn with every string under n that is an identifier.
func walkIDs(n *node, fn func(string)) {
	switch n.k {
	case kString:
		if _, _, ok := parseID(n.s); ok {
			fn(n.s)
		}
	case kArray:
		for i := range n.a {
			walkIDs(&n.a[i], fn)
		}
	case kObject:
		for i := range n.m {
			walkIDs(&n.m[i].val, fn)
		}
	}
}

// derive makes the derived tree of one object.
func (s *sanitizer) derive(o *Object) node {
	t := clone(&o.tree)
	for _, p := range s.r.RemoveProperties {
		if p.Type == "" || p.Type == o.typ {
			removePath(&t, strings.Split(p.Path, "."))
		}
	}
	if o.typ == "location" && s.r.LocationKm > 0 {
		coarsen(&t, s.r.LocationKm)
	}
	s.lists = map[string][]int{}
	s.rewrite(&t, "")
	spec := specs[o.typ]
	if spec == nil {
		spec = customSpec
	}
	if spec.props["created_by_ref"] != nil {
		if s.r.CreatedBy != "" {
			setMember(&t, "created_by_ref", node{k: kString, s: s.r.CreatedBy})
		} else {
			deleteMember(&t, "created_by_ref")
		}
	}
	if len(s.r.AddMarkings) > 0 {
		refs, ok := t.get("object_marking_refs")
		if !ok {
			setMember(&t, "object_marking_refs", node{k: kArray})
			refs, _ = t.get("object_marking_refs")
		}
		for _, m := range s.r.AddMarkings {
			if !slices.ContainsFunc(refs.a, func(n node) bool { return n.s == m }) {
				refs.a = append(refs.a, node{k: kString, s: m})
			}
		}
	}
	s.fixSelectors(&t)
	return t
}

// rewrite replaces every identifier under n by its derived id, and drops
// those of removed objects. It reports whether n itself is to be kept.
func (s *sanitizer) rewrite(n *node, path string) bool {
	switch n.k {
	case kString:
		if _, _, ok := parseID(n.s); !ok {
			return true
		}
		if s.removed[n.s] {
			return false
		}
		if !s.public[n.s] && !publicType(n.s) {
			n.s = s.newID(n.s)
		}
		return true
	case kArray:
		var kept []node
		var moved []int
		for i := range n.a {
			sub := path + ".[" + strconv.Itoa(i) + "]"
			keep := s.rewrite(&n.a[i], strings.TrimPrefix(sub, "."))
			// A granular marking of a removed marking definition goes with
			// it.
			if keep && path == "granular_markings" && !n.a[i].has("marking_ref") {
				keep = false
			}
			if keep {
				if moved != nil {
					moved = append(moved, len(kept))
				}
				kept = append(kept, n.a[i])
				continue
			}
			if moved == nil {
				moved = make([]int, i, len(n.a))
				for j := range moved {
					moved[j] = j
				}
			}
			moved = append(moved, -1)
		}
		if moved != nil {
			s.lists[path] = moved
			n.a = kept
		}
		return len(n.a) > 0
	case kObject:
		kept := n.m[:0]
		for i := range n.m {
			m := n.m[i]
			sub := m.key
			if path != "" {
				sub = path + "." + m.key
			}
			if s.rewrite(&m.val, sub) {
				kept = append(kept, m)
			}
		}
		n.m = kept
		return len(n.m) > 0
	}
	return true
}

// fixSelectors renumbers the selectors of granular markings after entries
// were dropped from lists, and drops those that no longer select anything.
func (s *sanitizer) fixSelectors(t *node) {
	gm, ok := t.get("granular_markings")
	if !ok {
		return
	}
	var kept []node
	for _, g := range gm.a {
		sel, _ := g.get("selectors")
		var sels []node
		for _, e := range sel.a {
			if ns, ok := s.remap(e.s); ok && selects(t, ns) {
				sels = append(sels, node{k: kString, s: ns})
			}
		}
		if len(sels) == 0 {
			continue
		}
		sel.a = sels
		kept = append(kept, g)
	}
	if len(kept) == 0 {
		deleteMember(t, "granular_markings")
		return
	}
	gm.a = kept
}

func (s *sanitizer) remap(sel string) (string, bool) {
	parts := strings.Split(sel, ".")
	orig := ""
	for i, p := range parts {
		if strings.HasPrefix(p, "[") {
			old, _ := strconv.Atoi(p[1 : len(p)-1])
			if moved, ok := s.lists[orig]; ok {
				if old >= len(moved) || moved[old] < 0 {
					return "", false
				}
				parts[i] = "[" + strconv.Itoa(moved[old]) + "]"
			}
		}
		if orig != "" {
			orig += "."
		}
		orig += p
	}
	return strings.Join(parts, "."), true
}

// removePath deletes the members a path names, entering lists element by
// element.
func removePath(n *node, path []string) {
	switch n.k {
	case kArray:
		for i := range n.a {
			removePath(&n.a[i], path)
		}
	case kObject:
		if len(path) == 1 {
			deleteMember(n, path[0])
			return
		}
		if v, ok := n.get(path[0]); ok {
			removePath(v, path[1:])
			if (v.k == kObject && len(v.m) == 0) || (v.k == kArray && len(v.a) == 0) {
				deleteMember(n, path[0])
			}
		}
	}
}

func deleteMember(n *node, key string) {
	n.m = slices.DeleteFunc(n.m, func(m member) bool { return m.key == key })
}

func setMember(n *node, key string, v node) {
	if cur, ok := n.get(key); ok {
		*cur = v
		return
	}
	n.m = append(n.m, member{key: key, val: v})
}

// kmPerDegree is a degree of latitude, or of longitude at the equator, on
// the sphere of the earth's mean radius (6,371.0088 km).
const kmPerDegree = 2 * math.Pi * 6371.0088 / 360

// gridSteps are the latitude and longitude steps, in degrees, of a grid of
// km kilometres; the longitude step widens with the latitude lat, so that a
// cell is km wide at every latitude.
func gridSteps(km, lat float64) (dLat, dLng float64) {
	dLat = km / kmPerDegree
	c := math.Cos(lat * math.Pi / 180)
	if c < 1e-9 {
		return dLat, 360
	}
	return dLat, math.Min(km/(kmPerDegree*c), 360)
}

// coarsen rounds a location to a grid of km kilometres and removes the
// parts of an address finer than a city.
func coarsen(t *node, km float64) {
	deleteMember(t, "street_address")
	deleteMember(t, "postal_code")
	lat, ok1 := t.get("latitude")
	lng, ok2 := t.get("longitude")
	if !ok1 || !ok2 {
		return
	}
	la, _ := strconv.ParseFloat(lat.s, 64)
	lo, _ := strconv.ParseFloat(lng.s, 64)
	dLat, _ := gridSteps(km, 0)
	la = math.Max(-90, math.Min(90, math.Round(la/dLat)*dLat))
	_, dLng := gridSteps(km, la)
	lo = math.Max(-180, math.Min(180, math.Round(lo/dLng)*dLng))
	*lat = numberNode(la)
	*lng = numberNode(lo)
	prec := km * 1000
	if p, ok := t.get("precision"); ok {
		if old, _ := strconv.ParseFloat(p.s, 64); old > prec {
			prec = old
		}
	}
	setMember(t, "precision", numberNode(prec))
}

func numberNode(f float64) node {
	if f == 0 {
		f = 0 // not -0
	}
	return node{k: kNumber, s: strconv.FormatFloat(f, 'f', -1, 64)}
}

// findLeak looks for the UUID of an original id anywhere in n, keys
// included, and returns where.
func findLeak(n *node, leak map[string]bool, path string) (string, bool) {
	switch n.k {
	case kString:
		return path, hasLeak(n.s, leak)
	case kArray:
		for i := range n.a {
			if p, ok := findLeak(&n.a[i], leak, path+"["+strconv.Itoa(i)+"]"); ok {
				return p, true
			}
		}
	case kObject:
		for i := range n.m {
			sub := n.m[i].key
			if path != "" {
				sub = path + "." + sub
			}
			if hasLeak(n.m[i].key, leak) {
				return sub, true
			}
			if p, ok := findLeak(&n.m[i].val, leak, sub); ok {
				return p, true
			}
		}
	}
	return "", false
}

// hasLeak finds any 8-4-4-4-12 hexadecimal run in s whose lowercase form is
// an original UUID.
func hasLeak(s string, leak map[string]bool) bool {
	for i := 0; i+36 <= len(s); i++ {
		if s[i+8] != '-' || s[i+13] != '-' || s[i+18] != '-' || s[i+23] != '-' || !isHex(s[i]) {
			continue
		}
		cand := s[i : i+36]
		ok := true
		for j := 0; j < 36 && ok; j++ {
			if j != 8 && j != 13 && j != 18 && j != 23 {
				ok = isHex(cand[j])
			}
		}
		if ok && leak[strings.ToLower(cand)] {
			return true
		}
	}
	return false
}
