package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
)

// signedMessage is a message.send on channel signed by key at time at.
func signedMessage(key *record.DeviceKey, at time.Time, channel, subject string) *record.Envelope {
	return record.Sign(hotline.KindMessageSend, payloadAt(at, map[string]any{
		"channel": channel, "subject": subject, "body": "text of " + subject, "lang": "en", "precedence": "ROUTINE"}), key.Private)
}

// A party's mirror, signed in as one of its members, relays what another
// member of the party signed: the entry is the signer's, lands once
// however often it is relayed or sent, and may be hours old.
func TestRelayLandsAsTheSigners(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		mirror := ts.login(t, "il.duty")
		officer := ts.login(t, "il.military")
		env := signedMessage(officer.key, time.Now().Add(-30*time.Hour), "joint-military", "written while the line was cut")
		first := mirror.submitOK(t, "POST", "/api/v1/relay", env, http.StatusCreated)
		if e := first.Entry; e.Member != "il.military" || e.Party != "il" || e.KeyID != officer.key.ID() || first.Duplicate {
			t.Fatalf("a relayed entry names member %q of %q, key %s (duplicate %v); want the signer's: il.military of il, key %s",
				e.Member, e.Party, e.KeyID, first.Duplicate, officer.key.ID())
		}
		size := ts.size(t)
		again := mirror.submitOK(t, "POST", "/api/v1/cells/il-sy/relay", env, http.StatusOK)
		direct := officer.submitOK(t, "POST", "/api/v1/entries", env, http.StatusOK)
		for _, r := range []submitted{again, direct} {
			if !r.Duplicate || r.Entry.Index != first.Entry.Index {
				t.Errorf("a retry: duplicate %v at %d, want the entry %d", r.Duplicate, r.Entry.Index, first.Entry.Index)
			}
		}
		if n := ts.size(t); n != size {
			t.Errorf("retries appended %d entries", n-size)
		}

		// The relay's wider bound is the past's only, and relayed
		// commands' only.
		old := signedMessage(officer.key, time.Now().Add(-30*time.Hour), "joint-military", "sent directly, late")
		wantType(t, officer.submit(t, "POST", "/api/v1/entries", old), http.StatusUnprocessableEntity, "stale")
		tooOld := signedMessage(officer.key, time.Now().Add(-cell.DefaultMaxRelayAge-time.Hour), "joint-military", "too old")
		p := wantType(t, mirror.submit(t, "POST", "/api/v1/relay", tooOld), http.StatusUnprocessableEntity, "stale")
		if !strings.Contains(p.Detail, "relayed") {
			t.Errorf("the refusal of a relayed command too old does not say its bound: %q", p.Detail)
		}
		future := signedMessage(officer.key, time.Now().Add(time.Hour), "joint-military", "from the future")
		wantType(t, mirror.submit(t, "POST", "/api/v1/relay", future), http.StatusUnprocessableEntity, "stale")
		if n := ts.size(t); n != size {
			t.Errorf("refused commands appended %d entries", n-size)
		}
	})
}

// Who must not relay: another party's member, the mediator for a side, a
// member for a key it did not register, a revoked key, and the commands
// whose effect is more than their entry.
func TestRelayRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		ilDuty, syDuty, usDuty := ts.login(t, "il.duty"), ts.login(t, "sy.duty"), ts.login(t, "us.duty")
		ilOfficer := ts.login(t, "il.diplomatic")
		ilMsg := signedMessage(ilOfficer.key, time.Now(), "joint-diplomatic", "Israel's")
		syMsg := signedMessage(ts.deviceKey(t, "sy.military"), time.Now(), "joint-military", "Syria's")
		size := ts.size(t)

		for _, c := range []struct {
			name  string
			by    *client
			env   *record.Envelope
			words string
		}{
			{"a side relays the other side's", ilDuty, syMsg, "own party"},
			{"the other side relays a side's", syDuty, ilMsg, "own party"},
			{"the mediator relays a side's", usDuty, ilMsg, "own party"},
			{"a member relays a member.update", ts.login(t, "il.military"),
				ilDuty.sign(cell.KindMemberUpdate, map[string]any{"member": member("il.military", "il", cell.RoleMilitary)}), "not relayed"},
			{"a member relays a member.create", ts.login(t, "il.military"),
				ilDuty.sign(cell.KindMemberCreate, map[string]any{"member": member("il.new", "il", cell.RoleMilitary)}), "not relayed"},
		} {
			p := wantType(t, c.by.submit(t, "POST", "/api/v1/relay", c.env), http.StatusForbidden, "forbidden")
			if !strings.Contains(p.Detail, c.words) {
				t.Errorf("%s: detail %q does not say %q", c.name, p.Detail, c.words)
			}
		}
		// A key.register is signed by the key it registers, which the cell
		// does not know: nothing ties it to a member but a session.
		_, reg := registerKey(t, "a mirror's own")
		wantType(t, ilDuty.submit(t, "POST", "/api/v1/relay", reg), http.StatusForbidden, "unknown-key")
		stranger, _ := record.NewDeviceKey()
		wantType(t, ilDuty.submit(t, "POST", "/api/v1/relay", signedMessage(stranger, time.Now(), "joint-military", "whose?")), http.StatusForbidden, "unknown-key")
		forged := signedMessage(stranger, time.Now(), "joint-military", "forged")
		forged.Signatures[0].KeyID = ilOfficer.key.ID()
		wantType(t, ilDuty.submit(t, "POST", "/api/v1/relay", forged), http.StatusUnprocessableEntity, "bad-signature")

		// A key revoked after it signed: its command no longer lands.
		k2, regEnv := registerKey(t, "second")
		ilOfficer.submitOK(t, "POST", "/api/v1/keys", regEnv, http.StatusCreated)
		signedBefore := signedMessage(k2, time.Now(), "joint-diplomatic", "signed before the revocation")
		ilOfficer.submitOK(t, "POST", "/api/v1/keys/"+k2.ID()+"/revoke", ilOfficer.sign(cell.KindKeyRevoke, map[string]any{"key_id": k2.ID(), "reason": "lost"}), http.StatusOK)
		size += 2
		wantProblem(t, ilDuty.submit(t, "POST", "/api/v1/relay", signedBefore), http.StatusForbidden)

		// Without a session, nothing.
		r := ts.send(t, "POST", "/api/v1/relay", ilMsg.Marshal(), nil)
		wantType(t, r, http.StatusUnauthorized, "unauthenticated")
		if n := ts.size(t); n != size {
			t.Errorf("refused relays appended %d entries", n-size)
		}
		// The mediator's own members' commands are the mediator's to relay.
		usDuty.submitOK(t, "POST", "/api/v1/relay", signedMessage(ts.deviceKey(t, "us.military"), time.Now(), "joint-military", "the mediator's"), http.StatusCreated)
	})
}

// A cell sets how old a relayed command may be, within a month.
func TestRelayAgeIsTheCells(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	// unfiltered: the test reads the cell's settings to change one.
	info, err := cell.GetInfo(ctx, ts.Store.View(seed.DemoCell))
	if err != nil {
		t.Fatal(err)
	}
	s := info.Settings
	s.MaxRelayAge = int(cell.MaxMaxRelayAge/time.Second) + 1
	if _, err := ts.Ledger.SubmitServer(ctx, seed.DemoCell, cell.KindCellSettings, map[string]any{"settings": s}); !errors.Is(err, cell.ErrInvalid) {
		t.Fatalf("a relay age over a month: %v, want invalid", err)
	}
	s.MaxRelayAge = 3600
	if _, err := ts.Ledger.SubmitServer(ctx, seed.DemoCell, cell.KindCellSettings, map[string]any{"settings": s}); err != nil {
		t.Fatal(err)
	}
	mirror, officer := ts.login(t, "sy.duty"), ts.login(t, "sy.military")
	wantType(t, mirror.submit(t, "POST", "/api/v1/relay", signedMessage(officer.key, time.Now().Add(-2*time.Hour), "joint-military", "two hours")),
		http.StatusUnprocessableEntity, "stale")
	mirror.submitOK(t, "POST", "/api/v1/relay", signedMessage(officer.key, time.Now().Add(-30*time.Minute), "joint-military", "half an hour"), http.StatusCreated)
}
