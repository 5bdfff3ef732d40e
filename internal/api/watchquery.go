package api

import (
	"cmp"
	"math"
	"net/http"
	"slices"

	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/store"
)

// What the watch asks of a party beyond acknowledging: judging the
// readbacks of what it sent. A FLASH is not settled when the other side
// acknowledges it, but when its sender has checked that the readback says
// what, where and when correctly.

// ReadbackHorizon is how many of a channel's newest messages
// GET /readbacks looks through: the conversation page's length, where a
// readback is judged.
const ReadbackHorizon = 200

func (s *Server) watchRoutes() {
	s.authed("GET /api/v1/readbacks", s.listReadbacks)
}

// ReadbackItem is an acknowledgement with a readback, of a message the
// caller's party sent, that the party has yet to judge.
type ReadbackItem struct {
	Message hotline.Message `json:"message"`
	Ack     hotline.Ack     `json:"ack"`
}

// ReadbacksToJudge lists the readbacks p's party has yet to judge: the
// acknowledgements, with a readback and no verdict, of messages the party
// sent among the newest perChannel of each channel it reads. The highest
// precedence comes first, then the readback that has waited longest.
func (s *Server) ReadbacksToJudge(r *http.Request, p *Principal, perChannel int) ([]ReadbackItem, error) {
	chs, err := s.channels(r, p)
	if err != nil {
		return nil, err
	}
	v := s.view(p)
	out := []ReadbackItem{}
	for _, ch := range chs {
		msgs, err := newestMessages(r, v, ch.ID, perChannel)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.SenderParty != p.Party.ID {
				continue
			}
			acks, err := listDocs[hotline.Ack](r, v, hotline.ObjAck, hotline.MsgID(m.ID))
			if err != nil {
				return nil, err
			}
			for _, a := range acks {
				if a.Status == hotline.AckDone && a.Readback != "" && a.Verdict == "" {
					out = append(out, ReadbackItem{Message: m, Ack: a})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b ReadbackItem) int {
		return cmp.Or(cmp.Compare(precedenceRank(a.Message.Precedence), precedenceRank(b.Message.Precedence)),
			a.Ack.AckedAt.Compare(b.Ack.AckedAt), cmp.Compare(a.Message.ID, b.Message.ID), cmp.Compare(a.Ack.Party, b.Ack.Party))
	})
	return out, nil
}

func precedenceRank(p string) int {
	switch p {
	case hotline.Flash:
		return 0
	case hotline.Immediate:
		return 1
	case hotline.Priority:
		return 2
	}
	return 3
}

// newestMessages reads at most limit of a channel's newest messages, from
// the store's index backwards where it has one.
func newestMessages(r *http.Request, v store.View, channel string, limit int) ([]hotline.Message, error) {
	if l, ok := v.(store.Latest); ok {
		objs, err := l.Latest(r.Context(), hotline.ObjMessage, channel, math.MaxInt64, limit)
		if err != nil {
			return nil, err
		}
		out := make([]hotline.Message, 0, len(objs))
		for _, o := range objs {
			m, err := decodeDoc[hotline.Message](o)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	all, err := listDocs[hotline.Message](r, v, hotline.ObjMessage, channel)
	if err != nil {
		return nil, err
	}
	return all[max(len(all)-limit, 0):], nil
}

func (s *Server) listReadbacks(w http.ResponseWriter, r *http.Request, p *Principal) error {
	items, err := s.ReadbacksToJudge(r, p, ReadbackHorizon)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}
