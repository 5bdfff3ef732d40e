package web

import (
	"net/http"

	"github.com/liaison-cell/liaison/internal/hotline"
)

// urgentData is the banner every signed-in page carries (its script asks
// GET /urgent?fragment=urgent, so that a lost session answers 401): the FLASH and
// IMMEDIATE messages the member's party has yet to acknowledge, soonest
// deadline first. An officer reading another page, or another channel,
// must still not miss one.
type urgentData struct {
	Count int
	Items []awaitingItem // the first urgentShown of them
	More  int            // how many more the watch screen lists
}

const urgentShown = 5

func (w *Web) urgent(rw http.ResponseWriter, r *http.Request, c *ctx) error {
	_, byID, err := w.channels(r, c)
	if err != nil {
		return err
	}
	items, err := w.api.Inbox(r, c.p)
	if err != nil {
		return err
	}
	var d urgentData
	for _, it := range items {
		if p := it.Message.Precedence; p != hotline.Flash && p != hotline.Immediate {
			continue
		}
		d.Count++
		if len(d.Items) < urgentShown {
			d.Items = append(d.Items, w.awaiting(c, it, byID))
		}
	}
	d.More = d.Count - len(d.Items)
	w.renderFragment(rw, r, "dashboard", "frag-urgent", w.page(c, "", "", "", d))
	return nil
}
