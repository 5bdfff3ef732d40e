package taxii_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/taxii"
)

// faulty is a backend that breaks its contract in the way its field says.
type faulty struct {
	*memBackend
	objects func() (taxii.Page, error)
}

func (f faulty) Objects(ctx context.Context, who any, r, coll string, flt taxii.Filter) (taxii.Page, error) {
	return f.objects()
}

// TestBackendFaults: whatever the backend does, the client gets a TAXII
// error message, and a 500 says nothing of the cause.
func TestBackendFaults(t *testing.T) {
	rec := func(obj string, at time.Time) taxii.Record {
		return taxii.Record{Object: json.RawMessage(obj), ID: "x--1", Version: "v", DateAdded: at}
	}
	now := time.Now()
	many := make([]taxii.Record, taxii.DefaultMaxPageSize+1)
	for i := range many {
		many[i] = rec(`{}`, now)
	}
	cases := []struct {
		name string
		fn   func() (taxii.Page, error)
		code int
	}{
		{"panic", func() (taxii.Page, error) { panic("the database went away") }, 500},
		{"a secret in an error", func() (taxii.Page, error) { return taxii.Page{}, errors.New("SELECT secret FROM mediator") }, 500},
		{"more than the limit", func() (taxii.Page, error) { return taxii.Page{Records: many}, nil }, 500},
		{"out of order", func() (taxii.Page, error) {
			return taxii.Page{Records: []taxii.Record{rec(`{}`, now), rec(`{}`, now.Add(-time.Second))}}, nil
		}, 500},
		{"not JSON", func() (taxii.Page, error) { return taxii.Page{Records: []taxii.Record{rec(`{"a":`, now)}}, nil }, 500},
		{"not an object", func() (taxii.Page, error) { return taxii.Page{Records: []taxii.Record{rec(`[1]`, now)}}, nil }, 500},
		{"forbidden", func() (taxii.Page, error) { return taxii.Page{}, fmt.Errorf("%w: the mediator's", taxii.ErrForbidden) }, 403},
		{"unavailable", func() (taxii.Page, error) { return taxii.Page{}, taxii.ErrUnavailable }, 503},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newMemBackend()
			h := newTestHandler(t, faulty{m, c.fn})
			r := httptest.NewRequest("GET", "/taxii2/cell/collections/"+m.colls[0].ID+"/objects/", nil)
			r.SetBasicAuth("reader", passwords["reader"])
			r.Header.Set("Accept", taxii.MediaType)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.code || w.Header().Get("Content-Type") != taxii.MediaType {
				t.Fatalf("%d %s: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			var e struct{ Title, Description, ErrorID, HTTPStatus string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Title == "" {
				t.Fatalf("not an error message: %s", w.Body)
			}
			if body := w.Body.String(); strings.Contains(body, "secret") || strings.Contains(body, "database") || strings.Contains(body, "mediator") {
				t.Errorf("the answer tells the cause: %s", body)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	b := newMemBackend()
	for _, c := range []taxii.Config{
		{Authenticate: authenticate},
		{Backend: b},
		{Backend: b, Authenticate: authenticate, Prefix: "intel"},
		{Backend: b, Authenticate: authenticate, Prefix: "/intel/"},
		{Backend: b, Authenticate: authenticate, Realm: `a"b`},
		{Backend: b, Authenticate: authenticate, MaxPageSize: -1},
	} {
		if _, err := taxii.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	// Under a prefix, discovery lists the roots under it.
	h, err := taxii.New(taxii.Config{Backend: b, Authenticate: authenticate, Prefix: "/intel"})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/intel/taxii2/", nil)
	r.SetBasicAuth("reader", passwords["reader"])
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var d struct {
		Default  string   `json:"default"`
		APIRoots []string `json:"api_roots"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil || d.Default != "/intel/taxii2/cell/" || len(d.APIRoots) != 1 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	// A path the handler does not serve is a TAXII 404, after authentication.
	for user, code := range map[string]int{"": http.StatusUnauthorized, "reader": http.StatusNotFound} {
		r := httptest.NewRequest("GET", "/intel/taxii2/cell/nowhere/", nil)
		if user != "" {
			r.SetBasicAuth(user, passwords[user])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != code || w.Header().Get("Content-Type") != taxii.MediaType {
			t.Errorf("%q: %d %s", user, w.Code, w.Body)
		}
	}
}
