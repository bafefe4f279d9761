package lb

import (
	"context"
	"testing"

	v1 "k8s.io/api/core/v1"
	"k8s.io/component-base/metrics/testutil"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Both kinds count their syncs the same way: by call and result.
func TestLBSyncMetrics(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	nodes := e.seedNodes(t, "us-central1-a", 0, 2)
	ctx := context.Background()
	count := func(kind, call, result string) float64 {
		v, err := testutil.GetCounterMetricValue(syncsTotal.WithLabelValues(kind, call, result))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	type key struct{ kind, call, result string }
	keys := []key{{kindExternal, "ensure", resultSuccess}, {kindInternal, "ensure", resultSuccess}, {kindInternal, "ensure", resultInvalid},
		{kindInternal, "update", resultSuccess}, {kindInternal, "repair", resultSuccess}, {kindExternal, "delete", resultSuccess},
		{kindInternal, "delete", resultSuccess}}
	before := map[key]float64{}
	for _, k := range keys {
		before[k] = count(k.kind, k.call, k.result)
	}
	ext, in := lbtest.Service("ext"), lbtest.Service("int", lbtest.WithAnnotation(plan.AnnLBType, "Internal"))
	e.ensure(t, ext, nodes)
	e.ensure(t, in, nodes)
	if _, err := e.lb.EnsureLoadBalancer(ctx, testCluster, lbtest.Service("bad", lbtest.WithAnnotation(plan.AnnLBType, "Internal"),
		lbtest.WithPorts(lbtest.TCP(0))), nodes); err == nil {
		t.Fatal("port 0 accepted")
	}
	if err := e.lb.UpdateLoadBalancer(ctx, testCluster, in, nodes); err != nil {
		t.Fatal(err)
	}
	pass, err := e.lb.StartPass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := pass.Repair(ctx, testCluster, in, nodes, nil); err != nil {
		t.Fatal(err)
	}
	for _, svc := range []*v1.Service{ext, in} {
		if err := e.lb.EnsureLoadBalancerDeleted(ctx, testCluster, svc); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range keys {
		if got := count(k.kind, k.call, k.result) - before[k]; got != 1 {
			t.Errorf("syncs_total%v grew by %v; want 1", k, got)
		}
	}
	if n, err := testutil.GetHistogramMetricCount(syncDuration.WithLabelValues(kindInternal, "ensure")); err != nil || n == 0 {
		t.Errorf("no internal ensure duration observed: %d, %v", n, err)
	}
}
