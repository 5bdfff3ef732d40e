package main

import (
	"context"
	"io"
	"maps"
	"strings"
	"testing"
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
