package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// resyncFor is gce-ccm's --gce-resync-period in every scenario: the idle
// measurement's length (5 minutes, the default, in a full run; 1 minute
// in a quick one), so the idle window holds one periodic comparison of
// the routes and one of the load balancers, and the drift scenario's bound
// is one period plus its writes.
func resyncFor(p params) time.Duration { return p.idleFor }

func driftName(nodes, services, routes, rules int) string {
	return fmt.Sprintf("drift: %d routes and %d forwarding rules deleted in GCE at once, %d nodes, %d LoadBalancers", routes, rules, nodes, services)
}

// driftRepair converges nodes and services, then deletes 5% of the routes
// and rules forwarding rules through the API, as an operator would, and
// measures the time until everything is back: no Node or Service changes,
// so only the periodic comparison can repair it. The lower bound is one
// period plus the minimal writes at the project's mutation rate: a route
// each, and per rule its address reserved, the rule, the address released
// and the firewall's destination patched (the ephemeral IP went with the
// rule; GCE gives another).
func (b *bench) driftRepair(nodes, services, rules int) result {
	routes := nodes * 5 / 100
	rules = min(rules, services)
	name := driftName(nodes, services, routes, rules)
	fmt.Printf("==> %s [%s]\n", name, b.ctl.Name)
	// The idle step before it leaves its converged world.
	if b.gce == nil || !b.converged(nodes, services) {
		if err := b.prepared(nodes, services); err != nil {
			return b.fail(name, err)
		}
	}
	defer b.teardown()
	gcs, err := compute.NewService(b.ctx, option.WithEndpoint(b.gce.URL+"/compute/v1/"), option.WithoutAuthentication())
	if err != nil {
		return b.fail(name, err)
	}
	// The drift itself is not the CCM's: made outside the project's rate
	// budget, then the budget back for the repair.
	b.gce.SetRateLimits(fakecompute.RateLimits{})
	start := time.Now()
	if err := b.deleteSome(gcs, routes, rules); err != nil {
		return b.fail(name, err)
	}
	b.gce.SetRateLimits(fakecompute.RateLimits{ReadsPerMinute: b.p.readsPerMin, MutationsPerMinute: b.p.writesPerMin})
	b.gce.ResetStats()
	// The deletions done (their operations take the emulator's latency):
	// full counts after this are repairs.
	gone := func() bool {
		return b.gceCount("routes") <= nodes-routes && b.gceCount("forwardingRules") <= services-rules
	}
	for deadline := time.Now().Add(time.Minute); !gone() && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
	}
	minW := int64(routes + 4*rules)
	r := result{Name: name, Kind: "drift", Nodes: nodes, Services: services, MinWrites: minW,
		BoundS: resyncFor(b.p).Seconds() + float64(minW)/b.writeRate() + b.p.latency.Seconds()}
	limit := timeout(r.BoundS)
	_, ok := b.converge(start, 1, limit, func() int {
		if b.gceCount("routes") == nodes && b.gceCount("forwardingRules") == services {
			return 1
		}
		return 0
	})
	b.fill(&r, start)
	r.Converged = ok
	r.timedOut(limit)
	fmt.Printf("    repaired in %.1f s (bound %.1f s), %d writes (min %d), %d reads\n", r.WallS, r.BoundS, r.Writes, minW, r.Reads)
	return r
}

// deleteSome deletes n of our routes and m forwarding rules, 20 calls at a
// time (the operations finish in the background).
func (b *bench) deleteSome(gcs *compute.Service, n, m int) error {
	project, region := b.gce.Options().Project, ""
	var routes, rules []string
	err := gcs.Routes.List(project).Pages(b.ctx, func(l *compute.RouteList) error {
		for _, r := range l.Items {
			if strings.HasPrefix(r.Name, "k8s-") && len(routes) < n {
				routes = append(routes, r.Name)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = gcs.ForwardingRules.AggregatedList(project).Pages(b.ctx, func(l *compute.ForwardingRuleAggregatedList) error {
		for _, sl := range l.Items {
			for _, r := range sl.ForwardingRules {
				if len(rules) < m {
					rules, region = append(rules, r.Name), r.Region[strings.LastIndex(r.Region, "/")+1:]
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(routes) < n || len(rules) < m {
		return fmt.Errorf("found %d routes and %d rules to delete, want %d and %d", len(routes), len(rules), n, m)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(routes)+len(rules))
	sem := make(chan struct{}, 20)
	do := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs <- f()
		}()
	}
	for _, r := range routes {
		do(func() error { _, err := gcs.Routes.Delete(project, r).Context(b.ctx).Do(); return err })
	}
	for _, r := range rules {
		do(func() error { _, err := gcs.ForwardingRules.Delete(project, region, r).Context(b.ctx).Do(); return err })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
