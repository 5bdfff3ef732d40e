package main

// Incidents from a terminal: report, list, show, acknowledge, ask the
// mediator to verify, and (the mediator) record the finding.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
)

func incidentVerbs() []subverb {
	return []subverb{
		{"report", "report --category C --severity S --title T --description D (--geometry FILE|'GeoJSON') [--radius M] [--at TIME] [--to il] [--precedence P] [--alleged ZONE,...] [--attach FILE ...]", incidentReport},
		{"list", "list [--json]", incidentList},
		{"show", "show N [--json]", incidentShow},
		{"ack", "ack N [--readback TEXT]   (FLASH and IMMEDIATE need one)", incidentAck},
		{"verify", "verify N [--note TEXT]   (ask the mediator to verify)", incidentVerify},
		{"finding", "finding N --finding confirmed|not_confirmed|inconclusive --text T   (the mediator)", incidentFinding},
	}
}

func runIncident(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "incident", incidentVerbs(), nil, args, stdout, stderr)
}

// reportable are the categories a party reports (force_limits is the
// server's, for what an inspection found).
func reportable() []string {
	return slices.DeleteFunc(slices.Clone(deconflict.IncidentCategories), func(c string) bool { return c == "force_limits" })
}

func incidentReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("incident report", stderr)
	category := fs.String("category", "", "one of "+strings.Join(reportable(), ", "))
	severity := fs.String("severity", "", "one of "+strings.Join(deconflict.Severities, ", "))
	title := fs.String("title", "", "one line that says what happened")
	description := fs.String("description", "", "what, where, when, who saw it")
	geometry := fs.String("geometry", "", "where: a GeoJSON file, or the GeoJSON in quotes")
	radius := fs.Float64("radius", 0, "a point's radius in metres (how precisely the place is known)")
	at := fs.String("at", "now", "when it happened: RFC 3339 or now-40m")
	to := fs.String("to", "", "the parties told, besides the mediator, as in il (default: the mediator alone)")
	precedence := fs.String("precedence", "ROUTINE", "FLASH, IMMEDIATE, PRIORITY or ROUTINE")
	alleged := fs.String("alleged", "", "the zones whose rules you say were broken, as in aos,hadar")
	var attach repeated
	fs.Var(&attach, "attach", "attach a file as evidence (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case !slices.Contains(reportable(), *category):
		return fmt.Errorf("--category %q: one of %s", *category, strings.Join(reportable(), ", "))
	case !slices.Contains(deconflict.Severities, *severity):
		return fmt.Errorf("--severity %q: one of %s", *severity, strings.Join(deconflict.Severities, ", "))
	case strings.TrimSpace(*title) == "" || strings.TrimSpace(*description) == "":
		return errors.New("--title and --description are required")
	case *geometry == "":
		return errors.New("--geometry is required: where it happened")
	}
	p := strings.ToUpper(*precedence)
	if !slices.Contains(cell.Precedences, p) {
		return fmt.Errorf("--precedence %q: use FLASH, IMMEDIATE, PRIORITY or ROUTINE", *precedence)
	}
	when, err := parseWhen(*at, time.Now())
	if err != nil {
		return fmt.Errorf("--at %v", err)
	}
	g, r, w, err := readGeometry(*geometry)
	if err != nil {
		return err
	}
	if *radius > 0 {
		r = *radius
	}
	loc := map[string]any{"geometry": g}
	if r > 0 {
		loc["radius_m"] = r
	}
	if w > 0 {
		loc["width_m"] = w
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	var atts []deconflict.Attachment
	for _, f := range attach {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sha, err := c.PutBlob(ctx, data)
		if err != nil {
			return fmt.Errorf("attachment %s: %w", f, sessionError(err))
		}
		typ := mime.TypeByExtension(filepath.Ext(f))
		if typ == "" {
			typ = http.DetectContentType(data)
		}
		atts = append(atts, deconflict.Attachment{SHA256: sha, Name: filepath.Base(f), Size: int64(len(data)), Type: typ})
	}
	fields := map[string]any{"occurred_at": when.UTC().Format(time.RFC3339), "location": loc, "category": *category, "severity": *severity,
		"precedence": p, "title": *title, "description": *description, "addressed": splitList(*to)}
	if len(atts) > 0 {
		fields["attachments"] = atts
	}
	if a := splitList(*alleged); len(a) > 0 {
		fields["alleged"] = a
	}
	sub, err := submitOn(ctx, cfg, c, key, deconflict.KindIncidentReport, "/incidents", fields, stderr)
	if err != nil {
		return err
	}
	n := sub.Entry.Index
	fmt.Fprintf(stdout, "Reported %s incident %d (%s, %s) at log index %d.\n", p, n, *category, *severity, n)
	d, err := c.Incident(ctx, n)
	if err != nil {
		return nil // reported; the summary is a courtesy
	}
	for _, s := range d.Sites {
		fmt.Fprintf(stdout, "  at %s (%s, %s zone)\n", s.Zone, s.Name, s.Kind)
	}
	if len(d.Links) > 0 {
		fmt.Fprintf(stdout, "  %d notified activities at that place and time that you may read (see 'liaison incident show %d')\n", len(d.Links), n)
	}
	if len(d.Addressed) == 0 {
		fmt.Fprintln(stdout, "For the mediator alone; no party owes an acknowledgement.")
	} else {
		fmt.Fprintf(stdout, "Awaiting acknowledgement from %s.\n", strings.Join(d.Addressed, ", "))
	}
	return nil
}

func incidentList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("incident list", stderr)
	asJSON := fs.Bool("json", false, "print the incidents as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	is, err := c.Incidents(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, is)
	}
	if len(is) == 0 {
		fmt.Fprintln(stdout, "No incident that your party may read.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "N\tPARTY\tCATEGORY\tSEVERITY\tPRECEDENCE\tOCCURRED (UTC)\tTO\tTITLE")
	for _, i := range is {
		to := strings.Join(i.Addressed, ",")
		if to == "" {
			to = "mediator"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i.ID, i.Party, i.Category, i.Severity, i.Precedence, utc(i.OccurredAt), to, oneLine(i.Title, 50))
	}
	return tw.Flush()
}

func incidentShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("incident show", stderr)
	asJSON := fs.Bool("json", false, "print the incident as JSON")
	id, err := numberArg(fs, args, "incident")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	d, err := c.Incident(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, d)
	}
	fmt.Fprintf(stdout, "Incident %d: %q\n  %s, %s, %s; reported by %s (%s) at %s\n  occurred %s\n  %s\n",
		d.ID, d.Title, d.Category, d.Severity, d.Precedence, d.Party, d.Member, utc(d.Reported), utc(d.OccurredAt), oneLine(d.Description, 300))
	if len(d.Alleged) > 0 {
		fmt.Fprintf(stdout, "  alleged: %s\n", strings.Join(d.Alleged, ", "))
	}
	for _, s := range d.Sites {
		fmt.Fprintf(stdout, "  at %s (%s, %s zone)\n", s.Zone, s.Name, s.Kind)
	}
	for _, a := range d.Attachments {
		fmt.Fprintf(stdout, "  attachment %s (%s, %d bytes, sha256 %s)\n", a.Name, a.Type, a.Size, a.SHA256)
	}
	for _, l := range d.Links {
		fmt.Fprintf(stdout, "  notified activity %d version %d (volume %d) at that place and time\n", l.Notification, l.Version, l.Volume+1)
	}
	for _, p := range d.Addressed {
		i := slices.IndexFunc(d.Acks, func(a deconflict.IncidentAck) bool { return a.Party == p })
		if i < 0 {
			fmt.Fprintf(stdout, "  %s has not acknowledged it yet\n", p)
			continue
		}
		a := d.Acks[i]
		s := fmt.Sprintf("  %s acknowledged (%s, %s)", p, a.Member, utc(a.At))
		if a.Readback != "" {
			s += fmt.Sprintf(" — readback: %q", oneLine(a.Readback, 100))
		}
		fmt.Fprintln(stdout, s)
	}
	if v := d.Verification; v != nil {
		fmt.Fprintf(stdout, "  verification asked by %s (%s) at %s, due %s\n", v.Party, v.RequestedBy, utc(v.Requested), utc(v.Due))
		if v.Finding != "" {
			fmt.Fprintf(stdout, "  FINDING: %s (%s, %s): %s\n", strings.ToUpper(v.Finding), v.FoundBy, utc(v.FoundAt), v.Text)
		} else {
			fmt.Fprintf(stdout, "  no finding yet (%s)\n", left(time.Until(v.Due)))
		}
	}
	return nil
}

func incidentAck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("incident ack", stderr)
	readback := fs.String("readback", "", "for FLASH and IMMEDIATE: what, where and when, in your own words")
	id, err := numberArg(fs, args, "incident")
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	d, err := c.Incident(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if (d.Precedence == "FLASH" || d.Precedence == "IMMEDIATE") && strings.TrimSpace(*readback) == "" {
		return fmt.Errorf("incident %d is %s: acknowledge it with --readback \"what, where, when\" in your own words; %s", id, d.Precedence, errNothingSent)
	}
	fields := map[string]any{"incident": id}
	if *readback != "" {
		fields["readback"] = *readback
	}
	sub, err := submitOn(ctx, cfg, c, key, deconflict.KindIncidentAck, "/incidents/"+strconv.FormatInt(id, 10)+"/ack", fields, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Acknowledged incident %d (%s, %q) at log index %d.\n", id, d.Precedence, d.Title, sub.Entry.Index)
	return nil
}

func incidentVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("incident verify", stderr)
	note := fs.String("note", "", "what to look at")
	id, err := numberArg(fs, args, "incident")
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	fields := map[string]any{"incident": id}
	if *note != "" {
		fields["note"] = *note
	}
	sub, err := submitOn(ctx, cfg, c, key, deconflict.KindVerifyRequest, "/incidents/"+strconv.FormatInt(id, 10)+"/verification", fields, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Asked the mediator to verify incident %d (log index %d).\n", id, sub.Entry.Index)
	if d, err := c.Incident(ctx, id); err == nil && d.Verification != nil {
		fmt.Fprintf(stdout, "The finding is due by %s (%s).\n", utc(d.Verification.Due), left(time.Until(d.Verification.Due)))
	}
	return nil
}

func incidentFinding(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("incident finding", stderr)
	finding := fs.String("finding", "", "one of "+strings.Join(deconflict.Findings, ", "))
	text := fs.String("text", "", "what the verification found")
	id, err := numberArg(fs, args, "incident")
	if err != nil {
		return err
	}
	if !slices.Contains(deconflict.Findings, *finding) {
		return fmt.Errorf("--finding %q: one of %s", *finding, strings.Join(deconflict.Findings, ", "))
	}
	if strings.TrimSpace(*text) == "" {
		return errors.New("--text is required: what the verification found")
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	sub, err := submitOn(ctx, cfg, c, key, deconflict.KindVerifyFinding, "/incidents/"+strconv.FormatInt(id, 10)+"/finding",
		map[string]any{"incident": id, "finding": *finding, "text": *text}, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Recorded the finding on incident %d: %s (log index %d), for the parties concerned.\n", id, *finding, sub.Entry.Index)
	return nil
}
