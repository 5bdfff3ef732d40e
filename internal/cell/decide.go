package cell

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// Command is one signed command being decided.
type Command struct {
	Ctx     context.Context
	View    store.View
	Entry   *record.Entry // Member, Party and KeyID are set; Index is not yet
	Payload []byte
	Actor   Actor
}

// Decode reads the payload into v strictly: unknown fields are an error, so
// a misspelt field is not silently dropped from the record; and so are a
// field named in another case or given twice, which other readers of the
// signed payload may take differently (see exactKeys).
func (c *Command) Decode(v any) error {
	dec := json.NewDecoder(bytes.NewReader(c.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("%s payload: %v", c.Entry.Envelope.Kind(), err)
	}
	if err := exactKeys(c.Payload, reflect.TypeOf(v)); err != nil {
		return invalid("%s payload: %v", c.Entry.Envelope.Kind(), err)
	}
	return nil
}

// Handler decides one kind of command.
type Handler func(c *Command) (store.Effect, error)

// Registry maps command kinds to their handlers; each domain package adds
// its own.
type Registry struct {
	m         map[string]Handler
	bulk      map[string]bool
	replay    map[string]Handler
	followers []Follower
}

// Follower keeps something derived from a cell's committed projection
// outside the store, such as a spatial index held in memory. The ledger
// calls it when it opens a cell and after every commit, with the committed
// view and the log's size; rebuild calls it as it replays. A follower must
// tolerate being called again at a size it has seen, and its decisions
// must not depend on how far it has followed: a handler that reads it also
// reads the view for what was written since.
type Follower func(ctx context.Context, cellID string, v store.View, size int64) error

// Follow adds a follower.
func (r *Registry) Follow(f Follower) { r.followers = append(r.followers, f) }

// Committed brings every follower up to size.
func (r *Registry) Committed(ctx context.Context, cellID string, v store.View, size int64) error {
	var errs []error
	for _, f := range r.followers {
		errs = append(errs, f(ctx, cellID, v, size))
	}
	return errors.Join(errs...)
}

// NewRegistry returns a registry holding this package's commands.
func NewRegistry() *Registry {
	r := &Registry{m: map[string]Handler{}, bulk: map[string]bool{}, replay: map[string]Handler{}}
	r.Handle(KindCellCreate, cellCreate)
	r.Handle(KindCellSettings, cellSettings)
	r.Handle(KindCellRename, cellRename)
	r.Handle(KindPartyCreate, partyCreate)
	r.Handle(KindPartyUpdate, partyUpdate)
	r.Handle(KindMemberCreate, memberCreate)
	r.Handle(KindMemberUpdate, memberUpdate)
	r.Handle(KindKeyRegister, keyRegister)
	r.Handle(KindKeyVouch, keyVouch)
	r.Handle(KindKeyRevoke, keyRevoke)
	r.Handle(KindMemberSigninAlert, memberSigninAlert)
	r.Handle(KindWitnessRegister, witnessRegister)
	r.Handle(KindWitnessRevoke, witnessRevoke)
	r.Handle(KindWitnessAlarm, witnessAlarm)
	return r
}

// Handle registers h for kind.
func (r *Registry) Handle(kind string, h Handler) {
	if _, dup := r.m[kind]; dup {
		panic("cell: kind registered twice: " + kind)
	}
	r.m[kind] = h
}

// HandleBulk registers h for kind, a command whose envelope may be up to
// record.MaxBulkEnvelopeSize: its content must be in the log to be decided
// on (a STIX bundle), where every other command stays within
// record.MaxEnvelopeSize and puts what is large in a blob.
func (r *Registry) HandleBulk(kind string, h Handler) {
	r.Handle(kind, h)
	r.bulk[kind] = true
}

// HandleReplay registers how an entry of kind, which the cell accepted, is
// projected for a reader who does not read what its decision needed: a
// party's mirror, which holds only its party's entries, replays an
// intelligence release without the mediator's proposal behind it, a
// published total without the confidential pledges. h derives the changes
// the reader may read from the entry alone (its payload, its logged
// audience, its position) and judges nothing again: the cell judged it,
// and the entry is in a log the mirror verified. It must give the logged
// audience. A kind without one is kept unprojected where its decision
// fails.
func (r *Registry) HandleReplay(kind string, h Handler) {
	if _, ok := r.m[kind]; !ok {
		panic("cell: a replay for a kind without a handler: " + kind)
	}
	r.replay[kind] = h
}

// Replay returns the replay of e (HandleReplay), false when its kind has
// none. It checks nothing of the signer beyond what the view says of them:
// the cell checked it.
func (r *Registry) Replay(e *record.Entry) (func(context.Context, store.View) (store.Effect, error), bool) {
	h, ok := r.replay[e.Envelope.Kind()]
	if !ok {
		return nil, false
	}
	return func(ctx context.Context, v store.View) (store.Effect, error) {
		a, err := ActorFor(ctx, v, e.Member)
		if err != nil {
			return store.Effect{}, err
		}
		return h(&Command{Ctx: ctx, View: v, Entry: e, Payload: e.Envelope.Payload, Actor: a})
	}, true
}

// Bulk reports whether kind was registered with HandleBulk.
func (r *Registry) Bulk(kind string) bool { return r.bulk[kind] }

// Known reports whether kind has a handler.
func (r *Registry) Known(kind string) bool { _, ok := r.m[kind]; return ok }

// Decide returns the store decision for a verified entry: inside the
// appending transaction it checks that the signer may still act (member
// active, key unrevoked), then runs the kind's handler.
func (r *Registry) Decide(e *record.Entry) func(context.Context, store.View) (store.Effect, error) {
	return func(ctx context.Context, v store.View) (store.Effect, error) {
		kind := e.Envelope.Kind()
		h, ok := r.m[kind]
		if !ok {
			return store.Effect{}, invalid("unknown command kind %q", kind)
		}
		a, err := ActorFor(ctx, v, e.Member)
		if err != nil {
			return store.Effect{}, err
		}
		if !a.Server {
			if a.Member.Disabled {
				return store.Effect{}, forbidden("member %s is disabled", a.Member.ID)
			}
			if kind != KindKeyRegister {
				k, err := GetKey(ctx, v, e.KeyID)
				if err != nil || k.Member != a.Member.ID || k.Revoked {
					return store.Effect{}, forbidden("key %s is not an active key of member %s", e.KeyID, a.Member.ID)
				}
			}
		}
		return h(&Command{Ctx: ctx, View: v, Entry: e, Payload: e.Envelope.Payload, Actor: a})
	}
}

func unmarshal(o store.Object, v any) error {
	if err := json.Unmarshal(o.Doc, v); err != nil {
		return fmt.Errorf("projection %s/%s: %w", o.Kind, o.ID, err)
	}
	return nil
}

func put(kind, id, parent string, v any) store.Change {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return store.Change{Kind: kind, ID: id, Parent: parent, Doc: b}
}

// GetInfo reads the cell's constitution.
func GetInfo(ctx context.Context, v store.View) (Info, error) {
	return store.Memoized(v, "cell.info", []string{ObjCell}, func() (Info, error) {
		return getObj[Info](ctx, v, ObjCell, ObjCell)
	})
}

// getObj reads and decodes one projected object.
func getObj[T any](ctx context.Context, v store.View, kind, id string) (T, error) {
	var x T
	o, err := v.Get(ctx, kind, id)
	if err != nil {
		return x, err
	}
	return x, unmarshal(o, &x)
}

// GetParty reads one party.
func GetParty(ctx context.Context, v store.View, id string) (Party, error) {
	return getObj[Party](ctx, v, ObjParty, id)
}

// GetMember reads one member.
func GetMember(ctx context.Context, v store.View, id string) (Member, error) {
	return getObj[Member](ctx, v, ObjMember, id)
}

// GetKey reads one device key; Registered and RevokedAt come from the
// projection's log indexes.
func GetKey(ctx context.Context, v store.View, id string) (Key, error) {
	return store.Memoized(v, "cell.key/"+id, []string{ObjKey}, func() (Key, error) {
		var k Key
		o, err := v.Get(ctx, ObjKey, id)
		if err != nil {
			return k, err
		}
		return k, KeyFromObject(o, &k)
	})
}

// KeyFromObject decodes a projected key.
func KeyFromObject(o store.Object, k *Key) error {
	if err := unmarshal(o, k); err != nil {
		return err
	}
	k.Registered = o.Seq
	if k.Revoked {
		k.RevokedAt = o.Updated
	}
	return nil
}

// Members lists members, of one party when party is not "".
func Members(ctx context.Context, v store.View, party string) ([]Member, error) {
	objs, err := v.List(ctx, ObjMember, party, -1, 100000)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(objs))
	for _, o := range objs {
		var m Member
		if err := unmarshal(o, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

var slug = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// ValidID reports whether s can be a party or member id: lower-case
// letters, digits, '.', '_' and '-', starting with a letter or digit.
func ValidID(s string) bool { return slug.MatchString(s) }

func checkText(field, s string, max int, required bool) error {
	return CheckText(field, s, max, required)
}

// CheckText checks a text field of a command: present when required,
// valid UTF-8, at most max characters. The desks share it, so that a limit
// reads the same whatever desk refuses it.
func CheckText(field, s string, max int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return invalid("%s is required", field)
	}
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid("%s has %d characters; the limit is %d", field, n, max)
	}
	return nil
}

// Invalidf, Forbiddenf and Conflictf make the domain errors every desk
// returns, which the API maps to 422, 403 and 409.
func Invalidf(format string, a ...any) error   { return invalid(format, a...) }
func Forbiddenf(format string, a ...any) error { return forbidden(format, a...) }
func Conflictf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrConflict, fmt.Sprintf(format, a...))
}

func checkZone(tz string) error {
	if tz == "" {
		return invalid("time_zone is required (an IANA zone such as Asia/Jerusalem)")
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		return invalid("time_zone %q is not an IANA time zone", tz)
	}
	return nil
}

func checkRoles(roles []string) error {
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return invalid("unknown role %q (roles: %s)", r, strings.Join(Roles, ", "))
		}
	}
	return nil
}

// Precedences lists message precedences, highest first, with their default
// acknowledgement deadlines.
var Precedences = []string{"FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE"}

// DefaultAckDeadlines are the deadlines to acknowledge, in seconds.
var DefaultAckDeadlines = map[string]int{"FLASH": 600, "IMMEDIATE": 1800, "PRIORITY": 3 * 3600, "ROUTINE": 6 * 3600}

func checkSettings(s Settings) error {
	for p, d := range s.AckDeadlines {
		if !slices.Contains(Precedences, p) {
			return invalid("unknown precedence %q in ack_deadlines", p)
		}
		if d < 1 || d > 7*24*3600 {
			return invalid("ack deadline for %s must be between 1 second and 7 days", p)
		}
	}
	for _, t := range s.LinkTests {
		if _, err := time.Parse("15:04", t); err != nil || len(t) != 5 {
			return invalid("link test time %q: want HH:MM (UTC)", t)
		}
	}
	if s.LinkTestDeadline < 0 || s.LinkTestDeadline > 24*3600 {
		return invalid("link_test_deadline must be between 0 and 86400 seconds")
	}
	if s.MaxClockSkew < 0 || s.MaxClockSkew > 3600 {
		return invalid("max_clock_skew must be between 0 and 3600 seconds")
	}
	if s.MaxRelayAge < 0 || s.MaxRelayAge > int(MaxMaxRelayAge/time.Second) {
		return invalid("max_relay_age must be between 0 and %d seconds (30 days)", int(MaxMaxRelayAge/time.Second))
	}
	for name, d := range s.Deadlines {
		if !deadlineName.MatchString(name) {
			return invalid("deadline name %q: lower-case words joined by '.' or '_'", name)
		}
		if d < 1 || d > 366*24*3600 {
			return invalid("deadline %s must be between 1 second and a year", name)
		}
	}
	if r := s.Region; r != nil {
		switch {
		case !(r.South >= -90 && r.North <= 90 && r.South < r.North):
			return invalid("region: want -90 <= south < north <= 90 (degrees of latitude), got south %g, north %g", r.South, r.North)
		case !(r.West >= -180 && r.East <= 180 && r.West < r.East):
			return invalid("region: want -180 <= west < east <= 180 (degrees of longitude), got west %g, east %g", r.West, r.East)
		}
	}
	return nil
}

var deadlineName = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

type cellCreatePayload struct {
	record.Header
	Name      string   `json:"name"`
	Origin    string   `json:"origin"`
	NoteKey   string   `json:"note_key"`
	ServerKey string   `json:"server_key"`
	Settings  Settings `json:"settings"`
}

func cellCreate(c *Command) (store.Effect, error) {
	if !c.Actor.Server {
		return store.Effect{}, forbidden("only the server creates a cell")
	}
	if _, err := GetInfo(c.Ctx, c.View); err == nil {
		return store.Effect{}, fmt.Errorf("%w: the cell already exists", ErrConflict)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Effect{}, err
	}
	var p cellCreatePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("name", p.Name, 200, true); err != nil {
		return store.Effect{}, err
	}
	if !record.ValidOrigin(p.Origin) {
		return store.Effect{}, invalid("origin %q is not a valid log origin", p.Origin)
	}
	pub, err := record.DecodePublicKey(p.ServerKey)
	if err != nil {
		return store.Effect{}, invalid("server_key: %v", err)
	}
	if record.KeyID(pub) != c.Entry.KeyID {
		return store.Effect{}, invalid("cell.create must be signed by the server key it declares")
	}
	if err := checkSettings(p.Settings); err != nil {
		return store.Effect{}, err
	}
	info := Info{ID: c.Entry.Cell, Name: p.Name, Origin: p.Origin, NoteKey: p.NoteKey, ServerKey: p.ServerKey,
		ServerKeyID: c.Entry.KeyID, Settings: p.Settings, Created: p.Time.UTC()}
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjCell, ObjCell, "", info)}}, nil
}

type cellSettingsPayload struct {
	record.Header
	Settings Settings `json:"settings"`
}

func cellSettings(c *Command) (store.Effect, error) {
	if err := May(c.Actor, ManageParties, Target{}); err != nil {
		return store.Effect{}, err
	}
	var p cellSettingsPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkSettings(p.Settings); err != nil {
		return store.Effect{}, err
	}
	info, err := GetInfo(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	info.Settings = p.Settings
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjCell, ObjCell, "", info)}}, nil
}

type cellRenamePayload struct {
	record.Header
	Name  string            `json:"name"`
	Names map[string]string `json:"names,omitempty"`
}

// cellRename names the cell anew, in its languages: the mediator's admins
// may, as they set its rules.
func cellRename(c *Command) (store.Effect, error) {
	if err := May(c.Actor, ManageParties, Target{}); err != nil {
		return store.Effect{}, err
	}
	var p cellRenamePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if err := checkText("name", p.Name, 200, true); err != nil {
		return store.Effect{}, err
	}
	if err := checkNames("names", p.Names); err != nil {
		return store.Effect{}, err
	}
	info, err := GetInfo(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	info.Name, info.Names = p.Name, p.Names
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjCell, ObjCell, "", info)}}, nil
}

// Languages are the cell's working languages.
var Languages = []string{"en", "ar", "he"}

var langTag = regexp.MustCompile(`^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*$`)

// IsLangTag reports whether tag has the shape of a BCP 47 language tag
// (a language and subtags), which is all the cell needs to know of it.
func IsLangTag(tag string) bool { return langTag.MatchString(tag) }

func checkNames(field string, names map[string]string) error { return CheckNames(field, names) }

// CheckNames checks a name in other languages: keyed by a BCP 47 tag (the
// pages look up the base languages they speak, "ar", "he"), each a name
// of at most 200 characters, at most 16 of them.
func CheckNames(field string, names map[string]string) error {
	if len(names) > 16 {
		return invalid("%s: %d languages, at most 16", field, len(names))
	}
	for lang, n := range names {
		if !IsLangTag(lang) {
			return invalid("%s: %q is not a BCP 47 language tag", field, lang)
		}
		if err := checkText(field+"."+lang, n, 200, true); err != nil {
			return err
		}
	}
	return nil
}

type partyPayload struct {
	record.Header
	Party Party `json:"party"`
}

func partyCreate(c *Command) (store.Effect, error) {
	if err := May(c.Actor, ManageParties, Target{}); err != nil {
		return store.Effect{}, err
	}
	var p partyPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	np := p.Party
	if !ValidID(np.ID) {
		return store.Effect{}, invalid("party id %q: use lower-case letters, digits, '.', '_' or '-'", np.ID)
	}
	if err := checkText("party name", np.Name, 200, true); err != nil {
		return store.Effect{}, err
	}
	if err := checkNames("party names", np.Names); err != nil {
		return store.Effect{}, err
	}
	if err := checkZone(np.TimeZone); err != nil {
		return store.Effect{}, err
	}
	if !slices.Contains([]string{Mediator, Side, Observer}, np.Kind) {
		return store.Effect{}, invalid("party kind %q: want mediator, party or observer", np.Kind)
	}
	parties, err := Parties(c.Ctx, c.View)
	if err != nil {
		return store.Effect{}, err
	}
	for _, q := range parties {
		if q.ID == np.ID {
			return store.Effect{}, fmt.Errorf("%w: party %q already exists", ErrConflict, np.ID)
		}
		if np.Kind == Mediator && q.Kind == Mediator {
			return store.Effect{}, fmt.Errorf("%w: the cell already has a mediator (%s)", ErrConflict, q.ID)
		}
	}
	if len(parties) == 0 && np.Kind != Mediator {
		return store.Effect{}, invalid("the first party of a cell is its mediator")
	}
	if len(parties) >= MaxParties {
		return store.Effect{}, invalid("a cell has at most %d parties", MaxParties)
	}
	np.Num = len(parties)
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjParty, np.ID, "", np)}}, nil
}

func partyUpdate(c *Command) (store.Effect, error) {
	var p partyPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	old, err := GetParty(c.Ctx, c.View, p.Party.ID)
	if err != nil {
		return store.Effect{}, err
	}
	hasAdmin, err := PartyHasAdmin(c.Ctx, c.View, old.ID)
	if err != nil {
		return store.Effect{}, err
	}
	if err := May(c.Actor, ManageParty, Target{Party: old.ID, PartyHasAdmin: hasAdmin}); err != nil {
		if May(c.Actor, ManageParties, Target{}) != nil {
			return store.Effect{}, err
		}
	}
	if err := checkText("party name", p.Party.Name, 200, true); err != nil {
		return store.Effect{}, err
	}
	if err := checkNames("party names", p.Party.Names); err != nil {
		return store.Effect{}, err
	}
	if err := checkZone(p.Party.TimeZone); err != nil {
		return store.Effect{}, err
	}
	if p.Party.Kind != "" && p.Party.Kind != old.Kind {
		return store.Effect{}, invalid("a party's kind cannot change")
	}
	old.Name, old.TimeZone, old.Names = p.Party.Name, p.Party.TimeZone, p.Party.Names
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjParty, old.ID, "", old)}}, nil
}

type memberPayload struct {
	record.Header
	Member Member `json:"member"`
}

func memberAudience(c *Command, party string) ([]string, uint64, error) {
	parties, err := Parties(c.Ctx, c.View)
	if err != nil {
		return nil, 0, err
	}
	return Audience(parties, party)
}

func memberCreate(c *Command) (store.Effect, error) {
	var p memberPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	m := p.Member
	if !ValidID(m.ID) {
		return store.Effect{}, invalid("member id %q: use lower-case letters, digits, '.', '_' or '-'", m.ID)
	}
	if _, err := GetParty(c.Ctx, c.View, m.Party); err != nil {
		return store.Effect{}, invalid("no party %q in this cell", m.Party)
	}
	hasAdmin, err := PartyHasAdmin(c.Ctx, c.View, m.Party)
	if err != nil {
		return store.Effect{}, err
	}
	if err := May(c.Actor, ManageMembers, Target{Party: m.Party, PartyHasAdmin: hasAdmin}); err != nil {
		return store.Effect{}, err
	}
	if _, err := GetMember(c.Ctx, c.View, m.ID); err == nil {
		return store.Effect{}, fmt.Errorf("%w: member %q already exists", ErrConflict, m.ID)
	}
	if err := checkMember(&m); err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := memberAudience(c, m.Party)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjMember, m.ID, m.Party, m)}}, nil
}

func checkMember(m *Member) error {
	if err := checkText("member name", m.Name, 200, true); err != nil {
		return err
	}
	if err := checkRoles(m.Roles); err != nil {
		return err
	}
	if m.Lang != "" && !slices.Contains([]string{"en", "ar", "he"}, m.Lang) {
		return invalid("lang %q: want en, ar or he", m.Lang)
	}
	slices.Sort(m.Roles)
	m.Roles = slices.Compact(m.Roles)
	if m.Roles == nil {
		m.Roles = []string{}
	}
	return nil
}

func memberUpdate(c *Command) (store.Effect, error) {
	var p memberPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	old, err := GetMember(c.Ctx, c.View, p.Member.ID)
	if err != nil {
		return store.Effect{}, err
	}
	if p.Member.Party != "" && p.Member.Party != old.Party {
		return store.Effect{}, invalid("a member cannot move to another party")
	}
	hasAdmin, err := PartyHasAdmin(c.Ctx, c.View, old.Party)
	if err != nil {
		return store.Effect{}, err
	}
	if err := May(c.Actor, ManageMembers, Target{Party: old.Party, PartyHasAdmin: hasAdmin}); err != nil {
		return store.Effect{}, err
	}
	m := p.Member
	m.Party = old.Party
	if err := checkMember(&m); err != nil {
		return store.Effect{}, err
	}
	aud, mask, err := memberAudience(c, m.Party)
	if err != nil {
		return store.Effect{}, err
	}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjMember, m.ID, m.Party, m)}}, nil
}

// KeyRegisterPayload is the payload of key.register. The envelope is signed
// by the key being registered (proof of possession); the session says whose.
// Member, when set, names the member the key is for: a registration sent
// at the cell may name its sender only, and one a party's mirror carries
// in a key.vouch must name its member, so that the key itself says whose
// it is and the admin cannot give it to another.
type KeyRegisterPayload struct {
	record.Header
	PublicKey string `json:"public_key"`
	Label     string `json:"label,omitempty"`
	Member    string `json:"member,omitempty"`
}

func keyRegister(c *Command) (store.Effect, error) {
	if c.Actor.Server {
		return store.Effect{}, forbidden("device keys belong to members")
	}
	var p KeyRegisterPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	if p.Member != "" && p.Member != c.Actor.Member.ID {
		return store.Effect{}, invalid("the key.register names member %s, but member %s sends it", p.Member, c.Actor.Member.ID)
	}
	k, err := newKey(c, p, c.Entry.KeyID, *c.Actor.Member)
	if err != nil {
		return store.Effect{}, err
	}
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjKey, k.ID, k.Member, k)}}, nil
}

// newKey is member's key that p registers, signed by key signedBy, if it
// may be: the key's own signature, a label that fits, a key not known.
func newKey(c *Command, p KeyRegisterPayload, signedBy string, member Member) (Key, error) {
	pub, err := record.DecodePublicKey(p.PublicKey)
	if err != nil {
		return Key{}, invalid("public_key: %v", err)
	}
	id := record.KeyID(pub)
	if id != signedBy {
		return Key{}, invalid("key.register must be signed by the key it registers")
	}
	if err := checkText("label", p.Label, 100, false); err != nil {
		return Key{}, err
	}
	if _, err := GetKey(c.Ctx, c.View, id); err == nil {
		return Key{}, fmt.Errorf("%w: key %s is already registered", ErrConflict, id)
	}
	return Key{ID: id, Member: member.ID, Party: member.Party, Public: p.PublicKey, Label: p.Label}, nil
}

// KeyVouchPayload is the payload of key.vouch: an admin of a party
// registers a device key for one of its members who signed in at the
// party's mirror, where the cell cannot see their session. Registration
// is the member's own key.register envelope, kept whole: signed by the
// key it registers and naming the member, it is the key's proof of
// possession that anyone can check; the vouch's signature is the admin's
// word that the member holds it.
type KeyVouchPayload struct {
	record.Header
	Registration json.RawMessage `json:"registration"`
}

// OpenVouch returns the registration a key.vouch payload carries
// (OpenRegistration).
func OpenVouch(cellID string, p KeyVouchPayload) (*record.Envelope, KeyRegisterPayload, error) {
	if len(p.Registration) == 0 {
		return nil, KeyRegisterPayload{}, invalid("registration: missing")
	}
	return OpenRegistration(cellID, p.Registration)
}

// OpenRegistration parses raw, a member's key.register to be carried in a
// key.vouch, and checks what the registration must say for itself: its
// kind, its cell, the member it names, and its signature with the key it
// registers. Whether the member may have it is the vouch's decision.
func OpenRegistration(cellID string, raw []byte) (*record.Envelope, KeyRegisterPayload, error) {
	var reg KeyRegisterPayload
	env, err := record.ParseEnvelope(raw)
	if err != nil {
		return nil, reg, invalid("registration: %v", err)
	}
	if env.Kind() != KindKeyRegister {
		return nil, reg, invalid("registration: a %s, not a %s", env.Kind(), KindKeyRegister)
	}
	if len(env.Signatures) != 1 {
		return nil, reg, invalid("registration: want exactly one signature")
	}
	if err := json.Unmarshal(env.Payload, &reg); err != nil {
		return nil, reg, invalid("registration payload: %v", err)
	}
	if err := exactKeys(env.Payload, reflect.TypeOf(&reg)); err != nil {
		return nil, reg, invalid("registration payload: %v", err)
	}
	if reg.Cell != cellID {
		return nil, reg, invalid("registration: signed for cell %q", reg.Cell)
	}
	if reg.Member == "" {
		return nil, reg, invalid("registration: names no member: a vouched key must say whose it is")
	}
	pub, err := record.DecodePublicKey(reg.PublicKey)
	if err != nil {
		return nil, reg, invalid("registration public_key: %v", err)
	}
	if record.KeyID(pub) != env.Signatures[0].KeyID {
		return nil, reg, invalid("key.register must be signed by the key it registers")
	}
	if err := env.Verify(pub); err != nil {
		return nil, reg, invalid("registration: %v", err)
	}
	return env, reg, nil
}

func keyVouch(c *Command) (store.Effect, error) {
	var p KeyVouchPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	env, reg, err := OpenVouch(c.Entry.Cell, p)
	if err != nil {
		return store.Effect{}, err
	}
	m, err := GetMember(c.Ctx, c.View, reg.Member)
	if errors.Is(err, store.ErrNotFound) {
		return store.Effect{}, invalid("registration: member %s is not a member of this cell", reg.Member)
	} else if err != nil {
		return store.Effect{}, err
	}
	if err := May(c.Actor, VouchKey, Target{Member: &m}); err != nil {
		return store.Effect{}, err
	}
	k, err := newKey(c, reg, env.Signatures[0].KeyID, m)
	if err != nil {
		return store.Effect{}, err
	}
	k.VouchedBy = c.Actor.Member.ID
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjKey, k.ID, k.Member, k)}}, nil
}

// KeyRevokePayload is the payload of key.revoke.
type KeyRevokePayload struct {
	record.Header
	KeyID  string `json:"key_id"`
	Reason string `json:"reason,omitempty"`
}

func keyRevoke(c *Command) (store.Effect, error) {
	var p KeyRevokePayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	k, err := GetKey(c.Ctx, c.View, p.KeyID)
	if err != nil {
		return store.Effect{}, err
	}
	if err := May(c.Actor, RevokeKey, Target{Key: &k}); err != nil {
		return store.Effect{}, err
	}
	if k.Revoked {
		return store.Effect{}, fmt.Errorf("%w: key %s is already revoked", ErrConflict, k.ID)
	}
	if err := checkText("reason", p.Reason, 500, false); err != nil {
		return store.Effect{}, err
	}
	k.Revoked = true
	k.Registered, k.RevokedAt = 0, 0
	aud, mask := Everyone()
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjKey, k.ID, k.Member, k)}}, nil
}

// SigninAlertPayload is the payload of member.signin_alert.
type SigninAlertPayload struct {
	record.Header
	Member    string    `json:"member"`
	Failures  int       `json:"failures"`
	Addresses int       `json:"addresses"`
	Since     time.Time `json:"since"`
	Threshold int       `json:"threshold"`
}

// memberSigninAlert records that a member's sign-ins keep failing. Only
// the server knows, so only the server says it; the member's own party
// and the mediator read it, as they read the member's roster entry.
func memberSigninAlert(c *Command) (store.Effect, error) {
	if !c.Actor.Server {
		return store.Effect{}, forbidden("only the server reports failed sign-ins")
	}
	var p SigninAlertPayload
	if err := c.Decode(&p); err != nil {
		return store.Effect{}, err
	}
	m, err := GetMember(c.Ctx, c.View, p.Member)
	if errors.Is(err, store.ErrNotFound) {
		return store.Effect{}, invalid("no member %q", p.Member)
	} else if err != nil {
		return store.Effect{}, err
	}
	switch {
	case p.Threshold < 1 || p.Failures < p.Threshold:
		return store.Effect{}, invalid("failures %d, threshold %d: an alert reports at least its threshold, at least 1", p.Failures, p.Threshold)
	case p.Addresses < 1 || p.Addresses > p.Failures:
		return store.Effect{}, invalid("%d addresses for %d failures", p.Addresses, p.Failures)
	case p.Since.IsZero() || p.Since.After(p.Time):
		return store.Effect{}, invalid("since must be a time before the alert's own")
	}
	aud, mask, err := memberAudience(c, m.Party)
	if err != nil {
		return store.Effect{}, err
	}
	a := SigninAlert{Member: m.ID, Party: m.Party, Failures: p.Failures, Addresses: p.Addresses,
		Since: p.Since.UTC(), Threshold: p.Threshold, At: p.Time.UTC()}
	return store.Effect{Audience: aud, Mask: mask, Changes: []store.Change{put(ObjSigninAlert, p.ID, m.Party, a)}}, nil
}
