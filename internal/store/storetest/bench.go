package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// BenchAppendSigned measures the append path as the server runs it: b.N
// commands, signed beforehand, are taken up by 64 goroutines, each of which
// verifies the envelope's signature and then appends it through an
// Appender, with a decision of audience {il, us} and no changes. It reports
// entries/s, and entries/commit, the mean size of the group commits.
func BenchAppendSigned(b *testing.B, s store.Store) {
	ctx := context.Background()
	cell := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	if err := s.CreateCell(ctx, cell, "liaison.test/"+cell); err != nil {
		b.Fatal(err)
	}
	sg := NewSigner(b)
	pub := sg.Key.Public()
	ids := make([]string, b.N)
	envs := make([]*record.Envelope, b.N)
	for i := range envs {
		ids[i] = fmt.Sprintf("cmd-%d", i)
		envs[i] = sg.Envelope(cell, ids[i])
	}
	decide := Admit([]string{"us", "il"}, 0b11)
	var commits atomic.Int64
	a := store.NewAppender(s, store.AppenderConfig{OnCommit: func(string, int64) { commits.Add(1) }})
	defer a.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				env := envs[i]
				if err := env.Verify(pub); err != nil {
					b.Error(err)
					return
				}
				r, err := a.Append(ctx, cell, &store.Pending{Entry: sg.Entry(env), IdemKey: ids[i], Decide: decide})
				if err == nil {
					err = r.Err
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(b.N)/float64(commits.Load()), "entries/commit")
	if n, err := s.Size(ctx, cell); err != nil || n != int64(b.N) {
		b.Fatalf("log has %d entries after %d appends: %v", n, b.N, err)
	}
}

// FillLog appends entries to cell until its log holds n, in batches of
// batch, calling Append directly. The entries reuse a few signed envelopes:
// the tree does not care, and signing a million commands would take longer
// than storing them.
func FillLog(ctx context.Context, s store.Store, cell string, n int64, batch int) error {
	k, err := record.NewDeviceKey()
	if err != nil {
		return err
	}
	sg := &Signer{Key: k, Member: "m1", Party: "us"}
	envs := make([]*record.Envelope, 256)
	for i := range envs {
		envs[i] = sg.Envelope(cell, fmt.Sprint("fill-", i))
	}
	decide := Admit([]string{"us", "il"}, 0b11)
	size, err := s.Size(ctx, cell)
	if err != nil {
		return err
	}
	ps := make([]*store.Pending, 0, batch)
	for size < n {
		ps = ps[:0]
		for i := size; i < n && len(ps) < batch; i++ {
			ps = append(ps, &store.Pending{Entry: sg.Entry(envs[i%int64(len(envs))]), Decide: decide})
		}
		rs, err := s.Append(ctx, cell, ps)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Err != nil {
				return r.Err
			}
		}
		size += int64(len(rs))
	}
	return nil
}

// BenchInclusionProof measures record.InclusionProof of random leaves in
// the tree of cell's first n entries, read through s.ReadHashes.
func BenchInclusionProof(b *testing.B, s store.Store, cell string, n int64) {
	ctx := context.Background()
	hr := HashReader(ctx, s, cell)
	root, err := record.TreeHash(n, hr)
	if err != nil {
		b.Fatal(err)
	}
	// One proof checked before timing, against the leaf's own bytes.
	i := n / 3
	es, err := s.Entries(ctx, cell, i, i+1)
	if err != nil || len(es) != 1 {
		b.Fatalf("entry %d: %v", i, err)
	}
	p, err := record.InclusionProof(i, n, hr)
	if err != nil {
		b.Fatal(err)
	}
	if err := tlog.CheckRecord(p, n, root, i, record.LeafHash(es[0].LeafData)); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		if _, err := record.InclusionProof(r.Int64N(n), n, hr); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchConsistencyProof measures record.ConsistencyProof from a random
// older size to n, read through s.ReadHashes.
func BenchConsistencyProof(b *testing.B, s store.Store, cell string, n int64) {
	ctx := context.Background()
	hr := HashReader(ctx, s, cell)
	root, err := record.TreeHash(n, hr)
	if err != nil {
		b.Fatal(err)
	}
	m := n/3 + 1
	old, err := record.TreeHash(m, hr)
	if err != nil {
		b.Fatal(err)
	}
	p, err := record.ConsistencyProof(m, n, hr)
	if err != nil {
		b.Fatal(err)
	}
	if err := tlog.CheckTree(p, n, root, m, old); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for b.Loop() {
		if _, err := record.ConsistencyProof(1+r.Int64N(n), n, hr); err != nil {
			b.Fatal(err)
		}
	}
}
