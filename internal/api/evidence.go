package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/verify"
)

// readerSource is the log as one member may read it, for the evidence
// bundles the server makes on their behalf: the entries GET /entries
// serves them, and the proofs and checkpoint anyone may ask for.
type readerSource struct {
	s *Server
	p *Principal
}

var _ evidence.Source = readerSource{}

func (rs readerSource) Name() string { return "api#" + rs.p.Cell }
func (rs readerSource) Cell() string { return rs.p.Cell }

func (rs readerSource) VerifierKey(ctx context.Context) (string, error) {
	return rs.s.led.VerifierKey(rs.p.Cell)
}

func (rs readerSource) Checkpoint(ctx context.Context) ([]byte, error) {
	c, err := rs.s.st.Checkpoint(ctx, rs.p.Cell)
	return c.Note, err
}

func (rs readerSource) Leaves(ctx context.Context, start, end int64) ([]record.Hash, error) {
	idx := make([]int64, 0, end-start)
	for i := start; i < end; i++ {
		idx = append(idx, record.StoredHashIndex(0, i))
	}
	return rs.s.st.ReadHashes(ctx, rs.p.Cell, idx)
}

func (rs readerSource) Entries(ctx context.Context, after int64, limit int) ([]verify.RawEntry, int64, error) {
	var out []verify.RawEntry
	var next int64
	err := rs.s.readableEntries(ctx, rs.p, after, limit, &next, func(e *record.Entry, data []byte) {
		out = append(out, verify.RawEntry{Index: e.Index, LeafData: data})
	})
	return out, next, err
}

// KeyEntries implements evidence.KeyLookup from the cell's key records.
func (rs readerSource) KeyEntries(ctx context.Context, id string) (int64, []int64, error) {
	k, err := cell.GetKey(ctx, rs.s.st.View(rs.p.Cell), id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil, nil // the server key: entry 0 declares it
	}
	if err != nil {
		return 0, nil, err
	}
	if k.Revoked {
		return k.Registered, []int64{k.RevokedAt}, nil
	}
	return k.Registered, nil, nil
}

func (rs readerSource) InclusionProof(ctx context.Context, index, size int64) ([]record.Hash, error) {
	return record.InclusionProof(index, size, rs.s.led.HashReader(ctx, rs.p.Cell))
}

func (rs readerSource) ConsistencyProof(ctx context.Context, from, to int64) ([]record.Hash, error) {
	return record.ConsistencyProof(from, to, rs.s.led.HashReader(ctx, rs.p.Cell))
}

// getEvidence answers GET /messages/{message}/evidence: the evidence
// bundle of a message and all about it that the caller may read, for
// 'liaison verify --bundle' anywhere.
func (s *Server) getEvidence(w http.ResponseWriter, r *http.Request, p *Principal) error {
	m, err := s.visibleMessage(r, p, r.PathValue("message"))
	if err != nil {
		return err // a message p may not read is one that does not exist
	}
	release, err := s.evidenceSlot()
	if err != nil {
		return err
	}
	defer release()
	src := readerSource{s: s, p: p}
	cited, err := evidence.AboutMessage(r.Context(), src, m.ID)
	if err != nil {
		return err
	}
	return s.writeBundle(w, r, src, cited, "message-"+strconv.FormatInt(m.ID, 10))
}

// getEvidenceOf answers GET /evidence?entries=12,15,20-22: the bundle of
// entries the caller may read (any other is refused as nonexistent).
func (s *Server) getEvidenceOf(w http.ResponseWriter, r *http.Request, p *Principal) error {
	cited, err := evidence.ParseIndexes(r.URL.Query().Get("entries"))
	if err != nil {
		return badRequest("entries: " + err.Error())
	}
	release, err := s.evidenceSlot()
	if err != nil {
		return err
	}
	defer release()
	name := "entries-" + strconv.FormatInt(cited[0], 10)
	if len(cited) > 1 {
		name += "-" + strconv.FormatInt(cited[len(cited)-1], 10)
	}
	return s.writeBundle(w, r, readerSource{s: s, p: p}, cited, name)
}

func (s *Server) writeBundle(w http.ResponseWriter, r *http.Request, src readerSource, cited []int64, name string) error {
	b, err := evidence.Build(r.Context(), src, cited)
	switch {
	case errors.Is(err, evidence.ErrNotSigned):
		return problem(http.StatusServiceUnavailable, "not-yet-signed", "Not yet in a signed checkpoint",
			"an entry is newer than the cell's latest signed checkpoint; try again in a few seconds")
	case errors.Is(err, evidence.ErrNotReadable):
		return notFound(strings.TrimPrefix(err.Error(), "evidence: "))
	case err != nil:
		return err
	}
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="liaison-`+src.p.Cell+`-`+name+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(data, '\n')) //nolint:errcheck
	return nil
}

// evidenceSlot takes one of the few bundles built at once, or answers
// busy.
func (s *Server) evidenceSlot() (release func(), err error) {
	select {
	case s.evidence <- struct{}{}:
		return func() { <-s.evidence }, nil
	default:
		busy := problem(http.StatusServiceUnavailable, "busy", "Busy", "other evidence bundles are being built; try again in a few seconds")
		busy.RetryAfter = 5
		return nil, busy
	}
}
