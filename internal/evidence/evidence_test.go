package evidence_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
	"github.com/liaison-cell/liaison/internal/testlog"
	"github.com/liaison-cell/liaison/internal/verify"
)

func TestMain(m *testing.M) { testlog.Main(m) }

// demoBundle is the bundle of the drill's FLASH from Israel, with all
// about it, and the FLASH's index.
func demoBundle(t testing.TB) (*evidence.Bundle, int64) {
	t.Helper()
	ctx := context.Background()
	d := testlog.NewDemo(t)
	st, err := sqlite.Open(ctx, d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	src, err := verify.NewStoreSource(ctx, st, testlog.Cell, "sqlite:"+d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var flash int64 = -1
	for after := int64(-1); flash < 0; {
		page, next, err := src.Entries(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range page {
			e, _ := record.ParseEntry(raw.LeafData)
			if e.Envelope.Kind() == "message.send" && strings.Contains(string(e.Envelope.Payload), "UAV over the buffer zone") {
				flash = e.Index
				break
			}
		}
		if next < 0 {
			break
		}
		after = next
	}
	if flash < 0 {
		t.Fatal("the demo has no drill FLASH")
	}
	cited, err := evidence.AboutMessage(ctx, src, flash)
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.Build(ctx, src, cited)
	if err != nil {
		t.Fatal(err)
	}
	return b, flash
}

// A bundle of the drill's FLASH, its acknowledgements with readbacks,
// the readback marks, the receipt and the translation checks with nothing
// but itself; any change to it does not.
func TestBundleChecks(t *testing.T) {
	b, flash := demoBundle(t)
	got, err := evidence.Check(b)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range got.Cited {
		kinds[e.Envelope.Kind()]++
	}
	if got.Cited[0].Index != flash || kinds["message.ack"] != 2 || kinds["message.readback"] != 2 || kinds["translation.add"] != 1 {
		t.Errorf("cited %v", kinds)
	}
	// Entry 0 and the registrations of the signers' keys came along; not
	// the whole log.
	if b.Entries[0].Index != 0 || len(b.Entries) > len(b.Cited)+12 {
		t.Errorf("the bundle holds %d entries for %d cited", len(b.Entries), len(b.Cited))
	}

	tamper := map[string]func(b *evidence.Bundle){
		"a cited entry's bytes": func(b *evidence.Bundle) {
			last := &b.Entries[len(b.Entries)-1]
			last.LeafData = []byte(strings.Replace(string(last.LeafData), `"index"`, `"index" `, 1))
		},
		"a proof": func(b *evidence.Bundle) { b.Entries[1].Proof[0][0] ^= 1 },
		"the checkpoint": func(b *evidence.Bundle) {
			b.Checkpoint = strings.Replace(b.Checkpoint, "\n", "\n ", 1)
		},
		"the note key": func(b *evidence.Bundle) {
			b.NoteKey = "liaison/il-sy+00000000+AafEpoLBXPPFzaeXQQBr8SFLCTfqj0VXlCuswPdCibOf"
		},
		"a key registration left out": func(b *evidence.Bundle) {
			for i, it := range b.Entries {
				if e, _ := record.ParseEntry(it.LeafData); e != nil && e.Envelope.Kind() == "key.register" {
					b.Entries = append(b.Entries[:i], b.Entries[i+1:]...)
					return
				}
			}
		},
		"a cited entry left out": func(b *evidence.Bundle) { b.Entries = b.Entries[:len(b.Entries)-1] },
		"another cell":           func(b *evidence.Bundle) { b.Cell = "other" },
	}
	for what, f := range tamper {
		c, _ := demoBundle(t)
		f(c)
		if _, err := evidence.Check(c); err == nil {
			t.Errorf("a bundle with %s changed checks", what)
		}
	}
}

// A bundle comes from outside the cell: whatever it holds, Check answers
// without panicking. (What it must refuse, TestBundleChecks shows part by
// part; random bytes almost never make a bundle that verifies.)
func FuzzCheck(f *testing.F) {
	b, _ := demoBundle(f)
	good, err := json.Marshal(b)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"liaison-evidence/1","entries":[{"index":0,"leaf_data":"e30=","proof":[]}],"cited":[0]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b evidence.Bundle
		if json.Unmarshal(data, &b) != nil {
			return
		}
		evidence.Check(&b) //nolint:errcheck // refusals are expected; a panic is the failure

	})
}

// An entry newer than the latest signed checkpoint is not yet evidence:
// the refusal says so, for the caller to ask again shortly.
func TestBuildWaitsForTheCheckpoint(t *testing.T) {
	ctx := context.Background()
	d := testlog.NewDemo(t)
	st, err := sqlite.Open(ctx, d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src, err := verify.NewStoreSource(ctx, st, testlog.Cell, "sqlite:"+d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Checkpoint(ctx, testlog.Cell)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evidence.Build(ctx, src, []int64{c.Size}); !errors.Is(err, evidence.ErrNotSigned) {
		t.Errorf("citing entry %d of a checkpoint of %d: %v, want ErrNotSigned", c.Size, c.Size, err)
	}
}

// The index list comes from a URL or a command line: whatever it holds,
// ParseIndexes answers at most 1000 non-negative indexes, or an error.
func FuzzParseIndexes(f *testing.F) {
	for _, s := range []string{"12,15,20-22", "0", "5-4", "1-1000", "0-999,1000", "-1", "9223372036854775807", "1-9223372036854775807", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := evidence.ParseIndexes(s)
		if err != nil {
			return
		}
		if len(got) == 0 || len(got) > 1000 {
			t.Fatalf("%q gave %d indexes", s, len(got))
		}
		for _, i := range got {
			if i < 0 {
				t.Fatalf("%q gave %d", s, i)
			}
		}
	})
}
