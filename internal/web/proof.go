package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/store"
)

// The log's proof as every page states it: which parties' mirrors
// cosigned the cell's checkpoints, up to which size, and, while any
// exists, the alarm that the cell's key signed two histories.

// proofLine is the line every signed-in page carries, and its banner.
type proofLine struct {
	Text   string // "Verified by Israel, Syria and the United States at size N"
	Alarms int
}

// verifiedBy says which parties' witnesses vouch for the log, and up to
// which size they all do.
func verifiedBy(c *ctx, pr api.LogProof) string {
	if len(pr.Witnessed) == 0 {
		return c.l.T("proof.line.none")
	}
	var names []string
	for _, w := range pr.Witnessed {
		names = append(names, c.partyName(w.Party))
	}
	slices.Sort(names) // as 'liaison verify' says it: who, then up to where
	return c.l.T("proof.line", "parties", andList(c.l, names), "size", pr.At)
}

// andList joins names as a sentence does: "A, B and C".
func andList(l *Localizer, items []string) string {
	if len(items) < 2 {
		return joinList(l, items)
	}
	return joinList(l, items[:len(items)-1]) + l.T("list.and") + items[len(items)-1]
}

type witnessRow struct {
	Party string
	Size  int64
	Time  stamp
	// Latest reports that it cosigned the latest signed checkpoint.
	Latest bool
}

type alarmRow struct {
	ID, Kind, Detail string
	Index            int64
	Member, Party    string
	Small, Large     int64
	Held, Seen       string // download links
}

type proofData struct {
	Line      string
	Size      int64
	Rows      []witnessRow
	Behind    string
	NoWitness string
	Alarms    []alarmRow
}

func (w *Web) proofPage(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	pr, err := w.api.LogProof(r, c.p)
	if err != nil {
		return err
	}
	d := proofData{Line: verifiedBy(c, pr), Size: pr.Size}
	for _, x := range pr.Witnessed {
		d.Rows = append(d.Rows, witnessRow{Party: c.partyName(x.Party), Size: x.Size,
			Time: newStamp(x.Time, zonesOf(c.l, c.parties, nil)), Latest: x.Size >= pr.Size})
	}
	var behind []string
	for _, id := range pr.Behind {
		behind = append(behind, c.partyName(id))
	}
	d.Behind = andList(c.l, behind)
	var none []string
	for _, id := range pr.NoWitness {
		none = append(none, c.partyName(id))
	}
	d.NoWitness = andList(c.l, none)
	for _, a := range pr.Alarms {
		base := "/record/proof/alarms/" + a.ID + "/"
		d.Alarms = append(d.Alarms, alarmRow{ID: a.ID, Kind: c.l.T("proof.kind." + a.Alarm), Detail: a.Detail, Index: a.Raised,
			Member: a.Member, Party: c.partyName(a.Party), Small: a.Sizes[0], Large: a.Sizes[1], Held: base + "held", Seen: base + "seen"})
	}
	w.render(rw, r, http.StatusOK, "proof", w.page(c, c.l.T("proof.title"), "record", "", d))
	return nil
}

// alarmCheckpoint serves one of an alarm's two signed checkpoints, as the
// mirror that raised it held it: a note anyone checks with the cell's key.
func (w *Web) alarmCheckpoint(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	which := r.PathValue("which")
	if which != "held" && which != "seen" {
		return store.ErrNotFound
	}
	pr, err := w.api.LogProof(r, c.p)
	if err != nil {
		return err
	}
	for _, a := range pr.Alarms {
		if a.ID != r.PathValue("alarm") {
			continue
		}
		note := a.Held
		if which == "seen" {
			note = a.Seen
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Header().Set("Content-Disposition", `attachment; filename="alarm-`+strconv.FormatInt(a.Raised, 10)+"-"+which+`.txt"`)
		rw.Header().Set("Cache-Control", "no-store")
		_, err := rw.Write([]byte(note))
		return err
	}
	return store.ErrNotFound
}

// proofOf is the line and banner of every page, or nil when the proof
// cannot be read (the page is shown without it rather than not at all).
func (w *Web) proofOf(r *http.Request, c *ctx) *proofLine {
	pr, err := w.api.LogProof(r, c.p)
	if err != nil {
		w.log.Warn("the log's proof for the page line", "err", err)
		return nil
	}
	return &proofLine{Text: verifiedBy(c, pr), Alarms: len(pr.Alarms)}
}
