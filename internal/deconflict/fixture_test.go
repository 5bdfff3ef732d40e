package deconflict_test

// The fixture of the desk's tests: a real SQLite store and ledger holding a
// cell with a mediator (us), two sides (il, sy) and an observer (jo), its
// region set to the Golan area, and a member per role the rules tell
// apart. Commands go through ledger.Submit, signed with the members' device
// keys, exactly as the API sends them.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/desks/deskstest"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

const testCell = deskstest.Cell

// golan is the fixture's region.
var golan = cell.Region{South: 32.55, West: 35.55, North: 33.45, East: 36.25}

var testMembers = []seed.MemberSpec{
	{ID: "us.admin", Party: "us", Name: "Mediator admin", Roles: []string{cell.RoleAdmin, cell.RoleDuty}},
	{ID: "us.mil", Party: "us", Name: "Mediator military", Roles: []string{cell.RoleMilitary}},
	{ID: "il.mil", Party: "il", Name: "IL military", Roles: []string{cell.RoleMilitary}},
	{ID: "il.dip", Party: "il", Name: "IL diplomatic", Roles: []string{cell.RoleDiplomatic}},
	{ID: "sy.mil", Party: "sy", Name: "SY military", Roles: []string{cell.RoleMilitary}},
	{ID: "sy.duty", Party: "sy", Name: "SY duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
	{ID: "jo.duty", Party: "jo", Name: "JO duty", Roles: []string{cell.RoleDuty, cell.RoleAdmin}},
}

// fixture is the desks' fixture with this desk's own instance registered
// (its index is asked directly), and the names these tests have always
// used for its parts.
type fixture struct {
	*deskstest.Fixture
	t    testing.TB
	ctx  context.Context
	st   store.Store
	led  *ledger.Ledger
	desk *deconflict.Desk
	sd   seed.Seeder
	keys map[string]*record.DeviceKey
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return openFixture(t, ctx, st)
}

// openFixture seeds a fixture's cell into st, through a ledger with a
// fresh desk.
func openFixture(t *testing.T, ctx context.Context, st store.Store) *fixture {
	t.Helper()
	desk := deconflict.New()
	reg := cell.NewRegistry()
	dues.Register(reg)
	desk.Register(reg)
	d := deskstest.OpenWith(t, ctx, st, reg, testMembers, cell.Settings{Region: &golan})
	return &fixture{Fixture: d, t: t, ctx: ctx, st: st, led: d.Led, desk: desk, sd: d.Sd, keys: d.Keys}
}

// view is the projection as party reads it ("": everything).
func (f *fixture) view(party string) store.View {
	f.t.Helper()
	return f.PartyView(party)
}

func obj[T any](f *fixture, v store.View, kind, id string) (T, bool) {
	f.t.Helper()
	return deskstest.Get[T](f.Fixture, v, kind, id)
}

func wantAudience(t *testing.T, e *record.Entry, want ...string) {
	t.Helper()
	deskstest.WantAudience(t, e, want...)
}

// Geometry helpers, in degrees of longitude and latitude.

// square is a closed square ring of side deg around (lng, lat).
func square(lng, lat, deg float64) json.RawMessage {
	h := deg / 2
	return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		lng-h, lat-h, lng+h, lat-h, lng+h, lat+h, lng-h, lat+h, lng-h, lat-h))
}

func point(lng, lat float64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%g,%g]}`, lng, lat))
}

func line(coords ...[2]float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "LineString", "coordinates": coords})
	return b
}

// volume is a notification's volume over [start, end).
func volume(geometry json.RawMessage, start, end time.Time, extra map[string]any) map[string]any {
	v := map[string]any{"geometry": geometry, "start": start.UTC().Format(time.RFC3339), "end": end.UTC().Format(time.RFC3339)}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

func notify(typ, title string, addressed []string, vols ...map[string]any) map[string]any {
	if addressed == nil {
		addressed = []string{}
	}
	return map[string]any{"type": typ, "title": title, "volumes": vols, "addressed": addressed, "precedence": "PRIORITY"}
}

// agree proposes a zone and has every side and the mediator sign it.
func (f *fixture) agree(z map[string]any) int {
	f.t.Helper()
	// Already proposed in these very words: sign that version.
	if _, err := f.As("us.mil", deconflict.KindZonePropose, map[string]any{"zone": z}); err != nil && !errors.Is(err, cell.ErrConflict) {
		f.t.Fatalf("proposing zone %v: %v", z["id"], err)
	}
	id := z["id"].(string)
	zone, _ := obj[deconflict.Zone](f, f.view(""), deconflict.ObjZone, id)
	zv, _ := obj[deconflict.ZoneVersion](f, f.view(""), deconflict.ObjZoneVersion, deconflict.ZoneVersionID(id, zone.Latest))
	for _, who := range []string{"us.mil", "il.mil", "sy.mil"} {
		f.OK(who, deconflict.KindZoneSign, map[string]any{"zone": id, "version": zv.Version, "hash": zv.Hash})
	}
	return zv.Version
}

func itoa(i int64) string { return fmt.Sprint(i) }

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
