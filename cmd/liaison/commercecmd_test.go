package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-cell/liaison/internal/testlog"
)

// lineOf is the line of a table that starts with id.
func lineOf(t *testing.T, table, id string) string {
	t.Helper()
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), id+" ") {
			return l
		}
	}
	t.Errorf("no line for %s in:\n%s", id, table)
	return ""
}

// The registry from terminals, on the demo: the wind farm's published
// total, the ski resort's lifts held by the open drone incident (which
// the refusal names, with a non-zero exit), a project registered from a
// file and moved through its stages, interest, and a total that only the
// mediator publishes, and only when the rule lets it.
func TestProjectsVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	sy, il, us, joDuty := signIn(t, d, url, "sy.commercial"), signIn(t, d, url, "il.commercial"), signIn(t, d, url, "us.commercial"), signIn(t, d, url, "jo.duty")

	table := sy.asOK("", "projects")
	mustContain(t, "the wind farm's row", lineOf(t, table, "golan-wind"), "Ridge wind farm", "energy", "financing", "quneitra-econ", "Turbines ordered", "HELD", "USD 87,000,000")
	mustContain(t, "the ski resort's row", lineOf(t, table, "hermon-ski"), "tourism", "implementation", "Lift installation", "HELD")
	mustContain(t, "the orchards' row", lineOf(t, table, "druze-orchards"), "agriculture", "feasibility", "Water study", " no ")
	if strings.Contains(lineOf(t, table, "druze-orchards"), "USD") {
		t.Errorf("the orchards have a published total:\n%s", table)
	}
	mustContain(t, "projects list", sy.asOK("", "projects", "list"), "golan-wind")

	show := sy.asOK("", "projects", "show", "hermon-ski")
	mustContain(t, "the ski resort", show, "Project hermon-ski: Hermon slopes ski resort", "he: אתר הסקי", "tourism (IATI 33210)", "stage implementation",
		"road: Access road", "REACHED", "lifts: Lift installation", "HELD", "zone quneitra-econ agreed and quiet", "FAILS since ", "Drone over the planned lift station", "is open",
		"published total: none published", "Alerts (a gate failing while the project is in implementation):", "milestone lifts: incident ")
	if show := joDuty.asOK("", "projects", "show", "hermon-ski"); strings.Contains(show, "Alerts") || strings.Contains(show, "Drone") {
		t.Errorf("Jordan, who does not read the drone incident, reads its alert:\n%s", show)
	}
	mustContain(t, "the wind farm", sy.asOK("", "projects", "show", "golan-wind"), "published total: USD 87,000,000 from 3 confidential pledges",
		"survey: Environmental survey", "REACHED", "the cell's posture at normal: FAILS since", "the cell's posture is operations_suspended", "Jordan's national grid operator")

	code, _, errs := il.as("", "projects", "reach", "hermon-ski", "lifts", "--note", "Lifts up.")
	if code == 0 {
		t.Error("the held milestone was marked reached")
	}
	mustContain(t, "the refusal of the held milestone", errs, "Milestone lifts of hermon-ski was not marked reached", "Drone over the planned lift station", "is open",
		"FAILS since ", "nothing was sent")
	mustContain(t, "the lifts after the refusal", sy.asOK("", "projects", "show", "hermon-ski"), "lifts: Lift installation, due")
	if s := sy.asOK("", "projects", "show", "hermon-ski"); strings.Contains(s, "Lifts up.") {
		t.Errorf("the refused note is recorded:\n%s", s)
	}

	doc := writeFile(t, "market.json", `{"id": "border-market", "title": "Border market hall", "description": "A covered market at the crossing.",
		"sector": "infrastructure", "zone": "quneitra-econ", "currency": "USD", "sponsors": ["Crossing traders' association"],
		"milestones": [{"id": "design", "title": "Design approved", "due": "2027-03-01T00:00:00Z"}]}`)
	mustContain(t, "register", il.asOK("", "projects", "register", doc), "Registered project border-market", "Border market hall", "stage concept", "1 milestones")
	mustContain(t, "register again", il.asFail("", "projects", "register", doc), "was refused", "exists")
	mustContain(t, "a file that is not JSON", il.asFail("", "projects", "register", writeFile(t, "x.json", "{")), "is not a JSON object", "nothing was sent")
	mustContain(t, "a stage out of turn", il.asFail("", "projects", "stage", "border-market", "operating"), "was refused", "from concept a project moves to feasibility")
	mustContain(t, "no such stage", il.asFail("", "projects", "stage", "border-market", "done"), `stage "done"`, "nothing was sent")
	mustContain(t, "another party's project", sy.asFail("", "projects", "stage", "border-market", "feasibility"), "il's and the mediator's")
	mustContain(t, "stage", il.asOK("", "projects", "stage", "border-market", "feasibility"), "moved from concept to feasibility (version 2")
	mustContain(t, "reach", il.asOK("", "projects", "reach", "border-market", "design", "--note", "Drawings signed."), "Milestone design of border-market (Design approved) reached")
	mustContain(t, "suspend", us.asOK("", "projects", "stage", "border-market", "suspended"), "moved from feasibility to suspended")
	mustContain(t, "resume", il.asOK("", "projects", "stage", "border-market", "feasibility"), "moved from suspended to feasibility")
	mustContain(t, "interest without text", joDuty.asFail("", "projects", "interest", "border-market"), "--text is required")
	joDuty.asOK("", "projects", "interest", "border-market", "--text", "Stalls for Jordanian growers.", "--org", "Irbid growers")
	mustContain(t, "the market", sy.asOK("", "projects", "show", "border-market"), "design: Design approved", "REACHED", "note: Drawings signed.",
		"Irbid growers, through jo (jo.duty)", "Stalls for Jordanian growers.", "stage feasibility")

	mustContain(t, "a side publishes", sy.asFail("", "projects", "publish", "golan-wind"), "the mediator publishes funding totals", "nothing was sent")
	mustContain(t, "nothing changed since the last total", us.asFail("", "projects", "publish", "golan-wind", "--yes"),
		"no total of golan-wind may be published now", "fewer than three funders' pledges changed", "nothing was sent")
	mustContain(t, "no pledges at all", us.asFail("", "projects", "publish", "border-market", "--yes"), "fewer than three confidential pledges")
}

// validIATI checks an export against the IATI 2.03 activities schema
// beside the repository (or where LIAISON_IATI_SCHEMAS says) with xmllint,
// in a subtest that skips, saying why, where either is missing.
func validIATI(t *testing.T, name, path string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		dir := os.Getenv("LIAISON_IATI_SCHEMAS")
		if dir == "" {
			dir = filepath.Join("..", "..", "..", "shared", "iati-schemas")
		}
		xsd := filepath.Join(dir, "iati-activities-schema.xsd")
		if _, err := os.Stat(xsd); err != nil {
			t.Skipf("the IATI 2.03 schemas are not at %s (set LIAISON_IATI_SCHEMAS to their folder): %v", dir, err)
		}
		if _, err := exec.LookPath("xmllint"); err != nil {
			t.Skip("xmllint is not installed (Debian's libxml2-utils; .ci/run installs it)")
		}
		if out, err := exec.Command("xmllint", "--noout", "--schema", xsd, path).CombinedOutput(); err != nil {
			t.Errorf("xmllint refuses %s: %v\n%s", path, err, out)
		}
	})
}

// Pledges from terminals: Jordan pledges to the orchards, which Syria does
// not read, in its list or on the project; the mediator reads every
// pledge; with three, the mediator publishes the total once asked and
// confirmed; the exports hold no confidential amount and validate; a
// disclosure restates the pledge as it stands, after a confirmation, and
// then every party reads it.
func TestPledgeVerbs(t *testing.T) {
	d := testlog.NewDemo(t)
	url := startServer(t, d)
	jo, sy, il, us := signIn(t, d, url, "jo.commercial"), signIn(t, d, url, "sy.commercial"), signIn(t, d, url, "il.commercial"), signIn(t, d, url, "us.commercial")
	rpa, rpb := signIn(t, d, url, "rpa.commercial"), signIn(t, d, url, "rpb.commercial")

	mustContain(t, "a side pledges", il.asFail("", "pledge", "make", "druze-orchards", "1000000"), "was refused", "observer party")
	mustContain(t, "a pledge of nothing", jo.asFail("", "pledge", "make", "druze-orchards", "0"), "pledges something", "nothing was sent")
	mustContain(t, "not an amount", jo.asFail("", "pledge", "make", "druze-orchards", "5M"), `"5M" is not an amount`)
	out := jo.asOK("", "pledge", "make", "druze-orchards", "5,000,000", "--id", "jo-orchards", "--conditions", "Once the water study is in.")
	mustContain(t, "make", out, "Pledged USD 5,000,000 to druze-orchards (Terraced orchards of the Druze villages) as pledge jo-orchards", "your party and the mediator read it",
		"liaison pledge disclose jo-orchards")
	mine := jo.asOK("", "pledge")
	mustContain(t, "Jordan's pledges", mine, "jo-wind", "golan-wind", "USD 18,500,000", "jo-orchards", "USD 5,000,000", "Once the water study is in.")
	if strings.Contains(mine, "rpa-wind") {
		t.Errorf("Jordan lists another funder's pledge:\n%s", mine)
	}
	mustContain(t, "Jordan's view of the orchards", jo.asOK("", "projects", "show", "druze-orchards"), "Your party's pledges", "jo-orchards", "USD 5,000,000")

	mustContain(t, "Syria's pledges", sy.asOK("", "pledge"), "No pledge that your party may read")
	orchards := sy.asOK("", "projects", "show", "druze-orchards")
	for _, secret := range []string{"jo-orchards", "5,000,000", "pledges (", "Once the water study"} {
		if strings.Contains(orchards, secret) {
			t.Errorf("Syria's view of the orchards shows %q:\n%s", secret, orchards)
		}
	}
	mustContain(t, "Syria asks for Jordan's pledge", sy.asFail("", "pledge", "show", "jo-orchards"), "Not found")
	mustContain(t, "the mediator's pledges", us.asOK("", "pledge"), "jo-wind", "rpa-wind", "rpb-wind", "jo-orchards")
	mustContain(t, "the mediator's view of the orchards", us.asOK("", "projects", "show", "druze-orchards"), "Every pledge", "jo-orchards")

	// Each update restates the version it read: the second amends the first's.
	mustContain(t, "update", jo.asOK("", "pledge", "update", "jo-orchards", "5500000"), "Pledge jo-orchards: USD 5,500,000, was USD 5,000,000 (version 2")
	mustContain(t, "update again", jo.asOK("", "pledge", "update", "jo-orchards", "6000000"), "Pledge jo-orchards: USD 6,000,000, was USD 5,500,000 (version 3")
	mustContain(t, "a bad date", jo.asFail("", "pledge", "disburse", "jo-orchards", "1000000", "--date", "1 Dec"), `--date "1 Dec"`, "nothing was sent")
	mustContain(t, "too much", jo.asFail("", "pledge", "disburse", "jo-orchards", "7000000", "--date", "2026-12-01"), "was refused", "at most what remains")
	mustContain(t, "disburse", jo.asOK("", "pledge", "disburse", "jo-orchards", "1000000", "--date", "2026-12-01", "--note", "First tranche."),
		"Recorded USD 1,000,000 paid against pledge jo-orchards on 2026-12-01", "1,000,000 of USD 6,000,000 disbursed")
	mustContain(t, "the pledge", jo.asOK("", "pledge", "show", "jo-orchards"), "paid USD 1,000,000 on 2026-12-01, recorded by jo.commercial", "First tranche.")

	rpa.asOK("", "pledge", "make", "druze-orchards", "3100000")
	rpb.asOK("", "pledge", "make", "druze-orchards", "2400000")
	code, _, errs := us.as("n\n", "projects", "publish", "druze-orchards")
	if code == 0 {
		t.Error("published without a yes")
	}
	mustContain(t, "publish declined", errs, "Sign and publish it?", "not published")
	mustContain(t, "no total yet", sy.asOK("", "projects", "show", "druze-orchards"), "published total: none published")
	mustContain(t, "publish", us.asOK("y\n", "projects", "publish", "druze-orchards"),
		"lets you publish of druze-orchards: USD 11,000,000 from 3 confidential pledges", "Published USD 11,000,000 as the total of druze-orchards")
	mustContain(t, "the total as Syria reads it", lineOf(t, sy.asOK("", "projects"), "druze-orchards"), "USD 11,000,000")

	before := filepath.Join(t.TempDir(), "before.xml")
	sy.asOK("", "export", "--iati", "-o", before)
	validIATI(t, "IATIValidBefore", before)
	x := string(readFile(t, before))
	csv := sy.asOK("", "export", "--csv")
	mustContain(t, "the IATI export", x, "<iati-activities", "XM-LIAISON-"+testlog.Cell+"-druze-orchards", "Anonymous funders (3)", ">11000000<")
	mustContain(t, "the CSV export", csv, "id,title,", "druze-orchards,", "11000000")
	for _, secret := range []string{"18500000", "42000000", "27250000", "6000000", "3100000", "2400000", "Regional partner"} {
		if strings.Contains(x, secret) || strings.Contains(csv, secret) {
			t.Errorf("an export reveals the confidential %q", secret)
		}
	}
	mustContain(t, "two exports at once", sy.asFail("", "export", "--iati", "--csv"), "one at a time")

	mustContain(t, "a disclosure without a name", jo.asFail("", "pledge", "disclose", "jo-orchards"), "--name is required")
	code, out, errs = jo.as("n\n", "pledge", "disclose", "jo-orchards", "--name", "Hashemite Kingdom of Jordan")
	if code == 0 {
		t.Error("disclosed without a yes")
	}
	mustContain(t, "disclose declined", out+errs, "Disclosing pledge jo-orchards to druze-orchards: USD 6,000,000", "cannot be taken back", "not disclosed")
	if s := sy.asOK("", "projects", "show", "druze-orchards"); strings.Contains(s, "Hashemite") {
		t.Errorf("a declined disclosure is read:\n%s", s)
	}
	mustContain(t, "disclose", jo.asOK("y\n", "pledge", "disclose", "jo-orchards", "--name", "Hashemite Kingdom of Jordan"),
		"USD 6,000,000, named as \"Hashemite Kingdom of Jordan\"", "Disclosed at log index", "every party reads Hashemite Kingdom of Jordan's pledge of USD 6,000,000")
	for who, c := range map[string]*cli{"sy": sy, "il": il, "rpa": rpa} {
		mustContain(t, who+"'s view of the disclosure", c.asOK("", "projects", "show", "druze-orchards"), "disclosed: Hashemite Kingdom of Jordan, USD 6,000,000 (pledge jo-orchards")
	}
	mustContain(t, "disclose again", jo.asFail("", "pledge", "disclose", "jo-orchards", "--name", "Jordan", "--yes"), "disclosed already")
	after := filepath.Join(t.TempDir(), "after.xml")
	sy.asOK("", "export", "--iati", "-o", after)
	validIATI(t, "IATIValidAfter", after)
	mustContain(t, "the IATI export after the disclosure", string(readFile(t, after)), "Hashemite Kingdom of Jordan", ">6000000<")
}
