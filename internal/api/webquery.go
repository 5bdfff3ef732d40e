package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// The web pages read through these methods, which run the API's own
// visibility code: a page shows a member exactly what the API would answer
// them, and a page about something hidden fails as the API's endpoint does.

// SetWeb mounts the web interface on every path outside /api, /healthz and
// /metrics, for a web handler that needs the server and so is made after
// New. It does nothing when Config.Web was given.
func (s *Server) SetWeb(h http.Handler) {
	if s.cfg.Web != nil {
		return
	}
	s.cfg.Web = h
	s.mux.Handle("/", h)
}

// ProblemOf maps an error of these methods (or any layer) to the problem
// the API would answer, so that a page answers with the same status.
func ProblemOf(err error) *Problem { return toProblem(err) }

// Channels lists the channels p's party reads.
func (s *Server) Channels(r *http.Request, p *Principal) ([]hotline.Channel, error) {
	return s.channels(r, p)
}

// Channel returns a channel p's party reads, or a 404 problem — the same
// for a channel that exists but is hidden as for one that does not.
func (s *Server) Channel(r *http.Request, p *Principal, id string) (hotline.Channel, error) {
	return s.visibleChannel(r, p, id)
}

// Glossary lists the cell's agreed terms.
func (s *Server) Glossary(r *http.Request, p *Principal) ([]hotline.Term, error) {
	return listDocs[hotline.Term](r, s.view(p), hotline.ObjGlossary, "")
}

// ChannelMessages returns the last (at most) limit messages of a channel p
// reads that were sent before log index before (all, for before < 0),
// oldest first, and whether earlier ones exist. Only those are read: a
// channel's whole history is not decoded to show its last page.
func (s *Server) ChannelMessages(r *http.Request, p *Principal, channel string, before int64, limit int) ([]MessageView, bool, error) {
	ch, err := s.visibleChannel(r, p, channel)
	if err != nil {
		return nil, false, err
	}
	if before < 0 {
		before = math.MaxInt64
	}
	v := s.view(p)
	var msgs []hotline.Message
	more := false
	if l, ok := v.(store.Latest); ok {
		objs, err := l.Latest(r.Context(), hotline.ObjMessage, ch.ID, before, limit+1)
		if err != nil {
			return nil, false, err
		}
		if more = len(objs) > limit; more {
			objs = objs[:limit]
		}
		for i := len(objs) - 1; i >= 0; i-- {
			m, err := decodeDoc[hotline.Message](objs[i])
			if err != nil {
				return nil, false, err
			}
			msgs = append(msgs, m)
		}
	} else {
		all, err := listDocs[hotline.Message](r, v, hotline.ObjMessage, ch.ID)
		if err != nil {
			return nil, false, err
		}
		for _, m := range all {
			if m.ID < before {
				msgs = append(msgs, m)
			}
		}
		if more = len(msgs) > limit; more {
			msgs = msgs[len(msgs)-limit:]
		}
	}
	terms, err := listDocs[hotline.Term](r, v, hotline.ObjGlossary, "")
	if err != nil {
		return nil, false, err
	}
	out := make([]MessageView, 0, len(msgs))
	for _, m := range msgs {
		mv, err := s.messageView(r, p, m, terms)
		if err != nil {
			return nil, false, err
		}
		out = append(out, mv)
	}
	return out, more, nil
}

// Message returns a message p's party reads (404 otherwise) with all that
// was said about it.
func (s *Server) Message(r *http.Request, p *Principal, id string) (MessageView, error) {
	m, err := s.visibleMessage(r, p, id)
	if err != nil {
		return MessageView{}, err
	}
	terms, err := listDocs[hotline.Term](r, s.view(p), hotline.ObjGlossary, "")
	if err != nil {
		return MessageView{}, err
	}
	return s.messageView(r, p, m, terms)
}

// Inbox lists what awaits p's party's acknowledgement, soonest first.
func (s *Server) Inbox(r *http.Request, p *Principal) ([]InboxItem, error) {
	return s.inboxItems(r, p, p.Party.ID)
}

// PartyInbox lists what party owes, soonest deadline first: the mediator
// watches every party's silence; a party sees only its own.
func (s *Server) PartyInbox(r *http.Request, p *Principal, party string) ([]InboxItem, error) {
	if err := cell.May(p.Actor(), cell.ReadInbox, cell.Target{Party: party}); err != nil {
		return nil, err
	}
	return s.inboxItems(r, p, party)
}

// Escalations lists the escalations on channels p reads, oldest first
// (at most limit).
func (s *Server) Escalations(r *http.Request, p *Principal, limit int) ([]hotline.Escalation, error) {
	out, _, err := s.escalations(r, p, -1, limit)
	return out, err
}

// Ack returns the acknowledgement state of message msg by party, as the
// message's readers see it; the caller has read the message through
// Message, Inbox or Escalations.
func (s *Server) Ack(r *http.Request, p *Principal, msg int64, party string) (hotline.Ack, error) {
	return getDoc[hotline.Ack](r, s.view(p), hotline.ObjAck, hotline.AckID(msg, party))
}

// LineHealth lists the link-test state of the lines p may see.
func (s *Server) LineHealth(r *http.Request, p *Principal) ([]hotline.LinkHealth, error) {
	return s.lineHealth(r, p)
}

// CellInfo returns the cell's constitution and its parties (every party
// reads both).
func (s *Server) CellInfo(r *http.Request, p *Principal) (cell.Info, []cell.Party, error) {
	v := s.view(p)
	info, err := cell.GetInfo(r.Context(), v)
	if err != nil {
		return info, nil, err
	}
	parties, err := cell.Parties(r.Context(), v)
	return info, parties, err
}

// Entry returns log entry i as GET /log/entries/{i} does: 404 beyond the
// log, 403 outside p's audience.
func (s *Server) Entry(r *http.Request, p *Principal, i int64) (EntryJSON, error) {
	if i < 0 {
		return EntryJSON{}, badRequest("the entry index must be a non-negative integer")
	}
	rows, err := s.st.Entries(r.Context(), p.Cell, i, i+1)
	if err != nil {
		return EntryJSON{}, err
	}
	if len(rows) == 0 {
		return EntryJSON{}, notFound("no entry " + strconv.FormatInt(i, 10))
	}
	e, err := record.ParseEntry(rows[0].LeafData)
	if err != nil {
		return EntryJSON{}, err
	}
	if err := cell.May(p.Actor(), cell.ReadEntry, cell.Target{Entry: e}); err != nil {
		return EntryJSON{}, err
	}
	return NewEntryJSON(e, rows[0].LeafData), nil
}

// Entries pages through the entries p may read after index after, as GET
// /entries does; next is the cursor of the following page, or -1 at the
// end of the log.
func (s *Server) Entries(r *http.Request, p *Principal, after int64, limit int) (out []EntryJSON, next int64, err error) {
	err = s.readableEntries(r.Context(), p, after, limit, &next, func(e *record.Entry, data []byte) {
		out = append(out, NewEntryJSON(e, data))
	})
	return out, next, err
}

// readableEntries calls fn with each entry p may read after index after,
// up to limit read from the store, and sets *next to the cursor of the
// following page (-1 at the end of the log).
func (s *Server) readableEntries(ctx context.Context, p *Principal, after int64, limit int, next *int64, fn func(*record.Entry, []byte)) error {
	*next = -1
	rows, err := s.st.EntriesFor(ctx, p.Cell, p.reader(), after, limit)
	if err != nil {
		return err
	}
	for _, row := range rows {
		e, err := record.ParseEntry(row.LeafData)
		if err != nil {
			return err
		}
		if cell.May(p.Actor(), cell.ReadEntry, cell.Target{Entry: e}) != nil {
			continue // the mask said yes but the rule book decides
		}
		fn(e, row.LeafData)
	}
	if len(rows) == limit {
		*next = rows[len(rows)-1].Index
	}
	return nil
}

// LogSize returns the number of entries in p's cell's log (every member
// may know it: the signed checkpoint says it).
func (s *Server) LogSize(r *http.Request, p *Principal) (int64, error) {
	return s.st.Size(r.Context(), p.Cell)
}

// KeyOf returns a registered device key, for naming an entry's signer.
func (s *Server) KeyOf(r *http.Request, p *Principal, id string) (cell.Key, error) {
	k, err := cell.GetKey(r.Context(), s.view(p), id)
	if err != nil {
		return k, err
	}
	if err := cell.May(p.Actor(), cell.ReadKey, cell.Target{Key: &k}); err != nil {
		return cell.Key{}, err
	}
	return k, nil
}

// IsNotFound reports whether err means "nothing there for you".
func IsNotFound(err error) bool {
	return errors.Is(err, store.ErrNotFound) || toProblem(err).Status == http.StatusNotFound
}
