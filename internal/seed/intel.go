package seed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/stix/stixgen"
)

// The intelligence desk's demo traffic: a report Israel submitted, released
// to Syria sanitized after two members of the mediator decided; Syria's
// sighting, sent back through the gate to Israel; a TLP:RED report
// released to one named Syrian analyst; a submission waiting for its
// second pair of eyes; and a bundle posted over TAXII that its poster has
// yet to sign. The reports are invented for the demo.

func proposalID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// DemoReports are the demo's reports, as Israel's analysts would export
// them.
func DemoReports(now time.Time) (amber, red, pending stixgen.Report) {
	t := now.Add(-30 * time.Hour).Truncate(time.Minute)
	amber = stixgen.Report{
		Name: "Rocket team preparing launch positions near Quneitra", TLP: stixgen.TLPAmber, Actor: "Launch cell 7", Created: t, Seed: "demo-amber",
		Description: "A team of five was observed preparing two launch positions in orchards west of the town; its radio relay calls a server abroad.",
		Indicators:  []stixgen.Indicator{{Name: "Radio relay C2", Pattern: "[ipv4-addr:value = '198.51.100.23']"}, {Name: "Spotter's phone", Pattern: "[mac-addr:value = '00:1b:63:84:45:e6']"}},
		Locations: []stixgen.Location{{Name: "Orchard west of Quneitra", Lat: 33.1256, Lon: 35.8128, Address: "Orchard lane 4, Quneitra"},
			{Name: "Farm track near Jubata al-Khashab", Lat: 33.2247, Lon: 35.8531}},
	}
	red = stixgen.Report{
		Name: "Source report: weapons convoy timing", TLP: stixgen.TLPRed, Actor: "Logistics network", Created: t.Add(2 * time.Hour), Seed: "demo-red",
		Description: "A human source describes when the next convoy crosses; its exposure would endanger the source.",
		Indicators:  []stixgen.Indicator{{Name: "Convoy coordinator's handset", Pattern: "[ipv4-addr:value = '203.0.113.41']"}},
		Locations:   []stixgen.Location{{Name: "Crossing point", Lat: 33.0411, Lon: 35.9602}},
	}
	pending = stixgen.Report{
		Name: "Drone launches from the Yarmouk valley", TLP: stixgen.TLPGreen, Actor: "Drone unit", Created: t.Add(20 * time.Hour), Seed: "demo-pending",
		Description: "Small drones were launched at dusk from the valley floor on three evenings.",
		Indicators:  []stixgen.Indicator{{Name: "Drone control link", Pattern: "[ipv4-addr:value = '192.0.2.77']"}},
		Locations:   []stixgen.Location{{Name: "Yarmouk valley floor", Lat: 32.7186, Lon: 35.8919}},
	}
	return amber, red, pending
}

func (s *Seeder) intel(ctx context.Context, keys map[string]*record.DeviceKey) error {
	as := func(who, kind string, fields map[string]any) (int64, error) {
		r, err := s.As(ctx, DemoCell, keys[who], kind, fields)
		if err != nil {
			return 0, err
		}
		return r.Entry.Index, nil
	}
	submit := func(who, title string, bundle []byte, extra map[string]any) (int64, error) {
		f := map[string]any{"title": title, "bundle": json.RawMessage(bundle)}
		for k, v := range extra {
			f[k] = v
		}
		return as(who, intel.KindSubmit, f)
	}
	// release runs the gate: proposed by the mediator's analyst, approved
	// and published by its duty officer.
	release := func(sub int64, title string, fields map[string]any) (string, error) {
		id := proposalID()
		p := map[string]any{"proposal": id, "submission": sub, "decision": intel.Release}
		for k, v := range fields {
			p[k] = v
		}
		if _, err := as("us.intelligence", intel.KindPropose, p); err != nil {
			return "", err
		}
		// unfiltered: the seeder reads as the mediator, who reads it all.
		v := s.Store.View(DemoCell)
		prop, err := intel.GetProposal(ctx, v, id)
		if err != nil {
			return "", err
		}
		if _, err := as("us.duty", intel.KindApprove, intel.Approval(prop)); err != nil {
			return "", err
		}
		draft, err := intel.Draft(ctx, v, id)
		if err != nil {
			return "", err
		}
		_, err = as("us.duty", intel.KindRelease, map[string]any{"proposal": id, "title": title, "bundle": json.RawMessage(draft)})
		return id, err
	}
	amber, red, pending := DemoReports(time.Now())
	sub, err := submit("il.intelligence", "Launch positions near Quneitra", amber.Bundle(), map[string]any{
		"note": "Share the positions with Syria's liaison; keep the unit's name and the exact orchard to us."})
	if err != nil {
		return err
	}
	rel, err := release(sub, "Launch positions in the Quneitra sector", map[string]any{"to": []string{"sy"},
		"sanitize": map[string]any{"location_km": 5, "remove_types": []string{"threat-actor"}},
		"reason":   "Syria needs the area to act on; the unit's identity and the exact positions would expose Israel's collection."})
	if err != nil {
		return fmt.Errorf("the sanitized release: %w", err)
	}
	// Syria answers with a sighting of the relay, which goes back through
	// the gate to the report's source.
	sighting := stixgen.Sighting("demo-sighting", stixgen.ID("indicator", "demo-amber", "Radio relay C2"),
		stixgen.Location{Name: "Checkpoint on the Quneitra road", Lat: 33.13, Lon: 35.84}, time.Now().Add(-6*time.Hour).Truncate(time.Minute),
		stixgen.TLPAmber, "Our patrol found the relay's mast dismantled; tracks lead north.")
	answer, err := submit("sy.intelligence", "Relay mast found dismantled", sighting, map[string]any{"reply_to": rel})
	if err != nil {
		return err
	}
	if _, err := release(answer, "Syria's patrol: relay mast dismantled", map[string]any{"reason": "The source should know its report was acted on."}); err != nil {
		return fmt.Errorf("the answer: %w", err)
	}
	redSub, err := submit("il.intelligence", "Convoy timing (source report)", red.Bundle(), map[string]any{
		"note": "For Syria's intelligence liaison officer only."})
	if err != nil {
		return err
	}
	if _, err := release(redSub, "Convoy timing", map[string]any{"members": []string{"sy.intelligence"},
		"reason": "TLP:RED: to the one officer who can act on it."}); err != nil {
		return fmt.Errorf("the red release: %w", err)
	}
	// Waiting for the gate: proposed, not yet approved.
	waiting, err := submit("il.intelligence", "Drone launches from the Yarmouk valley", pending.Bundle(), nil)
	if err != nil {
		return err
	}
	if _, err := as("us.intelligence", intel.KindPropose, map[string]any{"proposal": proposalID(), "submission": waiting,
		"decision": intel.Release, "to": []string{"sy", "jo"}, "reason": "GREEN, and Jordan watches the valley too."}); err != nil {
		return err
	}
	// Posted from Jordan's MISP over TAXII, waiting for its poster to sign.
	posted := stixgen.Report{Name: "Smuggling route across the Yarmouk", TLP: stixgen.TLPGreen, Actor: "Smuggling ring", Created: time.Now().Add(-2 * time.Hour).Truncate(time.Minute),
		Seed: "demo-staged", Description: "Night crossings observed on the Jordanian bank.",
		Indicators: []stixgen.Indicator{{Name: "Ring's messaging account", Pattern: "[email-addr:value = 'courier@example.net']"}},
		Locations:  []stixgen.Location{{Name: "Yarmouk ford", Lat: 32.68, Lon: 35.78}}}
	b := posted.Bundle()
	h := intel.BundleHash(b)
	if err := s.Store.PutBlob(ctx, h, b); err != nil {
		return err
	}
	_, err = s.Ledger.SubmitServer(ctx, DemoCell, intel.KindStage, map[string]any{"id": "seed-staged", "member": "jo.intelligence", "sha256": h, "count": 6})
	return err
}
