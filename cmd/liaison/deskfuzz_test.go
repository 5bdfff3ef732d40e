package main

import (
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/seed"
)

// FuzzZonesFromFile feeds the import's reader arbitrary files. It must not
// panic; every zone it accepts must be one the server's check accepts
// again unchanged (its geometry already canonical, so that its hash is the
// one the server will compute), and every feature it refuses must say why.
func FuzzZonesFromFile(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","properties":{"name":"A","kind":"protected","radius_m":300},"geometry":{"type":"Point","coordinates":[36.35,33.4]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","name":"zones","crs":{"type":"name","properties":{"name":"EPSG:4326"}},"features":[{"type":"Feature","properties":{"id":"b","name":"B","kind":"limitation","limits":{"tanks":3},"status":"draft","hash":"00"},"geometry":` + freeBox + `}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"c","properties":{"name":"C","kind":"line","width_m":200,"rules":{"construction":{"rule":"prohibited"}},"default":{"rule":"notice","lead_time_s":3600}},"geometry":{"type":"LineString","coordinates":[[35.9,33.1],[35.95,33.2]]}}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","properties":{"id":"y","name":"X","kind":"economic"},"geometry":` + freeBox + `},{"type":"Feature","properties":{"name":"none"},"geometry":` + freeBox + `}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"export","properties":{"name":"E","kind":"economic","unknown":1},"geometry":` + freeBox + `}]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"ok","properties":{"name":"A","kind":"economic"},"geometry":` + freeBox + `},{"type":"Feature","id":"bad","properties":{"name":"B","kind":"economic"},"geometry":{"type":"Polygon","coordinates":[[[36.5,33.0],[36.6,33.1],[36.6,33.0],[36.5,33.1],[36.5,33.0]]]}},{"type":"Feature","id":"ok","geometry":` + freeBox + `}]}`))
	region := seed.DemoRegion
	f.Fuzz(func(t *testing.T, data []byte) {
		zs, err := zonesFromFile(data, &region)
		if err != nil {
			return
		}
		for i, z := range zs {
			if z.index != i {
				t.Fatalf("feature %d reported as %d", i, z.index)
			}
			if z.err != nil {
				if !strings.Contains(z.err.Error(), "features[") {
					t.Fatalf("a refusal that does not name its feature: %v", z.err)
				}
				continue
			}
			again := z.zone
			if err := deconflict.CheckZone(&again, &region); err != nil {
				t.Fatalf("accepted zone %s is refused by the server's check: %v", z.zone.ID, err)
			}
			if deconflict.ZoneHash(again) != deconflict.ZoneHash(z.zone) {
				t.Fatalf("zone %s is not in canonical form: %s became %s", z.zone.ID, z.zone.Geometry, again.Geometry)
			}
		}
	})
}

// FuzzParseWhen: no panic, and a time accepted is now shifted by the
// duration written, or an RFC 3339 time that prints back to itself.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"now", "now+2h", "now-30m", "now+1d12h", "now+2d", "2026-12-02T14:00:00Z", "2026-12-02T16:00:00+02:00", "now+", "now+9999999999d"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 1, 22, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseWhen(s, now)
		if err != nil {
			return
		}
		if !strings.HasPrefix(strings.TrimSpace(s), "now") {
			if _, err := time.Parse(time.RFC3339, got.Format(time.RFC3339Nano)); err != nil {
				t.Fatalf("%q read as %v, which does not print back", s, got)
			}
		}
	})
}
