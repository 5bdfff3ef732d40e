// Package client is a small Go client of Liaison's HTTP API: sign-in, signed
// commands, and the verifiable log. The CLI and the integration tests use it;
// it speaks only the public API (DESIGN.md's contract and api/openapi.yaml).
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
)

// Client talks to one server, for one cell, with one bearer token.
type Client struct {
	server string // base URL without a trailing slash
	cell   string // "" addresses the server's default cell
	token  string
	hc     *http.Client
}

// New returns a client of the server at serverURL (e.g.
// "https://liaison.example") that authenticates with token ("" for none).
func New(serverURL, token string) *Client {
	return &Client{server: strings.TrimRight(serverURL, "/"), token: token, hc: &http.Client{Timeout: 2 * time.Minute}}
}

// WithCell returns a copy of c that addresses cell under
// /api/v1/cells/{cell}/; "" addresses the server's default cell.
func (c *Client) WithCell(cellID string) *Client {
	d := *c
	d.cell = cellID
	return &d
}

// WithToken returns a copy of c that authenticates with token.
func (c *Client) WithToken(token string) *Client {
	d := *c
	d.token = token
	return &d
}

// WithHTTPClient returns a copy of c that sends its requests with hc.
func (c *Client) WithHTTPClient(hc *http.Client) *Client {
	d := *c
	d.hc = hc
	return &d
}

// Server returns the server's base URL.
func (c *Client) Server() string { return c.server }

// Token returns the bearer token the client sends.
func (c *Client) Token() string { return c.token }

// Cell returns the cell the client addresses ("" for the default cell).
func (c *Client) Cell() string { return c.cell }

// Error is an error answer of the API: an RFC 9457 problem, or whatever
// else a server or proxy on the way answered.
type Error struct {
	Status     int    `json:"status"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Detail     string `json:"detail"`
	Instance   string `json:"instance"`
	RetryAfter int    `json:"retry_after"`
	// Extensions are the problem's members beside the standard ones (RFC
	// 9457 §3.2), such as the conflicts a notification must name.
	Extensions map[string]json.RawMessage `json:"-"`
}

func (e *Error) Error() string {
	title := e.Title
	if title == "" {
		title = fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Detail == "" {
		return title
	}
	return title + ": " + e.Detail
}

// IsStatus reports whether err is an API error with the given HTTP status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// path returns the URL of an API path ("/log/key"), under the cell prefix
// when the client addresses a cell.
func (c *Client) path(p string) string {
	if c.cell != "" && !strings.HasPrefix(p, "/cells/") {
		return c.server + "/api/v1/cells/" + url.PathEscape(c.cell) + p
	}
	return c.server + "/api/v1" + p
}

// do sends a request and returns the answer's body when the status is 2xx;
// otherwise it returns an *Error.
func (c *Client) do(ctx context.Context, method, p string, body io.Reader, contentType string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.path(p), body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", "liaison-client")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, req.URL.Path, err)
	}
	if resp.StatusCode/100 == 2 {
		return b, nil
	}
	return nil, decodeError(resp, b)
}

func decodeError(resp *http.Response, body []byte) error {
	e := &Error{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		json.Unmarshal(body, e) //nolint:errcheck // a broken problem still has a status
		var all map[string]json.RawMessage
		if json.Unmarshal(body, &all) == nil {
			for _, std := range []string{"type", "title", "status", "detail", "instance", "retry_after"} {
				delete(all, std)
			}
			if len(all) > 0 {
				e.Extensions = all
			}
		}
	}
	e.Status = resp.StatusCode
	if e.Title == "" && e.Detail == "" {
		// Not a problem document (a proxy's page, say): show its start.
		s := strings.TrimSpace(string(body))
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		e.Detail = s
	}
	if e.RetryAfter == 0 {
		e.RetryAfter, _ = strconv.Atoi(resp.Header.Get("Retry-After"))
	}
	return e
}

func (c *Client) getJSON(ctx context.Context, p string, v any) error {
	b, err := c.do(ctx, http.MethodGet, p, nil, "")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("GET %s: %w", p, err)
	}
	return nil
}

func (c *Client) postJSON(ctx context.Context, p string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	b, err := c.do(ctx, http.MethodPost, p, bytes.NewReader(body), "application/json")
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("POST %s: %w", p, err)
	}
	return nil
}

// LoginResult is the answer to a sign-in.
type LoginResult struct {
	Token   string      `json:"token"`
	Expires time.Time   `json:"expires"`
	Member  cell.Member `json:"member"`
	Cell    string      `json:"cell"`
}

// Login signs in to cellID ("" for the server's default cell) and returns
// a bearer token; it does not change c.
func (c *Client) Login(ctx context.Context, cellID, username, password string) (*LoginResult, error) {
	var r LoginResult
	err := c.WithCell(cellID).WithToken("").postJSON(ctx, "/auth/login",
		map[string]string{"username": username, "password": password}, &r)
	if err != nil {
		return nil, err
	}
	if r.Token == "" {
		return nil, errors.New("login: the server answered without a token")
	}
	return &r, nil
}

// Logout revokes the client's token.
func (c *Client) Logout(ctx context.Context) error {
	_, err := c.do(ctx, http.MethodPost, "/auth/logout", nil, "")
	return err
}

// Me is the signed-in member as the server sees them.
type Me struct {
	Cell    string      `json:"cell"`
	Member  cell.Member `json:"member"`
	Party   cell.Party  `json:"party"`
	Keys    []cell.Key  `json:"keys"`
	Session struct {
		Kind    string    `json:"kind"`
		Expires time.Time `json:"expires"`
	} `json:"session"`
}

// Me returns the signed-in member, their party and device keys.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var m Me
	if err := c.getJSON(ctx, "/me", &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Keys lists the device keys of member.
func (c *Client) Keys(ctx context.Context, member string) ([]cell.Key, error) {
	var r struct {
		Keys []cell.Key `json:"keys"`
	}
	if err := c.getJSON(ctx, "/keys?member="+url.QueryEscape(member), &r); err != nil {
		return nil, err
	}
	return r.Keys, nil
}

// Key reads one device key, whoever holds it (keys are every party's to
// read: verifiers need them).
func (c *Client) Key(ctx context.Context, id string) (cell.Key, error) {
	k, _, err := c.KeyState(ctx, id)
	return k, err
}

// KeyState reads one device key as Key does, and whether it is pending: at
// a party's mirror, a key the mirror vouched for and whose vouch is not
// yet in the log it verified.
func (c *Client) KeyState(ctx context.Context, id string) (cell.Key, bool, error) {
	var k struct {
		cell.Key
		Pending bool `json:"pending"`
	}
	err := c.getJSON(ctx, "/keys/"+url.PathEscape(id), &k)
	return k.Key, k.Pending, err
}

// Entry is a log entry as the API shows it. LeafData holds the exact bytes
// whose RFC 6962 leaf hash is the tree's leaf; the other fields are decoded
// from them by the server, for convenience.
type Entry struct {
	Index    int64            `json:"index"`
	Time     time.Time        `json:"time"`
	Cell     string           `json:"cell"`
	Kind     string           `json:"kind"`
	Member   string           `json:"member"`
	Party    string           `json:"party"`
	KeyID    string           `json:"key_id"`
	Audience []string         `json:"audience"`
	Payload  json.RawMessage  `json:"payload"`
	Envelope *record.Envelope `json:"envelope"`
	LeafData []byte           `json:"leaf_data"`
	LeafHash []byte           `json:"leaf_hash"`
}

// Submitted is the answer to a signed command.
type Submitted struct {
	Entry Entry `json:"entry"`
	// Duplicate reports a retry: the entry is the one the same idempotency
	// id appended before.
	Duplicate bool `json:"duplicate"`
	// InitialPassword is set when the command created a member.
	InitialPassword string `json:"initial_password,omitempty"`
	// Relayed is set when a party's mirror took the command for the cell
	// (202 Accepted): landed at once (Entry.Index is then the cell's
	// entry, the rest of Entry unknown), or waiting in its outbox for the
	// line to return.
	Relayed *Relayed `json:"-"`
}

// Relayed is a party's mirror's answer to a command it took for the cell.
type Relayed struct {
	ID       string `json:"id"`
	Landed   bool   `json:"landed"`
	Index    int64  `json:"index"`
	Position int64  `json:"position"`
	Detail   string `json:"detail"`
}

// Submit posts a signed envelope to an API path such as "/keys" or
// "/entries" and returns the entry it became.
func (c *Client) Submit(ctx context.Context, path string, env *record.Envelope) (*Submitted, error) {
	b, err := c.do(ctx, http.MethodPost, path, bytes.NewReader(env.Marshal()), "application/json")
	if err != nil {
		return nil, err
	}
	var s Submitted
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	if len(s.Entry.LeafHash) == 0 {
		// No entry: a mirror's relay answer, or nothing we know.
		var r Relayed
		if err := json.Unmarshal(b, &r); err != nil || r.ID == "" {
			return nil, fmt.Errorf("POST %s: the answer holds no entry: %.200s", path, b)
		}
		s.Relayed = &r
		s.Entry.Index = -1
		if r.Landed {
			s.Entry.Index = r.Index
		}
	}
	return &s, nil
}

// NewID returns a random idempotency id.
func NewID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Sign builds the payload of a command of kind for cellID — fields plus the
// header: a random idempotency id ("id"), the time now in UTC ("time") and
// the cell, each unless fields already holds it — and signs it with key.
func Sign(key *record.DeviceKey, cellID, kind string, fields map[string]any) (*record.Envelope, error) {
	if key == nil {
		return nil, errors.New("sign: no device key")
	}
	if cellID == "" {
		return nil, errors.New("sign: a command must name its cell")
	}
	payload, err := json.Marshal(withHeader(cellID, fields))
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", kind, err)
	}
	return record.Sign(kind, payload, key.Private), nil
}

// withHeader is fields plus the header Sign describes.
func withHeader(cellID string, fields map[string]any) map[string]any {
	p := make(map[string]any, len(fields)+3)
	for k, v := range fields {
		p[k] = v
	}
	if _, ok := p["id"]; !ok {
		p["id"] = NewID()
	}
	if _, ok := p["time"]; !ok {
		p["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	}
	if _, ok := p["cell"]; !ok {
		p["cell"] = cellID
	}
	return p
}

// RegisterKey registers key as a device key of the signed-in member, who
// is member when not "": the key.register command is signed by the key
// itself. At a party's mirror the member must be named (Registration).
func (c *Client) RegisterKey(ctx context.Context, cellID, member string, key *record.DeviceKey, label string) (*Submitted, error) {
	env, err := Registration(key, cellID, member, label)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, "/keys", env)
}

// Registration is key's key.register, signed by key, for member when not
// "". Naming the member lets the registration travel: a party's mirror
// carries it to the cell inside its admin's key.vouch, and the key's own
// signature then says whose it is.
func Registration(key *record.DeviceKey, cellID, member, label string) (*record.Envelope, error) {
	fields := map[string]any{"public_key": record.EncodePublicKey(key.Public())}
	if label != "" {
		fields["label"] = label
	}
	if member != "" {
		fields["member"] = member
	}
	return Sign(key, cellID, cell.KindKeyRegister, fields)
}

// RevokeKey revokes the device key id, signing with signer (an active key
// of the signed-in member).
func (c *Client) RevokeKey(ctx context.Context, cellID string, signer *record.DeviceKey, id, reason string) (*Submitted, error) {
	fields := map[string]any{"key_id": id}
	if reason != "" {
		fields["reason"] = reason
	}
	env, err := Sign(signer, cellID, cell.KindKeyRevoke, fields)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, "/keys/"+url.PathEscape(id)+"/revoke", env)
}
