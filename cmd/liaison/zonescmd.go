package main

// The zones from a terminal: list, show, propose, sign, import, export. A
// zone binds once every side and the mediator have signed the hash of its
// exact content, so sign shows what it signs before it signs it, and
// import says, feature by feature, what became of each.

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/geo"
	"github.com/liaison-cell/liaison/internal/record"
)

func zoneVerbs() []subverb {
	return []subverb{
		{"list", "list [--json]", zonesList},
		{"show", "show ID [--json]", zonesShow},
		{"propose", "propose FILE.json (a zone: id, name, kind, geometry, rules, ...)", zonesPropose},
		{"sign", "sign ID [--version N]", zonesSign},
		{"import", "import FILE.geojson [--dry-run] [--parallel N]", zonesImport},
		{"export", "export [--kml] [--drafts] --out FILE", zonesExport},
	}
}

func runZones(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "zones", zoneVerbs(), nil, args, stdout, stderr)
}

func zonesList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("zones list", stderr)
	asJSON := fs.Bool("json", false, "print the zones as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	zs, err := c.Zones(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, zs)
	}
	if len(zs) == 0 {
		fmt.Fprintln(stdout, "No zones yet: propose one with 'liaison zones propose FILE.json' or 'liaison zones import FILE.geojson'.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ZONE\tKIND\tIN FORCE\tLATEST\tNAME")
	for _, z := range zs {
		inForce := "none (draft)"
		if z.Agreed > 0 {
			inForce = "version " + strconv.Itoa(z.Agreed)
		}
		latest := strconv.Itoa(z.Latest)
		if z.Latest > z.Agreed {
			latest += " (draft)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", z.ID, z.Kind, inForce, latest, oneLine(z.Name, 60))
	}
	return tw.Flush()
}

func zoneArg(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", errors.New("name one zone by its id (see 'liaison zones list')")
	}
	return pos[0], nil
}

func zonesShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("zones show", stderr)
	asJSON := fs.Bool("json", false, "print the zone and its versions as JSON")
	id, err := zoneArg(fs, args)
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	z, err := c.Zone(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, z)
	}
	fmt.Fprintf(stdout, "Zone %s: %s (%s)\n", z.ID, z.Name, z.Kind)
	for _, lang := range slices.Sorted(maps.Keys(z.Names)) {
		fmt.Fprintf(stdout, "  %s: %s\n", lang, z.Names[lang])
	}
	if z.Agreed > 0 {
		fmt.Fprintf(stdout, "In force: version %d since %s (hash %s)\n", z.Agreed, utc(z.AgreedAt), z.AgreedHash)
	} else {
		fmt.Fprintln(stdout, "In force: none yet: a draft binds no one.")
	}
	for _, v := range z.Versions {
		fmt.Fprintf(stdout, "\nVersion %d: %s, proposed by %s (%s) at %s, entry %d\n", v.Version, strings.ToUpper(v.Status), v.ProposedBy, v.Party, utc(v.Proposed), v.Entry)
		fmt.Fprintf(stdout, "  hash       %s\n", v.Hash)
		describeZoneContent(stdout, v.Content)
		for _, p := range slices.Sorted(maps.Keys(v.Signatures)) {
			s := v.Signatures[p]
			fmt.Fprintf(stdout, "  signed by  %s (%s) at %s, entry %d\n", p, s.Member, utc(s.At), s.Entry)
		}
		if len(v.Awaiting) > 0 && v.Status == "draft" {
			fmt.Fprintf(stdout, "  awaiting   %s\n", strings.Join(v.Awaiting, ", "))
		}
	}
	return nil
}

// describeZoneContent prints what a version says, line by line.
func describeZoneContent(w io.Writer, z deconflict.ZoneContent) {
	var g struct {
		Type string `json:"type"`
	}
	json.Unmarshal(z.Geometry, &g) //nolint:errcheck // the server's own canonical JSON
	shape := g.Type
	switch {
	case z.RadiusM > 0:
		shape += fmt.Sprintf(", radius %g m", z.RadiusM)
	case z.WidthM > 0:
		shape += fmt.Sprintf(", width %g m", z.WidthM)
	}
	if z.BufferM > 0 {
		shape += fmt.Sprintf(", buffer %g m", z.BufferM)
	}
	fmt.Fprintf(w, "  shape      %s\n", shape)
	for _, t := range slices.Sorted(maps.Keys(z.Rules)) {
		fmt.Fprintf(w, "  rule       %s: %s\n", t, ruleWords(z.Rules[t]))
	}
	if z.Default != nil {
		fmt.Fprintf(w, "  otherwise  %s\n", ruleWords(*z.Default))
	}
	var limits []string
	for _, cat := range deconflict.ForceCategories {
		if n, ok := z.Limits[cat]; ok {
			limits = append(limits, fmt.Sprintf("%s %d", cat, n))
		}
	}
	if len(limits) > 0 {
		fmt.Fprintf(w, "  limits     %s\n", strings.Join(limits, ", "))
	}
	if z.Note != "" {
		fmt.Fprintf(w, "  note       %s\n", oneLine(z.Note, 200))
	}
}

func ruleWords(r deconflict.Rule) string {
	if r.Rule != deconflict.RuleNotice {
		return r.Rule
	}
	return "notice " + leadTime(r.LeadTime) + " ahead"
}

func leadTime(s int) string {
	if s%3600 == 0 {
		return strconv.Itoa(s/3600) + " h"
	}
	return strconv.Itoa(s/60) + " min"
}

func zonesPropose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("zones propose", stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("give one file: the zone as JSON (id, name, kind, geometry, and radius_m, width_m, buffer_m, rules, default, limits, note as needed)")
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	var z deconflict.ZoneContent
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&z); err != nil {
		return fmt.Errorf("%s: %v (a zone has id, name, names, kind, geometry, radius_m, width_m, buffer_m, rules, default, limits, note)", pos[0], err)
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	sub, err := submitOn(ctx, cfg, c, key, deconflict.KindZonePropose, "/zones", map[string]any{"zone": z}, stderr)
	if err != nil {
		return err
	}
	d, err := c.Zone(ctx, z.ID)
	if err != nil {
		return sessionError(err)
	}
	for _, v := range d.Versions {
		if v.Entry == sub.Entry.Index {
			fmt.Fprintf(stdout, "Proposed version %d of zone %s (%s, %s) at log index %d.\nHash %s\nA draft: it binds no one until %s sign it ('liaison zones sign %s').\n",
				v.Version, z.ID, v.Content.Name, v.Content.Kind, v.Entry, v.Hash, strings.Join(v.Awaiting, ", "), z.ID)
			return nil
		}
	}
	fmt.Fprintf(stdout, "Proposed zone %s at log index %d.\n", z.ID, sub.Entry.Index)
	return nil
}

func zonesSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("zones sign", stderr)
	version := fs.Int("version", 0, "the version to sign (default: the latest, if it is a draft)")
	id, err := zoneArg(fs, args)
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	z, err := c.Zone(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	n := *version
	if n == 0 {
		n = z.Latest
	}
	i := slices.IndexFunc(z.Versions, func(v deconflict.ZoneVersion) bool { return v.Version == n })
	if i < 0 {
		return fmt.Errorf("zone %s has no version %d (it has 1 to %d)", id, n, z.Latest)
	}
	v := z.Versions[i]
	if v.Status != "draft" {
		return fmt.Errorf("version %d of zone %s is %s: there is nothing to sign; %s", n, id, v.Status, errNothingSent)
	}
	// What is signed, said before it is: the hash stands for exactly this
	// content, and a signature is for ever.
	fmt.Fprintf(stdout, "Signing zone %s version %d:\n  name       %s\n  kind       %s\n  hash       %s\n", id, n, v.Content.Name, v.Content.Kind, v.Hash)
	describeZoneContent(stdout, v.Content)
	sub, err := submitOn(ctx, cfg, c, key, deconflict.KindZoneSign, "/zones/"+id+"/sign", map[string]any{"zone": id, "version": n, "hash": v.Hash}, stderr)
	if err != nil {
		return err
	}
	z, err = c.Zone(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	fmt.Fprintf(stdout, "Signed at log index %d.\n", sub.Entry.Index)
	for _, v := range z.Versions {
		if v.Version != n {
			continue
		}
		if v.Status == "agreed" {
			fmt.Fprintf(stdout, "Every signatory has signed: version %d of zone %s is in force.\n", n, id)
		} else {
			fmt.Fprintf(stdout, "Still awaiting: %s.\n", strings.Join(v.Awaiting, ", "))
		}
	}
	return nil
}

func zonesExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("zones export", stderr)
	kml := fs.Bool("kml", false, "write KML 2.2 (Google Earth) instead of GeoJSON")
	drafts := fs.Bool("drafts", false, "add each zone's latest draft, marked as a draft")
	out := fs.String("out", "", "the file to write (- for standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out FILE is required (- for standard output)")
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	data, err := c.ExportZones(ctx, *kml, *drafts)
	if err != nil {
		return sessionError(err)
	}
	if *out == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	what := "the zones in force"
	if *drafts {
		what += " and their drafts"
	}
	fmt.Fprintf(stdout, "Wrote %s to %s (%d bytes).\n", what, *out, len(data))
	return nil
}

// importZone is one feature of an import file, as the zone it proposes.
type importZone struct {
	index int
	zone  deconflict.ZoneContent
	err   error // why it cannot be proposed, found before anything is sent
}

// zonesFromFile reads a FeatureCollection as zones, each checked as the
// server will check it: the geometry in region, then the properties (as
// the export writes them; version, status and hash are the cell's and
// are ignored). A feature that cannot be a zone is kept with its reason;
// an error of the file itself (not JSON, another crs) refuses it whole.
func zonesFromFile(data []byte, r *cell.Region) ([]importZone, error) {
	if r == nil {
		return nil, errors.New("the cell has no region yet, and every zone must lie in it: the mediator's admins set it first (cell.settings)")
	}
	region := geo.Rect{LatLo: r.South, LatHi: r.North, LngLo: r.West, LngHi: r.East}
	fs, err := geo.ParseFeatureCollection(data, region)
	errs := make([]error, len(fs))
	if err != nil {
		var ge *geo.Error
		if !errors.As(err, &ge) || !strings.HasPrefix(ge.Path, "features[") {
			return nil, err
		}
		// A feature is wrong (the file's own members were read before its
		// features): read each on its own, so that one broken polygon of
		// a layer refuses that zone and not its neighbours.
		if fs, errs, err = featuresOneByOne(data, region); err != nil {
			return nil, err
		}
	}
	out := make([]importZone, len(fs))
	ids := map[string]int{}
	for i, f := range fs {
		if errs[i] != nil {
			out[i] = importZone{index: i, zone: deconflict.ZoneContent{ID: f.ID}, err: errs[i]}
			continue
		}
		z, err := zoneOf(i, f, r, ids)
		out[i] = importZone{index: i, zone: z, err: err}
	}
	return out, nil
}

// featuresOneByOne parses each feature of a collection as a collection of
// its own, and says what is wrong with each, named by its place in the
// file. It keeps the file's limit on positions.
func featuresOneByOne(data []byte, region geo.Rect) ([]geo.Feature, []error, error) {
	var top struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, nil, err
	}
	fs := make([]geo.Feature, len(top.Features))
	errs := make([]error, len(top.Features))
	positions := 0
	for i, raw := range top.Features {
		var id struct {
			ID any `json:"id"`
		}
		if json.Unmarshal(raw, &id) == nil {
			if s, ok := id.ID.(string); ok {
				fs[i].ID = s
			}
		}
		one, err := geo.ParseFeatureCollection([]byte(`{"type":"FeatureCollection","features":[`+string(raw)+`]}`), region)
		var ge *geo.Error
		switch {
		case errors.As(err, &ge):
			errs[i] = &geo.Error{Path: "features[" + strconv.Itoa(i) + "]" + strings.TrimPrefix(ge.Path, "features[0]"), Reason: ge.Reason, Err: ge.Err}
		case err != nil:
			errs[i] = fmt.Errorf("features[%d]: %w", i, err)
		default:
			fs[i] = one[0]
			if positions += one[0].Footprint.NumVertices(); positions > geo.MaxFileVertices {
				return nil, nil, fmt.Errorf("the file holds more than %d positions from features[%d] on: import it in parts", geo.MaxFileVertices, i)
			}
		}
	}
	return fs, errs, nil
}

// zoneOf reads feature i as a zone; ids holds the zones of the features
// before it. The zone's id is set whenever the feature names one, so that
// a refusal says which zone it refuses.
func zoneOf(i int, f geo.Feature, r *cell.Region, ids map[string]int) (deconflict.ZoneContent, error) {
	var p deconflict.FeatureProperties
	if string(f.Properties) != "null" {
		dec := json.NewDecoder(bytes.NewReader(f.Properties))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return deconflict.ZoneContent{ID: f.ID}, fmt.Errorf("features[%d].properties: %v (a zone's are id, name, names, kind, rules, default, limits, buffer_m, radius_m, width_m, note; version, status and hash are read past)", i, err)
		}
	}
	if f.ID != "" && p.ID != "" && f.ID != p.ID {
		return deconflict.ZoneContent{ID: f.ID}, fmt.Errorf("features[%d]: the feature's id is %q but properties.id is %q", i, f.ID, p.ID)
	}
	p.ID = cmp.Or(p.ID, f.ID)
	if p.ID == "" {
		return deconflict.ZoneContent{}, fmt.Errorf("features[%d]: no zone id: give the feature an id, or properties.id", i)
	}
	if j, dup := ids[p.ID]; dup {
		return deconflict.ZoneContent{ID: p.ID}, fmt.Errorf("features[%d]: zone %s is also features[%d]: one version of a zone per file", i, p.ID, j)
	}
	ids[p.ID] = i
	shape := deconflict.Shape{Geometry: f.Footprint.GeoJSON()}
	switch f.Footprint.Kind() {
	case geo.Point:
		shape.RadiusM = f.Footprint.Radius()
	case geo.LineString:
		shape.WidthM = f.Footprint.Width()
	}
	z := p.Content(shape)
	if err := deconflict.CheckZone(&z, r); err != nil {
		return deconflict.ZoneContent{ID: p.ID}, fmt.Errorf("features[%d]: %s", i, strings.TrimPrefix(err.Error(), cell.ErrInvalid.Error()+": "))
	}
	return z, nil
}

// importOutcome is what became of one feature.
type importOutcome struct {
	what, detail string
	refused      bool
}

func zonesImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("zones import", stderr)
	dryRun := fs.Bool("dry-run", false, "check the whole file and say what would be proposed; send nothing")
	parallel := fs.Int("parallel", 4, "proposals in flight at once (the server commits those that arrive together in one transaction)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("give one file: a GeoJSON FeatureCollection of zones (as 'liaison zones export' writes)")
	}
	if *parallel < 1 || *parallel > 64 {
		return errors.New("--parallel is between 1 and 64")
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	info, _, err := c.CellInfo(ctx)
	if err != nil {
		return sessionError(err)
	}
	zs, err := zonesFromFile(data, info.Settings.Region)
	if err != nil {
		return fmt.Errorf("%s: %v; nothing was sent", pos[0], err)
	}
	outcomes := make([]importOutcome, len(zs))
	if *dryRun {
		for i, z := range zs {
			outcomes[i] = dryRunOutcome(ctx, c, z)
		}
	} else {
		key, err := cfg.deviceKey()
		if err != nil {
			return err
		}
		// The idempotency id of each proposal is the file's hash and the
		// feature's place in it: a re-run of the same file lands nothing
		// twice (the server answers that the id was used), and an edited
		// file proposes anew what changed, while what did not is answered
		// "already says exactly this".
		sum := sha256.Sum256(data)
		file := hex.EncodeToString(sum[:16])
		var wg sync.WaitGroup
		next := make(chan int)
		for range *parallel {
			wg.Go(func() {
				for i := range next {
					outcomes[i] = proposeOutcome(ctx, cfg.Cell, c, key, zs[i], "zones-import:"+file+":"+strconv.Itoa(i), stderr)
				}
			})
		}
		for i := range zs {
			if zs[i].err != nil {
				outcomes[i] = importOutcome{what: "refused", detail: zs[i].err.Error(), refused: true}
				continue
			}
			select {
			case next <- i:
			case <-ctx.Done():
			}
		}
		close(next)
		wg.Wait()
	}
	counts := map[string]int{}
	refused := 0
	for i, o := range outcomes {
		id := zs[i].zone.ID
		if id == "" {
			id = "features[" + strconv.Itoa(i) + "]"
		}
		if o.what == "" {
			o = importOutcome{what: "not sent", detail: "interrupted", refused: true}
		}
		fmt.Fprintf(stdout, "%-17s %-24s %s\n", o.what, id, o.detail)
		counts[o.what]++
		if o.refused {
			refused++
		}
	}
	var summary []string
	for _, w := range slices.Sorted(maps.Keys(counts)) {
		summary = append(summary, fmt.Sprintf("%d %s", counts[w], w))
	}
	verb := "Imported"
	if *dryRun {
		verb = "Dry run, nothing sent"
	}
	fmt.Fprintf(stdout, "%s: %d features: %s.\n", verb, len(zs), strings.Join(summary, ", "))
	if refused > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d features refused (see above)", refused, len(zs))}
	}
	return nil
}

// proposeOutcome proposes one zone and says what became of it.
func proposeOutcome(ctx context.Context, cellID string, c *client.Client, key *record.DeviceKey, z importZone, id string, stderr io.Writer) importOutcome {
	if z.err != nil {
		return importOutcome{what: "refused", detail: z.err.Error(), refused: true}
	}
	env, err := client.Sign(key, cellID, deconflict.KindZonePropose, map[string]any{"id": id, "zone": z.zone})
	if err != nil {
		return importOutcome{what: "refused", detail: err.Error(), refused: true}
	}
	sub, err := submitRetrying(ctx, c, "/zones", env, stderr)
	var apiErr *client.Error
	switch {
	case err == nil && sub.Duplicate:
		return importOutcome{what: "already imported", detail: fmt.Sprintf("from this file before (entry %d)", sub.Entry.Index)}
	case err == nil:
		return importOutcome{what: "proposed", detail: fmt.Sprintf("%s, a draft (log index %d)", z.zone.Kind, sub.Entry.Index)}
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict && strings.Contains(apiErr.Detail, "already says exactly this"):
		return importOutcome{what: "unchanged", detail: apiErr.Detail}
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict && strings.Contains(apiErr.Detail, "idempotency id"):
		// Signed anew by this re-run: the id says it landed before.
		return importOutcome{what: "already imported", detail: "from this file before " + strings.TrimPrefix(apiErr.Detail, "idempotency id already used for a different command ")}
	case errors.As(err, &apiErr):
		return importOutcome{what: "refused", detail: apiErr.Error(), refused: true}
	}
	return importOutcome{what: "not sent", detail: sessionError(err).Error(), refused: true}
}

// dryRunOutcome says what an import would do with one zone, from the
// zone's current state: new, a new version, or unchanged.
func dryRunOutcome(ctx context.Context, c *client.Client, z importZone) importOutcome {
	if z.err != nil {
		return importOutcome{what: "would refuse", detail: z.err.Error(), refused: true}
	}
	cur, err := c.Zone(ctx, z.zone.ID)
	if client.IsStatus(err, http.StatusNotFound) {
		return importOutcome{what: "would propose", detail: fmt.Sprintf("a new %s zone, version 1 (hash %s)", z.zone.Kind, deconflict.ZoneHash(z.zone))}
	}
	if err != nil {
		return importOutcome{what: "unknown", detail: sessionError(err).Error(), refused: true}
	}
	if cur.Kind != z.zone.Kind {
		return importOutcome{what: "would refuse", detail: fmt.Sprintf("zone %s is a %s zone; a new version keeps its kind", z.zone.ID, cur.Kind), refused: true}
	}
	hash := deconflict.ZoneHash(z.zone)
	for _, v := range cur.Versions {
		if v.Version == cur.Latest && v.Hash == hash {
			return importOutcome{what: "unchanged", detail: fmt.Sprintf("version %d already says exactly this", v.Version)}
		}
	}
	return importOutcome{what: "would propose", detail: fmt.Sprintf("version %d of zone %s (hash %s)", cur.Latest+1, z.zone.ID, hash)}
}
