// Package dues is what a party owes the cell, by when, across the desks:
// an answer to a notified activity, the acknowledgement of an incident, a
// finding on a verification request, a milestone. A desk's entry that
// starts the wait puts a Due; the entry that answers it deletes it; the
// watch escalates a Due left past its deadline with a due.escalate entry
// signed by the server, once at the deadline and once more at twice it, as
// the hotline does for an unacknowledged FLASH.
//
// Who reads what: a Due and its escalations reveal that something is
// awaited, of whom, by when, and its title. They take the audience of the
// thing awaited (the desk's entry that put the Due), never wider: an
// escalation entry's audience is its Due's object mask.
package dues

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// KindEscalate is the command the watch writes for a Due left past its
// deadline.
const KindEscalate = "due.escalate"

// Projection kinds.
const (
	ObjDue        = "due"            // id: ID(kind, ref, party); parent: party
	ObjEscalation = "due.escalation" // id: the escalation's log index; parent: party
)

// MaxLevel is the last escalation of a round: the party's duty officers at
// the deadline, its admins at twice the deadline.
const MaxLevel = 2

// Due is an answer a party owes.
type Due struct {
	// Kind names what is awaited, in the desk's words ("notification",
	// "incident", "verification"); with Ref it identifies the thing.
	Kind string `json:"kind"`
	// Ref is the log index of the thing awaited (a notification's first
	// entry, an incident's report).
	Ref int64 `json:"ref"`
	// Item names a part of it when it has several that are awaited apart
	// (the milestones of a commitment); "" otherwise.
	Item       string `json:"item,omitempty"`
	Party      string `json:"party"`
	Precedence string `json:"precedence"`
	// Title is the line an officer sees in the list of what is owed.
	Title  string        `json:"title"`
	Start  time.Time     `json:"start"`
	Window time.Duration `json:"window"`
	// Round counts reopenings (an amended notification asks again); Level
	// the escalations of this round so far.
	Round int `json:"round"`
	Level int `json:"level"`
}

// DueAt is the deadline.
func (d Due) DueAt() time.Time { return d.Start.Add(d.Window) }

// NextDue is when the next escalation is due: at the deadline, then at
// twice it.
func (d Due) NextDue() time.Time { return d.Start.Add(time.Duration(d.Level+1) * d.Window) }

// ID is the projection id of party's due on kind ref.
func ID(kind string, ref int64, party string) string {
	return kind + "/" + strconv.FormatInt(ref, 10) + "/" + party
}

// ItemID is the projection id of party's due on item of kind ref.
func ItemID(kind string, ref int64, item, party string) string {
	if item == "" {
		return ID(kind, ref, party)
	}
	return kind + "/" + strconv.FormatInt(ref, 10) + "/" + item + "/" + party
}

func (d Due) id() string { return ItemID(d.Kind, d.Ref, d.Item, d.Party) }

// Put is the change that starts (or restarts) a wait. It takes the
// audience of the entry that makes it.
func Put(d Due) store.Change {
	b, err := json.Marshal(d)
	if err != nil {
		panic(err)
	}
	return store.Change{Kind: ObjDue, ID: d.id(), Parent: d.Party, Doc: b}
}

// Done is the change that ends a wait, answered.
func Done(kind string, ref int64, party string) store.Change {
	return store.Change{Kind: ObjDue, ID: ID(kind, ref, party)}
}

// ItemDone is the change that ends the wait on one item.
func ItemDone(kind string, ref int64, item, party string) store.Change {
	return store.Change{Kind: ObjDue, ID: ItemID(kind, ref, item, party)}
}

// Escalation records silence past a deadline.
type Escalation struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Ref        int64     `json:"ref"`
	Item       string    `json:"item,omitempty"`
	Party      string    `json:"party"`
	Level      int       `json:"level"`
	Round      int       `json:"round"`
	Precedence string    `json:"precedence"`
	Title      string    `json:"title"`
	At         time.Time `json:"at"`
	// NotifyRoles are the roles of Party's members to alert (duty, then
	// admin); the mediator's duty officers are alerted at every level.
	NotifyRoles []string `json:"notify_roles"`
}

// Register adds the escalation command to a registry.
func Register(r *cell.Registry) { r.Handle(KindEscalate, escalate) }

// EscalatePayload is the payload of due.escalate.
type EscalatePayload struct {
	record.Header
	Kind  string `json:"kind"`
	Ref   int64  `json:"ref"`
	Item  string `json:"item,omitempty"`
	Party string `json:"party"`
	Level int    `json:"level"`
	Round int    `json:"round"`
}

// EscalationID is the idempotency id of an escalation, the same on every
// node and after every restart, so that each fires once.
func EscalationID(d Due, level int) string {
	if d.Item != "" {
		return fmt.Sprintf("due/%s/%d/%s/%s/%d/%d", d.Kind, d.Ref, d.Item, d.Party, d.Round, level)
	}
	return fmt.Sprintf("due/%s/%d/%s/%d/%d", d.Kind, d.Ref, d.Party, d.Round, level)
}

// EscalationFields are the fields of the due.escalate that escalates d to
// level.
func EscalationFields(d Due, level int) map[string]any {
	m := map[string]any{"id": EscalationID(d, level), "kind": d.Kind, "ref": d.Ref, "party": d.Party, "level": level, "round": d.Round}
	if d.Item != "" {
		m["item"] = d.Item
	}
	return m
}

var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,31}$`)

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", cell.ErrInvalid, fmt.Sprintf(format, a...))
}

func conflict(format string, a ...any) error {
	return fmt.Errorf("%w: %s", cell.ErrConflict, fmt.Sprintf(format, a...))
}

func escalate(c *cell.Command) (store.Effect, error) {
	if !c.Actor.Server {
		return store.Effect{}, fmt.Errorf("%w: escalations are the server's", cell.ErrForbidden)
	}
	var p EscalatePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if !kindPattern.MatchString(p.Kind) || !cell.ValidID(p.Party) || p.Item != "" && !cell.ValidID(p.Item) {
		return store.Effect{}, invalid("no due of kind %q for party %q", p.Kind, p.Party)
	}
	o, err := c.View.Get(c.Ctx, ObjDue, ItemID(p.Kind, p.Ref, p.Item, p.Party))
	if errors.Is(err, store.ErrNotFound) {
		return store.Effect{}, conflict("nothing of kind %s %d is awaited from %s", p.Kind, p.Ref, p.Party)
	}
	if err != nil {
		return store.Effect{}, err
	}
	var d Due
	if err := json.Unmarshal(o.Doc, &d); err != nil {
		return store.Effect{}, err
	}
	if d.Round != p.Round || d.Level+1 != p.Level || p.Level > MaxLevel {
		return store.Effect{}, conflict("escalation %d of round %d is not the next one (level %d, round %d)", p.Level, p.Round, d.Level, d.Round)
	}
	idx, now, ok := store.NextPosition(c.View)
	if !ok {
		return store.Effect{}, errors.New("dues: decided outside an append")
	}
	if now.Before(d.NextDue()) {
		return store.Effect{}, invalid("escalation before its time (due %s)", d.NextDue().Format(time.RFC3339))
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask := cell.AudienceOfMask(parties, o.Mask)
	if mask == 0 {
		return store.Effect{}, fmt.Errorf("dues: %s has no audience", o.ID)
	}
	d.Level = p.Level
	roles := []string{cell.RoleDuty}
	if p.Level >= MaxLevel {
		roles = []string{cell.RoleAdmin}
	}
	e := Escalation{ID: idx, Kind: d.Kind, Ref: d.Ref, Item: d.Item, Party: d.Party, Level: p.Level, Round: d.Round,
		Precedence: d.Precedence, Title: d.Title, At: now, NotifyRoles: roles}
	eb, err := json.Marshal(e)
	if err != nil {
		return store.Effect{}, err
	}
	// The due stays after the last escalation: it is still owed, overdue.
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		Put(d), {Kind: ObjEscalation, ID: strconv.FormatInt(idx, 10), Parent: d.Party, Doc: eb}}}, nil
}

// Sort orders dues as an officer answers them: soonest deadline first.
func Sort(ds []Due) {
	slices.SortFunc(ds, func(a, b Due) int { return a.DueAt().Compare(b.DueAt()) })
}
