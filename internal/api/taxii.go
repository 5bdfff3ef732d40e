package api

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/stix"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/taxii"
)

// The intelligence desk over TAXII 2.1, for a party's MISP or OpenCTI.
// Discovery is /taxii2/, and each cell is an API root named by its id.
// A member's collections are their party's: released/<party> (what the
// mediator released to it) and submitted/<party> (what it submitted,
// which its analysts may add to); the mediator reads both of every other
// party, the latter being its review queue. Everything is read through
// the member's view (s.view), so a TAXII client sees exactly what the
// API would show the member, TLP:RED releases to named members included.
//
// TAXII clients send HTTP Basic: the username is the member id, the
// password a secret of a token of kind "taxii", which opens /taxii2/ and
// nothing else (authenticate refuses it as a bearer token). A bearer
// token of the API, or the TAXII secret as a bearer token, is accepted
// too.
//
// The server never signs for a member, so what a client POSTs is staged:
// kept as a blob and recorded by a server-signed intel.stage entry. Its
// status is pending until the poster signs an intel.submit of the same
// bytes (GET /api/v1/intel/staged lists what waits), then complete.

// taxiiKind is the kind of a TAXII client's token.
const taxiiKind = "taxii"

// taxiiPrefix marks a TAXII secret where it leaks (a platform's feed
// settings, a proxy's log): it reads a member's intelligence.
const taxiiPrefix = "ltx_"

// taxiiMaxContent is the API root's max_content_length: what still fits a
// signed intel.submit, whose bundle is base64 in the envelope
// (record.MaxBulkEnvelopeSize of 32 MiB, four thirds of the bundle, with
// room for the rest of the payload).
const taxiiMaxContent = 16 << 20

// directIDs is the most match[id] values looked up one by one; more are
// filtered in a scan of the collection.
const directIDs = 100

// scanBudget bounds the rows one request reads when filters keep few of
// them: the page then comes back short, with more and next, and the
// client continues (3.4 allows fewer records than the limit).
const scanBudget = 50_000

func (s *Server) taxiiRoutes() error {
	h, err := taxii.New(taxii.Config{
		Backend:      taxiiBackend{s},
		Authenticate: s.taxiiAuthenticate,
		Realm:        "Liaison",
		Logger:       s.log,
	})
	if err != nil {
		return err
	}
	serve := func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	}
	// Each endpoint is a route of its own, for the route list (the OpenAPI
	// description, the every-route walk) and the metrics; the catch-all
	// lets the TAXII handler answer the rest (405, 404) as TAXII does.
	const coll = "/taxii2/{root}/collections/{coll}/"
	for _, p := range []string{
		"GET /taxii2/",
		"GET /taxii2/{root}/",
		"GET /taxii2/{root}/status/{status}/",
		"GET /taxii2/{root}/collections/",
		"GET " + coll,
		"GET " + coll + "manifest/",
		"GET " + coll + "objects/",
		"POST " + coll + "objects/",
		"GET " + coll + "objects/{object}/",
		"DELETE " + coll + "objects/{object}/",
		"GET " + coll + "objects/{object}/versions/",
	} {
		s.handle(p, serve)
	}
	s.mux.Handle("/taxii2/", s.wrap("/taxii2/", serve))
	s.authed("POST /api/v1/intel/taxii/token", s.newTAXIIToken)
	s.authed("DELETE /api/v1/intel/taxii/token", s.revokeTAXIIToken)
	s.authed("GET /api/v1/intel/staged", s.listStaged)
	s.authed("GET /api/v1/intel/staged/{staged}/bundle", s.stagedBundle)
	return nil
}

// TAXIIToken is the answer that issues a member's TAXII credentials: what
// a TAXII client is configured with. The password is shown once.
type TAXIIToken struct {
	Discovery string    `json:"discovery"`
	APIRoot   string    `json:"api_root"`
	Username  string    `json:"username"`
	Password  string    `json:"password"`
	Expires   time.Time `json:"expires"`
	// Revoked counts the member's earlier TAXII tokens, which this one
	// replaces.
	Revoked int64 `json:"revoked"`
}

// newTAXIIToken issues the member TAXII credentials, ending any earlier
// ones: one client per member, so that a compromised platform is cut off
// by asking for new ones.
func (s *Server) newTAXIIToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	n, err := s.st.RevokeMemberTokensOfKind(r.Context(), p.Cell, p.Member.ID, taxiiKind)
	if err != nil {
		return err
	}
	s.auth.forget(nil, p.Cell, p.Member.ID)
	secret := auth.NewSecret(taxiiPrefix)
	now := time.Now().UTC()
	t := store.Token{Hash: auth.HashSecret(secret), Cell: p.Cell, Member: p.Member.ID, Kind: taxiiKind, Created: now,
		Expires: now.Add(s.cfg.TAXIITTL), UserAgent: truncate(r.UserAgent(), 200)}
	if err := s.st.PutToken(r.Context(), t); err != nil {
		return err
	}
	s.log.Info("TAXII credentials issued", "cell", p.Cell, "member", p.Member.ID, "replaced", n)
	base := baseURL(r) + "/taxii2/"
	writeJSON(w, http.StatusCreated, TAXIIToken{Discovery: base, APIRoot: base + p.Cell + "/", Username: p.Member.ID,
		Password: secret, Expires: t.Expires.Truncate(time.Millisecond), Revoked: n})
	return nil
}

// revokeTAXIIToken ends the member's TAXII credentials; asking again is no
// error.
func (s *Server) revokeTAXIIToken(w http.ResponseWriter, r *http.Request, p *Principal) error {
	n, err := s.st.RevokeMemberTokensOfKind(r.Context(), p.Cell, p.Member.ID, taxiiKind)
	if err != nil {
		return err
	}
	s.auth.forget(nil, p.Cell, p.Member.ID)
	s.log.Info("TAXII credentials revoked", "cell", p.Cell, "member", p.Member.ID, "revoked", n)
	writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
	return nil
}

// taxiiAuthenticate resolves a TAXII request's caller: Basic with a TAXII
// secret, or a bearer token (a TAXII secret or the API's). Every refusal
// is ErrUnauthorized, answered 401 with a Basic challenge: a client is
// told to authenticate, not why its credentials failed.
func (s *Server) taxiiAuthenticate(r *http.Request) (any, error) {
	user, pass, basic := r.BasicAuth()
	switch {
	case basic:
		if !strings.HasPrefix(pass, taxiiPrefix) {
			return nil, taxii.ErrUnauthorized
		}
		p, err := s.tokenPrincipal(r.Context(), pass, taxiiKind)
		if err != nil {
			return nil, err
		}
		if p.Member.ID != user {
			return nil, taxii.ErrUnauthorized
		}
		return p, nil
	case r.Header.Get("Authorization") != "":
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return nil, taxii.ErrUnauthorized
		}
		kind := "bearer"
		if strings.HasPrefix(tok, taxiiPrefix) {
			kind = taxiiKind
		}
		return s.tokenPrincipal(r.Context(), tok, kind)
	}
	return nil, taxii.ErrUnauthorized
}

// tokenPrincipal resolves a secret of kind to its active member. It does
// not check the cell: a TAXII request names its cell as the API root, and
// the backend refuses a root other than the principal's.
func (s *Server) tokenPrincipal(ctx context.Context, secret, kind string) (*Principal, error) {
	hash := auth.HashSecret(secret)
	if p, ok := s.auth.get(hash); ok {
		if p.Token.Kind != kind || time.Now().After(p.Token.Expires) {
			return nil, taxii.ErrUnauthorized
		}
		return p, nil
	}
	gen := s.auth.generation()
	t, err := s.st.TokenByHash(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, taxii.ErrUnauthorized
	case err != nil:
		return nil, err
	case t.Revoked || time.Now().After(t.Expires) || t.Kind != kind:
		return nil, taxii.ErrUnauthorized
	}
	// unfiltered: who the token's member is, before there is a reader.
	v := s.st.View(t.Cell)
	m, err := cell.GetMember(ctx, v, t.Member)
	if err != nil || m.Disabled {
		return nil, taxii.ErrUnauthorized
	}
	pa, err := cell.GetParty(ctx, v, m.Party)
	if err != nil {
		return nil, err
	}
	p := &Principal{Cell: t.Cell, Member: m, Party: pa, Token: t}
	s.auth.put(hash, p, gen)
	return p, nil
}

// taxiiBackend serves the desk's collections to the TAXII handler. who is
// always the *Principal taxiiAuthenticate returned.
type taxiiBackend struct{ s *Server }

func principalOf(who any, root string) (*Principal, error) {
	p, ok := who.(*Principal)
	if !ok || p == nil {
		return nil, taxii.ErrUnauthorized
	}
	if root != p.Cell {
		// Another cell's root does not exist for this member.
		return nil, taxii.ErrNotFound
	}
	return p, nil
}

func (b taxiiBackend) Discovery(ctx context.Context, who any) (taxii.Discovery, error) {
	p, ok := who.(*Principal)
	if !ok {
		return taxii.Discovery{}, taxii.ErrUnauthorized
	}
	return taxii.Discovery{
		Title:       "Liaison intelligence desk",
		Description: "What the mediator released to your party, and what your party submits to it.",
		Default:     p.Cell,
		APIRoots:    []string{p.Cell},
	}, nil
}

func (b taxiiBackend) APIRoot(ctx context.Context, who any, root string) (taxii.APIRoot, error) {
	p, err := principalOf(who, root)
	if err != nil {
		return taxii.APIRoot{}, err
	}
	info, err := cell.GetInfo(ctx, b.s.view(p))
	if err != nil {
		return taxii.APIRoot{}, err
	}
	return taxii.APIRoot{Title: info.Name, Description: "The intelligence desk of cell " + p.Cell + ".",
		MaxContentLength: taxiiMaxContent}, nil
}

// taxiiColl is a collection as the desk knows it: its name is the parent
// of its objects.
type taxiiColl struct {
	taxii.Collection
	name  string
	party string
}

// collections are the caller's, in the order of the cell's parties.
func (b taxiiBackend) collections(ctx context.Context, p *Principal) ([]taxiiColl, error) {
	parties, err := cell.Parties(ctx, b.s.view(p))
	if err != nil {
		return nil, err
	}
	a := p.Actor()
	write := !a.IsMediator() && cell.May(a, cell.SubmitIntel, cell.Target{}) == nil
	var out []taxiiColl
	add := func(pa cell.Party, name, title, desc string, canWrite bool) {
		out = append(out, taxiiColl{Collection: taxii.Collection{ID: TAXIICollectionID(p.Cell, name), Title: title, Description: desc,
			CanRead: true, CanWrite: canWrite}, name: name, party: pa.ID})
	}
	for _, pa := range parties {
		switch {
		case pa.Kind == cell.Mediator:
			continue
		case a.IsMediator():
			add(pa, intel.Released(pa.ID), "Released to "+pa.Name, "What the mediator released to "+pa.Name+".", false)
			add(pa, intel.Submitted(pa.ID), "Submitted by "+pa.Name, pa.Name+"'s submissions: the review queue.", false)
		case pa.ID == p.Party.ID:
			add(pa, intel.Released(pa.ID), "Released to "+pa.Name, "What the mediator released to "+pa.Name+".", false)
			add(pa, intel.Submitted(pa.ID), "Submitted by "+pa.Name,
				"What "+pa.Name+" submitted to the mediator. What is posted here waits for its poster's signature.", write)
		}
	}
	return out, nil
}

func (b taxiiBackend) Collections(ctx context.Context, who any, root string) ([]taxii.Collection, error) {
	p, err := principalOf(who, root)
	if err != nil {
		return nil, err
	}
	cs, err := b.collections(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]taxii.Collection, len(cs))
	for i, c := range cs {
		out[i] = c.Collection
	}
	return out, nil
}

func (b taxiiBackend) collection(ctx context.Context, who any, root, id string) (*Principal, taxiiColl, error) {
	p, err := principalOf(who, root)
	if err != nil {
		return nil, taxiiColl{}, err
	}
	cs, err := b.collections(ctx, p)
	if err != nil {
		return nil, taxiiColl{}, err
	}
	for _, c := range cs {
		if c.ID == id {
			return p, c, nil
		}
	}
	return nil, taxiiColl{}, taxii.ErrNotFound
}

// nsTAXII is the namespace of the desk's name-based UUIDs (RFC 9562 v5):
// collection and status ids are derived, so they stay the same across
// restarts, nodes and a rebuild.
var nsTAXII = [16]byte{0x6c, 0x69, 0x61, 0x69, 0x73, 0x6f, 0x6e, 0x2d, 0x74, 0x61, 0x78, 0x69, 0x69, 0x2d, 0x76, 0x31}

func uuid5(name string) [16]byte {
	h := sha1.New()
	h.Write(nsTAXII[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

func formatUUID(u [16]byte) string {
	x := hex.EncodeToString(u[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// TAXIICollectionID is the stable id of a cell's collection (an
// intel.Released or intel.Submitted name), as TAXII serves it.
func TAXIICollectionID(cellID, name string) string {
	return formatUUID(uuid5("collection\x00" + cellID + "\x00" + name))
}

// statusID is the status resource of a staged post: a UUID whose last six
// bytes are the intel.stage entry's index, so that it is found without a
// table of its own, and whose first ten are derived from the cell and the
// index, so that an id is checked before anything is read.
func statusID(cellID string, stage int64) string {
	u := uuid5("status\x00" + cellID + "\x00" + strconv.FormatInt(stage, 10))
	var idx [8]byte
	binary.BigEndian.PutUint64(idx[:], uint64(stage))
	copy(u[10:], idx[2:])
	return formatUUID(u)
}

// TAXIIStatusID is the TAXII status resource of the intel.stage entry
// stage.
func TAXIIStatusID(cellID string, stage int64) string { return statusID(cellID, stage) }

// stageOfStatus reads a status id back to its stage entry, or false.
func stageOfStatus(cellID, id string) (int64, bool) {
	raw, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(raw) != 16 || len(id) != 36 {
		return 0, false
	}
	var idx [8]byte
	copy(idx[2:], raw[10:])
	stage := int64(binary.BigEndian.Uint64(idx[:]))
	return stage, statusID(cellID, stage) == id
}

// lastOnly reports a selection of the current version alone, which the
// ObjCurrent projection serves directly.
func lastOnly(vm taxii.VersionMatch) bool {
	return vm.Last && !vm.All && !vm.First && len(vm.At) == 0
}

// cursor is a position in a collection's projection, in (seq, id) order.
type cursor struct {
	Kind string `json:"k"`
	Coll string `json:"c"`
	Seq  int64  `json:"s"`
	ID   string `json:"i"`
}

var start = cursor{Seq: -1}

func encodeNext(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeNext reads a next value back, checking that it is a position in
// this query's projection: a client may send anything, and a position is
// all it can set (the query and the caller's rights are applied again).
func decodeNext(s, kind, coll string) (cursor, error) {
	bad := taxii.Explain(taxii.ErrBadRequest, "next: not a value this server issued for this query")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursor{}, bad
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var c cursor
	if err := dec.Decode(&c); err != nil || c.Kind != kind || c.Coll != coll || c.Seq < 0 || !strings.HasPrefix(c.ID, coll+"/") {
		return cursor{}, bad
	}
	return c, nil
}

// selector keeps the records of a query, from the projection's objects.
type selector struct {
	ctx     context.Context
	v       store.View
	coll    string
	f       taxii.Filter
	current bool // the objects are ObjCurrent
	// versions caches the versions of each object, read from its current
	// projection, for first and last: for one page only, since a newer
	// version may arrive between pages.
	versions map[string][]string
}

func (sel *selector) keep(o store.Object) (taxii.Record, bool, error) {
	var s intel.Stored
	if err := json.Unmarshal(o.Doc, &s); err != nil {
		return taxii.Record{}, false, fmt.Errorf("taxii: %s/%s: %w", o.Kind, o.ID, err)
	}
	f := sel.f
	if f.Types != nil && !slices.Contains(f.Types, s.Type) {
		return taxii.Record{}, false, nil
	}
	if f.IDs != nil && !slices.Contains(f.IDs, s.ID) {
		return taxii.Record{}, false, nil
	}
	if f.SpecVersions != nil && !slices.Contains(f.SpecVersions, s.SpecVersion) {
		return taxii.Record{}, false, nil
	}
	added := s.Added.UTC().Truncate(time.Microsecond)
	if !f.AddedAfter.IsZero() && !added.After(f.AddedAfter) {
		return taxii.Record{}, false, nil
	}
	if !sel.current && !f.Versions.All {
		ok, err := sel.versionMatches(s)
		if err != nil || !ok {
			return taxii.Record{}, false, err
		}
	}
	version := s.Version
	if version == "" {
		// An object with neither modified nor created (a cyber observable):
		// its version is when it was added, as the manifest must name one.
		version = taxii.FormatTimestamp(added)
	}
	return taxii.Record{Object: s.Object, ID: s.ID, Type: s.Type, SpecVersion: s.SpecVersion, Version: version, DateAdded: added}, true, nil
}

func (sel *selector) versionMatches(s intel.Stored) (bool, error) {
	vm := sel.f.Versions
	if vm.First || vm.Last {
		vs, ok := sel.versions[s.ID]
		if !ok {
			var cur intel.Stored
			o, err := sel.v.Get(sel.ctx, intel.ObjCurrent, intel.CurrentID(sel.coll, s.ID))
			switch {
			case err == nil:
				if err := json.Unmarshal(o.Doc, &cur); err != nil {
					return false, err
				}
			case !errors.Is(err, store.ErrNotFound):
				return false, err
			}
			vs = cur.Versions
			sel.versions[s.ID] = vs
		}
		if len(vs) > 0 && (vm.First && s.Version == vs[0] || vm.Last && s.Version == vs[len(vs)-1]) {
			return true, nil
		}
	}
	if len(vm.At) > 0 {
		t, err := stix.ParseTimestamp(s.Version)
		if err != nil {
			return false, nil
		}
		for _, at := range vm.At {
			if at.Compare(t) == 0 {
				return true, nil
			}
		}
	}
	return false, nil
}

// Objects pages a collection in (seq, id) order, which is date-added
// order: an object's seq is the entry that added it. The default, the
// current version of each object, pages ObjCurrent; other selections page
// every version (ObjObject) and choose among them. The store's keyset
// (store.Pager) makes the last page of a hundred thousand objects as
// quick as the first.
func (b taxiiBackend) Objects(ctx context.Context, who any, root, collID string, f taxii.Filter) (taxii.Page, error) {
	p, c, err := b.collection(ctx, who, root, collID)
	if err != nil {
		return taxii.Page{}, err
	}
	v := b.s.view(p)
	kind := intel.ObjObject
	if lastOnly(f.Versions) {
		kind = intel.ObjCurrent
	}
	sel := &selector{ctx: ctx, v: v, coll: c.name, f: f, current: kind == intel.ObjCurrent, versions: map[string][]string{}}
	at := start
	if f.Next != "" {
		if at, err = decodeNext(f.Next, kind, c.name); err != nil {
			return taxii.Page{}, err
		}
	}
	if f.IDs != nil && len(f.IDs) <= directIDs {
		return b.byID(sel, kind, at, f)
	}
	if f.Next == "" && !f.AddedAfter.IsZero() {
		var none bool
		if at, none, err = b.startAfter(ctx, v, c, kind, f.AddedAfter); err != nil || none {
			return taxii.Page{}, err
		}
	}
	pager, ok := v.(store.Pager)
	if !ok {
		return taxii.Page{}, errors.New("taxii: the store's view does not page")
	}
	batch := min(max(f.Limit+1, 100), 1001)
	var (
		out     []taxii.Record
		last    cursor // of the last record kept
		scanned int
	)
	for {
		objs, err := pager.Page(ctx, kind, c.name, at.Seq, at.ID, batch)
		if err != nil {
			return taxii.Page{}, err
		}
		for _, o := range objs {
			at = cursor{Kind: kind, Coll: c.name, Seq: o.Seq, ID: o.ID}
			scanned++
			r, ok, err := sel.keep(o)
			if err != nil {
				return taxii.Page{}, err
			}
			if !ok {
				continue
			}
			if len(out) == f.Limit {
				return taxii.Page{Records: out, More: true, Next: encodeNext(last)}, nil
			}
			out, last = append(out, r), at
		}
		if len(objs) < batch {
			return taxii.Page{Records: out}, nil
		}
		if scanned >= scanBudget {
			// Enough read for one request: the client continues from
			// here, having been sent what matched so far.
			return taxii.Page{Records: out, More: true, Next: encodeNext(at)}, nil
		}
	}
}

// byID answers a query naming a few objects by looking each up, rather
// than scanning the collection for them.
func (b taxiiBackend) byID(sel *selector, kind string, at cursor, f taxii.Filter) (taxii.Page, error) {
	var objs []store.Object
	for _, id := range f.IDs {
		o, err := sel.v.Get(sel.ctx, intel.ObjCurrent, intel.CurrentID(sel.coll, id))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return taxii.Page{}, err
		}
		if kind == intel.ObjCurrent {
			objs = append(objs, o)
			continue
		}
		var cur intel.Stored
		if err := json.Unmarshal(o.Doc, &cur); err != nil {
			return taxii.Page{}, err
		}
		sel.versions[id] = cur.Versions
		for _, ver := range cur.Versions {
			vo, err := sel.v.Get(sel.ctx, intel.ObjObject, intel.ObjectID(sel.coll, id, ver))
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return taxii.Page{}, err
			}
			objs = append(objs, vo)
		}
	}
	slices.SortFunc(objs, func(a, b store.Object) int { return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.ID, b.ID)) })
	var page taxii.Page
	for _, o := range objs {
		if o.Seq < at.Seq || o.Seq == at.Seq && o.ID <= at.ID {
			continue
		}
		r, ok, err := sel.keep(o)
		if err != nil {
			return taxii.Page{}, err
		}
		if !ok {
			continue
		}
		if len(page.Records) == f.Limit {
			page.More = true
			break
		}
		page.Records = append(page.Records, r)
		at = cursor{Kind: kind, Coll: sel.coll, Seq: o.Seq, ID: o.ID}
	}
	if page.More {
		page.Next = encodeNext(at)
	}
	return page, nil
}

// startAfter finds where a query added_after t begins: after the last
// object of the entries before the first one that wrote into the
// collection after t. The collection's writers are its party's
// submissions or the releases, which are far fewer than their objects.
// none says that nothing was written after t.
func (b taxiiBackend) startAfter(ctx context.Context, v store.View, c taxiiColl, kind string, t time.Time) (cursor, bool, error) {
	writerKind, parent := intel.ObjRelease, intel.CollParent
	if c.name == intel.Submitted(c.party) {
		writerKind, parent = intel.ObjSubmission, c.party
	}
	var first int64 = -1
	for after := int64(-1); first < 0; {
		ws, err := v.List(ctx, writerKind, parent, after, 500)
		if err != nil {
			return cursor{}, false, err
		}
		for _, w := range ws {
			var at struct {
				At time.Time `json:"at"`
			}
			if err := json.Unmarshal(w.Doc, &at); err != nil {
				return cursor{}, false, err
			}
			if at.At.After(t) {
				first = w.Seq
				break
			}
		}
		if len(ws) < 500 {
			break
		}
		after = ws[len(ws)-1].Seq
	}
	if first < 0 {
		return cursor{}, true, nil
	}
	latest, ok := v.(store.Latest)
	if !ok {
		return start, false, nil
	}
	os, err := latest.Latest(ctx, kind, c.name, first, 1)
	if err != nil || len(os) == 0 {
		return start, false, err
	}
	return cursor{Kind: kind, Coll: c.name, Seq: os[0].Seq, ID: os[0].ID}, false, nil
}

// Delete is refused: the log keeps everything a party was given, and a
// projection of it cannot forget what the log holds.
func (b taxiiBackend) Delete(ctx context.Context, who any, root, collID, objectID string, f taxii.Filter) error {
	if _, _, err := b.collection(ctx, who, root, collID); err != nil {
		return err
	}
	return taxii.Explain(taxii.ErrForbidden, "nothing is deleted: the cell's signed log keeps every object it was given, "+
		"and a later version of an object (revoked: true, say) is how STIX withdraws one")
}

// stagedBundle is the bundle of a TAXII POST, as its poster will sign it.
// Its id is derived from the poster and the objects, so that posting the
// same envelope again stages nothing new and answers the same status.
func stagedBundle(member string, objects []json.RawMessage) []byte {
	h := sha256.New()
	h.Write([]byte("liaison taxii post v1\x00" + member + "\x00"))
	for _, o := range objects {
		h.Write(o)
		h.Write([]byte{0})
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var buf bytes.Buffer
	buf.WriteString(`{"type":"bundle","id":"bundle--` + formatUUID(u) + `","objects":[`)
	for i, o := range objects {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(o)
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

// Add stages a POST: the objects are checked as a STIX bundle, kept as a
// blob, and recorded by a server-signed intel.stage, for the poster to
// sign as an intel.submit. Only then do they enter the collection.
func (b taxiiBackend) Add(ctx context.Context, who any, root, collID string, objects []json.RawMessage) (taxii.Status, error) {
	p, _, err := b.collection(ctx, who, root, collID)
	if err != nil {
		return taxii.Status{}, err
	}
	if len(objects) > intel.MaxObjects {
		return taxii.Status{}, fmt.Errorf("%w: %d objects, at most %d in one post", taxii.ErrUnprocessable, len(objects), intel.MaxObjects)
	}
	bundle := stagedBundle(p.Member.ID, objects)
	if _, err := stix.ParseBundle(bundle); err != nil {
		return taxii.Status{}, fmt.Errorf("%w: %v", taxii.ErrUnprocessable, err)
	}
	sum := intel.BundleHash(bundle)
	if err := b.s.st.PutBlob(ctx, sum, bundle); err != nil {
		return taxii.Status{}, err
	}
	idem := sha256.Sum256([]byte("taxii stage\x00" + p.Member.ID + "\x00" + sum))
	res, err := b.s.led.SubmitServer(ctx, p.Cell, intel.KindStage, map[string]any{
		"id": "taxii-" + hex.EncodeToString(idem[:16]), "member": p.Member.ID, "sha256": sum, "count": len(objects)})
	switch {
	case errors.Is(err, cell.ErrInvalid), errors.Is(err, cell.ErrConflict):
		return taxii.Status{}, fmt.Errorf("%w: %v", taxii.ErrUnprocessable, err)
	case errors.Is(err, store.ErrPushback):
		return taxii.Status{}, taxii.ErrUnavailable
	case err != nil:
		return taxii.Status{}, err
	}
	if res.Duplicate {
		return b.status(ctx, p, res.Entry.Index)
	}
	return taxii.Status{ID: statusID(p.Cell, res.Entry.Index), State: taxii.StatusPending, RequestTimestamp: res.Entry.Time,
		TotalCount: len(objects), PendingCount: len(objects)}, nil
}

func (b taxiiBackend) Status(ctx context.Context, who any, root, id string) (taxii.Status, error) {
	p, err := principalOf(who, root)
	if err != nil {
		return taxii.Status{}, err
	}
	stage, ok := stageOfStatus(p.Cell, id)
	if !ok {
		return taxii.Status{}, taxii.ErrNotFound
	}
	return b.status(ctx, p, stage)
}

// status reads a staged post through the caller's view: its poster's
// party and the mediator see it.
func (b taxiiBackend) status(ctx context.Context, p *Principal, stage int64) (taxii.Status, error) {
	o, err := b.s.view(p).Get(ctx, intel.ObjStaged, strconv.FormatInt(stage, 10))
	if errors.Is(err, store.ErrNotFound) {
		return taxii.Status{}, taxii.ErrNotFound
	}
	if err != nil {
		return taxii.Status{}, err
	}
	var st intel.Staged
	if err := json.Unmarshal(o.Doc, &st); err != nil {
		return taxii.Status{}, err
	}
	return stagedStatus(p.Cell, st), nil
}

func stagedStatus(cellID string, st intel.Staged) taxii.Status {
	out := taxii.Status{ID: statusID(cellID, st.ID), State: taxii.StatusPending, RequestTimestamp: st.At,
		TotalCount: st.Count, PendingCount: st.Count}
	if st.Submission != 0 {
		out.State, out.PendingCount, out.SuccessCount = taxii.StatusComplete, 0, st.Count
	}
	return out
}

// StagedPost is a TAXII post waiting for (or having had) its poster's
// signature, as GET /api/v1/intel/staged lists it.
type StagedPost struct {
	intel.Staged
	// Status is the TAXII status resource's id, State its state.
	Status string `json:"status"`
	State  string `json:"state"`
}

func stagedPost(cellID string, st intel.Staged) StagedPost {
	ts := stagedStatus(cellID, st)
	return StagedPost{Staged: st, Status: ts.ID, State: ts.State}
}

// listStaged lists the signed-in member's TAXII posts, newest last, for
// the page (or the CLI) that signs them.
func (s *Server) listStaged(w http.ResponseWriter, r *http.Request, p *Principal) error {
	after := int64(-1)
	if a := r.URL.Query().Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < -1 {
			return badRequest("after: a log index")
		}
		after = n
	}
	const limit = 200
	os, err := s.view(p).List(r.Context(), intel.ObjStaged, p.Member.ID, after, limit+1)
	if err != nil {
		return err
	}
	out := struct {
		Staged []StagedPost `json:"staged"`
		Next   string       `json:"next,omitempty"`
	}{Staged: []StagedPost{}}
	if len(os) > limit {
		os = os[:limit]
		out.Next = strconv.FormatInt(os[limit-1].Seq, 10)
	}
	for _, o := range os {
		var st intel.Staged
		if err := json.Unmarshal(o.Doc, &st); err != nil {
			return err
		}
		out.Staged = append(out.Staged, stagedPost(p.Cell, st))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// stagedBundle answers the exact bytes a TAXII post staged, for its poster
// to sign (IntelStagedBundle).
func (s *Server) stagedBundle(w http.ResponseWriter, r *http.Request, p *Principal) error {
	id, err := pathID(r, "staged")
	if err != nil {
		return err
	}
	b, err := s.IntelStagedBundle(r, p, id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", taxii.STIXMediaType)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b) //nolint:errcheck
	return nil
}
