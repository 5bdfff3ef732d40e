package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/liaison-cell/liaison/internal/intel"
	"github.com/liaison-cell/liaison/internal/stix/stixgen"
)

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// The desk's path through its routes: a bundle too large for any other
// route is submitted, the gate's two members decide, the publisher signs
// the draft, and Syria downloads its release as a bundle; Israel, Jordan,
// and Syria before the release read none of it, through any intel route.
func TestIntelThroughTheAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, ts *testServer) {
		il := ts.login(t, "il.intelligence")
		sy := ts.login(t, "sy.intelligence")
		syDuty := ts.login(t, "sy.duty")
		jo := ts.login(t, "jo.intelligence")
		us := ts.login(t, "us.intelligence")
		duty := ts.login(t, "us.duty")

		// ~700 KB, more than any other command may carry, and AMBER at most,
		// so that it may go to a whole party.
		bundle := stixgen.Bundle(1500)
		for _, m := range []string{stixgen.TLPRed, stixgen.TLPAmberStrict} {
			bundle = bytes.ReplaceAll(bundle, []byte(m), []byte(stixgen.TLPAmber))
		}
		env := il.sign(intel.KindSubmit, map[string]any{"title": "Weekly export", "bundle": json.RawMessage(bundle)})
		if r := il.submit(t, "POST", "/api/v1/entries", env); r.Status != http.StatusRequestEntityTooLarge && r.Status != http.StatusBadRequest {
			t.Errorf("a bulk command through the generic route: %s, want it refused for its size", r)
		}
		stream := us.openStream(t, "", "")
		r := il.submit(t, "POST", "/api/v1/intel/submissions", env)
		if r.Status != http.StatusCreated {
			t.Fatalf("submit: %s", r)
		}
		// The stream says the bundle arrived without sending it to every
		// open page of the mediator's.
		_, ev := stream.next(t)
		if ev.Kind != intel.KindSubmit || !ev.Omitted || (len(ev.Payload) != 0 && string(ev.Payload) != "null") || ev.Envelope != nil || ev.LeafHash == "" {
			t.Errorf("the stream's event of a bulk submission: kind %s, omitted %v, payload %d bytes", ev.Kind, ev.Omitted, len(ev.Payload))
		}
		var sub struct {
			Index      int64            `json:"index"`
			Submission intel.Submission `json:"submission"`
		}
		decode(t, r, &sub)
		if sub.Submission.Count != 1500 || sub.Submission.Status != intel.StatusSubmitted {
			t.Fatalf("the answer's submission: %+v", sub.Submission)
		}
		id := strconv.FormatInt(sub.Index, 10)
		if got := il.get(t, "/api/v1/intel/submissions/"+id+"/bundle"); got.Status != 200 || !bytes.Equal(got.Body, bundle) || got.Header.Get("Content-Type") != "application/stix+json;version=2.1" {
			t.Errorf("the submitter's bundle back: %d %s, same bytes %v", got.Status, got.Header.Get("Content-Type"), bytes.Equal(got.Body, bundle))
		}
		for _, c := range []*client{sy, jo} {
			for _, path := range []string{"/api/v1/intel/submissions/" + id, "/api/v1/intel/submissions/" + id + "/bundle"} {
				wantProblem(t, c.get(t, path), http.StatusNotFound)
			}
		}
		wantProblem(t, il.get(t, "/api/v1/intel/queue"), http.StatusForbidden)

		prop := randomID()
		us.submitOK(t, "POST", "/api/v1/intel/proposals", us.sign(intel.KindPropose, map[string]any{
			"proposal": prop, "submission": sub.Index, "decision": intel.Release, "to": []string{"sy"},
			"sanitize": map[string]any{"location_km": 10}}), http.StatusCreated)
		var queue struct{ Queue []intel.QueueItem }
		duty.getJSON(t, "/api/v1/intel/queue", &queue)
		if len(queue.Queue) == 0 || queue.Queue[len(queue.Queue)-1].Proposal == nil || queue.Queue[len(queue.Queue)-1].Proposal.ProposedBy != "us.intelligence" {
			t.Errorf("the review queue does not show who proposed: %+v", queue.Queue)
		}
		wantProblem(t, il.get(t, "/api/v1/intel/proposals/"+prop), http.StatusNotFound)
		wantProblem(t, sy.get(t, "/api/v1/intel/proposals/"+prop+"/draft"), http.StatusNotFound)
		var p intel.Proposal
		duty.getJSON(t, "/api/v1/intel/proposals/"+prop, &p)
		// The path and the signed command must name the same proposal.
		other := duty.sign(intel.KindApprove, intel.Approval(p))
		wantProblem(t, duty.submit(t, "POST", "/api/v1/intel/proposals/"+randomID()+"/approve", other), http.StatusUnprocessableEntity)
		wantProblem(t, us.submit(t, "POST", "/api/v1/intel/proposals/"+prop+"/approve", us.sign(intel.KindApprove, intel.Approval(p))), http.StatusForbidden)
		duty.submitOK(t, "POST", "/api/v1/intel/proposals/"+prop+"/approve", other, http.StatusCreated)

		draft := duty.get(t, "/api/v1/intel/proposals/"+prop+"/draft")
		if draft.Status != 200 {
			t.Fatalf("draft: %s", draft)
		}
		duty.submitOK(t, "POST", "/api/v1/intel/proposals/"+prop+"/release", duty.sign(intel.KindRelease, map[string]any{
			"proposal": prop, "title": "Weekly export, coarsened", "bundle": json.RawMessage(draft.Body)}), http.StatusCreated)

		got := sy.get(t, "/api/v1/intel/releases/"+prop+"/bundle")
		if got.Status != 200 || !bytes.Equal(got.Body, draft.Body) {
			t.Errorf("Syria's download of its release: %d, the draft's bytes %v", got.Status, bytes.Equal(got.Body, draft.Body))
		}
		var mine intel.Submission
		il.getJSON(t, "/api/v1/intel/submissions/"+id, &mine)
		if mine.Status != intel.StatusReleased || mine.Decision == nil || mine.Decision.ApprovedBy != "us.duty" {
			t.Errorf("the submitter's view of the decision: %+v", mine)
		}
		for _, c := range []*client{il, jo} {
			for _, path := range []string{"/api/v1/intel/releases/" + prop, "/api/v1/intel/releases/" + prop + "/bundle"} {
				wantProblem(t, c.get(t, path), http.StatusNotFound)
			}
		}
		// The demo's TLP:RED release is its named analyst's alone.
		var mineRel, dutyRel struct{ Releases []intel.ReleaseDetail }
		sy.getJSON(t, "/api/v1/intel/releases", &mineRel)
		syDuty.getJSON(t, "/api/v1/intel/releases", &dutyRel)
		red := ""
		for _, rel := range mineRel.Releases {
			if rel.TLP == "TLP:RED" {
				red = rel.ID
			}
		}
		if red == "" {
			t.Fatal("the named analyst does not list the demo's red release")
		}
		for _, rel := range dutyRel.Releases {
			if rel.ID == red {
				t.Error("Syria's duty officer lists the red release")
			}
		}
		wantProblem(t, syDuty.get(t, "/api/v1/intel/releases/"+red), http.StatusNotFound)
		wantProblem(t, syDuty.get(t, "/api/v1/intel/releases/"+red+"/bundle"), http.StatusNotFound)
		if r := sy.get(t, "/api/v1/intel/releases/"+red+"/bundle"); r.Status != 200 {
			t.Errorf("the named analyst's red bundle: %s", r)
		}
	})
}
