package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
)

// ackDeadlines is the demo's --ack-deadlines flag, "FLASH=45s,IMMEDIATE=2m":
// deadlines short enough for a test or a presentation to watch one pass.
// Precedences it leaves out keep the cell's defaults.
type ackDeadlines map[string]int

func (a ackDeadlines) String() string {
	keys := make([]string, 0, len(a))
	for p := range a {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, p := range keys {
		parts[i] = fmt.Sprintf("%s=%s", p, time.Duration(a[p])*time.Second)
	}
	return strings.Join(parts, ",")
}

func (a ackDeadlines) Set(s string) error {
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, d, ok := strings.Cut(item, "=")
		p = strings.ToUpper(strings.TrimSpace(p))
		if !ok {
			return fmt.Errorf("%q: want PRECEDENCE=DURATION, as in FLASH=45s", item)
		}
		if !slices.Contains(cell.Precedences, p) {
			return fmt.Errorf("%q: precedence is one of %s", item, strings.Join(cell.Precedences, ", "))
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return fmt.Errorf("%q: %v", item, err)
		}
		// The cell counts deadlines in whole seconds; a fraction would be
		// silently dropped, so it is refused instead.
		if dur < time.Second || dur > 7*24*time.Hour || dur%time.Second != 0 {
			return fmt.Errorf("%q: a deadline is a whole number of seconds between 1s and 168h", item)
		}
		a[p] = int(dur / time.Second)
	}
	return nil
}

// linkTimes is the demo's --link-tests flag, "06:00,18:00": the UTC times
// of day at which the server tests every line. "" means none.
type linkTimes []string

func (l *linkTimes) String() string { return strings.Join(*l, ",") }

func (l *linkTimes) Set(s string) error {
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if _, err := time.Parse("15:04", t); err != nil || len(t) != 5 {
			return fmt.Errorf("%q: want UTC times of day as HH:MM, comma-separated", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	*l = out
	return nil
}
