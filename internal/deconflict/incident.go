package deconflict

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// IncidentPayload is the payload of incident.report.
type IncidentPayload struct {
	record.Header
	OccurredAt  time.Time    `json:"occurred_at"`
	Location    Shape        `json:"location"`
	Category    string       `json:"category"`
	Severity    string       `json:"severity"`
	Precedence  string       `json:"precedence"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Addressed   []string     `json:"addressed"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Alleged names the zones whose rules the reporter says were broken.
	Alleged []string `json:"alleged,omitempty"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// linkMargin is how far in time around an incident a notified activity
// counts as "at the same time": reports of when something happened are
// approximate.
const linkMargin = time.Hour

// incidentDues are the acknowledgements an incident awaits: from every
// party it addresses, by its precedence's deadline, as FLASH traffic is.
func incidentDues(inc Incident, s cell.Settings, now time.Time) []store.Change {
	var out []store.Change
	for _, p := range inc.Addressed {
		out = append(out, dues.Put(dues.Due{Kind: DueIncident, Ref: inc.ID, Party: p, Precedence: inc.Precedence,
			Title: inc.Title, Start: now, Window: s.AckDeadline(inc.Precedence)}))
	}
	return out
}

func incidentReport(d *Desk) cell.Handler {
	return func(c *cell.Command) (store.Effect, error) {
		if c.Actor.Server {
			return store.Effect{}, forbidden("incidents are reported by the parties")
		}
		if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "reporting an incident"}); err != nil {
			return store.Effect{}, err
		}
		var p IncidentPayload
		if err := c.Decode(&p); err != nil {
			return store.Effect{}, err
		}
		if !slices.Contains(IncidentCategories, p.Category) || p.Category == "force_limits" {
			return store.Effect{}, invalid("category %q: want one of airstrike, shelling, incursion, uav, small_arms, detention, civilian_harm, other", p.Category)
		}
		if !slices.Contains(Severities, p.Severity) {
			return store.Effect{}, invalid("severity %q: want one of %s", p.Severity, strings.Join(Severities, ", "))
		}
		if err := checkPrecedence(p.Precedence); err != nil {
			return store.Effect{}, err
		}
		if err := checkText("title", p.Title, MaxTitle, true); err != nil {
			return store.Effect{}, err
		}
		if err := checkText("description", p.Description, MaxDescription, true); err != nil {
			return store.Effect{}, err
		}
		if len(p.Attachments) > 10 {
			return store.Effect{}, invalid("at most 10 attachments")
		}
		for _, at := range p.Attachments {
			if !sha256Hex.MatchString(at.SHA256) {
				return store.Effect{}, invalid("attachment sha256 %q is not a lower-case hex SHA-256", at.SHA256)
			}
			if err := checkText("attachment name", at.Name, 255, true); err != nil {
				return store.Effect{}, err
			}
			if at.Size < 0 || len(at.Type) > 100 {
				return store.Effect{}, invalid("attachment %q: bad size or type", at.Name)
			}
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
		if p.OccurredAt.IsZero() || p.OccurredAt.After(now.Add(5*time.Minute)) || p.OccurredAt.Before(now.AddDate(-1, 0, 0)) {
			return store.Effect{}, invalid("occurred_at is required, not in the future nor more than a year ago")
		}
		fp, err := parseShape(p.Location, r)
		if err != nil {
			return store.Effect{}, invalid("location: %v", err)
		}
		zones, err := agreedZones(c)
		if err != nil {
			return store.Effect{}, err
		}
		for _, z := range p.Alleged {
			if !slices.ContainsFunc(zones, func(a agreedZone) bool { return a.Zone == z }) {
				return store.Effect{}, invalid("alleged: %q is not a zone in force", z)
			}
		}
		inc := Incident{ID: idx, Party: c.Actor.Party.ID, Member: member(c.Actor), OccurredAt: p.OccurredAt.UTC(), Location: fp.shape(),
			Category: p.Category, Severity: p.Severity, Precedence: p.Precedence, Title: p.Title, Description: p.Description,
			Addressed: addressed, Attachments: p.Attachments, Alleged: p.Alleged, Sites: []ZoneConflict{}, Reported: now}
		for _, z := range zones {
			if (z.Content.Kind == ZoneProtected || slices.Contains(p.Alleged, z.Zone)) && intersects(fp, z.fp, z.Content.BufferM) {
				inc.Sites = append(inc.Sites, ZoneConflict{Zone: z.Zone, Version: z.Version, Name: z.Content.Name, Kind: z.Content.Kind})
			}
		}
		info, err := cell.GetInfo(c.Ctx, c.View)
		if err != nil {
			return store.Effect{}, err
		}
		changes := []store.Change{put(ObjIncident, itoa(idx), inc.Party, inc)}
		changes = append(changes, incidentDues(inc, info.Settings, now)...)

		// Notified activities at the same place and time: each link is for
		// those who read both the incident and the notification.
		probe := []volume{{Volume: Volume{Start: inc.OccurredAt.Add(-linkMargin), End: inc.OccurredAt.Add(linkMargin)}, fp: fp}}
		probe[0].startNs, probe[0].endNs = probe[0].Start.UnixNano(), probe[0].End.UnixNano()
		cands, err := d.candidates(c, probe)
		if err != nil {
			return store.Effect{}, err
		}
		for _, k := range cands {
			ov, err := d.volumeOf(c, k)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return store.Effect{}, err
			}
			if !overlapsIn(&probe[0], &ov) || !intersects(fp, ov.fp, 0) {
				continue
			}
			n, o, err := get[Notification](c, ObjNotification, itoa(k.n))
			// Executed activities matter most here; a withdrawn one did
			// not happen.
			if err != nil || n.Version != k.v || n.State == StateWithdrawn {
				continue
			}
			l := IncidentLink{Incident: idx, Notification: k.n, Version: k.v, Volume: k.i}
			changes = append(changes, narrowed(ObjIncidentLink, itoa(idx)+"/"+VolumeID(k.n, k.v, k.i), itoa(idx), l, mask&o.Mask))
		}
		return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
	}
}

// visibleIncident loads an incident the actor may read; otherwise it
// answers as if there were none.
func visibleIncident(c *cell.Command, id int64) (Incident, store.Object, error) {
	inc, o, err := get[Incident](c, ObjIncident, itoa(id))
	if err != nil || !cell.MayRead(c.Actor, o.Mask) {
		return Incident{}, store.Object{}, invalid("no incident %d", id)
	}
	return inc, o, nil
}

// IncidentAckPayload is the payload of incident.ack.
type IncidentAckPayload struct {
	record.Header
	Incident int64  `json:"incident"`
	Readback string `json:"readback,omitempty"`
}

// incidentAck acknowledges an incident on behalf of an addressed party;
// FLASH and IMMEDIATE incidents are acknowledged with a readback, as on
// the hotline.
func incidentAck(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "acknowledging an incident"}); err != nil {
		return store.Effect{}, err
	}
	var p IncidentAckPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	inc, o, err := visibleIncident(c, p.Incident)
	if err != nil {
		return store.Effect{}, err
	}
	if c.Actor.Server || !slices.Contains(inc.Addressed, c.Actor.Party.ID) {
		return store.Effect{}, forbidden("incident %d is not addressed to your party", inc.ID)
	}
	party := c.Actor.Party.ID
	if _, err := c.View.Get(c.Ctx, ObjIncidentAck, itoa(inc.ID)+"/"+party); err == nil {
		return store.Effect{}, conflict("incident %d is already acknowledged by %s", inc.ID, party)
	}
	if (inc.Precedence == "FLASH" || inc.Precedence == "IMMEDIATE") && strings.TrimSpace(p.Readback) == "" {
		return store.Effect{}, invalid("a %s incident is acknowledged with a readback: restate what, where and when in your own words", inc.Precedence)
	}
	if err := checkText("readback", p.Readback, 1000, false); err != nil {
		return store.Effect{}, err
	}
	_, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjIncidentAck, itoa(inc.ID)+"/"+party, itoa(inc.ID), IncidentAck{Incident: inc.ID, Party: party, Member: member(c.Actor), Readback: p.Readback, At: now}),
		dues.Done(DueIncident, inc.ID, party)}}, nil
}

// VerifyRequestPayload is the payload of verification.request.
type VerifyRequestPayload struct {
	record.Header
	Incident int64  `json:"incident"`
	Note     string `json:"note,omitempty"`
}

// verificationRequest asks the mediator to verify an incident, by the
// cell's verification deadline.
func verificationRequest(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "requesting verification"}); err != nil {
		return store.Effect{}, err
	}
	var p VerifyRequestPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	inc, o, err := visibleIncident(c, p.Incident)
	if err != nil {
		return store.Effect{}, err
	}
	if cell.May(c.Actor, cell.RequestVerification, cell.Target{}) != nil {
		return store.Effect{}, forbidden("a party requests verification; the mediator verifies")
	}
	if err := checkText("note", p.Note, MaxDescription, false); err != nil {
		return store.Effect{}, err
	}
	if _, err := c.View.Get(c.Ctx, ObjVerification, itoa(inc.ID)); err == nil {
		return store.Effect{}, conflict("verification of incident %d is already requested", inc.ID)
	}
	_, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	info, err := cell.GetInfo(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	window := info.Settings.Deadline("verification", DefaultVerificationDeadline)
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	v := Verification{Incident: inc.ID, RequestedBy: member(c.Actor), Party: c.Actor.Party.ID, Requested: now, Due: now.Add(window), Note: p.Note}
	changes := []store.Change{put(ObjVerification, itoa(inc.ID), itoa(inc.ID), v)}
	if med := mediatorOf(c); med != "" {
		changes = append(changes, dues.Put(dues.Due{Kind: DueVerification, Ref: inc.ID, Party: med, Precedence: "PRIORITY",
			Title: "Verify: " + inc.Title, Start: now, Window: window}))
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// FindingPayload is the payload of verification.finding.
type FindingPayload struct {
	record.Header
	Incident int64  `json:"incident"`
	Finding  string `json:"finding"`
	Text     string `json:"text"`
}

// verificationFinding records the mediator's finding, for the parties
// concerned (the incident's audience) and no one else.
func verificationFinding(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "recording a finding"}); err != nil {
		return store.Effect{}, err
	}
	if cell.May(c.Actor, cell.MediateDeconflict, cell.Target{}) != nil {
		return store.Effect{}, forbidden("the mediator records findings")
	}
	var p FindingPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	inc, o, err := visibleIncident(c, p.Incident)
	if err != nil {
		return store.Effect{}, err
	}
	if !slices.Contains(Findings, p.Finding) {
		return store.Effect{}, invalid("finding %q: want one of %s", p.Finding, strings.Join(Findings, ", "))
	}
	if err := checkText("text", p.Text, MaxDescription, true); err != nil {
		return store.Effect{}, err
	}
	v, _, err := get[Verification](c, ObjVerification, itoa(inc.ID))
	if err != nil {
		return store.Effect{}, invalid("no verification of incident %d was requested", inc.ID)
	}
	if v.Finding != "" {
		return store.Effect{}, conflict("incident %d already has a finding: %s", inc.ID, v.Finding)
	}
	_, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	v.Finding, v.Text, v.FoundBy, v.FoundAt = p.Finding, p.Text, member(c.Actor), now
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjVerification, itoa(inc.ID), itoa(inc.ID), v), dues.Done(DueVerification, inc.ID, c.Actor.Party.ID)}}, nil
}
