// Package stix reads, checks, writes and sanitizes STIX 2.1 content (OASIS
// Standard, with Errata 01): the objects the parties' MISP and OpenCTI
// instances share through the intelligence desk, the TLP that governs their
// release, and the sanitized derivatives the mediator releases in their
// place. It imports nothing of the project.
//
// # Strictness
//
// [ParseBundle] and [ParseObject] refuse what two readers could understand
// differently, because what the desk records is signed, and a signed record
// must mean one thing to everyone who checks it:
//
//   - Duplicate keys, at any depth. encoding/json keeps the last of two
//     "pattern" members, other parsers the first: the same bytes would name
//     two indicators.
//   - Invalid UTF-8, and \u escapes of lone surrogates, which decoders replace
//     or keep as they please; unescaped control characters; numbers beyond a
//     float64 (a reader would see ±Inf); a byte order mark; anything after
//     the value.
//   - Identifiers that are not type--UUID with an RFC 4122 UUID, or whose
//     type is not the object's (an "id" of "malware--…" on an indicator), or
//     not a type the property may refer to (created_by_ref to anything but an
//     identity).
//   - Timestamps that are not RFC 3339 in UTC with "Z"; created and modified
//     less precise than the millisecond; leap seconds, on whose instant
//     readers disagree; a modified before created; spec_version other than
//     "2.1" (a STIX 2.0 bundle is refused whole).
//   - Properties a type does not define. What is kept, exactly as received
//     (member order, number literals, nesting), is: custom properties whose
//     name starts with x_ (MISP's x_misp_…, OpenCTI's x_opencti_…), the
//     contents of every extension, the properties a toplevel-property
//     extension adds (those its definition lists, when the bundle holds the
//     definition; any well-formed name when it does not), and every property
//     of a custom object type (x-…, or one a new-sdo, new-sco or new-sro
//     extension declares). Everything else is refused, names STIX reserves
//     included, so that a misspelt "confidental" fails at the door instead of
//     passing as data nobody reads.
//   - Values STIX forbids anywhere: null, and empty lists or dictionaries.
//   - What the OASIS JSON schemas would refuse, so that whatever this package
//     writes validates against them. Two consequences go beyond the spec: a
//     granular marking must have a marking_ref (the schema requires it; the
//     spec also allows a language alone), and observed data must refer to
//     its observables by object_refs, not hold them in the deprecated
//     container (the schema requires ids inside it, which STIX 2.0 content
//     never has).
//
// Each refusal is an [*Error] that names the object (its index in the bundle
// and its id), the property path ("external_references[0].url") and the
// reason, and wraps one of the Err… kinds for errors.Is.
//
// Re-serialization ([Object.MarshalJSON], [Bundle.MarshalJSON]) is compact
// JSON with the properties in the order received and every value as
// received; strings are re-escaped only where JSON requires it.
//
// # Versions
//
// An object is identified by its id and a version by its modified timestamp
// (then created): [CompareVersions] orders two versions, and [Versions] tells
// a new version from a repeat, a late older one, a conflicting one (same
// version, different content) and one that follows a revocation.
//
// # Markings
//
// A [Resolver] gives an object's effective TLP ([Resolver.Effective]) and the
// most restrictive over a set ([Resolver.Max]), RED > AMBER+STRICT > AMBER >
// GREEN > CLEAR. It knows the standard TLP 2.0 marking definitions and the
// TLP 1.0 ones of STIX 2.1 by id, and the marking definitions it is given.
// A TLP in a granular marking counts as applying to the whole object: the
// release of an object releases all of its parts.
//
// # Derivatives
//
// [Sanitize] makes a derivative of a bundle by a [Recipe]: objects and
// properties removed, locations coarsened, every object given a new id (the
// mapping back to the originals is returned, for the mediator alone), and
// every reference rewritten or dropped. It refuses, with [ErrLeak], to return
// a derivative in which an original id still appears.
package stix
