package mirror

import "context"

// Held is a checkpoint the mirror verified.
type Held struct {
	Size int64
	Note []byte // as the cell signed it
	// Verified and Cosigned are Unix seconds; Cosigned is 0 when the
	// mirror did not return a cosignature of it (it has none, or a
	// later checkpoint was verified first: cosigning that one vouches
	// for this one too).
	Verified, Cosigned int64
}

// Checkpoints returns every checkpoint the mirror verified, smallest
// first.
func (m *Mirror) Checkpoints(ctx context.Context) ([]Held, error) {
	rows, err := m.db.sql.QueryContext(ctx, `SELECT size, note, verified, cosigned FROM checkpoints ORDER BY size`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Held
	for rows.Next() {
		var h Held
		if err := rows.Scan(&h.Size, &h.Note, &h.Verified, &h.Cosigned); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
