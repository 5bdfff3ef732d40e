package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/record"
)

// Channels lists the channels the member's party may see.
func (c *Client) Channels(ctx context.Context) ([]hotline.Channel, error) {
	var r struct {
		Channels []hotline.Channel `json:"channels"`
	}
	return r.Channels, c.getJSON(ctx, "/channels", &r)
}

// Message is a message with its acknowledgements, receipts and
// translations, as GET /messages/{id} answers.
type Message struct {
	hotline.Message
	Acks         []hotline.Ack         `json:"acks"`
	Receipts     []hotline.Receipt     `json:"receipts"`
	Translations []hotline.Translation `json:"translations"`
}

// Message reads one message.
func (c *Client) Message(ctx context.Context, id int64) (*Message, error) {
	var m Message
	return &m, c.getJSON(ctx, "/messages/"+itoa(id), &m)
}

// InboxItem is a message awaiting the party's acknowledgement.
type InboxItem struct {
	Message     hotline.Message `json:"message"`
	Ack         hotline.Ack     `json:"ack"`
	Due         time.Time       `json:"due"`
	SecondsLeft int64           `json:"seconds_left"`
}

// Inbox lists what awaits the acknowledgement of party ("" for the
// member's own), soonest deadline first; only the mediator may ask for
// another party's.
func (c *Client) Inbox(ctx context.Context, party string) ([]InboxItem, error) {
	var r struct {
		Items []InboxItem `json:"items"`
	}
	p := "/inbox"
	if party != "" {
		p += "?party=" + url.QueryEscape(party)
	}
	return r.Items, c.getJSON(ctx, p, &r)
}

// PutBlob uploads an attachment and returns its SHA-256 (hex).
func (c *Client) PutBlob(ctx context.Context, data []byte) (string, error) {
	b, err := c.do(ctx, http.MethodPost, "/blobs", bytes.NewReader(data), "application/octet-stream")
	if err != nil {
		return "", err
	}
	var r struct {
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return "", fmt.Errorf("POST /blobs: %w", err)
	}
	return r.SHA256, nil
}

// Event is one entry of the live stream.
type Event struct {
	Entry
}

// StreamOptions tunes Stream.
type StreamOptions struct {
	// After is the log index to resume after; -1 replays everything
	// visible, and a value below -1 starts at the log's end as Stream
	// first finds it (the latest checkpoint).
	After int64
	// Reconnect is how long to wait before reconnecting after a dropped
	// connection (default 2 s).
	Reconnect time.Duration
	// MaxReconnect, when above Reconnect, backs off: each attempt in a row
	// that fails to open the stream doubles the wait, up to MaxReconnect,
	// so that a server that is down is not hammered; a stream that opened
	// starts again from Reconnect.
	MaxReconnect time.Duration
	// OnReconnect, if set, is told of each drop and its cause.
	OnReconnect func(err error)
	// OnConnect, if set, is called each time the stream opens, before its
	// first event: what happened while it was down is replayed after it.
	OnConnect func()
	// OnLog, if set, asks the server to announce the log's size as it
	// grows, whoever the new entries are for, and is told each size, in
	// order with the entries. A server that does not announce it calls
	// OnLog never.
	OnLog func(size int64)
	// Idle, if set, drops a connection on which nothing (not even the
	// server's heartbeat comment, every 15 s) arrived for so long, and
	// reconnects: a line cut without a word (no reset reaches the client)
	// would otherwise hold a dead connection open for ever.
	Idle time.Duration
}

// Stream follows the live stream, calling fn for each entry in log order,
// and reconnects after a dropped connection, resuming after the last entry
// it delivered: every entry reaches fn exactly once. It returns when ctx
// ends (nil), when fn returns an error, or on an error that a reconnect
// cannot mend (the session ended, say).
func (c *Client) Stream(ctx context.Context, opt StreamOptions, fn func(Event) error) error {
	if opt.Reconnect <= 0 {
		opt.Reconnect = 2 * time.Second
	}
	last := opt.After
	wait := opt.Reconnect
	for {
		var err error
		opened := false
		if last < -1 {
			// "From now" must be fixed once: a reconnect that again asked
			// for the log's end would lose whatever was appended while the
			// connection was down. The latest checkpoint is at most a moment
			// behind the end, so at worst a few recent entries show.
			var n int64
			if n, err = c.logSize(ctx); err == nil {
				last = n - 1
			}
		}
		if err == nil {
			err = c.streamOnce(ctx, &last, fn, opt, func() {
				opened = true
				if opt.OnConnect != nil {
					opt.OnConnect()
				}
			})
		}
		if ctx.Err() != nil {
			return nil
		}
		var fnErr fnError
		if errors.As(err, &fnErr) {
			return fnErr.err
		}
		var apiErr *Error
		if errors.As(err, &apiErr) && apiErr.Status/100 == 4 && apiErr.Status != http.StatusTooManyRequests {
			return err
		}
		if opt.OnReconnect != nil {
			opt.OnReconnect(err)
		}
		if opened {
			wait = opt.Reconnect
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		if opt.MaxReconnect > opt.Reconnect {
			wait = min(2*wait, opt.MaxReconnect)
		}
	}
}

// logSize reads the size of the log from the latest checkpoint note,
// whose body is the checkpoint text and whose signatures follow a blank
// line. The signatures are not checked: the size only places the stream.
func (c *Client) logSize(ctx context.Context) (int64, error) {
	b, err := c.Checkpoint(ctx)
	if err != nil {
		return -2, err
	}
	body, _, ok := strings.Cut(string(b), "\n\n")
	if !ok {
		return -2, errors.New("the checkpoint is not a signed note")
	}
	ck, err := record.ParseCheckpoint(body + "\n")
	if err != nil {
		return -2, err
	}
	return ck.Size, nil
}

type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

var errStreamEnded = errors.New("the server ended the stream")

// readNotify calls read after each read that got bytes.
type readNotify struct {
	r    io.Reader
	read func()
}

func (r readNotify) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.read()
	}
	return n, err
}

func (c *Client) streamOnce(ctx context.Context, last *int64, fn func(Event) error, opt StreamOptions, opened func()) error {
	onLog := opt.OnLog
	path := c.path("/stream")
	if onLog != nil {
		path += "?log=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("User-Agent", "liaison-client")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if *last >= -1 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(*last, 10))
	}
	// No overall timeout: the stream is meant to stay open.
	hc := *c.hc
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return decodeError(resp, b)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return fmt.Errorf("the stream answered %q, not text/event-stream", mt)
	}
	opened()
	var idle atomic.Bool
	var body io.Reader = resp.Body
	if opt.Idle > 0 {
		t := time.AfterFunc(opt.Idle, func() {
			idle.Store(true)
			resp.Body.Close()
		})
		defer t.Stop()
		body = readNotify{resp.Body, func() { t.Reset(opt.Idle) }}
	}
	br := bufio.NewReaderSize(body, 64<<10)
	var id, event string
	var data strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if idle.Load() {
				return fmt.Errorf("nothing from the stream in %s", opt.Idle)
			}
			if err == io.EOF {
				return errStreamEnded
			}
			return err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if data.Len() > 0 && event == "log" && onLog != nil {
				var l struct {
					Size *int64 `json:"size"`
				}
				if err := json.Unmarshal([]byte(data.String()), &l); err != nil || l.Size == nil {
					return fmt.Errorf("stream log event %q: not {\"size\": N}", data.String())
				}
				onLog(*l.Size)
			}
			if data.Len() > 0 && (event == "" || event == "entry") {
				var e Event
				if err := json.Unmarshal([]byte(data.String()), &e); err != nil {
					return fmt.Errorf("stream event %s: %w", id, err)
				}
				// A repeat after a reconnect is dropped: fn sees each entry once.
				if e.Index > *last {
					if err := fn(e); err != nil {
						return fnError{err}
					}
					*last = e.Index
				}
			}
			id, event = "", ""
			data.Reset()
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			event = value
		case "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(value)
		}
	}
}
