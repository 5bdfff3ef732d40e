package mirror

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
)

// Vouching: a member who signs in at the party's mirror, with the
// credentials its operator gave them there, and makes a device key in
// their browser cannot register it at the cell, which never sees their
// session. The mirror carries the key's own registration (signed by the
// key and naming the member) to the cell inside a key.vouch signed by the
// mirror's own member: an admin's word that the member holds the key,
// which the rule book (cell.VouchKey) takes from the party's admins only.
// The vouch waits in the outbox like any write, and what the new key signs
// waits behind it: the outbox takes a write signed by a key whose vouch
// waits, or has landed but is not yet in the log the mirror verified.

// Vouch takes member's key.register (reg, signed by the key it registers
// and naming member, who signed in at the mirror) to the cell in a
// key.vouch signed by the mirror's member, through the outbox (Submit).
// The rule book is asked first on the mirror's replica, so that a mirror
// signed in as a member who may not vouch says so at once, line up or
// down. Vouching again for a key whose vouch is queued answers for the
// one queued.
func (m *Mirror) Vouch(ctx context.Context, member string, reg *record.Envelope) (*Outcome, error) {
	if m.cfg.Key == nil {
		return nil, fmt.Errorf("mirror: %w: this mirror holds no device key of its member %s, so it vouches for no key: register the key at the cell", ErrNotQueued, m.member)
	}
	raw := reg.Marshal()
	_, p, err := cell.OpenRegistration(m.cfg.Cell, raw)
	if err != nil {
		return nil, fmt.Errorf("mirror: %w: %v", ErrNotQueued, err)
	}
	if p.Member != member {
		return nil, fmt.Errorf("mirror: %w: the key.register names member %s, but %s signed in", ErrNotQueued, p.Member, member)
	}
	id := reg.Signatures[0].KeyID
	if ring, _ := m.sharedRing(); ring != nil && ring.Knows(id) {
		return nil, fmt.Errorf("%w: key %s is already registered", cell.ErrConflict, id)
	}
	if _, q, ok, err := m.pendingKey(ctx, id); err != nil {
		return nil, err
	} else if ok && q.State != Refused {
		return m.Submit(ctx, "", q.Envelope)
	}
	if err := m.mayVouch(ctx, member); err != nil {
		return nil, err
	}
	env, err := client.Sign(m.cfg.Key, m.cfg.Cell, cell.KindKeyVouch, map[string]any{"registration": json.RawMessage(raw)})
	if err != nil {
		return nil, err
	}
	return m.Submit(ctx, "", env)
}

// mayVouch asks the rule book, on the replica, whether the mirror's member
// may vouch for member's key. A mirror without a replica leaves it to the
// cell.
func (m *Mirror) mayVouch(ctx context.Context, member string) error {
	if m.rep == nil {
		return nil
	}
	v := m.rep.st.View(m.cfg.Cell)
	a, err := cell.ActorFor(ctx, v, m.member)
	if err != nil {
		return fmt.Errorf("mirror: its member %s: %w", m.member, err)
	}
	target, err := cell.GetMember(ctx, v, member)
	if err != nil {
		return fmt.Errorf("mirror: member %s: %w", member, err)
	}
	if err := cell.May(a, cell.VouchKey, cell.Target{Member: &target}); err != nil {
		return fmt.Errorf("this mirror signs in to the cell as %s, who cannot vouch for a key of %s (%w): register the key at the cell", m.member, member, err)
	}
	return nil
}

// PendingKey returns device key id while its vouch waits in the outbox, or
// has landed and the mirror has not yet verified the entry: the key signs
// at the mirror before the cell's log, as the mirror holds it, knows it.
func (m *Mirror) PendingKey(ctx context.Context, id string) (cell.Key, bool) {
	if ring, _ := m.sharedRing(); ring != nil && ring.Knows(id) {
		return cell.Key{}, false
	}
	k, q, ok, err := m.pendingKey(ctx, id)
	if err != nil || !ok || q.State == Refused {
		return cell.Key{}, false
	}
	return k, true
}

// pendingKey finds the newest vouch in the outbox for key id, with the key
// it registers, whatever became of it.
func (m *Mirror) pendingKey(ctx context.Context, id string) (cell.Key, Queued, bool, error) {
	rows, err := m.db.sql.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE kind = 'key.vouch' ORDER BY seq DESC`)
	if err != nil {
		return cell.Key{}, Queued{}, false, err
	}
	defer rows.Close()
	for rows.Next() {
		q, err := scanQueued(rows)
		if err != nil {
			return cell.Key{}, Queued{}, false, err
		}
		var p cell.KeyVouchPayload
		if json.Unmarshal(q.Envelope.Payload, &p) != nil {
			continue
		}
		reg, rp, err := cell.OpenVouch(m.cfg.Cell, p)
		if err != nil || reg.Signatures[0].KeyID != id {
			continue
		}
		// The mirror's own party: the rule book allows no other.
		_, party := m.sharedRing()
		return cell.Key{ID: id, Member: rp.Member, Party: party, Public: rp.PublicKey, Label: rp.Label, VouchedBy: q.Member}, q, true, nil
	}
	return cell.Key{}, Queued{}, false, rows.Err()
}

// pendingSigner is the member and party of env's key when the key is not
// in the verified log but a vouch for it is in the outbox, with env's
// signature checked; a refused vouch is an error that says so.
func (m *Mirror) pendingSigner(ctx context.Context, env *record.Envelope) (member, party string, ok bool, err error) {
	id := env.Signatures[0].KeyID
	k, q, found, err := m.pendingKey(ctx, id)
	if err != nil || !found {
		return "", "", false, err
	}
	if q.State == Refused {
		return "", "", false, fmt.Errorf("key %s was vouched for, and the cell refused its vouch: %s", id, q.Reason)
	}
	pub, err := record.DecodePublicKey(k.Public)
	if err != nil {
		return "", "", false, err
	}
	if err := env.Verify(pub); err != nil {
		return "", "", false, err
	}
	return k.Member, k.Party, true, nil
}

// For is the member a queued write is for: its signer's, but for a vouch
// the member whose key it registers, who asked for it at the mirror and
// is shown it among their own writes.
func (q Queued) For() string {
	if q.Kind != cell.KindKeyVouch || q.Envelope == nil {
		return q.Member
	}
	var p cell.KeyVouchPayload
	if json.Unmarshal(q.Envelope.Payload, &p) != nil {
		return q.Member
	}
	// The vouch was checked when it was queued (Vouch): read, not checked.
	reg, err := record.ParseEnvelope(p.Registration)
	var named cell.KeyRegisterPayload
	if err != nil || json.Unmarshal(reg.Payload, &named) != nil || named.Member == "" {
		return q.Member
	}
	return named.Member
}
