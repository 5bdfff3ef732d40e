package commerce

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// A failing gate on a project in implementation alerts the commercial
// desks: the watch writes a project.alert, once per failure (its since),
// for those who read what fails, and the commercial members among them
// see it on the project and in the urgent banner.

// KindGateAlert is the server's alert of a failing gate.
const KindGateAlert = "project.alert"

// ObjAlert is a gate alert: id its idempotency id; parent the project.
const ObjAlert = "project.alert"

// Alert is a failing gate of a project in implementation.
type Alert struct {
	ID        string    `json:"id"`
	Project   string    `json:"project"`
	Milestone string    `json:"milestone"`
	Gate      int       `json:"gate"`
	Reason    string    `json:"reason"`
	Since     time.Time `json:"since,omitzero"`
	Cause     int64     `json:"cause,omitempty"` // the entry from which the gate fails
	At        time.Time `json:"at"`
	Entry     int64     `json:"entry"`
	// NotifyRoles are the roles to alert: the commercial desks.
	NotifyRoles []string `json:"notify_roles"`
}

// AlertPayload is the payload of project.alert.
type AlertPayload struct {
	record.Header
	Project   string    `json:"project"`
	Milestone string    `json:"milestone"`
	Gate      int       `json:"gate"`
	Since     time.Time `json:"since,omitzero"`
	// Cause tells apart failures the desk cannot date (a commitment's):
	// the entry from which it fails.
	Cause int64 `json:"cause,omitempty"`
}

// AlertID is the idempotency id of the alert of one failure: the same on
// every node and after every restart, so that each fires once. A failure
// without a time is told by the entry it fails from: a commitment at risk
// again after being on track is a new failure.
func AlertID(project, milestone string, gate int, st GateState) string {
	id := "alert/" + project + "/" + milestone + "/" + strconv.Itoa(gate) + "/" + strconv.FormatInt(st.Since.Unix(), 10)
	if st.Since.IsZero() && st.Cause != 0 {
		id += "/e" + strconv.FormatInt(st.Cause, 10)
	}
	return id
}

// sameFailure reports whether a gate's state now is the failure an alert
// was raised for.
func sameFailure(st GateState, since time.Time, cause int64) bool {
	return !st.Holds && st.Since.Equal(since) && (!st.Since.IsZero() || cause == st.Cause)
}

// Failing lists, for the watch, the alerts owed now: each failing gate of
// an unreached milestone of a project in implementation, as project.alert
// fields. v is the whole projection.
func Failing(ctx context.Context, v store.View, now time.Time) ([]map[string]any, error) {
	ps, err := Projects(ctx, v)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, p := range ps {
		if p.Stage != Implementation {
			continue
		}
		for _, m := range p.Milestones {
			if m.Entry != 0 {
				continue
			}
			for i, g := range m.Gates {
				st, err := Evaluate(ctx, v, g, now)
				if err != nil {
					return nil, err
				}
				if st.Holds {
					continue
				}
				f := map[string]any{"id": AlertID(p.ID, m.ID, i, st), "project": p.ID, "milestone": m.ID, "gate": i}
				if !st.Since.IsZero() {
					f["since"] = st.Since
				} else if st.Cause != 0 {
					f["cause"] = st.Cause
				}
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// gateAudience is who reads what a failing gate judges: the latest
// incident holding a quiet zone, the commitment, or every party for the
// cell's posture.
func gateAudience(c *cell.Command, g Gate) ([]string, uint64, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return nil, 0, err
	}
	mask := ^uint64(0)
	switch g.Kind {
	case GateCommitment:
		o, err := c.View.Get(c.Ctx, diplomacy.ObjCommitment, g.Commitment)
		if err != nil {
			return nil, 0, err
		}
		mask = o.Mask
	case GateZoneQuiet:
		incs, err := zoneIncidents(c.Ctx, c.View, g.Zone)
		if err != nil {
			return nil, 0, err
		}
		for _, inc := range incs {
			o, err := c.View.Get(c.Ctx, deconflict.ObjIncident, itoa(inc.ID))
			if err != nil {
				return nil, 0, err
			}
			mask &= o.Mask // the alert names the failure: for those who read every incident in the zone
		}
	}
	aud, m := cell.AudienceOfMask(parties, mask)
	if m == 0 {
		return cell.Audience(parties)
	}
	return aud, m, nil
}

func gateAlert(c *cell.Command) (store.Effect, error) {
	if !c.Actor.Server {
		return store.Effect{}, forbidden("gate alerts are the server's")
	}
	var p AlertPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	x, _, err := get[Project](c, ObjProject, p.Project)
	if err != nil {
		return store.Effect{}, invalid("project %q: no such project", p.Project)
	}
	i := slices.IndexFunc(x.Milestones, func(m Milestone) bool { return m.ID == p.Milestone })
	if i < 0 || p.Gate < 0 || p.Gate >= len(x.Milestones[i].Gates) {
		return store.Effect{}, invalid("project %s has no gate %d of milestone %q", x.ID, p.Gate, p.Milestone)
	}
	if x.Stage != Implementation || x.Milestones[i].Entry != 0 {
		return store.Effect{}, conflict("project %s is %s and milestone %s reached: nothing to alert", x.ID, x.Stage, p.Milestone)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	g := x.Milestones[i].Gates[p.Gate]
	st, err := Evaluate(c.Ctx, c.View, g, now)
	if err != nil {
		return store.Effect{}, err
	}
	if !sameFailure(st, p.Since, p.Cause) {
		return store.Effect{}, conflict("gate %d of %s/%s no longer fails as alerted", p.Gate, x.ID, p.Milestone)
	}
	aud, mask, err := gateAudience(c, g)
	if err != nil {
		return store.Effect{}, err
	}
	a := Alert{ID: p.ID, Project: x.ID, Milestone: p.Milestone, Gate: p.Gate, Reason: st.Reason, Since: st.Since, Cause: st.Cause, At: now, Entry: idx,
		NotifyRoles: []string{cell.RoleCommercial}}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjAlert, p.ID, x.ID, a)}}, nil
}

// Alerts lists the alerts of a project the reader reads, newest first.
func Alerts(ctx context.Context, v store.View, project string) ([]Alert, error) {
	as, err := listOf[Alert](ctx, v, ObjAlert, project)
	slices.Reverse(as)
	return as, err
}

// StandingAlert is an alert whose failure still stands, with the project
// and milestone it is about, named.
type StandingAlert struct {
	Alert
	Title          string            `json:"title"`
	Titles         map[string]string `json:"titles,omitempty"`
	MilestoneTitle string            `json:"milestone_title"`
}

// Standing lists the alerts the reader reads whose failure stands at now,
// newest first: the project still in implementation, the milestone not
// reached, and the gate, judged on what the reader reads, failing since
// the same time. An alert whose gate holds again, or fails for a newer
// reason (which the watch alerts anew), is history, on the project's page.
func Standing(ctx context.Context, v store.View, now time.Time) ([]StandingAlert, error) {
	ps, err := Projects(ctx, v)
	if err != nil {
		return nil, err
	}
	var out []StandingAlert
	judged := map[Gate]GateState{}
	for _, p := range ps {
		if p.Stage != Implementation {
			continue
		}
		as, err := Alerts(ctx, v, p.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			i := slices.IndexFunc(p.Milestones, func(m Milestone) bool { return m.ID == a.Milestone })
			if i < 0 || p.Milestones[i].Entry != 0 || a.Gate < 0 || a.Gate >= len(p.Milestones[i].Gates) {
				continue
			}
			g := p.Milestones[i].Gates[a.Gate]
			st, ok := judged[g]
			if !ok {
				if st, err = Evaluate(ctx, v, g, now); err != nil {
					return nil, err
				}
				judged[g] = st
			}
			if !sameFailure(st, a.Since, a.Cause) {
				continue
			}
			out = append(out, StandingAlert{Alert: a, Title: p.Title, Titles: p.Titles, MilestoneTitle: p.Milestones[i].Title})
		}
	}
	slices.SortStableFunc(out, func(a, b StandingAlert) int { return int(b.Entry - a.Entry) })
	return out, nil
}
