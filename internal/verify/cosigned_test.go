package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/verify"
)

// witness registers a witness key for party (its admin, "<party>.duty",
// signs) and returns it with the admin's client.
func witness(t *testing.T, srv *testServer, d *testlog.Demo, party string) (*record.WitnessKey, *client.Client) {
	t.Helper()
	c := srv.login(t, party+".duty")
	k, err := record.NewWitnessKey("witness.test/" + party)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RegisterWitness(context.Background(), testlog.Cell, party, d.Key(t, party+".duty"), k, ""); err != nil {
		t.Fatalf("register %s's witness: %v", party, err)
	}
	return k, c
}

// cosignNow has the witness verify the log as its party reads it and
// cosign the checkpoint it verified.
func cosignNow(t *testing.T, srv *testServer, c *client.Client, k *record.WitnessKey, state string) {
	t.Helper()
	ctx := context.Background()
	if err := srv.led.SignCheckpoint(ctx, testlog.Cell); err != nil {
		t.Fatal(err)
	}
	r, err := verifyHTTP(t, c, state)
	if err != nil {
		t.Fatal(err)
	}
	cos, err := k.Cosign(r.Note, r.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddCosignatures(ctx, cos); err != nil {
		t.Fatalf("return the cosignature: %v", err)
	}
}

func TestVerifyShowsWitnesses(t *testing.T) {
	d := testlog.NewFreshDemo(t)
	srv := newTestServer(t, d, nil)
	ilK, ilC := witness(t, srv, d, "il")
	syK, syC := witness(t, srv, d, "sy")
	cosignNow(t, srv, ilC, ilK, t.TempDir())
	cosignNow(t, srv, syC, syK, t.TempDir())

	r, err := verifyHTTP(t, srv.login(t, "jo.duty"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Witnessed) != 2 {
		t.Fatalf("witnessed %+v, want il's and sy's", r.Witnessed)
	}
	for _, w := range r.Witnessed {
		if w.Size != r.Checkpoint.Size || (w.Party != "il" && w.Party != "sy") || w.PartyName == "" || w.PartyName == w.Party {
			t.Errorf("witnessed %+v at checkpoint %d", w, r.Checkpoint.Size)
		}
	}
	// The checkpoint served carries both, and each opens with its key alone.
	msg, err := srv.login(t, "jo.duty").Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*record.WitnessKey{ilK, syK} {
		v, _ := record.NewWitnessVerifier(k.VerifierKey())
		if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
			t.Errorf("with %s alone: %v", k.Name, err)
		}
	}
}

// A cell that serves party il a forked history, and returns il's
// cosignature of it to the others, is caught by whoever verifies.
func TestVerifyCatchesACosignedFork(t *testing.T) {
	d := testlog.NewFreshDemo(t)
	srv := newTestServer(t, d, nil)
	ilK, ilC := witness(t, srv, d, "il")
	cosignNow(t, srv, ilC, ilK, t.TempDir())

	// The cell's key signs another root at the cosigned size, and il's
	// witness (shown that history) cosigns it.
	r, err := verifyHTTP(t, ilC, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	forkedCP := record.Checkpoint{Origin: r.Checkpoint.Origin, Size: r.Checkpoint.Size, Root: record.LeafHash([]byte("another history"))}
	forked, err := record.SignCheckpoint(forkedCP, d.NoteSigner(t))
	if err != nil {
		t.Fatal(err)
	}
	forkedCos, err := ilK.Cosign(forked, r.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	lying := newTestServer(t, d, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if strings.HasSuffix(req.URL.Path, "/log/cosigned") {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"checkpoints":[{"size":1,"note":` + jsonString(string(forkedCos)) + `}]}`))
				return
			}
			h.ServeHTTP(w, req)
		})
	})
	_, err = verifyHTTP(t, lying.login(t, "sy.duty"), t.TempDir())
	if !errors.Is(err, verify.ErrSplitView) {
		t.Fatalf("verify against a cosigned fork: %v, want ErrSplitView", err)
	}
	t.Log(err)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
