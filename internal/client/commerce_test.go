package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// The commercial desk by the client alone, on the demo: a funder pledges,
// changes, pays against and discloses its pledge, which a side reads only
// once disclosed; a held milestone is refused with its reason; only the
// mediator asks what may be published.
func TestCommerceThroughTheClient(t *testing.T) {
	hs, _, d := newServer(t)
	ctx := context.Background()
	jo, sy, il, us := as(t, hs.URL, d, "jo.commercial"), as(t, hs.URL, d, "sy.commercial"), as(t, hs.URL, d, "il.commercial"), as(t, hs.URL, d, "us.commercial")

	ps, err := sy.c.Projects(ctx)
	if err != nil || len(ps) != 3 || ps[0].ID != "golan-wind" || ps[0].Funding == nil || ps[0].Funding.Total != 87_000_000 {
		t.Fatalf("the registry as Syria reads it: %+v, %v", ps, err)
	}

	env, err := client.Sign(il.key, testlog.Cell, commerce.KindProjectMilestone, map[string]any{"project": "hermon-ski", "milestone": "lifts"})
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *client.Error
	if _, err := il.c.ReachMilestone(ctx, "hermon-ski", "lifts", env); !client.IsStatus(err, http.StatusConflict) || !strings.Contains(err.Error(), "Drone over the planned lift station") {
		t.Errorf("the held milestone: %v", err)
	} else if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Detail, "is open") {
		t.Errorf("the held milestone's detail: %+v", apiErr)
	}

	env, _ = client.Sign(jo.key, testlog.Cell, commerce.KindPledgeMake, map[string]any{"pledge": map[string]any{"id": "jo-orchards", "project": "druze-orchards", "amount": 4_000_000}})
	made, err := jo.c.MakePledge(ctx, env)
	if err != nil || made.Pledge.ID != "jo-orchards" || made.Pledge.Currency != "USD" || made.Pledge.Funder != "jo" {
		t.Fatalf("make: %+v, %v", made, err)
	}
	if mine, err := sy.c.Pledges(ctx); err != nil || len(mine) != 0 {
		t.Errorf("Syria's pledges: %+v, %v", mine, err)
	}
	if _, err := sy.c.Pledge(ctx, "jo-orchards"); !client.IsStatus(err, http.StatusNotFound) {
		t.Errorf("Syria reads Jordan's pledge: %v", err)
	}
	if p, err := sy.c.Project(ctx, "druze-orchards"); err != nil || len(p.Pledges) != 0 || len(p.Disclosures) != 0 {
		t.Errorf("Syria's view of the orchards: %+v, %v", p, err)
	}
	if all, err := us.c.Pledges(ctx); err != nil || len(all) != 4 {
		t.Errorf("the mediator's pledges: %+v, %v", all, err)
	}

	p := made.Pledge.Pledge
	p.Amount = 5_000_000
	env, _ = client.Sign(jo.key, testlog.Cell, commerce.KindPledgeUpdate, map[string]any{"pledge": p})
	if up, err := jo.c.UpdatePledge(ctx, p.ID, env); err != nil || up.Pledge.Amount != 5_000_000 {
		t.Fatalf("update: %+v, %v", up, err)
	}
	env, _ = client.Sign(jo.key, testlog.Cell, commerce.KindPledgeDisburse, map[string]any{"pledge": p.ID, "amount": 1_000_000, "date": "2026-12-01"})
	if ds, err := jo.c.Disburse(ctx, p.ID, env); err != nil || ds.Pledge.Disbursed != 1_000_000 || len(ds.Pledge.Disbursals) != 1 {
		t.Fatalf("disburse: %+v, %v", ds, err)
	}
	env, _ = client.Sign(jo.key, testlog.Cell, commerce.KindPledgeDisclose, map[string]any{"pledge": p.ID, "name": "Jordan", "amount": 4_000_000, "currency": "USD"})
	if _, err := jo.c.Disclose(ctx, p.ID, env); !client.IsStatus(err, http.StatusUnprocessableEntity) && !client.IsStatus(err, http.StatusBadRequest) {
		t.Errorf("a disclosure of the pledge as it was: %v", err)
	}
	env, _ = client.Sign(jo.key, testlog.Cell, commerce.KindPledgeDisclose, map[string]any{"pledge": p.ID, "name": "Jordan", "amount": 5_000_000, "currency": "USD"})
	if _, err := jo.c.Disclose(ctx, p.ID, env); err != nil {
		t.Fatalf("disclose: %v", err)
	}
	if o, err := sy.c.Project(ctx, "druze-orchards"); err != nil || len(o.Disclosures) != 1 || o.Disclosures[0].Name != "Jordan" || o.Disclosures[0].Amount != 5_000_000 {
		t.Errorf("Syria's view of the disclosed pledge: %+v, %v", o, err)
	}

	if _, err := sy.c.Publishable(ctx, "golan-wind"); !client.IsStatus(err, http.StatusForbidden) {
		t.Errorf("Syria asks what may be published: %v", err)
	}
	if f, err := us.c.Publishable(ctx, "golan-wind"); err != nil || f.Publishable || f.Reason == "" || f.Funding.Funders != 3 {
		t.Errorf("the wind farm, published and unchanged since: %+v, %v", f, err)
	}

	x, err := sy.c.ExportIATI(ctx)
	if err != nil || !bytes.Contains(x, []byte("<iati-activities")) {
		t.Fatalf("IATI: %v\n%s", err, x)
	}
	csv, err := sy.c.ExportCSV(ctx)
	if err != nil || !bytes.HasPrefix(csv, []byte("id,title,")) {
		t.Fatalf("CSV: %v\n%s", err, csv)
	}
	for _, secret := range []string{"18500000", "42000000", "27250000"} {
		if bytes.Contains(x, []byte(secret)) || bytes.Contains(csv, []byte(secret)) {
			t.Errorf("an export reveals the confidential %s", secret)
		}
	}
}
