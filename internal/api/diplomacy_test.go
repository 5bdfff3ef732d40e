package api_test

// The diplomatic desk through HTTP, on every backend, as the members of
// each party would use it: a dispute from filing to the talks with a
// deadline missed on the way, a statement co-signed version by version
// and published, the withdrawal timetable, agreements and rounds; and the
// refusals: of the party that may not, of a path that names another thing
// than its command, and of what a party may not read, answered as what
// does not exist. Evidence bundles are checked as a judge would, offline,
// and for holding nothing their reader may not read.

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/diplomacy"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/evidence"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
)

// setDeskDeadlines has the mediator's admin set the cell's desk deadlines
// (in seconds), keeping the rest of its settings.
func setDeskDeadlines(t testing.TB, ts *testServer, deadlines map[string]int) {
	t.Helper()
	us := ts.login(t, "us.duty")
	var c struct{ Cell cell.Info }
	us.getJSON(t, "/api/v1/cell", &c)
	st := c.Cell.Settings
	st.Deadlines = deadlines
	us.submitOK(t, "POST", "/api/v1/entries", us.sign(cell.KindCellSettings, map[string]any{"settings": st}), http.StatusCreated)
}

// disputeAnswer is the answer to a dispute's step.
type disputeAnswer struct {
	Entry   api.EntryJSON  `json:"entry"`
	Dispute api.DisputeRow `json:"dispute"`
}

func (c *client) disputeStep(t testing.TB, id int64, verb, kind string, fields map[string]any) disputeAnswer {
	t.Helper()
	f := map[string]any{"dispute": id}
	for k, v := range fields {
		f[k] = v
	}
	r := c.submit(t, "POST", "/api/v1/disputes/"+itoa(id)+"/"+verb, c.sign(kind, f))
	if r.Status != http.StatusCreated {
		t.Fatalf("%s %s dispute %d: %s", c.member, verb, id, r)
	}
	var a disputeAnswer
	decode(t, r, &a)
	if a.Dispute.ID != id {
		t.Fatalf("the answer to %s is about dispute %d, not %d", verb, a.Dispute.ID, id)
	}
	return a
}

// bundle fetches an evidence bundle, checks it offline as a judge would,
// and requires every entry in it to be one party reads.
func (c *client) bundle(t testing.TB, path, party string) (*evidence.Bundle, *evidence.Checked) {
	t.Helper()
	r := c.get(t, path)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Disposition"), `attachment; filename="liaison-`+seed.DemoCell+"-") {
		t.Fatalf("%s GET %s: %s %v", c.member, path, r, r.Header)
	}
	var b evidence.Bundle
	decode(t, r, &b)
	got, err := evidence.Check(&b)
	if err != nil {
		t.Fatalf("%s's bundle %s does not check: %v", c.member, path, err)
	}
	// The judge compares the bundle's key with the cell's published one.
	if key := c.get(t, "/api/v1/log/key"); strings.TrimSpace(string(key.Body)) != b.NoteKey {
		t.Errorf("the bundle's key %q is not the cell's %q", b.NoteKey, key.Body)
	}
	for _, it := range b.Entries {
		e, err := record.ParseEntry(it.LeafData)
		if err != nil {
			t.Fatal(err)
		}
		if party != "us" && !slices.Contains(e.Audience, party) && !slices.Contains(e.Audience, record.Everyone) {
			t.Errorf("%s's bundle holds entry %d (%s) for %v, outside its audience", c.member, e.Index, e.Envelope.Kind(), e.Audience)
		}
	}
	return &b, got
}

func citedKinds(got *evidence.Checked) []string {
	var out []string
	for _, e := range got.Cited {
		out = append(out, e.Envelope.Kind())
	}
	return out
}

// A dispute from filing to the talks: refused to whoever may not file it
// or with a cite the respondent could not read; the mediator misses the
// acknowledgement deadline (1 s) and the watch escalates; the respondent
// answers, the mediator finds, shares the dispute with the observer
// (which reads the share and never the finding, through any route), one
// side refuses the finding and the dispute waits for the next round,
// whose outcome resolves it. Its bundle checks offline and holds only what
// each party may read.
func TestDiplomacyDisputeOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		setDeskDeadlines(t, ts, map[string]int{"dispute.ack": 1})
		il, sy, us, jo := ts.login(t, "il.diplomatic"), ts.login(t, "sy.diplomatic"), ts.login(t, "us.diplomatic"), ts.login(t, "jo.duty")
		shared := il.sendMessage(t, message("joint-diplomatic", hotline.Routine, "Notice of the exercise", "Our artillery exercise starts at 0600."))
		private := il.sendMessage(t, message("line-il", hotline.Routine, "For the mediator", "The exercise covers a rotation."))
		file := func(c *client, respondent string, cites ...map[string]any) reply {
			if cites == nil {
				cites = []map[string]any{}
			}
			return c.submit(t, "POST", "/api/v1/disputes", c.sign(diplomacy.KindDisputeFile, map[string]any{"respondent": respondent,
				"title": "Artillery notified late", "description": "Article 2 asks 24 hours' notice; this had two.",
				"articles": []map[string]any{{"agreement": "paris", "article": "2"}}, "cites": cites}))
		}
		size := ts.size(t)
		wantType(t, file(jo, "il"), http.StatusForbidden, "forbidden")
		wantType(t, file(us, "il"), http.StatusForbidden, "forbidden")
		wantType(t, file(ts.login(t, "sy.military"), "il"), http.StatusForbidden, "forbidden")
		wantType(t, file(sy, "sy"), http.StatusUnprocessableEntity, "invalid")
		if p := wantType(t, file(il, "sy", map[string]any{"kind": "message", "id": private}), http.StatusUnprocessableEntity, "invalid"); !strings.Contains(p.Detail, "is not sy's to read") {
			t.Errorf("a cite the claimant reads but the respondent does not: %s", p.Detail)
		}
		if ts.size(t) != size {
			t.Fatal("a refused dispute appended")
		}
		r := file(sy, "il", map[string]any{"kind": "message", "id": shared})
		if r.Status != http.StatusCreated {
			t.Fatalf("filing: %s", r)
		}
		var filed disputeAnswer
		decode(t, r, &filed)
		id := filed.Entry.Index
		if d := filed.Dispute; d.ID != id || d.Status != "filed" || !slices.Equal(d.Awaiting, []string{"us"}) || len(d.Cites) != 1 || d.Cites[0].Entries[0] != shared {
			t.Fatalf("the dispute as filed: %+v", d)
		}
		if !slices.Equal(filed.Entry.Audience, []string{"il", "sy", "us"}) {
			t.Errorf("the filing's audience: %v", filed.Entry.Audience)
		}
		sameNotFound(t, jo.get(t, "/api/v1/disputes/"+itoa(id)), itoa(id), jo.get(t, "/api/v1/disputes/99999999"), "99999999")
		sameNotFound(t, jo.get(t, "/api/v1/disputes/"+itoa(id)+"/evidence"), itoa(id), jo.get(t, "/api/v1/disputes/99999999/evidence"), "99999999")
		wantType(t, jo.get(t, "/api/v1/disputes/x"), http.StatusBadRequest, "bad-request")

		// The mediator misses the deadline: the watch escalates its silence.
		w := newWatch(t, ts)
		tickUntil(t, w, "the escalation of the missed acknowledgement", func() bool {
			var owed struct{ Dues []dues.Due }
			ts.login(t, "us.duty").getJSON(t, "/api/v1/dues", &owed)
			return slices.ContainsFunc(owed.Dues, func(d dues.Due) bool {
				return d.Kind == diplomacy.DueDispute && d.Ref == id && d.Item == "ack" && d.Level >= 1
			})
		})
		var reg api.Register
		sy.getJSON(t, "/api/v1/disputes?sort=deadline", &reg)
		if i := slices.IndexFunc(reg.Disputes, func(d api.DisputeRow) bool { return d.ID == id }); i < 0 || !reg.Disputes[i].Overdue {
			t.Errorf("the register does not show the missed deadline: %+v", reg.Disputes)
		}

		// The steps, each refused to who may not take it, and a path that
		// names another dispute than its command.
		step := func(c *client, verb, kind string, fields map[string]any) reply {
			f := map[string]any{"dispute": id}
			for k, v := range fields {
				f[k] = v
			}
			return c.submit(t, "POST", "/api/v1/disputes/"+itoa(id)+"/"+verb, c.sign(kind, f))
		}
		wantType(t, step(sy, "ack", diplomacy.KindDisputeAck, nil), http.StatusForbidden, "forbidden")
		wantType(t, step(us, "ack", diplomacy.KindDisputeAck, map[string]any{"dispute": shared}), http.StatusUnprocessableEntity, "wrong-target")
		wantType(t, step(us, "respond", diplomacy.KindDisputeAck, nil), http.StatusUnprocessableEntity, "wrong-kind")
		wantType(t, step(il, "respond", diplomacy.KindDisputeRespond, map[string]any{"text": "too early"}), http.StatusConflict, "conflict")
		if a := us.disputeStep(t, id, "ack", diplomacy.KindDisputeAck, map[string]any{"text": "Received."}); a.Dispute.Status != "acknowledged" || !slices.Equal(a.Dispute.Awaiting, []string{"il"}) {
			t.Errorf("after the acknowledgement: %+v", a.Dispute)
		}
		wantType(t, step(sy, "respond", diplomacy.KindDisputeRespond, map[string]any{"text": "we answer for them"}), http.StatusForbidden, "forbidden")
		il.disputeStep(t, id, "respond", diplomacy.KindDisputeRespond, map[string]any{"text": "The notice was given on the hotline the day before."})
		wantType(t, step(us, "finding", diplomacy.KindDisputeFinding, map[string]any{"text": "x", "outcome": "guilty"}), http.StatusUnprocessableEntity, "invalid")
		const finding = "Notice was given fourteen hours ahead, not twenty-four."
		found := us.disputeStep(t, id, "finding", diplomacy.KindDisputeFinding, map[string]any{"text": finding, "outcome": "upheld"})
		if !slices.Equal(found.Dispute.Awaiting, []string{"sy", "il"}) || found.Dispute.Finding == nil || found.Dispute.Finding.Outcome != "upheld" {
			t.Errorf("after the finding: %+v", found.Dispute)
		}

		// Shared with the observer: it reads the share and nothing more.
		share := map[string]any{"observer": "jo", "title": "Artillery notified late", "description": "Article 2 asks 24 hours' notice; this had two.", "status": "found",
			"note": "The mechanism is settling it."}
		wantType(t, step(us, "share", diplomacy.KindDisputeShare, map[string]any{"observer": "jo", "title": "Something else", "description": "x", "status": "found"}),
			http.StatusUnprocessableEntity, "invalid")
		wantType(t, step(sy, "share", diplomacy.KindDisputeShare, share), http.StatusForbidden, "forbidden")
		us.disputeStep(t, id, "share", diplomacy.KindDisputeShare, share)
		r = jo.get(t, "/api/v1/disputes")
		decode(t, r, &reg)
		if len(reg.Disputes) != 0 || !slices.ContainsFunc(reg.Shared, func(s diplomacy.SharedDispute) bool {
			return s.Dispute == id && s.Note == "The mechanism is settling it."
		}) {
			t.Errorf("Jordan's register: %s", r.Body)
		}
		for _, path := range []string{"/api/v1/disputes", "/api/v1/disputes?status=found", "/api/v1/rounds", "/api/v1/dues", "/api/v1/entries?after=-1&limit=1000"} {
			if r := jo.get(t, path); bytes.Contains(r.Body, []byte(finding)) || bytes.Contains(r.Body, []byte(`"finding"`)) || bytes.Contains(r.Body, []byte("fourteen hours")) {
				t.Errorf("%s shows Jordan the finding: %s", path, r.Body)
			}
		}
		var det api.DisputeDetail
		il.getJSON(t, "/api/v1/disputes/"+itoa(id), &det)
		if len(det.Shares) != 1 || det.Shares[0].Observer != "jo" {
			t.Errorf("Israel does not read what the mediator told Jordan: %+v", det.Shares)
		}

		// Syria accepts, Israel refuses: to the next round, which is not
		// called yet.
		wantType(t, step(il, "accept", diplomacy.KindDisputeAccept, map[string]any{"accept": false}), http.StatusUnprocessableEntity, "invalid")
		wantType(t, step(ts.login(t, "il.military"), "accept", diplomacy.KindDisputeAccept, map[string]any{"accept": true}), http.StatusForbidden, "forbidden")
		sy.disputeStep(t, id, "accept", diplomacy.KindDisputeAccept, map[string]any{"accept": true})
		wantType(t, step(sy, "accept", diplomacy.KindDisputeAccept, map[string]any{"accept": true}), http.StatusConflict, "conflict")
		esc := il.disputeStep(t, id, "accept", diplomacy.KindDisputeAccept, map[string]any{"accept": false, "reason": "Fourteen hours is what the line allows at night."})
		if esc.Dispute.Status != "escalated" || len(esc.Dispute.Awaiting) != 0 || esc.Dispute.Round != "" {
			t.Fatalf("after the refusal: %+v", esc.Dispute)
		}
		var rounds api.RoundsView
		sy.getJSON(t, "/api/v1/rounds", &rounds)
		if !slices.ContainsFunc(rounds.Waiting, func(it diplomacy.AgendaItem) bool { return it.Dispute == id }) {
			t.Errorf("Syria's items waiting for a round: %+v", rounds.Waiting)
		}
		jo.getJSON(t, "/api/v1/rounds", &rounds)
		if len(rounds.Rounds) != 0 || len(rounds.Waiting) != 0 {
			t.Errorf("Jordan reads the talks: %+v", rounds)
		}
		il.getJSON(t, "/api/v1/disputes/"+itoa(id), &det)
		if det.Item == nil || det.Item.Round != "" || det.Item.Dispute != id {
			t.Errorf("the dispute's waiting item: %+v", det.Item)
		}

		// The next round takes it onto its agenda; its outcome resolves it.
		start := time.Now().Add(7 * 24 * time.Hour).UTC().Truncate(time.Second)
		us.submitOK(t, "POST", "/api/v1/rounds", us.sign(diplomacy.KindRoundCreate, map[string]any{"round": map[string]any{"id": "round-6", "number": 6,
			"place": "Paris", "start": start, "end": start.Add(48 * time.Hour), "delegations": map[string][]string{"il": {"Head of delegation"}}}}), http.StatusCreated)
		var rd api.RoundView
		sy.getJSON(t, "/api/v1/rounds/round-6", &rd)
		item := "dispute-" + itoa(id)
		if !slices.ContainsFunc(rd.Agenda, func(it diplomacy.AgendaItem) bool { return it.ID == item && it.Round == "round-6" }) {
			t.Fatalf("round 6's agenda as Syria reads it: %+v", rd.Agenda)
		}
		outcome := map[string]any{"round": "round-6", "item": item, "outcome": "agreed", "text": "Twenty-four hours' notice by day and by night."}
		wantType(t, us.submit(t, "POST", "/api/v1/rounds/round-6/items/withdrawal/outcome", us.sign(diplomacy.KindRoundOutcome, outcome)),
			http.StatusUnprocessableEntity, "wrong-target")
		wantType(t, us.submit(t, "POST", "/api/v1/rounds/round-5/items/"+item+"/outcome", us.sign(diplomacy.KindRoundOutcome, outcome)),
			http.StatusUnprocessableEntity, "wrong-target")
		wantType(t, sy.submit(t, "POST", "/api/v1/rounds/round-6/items/"+item+"/outcome", sy.sign(diplomacy.KindRoundOutcome, outcome)),
			http.StatusForbidden, "forbidden")
		us.submitOK(t, "POST", "/api/v1/rounds/round-6/items/"+item+"/outcome", us.sign(diplomacy.KindRoundOutcome, outcome), http.StatusCreated)
		il.getJSON(t, "/api/v1/disputes/"+itoa(id), &det)
		if det.Status != "resolved" || det.Round != "round-6" || det.Item == nil || det.Item.Outcome == nil {
			t.Errorf("after the round's outcome: %+v", det)
		}

		// The register's filters.
		ids := func(path string) []int64 {
			t.Helper()
			var reg api.Register
			us.getJSON(t, path, &reg)
			var out []int64
			for _, d := range reg.Disputes {
				out = append(out, d.ID)
			}
			return out
		}
		if got := ids("/api/v1/disputes?status=resolved&article=paris:2"); !slices.Contains(got, id) {
			t.Errorf("resolved disputes citing paris:2: %v", got)
		}
		if got := ids("/api/v1/disputes?article=disengagement-1974"); slices.Contains(got, id) || len(got) == 0 {
			t.Errorf("disputes citing the 1974 agreement: %v", got)
		}
		if got := ids("/api/v1/disputes?status=open"); slices.Contains(got, id) || len(got) == 0 {
			t.Errorf("open disputes: %v", got)
		}
		if got := ids("/api/v1/disputes?party=il&sort=age"); len(got) < 3 || !slices.Contains(got, id) {
			t.Errorf("Israel's disputes: %v", got)
		}
		for _, q := range []string{"?status=closed", "?sort=newest", "?article=Paris:2", "?party=IL", "?status=found&status=filed",
			"?limit=0", "?limit=501", "?limit=x", "?after=12", "?after=1.x", "?after=" + strings.Repeat("1", 41) + ".1"} {
			wantType(t, us.get(t, "/api/v1/disputes"+q), http.StatusBadRequest, "bad-request")
		}
		// By pages of one, the register is the whole register, in its order,
		// the shares on the first page alone.
		for _, sort := range []string{"age", "deadline"} {
			var whole api.Register
			us.getJSON(t, "/api/v1/disputes?sort="+sort, &whole)
			if whole.Next != "" || len(whole.Disputes) < 3 {
				t.Fatalf("the register by %s in one page: %d disputes, next %q", sort, len(whole.Disputes), whole.Next)
			}
			var got []int64
			after := ""
			for page := 0; ; page++ {
				var reg api.Register
				us.getJSON(t, "/api/v1/disputes?limit=1&sort="+sort+"&after="+after, &reg)
				if len(reg.Disputes) > 1 || page > 0 && len(reg.Shared) != 0 || page == 0 && len(reg.Shared) != len(whole.Shared) {
					t.Fatalf("page %d by %s: %d disputes, %d shares", page, sort, len(reg.Disputes), len(reg.Shared))
				}
				for _, d := range reg.Disputes {
					got = append(got, d.ID)
				}
				if reg.Next == "" {
					break
				}
				after = reg.Next
			}
			var want []int64
			for _, d := range whole.Disputes {
				want = append(want, d.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("the register by %s, by pages of one: %v, want %v", sort, got, want)
			}
		}

		// The evidence, as each party to it reads it: every step and the
		// cited message.
		if err := ts.Ledger.SignCheckpoint(context.Background(), seed.DemoCell); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*client{sy, il, us} {
			b, got := c.bundle(t, "/api/v1/disputes/"+itoa(id)+"/evidence", c.member[:2])
			if !slices.Equal(b.Cited, det.EvidenceOf()) {
				t.Errorf("%s's bundle cites %v, the dispute's evidence is %v", c.member, b.Cited, det.EvidenceOf())
			}
			kinds := citedKinds(got)
			for _, k := range []string{hotline.KindMessageSend, diplomacy.KindDisputeFile, diplomacy.KindDisputeAck, diplomacy.KindDisputeRespond,
				diplomacy.KindDisputeFinding, diplomacy.KindDisputeAccept, diplomacy.KindRoundOutcome} {
				if !slices.Contains(kinds, k) {
					t.Errorf("%s's bundle lacks a %s: %v", c.member, k, kinds)
				}
			}
		}
	})
}

// statementAnswer is the answer to a statement's command.
type statementAnswer struct {
	Entry     api.EntryJSON       `json:"entry"`
	Statement api.StatementAnswer `json:"statement"`
}

// A statement co-signed version by version: two signatures of three do
// not agree it, a new version carries none, a signature on an older one or
// with another version's hashes is refused; the observer reads nothing of
// the drafts, then the publication alone, whose bundle it checks with the
// cell's published key.
func TestDiplomacyStatementOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, sy, us, jo := ts.login(t, "il.diplomatic"), ts.login(t, "sy.diplomatic"), ts.login(t, "us.diplomatic"), ts.login(t, "jo.duty")
		texts := func(first string) map[string]any {
			return map[string]any{"en": []map[string]string{{"text": first}, {"text": "The parties will meet again in January."}},
				"ar": []map[string]string{{"text": "اتفقت الأطراف على تمديد وقف العمليات."}, {"text": "ستجتمع الأطراف مجددا في كانون الثاني."}}}
		}
		const title = "Joint statement on the suspension"
		draft := map[string]any{"statement": map[string]any{"id": "suspension", "title": title, "kind": "joint_statement", "required": []string{"il", "sy"}},
			"texts": texts("The parties agreed to extend the suspension of operations.")}
		wantType(t, jo.submit(t, "POST", "/api/v1/statements", jo.sign(diplomacy.KindStatementDraft, draft)), http.StatusForbidden, "forbidden")
		r := us.submit(t, "POST", "/api/v1/statements", us.sign(diplomacy.KindStatementDraft, draft))
		if r.Status != http.StatusCreated {
			t.Fatalf("draft: %s", r)
		}
		var a statementAnswer
		decode(t, r, &a)
		if a.Statement.ID != "suspension" || a.Statement.Version == nil || a.Statement.Version.Version != 1 || len(a.Statement.Version.Hashes) != 2 {
			t.Fatalf("the draft's answer: %+v", a.Statement)
		}
		h1 := a.Statement.Version.Hashes
		sameNotFound(t, jo.get(t, "/api/v1/statements/suspension"), "suspension", jo.get(t, "/api/v1/statements/no-such-thing"), "no-such-thing")
		sign := func(c *client, path string, v int, h map[string]string) reply {
			return c.submit(t, "POST", path, c.sign(diplomacy.KindStatementSign, map[string]any{"statement": "suspension", "version": v, "hashes": h}))
		}
		wantType(t, sign(il, "/api/v1/statements/paris-5/sign", 1, h1), http.StatusUnprocessableEntity, "wrong-target")
		for _, c := range []*client{il, us} {
			if r := sign(c, "/api/v1/statements/suspension/sign", 1, h1); r.Status != http.StatusCreated {
				t.Fatalf("%s signs version 1: %s", c.member, r)
			}
		}
		var d diplomacy.StatementDetail
		sy.getJSON(t, "/api/v1/statements/suspension", &d)
		if d.Agreed != 0 || len(d.Versions) != 1 || !slices.Equal(d.Versions[0].Awaiting, []string{"sy"}) || d.Versions[0].Status != "draft" {
			t.Fatalf("signed by two of three: %+v", d)
		}

		// Syria comments and redrafts: version 2 carries no signature, and
		// version 1 takes none any more.
		sy.submitOK(t, "POST", "/api/v1/statements/suspension/comments", sy.sign(diplomacy.KindStatementComment, map[string]any{"statement": "suspension",
			"version": 1, "lang": "en", "paragraph": 0, "text": "Say 'in the south'."}), http.StatusCreated)
		r = sy.submit(t, "POST", "/api/v1/statements", sy.sign(diplomacy.KindStatementDraft, map[string]any{"statement": map[string]any{"id": "suspension"},
			"texts": texts("The parties agreed to extend the suspension of operations in the south.")}))
		if r.Status != http.StatusCreated {
			t.Fatalf("version 2: %s", r)
		}
		var a2 statementAnswer
		decode(t, r, &a2)
		h2 := a2.Statement.Version.Hashes
		if a2.Statement.Version.Version != 2 || len(a2.Statement.Version.Signatures) != 0 || h2["en"] == h1["en"] || h2["ar"] != h1["ar"] {
			t.Fatalf("version 2: %+v", a2.Statement.Version)
		}
		if p := wantType(t, sign(sy, "/api/v1/statements/suspension/sign", 1, h1), http.StatusConflict, "conflict"); !strings.Contains(p.Detail, "superseded by version 2") {
			t.Errorf("a signature on an older version: %s", p.Detail)
		}
		wantType(t, sign(sy, "/api/v1/statements/suspension/sign", 2, h1), http.StatusConflict, "conflict")
		wantType(t, sign(ts.login(t, "sy.military"), "/api/v1/statements/suspension/sign", 2, h2), http.StatusForbidden, "forbidden")
		wantType(t, sign(jo, "/api/v1/statements/suspension/sign", 2, h2), http.StatusForbidden, "forbidden")

		// The versions compare paragraph by paragraph; the observer reads
		// neither.
		var diff api.StatementDiff
		il.getJSON(t, "/api/v1/statements/suspension/diff?from=1&to=2", &diff)
		var changed []string
		for _, p := range diff.Paragraphs {
			if p.Change != "unchanged" {
				changed = append(changed, p.Lang+":"+itoa(int64(p.Paragraph))+":"+p.Change)
			}
		}
		if !slices.Equal(changed, []string{"en:0:changed"}) || diff.From != 1 || diff.To != 2 {
			t.Errorf("the diff of versions 1 and 2: %+v", diff)
		}
		il.getJSON(t, "/api/v1/statements/suspension/diff", &diff) // the latest against the one before
		if diff.From != 1 || diff.To != 2 {
			t.Errorf("the default diff: %d to %d", diff.From, diff.To)
		}
		wantType(t, il.get(t, "/api/v1/statements/suspension/diff?from=1&to=3"), http.StatusNotFound, "not-found")
		wantType(t, il.get(t, "/api/v1/statements/suspension/diff?from=one"), http.StatusBadRequest, "bad-request")
		sameNotFound(t, jo.get(t, "/api/v1/statements/suspension/diff?from=1&to=2"), "suspension", jo.get(t, "/api/v1/statements/nothing/diff?from=1&to=2"), "nothing")

		// Before it is agreed, a party's bundle proves the signatures so far.
		if err := ts.Ledger.SignCheckpoint(context.Background(), seed.DemoCell); err != nil {
			t.Fatal(err)
		}
		_, got := il.bundle(t, "/api/v1/statements/suspension/evidence", "il")
		if k := citedKinds(got); !slices.Equal(k, []string{diplomacy.KindStatementDraft, diplomacy.KindStatementDraft}) {
			t.Errorf("the bundle of a version no one signed: %v", k)
		}
		sameNotFound(t, jo.get(t, "/api/v1/statements/suspension/evidence"), "suspension", jo.get(t, "/api/v1/statements/nothing/evidence"), "nothing")

		for _, c := range []*client{us, il, sy} {
			if r := sign(c, "/api/v1/statements/suspension/sign", 2, h2); r.Status != http.StatusCreated {
				t.Fatalf("%s signs version 2: %s", c.member, r)
			}
		}
		sy.getJSON(t, "/api/v1/statements/suspension", &d)
		if d.Agreed != 2 || d.Versions[1].Status != "agreed" || d.Versions[0].Status != "superseded" || len(d.Comments) != 1 {
			t.Fatalf("agreed by all three: %+v", d)
		}
		if jo.get(t, "/api/v1/statements/suspension").Status != http.StatusNotFound {
			t.Fatal("an observer reads an agreed statement before it is published")
		}

		// Published: the mediator restates title, texts, hashes and signatures.
		v2 := d.Versions[1]
		publish := func(c *client, title string) reply {
			return c.submit(t, "POST", "/api/v1/statements/suspension/publish", c.sign(diplomacy.KindStatementPublish, map[string]any{"statement": "suspension",
				"version": 2, "title": title, "texts": v2.Texts, "hashes": v2.Hashes, "signatures": v2.Signatures}))
		}
		wantType(t, publish(il, title), http.StatusForbidden, "forbidden")
		wantType(t, publish(us, "Another title"), http.StatusUnprocessableEntity, "invalid")
		if r := publish(us, title); r.Status != http.StatusCreated {
			t.Fatalf("publish: %s", r)
		}
		var pub diplomacy.StatementDetail
		r = jo.get(t, "/api/v1/statements/suspension")
		decode(t, r, &pub)
		if pub.Published == nil || pub.Published.Version != 2 || pub.Published.Title != title || len(pub.Versions) != 0 || len(pub.Comments) != 0 ||
			bytes.Contains(r.Body, []byte("Say 'in the south'")) || bytes.Contains(r.Body, []byte("extend the suspension of operations.")) {
			t.Errorf("the observer's published statement: %s", r.Body)
		}
		var list api.StatementsView
		jo.getJSON(t, "/api/v1/statements", &list)
		if len(list.Statements) != 0 || !slices.ContainsFunc(list.Published, func(p diplomacy.Published) bool { return p.Statement == "suspension" }) {
			t.Errorf("Jordan's statements: %+v", list)
		}
		wantType(t, us.submit(t, "POST", "/api/v1/statements", us.sign(diplomacy.KindStatementDraft, map[string]any{"statement": map[string]any{"id": "suspension"},
			"texts": texts("A change after publication.")})), http.StatusConflict, "conflict")

		// The bundles: a party's proves the text, every signature and the
		// publication; the observer's the publication alone.
		if err := ts.Ledger.SignCheckpoint(context.Background(), seed.DemoCell); err != nil {
			t.Fatal(err)
		}
		_, got = il.bundle(t, "/api/v1/statements/suspension/evidence", "il")
		want := []string{diplomacy.KindStatementDraft, diplomacy.KindStatementDraft, diplomacy.KindStatementSign, diplomacy.KindStatementSign,
			diplomacy.KindStatementSign, diplomacy.KindStatementPublish}
		if k := citedKinds(got); !slices.Equal(k, want) {
			t.Errorf("Israel's bundle: %v, want %v", k, want)
		}
		proven, err := diplomacy.StatementsProven(got.Cited)
		if err != nil || len(proven) != 1 || !proven[0].Complete || proven[0].Version != 2 || !slices.Equal(proven[0].Signed, []string{"il", "sy", "us"}) {
			t.Errorf("what Israel's bundle proves: %+v, %v", proven, err)
		}
		_, got = jo.bundle(t, "/api/v1/statements/suspension/evidence", "jo")
		if k := citedKinds(got); !slices.Equal(k, []string{diplomacy.KindStatementPublish}) {
			t.Errorf("Jordan's bundle: %v", k)
		}
		proven, err = diplomacy.StatementsProven(got.Cited)
		if err != nil || len(proven) != 1 || proven[0].Complete || proven[0].Hashes["en"] != h2["en"] {
			t.Errorf("what Jordan's bundle proves: %+v, %v", proven, err)
		}
	})
}

// The withdrawal timetable as the sides read it: each phase's due date,
// status with its reason and entry, overdue plainly; the responsible side
// reports itself on track and no more, the mediator reports on a phase and
// the other side signs it off. The observer reads none of it.
func TestDiplomacyCommitmentsOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, sy, us, jo := ts.login(t, "il.diplomatic"), ts.login(t, "sy.diplomatic"), ts.login(t, "us.diplomatic"), ts.login(t, "jo.duty")
		var list struct{ Commitments []api.CommitmentView }
		sy.getJSON(t, "/api/v1/commitments", &list)
		i := slices.IndexFunc(list.Commitments, func(c api.CommitmentView) bool { return c.ID == "withdrawal-timetable" })
		if i < 0 {
			t.Fatalf("Syria's commitments: %+v", list.Commitments)
		}
		wt := list.Commitments[i]
		if wt.Kind != "withdrawal" || wt.Party != "il" || wt.Status != "at_risk" || wt.Overdue != 1 || len(wt.Milestones) != 2 ||
			!wt.Milestones[0].Overdue || wt.Milestones[0].Status != "at_risk" || wt.Milestones[0].Reason == "" || wt.Milestones[0].Entry == 0 ||
			wt.Milestones[1].Overdue || wt.Milestones[1].Zone != "alpha-line" {
			t.Errorf("the withdrawal timetable: %+v", wt)
		}
		jo.getJSON(t, "/api/v1/commitments", &list)
		if len(list.Commitments) != 0 {
			t.Errorf("Jordan reads %d commitments", len(list.Commitments))
		}
		sameNotFound(t, jo.get(t, "/api/v1/commitments/withdrawal-timetable"), "withdrawal-timetable", jo.get(t, "/api/v1/commitments/no-such-thing"), "no-such-thing")

		on := func(c *client, milestone, verb, kind string, fields map[string]any) reply {
			f := map[string]any{"commitment": "withdrawal-timetable", "milestone": milestone}
			for k, v := range fields {
				f[k] = v
			}
			return c.submit(t, "POST", "/api/v1/commitments/withdrawal-timetable/milestones/"+milestone+"/"+verb, c.sign(kind, f))
		}
		status := func(st, reason string) map[string]any { return map[string]any{"status": st, "reason": reason} }
		wantType(t, on(il, "phase-2", "status", diplomacy.KindCommitmentStatus, map[string]any{"milestone": "phase-1", "status": "on_track", "reason": "x"}),
			http.StatusUnprocessableEntity, "wrong-target")
		wantType(t, il.submit(t, "POST", "/api/v1/commitments/no-heavy-artillery/milestones/phase-1/status", il.sign(diplomacy.KindCommitmentStatus,
			map[string]any{"commitment": "withdrawal-timetable", "milestone": "phase-1", "status": "on_track", "reason": "x"})), http.StatusUnprocessableEntity, "wrong-target")
		wantType(t, on(il, "phase-1", "status", diplomacy.KindCommitmentStatus, status("fulfilled", "we say so")), http.StatusForbidden, "forbidden")
		wantType(t, on(sy, "phase-1", "status", diplomacy.KindCommitmentStatus, status("breached", "we say so")), http.StatusForbidden, "forbidden")
		wantType(t, on(jo, "phase-1", "status", diplomacy.KindCommitmentStatus, status("on_track", "we say so")), http.StatusForbidden, "forbidden")
		wantType(t, on(il, "phase-1", "status", diplomacy.KindCommitmentStatus, status("on_track", "")), http.StatusUnprocessableEntity, "invalid")
		r := on(il, "phase-1", "status", diplomacy.KindCommitmentStatus, status("on_track", "The units have their orders."))
		if r.Status != http.StatusCreated {
			t.Fatalf("Israel's status: %s", r)
		}
		var after struct {
			Entry      api.EntryJSON
			Commitment api.CommitmentView
		}
		decode(t, r, &after)
		if m := after.Commitment.Milestones[0]; m.Status != "on_track" || m.Reason != "The units have their orders." || m.Entry != after.Entry.Index || !m.Overdue {
			t.Errorf("phase 1 after Israel's report: %+v", m)
		}

		report := map[string]any{"complete": true, "text": "The posts are vacated."}
		wantType(t, on(il, "phase-1", "report", diplomacy.KindPhaseReport, report), http.StatusForbidden, "forbidden")
		wantType(t, on(sy, "phase-1", "signoff", diplomacy.KindPhaseSignoff, map[string]any{"accept": true}), http.StatusConflict, "conflict")
		us.submitOK(t, "POST", "/api/v1/commitments/withdrawal-timetable/milestones/phase-1/report", us.sign(diplomacy.KindPhaseReport,
			map[string]any{"commitment": "withdrawal-timetable", "milestone": "phase-1", "complete": true, "text": "The posts are vacated."}), http.StatusCreated)
		var owed struct{ Dues []dues.Due }
		sy.getJSON(t, "/api/v1/dues", &owed)
		if !slices.ContainsFunc(owed.Dues, func(d dues.Due) bool { return d.Kind == diplomacy.DueSignoff && d.Item == "phase-1" }) {
			t.Errorf("Syria owes no sign-off: %+v", owed.Dues)
		}
		wantType(t, on(il, "phase-1", "signoff", diplomacy.KindPhaseSignoff, map[string]any{"accept": true}), http.StatusForbidden, "forbidden")
		wantType(t, on(ts.login(t, "sy.military"), "phase-1", "signoff", diplomacy.KindPhaseSignoff, map[string]any{"accept": true}), http.StatusForbidden, "forbidden")
		wantType(t, on(sy, "phase-1", "signoff", diplomacy.KindPhaseSignoff, map[string]any{"accept": false}), http.StatusUnprocessableEntity, "invalid")
		r = on(sy, "phase-1", "signoff", diplomacy.KindPhaseSignoff, map[string]any{"accept": true})
		if r.Status != http.StatusCreated {
			t.Fatalf("the sign-off: %s", r)
		}
		var c api.CommitmentView
		il.getJSON(t, "/api/v1/commitments/withdrawal-timetable", &c)
		if m := c.Milestones[0]; m.Status != "fulfilled" || m.Overdue || m.Signoff == nil || m.Signoff.Party != "sy" || c.Overdue != 0 {
			t.Errorf("phase 1 signed off: %+v", c)
		}
		wantType(t, il.submit(t, "POST", "/api/v1/commitments", il.sign(diplomacy.KindCommitmentCreate, map[string]any{"commitment": map[string]any{
			"id": "x", "kind": "commitment", "title": "x", "article": map[string]any{"agreement": "paris", "article": "2"}, "party": "sy",
			"milestones": []map[string]any{{"id": "m", "title": "m", "due": time.Now().Add(time.Hour)}}}})), http.StatusForbidden, "forbidden")

		// The timeline the pages draw is every milestone by due date.
		req, p := il.principal(t)
		tl, err := ts.API.Timeline(req, p, time.Now())
		if err != nil || len(tl) < 3 {
			t.Fatalf("the timeline: %+v, %v", tl, err)
		}
		for i := 1; i < len(tl); i++ {
			if tl[i].Milestone.Due.Before(tl[i-1].Milestone.Due) {
				t.Errorf("the timeline is out of order at %d: %+v", i, tl)
			}
		}
		req, p = jo.principal(t)
		if tl, err := ts.API.Timeline(req, p, time.Now()); err != nil || len(tl) != 0 {
			t.Errorf("Jordan's timeline: %+v, %v", tl, err)
		}
	})
}

// Agreements every party reads, recorded by the mediator alone, compared
// version by version; rounds for the sides and the mediator.
func TestDiplomacyAgreementsAndRoundsOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il, us, jo := ts.login(t, "il.diplomatic"), ts.login(t, "us.diplomatic"), ts.login(t, "jo.duty")
		var list struct{ Agreements []diplomacy.Agreement }
		jo.getJSON(t, "/api/v1/agreements", &list)
		if len(list.Agreements) != 2 || list.Agreements[0].ID != "paris" || !list.Agreements[1].Reference {
			t.Fatalf("the agreements as Jordan reads them: %+v", list.Agreements)
		}
		paris := seed.DemoAgreements()[0]
		paris.Articles = append(slices.Clone(paris.Articles[:5]), diplomacy.Article{Number: "7", Texts: map[string]string{"en": "The parties meet in rounds."}})
		paris.Articles[1].Texts = map[string]string{"en": "Each party notifies planned military activity within 25 km of the line 48 hours in advance."}
		record := func(c *client) reply {
			return c.submit(t, "POST", "/api/v1/agreements", c.sign(diplomacy.KindAgreementRecord, map[string]any{"agreement": paris, "amends": "48 hours' notice."}))
		}
		wantType(t, record(il), http.StatusForbidden, "forbidden")
		wantType(t, record(jo), http.StatusForbidden, "forbidden")
		r := record(us)
		if r.Status != http.StatusCreated {
			t.Fatalf("record: %s", r)
		}
		var a struct{ Agreement diplomacy.Agreement }
		decode(t, r, &a)
		if a.Agreement.Latest != 2 {
			t.Errorf("after the amendment: %+v", a.Agreement)
		}
		var diff api.AgreementDiff
		jo.getJSON(t, "/api/v1/agreements/paris/diff?from=1&to=2", &diff)
		var got []string
		for _, x := range diff.Articles {
			got = append(got, x.Number+":"+x.Change+":"+strings.Join(x.Langs, ","))
		}
		if want := []string{"1:unchanged:", "2:changed:en,ar,he", "3:unchanged:", "4:unchanged:", "5:unchanged:", "7:added:", "6:removed:"}; !slices.Equal(got, want) {
			t.Errorf("the diff: %v, want %v", got, want)
		}
		var d diplomacy.AgreementDetail
		jo.getJSON(t, "/api/v1/agreements/paris", &d)
		if len(d.Versions) != 2 || d.Versions[1].Amends != "48 hours' notice." {
			t.Errorf("the agreement's versions: %+v", d.Versions)
		}
		wantType(t, jo.get(t, "/api/v1/agreements/paris/diff?from=1&to=3"), http.StatusNotFound, "not-found")
		wantType(t, jo.get(t, "/api/v1/agreements/paris/diff?to=0"), http.StatusBadRequest, "bad-request")
		wantType(t, jo.get(t, "/api/v1/agreements/nowhere"), http.StatusNotFound, "not-found")

		var rd api.RoundView
		il.getJSON(t, "/api/v1/rounds/round-5", &rd)
		var items, statements []string
		for _, it := range rd.Agenda {
			items = append(items, it.ID)
		}
		for _, st := range rd.Statements {
			statements = append(statements, st.ID)
		}
		if !slices.Equal(items, []string{"withdrawal", "notice", "economic-zone"}) || !slices.Equal(statements, []string{"paris-5", "economic-zone"}) || len(rd.Minutes) != 1 {
			t.Errorf("round 5 as Israel reads it: %v %v %+v", items, statements, rd.Minutes)
		}
		sameNotFound(t, jo.get(t, "/api/v1/rounds/round-5"), "round-5", jo.get(t, "/api/v1/rounds/round-9"), "round-9")
		minutes := map[string]any{"round": "round-5", "lang": "en", "text": "Addendum."}
		wantType(t, us.submit(t, "POST", "/api/v1/rounds/round-6/minutes", us.sign(diplomacy.KindRoundMinutes, minutes)), http.StatusUnprocessableEntity, "wrong-target")
		wantType(t, il.submit(t, "POST", "/api/v1/rounds/round-5/minutes", il.sign(diplomacy.KindRoundMinutes, minutes)), http.StatusForbidden, "forbidden")
		r = us.submit(t, "POST", "/api/v1/rounds/round-5/minutes", us.sign(diplomacy.KindRoundMinutes, minutes))
		var ra struct{ Round api.RoundView }
		if r.Status != http.StatusCreated {
			t.Fatalf("minutes: %s", r)
		}
		decode(t, r, &ra)
		if len(ra.Round.Minutes) != 2 {
			t.Errorf("the minutes after the addendum: %+v", ra.Round.Minutes)
		}
		us.submitOK(t, "POST", "/api/v1/rounds/round-5/agenda", us.sign(diplomacy.KindRoundAgenda, map[string]any{"round": "round-5",
			"item": map[string]any{"id": "prisoners", "desk": "general", "title": "Detainees"}}), http.StatusCreated)
	})
}

// The pages' reads answer as the API does, for the party that must not
// see a dispute as for the one that must.
func TestDiplomacyQueriesAnswerAsTheAPI(t *testing.T) {
	ts := newTestServer(t)
	now := time.Now()
	for _, member := range []string{"il.diplomatic", "sy.duty", "us.duty", "jo.duty"} {
		c := ts.login(t, member)
		r, p := c.principal(t)
		reg, err := ts.API.DisputeRegister(r, p, api.RegisterQuery{Sort: api.SortAge}, now)
		if err != nil {
			t.Fatal(err)
		}
		var apiReg api.Register
		c.getJSON(t, "/api/v1/disputes", &apiReg)
		sameJSON(t, member+" disputes", reg, apiReg)
		for _, d := range apiReg.Disputes {
			det, err := ts.API.Dispute(r, p, d.ID, now)
			if err != nil {
				t.Fatal(err)
			}
			if det.ID != d.ID || det.Status != d.Status {
				t.Errorf("%s: dispute %d: %+v", member, d.ID, det)
			}
		}
		for _, sd := range apiReg.Shared {
			if _, err := ts.API.Dispute(r, p, sd.Dispute, now); member == "jo.duty" && api.ProblemOf(err).Status != http.StatusNotFound {
				t.Errorf("Jordan reads shared dispute %d in full: %v", sd.Dispute, err)
			}
		}
		st, err := ts.API.Statements(r, p)
		if err != nil {
			t.Fatal(err)
		}
		var apiSt api.StatementsView
		c.getJSON(t, "/api/v1/statements", &apiSt)
		sameJSON(t, member+" statements", st, apiSt)
		rounds, err := ts.API.Rounds(r, p)
		if err != nil {
			t.Fatal(err)
		}
		var apiRounds api.RoundsView
		c.getJSON(t, "/api/v1/rounds", &apiRounds)
		sameJSON(t, member+" rounds", rounds, apiRounds)
		if _, err := ts.API.Statement(r, p, "economic-zone"); (member == "jo.duty") != (api.ProblemOf(err).Status == http.StatusNotFound) {
			t.Errorf("%s reads the draft statement: %v", member, err)
		}
	}
	// What a page gets for the hidden is the API's 404.
	r, p := ts.login(t, "jo.duty").principal(t)
	if _, err := ts.API.Round(r, p, "round-5"); !api.IsNotFound(err) {
		t.Errorf("Jordan's page reads round 5: %v", err)
	}
	if _, err := ts.API.StatementDiff(r, p, "economic-zone", 1, 2); !api.IsNotFound(err) {
		t.Errorf("Jordan's page reads the draft's diff: %v", err)
	}
}
