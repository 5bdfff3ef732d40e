package main

// Disputes from a terminal: the register, a dispute in full, filing one
// and each step after (acknowledgement, response, finding, the parties'
// answers, a share with an observer), and its evidence bundle.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/diplomacy"
)

func disputeVerbs() []subverb {
	return []subverb{
		{"list", "list [--party P] [--article paris:2] [--status open|filed|...] [--sort age|deadline] [--json]", disputeList},
		{"show", "show N [--json]", disputeShow},
		{"file", "file --against P --title T --description D --article AGREEMENT:ARTICLE ... [--cite incident:N ...] [--attach FILE ...]", disputeFile},
		{"ack", "ack N [--text T]   (the mediator)", disputeAck},
		{"respond", "respond N --text T   (the respondent)", disputeRespond},
		{"finding", "finding N --outcome upheld|not_upheld|partly_upheld --text T   (the mediator)", disputeFinding},
		{"accept", "accept N (--accept | --refuse --reason R)   (each party to the dispute)", disputeAccept},
		{"share", "share N --observer P [--note T]   (the mediator: the observer reads what the share restates, never the finding)", disputeShare},
		{"export", "export N --out FILE   (its evidence bundle, for 'liaison verify --bundle')", disputeExport},
	}
}

func runDispute(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "dispute", disputeVerbs(), nil, args, stdout, stderr)
}

// until says how long is left to a deadline, or how long it is past, in
// days once it is more than two.
func until(due, now time.Time) string {
	d := due.Sub(now)
	abs := d
	if abs < 0 {
		abs = -abs
	}
	s := clock(abs)
	if abs >= 48*time.Hour {
		s = fmt.Sprintf("%dd %dh", int(abs.Hours())/24, int(abs.Hours())%24)
	}
	if d < 0 {
		return "OVERDUE by " + s
	}
	return s + " left"
}

func refs(as []diplomacy.ArticleRef) string {
	var out []string
	for _, a := range as {
		s := a.Agreement + ":" + a.Article
		if a.Version > 0 {
			s += " (version " + strconv.Itoa(a.Version) + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, ", ")
}

func disputeList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dispute list", stderr)
	party := fs.String("party", "", "only the disputes this party is claimant or respondent in")
	article := fs.String("article", "", "only those citing this article, as paris:2 (or an agreement: paris)")
	status := fs.String("status", "", "only this step: open (all but resolved), filed, acknowledged, responded, found, resolved, escalated")
	sort := fs.String("sort", "age", "age (oldest first) or deadline (soonest next deadline first)")
	limit := fs.String("limit", "", "disputes a page (the server's default 50, at most 500)")
	after := fs.String("after", "", "the page after this cursor, as the list before printed it")
	asJSON := fs.Bool("json", false, "print the register as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	q := url.Values{}
	for name, v := range map[string]string{"party": *party, "article": *article, "status": *status, "sort": *sort,
		"limit": *limit, "after": *after} {
		if v != "" {
			q.Set(name, v)
		}
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	reg, err := c.Disputes(ctx, q)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, reg)
	}
	now := time.Now()
	if len(reg.Disputes) == 0 && len(reg.Shared) == 0 {
		fmt.Fprintln(stdout, "No dispute that your party may read.")
		return nil
	}
	if len(reg.Disputes) > 0 {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "N\tCLAIMANT\tRESPONDENT\tSTATUS\tFILED (UTC)\tNEXT DEADLINE (UTC)\tAWAITING\tARTICLES\tTITLE")
		for _, d := range reg.Disputes {
			next := "-"
			if !d.Due.IsZero() {
				next = utc(d.Due) + " (" + until(d.Due, now) + ")"
			}
			awaiting := strings.Join(d.Awaiting, ",")
			if awaiting == "" {
				awaiting = "-"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Claimant, d.Respondent, d.Status, utc(d.Filed), next, awaiting,
				refs(d.Articles), oneLine(d.Title, 50))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if reg.Next != "" {
		fmt.Fprintf(stdout, "More: the same with --after %s\n", reg.Next)
	}
	if len(reg.Shared) > 0 {
		fmt.Fprintln(stdout, "\nSHARED WITH OBSERVERS (what the share restated; never the finding)")
		for _, s := range reg.Shared {
			fmt.Fprintf(stdout, "  %d  %s against %s, %s: %q, shared with %s at %s", s.Dispute, s.Claimant, s.Respondent, s.Status, oneLine(s.Title, 60), s.Observer, utc(s.At))
			if s.Note != "" {
				fmt.Fprintf(stdout, " — %s", oneLine(s.Note, 80))
			}
			fmt.Fprintln(stdout)
		}
	}
	return nil
}

func disputeShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dispute show", stderr)
	asJSON := fs.Bool("json", false, "print the dispute as JSON")
	id, err := numberArg(fs, args, "dispute")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	d, err := c.Dispute(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, d)
	}
	now := time.Now()
	fmt.Fprintf(stdout, "Dispute %d: %q\n  %s against %s, filed by %s at %s; %s\n  articles: %s\n  %s\n",
		d.ID, d.Title, d.Claimant, d.Respondent, d.Member, utc(d.Filed), strings.ToUpper(d.Status), refs(d.Articles), oneLine(d.Description, 400))
	for _, ct := range d.Cites {
		fmt.Fprintf(stdout, "  cites %s %d (entries %s)\n", ct.Kind, ct.ID, joinInts(ct.Entries))
	}
	for _, a := range d.Attachments {
		fmt.Fprintf(stdout, "  attachment %s (%s, %d bytes, sha256 %s)\n", a.Name, a.Type, a.Size, a.SHA256)
	}
	if r := d.Response; r != nil {
		fmt.Fprintf(stdout, "  RESPONSE (%s, %s): %s\n", r.By, utc(r.At), r.Text)
	}
	if f := d.Finding; f != nil {
		fmt.Fprintf(stdout, "  FINDING: %s (%s, %s): %s\n", strings.ToUpper(f.Outcome), f.By, utc(f.At), f.Text)
	}
	for _, party := range []string{d.Claimant, d.Respondent} {
		a, ok := d.Accepts[party]
		switch {
		case !ok:
		case a.Accept:
			fmt.Fprintf(stdout, "  %s accepts the finding (%s, %s)\n", party, a.By, utc(a.At))
		default:
			fmt.Fprintf(stdout, "  %s REFUSES the finding (%s, %s): %s\n", party, a.By, utc(a.At), a.Reason)
		}
	}
	if len(d.Awaiting) > 0 {
		fmt.Fprintf(stdout, "  awaiting %s, by %s (%s)\n", strings.Join(d.Awaiting, " and "), utc(d.Due), until(d.Due, now))
	}
	if it := d.Item; it != nil {
		if it.Round == "" {
			fmt.Fprintf(stdout, "  escalated: item %s waits for the next talks round to be called\n", it.ID)
		} else {
			fmt.Fprintf(stdout, "  escalated to round %s, item %s", it.Round, it.ID)
			if it.Outcome != nil {
				fmt.Fprintf(stdout, ": %s: %s", it.Outcome.Outcome, it.Outcome.Text)
			}
			fmt.Fprintln(stdout)
		}
	}
	for _, s := range d.Shares {
		fmt.Fprintf(stdout, "  shared with %s at %s as %s", s.Observer, utc(s.At), s.Status)
		if s.Note != "" {
			fmt.Fprintf(stdout, ": %s", s.Note)
		}
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "  steps at entries %s; 'liaison dispute export %d --out FILE' writes its evidence\n", joinInts(d.Entries), d.ID)
	return nil
}

func joinInts(xs []int64) string {
	var out []string
	for _, x := range xs {
		out = append(out, strconv.FormatInt(x, 10))
	}
	return strings.Join(out, ", ")
}

// parseArticle reads AGREEMENT:ARTICLE (paris:2, disengagement-1974:C).
func parseArticle(s string) (diplomacy.ArticleRef, error) {
	ag, art, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || ag == "" || art == "" {
		return diplomacy.ArticleRef{}, fmt.Errorf("--article %q: give AGREEMENT:ARTICLE, as in paris:2 (the agreements and their articles: GET /api/v1/agreements)", s)
	}
	return diplomacy.ArticleRef{Agreement: ag, Article: art}, nil
}

// parseCite reads KIND:N (incident:123, message:40).
func parseCite(s string) (map[string]any, error) {
	kind, n, ok := strings.Cut(strings.TrimSpace(s), ":")
	id, err := strconv.ParseInt(strings.TrimPrefix(n, "#"), 10, 64)
	if !ok || err != nil || id < 0 || !slices.Contains([]string{"message", "incident", "activity", "verification"}, kind) {
		return nil, fmt.Errorf("--cite %q: give KIND:NUMBER, KIND one of message, incident, activity, verification (as in incident:123)", s)
	}
	return map[string]any{"kind": kind, "id": id}, nil
}

func disputeFile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dispute file", stderr)
	against := fs.String("against", "", "the respondent: another side")
	title := fs.String("title", "", "one line that says what the dispute is about")
	description := fs.String("description", "", "what happened, and why it breaches the articles cited")
	var articles, cites, attach repeated
	fs.Var(&articles, "article", "an article it breaches, as paris:2 (repeatable)")
	fs.Var(&cites, "cite", "what happened, as incident:123, message:40, activity:57 or verification:123 (repeatable); the respondent must be able to read it")
	fs.Var(&attach, "attach", "attach a file as evidence (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *against == "":
		return errors.New("--against is required: the side the dispute is against")
	case strings.TrimSpace(*title) == "" || strings.TrimSpace(*description) == "":
		return errors.New("--title and --description are required")
	case len(articles) == 0:
		return errors.New("--article is required: the article (or articles) breached, as paris:2")
	}
	var arts []diplomacy.ArticleRef
	for _, a := range articles {
		ref, err := parseArticle(a)
		if err != nil {
			return err
		}
		arts = append(arts, ref)
	}
	cs := []map[string]any{}
	for _, s := range cites {
		ct, err := parseCite(s)
		if err != nil {
			return err
		}
		cs = append(cs, ct)
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	fields := map[string]any{"respondent": *against, "title": *title, "description": *description, "articles": arts, "cites": cs}
	var atts []diplomacy.Attachment
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
		atts = append(atts, diplomacy.Attachment{SHA256: sha, Name: filepath.Base(f), Size: int64(len(data)), Type: typ})
	}
	if len(atts) > 0 {
		fields["attachments"] = atts
	}
	sub, err := submitOn(ctx, cfg, c, key, diplomacy.KindDisputeFile, "/disputes", fields, stderr)
	if err != nil {
		return err
	}
	id := sub.Entry.Index
	fmt.Fprintf(stdout, "Filed dispute %d against %s (log index %d), for %s, %s and the mediator.\n", id, *against, id, sub.Entry.Party, *against)
	return afterStep(ctx, c, id, stdout)
}

// afterStep says where a dispute stands after a step: who owes the next,
// by when.
func afterStep(ctx context.Context, c *client.Client, id int64, stdout io.Writer) error {
	d, err := c.Dispute(ctx, id)
	if err != nil {
		return nil // the step landed; this is a courtesy
	}
	switch {
	case len(d.Awaiting) > 0:
		fmt.Fprintf(stdout, "Dispute %d is %s: awaiting %s by %s (%s).\n", id, d.Status, strings.Join(d.Awaiting, " and "), utc(d.Due), until(d.Due, time.Now()))
	case d.Status == diplomacy.DisputeEscalated && d.Round == "":
		fmt.Fprintf(stdout, "Dispute %d is escalated: it waits for the next talks round to be called.\n", id)
	case d.Status == diplomacy.DisputeEscalated:
		fmt.Fprintf(stdout, "Dispute %d is escalated to the agenda of round %s.\n", id, d.Round)
	default:
		fmt.Fprintf(stdout, "Dispute %d is %s.\n", id, d.Status)
	}
	return nil
}

// disputeStep signs a step of kind on dispute N with fields.
func disputeStep(ctx context.Context, fs *flag.FlagSet, args []string, kind, verb string, check func() error, fields func() map[string]any, stdout, stderr io.Writer) error {
	id, err := numberArg(fs, args, "dispute")
	if err != nil {
		return err
	}
	if err := check(); err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	f := fields()
	f["dispute"] = id
	sub, err := submitOn(ctx, cfg, c, key, kind, "/disputes/"+strconv.FormatInt(id, 10)+"/"+verb, f, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Recorded at log index %d.\n", sub.Entry.Index)
	return afterStep(ctx, c, id, stdout)
}

func none() error { return nil }

func disputeAck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dispute ack", stderr)
	text := fs.String("text", "", "what the mediator tells the parties")
	return disputeStep(ctx, fs, args, diplomacy.KindDisputeAck, "ack", none, func() map[string]any {
		if *text == "" {
			return map[string]any{}
		}
		return map[string]any{"text": *text}
	}, stdout, stderr)
}

func disputeRespond(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dispute respond", stderr)
	text := fs.String("text", "", "the respondent's answer")
	return disputeStep(ctx, fs, args, diplomacy.KindDisputeRespond, "respond", func() error {
		if strings.TrimSpace(*text) == "" {
			return errors.New("--text is required: the response")
		}
		return nil
	}, func() map[string]any { return map[string]any{"text": *text} }, stdout, stderr)
}

func disputeFinding(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dispute finding", stderr)
	outcome := fs.String("outcome", "", "one of "+strings.Join(diplomacy.FindingOutcomes, ", "))
	text := fs.String("text", "", "what the mediator found, and why")
	return disputeStep(ctx, fs, args, diplomacy.KindDisputeFinding, "finding", func() error {
		if !slices.Contains(diplomacy.FindingOutcomes, *outcome) {
			return fmt.Errorf("--outcome %q: one of %s", *outcome, strings.Join(diplomacy.FindingOutcomes, ", "))
		}
		if strings.TrimSpace(*text) == "" {
			return errors.New("--text is required: the finding")
		}
		return nil
	}, func() map[string]any { return map[string]any{"outcome": *outcome, "text": *text} }, stdout, stderr)
}

func disputeAccept(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dispute accept", stderr)
	accept := fs.Bool("accept", false, "accept the finding")
	refuse := fs.Bool("refuse", false, "refuse it (with --reason): the dispute goes to the next talks round")
	reason := fs.String("reason", "", "why the finding is refused")
	return disputeStep(ctx, fs, args, diplomacy.KindDisputeAccept, "accept", func() error {
		if *accept == *refuse {
			return errors.New("say --accept or --refuse --reason R")
		}
		if *refuse && strings.TrimSpace(*reason) == "" {
			return errors.New("--refuse takes --reason: why the finding is refused")
		}
		return nil
	}, func() map[string]any {
		f := map[string]any{"accept": *accept}
		if *refuse {
			f["reason"] = *reason
		}
		return f
	}, stdout, stderr)
}

// disputeShare restates the dispute as it stands, which is what the
// observer reads: the verb reads it first, so that the officer types only
// whom to tell and why.
func disputeShare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dispute share", stderr)
	observer := fs.String("observer", "", "the observer to tell, as jo")
	note := fs.String("note", "", "what the mediator adds for the observer")
	id, err := numberArg(fs, args, "dispute")
	if err != nil {
		return err
	}
	if *observer == "" {
		return errors.New("--observer is required: the observer to share the dispute with")
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	d, err := c.Dispute(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	fields := map[string]any{"dispute": id, "observer": *observer, "title": d.Title, "description": d.Description, "status": d.Status}
	if *note != "" {
		fields["note"] = *note
	}
	fmt.Fprintf(stdout, "Sharing dispute %d with %s as it stands: %q, %s (the finding stays with the parties).\n", id, *observer, d.Title, d.Status)
	sub, err := submitOn(ctx, cfg, c, key, diplomacy.KindDisputeShare, "/disputes/"+strconv.FormatInt(id, 10)+"/share", fields, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Shared at log index %d.\n", sub.Entry.Index)
	return nil
}

func disputeExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dispute export", stderr)
	out := fs.String("out", "", "the file to write the bundle to")
	id, err := numberArg(fs, args, "dispute")
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required: the file to write the bundle to")
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	data, err := fetchBundle(ctx, func() ([]byte, error) { return c.DisputeEvidence(ctx, id) }, stderr)
	if err != nil {
		return sessionError(err)
	}
	return writeBundle(*out, data, "dispute "+strconv.FormatInt(id, 10), stdout)
}
