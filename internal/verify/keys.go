package verify

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
)

// keyring follows the log's device keys as the log itself declares them:
// the server key in entry 0 (cell.create), members' keys in key.register
// and key.vouch entries, revocations in key.revoke entries. All are
// addressed to every party, so any verifier sees every key.
type keyring struct {
	cell     string
	vkey     string
	keys     map[string]*keyInfo
	started  bool
	verified int64
	// witnesses and party names, as the log declares them (witness.register
	// and party.create are for every party too): whose cosignature is whose.
	witnesses map[string]*witnessInfo
	parties   map[string]string
	// alarms are the witness.alarm entries whose proof checks.
	alarms []Alarm
}

type witnessInfo struct {
	id, party  string
	v          *record.WitnessVerifier
	registered int64
	revoked    int64 // -1 while active
}

type keyInfo struct {
	pub        ed25519.PublicKey
	member     string // "" for the server key
	party      string
	registered int64
	revoked    int64 // index of the key.revoke entry; -1 while active
}

// CheckSignatures verifies the envelope signatures of some of a log's
// entries, in index order, with the keys they declare: entries must hold
// entry 0 (the server key) and the registration of every key that signs
// one of them. Membership in the log is the caller's to check.
func CheckSignatures(cellID, vkey string, entries []*record.Entry) error {
	r := newKeyring(cellID, vkey)
	for _, e := range entries {
		if err := r.check(e); err != nil {
			return err
		}
	}
	return nil
}

func newKeyring(cellID, vkey string) *keyring {
	return &keyring{cell: cellID, vkey: vkey, keys: map[string]*keyInfo{}, witnesses: map[string]*witnessInfo{}, parties: map[string]string{}}
}

// check verifies entry e's envelope with the key it names, in log order.
func (r *keyring) check(e *record.Entry) error {
	i := e.Index
	env := e.Envelope
	if len(env.Signatures) != 1 {
		return entryErr(i, "the envelope has %d signatures, want exactly one", len(env.Signatures))
	}
	if kid := env.Signatures[0].KeyID; kid != e.KeyID {
		return entryErr(i, "the envelope is signed by key %s but the entry names key %s", kid, e.KeyID)
	}
	h, err := record.ParseHeader(env.Payload)
	if err != nil {
		return &Error{Index: i, End: i + 1, Msg: "the signed payload has no valid header", Err: err}
	}
	if h.Cell != r.cell {
		return entryErr(i, "the command was signed for cell %q", h.Cell)
	}
	kind := env.Kind()
	if !r.started {
		if i != 0 {
			return entryErr(0, "cell.create, which every party may read, was not served")
		}
		return r.cellCreate(e)
	}
	if kind == cell.KindCellCreate {
		return entryErr(i, "a second cell.create")
	}
	if kind == cell.KindKeyRegister {
		return r.keyRegister(e)
	}
	k, ok := r.keys[e.KeyID]
	if !ok {
		return entryErr(i, "signed by key %s, which no earlier key.register entry registers", e.KeyID)
	}
	if err := env.Verify(k.pub); err != nil {
		return &Error{Index: i, End: i + 1, Msg: "the envelope signature does not verify with key " + e.KeyID, Err: err}
	}
	r.verified++
	if k.member != e.Member || k.party != e.Party {
		return entryErr(i, "key %s belongs to member %q of party %q, but the entry names member %q of party %q",
			e.KeyID, k.member, k.party, e.Member, e.Party)
	}
	if k.revoked >= 0 && i > k.revoked {
		return entryErr(i, "signed with key %s after its revocation at entry %d", e.KeyID, k.revoked)
	}
	if kind == cell.KindKeyRevoke {
		var p cell.KeyRevokePayload
		if err := json.Unmarshal(env.Payload, &p); err != nil {
			return &Error{Index: i, End: i + 1, Msg: "key.revoke payload", Err: err}
		}
		t, ok := r.keys[p.KeyID]
		switch {
		case !ok:
			return entryErr(i, "revokes key %s, which was never registered", p.KeyID)
		case t.member == "":
			return entryErr(i, "revokes the server key")
		case t.revoked >= 0:
			return entryErr(i, "revokes key %s again (revoked at entry %d)", p.KeyID, t.revoked)
		}
		t.revoked = i
	}
	return r.follow(e)
}

// follow notes what a verified entry says about witnesses and parties.
func (r *keyring) follow(e *record.Entry) error {
	i, payload := e.Index, e.Envelope.Payload
	switch e.Envelope.Kind() {
	case cell.KindKeyVouch:
		return r.keyVouch(e)
	case cell.KindPartyCreate, cell.KindPartyUpdate:
		var p struct {
			Party struct{ ID, Name string } `json:"party"`
		}
		if json.Unmarshal(payload, &p) == nil && p.Party.Name != "" {
			r.parties[p.Party.ID] = p.Party.Name
		}
	case cell.KindWitnessRegister:
		var p cell.WitnessRegisterPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			return &Error{Index: i, End: i + 1, Msg: "witness.register payload", Err: err}
		}
		v, err := record.NewWitnessVerifier(p.VerifierKey)
		if err != nil {
			return &Error{Index: i, End: i + 1, Msg: "witness.register verifier_key", Err: err}
		}
		id := record.KeyID(v.Public())
		if w, ok := r.witnesses[id]; ok {
			return entryErr(i, "registers witness key %s again (registered at entry %d)", id, w.registered)
		}
		r.witnesses[id] = &witnessInfo{id: id, party: e.Party, v: v, registered: i, revoked: -1}
	case cell.KindWitnessRevoke:
		var p cell.WitnessRevokePayload
		if err := json.Unmarshal(payload, &p); err != nil {
			return &Error{Index: i, End: i + 1, Msg: "witness.revoke payload", Err: err}
		}
		w, ok := r.witnesses[p.WitnessID]
		switch {
		case !ok:
			return entryErr(i, "revokes witness key %s, which was never registered", p.WitnessID)
		case w.revoked >= 0:
			return entryErr(i, "revokes witness key %s again (revoked at entry %d)", p.WitnessID, w.revoked)
		}
		w.revoked = i
	case cell.KindWitnessAlarm:
		var p cell.WitnessAlarmPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			return &Error{Index: i, End: i + 1, Msg: "witness.alarm payload", Err: err}
		}
		// An alarm whose proof does not check is no evidence against the
		// log (the cell should not have taken it, and it proves nothing);
		// one whose proof checks is, whatever else verifies.
		c, err := cell.CheckAlarmProof(r.vkey, &p)
		if err != nil {
			return nil
		}
		r.alarms = append(r.alarms, Alarm{Index: i, Kind: p.Alarm, Detail: p.Detail, Party: e.Party,
			PartyName: r.partyName(e.Party), Member: e.Member, Small: c.Small, Large: c.Large})
	}
	return nil
}

func (r *keyring) cellCreate(e *record.Entry) error {
	env := e.Envelope
	if env.Kind() != cell.KindCellCreate {
		return entryErr(0, "the log starts with %s, not cell.create", env.Kind())
	}
	var p struct {
		NoteKey   string `json:"note_key"`
		ServerKey string `json:"server_key"`
	}
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		return &Error{Index: 0, End: 1, Msg: "cell.create payload", Err: err}
	}
	pub, err := record.DecodePublicKey(p.ServerKey)
	if err != nil {
		return &Error{Index: 0, End: 1, Msg: "cell.create server_key", Err: err}
	}
	if record.KeyID(pub) != e.KeyID {
		return entryErr(0, "cell.create is not signed by the server key it declares")
	}
	if err := env.Verify(pub); err != nil {
		return &Error{Index: 0, End: 1, Msg: "the envelope signature does not verify with the server key", Err: err}
	}
	r.verified++
	if e.Member != "" || e.Party != "" {
		return entryErr(0, "cell.create names member %q of party %q; only the server creates a cell", e.Member, e.Party)
	}
	if p.NoteKey != r.vkey {
		return entryErr(0, "cell.create declares note key %q, but the checkpoints verify with %q", p.NoteKey, r.vkey)
	}
	r.keys[e.KeyID] = &keyInfo{pub: pub, registered: 0, revoked: -1}
	r.started = true
	return nil
}

func (r *keyring) keyRegister(e *record.Entry) error {
	i := e.Index
	env := e.Envelope
	var p cell.KeyRegisterPayload
	if err := json.Unmarshal(env.Payload, &p); err != nil {
		return &Error{Index: i, End: i + 1, Msg: "key.register payload", Err: err}
	}
	pub, err := record.DecodePublicKey(p.PublicKey)
	if err != nil {
		return &Error{Index: i, End: i + 1, Msg: "key.register public_key", Err: err}
	}
	id := record.KeyID(pub)
	if id != e.KeyID {
		return entryErr(i, "key.register of key %s is signed by key %s, not by the key it registers", id, e.KeyID)
	}
	if err := env.Verify(pub); err != nil {
		return &Error{Index: i, End: i + 1, Msg: "the envelope signature does not verify with the key it registers", Err: err}
	}
	r.verified++
	if e.Member == "" {
		return entryErr(i, "key.register names no member")
	}
	if k, ok := r.keys[id]; ok {
		return entryErr(i, "registers key %s again (registered at entry %d)", id, k.registered)
	}
	r.keys[id] = &keyInfo{pub: pub, member: e.Member, party: e.Party, registered: i, revoked: -1}
	return nil
}

// keyVouch notes the key a verified key.vouch registers: its registration
// checks with the key it registers, and the key is its named member's, of
// the vouching admin's party (the cell allows no other).
func (r *keyring) keyVouch(e *record.Entry) error {
	i := e.Index
	var p cell.KeyVouchPayload
	if err := json.Unmarshal(e.Envelope.Payload, &p); err != nil {
		return &Error{Index: i, End: i + 1, Msg: "key.vouch payload", Err: err}
	}
	env, reg, err := cell.OpenVouch(r.cell, p)
	if err != nil {
		return &Error{Index: i, End: i + 1, Msg: "key.vouch registration", Err: err}
	}
	pub, _ := record.DecodePublicKey(reg.PublicKey)
	id := env.Signatures[0].KeyID
	if k, ok := r.keys[id]; ok {
		return entryErr(i, "vouches for key %s, registered before (at entry %d)", id, k.registered)
	}
	r.keys[id] = &keyInfo{pub: pub, member: reg.Member, party: e.Party, registered: i, revoked: -1}
	return nil
}

// Keyring checks entries' envelope signatures one at a time, in log order,
// with the keys the log declares: for a mirror that verifies entries as
// they arrive rather than a whole log at once. Entry 0 must come first.
type Keyring struct{ r *keyring }

// NewKeyring returns a Keyring for the cell whose checkpoints verify with
// vkey.
func NewKeyring(cellID, vkey string) *Keyring { return &Keyring{r: newKeyring(cellID, vkey)} }

// Check verifies e, the next entry its reader may read.
func (k *Keyring) Check(e *record.Entry) error { return k.r.check(e) }

// WitnessVerifiers returns the verifiers of the unrevoked witness keys the
// entries checked so far registered, with each key's id and party.
func (k *Keyring) WitnessVerifiers() map[string]WitnessKey {
	out := map[string]WitnessKey{}
	for _, w := range k.r.witnesses {
		if w.revoked < 0 {
			out[w.id] = WitnessKey{ID: w.id, Party: w.party, PartyName: k.r.partyName(w.party), Verifier: w.v}
		}
	}
	return out
}

// WitnessKey is a registered witness key as a Keyring knows it.
type WitnessKey struct {
	ID, Party, PartyName string
	Verifier             *record.WitnessVerifier
}

// Clone returns a copy that checks on from where k is, without changing k:
// a mirror checks a batch in a copy and keeps it only if the batch is
// stored.
func (k *Keyring) Clone() *Keyring {
	r := *k.r
	r.keys = make(map[string]*keyInfo, len(k.r.keys))
	for id, ki := range k.r.keys {
		c := *ki
		r.keys[id] = &c
	}
	r.witnesses = make(map[string]*witnessInfo, len(k.r.witnesses))
	for id, w := range k.r.witnesses {
		c := *w
		r.witnesses[id] = &c
	}
	r.alarms = slices.Clone(k.r.alarms)
	r.parties = make(map[string]string, len(k.r.parties))
	for id, n := range k.r.parties {
		r.parties[id] = n
	}
	return &Keyring{r: &r}
}

// Knows reports whether the entries checked so far registered key id,
// whatever became of it since.
func (k *Keyring) Knows(id string) bool { _, ok := k.r.keys[id]; return ok }

// Signer verifies env, a command not yet in the log, with the key it
// names, which must be a member's key registered and unrevoked in the
// entries checked so far, and returns that key's member and party: what a
// party's mirror checks before it queues a write to send when the line
// returns.
func (k *Keyring) Signer(env *record.Envelope) (member, party string, err error) {
	if len(env.Signatures) != 1 {
		return "", "", fmt.Errorf("the envelope has %d signatures, want exactly one", len(env.Signatures))
	}
	id := env.Signatures[0].KeyID
	ki, ok := k.r.keys[id]
	switch {
	case !ok || ki.member == "":
		return "", "", fmt.Errorf("key %s is not a member's registered device key", id)
	case ki.revoked >= 0:
		return "", "", fmt.Errorf("key %s was revoked at entry %d", id, ki.revoked)
	}
	if err := env.Verify(ki.pub); err != nil {
		return "", "", fmt.Errorf("the signature does not verify with key %s: %w", id, err)
	}
	h, err := record.ParseHeader(env.Payload)
	if err != nil {
		return "", "", fmt.Errorf("the signed payload has no valid header: %w", err)
	}
	if h.Cell != k.r.cell {
		return "", "", fmt.Errorf("the command is signed for cell %q, not %q", h.Cell, k.r.cell)
	}
	return ki.member, ki.party, nil
}
