// Package ical writes iCalendar (RFC 5545): content lines folded at 75
// octets and ended by CRLF, TEXT values escaped, times in UTC, and time
// zones as VTIMEZONE components drawn from the Go time zone database. It
// writes only; it imports nothing of the project.
package ical

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxLine is the longest content line, in octets and without its CRLF,
// that RFC 5545 §3.1 lets an implementation write; a longer one is folded
// onto continuation lines, each started by a space.
const MaxLine = 75

// Writer writes an iCalendar object. Its methods record the first write
// error, which Flush returns.
type Writer struct {
	w   io.Writer
	buf bytes.Buffer
	err error
}

// NewWriter returns a writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Begin opens a component (VCALENDAR, VEVENT, ...).
func (w *Writer) Begin(component string) { w.Prop("BEGIN", component) }

// End closes a component.
func (w *Writer) End(component string) { w.Prop("END", component) }

// Prop writes a content line: name (with its parameters, as in
// "REFRESH-INTERVAL;VALUE=DURATION") and a value already in its type's
// form. Use Text for TEXT values.
func (w *Writer) Prop(name, value string) {
	w.line(name + ":" + value)
}

// Text writes a property of type TEXT (SUMMARY, DESCRIPTION, ...),
// escaped.
func (w *Writer) Text(name, text string) { w.Prop(name, Escape(text)) }

// UTC writes a DATE-TIME property in UTC form (20261201T143000Z): a
// deadline is an instant, the same for every party, whatever its clock.
func (w *Writer) UTC(name string, t time.Time) { w.Prop(name, FormatUTC(t)) }

// FormatUTC is t as a DATE-TIME in UTC form, to the second.
func FormatUTC(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// Flush writes what was buffered and returns the first error.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	_, w.err = w.w.Write(w.buf.Bytes())
	w.buf.Reset()
	return w.err
}

// line folds a content line at MaxLine octets without splitting a UTF-8
// sequence (§3.1 allows the split, but readers that decode each physical
// line would mangle the character) and ends each part with CRLF.
func (w *Writer) line(s string) {
	if w.err != nil {
		return
	}
	limit := MaxLine
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		w.buf.WriteString(s[:cut])
		w.buf.WriteString("\r\n ")
		s = s[cut:]
		limit = MaxLine - 1 // the continuation's leading space counts
	}
	w.buf.WriteString(s)
	w.buf.WriteString("\r\n")
}

// Escape makes text a TEXT value (§3.3.11): backslash, semicolon and comma
// escaped, every line break as \n. Control characters, which TEXT may not
// hold, become spaces, and invalid UTF-8 the replacement character: a
// text from the log is shown, never refused.
func Escape(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(text))
	for _, r := range text {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TimeZone writes a VTIMEZONE for loc, named by its IANA name (TZID),
// with one observance per offset change between from and to and the one
// in force at from: what a reader needs to show times in that zone
// between those dates, without rules of its own (§3.6.5). Israel keeps
// daylight saving and Syria does not: each zone's changes are its own.
func (w *Writer) TimeZone(loc *time.Location, from, to time.Time) {
	w.Begin("VTIMEZONE")
	w.Prop("TZID", loc.String())
	for _, o := range observances(loc, from, to) {
		kind := "STANDARD"
		if o.dst {
			kind = "DAYLIGHT"
		}
		w.Begin(kind)
		// The onset in the local time of the offset it replaces.
		w.Prop("DTSTART", o.at.In(time.FixedZone("", o.from)).Format("20060102T150405"))
		w.Prop("TZOFFSETFROM", offset(o.from))
		w.Prop("TZOFFSETTO", offset(o.to))
		if o.name != "" {
			w.Text("TZNAME", o.name)
		}
		w.End(kind)
	}
	w.End("VTIMEZONE")
}

type observance struct {
	at       time.Time
	from, to int // offsets east of UTC, in seconds
	name     string
	dst      bool
}

// observances finds loc's offset changes between from and to by stepping
// a day at a time and bisecting each change to the second: the time
// package does not list a zone's transitions, and no zone changes twice
// in a day.
func observances(loc *time.Location, from, to time.Time) []observance {
	from, to = from.UTC().Truncate(time.Hour), to.UTC()
	zone := func(t time.Time) (string, int, bool) {
		lt := t.In(loc)
		name, off := lt.Zone()
		return name, off, lt.IsDST()
	}
	name, off, dst := zone(from)
	out := []observance{{at: from, from: off, to: off, name: name, dst: dst}}
	for t := from; t.Before(to); t = t.Add(24 * time.Hour) {
		next := t.Add(24 * time.Hour)
		_, o2, _ := zone(next)
		if o2 == off {
			continue
		}
		lo, hi := t, next // off at lo, o2 at hi
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
			if mid.Equal(lo) {
				break
			}
			if _, o, _ := zone(mid); o == off {
				lo = mid
			} else {
				hi = mid
			}
		}
		n, o, d := zone(hi)
		out = append(out, observance{at: hi, from: off, to: o, name: n, dst: d})
		off = o
	}
	return out
}

// offset is a UTC offset as §3.3.14 writes it: +hhmm, or +hhmmss when it
// has seconds.
func offset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	if sec%60 != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec/60%60)
}
