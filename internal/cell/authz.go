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

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

func forbidden(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrForbidden, fmt.Sprintf(format, a...))
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
	ManageParties Action = "manage parties" // create parties, change cell settings
	ManageParty   Action = "manage party"   // Target.Party (+ Target.PartyHasAdmin)
	ManageMembers Action = "manage members" // Target.Party (+ Target.PartyHasAdmin)
	RevokeKey     Action = "revoke key"     // Target.Key
	// ReadSigninAlerts: the failed sign-ins of Target.Party's members, or
	// of every party's when Target.Party is "".
	ReadSigninAlerts Action = "read sign-in alerts"
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
}

// May is the one authorization rule book: every endpoint and every command
// asks it. It answers nil or an error wrapping ErrForbidden that says why.
func May(a Actor, act Action, t Target) error {
	if a.Server {
		return nil
	}
	if a.Member == nil || a.Party == nil {
		return forbidden("not a member of this cell")
	}
	if a.Member.Disabled {
		return forbidden("member %s is disabled", a.Member.ID)
	}
	switch act {
	case ReadLog, ReadParty, ReadKey:
		return nil
	case ReadEntry:
		if t.Entry == nil {
			return forbidden("no entry")
		}
		if a.IsMediator() || t.Entry.Visible(a.Party.ID) {
			return nil
		}
		return forbidden("entry %d is not addressed to party %s", t.Entry.Index, a.Party.ID)
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
	}
	return forbidden("unknown action %q", act)
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
