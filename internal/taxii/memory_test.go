package taxii_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/stix"
	"github.com/liaison-cell/liaison/internal/taxii"
	"github.com/liaison-cell/liaison/internal/taxii/taxiitest"
)

// memBackend is the reference backend: the protocol's semantics written
// plainly over slices, for the conformance suite to hold the handler to and
// for the desk's SQL backends to be compared with. who is a user name.
type memBackend struct {
	mu       sync.Mutex
	colls    []taxii.Collection         // titles and ids; permissions below
	perms    map[string]map[string]perm // collection → user → permission
	recs     map[string][]*memRec       // collection → records, in the order added
	seq      int64
	last     time.Time
	statuses map[string]memStatus
	maxBody  int64
}

type perm struct{ read, write bool }

type memRec struct {
	taxii.Record
	seq               int64
	modified, created stix.Timestamp
}

type memStatus struct {
	owner string
	st    taxii.Status
}

const root = "cell"

func newMemBackend() *memBackend {
	m := &memBackend{
		colls: []taxii.Collection{
			{ID: "3b1e0fbd-53c0-4b5d-9c39-8a1c7a06d4c1", Title: "Released to the reader's party", Alias: "released"},
			{ID: "8c1f2a7e-0d3b-4e55-a6f4-2b9d6c0e1f23", Title: "Submissions", Description: "what a party submits"},
			{ID: "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f", Title: "Mediator only"},
		},
		perms: map[string]map[string]perm{
			"3b1e0fbd-53c0-4b5d-9c39-8a1c7a06d4c1": {"reader": {read: true}},
			"8c1f2a7e-0d3b-4e55-a6f4-2b9d6c0e1f23": {"writer": {read: true, write: true}},
		},
		recs:     map[string][]*memRec{},
		statuses: map[string]memStatus{},
		maxBody:  64 << 10,
	}
	return m
}

var passwords = map[string]string{"reader": "r-pass", "writer": "w-pass", "stranger": "s-pass"}

func authenticate(r *http.Request) (any, error) {
	user, pass, ok := r.BasicAuth()
	if !ok || passwords[user] == "" || passwords[user] != pass {
		return nil, taxii.ErrUnauthorized
	}
	return user, nil
}

func (m *memBackend) Discovery(ctx context.Context, who any) (taxii.Discovery, error) {
	return taxii.Discovery{Title: "Liaison test server", Description: "the reference backend", APIRoots: []string{root}, Default: root}, nil
}

func (m *memBackend) APIRoot(ctx context.Context, who any, r string) (taxii.APIRoot, error) {
	if r != root {
		return taxii.APIRoot{}, taxii.ErrNotFound
	}
	return taxii.APIRoot{Title: "The cell", MaxContentLength: m.maxBody}, nil
}

func (m *memBackend) Collections(ctx context.Context, who any, r string) ([]taxii.Collection, error) {
	if r != root {
		return nil, taxii.ErrNotFound
	}
	out := make([]taxii.Collection, 0, len(m.colls))
	for _, c := range m.colls {
		p := m.perms[c.ID][who.(string)]
		c.CanRead, c.CanWrite = p.read, p.write
		out = append(out, c)
	}
	return out, nil
}

func (m *memBackend) may(who any, r, coll string, read, write bool) error {
	if r != root {
		return taxii.ErrNotFound
	}
	p := m.perms[coll][who.(string)]
	switch {
	case !p.read && !p.write:
		return taxii.ErrNotFound
	case read && !p.read, write && !p.write:
		return taxii.ErrForbidden
	}
	return nil
}

// selectVersions applies the id, type and spec_version filters and then
// picks each object's versions by f.Versions, returning them in the order
// added.
func selectVersions(recs []*memRec, f taxii.Filter) []*memRec {
	byID := map[string][]*memRec{}
	var order []string
	for _, r := range recs {
		if f.IDs != nil && !slices.Contains(f.IDs, r.ID) || f.Types != nil && !slices.Contains(f.Types, r.Type) {
			continue
		}
		if f.SpecVersions != nil && !slices.Contains(f.SpecVersions, r.SpecVersion) {
			continue
		}
		if byID[r.ID] == nil {
			order = append(order, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], r)
	}
	var out []*memRec
	for _, id := range order {
		vs := byID[id]
		if f.SpecVersions == nil {
			// 3.4.1: the latest specification version held of the object.
			latest := slices.MaxFunc(vs, func(a, b *memRec) int { return cmpSpec(a.SpecVersion, b.SpecVersion) }).SpecVersion
			vs = slices.DeleteFunc(slices.Clone(vs), func(r *memRec) bool { return r.SpecVersion != latest })
		}
		slices.SortFunc(vs, func(a, b *memRec) int {
			if c := a.modified.Compare(b.modified); c != 0 {
				return c
			}
			return a.created.Compare(b.created)
		})
		for i, r := range vs {
			v := r.modified
			if v.IsZero() {
				v = r.created
			}
			at := slices.ContainsFunc(f.Versions.At, func(t stix.Timestamp) bool { return t.Compare(v) == 0 })
			if f.Versions.All || f.Versions.First && i == 0 || f.Versions.Last && i == len(vs)-1 || at {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b *memRec) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

func cmpSpec(a, b string) int {
	pa, pb := splitSpec(a), splitSpec(b)
	return cmp.Or(cmp.Compare(pa[0], pb[0]), cmp.Compare(pa[1], pb[1]))
}

func splitSpec(s string) [2]int {
	var v [2]int
	fmt.Sscanf(s, "%d.%d", &v[0], &v[1])
	return v
}

func (m *memBackend) Objects(ctx context.Context, who any, r, coll string, f taxii.Filter) (taxii.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.may(who, r, coll, true, false); err != nil {
		return taxii.Page{}, err
	}
	var after int64
	if f.Next != "" {
		n, err := strconv.ParseInt(f.Next, 10, 64)
		if err != nil || n < 0 {
			return taxii.Page{}, fmt.Errorf("%w: next %q is not one of this server's", taxii.ErrBadRequest, f.Next)
		}
		after = n
	}
	var p taxii.Page
	for _, rec := range selectVersions(m.recs[coll], f) {
		if rec.seq <= after || !f.AddedAfter.IsZero() && !rec.DateAdded.After(f.AddedAfter) {
			continue
		}
		if len(p.Records) == f.Limit {
			p.More = true
			break
		}
		p.Records = append(p.Records, rec.Record)
		p.Next = strconv.FormatInt(rec.seq, 10)
	}
	if !p.More {
		p.Next = ""
	}
	return p, nil
}

func (m *memBackend) Delete(ctx context.Context, who any, r, coll, id string, f taxii.Filter) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.may(who, r, coll, true, true); err != nil {
		return err
	}
	f.IDs = []string{id}
	gone := selectVersions(m.recs[coll], f)
	if len(gone) == 0 {
		return taxii.ErrNotFound
	}
	m.recs[coll] = slices.DeleteFunc(m.recs[coll], func(r *memRec) bool { return slices.Contains(gone, r) })
	return nil
}

func (m *memBackend) Add(ctx context.Context, who any, r, coll string, objects []json.RawMessage) (taxii.Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.may(who, r, coll, false, true); err != nil {
		return taxii.Status{}, err
	}
	st := m.add(coll, objects)
	m.statuses[st.ID] = memStatus{who.(string), st}
	// Answer the POST as still pending, so that clients (and the suite)
	// poll: the stored status, which Status answers, is complete.
	pending := st
	pending.State, pending.SuccessCount, pending.FailureCount, pending.PendingCount = taxii.StatusPending, 0, 0, st.TotalCount
	pending.Successes, pending.Failures = nil, nil
	pending.Pendings = append(append([]taxii.StatusDetail{}, st.Successes...), st.Failures...)
	for i := range pending.Pendings {
		pending.Pendings[i].Message = ""
	}
	return pending, nil
}

// add stores objects as they come, an exact repeat of a version being a
// success that adds nothing (5.5) and a different object under the same
// version a failure.
func (m *memBackend) add(coll string, objects []json.RawMessage) taxii.Status {
	now := time.Now().UTC()
	st := taxii.Status{ID: uuid4(), State: taxii.StatusComplete, RequestTimestamp: now, TotalCount: len(objects)}
	for _, raw := range objects {
		o, err := stix.ParseObject(raw)
		if err != nil {
			var head struct{ ID, Modified, Created string }
			_ = json.Unmarshal(raw, &head)
			st.Failures = append(st.Failures, taxii.StatusDetail{ID: cmp.Or(head.ID, "unknown"), Version: cmp.Or(head.Modified, head.Created, "unknown"), Message: err.Error()})
			continue
		}
		version := o.Modified()
		if version.IsZero() {
			version = o.Created()
		}
		d := taxii.StatusDetail{ID: o.ID(), Version: version.String()}
		canon, _ := o.MarshalJSON()
		dup := false
		for _, r := range m.recs[coll] {
			if r.ID == o.ID() && r.modified.Compare(o.Modified()) == 0 && r.created.Compare(o.Created()) == 0 {
				dup = true
				if !bytes.Equal(r.Object, canon) {
					d.Message = "a different object was added with this version"
					st.Failures = append(st.Failures, d)
				}
			}
		}
		if dup {
			if d.Message == "" {
				st.Successes = append(st.Successes, d)
			}
			continue
		}
		// date_added strictly increases and is kept to the microsecond,
		// as taxii.Filter.AddedAfter asks.
		at := now.Truncate(time.Microsecond)
		if !at.After(m.last) {
			at = m.last.Add(time.Microsecond)
		}
		m.last = at
		m.seq++
		m.recs[coll] = append(m.recs[coll], &memRec{
			Record: taxii.Record{Object: canon, ID: o.ID(), Type: o.Type(), SpecVersion: o.SpecVersion(), Version: version.String(), DateAdded: at},
			seq:    m.seq, modified: o.Modified(), created: o.Created(),
		})
		st.Successes = append(st.Successes, d)
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	return st
}

func (m *memBackend) Status(ctx context.Context, who any, r, id string) (taxii.Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.statuses[id]
	if r != root || !ok || s.owner != who.(string) {
		return taxii.Status{}, taxii.ErrNotFound
	}
	return s.st, nil
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func newTestHandler(t testing.TB, b taxii.Backend) *taxii.Handler {
	h, err := taxii.New(taxii.Config{
		Backend: b, Authenticate: authenticate, Realm: "Liaison test",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func basic(user string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, passwords[user]) }
}

// TestConformance runs the suite against the reference backend, over HTTP.
func TestConformance(t *testing.T) {
	b := newMemBackend()
	srv := httptest.NewServer(newTestHandler(t, b))
	defer srv.Close()
	taxiitest.Run(t, taxiitest.Target{
		Discovery:       srv.URL + "/taxii2/",
		APIRoot:         "/taxii2/" + root + "/",
		Client:          srv.Client(),
		Reader:          basic("reader"),
		Writer:          basic("writer"),
		Stranger:        basic("stranger"),
		ReadCollection:  b.colls[0].ID,
		WriteCollection: b.colls[1].ID,
		Seed: func(t *testing.T, objects []json.RawMessage) {
			b.mu.Lock()
			defer b.mu.Unlock()
			if st := b.add(b.colls[0].ID, objects); st.FailureCount != 0 {
				t.Fatalf("seeding: %+v", st.Failures)
			}
		},
	})
}
