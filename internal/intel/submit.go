package intel

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/stix"
	"github.com/liaison-cell/liaison/internal/store"
)

// SubmitPayload is the payload of intel.submit.
type SubmitPayload struct {
	record.Header
	Title string `json:"title"`
	Note  string `json:"note,omitempty"`
	// Bundle is the STIX 2.1 bundle, exactly as the analyst's platform
	// exported it: the signature covers these bytes.
	Bundle json.RawMessage `json:"bundle"`
	// ReplyTo is the release this answers: the gate sends what answers a
	// release back to its source.
	ReplyTo string `json:"reply_to,omitempty"`
	// Staged is the intel.stage entry of a TAXII POST this submission
	// signs: its bundle must be the staged bytes.
	Staged *int64 `json:"staged,omitempty"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// BundleHash is the SHA-256 of a bundle's bytes, as a staged post names it.
func BundleHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func parseBundle(raw []byte) (*stix.Bundle, error) {
	b, err := stix.ParseBundle(raw)
	if err != nil {
		return nil, invalid("bundle: %v", err)
	}
	if b.Len() == 0 {
		return nil, invalid("bundle: no objects")
	}
	if b.Len() > MaxObjects {
		return nil, invalid("bundle: %d objects, at most %d", b.Len(), MaxObjects)
	}
	return b, nil
}

// submit puts a party's bundle before the gate: for the party and the
// mediator, due for a decision by the cell's review deadline.
func submit(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.AnalyseIntel, cell.Target{Doing: "submitting intelligence"}); err != nil {
		return store.Effect{}, err
	}
	var p SubmitPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("title", p.Title, MaxTitle, true); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("note", p.Note, MaxText, false); err != nil {
		return store.Effect{}, err
	}
	b, err := parseBundle(p.Bundle)
	if err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	med, err := mediator(parties)
	if err != nil {
		return store.Effect{}, err
	}
	party := c.Actor.Party.ID
	aud, mask, err := cell.Audience(parties, party)
	if err != nil {
		return store.Effect{}, err
	}
	var changes []store.Change
	if p.ReplyTo != "" {
		_, o, err := get[ReleaseInfo](c, ObjRelease, p.ReplyTo)
		if err != nil || !cell.MayReadObject(c.Actor, o) {
			return store.Effect{}, invalid("reply_to: no release %q that you read", p.ReplyTo)
		}
	}
	if p.Staged != nil {
		st, _, err := get[Staged](c, ObjStaged, itoa(*p.Staged))
		if err != nil || st.Member != c.Actor.Member.ID {
			return store.Effect{}, invalid("staged: no post %d of yours waiting to be signed", *p.Staged)
		}
		if st.Submission != 0 {
			return store.Effect{}, conflict("staged: post %d was signed already, as submission %d", *p.Staged, st.Submission)
		}
		if BundleHash(p.Bundle) != st.SHA256 {
			return store.Effect{}, invalid("staged: the bundle is not the one posted (sha256 %s)", st.SHA256)
		}
		st.Submission = idx
		changes = append(changes, put(ObjStaged, itoa(st.ID), st.Member, st))
	}
	m := b.Resolver().Max(b.Objects())
	window := DefaultReviewDeadline
	if info, err := cell.GetInfo(c.Ctx, c.View); err == nil {
		window = info.Settings.Deadline(DueReview, DefaultReviewDeadline)
	}
	sub := Submission{ID: idx, Party: party, Member: c.Actor.Member.ID, Title: p.Title, Note: p.Note, At: now,
		BundleID: b.ID(), Count: b.Len(), Types: typesOf(b), TLP: m.TLP.String(), Unresolved: m.Unresolved,
		ReplyTo: p.ReplyTo, Status: StatusSubmitted, Due: now.Add(window)}
	changes = append(changes,
		put(ObjSubmission, itoa(idx), party, sub),
		store.Change{Kind: ObjBundle, ID: itoa(idx), Doc: p.Bundle},
		// What the mediator owes is the mediator's to see escalate.
		narrowed(dues.Put(dues.Due{Kind: DueReview, Ref: idx, Party: med.ID, Precedence: "PRIORITY",
			Title: p.Title, Start: now, Window: window}), med.Bit(), nil))
	objs, err := putObjects(c, Submitted(party), b, now, idx, 0, nil)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: append(changes, objs...)}, nil
}

// StagePayload is the payload of intel.stage, which the server writes for
// a TAXII POST: the member must still sign what they posted.
type StagePayload struct {
	record.Header
	Member string `json:"member"`
	SHA256 string `json:"sha256"`
	Count  int    `json:"count"`
}

// stage records a bundle posted over TAXII, kept as a blob until its poster
// signs it: the server never signs for a member.
func stage(c *cell.Command) (store.Effect, error) {
	if !c.Actor.Server {
		return store.Effect{}, forbidden("the server stages what TAXII clients post")
	}
	var p StagePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	m, err := cell.GetMember(c.Ctx, c.View, p.Member)
	if err != nil || m.Disabled {
		return store.Effect{}, invalid("member %q: no active member", p.Member)
	}
	if !sha256Hex.MatchString(p.SHA256) {
		return store.Effect{}, invalid("sha256 %q is not a lower-case hex SHA-256", p.SHA256)
	}
	if p.Count <= 0 || p.Count > MaxObjects {
		return store.Effect{}, invalid("count %d: 1 to %d objects", p.Count, MaxObjects)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := cell.Audience(parties, m.Party)
	if err != nil {
		return store.Effect{}, err
	}
	st := Staged{ID: idx, Member: m.ID, Party: m.Party, SHA256: p.SHA256, Count: p.Count, At: now}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjStaged, itoa(idx), m.ID, st)}}, nil
}
