package main

// Notified activities from a terminal. A notification that overlaps
// another the officer may read must name it: the server refuses it until
// it does, and this verb shows what to name and how, but never names it on
// the officer's behalf unless asked (--name-conflicts), because naming is
// the record that the officer saw it.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/deconflict"
)

func notifyVerbs() []subverb {
	return []subverb{
		{"list", "list [--json]", notifyList},
		{"show", "show N [--json]", notifyShow},
		{"answer", "answer N (--no-objection | --objection REASON)", notifyAnswer},
		{"amend", "amend N [--title S] [--description D] (--geometry FILE|'GeoJSON' [--radius M | --width M] [--alt LO-HI] --start TIME (--end TIME | --for 3h)) ... [--seen N:V,...]", notifyAmend},
		{"end", "end N (--executed | --withdrawn) [--note TEXT]", notifyEnd},
		{"clear", "clear N (--cleared | --objection NOTE)   (the mediator: a conflict held for it)", notifyClear},
	}
}

func runNotify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "notify", notifyVerbs(), notifyNew, args, stdout, stderr)
}

// volumes gathers volumes from the command line: each --geometry starts
// one, and --radius, --width, --alt, --start, --end and --for that follow
// it are its own.
type volumes struct {
	now  time.Time
	vols []volumeFlags
}

type volumeFlags struct {
	geometry      json.RawMessage
	radius, width float64
	alt           *[2]float64
	start, end    time.Time
	dur           time.Duration
}

func (vs *volumes) cur() *volumeFlags {
	if len(vs.vols) == 0 {
		vs.vols = append(vs.vols, volumeFlags{})
	}
	return &vs.vols[len(vs.vols)-1]
}

// volumeFlag is one flag of the current volume.
type volumeFlag struct {
	vs  *volumes
	set func(v *volumeFlags, s string) error
}

func (f volumeFlag) String() string     { return "" }
func (f volumeFlag) Set(s string) error { return f.set(f.vs.cur(), s) }

func (vs *volumes) define(fs *flag.FlagSet) {
	// --geometry starts a volume; the others complete the current one.
	fs.Var(geometryFlag{vs}, "geometry", "the volume's footprint: a GeoJSON file, or the GeoJSON in quotes; repeat with its own --start ... for more volumes")
	fs.Var(volumeFlag{vs, func(v *volumeFlags, s string) error {
		x, err := strconv.ParseFloat(s, 64)
		v.radius = x
		return metres("--radius", x, err)
	}}, "radius", "a point's radius in metres")
	fs.Var(volumeFlag{vs, func(v *volumeFlags, s string) error {
		x, err := strconv.ParseFloat(s, 64)
		v.width = x
		return metres("--width", x, err)
	}}, "width", "a route's width in metres")
	fs.Var(volumeFlag{vs, func(v *volumeFlags, s string) error {
		lo, hi, ok := strings.Cut(s, "-")
		a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
		if !ok || err1 != nil || err2 != nil || !(a < b) {
			return fmt.Errorf("%q: give the band as LO-HI in metres, as in 2000-3000", s)
		}
		v.alt = &[2]float64{a, b}
		return nil
	}}, "alt", "the altitude band LO-HI in metres (default: every altitude)")
	fs.Var(volumeFlag{vs, func(v *volumeFlags, s string) error {
		t, err := parseWhen(s, vs.now)
		v.start = t
		return err
	}}, "start", "when the volume's window starts: RFC 3339 or now+2h")
	fs.Var(volumeFlag{vs, func(v *volumeFlags, s string) error {
		t, err := parseWhen(s, vs.now)
		v.end = t
		return err
	}}, "end", "when it ends: RFC 3339 or now+5h")
	fs.Var(volumeFlag{vs, func(v *volumeFlags, s string) error {
		d, err := parseDuration(s)
		v.dur = d
		return err
	}}, "for", "how long it lasts, instead of --end: 3h, 90m, 2d")
}

func metres(flag string, x float64, err error) error {
	if err != nil || !(x > 0) {
		return fmt.Errorf("%s is a number of metres above 0", flag)
	}
	return nil
}

type geometryFlag struct{ vs *volumes }

func (f geometryFlag) String() string { return "" }
func (f geometryFlag) Set(s string) error {
	g, r, w, err := readGeometry(s)
	if err != nil {
		return err
	}
	if len(f.vs.vols) == 0 || f.vs.cur().geometry != nil {
		f.vs.vols = append(f.vs.vols, volumeFlags{})
	}
	v := f.vs.cur()
	v.geometry = g
	if v.radius == 0 {
		v.radius = r
	}
	if v.width == 0 {
		v.width = w
	}
	return nil
}

// build checks the volumes and renders them as a command carries them.
func (vs *volumes) build() ([]map[string]any, error) {
	if len(vs.vols) == 0 {
		return nil, errors.New("an activity needs a volume: --geometry FILE|'GeoJSON' --start TIME (--end TIME | --for 3h)")
	}
	var out []map[string]any
	for i, v := range vs.vols {
		at := ""
		if len(vs.vols) > 1 {
			at = fmt.Sprintf("volume %d: ", i+1)
		}
		switch {
		case v.geometry == nil:
			return nil, fmt.Errorf("%s--geometry is missing (it comes first, then the volume's other flags)", at)
		case v.start.IsZero():
			return nil, fmt.Errorf("%s--start is required", at)
		case !v.end.IsZero() && v.dur != 0:
			return nil, fmt.Errorf("%sgive --end or --for, not both", at)
		case v.end.IsZero() && v.dur == 0:
			return nil, fmt.Errorf("%s--end or --for is required", at)
		case v.radius > 0 && v.width > 0:
			return nil, fmt.Errorf("%sgive --radius (a point) or --width (a route), not both", at)
		}
		end := v.end
		if end.IsZero() {
			end = v.start.Add(v.dur)
		}
		m := map[string]any{"geometry": v.geometry, "start": v.start.UTC().Format(time.RFC3339), "end": end.UTC().Format(time.RFC3339)}
		if v.radius > 0 {
			m["radius_m"] = v.radius
		}
		if v.width > 0 {
			m["width_m"] = v.width
		}
		if v.alt != nil {
			m["alt_lo_m"], m["alt_hi_m"] = v.alt[0], v.alt[1]
		}
		out = append(out, m)
	}
	return out, nil
}

// parseSeen reads --seen 128:1,130:2.
func parseSeen(s string) ([]deconflict.Ref, error) {
	out := []deconflict.Ref{}
	for _, x := range splitList(s) {
		n, v, ok := strings.Cut(x, ":")
		id, err1 := strconv.ParseInt(strings.TrimPrefix(n, "#"), 10, 64)
		ver, err2 := strconv.Atoi(v)
		if !ok || err1 != nil || err2 != nil || id < 0 || ver < 1 {
			return nil, fmt.Errorf("--seen %q: name each notification as NUMBER:VERSION, as in --seen 128:1,130:2", x)
		}
		out = append(out, deconflict.Ref{Notification: id, Version: ver})
	}
	return out, nil
}

func seenFlag(refs []deconflict.Ref) string {
	var s []string
	for _, r := range refs {
		s = append(s, fmt.Sprintf("%d:%d", r.Notification, r.Version))
	}
	return strings.Join(s, ",")
}

// printUnnamed tells the officer what the notification overlaps and how
// to name it.
func printUnnamed(w io.Writer, ovs []deconflict.Overlap, seen []deconflict.Ref) {
	fmt.Fprintln(w, "Refused: the activity overlaps notifications you may read, which you must name as seen:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  N\tVERSION\tPARTY\tTYPE\tTITLE\tWINDOW (UTC)")
	for _, o := range ovs {
		fmt.Fprintf(tw, "  %d\t%d\t%s\t%s\t%s\t%s\n", o.Notification, o.Version, o.Party, o.Type, oneLine(o.Title, 50), span(o.Start, o.End))
	}
	tw.Flush() //nolint:errcheck
	refs := slices.Clone(seen)
	for _, o := range ovs {
		r := deconflict.Ref{Notification: o.Notification, Version: o.Version}
		if !slices.Contains(refs, r) {
			refs = append(refs, r)
		}
	}
	fmt.Fprintf(w, "Read them ('liaison notify show N'), then submit again with --seen %s\n", seenFlag(refs))
}

// submitNotification submits a notification or an amendment; on a 409
// for unnamed conflicts it shows them, and names them and submits once
// more only if nameConflicts.
func submitNotification(ctx context.Context, cfg *config, c *client.Client, kind, path string, fields map[string]any, seen []deconflict.Ref, nameConflicts bool, stdout, stderr io.Writer) (*client.Submitted, error) {
	k, err := cfg.deviceKey()
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		fields["seen"] = seen
		sub, err := submitOn(ctx, cfg, c, k, kind, path, fields, stderr)
		ovs, unnamed := client.Conflicts(err)
		if !unnamed {
			return sub, err
		}
		printUnnamed(stderr, ovs, seen)
		if !nameConflicts || try > 0 {
			return nil, &exitError{code: 1, err: errors.New("not notified: " + errNothingSent.Error())}
		}
		for _, o := range ovs {
			r := deconflict.Ref{Notification: o.Notification, Version: o.Version}
			if !slices.Contains(seen, r) {
				seen = append(seen, r)
			}
		}
		fmt.Fprintf(stdout, "Naming them as seen (--name-conflicts): --seen %s\n", seenFlag(seen))
	}
}

// reportNotification says what the server made of a notification: the
// zone rules broken, the conflicts accepted, and whether one is held.
// verb opens the first line ("Notified", "Amended").
func reportNotification(w io.Writer, verb string, n *deconflict.NotificationDetail, entry int64) {
	to := "the mediator alone"
	if len(n.Addressed) > 0 {
		to = strings.Join(n.Addressed, ", ") + " and the mediator"
	}
	fmt.Fprintf(w, "%s activity %d, version %d (%s, %s, %q), for %s (log index %d).\n", verb, n.ID, n.Version, n.Type, n.Precedence, n.Title, to, entry)
	fmt.Fprintf(w, "Window: %s\n", span(n.Start, n.End))
	var cur deconflict.NotificationVersion
	for _, v := range n.Versions {
		if v.Version == n.Version {
			cur = v
		}
	}
	if len(cur.ZoneConflicts) == 0 {
		fmt.Fprintln(w, "Zone rules: none broken.")
	} else {
		fmt.Fprintln(w, "Zone rules it breaks:")
		for _, z := range cur.ZoneConflicts {
			what := z.Rule
			if z.Rule == deconflict.RuleNotice {
				what = fmt.Sprintf("notice %s ahead required, %s given", leadTime(z.LeadTime), leadTime(z.Given))
			}
			fmt.Fprintf(w, "  volume %d: %s (%s, %s zone, version %d): %s\n", z.Volume+1, z.Zone, z.Name, z.Kind, z.Version, what)
		}
	}
	var accepted []string
	for _, x := range n.Conflicts {
		if x.A.Version == n.Version {
			accepted = append(accepted, fmt.Sprintf("  with %d version %d (its volume %d, this one's volume %d)", x.B.Notification, x.B.Version, x.VolumeB+1, x.VolumeA+1))
		}
	}
	if len(accepted) > 0 {
		fmt.Fprintln(w, "Conflicts accepted, named as seen:")
		fmt.Fprintln(w, strings.Join(accepted, "\n"))
	}
	if n.Held {
		fmt.Fprintln(w, "HELD FOR THE MEDIATOR: the activity overlaps another that your party may not read. The mediator decides (clears it or objects); you are not told what it is.")
	}
}

func notifyNew(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notify", stderr)
	typ := fs.String("type", "", "the activity: "+strings.Join(deconflict.ActivityTypes, ", "))
	title := fs.String("title", "", "one line that says what it is")
	to := fs.String("to", "", "the parties told, besides the mediator, as in il,sy (default: the mediator alone)")
	precedence := fs.String("precedence", "ROUTINE", "FLASH, IMMEDIATE, PRIORITY or ROUTINE")
	description := fs.String("description", "", "what, who, how many")
	seenArg := fs.String("seen", "", "the notifications it overlaps that you have read, as N:VERSION,...")
	nameConflicts := fs.Bool("name-conflicts", false, "for scripts: after printing the conflicts refused, name them all as seen and notify again")
	vs := &volumes{now: time.Now()}
	vs.define(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if !slices.Contains(deconflict.ActivityTypes, *typ) {
		return fmt.Errorf("--type %q: one of %s", *typ, strings.Join(deconflict.ActivityTypes, ", "))
	}
	if strings.TrimSpace(*title) == "" {
		return errors.New("--title is required")
	}
	p := strings.ToUpper(*precedence)
	if !slices.Contains(cell.Precedences, p) {
		return fmt.Errorf("--precedence %q: use FLASH, IMMEDIATE, PRIORITY or ROUTINE", *precedence)
	}
	seen, err := parseSeen(*seenArg)
	if err != nil {
		return err
	}
	vols, err := vs.build()
	if err != nil {
		return err
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	fields := map[string]any{"type": *typ, "title": *title, "addressed": splitList(*to), "precedence": p, "volumes": vols}
	if *description != "" {
		fields["description"] = *description
	}
	sub, err := submitNotification(ctx, cfg, c, deconflict.KindActivityNotify, "/activities", fields, seen, *nameConflicts, stdout, stderr)
	if err != nil {
		return err
	}
	n, err := c.Activity(ctx, sub.Entry.Index)
	if err != nil {
		fmt.Fprintf(stdout, "Notified activity %d.\n", sub.Entry.Index)
		return nil // notified; the summary is a courtesy
	}
	verb := "Notified"
	if sub.Duplicate {
		verb = "Already notified"
	}
	reportNotification(stdout, verb, n, sub.Entry.Index)
	return nil
}

func notifyAmend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notify amend", stderr)
	title := fs.String("title", "", "a new title (default: the current one)")
	description := fs.String("description", "", "the description of the new version")
	seenArg := fs.String("seen", "", "the notifications it overlaps that you have read, as N:VERSION,...")
	nameConflicts := fs.Bool("name-conflicts", false, "for scripts: after printing the conflicts refused, name them all as seen and amend again")
	vs := &volumes{now: time.Now()}
	vs.define(fs)
	id, err := numberArg(fs, args, "activity")
	if err != nil {
		return err
	}
	seen, err := parseSeen(*seenArg)
	if err != nil {
		return err
	}
	vols, err := vs.build()
	if err != nil {
		return fmt.Errorf("%v: an amendment restates every volume", err)
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	n, err := c.Activity(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *title == "" {
		*title = n.Title
	}
	fields := map[string]any{"notification": id, "version": n.Version, "title": *title, "volumes": vols}
	if *description != "" {
		fields["description"] = *description
	}
	path := "/activities/" + strconv.FormatInt(id, 10) + "/amend"
	sub, err := submitNotification(ctx, cfg, c, deconflict.KindActivityAmend, path, fields, seen, *nameConflicts, stdout, stderr)
	if err != nil {
		return err
	}
	if n, err = c.Activity(ctx, id); err != nil {
		fmt.Fprintf(stdout, "Amended activity %d.\n", id)
		return nil
	}
	reportNotification(stdout, "Amended", n, sub.Entry.Index)
	if len(n.Addressed) > 0 {
		fmt.Fprintf(stdout, "%s answer again, about version %d.\n", strings.Join(n.Addressed, ", "), n.Version)
	}
	return nil
}

func notifyList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notify list", stderr)
	asJSON := fs.Bool("json", false, "print the notifications as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	ns, err := c.Activities(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, ns)
	}
	if len(ns) == 0 {
		fmt.Fprintln(stdout, "No notified activity that your party may read.")
		return nil
	}
	printActivities(stdout, ns)
	return nil
}

func printActivities(w io.Writer, ns []deconflict.Notification) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "N\tVER\tPARTY\tTYPE\tPRECEDENCE\tSTATE\tWINDOW (UTC)\tTITLE")
	for _, n := range ns {
		state := n.State
		if n.Held {
			state += ", HELD"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", n.ID, n.Version, n.Party, n.Type, n.Precedence, state, span(n.Start, n.End), oneLine(n.Title, 50))
	}
	tw.Flush() //nolint:errcheck
}

func notifyShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notify show", stderr)
	asJSON := fs.Bool("json", false, "print the notification as JSON")
	id, err := numberArg(fs, args, "activity")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	n, err := c.Activity(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, n)
	}
	reportNotification(stdout, "Notified by "+n.Member+" ("+n.Party+"):", n, n.ID)
	fmt.Fprintf(stdout, "State: %s (updated %s)\n", n.State, utc(n.Updated))
	for _, v := range n.Versions {
		fmt.Fprintf(stdout, "\nVersion %d by %s at %s (entry %d)\n", v.Version, v.Member, utc(v.At), v.Entry)
		if v.Description != "" {
			fmt.Fprintf(stdout, "  %s\n", oneLine(v.Description, 200))
		}
		for i, vol := range v.Volumes {
			fmt.Fprintf(stdout, "  volume %d: %s, %s\n", i+1, volumeShape(vol), span(vol.Start, vol.End))
		}
		for _, a := range n.Answers {
			if a.Version != v.Version {
				continue
			}
			ans := "no objection"
			if a.Answer == deconflict.Objection {
				ans = "OBJECTION: " + a.Reason
			}
			fmt.Fprintf(stdout, "  %s answered %s (%s, %s)\n", a.Party, ans, a.Member, utc(a.At))
		}
	}
	return nil
}

func volumeShape(v deconflict.Volume) string {
	var g struct {
		Type string `json:"type"`
	}
	json.Unmarshal(v.Geometry, &g) //nolint:errcheck // the server's canonical JSON
	s := g.Type
	switch {
	case v.RadiusM > 0:
		s += fmt.Sprintf(" r %g m", v.RadiusM)
	case v.WidthM > 0:
		s += fmt.Sprintf(" w %g m", v.WidthM)
	}
	if v.AltLo != nil && v.AltHi != nil {
		s += fmt.Sprintf(", %g–%g m", *v.AltLo, *v.AltHi)
	} else {
		s += ", every altitude"
	}
	return s
}

func notifyAnswer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notify answer", stderr)
	none := fs.Bool("no-objection", false, "your party does not object")
	objection := fs.String("objection", "", "your party objects, for this reason")
	id, err := numberArg(fs, args, "activity")
	if err != nil {
		return err
	}
	if *none == (*objection != "") {
		return errors.New("say --no-objection or --objection REASON")
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	n, err := c.Activity(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	fields := map[string]any{"notification": id, "version": n.Version, "answer": deconflict.NoObjection}
	if *objection != "" {
		fields["answer"], fields["reason"] = deconflict.Objection, *objection
	}
	sub, err := submitOn(ctx, cfg, c, key, deconflict.KindActivityAnswer, "/activities/"+strconv.FormatInt(id, 10)+"/answer", fields, stderr)
	if err != nil {
		return err
	}
	ans := "no objection"
	if *objection != "" {
		ans = "an objection"
	}
	fmt.Fprintf(stdout, "Answered %s to activity %d version %d (%s, %q) at log index %d.\n", ans, id, n.Version, n.Party, n.Title, sub.Entry.Index)
	return nil
}

func notifyEnd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notify end", stderr)
	executed := fs.Bool("executed", false, "the activity took place as notified")
	withdrawn := fs.Bool("withdrawn", false, "the activity will not take place")
	note := fs.String("note", "", "a word on how it ended")
	id, err := numberArg(fs, args, "activity")
	if err != nil {
		return err
	}
	if *executed == *withdrawn {
		return errors.New("say --executed or --withdrawn")
	}
	state := deconflict.StateExecuted
	if *withdrawn {
		state = deconflict.StateWithdrawn
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	fields := map[string]any{"notification": id, "state": state}
	if *note != "" {
		fields["note"] = *note
	}
	sub, err := submitOn(ctx, cfg, c, key, deconflict.KindActivityEnd, "/activities/"+strconv.FormatInt(id, 10)+"/end", fields, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Activity %d is %s (log index %d); no answer is awaited any longer.\n", id, state, sub.Entry.Index)
	return nil
}

func notifyClear(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("notify clear", stderr)
	cleared := fs.Bool("cleared", false, "the held conflict may stand: both activities go ahead")
	objection := fs.String("objection", "", "the mediator objects to the activity, for this reason")
	id, err := numberArg(fs, args, "activity")
	if err != nil {
		return err
	}
	if *cleared == (*objection != "") {
		return errors.New("say --cleared or --objection NOTE")
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	n, err := c.Activity(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if !n.Held {
		return fmt.Errorf("activity %d version %d has no conflict held for the mediator; %s", id, n.Version, errNothingSent)
	}
	fields := map[string]any{"notification": id, "version": n.Version, "decision": "cleared"}
	if *objection != "" {
		fields["decision"], fields["note"] = deconflict.Objection, *objection
	}
	sub, err := submitOn(ctx, cfg, c, key, deconflict.KindConflictClear, "/activities/"+strconv.FormatInt(id, 10)+"/clear", fields, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Decided the conflicts held on activity %d version %d: %s (log index %d).\n", id, n.Version, fields["decision"], sub.Entry.Index)
	return nil
}
