package api

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Witnesses: each party's mirror verifies the cell's checkpoints and
// returns a C2SP cosignature of each; the cell keeps them and serves every
// checkpoint with every cosignature of it as extra signature lines, so
// a reader who trusts one party's witness key checks with that key alone
// that this party saw the same log.

// MaxCosignedNote bounds a POST /log/cosignatures body: a checkpoint and
// a few dozen signature lines.
const MaxCosignedNote = 16 << 10

func (s *Server) witnessRoutes() {
	s.authed("GET /api/v1/witnesses", s.listWitnesses)
	s.authed("POST /api/v1/witnesses", s.submitKind(cell.KindWitnessRegister, http.StatusCreated))
	s.authed("POST /api/v1/witnesses/{witness}/revoke", s.submitKind(cell.KindWitnessRevoke, http.StatusOK))
	s.authed("POST /api/v1/log/cosignatures", s.addCosignatures)
	s.authed("GET /api/v1/log/cosigned", s.logCosigned)
	s.authed("GET /api/v1/log/alarms", s.listAlarms)
	s.authed("POST /api/v1/log/alarms", s.submitKind(cell.KindWitnessAlarm, http.StatusCreated))
}

func (s *Server) listAlarms(w http.ResponseWriter, r *http.Request, p *Principal) error {
	as, err := cell.Alarms(r.Context(), s.view(p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"alarms": as})
	return nil
}

func (s *Server) listWitnesses(w http.ResponseWriter, r *http.Request, p *Principal) error {
	ws, err := cell.Witnesses(r.Context(), s.view(p))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"witnesses": ws})
	return nil
}

// activeWitnesses returns the cell's unrevoked witness keys by id. A
// revoked key's cosignatures are served no more: revocation says the key
// may be in other hands, and what it signed proves nothing from then on.
func (s *Server) activeWitnesses(ctx context.Context, p *Principal) (map[string]cell.Witness, error) {
	ws, err := cell.Witnesses(ctx, s.view(p))
	if err != nil {
		return nil, err
	}
	out := map[string]cell.Witness{}
	for _, w := range ws {
		if !w.Revoked {
			out[w.ID] = w
		}
	}
	return out, nil
}

func badCosignature(status int, detail string) *Problem {
	return problem(status, "bad-cosignature", "Cosignature refused", detail)
}

// addCosignatures takes a checkpoint the cell signed with one or more
// witnesses' cosignature lines after the cell's, checks each against its
// registered key and the checkpoint against the cell's own tree, and keeps
// them.
func (s *Server) addCosignatures(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := cell.May(p.Actor(), cell.ReadLog, cell.Target{}); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCosignedNote))
	if err != nil {
		return err
	}
	ctx := r.Context()
	vkey, err := s.led.VerifierKey(p.Cell)
	if err != nil {
		return err
	}
	cellV, err := note.NewVerifier(vkey)
	if err != nil {
		return err
	}
	active, err := s.activeWitnesses(ctx, p)
	if err != nil {
		return err
	}
	verifiers := []note.Verifier{cellV}
	byKey := map[string]cell.Witness{} // name+hash
	for _, wk := range active {
		v, err := record.NewWitnessVerifier(wk.VerifierKey)
		if err != nil {
			return fmt.Errorf("witness key %s in the log: %w", wk.ID, err)
		}
		verifiers = append(verifiers, v)
		byKey[v.Name()+"+"+strconv.FormatUint(uint64(v.KeyHash()), 16)] = wk
	}
	n, err := note.Open(body, note.VerifierList(verifiers...))
	var invalid *note.InvalidSignatureError
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &invalid):
		return badCosignature(http.StatusUnprocessableEntity, fmt.Sprintf(
			"the signature by %s+%08x does not verify over this checkpoint", invalid.Name, invalid.Hash))
	case errors.As(err, &unverified):
		return badCosignature(http.StatusForbidden, "no signature line is by this cell's checkpoint key or a registered, unrevoked witness key: "+lineKeys(unverified.Note.UnverifiedSigs))
	case err != nil:
		return badRequest("the body is not a signed note (C2SP signed-note): " + err.Error())
	}
	var cellSig *note.Signature
	var cosigs []note.Signature
	for i, sg := range n.Sigs {
		if sg.Name == cellV.Name() && sg.Hash == cellV.KeyHash() {
			cellSig = &n.Sigs[i]
		} else {
			cosigs = append(cosigs, sg)
		}
	}
	if cellSig == nil {
		return badCosignature(http.StatusForbidden, "the checkpoint does not carry this cell's signature: send it as the cell served it, with the cosignature lines after")
	}
	if len(cosigs) == 0 {
		return badCosignature(http.StatusForbidden, "no cosignature by a registered, unrevoked witness key (GET /api/v1/witnesses); not registered: "+lineKeys(n.UnverifiedSigs))
	}
	cp, err := record.ParseCheckpoint(n.Text)
	if err != nil {
		return badCosignature(http.StatusUnprocessableEntity, err.Error())
	}
	size, err := s.size(r, p)
	if err != nil {
		return err
	}
	if cp.Size < 1 || cp.Size > size {
		return badCosignature(http.StatusUnprocessableEntity, fmt.Sprintf("the checkpoint's size %d is not a size of this log (1 to %d)", cp.Size, size))
	}
	root, err := record.TreeHash(cp.Size, s.led.HashReader(ctx, p.Cell))
	if err != nil {
		return err
	}
	if root != cp.Root {
		// The cell's key signed a root its tree does not have: another
		// node, or a thief of the key, shows someone another history.
		s.log.Error("a checkpoint signed by the cell's key has a root the log does not have", "cell", p.Cell, "size", cp.Size, "member", p.Member.ID)
		return badCosignature(http.StatusConflict, fmt.Sprintf(
			"this log's tree of size %d has another root than the checkpoint: the cell's key signed a history this log does not hold", cp.Size))
	}
	cellOnly := []byte(n.Text + "\n" + sigLine(*cellSig))
	now := time.Now()
	type answer struct {
		Witness string    `json:"witness"`
		Party   string    `json:"party"`
		Time    time.Time `json:"time"`
	}
	var out []answer
	for _, sg := range cosigs {
		wk := byKey[sg.Name+"+"+strconv.FormatUint(uint64(sg.Hash), 16)]
		at, err := record.CosignatureTime(sg.Base64)
		if err != nil {
			return badCosignature(http.StatusUnprocessableEntity, err.Error())
		}
		if at.After(now.Add(ledger.DefaultMaxSkew)) {
			return badCosignature(http.StatusUnprocessableEntity, fmt.Sprintf(
				"the cosignature by %s is dated %s, after the server's clock (%s) by more than %s",
				sg.Name, at.Format(time.RFC3339), now.UTC().Format(time.RFC3339), ledger.DefaultMaxSkew))
		}
		if err := s.st.PutCosignature(ctx, p.Cell, store.Cosignature{Size: cp.Size, Witness: wk.ID,
			Time: at.Unix(), Line: sigLine(sg), Note: cellOnly}); err != nil {
			return err
		}
		out = append(out, answer{Witness: wk.ID, Party: wk.Party, Time: at})
	}
	writeJSON(w, http.StatusCreated, map[string]any{"size": cp.Size, "cosignatures": out})
	return nil
}

func sigLine(sg note.Signature) string { return "— " + sg.Name + " " + sg.Base64 + "\n" }

func lineKeys(sigs []note.Signature) string {
	if len(sigs) == 0 {
		return "none"
	}
	var ks []string
	for _, sg := range sigs {
		ks = append(ks, fmt.Sprintf("%s+%08x", sg.Name, sg.Hash))
	}
	return strings.Join(ks, ", ")
}

// withCosignatures appends to a checkpoint note the lines of the active
// witnesses' cosignatures of it.
func withCosignatures(msg []byte, cs []store.Cosignature, active map[string]cell.Witness) []byte {
	out := bytes.Clone(msg)
	for _, c := range cs {
		if _, ok := active[c.Witness]; ok {
			out = append(out, c.Line...)
		}
	}
	return out
}

// logCosigned answers the checkpoints the witnesses last cosigned, each
// with every cosignature of it, largest first: under steady traffic the
// latest checkpoint is seldom cosigned yet, and a verifier that has the
// whole log checks the older ones against its own leaves.
func (s *Server) logCosigned(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := cell.May(p.Actor(), cell.ReadLog, cell.Target{}); err != nil {
		return err
	}
	ctx := r.Context()
	active, err := s.activeWitnesses(ctx, p)
	if err != nil {
		return err
	}
	latest, err := s.st.LatestCosignatures(ctx, p.Cell)
	if err != nil {
		return err
	}
	var sizes []int64
	for _, c := range latest {
		if _, ok := active[c.Witness]; ok && !slices.Contains(sizes, c.Size) {
			sizes = append(sizes, c.Size)
		}
	}
	slices.SortFunc(sizes, func(a, b int64) int { return cmp.Compare(b, a) })
	type cosigned struct {
		Size int64  `json:"size"`
		Note string `json:"note"`
	}
	out := []cosigned{}
	for _, n := range sizes {
		cs, err := s.st.Cosignatures(ctx, p.Cell, n)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			continue
		}
		out = append(out, cosigned{Size: n, Note: string(withCosignatures(cs[0].Note, cs, active))})
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkpoints": out})
	return nil
}
