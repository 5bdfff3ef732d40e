package cell

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Witness keys are a party's own: the key its mirror cosigns the cell's
// checkpoints with (C2SP tlog-cosignature), so that a reader holding
// the party's cosignature knows the party saw the same log. They are
// registered in the log as device keys are, for everyone to read: a
// cosignature is worth something only to a reader who can tell whose it is,
// and a key the operator slipped in is seen by all.
const (
	KindWitnessRegister = "witness.register"
	KindWitnessRevoke   = "witness.revoke"
	ObjWitness          = "witness"
)

// Witness is a registered witness key.
type Witness struct {
	ID string `json:"id"` // record.KeyID of the public key
	// Party is the party whose cosignatures this key makes.
	Party string `json:"party"`
	// Name is the key name of its signature lines; VerifierKey the C2SP
	// vkey (type 0x04) that verifies them.
	Name        string `json:"name"`
	VerifierKey string `json:"verifier_key"`
	Label       string `json:"label,omitempty"`
	Registered  int64  `json:"registered"` // log index
	Revoked     bool   `json:"revoked,omitempty"`
	RevokedAt   int64  `json:"revoked_at,omitempty"`
}

// WitnessRegisterPayload is the payload of witness.register, signed by an
// admin of the party with their device key. Proof is the witness key's
// own Ed25519 signature over record.PossessionMessage, so that no party
// registers as its own a key another holds.
type WitnessRegisterPayload struct {
	record.Header
	VerifierKey string `json:"verifier_key"`
	Proof       string `json:"proof"`
	Label       string `json:"label,omitempty"`
}

// WitnessRevokePayload is the payload of witness.revoke.
type WitnessRevokePayload struct {
	record.Header
	WitnessID string `json:"witness_id"`
	Reason    string `json:"reason,omitempty"`
}

func witnessRegister(c *Command) (store.Effect, error) {
	if c.Actor.Server {
		return store.Effect{}, forbidden("witness keys belong to parties")
	}
	var p WitnessRegisterPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	party := c.Actor.Party.ID
	if err := May(c.Actor, ManageParty, Target{Party: party, PartyHasAdmin: true}); err != nil {
		return store.Effect{}, forbidden("only an admin of party %s registers its witness keys", party)
	}
	v, err := record.NewWitnessVerifier(p.VerifierKey)
	if err != nil {
		return store.Effect{}, invalid("verifier_key: %v", err)
	}
	proof, err := base64.StdEncoding.DecodeString(p.Proof)
	if err != nil || !ed25519.Verify(v.Public(), record.PossessionMessage(c.Entry.Cell, party, p.VerifierKey), proof) {
		return store.Effect{}, invalid("proof: not the witness key's signature of this cell, party %s and key (record.PossessionMessage)", party)
	}
	if err := checkText("label", p.Label, 100, false); err != nil {
		return store.Effect{}, err
	}
	info, err := GetInfo(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	if noteKeyPublic(info.NoteKey).Equal(v.Public()) {
		return store.Effect{}, invalid("verifier_key: that is the cell's own checkpoint key")
	}
	id := record.KeyID(v.Public())
	if _, err := GetWitness(c.Ctx, c.View, id); err == nil {
		return store.Effect{}, fmt.Errorf("%w: witness key %s is already registered", ErrConflict, id)
	}
	w := Witness{ID: id, Party: party, Name: v.Name(), VerifierKey: p.VerifierKey, Label: p.Label}
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjWitness, id, party, w)}}, nil
}

func witnessRevoke(c *Command) (store.Effect, error) {
	var p WitnessRevokePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	w, err := GetWitness(c.Ctx, c.View, p.WitnessID)
	if err != nil {
		return store.Effect{}, invalid("no witness key %q", p.WitnessID)
	}
	if err := May(c.Actor, ManageParty, Target{Party: w.Party, PartyHasAdmin: true}); err != nil {
		return store.Effect{}, forbidden("only an admin of party %s revokes its witness keys", w.Party)
	}
	if w.Revoked {
		return store.Effect{}, fmt.Errorf("%w: witness key %s is already revoked", ErrConflict, w.ID)
	}
	if err := checkText("reason", p.Reason, 500, false); err != nil {
		return store.Effect{}, err
	}
	w.Revoked = true
	w.Registered, w.RevokedAt = 0, 0
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjWitness, w.ID, w.Party, w)}}, nil
}

// noteKeyPublic returns the Ed25519 key of a note vkey, or nil.
func noteKeyPublic(vkey string) ed25519.PublicKey {
	i := strings.LastIndexByte(vkey, '+')
	if i < 0 {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(vkey[i+1:])
	if err != nil || len(b) != 1+ed25519.PublicKeySize {
		return nil
	}
	return b[1:]
}

// GetWitness reads one witness key; Registered and RevokedAt come from the
// projection's log indexes.
func GetWitness(ctx context.Context, v store.View, id string) (Witness, error) {
	o, err := v.Get(ctx, ObjWitness, id)
	if err != nil {
		return Witness{}, err
	}
	return witnessOf(o)
}

func witnessOf(o store.Object) (Witness, error) {
	var w Witness
	if err := unmarshal(o, &w); err != nil {
		return w, err
	}
	w.Registered = o.Seq
	if w.Revoked {
		w.RevokedAt = o.Updated
	}
	return w, nil
}

// Witnesses lists the cell's witness keys, revoked ones included, in
// the order they were registered.
func Witnesses(ctx context.Context, v store.View) ([]Witness, error) {
	objs, err := v.List(ctx, ObjWitness, "", -1, 10000)
	if err != nil {
		return nil, err
	}
	out := make([]Witness, 0, len(objs))
	for _, o := range objs {
		w, err := witnessOf(o)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}
