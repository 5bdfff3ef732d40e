package verify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-cell/liaison/internal/record"
)

// CosignedSource is implemented by sources that serve the checkpoints the
// parties' witnesses last cosigned (GET /log/cosigned).
type CosignedSource interface {
	Cosigned(ctx context.Context) ([][]byte, error)
}

// Witnessed is one witness's word that it saw the log this run verified:
// its cosignature of the checkpoint of Size, whose root this run found in
// the log's own leaves.
type Witnessed struct {
	Witness   string // the witness key's id
	Name      string // its key name
	Party     string
	PartyName string
	Size      int64
	Time      time.Time // the time the cosignature states
}

// ErrSplitView reports a checkpoint signed by the cell's key, and cosigned
// by a party's witness, that is not a state of the log this run verified:
// the cell showed that party another history.
var ErrSplitView = errors.New("split view")

// checkCosigned checks the cosigned checkpoints a source serves: the
// cell's signature, each registered witness's cosignature, and the root
// against the leaves verified (those of sizes up to n; larger ones came
// after the leaves were read, and the next run checks them).
func checkCosigned(notes [][]byte, vkey string, ring *keyring, t *memTree, n int64) ([]Witnessed, error) {
	cellV, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	vs := []note.Verifier{cellV}
	byKey := map[string]*witnessInfo{}
	for _, w := range ring.witnesses {
		if w.revoked < 0 {
			vs = append(vs, w.v)
			byKey[fmt.Sprintf("%s+%08x", w.v.Name(), w.v.KeyHash())] = w
		}
	}
	best := map[string]Witnessed{}
	for _, msg := range notes {
		nt, err := note.Open(msg, note.VerifierList(vs...))
		if err != nil {
			return nil, logErr("the cell serves a cosigned checkpoint that does not verify: %v", err)
		}
		cp, err := record.ParseCheckpoint(nt.Text)
		if err != nil {
			return nil, &Error{Index: -1, Msg: "the cell serves a cosigned checkpoint that does not parse", Err: err}
		}
		signed := false
		for _, sg := range nt.Sigs {
			if sg.Name == cellV.Name() && sg.Hash == cellV.KeyHash() {
				signed = true
			}
		}
		if !signed {
			return nil, logErr("the cell serves a cosigned checkpoint of size %d without its own signature", cp.Size)
		}
		if cp.Origin != cellV.Name() {
			return nil, logErr("a cosigned checkpoint names origin %q, not %q", cp.Origin, cellV.Name())
		}
		if cp.Size > n || cp.Size < 1 {
			continue
		}
		root, err := t.root(cp.Size)
		if err != nil {
			return nil, err
		}
		for _, sg := range nt.Sigs {
			w, ok := byKey[fmt.Sprintf("%s+%08x", sg.Name, sg.Hash)]
			if !ok {
				continue
			}
			if root != cp.Root {
				return nil, &Error{Index: 0, End: cp.Size, Err: ErrSplitView, Msg: fmt.Sprintf(
					"the cell signed, and %s's witness cosigned, a checkpoint of size %d whose root is not that of these leaves: the cell showed that party another history",
					ring.partyName(w.party), cp.Size)}
			}
			at, _ := record.CosignatureTime(sg.Base64)
			if old, ok := best[w.id]; !ok || cp.Size > old.Size {
				best[w.id] = Witnessed{Witness: w.id, Name: w.v.Name(), Party: w.party, PartyName: ring.partyName(w.party), Size: cp.Size, Time: at}
			}
		}
	}
	out := make([]Witnessed, 0, len(best))
	for _, w := range best {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b Witnessed) int {
		return cmp.Or(cmp.Compare(b.Size, a.Size), cmp.Compare(a.PartyName, b.PartyName), cmp.Compare(a.Witness, b.Witness))
	})
	return out, nil
}

func (r *keyring) partyName(id string) string {
	if n := r.parties[id]; n != "" {
		return n
	}
	return id
}
