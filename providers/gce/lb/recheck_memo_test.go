package lb

import (
	"context"
	"fmt"
	"sync"
	"testing"

	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestSharedCheckReadOnceByABurst: 10 new Services at once all observe the
// cluster's shared health check and its firewall missing and plan their
// creation; the first creates each, and the other nine decide on what it
// made (recheckMemo) instead of reading again: one insert and at most one
// read of each, not ten reads.
func TestSharedCheckReadOnceByABurst(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	e.gce.ResetStats()
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		svc := lbtest.Service(fmt.Sprintf("svc-%02d", i))
		wg.Add(1)
		go func(svc *v1.Service) {
			defer wg.Done()
			_, err := e.lb.EnsureLoadBalancer(context.Background(), testCluster, svc, nodes)
			errs <- err
		}(svc)
	}
	wg.Wait()
	e.lb.settle()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := e.gce.Stats()
	if st.Calls["compute.httpHealthChecks.insert"] != 1 || st.Calls["compute.httpHealthChecks.get"] > 1 ||
		st.Calls["compute.firewalls.get"] > 1 {
		t.Errorf("10 new Services: %d check inserts, %d check reads, %d firewall reads; want 1, at most 1, at most 1 (%v)",
			st.Calls["compute.httpHealthChecks.insert"], st.Calls["compute.httpHealthChecks.get"], st.Calls["compute.firewalls.get"], st.Calls)
	}
}
