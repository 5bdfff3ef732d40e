package cell

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// An alarm is a party's mirror saying, in the log itself, that the cell's
// key signed two checkpoints no single history has (record.CheckConflict).
// The decision checks the proof and nothing else, so a party cannot smear
// the cell with a false alarm, and a true one is accepted whoever raises
// it. It is for every party to read: a forked log is everyone's business.
// A cell that forked may of course refuse it, or be down; the mirror keeps
// its proof anyway, and this entry is the alarm where the cell still takes
// it.
const (
	KindWitnessAlarm = "witness.alarm"
	ObjAlarm         = "alarm"
)

// AlarmKinds are the alarms a mirror raises that two signed checkpoints
// can prove (a changed verifier key cannot: the checkpoints would not
// verify with one key).
var AlarmKinds = []string{"fork", "rollback", "inconsistent", "split-view"}

// MaxAlarmNote bounds each checkpoint note of an alarm: a checkpoint and
// a few dozen signature lines, as POST /log/cosignatures takes.
const MaxAlarmNote = 16 << 10

// WitnessAlarmPayload is the payload of witness.alarm. Held is the signed
// checkpoint the reporter's mirror verified, Seen the one that contradicts
// it; for two sizes, Root is the root the larger one's history had at the
// smaller size and Proof the consistency proof from it (base64 hashes).
type WitnessAlarmPayload struct {
	record.Header
	Alarm  string   `json:"alarm"`
	Detail string   `json:"detail"`
	Held   string   `json:"held"`
	Seen   string   `json:"seen"`
	Root   string   `json:"root,omitempty"`
	Proof  []string `json:"proof,omitempty"`
}

// Alarm is a raised alarm as projected.
type Alarm struct {
	// ID names the conflicting pair and the party that raised it: each
	// party raises a conflict once.
	ID     string `json:"id"`
	Alarm  string `json:"alarm"`
	Detail string `json:"detail"`
	Party  string `json:"party"`
	Member string `json:"member"`
	// Sizes are those of the two checkpoints, smaller first.
	Sizes [2]int64 `json:"sizes"`
	Held  string   `json:"held"`
	Seen  string   `json:"seen"`
	Root  string   `json:"root,omitempty"`
	Proof []string `json:"proof,omitempty"`
	// Raised is the index of the witness.alarm entry.
	Raised int64 `json:"raised"`
}

// CheckAlarmProof checks an alarm's proof against the cell's checkpoint
// verifier key vkey: the decision's check, and a verifier's reading back.
func CheckAlarmProof(vkey string, p *WitnessAlarmPayload) (record.Conflict, error) {
	var root *record.Hash
	if p.Root != "" {
		hs, err := record.DecodeHashes([]string{p.Root})
		if err != nil {
			return record.Conflict{}, fmt.Errorf("root: %v", err)
		}
		root = &hs[0]
	}
	proof, err := record.DecodeHashes(p.Proof)
	if err != nil {
		return record.Conflict{}, fmt.Errorf("proof: %v", err)
	}
	return record.CheckConflict(vkey, []byte(p.Held), []byte(p.Seen), root, proof)
}

func witnessAlarm(c *Command) (store.Effect, error) {
	if err := May(c.Actor, RaiseAlarm, Target{}); err != nil {
		return store.Effect{}, err
	}
	var p WitnessAlarmPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if !slices.Contains(AlarmKinds, p.Alarm) {
		return store.Effect{}, invalid("alarm %q: want one of %v", p.Alarm, AlarmKinds)
	}
	if err := checkText("detail", p.Detail, 2000, true); err != nil {
		return store.Effect{}, err
	}
	for name, n := range map[string]string{"held": p.Held, "seen": p.Seen} {
		if len(n) > MaxAlarmNote {
			return store.Effect{}, invalid("%s: %d bytes; a checkpoint note is at most %d", name, len(n), MaxAlarmNote)
		}
	}
	info, err := GetInfo(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	conflict, err := CheckAlarmProof(info.NoteKey, &p)
	if err != nil {
		if errors.Is(err, record.ErrNoConflict) {
			return store.Effect{}, invalid("no alarm to raise: %v", err)
		}
		return store.Effect{}, invalid("the alarm's proof: %v", err)
	}
	party := c.Actor.Party.ID
	id := conflict.ID + "." + party
	if o, err := c.View.Get(c.Ctx, ObjAlarm, id); err == nil {
		return store.Effect{}, fmt.Errorf("%w: party %s raised this alarm at entry %d", ErrConflict, party, o.Seq)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Effect{}, err
	}
	a := Alarm{ID: id, Alarm: p.Alarm, Detail: p.Detail, Party: party, Member: c.Actor.Member.ID,
		Sizes: [2]int64{conflict.Small.Size, conflict.Large.Size}, Held: p.Held, Seen: p.Seen, Root: p.Root, Proof: p.Proof}
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjAlarm, id, "", a)}}, nil
}

// Alarms lists the alarms raised, oldest first.
func Alarms(ctx context.Context, v store.View) ([]Alarm, error) {
	objs, err := v.List(ctx, ObjAlarm, "", -1, 10000)
	if err != nil {
		return nil, err
	}
	out := make([]Alarm, 0, len(objs))
	for _, o := range objs {
		var a Alarm
		if err := unmarshal(o, &a); err != nil {
			return nil, err
		}
		a.Raised = o.Seq
		out = append(out, a)
	}
	return out, nil
}

// EncodeRoot is how an alarm's root is written.
func EncodeRoot(h record.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }
