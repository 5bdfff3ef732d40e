package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/record"
)

// DemoRegion is the demo cell's region: the Golan, the south of Syria
// to Suwayda, and the north of Israel and Jordan around them.
var DemoRegion = cell.Region{South: 32.45, West: 35.40, North: 33.60, East: 36.85}

// illustrative marks every demo zone: the map is drawn for the demo, from
// public approximations, and is no authority on any line.
const illustrative = "Illustrative, drawn for the demo from public approximations: not an authoritative map."

// ring closes a ring of [lng, lat] positions.
func ring(ps ...[2]float64) [][2]float64 { return append(ps, ps[0]) }

func polygon(rings ...[][2]float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": rings})
	return b
}

func pointAt(lng, lat float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Point", "coordinates": [2]float64{lng, lat}})
	return b
}

func lineOf(ps ...[2]float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "LineString", "coordinates": ps})
	return b
}

// The Area of Separation's edges, north to south: the "Alpha" line to the
// west and the "Bravo" line to the east, as the 1974 agreement's map drew
// them, approximately.
var (
	alpha = [][2]float64{{35.760, 33.330}, {35.790, 33.250}, {35.815, 33.160}, {35.810, 33.080}, {35.850, 32.980}, {35.870, 32.880}, {35.890, 32.780}, {35.900, 32.720}}
	bravo = [][2]float64{{35.830, 33.330}, {35.850, 33.250}, {35.860, 33.160}, {35.870, 33.080}, {35.900, 32.980}, {35.915, 32.880}, {35.930, 32.780}, {35.940, 32.720}}
)

// band is the strip between a line and the same line shifted east by dlng
// degrees of longitude (west for a negative dlng).
func band(line [][2]float64, dlng float64) json.RawMessage {
	var ps [][2]float64
	ps = append(ps, line...)
	for i := len(line) - 1; i >= 0; i-- {
		ps = append(ps, [2]float64{line[i][0] + dlng, line[i][1]})
	}
	if dlng < 0 { // keep the ring counterclockwise
		for i, j := 0, len(ps)-1; i < j; i, j = i+1, j-1 {
			ps[i], ps[j] = ps[j], ps[i]
		}
	}
	return polygon(ring(ps...))
}

// A kilometre east or west at the Golan's latitude, in degrees.
const km = 1 / 93.3

func aos() json.RawMessage {
	var ps [][2]float64
	ps = append(ps, bravo...)
	for i := len(alpha) - 1; i >= 0; i-- {
		ps = append(ps, alpha[i])
	}
	return polygon(ring(ps...))
}

// DemoZones are the demo's zones, all agreed but the last, which Israel
// proposed and Syria has yet to sign.
func DemoZones() []deconflict.ZoneContent {
	limit10 := map[string]int{"men": 6000, "tanks": 75, "artillery": 36, "heavy_artillery": 0, "sam": 0, "ssm": 0}
	limit20 := map[string]int{"heavy_artillery": 0, "sam": 0, "ssm": 0}
	limit25 := map[string]int{"sam": 0, "ssm": 0}
	notice := func(h int) deconflict.Rule { return deconflict.Rule{Rule: deconflict.RuleNotice, LeadTime: h * 3600} }
	allowed := deconflict.Rule{Rule: deconflict.RuleAllowed}
	prohibited := deconflict.Rule{Rule: deconflict.RuleProhibited}
	bandRules := map[string]deconflict.Rule{"exercise": notice(24), "artillery": notice(24), "air_patrol": notice(2), "uav_flight": notice(2),
		"ground_movement": notice(6)}
	zs := []deconflict.ZoneContent{
		{ID: "aos", Name: "Area of Separation", Names: map[string]string{"ar": "منطقة الفصل", "he": "אזור ההפרדה"}, Kind: deconflict.ZoneSeparation,
			Shape: deconflict.Shape{Geometry: aos()}, Note: illustrative,
			Rules: map[string]deconflict.Rule{"humanitarian_convoy": notice(2), "demining": notice(24), "uav_flight": notice(1)}, Default: &prohibited},
		{ID: "aol-sy-10", Name: "Area of Limitation, first 10 km (east)", Names: map[string]string{"ar": "منطقة التحديد، أول 10 كم (شرق)", "he": "אזור ההגבלה, 10 הק\"מ הראשונים (מזרח)"},
			Kind: deconflict.ZoneLimitation, Shape: deconflict.Shape{Geometry: band(bravo, 10*km)}, Limits: limit10, Rules: bandRules, Note: illustrative},
		{ID: "aol-sy-20", Name: "Area of Limitation, 20 km (east)", Names: map[string]string{"ar": "منطقة التحديد، 20 كم (شرق)", "he": "אזור ההגבלה, 20 ק\"מ (מזרח)"},
			Kind: deconflict.ZoneLimitation, Shape: deconflict.Shape{Geometry: band(bravo, 20*km)}, Limits: limit20, Note: illustrative},
		{ID: "aol-sy-25", Name: "Area of Limitation, 25 km (east)", Names: map[string]string{"ar": "منطقة التحديد، 25 كم (شرق)", "he": "אזור ההגבלה, 25 ק\"מ (מזרח)"},
			Kind: deconflict.ZoneLimitation, Shape: deconflict.Shape{Geometry: band(bravo, 25*km)}, Limits: limit25, Note: illustrative},
		{ID: "aol-il-10", Name: "Area of Limitation, first 10 km (west)", Names: map[string]string{"ar": "منطقة التحديد، أول 10 كم (غرب)", "he": "אזור ההגבלה, 10 הק\"מ הראשונים (מערב)"},
			Kind: deconflict.ZoneLimitation, Shape: deconflict.Shape{Geometry: band(alpha, -10*km)}, Limits: limit10, Rules: bandRules, Note: illustrative},
		{ID: "aol-il-20", Name: "Area of Limitation, 20 km (west)", Names: map[string]string{"ar": "منطقة التحديد، 20 كم (غرب)", "he": "אזור ההגבלה, 20 ק\"מ (מערב)"},
			Kind: deconflict.ZoneLimitation, Shape: deconflict.Shape{Geometry: band(alpha, -20*km)}, Limits: limit20, Note: illustrative},
		{ID: "aol-il-25", Name: "Area of Limitation, 25 km (west)", Names: map[string]string{"ar": "منطقة التحديد، 25 كم (غرب)", "he": "אזור ההגבלה, 25 ק\"מ (מערב)"},
			Kind: deconflict.ZoneLimitation, Shape: deconflict.Shape{Geometry: band(alpha, -25*km)}, Limits: limit25, Note: illustrative},
		{ID: "quneitra-econ", Name: "Quneitra demilitarized economic zone", Names: map[string]string{"ar": "منطقة القنيطرة الاقتصادية منزوعة السلاح", "he": "האזור הכלכלי המפורז קוניטרה"},
			Kind: deconflict.ZoneEconomic, Note: illustrative + " Both sides of the line, for the commercial desk's projects, reaching north to the terraces of Majdal Shams.",
			Shape: deconflict.Shape{Geometry: polygon(ring([2]float64{35.70, 33.09}, [2]float64{35.98, 33.09}, [2]float64{35.98, 33.17}, [2]float64{35.80, 33.17},
				[2]float64{35.80, 33.29}, [2]float64{35.74, 33.29}, [2]float64{35.74, 33.17}, [2]float64{35.70, 33.17}))},
			Rules: map[string]deconflict.Rule{"construction": allowed, "demining": allowed, "humanitarian_convoy": allowed, "ground_movement": notice(6)}, Default: &prohibited},
		{ID: "alpha-line", Name: "Alpha line", Names: map[string]string{"ar": "خط ألفا", "he": "קו אלפא"}, Kind: deconflict.ZoneLine,
			Shape: deconflict.Shape{Geometry: lineOf(alpha...), WidthM: 200}, Note: illustrative, Default: &allowed,
			Rules: map[string]deconflict.Rule{"ground_movement": notice(1), "construction": prohibited}},
		{ID: "majdal-shams", Name: "Majdal Shams", Names: map[string]string{"ar": "مجدل شمس", "he": "מג'דל שמס"}, Kind: deconflict.ZoneProtected,
			Shape: deconflict.Shape{Geometry: pointAt(35.768, 33.270), RadiusM: 1200}, BufferM: 1500, Note: illustrative + " A Druze town.",
			Rules: map[string]deconflict.Rule{"humanitarian_convoy": allowed}},
		{ID: "hadar", Name: "Hadar", Names: map[string]string{"ar": "حضر", "he": "חאדר"}, Kind: deconflict.ZoneProtected,
			Shape: deconflict.Shape{Geometry: pointAt(35.855, 33.268), RadiusM: 800}, BufferM: 1500, Note: illustrative + " A Druze village.",
			Rules: map[string]deconflict.Rule{"humanitarian_convoy": allowed}},
		{ID: "suwayda", Name: "Suwayda", Names: map[string]string{"ar": "السويداء", "he": "א-סווידא"}, Kind: deconflict.ZoneProtected,
			Shape: deconflict.Shape{Geometry: pointAt(36.566, 32.709), RadiusM: 4000}, BufferM: 3000, Note: illustrative + " The Druze city of the south.",
			Rules: map[string]deconflict.Rule{"humanitarian_convoy": allowed}},
		{ID: "quneitra-hospital", Name: "Quneitra hospital", Names: map[string]string{"ar": "مستشفى القنيطرة", "he": "בית החולים קוניטרה"}, Kind: deconflict.ZoneProtected,
			Shape: deconflict.Shape{Geometry: pointAt(35.824, 33.126), RadiusM: 150}, BufferM: 1000, Note: illustrative + " A hospital.",
			Rules: map[string]deconflict.Rule{"humanitarian_convoy": allowed}},
		{ID: "buqata", Name: "Buq'ata", Names: map[string]string{"ar": "بقعاثا", "he": "בוקעאתא"}, Kind: deconflict.ZoneProtected,
			Shape: deconflict.Shape{Geometry: pointAt(35.778, 33.201), RadiusM: 900}, BufferM: 1500, Note: illustrative + " A Druze village, proposed by Israel.",
			Rules: map[string]deconflict.Rule{"humanitarian_convoy": allowed}},
	}
	return zs
}

// deconfliction seeds the desk: the zones (all agreed but one draft), the
// declared posture, and traffic that shows what the desk does: a
// notification that named the conflict it saw, one held for the mediator,
// an objection, an incident with a verification request, and a force
// declaration over its limit.
func (s *Seeder) deconfliction(ctx context.Context, k map[string]*record.DeviceKey) (incident int64, err error) {
	as := func(who, kind string, fields map[string]any) (int64, error) {
		r, err := s.As(ctx, DemoCell, k[who], kind, fields)
		if err != nil {
			return 0, err
		}
		return r.Entry.Index, nil
	}
	zs := DemoZones()
	for i, z := range zs {
		proposer := "us.military"
		if z.ID == "buqata" {
			proposer = "il.military"
		}
		if _, err := as(proposer, deconflict.KindZonePropose, map[string]any{"zone": z}); err != nil {
			return 0, err
		}
		if i == len(zs)-1 {
			break // the draft: Israel proposed it; the others have yet to sign
		}
		hash, err := s.zoneHash(ctx, z.ID)
		if err != nil {
			return 0, err
		}
		for _, who := range []string{"us.military", "il.military", "sy.military"} {
			if _, err := as(who, deconflict.KindZoneSign, map[string]any{"zone": z.ID, "version": 1, "hash": hash}); err != nil {
				return 0, err
			}
		}
	}
	if _, err := as("us.duty", deconflict.KindPostureDeclare, map[string]any{"state": "operations_suspended",
		"since": time.Now().UTC().AddDate(0, 0, -10).Truncate(24 * time.Hour), "text": "Military operations in southern Syria are suspended under the de-escalation initiative.",
		"texts": map[string]string{"ar": "العمليات العسكرية في جنوب سوريا معلقة بموجب مبادرة خفض التصعيد.", "he": "הפעולות הצבאיות בדרום סוריה מושעות במסגרת יוזמת הפחתת ההסלמה."}}); err != nil {
		return 0, err
	}

	now := time.Now().UTC().Truncate(time.Minute)
	at := func(h float64) string { return now.Add(time.Duration(h * float64(time.Hour))).Format(time.RFC3339) }
	box := func(lng, lat, d float64) json.RawMessage {
		return polygon(ring([2]float64{lng - d, lat - d}, [2]float64{lng + d, lat - d}, [2]float64{lng + d, lat + d}, [2]float64{lng - d, lat + d}))
	}
	// Syria moves a supply convoy along the Quneitra road; Israel's UAV
	// flight over it names the convoy it saw.
	convoy, err := as("sy.military", deconflict.KindActivityNotify, map[string]any{"type": "ground_movement", "title": "Supply convoy, Khan Arnabah to Quneitra",
		"description": "Twelve trucks, escorted, no heavy weapons.", "addressed": []string{"il"}, "precedence": "PRIORITY",
		"volumes": []map[string]any{{"geometry": lineOf([2]float64{35.90, 33.17}, [2]float64{35.88, 33.13}, [2]float64{35.87, 33.10}), "width_m": 400, "start": at(8), "end": at(11)}}})
	if err != nil {
		return 0, err
	}
	if _, err := as("il.military", deconflict.KindActivityNotify, map[string]any{"type": "uav_flight", "title": "Surveillance flight east of the Bravo line",
		"description": "One unarmed UAV, 2,000–3,000 m.", "addressed": []string{"sy"}, "precedence": "PRIORITY",
		"seen":    []map[string]any{{"notification": convoy, "version": 1}},
		"volumes": []map[string]any{{"geometry": box(35.895, 33.135, 0.03), "alt_lo_m": 2000, "alt_hi_m": 3000, "start": at(9), "end": at(12)}}}); err != nil {
		return 0, err
	}
	// Israel tells the mediator alone of a flight north; Syria's drill
	// there overlaps it, which the mediator alone can see.
	if _, err := as("il.military", deconflict.KindActivityNotify, map[string]any{"type": "uav_flight", "title": "Reconnaissance north of Hadar (mediator only)",
		"addressed": []string{}, "precedence": "IMMEDIATE",
		"volumes": []map[string]any{{"geometry": box(35.90, 33.30, 0.03), "start": at(5), "end": at(14)}}}); err != nil {
		return 0, err
	}
	if _, err := as("sy.military", deconflict.KindActivityNotify, map[string]any{"type": "exercise", "title": "Company exercise north-east of Hadar",
		"addressed": []string{"il"}, "precedence": "PRIORITY",
		"volumes": []map[string]any{{"geometry": box(35.93, 33.31, 0.012), "start": at(6), "end": at(8)}}}); err != nil {
		return 0, err
	}
	// An Israeli exercise too close to Hadar, to which Syria objects.
	ex, err := as("il.military", deconflict.KindActivityNotify, map[string]any{"type": "exercise", "title": "Live-fire exercise west of Hadar",
		"addressed": []string{"sy"}, "precedence": "IMMEDIATE",
		"volumes": []map[string]any{{"geometry": pointAt(35.835, 33.262), "radius_m": 800, "start": at(48), "end": at(52)}}})
	if err != nil {
		return 0, err
	}
	if _, err := as("sy.military", deconflict.KindActivityAnswer, map[string]any{"notification": ex, "version": 1, "answer": deconflict.Objection,
		"reason": "Inside Hadar's safety buffer: the village's children walk to school on that road."}); err != nil {
		return 0, err
	}
	// Shelling reported near Hadar, and a request to verify it.
	inc, err := as("sy.military", deconflict.KindIncidentReport, map[string]any{"occurred_at": now.Add(-40 * time.Minute), "category": "shelling",
		"severity": "high", "precedence": "IMMEDIATE", "title": "Shelling on the outskirts of Hadar",
		"description": "Four impacts in olive groves 600 m south of Hadar; no casualties reported.", "addressed": []string{"il"}, "alleged": []string{"hadar"},
		"location": map[string]any{"geometry": pointAt(35.856, 33.262), "radius_m": 400}})
	if err != nil {
		return 0, err
	}
	if _, err := as("sy.military", deconflict.KindVerifyRequest, map[string]any{"incident": inc, "note": "We ask the mediator to visit the site."}); err != nil {
		return 0, err
	}
	// Syria declares its forces in the first 10 km east, over the tank
	// limit.
	if _, err := as("sy.military", deconflict.KindForceDeclare, map[string]any{"zone": "aol-sy-10",
		"counts": map[string]int{"men": 5400, "tanks": 82, "artillery": 30}}); err != nil {
		return 0, fmt.Errorf("force declaration: %w", err)
	}
	return inc, nil
}

// zoneHash reads the hash of version 1 of a zone, which the parties sign.
func (s *Seeder) zoneHash(ctx context.Context, id string) (string, error) {
	o, err := s.Store.View(DemoCell).Get(ctx, deconflict.ObjZoneVersion, deconflict.ZoneVersionID(id, 1))
	if err != nil {
		return "", err
	}
	var v deconflict.ZoneVersion
	if err := json.Unmarshal(o.Doc, &v); err != nil {
		return "", err
	}
	return v.Hash, nil
}
