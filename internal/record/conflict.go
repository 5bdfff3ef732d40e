package record

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// A conflict is what a dishonest log cannot explain away: two checkpoints
// signed by its own key that no single history has. It is checked from
// the two signed notes alone, so that anyone holding them (a mirror, the
// cell deciding an alarm, a verifier reading the alarm back) reaches the
// same answer, and nobody can raise a false alarm against a log:
//
//   - two checkpoints of one size with two roots: the notes say it all;
//   - two sizes: the larger's history had, at the smaller size, another
//     root than the smaller checkpoint. The reporter gives that root and a
//     consistency proof from it to the larger checkpoint's root; the proof
//     is a commitment only the larger history can make, so it cannot be
//     made up. A smaller checkpoint that the larger extends is no conflict
//     (an old checkpoint served again is stale, not forked).

// ErrNoConflict reports two checkpoints that one history may hold, or a
// proof that does not show otherwise.
var ErrNoConflict = errors.New("no conflict")

// Conflict is a proven pair of conflicting checkpoints, Small no larger
// than Large.
type Conflict struct {
	Small, Large Checkpoint
	// ID names the pair whatever order it was given in.
	ID string
}

// CheckConflict checks that the signed notes a and b, both verifying with
// the log's vkey, cannot both be checkpoints of one log. For two sizes,
// root is the root the larger checkpoint's history had at the smaller size
// and proof the consistency proof from it to the larger; for one size both
// are unused and must be empty.
func CheckConflict(vkey string, a, b []byte, root *Hash, proof []Hash) (Conflict, error) {
	ca, err := OpenCheckpoint(a, vkey)
	if err != nil {
		return Conflict{}, fmt.Errorf("the first checkpoint is not signed by the log's key: %w", err)
	}
	cb, err := OpenCheckpoint(b, vkey)
	if err != nil {
		return Conflict{}, fmt.Errorf("the second checkpoint is not signed by the log's key: %w", err)
	}
	if cb.Size < ca.Size {
		ca, cb = cb, ca
	}
	c := Conflict{Small: ca, Large: cb, ID: conflictID(ca, cb)}
	if ca.Size == cb.Size {
		if root != nil || len(proof) > 0 {
			return c, fmt.Errorf("%w: two checkpoints of one size need no consistency proof", ErrNoConflict)
		}
		if ca.Root == cb.Root {
			return c, fmt.Errorf("%w: both checkpoints state size %d and the same root", ErrNoConflict, ca.Size)
		}
		return c, nil
	}
	if ca.Size == 0 {
		return c, fmt.Errorf("%w: every log extends the empty one", ErrNoConflict)
	}
	if root == nil {
		return c, fmt.Errorf("%w: checkpoints of sizes %d and %d conflict only with the root the larger's history had at size %d and a consistency proof from it",
			ErrNoConflict, ca.Size, cb.Size, ca.Size)
	}
	if err := tlog.CheckTree(proof, cb.Size, cb.Root, ca.Size, *root); err != nil {
		return c, fmt.Errorf("%w: the consistency proof from size %d does not lead to the root of the checkpoint of size %d", ErrNoConflict, ca.Size, cb.Size)
	}
	if *root == ca.Root {
		return c, fmt.Errorf("%w: the checkpoint of size %d extends the one of size %d", ErrNoConflict, cb.Size, ca.Size)
	}
	return c, nil
}

func conflictID(a, b Checkpoint) string {
	x, y := a.Text(), b.Text()
	if y < x {
		x, y = y, x
	}
	s := sha256.Sum256([]byte(x + "\n" + y))
	return base64.RawURLEncoding.EncodeToString(s[:12])
}

// OldRoot returns the root that a consistency proof from size m to the
// tree of size n and root newRoot commits to at size m (RFC 9162,
// 2.1.4.2), when the proof itself carries it: it does not when m is a
// power of two, whose root the verifier supplies. The answer is checked
// with tlog.CheckTree before it is returned, so a proof that leads
// nowhere gives nothing.
func OldRoot(proof []Hash, m, n int64, newRoot Hash) (Hash, bool) {
	if m < 1 || m >= n || len(proof) == 0 || m&(m-1) == 0 {
		return Hash{}, false
	}
	fn, sn := m-1, n-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := proof[0], proof[0]
	for _, c := range proof[1:] {
		if sn == 0 {
			return Hash{}, false
		}
		if fn&1 == 1 || fn == sn {
			fr, sr = tlog.NodeHash(c, fr), tlog.NodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = tlog.NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 || sr != newRoot || tlog.CheckTree(proof, n, newRoot, m, fr) != nil {
		return Hash{}, false
	}
	return fr, true
}
