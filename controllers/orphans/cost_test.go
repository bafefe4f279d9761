package orphans_test

import (
	"fmt"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// seedLBs makes converged external load balancers of this cluster as
// GCE objects (pool, rule, firewall; their descriptions name Services
// svc-<from>... svc-<to-1>) and the Services svc-0 ... svc-<to-1> in an
// informer-like lister, without going
// through EnsureLoadBalancer: what a pass reads is all that matters here.
func (e *env) seedLBs(tb testing.TB, from, to int) corelisters.ServiceLister {
	tb.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	net := "https://www.googleapis.com/compute/v1/projects/demo/global/networks/default"
	for i := range to {
		svc := service(fmt.Sprintf("svc-%d", i))
		if err := idx.Add(svc); err != nil {
			tb.Fatal(err)
		}
		if i < from {
			continue
		}
		lb, desc := lbName(svc), proto.String(ownership.Description{ServiceName: "default/" + svc.Name, ClusterName: cluster}.String())
		for _, err := range []error{
			e.api.InsertTargetPool(e.ctx, region, &computepb.TargetPool{Name: proto.String(lb), Description: desc}),
			e.api.InsertForwardingRule(e.ctx, region, &computepb.ForwardingRule{Name: proto.String(lb), Description: desc,
				IPProtocol: proto.String("TCP"), PortRange: proto.String("80-80"), LoadBalancingScheme: proto.String("EXTERNAL"),
				Target: proto.String("https://www.googleapis.com/compute/v1/projects/demo/regions/us-central1/targetPools/" + lb)}),
			e.api.InsertFirewall(e.ctx, &computepb.Firewall{Name: proto.String("k8s-fw-" + lb), Description: desc, Network: proto.String(net),
				Allowed: []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{"80"}}}, SourceRanges: []string{"0.0.0.0/0"}}),
		} {
			if err != nil {
				tb.Fatal(err)
			}
		}
	}
	return corelisters.NewServiceLister(idx)
}

// An idle pass reads each collection once (one list per zone for the
// instance groups) however many Services there are, and writes nothing.
func TestAnIdlePassDoesNotReadMoreWithMoreServices(t *testing.T) {
	e := newEnv(t)
	zones, err := e.lb.InternalZones(e.ctx, cluster)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 40} {
		e.c = e.collector(e.seedLBs(t, n/40, n))
		e.gce.ResetStats()
		got := e.pass()
		// Each collection is listed once (instance groups once per
		// zone), but target pools: gceapi reads their first page of 10
		// pools (their size unknown) and sizes the next pages to the
		// largest pool, so 40 empty pools are 2 pages.
		st := e.gce.Stats()
		pools := st.Calls["compute.targetPools.list"]
		if st.Reads-pools != int64(6+len(zones)) || pools < 1 || pools > 2 || st.Mutations != 0 {
			t.Errorf("idle pass over %d Services: %d reads (%d of pools), %d writes (%v); want %d and 1-2 pages of pools, no write",
				n, st.Reads, pools, st.Mutations, st.Calls, 6+len(zones))
		}
		if len(got) < n {
			t.Errorf("%d decisions for %d load balancers", len(got), n)
		}
		for _, d := range got {
			if !contains([]string{d}, "keep ") {
				t.Errorf("not kept: %s", d)
			}
		}
	}
}

// BenchmarkIdlePass reports what one idle pass costs with n load balancers:
// GCE reads (one list per collection and zone, plus a page per 500 objects
// of a list) and its time against the emulator.
func BenchmarkIdlePass(b *testing.B) {
	for _, n := range []int{10, 500, 1000} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			e := newEnv(b)
			e.c = e.collector(e.seedLBs(b, 0, n))
			e.gce.ResetStats()
			b.ResetTimer()
			for range b.N {
				if _, err := e.c.Pass(e.ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			st := e.gce.Stats()
			b.ReportMetric(float64(st.Reads)/float64(b.N), "reads/pass")
			b.ReportMetric(float64(st.Mutations)/float64(b.N), "writes/pass")
		})
	}
}
