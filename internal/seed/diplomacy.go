package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/record"
)

// paraphrase marks the demo's texts: written for the demo, after public
// reporting; not the parties' words.
const paraphrase = "An illustrative paraphrase written for the demo: not the text of any agreement."

func art(number, title, en, ar, he string) diplomacy.Article {
	return diplomacy.Article{Number: number, Title: title, Texts: map[string]string{"en": en, "ar": ar, "he": he}}
}

// DemoAgreements are the demo's agreements: the Paris liaison arrangement
// and, as the reference the parties cite, the 1974 disengagement
// agreement, both paraphrased for the demo.
func DemoAgreements() []diplomacy.AgreementContent {
	return []diplomacy.AgreementContent{
		{ID: "paris", Title: "Paris liaison arrangement", Authoritative: "en", Signed: "Paris, fifth round", Note: paraphrase,
			Titles: map[string]string{"ar": "ترتيب الارتباط في باريس", "he": "הסדר הקישור בפריז"},
			Articles: []diplomacy.Article{
				art("1", "The mechanism", "The parties establish a joint liaison mechanism, with a cell in Amman, under the supervision of the United States.",
					"تنشئ الأطراف آلية ارتباط مشتركة، بخلية في عمّان، تحت إشراف الولايات المتحدة.",
					"הצדדים מקימים מנגנון קישור משותף, עם תא בעמאן, בפיקוח ארצות הברית."),
				art("2", "Notice of military activity", "Each party notifies, through the mechanism, planned military activity within 25 km of the line at least 24 hours in advance.",
					"يُخطر كل طرف، عبر الآلية، بالنشاط العسكري المخطط له ضمن 25 كم من الخط قبل 24 ساعة على الأقل.",
					"כל צד מודיע, באמצעות המנגנון, על פעילות צבאית מתוכננת בטווח 25 ק\"מ מהקו לפחות 24 שעות מראש."),
				art("3", "Protected communities", "The parties refrain from any military activity that endangers the civilian communities of the south, the Druze villages among them.",
					"تمتنع الأطراف عن أي نشاط عسكري يعرض للخطر المجتمعات المدنية في الجنوب، ومنها القرى الدرزية.",
					"הצדדים נמנעים מכל פעילות צבאית המסכנת את הקהילות האזרחיות בדרום, ובהן הכפרים הדרוזיים."),
				art("4", "Disputes", "A party raises a dispute through the mechanism; the mediator acknowledges it within 24 hours and the parties work to settle it promptly.",
					"يطرح الطرف أي نزاع عبر الآلية؛ ويؤكد الوسيط استلامه خلال 24 ساعة وتعمل الأطراف على تسويته سريعا.",
					"צד מעלה סכסוך באמצעות המנגנון; המתווך מאשר את קבלתו בתוך 24 שעות והצדדים פועלים ליישובו במהירות."),
				art("5", "Withdrawal", "Israel withdraws its forces to the lines it held before December 2024 on a timetable the parties agree, each phase verified by the mediator.",
					"تسحب إسرائيل قواتها إلى الخطوط التي كانت عليها قبل كانون الأول 2024 وفق جدول زمني تتفق عليه الأطراف، ويتحقق الوسيط من كل مرحلة.",
					"ישראל מסיגה את כוחותיה לקווים שהחזיקה לפני דצמבר 2024 לפי לוח זמנים שהצדדים מסכימים עליו, וכל שלב מאומת בידי המתווך."),
				art("6", "Economic cooperation", "The parties explore commercial opportunities in a demilitarized economic zone on both sides of the line.",
					"تستكشف الأطراف الفرص التجارية في منطقة اقتصادية منزوعة السلاح على جانبي الخط.",
					"הצדדים בוחנים הזדמנויות מסחריות באזור כלכלי מפורז משני צדי הקו."),
			}},
		{ID: "disengagement-1974", Title: "Agreement on disengagement (1974), as the parties cite it", Authoritative: "en", Reference: true,
			Signed: "Geneva, 31 May 1974", Note: paraphrase,
			Titles: map[string]string{"ar": "اتفاقية فصل القوات (1974)", "he": "הסכם הפרדת הכוחות (1974)"},
			Articles: []diplomacy.Article{
				art("A", "Ceasefire", "The parties observe the ceasefire on land, sea and air and refrain from all military actions against each other.",
					"تلتزم الأطراف بوقف إطلاق النار برا وبحرا وجوا وتمتنع عن أي أعمال عسكرية ضد بعضها.",
					"הצדדים מקיימים את הפסקת האש ביבשה, בים ובאוויר ונמנעים מכל פעולה צבאית זה נגד זה."),
				art("B", "Separation", "The forces are separated by an area of separation, supervised by a United Nations force.",
					"تُفصل القوات بمنطقة فصل تشرف عليها قوة تابعة للأمم المتحدة.",
					"הכוחות מופרדים באזור הפרדה בפיקוח כוח של האומות המאוחדות."),
				art("C", "Areas of limitation", "Within 10 km of the area of separation, at most 6,000 men, 75 tanks and 36 short-range artillery pieces; within 20 km, no heavy artillery; within 25 km, no surface-to-air missiles.",
					"ضمن 10 كم من منطقة الفصل: 6000 رجل و75 دبابة و36 قطعة مدفعية قصيرة المدى على الأكثر؛ ضمن 20 كم لا مدفعية ثقيلة؛ ضمن 25 كم لا صواريخ أرض-جو.",
					"בטווח 10 ק\"מ מאזור ההפרדה: לכל היותר 6,000 איש, 75 טנקים ו-36 כלי ארטילריה קצרי טווח; בטווח 20 ק\"מ ללא ארטילריה כבדה; בטווח 25 ק\"מ ללא טילי קרקע-אוויר."),
			}},
	}
}

// diplomacy seeds the desk: the agreements, the fifth round in Paris with
// its outcome (the withdrawal timetable, whose first phase is overdue),
// its joint statement signed by all three and published, an open dispute
// Syria filed citing an article and the incident near Hadar, a dispute the
// mediator has found on, and a statement still in drafting.
func (s *Seeder) diplomacy(ctx context.Context, k map[string]*record.DeviceKey, incident int64) error {
	as := func(who, kind string, fields map[string]any) (int64, error) {
		r, err := s.As(ctx, DemoCell, k[who], kind, fields)
		if err != nil {
			return 0, err
		}
		return r.Entry.Index, nil
	}
	for _, a := range DemoAgreements() {
		if _, err := as("us.diplomatic", diplomacy.KindAgreementRecord, map[string]any{"agreement": a}); err != nil {
			return err
		}
	}
	now := time.Now().UTC().Truncate(time.Hour)
	start := now.AddDate(0, 0, -12)
	if _, err := as("us.diplomatic", diplomacy.KindRoundCreate, map[string]any{"round": map[string]any{"id": "round-5", "number": 5, "place": "Paris",
		"places": map[string]string{"ar": "باريس", "he": "פריז"}, "start": start, "end": start.Add(48 * time.Hour),
		"delegations": map[string][]string{"us": {"Special envoy", "Deputy envoy"}, "il": {"Head of delegation", "Military adviser"},
			"sy": {"Head of delegation", "Legal adviser"}}}}); err != nil {
		return err
	}
	items := []map[string]any{{"id": "withdrawal", "desk": "diplomatic", "title": "A timetable for the withdrawal"},
		{"id": "notice", "desk": "military", "title": "Notice of military activity near the line"},
		{"id": "economic-zone", "desk": "commercial", "title": "The economic zone around Quneitra"}}
	for _, it := range items {
		if _, err := as("us.diplomatic", diplomacy.KindRoundAgenda, map[string]any{"round": "round-5", "item": it}); err != nil {
			return err
		}
	}
	if _, err := as("us.diplomatic", diplomacy.KindRoundMinutes, map[string]any{"round": "round-5", "lang": "en",
		"text": "The delegations met for two days. They agreed a timetable for the first phases of the withdrawal and carried the economic zone to the next round."}); err != nil {
		return err
	}
	phase1, phase2 := now.AddDate(0, 0, -3), now.AddDate(0, 0, 45)
	if _, err := as("us.diplomatic", diplomacy.KindRoundOutcome, map[string]any{"round": "round-5", "item": "withdrawal", "outcome": "agreed",
		"text": "Israel withdraws in two phases, each verified by the mediator and signed off by Syria.",
		"commitment": map[string]any{"id": "withdrawal-timetable", "kind": "withdrawal", "title": "Withdrawal timetable",
			"titles":  map[string]string{"ar": "جدول الانسحاب", "he": "לוח הזמנים לנסיגה"},
			"article": map[string]any{"agreement": "paris", "article": "5"}, "party": "il",
			"milestones": []map[string]any{
				{"id": "phase-1", "title": "Vacate the posts inside the Area of Separation", "due": phase1, "zone": "aos"},
				{"id": "phase-2", "title": "Withdraw to the Alpha line", "due": phase2, "zone": "alpha-line"},
			}}}); err != nil {
		return err
	}
	if _, err := as("us.diplomatic", diplomacy.KindRoundOutcome, map[string]any{"round": "round-5", "item": "economic-zone", "outcome": "carried",
		"text": "The delegations will bring proposals for the zone's first projects."}); err != nil {
		return err
	}
	if _, err := as("us.diplomatic", diplomacy.KindCommitmentStatus, map[string]any{"commitment": "withdrawal-timetable", "milestone": "phase-1",
		"status": "at_risk", "reason": "The date has passed and the mediator has not been asked to inspect."}); err != nil {
		return err
	}
	if _, err := as("us.diplomatic", diplomacy.KindCommitmentCreate, map[string]any{"commitment": map[string]any{"id": "no-heavy-artillery",
		"kind": "commitment", "title": "No heavy artillery within 20 km", "article": map[string]any{"agreement": "disengagement-1974", "article": "C"},
		"party": "sy", "milestones": []map[string]any{{"id": "declared", "title": "Declare the artillery withdrawn", "due": now.AddDate(0, 0, 20)}}}}); err != nil {
		return err
	}

	// The round's joint statement, signed by all three and published.
	texts := map[string][]diplomacy.Paragraph{
		"en": {{Text: "The delegations of Israel and Syria met in Paris under the auspices of the United States for the fifth round of talks."},
			{Text: "They agreed to extend the suspension of military operations in the south and a timetable for the first phases of the withdrawal."},
			{Text: "They will meet again in the new year."}},
		"ar": {{Text: "اجتمع وفدا إسرائيل وسوريا في باريس برعاية الولايات المتحدة في الجولة الخامسة من المحادثات."},
			{Text: "واتفقا على تمديد تعليق العمليات العسكرية في الجنوب وعلى جدول زمني للمراحل الأولى من الانسحاب."},
			{Text: "وسيجتمعان مجددا في العام الجديد."}},
		"he": {{Text: "משלחות ישראל וסוריה נפגשו בפריז בחסות ארצות הברית לסבב השיחות החמישי."},
			{Text: "הן הסכימו להאריך את השעיית הפעולות הצבאיות בדרום ועל לוח זמנים לשלבים הראשונים של הנסיגה."},
			{Text: "הן ייפגשו שוב בשנה החדשה."}},
	}
	const title = "Joint statement of the fifth round"
	titles := map[string]string{"ar": "البيان المشترك للجولة الخامسة", "he": "ההצהרה המשותפת של הסבב החמישי"}
	if _, err := as("us.diplomatic", diplomacy.KindStatementDraft, map[string]any{"statement": map[string]any{"id": "paris-5",
		"title": title, "titles": titles, "kind": "joint_statement", "required": []string{"il", "sy"}, "round": "round-5"}, "texts": texts}); err != nil {
		return err
	}
	hashes := map[string]string{}
	for lang, ps := range texts {
		hashes[lang] = diplomacy.TextHash(ps)
	}
	for _, who := range []string{"il.diplomatic", "sy.diplomatic", "us.diplomatic"} {
		if _, err := as(who, diplomacy.KindStatementSign, map[string]any{"statement": "paris-5", "version": 1, "hashes": hashes}); err != nil {
			return err
		}
	}
	// The publication restates the signatures as the version records them.
	// unfiltered: the seeder is the cell's operator, reading what it wrote.
	v, err := s.Store.View(DemoCell).Get(ctx, diplomacy.ObjStatementVersion, diplomacy.VersionID("paris-5", 1))
	if err != nil {
		return err
	}
	var signed diplomacy.StatementVersion
	if err := json.Unmarshal(v.Doc, &signed); err != nil {
		return err
	}
	if _, err := as("us.diplomatic", diplomacy.KindStatementPublish, map[string]any{"statement": "paris-5", "version": 1,
		"title": title, "titles": titles, "texts": texts, "hashes": hashes, "signatures": signed.Signatures}); err != nil {
		return err
	}

	// Syria files a dispute over the shelling near Hadar; the mediator
	// acknowledges it, and Israel's response is awaited.
	d, err := as("sy.diplomatic", diplomacy.KindDisputeFile, map[string]any{"respondent": "il", "title": "Shelling near Hadar",
		"description": "Four impacts near a protected village, with no activity notified there: a breach of articles 2 and 3.",
		"articles":    []map[string]any{{"agreement": "paris", "article": "2"}, {"agreement": "paris", "article": "3"}},
		"cites":       []map[string]any{{"kind": "incident", "id": incident}}})
	if err != nil {
		return err
	}
	if _, err := as("us.diplomatic", diplomacy.KindDisputeAck, map[string]any{"dispute": d, "text": "Received; we ask Israel to respond within 72 hours."}); err != nil {
		return err
	}
	if err := s.foundDispute(as); err != nil {
		return err
	}
	return s.draftStatement(as)
}

// foundDispute seeds a dispute the mediator has found on: Israel's
// complaint of Syrian artillery inside the 20 km line, answered by Syria
// and found partly upheld, the parties' answers to the finding awaited.
// Jordan, which hosts the cell, is told that the dispute is before the
// mechanism; the finding stays with the two sides and the mediator.
func (s *Seeder) foundDispute(as func(who, kind string, fields map[string]any) (int64, error)) error {
	const title = "Artillery inside the 20 km line"
	const description = "Two batteries of heavy artillery seen 15 km from the area of separation, where the parties cite the 1974 agreement as allowing none."
	d, err := as("il.diplomatic", diplomacy.KindDisputeFile, map[string]any{"respondent": "sy", "title": title, "description": description,
		"articles": []map[string]any{{"agreement": "disengagement-1974", "article": "C"}}})
	if err != nil {
		return err
	}
	steps := []struct {
		who, kind string
		fields    map[string]any
	}{
		{"us.diplomatic", diplomacy.KindDisputeAck, map[string]any{"text": "Received; we ask Syria to respond."}},
		{"sy.diplomatic", diplomacy.KindDisputeRespond, map[string]any{"text": "The batteries are towed guns of a reserve unit passing through, not emplaced: they left within the day."}},
		{"us.diplomatic", diplomacy.KindDisputeFinding, map[string]any{"outcome": "partly_upheld",
			"text": "Our observers confirm two batteries at 15 km on the day reported and none the day after: a breach of the limitation, brief and not repeated."}},
		{"us.diplomatic", diplomacy.KindDisputeShare, map[string]any{"observer": "jo", "title": title, "description": description, "status": "found",
			"note": "For the host country's information: the mechanism is settling this dispute."}},
	}
	for _, st := range steps {
		st.fields["dispute"] = d
		if _, err := as(st.who, st.kind, st.fields); err != nil {
			return fmt.Errorf("%s: %w", st.kind, err)
		}
	}
	return nil
}

// draftStatement seeds a joint statement still in drafting: the
// mediator's version 1, Syria's comment on it and its version 2, signed so
// far by Israel alone.
func (s *Seeder) draftStatement(as func(who, kind string, fields map[string]any) (int64, error)) error {
	v1 := map[string][]diplomacy.Paragraph{
		"en": {{Text: "The parties will study a demilitarized economic zone on both sides of the line, around Quneitra."},
			{Text: "Each delegation brings proposals for the zone's first projects to the sixth round."}},
		"ar": {{Text: "ستدرس الأطراف إنشاء منطقة اقتصادية منزوعة السلاح على جانبي الخط، حول القنيطرة."},
			{Text: "يقدم كل وفد مقترحات للمشاريع الأولى في المنطقة إلى الجولة السادسة."}},
	}
	if _, err := as("us.diplomatic", diplomacy.KindStatementDraft, map[string]any{"statement": map[string]any{"id": "economic-zone",
		"title": "Joint statement on the economic zone", "titles": map[string]string{"ar": "بيان مشترك بشأن المنطقة الاقتصادية", "he": "הצהרה משותפת על האזור הכלכלי"},
		"kind": "joint_statement", "required": []string{"il", "sy"}, "round": "round-5"}, "texts": v1}); err != nil {
		return err
	}
	if _, err := as("sy.diplomatic", diplomacy.KindStatementComment, map[string]any{"statement": "economic-zone", "version": 1, "lang": "en", "paragraph": 0,
		"text": "Say that the zone's projects are civilian and open to both sides' communities."}); err != nil {
		return err
	}
	v2 := map[string][]diplomacy.Paragraph{
		"en": {{Text: "The parties will study a demilitarized economic zone on both sides of the line, around Quneitra, for civilian projects open to the communities of both sides."},
			v1["en"][1]},
		"ar": {{Text: "ستدرس الأطراف إنشاء منطقة اقتصادية منزوعة السلاح على جانبي الخط، حول القنيطرة، لمشاريع مدنية مفتوحة لمجتمعات الجانبين."},
			v1["ar"][1]},
	}
	if _, err := as("sy.diplomatic", diplomacy.KindStatementDraft, map[string]any{"statement": map[string]any{"id": "economic-zone"}, "texts": v2}); err != nil {
		return err
	}
	hashes := map[string]string{}
	for lang, ps := range v2 {
		hashes[lang] = diplomacy.TextHash(ps)
	}
	_, err := as("il.diplomatic", diplomacy.KindStatementSign, map[string]any{"statement": "economic-zone", "version": 2, "hashes": hashes})
	return err
}
