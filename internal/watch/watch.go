// Package watch runs the cell's clocks: it escalates acknowledgements that
// miss their deadline, sends the scheduled link tests, and alerts the gates
// that fail under the commercial desk's projects in implementation (from
// a GateEvery after it starts). One node at a
// time runs it (store.TryLeader); every write it makes has a deterministic
// idempotency id and is re-checked by the domain, so a timer fires once
// even across restarts and nodes.
package watch

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/commerce"
	"github.com/liaison-cell/liaison/internal/dues"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/store"
)

// Webhook pages a party's duty officers by the means it already uses: an
// HTTP POST of each escalation concerning the party, signed with HMAC-SHA256.
type Webhook struct {
	Party  string `json:"party"`
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// Config configures the watch.
type Config struct {
	Ledger   *ledger.Ledger
	Logger   *slog.Logger
	Interval time.Duration // how often to look (default 1s)
	Now      func() time.Time
	Webhooks []Webhook
	Client   *http.Client
	// GateEvery is how often the watch judges the gates of the projects in
	// implementation (default DefaultGateEvery), and how long after its start
	// it first does: a watch that writes the moment it starts races whatever
	// the operator runs at the same time on the data (a rebuild), and an
	// alert a minute late is not news lost.
	GateEvery time.Duration
}

// Watch is the timer runner.
type Watch struct {
	cfg Config
	st  store.Store
	// gatesAt is when each cell's commercial gates were last judged: they
	// read every incident of a zone, so not every tick.
	gatesAt map[string]time.Time
	// started is when the watch started: no cell's gates are judged before
	// a GateEvery has passed since.
	started time.Time
}

// DefaultGateEvery is how often the watch judges the gates unless told.
const DefaultGateEvery = time.Minute

// New returns a watch.
func New(cfg Config) (*Watch, error) {
	if cfg.Ledger == nil {
		return nil, errors.New("watch: Ledger is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.GateEvery <= 0 {
		cfg.GateEvery = DefaultGateEvery
	}
	for _, w := range cfg.Webhooks {
		if w.Party == "" || w.URL == "" || len(w.Secret) < 16 {
			return nil, fmt.Errorf("webhook for %q: party, url and a secret of at least 16 characters are required", w.Party)
		}
	}
	return &Watch{cfg: cfg, st: cfg.Ledger.Store(), gatesAt: map[string]time.Time{}, started: cfg.Now()}, nil
}

// Run looks at the clocks every interval until ctx ends.
func (w *Watch) Run(ctx context.Context) {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		if err := w.Tick(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Logger.Error("watch", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick does one round if this node leads.
func (w *Watch) Tick(ctx context.Context) error {
	lead, err := w.st.TryLeader(ctx)
	if err != nil || !lead {
		return err
	}
	cells, err := w.st.Cells(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range cells {
		errs = append(errs, w.escalate(ctx, c), w.escalateDues(ctx, c), w.linkTests(ctx, c), w.gateAlerts(ctx, c))
	}
	return errors.Join(errs...)
}

// listPage is how many deadlines the watch reads at a time.
var listPage = 1000

// pageOf returns the objects of a List answer that a cursor on the creation
// index may step past: one entry creates several deadlines (one per
// recipient) with the same index, so a full page leaves those of its last
// index to the next page, which then starts at that index. more reports
// whether another page is to be read.
func pageOf(objs []store.Object, limit int) (page []store.Object, more bool) {
	if len(objs) < limit {
		return objs, false
	}
	last := objs[len(objs)-1].Seq
	cut := len(objs)
	for cut > 0 && objs[cut-1].Seq == last {
		cut--
	}
	if cut == 0 { // a whole page of one entry's objects: cannot happen below MaxParties
		return objs, true
	}
	return objs[:cut], true
}

func (w *Watch) escalate(ctx context.Context, cellID string) error {
	now := w.cfg.Now()
	v := w.st.View(cellID)
	after := int64(-1)
	for {
		objs, err := v.List(ctx, hotline.ObjDeadline, "", after, listPage)
		if err != nil {
			return err
		}
		objs, more := pageOf(objs, listPage)
		for _, o := range objs {
			after = o.Seq
			var d hotline.Deadline
			if err := json.Unmarshal(o.Doc, &d); err != nil {
				return err
			}
			if d.Level >= 2 || now.Before(d.NextDue()) {
				continue
			}
			level := d.Level + 1
			id := fmt.Sprintf("escalate/%d/%s/%d/%d", d.Message, d.Party, d.Round, level)
			r, err := w.cfg.Ledger.SubmitServer(ctx, cellID, hotline.KindMessageEscalate, map[string]any{
				"id": id, "message": d.Message, "party": d.Party, "level": level, "round": d.Round})
			if errors.Is(err, cell.ErrConflict) {
				continue // acknowledged meanwhile, or another node was first
			}
			if err != nil {
				return fmt.Errorf("escalate message %d for %s: %w", d.Message, d.Party, err)
			}
			if !r.Duplicate {
				w.cfg.Logger.Warn("escalation", "cell", cellID, "message", d.Message, "party", d.Party, "level", level, "entry", r.Entry.Index)
				w.page(ctx, cellID, d.Party, level, Page{Cell: cellID, Entry: r.Entry.Index, Message: d.Message, Channel: d.Channel,
					Party: d.Party, Precedence: d.Precedence, Level: level, LinkTest: d.LinkTest, Due: d.NextDue()})
			}
		}
		if !more {
			return nil
		}
	}
}

// escalateDues escalates what the desks await (dues.Due) as escalate does
// the hotline's acknowledgements: at the deadline, then at twice it.
func (w *Watch) escalateDues(ctx context.Context, cellID string) error {
	now := w.cfg.Now()
	v := w.st.View(cellID)
	after := int64(-1)
	for {
		objs, err := v.List(ctx, dues.ObjDue, "", after, listPage)
		if err != nil {
			return err
		}
		objs, more := pageOf(objs, listPage)
		for _, o := range objs {
			after = o.Seq
			var d dues.Due
			if err := json.Unmarshal(o.Doc, &d); err != nil {
				return err
			}
			if d.Level >= dues.MaxLevel || now.Before(d.NextDue()) {
				continue
			}
			level := d.Level + 1
			r, err := w.cfg.Ledger.SubmitServer(ctx, cellID, dues.KindEscalate, dues.EscalationFields(d, level))
			if errors.Is(err, cell.ErrConflict) {
				continue // answered meanwhile, or another node was first
			}
			if err != nil {
				return fmt.Errorf("escalate %s %d for %s: %w", d.Kind, d.Ref, d.Party, err)
			}
			if !r.Duplicate {
				w.cfg.Logger.Warn("escalation", "cell", cellID, "kind", d.Kind, "ref", d.Ref, "party", d.Party, "level", level, "entry", r.Entry.Index)
				w.page(ctx, cellID, d.Party, level, Page{Cell: cellID, Entry: r.Entry.Index, Kind: d.Kind, Ref: d.Ref,
					Party: d.Party, Precedence: d.Precedence, Level: level, Due: d.NextDue()})
			}
		}
		if !more {
			return nil
		}
	}
}

// gateAlerts writes an alert for each failing gate of a project in
// implementation, once per failure: the commercial desks learn that what
// the project depends on no longer holds.
func (w *Watch) gateAlerts(ctx context.Context, cellID string) error {
	now := w.cfg.Now()
	at, ok := w.gatesAt[cellID]
	if !ok {
		at = w.started
	}
	if now.Sub(at) < w.cfg.GateEvery {
		return nil
	}
	w.gatesAt[cellID] = now
	fs, err := commerce.Failing(ctx, w.st.View(cellID), now)
	if err != nil {
		return err
	}
	for _, f := range fs {
		r, err := w.cfg.Ledger.SubmitServer(ctx, cellID, commerce.KindGateAlert, f)
		if errors.Is(err, cell.ErrConflict) {
			continue // it holds again, or another node was first
		}
		if err != nil {
			return fmt.Errorf("gate alert %v: %w", f["id"], err)
		}
		if !r.Duplicate {
			w.cfg.Logger.Warn("gate alert", "cell", cellID, "project", f["project"], "milestone", f["milestone"], "entry", r.Entry.Index)
		}
	}
	return nil
}

// linkTests sends each scheduled link test down every line once. A test
// whose time passed while no node was leading is sent late, within an hour.
func (w *Watch) linkTests(ctx context.Context, cellID string) error {
	v := w.st.View(cellID)
	info, err := cell.GetInfo(ctx, v)
	if err != nil || len(info.Settings.LinkTests) == 0 {
		return err
	}
	now := w.cfg.Now().UTC()
	var due []time.Time
	for _, hm := range info.Settings.LinkTests {
		t, err := time.Parse("15:04", hm)
		if err != nil {
			continue
		}
		for _, day := range []time.Time{now, now.AddDate(0, 0, -1)} {
			at := time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
			if !at.After(now) && now.Sub(at) < time.Hour {
				due = append(due, at)
			}
		}
	}
	if len(due) == 0 {
		return nil
	}
	lines, err := v.List(ctx, hotline.ObjChannel, hotline.Line, -1, 1000)
	if err != nil {
		return err
	}
	for _, o := range lines {
		var ch hotline.Channel
		if err := json.Unmarshal(o.Doc, &ch); err != nil {
			return err
		}
		for _, at := range due {
			if _, err := SendLinkTest(ctx, w.cfg.Ledger, cellID, ch.ID, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// SendLinkTest sends the link test scheduled at at down a line; sending
// the same one again (another node, a restart) is the same entry.
func SendLinkTest(ctx context.Context, led *ledger.Ledger, cellID, channel string, at time.Time) (store.Result, error) {
	at = at.UTC()
	r, err := led.SubmitServer(ctx, cellID, hotline.KindMessageSend, map[string]any{
		"id": "linktest/" + channel + "/" + at.Format("2006-01-02T15:04"), "channel": channel,
		"subject": "Link test " + at.Format("15:04") + "Z",
		"body":    "Link test. Acknowledge to confirm this line is manned.", "lang": "en",
		"precedence": hotline.Immediate, "link_test": true})
	if err != nil {
		return r, fmt.Errorf("link test on %s: %w", channel, err)
	}
	return r, nil
}

// Page is the body of a webhook call. It says who must look and where,
// not what the message says: the paging system is outside the record. A
// hotline escalation names its message and channel; a desk's, the kind and
// log index of what is awaited.
type Page struct {
	Cell        string    `json:"cell"`
	Entry       int64     `json:"entry"`
	Message     int64     `json:"message,omitempty"`
	Channel     string    `json:"channel,omitempty"`
	Kind        string    `json:"kind,omitempty"`
	Ref         int64     `json:"ref,omitempty"`
	Party       string    `json:"party"`
	Precedence  string    `json:"precedence"`
	Level       int       `json:"level"`
	NotifyRoles []string  `json:"notify_roles"`
	LinkTest    bool      `json:"link_test,omitempty"`
	Due         time.Time `json:"due"`
}

// SignatureHeader carries "sha256=<hex HMAC of timestamp.body>".
const (
	SignatureHeader = "X-Liaison-Signature"
	TimestampHeader = "X-Liaison-Timestamp"
)

// Sign computes the webhook signature of body at timestamp ts.
func Sign(secret string, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// page calls the webhooks of the silent party and of the mediator.
func (w *Watch) page(ctx context.Context, cellID, party string, level int, pg Page) {
	if len(w.cfg.Webhooks) == 0 {
		return
	}
	parties, err := cell.Parties(ctx, w.st.View(cellID))
	if err != nil {
		w.cfg.Logger.Error("page", "err", err)
		return
	}
	mediator := ""
	for _, p := range parties {
		if p.Kind == cell.Mediator {
			mediator = p.ID
		}
	}
	roles := []string{cell.RoleDuty}
	if level >= 2 {
		roles = []string{cell.RoleAdmin}
	}
	pg.NotifyRoles = roles
	body, _ := json.Marshal(pg)
	for _, hook := range w.cfg.Webhooks {
		if hook.Party != party && hook.Party != mediator {
			continue
		}
		go w.deliver(context.WithoutCancel(ctx), hook, body)
	}
}

func (w *Watch) deliver(ctx context.Context, hook Webhook, body []byte) {
	for attempt := range 5 {
		ts := strconv.FormatInt(w.cfg.Now().Unix(), 10)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
		if err != nil {
			w.cfg.Logger.Error("webhook", "party", hook.Party, "err", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(TimestampHeader, ts)
		req.Header.Set(SignatureHeader, Sign(hook.Secret, ts, body))
		resp, err := w.cfg.Client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		w.cfg.Logger.Warn("webhook failed", "party", hook.Party, "attempt", attempt+1, "err", err)
		time.Sleep(time.Duration(1<<attempt) * time.Second)
	}
}
