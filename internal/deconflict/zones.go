package deconflict

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// ZonePayload is the payload of zone.propose: a new version of a zone
// (the first makes the zone).
type ZonePayload struct {
	record.Header
	Zone ZoneContent `json:"zone"`
}

// ZoneHash is the hash the parties sign: SHA-256 of the content's JSON as
// the server stores it (the geometry in its canonical form), in hex.
func ZoneHash(z ZoneContent) string {
	b, err := json.Marshal(z)
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ReservedZoneID is the one id a zone may not take: the API's path of the
// zones' export, /zones/export, would hide the zone's own.
const ReservedZoneID = "export"

// maxBuffer bounds a zone's buffer: a safety distance, not a region.
const maxBuffer = 50_000

// checkZone validates a zone's content and puts its geometry in canonical
// form.
func checkZone(z *ZoneContent, r *cell.Region) error {
	if !idPattern.MatchString(z.ID) {
		return invalid("zone id %q: use lower-case letters, digits, '.', '_' or '-'", z.ID)
	}
	if z.ID == ReservedZoneID {
		return invalid("zone id %q is reserved: GET /api/v1/zones/%s is the zones' export, and a zone of that id could not be read", z.ID, z.ID)
	}
	if err := checkText("name", z.Name, MaxTitle, true); err != nil {
		return err
	}
	if err := cell.CheckNames("names", z.Names); err != nil {
		return err
	}
	if !slices.Contains(ZoneKinds, z.Kind) {
		return invalid("zone kind %q: want one of %s", z.Kind, strings.Join(ZoneKinds, ", "))
	}
	fp, err := parseShape(z.Shape, r)
	if err != nil {
		return invalid("zone %s: %v", z.ID, err)
	}
	z.Shape = fp.shape()
	if z.BufferM < 0 || z.BufferM > maxBuffer || math.IsNaN(z.BufferM) {
		return invalid("buffer_m must be between 0 and %d metres", maxBuffer)
	}
	for t, rule := range z.Rules {
		if !slices.Contains(ActivityTypes, t) {
			return invalid("rules: %q is not an activity type (%s)", t, strings.Join(ActivityTypes, ", "))
		}
		if err := checkRule("rules."+t, rule); err != nil {
			return err
		}
	}
	if z.Default != nil {
		if err := checkRule("default", *z.Default); err != nil {
			return err
		}
	}
	for cat, n := range z.Limits {
		if !slices.Contains(ForceCategories, cat) {
			return invalid("limits: %q is not a force category (%s)", cat, strings.Join(ForceCategories, ", "))
		}
		if n < 0 || n > 1_000_000 {
			return invalid("limits.%s must be between 0 and 1000000", cat)
		}
	}
	return checkText("note", z.Note, MaxDescription, false)
}

func checkRule(field string, r Rule) error {
	switch r.Rule {
	case RuleProhibited, RuleAllowed:
		if r.LeadTime != 0 {
			return invalid("%s: a lead time goes with the notice rule only", field)
		}
	case RuleNotice:
		if r.LeadTime < 60 || r.LeadTime > 30*24*3600 {
			return invalid("%s: a notice rule needs lead_time_s between 60 seconds and 30 days", field)
		}
	default:
		return invalid("%s: rule %q: want prohibited, notice or allowed", field, r.Rule)
	}
	return nil
}

// zonePropose records a new version of a zone as a draft, which binds no
// one until every side and the mediator sign its hash. Any side or the
// mediator proposes (a protected site, say); observers do not.
func zonePropose(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "proposing a zone"}); err != nil {
		return store.Effect{}, err
	}
	var p ZonePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	r, err := region(c)
	if err != nil {
		return store.Effect{}, err
	}
	z := p.Zone
	if err := checkZone(&z, r); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	zone, _, err := get[Zone](c, ObjZone, z.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		zone = Zone{ID: z.ID}
	case err != nil:
		return store.Effect{}, err
	case zone.Kind != z.Kind:
		return store.Effect{}, invalid("zone %s is a %s zone; a new version keeps its kind (propose another zone instead)", z.ID, zone.Kind)
	}
	if zone.Latest > 0 {
		last, _, err := get[ZoneVersion](c, ObjZoneVersion, ZoneVersionID(z.ID, zone.Latest))
		if err != nil {
			return store.Effect{}, err
		}
		if last.Hash == ZoneHash(z) {
			return store.Effect{}, conflict("version %d of zone %s already says exactly this", last.Version, z.ID)
		}
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	zone.Name, zone.Names, zone.Kind = z.Name, z.Names, z.Kind
	zone.Latest++
	party := ""
	if c.Actor.Party != nil {
		party = c.Actor.Party.ID
	}
	v := ZoneVersion{Zone: z.ID, Version: zone.Latest, Content: z, Hash: ZoneHash(z), ProposedBy: member(c.Actor), Party: party,
		Proposed: now, Entry: idx, Signatures: map[string]Signature{}, Status: "draft", Awaiting: signatories(parties)}
	aud, mask := cell.Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjZone, z.ID, "", zone), put(ObjZoneVersion, ZoneVersionID(z.ID, v.Version), z.ID, v)}}, nil
}

// SignPayload is the payload of zone.sign: a party's agreement to one
// version's exact content, named by its hash.
type SignPayload struct {
	record.Header
	Zone    string `json:"zone"`
	Version int    `json:"version"`
	Hash    string `json:"hash"`
}

// zoneSign records a party's signature of a version. When the last of the
// sides and the mediator signs, the version is agreed and in force; an
// agreed version earlier than it is superseded.
func zoneSign(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "signing a zone"}); err != nil {
		return store.Effect{}, err
	}
	if c.Actor.Server {
		return store.Effect{}, forbidden("the server signs no zone: the parties do")
	}
	var p SignPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	zone, _, err := get[Zone](c, ObjZone, p.Zone)
	if err != nil {
		return store.Effect{}, invalid("no zone %q", p.Zone)
	}
	v, _, err := get[ZoneVersion](c, ObjZoneVersion, ZoneVersionID(p.Zone, p.Version))
	if err != nil {
		return store.Effect{}, invalid("zone %s has no version %d", p.Zone, p.Version)
	}
	if p.Hash != v.Hash {
		return store.Effect{}, conflict("version %d of zone %s has hash %s, not %s: read it again before signing", p.Version, p.Zone, v.Hash, p.Hash)
	}
	if v.Status != "draft" {
		return store.Effect{}, conflict("version %d of zone %s is already %s", p.Version, p.Zone, v.Status)
	}
	party := c.Actor.Party.ID
	if !slices.Contains(v.Awaiting, party) {
		if _, ok := v.Signatures[party]; ok {
			return store.Effect{}, conflict("%s has already signed version %d of zone %s", party, p.Version, p.Zone)
		}
		return store.Effect{}, forbidden("%s does not sign zones: the sides and the mediator do", party)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	v.Signatures = maps.Clone(v.Signatures)
	v.Signatures[party] = Signature{Member: member(c.Actor), Entry: idx, At: now}
	v.Awaiting = slices.DeleteFunc(slices.Clone(v.Awaiting), func(id string) bool { return id == party })
	changes := []store.Change{}
	if len(v.Awaiting) == 0 && v.Version > zone.Agreed {
		if zone.Agreed > 0 {
			old, _, err := get[ZoneVersion](c, ObjZoneVersion, ZoneVersionID(p.Zone, zone.Agreed))
			if err != nil {
				return store.Effect{}, err
			}
			old.Status = "superseded"
			changes = append(changes, put(ObjZoneVersion, ZoneVersionID(p.Zone, old.Version), p.Zone, old))
		}
		v.Status = "agreed"
		zone.Agreed, zone.AgreedHash, zone.AgreedAt = v.Version, v.Hash, now
		zone.Name, zone.Names = v.Content.Name, v.Content.Names
		changes = append(changes, put(ObjZone, zone.ID, "", zone))
	}
	changes = append(changes, put(ObjZoneVersion, ZoneVersionID(p.Zone, v.Version), p.Zone, v))
	aud, mask := cell.Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// agreedZone is a zone version in force, with its footprint.
type agreedZone struct {
	ZoneVersion
	fp *footprint
}

// agreedZones returns every zone version in force, with footprints: the
// zones that bind. A batch of notifications reads them once.
func agreedZones(c *cell.Command) ([]agreedZone, error) {
	zs, err := store.Memoized(c.View, "deconflict.agreed", []string{ObjZone, ObjZoneVersion}, func() ([]agreedZone, error) {
		var out []agreedZone
		for after := int64(-1); ; {
			objs, err := c.View.List(c.Ctx, ObjZone, "", after, 1000)
			if err != nil {
				return nil, err
			}
			for _, o := range objs {
				after = o.Seq
				var z Zone
				if err := json.Unmarshal(o.Doc, &z); err != nil {
					return nil, err
				}
				if z.Agreed == 0 {
					continue
				}
				v, _, err := get[ZoneVersion](c, ObjZoneVersion, ZoneVersionID(z.ID, z.Agreed))
				if err != nil {
					return nil, err
				}
				fp, err := parseShape(v.Content.Shape, nil)
				if err != nil {
					return nil, err
				}
				out = append(out, agreedZone{ZoneVersion: v, fp: fp})
			}
			if len(objs) < 1000 {
				return out, nil
			}
		}
	})
	return zs, err
}

// ForcePayload is the payload of force.declare.
type ForcePayload struct {
	record.Header
	Zone   string         `json:"zone"`
	AsOf   time.Time      `json:"as_of"`
	Counts map[string]int `json:"counts"`
}

func checkCounts(field string, counts map[string]int) error {
	if len(counts) == 0 {
		return invalid("%s: at least one category", field)
	}
	for cat, n := range counts {
		if !slices.Contains(ForceCategories, cat) {
			return invalid("%s: %q is not a force category (%s)", field, cat, strings.Join(ForceCategories, ", "))
		}
		if n < 0 || n > 10_000_000 {
			return invalid("%s.%s must be between 0 and 10000000", field, cat)
		}
	}
	return nil
}

// excesses lists the counts above a zone's limits.
func excesses(counts, limits map[string]int) []Excess {
	out := []Excess{}
	for _, cat := range ForceCategories {
		if lim, ok := limits[cat]; ok && counts[cat] > lim {
			out = append(out, Excess{Category: cat, Count: counts[cat], Limit: lim})
		}
	}
	return out
}

// zoneInForce returns the version of a zone in force, or an error saying
// that the zone binds no one yet.
func zoneInForce(c *cell.Command, id string) (ZoneVersion, error) {
	z, _, err := get[Zone](c, ObjZone, id)
	if err != nil {
		return ZoneVersion{}, invalid("no zone %q", id)
	}
	if z.Agreed == 0 {
		return ZoneVersion{}, invalid("zone %s is not agreed yet: nothing is checked against a draft", id)
	}
	v, _, err := get[ZoneVersion](c, ObjZoneVersion, ZoneVersionID(id, z.Agreed))
	return v, err
}

// forceDeclare records a side's forces in a zone and checks them against
// the zone's limits in force. The sides and the mediator read it.
func forceDeclare(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "declaring forces"}); err != nil {
		return store.Effect{}, err
	}
	if c.Actor.Server || c.Actor.Party.Kind != cell.Side {
		return store.Effect{}, forbidden("the sides declare their forces; the mediator inspects")
	}
	var p ForcePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkCounts("counts", p.Counts); err != nil {
		return store.Effect{}, err
	}
	v, err := zoneInForce(c, p.Zone)
	if err != nil {
		return store.Effect{}, err
	}
	if len(v.Content.Limits) == 0 {
		return store.Effect{}, invalid("zone %s sets no force limits", p.Zone)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	if p.AsOf.IsZero() {
		p.AsOf = now
	}
	if p.AsOf.After(now.Add(time.Hour)) {
		return store.Effect{}, invalid("as_of is in the future: declare what is there")
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := table(parties)
	if err != nil {
		return store.Effect{}, err
	}
	d := Declaration{ID: idx, Zone: p.Zone, Party: c.Actor.Party.ID, Member: member(c.Actor), AsOf: p.AsOf.UTC(),
		Counts: p.Counts, Over: excesses(p.Counts, v.Content.Limits), Version: v.Version}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjDeclaration, itoa(idx), p.Zone, d),
		// The latest declaration of each side in each zone, which an
		// inspection compares with.
		put(ObjDeclaration, "latest/"+p.Zone+"/"+d.Party, "latest", d)}}, nil
}

// InspectPayload is the payload of force.inspect.
type InspectPayload struct {
	record.Header
	Zone     string         `json:"zone"`
	Party    string         `json:"party"`
	Observed map[string]int `json:"observed"`
	Note     string         `json:"note,omitempty"`
}

// forceInspect records what the mediator observed of a side's forces in a
// zone; a difference from the side's latest declaration, or a count over
// a limit, becomes an incident addressed to the side.
func forceInspect(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDeconflict, cell.Target{Doing: "inspecting"}); err != nil {
		return store.Effect{}, err
	}
	if cell.May(c.Actor, cell.MediateDeconflict, cell.Target{}) != nil {
		return store.Effect{}, forbidden("the mediator inspects")
	}
	var p InspectPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkCounts("observed", p.Observed); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("note", p.Note, MaxDescription, false); err != nil {
		return store.Effect{}, err
	}
	pa, err := cell.GetParty(c.Ctx, c.View, p.Party)
	if err != nil || pa.Kind != cell.Side {
		return store.Effect{}, invalid("%q is not a side of this cell", p.Party)
	}
	v, err := zoneInForce(c, p.Zone)
	if err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	in := Inspection{ID: idx, Zone: p.Zone, Party: p.Party, Member: member(c.Actor), At: now, Observed: p.Observed, Note: p.Note,
		Findings: excesses(p.Observed, v.Content.Limits)}
	decl, _, err := get[Declaration](c, ObjDeclaration, "latest/"+p.Zone+"/"+p.Party)
	if err == nil {
		in.Declaration = decl.ID
		for _, cat := range ForceCategories {
			seen, ok := p.Observed[cat]
			if !ok {
				continue
			}
			if declared := decl.Counts[cat]; declared != seen && !slices.ContainsFunc(in.Findings, func(e Excess) bool { return e.Category == cat }) {
				in.Findings = append(in.Findings, Excess{Category: cat, Count: seen, Limit: v.Content.Limits[cat], Declared: &declared})
			}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := table(parties)
	if err != nil {
		return store.Effect{}, err
	}
	changes := []store.Change{}
	if len(in.Findings) > 0 {
		in.Incident = idx
		info, err := cell.GetInfo(c.Ctx, c.View)
		if err != nil {
			return store.Effect{}, err
		}
		inc := Incident{ID: idx, Party: c.Actor.Party.ID, Member: member(c.Actor), OccurredAt: now, Location: v.Content.Shape,
			Category: "force_limits", Severity: "high", Precedence: cell.Precedences[1],
			Title:       "Inspection of " + v.Content.Name + ": forces differ from the declaration or the limits",
			Description: describeFindings(in.Findings), Addressed: []string{p.Party}, Reported: now, Inspection: idx, Sites: []ZoneConflict{}}
		changes = append(changes, put(ObjIncident, itoa(idx), inc.Party, inc))
		changes = append(changes, incidentDues(inc, info.Settings, now)...)
	}
	changes = append(changes, put(ObjInspection, itoa(idx), p.Zone, in))
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

func describeFindings(fs []Excess) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Category)
		b.WriteString(": observed ")
		b.WriteString(itoa(int64(f.Count)))
		if f.Declared != nil {
			b.WriteString(", declared ")
			b.WriteString(itoa(int64(*f.Declared)))
		}
		if f.Limit > 0 || f.Declared == nil {
			b.WriteString(", limit ")
			b.WriteString(itoa(int64(f.Limit)))
		}
	}
	return b.String()
}

// PosturePayload is the payload of posture.declare.
type PosturePayload struct {
	record.Header
	State string            `json:"state"`
	Since time.Time         `json:"since"`
	Text  string            `json:"text"`
	Texts map[string]string `json:"texts,omitempty"`
}

// postureDeclare records the cell's military posture, a signed statement
// every party reads ("military operations suspended since ..."). The
// mediator's admins declare it, as the parties agreed it.
func postureDeclare(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ManageParties, cell.Target{}); err != nil {
		return store.Effect{}, forbidden("the mediator's admins declare the cell's posture")
	}
	var p PosturePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if !slices.Contains(Postures, p.State) {
		return store.Effect{}, invalid("state %q: want one of %s", p.State, strings.Join(Postures, ", "))
	}
	if p.Since.IsZero() {
		return store.Effect{}, invalid("since is required: the date the posture holds from")
	}
	if err := checkText("text", p.Text, MaxDescription, true); err != nil {
		return store.Effect{}, err
	}
	if len(p.Texts) > 16 {
		return store.Effect{}, invalid("texts: %d languages, at most 16", len(p.Texts))
	}
	for lang, t := range p.Texts {
		if !cell.IsLangTag(lang) {
			return store.Effect{}, invalid("texts: %q is not a BCP 47 language tag", lang)
		}
		if err := checkText("texts."+lang, t, MaxDescription, true); err != nil {
			return store.Effect{}, err
		}
	}
	idx, _, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask := cell.Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjPosture, ObjPosture, "",
		Posture{State: p.State, Since: p.Since.UTC(), Text: p.Text, Texts: p.Texts, By: member(c.Actor), Entry: idx})}}, nil
}
