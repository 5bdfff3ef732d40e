package diplomacy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Statement kinds.
const (
	JointStatement = "joint_statement"
	AgreedMinutes  = "agreed_minutes"
)

// TextHash is the hash that binds one language's text of a version: hex
// SHA-256 of its paragraphs' JSON, as the server stores them.
func TextHash(ps []Paragraph) string {
	b, err := json.Marshal(ps)
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// DraftPayload is the payload of statement.draft: a new version of a
// statement (the first makes it), with no signatures.
type DraftPayload struct {
	record.Header
	Statement StatementInfo          `json:"statement"`
	Texts     map[string][]Paragraph `json:"texts"`
}

func checkTexts(texts map[string][]Paragraph) error {
	if len(texts) == 0 {
		return invalid("a statement has a text in at least one language")
	}
	for lang, ps := range texts {
		if !slices.Contains(cell.Languages, lang) {
			return invalid("texts: %q is not one of the cell's languages (en, ar, he)", lang)
		}
		if len(ps) == 0 || len(ps) > MaxParagraph {
			return invalid("texts.%s: 1 to %d paragraphs", lang, MaxParagraph)
		}
		for i, p := range ps {
			if err := checkText("texts."+lang+"["+itoa(int64(i))+"]", p.Text, MaxText, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// statementDraft records a version of a joint statement. The mediator, or
// a party the statement requires, drafts; a new version carries no
// signature, whatever the earlier ones had.
func statementDraft(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDiplomacy, cell.Target{Doing: "drafting a statement"}); err != nil {
		return store.Effect{}, err
	}
	var p DraftPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkTexts(p.Texts); err != nil {
		return store.Effect{}, err
	}
	in := p.Statement
	med, err := mediatorOf(c)
	if err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	st, o, err := get[StatementInfo](c, ObjStatement, in.ID)
	var aud []string
	var mask uint64
	switch {
	case errors.Is(err, store.ErrNotFound):
		if !idPattern.MatchString(in.ID) {
			return store.Effect{}, invalid("statement id %q: use lower-case letters, digits, '.', '_' or '-'", in.ID)
		}
		if err := checkText("title", in.Title, MaxTitle, true); err != nil {
			return store.Effect{}, err
		}
		if err := cell.CheckNames("titles", in.Titles); err != nil {
			return store.Effect{}, err
		}
		if in.Kind != JointStatement && in.Kind != AgreedMinutes {
			return store.Effect{}, invalid("kind %q: want joint_statement or agreed_minutes", in.Kind)
		}
		req := slices.Clone(in.Required)
		if !slices.Contains(req, med) {
			req = append(req, med)
		}
		slices.Sort(req)
		req = slices.Compact(req)
		for _, pid := range req {
			pa, err := cell.GetParty(c.Ctx, c.View, pid)
			if err != nil || pa.Kind == cell.Observer {
				return store.Effect{}, invalid("required: %q is not a side of this cell", pid)
			}
		}
		if len(req) < 2 {
			return store.Effect{}, invalid("a joint statement requires at least one side besides the mediator")
		}
		if !slices.Contains(req, party(c.Actor)) {
			return store.Effect{}, forbidden("a party the statement requires, or the mediator, drafts it")
		}
		if in.Round != "" {
			if _, err := c.View.Get(c.Ctx, ObjRound, in.Round); err != nil {
				return store.Effect{}, invalid("no round %q", in.Round)
			}
		}
		st = StatementInfo{ID: in.ID, Title: in.Title, Titles: in.Titles, Required: req, Kind: in.Kind, Round: in.Round}
		parties, err := cell.Parties(c.Ctx, c.View)
		if err != nil {
			return store.Effect{}, err
		}
		if aud, mask, err = cell.Audience(parties, req...); err != nil {
			return store.Effect{}, err
		}
	case err != nil:
		return store.Effect{}, err
	default:
		if !cell.MayRead(c.Actor, o.Mask) || !slices.Contains(st.Required, party(c.Actor)) {
			return store.Effect{}, invalid("no statement %q", in.ID)
		}
		if st.Published {
			return store.Effect{}, conflict("statement %s is published: a published text is not redrafted", st.ID)
		}
		if in.Title != "" && in.Title != st.Title || len(in.Required) > 0 && !slices.Equal(slices.Sorted(slices.Values(append(slices.Clone(in.Required), med))), st.Required) {
			return store.Effect{}, invalid("a new version keeps the statement's title and required parties")
		}
		if aud, mask, err = audienceOf(c, o.Mask); err != nil {
			return store.Effect{}, err
		}
		if last, _, err := get[StatementVersion](c, ObjStatementVersion, VersionID(st.ID, st.Latest)); err == nil && maps.EqualFunc(last.Texts, p.Texts, slices.Equal) {
			return store.Effect{}, conflict("version %d of statement %s already says exactly this", st.Latest, st.ID)
		}
	}
	changes := []store.Change{}
	if st.Latest > 0 {
		prev, _, err := get[StatementVersion](c, ObjStatementVersion, VersionID(st.ID, st.Latest))
		if err != nil {
			return store.Effect{}, err
		}
		if prev.Status == "draft" {
			prev.Status = "superseded"
			changes = append(changes, put(ObjStatementVersion, VersionID(st.ID, prev.Version), st.ID, prev))
		}
	}
	st.Latest++
	st.Agreed, st.Updated = 0, now
	v := StatementVersion{Statement: st.ID, Version: st.Latest, Texts: p.Texts, Hashes: map[string]string{}, Entry: idx, By: member(c.Actor),
		Party: party(c.Actor), At: now, Signatures: map[string]StatementSignature{}, Awaiting: slices.Clone(st.Required), Status: "draft"}
	for lang, ps := range p.Texts {
		v.Hashes[lang] = TextHash(ps)
	}
	changes = append(changes, put(ObjStatement, st.ID, "", st), put(ObjStatementVersion, VersionID(st.ID, v.Version), st.ID, v))
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// visibleStatement loads a statement and a version of it that the actor
// may read.
func visibleStatement(c *cell.Command, id string, version int) (StatementInfo, store.Object, StatementVersion, error) {
	st, o, err := get[StatementInfo](c, ObjStatement, id)
	if err != nil || !cell.MayRead(c.Actor, o.Mask) {
		return st, o, StatementVersion{}, invalid("no statement %q", id)
	}
	v, _, err := get[StatementVersion](c, ObjStatementVersion, VersionID(id, version))
	if err != nil {
		return st, o, v, invalid("statement %s has no version %d", id, version)
	}
	return st, o, v, nil
}

// CommentPayload is the payload of statement.comment.
type CommentPayload struct {
	record.Header
	Statement string `json:"statement"`
	Version   int    `json:"version"`
	Lang      string `json:"lang"`
	Paragraph int    `json:"paragraph"` // from 0
	Text      string `json:"text"`
}

func statementComment(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ActDiplomacy, cell.Target{Doing: "commenting a statement"}); err != nil {
		return store.Effect{}, err
	}
	var p CommentPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	_, o, v, err := visibleStatement(c, p.Statement, p.Version)
	if err != nil {
		return store.Effect{}, err
	}
	ps, ok := v.Texts[p.Lang]
	if !ok || p.Paragraph < 0 || p.Paragraph >= len(ps) {
		return store.Effect{}, invalid("version %d has no paragraph %d in %s", p.Version, p.Paragraph, p.Lang)
	}
	if err := checkText("text", p.Text, MaxText, true); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	cm := Comment{ID: idx, Statement: p.Statement, Version: p.Version, Lang: p.Lang, Paragraph: p.Paragraph, Text: p.Text,
		By: member(c.Actor), Party: party(c.Actor), At: now}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjComment, itoa(idx), VersionID(p.Statement, p.Version), cm)}}, nil
}

// SignStatementPayload is the payload of statement.sign: a party's
// signature of one version, each language bound by its hash.
type SignStatementPayload struct {
	record.Header
	Statement string            `json:"statement"`
	Version   int               `json:"version"`
	Hashes    map[string]string `json:"hashes"`
}

// statementSign signs a version on a required party's behalf. Only the
// latest version takes signatures: one on an older version would count for
// a text that is no longer on the table. The version is agreed when every
// required party has signed it.
func statementSign(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.SignForParty, cell.Target{Doing: "signing a statement"}); err != nil {
		return store.Effect{}, err
	}
	var p SignStatementPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	st, o, v, err := visibleStatement(c, p.Statement, p.Version)
	if err != nil {
		return store.Effect{}, err
	}
	me := party(c.Actor)
	if !slices.Contains(st.Required, me) {
		return store.Effect{}, forbidden("statement %s does not require %s's signature", st.ID, me)
	}
	if v.Version != st.Latest {
		return store.Effect{}, conflict("version %d of statement %s is superseded by version %d: read that one and sign it", v.Version, st.ID, st.Latest)
	}
	if v.Status != "draft" {
		return store.Effect{}, conflict("version %d of statement %s is %s", v.Version, st.ID, v.Status)
	}
	if !maps.Equal(p.Hashes, v.Hashes) {
		return store.Effect{}, conflict("the hashes signed are not version %d's (%v): read it again before signing", v.Version, v.Hashes)
	}
	if _, done := v.Signatures[me]; done {
		return store.Effect{}, conflict("%s has signed version %d of statement %s", me, v.Version, st.ID)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	v.Signatures = maps.Clone(v.Signatures)
	v.Signatures[me] = StatementSignature{Member: member(c.Actor), Hashes: p.Hashes, Entry: idx, At: now}
	v.Awaiting = slices.DeleteFunc(slices.Clone(v.Awaiting), func(x string) bool { return x == me })
	changes := []store.Change{}
	if len(v.Awaiting) == 0 {
		v.Status = "agreed"
		st.Agreed, st.Updated = v.Version, now
		changes = append(changes, put(ObjStatement, st.ID, "", st))
	}
	changes = append(changes, put(ObjStatementVersion, VersionID(st.ID, v.Version), st.ID, v))
	aud, mask, err := audienceOf(c, o.Mask)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// PublishPayload is the payload of statement.publish: the mediator makes
// an agreed statement public, restating its title, texts, hashes and
// signatures, which is what every party then reads. They are restated
// because the draft and the signatures are for the required parties only:
// a publication shows every party no more than its own entry says, and an
// observer must still be able to see who signed, and in which entry.
type PublishPayload struct {
	record.Header
	Statement string                 `json:"statement"`
	Version   int                    `json:"version"`
	Title     string                 `json:"title"`
	Titles    map[string]string      `json:"titles,omitempty"`
	Texts     map[string][]Paragraph `json:"texts"`
	Hashes    map[string]string      `json:"hashes"`
	// Signatures restate the agreed version's, by party.
	Signatures map[string]StatementSignature `json:"signatures"`
}

func sameSignature(a, b StatementSignature) bool {
	return a.Member == b.Member && a.Entry == b.Entry && a.At.Equal(b.At) && maps.Equal(a.Hashes, b.Hashes)
}

// Published is a published statement, as every party reads it.
type Published struct {
	Statement  string                        `json:"statement"`
	Title      string                        `json:"title"`
	Titles     map[string]string             `json:"titles,omitempty"`
	Kind       string                        `json:"kind"`
	Version    int                           `json:"version"`
	Texts      map[string][]Paragraph        `json:"texts"`
	Hashes     map[string]string             `json:"hashes"`
	Signatures map[string]StatementSignature `json:"signatures"`
	Draft      int64                         `json:"draft"` // the version's entry
	Entry      int64                         `json:"entry"`
	At         time.Time                     `json:"at"`
}

// ObjPublished is a published statement: id the statement's, for everyone.
const ObjPublished = "statement.published"

func statementPublish(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.SignForParty, cell.Target{Doing: "publishing a statement"}); err != nil {
		return store.Effect{}, err
	}
	if cell.May(c.Actor, cell.PublishStatement, cell.Target{}) != nil {
		return store.Effect{}, forbidden("the mediator publishes an agreed statement")
	}
	var p PublishPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	st, o, v, err := visibleStatement(c, p.Statement, p.Version)
	if err != nil {
		return store.Effect{}, err
	}
	if st.Agreed != v.Version || v.Status != "agreed" {
		return store.Effect{}, conflict("version %d of statement %s is not agreed by every required party", v.Version, st.ID)
	}
	if !maps.Equal(p.Hashes, v.Hashes) || !maps.EqualFunc(p.Texts, v.Texts, slices.Equal) {
		return store.Effect{}, invalid("a publication restates the agreed version's texts and hashes exactly")
	}
	if p.Title != st.Title || !maps.Equal(p.Titles, st.Titles) {
		return store.Effect{}, invalid("a publication restates the statement's title %q and titles exactly", st.Title)
	}
	if !maps.EqualFunc(p.Signatures, v.Signatures, sameSignature) {
		return store.Effect{}, invalid("a publication restates the agreed version's signatures exactly (party, member, hashes, entry and time)")
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	st.Published, st.Updated = true, now
	v.Status, v.Published = "published", idx
	pub := Published{Statement: st.ID, Title: p.Title, Titles: p.Titles, Kind: st.Kind, Version: v.Version, Texts: v.Texts,
		Hashes: v.Hashes, Signatures: p.Signatures, Draft: v.Entry, Entry: idx, At: now}
	aud, mask := cell.Everyone()
	// The statement's own objects keep their audience: the publication is
	// what every party reads.
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		narrowed(ObjStatement, st.ID, "", st, o.Mask),
		narrowed(ObjStatementVersion, VersionID(st.ID, v.Version), st.ID, v, o.Mask),
		put(ObjPublished, st.ID, "", pub)}}, nil
}
