package diplomacy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/liaison-cell/liaison/internal/record"
)

// ProvenStatement is what the entries of an evidence bundle prove of a
// published statement, read from the signed entries alone, without the
// server's projections.
type ProvenStatement struct {
	Statement string
	Version   int
	Title     string
	// Publication is the statement.publish entry; Hashes its texts'
	// hashes, which StatementsProven has recomputed.
	Publication int64
	Hashes      map[string]string
	// Required are the parties the statement requires, the mediator among
	// them, when the bundle holds a draft that names them (the first
	// does); nil otherwise.
	Required []string
	// Signatures are the entries of the parties' signatures of the
	// published version's hashes that the bundle holds, by party; Signed
	// the same parties, sorted.
	Signatures map[string]int64
	Signed     []string
	// Draft is the entry of the draft whose texts were published (0 when
	// the bundle does not hold it).
	Draft int64
	// Complete: the bundle holds the published version's draft and the
	// signature of every party the statement requires. A bundle that is
	// not holds the publication alone (an observer's: the rest is not its
	// to read).
	Complete bool
}

// StatementsProven reads the published statements among entries (an
// evidence bundle's, checked) and what they prove. A statement's evidence
// beyond its publication is all or nothing: a bundle that holds any of
// its drafts or signatures must hold the draft that names the parties it
// requires, the published version's draft and every required party's
// signature, or it is refused; so is a publication whose texts do not
// hash to the hashes it restates. What was taken out of a bundle is
// therefore seen, except the whole of what an observer could not read.
func StatementsProven(entries []*record.Entry) ([]ProvenStatement, error) {
	var out []ProvenStatement
	for _, e := range entries {
		if e.Envelope.Kind() != KindStatementPublish {
			continue
		}
		var p PublishPayload
		if err := json.Unmarshal(e.Envelope.Payload, &p); err != nil {
			return nil, fmt.Errorf("entry %d: %s: %w", e.Index, KindStatementPublish, err)
		}
		if len(p.Hashes) != len(p.Texts) {
			return nil, fmt.Errorf("entry %d: the publication of %s restates %d hashes for %d texts", e.Index, p.Statement, len(p.Hashes), len(p.Texts))
		}
		for lang, ps := range p.Texts {
			if TextHash(ps) != p.Hashes[lang] {
				return nil, fmt.Errorf("entry %d: the publication of %s: the %s text does not hash to the hash it restates", e.Index, p.Statement, lang)
			}
		}
		ps := ProvenStatement{Statement: p.Statement, Version: p.Version, Title: p.Title, Publication: e.Index, Hashes: p.Hashes,
			Signatures: map[string]int64{}}
		partial := false
		for _, x := range entries {
			switch x.Envelope.Kind() {
			case KindStatementDraft:
				var d DraftPayload
				if json.Unmarshal(x.Envelope.Payload, &d) != nil || d.Statement.ID != p.Statement {
					continue
				}
				partial = true
				if len(d.Statement.Required) > 0 {
					ps.Required = append(slices.Clone(d.Statement.Required), e.Party)
				}
				if maps.EqualFunc(d.Texts, p.Texts, slices.Equal) {
					ps.Draft = x.Index
				}
			case KindStatementSign:
				var s SignStatementPayload
				if json.Unmarshal(x.Envelope.Payload, &s) != nil || s.Statement != p.Statement {
					continue
				}
				partial = true
				if s.Version == p.Version && maps.Equal(s.Hashes, p.Hashes) {
					// The publication names the entry of each signature:
					// a bundle's signature must be the one it names.
					if r, ok := p.Signatures[x.Party]; !ok || r.Entry != x.Index || r.Member != x.Member {
						return nil, fmt.Errorf("statement %s: entry %d is %s's signature of version %d, which the publication (entry %d) does not restate",
							p.Statement, x.Index, x.Party, p.Version, e.Index)
					}
					ps.Signatures[x.Party] = x.Index
				}
			}
		}
		ps.Signed = slices.Sorted(maps.Keys(ps.Signatures))
		if ps.Required != nil {
			slices.Sort(ps.Required)
			ps.Required = slices.Compact(ps.Required)
		}
		if partial {
			if ps.Required == nil {
				return nil, fmt.Errorf("statement %s: the bundle holds some of its drafts or signatures but no draft that names the parties it requires", p.Statement)
			}
			var missing []string
			for _, party := range ps.Required {
				if _, ok := ps.Signatures[party]; !ok {
					missing = append(missing, party)
				}
			}
			if len(missing) > 0 {
				return nil, fmt.Errorf("statement %s requires %s, but the bundle holds no signature of version %d by %s",
					p.Statement, strings.Join(ps.Required, ", "), p.Version, strings.Join(missing, ", "))
			}
			if ps.Draft == 0 {
				return nil, fmt.Errorf("statement %s: the bundle holds its signatures but not the draft of version %d, whose texts were published", p.Statement, p.Version)
			}
			ps.Complete = true
		}
		out = append(out, ps)
	}
	return out, nil
}
