package deconflict

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/geo"
	"github.com/liaison-cell/liaison/internal/store"
)

// The desk's reads. Each takes the view of the member it answers (the
// API's cell.ReadView), so that it holds only what that member may read;
// none of them filters on its own.

// ErrNotFound is the answer about something that does not exist, or that
// the reader may not read: the same answer for both.
var ErrNotFound = store.ErrNotFound

func list[T any](ctx context.Context, v store.View, kind, parent string) ([]T, error) {
	out := []T{}
	for after := int64(-1); ; {
		objs, err := v.List(ctx, kind, parent, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			after = o.Seq
			var x T
			if err := unmarshal(o, &x); err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		if len(objs) < 1000 {
			return out, nil
		}
	}
}

func one[T any](ctx context.Context, v store.View, kind, id string) (T, error) {
	var x T
	o, err := v.Get(ctx, kind, id)
	if err != nil {
		return x, err
	}
	return x, unmarshal(o, &x)
}

// Zones lists the zones.
func Zones(ctx context.Context, v store.View) ([]Zone, error) { return list[Zone](ctx, v, ObjZone, "") }

// ZoneDetail is a zone with all its versions.
type ZoneDetail struct {
	Zone
	Versions []ZoneVersion `json:"versions"`
}

// GetZone returns a zone with its versions.
func GetZone(ctx context.Context, v store.View, id string) (ZoneDetail, error) {
	z, err := one[Zone](ctx, v, ObjZone, id)
	if err != nil {
		return ZoneDetail{}, err
	}
	vs, err := list[ZoneVersion](ctx, v, ObjZoneVersion, id)
	return ZoneDetail{Zone: z, Versions: vs}, err
}

// ZoneFeature is a zone version with its state, for the map and exports.
type ZoneFeature struct {
	ZoneVersion
	Agreed bool `json:"agreed"`
}

// ZoneFeatures returns, for each zone, the version in force and (with
// drafts) a later draft: the map shows both, drafts as drafts.
func ZoneFeatures(ctx context.Context, v store.View, drafts bool) ([]ZoneFeature, error) {
	zs, err := Zones(ctx, v)
	if err != nil {
		return nil, err
	}
	var out []ZoneFeature
	for _, z := range zs {
		var ns []int
		if z.Agreed > 0 {
			ns = append(ns, z.Agreed)
		}
		if drafts && z.Latest > z.Agreed {
			ns = append(ns, z.Latest)
		}
		for _, n := range ns {
			zv, err := one[ZoneVersion](ctx, v, ObjZoneVersion, ZoneVersionID(z.ID, n))
			if err != nil {
				return nil, err
			}
			out = append(out, ZoneFeature{ZoneVersion: zv, Agreed: n == z.Agreed})
		}
	}
	return out, nil
}

// Forces lists the declarations and inspections of a zone, newest last.
func Forces(ctx context.Context, v store.View, zone string) ([]Declaration, []Inspection, error) {
	ds, err := list[Declaration](ctx, v, ObjDeclaration, zone)
	if err != nil {
		return nil, nil, err
	}
	is, err := list[Inspection](ctx, v, ObjInspection, zone)
	return ds, is, err
}

// Notifications lists notifications after the cursor, at most limit, and
// the cursor of the last one.
func Notifications(ctx context.Context, v store.View, after int64, limit int) ([]Notification, int64, error) {
	objs, err := v.List(ctx, ObjNotification, "", after, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Notification, 0, len(objs))
	last := after
	for _, o := range objs {
		var n Notification
		if err := unmarshal(o, &n); err != nil {
			return nil, 0, err
		}
		out = append(out, n)
		last = o.Seq
	}
	return out, last, nil
}

// NotificationDetail is a notification with its versions, the answers to
// them and the conflicts its reader may read.
type NotificationDetail struct {
	Notification
	Versions  []NotificationVersion `json:"versions"`
	Answers   []Answer              `json:"answers"`
	Conflicts []Conflict            `json:"conflicts"`
}

// GetNotification returns a notification with all about it.
func GetNotification(ctx context.Context, v store.View, id int64) (NotificationDetail, error) {
	n, err := one[Notification](ctx, v, ObjNotification, itoa(id))
	if err != nil {
		return NotificationDetail{}, err
	}
	d := NotificationDetail{Notification: n}
	if d.Versions, err = list[NotificationVersion](ctx, v, ObjNotifVersion, itoa(id)); err != nil {
		return d, err
	}
	if d.Answers, err = list[Answer](ctx, v, ObjAnswer, itoa(id)); err != nil {
		return d, err
	}
	d.Conflicts, err = list[Conflict](ctx, v, ObjConflict, itoa(id))
	return d, err
}

// Incidents lists incidents after the cursor, at most limit.
func Incidents(ctx context.Context, v store.View, after int64, limit int) ([]Incident, int64, error) {
	objs, err := v.List(ctx, ObjIncident, "", after, limit)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Incident, 0, len(objs))
	last := after
	for _, o := range objs {
		var x Incident
		if err := unmarshal(o, &x); err != nil {
			return nil, 0, err
		}
		out = append(out, x)
		last = o.Seq
	}
	return out, last, nil
}

// IncidentDetail is an incident with its acknowledgements, the notified
// activities at its place and time that its reader may read, and its
// verification.
type IncidentDetail struct {
	Incident
	Acks         []IncidentAck  `json:"acks"`
	Links        []IncidentLink `json:"links"`
	Verification *Verification  `json:"verification,omitempty"`
}

// GetIncident returns an incident with all about it.
func GetIncident(ctx context.Context, v store.View, id int64) (IncidentDetail, error) {
	inc, err := one[Incident](ctx, v, ObjIncident, itoa(id))
	if err != nil {
		return IncidentDetail{}, err
	}
	d := IncidentDetail{Incident: inc}
	if d.Acks, err = list[IncidentAck](ctx, v, ObjIncidentAck, itoa(id)); err != nil {
		return d, err
	}
	if d.Links, err = list[IncidentLink](ctx, v, ObjIncidentLink, itoa(id)); err != nil {
		return d, err
	}
	ver, err := one[Verification](ctx, v, ObjVerification, itoa(id))
	switch {
	case err == nil:
		d.Verification = &ver
	case !errors.Is(err, store.ErrNotFound):
		return d, err
	}
	return d, nil
}

// GetPosture returns the cell's declared posture, nil when none is.
func GetPosture(ctx context.Context, v store.View) (*Posture, error) {
	p, err := one[Posture](ctx, v, ObjPosture, ObjPosture)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return &p, err
}

// Board is the desk's status board, as one reader sees it.
type Board struct {
	Posture *Posture `json:"posture"`
	// Active lists the notifications in force whose windows have not
	// ended, soonest first.
	Active []Notification `json:"active"`
	// Held lists the notifications with a conflict held for the mediator.
	Held []Notification `json:"held"`
	// Awaiting lists what the desk waits on: answers, acknowledgements,
	// findings, soonest deadline first.
	Awaiting []dues.Due `json:"awaiting"`
	// Verifications lists the requests without a finding.
	Verifications []Verification `json:"verifications"`
	// IncidentsByDay counts incidents by day (UTC, "2006-01-02") and
	// category, over the last days days.
	IncidentsByDay map[string]map[string]int `json:"incidents_by_day"`
	Days           int                       `json:"days"`
}

// deskDues are the kinds of dues this desk puts.
var deskDues = []string{DueAnswer, DueConflict, DueIncident, DueVerification}

// GetBoard computes the status board at now.
func GetBoard(ctx context.Context, v store.View, now time.Time, days int) (Board, error) {
	b := Board{Active: []Notification{}, Held: []Notification{}, Awaiting: []dues.Due{}, Verifications: []Verification{},
		IncidentsByDay: map[string]map[string]int{}, Days: days}
	var err error
	if b.Posture, err = GetPosture(ctx, v); err != nil {
		return b, err
	}
	ns, err := list[Notification](ctx, v, ObjNotification, "")
	if err != nil {
		return b, err
	}
	for _, n := range ns {
		if n.State != StateActive || !n.End.After(now) {
			continue
		}
		b.Active = append(b.Active, n)
		if n.Held {
			b.Held = append(b.Held, n)
		}
	}
	slices.SortFunc(b.Active, func(x, y Notification) int { return x.Start.Compare(y.Start) })
	ds, err := list[dues.Due](ctx, v, dues.ObjDue, "")
	if err != nil {
		return b, err
	}
	for _, d := range ds {
		if slices.Contains(deskDues, d.Kind) {
			b.Awaiting = append(b.Awaiting, d)
		}
	}
	dues.Sort(b.Awaiting)
	vs, err := list[Verification](ctx, v, ObjVerification, "")
	if err != nil {
		return b, err
	}
	for _, x := range vs {
		if x.Finding == "" {
			b.Verifications = append(b.Verifications, x)
		}
	}
	since := now.AddDate(0, 0, -days)
	is, err := list[Incident](ctx, v, ObjIncident, "")
	if err != nil {
		return b, err
	}
	for _, inc := range is {
		if inc.OccurredAt.Before(since) {
			continue
		}
		day := inc.OccurredAt.UTC().Format("2006-01-02")
		if b.IncidentsByDay[day] == nil {
			b.IncidentsByDay[day] = map[string]int{}
		}
		b.IncidentsByDay[day][inc.Category]++
	}
	return b, nil
}

// ParseID reads an id from a URL: a log index.
func ParseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// ZoneExists reports whether a zone of the desk exists, draft or agreed:
// what another desk checks before it names one (a withdrawal's phase).
func ZoneExists(ctx context.Context, v store.View, id string) bool {
	_, err := v.Get(ctx, ObjZone, id)
	return err == nil
}

// IncidentsIn lists the incidents v reads that happened in zone: whose
// place meets the zone's agreed footprint (with its buffer), or that
// allege its rules broken. Another desk asks it of a zone it depends on
// (the commercial desk's gates). A zone not agreed has no footprint in
// force and holds no incident but those alleging it.
func IncidentsIn(ctx context.Context, v store.View, zone string) ([]Incident, error) {
	var fp *footprint
	var buffer float64
	if z, err := one[Zone](ctx, v, ObjZone, zone); err == nil && z.Agreed > 0 {
		zv, err := one[ZoneVersion](ctx, v, ObjZoneVersion, ZoneVersionID(zone, z.Agreed))
		if err != nil {
			return nil, err
		}
		if fp, err = parseShape(zv.Content.Shape, nil); err != nil {
			return nil, err
		}
		buffer = zv.Content.BufferM
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var out []Incident
	for after := int64(-1); ; {
		incs, last, err := Incidents(ctx, v, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, inc := range incs {
			in := slices.Contains(inc.Alleged, zone)
			if !in && fp != nil {
				at, err := parseShape(inc.Location, nil)
				in = err == nil && intersects(at, fp, buffer)
			}
			if in {
				out = append(out, inc)
			}
		}
		if len(incs) < 1000 {
			return out, nil
		}
		after = last
	}
}

// Place is a zone as another desk places it (the commercial desk's IATI
// export): its names, and the centroid of the version in force, or of the
// latest while none is.
type Place struct {
	Zone    string
	Name    string
	Names   map[string]string
	Version int
	Agreed  bool
	Point   *geo.Position // nil when the shape cannot be read back
}

// PlaceOf returns zone id's place, as v reads it.
func PlaceOf(ctx context.Context, v store.View, id string) (Place, error) {
	z, ver, fp, err := shapeOf(ctx, v, id)
	if err != nil {
		return Place{}, err
	}
	p := Place{Zone: z.ID, Name: z.Name, Names: z.Names, Version: ver.Version, Agreed: ver.Version != 0 && z.Agreed == ver.Version}
	if fp != nil {
		c := fp.f.Centroid()
		p.Point = &c
	}
	return p, nil
}

// ZonesMeet reports whether zones a and b, as v reads the version of each
// in force (or its latest while none is), share a point: a site said to
// lie in a zone that does not even touch it is a mistake.
func ZonesMeet(ctx context.Context, v store.View, a, b string) (bool, error) {
	_, _, fa, err := shapeOf(ctx, v, a)
	if err != nil {
		return false, err
	}
	_, _, fb, err := shapeOf(ctx, v, b)
	if err != nil || fa == nil || fb == nil {
		return false, err
	}
	return geo.Intersects(fa.f, fb.f, 0), nil
}

// shapeOf is a zone with its version in force, or its latest while none
// is, and that version's footprint (nil when it cannot be read back).
func shapeOf(ctx context.Context, v store.View, id string) (ZoneDetail, ZoneVersion, *footprint, error) {
	z, err := GetZone(ctx, v, id)
	if err != nil {
		return z, ZoneVersion{}, nil, err
	}
	n := z.Agreed
	if n == 0 {
		n = z.Latest
	}
	for _, ver := range z.Versions {
		if ver.Version == n {
			fp, err := parseShape(ver.Content.Shape, nil)
			if err != nil {
				return z, ver, nil, nil
			}
			return z, ver, fp, nil
		}
	}
	return z, ZoneVersion{}, nil, nil
}
