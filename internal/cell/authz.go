package cell

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Domain errors; the API maps them to problem types.
var (
	ErrInvalid   = errors.New("invalid command")
	ErrForbidden = errors.New("forbidden")
	ErrConflict  = errors.New("conflict")
)

// Detailed is a domain error that says in structure what its message says
// in words (the notifications a new one overlaps, say), for the API to
// add to its problem as extension members.
type Detailed interface {
	error
	Extensions() map[string]any
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

func forbidden(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrForbidden, fmt.Sprintf(format, a...))
}

// Reading: one rule for everything derived from the log.
//
// Every entry carries its audience, the parties that may read it (the
// mediator always among them); every projected object carries the audience
// of what it reveals (store.Object.Mask: its entry's, or narrower). A member
// reads an entry or an object when their party is in its audience, and in
// no other way: ReadMask is the member's side of that test (their party's
// bit; every bit for the mediator), MayRead the test itself, and ReadView
// the one way the API, the pages, the stream, evidence bundles and every
// desk read projections for a member. ReadView narrows in the store's
// queries, so a list never holds what its reader may not see and its
// cursors count nothing hidden.
//
// An entry's audience is decided when it is written and never changes. A
// party added later (an observer invited into a channel) reads what is
// written from then on: the channel itself, whose object the invitation
// rewrites, and new messages. It does not read the earlier messages, nor
// what comes to be said about them afterwards (an acknowledgement restates
// its message in a readback), which keeps its message's audience. The
// mediator shares earlier traffic by relaying it: a new message, with the
// link to its origin in the mediator's record.
//
// What a party sees of another party's members: their member ids and
// device keys, because a signature its reader cannot attribute proves
// nothing (key.register entries are read by every party, and every entry
// names its signer). Their names, desk roles, languages, whether they are
// disabled, and the party's duty rota are for that party and the mediator.

// ReadMask is the audience mask of what a may read: its party's bit, every
// bit for the mediator and for the server itself, none for a disabled
// member or a stranger. Entries and objects for everyone carry every bit.
func ReadMask(a Actor) uint64 {
	switch {
	case a.Server:
		return ^uint64(0)
	case a.Member == nil || a.Party == nil || a.Member.Disabled:
		return 0
	case a.IsMediator():
		return ^uint64(0)
	}
	return a.Party.Bit()
}

// ReaderOf is a as the store's queries filter: ReadMask, and the member id
// that opens what is addressed to a by name. A disabled member or a
// stranger reads nothing, named or not.
func ReaderOf(a Actor) store.Reader {
	mask := ReadMask(a)
	if mask == 0 || a.Member == nil {
		return store.Reader{Mask: mask}
	}
	return store.Reader{Mask: mask, Member: a.Member.ID}
}

// PartyReads reports whether party p reads what carries mask: what its
// active members may read.
func PartyReads(p Party, mask uint64) bool {
	if p.Kind == Mediator {
		return mask != 0
	}
	return mask&p.Bit() != 0
}

// MayRead reports whether a may read what carries the audience mask mask
// and names no member: an entry (store.StoredEntry.Mask) or a projected
// object (Object.Mask). MayReadObject is the whole test for an object.
func MayRead(a Actor, mask uint64) bool { return mask&ReadMask(a) != 0 }

// MayReadObject reports whether a reads o: its party is in o's audience,
// or o names a.
func MayReadObject(a Actor, o store.Object) bool { return ReaderOf(a).Reads(o.Mask, o.Members) }

// Viewer is the part of store.Store that reads projections for a reader.
type Viewer interface {
	ViewFor(cell string, r store.Reader) store.View
}

// ReadView is the cell's projections as a may read them: objects outside
// its audience are absent, from Get (store.ErrNotFound, the same as for
// what does not exist) and from List and Latest.
func ReadView(st Viewer, cellID string, a Actor) store.View {
	return st.ViewFor(cellID, ReaderOf(a))
}

// Actor is who acts: a member of a party, or the server itself.
type Actor struct {
	Server bool
	Member *Member
	Party  *Party
}

// IsMediator reports whether the actor acts for the mediator.
func (a Actor) IsMediator() bool { return a.Party != nil && a.Party.Kind == Mediator }

func (a Actor) has(role string) bool { return a.Member != nil && a.Member.Has(role) }

// Action names what an actor wants to do.
type Action string

// Actions that May answers.
const (
	ReadEntry     Action = "read entry"     // Target.Entry
	ReadLog       Action = "read log"       // leaf hashes, proofs, checkpoints
	ReadParty     Action = "read party"     // Target.Party
	ReadMember    Action = "read member"    // Target.Member
	ReadKey       Action = "read key"       // Target.Key
	ReadInbox     Action = "read inbox"     // Target.Party: what that party owes
	ManageParties Action = "manage parties" // create parties, change cell settings, open channels and invite observers into them
	ManageParty   Action = "manage party"   // Target.Party (+ Target.PartyHasAdmin)
	ManageMembers Action = "manage members" // Target.Party (+ Target.PartyHasAdmin)
	RevokeKey     Action = "revoke key"     // Target.Key
	// VouchKey: register a device key for Target.Member, who holds it and
	// signed in elsewhere than at the cell (at the party's mirror, with
	// the credentials its operator gave them there): an admin of the
	// member's party, who could as well reset the member's password and
	// so vouches for no more than it already holds.
	VouchKey Action = "vouch key"
	// ReadSigninAlerts: the failed sign-ins of Target.Party's members, or
	// of every party's when Target.Party is "".
	ReadSigninAlerts Action = "read sign-in alerts"
	// SubmitIntel: submit intelligence to the mediator's gate (a bundle,
	// over the API or TAXII): the intelligence role or an admin's.
	SubmitIntel Action = "submit intelligence"
	// ReviewIntel: read the gate's review queue and the members a release
	// may name: the mediator's.
	ReviewIntel Action = "review intelligence"
	// PublishFunding: ask and publish a project's confidential total: the
	// mediator's commercial desk or admins.
	PublishFunding Action = "publish funding"
	// WorkCommerce: the commercial desk's work (register a project,
	// record a disbursal): the commercial role or an admin's, of any
	// party. With Target.Party, on that party's project (update it, mark
	// its milestones): its own party's desk or the mediator's.
	WorkCommerce Action = "work commerce"
	// Fund: pledge, change a pledge, disclose it: the commercial desk of
	// an observer party, the cell's funders. With Target.Party, on that
	// funder's pledge (change it, disclose it): the funder's own desk.
	Fund Action = "fund"
	// ExpressInterest: say a party's interest in a project: a commercial,
	// duty or admin member of any party.
	ExpressInterest Action = "express interest"
	// RaiseAlarm: record that the cell's key signed two conflicting
	// checkpoints (witness.alarm). Any member of any party: the proof
	// speaks, not the rank of who carries it. Never the server, whose own
	// key is the one accused.
	RaiseAlarm Action = "raise alarm"
	// RelayCommand: hand over a command that Target.Member signed with
	// Target.Key (Target.Entry holds its envelope), for it to land as
	// theirs: what a party's mirror does with the writes its members made
	// while the line to the cell was cut.
	RelayCommand Action = "relay command"
	// ActDeconflict: act on the de-escalation desk (notify, answer and end
	// activities, propose and sign zones, declare forces, report
	// incidents): a side's or the mediator's member with the military or
	// duty role, or the server. Observers read the table; they do not
	// sit at it.
	ActDeconflict Action = "act on the de-escalation desk"
	// MediateDeconflict: the mediator's part of the de-escalation desk
	// (decide the conflicts held for it, record findings on incidents,
	// inspect a side's forces, answer a notification addressed to
	// others): the mediator's members ActDeconflict allows; never the
	// server.
	MediateDeconflict Action = "mediate de-escalation"
	// RequestVerification: ask the mediator to verify an incident: a
	// side's member ActDeconflict allows. The mediator verifies; it asks
	// no one, nor does the server.
	RequestVerification Action = "request verification"
	// ActDiplomacy: act on the diplomatic desk (draft and comment
	// statements, file and answer disputes, report a commitment's
	// status): a side's or the mediator's member with the diplomatic or
	// duty role; never the server, which negotiates nothing.
	ActDiplomacy Action = "act on the diplomatic desk"
	// SignForParty: what commits a party on the diplomatic desk (a
	// signature, an answer to a finding, a phase's sign-off): a side's or
	// the mediator's diplomatic member or admin. A duty officer keeps the
	// desk but does not bind the party.
	SignForParty Action = "sign for a party"
	// MediateDiplomacy: keep the diplomatic record (agreements, rounds,
	// commitments and any status of theirs, findings on disputes): the
	// mediator's members on the diplomatic desk, as ActDiplomacy.
	MediateDiplomacy Action = "mediate diplomacy"
	// FileDispute: file a dispute against another side: a side's member
	// ActDiplomacy allows. The mediator settles disputes; it files none.
	FileDispute Action = "file a dispute"
	// PublishStatement: publish a statement every required party signed,
	// for everyone: the mediator's members SignForParty allows, since it
	// commits the mediator before every party.
	PublishStatement Action = "publish a statement"
	// AnalyseIntel: submit intelligence to the gate: a member SubmitIntel
	// allows; never the server, which has no intelligence of its own.
	AnalyseIntel Action = "analyse intelligence"
	// ProposeIntel: propose what the gate does with a submission, the
	// first of its four eyes: the mediator's members AnalyseIntel allows,
	// its analysts.
	ProposeIntel Action = "propose an intelligence decision"
	// DecideIntel: the gate's second step (approve a proposal, publish a
	// release): the mediator's member with the intelligence, duty or
	// admin role. That it is not the proposer is the desk's to check.
	DecideIntel Action = "decide intelligence"
	// ActOnDesk: act for one's party on a hotline channel of Target.Desk
	// (send, acknowledge): that desk's role or duty; on the general desk,
	// any member. The server sends on every desk (link tests,
	// escalations).
	ActOnDesk Action = "act on a desk"
	// MediateHotline: the mediator's part of the hotline, which takes no
	// desk's role (relay a message from one party's line to another's,
	// confirm a translation on any channel): any member of the mediator,
	// which reads every line; never the server.
	MediateHotline Action = "mediate the hotline"
	// KeepGlossary: record the cell's agreed terms: any member of the
	// mediator, and the server, which seeds the demo's.
	KeepGlossary Action = "keep the glossary"
	// HearAlert: be shown, among what needs attention now, an alert the
	// server wrote for the desks of Target.Roles (a gate failing under a
	// project in implementation, for the commercial desks): a member who
	// holds one of them. Reading the alert at all is its audience's, as
	// for every entry; this says whom of its readers it is news for.
	HearAlert Action = "hear alert"
)

// Target is what an action is about; only the fields the action names are
// read.
type Target struct {
	Entry  *record.Entry
	Party  string
	Member *Member
	Key    *Key
	// PartyHasAdmin tells whether Party already has an active admin: until
	// it has one, the mediator's admins may manage its members, which is how
	// a new party gets its first administrator.
	PartyHasAdmin bool
	// Roles are the desks an alert is for (HearAlert).
	Roles []string
	// Desk is the hotline desk a channel belongs to (ActOnDesk).
	Desk string
	// Doing says in words what the actor asks, for the refusal of a
	// desk's action to name ("signing a zone is for the sides and the
	// mediator"); without it the refusal names the action's work.
	Doing string
}

// refuse words the refusal of a desk's action: what t.Doing names, or
// work when it names nothing, then why.
func refuse(t Target, work, why string) error {
	if t.Doing != "" {
		work = t.Doing
	}
	return forbidden("%s %s", work, why)
}

// May is the one authorization rule book: every endpoint and every command
// asks it. It answers nil or an error wrapping ErrForbidden that says why.
func May(a Actor, act Action, t Target) error {
	if act == RaiseAlarm && a.Server {
		return forbidden("the server does not raise alarms about its own checkpoints; the parties' mirrors do")
	}
	if a.Server {
		switch act {
		case WorkCommerce, Fund, ExpressInterest:
			return refuse(t, "the commercial desk's work", "is the parties', not the server's")
		case VouchKey:
			return forbidden("device keys belong to members, and an admin vouches for them")
		case ActDiplomacy:
			return refuse(t, "the diplomatic desk's work", "is the parties'")
		case MediateDiplomacy:
			return refuse(t, "keeping the diplomatic record", "is the parties'")
		case SignForParty:
			return refuse(t, "signing for a party", "is for the sides and the mediator")
		case AnalyseIntel:
			return refuse(t, "the intelligence desk's work", "is the parties'")
		case ProposeIntel:
			return refuse(t, "proposing the gate's decision", "is for the mediator's analysts")
		case DecideIntel:
			return refuse(t, "the gate's decision", "is the mediator's")
		case MediateDeconflict:
			return refuse(t, "this part of the de-escalation desk", "is the mediator's")
		case RequestVerification:
			return refuse(t, "requesting verification", "is a side's")
		case FileDispute:
			return refuse(t, "filing a dispute", "is a side's")
		case PublishStatement:
			return refuse(t, "publishing a statement", "is the mediator's")
		case MediateHotline:
			return refuse(t, "this part of the hotline", "is the mediator's")
		}
		return nil
	}
	if a.Member == nil || a.Party == nil {
		return forbidden("not a member of this cell")
	}
	if a.Member.Disabled {
		return forbidden("member %s is disabled", a.Member.ID)
	}
	switch act {
	case ReadLog, ReadParty, ReadKey, RaiseAlarm:
		return nil
	case ReadEntry:
		if t.Entry == nil {
			return forbidden("no entry")
		}
		if a.IsMediator() || t.Entry.VisibleTo(a.Party.ID, a.Member.ID) {
			return nil
		}
		return forbidden("entry %d is not addressed to party %s", t.Entry.Index, a.Party.ID)
	case ReadInbox:
		if a.IsMediator() || t.Party == a.Party.ID {
			return nil
		}
		return forbidden("a party sees its own inbox; the mediator sees every party's")
	case ReadMember:
		if t.Member != nil && (a.IsMediator() || t.Member.Party == a.Party.ID) {
			return nil
		}
		return forbidden("members of another party are visible to that party and the mediator only")
	case ManageParties:
		if a.IsMediator() && a.has(RoleAdmin) {
			return nil
		}
		return forbidden("only the mediator's admins manage the cell's parties")
	case ManageParty, ManageMembers:
		if a.has(RoleAdmin) && a.Party.ID == t.Party {
			return nil
		}
		if a.IsMediator() && a.has(RoleAdmin) && !t.PartyHasAdmin {
			return nil
		}
		return forbidden("only an admin of party %s may do that", t.Party)
	case RevokeKey:
		if t.Key == nil {
			return forbidden("no key")
		}
		if t.Key.Member == a.Member.ID {
			return nil
		}
		if a.has(RoleAdmin) && a.Party.ID == t.Key.Party {
			return nil
		}
		return forbidden("only the key's member or an admin of party %s may revoke it", t.Key.Party)
	case VouchKey:
		switch {
		case t.Member == nil:
			return forbidden("no member")
		case t.Member.Disabled:
			return forbidden("member %s is disabled", t.Member.ID)
		case a.has(RoleAdmin) && a.Party.ID == t.Member.Party:
			return nil
		}
		return forbidden("only an admin of party %s vouches for a device key of its member %s", t.Member.Party, t.Member.ID)
	case ReadSigninAlerts:
		// Who is being guessed at, how hard and from how many places is
		// the business of those who manage the members: the party's
		// admins, and the mediator's for every party.
		if a.has(RoleAdmin) && (a.IsMediator() || (t.Party != "" && t.Party == a.Party.ID)) {
			return nil
		}
		if t.Party == "" {
			return forbidden("only the mediator's admins read every party's sign-in alerts")
		}
		return forbidden("only an admin of party %s or of the mediator reads its sign-in alerts", t.Party)
	case SubmitIntel:
		if a.has(RoleIntelligence) || a.has(RoleAdmin) {
			return nil
		}
		return forbidden("submitting intelligence takes the intelligence role")
	case ReviewIntel:
		if a.IsMediator() {
			return nil
		}
		return forbidden("the review queue is the mediator's")
	case PublishFunding:
		if a.IsMediator() && (a.has(RoleCommercial) || a.has(RoleAdmin)) {
			return nil
		}
		return forbidden("the mediator's commercial desk publishes funding totals")
	case WorkCommerce:
		if !a.has(RoleCommercial) && !a.has(RoleAdmin) {
			return refuse(t, "the commercial desk's work", "takes the commercial role")
		}
		if t.Party != "" && !a.IsMediator() && a.Party.ID != t.Party {
			return refuse(t, "changing the project", "is "+t.Party+"'s and the mediator's")
		}
		return nil
	case Fund:
		if !a.has(RoleCommercial) && !a.has(RoleAdmin) {
			return refuse(t, "pledging", "takes the commercial role")
		}
		if a.Party.Kind != Observer {
			return refuse(t, "pledging", "is a funder's: an observer party of the cell")
		}
		if t.Party != "" && a.Party.ID != t.Party {
			return refuse(t, "changing the pledge", "is "+t.Party+"'s")
		}
		return nil
	case ExpressInterest:
		if a.has(RoleCommercial) || a.has(RoleAdmin) || a.has(RoleDuty) {
			return nil
		}
		return refuse(t, "expressing interest", "takes the commercial, duty or admin role")
	case ActDeconflict:
		if a.Party.Kind == Observer {
			return refuse(t, "the de-escalation desk's work", "is for the sides and the mediator")
		}
		if !a.has(RoleMilitary) && !a.has(RoleDuty) {
			return refuse(t, "the de-escalation desk's work", "takes the military or duty role")
		}
		return nil
	case MediateDeconflict, RequestVerification:
		if err := May(a, ActDeconflict, t); err != nil {
			return err
		}
		if act == MediateDeconflict && !a.IsMediator() {
			return refuse(t, "this part of the de-escalation desk", "is the mediator's")
		}
		if act == RequestVerification && a.IsMediator() {
			return refuse(t, "requesting verification", "is a side's: the mediator verifies")
		}
		return nil
	case ActDiplomacy, MediateDiplomacy:
		work := "the diplomatic desk's work"
		if act == MediateDiplomacy {
			work = "keeping the diplomatic record"
		}
		if a.Party.Kind == Observer {
			return refuse(t, work, "is for the sides and the mediator")
		}
		if !a.has(RoleDiplomatic) && !a.has(RoleDuty) {
			return refuse(t, work, "takes the diplomatic or duty role")
		}
		if act == MediateDiplomacy && !a.IsMediator() {
			return refuse(t, work, "is the mediator's")
		}
		return nil
	case FileDispute:
		if err := May(a, ActDiplomacy, t); err != nil {
			return err
		}
		if a.IsMediator() {
			return refuse(t, "filing a dispute", "is a side's: the mediator settles it")
		}
		return nil
	case PublishStatement:
		if err := May(a, SignForParty, t); err != nil {
			return err
		}
		if !a.IsMediator() {
			return refuse(t, "publishing a statement", "is the mediator's")
		}
		return nil
	case SignForParty:
		if a.Party.Kind == Observer {
			return refuse(t, "signing for a party", "is for the sides and the mediator")
		}
		if !a.has(RoleDiplomatic) && !a.has(RoleAdmin) {
			return refuse(t, "signing for a party", "takes the diplomatic role or an admin: it commits the party")
		}
		return nil
	case AnalyseIntel:
		if err := May(a, SubmitIntel, Target{}); err != nil {
			return refuse(t, "the intelligence desk's work", "takes the intelligence role")
		}
		return nil
	case ProposeIntel:
		if err := May(a, AnalyseIntel, t); err != nil {
			return err
		}
		if !a.IsMediator() {
			return refuse(t, "proposing the gate's decision", "is for the mediator's analysts")
		}
		return nil
	case DecideIntel:
		if !a.IsMediator() {
			return refuse(t, "the gate's decision", "is the mediator's")
		}
		if !a.has(RoleIntelligence) && !a.has(RoleDuty) && !a.has(RoleAdmin) {
			return refuse(t, "the gate's decision", "takes the intelligence, duty or admin role")
		}
		return nil
	case ActOnDesk:
		switch {
		case t.Desk == "":
			return forbidden("no desk")
		case t.Desk == DeskGeneral || a.has(t.Desk) || a.has(RoleDuty):
			return nil
		}
		return refuse(t, "the "+t.Desk+" desk's work", "takes the "+t.Desk+" or duty role")
	case MediateHotline:
		if a.IsMediator() {
			return nil
		}
		return refuse(t, "this part of the hotline", "is the mediator's")
	case KeepGlossary:
		if a.IsMediator() {
			return nil
		}
		return refuse(t, "keeping the glossary", "is the mediator's")
	case RelayCommand:
		return mayRelay(a, t)
	case HearAlert:
		if slices.ContainsFunc(t.Roles, a.has) {
			return nil
		}
		return forbidden("the alert is for the %v desks", t.Roles)
	}
	return forbidden("unknown action %q", act)
}

// mayRelay: a member relays the commands of its own party's active members
// only. The signature already proves who wrote a command; the rule keeps a
// party's mirror from becoming a way into the cell for anyone else's (the
// mediator's mirror relays the mediator's members, not a side's), and
// keeps out the commands whose effect is more than their entry: a
// key.register is proved by its member's own session, not by a signature
// of the key it registers; the answer to a member.create carries the new
// member's initial password, for the admin who signed it; a member.update
// that disables a member also ends their sessions, which the routes that
// take it do.
func mayRelay(a Actor, t Target) error {
	switch {
	case t.Entry == nil || t.Entry.Envelope == nil || t.Member == nil || t.Key == nil:
		return forbidden("no command to relay")
	case t.Member.Party != a.Party.ID:
		return forbidden("member %s is of party %s: a member relays only the commands of its own party's members", t.Member.ID, t.Member.Party)
	case t.Member.Disabled:
		return forbidden("member %s is disabled", t.Member.ID)
	case t.Key.Member != t.Member.ID || t.Key.Revoked:
		return forbidden("key %s is not an active key of member %s", t.Key.ID, t.Member.ID)
	}
	switch k := t.Entry.Envelope.Kind(); k {
	case KindKeyRegister:
		return forbidden("a key.register is not relayed: a party's mirror registers a key its member holds with a key.vouch of the party's admin")
	case KindCellCreate, KindMemberCreate, KindMemberUpdate:
		return forbidden("%s is not relayed: its member sends it to the cell itself", k)
	}
	return nil
}

// Parties returns the cell's parties in joining order.
func Parties(ctx context.Context, v store.View) ([]Party, error) {
	ps, err := store.Memoized(v, "cell.parties", []string{ObjParty}, func() ([]Party, error) {
		objs, err := v.List(ctx, ObjParty, "", -1, MaxParties+1)
		if err != nil {
			return nil, err
		}
		out := make([]Party, 0, len(objs))
		for _, o := range objs {
			var p Party
			if err := unmarshal(o, &p); err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	})
	return slices.Clone(ps), err
}

// Audience returns the audience of an entry addressed to the given parties:
// the mediator always joins it. Unknown parties are an error.
func Audience(parties []Party, ids ...string) ([]string, uint64, error) {
	var aud []string
	var mask uint64
	add := func(p *Party) {
		if !slices.Contains(aud, p.ID) {
			aud = append(aud, p.ID)
			mask |= p.Bit()
		}
	}
	for i := range parties {
		if parties[i].Kind == Mediator {
			add(&parties[i])
		}
	}
	for _, id := range ids {
		i := slices.IndexFunc(parties, func(p Party) bool { return p.ID == id })
		if i < 0 {
			return nil, 0, invalid("no party %q in this cell", id)
		}
		add(&parties[i])
	}
	slices.Sort(aud)
	return aud, mask, nil
}

// AudienceOfMask returns the audience list of an entry whose mask is mask:
// the parties whose bits it holds, or Everyone for every bit. It is how
// an entry about something takes that thing's audience (an acknowledgement
// its message's) from the mask stored with it.
func AudienceOfMask(parties []Party, mask uint64) ([]string, uint64) {
	if mask == ^uint64(0) {
		return Everyone()
	}
	var aud []string
	var got uint64
	for i := range parties {
		if mask&parties[i].Bit() != 0 {
			aud = append(aud, parties[i].ID)
			got |= parties[i].Bit()
		}
	}
	slices.Sort(aud)
	return aud, got
}

// WithMembers names members in an audience, each of whom reads the entry
// while the rest of their party does not: what a TLP:RED release to named
// analysts asks. It returns the audience and the named members' ids, both
// sorted; a member whose party is in the audience already reads it and is
// not named.
func WithMembers(aud []string, members []Member) ([]string, []string) {
	out := slices.Clone(aud)
	var ids []string
	for _, m := range members {
		if slices.Contains(aud, m.Party) || slices.Contains(aud, record.Everyone) || slices.Contains(ids, m.ID) {
			continue
		}
		out = append(out, record.MemberAudience(m.Party, m.ID))
		ids = append(ids, m.ID)
	}
	slices.Sort(out)
	slices.Sort(ids)
	return out, ids
}

// Everyone is the audience of entries every party reads.
func Everyone() ([]string, uint64) { return []string{record.Everyone}, ^uint64(0) }

// ActorFor loads the member and party behind an entry's signer.
func ActorFor(ctx context.Context, v store.View, member string) (Actor, error) {
	if member == "" {
		return Actor{Server: true}, nil
	}
	a, err := store.Memoized(v, "cell.actor/"+member, []string{ObjMember, ObjParty}, func() (Actor, error) {
		m, err := GetMember(ctx, v, member)
		if err != nil {
			return Actor{}, err
		}
		p, err := GetParty(ctx, v, m.Party)
		if err != nil {
			return Actor{}, err
		}
		return Actor{Member: &m, Party: &p}, nil
	})
	if err != nil {
		return Actor{}, err
	}
	// Copies, so that a handler changing its actor changes no one else's.
	m, p := *a.Member, *a.Party
	return Actor{Member: &m, Party: &p}, nil
}

// PartyHasAdmin reports whether party has an active admin.
func PartyHasAdmin(ctx context.Context, v store.View, party string) (bool, error) {
	ms, err := v.List(ctx, ObjMember, party, -1, 10000)
	if err != nil {
		return false, err
	}
	for _, o := range ms {
		var m Member
		if err := unmarshal(o, &m); err != nil {
			return false, err
		}
		if !m.Disabled && m.Has(RoleAdmin) {
			return true, nil
		}
	}
	return false, nil
}
