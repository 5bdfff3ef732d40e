package commerce_test

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/commerce"
)

// The IATI 2.03 schemas are project data under shared/, beside the
// repository, or wherever LIAISON_IATI_SCHEMAS names.
func iatiSchema(t *testing.T) string {
	t.Helper()
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
	return xsd
}

// exports builds a registry with a published total, a disclosed pledge and
// a project with nothing pledged, and exports it as Syria reads it.
func exports(t *testing.T) ([]byte, []byte) {
	f := newFixture(t)
	f.OK("il.com", commerce.KindProjectRegister, project("w"))
	f.OK("sy.com", commerce.KindProjectRegister, map[string]any{"project": map[string]any{"id": "farm", "title": "Orchards & terraces",
		"titles": map[string]string{"ar": "البساتين والمدرجات", "he": "מטעים וטרסות"}, "description": "Apple orchards on the terraces <east>.",
		"sector": "agriculture", "zone": "econ", "currency": "USD", "stage": "feasibility"}})
	for _, p := range []struct {
		who, id string
		n       int64
	}{{"jo.com", "jo-1", 12_345_678}, {"gf.com", "gf-1", 20_000_000}, {"eu.com", "eu-1", 7_000_000}} {
		f.OK(p.who, commerce.KindPledgeMake, pledge(p.id, p.n))
	}
	fd, _, why, err := commerce.Publishable(f.Ctx, f.St.View("c1"), "w")
	if err != nil || why != "" {
		t.Fatal(why, err)
	}
	f.OK("us.com", commerce.KindFundingPublish, map[string]any{"project": "w", "total": fd.Total, "funders": fd.Funders})
	var ds []commerce.ProjectDetail
	for _, id := range []string{"w", "farm"} {
		d, err := commerce.GetProject(f.Ctx, f.ViewOf("sy.com"), id, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	places, err := commerce.Places(f.Ctx, f.ViewOf("sy.com"), ds)
	if err != nil {
		t.Fatal(err)
	}
	x, err := commerce.IATI(ds, places, commerce.Reporter{Ref: "XM-LIAISON-c1", Name: "Test liaison mechanism"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := commerce.CSV(ds)
	if err != nil {
		t.Fatal(err)
	}
	return x, c
}

func TestIATIExportValidates(t *testing.T) {
	xsd := iatiSchema(t)
	x, _ := exports(t)
	path := filepath.Join(t.TempDir(), "activities.xml")
	if err := os.WriteFile(path, x, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", "--schema", xsd, path).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint refuses the export: %v\n%s\n%s", err, out, x)
	}
	for _, want := range []string{"<iati-identifier>XM-LIAISON-c1-w</iati-identifier>", `<sector code="23210" vocabulary="1">`, "Anonymous funders (3)", ">39000000<", `xml:lang="ar"`, "&lt;east&gt;",
		// The zone, a square 35.8-35.9 E by 33.0-33.1 N, at its centre.
		`<location ref="econ">`, `<location-reach code="1"></location-reach>`, "<narrative>Economic zone</narrative>",
		`<point srsName="http://www.opengis.net/def/crs/EPSG/0/4326">`, "<pos>33.050", " 35.850000</pos>", `<exactness code="2">`} {
		if !bytes.Contains(x, []byte(want)) {
			t.Errorf("the export lacks %s", want)
		}
	}
	for _, secret := range []string{"12345678", "20000000", "7000000<", "Disbursed as turbines arrive", ">jo<", ">gf<"} {
		if bytes.Contains(x, []byte(secret)) {
			t.Errorf("the export reveals %s of a confidential pledge", secret)
		}
	}
}

func TestCSVExport(t *testing.T) {
	_, c := exports(t)
	rows, err := csv.NewReader(bytes.NewReader(c)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][0] != "w" || rows[1][7] != "39000000" || rows[1][8] != "3" || rows[2][5] != "feasibility" {
		t.Errorf("the CSV: %q", rows)
	}
	if strings.Contains(string(c), "12345678") {
		t.Error("the CSV reveals a confidential pledge")
	}
}
