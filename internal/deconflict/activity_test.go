package deconflict_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
)

// soon is the start of the test's windows: far enough ahead that a notice
// rule of one hour is met.
func soon() time.Time { return time.Now().Add(2 * time.Hour).Truncate(time.Minute) }

func detail(t *testing.T, f *fixture, party string, id int64) (deconflict.NotificationDetail, bool) {
	t.Helper()
	d, err := deconflict.GetNotification(f.ctx, f.view(party), id)
	if errors.Is(err, store.ErrNotFound) {
		return d, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return d, true
}

// The zone rules in force: a prohibited activity, a notice shorter than
// the lead time and a protected site's buffer are each reported with the
// accepted notification; an allowed activity, a zone only drafted, a
// distance beyond the buffer are not.
func TestNotifyBreaksZoneRules(t *testing.T) {
	f := newFixture(t)
	f.agree(map[string]any{"id": "aos", "name": "Area of Separation", "kind": "separation", "geometry": square(35.85, 33.05, 0.1),
		"rules": map[string]any{"humanitarian_convoy": map[string]any{"rule": "allowed"}}})
	f.agree(map[string]any{"id": "band", "name": "Limitation band", "kind": "limitation", "geometry": square(36.05, 33.05, 0.1),
		"rules": map[string]any{"exercise": map[string]any{"rule": "notice", "lead_time_s": 6 * 3600}}})
	// A town with a 2 km buffer around a 500 m circle.
	f.agree(map[string]any{"id": "town", "name": "Hadar", "kind": "protected", "geometry": point(35.90, 33.30), "radius_m": 500, "buffer_m": 2000})
	f.OK("il.mil", deconflict.KindZonePropose, map[string]any{"zone": map[string]any{"id": "draft", "name": "Draft", "kind": "separation", "geometry": square(35.70, 32.80, 0.1)}})

	start := soon()
	for _, tc := range []struct {
		name, typ string
		geometry  json.RawMessage
		want      []string // zone/rule
	}{
		{"artillery in the area of separation", "artillery", square(35.85, 33.05, 0.02), []string{"aos/prohibited"}},
		{"a convoy through it, as the zone allows", "humanitarian_convoy", square(35.85, 33.05, 0.02), nil},
		{"an exercise in the band on short notice", "exercise", square(36.05, 33.05, 0.02), []string{"band/notice"}},
		{"an exercise 1.5 km from the town's edge", "exercise", point(35.90, 33.30+0.018), []string{"town/protected"}},
		{"an exercise 4 km from the town", "exercise", point(35.90, 33.30+0.036), nil},
		{"artillery in the drafted zone", "artillery", square(35.70, 32.80, 0.02), nil},
	} {
		vol := volume(tc.geometry, start, start.Add(time.Hour), nil)
		if strings.Contains(string(tc.geometry), "Point") {
			vol["radius_m"] = 100
		}
		e := f.OK("il.mil", deconflict.KindActivityNotify, notify(tc.typ, tc.name, []string{"sy"}, vol))
		d, _ := detail(t, f, "il", e.Index)
		var got []string
		for _, zc := range d.Versions[0].ZoneConflicts {
			got = append(got, zc.Zone+"/"+zc.Rule)
			if zc.Rule == "notice" && (zc.LeadTime != 6*3600 || zc.Given <= 0 || zc.Given >= 6*3600) {
				t.Errorf("%s: notice %+v", tc.name, zc)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: zone conflicts %v, want %v", tc.name, got, tc.want)
		}
		// Ended, so that the next case does not overlap it.
		f.OK("il.mil", deconflict.KindActivityEnd, map[string]any{"notification": e.Index, "state": "withdrawn"})
	}
}

// A notification that overlaps another party's, which its notifier reads,
// is refused until it names it at its current version: 409 with the list.
// Then both parties (and the mediator) read the conflict; the observer,
// which reads neither, nothing of it.
func TestOverlapMustBeNamed(t *testing.T) {
	f := newFixture(t)
	start := soon()
	a := f.OK("sy.mil", deconflict.KindActivityNotify, notify("ground_movement", "Convoy to Quneitra", []string{"il"},
		volume(line([2]float64{35.80, 33.10}, [2]float64{35.85, 33.12}), start, start.Add(3*time.Hour), map[string]any{"width_m": 400})))
	wantAudience(t, a, "il", "sy", "us")

	b := notify("air_patrol", "Patrol over the ridge", []string{"sy"},
		volume(square(35.83, 33.11, 0.02), start.Add(time.Hour), start.Add(2*time.Hour), map[string]any{"alt_lo_m": 0, "alt_hi_m": 3000}))
	err := f.Fails(cell.ErrConflict, "il.mil", deconflict.KindActivityNotify, b)
	var un *deconflict.UnnamedConflicts
	if !errors.As(err, &un) || len(un.Conflicts) != 1 || un.Conflicts[0].Notification != a.Index || un.Conflicts[0].Version != 1 || un.Conflicts[0].Party != "sy" {
		t.Fatalf("the refusal: %v (%+v)", err, un)
	}
	// A stale version is no name.
	b["seen"] = []map[string]any{{"notification": a.Index, "version": 2}}
	f.Fails(cell.ErrConflict, "il.mil", deconflict.KindActivityNotify, b)
	b["seen"] = []map[string]any{{"notification": a.Index, "version": 1}}
	eb := f.OK("il.mil", deconflict.KindActivityNotify, b)

	for _, party := range []string{"il", "sy", "us"} {
		for _, id := range []int64{a.Index, eb.Index} {
			d, ok := detail(t, f, party, id)
			if !ok || len(d.Conflicts) != 1 || d.Conflicts[0].Held {
				t.Errorf("%s reads notification %d with conflicts %+v", party, id, d.Conflicts)
			}
		}
	}
	if _, ok := detail(t, f, "jo", eb.Index); ok {
		t.Error("the observer reads a notification not addressed to it")
	}
	objs, err := f.view("jo").List(f.ctx, deconflict.ObjConflict, "", -1, 100)
	if err != nil || len(objs) != 0 {
		t.Errorf("the observer reads conflicts: %d, %v", len(objs), err)
	}

	// Disjoint in time, or in altitude, or in space: no conflict, nothing
	// to name.
	for name, vol := range map[string]map[string]any{
		"after it":       volume(square(35.83, 33.11, 0.02), start.Add(3*time.Hour), start.Add(4*time.Hour), nil),
		"above the band": volume(square(35.83, 33.11, 0.002), start.Add(time.Hour), start.Add(2*time.Hour), map[string]any{"alt_lo_m": 3000, "alt_hi_m": 5000}),
		"beside it":      volume(square(35.83, 33.20, 0.02), start, start.Add(time.Hour), nil),
	} {
		_ = name
		e := f.OK("sy.mil", deconflict.KindActivityNotify, notify("air_patrol", "Clear of the others", []string{"il"}, vol))
		d, _ := detail(t, f, "sy", e.Index)
		// "above the band" overlaps Israel's patrol only if bands met.
		if len(d.Conflicts) != 0 {
			t.Errorf("%s: conflicts %+v", name, d.Conflicts)
		}
	}
}

// A conflict with a notification the notifier may not read (one for the
// mediator alone) is accepted without a name, reveals nothing of the other
// to the notifier, and waits for the mediator, who reads both and clears
// it or objects.
func TestBlindConflictIsHeldForTheMediator(t *testing.T) {
	f := newFixture(t)
	start := soon()
	secret := f.OK("il.mil", deconflict.KindActivityNotify, notify("uav_flight", "Surveillance, for the mediator only", nil,
		volume(square(35.95, 33.20, 0.03), start, start.Add(4*time.Hour), nil)))
	wantAudience(t, secret, "il", "us")
	e := f.OK("sy.mil", deconflict.KindActivityNotify, notify("exercise", "Live-fire drill", []string{"il"},
		volume(square(35.96, 33.21, 0.02), start.Add(time.Hour), start.Add(2*time.Hour), nil)))
	d, _ := detail(t, f, "sy", e.Index)
	if !d.Held || len(d.Conflicts) != 0 {
		t.Fatalf("Syria's view: held %v, conflicts %+v", d.Held, d.Conflicts)
	}
	if _, ok := detail(t, f, "sy", secret.Index); ok {
		t.Fatal("Syria reads the mediator's notification")
	}
	m, _ := detail(t, f, "us", e.Index)
	if len(m.Conflicts) != 1 || !m.Conflicts[0].Held || m.Conflicts[0].B.Notification != secret.Index {
		t.Fatalf("the mediator's view: %+v", m.Conflicts)
	}
	if _, ok := obj[dues.Due](f, f.view("us"), dues.ObjDue, dues.ID(deconflict.DueConflict, e.Index, "us")); !ok {
		t.Fatal("the mediator owes no decision on the held conflict")
	}
	// Israel, which reads its own secret but not Syria's drill... does read
	// the drill: it is addressed. The conflict is still the mediator's,
	// because Syria may not read the secret.
	if il, _ := detail(t, f, "il", e.Index); len(il.Conflicts) != 1 {
		t.Errorf("Israel, which reads both, sees conflicts %+v", il.Conflicts)
	}
	f.Fails(cell.ErrForbidden, "sy.mil", deconflict.KindConflictClear, map[string]any{"notification": e.Index, "version": 1, "decision": "cleared"})
	f.Fails(cell.ErrInvalid, "us.mil", deconflict.KindConflictClear, map[string]any{"notification": e.Index, "version": 1, "decision": "objection"})
	f.OK("us.mil", deconflict.KindConflictClear, map[string]any{"notification": e.Index, "version": 1, "decision": "cleared", "note": "deconflicted by altitude"})
	if d, _ := detail(t, f, "sy", e.Index); d.Held || len(d.Conflicts) != 0 {
		t.Errorf("after clearing, Syria's view: held %v, conflicts %+v", d.Held, d.Conflicts)
	}
	if _, ok := obj[dues.Due](f, f.view(""), dues.ObjDue, dues.ID(deconflict.DueConflict, e.Index, "us")); ok {
		t.Error("the mediator still owes a decision")
	}
	f.Fails(cell.ErrConflict, "us.mil", deconflict.KindConflictClear, map[string]any{"notification": e.Index, "version": 1, "decision": "cleared"})
}

// The addressed parties answer the current version, once; an objection
// gives its reason; an amendment asks again; the notifier ends it.
func TestAnswersAmendAndEnd(t *testing.T) {
	f := newFixture(t)
	start := soon()
	e := f.OK("il.mil", deconflict.KindActivityNotify, notify("demining", "Clearing the Quneitra road", []string{"sy"},
		volume(square(35.82, 33.12, 0.01), start, start.Add(6*time.Hour), nil)))
	id := e.Index
	due := dues.ID(deconflict.DueAnswer, id, "sy")
	if _, ok := obj[dues.Due](f, f.view("sy"), dues.ObjDue, due); !ok {
		t.Fatal("Syria owes no answer")
	}
	answer := func(v int, a, reason string) map[string]any {
		m := map[string]any{"notification": id, "version": v, "answer": a}
		if reason != "" {
			m["reason"] = reason
		}
		return m
	}
	f.Fails(cell.ErrForbidden, "jo.duty", deconflict.KindActivityAnswer, answer(1, "no_objection", ""))
	f.Fails(cell.ErrInvalid, "sy.mil", deconflict.KindActivityAnswer, answer(1, "objection", ""))
	f.Fails(cell.ErrConflict, "sy.mil", deconflict.KindActivityAnswer, answer(2, "no_objection", ""))
	ae := f.OK("sy.mil", deconflict.KindActivityAnswer, answer(1, "objection", "the road is ours to clear"))
	wantAudience(t, ae, "il", "sy", "us")
	f.Fails(cell.ErrConflict, "sy.duty", deconflict.KindActivityAnswer, answer(1, "no_objection", ""))
	if _, ok := obj[dues.Due](f, f.view(""), dues.ObjDue, due); ok {
		t.Error("answered, Syria still owes an answer")
	}

	amend := map[string]any{"notification": id, "version": 1, "title": "Clearing the Quneitra road, north half",
		"volumes": []map[string]any{volume(square(35.82, 33.13, 0.005), start, start.Add(3*time.Hour), nil)}}
	f.Fails(cell.ErrForbidden, "sy.mil", deconflict.KindActivityAmend, amend)
	f.OK("il.mil", deconflict.KindActivityAmend, amend)
	f.Fails(cell.ErrConflict, "il.mil", deconflict.KindActivityAmend, amend) // version 1 is gone
	d, _ := detail(t, f, "sy", id)
	if d.Version != 2 || len(d.Versions) != 2 || len(d.Answers) != 1 {
		t.Errorf("after the amendment: version %d, %d versions, %d answers", d.Version, len(d.Versions), len(d.Answers))
	}
	if x, ok := obj[dues.Due](f, f.view("sy"), dues.ObjDue, due); !ok || x.Round != 1 {
		t.Errorf("the amendment does not ask Syria again: %+v", x)
	}
	f.OK("sy.mil", deconflict.KindActivityAnswer, answer(2, "no_objection", ""))

	f.Fails(cell.ErrForbidden, "sy.mil", deconflict.KindActivityEnd, map[string]any{"notification": id, "state": "executed"})
	f.Fails(cell.ErrInvalid, "il.mil", deconflict.KindActivityEnd, map[string]any{"notification": id, "state": "done"})
	f.OK("il.mil", deconflict.KindActivityEnd, map[string]any{"notification": id, "state": "executed"})
	f.Fails(cell.ErrConflict, "il.mil", deconflict.KindActivityEnd, map[string]any{"notification": id, "state": "withdrawn"})
	f.Fails(cell.ErrForbidden, "jo.duty", deconflict.KindActivityAnswer, answer(2, "no_objection", "")) // an observer does not act here
}

// Volumes are checked: windows, bands, geometry in the region.
func TestNotifyValidation(t *testing.T) {
	f := newFixture(t)
	start := soon()
	good := func() map[string]any { return volume(square(35.9, 33.1, 0.01), start, start.Add(time.Hour), nil) }
	for name, change := range map[string]func(v map[string]any){
		"a window backwards":        func(v map[string]any) { v["end"] = start.Add(-time.Hour).Format(time.RFC3339) },
		"a window of two months":    func(v map[string]any) { v["end"] = start.AddDate(0, 2, 0).Format(time.RFC3339) },
		"a window already over":     func(v map[string]any) { v["start"], v["end"] = "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z" },
		"half an altitude band":     func(v map[string]any) { v["alt_lo_m"] = 0 },
		"a band upside down":        func(v map[string]any) { v["alt_lo_m"], v["alt_hi_m"] = 3000, 1000 },
		"a band to the moon":        func(v map[string]any) { v["alt_lo_m"], v["alt_hi_m"] = 0, 400000 },
		"outside the region":        func(v map[string]any) { v["geometry"] = square(31.0, 30.0, 0.01) },
		"a route without its width": func(v map[string]any) { v["geometry"] = line([2]float64{35.8, 33.1}, [2]float64{35.9, 33.1}) },
	} {
		v := good()
		change(v)
		if _, err := f.As("il.mil", deconflict.KindActivityNotify, notify("exercise", name, []string{"sy"}, v)); !errors.Is(err, cell.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	for name, n := range map[string]map[string]any{
		"no volume":        notify("exercise", "x", []string{"sy"}),
		"an unknown type":  notify("parade", "x", []string{"sy"}, good()),
		"itself addressed": notify("exercise", "x", []string{"il"}, good()),
		"an unknown party": notify("exercise", "x", []string{"lb"}, good()),
		"no title":         notify("exercise", " ", []string{"sy"}, good()),
		"a name it cannot see": func() map[string]any {
			n := notify("exercise", "x", []string{"sy"}, good())
			n["seen"] = []map[string]any{{"notification": 3, "version": 1}}
			return n
		}(),
	} {
		if _, err := f.As("il.mil", deconflict.KindActivityNotify, n); !errors.Is(err, cell.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	f.Fails(cell.ErrForbidden, "il.dip", deconflict.KindActivityNotify, notify("exercise", "x", []string{"sy"}, good()))
	f.Fails(cell.ErrForbidden, "jo.duty", deconflict.KindActivityNotify, notify("exercise", "x", []string{"sy"}, good()))
}

// The index finds exactly what a scan of every notification finds, for
// random volumes, while it follows the log and after a restart rebuilds
// it from the store.
func TestIndexFindsWhatAScanFinds(t *testing.T) {
	f := newFixture(t)
	rng := rand.New(rand.NewPCG(7, 11))
	start := soon()
	randVol := func() map[string]any {
		lng, lat := 35.6+rng.Float64()*0.6, 32.6+rng.Float64()*0.8
		s := start.Add(time.Duration(rng.IntN(48)) * time.Hour)
		return volume(square(lng, lat, 0.01+rng.Float64()*0.05), s, s.Add(time.Duration(1+rng.IntN(12))*time.Hour), nil)
	}
	var ids []int64
	for i := range 60 {
		who := []string{"il.mil", "sy.mil"}[i%2]
		to := []string{"sy"}
		if who == "sy.mil" {
			to = []string{"il"}
		}
		n := notify("exercise", "random", to, randVol())
		// Name whatever it overlaps: the scan below says what that is.
		for {
			r, err := f.As(who, deconflict.KindActivityNotify, n)
			var un *deconflict.UnnamedConflicts
			if errors.As(err, &un) {
				var seen []map[string]any
				for _, c := range un.Conflicts {
					seen = append(seen, map[string]any{"notification": c.Notification, "version": c.Version})
				}
				n["seen"] = seen
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.Entry.Index)
			break
		}
	}
	// Every conflict recorded is one a scan finds, and the other way round.
	check := func(f *fixture) {
		t.Helper()
		for _, id := range ids {
			d, _ := detail(t, f, "us", id)
			var got []int64
			for _, c := range d.Conflicts {
				got = append(got, c.B.Notification)
			}
			slices.Sort(got)
			got = slices.Compact(got)
			var want []int64
			for _, other := range ids {
				if other == id {
					continue
				}
				o, _ := detail(t, f, "us", other)
				if o.Party == d.Party {
					continue
				}
				meet, err := deconflict.VolumesMeet(d.Versions[0].Volumes, o.Versions[0].Volumes)
				if err != nil {
					t.Fatal(err)
				}
				if meet {
					want = append(want, other)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("notification %d: conflicts with %v, a scan finds %v", id, got, want)
			}
		}
	}
	check(f)
	if n, synced := f.desk.Size(testCell); n != len(ids) || synced != f.Size() {
		t.Errorf("the index holds %d volumes, followed to %d; want %d, %d", n, synced, len(ids), f.Size())
	}

	// A new server on the same store builds its index from the store
	// before it decides anything.
	desk := deconflict.New()
	reg := cell.NewRegistry()
	desk.Register(reg)
	if err := reg.Committed(f.ctx, testCell, f.st.View(testCell), f.Size()); err != nil {
		t.Fatal(err)
	}
	if n, _ := desk.Size(testCell); n != len(ids) {
		t.Errorf("rebuilt from the store, the index holds %d volumes, want %d", n, len(ids))
	}
}

// Two servers on one store (as PostgreSQL nodes are) decide the same: the
// second's index never saw the first's notification, yet the second
// refuses an overlap it was not told of, and both find the conflict.
func TestAnotherNodesNotificationIsSeen(t *testing.T) {
	f := newFixture(t)
	start := soon()
	// The second node: its own desk, its own (empty, then followed) index.
	desk := deconflict.New()
	reg := cell.NewRegistry()
	dues.Register(reg)
	desk.Register(reg)
	led2, err := ledger.New(ledger.Config{Store: f.st, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(led2.Close)
	if _, err := led2.OpenAll(f.ctx); err != nil {
		t.Fatal(err)
	}
	node2 := seed.Seeder{Ledger: led2, Store: f.st}

	a := f.OK("sy.mil", deconflict.KindActivityNotify, notify("exercise", "On node one", []string{"il"},
		volume(square(35.95, 33.0, 0.02), start, start.Add(time.Hour), nil)))
	b := notify("exercise", "On node two", []string{"sy"}, volume(square(35.955, 33.0, 0.02), start, start.Add(time.Hour), nil))
	if _, err := node2.As(f.ctx, testCell, f.keys["il.mil"], deconflict.KindActivityNotify, b); !errors.Is(err, cell.ErrConflict) {
		t.Fatalf("node two accepted an unnamed overlap: %v", err)
	}
	b["seen"] = []map[string]any{{"notification": a.Index, "version": 1}}
	if _, err := node2.As(f.ctx, testCell, f.keys["il.mil"], deconflict.KindActivityNotify, b); err != nil {
		t.Fatal(err)
	}
}

// Overlapping notifications submitted at once, which may be decided in
// one batch: one is accepted, the other refused for not naming it.
func TestOverlapsInOneBatch(t *testing.T) {
	f := newFixture(t)
	start := soon()
	for round := range 8 {
		lat := 32.7 + float64(round)*0.08
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, who := range []string{"il.mil", "sy.mil"} {
			to := map[string]string{"il.mil": "sy", "sy.mil": "il"}[who]
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.As(who, deconflict.KindActivityNotify, notify("exercise", "at once", []string{to},
					volume(square(35.7+0.001*float64(i), lat, 0.02), start, start.Add(time.Hour), nil)))
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, cell.ErrConflict):
				refused++
			default:
				t.Fatal(err)
			}
		}
		if ok != 1 || refused != 1 {
			t.Errorf("round %d: %d accepted, %d refused; want one each", round, ok, refused)
		}
	}
}

// Conflicts are found exactly: shapes that touch conflict, a window that
// ends as another starts and a band that tops out where another begins do
// not, and a route's width and a site's buffer count to the metre.
func TestConflictGeometry(t *testing.T) {
	f := newFixture(t)
	start := soon()
	const dLat = 1 / 111_195.0 // a metre north, in degrees
	// A protected site: a 200 m circle with a 1 km buffer.
	f.agree(map[string]any{"id": "site", "name": "Clinic", "kind": "protected", "geometry": point(35.60, 33.40), "radius_m": 200, "buffer_m": 1000})
	lat := 32.6
	for _, tc := range []struct {
		name     string
		a, b     map[string]any
		conflict bool
	}{
		{"touching boxes", volume(square(35.70, 0, 0.02), start, start.Add(time.Hour), nil), volume(square(35.72, 0, 0.02), start, start.Add(time.Hour), nil), true},
		{"overlapping boxes", volume(square(35.70, 0, 0.02), start, start.Add(time.Hour), nil), volume(square(35.71, 0, 0.02), start, start.Add(time.Hour), nil), true},
		{"one inside the other", volume(square(35.70, 0, 0.04), start, start.Add(time.Hour), nil), volume(square(35.70, 0, 0.01), start, start.Add(time.Hour), nil), true},
		{"100 m apart", volume(square(35.70, 0, 0.02), start, start.Add(time.Hour), nil), volume(square(35.72+100/93_300.0, 0, 0.02), start, start.Add(time.Hour), nil), false},
		{"one after the other", volume(square(35.70, 0, 0.02), start, start.Add(time.Hour), nil), volume(square(35.70, 0, 0.02), start.Add(time.Hour), start.Add(2*time.Hour), nil), false},
		{"one above the other", volume(square(35.70, 0, 0.02), start, start.Add(time.Hour), map[string]any{"alt_lo_m": 0, "alt_hi_m": 1000}),
			volume(square(35.70, 0, 0.02), start, start.Add(time.Hour), map[string]any{"alt_lo_m": 1000, "alt_hi_m": 2000}), false},
		{"bands that meet", volume(square(35.70, 0, 0.02), start, start.Add(time.Hour), map[string]any{"alt_lo_m": 0, "alt_hi_m": 1001}),
			volume(square(35.70, 0, 0.02), start, start.Add(time.Hour), map[string]any{"alt_lo_m": 1000, "alt_hi_m": 2000}), true},
		// A 100 m circle 500 m south of a route: a 600 m wide route passes
		// 200 m clear of it, a 900 m wide one overlaps it by 50 m.
		{"a narrow route clear of a post", volume(point(35.70, -500*dLat), start, start.Add(time.Hour), map[string]any{"radius_m": 100}),
			volume(line([2]float64{35.69, 0}, [2]float64{35.71, 0}), start, start.Add(time.Hour), map[string]any{"width_m": 600}), false},
		{"a wide route over a post", volume(point(35.70, -500*dLat), start, start.Add(time.Hour), map[string]any{"radius_m": 100}),
			volume(line([2]float64{35.69, 0}, [2]float64{35.71, 0}), start, start.Add(time.Hour), map[string]any{"width_m": 900}), true},
	} {
		lat += 0.05 // each case on its own
		shift := func(v map[string]any) map[string]any {
			var g map[string]any
			json.Unmarshal(v["geometry"].(json.RawMessage), &g)
			g["coordinates"] = shiftCoords(g["coordinates"], lat)
			b, _ := json.Marshal(g)
			out := map[string]any{}
			for k, x := range v {
				out[k] = x
			}
			out["geometry"] = json.RawMessage(b)
			return out
		}
		a := f.OK("sy.mil", deconflict.KindActivityNotify, notify("exercise", tc.name, []string{"il"}, shift(tc.a)))
		_, err := f.As("il.mil", deconflict.KindActivityNotify, notify("exercise", tc.name, []string{"sy"}, shift(tc.b)))
		var un *deconflict.UnnamedConflicts
		switch got := errors.As(err, &un); {
		case err != nil && !got:
			t.Fatalf("%s: %v", tc.name, err)
		case got != tc.conflict:
			t.Errorf("%s: conflict %v, want %v", tc.name, got, tc.conflict)
		case got && (len(un.Conflicts) != 1 || un.Conflicts[0].Notification != a.Index):
			t.Errorf("%s: conflicts %+v", tc.name, un.Conflicts)
		}
	}
	// A 100 m circle at 1,250 m from the clinic's centre is inside its
	// 200 m + 1 km buffer by 50 m; at 1,350 m it is 50 m clear.
	for d, want := range map[float64]bool{1250: true, 1350: false} {
		e := f.OK("il.mil", deconflict.KindActivityNotify, notify("exercise", "near the clinic", []string{"sy"},
			volume(point(35.60, 33.40+d*dLat), start.Add(5*time.Hour), start.Add(6*time.Hour), map[string]any{"radius_m": 100})))
		d2, _ := detail(t, f, "il", e.Index)
		if got := len(d2.Versions[0].ZoneConflicts) == 1; got != want {
			t.Errorf("at %g m from the clinic: a protected-site conflict %v, want %v (%+v)", d, got, want, d2.Versions[0].ZoneConflicts)
		}
	}
}

// shiftCoords adds lat to every latitude of GeoJSON coordinates.
func shiftCoords(c any, lat float64) any {
	switch c := c.(type) {
	case []any:
		if len(c) == 2 {
			if lng, ok := c[0].(float64); ok {
				return []any{lng, c[1].(float64) + lat}
			}
		}
		out := make([]any, len(c))
		for i, x := range c {
			out[i] = shiftCoords(x, lat)
		}
		return out
	}
	return c
}
