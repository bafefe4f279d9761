package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
)

// The reaction scenario: one node at a time joins a converged cluster with
// LoadBalancers, and the time from its registration to its route being
// ready, and to its being in every target pool, is taken per addition.

func reactionName(nodes, services, additions int) string {
	return fmt.Sprintf("reaction: %d nodes added one at a time to %d nodes with %d LoadBalancers", additions, nodes, services)
}

// reactionFigures are the percentiles over the additions (nearest rank:
// over 20 additions p99 is the slowest one).
type reactionFigures struct {
	Additions   int       `json:"additions"`
	RouteS      []float64 `json:"routeSeconds"` // registered -> NetworkUnavailable=False and the route in GCE
	PoolsS      []float64 `json:"poolsSeconds"` // registered -> in every target pool
	RouteBoundS float64   `json:"routeBoundSeconds"`
	PoolsBoundS float64   `json:"poolsBoundSeconds"`
}

func (f *reactionFigures) String() string {
	return fmt.Sprintf("%d additions: route ready p50 %.1f s, p99 %.1f s (bound %.1f s, one operation); in every pool p50 %.1f s, p99 %.1f s (bound %.1f s: a pool write each at the quota rate, then one operation)",
		f.Additions, percentile(f.RouteS, 50), percentile(f.RouteS, 99), f.RouteBoundS,
		percentile(f.PoolsS, 50), percentile(f.PoolsS, 99), f.PoolsBoundS)
}

// percentile is the nearest-rank percentile q of xs (0 when empty).
func percentile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	return s[max(int(math.Ceil(q/100*float64(len(s))))-1, 0)]
}

// reactionQuiet is the pause before each addition: past the framework's
// 10 s between route reconciles.
const reactionQuiet = 12 * time.Second

// reaction prepares nodes and services (bounded by ten times the
// preparation's own bound, so a CCM that cannot converge gets a row
// saying so), then adds additions nodes one at a time, each once the one
// before is routed and in every pool. The route's bound is one operation
// (the route insert); the pools' is one membership write per pool at the
// mutation quota's rate, then one operation.
func (b *bench) reaction(nodes, services, additions int) result {
	name := reactionName(nodes, services, additions)
	fmt.Printf("==> %s [%s]\n", name, b.ctl.Name)
	defer b.teardown()
	prep := timeout(float64(nodes+lbWritesPerService*services+lbSharedWrites)/b.writeRate() + lbChain*b.p.latency.Seconds())
	f := &reactionFigures{RouteBoundS: b.p.latency.Seconds(), PoolsBoundS: float64(services)/b.writeRate() + b.p.latency.Seconds()}
	r := result{Name: name, Kind: "reaction", Nodes: nodes, Services: services, MinWrites: int64(additions * (1 + services)),
		BoundS: f.PoolsBoundS, Reaction: f}
	prepStart := time.Now()
	if err := b.preparedWithin(nodes, services, prep); errors.Is(err, errNotConverged) {
		b.fill(&r, prepStart) // the preparation's figures
		r.Reaction = nil
		r.Note = fmt.Sprintf("did not converge in %v: the preparation (%d nodes routed, %d LoadBalancers with every node)", prep, nodes, services)
		return r
	} else if err != nil {
		return b.fail(name, err)
	}
	b.gce.ResetStats()
	start := time.Now()
	limit := timeout(f.PoolsBoundS)
	r.Converged = true
	for i := nodes; i < nodes+additions && b.ctx.Err() == nil; i++ {
		// Each node joins a quiet cluster: the framework's route
		// controller reconciles at most once per 10 s (KEP-5237), so a node
		// joining within 10 s of the last reconcile waits for the next.
		time.Sleep(reactionQuiet)
		t0 := time.Now()
		if err := b.addNodes(i, i+1); err != nil {
			return b.fail(name, err)
		}
		route, pools, ok := b.awaitNode(nodeName(i), services, t0, limit)
		if !ok {
			r.Converged = false
			r.Note = fmt.Sprintf("did not converge in %v: node %d of %d (routed: %v, in every pool: %v)", limit, i-nodes+1, additions, route > 0, pools > 0)
			break
		}
		f.RouteS, f.PoolsS = append(f.RouteS, route.Seconds()), append(f.PoolsS, pools.Seconds())
		f.Additions++
		fmt.Printf("    %s: route ready after %.2f s, in every pool after %.2f s\n", nodeName(i), route.Seconds(), pools.Seconds())
	}
	b.fill(&r, start)
	r.WallS = percentile(f.PoolsS, 99)
	r.Ratio = r.WallS / r.BoundS
	fmt.Printf("    %s; %d writes (min %d), %d reads\n", f, r.Writes, r.MinWrites, r.Reads)
	return r
}

// awaitNode polls every 50 ms until the node is routed (its
// NetworkUnavailable is False and a route to it exists in GCE) and is in
// every one of services target pools, and returns how long after t0 each
// came (0: not within limit).
func (b *bench) awaitNode(node string, services int, t0 time.Time, limit time.Duration) (route, pools time.Duration, ok bool) {
	suffix := "/instances/" + node
	for time.Since(t0) < limit && b.ctx.Err() == nil {
		if route == 0 && b.networkAvailable(node) && b.routedInGCE(suffix) {
			route = time.Since(t0)
		}
		if pools == 0 && b.poolsWith(suffix) == services {
			pools = time.Since(t0)
		}
		if route > 0 && pools > 0 {
			return route, pools, true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return route, pools, false
}

// networkAvailable says whether the node's NetworkUnavailable is False.
func (b *bench) networkAvailable(node string) bool {
	n, err := b.nodes.Get(node)
	if err != nil {
		return false
	}
	for _, c := range n.Status.Conditions {
		if c.Type == v1.NodeNetworkUnavailable {
			return c.Status == v1.ConditionFalse
		}
	}
	return false
}

// routedInGCE says whether a route's next hop is the VM whose link ends
// with suffix.
func (b *bench) routedInGCE(suffix string) bool {
	found := false
	b.gce.Visit("routes", func(o any) {
		if r, ok := o.(*compute.Route); ok && strings.HasSuffix(r.NextHopInstance, suffix) {
			found = true
		}
	})
	return found
}

// poolsWith counts the target pools that hold the VM whose link ends with suffix.
func (b *bench) poolsWith(suffix string) int {
	n := 0
	b.gce.Visit("targetPools", func(o any) {
		if tp, ok := o.(*compute.TargetPool); ok && slices.ContainsFunc(tp.Instances, func(l string) bool { return strings.HasSuffix(l, suffix) }) {
			n++
		}
	})
	return n
}
