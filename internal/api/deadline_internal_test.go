package api

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// deadlineRecorder is a ResponseWriter that keeps the deadlines set on it,
// as http.ResponseController sets them on a connection's.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	write, read []time.Time
}

func (d *deadlineRecorder) SetWriteDeadline(t time.Time) error {
	d.write = append(d.write, t)
	return nil
}

func (d *deadlineRecorder) SetReadDeadline(t time.Time) error {
	d.read = append(d.read, t)
	return nil
}

func newDeadlineWriter(rec *deadlineRecorder) *deadlineWriter {
	return &deadlineWriter{ResponseWriter: rec, rc: http.NewResponseController(rec), grace: 30 * time.Second, rate: 1000}
}

// The answer's write deadline moves with what is written, at the minimum
// rate after the grace; once a handler sets its own (the stream), the
// writer leaves it alone, at the end too.
func TestDeadlineWriterFollowsTheAnswer(t *testing.T) {
	rec := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	w := newDeadlineWriter(rec)
	w.Write(make([]byte, 500))
	w.Write(make([]byte, 1500))
	if len(rec.write) != 2 {
		t.Fatalf("deadlines %v, want one per write", rec.write)
	}
	first := w.first
	if want := first.Add(30*time.Second + 500*time.Millisecond); !rec.write[0].Equal(want) {
		t.Errorf("after 500 bytes: deadline %v, want first write + 30 s + 0.5 s", rec.write[0].Sub(first))
	}
	if want := first.Add(32 * time.Second); !rec.write[1].Equal(want) {
		t.Errorf("after 2000 bytes: deadline %v, want first write + 30 s + 2 s", rec.write[1].Sub(first))
	}

	own := time.Now().Add(time.Hour)
	http.NewResponseController(w).SetWriteDeadline(own)
	w.Write([]byte("more"))
	w.Flush()
	w.finish()
	if got := rec.write[len(rec.write)-1]; len(rec.write) != 3 || !got.Equal(own) {
		t.Errorf("after the handler set its own deadline: %v, want it kept", rec.write[2:])
	}
}

// A handler that answers nothing until it returns still gets a fresh
// deadline for the headers the server then sends.
func TestDeadlineWriterFinishes(t *testing.T) {
	rec := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
	w := newDeadlineWriter(rec)
	before := time.Now()
	w.finish()
	if len(rec.write) != 1 || rec.write[0].Before(before.Add(30*time.Second)) {
		t.Errorf("deadlines %v, want one 30 s from the end", rec.write)
	}
}
