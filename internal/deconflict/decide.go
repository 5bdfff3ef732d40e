package deconflict

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/store"
)

var (
	invalid   = cell.Invalidf
	forbidden = cell.Forbiddenf
	conflict  = cell.Conflictf
	checkText = cell.CheckText
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

func put(kind, id, parent string, v any) store.Change {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return store.Change{Kind: kind, ID: id, Parent: parent, Doc: b}
}

// narrowed is put with the object's audience narrowed to mask.
func narrowed(kind, id, parent string, v any, mask uint64) store.Change {
	c := put(kind, id, parent, v)
	c.Mask = mask
	return c
}

func unmarshal(o store.Object, v any) error {
	if err := json.Unmarshal(o.Doc, v); err != nil {
		return fmt.Errorf("projection %s/%s: %w", o.Kind, o.ID, err)
	}
	return nil
}

func get[T any](c *cell.Command, kind, id string) (T, store.Object, error) {
	var v T
	o, err := c.View.Get(c.Ctx, kind, id)
	if err != nil {
		return v, o, err
	}
	if err := json.Unmarshal(o.Doc, &v); err != nil {
		return v, o, fmt.Errorf("projection %s/%s: %w", kind, id, err)
	}
	return v, o, nil
}

// position is the index and time the entry being decided will have.
func position(c *cell.Command) (int64, time.Time, error) {
	i, t, ok := store.NextPosition(c.View)
	if !ok {
		return 0, time.Time{}, errors.New("deconflict: decided outside an append")
	}
	return i, t, nil
}

// member is the acting member's id, "" for the server.
func member(a cell.Actor) string {
	if a.Member == nil {
		return ""
	}
	return a.Member.ID
}

// table is the audience of what the sides and the mediator read: every
// party but the observers.
func table(parties []cell.Party) ([]string, uint64, error) {
	var ids []string
	for _, p := range parties {
		if p.Kind == cell.Side {
			ids = append(ids, p.ID)
		}
	}
	return cell.Audience(parties, ids...)
}

// signatories are the parties whose signatures agree a zone: every side
// and the mediator.
func signatories(parties []cell.Party) []string {
	var out []string
	for _, p := range parties {
		if p.Kind == cell.Side || p.Kind == cell.Mediator {
			out = append(out, p.ID)
		}
	}
	slices.Sort(out)
	return out
}

// addressees checks the parties a notification or an incident is for and
// returns its audience: them, the acting party and the mediator.
func addressees(c *cell.Command, ids []string) ([]string, uint64, []string, error) {
	if len(ids) > MaxAddressed {
		return nil, 0, nil, invalid("at most %d addressed parties", MaxAddressed)
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return nil, 0, nil, err
	}
	var clean []string
	for _, id := range ids {
		if slices.Contains(clean, id) {
			return nil, 0, nil, invalid("party %q is addressed twice", id)
		}
		i := slices.IndexFunc(parties, func(p cell.Party) bool { return p.ID == id })
		if i < 0 {
			return nil, 0, nil, invalid("no party %q in this cell", id)
		}
		if c.Actor.Party != nil && id == c.Actor.Party.ID {
			return nil, 0, nil, invalid("a party does not address itself")
		}
		clean = append(clean, id)
	}
	slices.Sort(clean)
	all := slices.Clone(clean)
	if c.Actor.Party != nil {
		all = append(all, c.Actor.Party.ID)
	}
	aud, mask, err := cell.Audience(parties, all...)
	return aud, mask, clean, err
}

// checkPrecedence accepts one of the hotline's precedences.
func checkPrecedence(p string) error {
	if !slices.Contains(cell.Precedences, p) {
		return invalid("precedence %q: want FLASH, IMMEDIATE, PRIORITY or ROUTINE", p)
	}
	return nil
}

// region is the cell's region, which every geometry must lie in.
func region(c *cell.Command) (*cell.Region, error) {
	info, err := cell.GetInfo(c.Ctx, c.View)
	if err != nil {
		return nil, err
	}
	if info.Settings.Region == nil {
		return nil, invalid("the cell has no region: the mediator's admins set it first (cell.settings, \"region\"), and every geometry must lie in it")
	}
	return info.Settings.Region, nil
}
