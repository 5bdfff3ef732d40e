package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
)

func TestMembersOfAnotherPartyAreHidden(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		type list struct {
			Members []cell.Member `json:"members"`
		}
		for _, who := range []string{"sy.duty", "sy.military", "jo.duty"} {
			c := ts.login(t, who)
			own := who[:2]
			wantType(t, c.get(t, "/api/v1/members?party=il"), http.StatusForbidden, "forbidden")
			wantType(t, c.get(t, "/api/v1/members?party=us"), http.StatusForbidden, "forbidden")
			var l list
			c.getJSON(t, "/api/v1/members", &l)
			if len(l.Members) != 5 {
				t.Errorf("%s lists %d members, want the 5 of %s", who, len(l.Members), own)
			}
			for _, m := range l.Members {
				if m.Party != own {
					t.Errorf("%s lists %s of party %s", who, m.ID, m.Party)
				}
			}
			// A hidden member and a missing one look the same.
			hidden := wantType(t, c.get(t, "/api/v1/members/il.duty"), http.StatusNotFound, "not-found")
			missing := wantType(t, c.get(t, "/api/v1/members/il.nobody"), http.StatusNotFound, "not-found")
			if hidden.Title != missing.Title {
				t.Errorf("hidden member %+v, missing member %+v", hidden, missing)
			}
			var m cell.Member
			c.getJSON(t, "/api/v1/members/"+own+".diplomatic", &m)
			if m.ID != own+".diplomatic" {
				t.Errorf("%s reads own party's member as %+v", who, m)
			}
		}
		// The mediator reads every roster, even without admin role.
		for _, who := range []string{"us.duty", "us.commercial"} {
			c := ts.login(t, who)
			var l list
			c.getJSON(t, "/api/v1/members", &l)
			// Four parties of five members, and the two regional partners'
			// duty officers and commercial desks.
			if len(l.Members) != 24 {
				t.Errorf("%s lists %d members, want all 24", who, len(l.Members))
			}
			c.getJSON(t, "/api/v1/members?party=sy", &l)
			if len(l.Members) != 5 {
				t.Errorf("%s lists %d members of sy, want 5", who, len(l.Members))
			}
			var m cell.Member
			c.getJSON(t, "/api/v1/members/il.duty", &m)
			if m.ID != "il.duty" || !m.Has(cell.RoleAdmin) {
				t.Errorf("%s reads il.duty as %+v", who, m)
			}
		}
	})
}

// refusal is a command some actor must not be able to make.
type refusal struct {
	name, actor  string
	method, path string
	kind         string
	fields       map[string]any
	status       int
}

func TestRefusedCommands(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		ilKey := ts.deviceKey(t, "il.military").ID()
		syDutyKey := ts.deviceKey(t, "sy.duty").ID()
		lebanon := map[string]any{"id": "lb", "name": "Lebanon", "kind": cell.Side, "time_zone": "Asia/Beirut"}
		cases := []refusal{
			{"sy admin creates a member of il", "sy.duty", "POST", "/api/v1/members", cell.KindMemberCreate,
				map[string]any{"member": member("il.mole", "il", cell.RoleIntelligence)}, 403},
			{"sy admin creates a member of il by /entries", "sy.duty", "POST", "/api/v1/entries", cell.KindMemberCreate,
				map[string]any{"member": member("il.mole", "il", cell.RoleIntelligence)}, 403},
			{"sy admin creates a member of the mediator", "sy.duty", "POST", "/api/v1/members", cell.KindMemberCreate,
				map[string]any{"member": member("us.mole", "us", cell.RoleAdmin)}, 403},
			{"sy admin updates a member of il", "sy.duty", "PUT", "/api/v1/members/il.military", cell.KindMemberUpdate,
				map[string]any{"member": member("il.military", "il", cell.RoleMilitary, cell.RoleAdmin)}, 403},
			{"sy admin disables il's admin", "sy.duty", "PUT", "/api/v1/members/il.duty", cell.KindMemberUpdate,
				map[string]any{"member": map[string]any{"id": "il.duty", "name": "x", "roles": []string{}, "disabled": true}}, 403},
			{"sy admin disables il's admin by /entries", "sy.duty", "POST", "/api/v1/entries", cell.KindMemberUpdate,
				map[string]any{"member": map[string]any{"id": "il.duty", "name": "x", "roles": []string{}, "disabled": true}}, 403},
			{"sy admin moves a member to il", "sy.duty", "PUT", "/api/v1/members/sy.military", cell.KindMemberUpdate,
				map[string]any{"member": member("sy.military", "il", cell.RoleMilitary)}, 422},
			{"sy admin revokes il's key", "sy.duty", "POST", "/api/v1/keys/" + ilKey + "/revoke", cell.KindKeyRevoke,
				map[string]any{"key_id": ilKey}, 403},
			{"sy admin updates party il", "sy.duty", "PUT", "/api/v1/parties/il", cell.KindPartyUpdate,
				map[string]any{"party": map[string]any{"id": "il", "name": "x", "time_zone": "Asia/Jerusalem"}}, 403},
			{"sy desk creates a member of sy", "sy.military", "POST", "/api/v1/members", cell.KindMemberCreate,
				map[string]any{"member": member("sy.new", "sy", cell.RoleMilitary)}, 403},
			{"sy desk makes itself admin", "sy.military", "PUT", "/api/v1/members/sy.military", cell.KindMemberUpdate,
				map[string]any{"member": member("sy.military", "sy", cell.RoleMilitary, cell.RoleAdmin)}, 403},
			{"sy desk revokes its admin's key", "sy.military", "POST", "/api/v1/keys/" + syDutyKey + "/revoke", cell.KindKeyRevoke,
				map[string]any{"key_id": syDutyKey}, 403},
			{"sy desk renames its party", "sy.military", "PUT", "/api/v1/parties/sy", cell.KindPartyUpdate,
				map[string]any{"party": map[string]any{"id": "sy", "name": "x", "time_zone": "Asia/Damascus"}}, 403},
			{"il admin creates a party", "il.duty", "POST", "/api/v1/parties", cell.KindPartyCreate,
				map[string]any{"party": lebanon}, 403},
			{"il admin changes cell settings", "il.duty", "POST", "/api/v1/entries", cell.KindCellSettings,
				map[string]any{"settings": map[string]any{"max_clock_skew": 3600}}, 403},
			{"observer admin creates a member of il", "jo.duty", "POST", "/api/v1/members", cell.KindMemberCreate,
				map[string]any{"member": member("il.mole", "il")}, 403},
			{"mediator desk creates a party", "us.military", "POST", "/api/v1/parties", cell.KindPartyCreate,
				map[string]any{"party": lebanon}, 403},
			{"mediator admin creates a member of il, which has an admin", "us.duty", "POST", "/api/v1/members", cell.KindMemberCreate,
				map[string]any{"member": member("il.mole", "il", cell.RoleAdmin)}, 403},
			{"mediator admin updates a member of il", "us.duty", "PUT", "/api/v1/members/il.military", cell.KindMemberUpdate,
				map[string]any{"member": member("il.military", "il", cell.RoleMilitary, cell.RoleAdmin)}, 403},
			{"mediator admin revokes il's key", "us.duty", "POST", "/api/v1/keys/" + ilKey + "/revoke", cell.KindKeyRevoke,
				map[string]any{"key_id": ilKey}, 403},
			{"anyone creates a second mediator", "us.duty", "POST", "/api/v1/parties", cell.KindPartyCreate,
				map[string]any{"party": map[string]any{"id": "eu", "name": "EU", "kind": cell.Mediator, "time_zone": "Europe/Brussels"}}, 409},
		}
		size := ts.size(t)
		before := snapshot(t, ts)
		clients := map[string]*client{}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := clients[tc.actor]
				if c == nil {
					c = ts.login(t, tc.actor)
					clients[tc.actor] = c
				}
				r := c.submit(t, tc.method, tc.path, c.sign(tc.kind, tc.fields))
				p := wantProblem(t, r, tc.status)
				if tc.status == http.StatusForbidden && p.Type != api.ProblemTypeBase+"forbidden" {
					t.Errorf("type %s: %s", p.Type, p.Detail)
				}
			})
		}
		if n := ts.size(t); n != size {
			t.Errorf("refused commands appended %d entries", n-size)
		}
		if after := snapshot(t, ts); after != before {
			t.Errorf("refused commands changed the projections:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// snapshot renders the cell's projections, to see that nothing changed.
func snapshot(t testing.TB, ts *testServer) string {
	t.Helper()
	objs, err := ts.Store.Projection(context.Background(), seed.DemoCell)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	for _, o := range objs {
		s += o.Kind + "/" + o.ID + "=" + string(o.Doc) + ";"
	}
	return s
}

func TestPasswordReset(t *testing.T) {
	ts := newTestServer(t)
	syDuty := ts.login(t, "sy.duty")
	syMil := ts.login(t, "sy.military")
	// Another party's member is not even visible.
	wantType(t, syDuty.do(t, "POST", "/api/v1/members/il.military/password", nil), http.StatusNotFound, "not-found")
	wantType(t, ts.login(t, "us.duty").do(t, "POST", "/api/v1/members/il.military/password", nil), http.StatusForbidden, "forbidden")
	// A desk officer sees the roster but manages nobody.
	wantType(t, syMil.do(t, "POST", "/api/v1/members/sy.diplomatic/password", nil), http.StatusForbidden, "forbidden")
	if r := ts.tryLogin(t, "il.military", demoPassword); r.Status != http.StatusOK {
		t.Fatalf("refused resets changed a password: %s", r)
	}

	r := syDuty.do(t, "POST", "/api/v1/members/sy.military/password", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("reset by the party's admin: %s", r)
	}
	var pr struct{ Member, Password string }
	decode(t, r, &pr)
	if pr.Member != "sy.military" || len(pr.Password) < 12 {
		t.Fatalf("reset answer %s", r.Body)
	}
	wantProblem(t, syMil.get(t, "/api/v1/me"), http.StatusUnauthorized)
	wantType(t, ts.tryLogin(t, "sy.military", demoPassword), http.StatusUnauthorized, "bad-credentials")
	if r := ts.tryLogin(t, "sy.military", pr.Password); r.Status != http.StatusOK {
		t.Errorf("login with the new password: %s", r)
	}
}

func TestMediatorSeatsNewParty(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		us := ts.login(t, "us.duty")
		party := us.submitOK(t, "POST", "/api/v1/parties", us.sign(cell.KindPartyCreate, map[string]any{"party": map[string]any{
			"id": "lb", "name": "Lebanon", "kind": cell.Side, "time_zone": "Asia/Beirut"}}), http.StatusCreated)
		if !slices.Equal(party.Entry.Audience, []string{record.Everyone}) {
			t.Errorf("party.create audience %v, want everyone", party.Entry.Audience)
		}
		var p cell.Party
		ts.login(t, "il.military").getJSON(t, "/api/v1/parties/lb", &p)
		if p.Name != "Lebanon" || p.Kind != cell.Side || p.Num != 6 {
			t.Errorf("new party reads %+v", p)
		}

		// Its first admin is the mediator's to appoint...
		admin := us.createMember(t, "lb.duty", "lb", cell.RoleAdmin, cell.RoleDuty)
		if !slices.Equal(admin.Entry.Audience, []string{"lb", "us"}) {
			t.Errorf("member.create audience %v, want [lb us]", admin.Entry.Audience)
		}
		r := ts.tryLogin(t, "lb.duty", admin.InitialPassword)
		if r.Status != http.StatusOK {
			t.Fatalf("first admin's login: %s", r)
		}
		// ...and from then on the party manages its own members.
		wantType(t, us.submit(t, "POST", "/api/v1/members", us.sign(cell.KindMemberCreate, map[string]any{
			"member": member("lb.second", "lb", cell.RoleAdmin)})), http.StatusForbidden, "forbidden")
		var lr struct{ Token string }
		decode(t, r, &lr)
		k, env := registerKey(t, "lb laptop")
		lb := &client{ts: ts, member: "lb.duty", token: lr.Token, key: k}
		lb.submitOK(t, "POST", "/api/v1/keys", env, http.StatusCreated)
		lb.createMember(t, "lb.military", "lb", cell.RoleMilitary)
		// The admin of one party still cannot create members of another.
		wantType(t, lb.submit(t, "POST", "/api/v1/members", lb.sign(cell.KindMemberCreate, map[string]any{
			"member": member("lb.x", "sy")})), http.StatusForbidden, "forbidden")
	})
}

func TestEntryVisibility(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		// Fresh roster changes of two parties on top of the seed's.
		il := ts.login(t, "il.duty")
		il.createMember(t, "il.liaison", "il", cell.RoleDiplomatic)
		il.submitOK(t, "PUT", "/api/v1/members/il.liaison", il.sign(cell.KindMemberUpdate, map[string]any{
			"member": member("il.liaison", "il", cell.RoleDiplomatic, cell.RoleDuty)}), http.StatusOK)
		sy := ts.login(t, "sy.duty")
		sy.createMember(t, "sy.liaison", "sy", cell.RoleDiplomatic)

		all := ts.login(t, "us.military").entries(t)
		if n := ts.size(t); int64(len(all)) != n {
			t.Fatalf("the mediator lists %d entries of %d", len(all), n)
		}
		kinds := map[string]int{}
		for i, e := range all {
			if e.Index != int64(i) {
				t.Fatalf("the mediator's list has entry %d at position %d", e.Index, i)
			}
			kinds[e.Kind]++
			// The audience the docs promise, kind by kind.
			switch e.Kind {
			case cell.KindCellCreate, cell.KindPartyCreate, cell.KindKeyRegister:
				if !slices.Equal(e.Audience, []string{record.Everyone}) {
					t.Errorf("entry %d (%s) audience %v, want everyone", i, e.Kind, e.Audience)
				}
			case cell.KindMemberCreate, cell.KindMemberUpdate:
				var p struct{ Member cell.Member }
				if err := json.Unmarshal(e.Payload, &p); err != nil {
					t.Fatal(err)
				}
				party := p.Member.Party
				if party == "" {
					party = e.Party
				}
				want := []string{party, "us"}
				slices.Sort(want)
				want = slices.Compact(want)
				if !slices.Equal(e.Audience, want) {
					t.Errorf("entry %d (%s of %s) audience %v, want %v", i, e.Kind, p.Member.ID, e.Audience, want)
				}
			}
		}
		if kinds[cell.KindMemberCreate] != 26 || kinds[cell.KindMemberUpdate] != 1 || kinds[cell.KindKeyRegister] != 24 || kinds[cell.KindPartyCreate] != 6 || len(kinds) < 8 {
			t.Fatalf("entry kinds %v", kinds)
		}

		for _, who := range []string{"il.military", "sy.duty", "jo.duty", "us.duty"} {
			c := ts.login(t, who)
			party := who[:2]
			var want []int64
			for _, e := range all {
				if party == "us" || slices.Contains(e.Audience, record.Everyone) || slices.Contains(e.Audience, party) {
					want = append(want, e.Index)
				}
			}
			var got []int64
			for _, e := range c.entries(t) {
				got = append(got, e.Index)
				if (e.Kind == cell.KindMemberCreate || e.Kind == cell.KindMemberUpdate) && party != "us" && !slices.Contains(e.Audience, party) {
					t.Errorf("%s lists entry %d, %s of another party", who, e.Index, e.Kind)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s lists entries %v\nwant %v", who, got, want)
			}

			var leaves struct{ Leaves []string }
			c.getJSON(t, "/api/v1/log/leaves?start=0&end="+strconv.Itoa(len(all)), &leaves)
			if len(leaves.Leaves) != len(all) {
				t.Fatalf("%d leaves for %d entries", len(leaves.Leaves), len(all))
			}
			for _, e := range all {
				path := "/api/v1/log/entries/" + strconv.FormatInt(e.Index, 10)
				r := c.get(t, path)
				if !slices.Contains(want, e.Index) {
					wantType(t, r, http.StatusForbidden, "forbidden")
					continue
				}
				if r.Status != http.StatusOK {
					t.Errorf("%s GET %s: %s", who, path, r)
					continue
				}
				var got api.EntryJSON
				decode(t, r, &got)
				data, err := base64.StdEncoding.DecodeString(got.LeafData)
				if err != nil {
					t.Fatal(err)
				}
				lh := record.LeafHash(data)
				if got.LeafHash != leaves.Leaves[e.Index] || base64.StdEncoding.EncodeToString(lh[:]) != got.LeafHash {
					t.Errorf("entry %d: leaf_data does not hash to leaf %d", e.Index, e.Index)
				}
				if got.Index != e.Index || got.Kind != e.Kind {
					t.Errorf("entry %d reads as %d %s", e.Index, got.Index, got.Kind)
				}
			}
		}
	})
}

func TestDisabledMemberLosesAccess(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		admin := ts.login(t, "il.duty")
		victim := ts.login(t, "il.military")
		if r := victim.get(t, "/api/v1/me"); r.Status != http.StatusOK {
			t.Fatalf("/me: %s", r)
		}
		disabled := member("il.military", "il", cell.RoleMilitary)
		disabled["disabled"] = true
		admin.submitOK(t, "PUT", "/api/v1/members/il.military", admin.sign(cell.KindMemberUpdate, map[string]any{"member": disabled}), http.StatusOK)

		wantProblem(t, victim.get(t, "/api/v1/me"), http.StatusUnauthorized)
		wantProblem(t, victim.submit(t, "POST", "/api/v1/entries", victim.sign(cell.KindPartyUpdate, map[string]any{
			"party": map[string]any{"id": "il", "name": "Israel", "time_zone": "Asia/Jerusalem"}})), http.StatusUnauthorized)
		wantType(t, ts.tryLogin(t, "il.military", demoPassword), http.StatusUnauthorized, "disabled")
		// Even a command that reaches the ledger another way is refused.
		_, err := ts.Ledger.Submit(context.Background(), seed.DemoCell, "il.military", victim.sign(cell.KindPartyUpdate, map[string]any{
			"party": map[string]any{"id": "il", "name": "Israel", "time_zone": "Asia/Jerusalem"}}))
		if err == nil {
			t.Error("a disabled member's command was appended")
		}

		// Re-enabled, the member signs in again; the old token stays dead.
		admin.submitOK(t, "PUT", "/api/v1/members/il.military", admin.sign(cell.KindMemberUpdate, map[string]any{
			"member": member("il.military", "il", cell.RoleMilitary)}), http.StatusOK)
		wantProblem(t, victim.get(t, "/api/v1/me"), http.StatusUnauthorized)
		if r := ts.login(t, "il.military").get(t, "/api/v1/me"); r.Status != http.StatusOK {
			t.Errorf("re-enabled member: %s", r)
		}
	})
}

func TestDisabledFlagAloneLocksOut(t *testing.T) {
	// authenticate reads the member's flag on every request: a member
	// disabled by an entry that did not pass through the API's token
	// revocation (a crash between the two, a rebuild) is still locked out.
	ts := newTestServer(t)
	victim := ts.login(t, "jo.military")
	admin := ts.deviceKey(t, "jo.duty")
	disabled := member("jo.military", "jo", cell.RoleMilitary)
	disabled["disabled"] = true
	env := record.Sign(cell.KindMemberUpdate, payload(map[string]any{"member": disabled}), admin.Private)
	if _, err := ts.Ledger.Submit(context.Background(), seed.DemoCell, "jo.duty", env); err != nil {
		t.Fatal(err)
	}
	wantType(t, victim.get(t, "/api/v1/me"), http.StatusUnauthorized, "disabled")
	wantType(t, victim.get(t, "/api/v1/stream?after=-1"), http.StatusUnauthorized, "disabled")
}
