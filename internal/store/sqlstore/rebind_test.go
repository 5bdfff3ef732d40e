package sqlstore

import "testing"

func TestRebindQuestion(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE x = $1`, `SELECT a FROM t WHERE x = ?`},
		{`VALUES ($1, $2), ($3, $4)`, `VALUES (?, ?), (?, ?)`},
		{`VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`, `VALUES (?,?,?,?,?,?,?,?,?,?,?)`},
		{`VALUES ($1, $2, $3, $4, $5, $5, $6)`, `VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)`},
		{`UPDATE cells SET size = $2 WHERE id = $1`, `UPDATE cells SET size = ?2 WHERE id = ?1`},
		{`SELECT $1, $3`, `SELECT ?1, ?3`},
	} {
		if got := RebindQuestion(tc.in); got != tc.want {
			t.Errorf("RebindQuestion(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
