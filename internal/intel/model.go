// Package intel is the intelligence desk: STIX 2.1 bundles a party submits,
// the mediator's four-eyes gate that releases them (whole or as sanitized
// derivatives), withholds or returns them, and the collections each party
// reads, over the API and TAXII 2.1. It decides; the ledger appends and the
// API serves.
//
// Who reads what:
//
//	intel.submit   the submitting party and the mediator: the bundle whole,
//	               its objects in the party's "submitted" collection
//	intel.stage    (the server, for a TAXII POST awaiting its signature) the
//	               poster's party and the mediator: that something waits,
//	               and its hash; the content is a blob
//	intel.propose  the mediator alone: what one analyst proposes, the recipe
//	               of a derivative, and so the link to its original
//	intel.approve  the mediator and the submitting party: the decision on the
//	               submission (released to whom, withheld and why, returned
//	               with a question), by a second member of the mediator
//	intel.release  the recipients and the mediator: the released bundle,
//	               whole or sanitized, signed by the member who publishes it,
//	               which names only the proposal's random id, never the
//	               submission it comes from. TLP:RED is
//	               released to named members (record.MemberAudience): the
//	               rest of their party reads neither the entry nor its objects
//
// The link from a derivative to its original (intel.derivation) is the
// mediator's alone. A derivative's ids are derived from the original's by
// HMAC under a key only the original's readers can compute (see
// derivationKey), so a recipient cannot link them, and a later version of
// an original is a later version of its derivative.
package intel

import (
	"encoding/json"
	"time"
)

// Command kinds.
const (
	KindSubmit  = "intel.submit"
	KindStage   = "intel.stage"
	KindPropose = "intel.propose"
	KindApprove = "intel.approve"
	KindRelease = "intel.release"
)

// Projection kinds.
const (
	ObjSubmission = "intel.submission" // id: log index; parent: party
	ObjBundle     = "intel.bundle"     // id: submission id; the bundle as submitted
	ObjProposal   = "intel.proposal"   // id: proposal id; parent: submission id
	ObjRelease    = "intel.release"    // id: proposal id; parent: CollParent
	// ObjReleaseBundle is a release's bundle exactly as its publisher
	// signed it (id: proposal id): what a recipient downloads and can prove.
	ObjReleaseBundle = "intel.release.bundle"
	ObjDerivation    = "intel.derivation" // id: proposal id; the mediator's link to the original
	ObjStaged        = "intel.staged"     // id: log index of intel.stage; parent: member
	// ObjObject is one version of one STIX object in a collection: id
	// Coll/stix-id/version, parent the collection. ObjCurrent is the
	// latest version in the collection (id Coll/stix-id), what TAXII
	// serves by default (match[version]=last).
	ObjObject  = "intel.object"
	ObjCurrent = "intel.current"
)

// CollParent is the parent of every release, for listing them.
const CollParent = "releases"

// Submitted and Released name a party's collections: what it submitted
// (the mediator's review queue), and what was released to it.
func Submitted(party string) string { return "submitted/" + party }

// Released names the collection of what was released to party.
func Released(party string) string { return "released/" + party }

// DueReview is what the mediator owes a submission: a decision.
const DueReview = "intel.review"

// DefaultReviewDeadline is the time the gate has to decide on a submission
// before the mediator's duty officer is alerted; a cell sets its own as
// Settings.Deadlines["intel.review"].
const DefaultReviewDeadline = 24 * time.Hour

// Limits.
const (
	MaxObjects = 20_000
	MaxTitle   = 300
	MaxText    = 10_000
	MaxTo      = 20
)

// Statuses of a submission.
const (
	StatusSubmitted = "submitted" // waiting for the gate
	StatusReleased  = "released"
	StatusWithheld  = "withheld"
	StatusReturned  = "returned" // with a question to the submitter
)

// Decisions the gate takes.
const (
	Release  = "release"
	Withhold = "withhold"
	Return   = "return"
)

// Statuses of a proposal.
const (
	ProposalOpen       = "proposed"
	ProposalApproved   = "approved"
	ProposalReleased   = "released"
	ProposalSuperseded = "superseded"
)

// Submission is a bundle submitted to the gate, as its submitter and the
// mediator see it.
type Submission struct {
	ID     int64     `json:"id"`
	Party  string    `json:"party"`
	Member string    `json:"member"`
	Title  string    `json:"title"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
	// BundleID is the STIX bundle's id; Count its objects, by type in Types.
	BundleID string         `json:"bundle_id"`
	Count    int            `json:"count"`
	Types    map[string]int `json:"types"`
	// TLP is the most restrictive TLP of any object (stix.Resolver.Max):
	// what binds the whole submission. Unresolved lists marking refs the
	// desk cannot read, which the gate must not release blindly.
	TLP        string   `json:"tlp"`
	Unresolved []string `json:"unresolved,omitempty"`
	// ReplyTo is the release this answers (sightings, opinions, notes
	// about it), which the gate sends back to that release's source.
	ReplyTo string    `json:"reply_to,omitempty"`
	Status  string    `json:"status"`
	Due     time.Time `json:"due"`
	// Decision is the gate's, once two members of the mediator took it.
	Decision *Decision `json:"decision,omitempty"`
}

// Decision is what the gate decided about a submission, as its submitter
// reads it.
type Decision struct {
	Decision   string    `json:"decision"`
	To         []string  `json:"to,omitempty"`
	Members    []string  `json:"members,omitempty"`
	Sanitized  bool      `json:"sanitized,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	ProposedBy string    `json:"proposed_by"`
	ApprovedBy string    `json:"approved_by"`
	At         time.Time `json:"at"`
	Entry      int64     `json:"entry"`
}

// Recipe is how the gate sanitizes a bundle (stix.Recipe, in the words of
// a proposal).
type Recipe struct {
	RemoveIDs        []string       `json:"remove_ids,omitempty"`
	RemoveTypes      []string       `json:"remove_types,omitempty"`
	RemoveProperties []PropertyPath `json:"remove_properties,omitempty"`
	// LocationKm coarsens every location to a grid of that many kilometres.
	LocationKm float64 `json:"location_km,omitempty"`
}

// PropertyPath names properties to remove, of objects of Type ("" for
// all).
type PropertyPath struct {
	Type string `json:"type,omitempty"`
	Path string `json:"path"`
}

// Proposal is one analyst's proposed decision, waiting for a second
// member; the mediator's alone.
type Proposal struct {
	ID         string    `json:"id"`
	Submission int64     `json:"submission"`
	Decision   string    `json:"decision"`
	To         []string  `json:"to,omitempty"`
	Members    []string  `json:"members,omitempty"`
	Sanitize   *Recipe   `json:"sanitize,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Status     string    `json:"status"`
	ProposedBy string    `json:"proposed_by"`
	ProposedAt time.Time `json:"proposed_at"`
	Entry      int64     `json:"entry"`
	// TLP and Count are what the release would carry.
	TLP        string    `json:"tlp,omitempty"`
	Count      int       `json:"count,omitempty"`
	ApprovedBy string    `json:"approved_by,omitempty"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
	Approval   int64     `json:"approval,omitempty"`
	Released   int64     `json:"released,omitempty"`
}

// ReleaseInfo is a release as its recipients read it.
type ReleaseInfo struct {
	ID       string         `json:"id"` // the proposal's random id
	Title    string         `json:"title"`
	BundleID string         `json:"bundle_id"`
	To       []string       `json:"to,omitempty"`
	Members  []string       `json:"members,omitempty"`
	TLP      string         `json:"tlp"`
	Count    int            `json:"count"`
	Types    map[string]int `json:"types"`
	At       time.Time      `json:"at"`
	Entry    int64          `json:"entry"`
	// Answer: the release answers a release (a sighting sent back).
	Answer string `json:"answer,omitempty"`
}

// Derivation links a release to its original, for the mediator.
type Derivation struct {
	Release    string `json:"release"`
	Submission int64  `json:"submission"`
	Sanitized  bool   `json:"sanitized"`
	// IDs maps each derived id to the original id it replaces.
	IDs map[string]string `json:"ids,omitempty"`
}

// Staged is a bundle posted over TAXII, waiting for its poster to sign it.
type Staged struct {
	ID         int64     `json:"id"`
	Member     string    `json:"member"`
	Party      string    `json:"party"`
	SHA256     string    `json:"sha256"`
	Count      int       `json:"count"`
	At         time.Time `json:"at"`
	Submission int64     `json:"submission,omitempty"` // set once signed
}

// Stored is one version of a STIX object in a collection, with what TAXII
// serves about it.
type Stored struct {
	Coll        string          `json:"coll"`
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Version     string          `json:"version"` // modified, or created, or "" for an object with neither
	SpecVersion string          `json:"spec_version"`
	Added       time.Time       `json:"added"`
	Entry       int64           `json:"entry"`
	Object      json.RawMessage `json:"object"`
	// Versions, on the current version (ObjCurrent), lists every version
	// in the collection, oldest first.
	Versions []string `json:"versions,omitempty"`
}
