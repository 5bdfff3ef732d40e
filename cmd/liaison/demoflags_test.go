package main

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/client"
)

func TestAckDeadlinesFlag(t *testing.T) {
	a := ackDeadlines{}
	if err := a.Set("FLASH=45s, immediate=2m,ROUTINE=1h"); err != nil {
		t.Fatal(err)
	}
	want := ackDeadlines{"FLASH": 45, "IMMEDIATE": 120, "ROUTINE": 3600}
	if !maps.Equal(a, want) {
		t.Fatalf("parsed %v, want %v", a, want)
	}
	// A second flag adds to (and may override) the first.
	if err := a.Set("FLASH=5s"); err != nil || a["FLASH"] != 5 || a["ROUTINE"] != 3600 {
		t.Fatalf("after a second --ack-deadlines: %v, %v", a, err)
	}
	if got := a.String(); got != "FLASH=5s,IMMEDIATE=2m0s,ROUTINE=1h0m0s" {
		t.Errorf("String() = %q", got)
	}

	for in, why := range map[string]string{
		"FLASH":           "PRECEDENCE=DURATION",
		"URGENT=5s":       "precedence is one of FLASH, IMMEDIATE, PRIORITY, ROUTINE",
		"FLASH=soon":      "invalid duration",
		"FLASH=0s":        "between 1s and 168h",
		"FLASH=500ms":     "between 1s and 168h",
		"FLASH=1.5s":      "whole number of seconds",
		"FLASH=169h":      "between 1s and 168h",
		"FLASH=5s,X=1s":   "precedence is one of",
		"PRIORITY=-10s":   "between 1s and 168h",
		"IMMEDIATE=10s=1": "unknown unit",
	} {
		err := ackDeadlines{}.Set(in)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("Set(%q) = %v, want an error saying %q", in, err, why)
		}
	}
}

// A bad deadline stops the demo before it touches its data directory.
func TestDemoRefusesBadDeadlines(t *testing.T) {
	var stderr strings.Builder
	data := t.TempDir() + "/demo"
	err := runDemo(context.Background(), []string{"--data", data, "--ack-deadlines", "FLASH=0s"}, io.Discard, &stderr)
	if err == nil {
		t.Fatal("the demo started with a FLASH deadline of 0s")
	}
	if !strings.Contains(stderr.String(), `invalid value "FLASH=0s" for flag -ack-deadlines`) {
		t.Errorf("stderr: %s", stderr.String())
	}
}

func TestLinkTestsFlag(t *testing.T) {
	var l linkTimes
	if err := l.Set(" 18:00,06:00,06:00 "); err != nil {
		t.Fatal(err)
	}
	if got := l.String(); got != "06:00,18:00" {
		t.Errorf("parsed %q, want 06:00,18:00", got)
	}
	if err := l.Set(""); err != nil || len(l) != 0 {
		t.Errorf(`Set("") = %v, %v; want no link tests`, l, err)
	}
	for _, in := range []string{"6:00", "24:00", "06:60", "noon", "06:00,18"} {
		if err := l.Set(in); err == nil || !strings.Contains(err.Error(), "HH:MM") {
			t.Errorf("Set(%q) = %v, want an error asking for HH:MM", in, err)
		}
	}
	var stderr strings.Builder
	data := t.TempDir() + "/demo"
	if err := runDemo(context.Background(), []string{"--data", data, "--link-tests", "25:00"}, io.Discard, &stderr); err == nil {
		t.Fatal("the demo started with a link test at 25:00")
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a refused flag left %s behind: %v", data, err)
	}
}

// tail --bell rings for what the web's banner would show: a FLASH or
// IMMEDIATE sent to the reader's party by another, an escalation of what
// it owes, every escalation for the mediator.
func TestTailBell(t *testing.T) {
	ev := func(kind, party string, audience []string, payload string) client.Event {
		return client.Event{Entry: client.Entry{Kind: kind, Party: party, Audience: audience, Payload: json.RawMessage(payload)}}
	}
	flash := ev("message.send", "il", []string{"il", "sy", "us"}, `{"precedence":"FLASH"}`)
	routine := ev("message.send", "il", []string{"il", "sy", "us"}, `{"precedence":"ROUTINE"}`)
	linkTest := ev("message.send", "", []string{"sy", "us"}, `{"precedence":"IMMEDIATE","link_test":true}`)
	escSy := ev("message.escalate", "", []string{"il", "sy", "us"}, `{"party":"sy","level":1}`)
	sy, il, us := urgentFor("sy", false), urgentFor("il", false), urgentFor("us", true)
	for _, c := range []struct {
		name string
		got  bool
		want bool
	}{
		{"Syria hears Israel's FLASH", sy(flash), true},
		{"Israel hears its own FLASH", il(flash), false},
		{"a ROUTINE rings", sy(routine), false},
		{"Syria hears its link test", sy(linkTest), true},
		{"Israel hears Syria's link test", il(linkTest), false},
		{"Syria hears its escalation", sy(escSy), true},
		{"Israel hears Syria's escalation", il(escSy), false},
		{"the mediator hears Syria's escalation", us(escSy), true},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}
