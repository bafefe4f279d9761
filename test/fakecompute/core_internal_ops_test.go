package fakecompute

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// serve sends one request straight to the handler, without a socket.
func serve(s *Server, method, path, body string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	return w
}

func insertRouteBody(name string) string {
	return `{"name":"` + name + `","network":"global/networks/default","destRange":"10.0.0.0/24","nextHopIp":"10.128.0.9"}`
}

// TestOperationRetentionByCount: a long run keeps a bounded number of DONE
// operations per scope, the newest ones, and forgets the requestIds of the
// operations it drops.
func TestOperationRetentionByCount(t *testing.T) {
	s := New(Options{})
	s.ops.keepMax = 50
	// Sweeps are amortised: between two, up to an eighth more may be held,
	// plus what was still running at the last sweep (here one at a time).
	const bound = 50 + 50/8 + 1
	const n = 2000
	var names []string
	for i := range n {
		w := serve(s, "POST", fmt.Sprintf("/compute/v1/projects/demo/global/routes?requestId=rid-%d", i), insertRouteBody(fmt.Sprintf("r-%d", i)))
		if w.Code != http.StatusOK {
			t.Fatalf("insert %d: %d %s", i, w.Code, w.Body)
		}
		names = append(names, opName(t, w.Body.String()))
		if held := s.ops.count(); held > bound {
			t.Fatalf("after %d inserts %d operations are held, want at most %d", i+1, held, bound)
		}
	}
	if got := serve(s, "GET", "/compute/v1/projects/demo/global/operations/"+names[n-1], "").Code; got != http.StatusOK {
		t.Errorf("newest operation: %d", got)
	}
	if got := serve(s, "GET", "/compute/v1/projects/demo/global/operations/"+names[0], "").Code; got != http.StatusNotFound {
		t.Errorf("oldest operation: %d, want 404 once it is past the retention", got)
	}
	s.ops.mu.Lock()
	rids := len(s.ops.byRequest)
	s.ops.mu.Unlock()
	if rids > bound {
		t.Errorf("%d requestIds remembered for %d operations", rids, s.ops.count())
	}
	// The retention is per scope: a zonal operation is not pushed out by
	// global ones.
	if _, err := s.SeedInstances(InstanceSeed{Name: "vm", Zone: "us-central1-a"}); err != nil {
		t.Fatal(err)
	}
	w := serve(s, "POST", "/compute/v1/projects/demo/zones/us-central1-a/instances/vm/stop", "")
	if w.Code != http.StatusOK {
		t.Fatalf("stop: %d %s", w.Code, w.Body)
	}
	zonal := opName(t, w.Body.String())
	for i := range 200 {
		serve(s, "POST", "/compute/v1/projects/demo/global/routes", insertRouteBody(fmt.Sprintf("more-%d", i)))
	}
	if got := serve(s, "GET", "/compute/v1/projects/demo/zones/us-central1-a/operations/"+zonal, "").Code; got != http.StatusOK {
		t.Errorf("zonal operation after many global ones: %d", got)
	}
}

// TestOperationRetentionByAge: DONE operations older than the retention
// are dropped; running ones are kept whatever their age.
func TestOperationRetentionByAge(t *testing.T) {
	s := New(Options{})
	for i := range 10 {
		serve(s, "POST", "/compute/v1/projects/demo/global/routes", insertRouteBody(fmt.Sprintf("r-%d", i)))
	}
	s.SetOperationLatency(time.Hour)
	w := serve(s, "POST", "/compute/v1/projects/demo/global/routes", insertRouteBody("slow"))
	running := opName(t, w.Body.String())
	table := Key{Project: "demo", Kind: Global, Collection: "operations"}
	s.ops.mu.Lock()
	s.ops.pruneLocked(table, time.Now().Add(OperationRetention+time.Minute))
	s.ops.mu.Unlock()
	if held := s.ops.count(); held != 1 {
		t.Errorf("%d operations held after the retention passed, want the running one only", held)
	}
	if got := serve(s, "GET", "/compute/v1/projects/demo/global/operations/"+running, "").Code; got != http.StatusOK {
		t.Errorf("running operation: %d", got)
	}
}

func opName(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, `"name":"`)
	if i < 0 {
		t.Fatalf("no operation name in %s", body)
	}
	rest := body[i+len(`"name":"`):]
	return rest[:strings.Index(rest, `"`)]
}
