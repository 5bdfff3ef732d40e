// Package seed creates cells: the bare cell that `liaison init` makes (a
// mediator and its first admin) and the demo cell of `liaison demo`.
package seed

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/store"
)

// PartySpec describes a party to create.
type PartySpec struct {
	ID, Name, Kind, TimeZone string
	Names                    map[string]string
}

// MemberSpec describes a member to create.
type MemberSpec struct {
	ID, Party, Name string
	Roles           []string
	Lang            string
}

// Login is a member's credentials as printed once.
type Login struct {
	Username string
	Password string
	Party    string
	Roles    []string
	KeyFile  string
}

// Seeder writes through a ledger.
type Seeder struct {
	Ledger   *ledger.Ledger
	Store    store.Store
	Password auth.Params
}

// CreateCell creates the cell and its log (entry 0).
func (s *Seeder) CreateCell(ctx context.Context, id, name, origin string, settings cell.Settings) error {
	return s.Ledger.Create(ctx, id, name, origin, settings)
}

// Party appends party.create, signed by the server.
func (s *Seeder) Party(ctx context.Context, cellID string, p PartySpec) error {
	_, err := s.Ledger.SubmitServer(ctx, cellID, cell.KindPartyCreate, map[string]any{
		"id":    "seed-party-" + p.ID,
		"party": cell.Party{ID: p.ID, Name: p.Name, Kind: p.Kind, TimeZone: p.TimeZone, Names: p.Names},
	})
	return err
}

// Member appends member.create, signed by the server, and sets the
// member's password (random when password is "").
func (s *Seeder) Member(ctx context.Context, cellID string, m MemberSpec, password string) (Login, error) {
	_, err := s.Ledger.SubmitServer(ctx, cellID, cell.KindMemberCreate, map[string]any{
		"id":     "seed-member-" + m.ID,
		"member": cell.Member{ID: m.ID, Party: m.Party, Name: m.Name, Roles: m.Roles, Lang: m.Lang},
	})
	if err != nil {
		return Login{}, fmt.Errorf("member %s: %w", m.ID, err)
	}
	if password == "" {
		password = auth.NewPassword()
	}
	h, err := auth.HashPassword(password, s.Password)
	if err != nil {
		return Login{}, err
	}
	if err := s.Store.PutCredential(ctx, store.Credential{Cell: cellID, Member: m.ID, Username: m.ID, Hash: h}); err != nil {
		return Login{}, err
	}
	return Login{Username: m.ID, Password: password, Party: m.Party, Roles: m.Roles}, nil
}

// DeviceKey makes a device key for member, registers it with a key.register
// entry signed by the key itself, and writes it to path (mode 0600).
func (s *Seeder) DeviceKey(ctx context.Context, cellID, member, path, label string) error {
	_, err := s.deviceKey(ctx, cellID, member, path, label)
	return err
}

func (s *Seeder) deviceKey(ctx context.Context, cellID, member, path, label string) (*record.DeviceKey, error) {
	k, err := record.NewDeviceKey()
	if err != nil {
		return nil, err
	}
	k.Member = member
	payload, _ := json.Marshal(map[string]any{
		"id": "seed-key-" + member, "time": time.Now().UTC(), "cell": cellID,
		"public_key": record.EncodePublicKey(k.Public()), "label": label,
	})
	env := record.Sign(cell.KindKeyRegister, payload, k.Private)
	if _, err := s.Ledger.Submit(ctx, cellID, member, env); err != nil {
		return nil, fmt.Errorf("key of %s: %w", member, err)
	}
	return k, k.WriteFile(path)
}

// As appends a command signed by a member's device key.
func (s *Seeder) As(ctx context.Context, cellID string, k *record.DeviceKey, kind string, fields map[string]any) (store.Result, error) {
	p := map[string]any{"id": ledger.NewID(), "time": time.Now().UTC(), "cell": cellID}
	for f, v := range fields {
		p[f] = v
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return store.Result{}, err
	}
	r, err := s.Ledger.Submit(ctx, cellID, k.Member, record.Sign(kind, payload, k.Private))
	if err != nil {
		return r, fmt.Errorf("%s by %s: %w", kind, k.Member, err)
	}
	return r, nil
}

// Init creates a bare cell: the mediator party and its first admin, whose
// credentials are returned once.
func (s *Seeder) Init(ctx context.Context, cellID, name, origin string, mediator PartySpec, admin MemberSpec) (Login, error) {
	if err := s.CreateCell(ctx, cellID, name, origin, cell.Settings{}); err != nil {
		return Login{}, err
	}
	mediator.Kind = cell.Mediator
	if err := s.Party(ctx, cellID, mediator); err != nil {
		return Login{}, err
	}
	admin.Party = mediator.ID
	if len(admin.Roles) == 0 {
		admin.Roles = []string{cell.RoleAdmin, cell.RoleDuty}
	}
	l, err := s.Member(ctx, cellID, admin, "")
	if err != nil {
		return Login{}, err
	}
	return l, s.Ledger.SignCheckpoint(ctx, cellID)
}

// DemoCell is the id of the demo cell.
const DemoCell = "il-sy"

// DemoParties are the demo's parties: the US mediates between Israel and
// Syria, and Jordan hosts the Amman cell as an observer.
var DemoParties = []PartySpec{
	{ID: "us", Name: "United States", Kind: cell.Mediator, TimeZone: "America/New_York",
		Names: map[string]string{"ar": "الولايات المتحدة", "he": "ארצות הברית"}},
	{ID: "il", Name: "Israel", Kind: cell.Side, TimeZone: "Asia/Jerusalem",
		Names: map[string]string{"ar": "إسرائيل", "he": "ישראל"}},
	{ID: "sy", Name: "Syria", Kind: cell.Side, TimeZone: "Asia/Damascus",
		Names: map[string]string{"ar": "سوريا", "he": "סוריה"}},
	{ID: "jo", Name: "Jordan", Kind: cell.Observer, TimeZone: "Asia/Amman",
		Names: map[string]string{"ar": "الأردن", "he": "ירדן"}},
}

// DemoFunders are the regional partners funding the economic zone's
// projects, who "declined to name any countries": observer parties with a
// duty officer and a commercial desk only.
var DemoFunders = []PartySpec{
	{ID: "rpa", Name: "Regional partner A", Kind: cell.Observer, TimeZone: "Asia/Riyadh",
		Names: map[string]string{"ar": "الشريك الإقليمي أ", "he": "שותף אזורי א"}},
	{ID: "rpb", Name: "Regional partner B", Kind: cell.Observer, TimeZone: "Asia/Dubai",
		Names: map[string]string{"ar": "الشريك الإقليمي ب", "he": "שותף אזורי ב"}},
}

var demoLang = map[string]string{"us": "en", "il": "he", "sy": "ar", "jo": "ar", "rpa": "ar", "rpb": "en"}

// Demo creates the demo cell "Israel–Syria liaison mechanism": its four
// parties; per party a duty officer (duty and admin) and an officer per
// desk; a device key per member under keyDir; the hotline's channels and
// glossary; and a drill, so that the screens are not empty (see drill).
// All members share password (random when ""). settings are the cell's
// rules after the drill. It returns the logins in a stable order.
func (s *Seeder) Demo(ctx context.Context, keyDir, password string, settings cell.Settings) ([]Login, error) {
	if password == "" {
		password = auth.NewPassword()
	}
	if settings.Region == nil {
		settings.Region = &DemoRegion
	}
	drillSettings := cell.Settings{AckDeadlines: map[string]int{"FLASH": 1}, Region: settings.Region}
	if err := s.CreateCell(ctx, DemoCell, "Israel–Syria liaison mechanism", "", drillSettings); err != nil {
		return nil, err
	}
	for _, p := range DemoParties {
		if err := s.Party(ctx, DemoCell, p); err != nil {
			return nil, err
		}
	}
	keys := map[string]*record.DeviceKey{}
	// seat gives each party a duty officer (duty and admin) and an officer
	// per desk, each with a device key.
	seat := func(ps []PartySpec, desks []string) ([]Login, error) {
		var logins []Login
		for _, p := range ps {
			specs := []MemberSpec{{ID: p.ID + ".duty", Party: p.ID, Name: p.Name + " duty officer", Roles: []string{cell.RoleDuty, cell.RoleAdmin}, Lang: demoLang[p.ID]}}
			for _, d := range desks {
				specs = append(specs, MemberSpec{ID: p.ID + "." + d, Party: p.ID, Name: p.Name + " " + d + " desk", Roles: []string{d}, Lang: demoLang[p.ID]})
			}
			for _, m := range specs {
				l, err := s.Member(ctx, DemoCell, m, password)
				if err != nil {
					return nil, err
				}
				l.KeyFile = filepath.Join(keyDir, m.ID+".key")
				k, err := s.deviceKey(ctx, DemoCell, m.ID, l.KeyFile, "demo CLI key")
				if err != nil {
					return nil, err
				}
				keys[m.ID] = k
				logins = append(logins, l)
			}
		}
		return logins, nil
	}
	logins, err := seat(DemoParties, cell.Desks)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		return nil, err
	}
	if err := s.channels(ctx); err != nil {
		return nil, err
	}
	if err := s.drill(ctx, keys); err != nil {
		return nil, err
	}
	if _, err := s.Ledger.SubmitServer(ctx, DemoCell, cell.KindCellSettings, map[string]any{"id": "seed-settings", "settings": settings}); err != nil {
		return nil, err
	}
	incident, err := s.deconfliction(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("de-escalation desk: %w", err)
	}
	if err := s.diplomacy(ctx, keys, incident); err != nil {
		return nil, fmt.Errorf("diplomatic desk: %w", err)
	}
	if err := s.intel(ctx, keys); err != nil {
		return nil, fmt.Errorf("intelligence desk: %w", err)
	}
	// The funders join last, so that the log's earlier entries keep their
	// places from one version of the demo to the next.
	for _, p := range DemoFunders {
		if err := s.Party(ctx, DemoCell, p); err != nil {
			return nil, err
		}
	}
	funders, err := seat(DemoFunders, []string{cell.RoleCommercial})
	if err != nil {
		return nil, err
	}
	logins = append(logins, funders...)
	if err := s.commerce(ctx, keys); err != nil {
		return nil, fmt.Errorf("commercial desk: %w", err)
	}
	// The cell's name in its other languages, as its admins would set it.
	if _, err := s.Ledger.SubmitServer(ctx, DemoCell, cell.KindCellRename, map[string]any{"id": "seed-names",
		"name": "Israel–Syria liaison mechanism", "names": map[string]string{"ar": "آلية الارتباط بين إسرائيل وسوريا", "he": "מנגנון הקישור ישראל–סוריה"}}); err != nil {
		return nil, err
	}
	return logins, s.Ledger.SignCheckpoint(ctx, DemoCell)
}
