package web

// The diplomatic desk's writing forms: drafting a statement and its
// versions, recording and amending an agreement, calling a round and
// keeping its agenda, minutes and outcomes, recording a commitment. Each
// is offered to whom the rule book lets send it (cell.ActDiplomacy and
// cell.MediateDiplomacy): the desk asks it again, and a form offered to
// someone it would refuse only wastes an officer's typing.

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/diplomacy"
)

// paraEditor is one language's paragraphs of a statement being drafted.
type paraEditor struct {
	Lang, LangName, Dir string
	ListID              string
	Paras               []paraItem
	Blank               paraItem // what "add a paragraph" adds
}

type paraItem struct {
	N                   int
	Text                string
	Lang, LangName, Dir string
}

func dirOf(lang string) string {
	if rtl[lang] {
		return "rtl"
	}
	return "ltr"
}

// paraEditors lays out each of the cell's languages for editing, with the
// texts given (a version's, to start a new one from) or one empty
// paragraph: a language left empty is not part of the statement.
func (c *ctx) paraEditors(prefix string, texts map[string][]diplomacy.Paragraph) []paraEditor {
	var out []paraEditor
	for _, lang := range Languages {
		e := paraEditor{Lang: lang, LangName: c.l.T("lang." + lang), Dir: dirOf(lang), ListID: prefix + "-" + lang}
		e.Blank = paraItem{N: 1, Lang: e.Lang, LangName: e.LangName, Dir: e.Dir}
		for i, p := range texts[lang] {
			it := e.Blank
			it.N, it.Text = i+1, p.Text
			e.Paras = append(e.Paras, it)
		}
		if len(e.Paras) == 0 {
			e.Paras = []paraItem{e.Blank}
		}
		out = append(out, e)
	}
	return out
}

// draftForm is the form that drafts a new statement.
type draftForm struct {
	dipForm
	Kinds []option
	Sides []option
	Paras []paraEditor
}

func (c *ctx) newDraftForm() *draftForm {
	if !onDipDesk(c.p) {
		return nil
	}
	f := &draftForm{dipForm: newForm(diplomacy.KindStatementDraft, "/statements", map[string]any{}), Paras: c.paraEditors("sd", nil)}
	for _, k := range []string{diplomacy.JointStatement, diplomacy.AgreedMinutes} {
		f.Kinds = append(f.Kinds, option{Value: k, Label: c.l.T("dip.skind." + k), Selected: k == diplomacy.JointStatement})
	}
	// The mediator is always required; a side drafting requires itself.
	for _, pa := range c.parties {
		if pa.Kind == cell.Side {
			f.Sides = append(f.Sides, option{Value: pa.ID, Label: partyName(c.l, pa), Selected: pa.ID == c.p.Party.ID})
		}
	}
	return f
}

// articleEditor is one article of an agreement being recorded.
type articleEditor struct {
	N             int
	Number, Title string
	Texts         []langText
}

// articleEditors lays out an agreement's articles for editing, each with
// a text box per language; none yields one empty article.
func (c *ctx) articleEditors(arts []diplomacy.Article) []articleEditor {
	var out []articleEditor
	for i, a := range arts {
		out = append(out, c.articleEditor(i+1, a))
	}
	if len(out) == 0 {
		out = append(out, c.articleEditor(1, diplomacy.Article{}))
	}
	return out
}

func (c *ctx) articleEditor(n int, a diplomacy.Article) articleEditor {
	e := articleEditor{N: n, Number: a.Number, Title: a.Title}
	for _, lang := range Languages {
		e.Texts = append(e.Texts, langText{Lang: lang, LangName: c.l.T("lang." + lang), Dir: dirOf(lang), Text: a.Texts[lang]})
	}
	return e
}

// agreementForm records a new agreement or a new version of one.
type agreementForm struct {
	dipForm
	Amend                bool
	ID, Title            string
	Signed, Note         string
	Languages            []option
	Articles             []articleEditor
	Blank                articleEditor
	ListID, TemplateID   string
	AmendsHint, Headline string
}

func (c *ctx) newAgreementForm(latest *diplomacy.AgreementVersion) *agreementForm {
	if !mediatesDesk(c.p) {
		return nil
	}
	f := &agreementForm{ListID: "ag-articles", TemplateID: "ag-article-tpl", Blank: c.articleEditor(1, diplomacy.Article{})}
	auth := "en"
	var arts []diplomacy.Article
	if latest != nil {
		ct := latest.Content
		// What the form does not show is kept as the last version has it.
		fixed := map[string]any{"id": ct.ID}
		if len(ct.Titles) > 0 {
			fixed["titles"] = ct.Titles
		}
		if ct.Reference {
			fixed["reference"] = true
		}
		f.dipForm = newForm(diplomacy.KindAgreementRecord, "/agreements", map[string]any{"agreement": fixed})
		f.Amend, f.ID, f.Title, f.Signed, f.Note, auth, arts = true, ct.ID, ct.Title, ct.Signed, ct.Note, ct.Authoritative, ct.Articles
	} else {
		f.dipForm = newForm(diplomacy.KindAgreementRecord, "/agreements", map[string]any{})
	}
	for _, lang := range Languages {
		f.Languages = append(f.Languages, option{Value: lang, Label: c.l.T("lang." + lang), Selected: lang == auth})
	}
	f.Articles = c.articleEditors(arts)
	return f
}

// commitmentFields are the inputs of a commitment, on the commitments
// page and in a round's outcome (which may create one); Prefix keeps
// their ids apart when a page holds several.
type commitmentFields struct {
	Prefix   string
	Kinds    []option
	Articles []option
	Parties  []option
	Zones    []option
}

func (w *Web) commitmentFields(r *http.Request, c *ctx, prefix string) (*commitmentFields, error) {
	f := &commitmentFields{Prefix: prefix}
	for _, k := range []string{diplomacy.KindCommitment, diplomacy.KindWithdrawal} {
		f.Kinds = append(f.Kinds, option{Value: k, Label: c.l.T("dip.ckind." + k), Selected: k == diplomacy.KindCommitment})
	}
	arts, err := w.articleOptions(r, c, "")
	if err != nil {
		return nil, err
	}
	for _, o := range arts {
		if strings.Contains(o.Value, ":") {
			f.Articles = append(f.Articles, o)
		}
	}
	for _, pa := range c.parties {
		if pa.Kind == cell.Side {
			f.Parties = append(f.Parties, option{Value: pa.ID, Label: partyName(c.l, pa)})
		}
	}
	zs, err := w.api.Zones(r, c.p)
	if err != nil {
		return nil, err
	}
	f.Zones = []option{{Value: "", Label: c.l.T("dip.form.no_zone")}}
	for _, z := range zs {
		f.Zones = append(f.Zones, option{Value: z.ID, Label: zoneName(c.l, z.Name, z.Names)})
	}
	return f, nil
}

// roundForms are a round page's forms for the mediator.
type roundForms struct {
	Agenda  dipForm
	Minutes dipForm
	Desks   []option
	Langs   []option
}

func (c *ctx) newRoundForms(id string) *roundForms {
	if !mediatesDesk(c.p) {
		return nil
	}
	f := &roundForms{Agenda: newForm(diplomacy.KindRoundAgenda, "/rounds/"+id+"/agenda", map[string]any{"round": id}),
		Minutes: newForm(diplomacy.KindRoundMinutes, "/rounds/"+id+"/minutes", map[string]any{"round": id})}
	for _, d := range append(slices.Clone(cell.Desks), "general") {
		f.Desks = append(f.Desks, option{Value: d, Label: c.l.T("desk." + d), Selected: d == "diplomatic"})
	}
	for _, lang := range Languages {
		f.Langs = append(f.Langs, option{Value: lang, Label: c.l.T("lang." + lang), Selected: lang == c.l.Lang})
	}
	return f
}

// outcomeForm records what a round decided on one of its items.
type outcomeForm struct {
	dipForm
	Prefix     string
	Outcomes   []option
	Commitment *commitmentFields
}

func (w *Web) newOutcomeForm(r *http.Request, c *ctx, round, item string, n int) (*outcomeForm, error) {
	prefix := "oc" + strconv.Itoa(n)
	cf, err := w.commitmentFields(r, c, prefix+"-c")
	if err != nil {
		return nil, err
	}
	f := &outcomeForm{dipForm: newForm(diplomacy.KindRoundOutcome, "/rounds/"+round+"/items/"+item+"/outcome", map[string]any{"round": round, "item": item}),
		Prefix: prefix, Commitment: cf}
	for _, o := range []string{diplomacy.OutcomeAgreed, diplomacy.OutcomeCarried, diplomacy.OutcomeNoted} {
		f.Outcomes = append(f.Outcomes, option{Value: o, Label: c.l.T("dip.round.outcome." + o), Selected: o == diplomacy.OutcomeAgreed})
	}
	return f, nil
}

// roundCreateForm calls a new round.
type roundCreateForm struct {
	dipForm
	Number      int
	Delegations []option
}

func (c *ctx) newRoundCreateForm(rounds []diplomacy.Round) *roundCreateForm {
	if !mediatesDesk(c.p) {
		return nil
	}
	n := 1
	for _, rd := range rounds {
		n = max(n, rd.Number+1)
	}
	f := &roundCreateForm{dipForm: newForm(diplomacy.KindRoundCreate, "/rounds", map[string]any{}), Number: n}
	for _, pa := range c.parties {
		if pa.Kind != cell.Observer {
			f.Delegations = append(f.Delegations, option{Value: pa.ID, Label: partyName(c.l, pa)})
		}
	}
	return f
}
