package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
)

var kindPattern = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)+$`)

// runSubmit signs and submits a command of any kind, for what has no verb
// of its own (inviting an observer to a channel, a glossary term, the
// cell's settings): the server decides it exactly as it would the same
// command from the web or a verb.
func runSubmit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("submit", stderr)
	id := fs.String("id", "", "idempotency id: a retry with the same id lands once (default: a fresh one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return errors.New(`usage: liaison submit [--id ID] KIND ['{"field": value, ...}' | -]`)
	}
	kind := fs.Arg(0)
	if !kindPattern.MatchString(kind) {
		return fmt.Errorf("%q is not a command kind (like channel.invite)", kind)
	}
	raw := []byte("{}")
	if fs.NArg() == 2 {
		raw = []byte(fs.Arg(1))
		if fs.Arg(1) == "-" {
			var err error
			if raw, err = readAll(ctx, stdin); err != nil {
				return err
			}
		}
	}
	var fields map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers reach the payload as written
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return fmt.Errorf("the fields must be one JSON object, as in '{\"channel\": \"joint-general\", \"party\": \"jo\"}': %v", err)
	}
	if dec.More() {
		return errors.New("the fields must be one JSON object, with nothing after it")
	}
	for _, k := range []string{"id", "time", "cell"} {
		if _, ok := fields[k]; ok {
			return fmt.Errorf("%q is the signed header's, which liaison submit writes (use --id for the idempotency id)", k)
		}
	}
	if *id != "" {
		fields["id"] = *id
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	env, forget, err := outboxEnvelope(cfg, *id, fields, func() (*record.Envelope, error) {
		return client.Sign(key, cfg.Cell, kind, fields)
	})
	if err != nil {
		return err
	}
	sub, err := submitRetrying(ctx, c, "/entries", env, stderr)
	if err != nil {
		if refused(err) {
			forget()
		}
		return sessionError(err)
	}
	if sub.Duplicate {
		fmt.Fprintf(stdout, "Already in the log: entry %d (this id was used before; nothing was appended twice).\n", sub.Entry.Index)
		return nil
	}
	fmt.Fprintf(stdout, "Appended %s as entry %d, read by %s.\n", kind, sub.Entry.Index, strings.Join(sub.Entry.Audience, ", "))
	return nil
}
