package stix

import (
	"crypto/sha256"
	"slices"
	"sort"
	"strconv"
	"sync"
)

// CompareVersions orders two versions of an object: by modified, then by
// created (STIX 2.1 section 3.6: the version with the latest modified is the
// current one). It is meant for two objects with the same id; objects that
// are not versioned (marking definitions, cyber-observables) compare by
// created alone, or as equal.
func CompareVersions(a, b *Object) int {
	if c := a.modified.Compare(b.modified); c != 0 {
		return c
	}
	return a.created.Compare(b.created)
}

// An Arrival says how an object relates to the versions of it seen before.
type Arrival int

const (
	// First: no version of this id was seen before.
	First Arrival = iota
	// Newer: later than every version seen; the object's current state.
	Newer
	// Same: this version was seen before, with the same content.
	Same
	// Older: earlier than the latest version seen, arriving after it. STIX
	// consumers keep the newer one.
	Older
	// Conflict: a version seen before, with different content. STIX leaves
	// the choice undefined; a desk should refuse it.
	Conflict
	// AfterRevocation: later than a version that revoked the object.
	// Revocation is permanent: no later version may exist.
	AfterRevocation
)

func (a Arrival) String() string {
	switch a {
	case First:
		return "first"
	case Newer:
		return "newer"
	case Same:
		return "same"
	case Older:
		return "older"
	case Conflict:
		return "conflict"
	case AfterRevocation:
		return "after revocation"
	}
	return "arrival(" + strconv.Itoa(int(a)) + ")"
}

// Versions remembers, for each id, the versions seen and the digest of each
// one's content, to tell a new version from a late or conflicting one. It is
// safe for concurrent use.
type Versions struct {
	mu   sync.Mutex
	seen map[string][]seenVersion // by id, sorted by version
}

type seenVersion struct {
	modified, created Timestamp
	revoked           bool
	digest            [32]byte
}

// Observe records o and says how it arrived. A revoking version (o.Revoked())
// arrives First or Newer like any other; what it revokes is the caller's to
// act on.
func (v *Versions) Observe(o *Object) Arrival {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = map[string][]seenVersion{}
	}
	sv := seenVersion{modified: o.modified, created: o.created, revoked: o.revoked, digest: digest(o)}
	vs := v.seen[o.id]
	cmp := func(a, b seenVersion) int {
		if c := a.modified.Compare(b.modified); c != 0 {
			return c
		}
		return a.created.Compare(b.created)
	}
	i, found := slices.BinarySearchFunc(vs, sv, cmp)
	if found {
		if vs[i].digest == sv.digest {
			return Same
		}
		return Conflict
	}
	n, latestRevoked := len(vs), len(vs) > 0 && vs[len(vs)-1].revoked
	v.seen[o.id] = slices.Insert(vs, i, sv)
	switch {
	case n == 0:
		return First
	case i < n:
		return Older
	case latestRevoked:
		return AfterRevocation
	}
	return Newer
}

// Latest is the latest version of id observed: its modified and created
// timestamps, whether it revoked the object, and whether any was observed.
func (v *Versions) Latest(id string) (modified, created Timestamp, revoked, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	vs := v.seen[id]
	if len(vs) == 0 {
		return Timestamp{}, Timestamp{}, false, false
	}
	l := vs[len(vs)-1]
	return l.modified, l.created, l.revoked, true
}

// sameVersion reports whether two objects are the same representation of a
// version: the same properties and values, in any order (STIX 2.1 section
// 3.6), a property at its default ("revoked": false) counting as absent.
func sameVersion(a, b *Object) bool { return digest(a) == digest(b) }

// digest hashes an object's content canonically: members sorted by key at
// every level, number literals as sent, and the defaults revoked: false and
// defanged: false left out.
func digest(o *Object) [32]byte {
	h := sha256.New()
	var buf []byte
	var walk func(n *node, top bool)
	walk = func(n *node, top bool) {
		switch n.k {
		case kArray:
			buf = append(buf, '[')
			for i := range n.a {
				buf = append(buf, ',')
				walk(&n.a[i], false)
			}
			buf = append(buf, ']')
		case kObject:
			idx := make([]int, 0, len(n.m))
			for i := range n.m {
				if top && (n.m[i].key == "revoked" || n.m[i].key == "defanged") && n.m[i].val.s == "false" {
					continue
				}
				idx = append(idx, i)
			}
			sort.Slice(idx, func(x, y int) bool { return n.m[idx[x]].key < n.m[idx[y]].key })
			buf = append(buf, '{')
			for _, i := range idx {
				buf = append(buf, ',')
				buf = appendString(buf, n.m[i].key)
				buf = append(buf, ':')
				walk(&n.m[i].val, false)
			}
			buf = append(buf, '}')
		default:
			buf = encode(buf, n)
		}
		if len(buf) > 4096 {
			h.Write(buf)
			buf = buf[:0]
		}
	}
	walk(&o.tree, true)
	h.Write(buf)
	var d [32]byte
	h.Sum(d[:0])
	return d
}

func itoa(i int) string { return strconv.Itoa(i) }
