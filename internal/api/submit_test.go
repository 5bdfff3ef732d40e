package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
)

// registerKey builds a key.register command for a fresh key, signed by it.
func registerKey(t testing.TB, label string) (*record.DeviceKey, *record.Envelope) {
	t.Helper()
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	env := record.Sign(cell.KindKeyRegister, payload(map[string]any{
		"public_key": record.EncodePublicKey(k.Public()), "label": label}), k.Private)
	return k, env
}

func TestIdempotency(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		c := ts.login(t, "il.intelligence")
		_, env := registerKey(t, "laptop")
		first := c.submitOK(t, "POST", "/api/v1/keys", env, http.StatusCreated)
		if first.Duplicate {
			t.Fatal("the first submission is a duplicate")
		}
		size := ts.size(t)
		// A retry, by any route that takes the kind, answers the original.
		for _, path := range []string{"/api/v1/keys", "/api/v1/entries"} {
			again := c.submitOK(t, "POST", path, env, http.StatusOK)
			if !again.Duplicate || again.Entry.Index != first.Entry.Index || again.Entry.LeafHash != first.Entry.LeafHash {
				t.Errorf("retry by %s: duplicate=%v index %d (first %d)", path, again.Duplicate, again.Entry.Index, first.Entry.Index)
			}
		}
		if n := ts.size(t); n != size {
			t.Fatalf("retries appended %d entries", n-size)
		}

		// The same id for a different command is a conflict.
		h, err := record.ParseHeader(env.Payload)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := record.NewDeviceKey()
		if err != nil {
			t.Fatal(err)
		}
		other := record.Sign(cell.KindKeyRegister, []byte(`{"id":"`+h.ID+`","time":"`+time.Now().UTC().Format(time.RFC3339Nano)+
			`","cell":"il-sy","public_key":"`+record.EncodePublicKey(k2.Public())+`","label":"phone"}`), k2.Private)
		wantType(t, c.submit(t, "POST", "/api/v1/keys", other), http.StatusConflict, "conflict")

		// Ids are per member: another member may use the same id.
		d := ts.login(t, "il.duty")
		dup := d.submitOK(t, "PUT", "/api/v1/parties/il", record.Sign(cell.KindPartyUpdate, []byte(`{"id":"`+h.ID+`","time":"`+
			time.Now().UTC().Format(time.RFC3339Nano)+`","cell":"il-sy","party":{"id":"il","name":"State of Israel","time_zone":"Asia/Jerusalem"}}`),
			d.key.Private), http.StatusOK)
		if dup.Duplicate {
			t.Error("another member's command with the same id was taken for a retry")
		}
		if n := ts.size(t); n != size+1 {
			t.Errorf("log grew by %d, want 1", n-size)
		}

		// Ids are the client's text, stored as text: a NUL (which
		// PostgreSQL text cannot hold) or another control character is
		// refused as invalid, not a server failure.
		for _, id := range []string{`a\u0000b`, `line\nbreak`} {
			bad := record.Sign(cell.KindPartyUpdate, []byte(`{"id":"`+id+`","time":"`+time.Now().UTC().Format(time.RFC3339Nano)+
				`","cell":"il-sy","party":{"id":"il","name":"Israel","time_zone":"Asia/Jerusalem"}}`), d.key.Private)
			wantType(t, d.submit(t, "PUT", "/api/v1/parties/il", bad), http.StatusUnprocessableEntity, "invalid")
		}
	})
}

func TestIdempotentMemberCreate(t *testing.T) {
	// A retried member.create must not reset the new member's password,
	// nor show it again.
	ts := newTestServer(t)
	c := ts.login(t, "sy.duty")
	env := c.sign(cell.KindMemberCreate, map[string]any{"member": member("sy.liaison", "sy", cell.RoleDiplomatic)})
	first := c.submitOK(t, "POST", "/api/v1/members", env, http.StatusCreated)
	if first.InitialPassword == "" {
		t.Fatal("no initial password")
	}
	again := c.submitOK(t, "POST", "/api/v1/members", env, http.StatusOK)
	if !again.Duplicate || again.InitialPassword != "" {
		t.Errorf("retry: duplicate=%v initial_password=%q", again.Duplicate, again.InitialPassword)
	}
	if r := ts.tryLogin(t, "sy.liaison", first.InitialPassword); r.Status != http.StatusOK {
		t.Errorf("login with the initial password after a retry: %s", r)
	}
}

func TestClockSkew(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		c := ts.login(t, "jo.diplomatic")
		size := ts.size(t)
		for _, off := range []time.Duration{-time.Hour, 10 * time.Minute, 24 * time.Hour} {
			k, _ := record.NewDeviceKey()
			env := record.Sign(cell.KindKeyRegister, payloadAt(time.Now().Add(off), map[string]any{
				"public_key": record.EncodePublicKey(k.Public())}), k.Private)
			wantType(t, c.submit(t, "POST", "/api/v1/keys", env), http.StatusUnprocessableEntity, "stale")
		}
		if n := ts.size(t); n != size {
			t.Fatalf("stale commands appended %d entries", n-size)
		}
		// Within the bound is fine.
		k, _ := record.NewDeviceKey()
		env := record.Sign(cell.KindKeyRegister, payloadAt(time.Now().Add(-time.Minute), map[string]any{
			"public_key": record.EncodePublicKey(k.Public())}), k.Private)
		c.submitOK(t, "POST", "/api/v1/keys", env, http.StatusCreated)
	})
}

func TestUnknownAndRevokedKeys(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		c := ts.login(t, "sy.intelligence")
		size := ts.size(t)
		update := func(k *record.DeviceKey) *record.Envelope {
			return record.Sign(cell.KindPartyUpdate, payload(map[string]any{"party": map[string]any{
				"id": "sy", "name": "Syria", "time_zone": "Asia/Damascus"}}), k.Private)
		}
		stranger, _ := record.NewDeviceKey()
		wantType(t, c.submit(t, "POST", "/api/v1/entries", update(stranger)), http.StatusForbidden, "unknown-key")

		// A valid key id with a signature by another key does not verify.
		forged := update(stranger)
		forged.Signatures[0].KeyID = c.key.ID()
		wantType(t, c.submit(t, "POST", "/api/v1/entries", forged), http.StatusUnprocessableEntity, "bad-signature")

		// Register a second key, revoke the first with it; the first no
		// longer signs.
		k2, env := registerKey(t, "second")
		c.submitOK(t, "POST", "/api/v1/keys", env, http.StatusCreated)
		old := c.key
		c.key = k2
		c.submitOK(t, "POST", "/api/v1/keys/"+old.ID()+"/revoke", c.sign(cell.KindKeyRevoke, map[string]any{"key_id": old.ID(), "reason": "lost"}), http.StatusOK)
		var k cell.Key
		c.getJSON(t, "/api/v1/keys/"+old.ID(), &k)
		if !k.Revoked || k.RevokedAt == 0 {
			t.Errorf("revoked key reads %+v", k)
		}
		c.key = old
		wantType(t, c.submit(t, "POST", "/api/v1/keys/"+k2.ID()+"/revoke", c.sign(cell.KindKeyRevoke, map[string]any{"key_id": k2.ID()})), http.StatusForbidden, "unknown-key")
		// Revoking twice is a conflict; the key cannot be registered again.
		c.key = k2
		wantType(t, c.submit(t, "POST", "/api/v1/keys/"+old.ID()+"/revoke", c.sign(cell.KindKeyRevoke, map[string]any{"key_id": old.ID()})), http.StatusConflict, "conflict")
		again := record.Sign(cell.KindKeyRegister, payload(map[string]any{"public_key": record.EncodePublicKey(old.Public())}), old.Private)
		wantType(t, c.submit(t, "POST", "/api/v1/keys", again), http.StatusConflict, "conflict")
		if n := ts.size(t); n != size+2 {
			t.Errorf("log grew by %d, want 2 (register, revoke)", n-size)
		}
	})
}

func TestKeyOfAnotherMember(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		c := ts.login(t, "sy.military")
		size := ts.size(t)
		for _, owner := range []string{"sy.duty", "il.military", "us.duty"} {
			k := ts.deviceKey(t, owner)
			env := record.Sign(cell.KindPartyUpdate, payload(map[string]any{"party": map[string]any{
				"id": "sy", "name": "Syria", "time_zone": "Asia/Damascus"}}), k.Private)
			p := wantType(t, c.submit(t, "POST", "/api/v1/entries", env), http.StatusForbidden, "unknown-key")
			if !strings.Contains(p.Detail, k.ID()) {
				t.Errorf("detail %q does not name the key", p.Detail)
			}
			// Registering someone else's public key needs their private
			// key: the registration must be signed by the key itself.
			reg := record.Sign(cell.KindKeyRegister, payload(map[string]any{"public_key": record.EncodePublicKey(k.Public())}), c.key.Private)
			wantProblem(t, c.submit(t, "POST", "/api/v1/keys", reg), http.StatusUnprocessableEntity)
		}
		if n := ts.size(t); n != size {
			t.Errorf("refused commands appended %d entries", n-size)
		}
	})
}
