package hotline

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

var (
	invalid   = cell.Invalidf
	forbidden = cell.Forbiddenf
	conflict  = cell.Conflictf
	checkText = cell.CheckText
)

// Register adds the hotline's commands to a registry.
func Register(r *cell.Registry) {
	r.Handle(KindChannelCreate, channelCreate)
	r.Handle(KindChannelInvite, channelInvite)
	r.Handle(KindMessageSend, messageSend)
	r.Handle(KindMessageAck, messageAck)
	r.Handle(KindReadbackMark, readbackMark)
	r.Handle(KindMessageRead, messageRead)
	r.Handle(KindMessageEscalate, messageEscalate)
	r.Handle(KindMessageRelay, messageRelay)
	r.Handle(KindTranslationAdd, translationAdd)
	r.Handle(KindTranslationConfirm, translationConfirm)
	r.Handle(KindGlossarySet, glossarySet)
	r.Handle(KindAttachmentUpload, attachmentUpload)
}

func put(kind, id, parent string, v any) store.Change {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return store.Change{Kind: kind, ID: id, Parent: parent, Doc: b}
}

func del(kind, id string) store.Change { return store.Change{Kind: kind, ID: id} }

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

// position is the index and time the entry being decided will have.
func position(c *cell.Command) (int64, time.Time, error) {
	i, t, ok := store.NextPosition(c.View)
	if !ok {
		return 0, time.Time{}, errors.New("hotline: decided outside an append")
	}
	return i, t, nil
}

// channelObj is a channel with the audience mask of its object, which is
// who may read it and so who may act on it.
type channelObj struct {
	Channel
	mask uint64
}

// getChannel reads a channel.
func getChannel(c *cell.Command, id string) (channelObj, error) {
	ch, err := store.Memoized(c.View, "hotline.channel/"+id, []string{ObjChannel}, func() (channelObj, error) {
		ch, o, err := get[Channel](c, ObjChannel, id)
		return channelObj{Channel: ch, mask: o.Mask}, err
	})
	if errors.Is(err, store.ErrNotFound) {
		return ch, invalid("no channel %q", id)
	}
	return ch, err
}

// GetChannel reads a channel.
func GetChannel(c *cell.Command, id string) (Channel, error) {
	ch, err := getChannel(c, id)
	return ch.Channel, err
}

func channelAudience(c *cell.Command, ch Channel) ([]string, uint64, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return nil, 0, err
	}
	return cell.Audience(parties, ch.Parties...)
}

// aboutMessage is the audience of an entry about message m (an
// acknowledgement, a readback's mark, a receipt, a translation, an
// escalation): the message's own, whoever has joined its channel since.
// What is said about a message restates it (a readback is the message in
// other words), so it goes to no one who may not read the message.
func aboutMessage(c *cell.Command, m messageObj) ([]string, uint64, error) {
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return nil, 0, err
	}
	aud, mask := cell.AudienceOfMask(parties, m.mask)
	if mask == 0 {
		return nil, 0, fmt.Errorf("hotline: message %d has no audience", m.ID)
	}
	return aud, mask, nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// checkLang accepts a BCP 47 tag whose language is one the cell works in.
func checkLang(tag string) error {
	if !cell.IsLangTag(tag) {
		return invalid("lang %q is not a BCP 47 language tag", tag)
	}
	base, _, _ := strings.Cut(strings.ToLower(tag), "-")
	if !slices.Contains(cell.Languages, base) {
		return invalid("lang %q: the cell works in %s", tag, strings.Join(cell.Languages, ", "))
	}
	return nil
}

type channelPayload struct {
	record.Header
	Channel Channel `json:"channel"`
}

func channelCreate(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ManageParties, cell.Target{}); err != nil {
		return store.Effect{}, forbidden("only the mediator's admins open channels")
	}
	var p channelPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	ch := p.Channel
	if !idPattern.MatchString(ch.ID) {
		return store.Effect{}, invalid("channel id %q: use lower-case letters, digits, '.', '_' or '-'", ch.ID)
	}
	if _, err := c.View.Get(c.Ctx, ObjChannel, ch.ID); err == nil {
		return store.Effect{}, conflict("channel %q already exists", ch.ID)
	}
	if !slices.Contains(Desks, ch.Desk) {
		return store.Effect{}, invalid("desk %q: want one of %s", ch.Desk, strings.Join(Desks, ", "))
	}
	if err := checkText("title", ch.Title, 200, true); err != nil {
		return store.Effect{}, err
	}
	for lang, t := range ch.Titles {
		if err := checkLang(lang); err != nil || strings.Contains(lang, "-") {
			return store.Effect{}, invalid("titles: %q is not one of the cell's languages (en, ar, he)", lang)
		}
		if err := checkText("titles."+lang, t, 200, true); err != nil {
			return store.Effect{}, err
		}
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	ch.Parties = nil
	for _, pa := range parties {
		switch {
		case pa.Kind == cell.Mediator:
			ch.Parties = append(ch.Parties, pa.ID)
		case ch.Kind == Joint && pa.Kind == cell.Side:
			ch.Parties = append(ch.Parties, pa.ID)
		case ch.Kind == Line && pa.ID == ch.Party:
			if pa.Kind == cell.Mediator {
				return store.Effect{}, invalid("a line joins a party or an observer with the mediator")
			}
			ch.Parties = append(ch.Parties, pa.ID)
		}
	}
	switch ch.Kind {
	case Joint:
		ch.Party = ""
	case Line:
		if len(ch.Parties) != 2 {
			return store.Effect{}, invalid("line needs an existing party other than the mediator; %q is not one", ch.Party)
		}
	default:
		return store.Effect{}, invalid("channel kind %q: want joint or line", ch.Kind)
	}
	slices.Sort(ch.Parties)
	aud, mask, err := cell.Audience(parties, ch.Parties...)
	if err != nil {
		return store.Effect{}, err
	}
	changes := []store.Change{put(ObjChannel, ch.ID, ch.Kind, ch)}
	if ch.Kind == Line {
		changes = append(changes, put(ObjLinkHealth, ch.ID, ch.Party, LinkHealth{Channel: ch.ID, Party: ch.Party, Status: "untested"}))
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

type invitePayload struct {
	record.Header
	Channel string `json:"channel"`
	Party   string `json:"party"`
	// Title and Titles restate the channel's, so that the invitation, the
	// first entry of the channel that the invited party reads, tells it
	// what it joins: nothing it reads of the channel then comes from an
	// entry outside its audience.
	Title  string            `json:"title"`
	Titles map[string]string `json:"titles,omitempty"`
}

// channelInvite brings an observer into a joint channel.
func channelInvite(c *cell.Command) (store.Effect, error) {
	if err := cell.May(c.Actor, cell.ManageParties, cell.Target{}); err != nil {
		return store.Effect{}, forbidden("only the mediator's admins invite observers")
	}
	var p invitePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	ch, err := GetChannel(c, p.Channel)
	if err != nil {
		return store.Effect{}, err
	}
	if ch.Kind != Joint {
		return store.Effect{}, invalid("observers join joint channels only; a line is one party's with the mediator")
	}
	pa, err := cell.GetParty(c.Ctx, c.View, p.Party)
	if err != nil || pa.Kind != cell.Observer {
		return store.Effect{}, invalid("%q is not an observer of this cell", p.Party)
	}
	if slices.Contains(ch.Parties, pa.ID) {
		return store.Effect{}, conflict("%s is already in channel %s", pa.ID, ch.ID)
	}
	if p.Title != ch.Title || !maps.Equal(p.Titles, ch.Titles) {
		return store.Effect{}, invalid("an invitation restates the channel it opens, for the invited party's record: title %q, titles %v", ch.Title, ch.Titles)
	}
	ch.Parties = append(ch.Parties, pa.ID)
	slices.Sort(ch.Parties)
	aud, mask, err := channelAudience(c, ch)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjChannel, ch.ID, ch.Kind, ch)}}, nil
}

// SendPayload is the payload of message.send.
type SendPayload struct {
	record.Header
	Channel     string       `json:"channel"`
	Subject     string       `json:"subject"`
	Body        string       `json:"body"`
	Lang        string       `json:"lang"`
	Precedence  string       `json:"precedence"`
	ReplyTo     *int64       `json:"reply_to,omitempty"`
	Corrects    *int64       `json:"corrects,omitempty"`
	References  []Reference  `json:"references,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	LinkTest    bool         `json:"link_test,omitempty"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// NoAttachment is the refusal of an attachment the sender may not use: the
// same words whether the blob was never uploaded or belongs to messages
// the sender's party cannot read, so that neither is confirmed.
func NoAttachment(sha string) error {
	return invalid("no attachment %s: upload it (POST /blobs) before sending", sha)
}

// mayAttach decides whether the sender's party may attach each file: it
// may if it uploaded the bytes itself (which proves it holds them) or can
// already read a message carrying the file (forwarding). Otherwise a party
// that learnt a hash could attach another party's file to its own message
// and then download it. A file no upload entry names was uploaded before
// uploads were logged; for those the older rule stands (refused only when
// attached solely to messages the party cannot read), so that replaying an
// old log decides as it did.
func mayAttach(c *cell.Command, atts []Attachment) error {
	a := c.Actor
	if a.Server {
		return nil
	}
	for _, at := range atts {
		if _, err := c.View.Get(c.Ctx, ObjUpload, UploadID(at.SHA256, a.Party.ID)); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		refs, err := c.View.List(c.Ctx, ObjAttachment, at.SHA256, -1, 1000)
		if err != nil {
			return err
		}
		visible, err := readsOne(a, refs)
		if err != nil {
			return err
		}
		if visible {
			continue
		}
		if len(refs) == 0 {
			ups, err := c.View.List(c.Ctx, ObjUpload, at.SHA256, -1, 1)
			if err != nil {
				return err
			}
			if len(ups) == 0 {
				continue // uploaded before uploads were logged
			}
		}
		return NoAttachment(at.SHA256)
	}
	return nil
}

// readsOne reports whether a may read one of the messages refs (attachment
// objects, which carry their message's audience) describe.
func readsOne(a cell.Actor, refs []store.Object) (bool, error) {
	for _, o := range refs {
		if cell.MayRead(a, o.Mask) {
			return true, nil
		}
	}
	return false, nil
}

// UploadPayload is the payload of attachment.upload, which the server
// writes when a member uploads a file.
type UploadPayload struct {
	record.Header
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Party  string `json:"party"`
	Member string `json:"member"`
}

// attachmentUpload records who uploaded a file, for the uploader's party
// and the mediator only: the other parties learn nothing of it.
func attachmentUpload(c *cell.Command) (store.Effect, error) {
	if !c.Actor.Server {
		return store.Effect{}, forbidden("uploads are recorded by the server")
	}
	var p UploadPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if !sha256Hex.MatchString(p.SHA256) {
		return store.Effect{}, invalid("sha256 %q is not 64 lower-case hex digits", p.SHA256)
	}
	if p.Size <= 0 {
		return store.Effect{}, invalid("an upload has a positive size")
	}
	m, err := cell.GetMember(c.Ctx, c.View, p.Member)
	if err != nil || m.Party != p.Party {
		return store.Effect{}, invalid("no member %q of party %q", p.Member, p.Party)
	}
	_, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := cell.Audience(parties, p.Party)
	if err != nil {
		return store.Effect{}, err
	}
	u := Upload{SHA256: p.SHA256, Party: p.Party, Member: p.Member, Size: p.Size, At: now}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjUpload, UploadID(p.SHA256, p.Party), p.SHA256, u)}}, nil
}

func messageSend(c *cell.Command) (store.Effect, error) {
	var p SendPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	cho, err := getChannel(c, p.Channel)
	if err != nil {
		return store.Effect{}, err
	}
	ch := cho.Channel
	a := c.Actor
	if !cell.MayRead(a, cho.mask) {
		return store.Effect{}, invalid("no channel %q", p.Channel) // do not confirm a line exists
	}
	if err := cell.May(a, cell.ActOnDesk, cell.Target{Desk: ch.Desk, Doing: "sending on the " + ch.Desk + " desk"}); err != nil {
		return store.Effect{}, err
	}
	if p.LinkTest && !a.Server {
		return store.Effect{}, forbidden("link tests are sent by the server")
	}
	if err := checkMessage(&p); err != nil {
		return store.Effect{}, err
	}
	if err := mayAttach(c, p.Attachments); err != nil {
		return store.Effect{}, err
	}
	for _, ref := range []*int64{p.ReplyTo, p.Corrects} {
		if ref == nil {
			continue
		}
		m, _, err := visibleMessage(c, *ref)
		if err != nil || m.Channel != ch.ID {
			return store.Effect{}, invalid("message %d is not in channel %s", *ref, ch.ID)
		}
		// A correction stands in for what its sender's side said: only
		// that side issues one. Another party answers with reply_to.
		if ref == p.Corrects && !a.Server && (a.Party == nil || m.SenderParty != a.Party.ID) {
			return store.Effect{}, invalid("message %d was sent by another party: answer it with reply_to; only its own party corrects it", *ref)
		}
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	info, err := cell.GetInfo(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	senderParty := ""
	if a.Party != nil {
		senderParty = a.Party.ID
	}
	m := Message{ID: idx, Channel: ch.ID, SenderParty: senderParty, Subject: p.Subject, Body: p.Body, Lang: p.Lang,
		Precedence: p.Precedence, ReplyTo: p.ReplyTo, Corrects: p.Corrects, References: p.References,
		Attachments: p.Attachments, LinkTest: p.LinkTest, Sent: now, Recipients: []string{}}
	if a.Member != nil {
		m.Sender = a.Member.ID
	}
	window := info.Settings.AckDeadline(p.Precedence)
	if p.LinkTest {
		window = info.Settings.LinkTestAnswer()
	}
	for _, pid := range ch.Parties {
		i := slices.IndexFunc(parties, func(x cell.Party) bool { return x.ID == pid })
		// An observer watches joint channels without owing answers, but
		// on its own line with the mediator a message is addressed to it.
		if i < 0 || pid == senderParty || parties[i].Kind == cell.Observer && ch.Party != pid {
			continue
		}
		if p.LinkTest && pid != ch.Party {
			continue // a link test asks the line's party, not the mediator
		}
		m.Recipients = append(m.Recipients, pid)
	}
	changes := []store.Change{put(ObjMessage, MsgID(idx), ch.ID, m)}
	for _, pid := range m.Recipients {
		changes = append(changes,
			put(ObjAck, AckID(idx, pid), MsgID(idx), Ack{Message: idx, Party: pid, Status: AckPending, Due: now.Add(window)}),
			put(ObjDeadline, AckID(idx, pid), pid, Deadline{Message: idx, Channel: ch.ID, Party: pid, Precedence: p.Precedence,
				Start: now, Window: window, LinkTest: p.LinkTest}))
	}
	for _, at := range p.Attachments {
		changes = append(changes, put(ObjAttachment, at.SHA256+"/"+MsgID(idx), at.SHA256, map[string]any{
			"message": idx, "channel": ch.ID, "parties": ch.Parties, "name": at.Name}))
	}
	if p.LinkTest {
		changes = append(changes, put(ObjLinkHealth, ch.ID, ch.Party, LinkHealth{Channel: ch.ID, Party: ch.Party,
			Status: "pending", LastTest: idx, LastSent: now, LastOK: lastOK(c, ch.ID)}))
	}
	aud, mask, err := cell.Audience(parties, ch.Parties...)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

func lastOK(c *cell.Command, channel string) time.Time {
	h, _, err := get[LinkHealth](c, ObjLinkHealth, channel)
	if err != nil {
		return time.Time{}
	}
	return h.LastOK
}

// WordCount counts words as a signals clerk would: runs of non-space.
func WordCount(s string) int { return len(strings.Fields(s)) }

func checkMessage(p *SendPayload) error {
	if err := checkText("subject", p.Subject, MaxSubject, true); err != nil {
		return err
	}
	if err := checkText("body", p.Body, MaxBody, true); err != nil {
		return err
	}
	if err := checkLang(p.Lang); err != nil {
		return err
	}
	switch p.Precedence {
	case Flash, Immediate:
		if n := WordCount(p.Body); n > MaxUrgentWords {
			return invalid("a %s message is limited to %d words; this one has %d", p.Precedence, MaxUrgentWords, n)
		}
	case Priority, Routine:
	default:
		return invalid("precedence %q: want FLASH, IMMEDIATE, PRIORITY or ROUTINE", p.Precedence)
	}
	if len(p.References) > MaxReferences {
		return invalid("at most %d references", MaxReferences)
	}
	for _, r := range p.References {
		if r.Kind == "" || r.ID == "" || len(r.Kind) > 32 || len(r.ID) > 128 {
			return invalid("a reference needs a kind and an id")
		}
	}
	if len(p.Attachments) > MaxAttachments {
		return invalid("at most %d attachments", MaxAttachments)
	}
	for _, at := range p.Attachments {
		if !sha256Hex.MatchString(at.SHA256) {
			return invalid("attachment sha256 %q is not a lower-case hex SHA-256", at.SHA256)
		}
		if err := checkText("attachment name", at.Name, 255, true); err != nil {
			return err
		}
		if at.Size < 0 || len(at.Type) > 100 {
			return invalid("attachment %q: bad size or type", at.Name)
		}
	}
	return nil
}

// AckPayload is the payload of message.ack.
type AckPayload struct {
	record.Header
	Message  int64  `json:"message"`
	Readback string `json:"readback,omitempty"`
}

func needsReadback(precedence string) bool { return precedence == Flash || precedence == Immediate }

func messageAck(c *cell.Command) (store.Effect, error) {
	var p AckPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	m, ch, err := visibleMessage(c, p.Message)
	if err != nil {
		return store.Effect{}, err
	}
	a := c.Actor
	if a.Server || a.Party == nil || !slices.Contains(m.Recipients, a.Party.ID) {
		return store.Effect{}, forbidden("party is not a recipient that must acknowledge message %d", m.ID)
	}
	if err := cell.May(a, cell.ActOnDesk, cell.Target{Desk: ch.Desk, Doing: "acknowledging on the " + ch.Desk + " desk"}); err != nil {
		return store.Effect{}, err
	}
	ack, _, err := get[Ack](c, ObjAck, AckID(m.ID, a.Party.ID))
	if err != nil {
		return store.Effect{}, err
	}
	if ack.Status == AckDone {
		return store.Effect{}, conflict("message %d is already acknowledged by %s", m.ID, a.Party.ID)
	}
	if needsReadback(m.Precedence) && !m.LinkTest {
		if strings.TrimSpace(p.Readback) == "" {
			return store.Effect{}, invalid("a %s message is acknowledged with a readback: restate what, where and when in your own words", m.Precedence)
		}
	}
	if err := checkText("readback", p.Readback, MaxReadback, false); err != nil {
		return store.Effect{}, err
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	ack.Status, ack.AckedBy, ack.AckedAt, ack.AckEntry = AckDone, a.Member.ID, now, idx
	ack.Readback, ack.Verdict, ack.Correction, ack.MarkedBy = p.Readback, "", "", ""
	changes := []store.Change{put(ObjAck, AckID(m.ID, a.Party.ID), MsgID(m.ID), ack), del(ObjDeadline, AckID(m.ID, a.Party.ID))}
	if m.LinkTest {
		changes = append(changes, put(ObjLinkHealth, ch.ID, ch.Party, LinkHealth{Channel: ch.ID, Party: ch.Party, Status: "ok",
			LastTest: m.ID, LastSent: m.Sent, LastOK: now}))
	}
	aud, mask, err := aboutMessage(c, m)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// messageObj is a message with the audience mask of its object.
type messageObj struct {
	Message
	mask uint64
}

// visibleMessage loads a message the actor's party may read; otherwise it
// answers as if the message did not exist. A party that joined the channel
// after the message was sent may not read it, so may not act on it either.
func visibleMessage(c *cell.Command, id int64) (messageObj, Channel, error) {
	m, o, err := get[Message](c, ObjMessage, MsgID(id))
	if err != nil || !cell.MayRead(c.Actor, o.Mask) {
		return messageObj{}, Channel{}, invalid("no message %d", id)
	}
	ch, err := GetChannel(c, m.Channel)
	if err != nil {
		return messageObj{}, ch, err
	}
	return messageObj{Message: m, mask: o.Mask}, ch, nil
}

// ReadbackPayload is the payload of message.readback.
type ReadbackPayload struct {
	record.Header
	Message    int64  `json:"message"`
	Party      string `json:"party"`
	Verdict    string `json:"verdict"`
	Correction string `json:"correction,omitempty"`
}

// readbackMark lets the sender's side judge a readback. An incorrect one
// reopens the acknowledgement with a fresh deadline.
func readbackMark(c *cell.Command) (store.Effect, error) {
	var p ReadbackPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	m, ch, err := visibleMessage(c, p.Message)
	if err != nil {
		return store.Effect{}, err
	}
	a := c.Actor
	if a.Server || a.Party == nil || a.Party.ID != m.SenderParty {
		return store.Effect{}, forbidden("only the sending party judges a readback")
	}
	if a.Member.ID != m.Sender && cell.May(a, cell.ActOnDesk, cell.Target{Desk: ch.Desk}) != nil {
		return store.Effect{}, forbidden("judging a readback takes the sender, the %s desk or duty", ch.Desk)
	}
	ack, _, err := get[Ack](c, ObjAck, AckID(m.ID, p.Party))
	if err != nil {
		return store.Effect{}, invalid("party %q is not a recipient of message %d", p.Party, m.ID)
	}
	if ack.Status != AckDone || ack.Readback == "" {
		return store.Effect{}, conflict("message %d has no readback from %s to judge", m.ID, p.Party)
	}
	if ack.Verdict != "" {
		return store.Effect{}, conflict("the readback of %s was already marked %s", p.Party, ack.Verdict)
	}
	_, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	changes := []store.Change{}
	switch p.Verdict {
	case VerdictOK:
		if p.Correction != "" {
			return store.Effect{}, invalid("a correct readback takes no correction")
		}
		ack.Verdict, ack.MarkedBy = VerdictOK, a.Member.ID
	case VerdictFail:
		if err := checkText("correction", p.Correction, MaxReadback, true); err != nil {
			return store.Effect{}, err
		}
		info, err := cell.GetInfo(c.Ctx, c.View)
		if err != nil {
			return store.Effect{}, err
		}
		window := info.Settings.AckDeadline(m.Precedence)
		ack = Ack{Message: m.ID, Party: p.Party, Status: AckPending, Due: now.Add(window), Round: ack.Round + 1,
			Readback: ack.Readback, Verdict: VerdictFail, Correction: p.Correction, MarkedBy: a.Member.ID}
		changes = append(changes, put(ObjDeadline, AckID(m.ID, p.Party), p.Party, Deadline{Message: m.ID, Channel: ch.ID,
			Party: p.Party, Precedence: m.Precedence, Start: now, Window: window, Round: ack.Round}))
	default:
		return store.Effect{}, invalid("verdict %q: want correct or incorrect", p.Verdict)
	}
	changes = append(changes, put(ObjAck, AckID(m.ID, p.Party), MsgID(m.ID), ack))
	aud, mask, err := aboutMessage(c, m)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// MessageRef is a payload naming one message.
type MessageRef struct {
	record.Header
	Message int64 `json:"message"`
}

func messageRead(c *cell.Command) (store.Effect, error) {
	var p MessageRef
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	m, _, err := visibleMessage(c, p.Message)
	if err != nil {
		return store.Effect{}, err
	}
	a := c.Actor
	if a.Server {
		return store.Effect{}, forbidden("read receipts are members'")
	}
	id := MsgID(m.ID) + "/" + a.Member.ID
	if _, err := c.View.Get(c.Ctx, ObjReceipt, id); err == nil {
		return store.Effect{}, conflict("message %d is already marked read by %s", m.ID, a.Member.ID)
	}
	_, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := aboutMessage(c, m)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjReceipt, id, MsgID(m.ID), Receipt{Message: m.ID, Member: a.Member.ID, Party: a.Party.ID, At: now})}}, nil
}

// EscalatePayload is the payload of message.escalate, written by the
// server's timer.
type EscalatePayload struct {
	record.Header
	Message int64  `json:"message"`
	Party   string `json:"party"`
	Level   int    `json:"level"`
	Round   int    `json:"round"`
}

func messageEscalate(c *cell.Command) (store.Effect, error) {
	if !c.Actor.Server {
		return store.Effect{}, forbidden("escalations are the server's")
	}
	var p EscalatePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	d, _, err := get[Deadline](c, ObjDeadline, AckID(p.Message, p.Party))
	if err != nil {
		return store.Effect{}, conflict("no acknowledgement of message %d by %s is awaited", p.Message, p.Party)
	}
	if d.Round != p.Round || d.Level+1 != p.Level {
		return store.Effect{}, conflict("escalation %d of round %d is not the next one (level %d, round %d)", p.Level, p.Round, d.Level, d.Round)
	}
	idx, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	if now.Before(d.NextDue()) {
		return store.Effect{}, invalid("escalation before its time (due %s)", d.NextDue().Format(time.RFC3339))
	}
	ack, _, err := get[Ack](c, ObjAck, AckID(p.Message, p.Party))
	if err != nil {
		return store.Effect{}, err
	}
	m, ch, err := visibleMessage(c, p.Message)
	if err != nil {
		return store.Effect{}, err
	}
	ack.Escalations = p.Level
	d.Level = p.Level
	roles := []string{cell.RoleDuty}
	if p.Level >= 2 {
		roles = []string{cell.RoleAdmin}
	}
	e := Escalation{ID: idx, Message: p.Message, Channel: d.Channel, Party: p.Party, Level: p.Level, Round: p.Round,
		Precedence: d.Precedence, At: now, NotifyRoles: roles, LinkTest: d.LinkTest}
	changes := []store.Change{put(ObjAck, AckID(p.Message, p.Party), MsgID(p.Message), ack),
		put(ObjEscalation, MsgID(idx), p.Party, e)}
	// The deadline stays after the last escalation: the message still awaits
	// acknowledgement and stays in the party's inbox, overdue.
	changes = append(changes, put(ObjDeadline, AckID(p.Message, p.Party), p.Party, d))
	if d.LinkTest {
		h, _, _ := get[LinkHealth](c, ObjLinkHealth, ch.ID)
		h.Channel, h.Party, h.Status = ch.ID, ch.Party, "dead"
		changes = append(changes, put(ObjLinkHealth, ch.ID, ch.Party, h))
	}
	aud, mask, err := aboutMessage(c, m)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: changes}, nil
}

// RelayPayload is the payload of message.relay.
type RelayPayload struct {
	record.Header
	Origin int64  `json:"origin"`
	Copy   int64  `json:"copy"`
	Note   string `json:"note,omitempty"`
}

// messageRelay records, for the mediator alone, that a message in one
// party's line was relayed (possibly reworded) as a message in another's.
func messageRelay(c *cell.Command) (store.Effect, error) {
	if cell.May(c.Actor, cell.MediateHotline, cell.Target{}) != nil {
		return store.Effect{}, forbidden("only the mediator relays between lines")
	}
	var p RelayPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	o, och, err := visibleMessage(c, p.Origin)
	if err != nil {
		return store.Effect{}, err
	}
	cp, cch, err := visibleMessage(c, p.Copy)
	if err != nil {
		return store.Effect{}, err
	}
	if och.Kind != Line || cch.Kind != Line || och.Party == cch.Party {
		return store.Effect{}, invalid("a relay goes from one party's line to another party's line")
	}
	if cp.SenderParty != c.Actor.Party.ID || cp.ID <= o.ID {
		return store.Effect{}, invalid("the copy must be a later message the mediator sent")
	}
	if _, err := c.View.Get(c.Ctx, ObjRelay, MsgID(cp.ID)); err == nil {
		return store.Effect{}, conflict("message %d is already linked as a relay", cp.ID)
	}
	if err := checkText("note", p.Note, 1000, false); err != nil {
		return store.Effect{}, err
	}
	parties, err := cell.Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := cell.Audience(parties) // the mediator alone
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{
		put(ObjRelay, MsgID(cp.ID), MsgID(o.ID), Relay{Origin: o.ID, Copy: cp.ID, By: c.Actor.Member.ID, Note: p.Note})}}, nil
}

// TranslationPayload is the payload of translation.add.
type TranslationPayload struct {
	record.Header
	Message    int64  `json:"message"`
	Lang       string `json:"lang"`
	Text       string `json:"text"`
	Method     string `json:"method"`
	Translator string `json:"translator,omitempty"`
}

func translationAdd(c *cell.Command) (store.Effect, error) {
	var p TranslationPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	m, _, err := visibleMessage(c, p.Message)
	if err != nil {
		return store.Effect{}, err
	}
	if c.Actor.Server {
		return store.Effect{}, forbidden("translations are attached by members")
	}
	if err := checkLang(p.Lang); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("text", p.Text, MaxTranslation, true); err != nil {
		return store.Effect{}, err
	}
	if p.Method != "machine" && p.Method != "human" {
		return store.Effect{}, invalid("method %q: want machine or human", p.Method)
	}
	if err := checkText("translator", p.Translator, 200, false); err != nil {
		return store.Effect{}, err
	}
	if p.Translator == "" {
		p.Translator = c.Actor.Member.ID
	}
	idx, _, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	t := Translation{ID: idx, Message: m.ID, Lang: p.Lang, Text: p.Text, Method: p.Method, Translator: p.Translator, AddedBy: c.Actor.Member.ID}
	aud, mask, err := aboutMessage(c, m)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjTranslation, MsgID(idx), MsgID(m.ID), t)}}, nil
}

// ConfirmPayload is the payload of translation.confirm.
type ConfirmPayload struct {
	record.Header
	Translation int64 `json:"translation"`
}

func translationConfirm(c *cell.Command) (store.Effect, error) {
	var p ConfirmPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	t, _, err := get[Translation](c, ObjTranslation, MsgID(p.Translation))
	if err != nil {
		return store.Effect{}, invalid("no translation %d", p.Translation)
	}
	m, _, err := visibleMessage(c, t.Message)
	if err != nil {
		return store.Effect{}, invalid("no translation %d", p.Translation)
	}
	a := c.Actor
	if a.Server || !(slices.Contains(m.Recipients, a.Party.ID) || cell.May(a, cell.MediateHotline, cell.Target{}) == nil) || a.Member.ID == t.AddedBy {
		return store.Effect{}, forbidden("a recipient of the message, other than whoever attached the translation, confirms it")
	}
	if t.Confirmed {
		return store.Effect{}, conflict("translation %d is already confirmed", t.ID)
	}
	_, now, err := position(c)
	if err != nil {
		return store.Effect{}, err
	}
	t.Confirmed, t.ConfirmedBy, t.ConfirmedAt = true, a.Member.ID, now
	aud, mask, err := aboutMessage(c, m)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjTranslation, MsgID(t.ID), MsgID(m.ID), t)}}, nil
}

// GlossaryPayload is the payload of glossary.set.
type GlossaryPayload struct {
	record.Header
	Term Term `json:"term"`
}

// glossarySet records an agreed term; the mediator keeps the glossary.
func glossarySet(c *cell.Command) (store.Effect, error) {
	if cell.May(c.Actor, cell.KeepGlossary, cell.Target{}) != nil {
		return store.Effect{}, forbidden("the mediator keeps the glossary")
	}
	var p GlossaryPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	t := p.Term
	if !idPattern.MatchString(t.ID) {
		return store.Effect{}, invalid("term id %q: use lower-case letters, digits, '.', '_' or '-'", t.ID)
	}
	if len(t.Terms) == 0 {
		return store.Effect{}, invalid("a term needs at least one language")
	}
	for lang, s := range t.Terms {
		if err := checkLang(lang); err != nil {
			return store.Effect{}, err
		}
		if err := checkText("term", s, MaxGlossaryTerm, true); err != nil {
			return store.Effect{}, err
		}
	}
	if err := checkText("note", t.Note, 1000, false); err != nil {
		return store.Effect{}, err
	}
	aud, mask := cell.Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjGlossary, t.ID, "", t)}}, nil
}
