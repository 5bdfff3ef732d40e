package main

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-cell/liaison/internal/record"
)

// TestDemoMirrors runs `liaison demo --mirrors` and checks what a party's
// officer relies on: the cell's checkpoint comes cosigned by the
// mediator's and both sides' witnesses, each signature line checking with
// x/mod/sumdb/note and the witness's registered verifier key; Israel's
// officer signs in at Israel's mirror with the password of the cell, reads
// Israel's line there as at the cell, and not Syria's.
func TestDemoMirrors(t *testing.T) {
	bin := buildBinary(t)
	p := startDemo(t, bin, filepath.Join(t.TempDir(), "data"), "127.0.0.1:0", "--mirrors")

	mirrors := map[string]string{}
	re := regexp.MustCompile(`^\s+(\S.*?)\s+(http://127\.0\.0\.1:\d+)/$`)
	deadline := time.After(2 * time.Minute)
	for len(mirrors) < 3 {
		select {
		case l := <-p.lines:
			if strings.Contains(l, "did not start") {
				t.Fatal(l)
			}
			if m := re.FindStringSubmatch(l); m != nil {
				mirrors[m[1]] = m[2]
			}
		case <-deadline:
			t.Fatalf("the demo printed %d mirrors in two minutes: %v", len(mirrors), mirrors)
		}
	}
	for _, name := range []string{"United States", "Israel", "Syria"} {
		if mirrors[name] == "" {
			t.Fatalf("no mirror of %s among %v", name, mirrors)
		}
	}

	tok, err := outsideLogin(p.url, "il.duty", outsidePassword)
	if err != nil {
		t.Fatal(err)
	}
	var ws struct {
		Witnesses []struct {
			Party       string `json:"party"`
			VerifierKey string `json:"verifier_key"`
		} `json:"witnesses"`
	}
	if err := outsideGetJSON(p.url, tok, "/api/v1/witnesses", &ws); err != nil {
		t.Fatal(err)
	}
	var vs []note.Verifier
	for _, w := range ws.Witnesses {
		v, err := record.NewWitnessVerifier(w.VerifierKey)
		if err != nil {
			t.Fatalf("witness of %s: %v", w.Party, err)
		}
		vs = append(vs, v)
	}
	if len(vs) != 3 {
		t.Fatalf("%d witnesses registered, want the mediator's and both sides'", len(vs))
	}
	// The mirrors cosign within a round or two of each checkpoint.
	var cosigned []string
	for until := time.Now().Add(time.Minute); ; {
		msg, err := outsideGet(p.url, tok, "/api/v1/log/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		n, err := note.Open(msg, note.VerifierList(vs...))
		var unknown *note.UnverifiedNoteError
		switch {
		case err == nil:
			cosigned = cosigned[:0]
			for _, s := range n.Sigs {
				cosigned = append(cosigned, s.Name)
			}
		case !errors.As(err, &unknown):
			t.Fatalf("the cosigned checkpoint does not verify: %v\n%s", err, msg)
		}
		if len(cosigned) == 3 {
			break
		}
		if time.Now().After(until) {
			t.Fatalf("the cell's checkpoint is cosigned by %v, not by all three parties' witnesses:\n%s", cosigned, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}

	at := mirrors["Israel"]
	mtok, err := outsideLogin(at, "il.duty", outsidePassword)
	if err != nil {
		t.Fatalf("signing in at Israel's mirror with the cell's password: %v", err)
	}
	var st struct {
		Party    string `json:"party"`
		Size     int64  `json:"size"`
		LineDown bool   `json:"line_down"`
	}
	if err := outsideGetJSON(at, mtok, "/api/v1/mirror/status", &st); err != nil {
		t.Fatal(err)
	}
	if st.Party != "il" || st.Size == 0 || st.LineDown {
		t.Errorf("Israel's mirror says %+v", st)
	}
	if _, err := outsideLogin(at, "sy.duty", outsidePassword); err == nil {
		t.Error("Syria's duty officer signed in at Israel's mirror")
	}
	own, err := outsideGet(at, mtok, "/api/v1/channels/line-il")
	if err != nil {
		t.Fatalf("Israel's line at Israel's mirror: %v", err)
	}
	if !strings.Contains(string(own), `"line-il"`) {
		t.Errorf("Israel's line at Israel's mirror: %s", own)
	}
	if b, err := outsideGet(at, mtok, "/api/v1/channels/line-sy"); err == nil {
		t.Errorf("Syria's line served at Israel's mirror: %s", b)
	}
}
