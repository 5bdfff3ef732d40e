package cell_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
)

func witnessFields(t *testing.T, party string) (*record.WitnessKey, map[string]any) {
	t.Helper()
	k, err := record.NewWitnessKey("witness/" + party)
	if err != nil {
		t.Fatal(err)
	}
	return k, map[string]any{"verifier_key": k.VerifierKey(), "proof": k.ProvePossession(testCell, party), "label": "mirror in the capital"}
}

func TestWitnessRegisterAndRevoke(t *testing.T) {
	w := newWorld(t)
	k, f := witnessFields(t, "il")
	eff := w.must("il.duty", cell.KindWitnessRegister, f)
	if !slices.Equal(eff.Audience, []string{record.Everyone}) {
		t.Errorf("witness.register audience %v, want everyone", eff.Audience)
	}
	id := record.KeyID(k.Public())
	got, err := cell.GetWitness(context.Background(), w.v, id)
	if err != nil || got.Party != "il" || got.Name != "witness/il" || got.VerifierKey != k.VerifierKey() || got.Revoked {
		t.Fatalf("GetWitness = %+v, %v", got, err)
	}
	if _, err := w.submit("il.duty", cell.KindWitnessRegister, f); !errors.Is(err, cell.ErrConflict) {
		t.Errorf("registering the key again: %v, want a conflict", err)
	}
	if _, err := w.submit("sy.duty", cell.KindWitnessRevoke, map[string]any{"witness_id": id}); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("another party's admin revokes il's witness key: %v", err)
	}
	if _, err := w.submit("il.military", cell.KindWitnessRevoke, map[string]any{"witness_id": id}); !errors.Is(err, cell.ErrForbidden) {
		t.Errorf("a member who is no admin revokes it: %v", err)
	}
	w.must("il.duty", cell.KindWitnessRevoke, map[string]any{"witness_id": id, "reason": "the mirror's disk was lost"})
	if got, _ := cell.GetWitness(context.Background(), w.v, id); !got.Revoked {
		t.Error("not revoked")
	}
	if _, err := w.submit("il.duty", cell.KindWitnessRevoke, map[string]any{"witness_id": id}); !errors.Is(err, cell.ErrConflict) {
		t.Errorf("revoking twice: %v", err)
	}
	ws, err := cell.Witnesses(context.Background(), w.v)
	if err != nil || len(ws) != 1 {
		t.Errorf("Witnesses = %v, %v", ws, err)
	}
}

func TestWitnessRegisterRefusals(t *testing.T) {
	w := newWorld(t)
	k, f := witnessFields(t, "il")
	for _, tc := range []struct {
		name, member string
		fields       map[string]any
		want         error
	}{
		{"a member who is no admin", "il.military", f, cell.ErrForbidden},
		{"the mediator's admin for il", "us.duty", f, cell.ErrInvalid}, // the proof names il, the key would be us's
		{"a proof for another party", "sy.duty", f, cell.ErrInvalid},
		{"no proof", "il.duty", map[string]any{"verifier_key": k.VerifierKey()}, cell.ErrInvalid},
		{"a plain note key", "il.duty", map[string]any{"verifier_key": "witness/il+01234567+AQ==", "proof": f["proof"]}, cell.ErrInvalid},
		{"the server", "", f, cell.ErrForbidden},
	} {
		if _, err := w.submit(tc.member, cell.KindWitnessRegister, tc.fields); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}
