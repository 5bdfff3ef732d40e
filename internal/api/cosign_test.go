package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
)

// registerWitness has party's admin (the demo's "<party>.duty") register a
// new witness key for the party.
func registerWitness(t *testing.T, ts *testServer, party string) *record.WitnessKey {
	t.Helper()
	k, err := record.NewWitnessKey("witness.example/" + party)
	if err != nil {
		t.Fatal(err)
	}
	admin := ts.login(t, party+".duty")
	admin.submitOK(t, "POST", "/api/v1/witnesses", admin.sign(cell.KindWitnessRegister, map[string]any{
		"verifier_key": k.VerifierKey(), "proof": k.ProvePossession(seed.DemoCell, party)}), http.StatusCreated)
	return k
}

func checkpointNote(t *testing.T, c *client) []byte {
	t.Helper()
	r := c.get(t, "/api/v1/log/checkpoint")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /log/checkpoint: %s", r)
	}
	return r.Body
}

func cellKey(t *testing.T, c *client) string {
	t.Helper()
	r := c.get(t, "/api/v1/log/key")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /log/key: %s", r)
	}
	return strings.TrimSpace(string(r.Body))
}

func cosign(t *testing.T, k *record.WitnessKey, msg []byte, vkey string) []byte {
	t.Helper()
	b, err := k.Cosign(msg, vkey)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckpointCosignedByTwoParties(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il := registerWitness(t, ts, "il")
		sy := registerWitness(t, ts, "sy")
		if err := ts.Ledger.SignCheckpoint(t.Context(), seed.DemoCell); err != nil {
			t.Fatal(err)
		}
		reader := ts.login(t, "jo.duty") // an observer: no witness of its own
		vkey := cellKey(t, reader)
		plain := checkpointNote(t, reader)
		cp, err := record.OpenCheckpoint(plain, vkey)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []struct {
			k      *record.WitnessKey
			member string
		}{{il, "il.military"}, {sy, "sy.duty"}} {
			c := ts.login(t, w.member)
			r := c.do(t, "POST", "/api/v1/log/cosignatures", cosign(t, w.k, plain, vkey))
			if r.Status != http.StatusCreated {
				t.Fatalf("POST /log/cosignatures by %s: %s", w.member, r)
			}
			var got struct {
				Size         int64 `json:"size"`
				Cosignatures []struct {
					Witness, Party string
				} `json:"cosignatures"`
			}
			decode(t, r, &got)
			if got.Size != cp.Size || len(got.Cosignatures) != 1 || got.Cosignatures[0].Witness != record.KeyID(w.k.Public()) {
				t.Errorf("answer %s", r.Body)
			}
		}

		served := checkpointNote(t, reader)
		if !bytes.HasPrefix(served, plain) {
			t.Fatalf("the cosigned checkpoint does not start with the checkpoint as the cell signed it:\n%s\n%s", served, plain)
		}
		// Existing verifiers, which know the cell's key alone, see what they saw.
		if got, err := record.OpenCheckpoint(served, vkey); err != nil || !got.Equal(cp) {
			t.Errorf("OpenCheckpoint with the cell's key: %+v, %v", got, err)
		}
		// x/mod/sumdb/note with each witness's verifier key alone.
		for _, k := range []*record.WitnessKey{il, sy} {
			v, err := record.NewWitnessVerifier(k.VerifierKey())
			if err != nil {
				t.Fatal(err)
			}
			n, err := note.Open(served, note.VerifierList(v))
			if err != nil {
				t.Fatalf("note.Open with %s alone: %v\n%s", k.Name, err, served)
			}
			if len(n.Sigs) != 1 || n.Sigs[0].Name != k.Name {
				t.Errorf("verified %v", n.Sigs)
			}
		}

		// Traffic moves the latest checkpoint on; /log/cosigned still
		// serves the cosigned one.
		ts.login(t, "il.duty").sendMessage(t, message("line-il", "ROUTINE", "after the cosignatures", "text"))
		if err := ts.Ledger.SignCheckpoint(t.Context(), seed.DemoCell); err != nil {
			t.Fatal(err)
		}
		if later := checkpointNote(t, reader); bytes.Contains(later, []byte(il.Name)) {
			t.Errorf("the later checkpoint carries a cosignature of an earlier one:\n%s", later)
		}
		var cosigned struct {
			Checkpoints []struct {
				Size int64  `json:"size"`
				Note string `json:"note"`
			} `json:"checkpoints"`
		}
		reader.getJSON(t, "/api/v1/log/cosigned", &cosigned)
		if len(cosigned.Checkpoints) != 1 || cosigned.Checkpoints[0].Size != cp.Size || cosigned.Checkpoints[0].Note != string(served) {
			t.Errorf("/log/cosigned = %+v, want the one checkpoint of size %d as served before", cosigned, cp.Size)
		}

		// A revoked witness key's cosignatures are served no more.
		admin := ts.login(t, "sy.duty")
		sid := record.KeyID(sy.Public())
		admin.submitOK(t, "POST", "/api/v1/witnesses/"+sid+"/revoke", admin.sign(cell.KindWitnessRevoke, map[string]any{"witness_id": sid}), http.StatusOK)
		reader.getJSON(t, "/api/v1/log/cosigned", &cosigned)
		if len(cosigned.Checkpoints) != 1 || strings.Contains(cosigned.Checkpoints[0].Note, sy.Name) || !strings.Contains(cosigned.Checkpoints[0].Note, il.Name) {
			t.Errorf("after revoking sy's witness key: %+v", cosigned)
		}
		var ws struct {
			Witnesses []cell.Witness `json:"witnesses"`
		}
		reader.getJSON(t, "/api/v1/witnesses", &ws)
		if len(ws.Witnesses) != 2 || ws.Witnesses[0].Party != "il" || !ws.Witnesses[1].Revoked {
			t.Errorf("/witnesses = %+v", ws)
		}
	})
}

func TestCosignatureRefused(t *testing.T) {
	ts := newTestServer(t)
	il := registerWitness(t, ts, "il")
	c := ts.login(t, "il.duty")
	vkey := cellKey(t, c)
	plain := checkpointNote(t, c)
	cp, err := record.OpenCheckpoint(plain, vkey)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := record.NewWitnessKey("witness.example/stranger")
	if err != nil {
		t.Fatal(err)
	}
	good := cosign(t, il, plain, vkey)

	// The cosignature of this checkpoint under the next one the cell signs.
	c.sendMessage(t, message("line-il", "ROUTINE", "moves the log on", "text"))
	if err := ts.Ledger.SignCheckpoint(t.Context(), seed.DemoCell); err != nil {
		t.Fatal(err)
	}
	next := checkpointNote(t, c)
	moved := append(bytes.Clone(next), good[len(plain):]...)

	// A checkpoint of the right size with another root, signed by a
	// stranger's note key: the cell's signature is missing.
	other := record.Checkpoint{Origin: cp.Origin, Size: cp.Size, Root: record.LeafHash([]byte("another history"))}
	skey, fakeV, err := note.GenerateKey(nil, cp.Origin)
	if err != nil {
		t.Fatal(err)
	}
	fake, _ := note.NewSigner(skey)
	forged, _ := record.SignCheckpoint(other, fake)

	future := *il
	future.Now = func() time.Time { return time.Now().Add(time.Hour) }

	for _, tc := range []struct {
		name   string
		body   []byte
		status int
	}{
		{"the checkpoint alone", plain, http.StatusForbidden},
		{"an unregistered witness", cosign(t, stranger, plain, vkey), http.StatusForbidden},
		{"a cosignature of another checkpoint", moved, http.StatusUnprocessableEntity},
		{"a checkpoint the cell did not sign", cosign(t, il, forged, fakeV), http.StatusForbidden},
		{"a cosignature from the future", cosign(t, &future, plain, vkey), http.StatusUnprocessableEntity},
		{"not a note", []byte("hello\n"), http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, c.do(t, "POST", "/api/v1/log/cosignatures", tc.body), tc.status)
			if tc.status != http.StatusBadRequest && p.Type != "urn:liaison:problem:bad-cosignature" {
				t.Errorf("type %s: %s", p.Type, p.Detail)
			}
			t.Log(p.Detail)
		})
	}
	if r := c.get(t, "/api/v1/log/cosigned"); !strings.Contains(string(r.Body), `"checkpoints":[]`) {
		t.Errorf("after refusals only: %s", r)
	}
	// And the good one lands.
	if r := c.do(t, "POST", "/api/v1/log/cosignatures", good); r.Status != http.StatusCreated {
		t.Errorf("good: %s", r)
	}
	var b bytes.Buffer
	json.Indent(&b, c.get(t, "/api/v1/log/cosigned").Body, "", " ") //nolint:errcheck
	if !strings.Contains(b.String(), il.Name) {
		t.Errorf("cosigned: %s", b.String())
	}
}
