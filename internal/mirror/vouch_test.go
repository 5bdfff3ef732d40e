package mirror_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	cellpkg "github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/mirror"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/verify"
)

// openServingMirror opens a mirror with its party's replica, signed in as
// member with member's device key: what 'liaison mirror --listen' runs.
func openServingMirror(t *testing.T, c *cell, d *testlog.Demo, member string) *mirror.Mirror {
	t.Helper()
	m, err := mirror.Open(context.Background(), mirror.Config{Client: c.login(t, member), Cell: testlog.Cell, Dir: t.TempDir(),
		Key: d.Key(t, member), Registry: testlog.Registry(), Logger: testlog.Quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newKey(t *testing.T) *record.DeviceKey {
	t.Helper()
	k, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func registration(t *testing.T, k *record.DeviceKey, member string) *record.Envelope {
	t.Helper()
	env, err := client.Registration(k, testlog.Cell, member, "web browser at the mirror")
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func signedWith(t testing.TB, k *record.DeviceKey, channel, subject string) *record.Envelope {
	t.Helper()
	env, err := client.Sign(k, testlog.Cell, "message.send", map[string]any{
		"channel": channel, "subject": subject, "body": "text of " + subject, "lang": "en", "precedence": "ROUTINE"})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// A member signs in at the party's mirror while the line to the cell is
// cut and makes a device key there: the mirror vouches for it in its
// admin's name, the key signs at once, and when the line returns the vouch
// and the writes land in order, as the member's, verified by the mirror's
// own keyring.
func TestVouchedKeyWritesWhileTheLineIsDown(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)
	m := openServingMirror(t, c, d, "il.duty")
	round(t, m)
	c.stop()

	k := newKey(t)
	reg := registration(t, k, "il.military")
	if _, err := m.Vouch(ctx, "il.commercial", reg); !errors.Is(err, mirror.ErrNotQueued) {
		t.Errorf("a registration naming another member than the one signed in: %v, want ErrNotQueued", err)
	}
	if _, err := m.Vouch(ctx, "il.military", registration(t, k, "")); !errors.Is(err, mirror.ErrNotQueued) {
		t.Errorf("a registration naming no member: %v, want ErrNotQueued", err)
	}
	if _, err := m.Vouch(ctx, "il.military", registration(t, d.Key(t, "il.military"), "il.military")); !errors.Is(err, cellpkg.ErrConflict) {
		t.Errorf("a key the log holds: %v, want ErrConflict", err)
	}
	o, err := m.Vouch(ctx, "il.military", reg)
	if err != nil || o.State != mirror.Waiting || o.Kind != cellpkg.KindKeyVouch || o.Member != "il.duty" || o.Waiting != 1 {
		t.Fatalf("the vouch with the line down: %+v, %v; want il.duty's key.vouch waiting", o, err)
	}
	// The browser asks again (its page reloaded): the same vouch.
	if again, err := m.Vouch(ctx, "il.military", registration(t, k, "il.military")); err != nil || again.Seq != o.Seq || again.Waiting != 1 {
		t.Fatalf("vouching again: %+v, %v; want the queued vouch", again, err)
	}
	// The member who asked is shown the vouch among their own writes.
	if box, err := m.Outbox(ctx); err != nil || len(box) != 1 || box[0].For() != "il.military" {
		t.Fatalf("the outbox: %+v, %v; want the vouch, for il.military", box, err)
	}
	if err := m.Dismiss(ctx, "il.military", o.ID); !errors.Is(err, mirror.ErrNotInOutbox) {
		t.Errorf("a write that waits was dismissed: %v", err)
	}
	pk, ok := m.PendingKey(ctx, k.ID())
	if !ok || pk.Member != "il.military" || pk.Party != "il" || pk.VouchedBy != "il.duty" {
		t.Fatalf("the pending key: %+v, %v", pk, ok)
	}
	write := signedWith(t, k, "joint-military", "from the browser at the mirror")
	if _, err := m.Submit(ctx, "il.commercial", write); !errors.Is(err, mirror.ErrNotQueued) {
		t.Errorf("another member's write with the new key: %v, want ErrNotQueued", err)
	}
	if o, err := m.Submit(ctx, "il.military", write); err != nil || o.State != mirror.Waiting || o.Waiting != 2 {
		t.Fatalf("a write of the vouched key with the line down: %+v, %v", o, err)
	}

	c = startCellAt(t, d.Dir, nil, c.Addr)
	if r := round(t, m); r.Sent != 2 || r.Refused != 0 || r.Waiting != 0 {
		t.Fatalf("the round when the line returned: %+v, want both sent", r)
	}
	if err := c.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	round(t, m)
	// The other side reads whose key it is, and who vouched for it.
	key, err := c.login(t, "sy.duty").Key(ctx, k.ID())
	if err != nil {
		t.Fatal(err)
	}
	if key.Member != "il.military" || key.Party != "il" || key.VouchedBy != "il.duty" || key.Revoked {
		t.Errorf("the key at the cell: %+v", key)
	}
	var vouchAt, writeAt int64 = -1, -1
	for _, e := range mirrorEntries(t, m) {
		switch {
		case e.Envelope.Kind() == cellpkg.KindKeyVouch && e.Index == key.Registered:
			vouchAt = e.Index
			if e.Member != "il.duty" {
				t.Errorf("the vouch is %s's, want the mirror's admin's", e.Member)
			}
		case e.KeyID == k.ID():
			writeAt = e.Index
			if e.Member != "il.military" || e.Party != "il" {
				t.Errorf("the write landed as %s of %s", e.Member, e.Party)
			}
		}
	}
	if vouchAt < 0 || writeAt <= vouchAt {
		t.Errorf("vouch at %d, write at %d: want both, the vouch first", vouchAt, writeAt)
	}
	if _, ok := m.PendingKey(ctx, k.ID()); ok {
		t.Error("the key is still pending once the mirror verified its vouch")
	}
	// The other side's evidence bundle of the write checks offline: it
	// carries the vouch, and the admin's own key registration behind it.
	b, err := evidence.Build(ctx, verify.NewHTTPSource(c.login(t, "sy.duty"), testlog.Cell), []int64{writeAt})
	if err != nil {
		t.Fatal(err)
	}
	got, err := evidence.Check(b)
	if err != nil {
		t.Fatalf("Syria's bundle of the write does not check: %v", err)
	}
	if len(got.Cited) != 1 || got.Cited[0].Member != "il.military" || got.Cited[0].KeyID != k.ID() {
		t.Errorf("the bundle cites %+v", got.Cited)
	}
}

// Only a party's admin vouches: a mirror signed in as another member says
// so at once and keeps nothing; a vouch the cell refuses (the member was
// disabled meanwhile) takes the key's writes down with it, and the mirror
// then says why it takes none more.
func TestVouchRefused(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	c := startCell(t, d.Dir, nil)

	desk := openServingMirror(t, c, d, "il.military")
	round(t, desk)
	if _, err := desk.Vouch(ctx, "il.commercial", registration(t, newKey(t), "il.commercial")); !errors.Is(err, cellpkg.ErrForbidden) || !strings.Contains(err.Error(), "il.military") {
		t.Errorf("a mirror of a member who is not an admin: %v, want ErrForbidden naming it", err)
	}
	if box, err := desk.Outbox(ctx); err != nil || len(box) != 0 {
		t.Errorf("the refused vouch was kept: %+v, %v", box, err)
	}

	m := openServingMirror(t, c, d, "il.duty")
	round(t, m)
	if _, err := m.Vouch(ctx, "sy.military", registration(t, newKey(t), "sy.military")); err == nil {
		t.Error("Israel's mirror vouched for a key of Syria's member")
	}
	c.stop()
	k := newKey(t)
	if _, err := m.Vouch(ctx, "il.commercial", registration(t, k, "il.commercial")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Submit(ctx, "il.commercial", signedWith(t, k, "joint-commercial", "queued behind the vouch")); err != nil {
		t.Fatal(err)
	}
	c = startCellAt(t, d.Dir, nil, c.Addr)
	off, err := client.Sign(d.Key(t, "il.duty"), testlog.Cell, cellpkg.KindMemberUpdate, map[string]any{
		"member": map[string]any{"id": "il.commercial", "name": "Israel commercial officer", "roles": []string{"commercial"}, "disabled": true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.login(t, "il.duty").Submit(ctx, "/entries", off); err != nil {
		t.Fatal(err)
	}
	if r := round(t, m); r.Refused != 2 || r.Sent != 0 {
		t.Fatalf("the round: %+v, want the vouch and the write refused", r)
	}
	if _, err := m.Submit(ctx, "il.commercial", signedWith(t, k, "joint-commercial", "after the refusal")); !errors.Is(err, mirror.ErrNotQueued) || !strings.Contains(err.Error(), "refused its vouch") {
		t.Errorf("a write of a key whose vouch was refused: %v", err)
	}
	if _, ok := m.PendingKey(ctx, k.ID()); ok {
		t.Error("a key whose vouch was refused is pending")
	}
	// Read, the refusals are dismissed by the member they are for, and by
	// no colleague.
	box, err := m.Outbox(ctx)
	if err != nil || len(box) != 2 {
		t.Fatalf("the outbox: %+v, %v", box, err)
	}
	for _, q := range box {
		if err := m.Dismiss(ctx, "il.military", q.ID); !errors.Is(err, mirror.ErrNotInOutbox) {
			t.Errorf("a colleague dismissed %s: %v", q.Kind, err)
		}
		if err := m.Dismiss(ctx, "il.commercial", q.ID); err != nil {
			t.Errorf("il.commercial dismisses its refused %s: %v", q.Kind, err)
		}
	}
	if box, err := m.Outbox(ctx); err != nil || len(box) != 0 {
		t.Errorf("after dismissing: %+v, %v", box, err)
	}
}
