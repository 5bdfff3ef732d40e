package commerce

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/store"
)

// The registry as the field reads it: IATI 2.03 activity XML, which
// donors' systems and OCHA's trackers import, and CSV. Both hold what
// every party reads and nothing else: the confidential funders are left
// out, their published total stands as one anonymous commitment, and a
// disclosed pledge as its funder's.

// Reporter is the organisation that publishes the export (the cell, on
// the mediator's behalf): its IATI organisation identifier and name.
type Reporter struct {
	Ref  string // e.g. XM-LIAISON-il-sy
	Name string
	Type string // IATI OrganisationType code; 10 (government) when empty
}

type iatiNarrative struct {
	Lang string `xml:"xml:lang,attr,omitempty"`
	Text string `xml:",chardata"`
}

type iatiOrg struct {
	Ref        string          `xml:"ref,attr,omitempty"`
	Type       string          `xml:"type,attr,omitempty"`
	Role       string          `xml:"role,attr,omitempty"`
	Narratives []iatiNarrative `xml:"narrative"`
}

type iatiText struct {
	Type       string          `xml:"type,attr,omitempty"`
	Narratives []iatiNarrative `xml:"narrative"`
}

type iatiCode struct {
	Code       string `xml:"code,attr"`
	Vocabulary string `xml:"vocabulary,attr,omitempty"`
}

type iatiDate struct {
	Type    string `xml:"type,attr"`
	ISODate string `xml:"iso-date,attr"`
}

type iatiValue struct {
	Currency  string `xml:"currency,attr,omitempty"`
	ValueDate string `xml:"value-date,attr"`
	Amount    int64  `xml:",chardata"`
}

type iatiTransaction struct {
	Type        iatiCode   `xml:"transaction-type"`
	Date        iatiDateOf `xml:"transaction-date"`
	Value       iatiValue  `xml:"value"`
	Description *iatiText  `xml:"description,omitempty"`
	Provider    *iatiOrg   `xml:"provider-org,omitempty"`
}

type iatiDateOf struct {
	ISODate string `xml:"iso-date,attr"`
}

// iatiLocation is where an activity takes place (IATI's location): the
// zone of the de-escalation desk a project lies in, or its site, by name
// and the centroid of its shape.
type iatiLocation struct {
	Ref         string     `xml:"ref,attr,omitempty"`
	Reach       iatiCode   `xml:"location-reach"`
	Name        iatiText   `xml:"name"`
	Description *iatiText  `xml:"description,omitempty"`
	Point       *iatiPoint `xml:"point,omitempty"`
	Exactness   *iatiCode  `xml:"exactness,omitempty"`
}

// iatiPoint is GML's point as IATI takes it: "lat lng", in WGS 84.
type iatiPoint struct {
	SRSName string `xml:"srsName,attr"`
	Pos     string `xml:"pos"`
}

// srsWGS84 is the one reference system IATI's point takes.
const srsWGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"

type iatiActivity struct {
	XMLName         xml.Name          `xml:"iati-activity"`
	LastUpdated     string            `xml:"last-updated-datetime,attr"`
	Lang            string            `xml:"xml:lang,attr"`
	DefaultCurrency string            `xml:"default-currency,attr"`
	Identifier      string            `xml:"iati-identifier"`
	Reporting       iatiOrg           `xml:"reporting-org"`
	Title           iatiText          `xml:"title"`
	Description     []iatiText        `xml:"description"`
	Participating   []iatiOrg         `xml:"participating-org"`
	Status          iatiCode          `xml:"activity-status"`
	Dates           []iatiDate        `xml:"activity-date"`
	Locations       []iatiLocation    `xml:"location"`
	Sectors         []iatiCode        `xml:"sector"`
	Transactions    []iatiTransaction `xml:"transaction"`
}

type iatiActivities struct {
	XMLName    xml.Name       `xml:"iati-activities"`
	Version    string         `xml:"version,attr"`
	Generated  string         `xml:"generated-datetime,attr"`
	Activities []iatiActivity `xml:"iati-activity"`
}

// activityStatus maps a stage to IATI's ActivityStatus codes: 1
// pipeline/identification, 2 implementation, 3 finalisation, 6 suspended.
func activityStatus(stage string) string {
	switch stage {
	case Implementation:
		return "2"
	case Operating:
		return "3"
	case Suspended:
		return "6"
	}
	return "1"
}

func narratives(text string, texts map[string]string) []iatiNarrative {
	out := []iatiNarrative{{Text: text}}
	for _, lang := range slices.Sorted(maps.Keys(texts)) {
		if lang != "en" {
			out = append(out, iatiNarrative{Lang: lang, Text: texts[lang]})
		}
	}
	return out
}

// Places returns the place of every zone and site the projects lie in, as
// v reads them, for IATI: a zone the reader does not read is left out, and
// its project's location is then named by the zone's id alone.
func Places(ctx context.Context, v store.View, projects []ProjectDetail) (map[string]deconflict.Place, error) {
	out := map[string]deconflict.Place{}
	for _, p := range projects {
		for _, id := range []string{p.Zone, p.Site} {
			if _, done := out[id]; done || id == "" {
				continue
			}
			pl, err := deconflict.PlaceOf(ctx, v, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out[id] = pl
		}
	}
	return out, nil
}

// location is a zone's or site's IATI location: its names, and its
// centroid as the point, approximate (exactness 2) since a zone is an
// area.
func location(id string, places map[string]deconflict.Place) iatiLocation {
	l := iatiLocation{Ref: id, Reach: iatiCode{Code: "1"}, Name: iatiText{Narratives: []iatiNarrative{{Text: id}}}}
	pl, ok := places[id]
	if !ok {
		return l
	}
	l.Name.Narratives = narratives(pl.Name, pl.Names)
	if pl.Point != nil {
		what := fmt.Sprintf("The centroid of version %d of the zone, agreed by the parties", pl.Version)
		if !pl.Agreed {
			what = fmt.Sprintf("The centroid of version %d of the zone, proposed and not yet agreed", pl.Version)
		}
		l.Description = &iatiText{Narratives: []iatiNarrative{{Text: what}}}
		l.Point = &iatiPoint{SRSName: srsWGS84, Pos: strconv.FormatFloat(pl.Point.Lat, 'f', 6, 64) + " " + strconv.FormatFloat(pl.Point.Lng, 'f', 6, 64)}
		l.Exactness = &iatiCode{Code: "2"}
	}
	return l
}

// IATI writes projects as an IATI 2.03 activities file, as their reader
// reads them (ProjectDetail from GetProject over the reader's view, places
// from Places over the same): published totals and disclosed pledges as
// incoming commitments (transaction type 11), confidential pledges never;
// the project's zone, and its site, as its locations.
func IATI(projects []ProjectDetail, places map[string]deconflict.Place, r Reporter, now time.Time) ([]byte, error) {
	if r.Type == "" {
		r.Type = "10"
	}
	doc := iatiActivities{Version: "2.03", Generated: now.UTC().Format(time.RFC3339)}
	for _, p := range projects {
		a := iatiActivity{
			LastUpdated: p.At.UTC().Format(time.RFC3339), Lang: "en", DefaultCurrency: p.Currency,
			Identifier:  r.Ref + "-" + p.ID,
			Reporting:   iatiOrg{Ref: r.Ref, Type: r.Type, Narratives: []iatiNarrative{{Text: r.Name}}},
			Title:       iatiText{Narratives: narratives(p.Title, p.Titles)},
			Description: []iatiText{{Type: "1", Narratives: narratives(p.Description, p.Descriptions)}},
			Status:      iatiCode{Code: activityStatus(p.Stage)},
			Sectors:     []iatiCode{{Vocabulary: "1", Code: Sectors[p.Sector]}},
		}
		for _, s := range p.Sponsors {
			a.Participating = append(a.Participating, iatiOrg{Role: "4", Narratives: []iatiNarrative{{Text: s}}})
		}
		for _, d := range p.Disclosures {
			a.Participating = append(a.Participating, iatiOrg{Role: "1", Narratives: []iatiNarrative{{Text: d.Name}}})
			a.Transactions = append(a.Transactions, iatiTransaction{Type: iatiCode{Code: "11"}, Date: iatiDateOf{d.At.UTC().Format(time.DateOnly)},
				Value:    iatiValue{Currency: d.Currency, ValueDate: d.At.UTC().Format(time.DateOnly), Amount: d.Amount},
				Provider: &iatiOrg{Narratives: []iatiNarrative{{Text: d.Name}}}})
		}
		if f := p.Funding; f != nil {
			anon := fmt.Sprintf("Anonymous funders (%d)", f.Funders)
			a.Participating = append(a.Participating, iatiOrg{Role: "1", Narratives: []iatiNarrative{{Text: anon}}})
			a.Transactions = append(a.Transactions, iatiTransaction{Type: iatiCode{Code: "11"}, Date: iatiDateOf{f.At.UTC().Format(time.DateOnly)},
				Value:       iatiValue{Currency: f.Currency, ValueDate: f.At.UTC().Format(time.DateOnly), Amount: f.Total},
				Description: &iatiText{Narratives: []iatiNarrative{{Text: "Confidential pledges, as a total rounded down to two significant digits"}}},
				Provider:    &iatiOrg{Narratives: []iatiNarrative{{Text: anon}}}})
		}
		if len(a.Participating) == 0 {
			// IATI wants one participating organisation at least: the
			// registering party, as the implementer until sponsors are named.
			a.Participating = []iatiOrg{{Role: "4", Narratives: []iatiNarrative{{Text: p.Party}}}}
		}
		a.Dates = append(a.Dates, iatiDate{Type: "1", ISODate: p.At.UTC().Format(time.DateOnly)})
		if len(p.Milestones) > 0 {
			last := slices.MaxFunc(p.Milestones, func(x, y Milestone) int { return x.Due.Compare(y.Due) })
			a.Dates = append(a.Dates, iatiDate{Type: "3", ISODate: last.Due.UTC().Format(time.DateOnly)})
		}
		a.Locations = append(a.Locations, location(p.Zone, places))
		if p.Site != "" {
			a.Locations = append(a.Locations, location(p.Site, places))
		}
		doc.Activities = append(doc.Activities, a)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// CSV writes projects as a table, one row per project, with the funding
// its reader reads: the published total and the disclosed pledges.
func CSV(projects []ProjectDetail) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"id", "title", "sector", "iati_sector", "zone", "stage", "currency", "published_total", "confidential_funders", "disclosed_total", "disclosed_funders", "next_milestone", "next_due", "held"}) //nolint:errcheck // flushed below
	for _, p := range projects {
		var total, funders string
		if p.Funding != nil {
			total, funders = strconv.FormatInt(p.Funding.Total, 10), strconv.Itoa(p.Funding.Funders)
		}
		var disclosed int64
		var names []string
		for _, d := range p.Disclosures {
			disclosed += d.Amount
			names = append(names, d.Name)
		}
		var next, due, held string
		for _, m := range p.States {
			if m.Entry == 0 {
				next, due, held = m.Title, m.Due.UTC().Format(time.DateOnly), strconv.FormatBool(m.Held)
				break
			}
		}
		w.Write([]string{p.ID, p.Title, p.Sector, Sectors[p.Sector], p.Zone, p.Stage, p.Currency, total, funders, //nolint:errcheck // flushed below
			strconv.FormatInt(disclosed, 10), strings.Join(names, "; "), next, due, held})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
