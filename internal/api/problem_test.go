package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/liaison-cell/liaison/internal/cell"
)

type detailed struct{ list []int }

func (d detailed) Error() string { return fmt.Sprintf("%v: %d items", cell.ErrConflict, len(d.list)) }
func (d detailed) Unwrap() error { return cell.ErrConflict }
func (d detailed) Extensions() map[string]any {
	return map[string]any{"items": d.list, "status": "not this one"}
}

// A domain error with structure reaches the client as extension members
// of its problem, beside (never instead of) the standard ones.
func TestProblemExtensions(t *testing.T) {
	p := toProblem(fmt.Errorf("deciding: %w", detailed{list: []int{3, 5}}))
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got["status"] != float64(http.StatusConflict) || got["type"] != ProblemTypeBase+"conflict" {
		t.Errorf("the standard members: %s", b)
	}
	if items, ok := got["items"].([]any); !ok || len(items) != 2 || items[0] != float64(3) {
		t.Errorf("the extension: %s", b)
	}
	plain, _ := json.Marshal(toProblem(cell.ErrConflict))
	var std map[string]any
	if err := json.Unmarshal(plain, &std); err != nil || len(std) != 4 {
		t.Errorf("a problem without extensions: %s", plain)
	}
}
