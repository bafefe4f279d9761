package dataplane_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/test/dataplane"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// BenchmarkRouteReaction: with 100 VMs and 1,000 static routes carried,
// the time from a new route's insert operation being DONE to the first
// packet that crosses it (a ping to an address of the new range, owned by
// the next-hop VM). GCE documents no figure; the fabric polls every 100 ms.
func BenchmarkRouteReaction(b *testing.B) {
	const vms, routes = 100, 1000
	seeds := make([]fakecompute.InstanceSeed, vms)
	for i := range seeds {
		seeds[i] = fakecompute.InstanceSeed{Name: fmt.Sprintf("vm-%03d", i), Zone: "us-central1-a", CanIPForward: true, Tags: []string{"node"}}
	}
	w := newWorld(b, seeds...)
	w.firewall(&compute.Firewall{Name: "internal", Direction: "INGRESS", TargetTags: []string{"node"},
		SourceRanges: []string{"10.0.0.0/8"}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "all"}}})
	setup := time.Now()
	for i := 0; i < routes; i++ {
		w.route(fmt.Sprintf("r-%04d", i), fmt.Sprintf("10.%d.%d.0/24", 64+i/256, i%256), fmt.Sprintf("vm-%03d", i%vms), "us-central1-a")
	}
	w.waitCarried(routes)
	b.Logf("%d VMs, %d routes carried %v after the first insert", vms, routes, time.Since(setup).Round(time.Millisecond))
	from := w.f.VMNamespace("vm-000")
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hop := fmt.Sprintf("vm-%03d", 1+i%(vms-1))
		dst := netip.MustParseAddr(fmt.Sprintf("10.200.%d.1", i%256))
		if err := addLocal(w.f.VMNamespace(hop), dst); err != nil {
			b.Fatal(err)
		}
		w.route(fmt.Sprintf("new-%d", i), fmt.Sprintf("10.200.%d.0/24", i%256), hop, "us-central1-a")
		done := time.Now()
		for dataplane.Ping(w.ctx, from, dst, 20*time.Millisecond) != nil {
			if time.Since(done) > 10*time.Second {
				b.Fatalf("no packet across route new-%d after 10 s", i)
			}
		}
		total += time.Since(done)
		b.StopTimer()
		op, err := w.api.Routes.Delete(project, fmt.Sprintf("new-%d", i)).Context(w.ctx).Do()
		w.do("delete", op, err)
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-route-done-to-packet")
	if d, err := w.f.Dump(w.ctx); err == nil {
		b.Logf("last sync (read+parse / total): %s", d.LastSync)
	}
}

// BenchmarkHealthFailover: a pool member whose kube-proxy stops answering
// leaves the load balancer after interval x unhealthy threshold (GCE's own
// bound); the figure is how long after it stopped the fabric steers new
// connections away, beside that bound. The check is 1 s x 3 to keep the
// run short; the CCM's is 8 s x 3.
func BenchmarkHealthFailover(b *testing.B) {
	l := newLBWorld(b, "NONE", 3)
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := l.b.StartKubeProxyHealth(); err != nil {
			b.Fatal(err)
		}
		l.eventually("both members healthy", func() string {
			if lbs := l.f.Plan().LBs; len(lbs) != 1 || len(lbs[0].Healthy) != 2 {
				return fmt.Sprintf("%+v", lbs)
			}
			return ""
		})
		b.StartTimer()
		stopped := time.Now()
		l.b.StopKubeProxyHealth()
		l.eventually("vm-b steered away", func() string {
			if h := l.f.Plan().LBs[0].Healthy; len(h) != 1 || h[0] != "vm-a" {
				return fmt.Sprint(h)
			}
			return ""
		})
		total += time.Since(stopped)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-failover")
	b.ReportMetric(3, "s-gce-bound(1s*3)")
}

// addLocal gives a VM an address of a routed range, as a pod would have.
func addLocal(nsName string, a netip.Addr) error {
	return dataplane.AddLocalAddress(nsName, a)
}

// waitCarried waits until the fabric's plan holds n static routes.
func (w *world) waitCarried(n int) {
	w.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		got := 0
		for _, r := range w.f.Plan().Routes {
			got += len(r.Names)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("the fabric carries %d of %d routes", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
