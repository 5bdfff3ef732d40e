// Package taxiitest is the conformance suite of a TAXII 2.1 server built on
// package taxii: Run walks every endpoint over real HTTP and checks the
// status codes, media types, headers and resources that the specification
// (OASIS TAXII Version 2.1, 10 June 2021) requires, citing the section each
// check comes from. Every Backend runs it: the in-memory reference backend
// of taxii's own tests, and the desk's stores on SQLite and PostgreSQL.
//
// Where TAXII lets a server choose, the suite checks the choices package
// taxii made (its package comment lists them): a collection the caller can
// neither read nor write is 404 everywhere, one it knows of but may not use
// in that way is 403; unknown parameters are 400; a bad POST body is 422.
package taxiitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Target is a running server and the members the suite acts as.
type Target struct {
	// Discovery is the URL of the discovery endpoint (…/taxii2/).
	Discovery string
	// APIRoot is the API root under test, as discovery lists it.
	APIRoot string
	// Client makes the requests; http.DefaultClient when nil.
	Client *http.Client
	// Reader, Writer and Stranger add a member's credentials to a request
	// (HTTP Basic, say, as TAXII clients send).
	//
	// Reader can read ReadCollection and cannot write it. Writer can read
	// and write WriteCollection. Stranger is a valid member who can neither
	// read nor write either collection, nor see Writer's status resources.
	Reader, Writer, Stranger func(*http.Request)
	// ReadCollection and WriteCollection are collection ids in the API root.
	ReadCollection, WriteCollection string
	// Seed adds the objects to ReadCollection, each version after the one
	// before it (so that date_added follows their order), however the
	// deployment does (the desk: released to Reader's party).
	Seed func(t *testing.T, objects []json.RawMessage)
	// NoDelete declares a server that keeps everything it was given (a
	// deployment over an append-only log): DELETE must then answer 403
	// and leave the object where it was.
	NoDelete bool
	// Complete, when set, is called for an Add whose status is pending,
	// to do what the deployment needs done before it completes (the desk:
	// the poster signs the staged bundle). The suite then polls the status
	// to completion as a client would. With Complete nil, pending
	// statuses are polled as they are.
	Complete func(t *testing.T, statusID string)
}

// seeded is what Run put in ReadCollection.
type seeded struct {
	indicators []string // ids, in the order added
	identity   string   // one object in three versions
	versions   []string // its modified timestamps, oldest first, added in that order
}

// Run checks the target. It adds objects to both collections, with fresh
// random ids, and deletes only what it added to WriteCollection.
func Run(t *testing.T, tg Target) {
	disc, err := url.Parse(tg.Discovery)
	if err != nil {
		t.Fatalf("discovery URL: %v", err)
	}
	root, err := disc.Parse(tg.APIRoot)
	if err != nil {
		t.Fatalf("API root URL: %v", err)
	}
	s := &suite{tg: tg, client: tg.Client, disc: disc, root: root}
	if s.client == nil {
		s.client = http.DefaultClient
	}
	sd := s.seed(t)
	t.Run("Discovery", s.testDiscovery)
	t.Run("APIRoot", s.testAPIRoot)
	t.Run("Authentication", func(t *testing.T) { s.testAuthentication(t, sd) })
	t.Run("ContentNegotiation", s.testContentNegotiation)
	t.Run("Collections", s.testCollections)
	t.Run("Strangers", func(t *testing.T) { s.testStrangers(t, sd) })
	t.Run("Paging", func(t *testing.T) { s.testPaging(t, sd) })
	t.Run("ManifestAgreesWithObjects", s.testManifestAgrees)
	t.Run("AddedAfter", func(t *testing.T) { s.testAddedAfter(t, sd) })
	t.Run("Match", func(t *testing.T) { s.testMatch(t, sd) })
	t.Run("Object", func(t *testing.T) { s.testObject(t, sd) })
	t.Run("Versions", func(t *testing.T) { s.testVersions(t, sd) })
	t.Run("BadQueries", func(t *testing.T) { s.testBadQueries(t, sd) })
	t.Run("Methods", s.testMethods)
	t.Run("AddObjects", s.testAdd)
	t.Run("AddRefusals", s.testAddRefusals)
	t.Run("RequestSize", s.testRequestSize)
}

func (s *suite) seed(t *testing.T) seeded {
	var sd seeded
	base := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Hour)
	var objs []json.RawMessage
	for i := range 23 {
		id := "indicator--" + uuid4()
		sd.indicators = append(sd.indicators, id)
		objs = append(objs, indicator(id, base.Add(time.Duration(i)*time.Second)))
	}
	sd.identity = "identity--" + uuid4()
	for i := range 3 {
		m := base.Add(time.Duration(i) * time.Minute)
		sd.versions = append(sd.versions, stixTime(m))
		objs = append(objs, identity(sd.identity, base, m))
	}
	s.tg.Seed(t, objs)
	return sd
}

func (s *suite) objectsPath(coll string) string {
	return "collections/" + url.PathEscape(coll) + "/objects/"
}
func (s *suite) manifestPath(coll string) string {
	return "collections/" + url.PathEscape(coll) + "/manifest/"
}
func (s *suite) objectPath(coll, id string) string {
	return s.objectsPath(coll) + url.PathEscape(id) + "/"
}

// 4.1: discovery.
func (s *suite) testDiscovery(t *testing.T) {
	var d discovery
	wantOK(t, "GET /taxii2/", s.do(t, req{auth: s.tg.Reader, path: s.disc.String()}), http.StatusOK, &d)
	if d.Title == "" {
		t.Error("discovery without a title (4.1.1: required)")
	}
	found := false
	for _, r := range d.APIRoots {
		// 4.1.1: HTTPS absolute URLs or relative ones beginning with a
		// single "/", and no query.
		u, err := url.Parse(r)
		switch {
		case err != nil:
			t.Errorf("api_roots: %q: %v", r, err)
		case u.IsAbs() && u.Scheme != "https" && u.Scheme != "http":
			t.Errorf("api_roots: %q is neither an HTTPS URL nor a relative one", r)
		case !u.IsAbs() && (!strings.HasPrefix(r, "/") || strings.HasPrefix(r, "//")):
			t.Errorf("api_roots: %q: a relative API root MUST begin with a single /", r)
		case u.RawQuery != "":
			t.Errorf("api_roots: %q has a query", r)
		}
		if ru, err := s.disc.Parse(r); err == nil && ru.String() == s.root.String() {
			found = true
		}
	}
	if !found {
		t.Errorf("api_roots %q do not list %s", d.APIRoots, s.root)
	}
	if d.Default != "" && !slices.Contains(d.APIRoots, d.Default) {
		t.Errorf("default %q is not in api_roots (4.1.1: MUST be)", d.Default)
	}
}

// 4.2: the API root.
func (s *suite) testAPIRoot(t *testing.T) {
	a := s.apiRoot(t)
	if a.Title == "" {
		t.Error("api-root without a title (4.2.1: required)")
	}
	if !slices.Contains(a.Versions, taxii21) {
		t.Errorf("versions %q lack %s (4.2.1: MUST be included)", a.Versions, taxii21)
	}
	if a.MaxContentLength <= 0 {
		t.Errorf("max_content_length %d (4.2.1: a positive integer)", a.MaxContentLength)
	}
	wantError(t, "an API root that does not exist", s.do(t, req{auth: s.tg.Reader, path: "../taxiitest-no-such-root/"}), http.StatusNotFound)
}

func (s *suite) apiRoot(t *testing.T) apiRoot {
	var a apiRoot
	wantOK(t, "GET {api-root}/", s.do(t, req{auth: s.tg.Reader}), http.StatusOK, &a)
	return a
}

// 1.6.9: a request without acceptable credentials is 401 with a
// WWW-Authenticate challenge; 8.2.2 says the server SHOULD implement Basic.
func (s *suite) testAuthentication(t *testing.T, sd seeded) {
	rc := s.tg.ReadCollection
	paths := []string{s.disc.String(), "", "status/" + uuid4() + "/", "collections/", "collections/" + rc + "/",
		s.manifestPath(rc), s.objectsPath(rc), s.objectPath(rc, sd.identity), s.objectPath(rc, sd.identity) + "versions/",
		"collections/" + uuid4() + "/objects/"}
	bad := func(r *http.Request) { r.SetBasicAuth("taxiitest-nobody-"+uuid4(), "wrong") }
	for _, p := range paths {
		for _, a := range []struct {
			name string
			fn   func(*http.Request)
		}{{"no credentials", nil}, {"wrong credentials", bad}} {
			r := s.do(t, req{auth: a.fn, path: p})
			wantError(t, "GET "+p+" with "+a.name, r, http.StatusUnauthorized)
			if ch := r.header.Get("WWW-Authenticate"); !strings.Contains(strings.ToLower(ch), "basic") {
				t.Errorf("GET %s with %s: WWW-Authenticate %q offers no Basic challenge", p, a.name, ch)
			}
		}
	}
	r := s.do(t, req{method: "POST", path: s.objectsPath(s.tg.WriteCollection), contentType: taxii21,
		body: bytes.NewReader(envelopeOf(indicator("indicator--"+uuid4(), time.Now())))})
	wantError(t, "POST without credentials", r, http.StatusUnauthorized)
	r = s.do(t, req{method: "DELETE", path: s.objectPath(rc, sd.identity)})
	wantError(t, "DELETE without credentials", r, http.StatusUnauthorized)
}

// 1.6.8 and 3.1: the TAXII media types are served, whatever else is not.
func (s *suite) testContentNegotiation(t *testing.T) {
	objs := s.objectsPath(s.tg.ReadCollection)
	ok := []string{
		taxii21,
		"application/taxii+json", // 1.6.8.2: the latest version the server supports
		"application/taxii+json; version=2.1",
		"Application/TAXII+JSON;version=2.1", // media types are case-insensitive (RFC 9110 8.3.1)
		"text/html, application/taxii+json;version=2.1;q=0.5",
		"*/*",           // the package's choice: wildcards are served
		"application/*", //
		"",              // no Accept header: HTTP's "anything"
	}
	for _, a := range ok {
		for _, p := range []string{s.disc.String(), "", "collections/", objs} {
			r := s.do(t, req{auth: s.tg.Reader, path: p, accept: str(a)})
			wantOK(t, "GET "+p+" Accept: "+a, r, http.StatusOK, nil)
		}
	}
	// 5.3 lists application/stix+json;version=2.1 in the manifest's Accept.
	wantOK(t, "manifest Accept: stix", s.do(t, req{auth: s.tg.Reader, path: s.manifestPath(s.tg.ReadCollection),
		accept: str("application/stix+json;version=2.1")}), http.StatusOK, nil)
	refused := []string{
		"application/json",
		"text/html",
		"application/taxii+json;version=2.0",
		"application/vnd.oasis.taxii+json; version=2.0", // TAXII 2.0's
		"application/stix+json;version=2.1",             // not on objects (3.7: an envelope, never a bundle)
		"application/taxii+json;q=0, */*",
	}
	for _, a := range refused {
		for _, p := range []string{s.disc.String(), "", "collections/", objs} {
			wantError(t, "GET "+p+" Accept: "+a, s.do(t, req{auth: s.tg.Reader, path: p, accept: str(a)}), http.StatusNotAcceptable)
		}
	}
}

// 5.1, 5.2: the collections, their permissions, and a stable order (3.3).
func (s *suite) testCollections(t *testing.T) {
	var first, again collections
	wantOK(t, "GET collections/", s.do(t, req{auth: s.tg.Reader, path: "collections/"}), http.StatusOK, &first)
	wantOK(t, "GET collections/ again", s.do(t, req{auth: s.tg.Reader, path: "collections/"}), http.StatusOK, &again)
	ids := func(cs collections) []string {
		var out []string
		for _, c := range cs.Collections {
			out = append(out, c.ID)
		}
		return out
	}
	if !slices.Equal(ids(first), ids(again)) {
		t.Errorf("collections in a different order from one request to the next (3.3): %q, %q", ids(first), ids(again))
	}
	if first.Collections != nil && len(first.Collections) == 0 {
		t.Error("an empty collections list (5.1.1: the key MUST be omitted)")
	}
	check := func(who func(*http.Request), id string, read, write bool) {
		var listed *collection
		var cs collections
		wantOK(t, "GET collections/", s.do(t, req{auth: who, path: "collections/"}), http.StatusOK, &cs)
		for i := range cs.Collections {
			if cs.Collections[i].ID == id {
				listed = &cs.Collections[i]
			}
		}
		if listed == nil {
			t.Errorf("collections/ does not list %s", id)
			return
		}
		var one collection
		wantOK(t, "GET collections/"+id+"/", s.do(t, req{auth: who, path: "collections/" + id + "/"}), http.StatusOK, &one)
		for _, c := range []collection{*listed, one} {
			if c.Title == "" || c.CanRead == nil || c.CanWrite == nil {
				t.Errorf("collection %s lacks title, can_read or can_write (5.2.1: required): %+v", id, c)
				continue
			}
			if *c.CanRead != read || *c.CanWrite != write {
				t.Errorf("collection %s: can_read %v, can_write %v; the target says %v, %v", id, *c.CanRead, *c.CanWrite, read, write)
			}
			if c.MediaTypes != nil && len(c.MediaTypes) == 0 {
				t.Errorf("collection %s: an empty media_types list (section 2: empty lists are prohibited)", id)
			}
		}
		if one.ID != listed.ID || one.Title != listed.Title {
			t.Errorf("collections/%s/ says %+v, the list %+v", id, one, *listed)
		}
	}
	check(s.tg.Reader, s.tg.ReadCollection, true, false)
	check(s.tg.Writer, s.tg.WriteCollection, true, true)
	wantError(t, "a collection that does not exist", s.do(t, req{auth: s.tg.Reader, path: "collections/" + uuid4() + "/"}), http.StatusNotFound)
}

// A collection the caller can neither read nor write is not there for them
// (the package's choice, which 5.3-5.8 allow and the table of 5.7 requires
// for DELETE): not listed, 404 on every endpoint, so that nothing says it
// exists. Reader, who can read but not write, is 403 on writing (5.5) and on
// deleting (the table of 5.7).
func (s *suite) testStrangers(t *testing.T, sd seeded) {
	var cs collections
	wantOK(t, "stranger's collections/", s.do(t, req{auth: s.tg.Stranger, path: "collections/"}), http.StatusOK, &cs)
	for _, c := range cs.Collections {
		if c.ID == s.tg.ReadCollection || c.ID == s.tg.WriteCollection {
			t.Errorf("a stranger is shown collection %s", c.ID)
		}
	}
	for _, coll := range []string{s.tg.ReadCollection, s.tg.WriteCollection} {
		for _, p := range []string{"collections/" + coll + "/", s.manifestPath(coll), s.objectsPath(coll),
			s.objectPath(coll, sd.identity), s.objectPath(coll, sd.identity) + "versions/"} {
			wantError(t, "stranger GET "+p, s.do(t, req{auth: s.tg.Stranger, path: p}), http.StatusNotFound)
		}
		r := s.do(t, req{method: "POST", auth: s.tg.Stranger, path: s.objectsPath(coll), contentType: taxii21,
			body: bytes.NewReader(envelopeOf(indicator("indicator--"+uuid4(), time.Now())))})
		wantError(t, "stranger POST", r, http.StatusNotFound)
		wantError(t, "stranger DELETE", s.do(t, req{method: "DELETE", auth: s.tg.Stranger, path: s.objectPath(coll, sd.identity)}), http.StatusNotFound)
	}
	r := s.do(t, req{method: "POST", auth: s.tg.Reader, path: s.objectsPath(s.tg.ReadCollection), contentType: taxii21,
		body: bytes.NewReader(envelopeOf(indicator("indicator--"+uuid4(), time.Now())))})
	wantError(t, "reader POST to a collection it cannot write (5.5)", r, http.StatusForbidden)
	r = s.do(t, req{method: "DELETE", auth: s.tg.Reader, path: s.objectPath(s.tg.ReadCollection, sd.identity)})
	wantError(t, "reader DELETE in a collection it cannot write (5.7)", r, http.StatusForbidden)
	var v versions
	wantOK(t, "versions after the refused DELETE", s.do(t, req{auth: s.tg.Reader, path: s.objectPath(s.tg.ReadCollection, sd.identity) + "versions/"}), http.StatusOK, &v)
	if len(v.Versions) != len(sd.versions) {
		t.Errorf("a refused DELETE removed versions: %q", v.Versions)
	}
}

// pageAll walks a paged endpoint with limit and next (3.4, 3.5) and returns
// what each page held, checking each page on the way: no more than the
// limit, more true with a next until the end, more false at the end.
func (s *suite) pageAll(t *testing.T, who func(*http.Request), path string, q url.Values, limit int, into func(body []byte, h http.Header) (n int, more bool, next string)) (pages int) {
	t.Helper()
	next := ""
	for pages = 1; pages <= 100000; pages++ {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("limit", strconv.Itoa(limit))
		if next != "" {
			qq.Set("next", next)
		}
		r := s.do(t, req{auth: who, path: path, query: qq.Encode()})
		wantOK(t, "GET "+path+"?"+qq.Encode(), r, http.StatusOK, nil)
		n, more, nx := into(r.body, r.header)
		if n > limit {
			t.Fatalf("%s: %d records for limit %d (3.4: MUST NOT contain more objects than requested)", path, n, limit)
		}
		if !more {
			if nx != "" {
				t.Errorf("%s: next %q with more false", path, nx)
			}
			return pages
		}
		if nx == "" {
			// TAXII lets a server leave next out (3.5); this package's
			// backends must give it, since paging by added_after skips
			// records added in the same microsecond.
			t.Fatalf("%s: more true without next", path)
		}
		if nx == next {
			t.Fatalf("%s: next %q did not move", path, nx)
		}
		next = nx
	}
	t.Fatalf("%s: still more after 100000 pages", path)
	return pages
}

type rec struct{ id, version, dateAdded string }

// objectsAll pages through objects, returning (id, version) in order.
func (s *suite) objectsAll(t *testing.T, who func(*http.Request), coll string, q url.Values, limit int) []rec {
	t.Helper()
	var out []rec
	s.pageAll(t, who, s.objectsPath(coll), q, limit, func(body []byte, h http.Header) (int, bool, string) {
		var e envelope
		wantOK(t, "objects page", response{200, h, body}, 200, &e)
		if e.Objects != nil && len(e.Objects) == 0 {
			t.Error("an envelope with an empty objects list (3.7: omitted when empty; section 2: empty lists are prohibited)")
		}
		for _, raw := range e.Objects {
			o := decodeObject(t, raw)
			out = append(out, rec{o.ID, o.version(), ""})
		}
		s.checkDateHeaders(t, h, len(e.Objects), "", "")
		return len(e.Objects), e.More, e.Next
	})
	return out
}

// manifestAll pages through the manifest.
func (s *suite) manifestAll(t *testing.T, who func(*http.Request), coll string, q url.Values, limit int) []rec {
	t.Helper()
	var out []rec
	s.pageAll(t, who, s.manifestPath(coll), q, limit, func(body []byte, h http.Header) (int, bool, string) {
		var m manifest
		wantOK(t, "manifest page", response{200, h, body}, 200, &m)
		if m.Objects != nil && len(m.Objects) == 0 {
			t.Error("a manifest with an empty objects list (5.3.1: the key MUST be omitted)")
		}
		var prev time.Time
		for i, r := range m.Objects {
			if r.ID == "" || r.Version == "" {
				t.Errorf("manifest record %+v lacks id or version (5.3.1: required)", r)
			}
			at := parseTAXIITime(t, "date_added", r.DateAdded)
			if i > 0 && at.Before(prev) {
				t.Errorf("manifest out of date_added order (3.3): %s after %s", r.DateAdded, m.Objects[i-1].DateAdded)
			}
			prev = at
			out = append(out, rec{r.ID, r.Version, r.DateAdded})
		}
		first, last := "", ""
		if len(m.Objects) > 0 {
			first, last = m.Objects[0].DateAdded, m.Objects[len(m.Objects)-1].DateAdded
		}
		s.checkDateHeaders(t, h, len(m.Objects), first, last)
		return len(m.Objects), m.More, m.Next
	})
	return out
}

// checkDateHeaders: 3.2 requires X-TAXII-Date-Added-First and -Last on every
// 200 of the object, manifest and versions endpoints, as the date_added of
// the response's first and last record. With no record there is no date
// (the package then sends neither). first and last, when known, are what
// the headers must say.
func (s *suite) checkDateHeaders(t *testing.T, h http.Header, n int, first, last string) {
	t.Helper()
	f, l := h.Get("X-TAXII-Date-Added-First"), h.Get("X-TAXII-Date-Added-Last")
	if n == 0 {
		return
	}
	ft, lt := parseTAXIITime(t, "X-TAXII-Date-Added-First", f), parseTAXIITime(t, "X-TAXII-Date-Added-Last", l)
	if lt.Before(ft) {
		t.Errorf("X-TAXII-Date-Added-Last %s before -First %s", l, f)
	}
	if first != "" && (f != first || l != last) {
		t.Errorf("date headers %s, %s; the records say %s, %s (3.2)", f, l, first, last)
	}
}

// 3.4, 3.5: paging through everything with limit and next returns each
// record once, and more is false at the end.
func (s *suite) testPaging(t *testing.T, sd seeded) {
	for _, limit := range []int{1, 5, 7, 1000} {
		got := s.objectsAll(t, s.tg.Reader, s.tg.ReadCollection, nil, limit)
		seen := map[rec]int{}
		ids := map[string]int{}
		for _, r := range got {
			seen[r]++
			ids[r.id]++
		}
		for r, n := range seen {
			if n > 1 {
				t.Errorf("limit %d: %s version %s served %d times", limit, r.id, r.version, n)
			}
		}
		for _, id := range sd.indicators {
			if ids[id] != 1 {
				t.Errorf("limit %d: %s served %d times, want once", limit, id, ids[id])
			}
		}
		// 3.4.1: without match[version], only the latest version.
		if ids[sd.identity] != 1 || seen[rec{sd.identity, sd.versions[2], ""}] != 1 {
			t.Errorf("limit %d: %s served %d times, its latest version %s %d times; want the latest alone, once", limit, sd.identity, ids[sd.identity], sd.versions[2], seen[rec{sd.identity, sd.versions[2], ""}])
		}
		// 3.3: oldest first, so what was seeded comes in the order it was added.
		var order []string
		for _, r := range got {
			if slices.Contains(sd.indicators, r.id) {
				order = append(order, r.id)
			}
		}
		if !slices.Equal(order, sd.indicators) {
			t.Errorf("limit %d: seeded indicators out of the order they were added (3.3)", limit)
		}
	}
	// A limit above the server's own is not an error (3.4: the response MAY
	// hold fewer).
	wantOK(t, "limit above the server's", s.do(t, req{auth: s.tg.Reader, path: s.objectsPath(s.tg.ReadCollection), query: "limit=9007199254740991"}), http.StatusOK, nil)
}

// 5.3: the manifest is filtered like the objects and describes the same
// records, page for page.
func (s *suite) testManifestAgrees(t *testing.T) {
	for _, q := range []url.Values{nil, {"match[type]": {"identity"}}, {"match[version]": {"all"}}} {
		objs := s.objectsAll(t, s.tg.Reader, s.tg.ReadCollection, q, 4)
		man := s.manifestAll(t, s.tg.Reader, s.tg.ReadCollection, q, 4)
		if len(objs) != len(man) {
			t.Errorf("%v: %d objects, %d manifest records", q, len(objs), len(man))
			continue
		}
		for i := range objs {
			if objs[i].id != man[i].id || objs[i].version != man[i].version {
				t.Errorf("%v: object %d is %s %s, manifest record %s %s", q, i, objs[i].id, objs[i].version, man[i].id, man[i].version)
				break
			}
		}
	}
	// Headers agree too, for one page.
	a := s.do(t, req{auth: s.tg.Reader, path: s.objectsPath(s.tg.ReadCollection), query: "limit=3"})
	b := s.do(t, req{auth: s.tg.Reader, path: s.manifestPath(s.tg.ReadCollection), query: "limit=3"})
	for _, h := range []string{"X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"} {
		if a.header.Get(h) == "" || a.header.Get(h) != b.header.Get(h) {
			t.Errorf("%s: objects %q, manifest %q (3.2: both MUST include it)", h, a.header.Get(h), b.header.Get(h))
		}
	}
}

// 3.4: added_after keeps what was added strictly after; 3.5: a client may
// page with the previous X-TAXII-Date-Added-Last as added_after.
func (s *suite) testAddedAfter(t *testing.T, sd seeded) {
	all := s.manifestAll(t, s.tg.Reader, s.tg.ReadCollection, nil, 1000)
	byID := map[string]rec{}
	for _, r := range all {
		byID[r.id] = r
	}
	mid := byID[sd.indicators[len(sd.indicators)/2]].dateAdded
	if mid == "" {
		t.Fatal("the seeded indicators are not in the manifest")
	}
	midT := parseTAXIITime(t, "date_added", mid)
	after := s.manifestAll(t, s.tg.Reader, s.tg.ReadCollection, url.Values{"added_after": {mid}}, 1000)
	got := map[string]bool{}
	for _, r := range after {
		got[r.id] = true
		if !parseTAXIITime(t, "date_added", r.dateAdded).After(midT) {
			t.Errorf("added_after=%s returned %s, added %s", mid, r.id, r.dateAdded)
		}
	}
	for _, r := range all {
		if parseTAXIITime(t, "date_added", r.dateAdded).After(midT) && !got[r.id] {
			t.Errorf("added_after=%s left out %s, added %s", mid, r.id, r.dateAdded)
		}
	}
	objs := s.objectsAll(t, s.tg.Reader, s.tg.ReadCollection, url.Values{"added_after": {mid}}, 1000)
	if len(objs) != len(after) {
		t.Errorf("added_after=%s: %d objects, %d manifest records", mid, len(objs), len(after))
	}
	// 3.5: the header of one page as added_after of the next.
	r := s.do(t, req{auth: s.tg.Reader, path: s.manifestPath(s.tg.ReadCollection), query: "limit=5"})
	last := r.header.Get("X-TAXII-Date-Added-Last")
	lastT := parseTAXIITime(t, "X-TAXII-Date-Added-Last", last)
	for _, r := range s.manifestAll(t, s.tg.Reader, s.tg.ReadCollection, url.Values{"added_after": {last}}, 1000) {
		if !parseTAXIITime(t, "date_added", r.dateAdded).After(lastT) {
			t.Errorf("added_after=%s (a page's X-TAXII-Date-Added-Last) returned %s again, added %s", last, r.id, r.dateAdded)
		}
	}
	// A STIX timestamp with milliseconds is accepted too.
	wantOK(t, "added_after with milliseconds", s.do(t, req{auth: s.tg.Reader, path: s.objectsPath(s.tg.ReadCollection), query: "added_after=2000-01-01T00:00:00.000Z"}), http.StatusOK, nil)
}

// 3.4, 3.4.1: match filters.
func (s *suite) testMatch(t *testing.T, sd seeded) {
	rc := s.tg.ReadCollection
	ids := func(q url.Values) []string {
		var out []string
		for _, r := range s.objectsAll(t, s.tg.Reader, rc, q, 1000) {
			out = append(out, r.id+" "+r.version)
		}
		return out
	}
	i0, i1, idn, v := sd.indicators[0], sd.indicators[1], sd.identity, sd.versions
	latest := func(id string) string {
		for _, r := range s.manifestAll(t, s.tg.Reader, rc, url.Values{"match[id]": {id}}, 10) {
			return id + " " + r.version
		}
		return id + " ?"
	}
	cases := []struct {
		q    url.Values
		want []string // exactly, in order
	}{
		{url.Values{"match[id]": {i0}}, []string{latest(i0)}},
		{url.Values{"match[id]": {i0 + "," + i1}}, []string{latest(i0), latest(i1)}},
		{url.Values{"match[id]": {idn}}, []string{idn + " " + v[2]}},                              // default: last
		{url.Values{"match[id]": {idn}, "match[version]": {"last"}}, []string{idn + " " + v[2]}},  //
		{url.Values{"match[id]": {idn}, "match[version]": {"first"}}, []string{idn + " " + v[0]}}, //
		{url.Values{"match[id]": {idn}, "match[version]": {"all"}}, []string{idn + " " + v[0], idn + " " + v[1], idn + " " + v[2]}},
		{url.Values{"match[id]": {idn}, "match[version]": {v[1]}}, []string{idn + " " + v[1]}}, // a timestamp: exactly that version
		{url.Values{"match[id]": {idn}, "match[version]": {"first,last"}}, []string{idn + " " + v[0], idn + " " + v[2]}},
		{url.Values{"match[id]": {idn}, "match[version]": {v[0] + "," + v[1]}}, []string{idn + " " + v[0], idn + " " + v[1]}},
		{url.Values{"match[id]": {idn}, "match[version]": {"2001-01-01T00:00:00.000Z"}}, nil},        // no such version: an empty envelope
		{url.Values{"match[id]": {idn}, "match[spec_version]": {"2.1"}}, []string{idn + " " + v[2]}}, //
		{url.Values{"match[id]": {idn}, "match[spec_version]": {"2.0"}}, nil},                        // 3.4.1: MUST NOT include other spec versions
		{url.Values{"match[id]": {idn}, "match[type]": {"indicator"}}, nil},                          // ANDed
		{url.Values{"match[id]": {idn + "," + i0}, "match[type]": {"identity,malware"}}, []string{idn + " " + v[2]}},
	}
	for _, c := range cases {
		if got := ids(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.q.Encode(), got, c.want)
		}
	}
	for _, r := range s.objectsAll(t, s.tg.Reader, rc, url.Values{"match[type]": {"identity"}}, 1000) {
		if !strings.HasPrefix(r.id, "identity--") {
			t.Errorf("match[type]=identity returned %s (3.4.1: only the types listed)", r.id)
		}
	}
	// An empty result is an envelope without objects (5.4, 3.7).
	r := s.do(t, req{auth: s.tg.Reader, path: s.objectsPath(rc), query: "match[type]=x-taxiitest-none"})
	var e envelope
	wantOK(t, "an empty result", r, http.StatusOK, &e)
	if e.Objects != nil || e.More {
		t.Errorf("an empty result: %s", r.body)
	}
}

// 5.6: one object, the latest version unless match[version] says otherwise.
func (s *suite) testObject(t *testing.T, sd seeded) {
	p := s.objectPath(s.tg.ReadCollection, sd.identity)
	get := func(query string) (versions []string, r response) {
		r = s.do(t, req{auth: s.tg.Reader, path: p, query: query})
		var e envelope
		wantOK(t, "GET "+p+"?"+query, r, http.StatusOK, &e)
		for _, raw := range e.Objects {
			o := decodeObject(t, raw)
			if o.ID != sd.identity {
				t.Errorf("GET %s returned %s", p, o.ID)
			}
			versions = append(versions, o.version())
		}
		s.checkDateHeaders(t, r.header, len(e.Objects), "", "")
		return versions, r
	}
	if v, _ := get(""); !slices.Equal(v, sd.versions[2:]) {
		t.Errorf("GET an object: versions %q, want the latest %q (3.4.1)", v, sd.versions[2])
	}
	if v, _ := get("match[version]=all"); !slices.Equal(v, sd.versions) {
		t.Errorf("GET an object, all versions: %q, want %q", v, sd.versions)
	}
	if v, _ := get("match[version]=first"); !slices.Equal(v, sd.versions[:1]) {
		t.Errorf("GET an object, first: %q", v)
	}
	for _, missing := range []string{"indicator--" + uuid4(), "not-an-id"} {
		wantError(t, "GET an object that does not exist", s.do(t, req{auth: s.tg.Reader, path: s.objectPath(s.tg.ReadCollection, missing)}), http.StatusNotFound)
	}
	// 5.6: the only match field is version (and spec_version).
	wantError(t, "GET an object with match[type]", s.do(t, req{auth: s.tg.Reader, path: p, query: "match[type]=identity"}), http.StatusBadRequest)
}

// 5.8: versions, in the order they were added, paged like the rest.
func (s *suite) testVersions(t *testing.T, sd seeded) {
	p := s.objectPath(s.tg.ReadCollection, sd.identity) + "versions/"
	var all []string
	pages := s.pageAll(t, s.tg.Reader, p, nil, 2, func(body []byte, h http.Header) (int, bool, string) {
		var v versions
		wantOK(t, "versions page", response{200, h, body}, 200, &v)
		if v.Versions != nil && len(v.Versions) == 0 {
			t.Error("an empty versions list (5.8.1: the key MUST be omitted)")
		}
		all = append(all, v.Versions...)
		s.checkDateHeaders(t, h, len(v.Versions), "", "")
		return len(v.Versions), v.More, v.Next
	})
	if !slices.Equal(all, sd.versions) {
		t.Errorf("versions %q, want %q", all, sd.versions)
	}
	if pages != 2 {
		t.Errorf("three versions by two took %d pages", pages)
	}
	// The versions are those of the manifest of every version, in its order.
	var man []string
	for _, r := range s.manifestAll(t, s.tg.Reader, s.tg.ReadCollection, url.Values{"match[id]": {sd.identity}, "match[version]": {"all"}}, 100) {
		man = append(man, r.version)
	}
	if !slices.Equal(all, man) {
		t.Errorf("versions %q, the manifest says %q", all, man)
	}
	wantError(t, "versions of an object that does not exist", s.do(t, req{auth: s.tg.Reader, path: s.objectPath(s.tg.ReadCollection, "identity--"+uuid4()) + "versions/"}), http.StatusNotFound)
}

// 3.4: "If any of the URL query parameters are malformed, the TAXII Server
// MUST return an HTTP 400"; parameters given twice are malformed (3.4:
// "MUST NOT occur more than once"); so, by the package's choice, are fields
// and parameters the endpoint does not define.
func (s *suite) testBadQueries(t *testing.T, sd seeded) {
	objs := s.objectsPath(s.tg.ReadCollection)
	bad := []string{
		"limit=0", "limit=-1", "limit=abc", "limit=1.5", "limit=", "limit=%2B5", "limit=1&limit=2",
		"added_after=yesterday", "added_after=2020-01-01T00:00:00%2B01:00", "added_after=2020-13-01T00:00:00Z",
		"added_after=2020-01-01", "added_after=", "added_after=2020-01-01T00:00:00Z&added_after=2020-01-02T00:00:00Z",
		"match[version]=all,first", "match[version]=last,last", "match[version]=sometime", "match[version]=",
		"match[version]=2020-01-01T00:00:00.000Z,2020-01-01T00:00:00.000Z",
		"match[type]=", "match[type]=indicator,,identity", "match[type]=indicator,%20identity", "match[type]=Indicator",
		"match[type]=indicator&match[type]=identity",
		"match[id]=not-an-id", "match[id]=indicator--1234",
		"match[spec_version]=two", "match[spec_version]=2",
		"match[tlp]=red", "foo=bar", "next=", "match[id=x", "%zz",
	}
	for _, q := range bad {
		wantError(t, "GET objects?"+q, s.do(t, req{auth: s.tg.Reader, path: objs, query: q}), http.StatusBadRequest)
		wantError(t, "GET manifest?"+q, s.do(t, req{auth: s.tg.Reader, path: s.manifestPath(s.tg.ReadCollection), query: q}), http.StatusBadRequest)
	}
	vp := s.objectPath(s.tg.ReadCollection, sd.identity) + "versions/"
	for _, q := range []string{"match[id]=" + sd.identity, "match[version]=all", "match[type]=identity"} {
		wantError(t, "GET versions?"+q+" (5.8 filters on spec_version alone)", s.do(t, req{auth: s.tg.Reader, path: vp, query: q}), http.StatusBadRequest)
	}
	for _, p := range []string{"", "collections/", "collections/" + s.tg.ReadCollection + "/"} {
		wantError(t, "GET "+p+"?limit=1 (no parameters there)", s.do(t, req{auth: s.tg.Reader, path: p, query: "limit=1"}), http.StatusBadRequest)
	}
	wantError(t, "a next this server did not issue", s.do(t, req{auth: s.tg.Reader, path: objs, query: "next=taxiitest-forged"}), http.StatusBadRequest)
}

// Methods an endpoint does not define are 405 with Allow (RFC 9110 15.5.6).
func (s *suite) testMethods(t *testing.T) {
	for _, c := range []struct{ method, path string }{
		{"PUT", s.objectsPath(s.tg.WriteCollection)},
		{"DELETE", s.objectsPath(s.tg.WriteCollection)},
		{"POST", "collections/"},
		{"POST", s.manifestPath(s.tg.WriteCollection)},
	} {
		r := s.do(t, req{method: c.method, auth: s.tg.Writer, path: c.path, contentType: taxii21, body: strings.NewReader("{}")})
		wantError(t, c.method+" "+c.path, r, http.StatusMethodNotAllowed)
		if r.header.Get("Allow") == "" {
			t.Errorf("%s %s: 405 without Allow", c.method, c.path)
		}
	}
}

// post adds objects to WriteCollection and polls the status to completion
// (4.3: "the client SHOULD periodically poll"), checking both answers.
func (s *suite) post(t *testing.T, objs ...json.RawMessage) status {
	t.Helper()
	r := s.do(t, req{method: "POST", auth: s.tg.Writer, path: s.objectsPath(s.tg.WriteCollection), contentType: taxii21, body: bytes.NewReader(envelopeOf(objs...))})
	var st status
	wantOK(t, "POST objects (5.5: 202 and a status resource)", r, http.StatusAccepted, &st)
	s.checkStatus(t, st, len(objs))
	if st.Status == "pending" && s.tg.Complete != nil {
		s.tg.Complete(t, st.ID)
	}
	// Liveness, not speed: the bound only keeps a broken backend from
	// hanging the suite.
	deadline := time.Now().Add(30 * time.Second)
	for wait := time.Millisecond; st.Status == "pending"; wait = min(2*wait, 500*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("status %s still pending after 30s", st.ID)
		}
		time.Sleep(wait)
		id := st.ID
		st = status{}
		wantOK(t, "GET status", s.do(t, req{auth: s.tg.Writer, path: "status/" + id + "/"}), http.StatusOK, &st)
		s.checkStatus(t, st, len(objs))
	}
	// A complete status can be read again (4.3: SHOULD be kept 24 hours).
	var again status
	wantOK(t, "GET status", s.do(t, req{auth: s.tg.Writer, path: "status/" + st.ID + "/"}), http.StatusOK, &again)
	s.checkStatus(t, again, len(objs))
	if again.Status != "complete" || *again.SuccessCount != *st.SuccessCount {
		t.Errorf("status %s read back as %+v, was %+v", st.ID, again, st)
	}
	return st
}

// checkStatus checks a status resource (4.3.1).
func (s *suite) checkStatus(t *testing.T, st status, sent int) {
	t.Helper()
	if st.ID == "" || st.TotalCount == nil || st.SuccessCount == nil || st.FailureCount == nil || st.PendingCount == nil {
		t.Fatalf("status %+v lacks a required property (4.3.1)", st)
	}
	if st.Status != "complete" && st.Status != "pending" {
		t.Errorf("status %q (4.3.1: complete or pending)", st.Status)
	}
	if st.RequestTimestamp != "" {
		parseTAXIITime(t, "request_timestamp", st.RequestTimestamp)
	}
	total, ok, failed, pending := *st.TotalCount, *st.SuccessCount, *st.FailureCount, *st.PendingCount
	if total != 0 && total != sent {
		t.Errorf("total_count %d for %d objects (4.3.1: the number in the envelope)", total, sent)
	}
	if total != 0 && ok+failed+pending != total {
		t.Errorf("success %d + failure %d + pending %d != total %d", ok, failed, pending, total)
	}
	if st.Status == "complete" && (pending != 0 || total != sent) {
		t.Errorf("complete with %d pending of %d", pending, total)
	}
	for _, l := range [][]statusDetail{st.Successes, st.Failures, st.Pendings} {
		if l != nil && len(l) == 0 {
			t.Error("an empty status-details list (section 2)")
		}
		for _, d := range l {
			if d.ID == "" || d.Version == "" {
				t.Errorf("status-details %+v lacks id or version (4.3.1: required)", d)
			}
		}
	}
}

// 5.5, 4.3, 5.7: add, poll, read back, add again, delete.
func (s *suite) testAdd(t *testing.T) {
	wc := s.tg.WriteCollection
	now := time.Now().UTC().Truncate(time.Millisecond)
	a, b := "indicator--"+uuid4(), "identity--"+uuid4()
	b1, b2 := now.Add(-time.Minute), now
	objs := []json.RawMessage{indicator(a, now), identity(b, b1, b1)}
	st := s.post(t, objs...)
	if *st.SuccessCount != 2 || *st.FailureCount != 0 {
		t.Fatalf("adding two valid objects: %+v", st)
	}
	for _, d := range st.Successes {
		if d.ID != a && d.ID != b {
			t.Errorf("status lists %s, which was not sent", d.ID)
		}
	}
	// 5.5: "If a client publishes an exact duplicate of an Object already
	// present in the Collection, the server MUST not return an error".
	if st := s.post(t, objs...); *st.FailureCount != 0 {
		t.Errorf("an exact duplicate was refused: %+v", st)
	}
	got := s.objectsAll(t, s.tg.Writer, wc, url.Values{"match[id]": {a + "," + b}}, 10)
	if len(got) != 2 {
		t.Errorf("the objects added read back as %v", got)
	}
	// The status is the writer's: a stranger does not see it.
	wantError(t, "a stranger's GET of another's status", s.do(t, req{auth: s.tg.Stranger, path: "status/" + st.ID + "/"}), http.StatusNotFound)
	wantError(t, "GET a status that does not exist (4.3)", s.do(t, req{auth: s.tg.Writer, path: "status/" + uuid4() + "/"}), http.StatusNotFound)

	s.post(t, identity(b, b1, b2))
	if s.tg.NoDelete {
		s.testNoDelete(t, a, b, b1, b2)
		return
	}
	// 5.7: delete one version; that version is then 404 and absent from the
	// manifest, the other remains.
	r := s.do(t, req{method: "DELETE", auth: s.tg.Writer, path: s.objectPath(wc, b), query: "match[version]=" + stixTime(b1)})
	wantOK(t, "DELETE a version (5.7)", r, http.StatusOK, nil)
	wantError(t, "GET a deleted version (5.7)", s.do(t, req{auth: s.tg.Writer, path: s.objectPath(wc, b), query: "match[version]=" + stixTime(b1)}), http.StatusNotFound)
	var vs []string
	for _, r := range s.manifestAll(t, s.tg.Writer, wc, url.Values{"match[id]": {b}, "match[version]": {"all"}}, 10) {
		vs = append(vs, r.version)
	}
	if !slices.Equal(vs, []string{stixTime(b2)}) {
		t.Errorf("after deleting %s, the manifest lists versions %q", stixTime(b1), vs)
	}
	// Delete a whole object.
	wantOK(t, "DELETE an object (5.7)", s.do(t, req{method: "DELETE", auth: s.tg.Writer, path: s.objectPath(wc, a)}), http.StatusOK, nil)
	wantError(t, "GET a deleted object (5.7)", s.do(t, req{auth: s.tg.Writer, path: s.objectPath(wc, a)}), http.StatusNotFound)
	if got := s.manifestAll(t, s.tg.Writer, wc, url.Values{"match[id]": {a}, "match[version]": {"all"}}, 10); len(got) != 0 {
		t.Errorf("a deleted object is in the manifest: %v (5.7: MUST NOT)", got)
	}
	wantError(t, "DELETE an object that is not there", s.do(t, req{method: "DELETE", auth: s.tg.Writer, path: s.objectPath(wc, a)}), http.StatusNotFound)
	wantError(t, "DELETE with match[type] (5.7: version and spec_version only)", s.do(t, req{method: "DELETE", auth: s.tg.Writer, path: s.objectPath(wc, b), query: "match[type]=identity"}), http.StatusBadRequest)
	wantOK(t, "DELETE the rest", s.do(t, req{method: "DELETE", auth: s.tg.Writer, path: s.objectPath(wc, b)}), http.StatusOK, nil)
}

// testNoDelete: a server that keeps everything refuses DELETE with 403
// (the table of 5.7: the caller can read and write, so it is not 404) and
// every version stays served.
func (s *suite) testNoDelete(t *testing.T, a, b string, b1, b2 time.Time) {
	wc := s.tg.WriteCollection
	for _, q := range []string{"match[version]=" + stixTime(b1), ""} {
		r := s.do(t, req{method: "DELETE", auth: s.tg.Writer, path: s.objectPath(wc, b), query: q})
		wantError(t, "DELETE ?"+q+" on a server that keeps everything", r, http.StatusForbidden)
	}
	wantError(t, "DELETE an object on a server that keeps everything", s.do(t, req{method: "DELETE", auth: s.tg.Writer, path: s.objectPath(wc, a)}), http.StatusForbidden)
	var vs []string
	for _, r := range s.manifestAll(t, s.tg.Writer, wc, url.Values{"match[id]": {b}, "match[version]": {"all"}}, 10) {
		vs = append(vs, r.version)
	}
	if !slices.Equal(vs, []string{stixTime(b1), stixTime(b2)}) {
		t.Errorf("after a refused DELETE, the manifest lists versions %q of %s, want both", vs, b)
	}
	wantOK(t, "GET an object whose DELETE was refused", s.do(t, req{auth: s.tg.Writer, path: s.objectPath(wc, a)}), http.StatusOK, nil)
	wantError(t, "DELETE with match[type] (5.7: version and spec_version only)", s.do(t, req{method: "DELETE", auth: s.tg.Writer, path: s.objectPath(wc, b), query: "match[type]=identity"}), http.StatusBadRequest)
}

// 5.5: 415 for a media type TAXII 2.1 does not define for the endpoint, 406
// for an Accept it cannot meet, 422 for a body that is not an envelope of
// objects (the package's reading of "a malformed body").
func (s *suite) testAddRefusals(t *testing.T) {
	objs := s.objectsPath(s.tg.WriteCollection)
	good := envelopeOf(indicator("indicator--"+uuid4(), time.Now()))
	for _, ct := range []string{"", "application/json", "application/stix+json;version=2.1", "application/taxii+json;version=2.0", "text/plain"} {
		r := s.do(t, req{method: "POST", auth: s.tg.Writer, path: objs, contentType: ct, body: bytes.NewReader(good)})
		wantError(t, "POST Content-Type: "+ct, r, http.StatusUnsupportedMediaType)
	}
	r := s.do(t, req{method: "POST", auth: s.tg.Writer, path: objs, contentType: "application/taxii+json", body: bytes.NewReader(envelopeOf())})
	if r.code == http.StatusUnsupportedMediaType {
		t.Error("POST Content-Type: application/taxii+json is refused with 415 (3.1: MUST NOT)")
	}
	r = s.do(t, req{method: "POST", auth: s.tg.Writer, path: objs, contentType: taxii21, accept: str("application/json"), body: bytes.NewReader(good)})
	wantError(t, "POST Accept: application/json", r, http.StatusNotAcceptable)
	for _, body := range []string{"", "not json", "[]", "{}", `{"objects":[]}`, `{"objects":[1]}`, `{"objects":{}}`,
		`{"objects":[{}]`, `{"objects":[{}],"objects":[{}]}`, `{"objects":[{}]} {}`, `{"bundle":1,"objects":[{}]}`} {
		r := s.do(t, req{method: "POST", auth: s.tg.Writer, path: objs, contentType: taxii21, body: strings.NewReader(body)})
		wantError(t, "POST body "+body, r, http.StatusUnprocessableEntity)
	}
}

// 4.2.1, 5.5: a body beyond max_content_length is 413; one smaller "MUST
// NOT result in an HTTP 413".
func (s *suite) testRequestSize(t *testing.T) {
	max := s.apiRoot(t).MaxContentLength
	if max > 32<<20 {
		t.Skipf("max_content_length is %d: too large to send here", max)
	}
	padded := func(n int64) []byte {
		env := envelopeOf(indicator("indicator--"+uuid4(), time.Now()))
		if int64(len(env)) > n {
			return nil
		}
		return append(env, bytes.Repeat([]byte(" "), int(n)-len(env))...)
	}
	body := padded(max - 1)
	if body == nil {
		t.Skipf("max_content_length %d is smaller than an envelope", max)
	}
	r := s.do(t, req{method: "POST", auth: s.tg.Writer, path: s.objectsPath(s.tg.WriteCollection), contentType: taxii21, body: bytes.NewReader(body)})
	wantOK(t, "POST a body one byte under max_content_length", r, http.StatusAccepted, nil)
	big := padded(max + 1)
	r = s.do(t, req{method: "POST", auth: s.tg.Writer, path: s.objectsPath(s.tg.WriteCollection), contentType: taxii21, body: bytes.NewReader(big)})
	wantError(t, "POST a body over max_content_length", r, http.StatusRequestEntityTooLarge)
	// Without a Content-Length (chunked), the server finds out as it reads.
	r = s.do(t, req{method: "POST", auth: s.tg.Writer, path: s.objectsPath(s.tg.WriteCollection), contentType: taxii21,
		body: io.MultiReader(bytes.NewReader(big)), length: -1})
	wantError(t, "POST a chunked body over max_content_length", r, http.StatusRequestEntityTooLarge)
}
