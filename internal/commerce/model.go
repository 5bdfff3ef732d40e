// Package commerce is the commercial desk: the projects of the economic
// zones on both sides of the line, their milestones gated on the security
// they depend on, expressions of interest, and the funders' pledges,
// confidential by default. It decides; the ledger appends and the API
// serves.
//
// Who reads what:
//
//	project.register, .update,   every party: the registry is the cell's
//	.milestone, .interest        shop window, the host country and the
//	                             companies among its readers
//	pledge.make, .update,        the funder and the mediator alone: who
//	.disburse                    pledged, how much, on what conditions
//	pledge.disclose              every party: the funder, signing, names
//	                             itself and restates its pledge
//	funding.publish              every party: a project's confidential
//	                             total, as the mediator publishes it when
//	                             the rule below lets it
//	project.alert                (the server, for a failing gate of a project
//	                             in implementation) those who read what
//	                             fails: every incident holding the zone, the
//	                             commitment; every party for the posture
//
// The rule of published totals. A total of confidential pledges reveals
// nothing of one funder when (1) at least MinFunders funders make it up,
// and (2) it changes only by the changes of at least MinChanges funders
// since the total published before: a party that differences two totals
// learns the sum of several funders' changes, never one's, and a funder,
// knowing its own change, still faces at least two unknown ones. The total
// is also rounded down to a bucket (Bucket), so that a total does not give
// a sum to the unit. Disclosed pledges are out of the confidential total:
// their funders made them public. The rule does not stand against a
// coalition of MinChanges-1 funders pooling what they know: nothing short
// of publishing no total would.
package commerce

import "time"

// Command kinds.
const (
	KindProjectRegister  = "project.register"
	KindProjectUpdate    = "project.update"
	KindProjectMilestone = "project.milestone"
	KindProjectInterest  = "project.interest"
	KindPledgeMake       = "pledge.make"
	KindPledgeUpdate     = "pledge.update"
	KindPledgeDisburse   = "pledge.disburse"
	KindPledgeDisclose   = "pledge.disclose"
	KindFundingPublish   = "funding.publish"
)

// Projection kinds.
const (
	ObjProject     = "project"          // id: project id
	ObjInterest    = "project.interest" // id: log index; parent: project
	ObjPledge      = "pledge"           // id: pledge id; parent: project (funder and mediator)
	ObjDisbursal   = "pledge.disbursal" // id: log index; parent: pledge
	ObjDisclosure  = "pledge.disclosed" // id: pledge id; parent: project (everyone)
	ObjFunding     = "funding"          // id: project id (everyone): the published total
	ObjFundingBase = "funding.base"     // id: project id (the mediator): what the last total was made of
)

// The rule of published totals (see the package comment).
const (
	MinFunders = 3
	MinChanges = 3
)

// Bucket is the rounding of a published total: down to two significant
// digits (12,345,678 is published as 12,000,000).
func Bucket(total int64) int64 {
	if total < 100 {
		return total / 10 * 10
	}
	unit := int64(1)
	for t := total; t >= 100; t /= 10 {
		unit *= 10
	}
	return total / unit * unit
}

// Sectors are the desk's, each with its IATI sector code (DAC 5-digit
// purpose codes, vocabulary 1).
var Sectors = map[string]string{
	"energy":         "23210", // energy generation, renewable sources: multiple technologies
	"agriculture":    "31120", // agricultural development
	"tourism":        "33210", // tourism policy and administrative management
	"water":          "14020", // water supply and sanitation: large systems
	"infrastructure": "21010", // transport policy and administrative management
	"other":          "43010", // multisector aid
}

// Stages of a project, in order; Suspended may interrupt any.
const (
	Concept        = "concept"
	Feasibility    = "feasibility"
	Financing      = "financing"
	Implementation = "implementation"
	Operating      = "operating"
	Suspended      = "suspended"
)

// Stages lists the forward stages in order.
var Stages = []string{Concept, Feasibility, Financing, Implementation, Operating}

// Limits.
const (
	MaxTitle      = 300
	MaxText       = 10_000
	MaxMilestones = 50
	MaxGates      = 10
	MaxSponsors   = 20
	MaxDocuments  = 20
)

// Gate is a security condition a milestone depends on.
type Gate struct {
	// Kind: zone_quiet (Zone agreed, and no incident in it open or within
	// Days days), commitment (Commitment on_track or fulfilled), posture
	// (the cell's declared posture is Posture).
	Kind       string `json:"kind"`
	Zone       string `json:"zone,omitempty"`
	Days       int    `json:"days,omitempty"`
	Commitment string `json:"commitment,omitempty"`
	Posture    string `json:"posture,omitempty"`
}

// The kinds of gates.
const (
	GateZoneQuiet  = "zone_quiet"
	GateCommitment = "commitment"
	GatePosture    = "posture"
)

// Milestone is a step of a project.
type Milestone struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	Due   time.Time `json:"due"`
	Gates []Gate    `json:"gates,omitempty"`
	// Reached is set by project.milestone, with its entry.
	Reached time.Time `json:"reached,omitzero"`
	Entry   int64     `json:"entry,omitempty"`
	By      string    `json:"by,omitempty"`
	Note    string    `json:"note,omitempty"`
}

// Document names a blob a project carries.
type Document struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name"`
}

// Project is a project of the economic zone.
type Project struct {
	ID           string            `json:"id"`
	Title        string            `json:"title"`
	Titles       map[string]string `json:"titles,omitempty"`
	Description  string            `json:"description"`
	Descriptions map[string]string `json:"descriptions,omitempty"`
	Sector       string            `json:"sector"`
	// Zone is the de-escalation desk's zone the project lies in; Site, if
	// set, a protected site or smaller zone inside it.
	Zone       string      `json:"zone"`
	Site       string      `json:"site,omitempty"`
	Sponsors   []string    `json:"sponsors,omitempty"`
	Currency   string      `json:"currency"` // ISO 4217, of every pledge to it
	Stage      string      `json:"stage"`
	Before     string      `json:"before,omitempty"` // the stage a suspension interrupted
	Milestones []Milestone `json:"milestones"`
	Documents  []Document  `json:"documents,omitempty"`
	Version    int         `json:"version"`
	Entry      int64       `json:"entry"`
	By         string      `json:"by"`
	Party      string      `json:"party"`
	At         time.Time   `json:"at"`
}

// Interest is an expression of interest in a project.
type Interest struct {
	ID           int64     `json:"id"`
	Project      string    `json:"project"`
	Party        string    `json:"party"`
	Member       string    `json:"member"`
	Organization string    `json:"organization,omitempty"`
	Text         string    `json:"text"`
	At           time.Time `json:"at"`
}

// Tranche is a part of a pledge's schedule.
type Tranche struct {
	Due    time.Time `json:"due"`
	Amount int64     `json:"amount"`
}

// Pledge is a funder's pledge to a project: the funder's and the
// mediator's alone until the funder discloses it.
type Pledge struct {
	ID         string    `json:"id"`
	Project    string    `json:"project"`
	Funder     string    `json:"funder"` // the funder's party
	Member     string    `json:"member"` // who stated its version
	Amount     int64     `json:"amount"` // whole units of the project's currency
	Currency   string    `json:"currency"`
	Conditions string    `json:"conditions,omitempty"`
	Schedule   []Tranche `json:"schedule,omitempty"`
	Disbursed  int64     `json:"disbursed"`
	Disclosed  bool      `json:"disclosed,omitempty"`
	// Changed is the log index of the last change to its amount (or its
	// making): what the rule of published totals counts.
	Changed int64 `json:"changed"`
	// Version counts the funder's statements of the pledge, its making
	// and each update, which an update restates as it read it; Entry,
	// Member and At are the last one's. A disbursal or a disclosure is not
	// a version: an update keeps what they record.
	Version int       `json:"version"`
	Entry   int64     `json:"entry"`
	At      time.Time `json:"at"`
}

// Disbursal is money paid against a pledge.
type Disbursal struct {
	ID     int64     `json:"id"`
	Pledge string    `json:"pledge"`
	Amount int64     `json:"amount"`
	Date   string    `json:"date"` // YYYY-MM-DD
	Note   string    `json:"note,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Disclosure is a pledge its funder made public.
type Disclosure struct {
	Pledge   string    `json:"pledge"`
	Project  string    `json:"project"`
	Funder   string    `json:"funder"`
	Name     string    `json:"name"` // as the funder wants to be named
	Amount   int64     `json:"amount"`
	Currency string    `json:"currency"`
	Entry    int64     `json:"entry"`
	At       time.Time `json:"at"`
}

// Funding is a project's published confidential total.
type Funding struct {
	Project  string    `json:"project"`
	Total    int64     `json:"total"` // rounded down to Bucket
	Currency string    `json:"currency"`
	Funders  int       `json:"funders"` // how many confidential pledges make it up
	Entry    int64     `json:"entry"`
	At       time.Time `json:"at"`
}

// FundingBase is what the last published total was made of, for the rule:
// the mediator's alone.
type FundingBase struct {
	Project string `json:"project"`
	// Pledges maps each confidential pledge in the total to the log index
	// of its last change then.
	Pledges map[string]int64 `json:"pledges"`
}
