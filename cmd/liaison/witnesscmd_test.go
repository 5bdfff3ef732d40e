package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/testlog"
)

// Two parties' officers run their witnesses from the command line; a third
// party verifies and reads who vouched for the log.
func TestWitnessCLI(t *testing.T) {
	d := testlog.NewFreshDemo(t)
	url := startServer(t, d)
	clis := map[string]*cli{}
	tok, err := outsideLogin(url, "jo.duty", testlog.Password)
	if err != nil {
		t.Fatal(err)
	}
	registered := regexp.MustCompile(`at entry (\d+)`)
	for _, party := range []string{"il", "sy"} {
		c := signIn(t, d, url, party+".duty")
		clis[party] = c
		out := c.asOK("", "witness", "key", "new")
		mustContain(t, "witness key new", out, "liaison-witness/"+testlog.Cell+"/"+party+"+")
		c.asFail("", "witness", "key", "new") // never overwritten without --force
		out = c.asOK("", "witness", "register", "--label", "mirror")
		mustContain(t, "witness register", out, "Registered witness key")
		// A cosignature counts for a checkpoint that holds its key's
		// registration; the cell signs one a moment after each commit.
		m := registered.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("witness register names no entry: %s", out)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		waitCheckpoint(t, url, tok, n+1)
		out = c.asOK("", "witness", "cosign")
		mustContain(t, "witness cosign", out, "Log of cell", "Cosigned the checkpoint of size")
		// A second round proves the log only grew since the first.
		mustContain(t, "witness cosign again", c.asOK("", "witness", "cosign"), "extends the checkpoint of")
	}
	// A mirror of sy's record, cosigning with sy's registered witness key.
	syc := clis["sy"]
	dir := t.TempDir()
	out := syc.asOK("", "mirror", "--once", "--party", "sy", "--data", dir)
	mustContain(t, "mirror --once", out, "cosigning as liaison-witness/", "size ", "cosigned")
	mustContain(t, "mirror of another party", syc.asFail("", "mirror", "--once", "--party", "il", "--data", dir), "not il")
	jo := signIn(t, d, url, "jo.duty")
	out = jo.asOK("", "verify")
	if !strings.Contains(out, "Verified by Israel and Syria at size") {
		t.Errorf("verify does not say who vouched:\n%s", out)
	}
	mustContain(t, "witness list", jo.asOK("", "witness", "list"), "il", "sy", "active")
	// An officer who is no admin cannot register their party's key.
	mil := signIn(t, d, url, "il.military")
	mil.asOK("", "witness", "key", "new")
	mustContain(t, "register by a non-admin", mil.asFail("", "witness", "register"), "only an admin of party il")
}
