package taxiitest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The two TAXII media types the suite sends and expects.
const (
	taxii21 = "application/taxii+json;version=2.1"
)

// suite holds what every check needs.
type suite struct {
	tg     Target
	client *http.Client
	disc   *url.URL // discovery URL
	root   *url.URL // the API root, resolved
}

// response is an answer, read whole.
type response struct {
	code   int
	header http.Header
	body   []byte
}

// req describes a request; a zero value is a GET with the TAXII Accept.
type req struct {
	method      string
	auth        func(*http.Request)
	path        string // relative to the API root, or absolute URL
	query       string // raw
	accept      *string
	contentType string
	body        io.Reader
	length      int64 // -1: unknown (chunked)
}

func str(s string) *string { return &s }

func (s *suite) do(t *testing.T, rq req) response {
	t.Helper()
	u := s.root.ResolveReference(&url.URL{Path: rq.path})
	if strings.HasPrefix(rq.path, "http") {
		u, _ = url.Parse(rq.path)
	}
	u.RawQuery = rq.query
	m := rq.method
	if m == "" {
		m = http.MethodGet
	}
	hr, err := http.NewRequest(m, u.String(), rq.body)
	if err != nil {
		t.Fatalf("%s %s: %v", m, u, err)
	}
	if rq.body != nil && rq.length != 0 {
		hr.ContentLength = rq.length
		if rq.length < 0 {
			hr.ContentLength = -1
		}
	}
	if rq.accept == nil {
		hr.Header.Set("Accept", taxii21)
	} else if *rq.accept != "" {
		hr.Header.Set("Accept", *rq.accept)
	}
	if rq.contentType != "" {
		hr.Header.Set("Content-Type", rq.contentType)
	}
	hr.Header.Set("User-Agent", "liaison-taxiitest")
	if rq.auth != nil {
		rq.auth(hr)
	}
	res, err := s.client.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", m, u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", m, u, err)
	}
	return response{res.StatusCode, res.Header, body}
}

// wantTAXII checks that a response is TAXII 2.1 (3.1: "All TAXII responses
// MUST include the appropriate media type and version parameter in the
// Content-Type header").
func wantTAXII(t *testing.T, what string, r response) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.header.Get("Content-Type"))
	if err != nil || mt != "application/taxii+json" || params["version"] != "2.1" {
		t.Errorf("%s: Content-Type %q, want %s", what, r.header.Get("Content-Type"), taxii21)
	}
}

// wantOK checks a success of the given code and decodes its body into v,
// refusing members the resource does not define.
func wantOK(t *testing.T, what string, r response, code int, v any) {
	t.Helper()
	if r.code != code {
		t.Fatalf("%s: status %d, want %d: %s", what, r.code, code, r.body)
	}
	wantTAXII(t, what, r)
	if v != nil {
		dec := json.NewDecoder(bytes.NewReader(r.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("%s: %v in %s", what, err, r.body)
		}
	}
}

// wantError checks an error answer: the status, the TAXII media type (every
// failure response of sections 4 and 5 lists it as required), and the error
// message of 3.6.1: a title, and http_status, when given, the same as the
// status line's.
func wantError(t *testing.T, what string, r response, code int) {
	t.Helper()
	if r.code != code {
		t.Errorf("%s: status %d, want %d: %s", what, r.code, code, r.body)
		return
	}
	wantTAXII(t, what, r)
	var e struct {
		Title           string          `json:"title"`
		Description     string          `json:"description"`
		ErrorID         string          `json:"error_id"`
		ErrorCode       string          `json:"error_code"`
		HTTPStatus      *string         `json:"http_status"`
		ExternalDetails string          `json:"external_details"`
		Details         json.RawMessage `json:"details"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Errorf("%s: not an error message (3.6.1): %v: %s", what, err, r.body)
		return
	}
	if e.Title == "" {
		t.Errorf("%s: error message without a title (3.6.1): %s", what, r.body)
	}
	if e.HTTPStatus != nil && *e.HTTPStatus != strconv.Itoa(code) {
		t.Errorf("%s: http_status %q, status line %d (3.6.1: MUST match)", what, *e.HTTPStatus, code)
	}
}

// taxiiTime is section 2's timestamp: UTC, "Z", microseconds.
var taxiiTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

func parseTAXIITime(t *testing.T, what, s string) time.Time {
	t.Helper()
	if !taxiiTime.MatchString(s) {
		t.Errorf("%s: %q is not a TAXII timestamp YYYY-MM-DDTHH:MM:SS.ssssssZ (section 2)", what, s)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Errorf("%s: %q: %v", what, s, err)
	}
	return v
}

// The resources, as sections 3.7, 4.1.1, 4.2.1, 4.3.1, 5.1.1, 5.2.1, 5.3.1
// and 5.8.1 define them (next on the manifest and versions being the one
// member this server adds; see the package comment of taxii).
type (
	discovery struct {
		Title       string   `json:"title"`
		Description string   `json:"description"`
		Contact     string   `json:"contact"`
		Default     string   `json:"default"`
		APIRoots    []string `json:"api_roots"`
	}
	apiRoot struct {
		Title            string   `json:"title"`
		Description      string   `json:"description"`
		Versions         []string `json:"versions"`
		MaxContentLength int64    `json:"max_content_length"`
	}
	collection struct {
		ID          string   `json:"id"`
		Title       string   `json:"title"`
		Description string   `json:"description"`
		Alias       string   `json:"alias"`
		CanRead     *bool    `json:"can_read"`
		CanWrite    *bool    `json:"can_write"`
		MediaTypes  []string `json:"media_types"`
	}
	collections struct {
		Collections []collection `json:"collections"`
	}
	envelope struct {
		More    bool              `json:"more"`
		Next    string            `json:"next"`
		Objects []json.RawMessage `json:"objects"`
	}
	manifestRecord struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
		MediaType string `json:"media_type"`
	}
	manifest struct {
		More    bool             `json:"more"`
		Next    string           `json:"next"`
		Objects []manifestRecord `json:"objects"`
	}
	versions struct {
		More     bool     `json:"more"`
		Next     string   `json:"next"`
		Versions []string `json:"versions"`
	}
	statusDetail struct {
		ID      string `json:"id"`
		Version string `json:"version"`
		Message string `json:"message"`
	}
	status struct {
		ID               string         `json:"id"`
		Status           string         `json:"status"`
		RequestTimestamp string         `json:"request_timestamp"`
		TotalCount       *int           `json:"total_count"`
		SuccessCount     *int           `json:"success_count"`
		Successes        []statusDetail `json:"successes"`
		FailureCount     *int           `json:"failure_count"`
		Failures         []statusDetail `json:"failures"`
		PendingCount     *int           `json:"pending_count"`
		Pendings         []statusDetail `json:"pendings"`
	}
)

// stixObject is what the suite reads of an object.
type stixObject struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	SpecVersion string `json:"spec_version"`
	Created     string `json:"created"`
	Modified    string `json:"modified"`
}

func (o stixObject) version() string {
	if o.Modified != "" {
		return o.Modified
	}
	return o.Created
}

func decodeObject(t *testing.T, raw json.RawMessage) stixObject {
	t.Helper()
	var o stixObject
	if err := json.Unmarshal(raw, &o); err != nil || o.ID == "" || o.Type == "" {
		t.Fatalf("envelope holds %s, not a STIX object (3.7): %v", raw, err)
	}
	return o
}

// uuid4 is a random RFC 4122 version 4 UUID, so that the suite can run
// again against a store that keeps what it added before.
func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// stixTime writes a STIX timestamp with milliseconds, as created and
// modified require.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func indicator(id string, at time.Time) json.RawMessage {
	ts := stixTime(at)
	return json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"taxiitest","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":%q}`, id, ts, ts, ts))
}

func identity(id string, created, modified time.Time) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"identity","spec_version":"2.1","id":%q,"created":%q,"modified":%q,"name":"taxiitest %s","identity_class":"organization"}`, id, stixTime(created), stixTime(modified), stixTime(modified)))
}

// envelopeOf wraps objects for a POST (5.5).
func envelopeOf(objs ...json.RawMessage) []byte {
	b, _ := json.Marshal(struct {
		Objects []json.RawMessage `json:"objects"`
	}{objs})
	return b
}
