package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/controller-manager/pkg/clientbuilder"
)

// TestRouteClientBoundsRequestsInFlight: the client startRoutes gives the
// framework's route controller has at most maxInFlight requests waiting
// for an answer, however many goroutines patch at once (the controller
// patches every node's condition from a goroutine per node).
func TestRouteClientBoundsRequestsInFlight(t *testing.T) {
	var now, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond) // a slow API server
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"Node","apiVersion":"v1","metadata":{"name":"n"}}`))
	}))
	defer srv.Close()
	cb := clientbuilder.SimpleControllerClientBuilder{ClientConfig: &rest.Config{Host: srv.URL, QPS: -1}}
	client, err := boundedClient(cb, "route-controller")
	if err != nil {
		t.Fatal(err)
	}
	const patches = 4 * maxInFlight
	var wg sync.WaitGroup
	for range patches {
		wg.Go(func() {
			_, err := client.CoreV1().Nodes().PatchStatus(context.Background(), "n", []byte(`{}`))
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p > maxInFlight || p < maxInFlight/2 {
		t.Errorf("%d concurrent patches: %d in flight at most; want at most %d (and the bound reached)", patches, p, maxInFlight)
	}
}
