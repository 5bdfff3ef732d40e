package ical_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goical "github.com/emersion/go-ical"

	"github.com/liaison-cell/liaison/internal/ical"
)

// calendar writes a calendar of one event whose summary is text, and the
// Jerusalem zone over 2026.
func calendar(t testing.TB, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := ical.NewWriter(&b)
	w.Begin("VCALENDAR")
	w.Prop("VERSION", "2.0")
	w.Prop("PRODID", "-//Liaison//test//EN")
	jerusalem, err := time.LoadLocation("Asia/Jerusalem")
	if err != nil {
		t.Fatal(err)
	}
	w.TimeZone(jerusalem, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	w.Begin("VEVENT")
	w.Prop("UID", "test@liaison")
	w.UTC("DTSTAMP", time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	w.UTC("DTSTART", time.Date(2026, 12, 2, 14, 30, 0, 0, time.FixedZone("", 2*3600)))
	w.Text("SUMMARY", text)
	w.End("VEVENT")
	w.End("VCALENDAR")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lines checks the physical lines: each ended by CRLF, none over 75
// octets, no UTF-8 sequence split between two.
func lines(t testing.TB, data []byte) {
	t.Helper()
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		t.Fatalf("the calendar does not end with CRLF: %q", data[max(len(data)-20, 0):])
	}
	for i, l := range bytes.Split(bytes.TrimSuffix(data, []byte("\r\n")), []byte("\r\n")) {
		if len(l) > ical.MaxLine {
			t.Errorf("line %d has %d octets: %q", i+1, len(l), l)
		}
		if bytes.ContainsAny(l, "\r\n") {
			t.Errorf("line %d holds a bare line break: %q", i+1, l)
		}
		if !utf8.Valid(l) {
			t.Errorf("line %d splits a character: %q", i+1, l)
		}
	}
}

func summaryOf(t testing.TB, data []byte) string {
	t.Helper()
	cal, err := goical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		t.Fatalf("go-ical does not read the calendar: %v\n%s", err, data)
	}
	var out bytes.Buffer
	if err := goical.NewEncoder(&out).Encode(cal); err != nil {
		t.Fatalf("go-ical finds the calendar incomplete: %v", err)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	start, err := evs[0].DateTimeStart(nil)
	if err != nil || !start.Equal(time.Date(2026, 12, 2, 12, 30, 0, 0, time.UTC)) {
		t.Errorf("DTSTART read as %v, %v", start, err)
	}
	s, err := evs[0].Props.Text(goical.PropSummary)
	if err != nil {
		t.Fatalf("SUMMARY: %v", err)
	}
	return s
}

// The text a reader reads back: line breaks as LF, control characters as
// spaces, invalid UTF-8 as U+FFFD.
func readBack(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f:
			return ' '
		}
		return r
	}, s)
}

func TestTextFoldsAndEscapes(t *testing.T) {
	for _, text := range []string{
		"Short",
		"Dispute 12: the response is due; Israel, then Syria, answer\\ the finding",
		"Two lines\r\nand a third\nand a bare\rreturn",
		strings.Repeat("ארבעים ואחד מיליון, ", 20),
		strings.Repeat("ب", 200),
		strings.Repeat("x", 74) + "é" + strings.Repeat("y", 80),
		"a\x00nul and a \x1bescape\tand a tab",
		"  leading spaces and trailing  ",
	} {
		data := calendar(t, text)
		lines(t, data)
		if got := summaryOf(t, data); got != readBack(text) {
			t.Errorf("SUMMARY %q read back as %q", text, got)
		}
	}
}

func TestTimeZones(t *testing.T) {
	data := calendar(t, "x")
	// Israel moves to summer time on 27 March 2026 at 02:00 and back on
	// 25 October at 02:00 (local time before the change).
	for _, want := range []string{"TZID:Asia/Jerusalem", "BEGIN:DAYLIGHT\r\nDTSTART:20260327T020000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0300\r\nTZNAME:IDT",
		"BEGIN:STANDARD\r\nDTSTART:20261025T020000\r\nTZOFFSETFROM:+0300\r\nTZOFFSETTO:+0200\r\nTZNAME:IST"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("the Jerusalem zone lacks %q:\n%s", want, data)
		}
	}
	// Syria has kept +03 all year since 2022: one observance.
	damascus, err := time.LoadLocation("Asia/Damascus")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := ical.NewWriter(&b)
	w.TimeZone(damascus, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b.Bytes(), []byte("BEGIN:STANDARD")) + bytes.Count(b.Bytes(), []byte("BEGIN:DAYLIGHT")); n != 1 ||
		!bytes.Contains(b.Bytes(), []byte("TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300")) {
		t.Errorf("the Damascus zone:\n%s", b.Bytes())
	}
}

// FuzzText writes any text as a SUMMARY: the lines keep to 75 octets and
// CRLF, and a parser we did not write reads the text back.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", "a,b;c\\d", "\r\n", strings.Repeat("é", 100), "\xff\xfe", strings.Repeat(" ", 80), "x\\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		data := calendar(t, text)
		lines(t, data)
		if got := summaryOf(t, data); got != readBack(text) {
			t.Fatalf("SUMMARY %q read back as %q", text, got)
		}
	})
}
