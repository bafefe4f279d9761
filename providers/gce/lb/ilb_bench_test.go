package lb

import (
	"fmt"
	"math"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// Internal load-balancer benchmarks (issue 14's Performance section), at
// the external ones' GCE pace (1 s per operation, 1,500 reads and 1,500
// mutations per minute, production client budgets, 10 concurrent syncs):
// 100 internal Services at once on 100 nodes over 3 zones, then 50 nodes
// added. Each figure beside its lower bound.
//
//	go test -run '^$' -bench BenchmarkILB -benchtime 1x ./providers/gce/lb/

// ilbZones are the 3 zones the nodes are spread over.
var ilbZones = []string{"us-central1-a", "us-central1-b", "us-central1-c"}

const (
	ilbNodes = 100
	// ilbSharedWrites: per zone a group insert and one addInstances
	// (100 nodes < 1,000 a call), the shared check and its firewall.
	ilbSharedWrites = 2*3 + 2
	// ilbServiceWrites: each Service's backend service, rule and
	// traffic firewall.
	ilbServiceWrites = 3
	// ilbChainWaits: the longest chain of operations one Service's load
	// balancer needs: group, its members, the backend service over the
	// groups, the rule on it, the firewall naming the rule's IP.
	ilbChainWaits = 5
)

// seedILBNodes spreads nodes [from, to) over the 3 zones, round robin.
func seedILBNodes(b *testing.B, e *lbTestEnv, from, to int) []*v1.Node {
	var nodes []*v1.Node
	for i := from; i < to; i++ {
		nodes = append(nodes, e.seedNodes(b, ilbZones[i%len(ilbZones)], i, i+1)...)
	}
	return nodes
}

func ilbServiceSet() []*v1.Service {
	svcs := make([]*v1.Service, benchServices)
	for i := range svcs {
		svcs[i] = lbtest.Service(fmt.Sprintf("svc-%03d", i), lbtest.WithAnnotation(plan.AnnLBType, "Internal"),
			lbtest.WithPorts(lbtest.TCP(80), lbtest.TCP(443)))
	}
	return svcs
}

// BenchmarkILBCreate100Services creates 100 internal load balancers at
// once. Bounds: the write quota (the minimal writes at 25/s plus the
// longest chain of operation waits) and the syncs (10 at a time, each at
// least backend service, rule and firewall, after the groups and their
// members).
func BenchmarkILBCreate100Services(b *testing.B) {
	eachPoll(b, benchILBCreate)
}

func benchILBCreate(b *testing.B, poll time.Duration) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newLBBenchEnv(b, poll)
		nodes := seedILBNodes(b, e, 0, ilbNodes)
		svcs := ilbServiceSet()
		atGCEPace(e)
		wall := timed(b, func() { ensureAll(b, e, svcs, nodes) })
		minWrites := ilbSharedWrites + ilbServiceWrites*benchServices
		quota := float64(minWrites)/(benchPerMin/60.0) + ilbChainWaits*benchLatency.Seconds()
		syncs := (2 + math.Ceil(float64(benchServices)/benchSyncs)*ilbServiceWrites) * benchLatency.Seconds()
		report(b, e, wall, wall, minWrites, quota, syncs)
	}
}

// BenchmarkILBAdd50NodesTo100 adds 50 nodes (over the same 3 zones) to
// 100 internal load balancers, as the service controller's node sync
// does: UpdateLoadBalancer for each, 10 at a time. The groups are shared:
// the minimum is one addInstances per zone group, whatever the number of
// Services, and more fails the benchmark. Bound: those writes at 25/s
// plus one wait (the three zones' writes could overlap).
func BenchmarkILBAdd50NodesTo100(b *testing.B) {
	eachPoll(b, benchILBAddNodes)
}

func benchILBAddNodes(b *testing.B, poll time.Duration) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newLBBenchEnv(b, poll)
		nodes := seedILBNodes(b, e, 0, ilbNodes)
		svcs := ilbServiceSet()
		ensureAll(b, e, svcs, nodes)
		all := append(nodes, seedILBNodes(b, e, ilbNodes, ilbNodes+50)...)
		// A node change comes long after the creates: their cached lists
		// (snapshot.TTL, 30 s) would have aged out. A new load balancer on
		// the same dependencies starts with none (the VM inventory kept).
		e.lb = New(e.deps)
		atGCEPace(e)
		wall := timed(b, func() { updateAll(b, e, svcs, all) })
		minWrites := len(ilbZones)
		quota := float64(minWrites)/(benchPerMin/60.0) + benchLatency.Seconds()
		report(b, e, wall, wall, minWrites, quota, benchLatency.Seconds())
		st := e.gce.Stats()
		b.ReportMetric(float64(st.Calls["compute.instanceGroups.list"]), "group-lists")
		b.ReportMetric(float64(st.Calls["compute.instanceGroups.listInstances"]), "member-lists")
		if st.Mutations > int64(minWrites) {
			b.Fatalf("%d writes for 50 nodes added to %d Services; want at most one per zone group (%d): %v", st.Mutations, benchServices, minWrites, st.Calls)
		}
	}
}
