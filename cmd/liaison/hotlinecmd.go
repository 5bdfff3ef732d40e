package main

// The hotline from a terminal: send, ack, readback, inbox, tail. Written
// for a duty officer at three in the morning: every answer says what
// happened in words, what is still owed, and by when.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
)

// onMessage signs a command of kind about message id and posts it to
// /messages/{id}/verb.
func onMessage(ctx context.Context, cfg *config, c *client.Client, key *record.DeviceKey, kind string, id int64, verb string, fields map[string]any, stderr io.Writer) (*client.Submitted, error) {
	fields["message"] = id
	env, err := client.Sign(key, cfg.Cell, kind, fields)
	if err != nil {
		return nil, err
	}
	sub, err := submitRetrying(ctx, c, "/messages/"+strconv.FormatInt(id, 10)+"/"+verb, env, stderr)
	return sub, sessionError(err)
}

// signedInWithKey is signedIn and the device key that signs.
func signedInWithKey() (*config, *client.Client, *record.DeviceKey, error) {
	cfg, c, err := signedIn()
	if err != nil {
		return nil, nil, nil, err
	}
	key, err := cfg.deviceKey()
	return cfg, c, key, err
}

// resolveChannel finds a channel by id or by its unique title in any of
// its languages (case-insensitive); the error lists what the member may
// use.
func resolveChannel(ctx context.Context, c *client.Client, name string) (hotline.Channel, error) {
	chs, err := c.Channels(ctx)
	if err != nil {
		return hotline.Channel{}, sessionError(err)
	}
	var byTitle []hotline.Channel
	for _, ch := range chs {
		if ch.ID == name {
			return ch, nil
		}
		if strings.EqualFold(ch.Title, name) || slices.ContainsFunc(slices.Collect(maps.Values(ch.Titles)), func(t string) bool { return strings.EqualFold(t, name) }) {
			byTitle = append(byTitle, ch)
		}
	}
	switch len(byTitle) {
	case 1:
		return byTitle[0], nil
	case 0:
		return hotline.Channel{}, fmt.Errorf("no channel %q among yours: %s", name, channelList(chs))
	}
	return hotline.Channel{}, fmt.Errorf("%d channels are titled %q: name one by its id: %s", len(byTitle), name, channelList(byTitle))
}

func channelList(chs []hotline.Channel) string {
	var s []string
	for _, ch := range chs {
		if ch.Title != "" && ch.Title != ch.ID {
			s = append(s, fmt.Sprintf("%s (%s)", ch.ID, ch.Title))
		} else {
			s = append(s, ch.ID)
		}
	}
	return strings.Join(s, ", ")
}

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("send", stderr)
	channel := fs.String("channel", "", "channel id or title (see 'liaison inbox' or the web UI)")
	precedence := fs.String("precedence", hotline.Routine, "FLASH, IMMEDIATE, PRIORITY or ROUTINE")
	lang := fs.String("lang", "en", "language of the text: en, ar or he")
	subject := fs.String("subject", "", "subject line")
	body := fs.String("body", "", "message text (default: --body-file, or standard input)")
	bodyFile := fs.String("body-file", "", "read the message text from this file")
	replyTo := fs.Int64("reply-to", -1, "the message this one answers")
	corrects := fs.Int64("corrects", -1, "the message this one corrects (messages are never edited)")
	id := fs.String("id", "", "idempotency id: a retry with the same id sends nothing twice (default: random)")
	var attach repeated
	fs.Var(&attach, "attach", "attach a file (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (the text goes in --body, --body-file or standard input)", fs.Arg(0))
	}
	p := strings.ToUpper(*precedence)
	if !slices.Contains([]string{hotline.Flash, hotline.Immediate, hotline.Priority, hotline.Routine}, p) {
		return fmt.Errorf("--precedence %q: use FLASH, IMMEDIATE, PRIORITY or ROUTINE", *precedence)
	}
	if *channel == "" || *subject == "" {
		return errors.New("--channel and --subject are required")
	}
	if *body != "" && *bodyFile != "" {
		return errors.New("give the text with --body or --body-file, not both")
	}
	// The session and the channel first: whoever types a message should
	// not learn only afterwards that it cannot go.
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	ch, err := resolveChannel(ctx, c, *channel)
	if err != nil {
		return err
	}
	text := *body
	switch {
	case *bodyFile != "":
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return err
		}
		text = string(b)
	case text == "":
		if f, ok := stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				fmt.Fprintf(stderr, "Type the message to %s, then Ctrl-D on a line of its own (Ctrl-C cancels):\n", ch.ID)
			}
		}
		b, err := readAll(ctx, io.LimitReader(stdin, 1<<20))
		if err != nil {
			return err
		}
		text = string(b)
	}
	text = strings.TrimRight(text, "\r\n")
	if strings.TrimSpace(text) == "" {
		return errors.New("the message has no text")
	}
	if (p == hotline.Flash || p == hotline.Immediate) && len(strings.Fields(text)) > hotline.MaxUrgentWords {
		return fmt.Errorf("a %s message is at most %d words; this one has %d", p, hotline.MaxUrgentWords, len(strings.Fields(text)))
	}
	var atts []hotline.Attachment
	for _, f := range attach {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sha, err := c.PutBlob(ctx, data)
		if err != nil {
			return fmt.Errorf("attachment %s: %w", f, sessionError(err))
		}
		typ := mime.TypeByExtension(filepath.Ext(f))
		if typ == "" {
			typ = http.DetectContentType(data)
		}
		atts = append(atts, hotline.Attachment{SHA256: sha, Name: filepath.Base(f), Size: int64(len(data)), Type: typ})
	}
	fields := map[string]any{"channel": ch.ID, "subject": *subject, "body": text, "lang": *lang, "precedence": p}
	if *replyTo >= 0 {
		fields["reply_to"] = *replyTo
	}
	if *corrects >= 0 {
		fields["corrects"] = *corrects
	}
	if len(atts) > 0 {
		fields["attachments"] = atts
	}
	if *id != "" {
		fields["id"] = *id
	}
	env, forget, err := outboxEnvelope(cfg, *id, fields, func() (*record.Envelope, error) {
		return client.Sign(key, cfg.Cell, hotline.KindMessageSend, fields)
	})
	if err != nil {
		return err
	}
	sub, err := submitRetrying(ctx, c, "/messages", env, stderr)
	if err != nil {
		if refused(err) {
			forget()
		}
		return sessionError(err)
	}
	idx := sub.Entry.Index
	if sub.Duplicate {
		fmt.Fprintf(stdout, "Already sent: message %d (this id was used before; nothing was sent twice).\n", idx)
	} else {
		fmt.Fprintf(stdout, "Sent %s message %d on %s (log index %d).\n", p, idx, ch.ID, idx)
	}
	m, err := c.Message(ctx, idx)
	if err != nil {
		return nil // sent; the summary is a courtesy
	}
	if len(m.Acks) == 0 {
		fmt.Fprintln(stdout, "No party owes an acknowledgement.")
	}
	for _, a := range m.Acks {
		switch a.Status {
		case hotline.AckDone:
			fmt.Fprintf(stdout, "  %s acknowledged (%s)\n", a.Party, a.AckedBy)
		default:
			fmt.Fprintf(stdout, "  awaiting acknowledgement from %s: due %s (%s)\n", a.Party, a.Due.UTC().Format("15:04:05Z"), left(time.Until(a.Due)))
		}
	}
	return nil
}

// readAll reads r to its end, or until ctx ends: the interrupt that
// main catches must still cancel a message being typed.
func readAll(ctx context.Context, r io.Reader) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(r)
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		return res.b, res.err
	case <-ctx.Done():
		return nil, errors.New("interrupted; nothing was sent")
	}
}

// outboxEnvelope returns the envelope to send for idempotency id: the one
// signed for it before when this is a retry (the server answers a repeat
// of the same signed bytes with the entry it made, and refuses the same id
// on different bytes), or a new one, kept in <config>/outbox for a later
// retry (for outboxKeep). Without an id every send is new. forget drops the kept envelope
// once the server has refused it.
func outboxEnvelope(cfg *config, id string, fields map[string]any, sign func() (*record.Envelope, error)) (env *record.Envelope, forget func(), err error) {
	if id == "" {
		env, err = sign()
		return env, func() {}, err
	}
	dir := filepath.Join(cfg.dir, "outbox")
	// Hashed, so that an id of any length makes a file name of one length.
	sum := sha256.Sum256([]byte(cfg.Server + "\x00" + cfg.Cell + "\x00" + cfg.Member + "\x00" + id))
	file := filepath.Join(dir, hex.EncodeToString(sum[:])+".json")
	if b, err := os.ReadFile(file); err == nil {
		env, err := record.ParseEnvelope(b)
		if err != nil {
			return nil, nil, fmt.Errorf("outbox %s: %w", file, err)
		}
		var old map[string]any
		if err := json.Unmarshal(env.Payload, &old); err != nil {
			return nil, nil, err
		}
		now, _ := json.Marshal(fields)
		var cur map[string]any
		json.Unmarshal(now, &cur) //nolint:errcheck // our own JSON
		// Both ways: a retry that drops a field (--reply-to, say) is a
		// different message too, and must not quietly resend the old one.
		for k := range mergeKeys(old, cur) {
			if k == "time" || k == "cell" {
				continue // the header Sign adds
			}
			if ov, ok := old[k]; !ok || !reflect.DeepEqual(ov, cur[k]) {
				return nil, nil, fmt.Errorf("--id %s was used for a different message (its %s differs); choose another id", id, k)
			}
		}
		return env, func() { os.Remove(file) }, nil
	}
	env, err = sign()
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	pruneOutbox(dir, time.Now().Add(-outboxKeep))
	if err := os.WriteFile(file, env.Marshal(), 0o600); err != nil {
		return nil, nil, err
	}
	return env, func() { os.Remove(file) }, nil
}

// outboxKeep is how long a signed envelope stays in the outbox for a retry
// with its --id: a retry comes within minutes or hours, not a month on.
const outboxKeep = 30 * 24 * time.Hour

// pruneOutbox removes the envelopes written before cutoff. It is best
// effort: a file it cannot remove costs nothing but space.
func pruneOutbox(dir string, cutoff time.Time) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.ModTime().Before(cutoff) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func mergeKeys(a, b map[string]any) map[string]bool {
	keys := make(map[string]bool, len(a)+len(b))
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

// refused reports whether err is the server's refusal of a command, which
// appended nothing: the idempotency id is then free for a corrected
// message. A conflict means the id is taken; a server error or a lost
// answer leaves it unknown whether the command landed.
func refused(err error) bool {
	var apiErr *client.Error
	return errors.As(err, &apiErr) && apiErr.Status/100 == 4 && apiErr.Status != http.StatusConflict
}

// submitRetrying submits env, and once more after a transport failure (a
// dropped connection may have lost the answer, not the write): the same
// signed bytes make the same entry, never a second one.
func submitRetrying(ctx context.Context, c *client.Client, path string, env *record.Envelope, stderr io.Writer) (*client.Submitted, error) {
	sub, err := c.Submit(ctx, path, env)
	var apiErr *client.Error
	if err == nil || errors.As(err, &apiErr) || ctx.Err() != nil {
		return sub, queuedAt(sub, err)
	}
	fmt.Fprintf(stderr, "no answer (%v); sending the same signed message again...\n", err)
	select {
	case <-ctx.Done():
		return nil, err
	case <-time.After(time.Second):
	}
	sub, err = c.Submit(ctx, path, env)
	return sub, queuedAt(sub, err)
}

// queued is a write a party's mirror keeps in its outbox while the line
// to the cell is down: done as far as its member is concerned (the mirror
// sends it when the line returns, once), but not an entry yet, so the
// verb's own report, which names the entry, is not printed.
type queued struct{ detail string }

func (q *queued) Error() string { return "queued at your party's mirror: " + q.detail }

func queuedAt(sub *client.Submitted, err error) error {
	if err == nil && sub.Relayed != nil && !sub.Relayed.Landed {
		return &queued{sub.Relayed.Detail}
	}
	return err
}

// left renders time left, or how long overdue.
func left(d time.Duration) string {
	if d < 0 {
		return "OVERDUE by " + clock(-d)
	}
	return clock(d) + " left"
}

func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// messageArg parses the flags, before or after the one argument: a
// message number.
func messageArg(fs *flag.FlagSet, args []string) (int64, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 0, err
	}
	if len(pos) != 1 {
		return 0, errors.New("name one message by its number")
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
	if err != nil || id < 0 {
		return 0, fmt.Errorf("%q is not a message number", pos[0])
	}
	return id, nil
}

func runAck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ack", stderr)
	readback := fs.String("readback", "", "for FLASH and IMMEDIATE: what, where and when, in your own words")
	id, err := messageArg(fs, args)
	if err != nil {
		return err
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	m, err := c.Message(ctx, id)
	if err != nil {
		return sessionError(err)
	}
	if (m.Precedence == hotline.Flash || m.Precedence == hotline.Immediate) && strings.TrimSpace(*readback) == "" {
		return fmt.Errorf("message %d is %s: acknowledge it with --readback \"what, where, when\" in your own words; nothing was sent", id, m.Precedence)
	}
	fields := map[string]any{}
	if *readback != "" {
		fields["readback"] = *readback
	}
	sub, err := onMessage(ctx, cfg, c, key, hotline.KindMessageAck, id, "ack", fields, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Acknowledged message %d (%s, %q) at log index %d.\n", id, m.Precedence, m.Subject, sub.Entry.Index)
	if *readback != "" {
		fmt.Fprintln(stdout, "The sender will mark your readback correct or incorrect.")
	}
	return nil
}

func runReadback(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("readback", stderr)
	correct := fs.Bool("correct", false, "the readback restates the message correctly")
	incorrect := fs.Bool("incorrect", false, "the readback is wrong: give --correction")
	correction := fs.String("correction", "", "with --incorrect: what is right")
	party := fs.String("party", "", "whose readback (default: the only one awaiting a mark)")
	id, err := messageArg(fs, args)
	if err != nil {
		return err
	}
	if *correct == *incorrect {
		return errors.New("say --correct or --incorrect")
	}
	if *incorrect && strings.TrimSpace(*correction) == "" {
		return errors.New("--incorrect needs --correction: what the recipient must hear instead")
	}
	cfg, c, key, err := signedInWithKey()
	if err != nil {
		return err
	}
	if *party == "" {
		m, err := c.Message(ctx, id)
		if err != nil {
			return sessionError(err)
		}
		var waiting []string
		for _, a := range m.Acks {
			if a.Readback != "" && a.Verdict == "" {
				waiting = append(waiting, a.Party)
			}
		}
		switch len(waiting) {
		case 0:
			return fmt.Errorf("no readback of message %d awaits a mark: %s", id, ackStates(m.Acks))
		case 1:
			*party = waiting[0]
		default:
			return fmt.Errorf("readbacks of message %d from %s await a mark: name one with --party %s",
				id, strings.Join(waiting, " and "), strings.Join(waiting, " or --party "))
		}
	}
	fields := map[string]any{"party": *party, "verdict": "correct"}
	if *incorrect {
		fields["verdict"] = "incorrect"
		fields["correction"] = *correction
	}
	sub, err := onMessage(ctx, cfg, c, key, hotline.KindReadbackMark, id, "readback", fields, stderr)
	if err != nil {
		return err
	}
	if *incorrect {
		fmt.Fprintf(stdout, "Marked %s's readback of message %d incorrect (log index %d); %s must acknowledge again.\n", *party, id, sub.Entry.Index, *party)
	} else {
		fmt.Fprintf(stdout, "Marked %s's readback of message %d correct (log index %d).\n", *party, id, sub.Entry.Index)
	}
	return nil
}

// ackStates says what became of each recipient's acknowledgement, for an
// officer who expected a readback to judge and found none.
func ackStates(acks []hotline.Ack) string {
	if len(acks) == 0 {
		return "no party owes an acknowledgement of it"
	}
	var says []string
	for _, a := range acks {
		switch {
		case a.Verdict == hotline.VerdictFail && a.Status == hotline.AckPending:
			says = append(says, fmt.Sprintf("%s's readback was marked incorrect by %s, and %s has yet to acknowledge again", a.Party, a.MarkedBy, a.Party))
		case a.Verdict != "":
			says = append(says, fmt.Sprintf("%s's readback was marked %s by %s", a.Party, a.Verdict, a.MarkedBy))
		case a.Status == hotline.AckDone:
			says = append(says, fmt.Sprintf("%s acknowledged it without a readback", a.Party))
		default:
			says = append(says, fmt.Sprintf("%s has not acknowledged it yet", a.Party))
		}
	}
	return strings.Join(says, "; ")
}

func runInbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inbox", stderr)
	asJSON := fs.Bool("json", false, "print the items as JSON")
	party := fs.String("party", "", "the mediator: what this party owes (default: your own party)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	items, err := c.Inbox(ctx, *party)
	if err != nil {
		return sessionError(err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if items == nil {
			items = []client.InboxItem{}
		}
		return enc.Encode(items)
	}
	if len(items) == 0 {
		if *party != "" {
			fmt.Fprintf(stdout, "Nothing awaits %s's acknowledgement.\n", *party)
		} else {
			fmt.Fprintln(stdout, "Nothing awaits your party's acknowledgement.")
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MSG\tPRECEDENCE\tCHANNEL\tFROM\tSUBJECT\tTIME LEFT")
	for _, it := range items {
		m := it.Message
		from := m.Sender
		if from == "" {
			from = "server"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Precedence, m.Channel, from, oneLine(m.Subject, 50), left(time.Duration(it.SecondsLeft)*time.Second))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\nAcknowledge with: liaison ack MSG [--readback \"...\"] (FLASH and IMMEDIATE need a readback)")
	return nil
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func runTail(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tail", stderr)
	channel := fs.String("channel", "", "only this channel's messages, acknowledgements and escalations")
	from := fs.Int64("from", -2, "replay from this log index (default: only what happens from now)")
	asJSON := fs.Bool("json", false, "print each entry as one line of JSON")
	bell := fs.Bool("bell", false, "ring the terminal's bell on a FLASH or IMMEDIATE sent to your party, and on an escalation of what it owes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, c, err := signedIn()
	if err != nil {
		return err
	}
	var urgent func(client.Event) bool
	if *bell {
		me, err := c.Me(ctx)
		if err != nil {
			return sessionError(err)
		}
		urgent = urgentFor(me.Party.ID, me.Party.Kind == cell.Mediator)
	}
	if *channel != "" {
		ch, err := resolveChannel(ctx, c, *channel)
		if err != nil {
			return err
		}
		*channel = ch.ID
	}
	after := int64(-2)
	if *from >= 0 {
		after = *from - 1
	}
	// What each message is, to place and name the acknowledgements and
	// escalations, which carry only its number.
	seen := map[int64]messageInfo{}
	about := func(id int64) messageInfo {
		if mi, ok := seen[id]; ok {
			return mi
		}
		m, err := c.Message(ctx, id)
		if err != nil {
			return messageInfo{} // not ours to read, or the line is down: the number alone
		}
		mi := messageInfo{channel: m.Channel, subject: m.Subject, precedence: m.Precedence}
		seen[id] = mi
		return mi
	}
	fmt.Fprintln(stderr, "Following the cell's record; Ctrl-C to stop.")
	return c.Stream(ctx, client.StreamOptions{
		After: after,
		OnReconnect: func(err error) {
			fmt.Fprintf(stderr, "connection lost (%v); reconnecting, nothing will be missed...\n", err)
		},
	}, func(e client.Event) error {
		line, ch, ok := describe(e, about, seen)
		// A hotline entry whose message could not be looked up (the line
		// blinked just then) is shown rather than filtered out: better one
		// line too many than an acknowledgement missed.
		if *channel != "" && (!ok || ch != "" && ch != *channel) {
			return nil
		}
		if *asJSON {
			b, err := json.Marshal(e.Entry)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(stdout, "%s\n", b)
			return err
		}
		if urgent != nil && urgent(e) {
			line = "\a" + line
		}
		_, err := fmt.Fprintln(stdout, line)
		return err
	})
}

// urgentFor tells, as the web's banner does, whether an entry is urgent
// news for a member of party: a FLASH or IMMEDIATE sent to it by another,
// or an escalation of what it owes (for the mediator, of what anyone owes).
func urgentFor(party string, mediator bool) func(client.Event) bool {
	return func(e client.Event) bool {
		var p struct {
			Precedence string `json:"precedence"`
			Party      string `json:"party"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			return false
		}
		switch e.Kind {
		case hotline.KindMessageSend:
			return (p.Precedence == hotline.Flash || p.Precedence == hotline.Immediate) && e.Party != party &&
				(slices.Contains(e.Audience, party) || slices.Contains(e.Audience, record.Everyone))
		case hotline.KindMessageEscalate:
			return p.Party == party || mediator
		}
		return false
	}
}

func today() time.Time {
	y, m, d := time.Now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// messageInfo is what a line about a message repeats of it.
type messageInfo struct{ channel, subject, precedence string }

// ref names message id with what is known of it.
func (mi messageInfo) ref(id int64) string {
	if mi.channel == "" {
		return fmt.Sprintf("message %d", id)
	}
	return fmt.Sprintf("message %d (%s, %s, %q)", id, mi.precedence, mi.channel, oneLine(mi.subject, 50))
}

// describe renders an entry as one line, and names the channel it belongs
// to ("" for entries outside the hotline). A message sent is remembered in
// seen; about tells of one sent before.
func describe(e client.Event, about func(int64) messageInfo, seen map[int64]messageInfo) (line, channel string, hotlineEntry bool) {
	var p struct {
		Channel    string `json:"channel"`
		Subject    string `json:"subject"`
		Precedence string `json:"precedence"`
		Message    int64  `json:"message"`
		Origin     int64  `json:"origin"`
		Party      string `json:"party"`
		Readback   string `json:"readback"`
		Verdict    string `json:"verdict"`
		Correction string `json:"correction"`
		Level      int    `json:"level"`
		Lang       string `json:"lang"`
	}
	json.Unmarshal(e.Payload, &p) //nolint:errcheck // an entry we cannot read is still shown by kind
	who := e.Member
	if who == "" {
		who = "server"
	} else if e.Party != "" {
		who += " (" + e.Party + ")"
	}
	at := e.Time.UTC().Format("15:04:05Z")
	if y, m, d := e.Time.UTC().Date(); time.Date(y, m, d, 0, 0, 0, 0, time.UTC) != today() {
		at = e.Time.UTC().Format("2006-01-02 15:04:05Z") // a replay reaching back before today
	}
	switch e.Kind {
	case hotline.KindMessageSend:
		seen[e.Index] = messageInfo{channel: p.Channel, subject: p.Subject, precedence: p.Precedence}
		return fmt.Sprintf("%s  #%d  %-9s %s  %s: %s", at, e.Index, p.Precedence, p.Channel, who, oneLine(p.Subject, 80)), p.Channel, true
	case hotline.KindMessageAck:
		mi := about(p.Message)
		s := fmt.Sprintf("%s  #%d  ACK       %s by %s", at, e.Index, mi.ref(p.Message), who)
		if p.Readback != "" {
			s += fmt.Sprintf(" — readback: %q", oneLine(p.Readback, 100))
		}
		return s, mi.channel, true
	case hotline.KindReadbackMark:
		mi := about(p.Message)
		s := fmt.Sprintf("%s  #%d  READBACK  %s: %s's readback marked %s by %s", at, e.Index, mi.ref(p.Message), p.Party, strings.ToUpper(p.Verdict), who)
		if p.Correction != "" {
			s += fmt.Sprintf(" — correction: %q", oneLine(p.Correction, 100))
		}
		return s, mi.channel, true
	case hotline.KindMessageEscalate:
		mi := about(p.Message)
		target := "duty officers"
		if p.Level >= 2 {
			target = "admins"
		}
		return fmt.Sprintf("%s  #%d  ESCALATION  %s unacknowledged by %s: to its %s and the mediator (level %d)", at, e.Index, mi.ref(p.Message), p.Party, target, p.Level), mi.channel, true
	case hotline.KindMessageRead:
		mi := about(p.Message)
		return fmt.Sprintf("%s  #%d  read      %s by %s", at, e.Index, mi.ref(p.Message), who), mi.channel, true
	case hotline.KindMessageRelay:
		return fmt.Sprintf("%s  #%d  RELAY     %s relayed to %s by %s", at, e.Index, about(p.Origin).ref(p.Origin), p.Channel, who), p.Channel, true
	case hotline.KindTranslationAdd:
		mi := about(p.Message)
		return fmt.Sprintf("%s  #%d  translation of %s into %s by %s", at, e.Index, mi.ref(p.Message), p.Lang, who), mi.channel, true
	}
	return fmt.Sprintf("%s  #%d  %s by %s", at, e.Index, e.Kind, who), "", false
}
