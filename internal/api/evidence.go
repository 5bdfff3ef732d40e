package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/verify"
)

// readerSource is the log as one member may read it, for the evidence
// bundles the server makes on their behalf: the store's log (its
// checkpoint, proofs and key records, which anyone may ask for), but only
// the entries GET /entries serves that member.
type readerSource struct {
	*verify.StoreSource
	s *Server
	p *Principal
}

var _ evidence.Source = readerSource{}

func (s *Server) readerSource(ctx context.Context, p *Principal) (readerSource, error) {
	st, err := verify.NewStoreSource(ctx, s.st, p.Cell, "api")
	return readerSource{StoreSource: st, s: s, p: p}, err
}

// Entries replaces the store's: those p may read.
func (rs readerSource) Entries(ctx context.Context, after int64, limit int) ([]verify.RawEntry, int64, error) {
	var out []verify.RawEntry
	var next int64
	err := rs.s.readableEntries(ctx, rs.p, after, limit, &next, func(e *record.Entry, data []byte) {
		out = append(out, verify.RawEntry{Index: e.Index, LeafData: data})
	})
	return out, next, err
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
	src, err := s.readerSource(r.Context(), p)
	if err != nil {
		return err
	}
	cited, err := evidence.AboutMessage(r.Context(), src, m.ID)
	if err != nil {
		return evidenceProblem(err)
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
	// An entry past the log's end will never be signed: it does not exist.
	n, err := s.st.Size(r.Context(), p.Cell)
	if err != nil {
		return err
	}
	if last := cited[len(cited)-1]; last >= n {
		return notFound(fmt.Sprintf("no entry %d: the log has %d entries", last, n))
	}
	name := "entries-" + strconv.FormatInt(cited[0], 10)
	if len(cited) > 1 {
		name += "-" + strconv.FormatInt(cited[len(cited)-1], 10)
	}
	src, err := s.readerSource(r.Context(), p)
	if err != nil {
		return err
	}
	return s.writeBundle(w, r, src, cited, name)
}

func (s *Server) writeBundle(w http.ResponseWriter, r *http.Request, src readerSource, cited []int64, name string) error {
	b, err := evidence.Build(r.Context(), src, cited)
	if err != nil {
		return evidenceProblem(err)
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

// evidenceProblem maps the refusals of the evidence package: an entry the
// reader may not read is one that does not exist for them; one not yet
// covered by a signed checkpoint will be in a moment.
func evidenceProblem(err error) error {
	switch {
	case errors.Is(err, evidence.ErrNotSigned):
		p := problem(http.StatusServiceUnavailable, "not-yet-signed", "Not yet in a signed checkpoint",
			"an entry is newer than the cell's latest signed checkpoint; try again in a few seconds")
		p.RetryAfter = 2
		return p
	case errors.Is(err, evidence.ErrNotReadable):
		return notFound(strings.TrimPrefix(err.Error(), "evidence: "))
	}
	return err
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
