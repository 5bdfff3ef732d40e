package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/record"
)

// The commercial desk's demo traffic, invented for the demo: a wind farm
// financed by three anonymous pledges whose total is published, a ski
// resort whose next milestone an open incident in its zone holds (and the
// watch's alert of it), and the Druze villages' orchards in feasibility.

// invented marks the projects' texts.
const invented = "Invented for the demo."

func (s *Seeder) commerce(ctx context.Context, keys map[string]*record.DeviceKey) error {
	as := func(who, kind string, fields map[string]any) error {
		_, err := s.As(ctx, DemoCell, keys[who], kind, fields)
		return err
	}
	now := time.Now().UTC().Truncate(time.Hour)
	day := 24 * time.Hour
	ms := func(id, title string, due time.Duration, gates ...map[string]any) map[string]any {
		m := map[string]any{"id": id, "title": title, "due": now.Add(due).Format(time.RFC3339)}
		if gates != nil {
			m["gates"] = gates
		}
		return m
	}
	wind := map[string]any{"id": "golan-wind", "title": "Ridge wind farm", "sector": "energy", "zone": "quneitra-econ", "currency": "USD",
		"titles":       map[string]string{"ar": "مزرعة رياح التلال", "he": "חוות הרוח ברכס"},
		"description":  "Twenty-four turbines on the ridge, selling power to both grids and across the Jordanian border. " + invented,
		"descriptions": map[string]string{"ar": "أربع وعشرون توربينا على التلال، تبيع الكهرباء للشبكتين وعبر الحدود الأردنية.", "he": "עשרים וארבע טורבינות על הרכס, המוכרות חשמל לשתי הרשתות ומעבר לגבול הירדני."},
		"sponsors":     []string{"Ridge Energy Consortium"}, "stage": commerce.Feasibility,
		"milestones": []map[string]any{ms("survey", "Environmental survey", 10*day),
			ms("order", "Turbines ordered", 60*day, map[string]any{"kind": commerce.GatePosture, "posture": "normal"})}}
	if err := as("us.commercial", commerce.KindProjectRegister, map[string]any{"project": wind}); err != nil {
		return err
	}
	if err := as("us.commercial", commerce.KindProjectMilestone, map[string]any{"project": "golan-wind", "milestone": "survey", "note": "Survey filed; no objection from either side."}); err != nil {
		return err
	}
	wind["stage"], wind["version"] = commerce.Financing, 1 // an update says which version it amends
	if err := as("us.commercial", commerce.KindProjectUpdate, map[string]any{"project": wind}); err != nil {
		return err
	}
	for _, p := range []struct {
		who, id string
		amount  int64
	}{{"jo.commercial", "jo-wind", 18_500_000}, {"rpa.commercial", "rpa-wind", 42_000_000}, {"rpb.commercial", "rpb-wind", 27_250_000}} {
		if err := as(p.who, commerce.KindPledgeMake, map[string]any{"pledge": map[string]any{"id": p.id, "project": "golan-wind", "amount": p.amount,
			"conditions": "Disbursed in tranches as the turbines arrive, once the zone's posture is normal."}}); err != nil {
			return fmt.Errorf("pledge %s: %w", p.id, err)
		}
	}
	// unfiltered: the seeder reads as the mediator, who publishes.
	f, _, why, err := commerce.Publishable(ctx, s.Store.View(DemoCell), "golan-wind")
	if err != nil || why != "" {
		return fmt.Errorf("the wind farm's total: %v %s", err, why)
	}
	if err := as("us.commercial", commerce.KindFundingPublish, map[string]any{"project": "golan-wind", "total": f.Total, "funders": f.Funders}); err != nil {
		return err
	}
	if err := as("jo.commercial", commerce.KindProjectInterest, map[string]any{"project": "golan-wind", "organization": "Jordan's national grid operator",
		"text": "We would buy the surplus at the border substation."}); err != nil {
		return err
	}

	ski := map[string]any{"id": "hermon-ski", "title": "Hermon slopes ski resort", "sector": "tourism", "zone": "quneitra-econ", "currency": "USD",
		"titles":      map[string]string{"ar": "منتجع التزلج على سفوح حرمون", "he": "אתר הסקי במורדות החרמון"},
		"description": "Lifts and a lodge on the lower slopes, run jointly, with the villages' guides. " + invented,
		"sponsors":    []string{"Hermon Tourism Partnership"}, "stage": commerce.Concept,
		"milestones": []map[string]any{ms("road", "Access road", 20*day),
			ms("lifts", "Lift installation", 120*day, map[string]any{"kind": commerce.GateZoneQuiet, "zone": "quneitra-econ", "days": 14})}}
	if err := as("il.commercial", commerce.KindProjectRegister, map[string]any{"project": ski}); err != nil {
		return err
	}
	for i, st := range []string{commerce.Feasibility, commerce.Financing, commerce.Implementation} {
		ski["stage"], ski["version"] = st, i+1
		if err := as("il.commercial", commerce.KindProjectUpdate, map[string]any{"project": ski}); err != nil {
			return fmt.Errorf("the ski resort to %s: %w", st, err)
		}
	}
	if err := as("il.commercial", commerce.KindProjectMilestone, map[string]any{"project": "hermon-ski", "milestone": "road"}); err != nil {
		return err
	}
	// A drone over the planned lift station, still open: it holds the lifts.
	if err := as("il.military", deconflict.KindIncidentReport, map[string]any{"occurred_at": now.Add(-3 * time.Hour), "category": "uav",
		"severity": "medium", "precedence": "PRIORITY", "title": "Drone over the planned lift station",
		"description": "A small drone circled the survey team for ten minutes, then flew east.", "addressed": []string{"sy"},
		"location": map[string]any{"geometry": pointAt(35.80, 33.13), "radius_m": 300}}); err != nil {
		return err
	}
	// The alert the watch raises of the held lifts, as it writes it (a
	// minute after it starts, on a served cell): the demo's commercial
	// desks find it in their banner from the first page.
	// unfiltered: the seeder judges the gates as the watch does, on everything.
	failing, err := commerce.Failing(ctx, s.Store.View(DemoCell), time.Now())
	if err != nil {
		return err
	}
	for _, f := range failing {
		if _, err := s.Ledger.SubmitServer(ctx, DemoCell, commerce.KindGateAlert, f); err != nil {
			return fmt.Errorf("the alert of %v: %w", f["id"], err)
		}
	}

	orchards := map[string]any{"id": "druze-orchards", "title": "Terraced orchards of the Druze villages", "sector": "agriculture",
		"zone": "quneitra-econ", "site": "majdal-shams", "currency": "USD", "stage": commerce.Feasibility,
		"titles":      map[string]string{"ar": "البساتين المدرجة للقرى الدرزية", "he": "המטעים המדורגים של הכפרים הדרוזיים"},
		"description": "Irrigation and a packing house for the apple and cherry terraces on both sides of the line. " + invented,
		"sponsors":    []string{"Majdal Shams agricultural cooperative"},
		"milestones":  []map[string]any{ms("study", "Water study", 45*day)}}
	return as("sy.commercial", commerce.KindProjectRegister, map[string]any{"project": orchards})
}
