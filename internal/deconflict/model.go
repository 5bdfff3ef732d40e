// Package deconflict is the military de-escalation desk: agreed zones and
// protected sites, force limits and their inspection, activity notified
// in advance as volumes in space and time, the conflicts between them,
// incidents and their verification, and the cell's declared posture. It
// decides; the ledger appends and the API serves.
//
// Who reads what:
//
//	zone.propose, zone.sign        every party: the map all sides work from,
//	                               drafts included
//	posture.declare                every party
//	force.declare, force.inspect   the sides and the mediator: forces in an
//	                               area of limitation are the other side's
//	                               business, not an observer's
//	activity.*                     the notifying party, the parties it
//	                               addresses and the mediator: geometry is
//	                               need-to-know
//	incident.*, verification.*     the reporting party, the parties it
//	                               addresses and the mediator; a finding
//	                               goes to the parties concerned only
//
// A conflict between two notifications is for the parties that read both
// (and the mediator): a party never learns, through a conflict, of an
// activity it may not read. When one side of a conflict may not read the
// other, the conflict is held for the mediator, who clears it or objects;
// the notifier learns only that something is held.
package deconflict

import (
	"encoding/json"
	"strconv"
	"time"
)

// Command kinds.
const (
	KindZonePropose    = "zone.propose"
	KindZoneSign       = "zone.sign"
	KindForceDeclare   = "force.declare"
	KindForceInspect   = "force.inspect"
	KindActivityNotify = "activity.notify"
	KindActivityAmend  = "activity.amend"
	KindActivityAnswer = "activity.answer"
	KindActivityEnd    = "activity.end"
	KindConflictClear  = "conflict.clear"
	KindIncidentReport = "incident.report"
	KindIncidentAck    = "incident.ack"
	KindVerifyRequest  = "verification.request"
	KindVerifyFinding  = "verification.finding"
	KindPostureDeclare = "posture.declare"
)

// Projection kinds.
const (
	ObjZone         = "zone"              // id: zone id
	ObjZoneVersion  = "zone.version"      // id: zone/version; parent: zone
	ObjDeclaration  = "force.declaration" // id: log index; parent: zone
	ObjInspection   = "force.inspection"  // id: log index; parent: zone
	ObjNotification = "notification"      // id: log index of the first version; parent: party
	ObjNotifVersion = "notification.version"
	ObjVolume       = "notification.volume" // id: n/version/i; parent: n (what the index follows)
	ObjChange       = "notification.change" // id: the entry's log index; parent: n (what the index follows)
	ObjAnswer       = "notification.answer" // id: n/version/party; parent: n
	ObjConflict     = "conflict"            // id: a/va/b/vb; parent: the notification it is listed under
	ObjIncident     = "incident"            // id: log index; parent: reporting party
	ObjIncidentLink = "incident.link"       // id: incident/notification; parent: incident
	ObjIncidentAck  = "incident.ack"        // id: incident/party; parent: incident
	ObjVerification = "verification"        // id: incident; parent: incident
	ObjPosture      = "posture"             // id: "posture"
)

// Due kinds (dues.Due.Kind) the desk waits on.
const (
	DueAnswer       = "notification"
	DueConflict     = "conflict"
	DueIncident     = "incident"
	DueVerification = "verification"
)

// DefaultVerificationDeadline is how long the mediator has to answer a
// verification request, as the MFO's inspections allow; a cell sets its
// own as Settings.Deadlines["verification"].
const DefaultVerificationDeadline = 48 * time.Hour

// Zone kinds.
const (
	ZoneSeparation    = "separation"
	ZoneLimitation    = "limitation"
	ZoneDemilitarized = "demilitarized"
	ZoneEconomic      = "economic"
	ZoneLine          = "line"
	ZoneProtected     = "protected"
)

// ZoneKinds lists the zone kinds.
var ZoneKinds = []string{ZoneSeparation, ZoneLimitation, ZoneDemilitarized, ZoneEconomic, ZoneLine, ZoneProtected}

// Activity types.
const (
	AirPatrol          = "air_patrol"
	UAVFlight          = "uav_flight"
	GroundMovement     = "ground_movement"
	Exercise           = "exercise"
	Artillery          = "artillery"
	Demining           = "demining"
	Construction       = "construction"
	HumanitarianConvoy = "humanitarian_convoy"
)

// ActivityTypes lists the activity types.
var ActivityTypes = []string{AirPatrol, UAVFlight, GroundMovement, Exercise, Artillery, Demining, Construction, HumanitarianConvoy}

// Rules a zone sets per activity type.
const (
	RuleProhibited = "prohibited"
	RuleNotice     = "notice"
	RuleAllowed    = "allowed"
)

// Force categories a zone limits, after the 1974 disengagement agreement's
// Areas of Limitation: men, tanks, short-range artillery; heavy artillery,
// surface-to-air and ground-to-ground missiles.
const (
	ForceMen            = "men"
	ForceTanks          = "tanks"
	ForceArtillery      = "artillery"
	ForceHeavyArtillery = "heavy_artillery"
	ForceSAM            = "sam"
	ForceSSM            = "ssm"
)

// ForceCategories lists the categories in display order.
var ForceCategories = []string{ForceMen, ForceTanks, ForceArtillery, ForceHeavyArtillery, ForceSAM, ForceSSM}

// Incident categories. force_limits is the server's, for a difference an
// inspection found.
var IncidentCategories = []string{"airstrike", "shelling", "incursion", "uav", "small_arms", "detention", "civilian_harm", "force_limits", "other"}

// Severities, lowest first.
var Severities = []string{"low", "medium", "high", "critical"}

// Findings of a verification.
var Findings = []string{"confirmed", "not_confirmed", "inconclusive"}

// Limits.
const (
	MaxVolumes     = 20
	MaxSeen        = 200
	MaxDescription = 4000
	MaxTitle       = 200
	MaxAddressed   = 16
	// MaxWindow bounds one volume's time window: a standing activity is
	// notified again, so that it is seen again.
	MaxWindow = 31 * 24 * time.Hour
)

// Shape is a geometry as commands carry it: a GeoJSON geometry (RFC 7946)
// with the radius of a point or the width of a route, in metres.
type Shape struct {
	Geometry json.RawMessage `json:"geometry"`
	RadiusM  float64         `json:"radius_m,omitempty"`
	WidthM   float64         `json:"width_m,omitempty"`
}

// Rule is what a zone allows an activity type.
type Rule struct {
	Rule string `json:"rule"`
	// LeadTime is, for "notice", how long before its start an activity
	// must be notified, in seconds.
	LeadTime int `json:"lead_time_s,omitempty"`
}

// ZoneContent is one version of a zone, exactly as the parties sign it.
type ZoneContent struct {
	ID    string            `json:"id"`
	Name  string            `json:"name"`
	Names map[string]string `json:"names,omitempty"`
	Kind  string            `json:"kind"`
	Shape
	// BufferM extends the zone's rules around it (a protected site's
	// safety distance), in metres.
	BufferM float64 `json:"buffer_m,omitempty"`
	// Rules by activity type; Default applies to the types not listed.
	Rules   map[string]Rule `json:"rules,omitempty"`
	Default *Rule           `json:"default,omitempty"`
	// Limits are the most forces of each category a side may hold in the
	// zone.
	Limits map[string]int `json:"limits,omitempty"`
	Note   string         `json:"note,omitempty"`
}

// RuleFor returns the zone's rule for an activity type: its own, else the
// zone's default, else what the zone's kind implies (a separation or
// demilitarized zone prohibits, a protected site's buffer prohibits, other
// zones allow).
func (z ZoneContent) RuleFor(activity string) Rule {
	if r, ok := z.Rules[activity]; ok {
		return r
	}
	if z.Default != nil {
		return *z.Default
	}
	switch z.Kind {
	case ZoneSeparation, ZoneDemilitarized, ZoneProtected:
		return Rule{Rule: RuleProhibited}
	}
	return Rule{Rule: RuleAllowed}
}

// Zone is a zone's state: its versions and the one in force.
type Zone struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Names  map[string]string `json:"names,omitempty"`
	Kind   string            `json:"kind"`
	Latest int               `json:"latest"`
	// Agreed is the version in force (0: none yet, the zone binds no one).
	Agreed     int       `json:"agreed,omitempty"`
	AgreedHash string    `json:"agreed_hash,omitempty"`
	AgreedAt   time.Time `json:"agreed_at,omitzero"`
}

// Signature is a party's signature of a zone version's hash.
type Signature struct {
	Member string    `json:"member"`
	Entry  int64     `json:"entry"`
	At     time.Time `json:"at"`
}

// ZoneVersion is one version of a zone with its signatures.
type ZoneVersion struct {
	Zone       string               `json:"zone"`
	Version    int                  `json:"version"`
	Content    ZoneContent          `json:"content"`
	Hash       string               `json:"hash"` // hex SHA-256 of the content's JSON
	ProposedBy string               `json:"proposed_by"`
	Party      string               `json:"party"`
	Proposed   time.Time            `json:"proposed"`
	Entry      int64                `json:"entry"`
	Signatures map[string]Signature `json:"signatures"`
	// Status: draft, agreed, superseded (an agreed version replaced by a
	// later agreed one).
	Status string `json:"status"`
	// Awaiting lists the parties whose signature is still missing.
	Awaiting []string `json:"awaiting"`
}

// Declaration is a side's statement of its forces in a zone.
type Declaration struct {
	ID     int64          `json:"id"`
	Zone   string         `json:"zone"`
	Party  string         `json:"party"`
	Member string         `json:"member"`
	AsOf   time.Time      `json:"as_of"`
	Counts map[string]int `json:"counts"`
	// Over lists the categories above the zone's limits in force.
	Over []Excess `json:"over"`
	// Version is the zone version whose limits were applied.
	Version int `json:"version"`
}

// Excess is a count above a limit, or a difference an inspection found.
type Excess struct {
	Category string `json:"category"`
	Count    int    `json:"count"`
	Limit    int    `json:"limit"`
	// Declared is set for a difference between observed and declared.
	Declared *int `json:"declared,omitempty"`
}

// Inspection is the mediator's record of what it observed.
type Inspection struct {
	ID          int64          `json:"id"`
	Zone        string         `json:"zone"`
	Party       string         `json:"party"`
	Member      string         `json:"member"`
	At          time.Time      `json:"at"`
	Observed    map[string]int `json:"observed"`
	Declaration int64          `json:"declaration,omitempty"`
	Findings    []Excess       `json:"findings"`
	Note        string         `json:"note,omitempty"`
	Incident    int64          `json:"incident,omitempty"`
}

// Volume is a volume of space and time, as a notification carries it.
type Volume struct {
	Shape
	// AltLo and AltHi bound the altitude band in metres, [lo, hi); both
	// absent: every altitude.
	AltLo *float64  `json:"alt_lo_m,omitempty"`
	AltHi *float64  `json:"alt_hi_m,omitempty"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Ref names a notification version.
type Ref struct {
	Notification int64 `json:"notification"`
	Version      int   `json:"version"`
}

// Notification states.
const (
	StateActive    = "active"
	StateWithdrawn = "withdrawn"
	StateExecuted  = "executed"
)

// Notification is a notified activity's state.
type Notification struct {
	ID         int64    `json:"id"`
	Party      string   `json:"party"`
	Member     string   `json:"member"`
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Precedence string   `json:"precedence"`
	Addressed  []string `json:"addressed"`
	Version    int      `json:"version"`
	State      string   `json:"state"`
	// Start and End span every volume of the current version.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Held tells that a conflict of the current version waits for the
	// mediator; it says nothing of what the conflict is with.
	Held    bool      `json:"held"`
	Updated time.Time `json:"updated"`
}

// NotificationVersion is one version of a notification.
type NotificationVersion struct {
	Notification int64     `json:"notification"`
	Version      int       `json:"version"`
	Entry        int64     `json:"entry"`
	Member       string    `json:"member"`
	At           time.Time `json:"at"`
	Description  string    `json:"description"`
	Volumes      []Volume  `json:"volumes"`
	Seen         []Ref     `json:"seen"`
	// ZoneConflicts are the zone rules the version breaks (zones are
	// every party's to read).
	ZoneConflicts []ZoneConflict `json:"zone_conflicts"`
}

// ZoneConflict is a zone rule an activity breaks.
type ZoneConflict struct {
	Zone    string `json:"zone"`
	Version int    `json:"zone_version"`
	Name    string `json:"name"`
	Kind    string `json:"kind"` // the zone's
	Rule    string `json:"rule"` // prohibited, notice, protected
	Volume  int    `json:"volume"`
	// LeadTime and Given are the notice the zone asks and the notice
	// given, in seconds, for a notice rule.
	LeadTime int `json:"lead_time_s,omitempty"`
	Given    int `json:"given_s,omitempty"`
}

// Conflict is an overlap in space, altitude and time between volumes of
// two parties' notifications.
type Conflict struct {
	A       Ref  `json:"a"`
	B       Ref  `json:"b"`
	VolumeA int  `json:"volume_a"`
	VolumeB int  `json:"volume_b"`
	Held    bool `json:"held"` // one side may not read the other
	// Cleared is set when the mediator has decided a held conflict.
	Decision string    `json:"decision,omitempty"` // cleared, objection
	Note     string    `json:"note,omitempty"`
	At       time.Time `json:"at"`
}

// Answers to a notification.
const (
	NoObjection = "no_objection"
	Objection   = "objection"
)

// Answer is a party's answer to a notification version.
type Answer struct {
	Notification int64     `json:"notification"`
	Version      int       `json:"version"`
	Party        string    `json:"party"`
	Member       string    `json:"member"`
	Answer       string    `json:"answer"`
	Reason       string    `json:"reason,omitempty"`
	At           time.Time `json:"at"`
	Entry        int64     `json:"entry"`
}

// Incident is a reported incident.
type Incident struct {
	ID          int64          `json:"id"`
	Party       string         `json:"party"`
	Member      string         `json:"member"`
	OccurredAt  time.Time      `json:"occurred_at"`
	Location    Shape          `json:"location"`
	Category    string         `json:"category"`
	Severity    string         `json:"severity"`
	Precedence  string         `json:"precedence"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Addressed   []string       `json:"addressed"`
	Attachments []Attachment   `json:"attachments,omitempty"`
	Alleged     []string       `json:"alleged,omitempty"` // zones whose rules it says were broken
	Sites       []ZoneConflict `json:"sites"`             // protected sites and zones at the place
	Reported    time.Time      `json:"reported"`
	// Inspection is set for an incident an inspection raised.
	Inspection int64 `json:"inspection,omitempty"`
}

// Attachment names a blob an incident carries as evidence.
type Attachment struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Type   string `json:"type"`
}

// IncidentLink ties an incident to a notified activity at the same place
// and time; it is for those who read both.
type IncidentLink struct {
	Incident     int64 `json:"incident"`
	Notification int64 `json:"notification"`
	Version      int   `json:"version"`
	Volume       int   `json:"volume"`
}

// IncidentAck is a party's acknowledgement of an incident.
type IncidentAck struct {
	Incident int64     `json:"incident"`
	Party    string    `json:"party"`
	Member   string    `json:"member"`
	Readback string    `json:"readback,omitempty"`
	At       time.Time `json:"at"`
}

// Verification is a request to verify an incident and its finding.
type Verification struct {
	Incident    int64     `json:"incident"`
	RequestedBy string    `json:"requested_by"`
	Party       string    `json:"party"`
	Requested   time.Time `json:"requested"`
	Due         time.Time `json:"due"`
	Note        string    `json:"note,omitempty"`
	Finding     string    `json:"finding,omitempty"`
	Text        string    `json:"text,omitempty"`
	FoundBy     string    `json:"found_by,omitempty"`
	FoundAt     time.Time `json:"found_at,omitzero"`
}

// Posture is the cell's declared military posture.
type Posture struct {
	State string            `json:"state"`
	Since time.Time         `json:"since"`
	Text  string            `json:"text"`
	Texts map[string]string `json:"texts,omitempty"`
	By    string            `json:"by"`
	Entry int64             `json:"entry"`
}

// Postures a cell may declare.
var Postures = []string{"operations_suspended", "heightened_alert", "normal"}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// VersionID is the projection id of a notification's version.
func VersionID(n int64, v int) string { return itoa(n) + "/" + strconv.Itoa(v) }

// VolumeID is the projection id of a volume of a notification's version.
func VolumeID(n int64, v, i int) string { return VersionID(n, v) + "/" + strconv.Itoa(i) }

// ZoneVersionID is the projection id of a zone's version.
func ZoneVersionID(zone string, v int) string { return zone + "/" + strconv.Itoa(v) }
