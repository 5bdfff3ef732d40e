// Package taxii serves TAXII 2.1 (OASIS Standard, 10 June 2021) over a
// [Backend]: the protocol is here, what is in the collections and who may see
// it is the backend's. The intelligence desk serves through it what the
// mediator released to a party, to the party's MISP or OpenCTI, and takes in
// their submissions. It imports nothing of the project but internal/stix.
//
// # What the package owns
//
// The routes of sections 4 and 5 under {prefix}/taxii2/ (discovery at
// /taxii2/, API roots at /taxii2/{root}/); authentication through a hook,
// with a Basic challenge on 401; content negotiation (406, 415); the request
// size limit against the API root's max_content_length (413); strict
// parsing of every query parameter (400); the JSON shapes of every resource
// and of the error message; the X-TAXII-Date-Added-First and -Last headers;
// timestamps written with microseconds. Package taxiitest is the conformance
// suite that any Backend, run behind this handler, must pass.
//
// # Choices where the specification leaves room
//
//   - A collection the caller can neither read nor write does not exist for
//     them: it is not listed, and every endpoint under it answers 404 (the
//     table of 5.7 requires it of DELETE; 5.3-5.8 allow it; Appendix B warns
//     against leaking existence). A collection the caller knows of, because
//     it can read or write it, answers 403 for what it may not do.
//   - Accept: application/taxii+json with version=2.1 or no version, the
//     wildcards */* and application/*, and no Accept header at all are
//     served; so is application/stix+json;version=2.1 on the manifest, which
//     5.3 lists. Anything else (TAXII 2.0's types included) is 406.
//   - Content-Type of a POST: application/taxii+json, version 2.1 or none;
//     else 415. A body that is not an envelope of objects is 422 (5.5).
//   - Unknown parameters and unknown match fields are 400 rather than
//     ignored, as are a parameter or match field given twice, a version
//     keyword or instant given twice, and "all" with another version.
//   - added_after takes RFC 3339 timestamps in UTC with "Z", of any
//     precision (clients echo STIX timestamps as well as TAXII's).
//   - The versions of an object are selected (match[version], default last)
//     before added_after and paging apply; see [VersionMatch].
//   - Get an Object and Get Object Versions answer 404 when nothing matches
//     on a first page, which is what 5.7 requires after a delete.
//   - A response without records carries no X-TAXII-Date-Added headers:
//     there is no date to give.
//   - The manifest and versions resources carry next beside more, as the
//     envelope does: 5.3 and 5.8 take the next parameter, so the value has
//     to reach the client, and the two resource tables leave it out.
//   - Responses are Cache-Control: no-store: each is one caller's view.
package taxii
