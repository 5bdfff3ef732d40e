package diplomacy

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/store"
)

var (
	invalid   = cell.Invalidf
	forbidden = cell.Forbiddenf
	conflict  = cell.Conflictf
	checkText = cell.CheckText
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Register adds the desk's commands to a registry.
func Register(r *cell.Registry) {
	r.Handle(KindAgreementRecord, agreementRecord)
	r.Handle(KindCommitmentCreate, commitmentCreate)
	r.Handle(KindCommitmentStatus, commitmentStatus)
	r.Handle(KindPhaseReport, phaseReport)
	r.Handle(KindPhaseSignoff, phaseSignoff)
	r.Handle(KindDisputeFile, disputeFile)
	r.Handle(KindDisputeAck, disputeAck)
	r.Handle(KindDisputeRespond, disputeRespond)
	r.Handle(KindDisputeFinding, disputeFinding)
	r.Handle(KindDisputeAccept, disputeAccept)
	r.Handle(KindDisputeShare, disputeShare)
	r.Handle(KindRoundCreate, roundCreate)
	r.Handle(KindRoundAgenda, roundAgenda)
	r.Handle(KindRoundMinutes, roundMinutes)
	r.Handle(KindRoundOutcome, roundOutcome)
	r.Handle(KindStatementDraft, statementDraft)
	r.Handle(KindStatementComment, statementComment)
	r.Handle(KindStatementSign, statementSign)
	r.Handle(KindStatementPublish, statementPublish)
}

func put(kind, id, parent string, v any) store.Change {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return store.Change{Kind: kind, ID: id, Parent: parent, Doc: b}
}

func narrowed(kind, id, parent string, v any, mask uint64) store.Change {
	c := put(kind, id, parent, v)
	c.Mask = mask
	return c
}

func get[T any](c *cell.Command, kind, id string) (T, store.Object, error) {
	var v T
	o, err := c.View.Get(c.Ctx, kind, id)
	if err != nil {
		return v, o, err
	}
	if err := json.Unmarshal(o.Doc, &v); err != nil {
		return v, o, fmt.Errorf("projection %s/%s: %w", kind, id, err)
	}
	return v, o, nil
}

func position(c *cell.Command) (int64, time.Time, error) {
	i, t, ok := store.NextPosition(c.View)
	if !ok {
		return 0, time.Time{}, errors.New("diplomacy: decided outside an append")
	}
	return i, t, nil
}

func member(a cell.Actor) string {
	if a.Member == nil {
		return ""
	}
	return a.Member.ID
}

func party(a cell.Actor) string {
	if a.Party == nil {
		return ""
	}
	return a.Party.ID
}

// table is the audience of what the sides and the mediator read.
func table(c *cell.Command) ([]string, uint64, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return nil, 0, err
	}
	var ids []string
	for _, p := range parties {
		if p.Kind == cell.Side {
			ids = append(ids, p.ID)
		}
	}
	return cell.Audience(parties, ids...)
}

func audienceOf(c *cell.Command, mask uint64) ([]string, uint64, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return nil, 0, err
	}
	aud, m := cell.AudienceOfMask(parties, mask)
	if m == 0 {
		return nil, 0, errors.New("diplomacy: an object without audience")
	}
	return aud, m, nil
}

func mediatorOf(c *cell.Command) (string, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return "", err
	}
	for _, p := range parties {
		if p.Kind == cell.Mediator {
			return p.ID, nil
		}
	}
	return "", errors.New("diplomacy: the cell has no mediator")
}

// sides returns the ids of the cell's sides.
func sides(c *cell.Command) ([]string, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range parties {
		if p.Kind == cell.Side {
			out = append(out, p.ID)
		}
	}
	return out, nil
}

func isSide(c *cell.Command, id string) bool {
	ss, err := sides(c)
	return err == nil && slices.Contains(ss, id)
}

func unmarshal(o store.Object, v any) error {
	if err := json.Unmarshal(o.Doc, v); err != nil {
		return fmt.Errorf("projection %s/%s: %w", o.Kind, o.ID, err)
	}
	return nil
}

// checkLangTexts checks texts keyed by language: the cell's languages,
// each within max characters.
func checkLangTexts(field string, texts map[string]string, max int, required bool) error {
	if required && len(texts) == 0 {
		return invalid("%s: a text in at least one language", field)
	}
	for lang, t := range texts {
		if !slices.Contains(cell.Languages, lang) {
			return invalid("%s: %q is not one of the cell's languages (en, ar, he)", field, lang)
		}
		if err := checkText(field+"."+lang, t, max, true); err != nil {
			return err
		}
	}
	return nil
}
