package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// MaxLeaves bounds one /log/leaves answer.
const MaxLeaves = 1000

func writeText(w http.ResponseWriter, s []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(s) //nolint:errcheck
}

func (s *Server) logKey(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := cell.May(p.Actor(), cell.ReadLog, cell.Target{}); err != nil {
		return err
	}
	k, err := s.led.VerifierKey(p.Cell)
	if err != nil {
		return err
	}
	writeText(w, []byte(k+"\n"))
	return nil
}

func (s *Server) logCheckpoint(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := cell.May(p.Actor(), cell.ReadLog, cell.Target{}); err != nil {
		return err
	}
	c, err := s.st.Checkpoint(r.Context(), p.Cell)
	if err != nil {
		return err
	}
	// Cosignature lines follow the cell's: a verifier that knows only the
	// cell's key ignores them (C2SP signed-note), one that knows a
	// witness's key checks that witness's.
	cs, err := s.st.Cosignatures(r.Context(), p.Cell, c.Size)
	if err != nil {
		return err
	}
	if len(cs) > 0 {
		active, err := s.activeWitnesses(r.Context(), p)
		if err != nil {
			return err
		}
		c.Note = withCosignatures(c.Note, cs, active)
	}
	writeText(w, c.Note)
	return nil
}

// size bounds requests to the log as it is committed now.
func (s *Server) size(r *http.Request, p *Principal) (int64, error) {
	return s.st.Size(r.Context(), p.Cell)
}

func (s *Server) logLeaves(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := cell.May(p.Actor(), cell.ReadLog, cell.Target{}); err != nil {
		return err
	}
	start, err := requiredInt(r, "start")
	if err != nil {
		return err
	}
	end, err := requiredInt(r, "end")
	if err != nil {
		return err
	}
	n, err := s.size(r, p)
	if err != nil {
		return err
	}
	switch {
	case start < 0 || end < start:
		return badRequest("need 0 <= start <= end")
	case end > n:
		return badRequest("end " + strconv.FormatInt(end, 10) + " is beyond the log's size " + strconv.FormatInt(n, 10))
	case end-start > MaxLeaves:
		return badRequest("at most " + strconv.Itoa(MaxLeaves) + " leaves per request")
	}
	idx := make([]int64, 0, end-start)
	for i := start; i < end; i++ {
		idx = append(idx, record.StoredHashIndex(0, i))
	}
	hs, err := s.st.ReadHashes(r.Context(), p.Cell, idx)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"leaves": record.EncodeHashes(hs)})
	return nil
}

func (s *Server) logEntry(w http.ResponseWriter, r *http.Request, p *Principal) error {
	i, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || i < 0 {
		return badRequest("the entry index must be a non-negative integer")
	}
	e, err := s.Entry(r, p, i)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func requiredInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, badRequest("query parameter " + name + " is required")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest(name + " must be an integer")
	}
	return n, nil
}

func (s *Server) proofInclusion(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := cell.May(p.Actor(), cell.ReadLog, cell.Target{}); err != nil {
		return err
	}
	i, err := requiredInt(r, "index")
	if err != nil {
		return err
	}
	size, err := requiredInt(r, "size")
	if err != nil {
		return err
	}
	n, err := s.size(r, p)
	if err != nil {
		return err
	}
	if size > n || i < 0 || i >= size {
		return badRequest("need 0 <= index < size <= " + strconv.FormatInt(n, 10))
	}
	proof, err := record.InclusionProof(i, size, s.led.HashReader(r.Context(), p.Cell))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hashes": record.EncodeHashes(proof)})
	return nil
}

func (s *Server) proofConsistency(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := cell.May(p.Actor(), cell.ReadLog, cell.Target{}); err != nil {
		return err
	}
	from, err := requiredInt(r, "from")
	if err != nil {
		return err
	}
	to, err := requiredInt(r, "to")
	if err != nil {
		return err
	}
	n, err := s.size(r, p)
	if err != nil {
		return err
	}
	if from < 1 || from > to || to > n {
		return badRequest("need 1 <= from <= to <= " + strconv.FormatInt(n, 10))
	}
	proof, err := record.ConsistencyProof(from, to, s.led.HashReader(r.Context(), p.Cell))
	if errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hashes": record.EncodeHashes(proof)})
	return nil
}
