package web

import (
	"testing"

	"github.com/liaison-cell/liaison/internal/deconflict"
)

// TestDeskKeysFromData: the desk's labels chosen by data (an activity
// type, a zone kind, a rule, a category, ...) are in every catalog, for
// every value the desk defines; a missing one would show its key to an
// officer.
func TestDeskKeysFromData(t *testing.T) {
	cat, err := loadCatalogs()
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string][]string{
		"desk.type.":        deconflict.ActivityTypes,
		"desk.kind.":        deconflict.ZoneKinds,
		"desk.rule.":        {deconflict.RuleProhibited, deconflict.RuleNotice, deconflict.RuleAllowed},
		"desk.category.":    deconflict.IncidentCategories,
		"desk.severity.":    deconflict.Severities,
		"desk.finding.":     deconflict.Findings,
		"desk.posture.":     deconflict.Postures,
		"desk.state.":       {deconflict.StateActive, deconflict.StateWithdrawn, deconflict.StateExecuted},
		"desk.force.":       deconflict.ForceCategories,
		"desk.decision.":    {"cleared", deconflict.Objection},
		"desk.answer.":      {deconflict.NoObjection, deconflict.Objection},
		"desk.due.":         dueKinds,
		"desk.zone.status.": {"draft", "agreed", "superseded"},
	}
	for prefix, values := range sets {
		for _, v := range values {
			for _, lang := range Languages {
				if _, ok := cat[lang][prefix+v]; !ok {
					t.Errorf("%s.json lacks %q", lang, prefix+v)
				}
			}
		}
	}
}
