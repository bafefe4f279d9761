package lb

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Load-balancer benchmarks at GCE's pace: 1 s per operation, 1,500 reads
// and 1,500 mutations per minute, the client with its production budgets
// and poll interval, and the service controller's way of calling: 10
// concurrent syncs. Each figure is reported beside its lower bound.
//
//	go test -run '^$' -bench BenchmarkLB -benchtime 1x ./providers/gce/
const (
	benchServices = 100
	benchSyncs    = 10 // --concurrent-service-syncs
	benchLatency  = time.Second
	benchPerMin   = 1500
	// syncWaits is the operation waits a sync creating a load balancer
	// waits for: address; firewall (pinned to the address) and pool;
	// rule. The release of the address follows after the sync returns.
	syncWaits = 3
)

// pollIntervals: the API layer's default (1 s), and 200 ms
// (gce-ccm-operation-poll-interval), which waits closer to the latency at
// the cost of more operation polls.
var pollIntervals = []time.Duration{time.Second, 200 * time.Millisecond}

// newLBBenchEnv is a provider with production client budgets.
func newLBBenchEnv(b *testing.B, poll time.Duration) *lbTestEnv {
	return newLBTestEnv(b, fakecompute.Options{}, func(c *gceapi.Config, _ *Deps) {
		c.ReadsPerSecond, c.MutationsPerSecond, c.PollInterval = 0, 0, poll
	})
}

// atGCEPace switches the emulator to GCE's latency and quotas.
func atGCEPace(e *lbTestEnv) {
	e.gce.SetOperationLatency(benchLatency)
	e.gce.SetRateLimits(fakecompute.RateLimits{ReadsPerMinute: benchPerMin, MutationsPerMinute: benchPerMin})
	e.gce.ResetStats()
}

// eachPoll runs one sub-benchmark per operation poll interval.
func eachPoll(b *testing.B, run func(b *testing.B, poll time.Duration)) {
	for _, poll := range pollIntervals {
		b.Run(fmt.Sprintf("poll=%v", poll), func(b *testing.B) { run(b, poll) })
	}
}

// ensureAll ensures every Service's load balancer, benchSyncs at a time.
func ensureAll(b *testing.B, e *lbTestEnv, svcs []*v1.Service, nodes []*v1.Node) {
	inParallel(b, svcs, func(svc *v1.Service) error {
		_, err := e.lb.EnsureLoadBalancer(context.Background(), testCluster, svc, nodes)
		return err
	})
}

// updateAll updates every Service's load balancer to the nodes, benchSyncs
// at a time.
func updateAll(b *testing.B, e *lbTestEnv, svcs []*v1.Service, nodes []*v1.Node) {
	inParallel(b, svcs, func(svc *v1.Service) error {
		return e.lb.UpdateLoadBalancer(context.Background(), testCluster, svc, nodes)
	})
}

// timed runs f with the benchmark's timer on and returns its wall time.
func timed(b *testing.B, f func()) time.Duration {
	b.StartTimer()
	start := time.Now()
	f()
	wall := time.Since(start)
	b.StopTimer()
	return wall
}

// inParallel runs f for every Service with benchSyncs workers.
func inParallel(b *testing.B, svcs []*v1.Service, f func(svc *v1.Service) error) {
	sem := make(chan struct{}, benchSyncs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, svc := range svcs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(svc); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

func benchServiceSet() []*v1.Service {
	svcs := make([]*v1.Service, benchServices)
	for i := range svcs {
		svcs[i] = lbtest.Service(fmt.Sprintf("svc-%03d", i), lbtest.WithPorts(lbtest.TCP(80), lbtest.TCP(443)))
	}
	return svcs
}

func report(b *testing.B, e *lbTestEnv, wall, settled time.Duration, minWrites int, quotaBound, syncBound float64) {
	st := e.gce.Stats()
	bound := math.Max(quotaBound, syncBound)
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(settled.Seconds(), "settled-s")
	b.ReportMetric(bound, "bound-s")
	b.ReportMetric(quotaBound, "quota-bound-s")
	b.ReportMetric(syncBound, "sync-bound-s")
	b.ReportMetric(wall.Seconds()/bound, "wall/bound")
	b.ReportMetric(float64(st.Mutations), "writes")
	b.ReportMetric(float64(minWrites), "min-writes")
	b.ReportMetric(float64(st.Reads), "reads")
	b.ReportMetric(float64(st.Reads)/benchServices, "reads/svc")
	b.ReportMetric(float64(st.RateLimited), "rate-limited")
}

// BenchmarkLBCreate100Services creates 100 load balancers at once. wall is
// until the last sync returned, settled until the last address release
// ended. Bounds: the write quota (5 writes per Service, 2 for the shared
// check and its firewall, at 25/s, plus the 4 waits of the last one) and
// the syncs (10 at a time, each at least 3 operation waits).
func BenchmarkLBCreate100Services(b *testing.B) {
	eachPoll(b, benchCreate)
}

func benchCreate(b *testing.B, poll time.Duration) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newLBBenchEnv(b, poll)
		nodes := e.seedNodes(b, "us-central1-a", 0, 10)
		svcs := benchServiceSet()
		atGCEPace(e)
		b.StartTimer()
		start := time.Now()
		ensureAll(b, e, svcs, nodes)
		wall := time.Since(start)
		e.lb.settle()
		settled := time.Since(start)
		b.StopTimer()
		minWrites := 5*benchServices + 2
		quota := float64(minWrites)/(benchPerMin/60.0) + (syncWaits+1)*benchLatency.Seconds()
		syncs := math.Ceil(float64(benchServices)/benchSyncs) * syncWaits * benchLatency.Seconds()
		report(b, e, wall, settled, minWrites, quota, syncs)
	}
}

// BenchmarkLBAdd50NodesTo100 adds 50 nodes to 100 existing load
// balancers, as the service controller's node sync does: UpdateLoadBalancer
// for each, 10 at a time. Bounds: one addInstance per pool at 25/s plus
// one wait, and 10 syncs at a time of one wait each.
func BenchmarkLBAdd50NodesTo100(b *testing.B) {
	eachPoll(b, benchAddNodes)
}

func benchAddNodes(b *testing.B, poll time.Duration) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newLBBenchEnv(b, poll)
		nodes := e.seedNodes(b, "us-central1-a", 0, 10)
		svcs := benchServiceSet()
		ensureAll(b, e, svcs, nodes)
		e.lb.settle()
		all := append(nodes, e.seedNodes(b, "us-central1-b", 10, 60)...)
		atGCEPace(e)
		wall := timed(b, func() { updateAll(b, e, svcs, all) })
		quota := float64(benchServices)/(benchPerMin/60.0) + benchLatency.Seconds()
		syncs := math.Ceil(float64(benchServices)/benchSyncs) * benchLatency.Seconds()
		report(b, e, wall, wall, benchServices, quota, syncs)
		st := e.gce.Stats()
		b.ReportMetric(float64(st.Calls["compute.targetPools.list"]), "pool-lists")
		b.ReportMetric(float64(st.Calls["compute.targetPools.get"]), "pool-gets")
		for _, svc := range svcs[:3] {
			tp, err := e.pool(context.Background(), plan.NamesFor(svc, "").LB)
			if err != nil || len(tp.GetInstances()) != 60 {
				b.Fatalf("pool of %s: %d members, %v", svc.Name, len(tp.GetInstances()), err)
			}
		}
	}
}
