package api

import (
	"testing"
	"time"
)

// A few readers get every event at once; many readers wait a little so a
// burst goes out in one write each, never long enough for a watch officer
// to notice.
func TestCoalesceGrowsWithReadersAndStaysBounded(t *testing.T) {
	if d := coalesce(100); d != 0 {
		t.Errorf("100 streams wait %v, want no wait", d)
	}
	prev := time.Duration(0)
	for _, n := range []int64{129, 200, 500, 1000, 100000} {
		d := coalesce(n)
		if d <= 0 || d < prev || d > 20*time.Millisecond {
			t.Errorf("coalesce(%d) = %v after %v: want growing, positive, at most 20ms", n, d, prev)
		}
		prev = d
	}
}
