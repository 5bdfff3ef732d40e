package deconflict

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// NotifyPayload is the payload of activity.notify.
type NotifyPayload struct {
	record.Header
	Type        string   `json:"type"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Volumes     []Volume `json:"volumes"`
	// Addressed are the parties told, besides the mediator: none means the
	// mediator alone.
	Addressed  []string `json:"addressed"`
	Precedence string   `json:"precedence"`
	// Seen names every notification the new one overlaps that the notifier
	// may read, at its current version: a side cannot later say it did not
	// know.
	Seen []Ref `json:"seen,omitempty"`
}

// AmendPayload is the payload of activity.amend: a new version of a
// notification, checked again.
type AmendPayload struct {
	record.Header
	Notification int64    `json:"notification"`
	Version      int      `json:"version"` // the version it replaces
	Title        string   `json:"title"`
	Description  string   `json:"description,omitempty"`
	Volumes      []Volume `json:"volumes"`
	Seen         []Ref    `json:"seen,omitempty"`
}

// UnnamedConflicts refuses a notification that overlaps notifications its
// notifier may read without naming them, at their current versions.
type UnnamedConflicts struct {
	Conflicts []Overlap
}

// Overlap describes, to whoever may read it, a notification a new one
// overlaps.
type Overlap struct {
	Notification int64     `json:"notification"`
	Version      int       `json:"version"`
	Party        string    `json:"party"`
	Type         string    `json:"type"`
	Title        string    `json:"title"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	Volume       int       `json:"volume"`       // of the new notification
	OtherVolume  int       `json:"other_volume"` // of the one it overlaps
}

func (u *UnnamedConflicts) Error() string {
	var refs []string
	for _, o := range u.Conflicts {
		refs = append(refs, fmt.Sprintf("%d version %d (%s, %s)", o.Notification, o.Version, o.Party, o.Type))
	}
	return fmt.Sprintf("%v: the activity overlaps notifications you may read and did not name in \"seen\": %s; name each with its version and submit again",
		cell.ErrConflict, strings.Join(refs, ", "))
}

func (u *UnnamedConflicts) Unwrap() error { return cell.ErrConflict }

// Extensions implements cell.Detailed.
func (u *UnnamedConflicts) Extensions() map[string]any {
	return map[string]any{"conflicts": u.Conflicts}
}

// volume is a checked volume with its footprint.
type volume struct {
	Volume
	fp             *footprint
	altLo, altHi   float64
	hasAlt         bool
	startNs, endNs int64
}

// Altitude bounds of a volume, in metres: from below sea level to well
// above any aircraft's ceiling.
const (
	minAlt = -500
	maxAlt = 30_000
)

func checkVolumes(vs []Volume, r *cell.Region, now time.Time) ([]volume, error) {
	if len(vs) == 0 {
		return nil, invalid("an activity needs at least one volume")
	}
	if len(vs) > MaxVolumes {
		return nil, invalid("at most %d volumes", MaxVolumes)
	}
	out := make([]volume, 0, len(vs))
	for i, v := range vs {
		at := fmt.Sprintf("volumes[%d]", i)
		fp, err := parseShape(v.Shape, r)
		if err != nil {
			return nil, invalid("%s: %v", at, err)
		}
		v.Shape = fp.shape()
		switch {
		case v.Start.IsZero() || v.End.IsZero():
			return nil, invalid("%s: start and end are required", at)
		case !v.Start.Before(v.End):
			return nil, invalid("%s: the window ends at %s, not after its start %s", at, v.End.UTC().Format(time.RFC3339), v.Start.UTC().Format(time.RFC3339))
		case v.End.Sub(v.Start) > MaxWindow:
			return nil, invalid("%s: a window of at most %d days; notify a standing activity again", at, int(MaxWindow/(24*time.Hour)))
		case !v.End.After(now):
			return nil, invalid("%s: the window ended at %s: notify what is still to come", at, v.End.UTC().Format(time.RFC3339))
		}
		v.Start, v.End = v.Start.UTC(), v.End.UTC()
		x := volume{Volume: v, fp: fp, startNs: v.Start.UnixNano(), endNs: v.End.UnixNano()}
		if (v.AltLo == nil) != (v.AltHi == nil) {
			return nil, invalid("%s: an altitude band has both alt_lo_m and alt_hi_m", at)
		}
		if v.AltLo != nil {
			lo, hi := *v.AltLo, *v.AltHi
			if math.IsNaN(lo) || math.IsNaN(hi) || lo < minAlt || hi > maxAlt || !(lo < hi) {
				return nil, invalid("%s: the altitude band must have %d <= alt_lo_m < alt_hi_m <= %d metres", at, minAlt, maxAlt)
			}
			x.altLo, x.altHi, x.hasAlt = lo, hi, true
		}
		out = append(out, x)
	}
	return out, nil
}

// overlapsIn reports whether two volumes meet in time and altitude; the
// intervals are half-open, so a window that ends as another starts, or a
// band that tops out where another begins, does not meet it.
func overlapsIn(a, b *volume) bool {
	if a.startNs >= b.endNs || b.startNs >= a.endNs {
		return false
	}
	if a.hasAlt && b.hasAlt && (a.altLo >= b.altHi || b.altLo >= a.altHi) {
		return false
	}
	return true
}

func span(vs []volume) (time.Time, time.Time) {
	start, end := vs[0].Start, vs[0].End
	for _, v := range vs[1:] {
		if v.Start.Before(start) {
			start = v.Start
		}
		if v.End.After(end) {
			end = v.End
		}
	}
	return start, end
}

// found is what a check of new volumes found.
type found struct {
	zones []ZoneConflict
	// overlaps with notifications, each with its object's audience mask
	overlaps []foundOverlap
}

type foundOverlap struct {
	Conflict
	party string // the other notification's
	mask  uint64 // of the other notification's object
}

// check finds what volumes of a notification of kind activity by party
// break or overlap: the zone rules in force, and the active notifications
// of other parties. self is the notification being amended (-1 for a new
// one), which does not conflict with itself.
func (d *Desk) check(c *cell.Command, self int64, party, activity string, vs []volume, now time.Time) (found, error) {
	var f found
	zones, err := agreedZones(c)
	if err != nil {
		return f, err
	}
	for i := range vs {
		v := &vs[i]
		for _, z := range zones {
			rule := z.Content.RuleFor(activity)
			if rule.Rule == RuleAllowed || !intersects(v.fp, z.fp, z.Content.BufferM) {
				continue
			}
			zc := ZoneConflict{Zone: z.Zone, Version: z.Version, Name: z.Content.Name, Kind: z.Content.Kind, Rule: rule.Rule, Volume: i}
			if rule.Rule == RuleNotice {
				given := int(v.Start.Sub(now) / time.Second)
				if given >= rule.LeadTime {
					continue
				}
				zc.LeadTime, zc.Given = rule.LeadTime, max(given, 0)
			} else if z.Content.Kind == ZoneProtected {
				zc.Rule = "protected"
			}
			f.zones = append(f.zones, zc)
		}
	}
	cands, err := d.candidates(c, vs)
	if err != nil {
		return f, err
	}
	state, err := d.states(c)
	if err != nil {
		return f, err
	}
	for _, k := range cands {
		if k.n == self || k.party == party {
			continue
		}
		st, ok := state(k.n)
		if !ok {
			continue // a volume without its notification: the index found too much
		}
		if st.State != StateActive || st.Version != k.v || st.Party == party {
			continue
		}
		// Geometry first, from memory where it can: most candidates meet
		// only in their bounds, and need not be read at all.
		ov, err := d.volumeOf(c, k)
		if errors.Is(err, store.ErrNotFound) {
			continue // the index may hold more than the view: it only ever finds too much
		}
		if err != nil {
			return f, err
		}
		var hits []int
		for i := range vs {
			if overlapsIn(&vs[i], &ov) && intersects(vs[i].fp, ov.fp, 0) {
				hits = append(hits, i)
			}
		}
		for _, i := range hits {
			f.overlaps = append(f.overlaps, foundOverlap{party: st.Party, mask: st.mask,
				Conflict: Conflict{B: Ref{Notification: k.n, Version: k.v}, VolumeA: i, VolumeB: k.i, At: now}})
		}
	}
	return f, nil
}

// volumeOf loads a volume of a notification's version: from the desk's
// cache when the index holds it (what was committed never changes), else
// parsed once per batch.
func (d *Desk) volumeOf(c *cell.Command, k candidate) (volume, error) {
	ci := d.cell(c.Entry.Cell)
	vk := versionKey{k.n, k.v}
	if k.committed {
		if vs, ok := ci.cached(vk); ok {
			return pick(vs, k.volKey)
		}
	}
	vs, err := store.Memoized(c.View, "deconflict.version/"+VersionID(k.n, k.v), []string{ObjNotifVersion}, func() ([]volume, error) {
		nv, _, err := get[NotificationVersion](c, ObjNotifVersion, VersionID(k.n, k.v))
		if err != nil {
			return nil, err
		}
		out, err := loadVolumes(nv.Volumes)
		if err != nil {
			return nil, fmt.Errorf("deconflict: stored version %s: %w", VersionID(k.n, k.v), err)
		}
		return out, nil
	})
	if err != nil {
		return volume{}, err
	}
	if k.committed {
		ci.remember(vk, vs)
	}
	return pick(vs, k.volKey)
}

func pick(vs []volume, k volKey) (volume, error) {
	if k.i < 0 || k.i >= len(vs) {
		return volume{}, fmt.Errorf("deconflict: no volume %s", VolumeID(k.n, k.v, k.i))
	}
	return vs[k.i], nil
}

// checkSeen requires every overlap the notifier may read to be named at
// its current version, and refuses a name the notifier may not read as if
// it did not exist.
func checkSeen(c *cell.Command, seen []Ref, f found) error {
	if len(seen) > MaxSeen {
		return invalid("at most %d notifications in seen", MaxSeen)
	}
	for _, r := range seen {
		o, err := c.View.Get(c.Ctx, ObjNotification, itoa(r.Notification))
		if err != nil || !cell.MayRead(c.Actor, o.Mask) {
			return invalid("seen: no notification %d", r.Notification)
		}
	}
	var missing []Overlap
	for _, ov := range f.overlaps {
		if !cell.MayRead(c.Actor, ov.mask) {
			continue
		}
		if slices.Contains(seen, ov.B) || slices.ContainsFunc(missing, func(m Overlap) bool { return m.Notification == ov.B.Notification }) {
			continue
		}
		other, _, err := get[Notification](c, ObjNotification, itoa(ov.B.Notification))
		if err != nil {
			return err
		}
		missing = append(missing, Overlap{Notification: ov.B.Notification, Version: ov.B.Version, Party: other.Party,
			Type: other.Type, Title: other.Title, Start: other.Start, End: other.End, Volume: ov.VolumeA, OtherVolume: ov.VolumeB})
	}
	if len(missing) > 0 {
		return &UnnamedConflicts{Conflicts: missing}
	}
	return nil
}

// recordVersion is the projection changes of a notification version: the
// notification, the version, its volumes (which the index follows), the
// conflicts (for those who read both sides), and the answers awaited.
func recordVersion(c *cell.Command, n Notification, nv NotificationVersion, vs []volume, f found, mask uint64, settings cell.Settings) []store.Change {
	nv.ZoneConflicts = f.zones
	if nv.ZoneConflicts == nil {
		nv.ZoneConflicts = []ZoneConflict{}
	}
	self := Ref{Notification: n.ID, Version: n.Version}
	n.Held = false
	var changes []store.Change
	for _, ov := range f.overlaps {
		// Held when one side may not read the other: then the mediator,
		// who reads both, decides.
		held := !cell.MayRead(c.Actor, ov.mask) || !partyReads(c, ov.party, mask)
		ov.Held = held
		n.Held = n.Held || held
		both := mask & ov.mask
		a := ov.Conflict
		a.A = self
		b := Conflict{A: ov.B, B: self, VolumeA: ov.VolumeB, VolumeB: ov.VolumeA, Held: held, At: ov.At}
		changes = append(changes,
			narrowed(ObjConflict, conflictID(a), itoa(self.Notification), a, both),
			narrowed(ObjConflict, conflictID(b), itoa(ov.B.Notification), b, both))
	}
	window := settings.AckDeadline(n.Precedence)
	changes = append(changes, put(ObjNotification, itoa(n.ID), n.Party, n), put(ObjNotifVersion, VersionID(n.ID, n.Version), itoa(n.ID), nv),
		changeOf(n, nv.Entry))
	for i, v := range vs {
		changes = append(changes, put(ObjVolume, VolumeID(n.ID, n.Version, i), itoa(n.ID), newVolumeDoc(n.ID, n.Version, i, n.Party, &v)))
	}
	for _, p := range n.Addressed {
		changes = append(changes, dues.Put(dues.Due{Kind: DueAnswer, Ref: n.ID, Party: p, Precedence: n.Precedence,
			Title: n.Title, Start: nv.At, Window: window, Round: n.Version - 1}))
	}
	if med := mediatorOf(c); med != "" {
		if n.Held {
			changes = append(changes, dues.Put(dues.Due{Kind: DueConflict, Ref: n.ID, Party: med, Precedence: n.Precedence,
				Title: "Held conflict: " + n.Title, Start: nv.At, Window: window, Round: n.Version - 1}))
		} else {
			changes = append(changes, dues.Done(DueConflict, n.ID, med)) // an earlier version's, if any
		}
	}
	return changes
}

// partyReads reports whether a party reads what carries mask.
func partyReads(c *cell.Command, party string, mask uint64) bool {
	p, err := cell.GetParty(c.Ctx, c.View, party)
	return err == nil && cell.PartyReads(p, mask)
}

func mediatorOf(c *cell.Command) string {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return ""
	}
	for _, p := range parties {
		if p.Kind == cell.Mediator {
			return p.ID
		}
	}
	return ""
}

func conflictID(x Conflict) string {
	return VersionID(x.A.Notification, x.A.Version) + "/" + VersionID(x.B.Notification, x.B.Version) + "/" +
		strconv.Itoa(x.VolumeA) + "-" + strconv.Itoa(x.VolumeB)
}

func activityNotify(d *Desk) cell.Handler {
	return func(c *cell.Command) (store.Effect, error) {
		if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "notifying an activity"}); err != nil {
			return store.Effect{}, err
		}
		if c.Actor.Server {
			return store.Effect{}, forbidden("activities are notified by the parties")
		}
		var p NotifyPayload
		if err := c.Decode(&p); err != nil {
			return store.Effect{}, err
		}
		if !slices.Contains(ActivityTypes, p.Type) {
			return store.Effect{}, invalid("type %q: want one of %s", p.Type, strings.Join(ActivityTypes, ", "))
		}
		if err := checkText("title", p.Title, MaxTitle, true); err != nil {
			return store.Effect{}, err
		}
		if err := checkText("description", p.Description, MaxDescription, false); err != nil {
			return store.Effect{}, err
		}
		if err := checkPrecedence(p.Precedence); err != nil {
			return store.Effect{}, err
		}
		aud, mask, addressed, err := addressees(c, p.Addressed)
		if err != nil {
			return store.Effect{}, err
		}
		r, err := region(c)
		if err != nil {
			return store.Effect{}, err
		}
		idx, now, err := position(c)
		if err != nil {
			return store.Effect{}, err
		}
		vs, err := checkVolumes(p.Volumes, r, now)
		if err != nil {
			return store.Effect{}, err
		}
		party := c.Actor.Party.ID
		f, err := d.check(c, -1, party, p.Type, vs, now)
		if err != nil {
			return store.Effect{}, err
		}
		if err := checkSeen(c, p.Seen, f); err != nil {
			return store.Effect{}, err
		}
		info, err := cell.GetInfo(c.Ctx, c.View)
		if err != nil {
			return store.Effect{}, err
		}
		start, end := span(vs)
		n := Notification{ID: idx, Party: party, Member: member(c.Actor), Type: p.Type, Title: p.Title, Precedence: p.Precedence,
			Addressed: addressed, Version: 1, State: StateActive, Start: start, End: end, Updated: now}
		nv := NotificationVersion{Notification: idx, Version: 1, Entry: idx, Member: member(c.Actor), At: now, Description: p.Description,
			Volumes: volumesOf(vs), Seen: seenOrEmpty(p.Seen)}
		return store.Effect{Audience: aud, Mask: mask, Changes: recordVersion(c, n, nv, vs, f, mask, info.Settings)}, nil
	}
}

func activityAmend(d *Desk) cell.Handler {
	return func(c *cell.Command) (store.Effect, error) {
		if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "amending an activity"}); err != nil {
			return store.Effect{}, err
		}
		var p AmendPayload
		if err := c.Decode(&p); err != nil {
			return store.Effect{}, err
		}
		n, o, err := visibleNotification(c, p.Notification)
		if err != nil {
			return store.Effect{}, err
		}
		if c.Actor.Server || c.Actor.Party.ID != n.Party {
			return store.Effect{}, forbidden("only the notifying party amends its notification")
		}
		if n.State != StateActive {
			return store.Effect{}, conflict("notification %d is %s", n.ID, n.State)
		}
		if p.Version != n.Version {
			return store.Effect{}, conflict("notification %d is at version %d, not %d: amend the current version", n.ID, n.Version, p.Version)
		}
		if err := checkText("title", p.Title, MaxTitle, true); err != nil {
			return store.Effect{}, err
		}
		if err := checkText("description", p.Description, MaxDescription, false); err != nil {
			return store.Effect{}, err
		}
		r, err := region(c)
		if err != nil {
			return store.Effect{}, err
		}
		idx, now, err := position(c)
		if err != nil {
			return store.Effect{}, err
		}
		vs, err := checkVolumes(p.Volumes, r, now)
		if err != nil {
			return store.Effect{}, err
		}
		f, err := d.check(c, n.ID, n.Party, n.Type, vs, now)
		if err != nil {
			return store.Effect{}, err
		}
		if err := checkSeen(c, p.Seen, f); err != nil {
			return store.Effect{}, err
		}
		info, err := cell.GetInfo(c.Ctx, c.View)
		if err != nil {
			return store.Effect{}, err
		}
		aud, mask, err := audienceOf(c, o.Mask)
		if err != nil {
			return store.Effect{}, err
		}
		n.Version++
		n.Title, n.Updated = p.Title, now
		n.Start, n.End = span(vs)
		nv := NotificationVersion{Notification: n.ID, Version: n.Version, Entry: idx, Member: member(c.Actor), At: now,
			Description: p.Description, Volumes: volumesOf(vs), Seen: seenOrEmpty(p.Seen)}
		return store.Effect{Audience: aud, Mask: mask, Changes: recordVersion(c, n, nv, vs, f, mask, info.Settings)}, nil
	}
}

func volumesOf(vs []volume) []Volume {
	out := make([]Volume, len(vs))
	for i := range vs {
		out[i] = vs[i].Volume
	}
	return out
}

func seenOrEmpty(s []Ref) []Ref {
	if s == nil {
		return []Ref{}
	}
	return s
}

// audienceOf is the audience of an entry about something whose object
// carries mask.
func audienceOf(c *cell.Command, mask uint64) ([]string, uint64, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return nil, 0, err
	}
	aud, m := cell.AudienceOfMask(parties, mask)
	if m == 0 {
		return nil, 0, fmt.Errorf("deconflict: an object without audience")
	}
	return aud, m, nil
}

// visibleNotification loads a notification the actor may read; otherwise
// it answers as if there were none.
func visibleNotification(c *cell.Command, id int64) (Notification, store.Object, error) {
	n, o, err := get[Notification](c, ObjNotification, itoa(id))
	if err != nil || !cell.MayRead(c.Actor, o.Mask) {
		return Notification{}, store.Object{}, invalid("no notification %d", id)
	}
	return n, o, nil
}

// AnswerPayload is the payload of activity.answer.
type AnswerPayload struct {
	record.Header
	Notification int64  `json:"notification"`
	Version      int    `json:"version"`
	Answer       string `json:"answer"`
	Reason       string `json:"reason,omitempty"`
}

// activityAnswer records an addressed party's answer to the current
// version: no objection, or an objection with its reason. The mediator may
// object too.
func activityAnswer(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "answering a notification"}); err != nil {
		return store.Effect{}, err
	}
	var p AnswerPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	n, o, err := visibleNotification(c, p.Notification)
	if err != nil {
		return store.Effect{}, err
	}
	if c.Actor.Server {
		return store.Effect{}, forbidden("the parties answer")
	}
	party := c.Actor.Party.ID
	if !slices.Contains(n.Addressed, party) && cell.May(c.Actor, cell.MediateDeconflict, cell.Target{}) != nil {
		return store.Effect{}, forbidden("%s is not addressed by notification %d", party, n.ID)
	}
	if n.State != StateActive {
		return store.Effect{}, conflict("notification %d is %s", n.ID, n.State)
	}
	if p.Version != n.Version {
		return store.Effect{}, conflict("notification %d is at version %d, not %d: answer the current version", n.ID, n.Version, p.Version)
	}
	switch p.Answer {
	case NoObjection:
		if p.Reason != "" {
			return store.Effect{}, invalid("no objection takes no reason")
		}
	case Objection:
		if err := checkText("reason", p.Reason, MaxDescription, true); err != nil {
			return store.Effect{}, invalid("an objection gives its reason")
		}
	default:
		return store.Effect{}, invalid("answer %q: want no_objection or objection", p.Answer)
	}
	id := VersionID(n.ID, n.Version) + "/" + party
	if _, err := c.View.Get(c.Ctx, ObjAnswer, id); err == nil {
		return store.Effect{}, conflict("%s has already answered version %d of notification %d", party, n.Version, n.ID)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjAnswer, id, itoa(n.ID), Answer{Notification: n.ID, Version: n.Version, Party: party, Member: member(c.Actor),
			Answer: p.Answer, Reason: p.Reason, At: now, Entry: idx}),
		dues.Done(DueAnswer, n.ID, party)}}, nil
}

// EndPayload is the payload of activity.end: the notifier withdraws the
// activity, or reports it executed.
type EndPayload struct {
	record.Header
	Notification int64  `json:"notification"`
	State        string `json:"state"`
	Note         string `json:"note,omitempty"`
}

func activityEnd(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "ending an activity"}); err != nil {
		return store.Effect{}, err
	}
	var p EndPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	n, o, err := visibleNotification(c, p.Notification)
	if err != nil {
		return store.Effect{}, err
	}
	if c.Actor.Server || c.Actor.Party.ID != n.Party {
		return store.Effect{}, forbidden("only the notifying party withdraws its activity or reports it executed")
	}
	if p.State != StateWithdrawn && p.State != StateExecuted {
		return store.Effect{}, invalid("state %q: want withdrawn or executed", p.State)
	}
	if err := checkText("note", p.Note, MaxDescription, false); err != nil {
		return store.Effect{}, err
	}
	if n.State != StateActive {
		return store.Effect{}, conflict("notification %d is already %s", n.ID, n.State)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	n.State, n.Updated, n.Held = p.State, now, false
	changes := []store.Change{put(ObjNotification, itoa(n.ID), n.Party, n), changeOf(n, idx)}
	for _, party := range n.Addressed {
		changes = append(changes, dues.Done(DueAnswer, n.ID, party))
	}
	if med := mediatorOf(c); med != "" {
		changes = append(changes, dues.Done(DueConflict, n.ID, med))
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// ClearPayload is the payload of conflict.clear: the mediator's decision
// on the conflicts of a notification version that were held for it.
type ClearPayload struct {
	record.Header
	Notification int64  `json:"notification"`
	Version      int    `json:"version"`
	Decision     string `json:"decision"` // cleared or objection
	Note         string `json:"note,omitempty"`
}

func conflictClear(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "clearing a conflict"}); err != nil {
		return store.Effect{}, err
	}
	if cell.May(c.Actor, cell.MediateDeconflict, cell.Target{}) != nil {
		return store.Effect{}, forbidden("the mediator decides the conflicts held for it")
	}
	var p ClearPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	n, o, err := visibleNotification(c, p.Notification)
	if err != nil {
		return store.Effect{}, err
	}
	if p.Version != n.Version || !n.Held {
		return store.Effect{}, conflict("version %d of notification %d has no conflict held for the mediator", p.Version, n.ID)
	}
	switch p.Decision {
	case "cleared":
	case Objection:
		if err := checkText("note", p.Note, MaxDescription, true); err != nil {
			return store.Effect{}, invalid("an objection gives its reason in note")
		}
	default:
		return store.Effect{}, invalid("decision %q: want cleared or objection", p.Decision)
	}
	if err := checkText("note", p.Note, MaxDescription, false); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	changes := []store.Change{}
	objs, err := c.View.List(c.Ctx, ObjConflict, itoa(n.ID), -1, 10_000)
	if err != nil {
		return store.Effect{}, err
	}
	for _, co := range objs {
		var x Conflict
		if err := unmarshal(co, &x); err != nil {
			return store.Effect{}, err
		}
		if x.A.Version != n.Version || !x.Held || x.Decision != "" {
			continue
		}
		x.Decision, x.Note = p.Decision, p.Note
		mirror := Conflict{A: x.B, B: x.A, VolumeA: x.VolumeB, VolumeB: x.VolumeA, Held: true, Decision: x.Decision, Note: x.Note, At: x.At}
		// The decision is on the held conflict itself, for those who read
		// both notifications, no wider.
		changes = append(changes, narrowed(ObjConflict, co.ID, co.Parent, x, co.Mask&mask),
			narrowed(ObjConflict, conflictID(mirror), itoa(x.B.Notification), mirror, co.Mask&mask))
	}
	n.Held = false
	changes = append(changes, put(ObjNotification, itoa(n.ID), n.Party, n), dues.Done(DueConflict, n.ID, c.Actor.Party.ID))
	if p.Decision == Objection {
		changes = append(changes, put(ObjAnswer, VersionID(n.ID, n.Version)+"/"+c.Actor.Party.ID, itoa(n.ID), Answer{Notification: n.ID,
			Version: n.Version, Party: c.Actor.Party.ID, Member: member(c.Actor), Answer: Objection, Reason: p.Note, At: now, Entry: idx}))
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// VolumesMeet reports whether any volume of a meets any volume of b in
// space, altitude and time: the check, without an index, that the desk's
// conflicts must agree with.
func VolumesMeet(a, b []Volume) (bool, error) {
	x, err := loadVolumes(a)
	if err != nil {
		return false, err
	}
	y, err := loadVolumes(b)
	if err != nil {
		return false, err
	}
	for i := range x {
		for j := range y {
			if overlapsIn(&x[i], &y[j]) && intersects(x[i].fp, y[j].fp, 0) {
				return true, nil
			}
		}
	}
	return false, nil
}

// loadVolumes parses stored volumes, checked when they were written.
func loadVolumes(vs []Volume) ([]volume, error) {
	out := make([]volume, len(vs))
	for i, v := range vs {
		fp, err := parseShape(v.Shape, nil)
		if err != nil {
			return nil, fmt.Errorf("volume %d: %w", i, err)
		}
		out[i] = volume{Volume: v, fp: fp, startNs: v.Start.UnixNano(), endNs: v.End.UnixNano()}
		if v.AltLo != nil && v.AltHi != nil {
			out[i].altLo, out[i].altHi, out[i].hasAlt = *v.AltLo, *v.AltHi, true
		}
	}
	return out, nil
}
