// Package rebuild replays a cell's log, every entry in order, through the
// domains' decisions into fresh projections, and compares them with the
// projections the store holds. Projections are caches of the log: the two
// must agree exactly, and when they do not, the replayed ones are right.
package rebuild

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// batch is how many entries Run reads at a time.
const batch = 1000

// Report is the outcome of a replay.
type Report struct {
	Cell    string
	Entries int64 // entries replayed
	// Replayed holds the projections the log yields, ordered by kind and id.
	Replayed []store.Object
	// Diffs lists the objects on which the store differs from the replay.
	Diffs []Diff
	// EntryDiffs lists entries whose replayed decision gives another
	// audience than the one logged with them.
	EntryDiffs []EntryDiff
}

// Equal reports whether the store agrees with the replay.
func (r *Report) Equal() bool { return len(r.Diffs) == 0 && len(r.EntryDiffs) == 0 }

// Diff is one object on which the store and the replay disagree.
type Diff struct {
	Kind, ID string
	// Problem is "missing" (the replay has it, the store does not),
	// "extra" (the store has it, the replay does not) or "different".
	Problem string
	// Fields names what differs: "parent", "seq", "updated", "mask", "doc".
	Fields   []string
	Replayed *store.Object // nil when extra
	Stored   *store.Object // nil when missing
}

func (d Diff) String() string {
	switch d.Problem {
	case "missing":
		return fmt.Sprintf("missing   %s/%s: the log creates it at entry %d (updated at %d), the store lacks it", d.Kind, d.ID, d.Replayed.Seq, d.Replayed.Updated)
	case "extra":
		return fmt.Sprintf("extra     %s/%s: the store holds it (seq %d, updated %d), the log never made it", d.Kind, d.ID, d.Stored.Seq, d.Stored.Updated)
	}
	var parts []string
	for _, f := range d.Fields {
		switch f {
		case "parent":
			parts = append(parts, fmt.Sprintf("parent %q, stored %q", d.Replayed.Parent, d.Stored.Parent))
		case "seq":
			parts = append(parts, fmt.Sprintf("seq %d, stored %d", d.Replayed.Seq, d.Stored.Seq))
		case "updated":
			parts = append(parts, fmt.Sprintf("updated %d, stored %d", d.Replayed.Updated, d.Stored.Updated))
		case "mask":
			parts = append(parts, fmt.Sprintf("audience mask %#x, stored %#x", d.Replayed.Mask, d.Stored.Mask))
		case "members":
			parts = append(parts, fmt.Sprintf("named readers %v, stored %v", d.Replayed.Members, d.Stored.Members))
		case "doc":
			parts = append(parts, fmt.Sprintf("doc %s, stored %s", clip(d.Replayed.Doc), clip(d.Stored.Doc)))
		}
	}
	return fmt.Sprintf("different %s/%s: %s", d.Kind, d.ID, strings.Join(parts, "; "))
}

func clip(b []byte) string {
	const max = 200
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// EntryDiff is an entry whose logged audience (or the audience mask
// stored with it, which decides who is served it) the replay does not
// reproduce. Apply cannot mend it: the log is what it is.
type EntryDiff struct {
	Index            int64
	Kind             string
	Logged, Replayed []string
	// StoredMask and Mask are set when only the stored mask differs.
	StoredMask, Mask uint64
}

func (d EntryDiff) String() string {
	if slices.Equal(d.Logged, d.Replayed) {
		return fmt.Sprintf("entry %d (%s): audience mask %#x, stored %#x", d.Index, d.Kind, d.Mask, d.StoredMask)
	}
	return fmt.Sprintf("entry %d (%s): audience %v, logged %v", d.Index, d.Kind, d.Replayed, d.Logged)
}

// Run replays the log of cellID in st through reg — which must hold the
// same commands as the server's — and compares the result with the stored
// projections. An error means the replay could not finish: an entry is
// missing or unreadable, or the domain now rejects an entry the log holds.
func Run(ctx context.Context, st store.Store, cellID string, reg *cell.Registry) (*Report, error) {
	n, err := st.Size(ctx, cellID)
	if err != nil {
		return nil, err
	}
	rep := &Report{Cell: cellID}
	v := newMemView()
	for lo := int64(0); lo < n; lo += batch {
		rows, err := st.Entries(ctx, cellID, lo, min(n, lo+batch))
		if err != nil {
			return nil, fmt.Errorf("entries %d..%d: %w", lo, min(n, lo+batch), err)
		}
		want := lo
		for _, row := range rows {
			if row.Index != want {
				return nil, fmt.Errorf("entry %d: missing from the log", want)
			}
			want++
			if err := replay(ctx, v, reg, row, rep); err != nil {
				return nil, err
			}
		}
		if want < min(n, lo+batch) {
			return nil, fmt.Errorf("entry %d: missing from the log", want)
		}
		if err := reg.Committed(ctx, cellID, v, want); err != nil {
			return nil, fmt.Errorf("after entry %d: %w", want-1, err)
		}
	}
	stored, err := st.Projection(ctx, cellID)
	if err != nil {
		return nil, fmt.Errorf("stored projection: %w", err)
	}
	rep.Replayed = v.objects()
	rep.Diffs = Compare(rep.Replayed, stored)
	return rep, nil
}

func replay(ctx context.Context, v *memView, reg *cell.Registry, row store.StoredEntry, rep *Report) error {
	e, err := record.ParseEntry(row.LeafData)
	if err != nil {
		return fmt.Errorf("entry %d: %w", row.Index, err)
	}
	if e.Index != row.Index {
		return fmt.Errorf("entry %d: says it is entry %d", row.Index, e.Index)
	}
	v.next, v.now = e.Index, e.Time
	eff, err := reg.Decide(e)(ctx, v)
	if err != nil {
		return fmt.Errorf("entry %d (%s): the replay rejects it: %w", e.Index, e.Envelope.Kind(), err)
	}
	logged := slices.Sorted(slices.Values(e.Audience))
	got := slices.Sorted(slices.Values(eff.Audience))
	switch {
	case !slices.Equal(logged, got):
		rep.EntryDiffs = append(rep.EntryDiffs, EntryDiff{Index: e.Index, Kind: e.Envelope.Kind(), Logged: logged, Replayed: got})
	case eff.Mask != row.Mask || !slices.Equal(eff.Members, row.Members):
		rep.EntryDiffs = append(rep.EntryDiffs, EntryDiff{Index: e.Index, Kind: e.Envelope.Kind(), Logged: logged, Replayed: got, StoredMask: row.Mask, Mask: eff.Mask})
	}
	if err := eff.Resolve(); err != nil {
		return fmt.Errorf("entry %d (%s): the replay rejects it: %w", e.Index, e.Envelope.Kind(), err)
	}
	v.apply(e.Index, eff.Changes)
	rep.Entries++
	return nil
}

// Compare lists the differences between replayed and stored objects,
// ordered by kind and id.
func Compare(replayed, stored []store.Object) []Diff {
	key := func(o *store.Object) string { return o.Kind + "\x00" + o.ID }
	have := make(map[string]*store.Object, len(stored))
	for i := range stored {
		have[key(&stored[i])] = &stored[i]
	}
	var out []Diff
	for i := range replayed {
		r := &replayed[i]
		s, ok := have[key(r)]
		if !ok {
			out = append(out, Diff{Kind: r.Kind, ID: r.ID, Problem: "missing", Replayed: r})
			continue
		}
		delete(have, key(r))
		var fields []string
		if r.Parent != s.Parent {
			fields = append(fields, "parent")
		}
		if r.Seq != s.Seq {
			fields = append(fields, "seq")
		}
		if r.Updated != s.Updated {
			fields = append(fields, "updated")
		}
		if r.Mask != s.Mask {
			fields = append(fields, "mask")
		}
		if !slices.Equal(r.Members, s.Members) {
			fields = append(fields, "members")
		}
		if !bytes.Equal(r.Doc, s.Doc) {
			fields = append(fields, "doc")
		}
		if !slices.Equal(r.Keys, s.Keys) {
			fields = append(fields, "keys")
		}
		if fields != nil {
			out = append(out, Diff{Kind: r.Kind, ID: r.ID, Problem: "different", Fields: fields, Replayed: r, Stored: s})
		}
	}
	for _, s := range have {
		out = append(out, Diff{Kind: s.Kind, ID: s.ID, Problem: "extra", Stored: s})
	}
	slices.SortFunc(out, func(a, b Diff) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Apply replaces the stored projections of the report's cell with the
// replayed ones, then replays again to confirm that they agree. The log
// must not grow meanwhile (stop the server first): Apply refuses when it
// has.
func Apply(ctx context.Context, st store.Store, rep *Report, reg *cell.Registry) error {
	n, err := st.Size(ctx, rep.Cell)
	if err != nil {
		return err
	}
	if n != rep.Entries {
		return fmt.Errorf("the log grew from %d to %d entries since the replay: stop the server and run again", rep.Entries, n)
	}
	if err := st.ReplaceProjection(ctx, rep.Cell, rep.Replayed); err != nil {
		return fmt.Errorf("replacing the projection: %w", err)
	}
	again, err := Run(ctx, st, rep.Cell, reg)
	if err != nil {
		return err
	}
	if len(again.Diffs) != 0 {
		return fmt.Errorf("after replacing the projection, %d objects still differ (first: %s): was the log appended to meanwhile?", len(again.Diffs), again.Diffs[0])
	}
	return nil
}
