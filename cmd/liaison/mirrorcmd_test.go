package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/client"
	"github.com/liaison-cell/liaison/internal/testlog"
)

// An officer of sy keeps the party's mirror and serves it: members of sy
// sign in there with the mirror's own credentials, read their record, and
// are told that writes go to the cell.
func TestMirrorListenCLI(t *testing.T) {
	d := testlog.NewFreshDemo(t)
	url, stopCell := startServerAt(t, d, "127.0.0.1:0")
	sy := signIn(t, d, url, "sy.duty")
	dir := t.TempDir()
	mustContain(t, "mirror --once", sy.asOK("", "mirror", "--once", "--data", dir), "Mirror of cell", "entries of sy kept")

	const pw = "a mirror's own password"
	mustContain(t, "mirror user", sy.asOK(pw+"\n", "mirror", "user", "--data", dir, "--member", "sy.duty", "--password-stdin"), "sy.duty signs in at the mirror")
	mustContain(t, "mirror user, a colleague", sy.asOK(pw+"\n", "mirror", "user", "--data", dir, "--member", "sy.military", "--password-stdin"), "sy.military signs in at the mirror")
	mustContain(t, "mirror user of another party", sy.asFail(pw+"\n", "mirror", "user", "--data", dir, "--member", "il.duty", "--password-stdin"), "not a member of the mirror's party", `no member "il.duty" of party sy`)
	mustContain(t, "mirror user, short password", sy.asFail("short\n", "mirror", "user", "--data", dir, "--member", "sy.duty", "--password-stdin"), "characters")

	t.Setenv("LIAISON_CONFIG_DIR", sy.cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"mirror", "--data", dir, "--listen", "127.0.0.1:0", "--interval", "50ms", "--insecure-cookies"}, &out, &errb)
	}()
	serving := regexp.MustCompile(`Serving Syria's mirror read-only at (http://\S+)`)
	deadline := time.After(time.Minute)
	for !serving.MatchString(out.String()) {
		select {
		case code := <-done:
			t.Fatalf("mirror --listen ended (exit %d):\n%s%s", code, out.String(), errb.String())
		case <-deadline:
			t.Fatalf("mirror --listen did not serve within a minute:\n%s%s", out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	murl := serving.FindStringSubmatch(out.String())[1]

	if _, err := client.New(murl, "").Login(ctx, "", "sy.duty", testlog.Password); err == nil {
		t.Error("the cell's password opened the mirror: the mirror keeps its own")
	}
	r, err := client.New(murl, "").Login(ctx, "", "sy.duty", pw)
	if err != nil {
		t.Fatalf("sign in at the mirror: %v", err)
	}
	getAt := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, murl+path, nil)
		req.Header.Set("Authorization", "Bearer "+r.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := getAt("/api/v1/mirror/status")
	var st struct {
		Party    string `json:"party"`
		Size     int64  `json:"size"`
		LineDown bool   `json:"line_down"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &st) != nil || st.Party != "sy" || st.Size == 0 || st.LineDown {
		t.Errorf("the mirror's status: %d %s", code, body)
	}
	if code, body := getAt("/api/v1/channels/line-sy/messages"); code != 200 || !strings.Contains(body, "Confirm the revised patrol schedule") {
		t.Errorf("sy's line at the mirror: %d %s", code, body)
	}
	if code, _ := getAt("/api/v1/channels/line-il/messages"); code != 404 {
		t.Errorf("il's line at sy's mirror: %d", code)
	}
	if code, body := getAt("/dashboard?lang=en"); code != 200 || !regexp.MustCompile(`This is <bdi[^>]*>Syria</bdi>&#39;s own mirror of the cell&#39;s record: read-only, verified at size <bdi[^>]*>\d+</bdi>`).MatchString(body) {
		t.Errorf("the dashboard at the mirror: %d, no banner:\n%s", code, body)
	}
	// sy's officer works through the mirror: with the line up a write
	// lands at the cell at once; with the line cut it waits in the
	// mirror's outbox, and lands once when the line returns.
	syM := newCLI(t)
	syM.ok(pw+"\n", "login", "--server", murl, "--username", "sy.duty", "--key", filepath.Join(d.KeyDir, "sy.duty.key"), "--password-stdin")
	mustContain(t, "send at the mirror, line up", syM.asOK("", "send", "--channel", "line-sy", "--subject", "Via the mirror", "--body", "Sent through Syria's mirror."), "Sent ROUTINE message", "on line-sy")
	stopCell()
	mustContain(t, "send at the mirror, line down", syM.asOK("", "send", "--channel", "line-sy", "--subject", "Line cut", "--body", "Written while the line to Amman was cut."),
		"Queued at your party's mirror, not yet at the cell", "the line to the cell is down", "1 waiting")
	mustContain(t, "mirror outbox", sy.asOK("", "mirror", "outbox", "--data", dir), "message.send", "sy.duty")
	for deadline := time.Now().Add(time.Minute); ; {
		if _, body := getAt("/api/v1/mirror/status"); strings.Contains(body, `"line_down":true`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the mirror never said the line is down")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, body := getAt("/dashboard?lang=en"); !strings.Contains(body, "The line to the cell is down") ||
		!strings.Contains(body, "<bdi>1</bdi> of your party&#39;s writes wait here to be sent") || !strings.Contains(body, ">message.send</code>") {
		t.Errorf("the mirror's page does not say the line is down and what waits to be sent:\n%s", body)
	}
	if _, body := getAt("/api/v1/mirror/status"); !strings.Contains(body, `"waiting":1`) || !strings.Contains(body, `"kind":"message.send"`) {
		t.Errorf("the mirror's status does not list the write that waits: %s", body)
	}
	// A colleague at the mirror is told that a write waits, not whose or
	// what: each member is shown their own.
	col, err := client.New(murl, "").Login(ctx, "", "sy.military", pw)
	if err != nil {
		t.Fatalf("sy.military signs in at the mirror: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, murl+"/api/v1/mirror/status", nil)
	req.Header.Set("Authorization", "Bearer "+col.Token)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"waiting":1`) || !strings.Contains(string(b), `"queue":[]`) || strings.Contains(string(b), "sy.duty") {
			t.Errorf("a colleague's status at the mirror: %s", b)
		}
	}
	// sy.military has no key on this machine: signed in at the mirror with
	// the line still cut, they make one, the mirror vouches for it in its
	// admin's name, and it signs at once; both wait behind sy.duty's write.
	milM := newCLI(t)
	mustContain(t, "login at the mirror without a key", milM.asOK(pw+"\n", "login", "--server", murl, "--username", "sy.military", "--password-stdin"), "No device key")
	milM.ok("", "key", "new")
	mustContain(t, "key register at the mirror, line down", milM.asOK("", "key", "register"),
		"vouched for by your party's mirror", "Queued at your party's mirror, not yet at the cell", "2 waiting")
	mustContain(t, "whoami with the vouched key", milM.asOK("", "whoami"), "vouched for by your party's mirror")
	mustContain(t, "send with the vouched key, line down", milM.asOK("", "send", "--channel", "line-sy", "--subject", "New device", "--body", "Signed by a key the mirror vouched for."),
		"Queued at your party's mirror, not yet at the cell", "3 waiting")
	// A photograph attached at the mirror, the line still cut: the file
	// waits in the outbox ahead of the message that cites it.
	photo := filepath.Join(t.TempDir(), "crossing.jpg")
	photoBytes := []byte("\xff\xd8\xff\xe0 the crossing at 0412Z")
	if err := os.WriteFile(photo, photoBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "send --attach at the mirror, line down", syM.asOK("", "send", "--channel", "line-sy", "--subject", "Photograph", "--body", "The crossing, photographed while the line was cut.", "--attach", photo),
		"Queued at your party's mirror, not yet at the cell", "5 waiting")
	sum := sha256.Sum256(photoBytes)
	photoSHA := hex.EncodeToString(sum[:])
	mustContain(t, "mirror outbox with an upload", sy.asOK("", "mirror", "outbox", "--data", dir), fmt.Sprintf("attachment.upload  %s, %d bytes", photoSHA, len(photoBytes)))
	if _, body := getAt("/api/v1/mirror/status"); !strings.Contains(body, `"kind":"attachment.upload"`) || !strings.Contains(body, `"waiting":5`) {
		t.Errorf("the mirror's status does not list the upload that waits: %s", body)
	}
	startServerAt(t, d, strings.TrimPrefix(url, "http://"))
	lr, err := client.New(url, "").Login(ctx, "", "sy.duty", testlog.Password)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; {
		req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/channels/line-sy/messages", nil)
		req.Header.Set("Authorization", "Bearer "+lr.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out := string(b)
		n, v, p := strings.Count(out, "Written while the line to Amman was cut."), strings.Count(out, "Signed by a key the mirror vouched for."), strings.Count(out, photoSHA)
		if n == 1 && v == 1 && p == 1 {
			break
		} else if n > 1 || v > 1 || p > 1 {
			t.Fatalf("the queued messages landed %d, %d and %d times:\n%s", n, v, p, out)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queued message never reached the cell:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The mediator, to whom the line runs, downloads the photograph at the
	// cell: its upload reached the cell before the message citing it.
	ur, err := client.New(url, "").Login(ctx, "", "us.duty", testlog.Password)
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodGet, url+"/api/v1/blobs/"+photoSHA, nil)
	req.Header.Set("Authorization", "Bearer "+ur.Token)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != string(photoBytes) {
			t.Errorf("the mediator downloads the photograph at the cell: %d %q", resp.StatusCode, b)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("mirror --listen exit %d: %s", code, errb.String())
	}
}
