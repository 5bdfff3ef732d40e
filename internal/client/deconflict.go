package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/deconflict"
	"github.com/liaison-cell/liaison/internal/dues"
)

// The de-escalation desk's reads. Each answers what the member's party may
// read, and a thing it may not read is a 404, as one that does not exist.

// CellInfo returns the cell's constitution (its settings, region included)
// and parties.
func (c *Client) CellInfo(ctx context.Context) (cell.Info, []cell.Party, error) {
	var r struct {
		Cell    cell.Info    `json:"cell"`
		Parties []cell.Party `json:"parties"`
	}
	err := c.getJSON(ctx, "/cell", &r)
	return r.Cell, r.Parties, err
}

// Zones lists the zones, drafts included.
func (c *Client) Zones(ctx context.Context) ([]deconflict.Zone, error) {
	var r struct {
		Zones []deconflict.Zone `json:"zones"`
	}
	return r.Zones, c.getJSON(ctx, "/zones", &r)
}

// Zone reads a zone with all its versions.
func (c *Client) Zone(ctx context.Context, id string) (*deconflict.ZoneDetail, error) {
	var z deconflict.ZoneDetail
	return &z, c.getJSON(ctx, "/zones/"+url.PathEscape(id), &z)
}

// ExportZones returns the zones in force (with drafts, the drafts too) as
// GeoJSON, or as KML.
func (c *Client) ExportZones(ctx context.Context, kml, drafts bool) ([]byte, error) {
	q := url.Values{}
	if kml {
		q.Set("format", "kml")
	}
	if drafts {
		q.Set("drafts", "1")
	}
	p := "/zones/export"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return c.do(ctx, http.MethodGet, p, nil, "")
}

// Activities lists every notification the member may read, following
// the cursor to the end.
func (c *Client) Activities(ctx context.Context) ([]deconflict.Notification, error) {
	out := []deconflict.Notification{}
	for after := "-1"; ; {
		var r struct {
			Activities []deconflict.Notification `json:"activities"`
			Next       string                    `json:"next"`
		}
		if err := c.getJSON(ctx, "/activities?after="+url.QueryEscape(after), &r); err != nil {
			return nil, err
		}
		out = append(out, r.Activities...)
		if r.Next == "" {
			return out, nil
		}
		after = r.Next
	}
}

// Activity reads a notification with its versions, answers and the
// conflicts the member may read.
func (c *Client) Activity(ctx context.Context, id int64) (*deconflict.NotificationDetail, error) {
	var n deconflict.NotificationDetail
	return &n, c.getJSON(ctx, "/activities/"+strconv.FormatInt(id, 10), &n)
}

// Incidents lists every incident the member may read.
func (c *Client) Incidents(ctx context.Context) ([]deconflict.Incident, error) {
	out := []deconflict.Incident{}
	for after := "-1"; ; {
		var r struct {
			Incidents []deconflict.Incident `json:"incidents"`
			Next      string                `json:"next"`
		}
		if err := c.getJSON(ctx, "/incidents?after="+url.QueryEscape(after), &r); err != nil {
			return nil, err
		}
		out = append(out, r.Incidents...)
		if r.Next == "" {
			return out, nil
		}
		after = r.Next
	}
}

// Incident reads an incident with its acknowledgements, links and
// verification.
func (c *Client) Incident(ctx context.Context, id int64) (*deconflict.IncidentDetail, error) {
	var d deconflict.IncidentDetail
	return &d, c.getJSON(ctx, "/incidents/"+strconv.FormatInt(id, 10), &d)
}

// Board reads the desk's status board.
func (c *Client) Board(ctx context.Context) (*deconflict.Board, error) {
	var b deconflict.Board
	return &b, c.getJSON(ctx, "/deconfliction", &b)
}

// Dues lists what party ("" for the member's own) owes on every desk,
// soonest deadline first; only the mediator may ask for another party's.
func (c *Client) Dues(ctx context.Context, party string) ([]dues.Due, error) {
	var r struct {
		Dues []dues.Due `json:"dues"`
	}
	p := "/dues"
	if party != "" {
		p += "?party=" + url.QueryEscape(party)
	}
	return r.Dues, c.getJSON(ctx, p, &r)
}

// Conflicts returns the notifications a refused notification overlaps
// without naming them (the 409 problem's conflicts member), and whether
// err is such a refusal.
func Conflicts(err error) ([]deconflict.Overlap, bool) {
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusConflict || e.Extensions["conflicts"] == nil {
		return nil, false
	}
	var out []deconflict.Overlap
	if json.Unmarshal(e.Extensions["conflicts"], &out) != nil {
		return nil, false
	}
	return out, true
}
