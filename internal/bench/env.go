// Package bench measures Liaison end to end over HTTP on loopback: signed
// message ingest with many concurrent senders, and fan-out latency to many
// stream subscribers. `liaison bench` runs it; BENCHMARKS.md records it.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/liaison-cell/liaison/internal/api"
	"github.com/liaison-cell/liaison/internal/auth"
	"github.com/liaison-cell/liaison/internal/cell"
	"github.com/liaison-cell/liaison/internal/hotline"
	"github.com/liaison-cell/liaison/internal/ledger"
	"github.com/liaison-cell/liaison/internal/record"
	"github.com/liaison-cell/liaison/internal/seed"
	"github.com/liaison-cell/liaison/internal/store"
	"github.com/liaison-cell/liaison/internal/store/postgres"
	"github.com/liaison-cell/liaison/internal/store/sqlite"
)

// Password of every member of the bench cell.
const Password = "bench-password-not-secret"

// Env is a seeded server on loopback.
type Env struct {
	URL      string
	Cell     string
	Keys     map[string]*record.DeviceKey
	Backend  string
	dir      string
	st       store.Store
	led      *ledger.Ledger
	srv      *api.Server
	hs       *http.Server
	dropPG   func()
	Registry *cell.Registry
}

// Setup seeds the demo cell into a fresh store — a temporary SQLite data
// directory, or a new schema in the PostgreSQL database at pgURL — and
// serves it on 127.0.0.1.
func Setup(ctx context.Context, pgURL string, registry *cell.Registry) (*Env, error) {
	dir, err := os.MkdirTemp("", "liaison-bench-")
	if err != nil {
		return nil, err
	}
	e := &Env{dir: dir, Cell: seed.DemoCell, Registry: registry, Backend: "sqlite"}
	if pgURL != "" {
		e.Backend = "postgres"
		schemaURL, drop, err := freshSchema(ctx, pgURL)
		if err != nil {
			return nil, err
		}
		e.dropPG = drop
		if e.st, err = postgres.Open(ctx, schemaURL); err != nil {
			drop()
			return nil, err
		}
	} else if e.st, err = sqlite.Open(ctx, filepath.Join(dir, "data")); err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if e.led, err = ledger.New(ledger.Config{Store: e.st, Registry: registry, Logger: quiet}); err != nil {
		return nil, err
	}
	sd := &seed.Seeder{Ledger: e.led, Store: e.st, Password: auth.TestParams}
	logins, err := sd.Demo(ctx, filepath.Join(dir, "keys"), Password, cell.Settings{})
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Keys = map[string]*record.DeviceKey{}
	for _, l := range logins {
		k, err := record.ReadDeviceKey(l.KeyFile)
		if err != nil {
			return nil, err
		}
		k.Member = l.Username
		e.Keys[l.Username] = k
	}
	// Observers hear the general channel too, so that fan-out reaches all
	// four parties.
	// The invitation restates the channel's titles, as the invited party
	// keeps them.
	general := seed.DemoChannels[slices.IndexFunc(seed.DemoChannels, func(c hotline.Channel) bool { return c.ID == "joint-general" })]
	if _, err := e.led.SubmitServer(ctx, e.Cell, hotline.KindChannelInvite, map[string]any{"channel": general.ID, "party": "jo",
		"title": general.Title, "titles": general.Titles}); err != nil {
		return nil, err
	}
	if e.srv, err = api.New(api.Config{Ledger: e.led, DefaultCell: e.Cell, Logger: quiet, Password: auth.TestParams,
		LoginBurst: 1 << 20, LoginInterval: time.Microsecond}); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.URL = "http://" + ln.Addr().String()
	e.hs = e.srv.HTTPServer()
	go e.hs.Serve(ln) //nolint:errcheck
	return e, nil
}

func freshSchema(ctx context.Context, pgURL string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "liaison_bench_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	conn.Close(ctx)
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		c, err := pgx.Connect(context.Background(), pgURL)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") //nolint:errcheck
			c.Close(context.Background())
		}
	}
	return u.String(), drop, nil
}

// Close stops the server and removes its data.
func (e *Env) Close() {
	if e.hs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		e.hs.Shutdown(ctx) //nolint:errcheck
		cancel()
	}
	if e.srv != nil {
		e.srv.Close()
	}
	if e.led != nil {
		e.led.Close()
	}
	if e.st != nil {
		e.st.Close()
	}
	if e.dropPG != nil {
		e.dropPG()
	}
	os.RemoveAll(e.dir)
}

// Login returns a bearer token for member.
func (e *Env) Login(ctx context.Context, member string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": member, "password": Password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/api/v1/auth/login", bytes.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login %s: status %s", member, resp.Status)
	}
	return out.Token, nil
}

// message signs a message.send envelope.
func (e *Env) message(k *record.DeviceKey, channel, precedence string, n int) []byte {
	b := make([]byte, 12)
	rand.Read(b)
	payload, _ := json.Marshal(map[string]any{
		"id": hex.EncodeToString(b), "time": time.Now().UTC(), "cell": e.Cell, "channel": channel,
		"subject": fmt.Sprintf("Bench message %d", n), "lang": "en", "precedence": precedence,
		"body": "Patrol of the southern sector moves from 0600Z to 0700Z tomorrow; no change of route. Acknowledge.",
	})
	return record.Sign(hotline.KindMessageSend, payload, k.Private).Marshal()
}

// ServerMemory reports the process's Go memory: heap in use and total
// obtained from the OS, in MiB (the server runs in this process).
func ServerMemory() (heapMiB, sysMiB float64) {
	var m runtimeMemStats
	readMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20), float64(m.Sys) / (1 << 20)
}
