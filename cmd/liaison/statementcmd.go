package main

// Joint statements from a terminal: list, show, draft a version from a
// file of texts, compare two versions, comment, sign (saying exactly what
// is signed), see where the signatures stand, publish, and export the
// evidence of the text, the signatures and the publication.

import (
	"bytes"
	"context"
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
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/evidence"
)

func statementVerbs() []subverb {
	return []subverb{
		{"list", "list [--json]", statementList},
		{"show", "show ID [--json]", statementShow},
		{"draft", "draft ID --file TEXTS.json [--title T --required il,sy [--kind joint_statement|agreed_minutes] [--round R]]   (a new statement takes a title and the sides it requires)", statementDraft},
		{"diff", "diff ID [--from N] [--to M]   (default: the latest against the one before)", statementDiff},
		{"comment", "comment ID --lang en --paragraph N --text T [--version N]   (paragraphs from 1)", statementComment},
		{"sign", "sign ID [--version N]   (prints the version and each language's hash it signs)", statementSign},
		{"status", "status ID", statementStatus},
		{"publish", "publish ID   (the mediator, once every required party has signed)", statementPublish},
		{"export", "export ID --out FILE   (the evidence of its text, signatures and publication)", statementExport},
	}
}

func runStatement(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "statement", statementVerbs(), nil, args, stdout, stderr)
}

// idArg parses the flags around the one argument naming what.
func idArg(fs *flag.FlagSet, args []string, what, hint string) (string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", fmt.Errorf("name one %s by its id (%s)", what, hint)
	}
	return pos[0], nil
}

// readTexts reads a statement's texts: a JSON object of the cell's
// languages, each an array of paragraphs given as strings or as
// {"text": ...}: {"en": ["First.", "Second."], "ar": [...]}. A language
// given twice is refused: which of the two would be signed is not for a
// decoder to choose.
func readTexts(data []byte) (map[string][]diplomacy.Paragraph, error) {
	const shape = `a JSON object of languages, each a list of paragraphs, as {"en": ["First paragraph."]}`
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not " + shape)
	}
	out := map[string][]diplomacy.Paragraph{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not %s: %v", shape, err)
		}
		lang, _ := t.(string)
		if !slices.Contains(cell.Languages, lang) {
			return nil, fmt.Errorf("%q is not one of the cell's languages (%s)", lang, strings.Join(cell.Languages, ", "))
		}
		if _, twice := out[lang]; twice {
			return nil, fmt.Errorf("%s is given twice", lang)
		}
		var raw []json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s: a list of paragraphs: %v", lang, err)
		}
		if len(raw) == 0 || len(raw) > diplomacy.MaxParagraph {
			return nil, fmt.Errorf("%s: 1 to %d paragraphs", lang, diplomacy.MaxParagraph)
		}
		ps := make([]diplomacy.Paragraph, 0, len(raw))
		for i, m := range raw {
			var p diplomacy.Paragraph
			if err := json.Unmarshal(m, &p.Text); err != nil {
				d := json.NewDecoder(bytes.NewReader(m))
				d.DisallowUnknownFields()
				if err := d.Decode(&p); err != nil {
					return nil, fmt.Errorf("%s paragraph %d: a string, or {\"text\": ...}: %v", lang, i+1, err)
				}
			}
			if strings.TrimSpace(p.Text) == "" {
				return nil, fmt.Errorf("%s paragraph %d is empty", lang, i+1)
			}
			ps = append(ps, p)
		}
		out[lang] = ps
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not %s: %v", shape, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value")
	}
	if len(out) == 0 {
		return nil, errors.New("no text: give at least one language, as {\"en\": [\"First paragraph.\"]}")
	}
	return out, nil
}

func statementList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statement list", stderr)
	asJSON := fs.Bool("json", false, "print the statements as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	l, err := c.Statements(ctx)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, l)
	}
	if len(l.Statements) == 0 && len(l.Published) == 0 {
		fmt.Fprintln(stdout, "No statement that your party may read.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tLATEST\tAGREED\tSTATE\tREQUIRED\tTITLE")
	listed := map[string]bool{}
	for _, s := range l.Statements {
		listed[s.ID] = true
		agreed, state := "-", "drafting"
		if s.Agreed > 0 {
			agreed, state = fmt.Sprint(s.Agreed), "agreed"
		}
		if s.Published {
			state = "PUBLISHED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Kind, s.Latest, agreed, state, strings.Join(s.Required, ","), oneLine(s.Title, 50))
	}
	for _, p := range l.Published {
		if !listed[p.Statement] {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\tPUBLISHED\t%s\t%s\n", p.Statement, p.Kind, p.Version, p.Version, strings.Join(slices.Sorted(maps.Keys(p.Signatures)), ","), oneLine(p.Title, 50))
		}
	}
	return tw.Flush()
}

func printTexts(w io.Writer, texts map[string][]diplomacy.Paragraph, hashes map[string]string) {
	for _, lang := range cell.Languages {
		ps, ok := texts[lang]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "    %s  (hash %s)\n", lang, hashes[lang])
		for i, p := range ps {
			fmt.Fprintf(w, "      ¶%d  %s\n", i+1, p.Text)
		}
	}
}

func statementShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statement show", stderr)
	asJSON := fs.Bool("json", false, "print the statement as JSON")
	id, err := idArg(fs, args, "statement", "see 'liaison statement list'")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	d, err := c.Statement(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		return printJSON(stdout, d)
	}
	fmt.Fprintf(stdout, "Statement %s: %q (%s)\n", d.ID, d.Title, d.Kind)
	if len(d.Versions) == 0 && d.Published != nil {
		p := d.Published
		fmt.Fprintf(stdout, "  PUBLISHED version %d at %s (entry %d), signed by %s\n", p.Version, utc(p.At), p.Entry, strings.Join(slices.Sorted(maps.Keys(p.Signatures)), ", "))
		printTexts(stdout, p.Texts, p.Hashes)
		return nil
	}
	fmt.Fprintf(stdout, "  requires %s", strings.Join(d.Required, ", "))
	if d.Round != "" {
		fmt.Fprintf(stdout, "; round %s", d.Round)
	}
	fmt.Fprintln(stdout)
	for i := len(d.Versions) - 1; i >= 0; i-- {
		v := d.Versions[i]
		fmt.Fprintf(stdout, "  Version %d by %s (%s) at %s: %s (entry %d)\n", v.Version, v.By, v.Party, utc(v.At), strings.ToUpper(v.Status), v.Entry)
		for _, party := range slices.Sorted(maps.Keys(v.Signatures)) {
			s := v.Signatures[party]
			fmt.Fprintf(stdout, "    signed by %s (%s, %s, entry %d)\n", party, s.Member, utc(s.At), s.Entry)
		}
		if v.Status == "draft" && len(v.Awaiting) > 0 {
			fmt.Fprintf(stdout, "    awaiting %s\n", strings.Join(v.Awaiting, ", "))
		}
		printTexts(stdout, v.Texts, v.Hashes)
		for _, cm := range d.Comments {
			if cm.Version == v.Version {
				fmt.Fprintf(stdout, "    comment by %s (%s) on %s ¶%d: %s\n", cm.By, cm.Party, cm.Lang, cm.Paragraph+1, cm.Text)
			}
		}
	}
	return nil
}

func statementDraft(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statement draft", stderr)
	file := fs.String("file", "", `the texts: {"en": ["First paragraph.", ...], "ar": [...]}`)
	title := fs.String("title", "", "a new statement's title")
	required := fs.String("required", "", "a new statement's sides that must sign it, as il,sy (the mediator always signs)")
	kind := fs.String("kind", diplomacy.JointStatement, "a new statement's kind: joint_statement or agreed_minutes")
	round := fs.String("round", "", "the talks round a new statement is of")
	id, err := idArg(fs, args, "statement", "a new one's id: lower-case letters, digits, '.', '_' or '-'")
	if err != nil {
		return err
	}
	if *file == "" {
		return errors.New("--file is required: the texts, as {\"en\": [\"First paragraph.\"]}")
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	texts, err := readTexts(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	st := map[string]any{"id": id}
	existing, err := c.Statement(ctx, id)
	switch {
	case client.IsStatus(err, 404):
		if strings.TrimSpace(*title) == "" || *required == "" {
			return fmt.Errorf("statement %s is new: give its --title and the sides it --required; %s", id, errNothingSent)
		}
		st["title"], st["kind"], st["required"] = *title, *kind, splitList(*required)
		if *round != "" {
			st["round"] = *round
		}
	case err != nil:
		return sessionError(err)
	default:
		if *title != "" || *required != "" || *round != "" {
			return fmt.Errorf("statement %s exists (%q): a new version keeps its title, sides and round; give --file alone; %s", id, existing.Title, errNothingSent)
		}
	}
	sub, err := submitOn(ctx, cfg, c, key, diplomacy.KindStatementDraft, "/statements", map[string]any{"statement": st, "texts": texts}, stderr)
	if err != nil {
		return err
	}
	d, err := c.Statement(ctx, id)
	if err != nil || len(d.Versions) == 0 {
		fmt.Fprintf(stdout, "Drafted statement %s at log index %d.\n", id, sub.Entry.Index)
		return nil
	}
	v := d.Versions[len(d.Versions)-1]
	fmt.Fprintf(stdout, "Drafted version %d of statement %s at log index %d; it awaits the signatures of %s.\n", v.Version, id, sub.Entry.Index, strings.Join(v.Awaiting, ", "))
	for _, lang := range cell.Languages {
		if h, ok := v.Hashes[lang]; ok {
			fmt.Fprintf(stdout, "  %s  %s  (%s)\n", lang, h, paragraphs(len(v.Texts[lang])))
		}
	}
	return nil
}

func statementDiff(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statement diff", stderr)
	from := fs.Int("from", 0, "the earlier version (default: the one before --to)")
	to := fs.Int("to", 0, "the later version (default: the latest)")
	id, err := idArg(fs, args, "statement", "see 'liaison statement list'")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	d, err := c.DiffStatement(ctx, id, *from, *to)
	if err != nil {
		return sessionError(err)
	}
	fmt.Fprintf(stdout, "Statement %s, version %d to %d:\n", id, d.From, d.To)
	same := 0
	for _, p := range d.Paragraphs {
		switch p.Change {
		case "unchanged":
			same++
		case "added":
			fmt.Fprintf(stdout, "  %s ¶%d added\n    + %s\n", p.Lang, p.Paragraph+1, p.To)
		case "removed":
			fmt.Fprintf(stdout, "  %s ¶%d removed\n    - %s\n", p.Lang, p.Paragraph+1, p.From)
		default:
			fmt.Fprintf(stdout, "  %s ¶%d changed\n    - %s\n    + %s\n", p.Lang, p.Paragraph+1, p.From, p.To)
		}
	}
	fmt.Fprintf(stdout, "  %d paragraphs unchanged.\n", same)
	return nil
}

func statementComment(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statement comment", stderr)
	version := fs.Int("version", 0, "the version commented (default: the latest)")
	lang := fs.String("lang", "en", "the language of the paragraph")
	paragraph := fs.Int("paragraph", 0, "the paragraph, from 1")
	text := fs.String("text", "", "the comment")
	id, err := idArg(fs, args, "statement", "see 'liaison statement list'")
	if err != nil {
		return err
	}
	if *paragraph < 1 || strings.TrimSpace(*text) == "" {
		return errors.New("--paragraph (from 1) and --text are required")
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	n := *version
	if n == 0 {
		d, err := c.Statement(ctx, id)
		if err != nil {
			return sessionError(err)
		}
		n = d.Latest
	}
	sub, err := submitOn(ctx, cfg, c, key, diplomacy.KindStatementComment, "/statements/"+id+"/comments",
		map[string]any{"statement": id, "version": n, "lang": *lang, "paragraph": *paragraph - 1, "text": *text}, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Commented %s ¶%d of version %d of statement %s at log index %d.\n", *lang, *paragraph, n, id, sub.Entry.Index)
	return nil
}

// statementSign signs a version's hashes for the member's party, after
// printing exactly what is signed: the statement, the version and each
// language's hash (which 'statement show' prints beside its text). It asks
// nothing: the command is the decision, and what it committed to is on
// the screen and in the log.
func statementSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statement sign", stderr)
	version := fs.Int("version", 0, "the version to sign (default: the latest); only the latest takes signatures")
	id, err := idArg(fs, args, "statement", "see 'liaison statement list'")
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	d, err := c.Statement(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	n := *version
	if n == 0 {
		n = d.Latest
	}
	i := slices.IndexFunc(d.Versions, func(v diplomacy.StatementVersion) bool { return v.Version == n })
	if i < 0 {
		return fmt.Errorf("statement %s has no version %d that you may read; %s", id, n, errNothingSent)
	}
	v := d.Versions[i]
	if v.Status != "draft" {
		return fmt.Errorf("version %d of statement %s is %s: there is nothing to sign; %s", n, id, v.Status, errNothingSent)
	}
	fmt.Fprintf(stdout, "Signing statement %s version %d (%q) for %s:\n", id, n, d.Title, cfg.Member)
	for _, lang := range slices.Sorted(maps.Keys(v.Hashes)) {
		fmt.Fprintf(stdout, "  %s  %s  (%s)\n", lang, v.Hashes[lang], paragraphs(len(v.Texts[lang])))
	}
	sub, err := submitOn(ctx, cfg, c, key, diplomacy.KindStatementSign, "/statements/"+id+"/sign",
		map[string]any{"statement": id, "version": n, "hashes": v.Hashes}, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Signed at log index %d.\n", sub.Entry.Index)
	if d, err = c.Statement(ctx, id); err == nil {
		for _, v := range d.Versions {
			if v.Version != n {
				continue
			}
			if v.Status == "agreed" {
				fmt.Fprintf(stdout, "Every required party has signed: version %d of statement %s is agreed.\n", n, id)
			} else {
				fmt.Fprintf(stdout, "Still awaiting: %s.\n", strings.Join(v.Awaiting, ", "))
			}
		}
	}
	return nil
}

func statementStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statement status", stderr)
	id, err := idArg(fs, args, "statement", "see 'liaison statement list'")
	if err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	d, err := c.Statement(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	switch {
	case d.Published != nil:
		fmt.Fprintf(stdout, "Statement %s: version %d PUBLISHED at %s (entry %d), signed by %s.\n", id, d.Published.Version, utc(d.Published.At),
			d.Published.Entry, strings.Join(slices.Sorted(maps.Keys(d.Published.Signatures)), ", "))
	case d.Agreed > 0:
		fmt.Fprintf(stdout, "Statement %s: version %d AGREED by %s; the mediator may publish it.\n", id, d.Agreed, strings.Join(d.Required, ", "))
	default:
		for _, v := range d.Versions {
			if v.Version == d.Latest {
				fmt.Fprintf(stdout, "Statement %s: version %d is a DRAFT, signed by %s, awaiting %s.\n", id, v.Version,
					orNone(slices.Sorted(maps.Keys(v.Signatures))), strings.Join(v.Awaiting, ", "))
			}
		}
	}
	return nil
}

func paragraphs(n int) string {
	if n == 1 {
		return "1 paragraph"
	}
	return strconv.Itoa(n) + " paragraphs"
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "no one yet"
	}
	return strings.Join(xs, ", ")
}

func statementPublish(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statement publish", stderr)
	id, err := idArg(fs, args, "statement", "see 'liaison statement list'")
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	d, err := c.Statement(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	i := slices.IndexFunc(d.Versions, func(v diplomacy.StatementVersion) bool { return v.Version == d.Agreed })
	if d.Agreed == 0 || i < 0 {
		return fmt.Errorf("statement %s has no version every required party has signed; %s", id, errNothingSent)
	}
	v := d.Versions[i]
	fields := map[string]any{"statement": id, "version": v.Version, "title": d.Title, "texts": v.Texts, "hashes": v.Hashes, "signatures": v.Signatures}
	if len(d.Titles) > 0 {
		fields["titles"] = d.Titles
	}
	sub, err := submitOn(ctx, cfg, c, key, diplomacy.KindStatementPublish, "/statements/"+id+"/publish", fields, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Published version %d of statement %s at log index %d: every party reads it now.\n", v.Version, id, sub.Entry.Index)
	return nil
}

func statementExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("statement export", stderr)
	out := fs.String("out", "", "the file to write the bundle to")
	id, err := idArg(fs, args, "statement", "see 'liaison statement list'")
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
	data, err := fetchBundle(ctx, func() ([]byte, error) { return c.StatementEvidence(ctx, id) }, stderr)
	if err != nil {
		return sessionError(err)
	}
	return writeBundle(*out, data, "statement "+id, stdout)
}

// fetchBundle asks for a bundle until the server has signed a checkpoint
// that covers it: a step just taken is in the next one, a moment later.
func fetchBundle(ctx context.Context, fetch func() ([]byte, error), stderr io.Writer) ([]byte, error) {
	for try := 0; ; try++ {
		data, err := fetch()
		var e *client.Error
		if err == nil || try == 4 || !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable {
			return data, err
		}
		wait := time.Duration(max(e.RetryAfter, 1)) * time.Second
		fmt.Fprintf(stderr, "%s; asking again in %s...\n", e.Title, wait)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// writeBundle checks a bundle the server made before handing it on, and
// writes it.
func writeBundle(path string, data []byte, what string, stdout io.Writer) error {
	var b evidence.Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("the server's bundle of %s: %w", what, err)
	}
	got, err := evidence.Check(&b)
	if err != nil {
		return fmt.Errorf("the server's bundle of %s does not check: %w", what, err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s: the evidence of %s, %d entries cited, %d in all, against the signed checkpoint of cell %s (%d entries).\n",
		path, what, len(got.Cited), len(b.Entries), b.Cell, got.Checkpoint.Size)
	fmt.Fprintf(stdout, "Whoever receives it checks it with: liaison verify --bundle %s\n", path)
	return nil
}
