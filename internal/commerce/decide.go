package commerce

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

var (
	invalid   = cell.Invalidf
	forbidden = cell.Forbiddenf
	conflict  = cell.Conflictf
	checkText = cell.CheckText
)

var (
	idPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
	sha256Hex  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	dateRe     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// Register adds the desk's commands to a registry.
func Register(r *cell.Registry) {
	r.Handle(KindProjectRegister, projectRegister)
	r.Handle(KindProjectUpdate, projectUpdate)
	r.Handle(KindProjectMilestone, projectMilestone)
	r.Handle(KindProjectInterest, projectInterest)
	r.Handle(KindPledgeMake, pledgeMake)
	r.Handle(KindPledgeUpdate, pledgeUpdate)
	r.Handle(KindPledgeDisburse, pledgeDisburse)
	r.Handle(KindPledgeDisclose, pledgeDisclose)
	r.Handle(KindFundingPublish, fundingPublish)
	r.HandleReplay(KindFundingPublish, replayFundingPublish)
	r.Handle(KindGateAlert, gateAlert)
}

var put = store.Put

func get[T any](c *cell.Command, kind, id string) (T, store.Object, error) {
	return store.GetDoc[T](c.Ctx, c.View, kind, id)
}

func position(c *cell.Command) (int64, time.Time, error) {
	i, t, ok := store.NextPosition(c.View)
	if !ok {
		return 0, time.Time{}, errors.New("commerce: decided outside an append")
	}
	return i, t, nil
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func everyone() ([]string, uint64) { return cell.Everyone() }

// funderAudience is a pledge's: its funder and the mediator.
func funderAudience(c *cell.Command, funder string) ([]string, uint64, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return nil, 0, err
	}
	return cell.Audience(parties, funder)
}

// ProjectPayload is the payload of project.register and project.update.
type ProjectPayload struct {
	record.Header
	Project Project `json:"project"`
}

func checkProject(c *cell.Command, p *Project) error {
	if !idPattern.MatchString(p.ID) {
		return invalid("project id %q: lower-case letters, digits, '.', '_' or '-'", p.ID)
	}
	if err := checkText("title", p.Title, MaxTitle, true); err != nil {
		return err
	}
	if err := cell.CheckNames("titles", p.Titles); err != nil {
		return err
	}
	if err := checkText("description", p.Description, MaxText, true); err != nil {
		return err
	}
	for lang, d := range p.Descriptions {
		if !slices.Contains(cell.Languages, lang) {
			return invalid("descriptions: %q is not one of the cell's languages", lang)
		}
		if err := checkText("descriptions."+lang, d, MaxText, true); err != nil {
			return err
		}
	}
	if _, ok := Sectors[p.Sector]; !ok {
		return invalid("sector %q: energy, agriculture, tourism, water, infrastructure or other", p.Sector)
	}
	if !deconflict.ZoneExists(c.Ctx, c.View, p.Zone) {
		return invalid("zone %q: no zone of the de-escalation desk", p.Zone)
	}
	if p.Site != "" && !deconflict.ZoneExists(c.Ctx, c.View, p.Site) {
		return invalid("site %q: no zone or site of the de-escalation desk", p.Site)
	}
	if p.Site != "" {
		meet, err := deconflict.ZonesMeet(c.Ctx, c.View, p.Site, p.Zone)
		if err != nil {
			return err
		}
		if !meet {
			return invalid("site %q lies outside zone %q: a project's site is a place inside its zone", p.Site, p.Zone)
		}
	}
	if !currencyRe.MatchString(p.Currency) {
		return invalid("currency %q: an ISO 4217 code (USD, EUR)", p.Currency)
	}
	if len(p.Sponsors) > MaxSponsors {
		return invalid("at most %d sponsors", MaxSponsors)
	}
	for i, s := range p.Sponsors {
		if err := checkText(fmt.Sprintf("sponsors[%d]", i), s, MaxTitle, true); err != nil {
			return err
		}
	}
	if len(p.Documents) > MaxDocuments {
		return invalid("at most %d documents", MaxDocuments)
	}
	for i, d := range p.Documents {
		if !sha256Hex.MatchString(d.SHA256) {
			return invalid("documents[%d]: sha256 %q is not a lower-case hex SHA-256", i, d.SHA256)
		}
		if err := checkText(fmt.Sprintf("documents[%d].name", i), d.Name, 255, true); err != nil {
			return err
		}
	}
	if len(p.Milestones) > MaxMilestones {
		return invalid("at most %d milestones", MaxMilestones)
	}
	seen := map[string]bool{}
	for i, m := range p.Milestones {
		if !idPattern.MatchString(m.ID) || seen[m.ID] {
			return invalid("milestones[%d]: an id of lower-case letters and digits, once", i)
		}
		seen[m.ID] = true
		if err := checkText("milestones["+m.ID+"].title", m.Title, MaxTitle, true); err != nil {
			return err
		}
		if m.Due.IsZero() {
			return invalid("milestones[%s]: a due date", m.ID)
		}
		if len(m.Gates) > MaxGates {
			return invalid("milestones[%s]: at most %d gates", m.ID, MaxGates)
		}
		for j, g := range m.Gates {
			if err := checkGate(c, g); err != nil {
				return invalid("milestones[%s].gates[%d]: %v", m.ID, j, err)
			}
		}
		if !m.Reached.IsZero() || m.Entry != 0 || m.By != "" {
			return invalid("milestones[%s]: a milestone is reached by project.milestone, not declared so", m.ID)
		}
	}
	return nil
}

func checkGate(c *cell.Command, g Gate) error {
	switch g.Kind {
	case GateZoneQuiet:
		if !deconflict.ZoneExists(c.Ctx, c.View, g.Zone) {
			return fmt.Errorf("zone %q: no zone of the de-escalation desk", g.Zone)
		}
		if g.Days < 0 || g.Days > 365 {
			return fmt.Errorf("days %d: 0 to 365", g.Days)
		}
	case GateCommitment:
		if _, err := diplomacy.GetCommitment(c.Ctx, c.View, g.Commitment); err != nil {
			return fmt.Errorf("commitment %q: no commitment of the diplomatic desk", g.Commitment)
		}
	case GatePosture:
		if !slices.Contains(deconflict.Postures, g.Posture) {
			return fmt.Errorf("posture %q: one of %v", g.Posture, deconflict.Postures)
		}
	default:
		return fmt.Errorf("kind %q: zone_quiet, commitment or posture", g.Kind)
	}
	return nil
}

// projectRegister enters a project in the registry, at its first stage.
func projectRegister(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.WorkCommerce, cell.Target{Doing: "registering a project"}); err != nil {
		return store.Effect{}, err
	}
	var p ProjectPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	x := p.Project
	if err := checkProject(c, &x); err != nil {
		return store.Effect{}, err
	}
	if _, err := c.View.Get(c.Ctx, ObjProject, x.ID); err == nil {
		return store.Effect{}, conflict("project %s exists: update it", x.ID)
	}
	if x.Stage == "" {
		x.Stage = Concept
	}
	if x.Stage != Concept && x.Stage != Feasibility {
		return store.Effect{}, invalid("a project enters the registry at concept or feasibility, not %q", x.Stage)
	}
	docs, err := documents(c, x, nil)
	if err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	x.Version, x.Entry, x.By, x.Party, x.At, x.Before = 1, idx, c.Actor.Member.ID, c.Actor.Party.ID, now, ""
	aud, mask := everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: append([]store.Change{put(ObjProject, x.ID, "", x)}, docs...)}, nil
}

// projectUpdate records a new version of a project: its texts, milestones
// and stage. Stages move forward one at a time, or to suspended and back
// to the stage the suspension interrupted; reached milestones stay reached.
func projectUpdate(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.WorkCommerce, cell.Target{Doing: "updating a project"}); err != nil {
		return store.Effect{}, err
	}
	var p ProjectPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	old, _, err := get[Project](c, ObjProject, p.Project.ID)
	if err != nil {
		return store.Effect{}, invalid("project %q: no such project", p.Project.ID)
	}
	if err := cell.May(c.Actor, cell.WorkCommerce, cell.Target{Party: old.Party, Doing: "updating project " + old.ID}); err != nil {
		return store.Effect{}, err
	}
	// An update restates the whole project: one made from a reading older
	// than the project's last version would silently undo that version.
	if err := amends(p.Project.Version, Stale{Project: old.ID, Version: old.Version, Entry: old.Entry, By: old.By, At: old.At}); err != nil {
		return store.Effect{}, err
	}
	x := p.Project
	reached := map[string]Milestone{}
	for _, m := range old.Milestones {
		if m.Entry != 0 {
			reached[m.ID] = m
		}
	}
	for i := range x.Milestones {
		x.Milestones[i].Reached, x.Milestones[i].Entry, x.Milestones[i].By, x.Milestones[i].Note = time.Time{}, 0, "", ""
	}
	if err := checkProject(c, &x); err != nil {
		return store.Effect{}, err
	}
	for id, m := range reached {
		i := slices.IndexFunc(x.Milestones, func(n Milestone) bool { return n.ID == id })
		if i < 0 {
			return store.Effect{}, invalid("milestone %s was reached (entry %d): it stays in the project", id, m.Entry)
		}
		x.Milestones[i] = m
	}
	if x.Currency != old.Currency {
		return store.Effect{}, invalid("the currency of a project's pledges does not change (%s)", old.Currency)
	}
	x.Before = old.Before
	switch {
	case x.Stage == old.Stage:
	case x.Stage == Suspended:
		x.Before = old.Stage
	case old.Stage == Suspended:
		if x.Stage != old.Before {
			return store.Effect{}, invalid("a suspended project resumes at the stage it was in (%s)", old.Before)
		}
		x.Before = ""
	default:
		i, j := slices.Index(Stages, old.Stage), slices.Index(Stages, x.Stage)
		if j != i+1 {
			return store.Effect{}, invalid("stage %q: from %s a project moves to %s, or to suspended", x.Stage, old.Stage, next(old.Stage))
		}
	}
	docs, err := documents(c, x, old.Documents)
	if err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	x.Version, x.Entry, x.By, x.Party, x.At = old.Version+1, idx, c.Actor.Member.ID, old.Party, now
	aud, mask := everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: append([]store.Change{put(ObjProject, x.ID, "", x)}, docs...)}, nil
}

// Stale refuses an update made from a reading of an older version of a
// project or a pledge than the one that stands: an update restates the
// whole of what it updates, so the changes made since would be lost. It
// says which version stands and who made it, so that the officer reads it
// again before restating the change. It names what it refuses the update
// of as the update's payload does, by the kind of thing: Project or Pledge.
type Stale struct {
	Project string    `json:"project,omitempty"`
	Pledge  string    `json:"pledge,omitempty"`
	Read    int       `json:"read_version"` // the version the update amends
	Version int       `json:"version"`      // the version that stands
	Entry   int64     `json:"entry"`        // the entry that made it
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// amends refuses an update that does not say which version it amends
// (read), or says an older one than now, the version that stands.
func amends(read int, now Stale) error {
	kind, id := now.of()
	if read == 0 {
		return invalid("%s.version: the version of %s %s that this update amends, as you read it (it is at version %d)", kind, kind, id, now.Version)
	}
	if read != now.Version {
		now.Read = read
		return &now
	}
	return nil
}

// of is the kind of thing e is about, and its id.
func (e *Stale) of() (kind, id string) {
	if e.Pledge != "" {
		return "pledge", e.Pledge
	}
	return "project", e.Project
}

func (e *Stale) Error() string {
	kind, id := e.of()
	return fmt.Sprintf("%v: %s %s is at version %d (entry %d, by %s at %s), not %d as this update was read: read it again and restate the change",
		cell.ErrConflict, kind, id, e.Version, e.Entry, e.By, e.At.UTC().Format(time.RFC3339), e.Read)
}

func (e *Stale) Unwrap() error { return cell.ErrConflict }

// Extensions implements cell.Detailed.
func (e *Stale) Extensions() map[string]any {
	return map[string]any{"stale": e}
}

// documents checks the files a project lists, as a message's attachments
// are checked (the actor's party uploaded each, or reads something carrying
// it), and files each as an attachment of the project, so that every
// party, who reads the project, may download it; a document dropped from
// the project is no longer downloadable through it.
func documents(c *cell.Command, x Project, before []Document) ([]store.Change, error) {
	var out []store.Change
	kept := map[string]bool{}
	for _, d := range x.Documents {
		kept[d.SHA256] = true
		if slices.ContainsFunc(before, func(b Document) bool { return b.SHA256 == d.SHA256 }) {
			continue // listed already: it was checked then
		}
		if err := mayList(c, d.SHA256); err != nil {
			return nil, err
		}
	}
	for _, d := range x.Documents {
		out = append(out, put(hotline.ObjAttachment, documentID(d.SHA256, x.ID), d.SHA256, map[string]any{"project": x.ID, "name": d.Name}))
	}
	for _, b := range before {
		if !kept[b.SHA256] {
			out = append(out, store.Change{Kind: hotline.ObjAttachment, ID: documentID(b.SHA256, x.ID)})
		}
	}
	return out, nil
}

// mayList refuses a file the actor's party neither uploaded nor reads
// already attached to something: a party that learnt a hash could
// otherwise list another party's file and download it. Unlike a message,
// no project document predates logged uploads, so there is no exception
// for files no upload names.
func mayList(c *cell.Command, sha string) error {
	if _, err := c.View.Get(c.Ctx, hotline.ObjUpload, hotline.UploadID(sha, c.Actor.Party.ID)); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	refs, err := c.View.List(c.Ctx, hotline.ObjAttachment, sha, -1, 1000)
	if err != nil {
		return err
	}
	for _, o := range refs {
		if cell.MayReadObject(c.Actor, o) {
			return nil
		}
	}
	return invalid("document %s: upload it first (POST /api/v1/blobs); a file your party did not upload and does not read cannot be listed", sha)
}

// documentID is the attachment id of a project's document, beside the
// messages' sha256/msg ids.
func documentID(sha, project string) string { return sha + "/project:" + project }

func next(stage string) string {
	i := slices.Index(Stages, stage)
	if i < 0 || i+1 >= len(Stages) {
		return "nothing further"
	}
	return Stages[i+1]
}

// MilestonePayload is the payload of project.milestone.
type MilestonePayload struct {
	record.Header
	Project   string `json:"project"`
	Milestone string `json:"milestone"`
	Note      string `json:"note,omitempty"`
}

// projectMilestone marks a milestone reached, which its gates must allow:
// no project moves ahead of the security it depends on.
func projectMilestone(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.WorkCommerce, cell.Target{Doing: "marking a milestone"}); err != nil {
		return store.Effect{}, err
	}
	var p MilestonePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("note", p.Note, MaxText, false); err != nil {
		return store.Effect{}, err
	}
	x, _, err := get[Project](c, ObjProject, p.Project)
	if err != nil {
		return store.Effect{}, invalid("project %q: no such project", p.Project)
	}
	if err := cell.May(c.Actor, cell.WorkCommerce, cell.Target{Party: x.Party, Doing: "marking a milestone of project " + x.ID}); err != nil {
		return store.Effect{}, err
	}
	i := slices.IndexFunc(x.Milestones, func(m Milestone) bool { return m.ID == p.Milestone })
	if i < 0 {
		return store.Effect{}, invalid("project %s has no milestone %q", x.ID, p.Milestone)
	}
	if x.Milestones[i].Entry != 0 {
		return store.Effect{}, conflict("milestone %s was reached already (entry %d)", p.Milestone, x.Milestones[i].Entry)
	}
	if x.Stage == Suspended {
		return store.Effect{}, conflict("project %s is suspended", x.ID)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	// The gates are judged on everything, but a failing one is told to the
	// actor only as far as the actor's party may read what fails.
	for _, g := range x.Milestones[i].Gates {
		st, err := Evaluate(c.Ctx, c.View, g, now)
		if err != nil {
			return store.Effect{}, err
		}
		if !st.Holds {
			if !mayReadSubject(c, g) {
				return store.Effect{}, conflict("milestone %s is held by a security condition your party does not read (%s)", p.Milestone, g.Kind)
			}
			return store.Effect{}, conflict("milestone %s is held: %s", p.Milestone, st.Reason)
		}
	}
	x.Milestones[i].Reached, x.Milestones[i].Entry, x.Milestones[i].By, x.Milestones[i].Note = now, idx, c.Actor.Member.ID, p.Note
	aud, mask := everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjProject, x.ID, "", x)}}, nil
}

// mayReadSubject reports whether the actor's party reads what a gate
// judges: every incident in its zone, the commitment.
func mayReadSubject(c *cell.Command, g Gate) bool {
	switch g.Kind {
	case GateCommitment:
		o, err := c.View.Get(c.Ctx, diplomacy.ObjCommitment, g.Commitment)
		return err == nil && cell.MayReadObject(c.Actor, o)
	case GateZoneQuiet:
		incs, err := zoneIncidents(c.Ctx, c.View, g.Zone)
		if err != nil {
			return false
		}
		for _, inc := range incs {
			o, err := c.View.Get(c.Ctx, deconflict.ObjIncident, itoa(inc.ID))
			if err != nil || !cell.MayReadObject(c.Actor, o) {
				return false
			}
		}
	}
	return true
}

// InterestPayload is the payload of project.interest.
type InterestPayload struct {
	record.Header
	Project      string `json:"project"`
	Organization string `json:"organization,omitempty"`
	Text         string `json:"text"`
}

// projectInterest records an expression of interest by any party, an
// observer organization among them.
func projectInterest(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ExpressInterest, cell.Target{Doing: "expressing interest"}); err != nil {
		return store.Effect{}, err
	}
	var p InterestPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if _, _, err := get[Project](c, ObjProject, p.Project); err != nil {
		return store.Effect{}, invalid("project %q: no such project", p.Project)
	}
	if err := checkText("text", p.Text, MaxText, true); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("organization", p.Organization, MaxTitle, false); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	in := Interest{ID: idx, Project: p.Project, Party: c.Actor.Party.ID, Member: c.Actor.Member.ID, Organization: p.Organization, Text: p.Text, At: now}
	aud, mask := everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjInterest, itoa(idx), p.Project, in)}}, nil
}
