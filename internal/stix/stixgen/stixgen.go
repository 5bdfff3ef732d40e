// Package stixgen makes STIX 2.1 bundles for tests, benchmarks and the
// demo: large ones shaped like a party's MISP or OpenCTI export, and small
// readable reports. It imports nothing of the project, so that the stix
// package's own tests can use it.
package stixgen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// The standard TLP 2.0 marking definitions (stix.TLPClearID and the rest).
const (
	TLPClear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLPGreen       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLPAmber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLPAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLPRed         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// scos are the observable types Bundle emits, which have no created or
// modified.
var scos = map[string]bool{"ipv4-addr": true}

// Bundle is a bundle of n objects as a party's MISP or OpenCTI might
// export them in one go: for every 20 objects, 8 indicators (TLP-marked,
// with custom MISP properties, a kill chain, an external reference and a
// granular marking), 2 IPv4 observables, 1 observed data, 3 sightings, 4
// relationships, 1 location and 1 identity or threat actor; a report over
// the last 100 objects closes each thousand.
func Bundle(n int) []byte { return BundleSeed(n, 7) }

// BundleSeed is Bundle with other random choices, and so other ids: a
// benchmark submits a bundle of new objects each time.
func BundleSeed(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	id := func(typ string) string {
		var u [16]byte
		for i := range u {
			u[i] = byte(rng.IntN(256))
		}
		u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
		return fmt.Sprintf("%s--%x-%x-%x-%x-%x", typ, u[:4], u[4:6], u[6:8], u[8:10], u[10:])
	}
	ts := func() string {
		return fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), rng.IntN(1000))
	}
	tlps := []string{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}
	var buf bytes.Buffer
	buf.WriteString(`{"type":"bundle","id":"` + id("bundle") + `","objects":[`)
	var recent, indicators, ips, locations, sdos []string
	count := 0
	emit := func(typ, oid, body string) {
		if count > 0 {
			buf.WriteByte(',')
		}
		count++
		t := ts()
		core := `"type":"` + typ + `","id":"` + oid + `"`
		if !scos[typ] {
			core = `"type":"` + typ + `","spec_version":"2.1","id":"` + oid + `","created":"` + t + `","modified":"` + t + `"`
		}
		buf.WriteString("{" + core + body + "}")
		recent = append(recent, oid)
		if len(recent) > 100 {
			recent = recent[1:]
		}
	}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	identity := id("identity")
	emit("identity", identity, `,"name":"analysts","identity_class":"organization"`)
	for count < n {
		switch k := count % 20; {
		case count%1000 == 999:
			refs := `"` + strings.Join(recent, `","`) + `"`
			emit("report", id("report"), `,"name":"weekly","published":"`+ts()+`","object_refs":[`+refs+`],"object_marking_refs":["`+pick(tlps)+`"]`)
		case k < 8:
			ip := fmt.Sprintf("198.51.%d.%d", rng.IntN(256), rng.IntN(256))
			oid := id("indicator")
			indicators = append(indicators, oid)
			emit("indicator", oid, `,"created_by_ref":"`+identity+`","name":"C2 `+ip+`","description":"beacon seen from the sector","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '`+ip+`']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","kill_chain_phases":[{"kill_chain_name":"lockheed-martin-cyber-kill-chain","phase_name":"command-and-control"}],"external_references":[{"source_name":"misp","url":"https://misp.example/events/view/`+fmt.Sprint(rng.IntN(99999))+`","description":"event"}],"object_marking_refs":["`+pick(tlps)+`"],"granular_markings":[{"marking_ref":"`+TLPRed+`","selectors":["description"]}],"labels":["c2"],"confidence":`+fmt.Sprint(rng.IntN(101))+`,"x_misp_category":"Network activity","x_misp_to_ids":true`)
		case k < 10:
			oid := id("ipv4-addr")
			ips = append(ips, oid)
			emit("ipv4-addr", oid, fmt.Sprintf(`,"value":"203.0.%d.%d"`, rng.IntN(256), rng.IntN(256)))
		case k < 11:
			emit("observed-data", id("observed-data"), `,"first_observed":"2026-01-01T00:00:00Z","last_observed":"2026-01-02T00:00:00Z","number_observed":`+fmt.Sprint(1+rng.IntN(50))+`,"object_refs":["`+pick(ips)+`"]`)
		case k < 14:
			where := ""
			if len(locations) > 0 {
				where = `,"where_sighted_refs":["` + pick(locations) + `"]`
			}
			emit("sighting", id("sighting"), `,"sighting_of_ref":"`+pick(indicators)+`","count":`+fmt.Sprint(1+rng.IntN(9))+where)
		case k < 18:
			if len(sdos) == 0 {
				oid := id("threat-actor")
				sdos = append(sdos, oid)
				emit("threat-actor", oid, `,"name":"unit","threat_actor_types":["nation-state"]`)
				continue
			}
			emit("relationship", id("relationship"), `,"relationship_type":"indicates","source_ref":"`+pick(indicators)+`","target_ref":"`+pick(sdos)+`"`)
		case k < 19:
			oid := id("location")
			locations = append(locations, oid)
			emit("location", oid, fmt.Sprintf(`,"latitude":%.5f,"longitude":%.5f,"country":"SY","street_address":"road %d"`, 32+2*rng.Float64(), 35+2*rng.Float64(), rng.IntN(200)))
		default:
			oid := id("threat-actor")
			sdos = append(sdos, oid)
			emit("threat-actor", oid, `,"name":"unit `+fmt.Sprint(len(sdos))+`","threat_actor_types":["nation-state"],"x_opencti_score":`+fmt.Sprint(rng.IntN(100)))
		}
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}
