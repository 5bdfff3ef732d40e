package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/watch"
)

// DemoChannels are the demo's channels: a joint channel per desk and a
// line per party.
var DemoChannels = []hotline.Channel{
	{ID: "joint-military", Desk: "military", Kind: hotline.Joint, Title: "Military de-escalation",
		Titles: map[string]string{"ar": "خفض التصعيد العسكري", "he": "הפחתת הסלמה צבאית"}},
	{ID: "joint-intelligence", Desk: "intelligence", Kind: hotline.Joint, Title: "Intelligence sharing",
		Titles: map[string]string{"ar": "تبادل المعلومات الاستخبارية", "he": "שיתוף מודיעין"}},
	{ID: "joint-diplomatic", Desk: "diplomatic", Kind: hotline.Joint, Title: "Diplomatic engagement",
		Titles: map[string]string{"ar": "التواصل الدبلوماسي", "he": "מגע דיפלומטי"}},
	{ID: "joint-commercial", Desk: "commercial", Kind: hotline.Joint, Title: "Commercial opportunities",
		Titles: map[string]string{"ar": "الفرص التجارية", "he": "הזדמנויות מסחריות"}},
	{ID: "joint-general", Desk: "general", Kind: hotline.Joint, Title: "General",
		Titles: map[string]string{"ar": "عام", "he": "כללי"}},
	{ID: "line-il", Desk: "general", Kind: hotline.Line, Party: "il", Title: "Israel – mediator line",
		Titles: map[string]string{"ar": "خط إسرائيل – الوسيط", "he": "קו ישראל – המתווך"}},
	{ID: "line-sy", Desk: "general", Kind: hotline.Line, Party: "sy", Title: "Syria – mediator line",
		Titles: map[string]string{"ar": "خط سوريا – الوسيط", "he": "קו סוריה – המתווך"}},
	{ID: "line-jo", Desk: "general", Kind: hotline.Line, Party: "jo", Title: "Jordan – mediator line",
		Titles: map[string]string{"ar": "خط الأردن – الوسيط", "he": "קו ירדן – המתווך"}},
}

// DemoGlossary holds terms the parties agreed on, in the cell's languages.
var DemoGlossary = []hotline.Term{
	{ID: "buffer-zone", Terms: map[string]string{"en": "buffer zone", "ar": "المنطقة العازلة", "he": "אזור החיץ"}},
	{ID: "ceasefire-line", Terms: map[string]string{"en": "ceasefire line", "ar": "خط وقف إطلاق النار", "he": "קו הפסקת האש"}},
	{ID: "deconfliction", Terms: map[string]string{"en": "deconfliction", "ar": "منع التصادم", "he": "מניעת התנגשות"}},
	{ID: "search-and-rescue", Terms: map[string]string{"en": "search and rescue", "ar": "البحث والإنقاذ", "he": "חיפוש והצלה"}},
}

func (s *Seeder) channels(ctx context.Context) error {
	for _, ch := range DemoChannels {
		if _, err := s.Ledger.SubmitServer(ctx, DemoCell, hotline.KindChannelCreate, map[string]any{"id": "seed-channel-" + ch.ID, "channel": ch}); err != nil {
			return fmt.Errorf("channel %s: %w", ch.ID, err)
		}
	}
	for _, t := range DemoGlossary {
		if _, err := s.Ledger.SubmitServer(ctx, DemoCell, hotline.KindGlossarySet, map[string]any{"id": "seed-term-" + t.ID, "term": t}); err != nil {
			return fmt.Errorf("term %s: %w", t.ID, err)
		}
	}
	return nil
}

// drill runs a short exercise while the cell's FLASH deadline is one
// second: Israel sends a FLASH on the joint military channel, Syria and the
// mediator acknowledge it with readbacks that Israel marks correct, the
// mediator attaches an Arabic translation that Syria confirms; and a FLASH
// from the mediator down Syria's line goes unanswered, so the watch
// escalates it twice; then a round of link tests (see linkTestRound).
// Everything it writes is an ordinary signed entry.
func (s *Seeder) drill(ctx context.Context, k map[string]*record.DeviceKey) error {
	send := func(who, channel, subject, body string) (int64, error) {
		r, err := s.As(ctx, DemoCell, k[who], hotline.KindMessageSend, map[string]any{
			"channel": channel, "subject": subject, "body": body, "lang": "en", "precedence": hotline.Flash})
		if err != nil {
			return 0, err
		}
		return r.Entry.Index, nil
	}
	flash, err := send("il.military", "joint-military", "UAV over the buffer zone, 0300–0400Z",
		"An Israeli UAV will overfly the buffer zone north of Quneitra between 0300Z and 0400Z for search and rescue of a missing shepherd. Unarmed. Not a hostile act.")
	if err != nil {
		return err
	}
	steps := []struct {
		who, kind string
		fields    map[string]any
	}{
		{"sy.duty", hotline.KindMessageAck, map[string]any{"message": flash, "readback": "Unarmed Israeli drone over the buffer zone north of Quneitra, 0300 to 0400Z, searching for a missing shepherd."}},
		{"us.military", hotline.KindMessageAck, map[string]any{"message": flash, "readback": "Unarmed UAV, buffer zone north of Quneitra, 0300–0400Z, search and rescue."}},
		{"il.military", hotline.KindReadbackMark, map[string]any{"message": flash, "party": "sy", "verdict": hotline.VerdictOK}},
		{"il.military", hotline.KindReadbackMark, map[string]any{"message": flash, "party": "us", "verdict": hotline.VerdictOK}},
		{"sy.duty", hotline.KindMessageRead, map[string]any{"message": flash}},
		{"us.duty", hotline.KindTranslationAdd, map[string]any{"message": flash, "lang": "ar", "method": "human",
			"text": "ستحلق طائرة مسيرة إسرائيلية فوق المنطقة العازلة شمال القنيطرة بين الساعة 0300 و0400 بتوقيت غرينتش للبحث والإنقاذ عن راعٍ مفقود. غير مسلحة. ليس عملاً عدائياً."}},
	}
	for _, st := range steps {
		r, err := s.As(ctx, DemoCell, k[st.who], st.kind, st.fields)
		if err != nil {
			return err
		}
		if st.kind == hotline.KindTranslationAdd {
			if _, err := s.As(ctx, DemoCell, k["sy.duty"], hotline.KindTranslationConfirm, map[string]any{"translation": r.Entry.Index}); err != nil {
				return err
			}
		}
	}
	if _, err := send("us.duty", "line-sy", "Confirm the revised patrol schedule",
		"Confirm receipt of the revised patrol schedule for sector south, effective 0600Z tomorrow."); err != nil {
		return err
	}
	w, err := watch.New(watch.Config{Ledger: s.Ledger, Logger: nil})
	if err != nil {
		return err
	}
	// Let the one-second deadline pass twice, then let the watch see it.
	for range 2 {
		time.Sleep(1100 * time.Millisecond)
		if err := w.Tick(ctx); err != nil {
			return err
		}
	}
	return s.linkTestRound(ctx, k)
}

// linkTestRound sends a link test down every line, as the watch does at
// the cell's scheduled times: Israel and Jordan answer theirs, Syria's
// stays unanswered, so the dashboard shows a line that is manned, and one
// whose answer is awaited (and escalates when its deadline passes).
func (s *Seeder) linkTestRound(ctx context.Context, k map[string]*record.DeviceKey) error {
	now := time.Now().UTC().Truncate(time.Minute)
	answers := map[string]string{"line-il": "il.duty", "line-jo": "jo.duty"}
	for _, line := range []string{"line-il", "line-sy", "line-jo"} {
		r, err := watch.SendLinkTest(ctx, s.Ledger, DemoCell, line, now)
		if err != nil {
			return err
		}
		who, ok := answers[line]
		if !ok {
			continue
		}
		if _, err := s.As(ctx, DemoCell, k[who], hotline.KindMessageAck, map[string]any{
			"message": r.Entry.Index, "readback": "Link test received " + now.Format("15:04") + "Z; this line is manned."}); err != nil {
			return fmt.Errorf("answer the link test on %s: %w", line, err)
		}
	}
	return nil
}

var _ = cell.RoleDuty
