package commerce

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/store"
)

// GateState is a gate's judgement at a time: whether it holds, and if not
// why and since when (zero when the desk cannot tell).
type GateState struct {
	Gate   Gate      `json:"gate"`
	Holds  bool      `json:"holds"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since,omitzero"`
	// Cause is the log index of the entry from which the gate fails (the
	// incident's report, the step that set the commitment's status), when
	// the desk can tell; a page that knows only it reads the entry's time
	// for Since.
	Cause int64 `json:"cause,omitempty"`
}

// zoneIncidents are the incidents v reads in zone.
func zoneIncidents(ctx context.Context, v store.View, zone string) ([]deconflict.Incident, error) {
	return deconflict.IncidentsIn(ctx, v, zone)
}

// Evaluate judges a gate at now over v: for a decision the whole
// projection, for a page its reader's view (which judges only what the
// reader may read).
func Evaluate(ctx context.Context, v store.View, g Gate, now time.Time) (GateState, error) {
	st := GateState{Gate: g, Holds: true}
	switch g.Kind {
	case GateZoneQuiet:
		z, err := deconflict.GetZone(ctx, v, g.Zone)
		if errors.Is(err, store.ErrNotFound) {
			return GateState{Gate: g, Reason: fmt.Sprintf("zone %s is not one you read", g.Zone)}, nil
		}
		if err != nil {
			return st, err
		}
		if z.Agreed == 0 {
			st := GateState{Gate: g, Reason: fmt.Sprintf("zone %s is not agreed by the parties", g.Zone)}
			if len(z.Versions) > 0 {
				st.Cause = z.Versions[0].Entry // unagreed since it was first proposed
			}
			return st, nil
		}
		incs, err := zoneIncidents(ctx, v, g.Zone)
		if err != nil {
			return st, err
		}
		quiet := now.Add(-time.Duration(g.Days) * 24 * time.Hour)
		for _, inc := range incs {
			open := true
			if ver, err := deconflict.GetIncident(ctx, v, inc.ID); err == nil && ver.Verification != nil && ver.Verification.Finding != "" {
				open = false
			}
			if open || inc.OccurredAt.After(quiet) {
				if st.Holds || inc.OccurredAt.After(st.Since) {
					st.Since, st.Cause = inc.OccurredAt, inc.ID
					if open {
						st.Reason = fmt.Sprintf("incident %d in zone %s (%s) is open", inc.ID, g.Zone, inc.Title)
					} else {
						st.Reason = fmt.Sprintf("incident %d in zone %s (%s) is less than %d days old", inc.ID, g.Zone, inc.Title, g.Days)
					}
				}
				st.Holds = false
			}
		}
	case GateCommitment:
		cm, err := diplomacy.GetCommitment(ctx, v, g.Commitment)
		if errors.Is(err, store.ErrNotFound) {
			return GateState{Gate: g, Reason: fmt.Sprintf("commitment %s is not one you read", g.Commitment)}, nil
		}
		if err != nil {
			return st, err
		}
		if s := cm.Status(); s != diplomacy.OnTrack && s != diplomacy.Fulfilled {
			st.Holds, st.Reason = false, fmt.Sprintf("commitment %s (%s) is %s", cm.ID, cm.Title, s)
			// The commitment's status is its worst milestone's: it fails
			// from the entry that set that milestone so (the latest, of
			// several as bad).
			for _, m := range cm.Milestones {
				if m.Status == s && m.Entry > st.Cause {
					st.Cause = m.Entry
				}
			}
		}
	case GatePosture:
		p, err := deconflict.GetPosture(ctx, v)
		if err != nil {
			return st, err
		}
		state := "normal"
		if p != nil {
			state = p.State
		}
		if state != g.Posture {
			st.Holds, st.Reason = false, fmt.Sprintf("the cell's posture is %s, not %s", state, g.Posture)
			if p != nil {
				st.Since, st.Cause = p.Since, p.Entry
			}
		}
	}
	return st, nil
}
