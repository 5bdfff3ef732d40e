package api

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
)

// LogProof is what the pages say of the log's proof: which parties'
// witnesses vouched for which checkpoint, and the alarms raised.
type LogProof struct {
	// Size is that of the latest signed checkpoint.
	Size int64
	// Witnessed holds, per party with an unrevoked witness key, the
	// largest checkpoint its witness cosigned, largest first.
	Witnessed []PartyWitnessed
	// At is the size every party in Witnessed vouches for: the smallest
	// of theirs (a witness cosigns only what extends what it cosigned).
	At int64
	// Behind are the parties whose witness has not cosigned the latest
	// checkpoint, and NoWitness those without an unrevoked witness key,
	// each in the cell's order.
	Behind    []string
	NoWitness []string
	Alarms    []cell.Alarm
}

// PartyWitnessed is one party's latest cosignature.
type PartyWitnessed struct {
	Party string
	Size  int64
	Time  time.Time
}

// LogProof reads the proof of the log as p may: the checkpoint and the
// cosignatures are every member's to read (cell.ReadLog), the alarms
// through p's view.
func (s *Server) LogProof(r *http.Request, p *Principal) (LogProof, error) {
	ctx := r.Context()
	var out LogProof
	if err := cell.May(p.Actor(), cell.ReadLog, cell.Target{}); err != nil {
		return out, err
	}
	c, err := s.st.Checkpoint(ctx, p.Cell)
	if err != nil {
		return out, err
	}
	out.Size = c.Size
	active, err := s.activeWitnesses(ctx, p)
	if err != nil {
		return out, err
	}
	latest, err := s.st.LatestCosignatures(ctx, p.Cell)
	if err != nil {
		return out, err
	}
	best := map[string]PartyWitnessed{}
	for _, cs := range latest {
		w, ok := active[cs.Witness]
		if !ok {
			continue
		}
		if b, ok := best[w.Party]; !ok || cs.Size > b.Size {
			best[w.Party] = PartyWitnessed{Party: w.Party, Size: cs.Size, Time: time.Unix(cs.Time, 0).UTC()}
		}
	}
	for _, b := range best {
		out.Witnessed = append(out.Witnessed, b)
	}
	slices.SortFunc(out.Witnessed, func(a, b PartyWitnessed) int {
		return cmp.Or(cmp.Compare(b.Size, a.Size), cmp.Compare(a.Party, b.Party))
	})
	if n := len(out.Witnessed); n > 0 {
		out.At = out.Witnessed[n-1].Size
	}
	parties, err := cell.Parties(ctx, s.view(p))
	if err != nil {
		return out, err
	}
	has := map[string]bool{}
	for _, w := range active {
		has[w.Party] = true
	}
	for _, pt := range parties {
		switch b, ok := best[pt.ID]; {
		case !has[pt.ID]:
			out.NoWitness = append(out.NoWitness, pt.ID)
		case !ok || b.Size < out.Size:
			out.Behind = append(out.Behind, pt.ID)
		}
	}
	if out.Alarms, err = cell.Alarms(ctx, s.view(p)); err != nil {
		return out, err
	}
	return out, nil
}
