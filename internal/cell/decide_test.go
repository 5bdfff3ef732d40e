package cell_test

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// memView is an in-memory projection: enough of a store to run the
// cell's decisions without one.
type memView struct{ objs map[string]store.Object }

func (v *memView) Get(_ context.Context, kind, id string) (store.Object, error) {
	o, ok := v.objs[kind+"/"+id]
	if !ok {
		return o, fmt.Errorf("%s %s: %w", kind, id, store.ErrNotFound)
	}
	return o, nil
}

func (v *memView) List(_ context.Context, kind, parent string, after int64, limit int) ([]store.Object, error) {
	var out []store.Object
	for _, o := range v.objs {
		if o.Kind == kind && (parent == "" || o.Parent == parent) && o.Seq > after {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b store.Object) int { return cmp.Compare(a.Seq, b.Seq) })
	return out[:min(len(out), limit)], nil
}

func (v *memView) apply(index int64, changes []store.Change) {
	for _, c := range changes {
		k := c.Kind + "/" + c.ID
		if c.Doc == nil {
			delete(v.objs, k)
			continue
		}
		o, ok := v.objs[k]
		if !ok {
			o = store.Object{Kind: c.Kind, ID: c.ID, Seq: index}
		}
		o.Parent, o.Updated, o.Doc = c.Parent, index, c.Doc
		v.objs[k] = o
	}
}

// world is a cell run by its registry over a memView, entry by entry.
type world struct {
	t      *testing.T
	reg    *cell.Registry
	v      *memView
	server ed25519.PrivateKey
	keys   map[string]*record.DeviceKey
	next   int64
}

const testCell = "c"

// newWorld makes the demo's cast: us mediates between il and sy, jo
// observes; each party has a duty officer (duty, admin) and a military
// desk, each with a registered device key.
func newWorld(t *testing.T) *world { t.Helper(); return newWorldNoteKey(t, "n") }

// newWorldNoteKey is newWorld for a cell whose checkpoints verify with
// noteKey.
func newWorldNoteKey(t *testing.T, noteKey string) *world {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, reg: cell.NewRegistry(), v: &memView{objs: map[string]store.Object{}}, server: priv, keys: map[string]*record.DeviceKey{}}
	w.must("", cell.KindCellCreate, map[string]any{"name": "Test cell", "origin": "liaison/test", "note_key": noteKey,
		"server_key": record.EncodePublicKey(priv.Public().(ed25519.PublicKey))})
	for _, p := range []*cell.Party{us, il, sy, jo} {
		w.must("", cell.KindPartyCreate, map[string]any{"party": map[string]any{"id": p.ID, "name": p.ID, "kind": p.Kind, "time_zone": "UTC"}})
	}
	for _, p := range []string{"us", "il", "sy", "jo"} {
		w.must("", cell.KindMemberCreate, map[string]any{"member": map[string]any{"id": p + ".duty", "party": p, "name": "duty", "roles": []string{"duty", "admin"}}})
		w.must("", cell.KindMemberCreate, map[string]any{"member": map[string]any{"id": p + ".military", "party": p, "name": "desk", "roles": []string{"military"}}})
		w.register(p + ".duty")
		w.register(p + ".military")
	}
	return w
}

// register gives member a new device key.
func (w *world) register(member string) (store.Effect, error) {
	k, err := record.NewDeviceKey()
	if err != nil {
		w.t.Fatal(err)
	}
	eff, err := w.submitWith(member, k.Private, cell.KindKeyRegister, map[string]any{"public_key": record.EncodePublicKey(k.Public())})
	if err == nil {
		w.keys[member] = k
	}
	return eff, err
}

// submit decides a command of member (the server when ""), signed with
// the member's current key, and applies it when accepted.
func (w *world) submit(member, kind string, fields map[string]any) (store.Effect, error) {
	priv := w.server
	if member != "" {
		k, ok := w.keys[member]
		if !ok {
			w.t.Fatalf("%s has no key", member)
		}
		priv = k.Private
	}
	return w.submitWith(member, priv, kind, fields)
}

func (w *world) submitWith(member string, priv ed25519.PrivateKey, kind string, fields map[string]any) (store.Effect, error) {
	p := map[string]any{"id": fmt.Sprint(w.next), "time": time.Now().UTC(), "cell": testCell}
	for k, v := range fields {
		p[k] = v
	}
	payload, err := json.Marshal(p)
	if err != nil {
		w.t.Fatal(err)
	}
	env := record.Sign(kind, payload, priv)
	e := &record.Entry{Cell: testCell, Member: member, KeyID: env.Signatures[0].KeyID, Envelope: env}
	if member != "" {
		if m, err := cell.GetMember(context.Background(), w.v, member); err == nil {
			e.Party = m.Party
		}
	}
	eff, err := w.reg.Decide(e)(context.Background(), w.v)
	if err != nil {
		return eff, err
	}
	if len(eff.Audience) == 0 || eff.Mask == 0 {
		w.t.Fatalf("%s by %q: accepted without an audience", kind, member)
	}
	w.v.apply(w.next, eff.Changes)
	w.next++
	return eff, nil
}

func (w *world) must(member, kind string, fields map[string]any) store.Effect {
	w.t.Helper()
	eff, err := w.submit(member, kind, fields)
	if err != nil {
		w.t.Fatalf("%s by %q: %v", kind, member, err)
	}
	return eff
}

func (w *world) member(id string) cell.Member {
	w.t.Helper()
	m, err := cell.GetMember(context.Background(), w.v, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// signinAlert is the server's report of failed sign-ins as member.
func signinAlert(member string, failures, addresses, threshold int) map[string]any {
	return map[string]any{"member": member, "failures": failures, "addresses": addresses, "threshold": threshold, "since": time.Now().Add(-time.Hour)}
}

func memberFields(id, party string, roles ...string) map[string]any {
	return map[string]any{"member": map[string]any{"id": id, "party": party, "name": "Officer " + id, "roles": append([]string{}, roles...)}}
}

// TestDecideAudiences checks the visibility table of model.go's package
// comment, kind by kind.
func TestDecideAudiences(t *testing.T) {
	w := newWorld(t)
	everyone := []string{record.Everyone}
	bits := map[string]uint64{"us": 1, "il": 2, "sy": 4, "jo": 8, "lb": 16} // parties by joining order
	for _, tc := range []struct {
		name, member, kind string
		fields             map[string]any
		want               []string
	}{
		{"cell.settings", "us.duty", cell.KindCellSettings, map[string]any{"settings": map[string]any{"max_clock_skew": 60,
			"region": map[string]float64{"south": 32.5, "west": 35.5, "north": 33.5, "east": 36.5}, "deadlines": map[string]int{"verification": 172800, "dispute.response": 259200}}}, everyone},
		{"cell.rename", "us.duty", cell.KindCellRename, map[string]any{"name": "Amman cell", "names": map[string]string{"ar": "خلية عمّان", "he": "תא עמאן"}}, everyone},
		{"party.create", "us.duty", cell.KindPartyCreate, map[string]any{"party": map[string]any{"id": "lb", "name": "Lebanon", "kind": "party", "time_zone": "Asia/Beirut"}}, everyone},
		{"party.update", "il.duty", cell.KindPartyUpdate, map[string]any{"party": map[string]any{"id": "il", "name": "Israel", "time_zone": "Asia/Jerusalem"}}, everyone},
		{"member.create of a party", "il.duty", cell.KindMemberCreate, memberFields("il.new", "il", "diplomatic"), []string{"il", "us"}},
		{"member.update of a party", "il.duty", cell.KindMemberUpdate, memberFields("il.new", "il", "commercial"), []string{"il", "us"}},
		{"member.create of an observer", "jo.duty", cell.KindMemberCreate, memberFields("jo.new", "jo"), []string{"jo", "us"}},
		{"member.create of the mediator", "us.duty", cell.KindMemberCreate, memberFields("us.new", "us"), []string{"us"}},
		{"member.create of a new party's first admin", "us.duty", cell.KindMemberCreate, memberFields("lb.duty", "lb", "admin"), []string{"lb", "us"}},
		{"member.signin_alert of a party's member", "", cell.KindMemberSigninAlert, signinAlert("il.military", 20, 3, 20), []string{"il", "us"}},
		{"member.signin_alert of an observer's member", "", cell.KindMemberSigninAlert, signinAlert("jo.duty", 5, 1, 5), []string{"jo", "us"}},
		{"member.signin_alert of the mediator's member", "", cell.KindMemberSigninAlert, signinAlert("us.duty", 7, 2, 5), []string{"us"}},
	} {
		eff, err := w.submit(tc.member, tc.kind, tc.fields)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var mask uint64
		for _, p := range tc.want {
			mask |= bits[p]
		}
		if slices.Equal(tc.want, everyone) {
			mask = ^uint64(0)
		}
		if !slices.Equal(eff.Audience, tc.want) || eff.Mask != mask {
			t.Errorf("%s: audience %v mask %b, want %v %b", tc.name, eff.Audience, eff.Mask, tc.want, mask)
		}
	}
	// Keys are everyone's: whoever verifies a signature needs them.
	for _, who := range []string{"sy.military", "jo.duty"} {
		eff, err := w.register(who)
		if err != nil || !slices.Equal(eff.Audience, everyone) || eff.Mask != ^uint64(0) {
			t.Errorf("key.register by %s: %v %b %v", who, eff.Audience, eff.Mask, err)
		}
	}
	eff, err := w.submit("sy.military", cell.KindKeyRevoke, map[string]any{"key_id": w.keys["sy.military"].ID()})
	if err != nil || !slices.Equal(eff.Audience, everyone) {
		t.Errorf("key.revoke: %v %v", eff.Audience, err)
	}
}

func TestDecideRefusals(t *testing.T) {
	w := newWorld(t)
	ilKey := w.keys["il.military"].ID()
	for _, tc := range []struct {
		name, member, kind string
		fields             map[string]any
		want               error
	}{
		{"sy admin creates a member of il", "sy.duty", cell.KindMemberCreate, memberFields("il.mole", "il"), cell.ErrForbidden},
		{"sy admin creates a member of the mediator", "sy.duty", cell.KindMemberCreate, memberFields("us.mole", "us", "admin"), cell.ErrForbidden},
		{"sy admin updates a member of il", "sy.duty", cell.KindMemberUpdate, memberFields("il.military", "il", "admin"), cell.ErrForbidden},
		{"sy admin revokes il's key", "sy.duty", cell.KindKeyRevoke, map[string]any{"key_id": ilKey}, cell.ErrForbidden},
		{"sy admin renames il", "sy.duty", cell.KindPartyUpdate, map[string]any{"party": map[string]any{"id": "il", "name": "x", "time_zone": "UTC"}}, cell.ErrForbidden},
		{"sy desk creates a member of sy", "sy.military", cell.KindMemberCreate, memberFields("sy.new", "sy"), cell.ErrForbidden},
		{"sy desk makes itself admin", "sy.military", cell.KindMemberUpdate, memberFields("sy.military", "sy", "military", "admin"), cell.ErrForbidden},
		{"sy desk revokes its admin's key", "sy.military", cell.KindKeyRevoke, map[string]any{"key_id": w.keys["sy.duty"].ID()}, cell.ErrForbidden},
		{"il admin creates a party", "il.duty", cell.KindPartyCreate, map[string]any{"party": map[string]any{"id": "lb", "name": "Lebanon", "kind": "party", "time_zone": "UTC"}}, cell.ErrForbidden},
		{"il admin changes the cell's settings", "il.duty", cell.KindCellSettings, map[string]any{"settings": map[string]any{}}, cell.ErrForbidden},
		{"il admin renames the cell", "il.duty", cell.KindCellRename, map[string]any{"name": "Israeli cell"}, cell.ErrForbidden},
		{"mediator desk renames the cell", "us.military", cell.KindCellRename, map[string]any{"name": "x"}, cell.ErrForbidden},
		{"a cell renamed to nothing", "us.duty", cell.KindCellRename, map[string]any{"name": " "}, cell.ErrInvalid},
		{"a cell named in no language", "us.duty", cell.KindCellRename, map[string]any{"name": "x", "names": map[string]string{"arabic!": "x"}}, cell.ErrInvalid},
		{"a party named at length", "us.duty", cell.KindPartyUpdate, map[string]any{"party": map[string]any{"id": "us", "name": "US", "time_zone": "UTC", "names": map[string]string{"ar": strings.Repeat("ا", 201)}}}, cell.ErrInvalid},
		{"mediator desk creates a party", "us.military", cell.KindPartyCreate, map[string]any{"party": map[string]any{"id": "lb", "name": "Lebanon", "kind": "party", "time_zone": "UTC"}}, cell.ErrForbidden},
		{"mediator admin creates a member of il", "us.duty", cell.KindMemberCreate, memberFields("il.mole", "il"), cell.ErrForbidden},
		{"mediator admin revokes il's key", "us.duty", cell.KindKeyRevoke, map[string]any{"key_id": ilKey}, cell.ErrForbidden},
		{"observer admin creates a member of il", "jo.duty", cell.KindMemberCreate, memberFields("il.mole", "il"), cell.ErrForbidden},
		{"a member creates a cell", "us.duty", cell.KindCellCreate, map[string]any{"name": "x"}, cell.ErrForbidden},
		{"the server registers a key", "", cell.KindKeyRegister, map[string]any{"public_key": record.EncodePublicKey(w.keys["il.duty"].Public())}, cell.ErrForbidden},
		{"a member moves to another party", "sy.duty", cell.KindMemberUpdate, memberFields("sy.military", "il", "military"), cell.ErrInvalid},
		{"a member of a party that does not exist", "us.duty", cell.KindMemberCreate, memberFields("lb.duty", "lb", "admin"), cell.ErrInvalid},
		{"an unknown role", "il.duty", cell.KindMemberCreate, memberFields("il.new", "il", "king"), cell.ErrInvalid},
		{"an unknown field", "il.duty", cell.KindKeyRevoke, map[string]any{"key_id": ilKey, "force": true}, cell.ErrInvalid},
		{"an existing member", "il.duty", cell.KindMemberCreate, memberFields("il.military", "il"), cell.ErrConflict},
		{"an existing party", "us.duty", cell.KindPartyCreate, map[string]any{"party": map[string]any{"id": "il", "name": "x", "kind": "party", "time_zone": "UTC"}}, cell.ErrConflict},
		{"a second mediator", "us.duty", cell.KindPartyCreate, map[string]any{"party": map[string]any{"id": "eu", "name": "EU", "kind": "mediator", "time_zone": "UTC"}}, cell.ErrConflict},
		{"a second cell.create", "", cell.KindCellCreate, map[string]any{"name": "x"}, cell.ErrConflict},
		{"an unknown kind", "il.duty", "no.such", nil, cell.ErrInvalid},
		{"a region upside down", "us.duty", cell.KindCellSettings, map[string]any{"settings": map[string]any{"region": map[string]float64{"south": 33.5, "west": 35.5, "north": 32.5, "east": 36.5}}}, cell.ErrInvalid},
		{"a region past the date line", "us.duty", cell.KindCellSettings, map[string]any{"settings": map[string]any{"region": map[string]float64{"south": 32, "west": 35, "north": 33, "east": 181}}}, cell.ErrInvalid},
		{"a deadline of no time", "us.duty", cell.KindCellSettings, map[string]any{"settings": map[string]any{"deadlines": map[string]int{"verification": 0}}}, cell.ErrInvalid},
		{"a deadline of no name", "us.duty", cell.KindCellSettings, map[string]any{"settings": map[string]any{"deadlines": map[string]int{"Verification Deadline": 60}}}, cell.ErrInvalid},
		{"a member writes a sign-in alert", "il.duty", cell.KindMemberSigninAlert, signinAlert("sy.duty", 5, 1, 5), cell.ErrForbidden},
		{"a sign-in alert of no member", "", cell.KindMemberSigninAlert, signinAlert("il.nobody", 5, 1, 5), cell.ErrInvalid},
		{"a sign-in alert below its threshold", "", cell.KindMemberSigninAlert, signinAlert("il.duty", 4, 1, 5), cell.ErrInvalid},
		{"a sign-in alert from no address", "", cell.KindMemberSigninAlert, signinAlert("il.duty", 5, 0, 5), cell.ErrInvalid},
		{"a sign-in alert from more addresses than failures", "", cell.KindMemberSigninAlert, signinAlert("il.duty", 5, 6, 5), cell.ErrInvalid},
		{"a sign-in alert since the future", "", cell.KindMemberSigninAlert, map[string]any{"member": "il.duty", "failures": 5, "addresses": 1, "threshold": 5, "since": time.Now().Add(time.Hour)}, cell.ErrInvalid},
	} {
		before := len(w.v.objs)
		_, err := w.submit(tc.member, tc.kind, tc.fields)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if len(w.v.objs) != before {
			t.Errorf("%s: refused but changed the projections", tc.name)
		}
	}
	// A key registration must be signed by the key it registers.
	other, _ := record.NewDeviceKey()
	if _, err := w.submitWith("il.duty", w.keys["il.duty"].Private, cell.KindKeyRegister, map[string]any{"public_key": record.EncodePublicKey(other.Public())}); !errors.Is(err, cell.ErrInvalid) {
		t.Errorf("key.register signed by another key: %v", err)
	}
	// A key of another member signs nothing for this one.
	if _, err := w.submitWith("il.military", w.keys["il.duty"].Private, cell.KindPartyUpdate, map[string]any{"party": map[string]any{"id": "il", "name": "x", "time_zone": "UTC"}}); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("signed with another member's key: %v", err)
	}
}

func TestDecideRevokedKeyAndDisabledMember(t *testing.T) {
	w := newWorld(t)
	old := w.keys["sy.military"]
	w.register("sy.military")
	w.must("sy.military", cell.KindKeyRevoke, map[string]any{"key_id": old.ID()})
	if _, err := w.submitWith("sy.military", old.Private, cell.KindKeyRevoke, map[string]any{"key_id": w.keys["sy.military"].ID()}); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("a revoked key signed: %v", err)
	}
	if _, err := w.submit("sy.military", cell.KindKeyRevoke, map[string]any{"key_id": old.ID()}); !errors.Is(err, cell.ErrConflict) {
		t.Errorf("revoking twice: %v", err)
	}

	w.must("sy.duty", cell.KindMemberUpdate, map[string]any{"member": map[string]any{"id": "sy.military", "name": "x", "roles": []string{"military"}, "disabled": true}})
	if !w.member("sy.military").Disabled {
		t.Fatal("not disabled")
	}
	if _, err := w.submit("sy.military", cell.KindKeyRevoke, map[string]any{"key_id": w.keys["sy.military"].ID()}); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("a disabled member acted: %v", err)
	}
	if _, err := w.register("sy.military"); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("a disabled member registered a key: %v", err)
	}
}

func TestDecideFirstAdmin(t *testing.T) {
	w := newWorld(t)
	w.must("us.duty", cell.KindPartyCreate, map[string]any{"party": map[string]any{"id": "lb", "name": "Lebanon", "kind": "party", "time_zone": "Asia/Beirut"}})
	// A desk officer first: the party still has no admin...
	w.must("us.duty", cell.KindMemberCreate, memberFields("lb.military", "lb", "military"))
	// ...then its first admin, after which the mediator stands back.
	w.must("us.duty", cell.KindMemberCreate, memberFields("lb.duty", "lb", "admin", "duty"))
	if _, err := w.submit("us.duty", cell.KindMemberCreate, memberFields("lb.second", "lb")); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("the mediator created a member of a party with an admin: %v", err)
	}
	if _, err := w.submit("us.duty", cell.KindMemberUpdate, memberFields("lb.duty", "lb")); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("the mediator demoted a party's admin: %v", err)
	}
	w.register("lb.duty")
	w.must("lb.duty", cell.KindMemberCreate, memberFields("lb.second", "lb", "diplomatic"))
	// The party's admin may rename it; so may the mediator's admins.
	w.must("lb.duty", cell.KindPartyUpdate, map[string]any{"party": map[string]any{"id": "lb", "name": "Lebanese Republic", "time_zone": "Asia/Beirut"}})
	w.must("us.duty", cell.KindPartyUpdate, map[string]any{"party": map[string]any{"id": "lb", "name": "Lebanon", "time_zone": "Asia/Beirut"}})
	// Roles are normalized: sorted, without repeats.
	w.must("lb.duty", cell.KindMemberUpdate, memberFields("lb.second", "lb", "diplomatic", "commercial", "diplomatic"))
	if got := w.member("lb.second").Roles; !slices.Equal(got, []string{"commercial", "diplomatic"}) {
		t.Errorf("roles %v", got)
	}
	// A disabled admin is no admin: once the party's only one is
	// disabled, the mediator's admins may seat another.
	w.must("lb.duty", cell.KindMemberUpdate, map[string]any{"member": map[string]any{"id": "lb.duty", "name": "x", "roles": []string{"admin"}, "disabled": true}})
	w.must("us.duty", cell.KindMemberCreate, memberFields("lb.duty2", "lb", "admin"))
}

func TestDecideFirstPartyIsMediator(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	w := &world{t: t, reg: cell.NewRegistry(), v: &memView{objs: map[string]store.Object{}}, server: priv, keys: map[string]*record.DeviceKey{}}
	w.must("", cell.KindCellCreate, map[string]any{"name": "Test cell", "origin": "liaison/test", "note_key": "n",
		"server_key": record.EncodePublicKey(priv.Public().(ed25519.PublicKey))})
	if _, err := w.submit("", cell.KindPartyCreate, map[string]any{"party": map[string]any{"id": "il", "name": "Israel", "kind": "party", "time_zone": "UTC"}}); !errors.Is(err, cell.ErrInvalid) {
		t.Errorf("a side as the first party: %v", err)
	}
	// cell.create must be signed by the server key it declares.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	w2 := &world{t: t, reg: cell.NewRegistry(), v: &memView{objs: map[string]store.Object{}}, server: priv}
	if _, err := w2.submit("", cell.KindCellCreate, map[string]any{"name": "x", "origin": "liaison/x", "note_key": "n",
		"server_key": record.EncodePublicKey(other.Public().(ed25519.PublicKey))}); !errors.Is(err, cell.ErrInvalid) {
		t.Errorf("cell.create declaring another server key: %v", err)
	}
}

// submitRaw decides a command whose payload is given as it is signed.
func (w *world) submitRaw(member, kind, payload string) error {
	env := record.Sign(kind, []byte(payload), w.keys[member].Private)
	m := w.member(member)
	e := &record.Entry{Cell: testCell, Member: member, Party: m.Party, KeyID: env.Signatures[0].KeyID, Envelope: env}
	eff, err := w.reg.Decide(e)(context.Background(), w.v)
	if err == nil {
		w.v.apply(w.next, eff.Changes)
		w.next++
	}
	return err
}

// TestDecodeIsExact: a payload is read as written. encoding/json would
// match "Member" to the member field and keep the last of two equal keys;
// a verifier or UI in another language would not, and the signed record
// would say one thing to it and another to the projections.
func TestDecodeIsExact(t *testing.T) {
	w := newWorld(t)
	const h = `"id":"%s","time":"2026-01-01T00:00:00Z","cell":"c"`
	for name, p := range map[string]string{
		"field in another case":        `{` + h + `,"Member":{"id":"il.a","party":"il","name":"A","roles":[]}}`,
		"field twice":                  `{` + h + `,"member":{"id":"il.a","party":"il","name":"A","roles":[]},"member":{"id":"il.b","party":"il","name":"B","roles":["admin"]}}`,
		"field twice in two cases":     `{` + h + `,"member":{"id":"il.a","party":"il","name":"A","roles":[]},"MEMBER":{"id":"il.b","party":"il","name":"B","roles":["admin"]}}`,
		"nested field in another case": `{` + h + `,"member":{"ID":"il.a","party":"il","name":"A","roles":[]}}`,
		"nested field twice":           `{` + h + `,"member":{"id":"il.a","party":"il","name":"A","roles":[],"roles":["admin"]}}`,
		"header field in another case": `{"ID":"%s","time":"2026-01-01T00:00:00Z","cell":"c","member":{"id":"il.a","party":"il","name":"A","roles":[]}}`,
	} {
		err := w.submitRaw("il.duty", cell.KindMemberCreate, fmt.Sprintf(p, name))
		if !errors.Is(err, cell.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// Map keys are data, taken as written, in any case.
	if err := w.submitRaw("il.duty", cell.KindPartyUpdate, `{"id":"n","time":"2026-01-01T00:00:00Z","cell":"c","party":{"id":"il","name":"Israel","time_zone":"UTC","names":{"he":"ישראל","zh-Hant":"以色列","HE":"x"}}}`); err != nil {
		t.Errorf("names in mixed case: %v", err)
	}
	// The exact form passes, optional fields left out.
	if err := w.submitRaw("il.duty", cell.KindMemberCreate, `{"id":"ok","time":"2026-01-01T00:00:00Z","cell":"c","member":{"id":"il.a","party":"il","name":"A","roles":["diplomatic"]}}`); err != nil {
		t.Errorf("the exact form: %v", err)
	}
}

func TestSettingsDeadline(t *testing.T) {
	s := cell.Settings{Deadlines: map[string]int{"verification": 3600}}
	if got := s.Deadline("verification", 48*time.Hour); got != time.Hour {
		t.Errorf("a deadline the cell sets: %s", got)
	}
	if got := s.Deadline("dispute.response", 72*time.Hour); got != 72*time.Hour {
		t.Errorf("a deadline the cell leaves to the desk: %s", got)
	}
}

// A sign-in alert is projected under the member's party, where its admins
// list it, with what the server counted.
func TestSigninAlertProjection(t *testing.T) {
	w := newWorld(t)
	w.must("", cell.KindMemberSigninAlert, signinAlert("sy.military", 21, 4, 20))
	objs, err := w.v.List(context.Background(), cell.ObjSigninAlert, "sy", -1, 10)
	if err != nil || len(objs) != 1 {
		t.Fatalf("sy's sign-in alerts: %v, %v", objs, err)
	}
	var a cell.SigninAlert
	if err := json.Unmarshal(objs[0].Doc, &a); err != nil {
		t.Fatal(err)
	}
	if a.Member != "sy.military" || a.Party != "sy" || a.Failures != 21 || a.Addresses != 4 || a.Threshold != 20 || a.Since.IsZero() || a.At.Before(a.Since) {
		t.Errorf("alert %+v", a)
	}
	if objs, _ := w.v.List(context.Background(), cell.ObjSigninAlert, "il", -1, 10); len(objs) != 0 {
		t.Errorf("il's list holds sy's alert: %v", objs)
	}
}

// A kind's replay is found for its entries only, and a replay for a kind
// the registry does not decide is a programming error caught at start.
func TestRegistryReplay(t *testing.T) {
	r := cell.NewRegistry()
	e := &record.Entry{Envelope: &record.Envelope{PayloadType: record.PayloadType(cell.KindCellRename)}}
	if _, ok := r.Replay(e); ok {
		t.Fatal("a replay for a kind that registered none")
	}
	r.HandleReplay(cell.KindCellRename, func(*cell.Command) (store.Effect, error) { return store.Effect{}, nil })
	if _, ok := r.Replay(e); !ok {
		t.Fatal("no replay for the kind that registered it")
	}
	defer func() {
		if recover() == nil {
			t.Error("a replay for an unknown kind was accepted")
		}
	}()
	r.HandleReplay("no.such", func(*cell.Command) (store.Effect, error) { return store.Effect{}, nil })
}

// registration is a key.register of k's for member, signed by k, as a
// party's mirror takes it from the member's browser.
func registration(t *testing.T, k *record.DeviceKey, cellID, member string) json.RawMessage {
	t.Helper()
	fields := map[string]any{"id": "reg-" + k.ID(), "time": time.Now().UTC(), "cell": cellID, "public_key": record.EncodePublicKey(k.Public()), "label": "browser at the mirror"}
	if member != "" {
		fields["member"] = member
	}
	payload, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return record.Sign(cell.KindKeyRegister, payload, k.Private).Marshal()
}

// TestDecideKeyVouch: a party's admin registers a key that a member of the
// party holds, and no one else may; the key then signs as the member's.
func TestDecideKeyVouch(t *testing.T) {
	w := newWorld(t)
	fresh := func() *record.DeviceKey {
		k, err := record.NewDeviceKey()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	vouch := func(by string, reg json.RawMessage) error {
		_, err := w.submit(by, cell.KindKeyVouch, map[string]any{"registration": reg})
		return err
	}
	k := fresh()
	if err := vouch("il.duty", registration(t, k, testCell, "il.military")); err != nil {
		t.Fatalf("il's admin vouches for il.military's key: %v", err)
	}
	got, err := cell.GetKey(context.Background(), w.v, k.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.Member != "il.military" || got.Party != "il" || got.VouchedBy != "il.duty" || got.Revoked {
		t.Fatalf("vouched key = %+v", got)
	}
	// The key now signs as il.military's own.
	w.keys["il.military"] = k
	if _, err := w.register("il.military"); err != nil {
		t.Fatalf("signing with the vouched key: %v", err)
	}

	tampered := func() json.RawMessage {
		var env map[string]any
		if err := json.Unmarshal(registration(t, fresh(), testCell, "il.military"), &env); err != nil {
			t.Fatal(err)
		}
		other, _ := json.Marshal(map[string]any{"id": "x", "time": time.Now().UTC(), "cell": testCell, "public_key": record.EncodePublicKey(fresh().Public()), "member": "il.military"})
		env["payload"] = other
		b, _ := json.Marshal(env)
		return b
	}
	signedByOther := func() json.RawMessage {
		k, signer := fresh(), fresh()
		payload, _ := json.Marshal(map[string]any{"id": "y", "time": time.Now().UTC(), "cell": testCell, "public_key": record.EncodePublicKey(k.Public()), "member": "il.military"})
		return record.Sign(cell.KindKeyRegister, payload, signer.Private).Marshal()
	}
	notARegistration := func() json.RawMessage {
		k := fresh()
		payload, _ := json.Marshal(map[string]any{"id": "z", "time": time.Now().UTC(), "cell": testCell, "key_id": k.ID()})
		return record.Sign(cell.KindKeyRevoke, payload, k.Private).Marshal()
	}
	w.must("il.duty", cell.KindMemberCreate, memberFields("il.gone", "il", "military"))
	w.must("il.duty", cell.KindMemberUpdate, map[string]any{"member": map[string]any{"id": "il.gone", "name": "x", "roles": []string{"military"}, "disabled": true}})
	for _, tc := range []struct {
		name, by string
		reg      json.RawMessage
		want     error
	}{
		{"a member who is not an admin", "il.military", registration(t, fresh(), testCell, "il.duty"), cell.ErrForbidden},
		{"another side's admin", "sy.duty", registration(t, fresh(), testCell, "il.military"), cell.ErrForbidden},
		{"the mediator's admin, for a side's member", "us.duty", registration(t, fresh(), testCell, "il.military"), cell.ErrForbidden},
		{"an observer's admin", "jo.duty", registration(t, fresh(), testCell, "il.military"), cell.ErrForbidden},
		{"the server", "", registration(t, fresh(), testCell, "il.military"), cell.ErrForbidden},
		{"for a disabled member", "il.duty", registration(t, fresh(), testCell, "il.gone"), cell.ErrForbidden},
		{"for no such member", "il.duty", registration(t, fresh(), testCell, "il.nobody"), cell.ErrInvalid},
		{"a registration naming no member", "il.duty", registration(t, fresh(), testCell, ""), cell.ErrInvalid},
		{"a registration for another cell", "il.duty", registration(t, fresh(), "other", "il.military"), cell.ErrInvalid},
		{"a registration signed by another key", "il.duty", signedByOther(), cell.ErrInvalid},
		{"a registration changed after it was signed", "il.duty", tampered(), cell.ErrInvalid},
		{"a command that is no registration", "il.duty", notARegistration(), cell.ErrInvalid},
		{"no registration", "il.duty", nil, cell.ErrInvalid},
		{"a key registered before", "il.duty", registration(t, k, testCell, "il.military"), cell.ErrConflict},
	} {
		before := len(w.v.objs)
		if err := vouch(tc.by, tc.reg); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if len(w.v.objs) != before {
			t.Errorf("%s: refused but changed the projections", tc.name)
		}
	}
	// At the cell a member registers a key for themself only.
	if _, err := w.submitWith("il.military", fresh().Private, cell.KindKeyRegister, nil); err == nil {
		t.Error("a key.register of no key was taken")
	}
	other := fresh()
	if _, err := w.submitWith("il.military", other.Private, cell.KindKeyRegister, map[string]any{"public_key": record.EncodePublicKey(other.Public()), "member": "il.duty"}); !errors.Is(err, cell.ErrInvalid) {
		t.Errorf("a key.register naming another member: %v", err)
	}
	if _, err := w.submitWith("il.military", other.Private, cell.KindKeyRegister, map[string]any{"public_key": record.EncodePublicKey(other.Public()), "member": "il.military"}); err != nil {
		t.Errorf("a key.register naming its own member: %v", err)
	}
}
