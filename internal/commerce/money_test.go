package commerce_test

import (
	"testing"

	"github.com/liaison-cell/liaison/internal/commerce"
)

func TestGrouped(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 87000000: "87,000,000", -1234567: "-1,234,567", 100000: "100,000"} {
		if got := commerce.Grouped(n); got != want {
			t.Errorf("Grouped(%d) = %q, want %q", n, got, want)
		}
	}
}
