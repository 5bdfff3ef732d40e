// Package diplomacy is the diplomatic desk: agreements in numbered
// articles and their versions, the commitments made under them (a
// withdrawal timetable among them), disputes settled on evidence, the
// talks rounds, and joint statements co-signed version by version. It
// decides; the ledger appends and the API serves.
//
// Who reads what:
//
//	agreement.record              every party: the texts all sides work under
//	commitment.*, phase.*         the sides and the mediator
//	round.*                       the sides and the mediator; an agenda item
//	                              born of a dispute is for the dispute's parties
//	dispute.*                     the claimant, the respondent and the mediator;
//	                              the finding too. An observer reads a dispute
//	                              only when the mediator shares it, from the
//	                              share on, and never its finding
//	statement.draft, .comment,    the parties the statement requires and the
//	.sign                         mediator; statement.publish: every party
package diplomacy

import (
	"strconv"
	"time"
)

// Command kinds.
const (
	KindAgreementRecord  = "agreement.record"
	KindCommitmentCreate = "commitment.create"
	KindCommitmentStatus = "commitment.status"
	KindPhaseReport      = "phase.report"
	KindPhaseSignoff     = "phase.signoff"
	KindDisputeFile      = "dispute.file"
	KindDisputeAck       = "dispute.acknowledge"
	KindDisputeRespond   = "dispute.respond"
	KindDisputeFinding   = "dispute.finding"
	KindDisputeAccept    = "dispute.accept"
	KindDisputeShare     = "dispute.share"
	KindRoundCreate      = "round.create"
	KindRoundAgenda      = "round.agenda"
	KindRoundMinutes     = "round.minutes"
	KindRoundOutcome     = "round.outcome"
	KindStatementDraft   = "statement.draft"
	KindStatementComment = "statement.comment"
	KindStatementSign    = "statement.sign"
	KindStatementPublish = "statement.publish"
)

// Projection kinds.
const (
	ObjAgreement        = "agreement"         // id: agreement id
	ObjAgreementVersion = "agreement.version" // id: agreement/version; parent: agreement
	ObjCommitment       = "commitment"        // id: commitment id; parent: responsible party
	ObjDispute          = "dispute"           // id: log index; parent: claimant
	ObjDisputeShare     = "dispute.share"     // id: dispute/observer; parent: observer
	ObjRound            = "round"             // id: round id
	ObjAgendaItem       = "round.item"        // id: round/item; parent: round
	ObjStatement        = "statement"         // id: statement id
	ObjStatementVersion = "statement.version" // id: statement/version; parent: statement
	ObjComment          = "statement.comment" // id: log index; parent: statement/version
	ObjPending          = "round.pending"     // id: item id; an item waiting for the next round
)

// Due kinds the desk waits on.
const (
	DueMilestone = "milestone" // Item: the milestone's id
	DueSignoff   = "signoff"   // Item: the phase's id
	DueDispute   = "dispute"   // the next step of a dispute, of whoever owes it
)

// Default deadlines of a dispute's steps; a cell sets its own as
// Settings.Deadlines["dispute.ack"], ["dispute.response"] and
// ["dispute.finding"].
const (
	DefaultAckDeadline      = 24 * time.Hour
	DefaultResponseDeadline = 72 * time.Hour
	DefaultFindingDeadline  = 7 * 24 * time.Hour
)

// Limits.
const (
	MaxArticles  = 500
	MaxArticle   = 20_000 // characters of one article in one language
	MaxText      = 20_000
	MaxTitle     = 300
	MaxCites     = 50
	MaxMilestone = 100
	MaxParagraph = 200
)

// Article is one numbered article, in the agreement's languages.
type Article struct {
	Number string            `json:"number"` // "1", "4.2", "Annex A"
	Title  string            `json:"title,omitempty"`
	Texts  map[string]string `json:"texts"` // by language
}

// AgreementContent is one version of an agreement, as recorded.
type AgreementContent struct {
	ID     string            `json:"id"`
	Title  string            `json:"title"`
	Titles map[string]string `json:"titles,omitempty"`
	// Authoritative is the language whose text prevails.
	Authoritative string `json:"authoritative"`
	// Reference marks a text the cell works from but did not make (the
	// 1974 disengagement agreement).
	Reference bool      `json:"reference,omitempty"`
	Signed    string    `json:"signed,omitempty"` // when and where, as the parties wrote it
	Articles  []Article `json:"articles"`
	Note      string    `json:"note,omitempty"`
}

// Agreement is an agreement's state.
type Agreement struct {
	ID        string            `json:"id"`
	Title     string            `json:"title"`
	Titles    map[string]string `json:"titles,omitempty"`
	Latest    int               `json:"latest"`
	Reference bool              `json:"reference,omitempty"`
}

// AgreementVersion is one recorded version.
type AgreementVersion struct {
	Agreement string           `json:"agreement"`
	Version   int              `json:"version"`
	Content   AgreementContent `json:"content"`
	Entry     int64            `json:"entry"`
	By        string           `json:"by"`
	At        time.Time        `json:"at"`
	// Amends says what the version changes, in the recorder's words.
	Amends string `json:"amends,omitempty"`
}

// ArticleRef names an article of an agreement (its latest version unless
// Version is set).
type ArticleRef struct {
	Agreement string `json:"agreement"`
	Article   string `json:"article"`
	Version   int    `json:"version,omitempty"`
}

// Statuses of a commitment's milestone.
const (
	Pending   = "pending"
	OnTrack   = "on_track"
	AtRisk    = "at_risk"
	Breached  = "breached"
	Fulfilled = "fulfilled"
)

// Statuses lists them.
var Statuses = []string{Pending, OnTrack, AtRisk, Breached, Fulfilled}

// Commitment kinds.
const (
	KindCommitment = "commitment"
	KindWithdrawal = "withdrawal" // a timetable of phases, each an area by a date
)

// Milestone is a step of a commitment, or a phase of a withdrawal.
type Milestone struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	Due   time.Time `json:"due"`
	// Zone is, for a withdrawal's phase, the de-escalation desk's zone it
	// concerns: the line to withdraw to, the area to vacate.
	Zone   string `json:"zone,omitempty"`
	Status string `json:"status"`
	// Reason and Entry say why the status is what it is, and which entry
	// set it.
	Reason string `json:"reason"`
	Entry  int64  `json:"entry"`
	// Report is the mediator's inspection of a phase; Signoff the other
	// side's answer to it.
	Report  *PhaseReport `json:"report,omitempty"`
	Signoff *Signoff     `json:"signoff,omitempty"`
}

// PhaseReport is the mediator's report after inspecting a phase.
type PhaseReport struct {
	Complete bool      `json:"complete"`
	Text     string    `json:"text"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Entry    int64     `json:"entry"`
}

// Signoff is the other side's answer to a phase's report.
type Signoff struct {
	Accept bool      `json:"accept"`
	Reason string    `json:"reason,omitempty"`
	By     string    `json:"by"`
	Party  string    `json:"party"`
	At     time.Time `json:"at"`
	Entry  int64     `json:"entry"`
}

// Commitment ties an article to a responsible party.
type Commitment struct {
	ID         string            `json:"id"`
	Kind       string            `json:"kind"`
	Title      string            `json:"title"`
	Titles     map[string]string `json:"titles,omitempty"`
	Article    ArticleRef        `json:"article"`
	Party      string            `json:"party"` // who owes it
	Milestones []Milestone       `json:"milestones"`
	Entry      int64             `json:"entry"`
	// Round is the talks round whose outcome made it, if one did.
	Round string `json:"round,omitempty"`
}

// Status is a commitment's status: its worst milestone's, fulfilled when
// all are.
func (c Commitment) Status() string {
	rank := map[string]int{Breached: 4, AtRisk: 3, Pending: 2, OnTrack: 1, Fulfilled: 0}
	worst := Fulfilled
	for _, m := range c.Milestones {
		if rank[m.Status] > rank[worst] {
			worst = m.Status
		}
	}
	return worst
}

// Dispute steps.
const (
	DisputeFiled        = "filed"
	DisputeAcknowledged = "acknowledged"
	DisputeResponded    = "responded"
	DisputeFound        = "found"
	DisputeResolved     = "resolved"
	DisputeEscalated    = "escalated"
)

// Cite is an entry a dispute links, by what it is: a message, an
// incident, a notified activity, a verification (by its incident).
type Cite struct {
	Kind string `json:"kind"` // message, incident, activity, verification
	ID   int64  `json:"id"`
	// Entries are the log entries the cite stands for, which travel with
	// the dispute as evidence.
	Entries []int64 `json:"entries,omitempty"`
}

// Attachment names a blob a dispute carries as evidence.
type Attachment struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Type   string `json:"type"`
}

// Dispute is a dispute's state.
type Dispute struct {
	ID          int64        `json:"id"`
	Claimant    string       `json:"claimant"`
	Respondent  string       `json:"respondent"`
	Member      string       `json:"member"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Articles    []ArticleRef `json:"articles"`
	Cites       []Cite       `json:"cites"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Status      string       `json:"status"`
	Filed       time.Time    `json:"filed"`
	Due         time.Time    `json:"due,omitzero"` // of the next step
	Response    *Note        `json:"response,omitempty"`
	Finding     *Note        `json:"finding,omitempty"`
	// Accepts holds each party's answer to the finding.
	Accepts map[string]Accept `json:"accepts,omitempty"`
	// Round is the talks round it was escalated to ("" while it waits for
	// one to be called).
	Round string `json:"round,omitempty"`
	// Entries are the dispute's own steps, in order: with the cites'
	// entries, its evidence bundle.
	Entries []int64 `json:"entries"`
}

// Note is a signed text in a dispute: a response, a finding.
type Note struct {
	Text  string    `json:"text"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	Entry int64     `json:"entry"`
	// Outcome is, for a finding, its conclusion: upheld, not_upheld, partly.
	Outcome string `json:"outcome,omitempty"`
}

// Accept is a party's answer to a finding.
type Accept struct {
	Accept bool      `json:"accept"`
	Reason string    `json:"reason,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Entry  int64     `json:"entry"`
}

// SharedDispute is what an observer reads of a dispute the mediator shared
// with it: what the share restated, not the finding.
type SharedDispute struct {
	Dispute     int64     `json:"dispute"`
	Observer    string    `json:"observer"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Claimant    string    `json:"claimant"`
	Respondent  string    `json:"respondent"`
	Status      string    `json:"status"`
	Note        string    `json:"note,omitempty"`
	At          time.Time `json:"at"`
}

// Round is a round of talks.
type Round struct {
	ID          string              `json:"id"`
	Number      int                 `json:"number"`
	Place       string              `json:"place"`
	Places      map[string]string   `json:"places,omitempty"`
	Start       time.Time           `json:"start"`
	End         time.Time           `json:"end"`
	Delegations map[string][]string `json:"delegations"` // by party: who sits for it
	Minutes     []Minute            `json:"minutes"`
	Entry       int64               `json:"entry"`
}

// Minute is one part of a round's minutes.
type Minute struct {
	Lang  string    `json:"lang"`
	Text  string    `json:"text"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	Entry int64     `json:"entry"`
}

// AgendaItem is an item of a round's agenda.
type AgendaItem struct {
	Round string `json:"round"`
	ID    string `json:"id"`
	Desk  string `json:"desk"`
	Title string `json:"title"`
	// Dispute is set for a dispute escalated to the round; Carried names
	// the round an item was carried from.
	Dispute int64    `json:"dispute,omitempty"`
	Carried string   `json:"carried,omitempty"`
	Outcome *Outcome `json:"outcome,omitempty"`
}

// Outcomes of an agenda item.
const (
	OutcomeAgreed  = "agreed"
	OutcomeCarried = "carried" // to the next round
	OutcomeNoted   = "noted"
)

// Outcome is what a round decided on an item.
type Outcome struct {
	Outcome    string    `json:"outcome"`
	Text       string    `json:"text"`
	Commitment string    `json:"commitment,omitempty"` // the commitment it created
	By         string    `json:"by"`
	At         time.Time `json:"at"`
	Entry      int64     `json:"entry"`
}

// Paragraph is one paragraph of a statement in one language.
type Paragraph struct {
	Text string `json:"text"`
}

// StatementInfo is a joint statement's state.
type StatementInfo struct {
	ID       string            `json:"id"`
	Title    string            `json:"title"`
	Titles   map[string]string `json:"titles,omitempty"`
	Required []string          `json:"required"` // the parties that must sign, the mediator among them
	Latest   int               `json:"latest"`
	// Agreed is the version every required party signed (0: none yet).
	Agreed    int       `json:"agreed,omitempty"`
	Published bool      `json:"published,omitempty"`
	Round     string    `json:"round,omitempty"`
	Kind      string    `json:"kind"` // joint_statement, agreed_minutes
	Updated   time.Time `json:"updated"`
}

// StatementVersion is one version of a statement, in each language, each
// bound by its hash.
type StatementVersion struct {
	Statement string                 `json:"statement"`
	Version   int                    `json:"version"`
	Texts     map[string][]Paragraph `json:"texts"`
	Hashes    map[string]string      `json:"hashes"` // by language: hex SHA-256 of that language's text
	Entry     int64                  `json:"entry"`
	By        string                 `json:"by"`
	Party     string                 `json:"party"`
	At        time.Time              `json:"at"`
	// Signatures by party; Awaiting the required parties yet to sign.
	Signatures map[string]StatementSignature `json:"signatures"`
	Awaiting   []string                      `json:"awaiting"`
	Status     string                        `json:"status"`              // draft, agreed, published, superseded
	Published  int64                         `json:"published,omitempty"` // the publication's entry
}

// StatementSignature is a party's signature of a version.
type StatementSignature struct {
	Member string            `json:"member"`
	Hashes map[string]string `json:"hashes"`
	Entry  int64             `json:"entry"`
	At     time.Time         `json:"at"`
}

// Comment is a comment on a paragraph of a version.
type Comment struct {
	ID        int64     `json:"id"`
	Statement string    `json:"statement"`
	Version   int       `json:"version"`
	Lang      string    `json:"lang"`
	Paragraph int       `json:"paragraph"`
	Text      string    `json:"text"`
	By        string    `json:"by"`
	Party     string    `json:"party"`
	At        time.Time `json:"at"`
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// VersionID is the projection id of a version of something named id.
func VersionID(id string, v int) string { return id + "/" + strconv.Itoa(v) }
