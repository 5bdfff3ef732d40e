package main

// The de-escalation desk's status board in a terminal: what a duty officer
// reads at the start of a watch.

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

func runBoard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("board", stderr)
	asJSON := fs.Bool("json", false, "print the board as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	b, err := c.Board(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, b)
	}
	now := time.Now()
	fmt.Fprintf(stdout, "De-escalation board, %s\n\n", utc(now))
	if p := b.Posture; p != nil {
		fmt.Fprintf(stdout, "POSTURE  %s since %s (declared by %s, entry %d)\n  %s\n", strings.ToUpper(strings.ReplaceAll(p.State, "_", " ")), p.Since.UTC().Format("2006-01-02"), p.By, p.Entry, p.Text)
	} else {
		fmt.Fprintln(stdout, "POSTURE  none declared")
	}
	fmt.Fprintf(stdout, "\nACTIVE NOTIFICATIONS (%d)\n", len(b.Active))
	if len(b.Active) > 0 {
		printActivities(stdout, b.Active)
	}
	fmt.Fprintf(stdout, "\nHELD FOR THE MEDIATOR (%d)\n", len(b.Held))
	for _, n := range b.Held {
		fmt.Fprintf(stdout, "  %d  %s  %s  %q  %s\n", n.ID, n.Party, n.Type, oneLine(n.Title, 50), span(n.Start, n.End))
	}
	fmt.Fprintf(stdout, "\nOWED (%d)\n", len(b.Awaiting))
	if len(b.Awaiting) > 0 {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  WHAT\tREF\tBY\tPRECEDENCE\tDUE (UTC)\tTIME LEFT\tTITLE")
		for _, d := range b.Awaiting {
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\n", d.Kind, d.Ref, d.Party, d.Precedence, utc(d.DueAt()), left(d.DueAt().Sub(now)), oneLine(d.Title, 50))
		}
		tw.Flush() //nolint:errcheck
	}
	fmt.Fprintf(stdout, "\nOPEN VERIFICATIONS (%d)\n", len(b.Verifications))
	for _, v := range b.Verifications {
		fmt.Fprintf(stdout, "  incident %d, asked by %s at %s, due %s (%s)\n", v.Incident, v.Party, utc(v.Requested), utc(v.Due), left(v.Due.Sub(now)))
	}
	fmt.Fprintf(stdout, "\nINCIDENTS BY DAY, LAST %d DAYS\n", b.Days)
	if len(b.IncidentsByDay) == 0 {
		fmt.Fprintln(stdout, "  none")
	}
	for _, day := range slices.Sorted(maps.Keys(b.IncidentsByDay)) {
		cats := b.IncidentsByDay[day]
		var parts []string
		total := 0
		for _, cat := range slices.Sorted(maps.Keys(cats)) {
			parts = append(parts, fmt.Sprintf("%s %d", cat, cats[cat]))
			total += cats[cat]
		}
		fmt.Fprintf(stdout, "  %s  %d: %s\n", day, total, strings.Join(parts, ", "))
	}
	return nil
}
