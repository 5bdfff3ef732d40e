// Package hotline is the cell's hotline: channels per desk, messages with
// military precedence, explicit acknowledgement with readback, escalation
// of silence, relay through the mediator, translations, a glossary and link
// tests. It decides; the ledger appends and the API serves.
//
// Who reads what: a channel's entries (its creation, an invitation, a
// message) are for the channel's parties at the time; what is said about a
// message afterwards (acknowledgement, readback mark, receipt,
// translation, escalation) is for the message's own audience, so that an
// observer invited later never reads what restates a message it could not
// read. A line joins one party and the mediator only, so the other party
// sees nothing of it — not its messages, acknowledgements, escalations,
// attachments, nor that they exist. The link from a relayed copy to its
// origin is an entry of its own whose audience is the mediator alone.
package hotline

import (
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
)

// Command kinds.
const (
	KindChannelCreate      = "channel.create"
	KindChannelInvite      = "channel.invite"
	KindMessageSend        = "message.send"
	KindMessageAck         = "message.ack"
	KindReadbackMark       = "message.readback"
	KindMessageRead        = "message.read"
	KindMessageEscalate    = "message.escalate"
	KindMessageRelay       = "message.relay"
	KindTranslationAdd     = "translation.add"
	KindTranslationConfirm = "translation.confirm"
	KindGlossarySet        = "glossary.set"
	KindAttachmentUpload   = "attachment.upload"
)

// Projection kinds.
const (
	ObjChannel     = "channel"
	ObjMessage     = "message"     // parent: channel
	ObjAck         = "ack"         // id: msg/party, parent: msg
	ObjDeadline    = "deadline"    // id: msg/party, parent: party; exists while an ack is awaited
	ObjReceipt     = "receipt"     // id: msg/member, parent: msg
	ObjTranslation = "translation" // id: index, parent: msg
	ObjGlossary    = "glossary"
	ObjRelay       = "relay"      // id: copy, parent: origin; mediator only
	ObjAttachment  = "attachment" // id: sha256/msg, parent: sha256
	ObjEscalation  = "escalation" // id: index, parent: party
	ObjLinkHealth  = "linkhealth" // id: channel
	ObjUpload      = "upload"     // id: sha256/party, parent: sha256
)

// Channel kinds and the general desk.
const (
	Joint       = "joint"
	Line        = "line"
	DeskGeneral = cell.DeskGeneral
)

// Desks a channel can belong to.
var Desks = []string{"military", "intelligence", "diplomatic", "commercial", DeskGeneral}

// Precedences, highest first.
const (
	Flash     = "FLASH"
	Immediate = "IMMEDIATE"
	Priority  = "PRIORITY"
	Routine   = "ROUTINE"
)

// Limits of a message.
const (
	MaxSubject      = 200
	MaxBody         = 8000 // characters
	MaxUrgentWords  = 200  // FLASH and IMMEDIATE, as military message handling requires
	MaxReadback     = 1000
	MaxTranslation  = 16000
	MaxAttachments  = 10
	MaxReferences   = 20
	MaxGlossaryTerm = 200
)

// Channel is a conversation of a desk between some parties.
type Channel struct {
	ID    string `json:"id"`
	Desk  string `json:"desk"`
	Kind  string `json:"kind"`
	Party string `json:"party,omitempty"` // the party of a line
	Title string `json:"title"`
	// Titles holds the title in other languages (by base language: "ar",
	// "he"), for readers working in them.
	Titles map[string]string `json:"titles,omitempty"`
	// Parties may read the channel: for a joint channel the mediator and
	// every party (plus invited observers), for a line its party and the
	// mediator.
	Parties []string `json:"parties"`
}

// Attachment names a blob a message carries.
type Attachment struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Type   string `json:"type"`
}

// Upload records that a party handed the server a file's bytes, which
// proves it holds them: what lets it attach the file before any message
// of its own carries it.
type Upload struct {
	SHA256 string    `json:"sha256"`
	Party  string    `json:"party"`
	Member string    `json:"member"`
	Size   int64     `json:"size"`
	At     time.Time `json:"at"`
}

// UploadID is the projection id of party's upload of sha.
func UploadID(sha, party string) string { return sha + "/" + party }

// TitleIn returns the channel's title in lang's base language when it
// has one, else its title.
func (ch Channel) TitleIn(lang string) string {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	if t := ch.Titles[base]; t != "" {
		return t
	}
	return ch.Title
}

// Reference links a message to something it is about.
type Reference struct {
	Kind string `json:"kind"` // "message", later "incident", "dispute"
	ID   string `json:"id"`
}

// Message is a hotline message; its id is its log index.
type Message struct {
	ID          int64        `json:"id"`
	Channel     string       `json:"channel"`
	Sender      string       `json:"sender"` // member id; "" for the server
	SenderParty string       `json:"sender_party"`
	Subject     string       `json:"subject"`
	Body        string       `json:"body"`
	Lang        string       `json:"lang"`
	Precedence  string       `json:"precedence"`
	ReplyTo     *int64       `json:"reply_to,omitempty"`
	Corrects    *int64       `json:"corrects,omitempty"`
	References  []Reference  `json:"references,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	LinkTest    bool         `json:"link_test,omitempty"`
	Sent        time.Time    `json:"sent"`
	// Recipients must acknowledge: the channel's parties other than the
	// sender's, observers excepted.
	Recipients []string `json:"recipients"`
}

// Ack statuses.
const (
	AckPending  = "pending"
	AckDone     = "acknowledged"
	VerdictOK   = "correct"
	VerdictFail = "incorrect"
)

// Ack is one recipient party's acknowledgement of a message.
type Ack struct {
	Message    int64     `json:"message"`
	Party      string    `json:"party"`
	Status     string    `json:"status"`
	Due        time.Time `json:"due"`
	Round      int       `json:"round"` // reopened acknowledgements start a new round
	AckedBy    string    `json:"acked_by,omitempty"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
	AckEntry   int64     `json:"ack_entry,omitempty"`
	Readback   string    `json:"readback,omitempty"`
	Verdict    string    `json:"verdict,omitempty"`
	Correction string    `json:"correction,omitempty"`
	MarkedBy   string    `json:"marked_by,omitempty"`
	// Escalations counts how often silence has escalated in this round.
	Escalations int `json:"escalations"`
}

// Deadline is an acknowledgement awaited, as the timer sees it.
type Deadline struct {
	Message    int64         `json:"message"`
	Channel    string        `json:"channel"`
	Party      string        `json:"party"`
	Precedence string        `json:"precedence"`
	Start      time.Time     `json:"start"`
	Window     time.Duration `json:"window"` // the deadline's length
	Round      int           `json:"round"`
	Level      int           `json:"level"` // escalations so far: 0, 1, 2
	LinkTest   bool          `json:"link_test,omitempty"`
}

// NextDue is when the next escalation is due: at the deadline, then at
// twice the deadline.
func (d Deadline) NextDue() time.Time { return d.Start.Add(time.Duration(d.Level+1) * d.Window) }

// Receipt records that a member read a message.
type Receipt struct {
	Message int64     `json:"message"`
	Member  string    `json:"member"`
	Party   string    `json:"party"`
	At      time.Time `json:"at"`
}

// Translation is a rendering of a message in another language; the
// original stays the authoritative text.
type Translation struct {
	ID          int64     `json:"id"`
	Message     int64     `json:"message"`
	Lang        string    `json:"lang"`
	Text        string    `json:"text"`
	Method      string    `json:"method"` // machine or human
	Translator  string    `json:"translator"`
	AddedBy     string    `json:"added_by"`
	Confirmed   bool      `json:"confirmed,omitempty"`
	ConfirmedBy string    `json:"confirmed_by,omitempty"`
	ConfirmedAt time.Time `json:"confirmed_at,omitzero"`
}

// Term is a glossary entry: an agreed term in each language.
type Term struct {
	ID    string            `json:"id"`
	Terms map[string]string `json:"terms"` // by language
	Note  string            `json:"note,omitempty"`
}

// Relay links a relayed copy to its origin (mediator only).
type Relay struct {
	Origin int64  `json:"origin"`
	Copy   int64  `json:"copy"`
	By     string `json:"by"`
	Note   string `json:"note,omitempty"`
}

// Escalation records silence past a deadline.
type Escalation struct {
	ID         int64     `json:"id"`
	Message    int64     `json:"message"`
	Channel    string    `json:"channel"`
	Party      string    `json:"party"`
	Level      int       `json:"level"`
	Round      int       `json:"round"`
	Precedence string    `json:"precedence"`
	At         time.Time `json:"at"`
	// NotifyRoles are the roles of Party's members to alert (duty, then
	// admin); the mediator's duty officers are alerted at every level.
	NotifyRoles []string `json:"notify_roles"`
	LinkTest    bool     `json:"link_test,omitempty"`
}

// LinkHealth is the state of a line's link tests.
type LinkHealth struct {
	Channel  string    `json:"channel"`
	Party    string    `json:"party"`
	Status   string    `json:"status"` // ok, pending, dead
	LastTest int64     `json:"last_test"`
	LastSent time.Time `json:"last_sent"`
	LastOK   time.Time `json:"last_ok,omitzero"`
}

// AckID names an acknowledgement object.
func AckID(msg int64, party string) string { return strconv.FormatInt(msg, 10) + "/" + party }

// MsgID renders a message id as a projection id.
func MsgID(msg int64) string { return strconv.FormatInt(msg, 10) }
