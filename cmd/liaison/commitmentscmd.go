package main

// Commitments, the withdrawal timetable and the talks rounds from a
// terminal, and the calendar feed of what is owed.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/diplomacy"
)

func commitmentVerbs() []subverb {
	return []subverb{
		{"list", "list [--json]   (the default)", commitmentsList},
		{"show", "show ID [--json]", commitmentsShow},
		{"status", "status ID MILESTONE --status pending|on_track|at_risk|breached|fulfilled --reason R", commitmentsStatus},
		{"report", "report ID PHASE (--complete | --incomplete) --text T   (the mediator, after inspecting a withdrawal's phase)", commitmentsReport},
		{"signoff", "signoff ID PHASE (--accept | --refuse --reason R)   (the other side, after the mediator's report)", commitmentsSignoff},
	}
}

func runCommitments(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "commitments", commitmentVerbs(), commitmentsList, args, stdout, stderr)
}

// printCommitment writes a commitment and each milestone on a line: its
// due date, its status with the reason and the entry that set it, and
// OVERDUE plainly.
func printCommitment(w io.Writer, x client.CommitmentView, now time.Time, detail bool) {
	fmt.Fprintf(w, "%s  %q (%s), owed by %s under %s:%s: %s", x.ID, x.Title, x.Kind, x.Party, x.Article.Agreement, x.Article.Article, strings.ToUpper(x.Status))
	if x.Overdue > 0 {
		fmt.Fprintf(w, ", %d OVERDUE", x.Overdue)
	}
	if x.Round != "" {
		fmt.Fprintf(w, " (agreed in %s)", x.Round)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, m := range x.Milestones {
		when := until(m.Due, now)
		if m.Status == diplomacy.Fulfilled {
			when = "done"
		}
		zone := ""
		if m.Zone != "" {
			zone = "zone " + m.Zone
		}
		fmt.Fprintf(tw, "  %s\t%s\tdue %s\t%s\t%s\t%s (entry %d)\n", m.ID, oneLine(m.Title, 80), utc(m.Due), strings.ToUpper(m.Status), when, oneLine(m.Reason, 90), m.Entry)
		if detail {
			if zone != "" {
				fmt.Fprintf(tw, "  \t%s\t\t\t\t\n", zone)
			}
			if r := m.Report; r != nil {
				state := "incomplete"
				if r.Complete {
					state = "complete"
				}
				fmt.Fprintf(tw, "  \treport (%s, %s): %s: %s\t\t\t\t\n", r.By, utc(r.At), state, r.Text)
			}
			if s := m.Signoff; s != nil {
				answer := "accepted"
				if !s.Accept {
					answer = "refused: " + s.Reason
				}
				fmt.Fprintf(tw, "  \tsign-off by %s (%s, %s): %s\t\t\t\t\n", s.Party, s.By, utc(s.At), answer)
			}
		}
	}
	tw.Flush() //nolint:errcheck // w's errors surface at the next write
}

func commitmentsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("commitments list", stderr)
	asJSON := fs.Bool("json", false, "print the commitments as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	cs, err := c.Commitments(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, cs)
	}
	if len(cs) == 0 {
		fmt.Fprintln(stdout, "No commitment that your party may read.")
		return nil
	}
	now := time.Now()
	for i, x := range cs {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		printCommitment(stdout, x, now, false)
	}
	return nil
}

func commitmentsShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("commitments show", stderr)
	asJSON := fs.Bool("json", false, "print the commitment as JSON")
	id, err := idArg(fs, args, "commitment", "see 'liaison commitments'")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	x, err := c.Commitment(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, x)
	}
	printCommitment(stdout, *x, time.Now(), true)
	return nil
}

// milestoneArgs reads ID MILESTONE around the flags.
func milestoneArgs(pos []string, what string) (string, string, error) {
	if len(pos) != 2 {
		return "", "", fmt.Errorf("name the commitment and the %s, as withdrawal-timetable phase-1 (see 'liaison commitments')", what)
	}
	return pos[0], pos[1], nil
}

// onMilestone signs kind about a commitment's milestone and says where the
// milestone stands after.
func onMilestone(ctx context.Context, id, milestone, verb, kind string, fields map[string]any, stdout, stderr io.Writer) error {
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	fields["commitment"], fields["milestone"] = id, milestone
	sub, err := submitOn(ctx, cfg, c, key, kind, "/commitments/"+id+"/milestones/"+milestone+"/"+verb, fields, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Recorded at log index %d.\n", sub.Entry.Index)
	if x, err := c.Commitment(ctx, id); err == nil {
		for _, m := range x.Milestones {
			if m.ID == milestone {
				fmt.Fprintf(stdout, "%s of %s is %s: %s.\n", milestone, id, strings.ToUpper(m.Status), m.Reason)
			}
		}
	}
	return nil
}

func commitmentsStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("commitments status", stderr)
	status := fs.String("status", "", "one of "+strings.Join(diplomacy.Statuses, ", "))
	reason := fs.String("reason", "", "why: a status is always set with its reason")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	id, milestone, err := milestoneArgs(pos, "milestone")
	if err != nil {
		return err
	}
	if !slices.Contains(diplomacy.Statuses, *status) {
		return fmt.Errorf("--status %q: one of %s", *status, strings.Join(diplomacy.Statuses, ", "))
	}
	if strings.TrimSpace(*reason) == "" {
		return errors.New("--reason is required: a status is set with its reason")
	}
	return onMilestone(ctx, id, milestone, "status", diplomacy.KindCommitmentStatus, map[string]any{"status": *status, "reason": *reason}, stdout, stderr)
}

func commitmentsReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("commitments report", stderr)
	complete := fs.Bool("complete", false, "the inspection found the phase complete")
	incomplete := fs.Bool("incomplete", false, "it found the phase incomplete")
	text := fs.String("text", "", "what the inspection found")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	id, phase, err := milestoneArgs(pos, "phase")
	if err != nil {
		return err
	}
	if *complete == *incomplete {
		return errors.New("say --complete or --incomplete")
	}
	if strings.TrimSpace(*text) == "" {
		return errors.New("--text is required: what the inspection found")
	}
	return onMilestone(ctx, id, phase, "report", diplomacy.KindPhaseReport, map[string]any{"complete": *complete, "text": *text}, stdout, stderr)
}

func commitmentsSignoff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("commitments signoff", stderr)
	accept := fs.Bool("accept", false, "accept the mediator's report: the phase is fulfilled")
	refuse := fs.Bool("refuse", false, "refuse it (with --reason): the phase is at risk")
	reason := fs.String("reason", "", "why the sign-off is refused")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	id, phase, err := milestoneArgs(pos, "phase")
	if err != nil {
		return err
	}
	if *accept == *refuse {
		return errors.New("say --accept or --refuse --reason R")
	}
	fields := map[string]any{"accept": *accept}
	if *refuse {
		if strings.TrimSpace(*reason) == "" {
			return errors.New("--refuse takes --reason: why the sign-off is refused")
		}
		fields["reason"] = *reason
	}
	return onMilestone(ctx, id, phase, "signoff", diplomacy.KindPhaseSignoff, fields, stdout, stderr)
}

func roundVerbs() []subverb {
	return []subverb{
		{"list", "list [--json]   (the default)", roundsList},
		{"show", "show ID [--json]", roundsShow},
	}
}

func runRounds(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "rounds", roundVerbs(), roundsList, args, stdout, stderr)
}

func roundsList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rounds list", stderr)
	asJSON := fs.Bool("json", false, "print the rounds as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	rs, err := c.Rounds(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, rs)
	}
	if len(rs.Rounds) == 0 && len(rs.Waiting) == 0 {
		fmt.Fprintln(stdout, "No talks round that your party may read.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROUND\tPLACE\tWHEN (UTC)\tDELEGATIONS")
	for _, r := range rs.Rounds {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", r.ID, r.Number, r.Place, span(r.Start, r.End), strings.Join(slices.Sorted(maps.Keys(r.Delegations)), ","))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rs.Waiting) > 0 {
		fmt.Fprintln(stdout, "\nWAITING FOR THE NEXT ROUND")
		for _, it := range rs.Waiting {
			from := ""
			if it.Carried != "" {
				from = " (carried from " + it.Carried + ")"
			}
			fmt.Fprintf(stdout, "  %s  %s: %s%s\n", it.ID, it.Desk, it.Title, from)
		}
	}
	return nil
}

func roundsShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("rounds show", stderr)
	asJSON := fs.Bool("json", false, "print the round as JSON")
	id, err := idArg(fs, args, "round", "see 'liaison rounds'")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	r, err := c.Round(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, r)
	}
	fmt.Fprintf(stdout, "Round %d of talks (%s): %s, %s\n", r.Number, r.ID, r.Place, span(r.Start, r.End))
	for _, party := range slices.Sorted(maps.Keys(r.Delegations)) {
		fmt.Fprintf(stdout, "  %s: %s\n", party, strings.Join(r.Delegations[party], ", "))
	}
	fmt.Fprintln(stdout, "AGENDA")
	for _, it := range r.Agenda {
		fmt.Fprintf(stdout, "  %s  %s: %s", it.ID, it.Desk, it.Title)
		if it.Dispute != 0 {
			fmt.Fprintf(stdout, " (dispute %d)", it.Dispute)
		}
		fmt.Fprintln(stdout)
		if o := it.Outcome; o != nil {
			fmt.Fprintf(stdout, "      %s: %s", strings.ToUpper(o.Outcome), o.Text)
			if o.Commitment != "" {
				fmt.Fprintf(stdout, " (commitment %s)", o.Commitment)
			}
			fmt.Fprintln(stdout)
		}
	}
	if len(r.Minutes) > 0 {
		fmt.Fprintln(stdout, "MINUTES")
		for _, m := range r.Minutes {
			fmt.Fprintf(stdout, "  [%s] %s (%s, %s)\n", m.Lang, m.Text, m.By, utc(m.At))
		}
	}
	for _, st := range r.Statements {
		state := "in drafting"
		switch {
		case st.Published:
			state = "published"
		case st.Agreed > 0:
			state = "agreed"
		}
		fmt.Fprintf(stdout, "STATEMENT %s: %q, %s\n", st.ID, st.Title, state)
	}
	return nil
}

func calendarVerbs() []subverb {
	return []subverb{
		{"token", "token   (a new address for your calendar application, shown once; it ends the one before)", calendarToken},
		{"revoke", "revoke   (ends your calendar feed)", calendarRevoke},
	}
}

func runCalendar(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "calendar", calendarVerbs(), nil, args, stdout, stderr)
}

func calendarToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("calendar token", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, c, err := signedIn()
	if err != nil {
		return err
	}
	t, err := c.NewCalendarToken(ctx)
	if err != nil {
		return sessionError(err)
	}
	// The address as this terminal reaches the server: the one it was
	// told to use.
	fmt.Fprintf(stdout, "Your calendar feed, until %s (shown this once; the server keeps only its hash):\n\n  %s\n\n", utc(t.Expires), cfg.Server+t.Path)
	fmt.Fprintln(stdout, "Subscribe to it in your calendar application: it shows what your party owes, by when, and the talks it sits in.")
	fmt.Fprintln(stdout, "Whoever has the address reads that: 'liaison calendar revoke' ends it, 'liaison calendar token' replaces it.")
	if t.Revoked > 0 {
		fmt.Fprintf(stdout, "It replaces your earlier feed, which no longer answers.\n")
	}
	return nil
}

func calendarRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("calendar revoke", stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	n, err := c.RevokeCalendarToken(ctx)
	if err != nil {
		return sessionError(err)
	}
	if n == 0 {
		fmt.Fprintln(stdout, "You had no calendar feed to revoke.")
		return nil
	}
	fmt.Fprintln(stdout, "Revoked your calendar feed: its address answers nothing any more.")
	return nil
}
