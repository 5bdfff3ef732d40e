package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// RecordPage is how many log positions the record list covers at once.
const RecordPage = 50

type entryRow struct {
	Index  int64
	Kind   string
	Signer string
	Party  string
	Time   stamp
}

type recordsData struct {
	Rows         []entryRow
	Size         int64
	From, To     int64 // the positions covered: From <= index < To
	Earlier      string
	Later        string
	HasNoEntries bool
}

func (w *Web) recordsPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	if v := r.URL.Query().Get("index"); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return errBadQuery
		}
		http.Redirect(rw, r, "/record/"+strconv.FormatInt(n, 10), http.StatusSeeOther)
		return nil
	}
	size, err := w.api.LogSize(r, c.p)
	if err != nil {
		return err
	}
	from := max(size-RecordPage, 0)
	if v := r.URL.Query().Get("from"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return errBadQuery
		}
		from = min(n, max(size-1, 0))
	}
	to := min(from+RecordPage, size)
	d := recordsData{Size: size, From: from, To: to}
	for after := from - 1; after < to-1; {
		es, next, err := w.api.Entries(r, c.p, after, RecordPage)
		if err != nil {
			return err
		}
		for _, e := range es {
			if e.Index >= to {
				break
			}
			d.Rows = append(d.Rows, w.entryRow(c, e))
		}
		if next < 0 || next >= to-1 {
			break
		}
		after = next
	}
	// Newest first, as everywhere on the watch.
	for i, j := 0, len(d.Rows)-1; i < j; i, j = i+1, j-1 {
		d.Rows[i], d.Rows[j] = d.Rows[j], d.Rows[i]
	}
	if from > 0 {
		d.Earlier = "/record?from=" + strconv.FormatInt(max(from-RecordPage, 0), 10)
	}
	if to < size {
		d.Later = "/record?from=" + strconv.FormatInt(to, 10)
	}
	d.HasNoEntries = len(d.Rows) == 0
	w.render(rw, r, http.StatusOK, "records", w.page(c, c.l.T("record.title"), "record", "", d))
	return nil
}

var errBadQuery = &api.Problem{Type: api.ProblemTypeBase + "bad-request", Title: "Bad request", Status: http.StatusBadRequest, Detail: "a log index (record, before) is a non-negative integer"}

func (w *Web) entryRow(c *ctx, e api.EntryJSON) entryRow {
	t, _ := time.Parse(time.RFC3339Nano, e.Time)
	aud := e.Audience
	if slices.Contains(aud, "*") {
		aud = nil // every party: every zone
	}
	row := entryRow{Index: e.Index, Kind: e.Kind, Signer: e.Member, Time: newStamp(t, zonesOf(c.l, c.parties, aud))}
	if e.Party != "" {
		row.Party = c.partyName(e.Party)
	}
	if e.Member == "" {
		row.Signer = c.l.T("signer.server")
	}
	return row
}

type recordData struct {
	Entry    api.EntryJSON
	Row      entryRow
	KeyLabel string
	Audience string
	Payload  string
	Message  string // the conversation link of a message entry
}

func (w *Web) recordPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	i, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || i < 0 {
		return store.ErrNotFound
	}
	e, err := w.api.Entry(r, c.p, i)
	if err != nil {
		return err
	}
	d := recordData{Entry: e, Row: w.entryRow(c, e)}
	if k, err := w.api.KeyOf(r, c.p, e.KeyID); err == nil {
		d.KeyLabel = k.Label
	}
	var names []string
	for _, id := range e.Audience {
		if id == "*" {
			names = append(names, c.l.T("record.everyone"))
		} else if m := record.NamedMember(id); m != "" {
			// One member of a party reads it, by name; not their party.
			names = append(names, m+" ("+c.partyName(strings.TrimSuffix(id, "/"+m))+")")
		} else {
			names = append(names, c.partyName(id))
		}
	}
	d.Audience = joinList(c.l, names)
	var buf bytes.Buffer
	if json.Indent(&buf, e.Payload, "", "  ") == nil {
		d.Payload = buf.String()
	}
	if e.Kind == hotline.KindMessageSend {
		if mv, err := w.api.Message(r, c.p, strconv.FormatInt(e.Index, 10)); err == nil {
			d.Message = messageHref(mv.Message)
		}
	}
	title := c.l.T("record.entry.title", "index", e.Index)
	w.render(rw, r, http.StatusOK, "record", w.page(c, title, "record", "record", d))
	return nil
}
