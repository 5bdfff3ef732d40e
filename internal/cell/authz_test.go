package cell_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"sort"
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// The demo's cast: the US mediates between Israel and Syria; Jordan
// observes.
var (
	us = &cell.Party{ID: "us", Kind: cell.Mediator, Num: 0}
	il = &cell.Party{ID: "il", Kind: cell.Side, Num: 1}
	sy = &cell.Party{ID: "sy", Kind: cell.Side, Num: 2}
	jo = &cell.Party{ID: "jo", Kind: cell.Observer, Num: 3}
)

func actor(p *cell.Party, id string, roles ...string) cell.Actor {
	return cell.Actor{Member: &cell.Member{ID: id, Party: p.ID, Roles: roles}, Party: p}
}

var (
	server     = cell.Actor{Server: true}
	nobody     = cell.Actor{}
	noParty    = cell.Actor{Member: &cell.Member{ID: "x", Party: "il"}}
	usAdmin    = actor(us, "us.duty", cell.RoleDuty, cell.RoleAdmin)
	usDesk     = actor(us, "us.military", cell.RoleMilitary)
	ilAdmin    = actor(il, "il.duty", cell.RoleDuty, cell.RoleAdmin)
	ilDesk     = actor(il, "il.military", cell.RoleMilitary)
	syAdmin    = actor(sy, "sy.duty", cell.RoleDuty, cell.RoleAdmin)
	syDesk     = actor(sy, "sy.military", cell.RoleMilitary)
	joAdmin    = actor(jo, "jo.duty", cell.RoleDuty, cell.RoleAdmin)
	ilDisabled = cell.Actor{Member: &cell.Member{ID: "il.gone", Party: "il", Roles: []string{cell.RoleAdmin}, Disabled: true}, Party: il}
)

func entry(audience ...string) *record.Entry {
	return &record.Entry{Index: 7, Audience: audience}
}

func key(owner cell.Actor) *cell.Key {
	return &cell.Key{ID: "k-" + owner.Member.ID, Member: owner.Member.ID, Party: owner.Party.ID}
}

const hotlineSend = "message.send"

// relay is the target of relaying a command of kind signed by signer.
func relay(signer cell.Actor, kind string) cell.Target {
	env := &record.Envelope{PayloadType: record.PayloadType(kind), Payload: []byte(`{}`)}
	return cell.Target{Entry: &record.Entry{Member: signer.Member.ID, Party: signer.Party.ID, Envelope: env}, Member: signer.Member, Key: key(signer)}
}

func revoked(t cell.Target) cell.Target {
	k := *t.Key
	k.Revoked = true
	t.Key = &k
	return t
}

type mayCase struct {
	name   string
	actor  cell.Actor
	act    cell.Action
	target cell.Target
	allow  bool
}

// actions names every Action constant; TestMayCoversEveryAction checks the
// list against authz.go.
var actions = map[string]cell.Action{
	"ReadEntry": cell.ReadEntry, "ReadLog": cell.ReadLog, "ReadParty": cell.ReadParty,
	"ReadMember": cell.ReadMember, "ReadKey": cell.ReadKey, "ManageParties": cell.ManageParties,
	"ManageParty": cell.ManageParty, "ManageMembers": cell.ManageMembers, "RevokeKey": cell.RevokeKey,
	"VouchKey":  cell.VouchKey,
	"ReadInbox": cell.ReadInbox, "ReadSigninAlerts": cell.ReadSigninAlerts,
	"SubmitIntel": cell.SubmitIntel, "ReviewIntel": cell.ReviewIntel, "PublishFunding": cell.PublishFunding,
	"RaiseAlarm":   cell.RaiseAlarm,
	"RelayCommand": cell.RelayCommand,
	"HearAlert":    cell.HearAlert,
	"WorkCommerce": cell.WorkCommerce, "Fund": cell.Fund, "ExpressInterest": cell.ExpressInterest,
	"ActDeconflict": cell.ActDeconflict, "ActDiplomacy": cell.ActDiplomacy, "SignForParty": cell.SignForParty,
	"MediateDiplomacy": cell.MediateDiplomacy, "AnalyseIntel": cell.AnalyseIntel, "DecideIntel": cell.DecideIntel,
	"ActOnDesk": cell.ActOnDesk, "ProposeIntel": cell.ProposeIntel, "MediateDeconflict": cell.MediateDeconflict,
	"RequestVerification": cell.RequestVerification, "FileDispute": cell.FileDispute, "PublishStatement": cell.PublishStatement,
	"MediateHotline": cell.MediateHotline, "KeepGlossary": cell.KeepGlossary,
}

// openToMembers are the actions every active member may take: the log's
// hashes, the parties and the public keys are everyone's to read, and a
// proven alarm is anyone's to raise.
var openToMembers = []cell.Action{cell.ReadLog, cell.ReadParty, cell.ReadKey, cell.RaiseAlarm}

func mayCases() []mayCase {
	ilMember := &cell.Member{ID: "il.military", Party: "il"}
	syMember := &cell.Member{ID: "sy.military", Party: "sy"}
	cases := []mayCase{
		// The desks' gates: who submits, reviews, publishes.
		{"an analyst submits intelligence", actor(il, "il.intelligence", cell.RoleIntelligence), cell.SubmitIntel, cell.Target{}, true},
		{"an admin submits intelligence", ilAdmin, cell.SubmitIntel, cell.Target{}, true},
		{"a military desk does not submit intelligence", ilDesk, cell.SubmitIntel, cell.Target{}, false},
		{"the mediator reviews intelligence", usDesk, cell.ReviewIntel, cell.Target{}, true},
		{"a side does not read the review queue", ilAdmin, cell.ReviewIntel, cell.Target{}, false},
		{"an observer does not read the review queue", joAdmin, cell.ReviewIntel, cell.Target{}, false},
		{"the mediator's commercial desk publishes funding", actor(us, "us.commercial", cell.RoleCommercial), cell.PublishFunding, cell.Target{}, true},
		{"the mediator's military desk does not publish funding", usDesk, cell.PublishFunding, cell.Target{}, false},
		{"a side's admin does not publish funding", ilAdmin, cell.PublishFunding, cell.Target{}, false},
		{"a funder does not publish funding", joAdmin, cell.PublishFunding, cell.Target{}, false},
		// Relaying a command another member signed: within one's party.
		{"a member relays its party's member's command", ilAdmin, cell.RelayCommand, relay(ilDesk, hotlineSend), true},
		{"the mediator relays its own member's command", usAdmin, cell.RelayCommand, relay(usDesk, hotlineSend), true},
		{"a side relays the other side's command", syAdmin, cell.RelayCommand, relay(ilDesk, hotlineSend), false},
		{"the mediator relays a side's command", usAdmin, cell.RelayCommand, relay(ilDesk, hotlineSend), false},
		{"an observer relays a side's command", joAdmin, cell.RelayCommand, relay(ilDesk, hotlineSend), false},
		{"a disabled member relays", ilDisabled, cell.RelayCommand, relay(ilDesk, hotlineSend), false},
		{"a disabled member's command is relayed", ilAdmin, cell.RelayCommand, relay(ilDisabled, hotlineSend), false},
		{"a revoked key's command is relayed", ilAdmin, cell.RelayCommand, revoked(relay(ilDesk, hotlineSend)), false},
		{"another member's key", ilAdmin, cell.RelayCommand, cell.Target{Entry: relay(ilDesk, hotlineSend).Entry, Member: ilDesk.Member, Key: key(ilAdmin)}, false},
		{"a key.register is relayed", ilAdmin, cell.RelayCommand, relay(ilDesk, cell.KindKeyRegister), false},
		{"a member.create is relayed", ilDesk, cell.RelayCommand, relay(ilAdmin, cell.KindMemberCreate), false},
		{"a member.update is relayed", ilDesk, cell.RelayCommand, relay(ilAdmin, cell.KindMemberUpdate), false},
		{"nothing to relay", ilAdmin, cell.RelayCommand, cell.Target{}, false},

		// The commercial desk: projects are their party's and the
		// mediator's; pledges the observers'; interest any party's desk.
		{"a side's commercial desk registers a project", actor(il, "il.commercial", cell.RoleCommercial), cell.WorkCommerce, cell.Target{}, true},
		{"a side's military desk does not work the commercial desk", ilDesk, cell.WorkCommerce, cell.Target{}, false},
		{"the server does not work the commercial desk", server, cell.WorkCommerce, cell.Target{}, false},
		{"a side changes its own project", actor(il, "il.commercial", cell.RoleCommercial), cell.WorkCommerce, cell.Target{Party: "il"}, true},
		{"the mediator changes a side's project", actor(us, "us.commercial", cell.RoleCommercial), cell.WorkCommerce, cell.Target{Party: "il"}, true},
		{"a side does not change the other side's project", actor(sy, "sy.commercial", cell.RoleCommercial), cell.WorkCommerce, cell.Target{Party: "il"}, false},
		{"an observer does not change a side's project", joAdmin, cell.WorkCommerce, cell.Target{Party: "il"}, false},
		{"a funder pledges", actor(jo, "jo.commercial", cell.RoleCommercial), cell.Fund, cell.Target{}, true},
		{"a side does not pledge", actor(il, "il.commercial", cell.RoleCommercial), cell.Fund, cell.Target{}, false},
		{"the mediator does not pledge", actor(us, "us.commercial", cell.RoleCommercial), cell.Fund, cell.Target{}, false},
		{"a funder's military desk does not pledge", actor(jo, "jo.military", cell.RoleMilitary), cell.Fund, cell.Target{}, false},
		{"the server does not pledge", server, cell.Fund, cell.Target{}, false},
		{"a funder changes its own pledge", actor(jo, "jo.commercial", cell.RoleCommercial), cell.Fund, cell.Target{Party: "jo"}, true},
		{"a funder does not change another funder's pledge", actor(jo, "jo.commercial", cell.RoleCommercial), cell.Fund, cell.Target{Party: "qa"}, false},
		{"the mediator does not change a funder's pledge", actor(us, "us.commercial", cell.RoleCommercial), cell.Fund, cell.Target{Party: "jo"}, false},
		{"a duty officer expresses interest", ilAdmin, cell.ExpressInterest, cell.Target{}, true},
		{"a military desk does not express interest", ilDesk, cell.ExpressInterest, cell.Target{}, false},
		{"the server does not express interest", server, cell.ExpressInterest, cell.Target{}, false},
		{"a side's commercial desk hears a gate alert", actor(il, "il.commercial", cell.RoleCommercial), cell.HearAlert, cell.Target{Roles: []string{cell.RoleCommercial}}, true},
		{"a funder's commercial desk hears a gate alert", actor(jo, "jo.commercial", cell.RoleCommercial), cell.HearAlert, cell.Target{Roles: []string{cell.RoleCommercial}}, true},
		{"a side's military desk does not hear a gate alert", ilDesk, cell.HearAlert, cell.Target{Roles: []string{cell.RoleCommercial}}, false},
		{"the mediator's military desk does not hear a gate alert", usDesk, cell.HearAlert, cell.Target{Roles: []string{cell.RoleCommercial}}, false},

		// The de-escalation desk: the sides' and the mediator's military
		// or duty members; the observers read the table only.
		{"a side's military desk acts on de-escalation", ilDesk, cell.ActDeconflict, cell.Target{}, true},
		{"the mediator's duty officer acts on de-escalation", usAdmin, cell.ActDeconflict, cell.Target{}, true},
		{"an observer's duty officer does not act on de-escalation", joAdmin, cell.ActDeconflict, cell.Target{}, false},
		{"an observer's military desk does not act on de-escalation", actor(jo, "jo.military", cell.RoleMilitary), cell.ActDeconflict, cell.Target{}, false},
		{"a side's diplomatic desk does not act on de-escalation", actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.ActDeconflict, cell.Target{}, false},
		{"a side's admin alone does not act on de-escalation", actor(il, "il.admin", cell.RoleAdmin), cell.ActDeconflict, cell.Target{}, false},
		{"the mediator's military desk mediates de-escalation", usDesk, cell.MediateDeconflict, cell.Target{}, true},
		{"the mediator's duty officer mediates de-escalation", usAdmin, cell.MediateDeconflict, cell.Target{}, true},
		{"an observer does not mediate de-escalation", joAdmin, cell.MediateDeconflict, cell.Target{}, false},
		{"the mediator's diplomat does not mediate de-escalation", actor(us, "us.diplomatic", cell.RoleDiplomatic), cell.MediateDeconflict, cell.Target{}, false},
		{"a side's military desk does not mediate de-escalation", ilDesk, cell.MediateDeconflict, cell.Target{}, false},
		{"the server does not mediate de-escalation", server, cell.MediateDeconflict, cell.Target{}, false},
		{"a side's military desk requests verification", syDesk, cell.RequestVerification, cell.Target{}, true},
		{"a side's duty officer requests verification", ilAdmin, cell.RequestVerification, cell.Target{}, true},
		{"an observer does not request verification", joAdmin, cell.RequestVerification, cell.Target{}, false},
		{"a side's diplomat does not request verification", actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.RequestVerification, cell.Target{}, false},
		{"the mediator does not request verification", usDesk, cell.RequestVerification, cell.Target{}, false},
		{"the server does not request verification", server, cell.RequestVerification, cell.Target{}, false},

		// The diplomatic desk: the sides' and the mediator's diplomatic
		// or duty members act; diplomats and admins commit their party;
		// the mediator's desk keeps the record; never the server.
		{"a side's diplomat acts on diplomacy", actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.ActDiplomacy, cell.Target{}, true},
		{"a side's duty officer acts on diplomacy", ilAdmin, cell.ActDiplomacy, cell.Target{}, true},
		{"a side's military desk does not act on diplomacy", ilDesk, cell.ActDiplomacy, cell.Target{}, false},
		{"a side's admin alone does not act on diplomacy", actor(il, "il.admin", cell.RoleAdmin), cell.ActDiplomacy, cell.Target{}, false},
		{"an observer's diplomat does not act on diplomacy", actor(jo, "jo.diplomatic", cell.RoleDiplomatic), cell.ActDiplomacy, cell.Target{}, false},
		{"the server does not act on diplomacy", server, cell.ActDiplomacy, cell.Target{}, false},
		{"a side's diplomat signs for it", actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.SignForParty, cell.Target{}, true},
		{"a side's admin signs for it", actor(il, "il.admin", cell.RoleAdmin), cell.SignForParty, cell.Target{}, true},
		{"the mediator's diplomat signs for it", actor(us, "us.diplomatic", cell.RoleDiplomatic), cell.SignForParty, cell.Target{}, true},
		{"a side's duty officer does not sign for it", actor(il, "il.duty", cell.RoleDuty), cell.SignForParty, cell.Target{}, false},
		{"a side's military desk does not sign for it", syDesk, cell.SignForParty, cell.Target{}, false},
		{"an observer's diplomat does not sign", actor(jo, "jo.diplomatic", cell.RoleDiplomatic), cell.SignForParty, cell.Target{}, false},
		{"the server does not sign for a party", server, cell.SignForParty, cell.Target{}, false},
		{"the mediator's diplomat keeps the record", actor(us, "us.diplomatic", cell.RoleDiplomatic), cell.MediateDiplomacy, cell.Target{}, true},
		{"the mediator's duty officer keeps the record", usAdmin, cell.MediateDiplomacy, cell.Target{}, true},
		{"a side's diplomat does not keep the record", actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.MediateDiplomacy, cell.Target{}, false},
		{"an observer's diplomat does not keep the record", actor(jo, "jo.diplomatic", cell.RoleDiplomatic), cell.MediateDiplomacy, cell.Target{}, false},
		{"the mediator's military desk does not keep the record", usDesk, cell.MediateDiplomacy, cell.Target{}, false},
		{"the server does not keep the record", server, cell.MediateDiplomacy, cell.Target{}, false},
		{"a side's diplomat files a dispute", actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.FileDispute, cell.Target{}, true},
		{"a side's duty officer files a dispute", ilAdmin, cell.FileDispute, cell.Target{}, true},
		{"an observer's diplomat does not file a dispute", actor(jo, "jo.diplomatic", cell.RoleDiplomatic), cell.FileDispute, cell.Target{}, false},
		{"a side's military desk does not file a dispute", syDesk, cell.FileDispute, cell.Target{}, false},
		{"the mediator's diplomat does not file a dispute", actor(us, "us.diplomatic", cell.RoleDiplomatic), cell.FileDispute, cell.Target{}, false},
		{"the server does not file a dispute", server, cell.FileDispute, cell.Target{}, false},
		{"the mediator's diplomat publishes a statement", actor(us, "us.diplomatic", cell.RoleDiplomatic), cell.PublishStatement, cell.Target{}, true},
		{"the mediator's admin publishes a statement", actor(us, "us.admin", cell.RoleAdmin), cell.PublishStatement, cell.Target{}, true},
		{"the mediator's duty officer alone does not publish a statement", actor(us, "us.duty", cell.RoleDuty), cell.PublishStatement, cell.Target{}, false},
		{"an observer's diplomat does not publish a statement", actor(jo, "jo.diplomatic", cell.RoleDiplomatic), cell.PublishStatement, cell.Target{}, false},
		{"a side's diplomat does not publish a statement", actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.PublishStatement, cell.Target{}, false},
		{"the server does not publish a statement", server, cell.PublishStatement, cell.Target{}, false},

		// The intelligence desk: analysts of any party submit and
		// propose; the mediator's intelligence, duty or admin members
		// decide; never the server.
		{"a side's analyst works intelligence", actor(il, "il.intelligence", cell.RoleIntelligence), cell.AnalyseIntel, cell.Target{}, true},
		{"a side's admin works intelligence", ilAdmin, cell.AnalyseIntel, cell.Target{}, true},
		{"an observer's analyst works intelligence", actor(jo, "jo.intelligence", cell.RoleIntelligence), cell.AnalyseIntel, cell.Target{}, true},
		{"a side's military desk does not work intelligence", ilDesk, cell.AnalyseIntel, cell.Target{}, false},
		{"a side's duty officer does not work intelligence", actor(il, "il.duty", cell.RoleDuty), cell.AnalyseIntel, cell.Target{}, false},
		{"the server does not work intelligence", server, cell.AnalyseIntel, cell.Target{}, false},
		{"the mediator's analyst proposes", actor(us, "us.intelligence", cell.RoleIntelligence), cell.ProposeIntel, cell.Target{}, true},
		{"the mediator's admin proposes", usAdmin, cell.ProposeIntel, cell.Target{}, true},
		{"an observer's analyst does not propose", actor(jo, "jo.intelligence", cell.RoleIntelligence), cell.ProposeIntel, cell.Target{}, false},
		{"the mediator's military desk does not propose", usDesk, cell.ProposeIntel, cell.Target{}, false},
		{"the mediator's duty officer alone does not propose", actor(us, "us.duty", cell.RoleDuty), cell.ProposeIntel, cell.Target{}, false},
		{"a side's analyst does not propose", actor(il, "il.intelligence", cell.RoleIntelligence), cell.ProposeIntel, cell.Target{}, false},
		{"the server does not propose", server, cell.ProposeIntel, cell.Target{}, false},
		{"the mediator's analyst decides", actor(us, "us.intelligence", cell.RoleIntelligence), cell.DecideIntel, cell.Target{}, true},
		{"the mediator's duty officer decides", actor(us, "us.duty", cell.RoleDuty), cell.DecideIntel, cell.Target{}, true},
		{"the mediator's admin decides", actor(us, "us.admin", cell.RoleAdmin), cell.DecideIntel, cell.Target{}, true},
		{"the mediator's military desk does not decide", usDesk, cell.DecideIntel, cell.Target{}, false},
		{"a side's analyst does not decide", actor(il, "il.intelligence", cell.RoleIntelligence), cell.DecideIntel, cell.Target{}, false},
		{"an observer's admin does not decide", joAdmin, cell.DecideIntel, cell.Target{}, false},
		{"the server does not decide", server, cell.DecideIntel, cell.Target{}, false},

		// The hotline's desks: a channel's desk role or duty; on the
		// general desk any member; the server on every desk.
		{"a military desk sends on the military desk", ilDesk, cell.ActOnDesk, cell.Target{Desk: cell.RoleMilitary}, true},
		{"a duty officer sends on any desk", actor(sy, "sy.duty", cell.RoleDuty), cell.ActOnDesk, cell.Target{Desk: cell.RoleIntelligence}, true},
		{"a diplomat sends on the general desk", actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.ActOnDesk, cell.Target{Desk: cell.DeskGeneral}, true},
		{"an observer's military desk sends on the military desk", actor(jo, "jo.military", cell.RoleMilitary), cell.ActOnDesk, cell.Target{Desk: cell.RoleMilitary}, true},
		{"the server sends on the military desk", server, cell.ActOnDesk, cell.Target{Desk: cell.RoleMilitary}, true},
		{"a military desk does not send on the diplomatic desk", ilDesk, cell.ActOnDesk, cell.Target{Desk: cell.RoleDiplomatic}, false},
		{"the mediator's military desk does not send on the intelligence desk", usDesk, cell.ActOnDesk, cell.Target{Desk: cell.RoleIntelligence}, false},
		{"an admin alone does not send on the military desk", actor(il, "il.admin", cell.RoleAdmin), cell.ActOnDesk, cell.Target{Desk: cell.RoleMilitary}, false},
		{"no desk to act on", ilAdmin, cell.ActOnDesk, cell.Target{}, false},
		{"the mediator's military desk mediates the hotline", usDesk, cell.MediateHotline, cell.Target{}, true},
		{"the mediator's member without a role mediates the hotline", actor(us, "us.clerk"), cell.MediateHotline, cell.Target{}, true},
		{"an observer does not mediate the hotline", joAdmin, cell.MediateHotline, cell.Target{}, false},
		{"a side's duty officer does not mediate the hotline", ilAdmin, cell.MediateHotline, cell.Target{}, false},
		{"the server does not mediate the hotline", server, cell.MediateHotline, cell.Target{}, false},
		{"the mediator's diplomat keeps the glossary", actor(us, "us.diplomatic", cell.RoleDiplomatic), cell.KeepGlossary, cell.Target{}, true},
		{"an observer does not keep the glossary", joAdmin, cell.KeepGlossary, cell.Target{}, false},
		{"a side's admin does not keep the glossary", syAdmin, cell.KeepGlossary, cell.Target{}, false},
		{"the server keeps the glossary", server, cell.KeepGlossary, cell.Target{}, true},

		// Reading the log's hashes, parties and keys: every member.
		{"mediator desk reads the log", usDesk, cell.ReadLog, cell.Target{}, true},
		{"party desk reads the log", syDesk, cell.ReadLog, cell.Target{}, true},
		{"observer reads the log", joAdmin, cell.ReadLog, cell.Target{}, true},
		{"non-member reads the log", nobody, cell.ReadLog, cell.Target{}, false},
		{"party desk reads a party", ilDesk, cell.ReadParty, cell.Target{Party: "sy"}, true},
		{"non-member reads a party", nobody, cell.ReadParty, cell.Target{Party: "sy"}, false},
		{"party desk reads another's key", syDesk, cell.ReadKey, cell.Target{Key: key(ilDesk)}, true},
		{"non-member reads a key", nobody, cell.ReadKey, cell.Target{Key: key(ilDesk)}, false},

		// Entries: by audience; the mediator reads all.
		{"party reads its entry", ilDesk, cell.ReadEntry, cell.Target{Entry: entry("il", "us")}, true},
		{"party reads an entry for everyone", syDesk, cell.ReadEntry, cell.Target{Entry: entry(record.Everyone)}, true},
		{"observer reads an entry for everyone", joAdmin, cell.ReadEntry, cell.Target{Entry: entry(record.Everyone)}, true},
		{"other party reads il's entry", syAdmin, cell.ReadEntry, cell.Target{Entry: entry("il", "us")}, false},
		{"observer reads il's entry", joAdmin, cell.ReadEntry, cell.Target{Entry: entry("il", "us")}, false},
		{"party reads the mediator's own entry", ilAdmin, cell.ReadEntry, cell.Target{Entry: entry("us")}, false},
		{"mediator desk reads il's entry", usDesk, cell.ReadEntry, cell.Target{Entry: entry("il", "us")}, true},
		{"mediator reads even without being named", usDesk, cell.ReadEntry, cell.Target{Entry: entry("il")}, true},
		{"no entry", ilAdmin, cell.ReadEntry, cell.Target{}, false},
		{"mediator, no entry", usAdmin, cell.ReadEntry, cell.Target{}, false},
		{"empty audience", ilAdmin, cell.ReadEntry, cell.Target{Entry: entry()}, false},

		// Rosters: own party and the mediator.
		{"party desk reads own roster", ilDesk, cell.ReadMember, cell.Target{Member: ilMember}, true},
		{"party admin reads another's roster", syAdmin, cell.ReadMember, cell.Target{Member: ilMember}, false},
		{"party desk reads another's roster", syDesk, cell.ReadMember, cell.Target{Member: ilMember}, false},
		{"observer reads a party's roster", joAdmin, cell.ReadMember, cell.Target{Member: syMember}, false},
		{"party reads the mediator's roster", ilAdmin, cell.ReadMember, cell.Target{Member: &cell.Member{ID: "us.duty", Party: "us"}}, false},
		{"mediator desk reads any roster", usDesk, cell.ReadMember, cell.Target{Member: syMember}, true},
		{"no member", ilAdmin, cell.ReadMember, cell.Target{}, false},
		{"mediator, no member", usAdmin, cell.ReadMember, cell.Target{}, false},

		// What a party owes: that party and the mediator.
		{"party desk reads own inbox", ilDesk, cell.ReadInbox, cell.Target{Party: "il"}, true},
		{"party duty reads another's inbox", syAdmin, cell.ReadInbox, cell.Target{Party: "il"}, false},
		{"observer reads a party's inbox", joAdmin, cell.ReadInbox, cell.Target{Party: "sy"}, false},
		{"mediator desk reads any inbox", usDesk, cell.ReadInbox, cell.Target{Party: "sy"}, true},

		// Parties and cell settings: the mediator's admins only.
		{"mediator admin manages parties", usAdmin, cell.ManageParties, cell.Target{}, true},
		{"mediator desk manages parties", usDesk, cell.ManageParties, cell.Target{}, false},
		{"party admin manages parties", ilAdmin, cell.ManageParties, cell.Target{}, false},
		{"observer admin manages parties", joAdmin, cell.ManageParties, cell.Target{}, false},
	}
	// One party's own affairs: its admins; the mediator's admins only
	// until the party has an admin of its own.
	for _, act := range []cell.Action{cell.ManageParty, cell.ManageMembers} {
		n := string(act) + ": "
		cases = append(cases,
			mayCase{n + "party admin, own party", ilAdmin, act, cell.Target{Party: "il", PartyHasAdmin: true}, true},
			mayCase{n + "party admin, own party without another admin", ilAdmin, act, cell.Target{Party: "il"}, true},
			mayCase{n + "party admin, another party", syAdmin, act, cell.Target{Party: "il", PartyHasAdmin: true}, false},
			mayCase{n + "party admin, another party without admin", syAdmin, act, cell.Target{Party: "il"}, false},
			mayCase{n + "party admin, the mediator", syAdmin, act, cell.Target{Party: "us", PartyHasAdmin: true}, false},
			mayCase{n + "party desk, own party", syDesk, act, cell.Target{Party: "sy", PartyHasAdmin: true}, false},
			mayCase{n + "party desk, own party without admin", syDesk, act, cell.Target{Party: "sy"}, false},
			mayCase{n + "mediator admin, party with an admin", usAdmin, act, cell.Target{Party: "il", PartyHasAdmin: true}, false},
			mayCase{n + "mediator admin, party without admin", usAdmin, act, cell.Target{Party: "lb"}, true},
			mayCase{n + "mediator admin, own party", usAdmin, act, cell.Target{Party: "us", PartyHasAdmin: true}, true},
			mayCase{n + "mediator desk, party without admin", usDesk, act, cell.Target{Party: "lb"}, false},
			mayCase{n + "observer admin, party without admin", joAdmin, act, cell.Target{Party: "lb"}, false},
			mayCase{n + "observer admin, own party", joAdmin, act, cell.Target{Party: "jo", PartyHasAdmin: true}, true},
			mayCase{n + "party admin, no party", ilAdmin, act, cell.Target{}, false},
		)
	}
	cases = append(cases,
		// Keys: their member, or an admin of their party.
		mayCase{"member revokes own key", ilDesk, cell.RevokeKey, cell.Target{Key: key(ilDesk)}, true},
		mayCase{"party admin revokes a key of its party", ilAdmin, cell.RevokeKey, cell.Target{Key: key(ilDesk)}, true},
		mayCase{"party desk revokes its admin's key", ilDesk, cell.RevokeKey, cell.Target{Key: key(ilAdmin)}, false},
		mayCase{"party admin revokes another party's key", syAdmin, cell.RevokeKey, cell.Target{Key: key(ilDesk)}, false},
		mayCase{"mediator admin revokes a party's key", usAdmin, cell.RevokeKey, cell.Target{Key: key(ilDesk)}, false},
		mayCase{"observer admin revokes a party's key", joAdmin, cell.RevokeKey, cell.Target{Key: key(syDesk)}, false},
		mayCase{"mediator admin revokes a mediator key", usAdmin, cell.RevokeKey, cell.Target{Key: key(usDesk)}, true},
		mayCase{"no key", ilAdmin, cell.RevokeKey, cell.Target{}, false},
		mayCase{"party admin vouches for its member's key", ilAdmin, cell.VouchKey, cell.Target{Member: ilMember}, true},
		mayCase{"party admin vouches for its own key", ilAdmin, cell.VouchKey, cell.Target{Member: ilAdmin.Member}, true},
		mayCase{"party desk vouches for its colleague's key", ilDesk, cell.VouchKey, cell.Target{Member: ilAdmin.Member}, false},
		mayCase{"party admin vouches for another party's member", syAdmin, cell.VouchKey, cell.Target{Member: ilMember}, false},
		mayCase{"mediator admin vouches for a party's member", usAdmin, cell.VouchKey, cell.Target{Member: ilMember}, false},
		mayCase{"observer admin vouches for a party's member", joAdmin, cell.VouchKey, cell.Target{Member: syMember}, false},
		mayCase{"party admin vouches for a disabled member", ilAdmin, cell.VouchKey, cell.Target{Member: &cell.Member{ID: "il.gone", Party: "il", Disabled: true}}, false},
		mayCase{"the server vouches for a key", cell.Actor{Server: true}, cell.VouchKey, cell.Target{Member: ilMember}, false},
		mayCase{"vouching for no member", ilAdmin, cell.VouchKey, cell.Target{}, false},

		// Failed sign-ins: the party's admins, the mediator's for all.
		mayCase{"party admin reads its sign-in alerts", ilAdmin, cell.ReadSigninAlerts, cell.Target{Party: "il"}, true},
		mayCase{"party admin reads another party's sign-in alerts", syAdmin, cell.ReadSigninAlerts, cell.Target{Party: "il"}, false},
		mayCase{"party admin reads the mediator's sign-in alerts", ilAdmin, cell.ReadSigninAlerts, cell.Target{Party: "us"}, false},
		mayCase{"party admin reads every party's sign-in alerts", ilAdmin, cell.ReadSigninAlerts, cell.Target{}, false},
		mayCase{"party desk reads its sign-in alerts", ilDesk, cell.ReadSigninAlerts, cell.Target{Party: "il"}, false},
		mayCase{"observer admin reads its sign-in alerts", joAdmin, cell.ReadSigninAlerts, cell.Target{Party: "jo"}, true},
		mayCase{"observer admin reads a party's sign-in alerts", joAdmin, cell.ReadSigninAlerts, cell.Target{Party: "sy"}, false},
		mayCase{"mediator admin reads a party's sign-in alerts", usAdmin, cell.ReadSigninAlerts, cell.Target{Party: "sy"}, true},
		mayCase{"mediator admin reads every party's sign-in alerts", usAdmin, cell.ReadSigninAlerts, cell.Target{}, true},
		mayCase{"mediator desk reads a party's sign-in alerts", usDesk, cell.ReadSigninAlerts, cell.Target{Party: "sy"}, false},
		mayCase{"mediator desk reads its own sign-in alerts", usDesk, cell.ReadSigninAlerts, cell.Target{Party: "us"}, false},
	)
	// What every active member may read, whoever they are.
	for _, act := range openToMembers {
		for _, a := range []cell.Actor{usAdmin, usDesk, ilAdmin, ilDesk, syAdmin, syDesk, joAdmin} {
			cases = append(cases, mayCase{string(act) + ": " + a.Member.ID, a, act, cell.Target{Party: "il", Key: key(ilDesk)}, true})
		}
	}
	// A disabled member may do nothing at all, not even read; nor may an
	// actor without a member or party. The server may do everything but
	// raise an alarm about its own checkpoints, vouch for a member's key,
	// and what is the parties': the commercial and diplomatic desks' work,
	// intelligence's analysis and the gate's decisions, the mediator's
	// part of the de-escalation desk and the hotline, and a side's call
	// on the mediator.
	for _, act := range actions {
		n := string(act) + ": "
		all := cell.Target{Entry: entry(record.Everyone), Party: "il", Member: &cell.Member{ID: "il.gone", Party: "il"}, Key: key(ilDisabled)}
		cases = append(cases,
			mayCase{n + "disabled member", ilDisabled, act, all, false},
			mayCase{n + "no member", nobody, act, all, false},
			mayCase{n + "member without party", noParty, act, all, false},
			mayCase{n + "server", server, act, cell.Target{}, !slices.Contains(serverRefused, act)},
		)
	}
	return cases
}

// serverRefused are the actions the server may not take.
var serverRefused = []cell.Action{cell.RaiseAlarm, cell.WorkCommerce, cell.Fund, cell.ExpressInterest, cell.VouchKey,
	cell.ActDiplomacy, cell.SignForParty, cell.MediateDiplomacy, cell.AnalyseIntel, cell.DecideIntel,
	cell.ProposeIntel, cell.MediateDeconflict, cell.RequestVerification, cell.FileDispute, cell.PublishStatement, cell.MediateHotline}

func TestMay(t *testing.T) {
	for _, tc := range mayCases() {
		err := cell.May(tc.actor, tc.act, tc.target)
		switch {
		case tc.allow && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case !tc.allow && err == nil:
			t.Errorf("%s: allowed", tc.name)
		case !tc.allow && !errors.Is(err, cell.ErrForbidden):
			t.Errorf("%s: error %v does not wrap ErrForbidden", tc.name, err)
		}
	}
	// An action the rule book does not know is refused to members.
	if err := cell.May(usAdmin, cell.Action("drop the log"), cell.Target{}); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("unknown action: %v", err)
	}
}

// A desk's refusal names what the member asked for, in the desk's words,
// which is what the API and the CLI tell them.
func TestMayNamesWhatItRefuses(t *testing.T) {
	for _, tc := range []struct {
		actor  cell.Actor
		act    cell.Action
		target cell.Target
		want   string
	}{
		{joAdmin, cell.ActDeconflict, cell.Target{Doing: "signing a zone"}, "signing a zone is for the sides and the mediator"},
		{actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.ActDeconflict, cell.Target{Doing: "notifying an activity"}, "notifying an activity takes the military or duty role"},
		{joAdmin, cell.ActDeconflict, cell.Target{}, "the de-escalation desk's work is for the sides and the mediator"},
		{server, cell.ActDiplomacy, cell.Target{Doing: "filing a dispute"}, "filing a dispute is the parties'"},
		{syDesk, cell.SignForParty, cell.Target{Doing: "signing a statement"}, "signing a statement takes the diplomatic role or an admin: it commits the party"},
		{actor(il, "il.diplomatic", cell.RoleDiplomatic), cell.MediateDiplomacy, cell.Target{Doing: "calling a round"}, "calling a round is the mediator's"},
		{ilDesk, cell.AnalyseIntel, cell.Target{Doing: "submitting intelligence"}, "submitting intelligence takes the intelligence role"},
		{actor(il, "il.intelligence", cell.RoleIntelligence), cell.DecideIntel, cell.Target{Doing: "approving a decision"}, "approving a decision is the mediator's"},
		{ilDesk, cell.ActOnDesk, cell.Target{Desk: cell.RoleDiplomatic, Doing: "sending on the diplomatic desk"}, "sending on the diplomatic desk takes the diplomatic or duty role"},
		// An action that takes another's roles refuses in that one's words.
		{usDesk, cell.ProposeIntel, cell.Target{Doing: "proposing a decision"}, "proposing a decision takes the intelligence role"},
		{joAdmin, cell.MediateDeconflict, cell.Target{Doing: "recording a finding"}, "recording a finding is for the sides and the mediator"},
		{actor(us, "us.admin", cell.RoleAdmin), cell.FileDispute, cell.Target{Doing: "filing a dispute"}, "filing a dispute takes the diplomatic or duty role"},
		// The commercial desk says what was asked once, in its own words.
		{ilDesk, cell.Fund, cell.Target{Doing: "pledging"}, "pledging takes the commercial role"},
		{actor(il, "il.commercial", cell.RoleCommercial), cell.Fund, cell.Target{Doing: "pledging"}, "pledging is a funder's: an observer party of the cell"},
		{actor(sy, "sy.commercial", cell.RoleCommercial), cell.WorkCommerce, cell.Target{Party: "il", Doing: "updating project border-market"}, "updating project border-market is il's and the mediator's"},
		{ilDesk, cell.ExpressInterest, cell.Target{Doing: "expressing interest"}, "expressing interest takes the commercial, duty or admin role"},
		{server, cell.Fund, cell.Target{Doing: "pledging"}, "pledging is the parties', not the server's"},
	} {
		err := cell.May(tc.actor, tc.act, tc.target)
		if want := "forbidden: " + tc.want; err == nil || err.Error() != want {
			t.Errorf("%s by %v: %v, want %q", tc.act, tc.actor.Member, err, want)
		}
	}
}

// TestMayCoversEveryAction fails when authz.go declares an Action that the
// table above does not know, or tests only one way (an action open to every
// member must be listed in openToMembers).
func TestMayCoversEveryAction(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "authz.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Action" {
				for _, n := range vs.Names {
					declared = append(declared, n.Name)
				}
			}
		}
	}
	var listed []string
	for n := range actions {
		listed = append(listed, n)
	}
	sort.Strings(declared)
	sort.Strings(listed)
	if !slices.Equal(declared, listed) {
		t.Fatalf("authz.go declares actions %v; the test knows %v", declared, listed)
	}
	allowed, refused := map[cell.Action]int{}, map[cell.Action]int{}
	for _, tc := range mayCases() {
		if tc.actor.Server || tc.actor.Member == nil || tc.actor.Member.Disabled || tc.actor.Party == nil {
			continue
		}
		if tc.allow {
			allowed[tc.act]++
		} else {
			refused[tc.act]++
		}
	}
	for n, act := range actions {
		if slices.Contains(openToMembers, act) {
			refused[act]++ // refused only to disabled members and non-members
		}
		if allowed[act] == 0 || refused[act] == 0 {
			t.Errorf("%s: %d allowed and %d refused cases with an active member; want both", n, allowed[act], refused[act])
		}
	}
}

func TestAudience(t *testing.T) {
	parties := []cell.Party{*us, *il, *sy, *jo}
	for _, tc := range []struct {
		ids  []string
		want []string
		mask uint64
	}{
		{nil, []string{"us"}, 1},
		{[]string{"il"}, []string{"il", "us"}, 1 | 2},
		{[]string{"sy", "il", "sy"}, []string{"il", "sy", "us"}, 1 | 2 | 4},
		{[]string{"us"}, []string{"us"}, 1},
		{[]string{"jo"}, []string{"jo", "us"}, 1 | 8},
	} {
		aud, mask, err := cell.Audience(parties, tc.ids...)
		if err != nil || !slices.Equal(aud, tc.want) || mask != tc.mask {
			t.Errorf("Audience(%v) = %v, %b, %v; want %v, %b", tc.ids, aud, mask, err, tc.want, tc.mask)
		}
	}
	if _, _, err := cell.Audience(parties, "il", "lb"); !errors.Is(err, cell.ErrInvalid) {
		t.Errorf("unknown party: %v", err)
	}
	aud, mask := cell.Everyone()
	if !slices.Equal(aud, []string{record.Everyone}) || mask != ^uint64(0) {
		t.Errorf("Everyone() = %v, %b", aud, mask)
	}
}

// The read mask is the whole rule for projections: a party reads what
// carries its bit (objects for everyone carry every bit), the mediator
// everything, a disabled member or a stranger nothing.
func TestReadMask(t *testing.T) {
	_, everyone := cell.Everyone()
	ilLine := il.Bit() | us.Bit()
	joint := il.Bit() | sy.Bit() | us.Bit()
	mediatorOnly := us.Bit()
	for _, tc := range []struct {
		name  string
		a     cell.Actor
		mask  uint64
		reads bool
	}{
		{"Israel reads its line", ilDesk, ilLine, true},
		{"Syria reads Israel's line", syAdmin, ilLine, false},
		{"Jordan reads the joint channel it was not in", joAdmin, joint, false},
		{"Jordan reads what is for everyone", joAdmin, everyone, true},
		{"Israel reads the mediator's own record", ilAdmin, mediatorOnly, false},
		{"the mediator reads Israel's line", usDesk, ilLine, true},
		{"the mediator reads its own record", usDesk, mediatorOnly, true},
		{"the server reads anything", server, mediatorOnly, true},
		{"a disabled member reads what is for everyone", ilDisabled, everyone, false},
		{"a stranger reads what is for everyone", nobody, everyone, false},
		{"a member without a party", noParty, everyone, false},
		{"nothing has no audience", usAdmin, 0, false},
	} {
		if got := cell.MayRead(tc.a, tc.mask); got != tc.reads {
			t.Errorf("%s: MayRead(%#x) = %v, want %v", tc.name, tc.mask, got, tc.reads)
		}
	}
}

// An entry about something takes that thing's audience from its mask.
func TestAudienceOfMask(t *testing.T) {
	parties := []cell.Party{*us, *il, *sy, *jo}
	for _, tc := range []struct {
		mask uint64
		want []string
	}{
		{us.Bit() | sy.Bit(), []string{"sy", "us"}},
		{us.Bit(), []string{"us"}},
		{us.Bit() | il.Bit() | sy.Bit() | jo.Bit(), []string{"il", "jo", "sy", "us"}},
		{^uint64(0), []string{record.Everyone}},
	} {
		aud, mask := cell.AudienceOfMask(parties, tc.mask)
		if !slices.Equal(aud, tc.want) || mask != tc.mask {
			t.Errorf("AudienceOfMask(%#x) = %v, %#x; want %v", tc.mask, aud, mask, tc.want)
		}
		// The list gives back the mask it came from.
		if tc.mask != ^uint64(0) {
			ids := slices.DeleteFunc(slices.Clone(aud), func(id string) bool { return id == "us" })
			_, back, err := cell.Audience(parties, ids...)
			if err != nil || back != tc.mask {
				t.Errorf("Audience(%v) = %#x, %v; want %#x", ids, back, err, tc.mask)
			}
		}
	}
}

// A TLP:RED release names one analyst of Syria: they read the entry and
// its object, their party's other members do not, nor anyone disabled or
// any other party; the mediator does.
func TestNamedReaders(t *testing.T) {
	syRed := actor(sy, "sy.intel", cell.RoleIntelligence)
	aud, members := cell.WithMembers([]string{"us"}, []cell.Member{*syRed.Member, *syRed.Member, *ilAdmin.Member})
	if want := []string{"il/il.duty", "sy/sy.intel", "us"}; !slices.Equal(aud, want) || !slices.Equal(members, []string{"il.duty", "sy.intel"}) {
		t.Fatalf("WithMembers = %v, %v; want %v", aud, members, want)
	}
	if aud, members := cell.WithMembers([]string{"sy", "us"}, []cell.Member{*syRed.Member}); !slices.Equal(aud, []string{"sy", "us"}) || members != nil {
		t.Errorf("a member whose party reads anyway is named: %v, %v", aud, members)
	}
	e := entry("sy/sy.intel", "us")
	obj := store.Object{Mask: us.Bit(), Members: []string{"sy.intel"}}
	gone := actor(sy, "sy.intel", cell.RoleIntelligence)
	gone.Member.Disabled = true
	for _, tc := range []struct {
		name  string
		a     cell.Actor
		reads bool
	}{
		{"the named analyst", syRed, true},
		{"their party's duty officer", syAdmin, false},
		{"their party's military desk", syDesk, false},
		{"the named analyst, disabled", gone, false},
		{"Israel", ilAdmin, false},
		{"an observer", joAdmin, false},
		{"the mediator", usDesk, true},
		{"a stranger", nobody, false},
	} {
		if got := cell.May(tc.a, cell.ReadEntry, cell.Target{Entry: e}) == nil; got != tc.reads {
			t.Errorf("%s: May(ReadEntry) = %v, want %v", tc.name, got, tc.reads)
		}
		if got := cell.MayReadObject(tc.a, obj); got != tc.reads {
			t.Errorf("%s: MayReadObject = %v, want %v", tc.name, got, tc.reads)
		}
		if got := cell.ReaderOf(tc.a).Reads(obj.Mask, obj.Members); got != tc.reads {
			t.Errorf("%s: ReaderOf(...).Reads = %v, want %v", tc.name, got, tc.reads)
		}
	}
}
