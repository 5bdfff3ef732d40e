package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/liaison-cell/liaison/internal/record"
)

// A 409 keeps the problem's extension members, and Conflicts reads the
// overlaps a notification must name from it, and from nothing else.
func TestConflictsOfAProblem(t *testing.T) {
	answers := map[string]string{
		"/api/v1/activities":     `{"type":"urn:liaison:problem:conflict","title":"Conflict","status":409,"detail":"name them","instance":"/api/v1/activities","conflicts":[{"notification":128,"version":2,"party":"il","type":"uav_flight","title":"Flight","start":"2026-12-02T10:00:00Z","end":"2026-12-02T12:00:00Z","volume":0,"other_volume":1}]}`,
		"/api/v1/zones":          `{"type":"urn:liaison:problem:conflict","title":"Conflict","status":409,"detail":"version 1 of zone aos already says exactly this"}`,
		"/api/v1/activities/7/x": `{"type":"urn:liaison:problem:invalid","title":"Invalid command","status":422,"detail":"x","conflicts":[{"notification":1,"version":1}]}`,
	}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		if r.URL.Path == "/api/v1/activities/7/x" {
			w.WriteHeader(http.StatusUnprocessableEntity)
		} else {
			w.WriteHeader(http.StatusConflict)
		}
		io.WriteString(w, answers[r.URL.Path])
	}))
	defer hs.Close()
	c := New(hs.URL, "tok")
	key, err := record.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	env, err := Sign(key, "c", "activity.notify", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Submit(context.Background(), "/activities", env)
	ovs, ok := Conflicts(err)
	if !ok || len(ovs) != 1 || ovs[0].Notification != 128 || ovs[0].Version != 2 || ovs[0].Party != "il" || ovs[0].OtherVolume != 1 || ovs[0].End.Hour() != 12 {
		t.Errorf("the conflicts of %v: %+v, %v", err, ovs, ok)
	}
	if e, _ := err.(*Error); e == nil || e.Detail != "name them" || len(e.Extensions) != 1 {
		t.Errorf("the error: %#v", err)
	}
	for _, path := range []string{"/zones", "/activities/7/x"} {
		_, err := c.Submit(context.Background(), path, env)
		if ovs, ok := Conflicts(err); ok || ovs != nil {
			t.Errorf("%s: %v read as unnamed conflicts %+v", path, err, ovs)
		}
		if e, _ := err.(*Error); path == "/zones" && (e == nil || e.Extensions != nil) {
			t.Errorf("%s: extensions of a plain problem: %#v", path, err)
		}
	}
	if _, ok := Conflicts(nil); ok {
		t.Error("no error read as conflicts")
	}
}
