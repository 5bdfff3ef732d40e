package client

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/liaison-cell/liaison/internal/record"
)

// MaxLeaves is the most leaf hashes the server gives in one answer; Leaves
// pages by it.
const MaxLeaves = 1000

// VerifierKey returns the cell's note verifier key (GET /log/key).
func (c *Client) VerifierKey(ctx context.Context) (string, error) {
	b, err := c.do(ctx, http.MethodGet, "/log/key", nil, "")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Checkpoint returns the latest signed checkpoint note (GET
// /log/checkpoint), unverified.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/log/checkpoint", nil, "")
}

// Leaves returns the leaf hashes start <= i < end, in as many requests of
// at most MaxLeaves as it takes.
func (c *Client) Leaves(ctx context.Context, start, end int64) ([]record.Hash, error) {
	if start < 0 || end < start {
		return nil, fmt.Errorf("leaves: bad range [%d, %d)", start, end)
	}
	out := make([]record.Hash, 0, end-start)
	for lo := start; lo < end; {
		hi := min(end, lo+MaxLeaves)
		var r struct {
			Leaves []string `json:"leaves"`
		}
		if err := c.getJSON(ctx, "/log/leaves?start="+itoa(lo)+"&end="+itoa(hi), &r); err != nil {
			return nil, err
		}
		hs, err := record.DecodeHashes(r.Leaves)
		if err != nil {
			return nil, fmt.Errorf("leaves %d..%d: %w", lo, hi, err)
		}
		if int64(len(hs)) != hi-lo {
			return nil, fmt.Errorf("leaves %d..%d: the server sent %d hashes", lo, hi, len(hs))
		}
		out = append(out, hs...)
		lo = hi
	}
	return out, nil
}

// Entry returns entry i (GET /log/entries/{i}); a 403 *Error when the
// caller's party is not in its audience.
func (c *Client) Entry(ctx context.Context, i int64) (*Entry, error) {
	var e Entry
	if err := c.getJSON(ctx, "/log/entries/"+itoa(i), &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// InclusionProof returns the audit path of leaf index in the tree of size
// size.
func (c *Client) InclusionProof(ctx context.Context, index, size int64) ([]record.Hash, error) {
	return c.proof(ctx, "/log/proof/inclusion?index="+itoa(index)+"&size="+itoa(size))
}

// ConsistencyProof returns the proof that the tree of size to extends the
// tree of size from.
func (c *Client) ConsistencyProof(ctx context.Context, from, to int64) ([]record.Hash, error) {
	return c.proof(ctx, "/log/proof/consistency?from="+itoa(from)+"&to="+itoa(to))
}

func (c *Client) proof(ctx context.Context, p string) ([]record.Hash, error) {
	var r struct {
		Hashes []string `json:"hashes"`
	}
	if err := c.getJSON(ctx, p, &r); err != nil {
		return nil, err
	}
	return record.DecodeHashes(r.Hashes)
}

// EntriesPage is one page of GET /entries.
type EntriesPage struct {
	Entries []Entry `json:"entries"`
	// Next is the index to pass as after for the next page; "" on the
	// last page.
	Next string `json:"next"`
}

// Entries returns up to limit entries after log index after (-1 for the
// start) that the caller may read, in index order.
func (c *Client) Entries(ctx context.Context, after int64, limit int) (*EntriesPage, error) {
	var p EntriesPage
	if err := c.getJSON(ctx, "/entries?after="+itoa(after)+"&limit="+strconv.Itoa(limit), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Relay hands over env, a command another member of the caller's party
// signed, for the cell to append as the signer's (POST /relay): how a
// party's mirror sends the writes its members queued while the line was
// cut. A command that landed before is answered with its entry
// (Duplicate).
func (c *Client) Relay(ctx context.Context, env *record.Envelope) (*Submitted, error) {
	return c.Submit(ctx, "/relay", env)
}
