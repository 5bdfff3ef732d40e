package main

// The commercial desk from a terminal: the registry of projects and their
// gated milestones, interest in them, a funder's confidential pledges, the
// mediator's published totals, and the registry's exports for the field.
// What a verb signs that others will read (a disclosure, a total) it shows
// first and asks about, since neither can be taken back.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/commerce"
)

func projectVerbs() []subverb {
	return []subverb{
		{"list", "[list] [--json]   (the registry: stage, next milestone and whether a gate holds it, published total)", projectsList},
		{"show", "show ID [--json]   (milestones and their gates, funding, interest; your party's pledges)", projectsShow},
		{"register", "register FILE.json   (a project document: id, title, description, sector, zone, currency, milestones)", projectsRegister},
		{"stage", "stage ID STAGE   (one stage forward, suspended, or back from suspended to where it was)", projectsStage},
		{"reach", "reach ID MILESTONE [--note N]   (refused, saying why, while a gate holds it)", projectsReach},
		{"interest", "interest ID --text T [--org O]   (an expression of interest, every party's to read)", projectsInterest},
		{"publish", "publish ID [--yes]   (the mediator: the confidential total, as the rule of published totals allows)", projectsPublish},
	}
}

func runProjects(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "projects", projectVerbs(), projectsList, args, stdout, stderr)
}

func pledgeVerbs() []subverb {
	return []subverb{
		{"list", "[list] [--json]   (your party's pledges; the mediator: every one)", pledgeList},
		{"show", "show ID [--json]   (a pledge and what was paid against it)", pledgeShow},
		{"make", "make PROJECT AMOUNT [--id ID] [--conditions C]   (for your party and the mediator alone)", pledgeMake},
		{"update", "update ID AMOUNT   (0 withdraws it)", pledgeUpdate},
		{"disburse", "disburse ID AMOUNT --date YYYY-MM-DD [--note N]   (money paid against it)", pledgeDisburse},
		{"disclose", "disclose ID --name NAME [--yes]   (make it public, as it stands: every party reads it, for good)", pledgeDisclose},
	}
}

func runPledge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "pledge", pledgeVerbs(), pledgeList, args, stdout, stderr)
}

// money renders an amount of whole units, grouped by thousands as a
// treasury writes it, so that 18500000 is not misread by a digit.
func money(amount int64, currency string) string {
	if currency == "" {
		return commerce.Grouped(amount)
	}
	return currency + " " + commerce.Grouped(amount)
}

// parseAmount reads whole units, with the grouping money writes (commas or
// underscores) allowed.
func parseAmount(s string) (int64, error) {
	clean := strings.NewReplacer(",", "", "_", "").Replace(strings.TrimSpace(s))
	n, err := strconv.ParseInt(clean, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not an amount: whole units of the project's currency, as 18500000 or 18,500,000", s)
	}
	return n, nil
}

// nextMilestone is the first milestone not reached, with its gates judged.
func nextMilestone(d commerce.ProjectDetail) (commerce.MilestoneState, bool) {
	for _, m := range d.States {
		if m.Entry == 0 {
			return m, true
		}
	}
	return commerce.MilestoneState{}, false
}

// published says a project's published total, or that none is.
func published(d commerce.ProjectDetail) string {
	if d.Funding == nil {
		return "-"
	}
	return money(d.Funding.Total, d.Funding.Currency)
}

func projectsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("projects", stderr)
	asJSON := fs.Bool("json", false, "print the registry as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see 'liaison projects help')", fs.Arg(0))
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	ps, err := c.Projects(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, ps)
	}
	if len(ps) == 0 {
		fmt.Fprintln(stdout, "The registry is empty.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTITLE\tSECTOR\tSTAGE\tZONE\tNEXT MILESTONE\tDUE (UTC)\tHELD\tPUBLISHED TOTAL")
	for _, d := range ps {
		next, due, held := "-", "-", "-"
		if m, ok := nextMilestone(d); ok {
			next, due, held = oneLine(m.Title, 30), m.Due.UTC().Format(time.DateOnly), "no"
			if m.Held {
				held = "HELD"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, oneLine(d.Title, 40), d.Sector, d.Stage, d.Zone, next, due, held, published(d))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nA project's gates, funding and interest: liaison projects show ID")
	return nil
}

// gateWords says what a gate asks for.
func gateWords(g commerce.Gate) string {
	switch g.Kind {
	case commerce.GateZoneQuiet:
		return fmt.Sprintf("zone %s agreed and quiet (no incident open, none in %d days)", g.Zone, g.Days)
	case commerce.GateCommitment:
		return fmt.Sprintf("commitment %s on track or fulfilled", g.Commitment)
	case commerce.GatePosture:
		return fmt.Sprintf("the cell's posture at %s", g.Posture)
	}
	return g.Kind
}

// printGates says of each gate whether it holds, and of a failing one why
// and since when.
func printGates(w io.Writer, m commerce.MilestoneState, indent string) {
	for _, g := range m.Gates {
		if g.Holds {
			fmt.Fprintf(w, "%sgate: %s: holds\n", indent, gateWords(g.Gate))
			continue
		}
		since := ""
		if !g.Since.IsZero() {
			since = " since " + utc(g.Since)
		}
		fmt.Fprintf(w, "%sgate: %s: FAILS%s: %s\n", indent, gateWords(g.Gate), since, g.Reason)
	}
}

func projectsShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("projects show", stderr)
	asJSON := fs.Bool("json", false, "print the project as JSON")
	id, err := idArg(fs, args, "project", "see 'liaison projects'")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	d, err := c.Project(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, d)
	}
	fmt.Fprintf(stdout, "Project %s: %s\n", d.ID, d.Title)
	for _, lang := range []string{"ar", "he"} {
		if t := d.Titles[lang]; t != "" {
			fmt.Fprintf(stdout, "  %s: %s\n", lang, t)
		}
	}
	where := "zone " + d.Zone
	if d.Site != "" {
		where += ", site " + d.Site
	}
	stage := d.Stage
	if d.Stage == commerce.Suspended && d.Before != "" {
		stage += " (interrupting " + d.Before + ")"
	}
	fmt.Fprintf(stdout, "  %s (IATI %s); %s; stage %s; pledges in %s\n", d.Sector, commerce.Sectors[d.Sector], where, stage, d.Currency)
	fmt.Fprintf(stdout, "  %s's project; version %d, recorded at %s by %s (entry %d)\n", d.Party, d.Version, utc(d.At), d.By, d.Entry)
	if len(d.Sponsors) > 0 {
		fmt.Fprintf(stdout, "  sponsors: %s\n", strings.Join(d.Sponsors, "; "))
	}
	fmt.Fprintf(stdout, "  %s\n", oneLine(d.Description, 200))

	fmt.Fprintln(stdout, "\nMilestones:")
	if len(d.States) == 0 {
		fmt.Fprintln(stdout, "  none")
	}
	for _, m := range d.States {
		state := "open"
		switch {
		case m.Entry != 0:
			state = fmt.Sprintf("REACHED %s by %s (entry %d)", utc(m.Reached), m.By, m.Entry)
		case m.Held:
			state = "HELD"
		case len(m.Gates) > 0:
			state = "open, its gates hold"
		}
		fmt.Fprintf(stdout, "  %s: %s, due %s: %s\n", m.ID, m.Title, m.Due.UTC().Format(time.DateOnly), state)
		if m.Note != "" {
			fmt.Fprintf(stdout, "    note: %s\n", m.Note)
		}
		if m.Entry == 0 {
			printGates(stdout, m, "    ")
		}
	}

	if len(d.Alerts) > 0 {
		// The watch's alerts, as far as the member's party reads what fails.
		fmt.Fprintln(stdout, "\nAlerts (a gate failing while the project is in implementation):")
		for _, a := range d.Alerts {
			since := ""
			if !a.Since.IsZero() {
				since = ", failing since " + utc(a.Since)
			}
			fmt.Fprintf(stdout, "  %s: milestone %s: %s%s (entry %d)\n", utc(a.At), a.Milestone, a.Reason, since, a.Entry)
		}
	}

	fmt.Fprintln(stdout, "\nFunding:")
	if f := d.Funding; f != nil {
		fmt.Fprintf(stdout, "  published total: %s from %d confidential pledges, published at %s (entry %d)\n", money(f.Total, f.Currency), f.Funders, utc(f.At), f.Entry)
	} else {
		fmt.Fprintln(stdout, "  published total: none published")
	}
	if len(d.Disclosures) == 0 {
		fmt.Fprintln(stdout, "  disclosed pledges: none")
	}
	for _, x := range d.Disclosures {
		fmt.Fprintf(stdout, "  disclosed: %s, %s (pledge %s, entry %d)\n", x.Name, money(x.Amount, x.Currency), x.Pledge, x.Entry)
	}
	if len(d.Pledges) > 0 {
		// Only a funder (its own) and the mediator (every one) are given
		// pledges: a pledge of another party's tells the mediator apart.
		whose := "Your party's pledges (for your party and the mediator alone):"
		if me, err := c.Me(ctx); err == nil && slices.ContainsFunc(d.Pledges, func(p commerce.Pledge) bool { return p.Funder != me.Party.ID }) {
			whose = "Every pledge (the mediator reads them all; each funder its own):"
		}
		fmt.Fprintln(stdout, "\n"+whose)
		printPledges(stdout, d.Pledges)
	}
	if len(d.Interests) > 0 {
		fmt.Fprintln(stdout, "\nInterest:")
		for _, in := range d.Interests {
			who := in.Party + " (" + in.Member + ")"
			if in.Organization != "" {
				who = in.Organization + ", through " + who
			}
			fmt.Fprintf(stdout, "  %s, %s: %s\n", utc(in.At), who, oneLine(in.Text, 120))
		}
	}
	return nil
}

func printPledges(w io.Writer, ps []commerce.Pledge) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PLEDGE\tPROJECT\tFUNDER\tAMOUNT\tDISBURSED\tDISCLOSED\tCONDITIONS")
	for _, p := range ps {
		disclosed := "no"
		if p.Disclosed {
			disclosed = "yes"
		}
		amount := money(p.Amount, p.Currency)
		if p.Amount == 0 {
			amount = "withdrawn"
		}
		cond := oneLine(p.Conditions, 50)
		if cond == "" {
			cond = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s (%s)\t%s\t%s\t%s\t%s\n", p.ID, p.Project, p.Funder, p.Member, amount, money(p.Disbursed, ""), disclosed, cond)
	}
	tw.Flush() //nolint:errcheck // the writer is the terminal's
}

func projectsRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("projects register", stderr)
	file, err := idArg(fs, args, "project document", "liaison projects register FILE.json")
	if err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s is not a JSON object (%v): give a project, as {\"id\": ..., \"title\": ..., \"sector\": ..., \"zone\": ..., \"currency\": ...}; %s", file, err, errNothingSent)
	}
	// The document as a file holds it, or as the command carries it.
	if inner, ok := doc["project"]; ok && len(doc) == 1 {
		data = inner
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	env, err := client.Sign(key, cfg.Cell, commerce.KindProjectRegister, map[string]any{"project": json.RawMessage(data)})
	if err != nil {
		return err
	}
	st, err := sendOnce(ctx, stderr, func() (*client.ProjectStep, error) { return c.RegisterProject(ctx, env) })
	if err != nil {
		return refusal(file, err)
	}
	p := st.Project
	fmt.Fprintf(stdout, "Registered project %s, %q (log index %d): %s, zone %s, stage %s, %d milestones. Every party reads it.\n",
		p.ID, p.Title, st.Entry.Index, p.Sector, p.Zone, p.Stage, len(p.Milestones))
	return nil
}

// refusal says that the server refused what names, with its reason.
func refusal(what string, err error) error {
	var apiErr *client.Error
	if errors.As(err, &apiErr) && apiErr.Status/100 == 4 {
		return fmt.Errorf("%s was refused: %w", what, err)
	}
	return err
}

// twoArgs takes the two arguments a verb takes, or says how it is used.
func twoArgs(pos []string, usage string) (string, string, error) {
	if len(pos) != 2 {
		return "", "", fmt.Errorf("usage: liaison %s", usage)
	}
	return pos[0], pos[1], nil
}

func projectsStage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("projects stage", stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	id, stage, err := twoArgs(pos, "projects stage ID STAGE")
	if err != nil {
		return err
	}
	if !slices.Contains(commerce.Stages, stage) && stage != commerce.Suspended {
		return fmt.Errorf("stage %q: one of %s or %s; %s", stage, strings.Join(commerce.Stages, ", "), commerce.Suspended, errNothingSent)
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	d, err := c.Project(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if d.Stage == stage {
		return fmt.Errorf("project %s is at %s already; %s", id, stage, errNothingSent)
	}
	// The new version is the project as it stands with another stage: the
	// server keeps its reached milestones and refuses a stage out of turn.
	p := d.Project
	from := p.Stage
	p.Stage = stage
	env, err := client.Sign(key, cfg.Cell, commerce.KindProjectUpdate, map[string]any{"project": p})
	if err != nil {
		return err
	}
	st, err := sendOnce(ctx, stderr, func() (*client.ProjectStep, error) { return c.UpdateProject(ctx, id, env) })
	if err != nil {
		return refusal("moving "+id+" to "+stage, err)
	}
	fmt.Fprintf(stdout, "Project %s moved from %s to %s (version %d, log index %d).\n", id, from, st.Project.Stage, st.Project.Version, st.Entry.Index)
	return nil
}

func projectsReach(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("projects reach", stderr)
	note := fs.String("note", "", "what was done, for the record")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	id, ms, err := twoArgs(pos, "projects reach ID MILESTONE [--note N]")
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	fields := map[string]any{"project": id, "milestone": ms}
	if *note != "" {
		fields["note"] = *note
	}
	env, err := client.Sign(key, cfg.Cell, commerce.KindProjectMilestone, fields)
	if err != nil {
		return err
	}
	st, err := sendOnce(ctx, stderr, func() (*client.ProjectStep, error) { return c.ReachMilestone(ctx, id, ms, env) })
	var apiErr *client.Error
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusConflict {
		// The server's reason names the first failing gate; the project
		// as the member reads it says since when, and any other.
		fmt.Fprintf(stderr, "Milestone %s of %s was not marked reached: %s\n", ms, id, apiErr.Detail)
		if d, err := c.Project(ctx, id); err == nil {
			for _, m := range d.States {
				if m.ID == ms && m.Held {
					printGates(stderr, m, "  ")
				}
			}
		}
		return &exitError{code: 1, err: fmt.Errorf("not marked: %s", errNothingSent)}
	}
	if err != nil {
		return refusal("milestone "+ms+" of "+id, err)
	}
	for _, m := range st.Project.Milestones {
		if m.ID == ms {
			fmt.Fprintf(stdout, "Milestone %s of %s (%s) reached at %s (log index %d). Every party reads it.\n", ms, id, m.Title, utc(m.Reached), st.Entry.Index)
		}
	}
	return nil
}

func projectsInterest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("projects interest", stderr)
	text := fs.String("text", "", "what you propose or would take part in")
	org := fs.String("org", "", "the organisation the interest is for, when not your party itself")
	id, err := idArg(fs, args, "project", "see 'liaison projects'")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*text) == "" {
		return fmt.Errorf("--text is required: what the interest is; %s", errNothingSent)
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	fields := map[string]any{"project": id, "text": *text}
	if *org != "" {
		fields["organization"] = *org
	}
	env, err := client.Sign(key, cfg.Cell, commerce.KindProjectInterest, fields)
	if err != nil {
		return err
	}
	st, err := sendOnce(ctx, stderr, func() (*client.ProjectStep, error) { return c.ExpressInterest(ctx, id, env) })
	if err != nil {
		return refusal("the interest in "+id, err)
	}
	fmt.Fprintf(stdout, "Interest in %s recorded (log index %d). Every party reads it.\n", id, st.Entry.Index)
	return nil
}

func projectsPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("projects publish", stderr)
	yes := fs.Bool("yes", false, "publish without asking (for scripts)")
	id, err := idArg(fs, args, "project", "see 'liaison projects'")
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	f, err := c.Publishable(ctx, id)
	if client.IsStatus(err, http.StatusForbidden) {
		return fmt.Errorf("the mediator publishes funding totals: a party's funders' pledges are theirs and the mediator's; %s", errNothingSent)
	}
	if err != nil {
		return sessionError(err)
	}
	if !f.Publishable {
		return fmt.Errorf("no total of %s may be published now: %s (it would be %s from %d confidential pledges); %s",
			id, f.Reason, money(f.Funding.Total, f.Funding.Currency), f.Funding.Funders, errNothingSent)
	}
	fmt.Fprintf(stdout, "The rule of published totals lets you publish of %s: %s from %d confidential pledges (rounded down to two significant digits).\n",
		id, money(f.Funding.Total, f.Funding.Currency), f.Funding.Funders)
	fmt.Fprintln(stdout, "Every party, the sides and the observers, will read it; it names no funder.")
	if !*yes && !confirm("Sign and publish it?", stderr) {
		return fmt.Errorf("not published: %s (answer y, or give --yes)", errNothingSent)
	}
	// The command restates what was read just now: had a pledge changed in
	// between, the server refuses the restatement.
	env, err := client.Sign(key, cfg.Cell, commerce.KindFundingPublish, map[string]any{"project": id, "total": f.Funding.Total, "funders": f.Funding.Funders})
	if err != nil {
		return err
	}
	st, err := sendOnce(ctx, stderr, func() (*client.ProjectStep, error) { return c.PublishFunding(ctx, id, env) })
	if err != nil {
		return refusal("the total of "+id, err)
	}
	fmt.Fprintf(stdout, "Published %s as the total of %s (log index %d).\n", published(st.Project), id, st.Entry.Index)
	return nil
}

func pledgeList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pledge", stderr)
	asJSON := fs.Bool("json", false, "print the pledges as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see 'liaison pledge help')", fs.Arg(0))
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	ps, err := c.Pledges(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, ps)
	}
	if len(ps) == 0 {
		fmt.Fprintln(stdout, "No pledge that your party may read: each is its funder's and the mediator's alone.")
		return nil
	}
	printPledges(stdout, ps)
	return nil
}

func pledgeShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pledge show", stderr)
	asJSON := fs.Bool("json", false, "print the pledge as JSON")
	id, err := idArg(fs, args, "pledge", "see 'liaison pledge'")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	p, err := c.Pledge(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, p)
	}
	printPledges(stdout, []commerce.Pledge{p.Pledge})
	for _, t := range p.Schedule {
		fmt.Fprintf(stdout, "  tranche due %s: %s\n", t.Due.UTC().Format(time.DateOnly), money(t.Amount, p.Currency))
	}
	for _, x := range p.Disbursals {
		note := ""
		if x.Note != "" {
			note = ": " + x.Note
		}
		fmt.Fprintf(stdout, "  paid %s on %s, recorded by %s (entry %d)%s\n", money(x.Amount, p.Currency), x.Date, x.By, x.ID, note)
	}
	return nil
}

// newPledgeID is a pledge's id when none is given: the funder's party, the
// project's and a random part. A pledge's id starts with its funder's (the
// server holds it to that, so that no funder can learn of another's pledge
// by an id refused as taken).
func newPledgeID(party, project string) string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	if len(project) > 54 {
		project = project[:54]
	}
	return party + "-" + project + "-" + hex.EncodeToString(b[:])
}

func pledgeMake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pledge make", stderr)
	id := fs.String("id", "", "the pledge's id, starting with your party's and a dash (default: your party's, the project's and a random part)")
	cond := fs.String("conditions", "", "on what conditions it is paid")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	project, amountArg, err := twoArgs(pos, "pledge make PROJECT AMOUNT [--id ID] [--conditions C]")
	if err != nil {
		return err
	}
	amount, err := parseAmount(amountArg)
	if err != nil {
		return err
	}
	if amount == 0 {
		return fmt.Errorf("a pledge pledges something; %s", errNothingSent)
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	if *id == "" {
		me, err := c.Me(ctx)
		if err != nil {
			return sessionError(err)
		}
		*id = newPledgeID(me.Party.ID, project)
	}
	d, err := c.Project(ctx, project)
	if err != nil {
		return sessionError(err)
	}
	p := map[string]any{"id": *id, "project": project, "amount": amount}
	if *cond != "" {
		p["conditions"] = *cond
	}
	env, err := client.Sign(key, cfg.Cell, commerce.KindPledgeMake, map[string]any{"pledge": p})
	if err != nil {
		return err
	}
	st, err := sendOnce(ctx, stderr, func() (*client.PledgeStep, error) { return c.MakePledge(ctx, env) })
	if err != nil {
		return refusal("the pledge to "+project, err)
	}
	fmt.Fprintf(stdout, "Pledged %s to %s (%s) as pledge %s (log index %d).\n", money(st.Pledge.Amount, st.Pledge.Currency), project, d.Title, st.Pledge.ID, st.Entry.Index)
	fmt.Fprintf(stdout, "Confidential: your party and the mediator read it; the others read only a total the rule lets the mediator publish.\nMake it public with: liaison pledge disclose %s --name NAME\n", st.Pledge.ID)
	return nil
}

func pledgeUpdate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pledge update", stderr)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	id, amountArg, err := twoArgs(pos, "pledge update ID AMOUNT")
	if err != nil {
		return err
	}
	amount, err := parseAmount(amountArg)
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	old, err := c.Pledge(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	// The new version keeps the pledge's conditions and schedule as they
	// stand: only the amount changes. It restates the version read, so that
	// a colleague's change made since is refused, not undone.
	p := old.Pledge
	p.Amount = amount
	env, err := client.Sign(key, cfg.Cell, commerce.KindPledgeUpdate, map[string]any{"pledge": p})
	if err != nil {
		return err
	}
	st, err := sendOnce(ctx, stderr, func() (*client.PledgeStep, error) { return c.UpdatePledge(ctx, id, env) })
	if err != nil {
		return refusal("the change to "+id, err)
	}
	now := money(st.Pledge.Amount, st.Pledge.Currency)
	if st.Pledge.Amount == 0 {
		now = "withdrawn"
	}
	fmt.Fprintf(stdout, "Pledge %s: %s, was %s (version %d, log index %d).\n", id, now, money(old.Amount, old.Currency), st.Pledge.Version, st.Entry.Index)
	return nil
}

func pledgeDisburse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pledge disburse", stderr)
	date := fs.String("date", "", "the day it was paid, YYYY-MM-DD")
	note := fs.String("note", "", "a reference: the transfer, the tranche")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	id, amountArg, err := twoArgs(pos, "pledge disburse ID AMOUNT --date YYYY-MM-DD [--note N]")
	if err != nil {
		return err
	}
	amount, err := parseAmount(amountArg)
	if err != nil {
		return err
	}
	if _, err := time.Parse(time.DateOnly, *date); err != nil {
		return fmt.Errorf("--date %q: the day it was paid, as 2026-12-01; %s", *date, errNothingSent)
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	fields := map[string]any{"pledge": id, "amount": amount, "date": *date}
	if *note != "" {
		fields["note"] = *note
	}
	env, err := client.Sign(key, cfg.Cell, commerce.KindPledgeDisburse, fields)
	if err != nil {
		return err
	}
	st, err := sendOnce(ctx, stderr, func() (*client.PledgeStep, error) { return c.Disburse(ctx, id, env) })
	if err != nil {
		return refusal("the disbursal against "+id, err)
	}
	p := st.Pledge
	fmt.Fprintf(stdout, "Recorded %s paid against pledge %s on %s (log index %d): %s of %s disbursed.\n",
		money(amount, p.Currency), id, *date, st.Entry.Index, money(p.Disbursed, ""), money(p.Amount, p.Currency))
	return nil
}

func pledgeDisclose(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("pledge disclose", stderr)
	name := fs.String("name", "", "how your party is to be named, as every party will read it")
	yes := fs.Bool("yes", false, "disclose without asking (for scripts)")
	id, err := idArg(fs, args, "pledge", "see 'liaison pledge'")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return fmt.Errorf("--name is required: how every party will read your party's name; %s", errNothingSent)
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	p, err := c.Pledge(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if p.Disclosed {
		return fmt.Errorf("pledge %s is disclosed already; %s", id, errNothingSent)
	}
	fmt.Fprintf(stdout, "Disclosing pledge %s to %s: %s, named as %q.\n", p.ID, p.Project, money(p.Amount, p.Currency), *name)
	fmt.Fprintln(stdout, "Every party, the sides and the observers, will read who pledged and how much. A disclosure cannot be taken back.")
	if !*yes && !confirm("Sign and disclose it?", stderr) {
		return fmt.Errorf("not disclosed: %s (answer y, or give --yes)", errNothingSent)
	}
	// The restatement is the pledge as read just now: had it changed in
	// between, the server refuses it rather than disclose another amount.
	env, err := client.Sign(key, cfg.Cell, commerce.KindPledgeDisclose, map[string]any{"pledge": id, "name": *name, "amount": p.Amount, "currency": p.Currency})
	if err != nil {
		return err
	}
	st, err := sendOnce(ctx, stderr, func() (*client.PledgeStep, error) { return c.Disclose(ctx, id, env) })
	if err != nil {
		return refusal("the disclosure of "+id, err)
	}
	fmt.Fprintf(stdout, "Disclosed at log index %d: every party reads %s's pledge of %s to %s.\n", st.Entry.Index, *name, money(p.Amount, p.Currency), p.Project)
	return nil
}

// exportRegistry writes the registry as IATI 2.03 XML or CSV, as the member
// reads it: for anyone outside the cell, so readable by others.
func exportRegistry(ctx context.Context, iati bool, out string, stdout, stderr io.Writer) error {
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	what, get := "the registry as CSV", c.ExportCSV
	if iati {
		what, get = "the registry as IATI 2.03 activities", c.ExportIATI
	}
	data, err := get(ctx)
	if err != nil {
		return sessionError(err)
	}
	if out == "" || out == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "Wrote %s to %s (%d bytes): what your party reads, no confidential pledge.\n", what, out, len(data))
	return nil
}
