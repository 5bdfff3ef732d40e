// Package cell is the constitution of a liaison cell: its parties, members,
// device keys and settings, the commands that change them, and the one
// authorization helper every endpoint asks. It decides; it never stores.
//
// Who reads what (the audience of each entry kind):
//
//	cell.create, cell.settings    every party ("*"): the rules all sides work under
//	party.create, party.update    every party: each side knows who sits at the table
//	member.create, member.update  the member's own party and the mediator: a party's
//	                              roster, desk roles and duty rota are its own business
//	key.register, key.revoke      every party: whoever verifies a signature needs
//	                              the key, and a key the operator slipped in is
//	                              visible to all
//	witness.register, witness.revoke  every party: a party's mirror's key, whose
//	                              cosignatures of checkpoints anyone must be able to
//	                              attribute (witness.go)
//	witness.alarm                 every party: a proven conflict between two of the
//	                              cell's checkpoints is everyone's business (alarm.go)
//	member.signin_alert           the member's party and the mediator: the server's
//	                              word that the member's password keeps failing
//
// Passwords, tokens and sessions are not in the log at all: the log is read
// by other parties, and a password hash there would invite offline guessing.
package cell

import (
	"slices"
	"time"
)

// Party kinds.
const (
	Mediator = "mediator"
	Side     = "party"
	Observer = "observer"
)

// Desk roles and the two special roles.
const (
	RoleMilitary     = "military"
	RoleIntelligence = "intelligence"
	RoleDiplomatic   = "diplomatic"
	RoleCommercial   = "commercial"
	RoleDuty         = "duty"
	RoleAdmin        = "admin"
)

// Roles lists every role in display order.
var Roles = []string{RoleMilitary, RoleIntelligence, RoleDiplomatic, RoleCommercial, RoleDuty, RoleAdmin}

// Desks lists the desk roles (lines of effort).
var Desks = []string{RoleMilitary, RoleIntelligence, RoleDiplomatic, RoleCommercial}

// DeskGeneral is the hotline's desk that no role holds: every member
// works it (ActOnDesk).
const DeskGeneral = "general"

// Command kinds owned by this package.
const (
	KindCellCreate   = "cell.create"
	KindCellSettings = "cell.settings"
	KindCellRename   = "cell.rename"
	KindPartyCreate  = "party.create"
	KindPartyUpdate  = "party.update"
	KindMemberCreate = "member.create"
	KindMemberUpdate = "member.update"
	KindKeyRegister  = "key.register"
	KindKeyRevoke    = "key.revoke"
	// KindKeyVouch is a party admin's registration of a device key for a
	// member of the party who signed in elsewhere than at the cell.
	KindKeyVouch = "key.vouch"
	// KindMemberSigninAlert is written by the server, never a member,
	// when a member's failed sign-ins cross a threshold.
	KindMemberSigninAlert = "member.signin_alert"
)

// Projection kinds.
const (
	ObjCell   = "cell"
	ObjParty  = "party"
	ObjMember = "member"
	ObjKey    = "key"
	// ObjSigninAlert is a member.signin_alert, under the member's party.
	ObjSigninAlert = "signin_alert"
)

// MaxParties bounds the parties of a cell: audiences are kept as a 64-bit
// mask of party numbers.
const MaxParties = 63

// Info is a cell's constitution.
type Info struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Names holds the name in the cell's other languages ("ar", "he").
	Names  map[string]string `json:"names,omitempty"`
	Origin string            `json:"origin"`
	// NoteKey is the verifier key of the cell's checkpoints; ServerKey the
	// public key (base64) that signs entries the server itself writes.
	NoteKey     string    `json:"note_key"`
	ServerKey   string    `json:"server_key"`
	ServerKeyID string    `json:"server_key_id"`
	Settings    Settings  `json:"settings"`
	Created     time.Time `json:"created"`
}

// Settings are the cell's tunable rules.
type Settings struct {
	// Deadlines to acknowledge, by precedence, in seconds.
	AckDeadlines map[string]int `json:"ack_deadlines,omitempty"`
	// MaxClockSkew bounds the difference between a client's signing time
	// and the server's, in seconds.
	MaxClockSkew int `json:"max_clock_skew,omitempty"`
	// MaxRelayAge bounds how long ago a relayed command may have been
	// signed, in seconds (DefaultMaxRelayAge when 0): a party's mirror
	// sends the writes its members queued while the line was cut, signed
	// hours before they reach the cell. It widens the past side of the
	// bound only, and only for relayed commands; a command from the future
	// is held to MaxClockSkew.
	MaxRelayAge int `json:"max_relay_age,omitempty"`
	// LinkTests are the UTC times of day ("HH:MM") at which the server
	// sends a test message down every line; LinkTestDeadline (seconds) is
	// how long a party has to answer before the line counts as dead.
	LinkTests        []string `json:"link_tests,omitempty"`
	LinkTestDeadline int      `json:"link_test_deadline,omitempty"`
	// Deadlines are the desks' own deadlines, in seconds, by name
	// ("verification", "dispute.response"); a desk that finds none uses
	// its default (Deadline).
	Deadlines map[string]int `json:"deadlines,omitempty"`
	// Region is the area the cell works in: geometry outside it is
	// refused, which catches a coordinate typed in the wrong order or a
	// polygon drawn around the wrong country.
	Region *Region `json:"region,omitempty"`
}

// DefaultMaxRelayAge is the bound on a relayed command's age when the cell
// sets none: three days, a long weekend without a line. A late command is
// still the signed word of its member, and a replay of one that landed is
// answered with its entry (idempotency ids are kept for ever), so the bound
// protects no one from a double; it limits how stale a signed command a
// mirror may bring in unnoticed.
const DefaultMaxRelayAge = 72 * time.Hour

// MaxMaxRelayAge is the largest MaxRelayAge a cell may set.
const MaxMaxRelayAge = 30 * 24 * time.Hour

// RelayAge returns how long ago a relayed command may have been signed.
func (s Settings) RelayAge() time.Duration {
	if s.MaxRelayAge > 0 {
		return time.Duration(s.MaxRelayAge) * time.Second
	}
	return DefaultMaxRelayAge
}

// Region is a rectangle of latitude and longitude, in degrees.
type Region struct {
	South float64 `json:"south"`
	West  float64 `json:"west"`
	North float64 `json:"north"`
	East  float64 `json:"east"`
}

// Deadline returns the cell's deadline called name, or def when the cell
// sets none.
func (s Settings) Deadline(name string, def time.Duration) time.Duration {
	if d, ok := s.Deadlines[name]; ok && d > 0 {
		return time.Duration(d) * time.Second
	}
	return def
}

// AckDeadline returns the deadline to acknowledge a message of precedence.
func (s Settings) AckDeadline(precedence string) time.Duration {
	if d, ok := s.AckDeadlines[precedence]; ok && d > 0 {
		return time.Duration(d) * time.Second
	}
	return time.Duration(DefaultAckDeadlines[precedence]) * time.Second
}

// LinkTestAnswer returns how long a party has to answer a link test.
func (s Settings) LinkTestAnswer() time.Duration {
	if s.LinkTestDeadline > 0 {
		return time.Duration(s.LinkTestDeadline) * time.Second
	}
	return 10 * time.Minute
}

// Party is one side, the mediator, or an observer.
type Party struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	TimeZone string `json:"time_zone"`
	// Num is the party's bit in audience masks, assigned in joining order.
	Num int `json:"num"`
	// Names in other languages, by BCP 47 tag (the pages look up "ar", "he").
	Names map[string]string `json:"names,omitempty"`
}

// Bit is the party's audience mask bit.
func (p *Party) Bit() uint64 { return 1 << uint(p.Num) }

// Member is a person acting for a party.
type Member struct {
	ID       string   `json:"id"` // also the login name, unique in the cell
	Party    string   `json:"party"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Lang     string   `json:"lang,omitempty"`
	Disabled bool     `json:"disabled,omitempty"`
}

// Has reports whether the member holds role.
func (m *Member) Has(role string) bool { return slices.Contains(m.Roles, role) }

// Key is a registered device key.
type Key struct {
	ID     string `json:"id"`
	Member string `json:"member"`
	Party  string `json:"party"`
	Public string `json:"public"` // base64 Ed25519 public key
	Label  string `json:"label,omitempty"`
	// VouchedBy is the admin whose key.vouch registered the key, for a
	// key its member registered at the party's mirror; "" for a key the
	// member registered at the cell in their own session.
	VouchedBy  string `json:"vouched_by,omitempty"`
	Registered int64  `json:"registered"` // log index
	Revoked    bool   `json:"revoked,omitempty"`
	RevokedAt  int64  `json:"revoked_at,omitempty"`
}

// SigninAlert is the server's report that sign-ins as a member keep
// failing: Failures wrong passwords from Addresses client addresses (an
// IPv6 client counts by its /64) since Since, when the count reached
// Threshold. It is how a party's admins learn of guessing, instead of a
// lockout that would keep the member out too.
type SigninAlert struct {
	Member    string    `json:"member"`
	Party     string    `json:"party"`
	Failures  int       `json:"failures"`
	Addresses int       `json:"addresses"`
	Since     time.Time `json:"since"`
	Threshold int       `json:"threshold"`
	At        time.Time `json:"at"`
}
