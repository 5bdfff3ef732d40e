package taxii_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/liaison-cell/liaison/internal/taxii"
)

// BenchmarkObjectsPage measures the handler's own cost of serving a page of
// 1000 objects from the reference backend, without a network: parsing the
// query, checking the page, and writing the envelope. The backend's share
// (selecting 1000 of 1000 records in memory) is in the figure too.
func BenchmarkObjectsPage(b *testing.B) {
	m := newMemBackend()
	objs := make([]json.RawMessage, 1000)
	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	for i := range objs {
		ts := at.Add(time.Duration(i) * time.Millisecond).Format("2006-01-02T15:04:05.000Z")
		objs[i] = json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"indicator--` + uuid4() + `","created":"` + ts + `","modified":"` + ts + `","name":"bench","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"` + ts + `"}`)
	}
	if st := m.add(m.colls[0].ID, objs); st.FailureCount != 0 {
		b.Fatal(st.Failures)
	}
	h := newTestHandler(b, m)
	req := httptest.NewRequest("GET", "/taxii2/cell/collections/"+m.colls[0].ID+"/objects/?limit=1000&match[type]=indicator", nil)
	req.SetBasicAuth("reader", passwords["reader"])
	req.Header.Set("Accept", taxii.MediaType)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK || w.Header().Get("X-TAXII-Date-Added-Last") == "" {
		b.Fatalf("%d %s", w.Code, w.Body.String()[:200])
	}
	b.SetBytes(int64(w.Body.Len()))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
	}
}
