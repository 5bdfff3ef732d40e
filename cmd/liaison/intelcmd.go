package main

// The intelligence desk from a terminal: a party's analyst submits a STIX
// bundle as the platform exported it; the mediator's analyst reviews the
// queue and proposes; a second member of the mediator approves and
// publishes; recipients list what they received and download it. Each
// step says what it signs before it signs it.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/intel"
)

func intelVerbs() []subverb {
	return []subverb{
		{"submit", "submit FILE.json [--title T] [--note N] [--reply-to RELEASE] [--json]   (a STIX 2.1 bundle, as MISP or OpenCTI export it, signed as it is)", intelSubmit},
		{"list", "list [--status submitted|released|withheld|returned] [--json]   (your party's submissions; the mediator: every party's)", intelList},
		{"show", "show ID [--json]   (a submission, its decision, and for the mediator its proposals)", intelShow},
		{"bundle", "bundle ID [-o FILE]   (a submission's bundle as it was submitted; stdout without -o)", intelBundle},
		{"releases", "releases [--json]   (what was released to you; the mediator: every release, with its original)", intelReleases},
		{"release-bundle", "release-bundle RELEASE [-o FILE]   (a release's bundle, as its publisher signed it)", intelReleaseBundle},
		{"review", "review [--json] | review ID (--release (--to sy[,jo] | --members sy.intelligence) [--coarsen-km 10] [--remove-type threat-actor] [--remove-id ID] [--reason R] | --withhold --reason R | --return --reason QUESTION)   (the mediator's queue, or a proposal on one submission)", intelReview},
		{"approve", "approve PROPOSAL   (a second member of the mediator, never the proposer)", intelApprove},
		{"release", "release PROPOSAL [--title T] [--yes]   (publish an approved release: shows what goes to whom, then signs the draft as it is)", intelRelease},
	}
}

func runIntel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "intel", intelVerbs(), nil, args, stdout, stderr)
}

// sendOnce sends, and once more after a lost answer: the envelope is the
// same signed bytes, so a retry lands once.
func sendOnce[T any](ctx context.Context, stderr io.Writer, send func() (T, error)) (T, error) {
	v, err := send()
	var apiErr *client.Error
	if err == nil || errors.As(err, &apiErr) || ctx.Err() != nil {
		return v, sessionError(err)
	}
	fmt.Fprintf(stderr, "no answer (%v); sending the same signed command again...\n", err)
	select {
	case <-ctx.Done():
		return v, err
	case <-time.After(time.Second):
	}
	v, err = send()
	return v, sessionError(err)
}

// types renders a count by STIX type, the most frequent first.
func types(m map[string]int) string {
	ks := slices.Sorted(maps.Keys(m))
	slices.SortStableFunc(ks, func(a, b string) int { return m[b] - m[a] })
	var out []string
	for _, k := range ks {
		out = append(out, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(out, ", ")
}

func objects(n int) string {
	if n == 1 {
		return "1 object"
	}
	return strconv.Itoa(n) + " objects"
}

// recipients says to whom a decision releases.
func recipients(to, members []string) string {
	var out []string
	if len(to) > 0 {
		out = append(out, strings.Join(to, ", "))
	}
	if len(members) > 0 {
		out = append(out, "members "+strings.Join(members, ", "))
	}
	if len(out) == 0 {
		return "no one named"
	}
	return strings.Join(out, " and ")
}

// recipe says what a sanitized release takes out.
func recipe(r *intel.Recipe) string {
	if r == nil {
		return "whole"
	}
	var out []string
	if r.LocationKm > 0 {
		out = append(out, fmt.Sprintf("locations coarsened to %g km", r.LocationKm))
	}
	if len(r.RemoveTypes) > 0 {
		out = append(out, "without "+strings.Join(r.RemoveTypes, ", "))
	}
	if len(r.RemoveIDs) > 0 {
		out = append(out, fmt.Sprintf("without %d named objects", len(r.RemoveIDs)))
	}
	for _, p := range r.RemoveProperties {
		out = append(out, "without "+strings.TrimPrefix(p.Type+"."+p.Path, "."))
	}
	return "sanitized: " + strings.Join(out, "; ")
}

// decision says what a proposal or a decision does.
func decision(d string, to, members []string, sanitized string) string {
	if d != intel.Release {
		return strings.ToUpper(d)
	}
	return "RELEASE to " + recipients(to, members) + ", " + sanitized
}

// readBundleFile reads a STIX bundle file and says plainly when it is not
// JSON; whether it is a bundle the server says, precisely. It returns the
// name of the bundle's first report, a title when none is given.
func readBundleFile(file string) ([]byte, string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	var shape struct {
		Objects []struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(data, &shape); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + strings.Count(string(data[:se.Offset]), "\n")
			return nil, "", fmt.Errorf("%s is not JSON (line %d: %v): give a STIX 2.1 bundle, as MISP or OpenCTI export it; %s", file, line, se, errNothingSent)
		}
		// JSON of another shape: the server's answer names what is wrong.
		return data, "", nil
	}
	for _, o := range shape.Objects {
		if o.Type == "report" && strings.TrimSpace(o.Name) != "" {
			return data, o.Name, nil
		}
	}
	return data, "", nil
}

func intelSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("intel submit", stderr)
	title := fs.String("title", "", "the submission's title (default: the bundle's first report's name)")
	note := fs.String("note", "", "what the mediator should know: whom it is for, what must not go further")
	replyTo := fs.String("reply-to", "", "the release this answers (a sighting, a note about it): the gate sends it back to that release's source")
	asJSON := fs.Bool("json", false, "print the submission as JSON")
	file, err := idArg(fs, args, "bundle file", "intel submit FILE.json")
	if err != nil {
		return err
	}
	data, reportName, err := readBundleFile(file)
	if err != nil {
		return err
	}
	if *title == "" {
		*title = reportName
	}
	if strings.TrimSpace(*title) == "" {
		return fmt.Errorf("%s has no report to take a title from: give --title; %s", file, errNothingSent)
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	fields := map[string]any{"title": *title}
	if *note != "" {
		fields["note"] = *note
	}
	if *replyTo != "" {
		fields["reply_to"] = *replyTo
	}
	env, err := client.SignRaw(key, cfg.Cell, intel.KindSubmit, fields, "bundle", data)
	if err != nil {
		return err
	}
	sub, err := sendOnce(ctx, stderr, func() (*client.IntelSubmitted, error) { return c.SubmitIntel(ctx, env) })
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		return fmt.Errorf("%s was refused: %w", file, err)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, sub)
	}
	s := sub.Submission
	again := ""
	if sub.Duplicate {
		again = " (sent before: this is that submission)"
	}
	fmt.Fprintf(stdout, "Submitted %s as submission %d%s: %q, %s (%s), %s.\n", file, s.ID, again, s.Title, objects(s.Count), types(s.Types), s.TLP)
	if len(s.Unresolved) > 0 {
		fmt.Fprintf(stdout, "  Markings the desk cannot read: %s. The gate will not release it until they are known.\n", strings.Join(s.Unresolved, ", "))
	}
	if s.ReplyTo != "" {
		fmt.Fprintf(stdout, "  It answers release %s: the gate sends it back to that release's source.\n", s.ReplyTo)
	}
	fmt.Fprintf(stdout, "For your party and the mediator; the mediator's gate owes a decision by %s (%s).\n", utc(s.Due), until(s.Due, time.Now()))
	return nil
}

func intelList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("intel list", stderr)
	status := fs.String("status", "", "only this status: submitted, released, withheld or returned")
	asJSON := fs.Bool("json", false, "print the submissions as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	subs, err := c.IntelSubmissions(ctx, *status)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, subs)
	}
	if len(subs) == 0 {
		fmt.Fprintln(stdout, "No submission that your party may read.")
		return nil
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPARTY\tBY\tSUBMITTED (UTC)\tOBJECTS\tTLP\tSTATUS\tDECISION DUE / TAKEN\tTITLE")
	for _, s := range subs {
		when := utc(s.Due) + " (" + until(s.Due, now) + ")"
		if s.Decision != nil {
			when = utc(s.Decision.At)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Party, s.Member, utc(s.At), s.Count, s.TLP, s.Status, when, oneLine(s.Title, 50))
	}
	return tw.Flush()
}

func intelShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("intel show", stderr)
	asJSON := fs.Bool("json", false, "print the submission as JSON")
	id, err := numberArg(fs, args, "submission")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	d, err := c.IntelSubmission(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, d)
	}
	fmt.Fprintf(stdout, "Submission %d: %q\n  by %s (%s) at %s; %s\n  bundle %s: %s (%s), %s\n", d.ID, d.Title, d.Member, d.Party, utc(d.At),
		strings.ToUpper(d.Status), d.BundleID, objects(d.Count), types(d.Types), d.TLP)
	if d.Note != "" {
		fmt.Fprintf(stdout, "  note: %s\n", d.Note)
	}
	if d.ReplyTo != "" {
		fmt.Fprintf(stdout, "  answers release %s\n", d.ReplyTo)
	}
	if len(d.Unresolved) > 0 {
		fmt.Fprintf(stdout, "  markings the desk cannot read: %s (not released until they are known)\n", strings.Join(d.Unresolved, ", "))
	}
	if dec := d.Decision; dec != nil {
		how := "whole"
		if dec.Sanitized {
			how = "sanitized"
		}
		fmt.Fprintf(stdout, "  DECISION: %s, proposed by %s, approved by %s at %s (entry %d)\n", decision(dec.Decision, dec.To, dec.Members, how), dec.ProposedBy, dec.ApprovedBy, utc(dec.At), dec.Entry)
		if dec.Reason != "" {
			fmt.Fprintf(stdout, "  reason: %s\n", dec.Reason)
		}
	} else {
		fmt.Fprintf(stdout, "  the gate owes a decision by %s (%s)\n", utc(d.Due), until(d.Due, time.Now()))
	}
	for _, p := range d.Proposals {
		fmt.Fprintf(stdout, "  proposal %s by %s at %s: %s; %s", p.ID, p.ProposedBy, utc(p.ProposedAt), decision(p.Decision, p.To, p.Members, recipe(p.Sanitize)), strings.ToUpper(p.Status))
		if p.ApprovedBy != "" {
			fmt.Fprintf(stdout, " (approved by %s at %s)", p.ApprovedBy, utc(p.ApprovedAt))
		}
		fmt.Fprintln(stdout)
		if p.Reason != "" {
			fmt.Fprintf(stdout, "    reason: %s\n", p.Reason)
		}
	}
	return nil
}

// outFlag is the file a download goes to, as -o or --out.
func outFlag(fs *flag.FlagSet) *string {
	out := fs.String("o", "", "the file to write the bundle to (default: standard output)")
	fs.StringVar(out, "out", "", "the same as -o")
	return out
}

// writeSTIX writes a downloaded bundle as it came: to stdout, or to a
// file only its owner reads, as intelligence is.
func writeSTIX(path string, data []byte, what string, stdout, stderr io.Writer) error {
	if path == "" {
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Wrote %s: %s, %d bytes.\n", path, what, len(data))
	return nil
}

func intelBundle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("intel bundle", stderr)
	out := outFlag(fs)
	id, err := numberArg(fs, args, "submission")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	data, err := c.IntelBundle(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	return writeSTIX(*out, data, "the bundle of submission "+strconv.FormatInt(id, 10)+" as submitted", stdout, stderr)
}

func intelReleaseBundle(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("intel release-bundle", stderr)
	out := outFlag(fs)
	id, err := idArg(fs, args, "release", "see 'liaison intel releases'")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	data, err := c.IntelReleaseBundle(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	return writeSTIX(*out, data, "release "+id+" as its publisher signed it", stdout, stderr)
}

func intelReleases(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("intel releases", stderr)
	asJSON := fs.Bool("json", false, "print the releases as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	rs, err := c.IntelReleases(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, rs)
	}
	if len(rs) == 0 {
		fmt.Fprintln(stdout, "Nothing was released to you.")
		return nil
	}
	mediator := slices.ContainsFunc(rs, func(r intel.ReleaseDetail) bool { return r.Derivation != nil })
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	head := "RELEASE\tRELEASED (UTC)\tTO\tOBJECTS\tTLP\tTITLE"
	if mediator {
		head += "\tORIGINAL"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rs {
		title := oneLine(r.Title, 50)
		if r.Answer != "" {
			title += " (answers " + r.Answer + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s", r.ID, utc(r.At), recipients(r.To, r.Members), r.Count, r.TLP, title)
		if mediator {
			orig := "-"
			if r.Derivation != nil {
				how := "whole"
				if r.Derivation.Sanitized {
					how = "sanitized"
				}
				orig = fmt.Sprintf("submission %d, %s", r.Derivation.Submission, how)
				if r.Original != nil {
					orig = fmt.Sprintf("submission %d by %s, %s", r.Original.ID, r.Original.Party, how)
				}
			}
			fmt.Fprintf(tw, "\t%s", orig)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nDownload one with: liaison intel release-bundle RELEASE -o FILE")
	return nil
}

// newProposalID is a proposal's id: random, as recipients read it and it
// must lead nowhere.
func newProposalID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func intelReview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("intel review", stderr)
	asJSON := fs.Bool("json", false, "print the queue as JSON")
	rel := fs.Bool("release", false, "propose to release it (with --to or --members)")
	withhold := fs.Bool("withhold", false, "propose to withhold it (with --reason, which the submitter reads)")
	ret := fs.Bool("return", false, "propose to return it to the submitter with a question (--reason)")
	to := fs.String("to", "", "the parties to release to, as sy,jo")
	members := fs.String("members", "", "the members to release to, as sy.intelligence (TLP:RED goes to named members only)")
	km := fs.Float64("coarsen-km", 0, "coarsen every location to a grid of this many kilometres")
	var removeTypes, removeIDs repeated
	fs.Var(&removeTypes, "remove-type", "take out every object of this STIX type, as threat-actor (repeatable, or comma-separated)")
	fs.Var(&removeIDs, "remove-id", "take out the object of this STIX id (repeatable)")
	reason := fs.String("reason", "", "why: the mediator's rationale for a release; for a withholding or a return, what the submitter reads")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		if *rel || *withhold || *ret {
			return errors.New("name the submission to decide on: liaison intel review ID --release --to P")
		}
		return reviewQueue(ctx, *asJSON, stdout)
	}
	if len(pos) > 1 {
		return fmt.Errorf("name one submission by its number, not %d", len(pos))
	}
	sub, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
	if err != nil || sub < 0 {
		return fmt.Errorf("%q is not a submission number", pos[0])
	}
	n := 0
	for _, b := range []bool{*rel, *withhold, *ret} {
		if b {
			n++
		}
	}
	if n != 1 {
		return errors.New("say one of --release, --withhold --reason R, --return --reason QUESTION")
	}
	var rmTypes []string
	for _, t := range removeTypes {
		rmTypes = append(rmTypes, splitList(t)...)
	}
	var r *intel.Recipe
	if *km > 0 || len(rmTypes) > 0 || len(removeIDs) > 0 {
		r = &intel.Recipe{LocationKm: *km, RemoveTypes: rmTypes, RemoveIDs: removeIDs}
	}
	if *km < 0 {
		return fmt.Errorf("--coarsen-km %g: a distance in kilometres", *km)
	}
	fields := map[string]any{"proposal": newProposalID(), "submission": sub}
	switch {
	case *rel:
		fields["decision"] = intel.Release
		if ps := splitList(*to); len(ps) > 0 {
			fields["to"] = ps
		}
		if ms := splitList(*members); len(ms) > 0 {
			fields["members"] = ms
		}
		if r != nil {
			fields["sanitize"] = r
		}
	default:
		d := intel.Withhold
		if *ret {
			d = intel.Return
		}
		if *to != "" || *members != "" || r != nil {
			return fmt.Errorf("a proposal to %s names no recipients and takes nothing out; %s", d, errNothingSent)
		}
		if strings.TrimSpace(*reason) == "" {
			return fmt.Errorf("--%s takes --reason: the submitter reads it; %s", d, errNothingSent)
		}
		fields["decision"] = d
	}
	if *reason != "" {
		fields["reason"] = *reason
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	env, err := client.Sign(key, cfg.Cell, intel.KindPropose, fields)
	if err != nil {
		return err
	}
	step, err := sendOnce(ctx, stderr, func() (*client.ProposalStep, error) { return c.Propose(ctx, env) })
	if err != nil {
		return err
	}
	p := step.Proposal
	fmt.Fprintf(stdout, "Proposed %s (log index %d) on submission %d: %s.\n", p.ID, step.Entry.Index, p.Submission, decision(p.Decision, p.To, p.Members, recipe(p.Sanitize)))
	if p.Decision == intel.Release {
		fmt.Fprintf(stdout, "  It would release %s at %s.\n", objects(p.Count), p.TLP)
	}
	fmt.Fprintf(stdout, "Another member of the mediator approves it: liaison intel approve %s\n", p.ID)
	return nil
}

func reviewQueue(ctx context.Context, asJSON bool, stdout io.Writer) error {
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	q, err := c.IntelQueue(ctx)
	if err != nil {
		return sessionError(err)
	}
	if asJSON {
		return printJSON(stdout, q)
	}
	if len(q) == 0 {
		fmt.Fprintln(stdout, "Nothing waits for the gate.")
		return nil
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPARTY\tSUBMITTED (UTC)\tOBJECTS\tTLP\tDECISION DUE (UTC)\tPROPOSAL\tTITLE")
	for _, it := range q {
		prop := "none yet"
		if p := it.Proposal; p != nil {
			switch p.Status {
			case intel.ProposalOpen:
				prop = fmt.Sprintf("%s %s, proposed by %s: waiting for a second member", p.ID, strings.ToLower(decision(p.Decision, p.To, p.Members, recipe(p.Sanitize))), p.ProposedBy)
			default:
				prop = fmt.Sprintf("%s %s by %s and %s", p.ID, p.Status, p.ProposedBy, p.ApprovedBy)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s (%s)\t%s\t%s\n", it.ID, it.Party, utc(it.At), it.Count, it.TLP, utc(it.Due), until(it.Due, now), prop, oneLine(it.Title, 40))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nPropose with: liaison intel review ID (--release --to P | --withhold --reason R | --return --reason Q); approve with: liaison intel approve PROPOSAL")
	return nil
}

func intelApprove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("intel approve", stderr)
	id, err := idArg(fs, args, "proposal", "see 'liaison intel review'")
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	p, err := c.IntelProposal(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if p.ProposedBy == cfg.Member {
		return fmt.Errorf("four eyes: you (%s) proposed %s, and another member of the mediator must approve it; %s", cfg.Member, p.ID, errNothingSent)
	}
	if p.Status != intel.ProposalOpen {
		return fmt.Errorf("proposal %s is %s, not waiting for approval; %s", p.ID, p.Status, errNothingSent)
	}
	fmt.Fprintf(stdout, "Approving %s, proposed by %s at %s, on submission %d: %s.\n", p.ID, p.ProposedBy, utc(p.ProposedAt), p.Submission, decision(p.Decision, p.To, p.Members, recipe(p.Sanitize)))
	if p.Decision == intel.Release {
		fmt.Fprintf(stdout, "  It releases %s at %s.\n", objects(p.Count), p.TLP)
	} else {
		fmt.Fprintf(stdout, "  The submitter reads: %s\n", p.Reason)
	}
	// What the approving member signs is the proposal as read just now:
	// had it changed in between, the server refuses the restatement.
	env, err := client.Sign(key, cfg.Cell, intel.KindApprove, intel.Approval(*p))
	if err != nil {
		return err
	}
	step, err := sendOnce(ctx, stderr, func() (*client.ProposalStep, error) { return c.Approve(ctx, id, env) })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Approved at log index %d: the submitter reads the decision.\n", step.Entry.Index)
	if p.Decision == intel.Release {
		fmt.Fprintf(stdout, "Publish it with: liaison intel release %s --title \"...\"\n", p.ID)
	}
	return nil
}

// confirm asks on stderr and reads the answer from stdin: yes only for y
// or yes, so that a script that forgot --yes sends nothing.
func confirm(question string, stderr io.Writer) bool {
	fmt.Fprintf(stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(stdin).ReadString('\n')
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes"
}

func intelRelease(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("intel release", stderr)
	title := fs.String("title", "", "the release's title, as its recipients read it (default: the submission's)")
	yes := fs.Bool("yes", false, "publish without asking (for scripts)")
	id, err := idArg(fs, args, "proposal", "see 'liaison intel review'")
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	p, err := c.IntelProposal(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if p.Decision != intel.Release || p.Status != intel.ProposalApproved {
		return fmt.Errorf("proposal %s is a %s, %s: only an approved release is published; %s", p.ID, p.Decision, p.Status, errNothingSent)
	}
	draft, err := c.IntelDraft(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	var shape struct {
		Objects []struct {
			Type string `json:"type"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(draft, &shape); err != nil {
		return fmt.Errorf("the server's draft of %s: %w", p.ID, err)
	}
	counts := map[string]int{}
	for _, o := range shape.Objects {
		counts[o.Type]++
	}
	whose := ""
	if *title == "" {
		s, err := c.IntelSubmission(ctx, p.Submission)
		if err != nil {
			return sessionError(err)
		}
		*title, whose = s.Title, " (the submission's: --title to give the recipients another)"
	}
	fmt.Fprintf(stdout, "Releasing %s, %q%s:\n  to %s\n  %s (%s), %s, %s\n  proposed by %s, approved by %s\n",
		p.ID, *title, whose, recipients(p.To, p.Members), objects(len(shape.Objects)), types(counts), p.TLP, recipe(p.Sanitize), p.ProposedBy, p.ApprovedBy)
	if !*yes && !confirm("Sign and publish it?", stderr) {
		return fmt.Errorf("not released: %s (answer y, or give --yes)", errNothingSent)
	}
	env, err := client.SignRaw(key, cfg.Cell, intel.KindRelease, map[string]any{"proposal": p.ID, "title": *title}, "bundle", draft)
	if err != nil {
		return err
	}
	r, err := sendOnce(ctx, stderr, func() (*client.Released, error) { return c.Release(ctx, id, env) })
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Released %s at log index %d to %s: %s, %s.\n", r.Release.ID, r.Entry.Index, recipients(r.Release.To, r.Release.Members), objects(r.Release.Count), r.Release.TLP)
	return nil
}
