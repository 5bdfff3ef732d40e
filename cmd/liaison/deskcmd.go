package main

// What the de-escalation desk's verbs (zones, notify, incident, board)
// share: sub-verbs, times as an officer types them, geometry from a file
// or the command line, and answers in UTC.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
)

// subverb is one verb under a desk's command: "zones sign", "notify end".
type subverb struct {
	name, usage string
	run         func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// dispatch runs the sub-verb args[0] names; when none does, fallback
// (if any) runs with every argument.
func dispatch(ctx context.Context, cmd string, verbs []subverb, fallback func(ctx context.Context, args []string, stdout, stderr io.Writer) error, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		for _, v := range verbs {
			if v.name == args[0] {
				return v.run(ctx, args[1:], stdout, stderr)
			}
		}
	}
	if fallback != nil && (len(args) == 0 || strings.HasPrefix(args[0], "-")) {
		return fallback(ctx, args, stdout, stderr)
	}
	var b strings.Builder
	for _, v := range verbs {
		fmt.Fprintf(&b, "\n  liaison %s %s", cmd, v.usage)
	}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintf(stdout, "usage:%s\n\nRun 'liaison %s VERB -h' for a verb's flags.\n", b.String(), cmd)
		return nil
	}
	if len(args) == 0 {
		return &exitError{code: 2, err: fmt.Errorf("say what to do:%s", b.String())}
	}
	return &exitError{code: 2, err: fmt.Errorf("unknown verb %q; one of:%s", args[0], b.String())}
}

// parseWhen reads a time as RFC 3339 ("2026-12-02T14:00:00Z", any offset)
// or relative to now ("now", "now+2h", "now-30m", "now+1d12h").
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		if rest == "" {
			return now, nil
		}
		sign := rest[0]
		if sign != '+' && sign != '-' {
			return time.Time{}, fmt.Errorf("%q: after now comes +DURATION or -DURATION, as in now+2h", s)
		}
		d, err := parseDuration(rest[1:])
		if err != nil {
			return time.Time{}, fmt.Errorf("%q: %v", s, err)
		}
		if sign == '-' {
			d = -d
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time: give RFC 3339 (2026-12-02T14:00:00Z, or with an offset: +03:00) or now+2h", s)
	}
	return t, nil
}

// parseDuration is time.ParseDuration with days ("1d12h"): an activity is
// notified days ahead, and a day is said as one.
func parseDuration(s string) (time.Duration, error) {
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		// Ten years bounds it well inside a Duration's 292.
		if err != nil || n < 0 || n > 3650 {
			return 0, fmt.Errorf("%q is not a duration (as in 90m, 3h, 2d)", s)
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration (as in 90m, 3h, 2d)", s)
	}
	return days + d, nil
}

// utc renders a time as the desk prints every time: in UTC, to the minute.
func utc(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

// span renders a window, the end's date left out when it is the start's.
func span(start, end time.Time) string {
	s, e := start.UTC(), end.UTC()
	if s.Format("2006-01-02") == e.Format("2006-01-02") {
		return utc(s) + "–" + e.Format("15:04Z")
	}
	return utc(s) + " – " + utc(e)
}

// readGeometry reads a GeoJSON geometry given inline ('{"type": ...}') or
// in a file; a Feature's geometry is taken, with the radius_m or width_m
// of its properties when the flags do not say.
func readGeometry(arg string) (json.RawMessage, float64, float64, error) {
	data := []byte(arg)
	if !strings.HasPrefix(strings.TrimSpace(arg), "{") {
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("--geometry: %w (give a file, or the GeoJSON itself in quotes)", err)
		}
		data = b
	}
	var g struct {
		Type       string          `json:"type"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties struct {
			RadiusM float64 `json:"radius_m"`
			WidthM  float64 `json:"width_m"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, 0, 0, fmt.Errorf("--geometry %s: not JSON: %v", shorten(arg), err)
	}
	switch g.Type {
	case "Feature":
		if len(g.Geometry) == 0 || string(g.Geometry) == "null" {
			return nil, 0, 0, fmt.Errorf("--geometry %s: the feature has no geometry", shorten(arg))
		}
		return g.Geometry, g.Properties.RadiusM, g.Properties.WidthM, nil
	case "FeatureCollection":
		return nil, 0, 0, fmt.Errorf("--geometry %s: a FeatureCollection; give one geometry (zones import reads collections)", shorten(arg))
	}
	return json.RawMessage(data), 0, 0, nil
}

func shorten(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// printJSON writes v indented, as every --json does.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// numberArg parses the flags around the one argument: the number (a log
// index) of what is named.
func numberArg(fs *flag.FlagSet, args []string, what string) (int64, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 0, err
	}
	if len(pos) != 1 {
		return 0, fmt.Errorf("name one %s by its number", what)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
	if err != nil || id < 0 {
		return 0, fmt.Errorf("%q is not %s number", pos[0], article(what))
	}
	return id, nil
}

func article(what string) string {
	if strings.ContainsRune("aeiou", rune(what[0])) {
		return "an " + what
	}
	return "a " + what
}

// submitOn signs a command of kind with fields and posts it to path,
// once more after a lost answer (the same signed bytes land once).
func submitOn(ctx context.Context, cfg *config, c *client.Client, key *record.DeviceKey, kind, path string, fields map[string]any, stderr io.Writer) (*client.Submitted, error) {
	env, err := client.Sign(key, cfg.Cell, kind, fields)
	if err != nil {
		return nil, err
	}
	sub, err := submitRetrying(ctx, c, path, env, stderr)
	return sub, sessionError(err)
}

// splitList reads "il,sy" (spaces allowed); "" is none.
func splitList(s string) []string {
	out := []string{}
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

var errNothingSent = errors.New("nothing was sent")
