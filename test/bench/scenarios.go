package main

import (
	"errors"
	"fmt"
	"time"
)

// Writes a LoadBalancer Service needs at minimum, as the provider builds
// it: its address reserved (the firewall must name the IP before the rule
// exists) and released once the rule holds it, a firewall rule, a target
// pool and a forwarding rule, plus the shared node health check and its
// firewall once per cluster.
const (
	lbWritesPerService = 5
	lbSharedWrites     = 2
	lbChain            = 3 // sequential operation waits per Service
)

type point struct {
	T    float64 `json:"t"`
	Done int     `json:"done"`
}

type result struct {
	Name         string           `json:"name"`
	CCM          string           `json:"ccm"`
	Kind         string           `json:"kind"` // routes, ipam, lb, tcpudp, churn, idle
	Nodes        int              `json:"nodes"`
	Services     int              `json:"services"`
	Converged    bool             `json:"converged"`
	WallS        float64          `json:"wallSeconds"`
	BoundS       float64          `json:"boundSeconds"`
	Ratio        float64          `json:"ratio"`
	Writes       int64            `json:"writes"`
	MinWrites    int64            `json:"minWrites"`
	Reads        int64            `json:"reads"`
	RateLimited  int64            `json:"rateLimited"`
	Conflicts    int64            `json:"conflicts"`   // 409 and 412 answers
	NotFound     int64            `json:"notFound"`    // 404 answers (lookups of what does not exist)
	OtherErrors  int64            `json:"otherErrors"` // every other error answer (4xx/5xx other than the above, resets)
	TimeoutS     float64          `json:"timeoutSeconds,omitempty"`
	ReadsPerMin  float64          `json:"readsPerMinute,omitempty"`
	WritesPerMin float64          `json:"writesPerMinute,omitempty"`
	PeakRSSMiB   float64          `json:"peakRssMiB,omitempty"`
	Series       []point          `json:"series,omitempty"`
	QuotaPerS    float64          `json:"quotaPerSecond,omitempty"`
	Note         string           `json:"note,omitempty"`
	PodCIDRsS    float64          `json:"allPodCIDRsSeconds,omitempty"` // ipam: when every node had its pod CIDR
	Other        *otherClient     `json:"otherClient,omitempty"`        // quota: the other client of the project's quota
	Reaction     *reactionFigures `json:"reaction,omitempty"`           // reaction: per-addition percentiles
}

// idle says whether a row is a steady-state measurement (reads and
// writes per minute, peak memory) rather than a convergence.
func (r result) idle() bool { return r.Kind == "idle" }

// measured says whether a row is held to the convergence goals (time
// within 1.2x its bound, writes and reads per write): the scenarios that
// measure the CCM alone. ipam includes registering the nodes through the
// API server; quota and reaction have goals of their own.
func (r result) measured() bool {
	switch r.Kind {
	case "routes", "lb", "tcpudp", "churn", "drift":
		return true
	}
	return false
}

func (b *bench) writeRate() float64 { return float64(b.p.writesPerMin) / 60 }

// converge polls done() every 500 ms until it reaches want or the timeout,
// recording progress() once a second (done() when progress is nil).
func (b *bench) converge(start time.Time, want int, timeout time.Duration, done func() int, progress ...func() int) ([]point, bool) {
	var series []point
	last := -1.0
	for {
		d := done()
		el := time.Since(start).Seconds()
		if el-last >= 1 || d >= want {
			p := d
			if len(progress) > 0 {
				p = progress[0]()
			}
			series = append(series, point{T: el, Done: p})
			last = el
		}
		if d >= want {
			return series, true
		}
		if time.Since(start) > timeout || b.ctx.Err() != nil {
			return series, false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (b *bench) fill(r *result, start time.Time) {
	st := b.gce.Stats()
	r.WallS = time.Since(start).Seconds()
	r.Writes, r.Reads, r.RateLimited = st.Mutations, st.Reads, st.RateLimited
	r.CCM = b.ctl.Name
	for status, n := range st.Statuses {
		switch {
		case status == 409 || status == 412:
			r.Conflicts += n
		case status == 404:
			r.NotFound += n
		case status == 0 || status >= 400:
			r.OtherErrors += n
		}
	}
	// The 403 rateLimitExceeded answers have their own column.
	r.OtherErrors -= st.RateLimited
	if r.BoundS > 0 {
		r.Ratio = r.WallS / r.BoundS
	}
	r.PeakRSSMiB = b.peakRSSMiB()
}

// timeout is how long a scenario may take before it is reported as not
// converged: ten times its lower bound, and at least a minute.
func timeout(bound float64) time.Duration {
	return max(time.Duration(10*bound*float64(time.Second)), time.Minute).Round(time.Second)
}

// notConverged is the note of a row that timed out.
func (r *result) timedOut(t time.Duration) {
	r.TimeoutS = t.Seconds()
	if !r.Converged {
		r.Note = fmt.Sprintf("did not converge in %v", t)
	}
}

func (b *bench) fail(name string, err error) result {
	return result{Name: name, CCM: b.ctl.Name, Note: "error: " + err.Error()}
}

// routesFromEmpty: n nodes exist with pod CIDRs, the CCM starts, and every
// node must get its route and NetworkUnavailable=False.
func (b *bench) routesFromEmpty(n int, keepWorld bool) result {
	name := routesName(n)
	fmt.Printf("==> %s [%s]\n", name, b.ctl.Name)
	if err := b.unrouted(n); err != nil {
		return b.fail(name, err)
	}
	start := time.Now()
	if err := b.startCCM(); err != nil {
		return b.fail(name, err)
	}
	r := result{Name: name, Kind: "routes", Nodes: n, MinWrites: int64(n), QuotaPerS: b.writeRate(),
		BoundS: float64(n)/b.writeRate() + b.p.latency.Seconds()}
	limit := timeout(r.BoundS)
	// Converged: every route exists and every node says so
	// (NetworkUnavailable=False). The curve shows routes created.
	series, ok := b.converge(start, n, limit, func() int { return min(b.gceCount("routes"), b.routesReady()) },
		func() int { return b.gceCount("routes") })
	b.fill(&r, start)
	r.Converged, r.Series = ok, series
	r.timedOut(limit)
	b.heapProfile(fmt.Sprintf("%s-routes-%d", b.ctl.Name, n))
	fmt.Printf("    %.1f s (bound %.1f s), %d writes, %d reads, %d rate-limited\n", r.WallS, r.BoundS, r.Writes, r.Reads, r.RateLimited)
	if !keepWorld {
		b.teardown()
	}
	return r
}

// unrouted is a fresh world with n nodes that have pod CIDRs and no
// route yet, and the emulator's counters at zero; no CCM runs.
func (b *bench) unrouted(n int) error {
	if err := b.world(); err != nil {
		return err
	}
	if err := b.addNodes(0, n); err != nil {
		return err
	}
	b.gce.ResetStats()
	return nil
}

// ipamFromRegistration: the CCM runs with --allocate-node-cidrs=true and
// n nodes register without pod CIDRs, as kubelets do: each must get a CIDR
// from the node-ipam-controller, then its route, then
// NetworkUnavailable=False. The bound is the routes' (one write each at the
// write quota, plus one operation); the CIDRs cost no GCE call.
func (b *bench) ipamFromRegistration(n int) result {
	name := ipamName(n)
	fmt.Printf("==> %s [%s]\n", name, b.ctl.Name)
	if err := b.world(); err != nil {
		return b.fail(name, err)
	}
	if err := b.startCCM("--allocate-node-cidrs=true"); err != nil {
		return b.fail(name, err)
	}
	b.gce.ResetStats()
	start := time.Now()
	if err := b.registerNodes(0, n, false); err != nil {
		return b.fail(name, err)
	}
	// Reported beside its bound, not held to the route scenarios' goals
	// (see measured()): the wall time includes registering the nodes
	// through the API server, and nodes arriving over seconds make the
	// watch-based route reconciliation run (and list routes) many times.
	r := result{Name: name, Kind: "ipam", Nodes: n, MinWrites: int64(n), QuotaPerS: b.writeRate(),
		BoundS: float64(n)/b.writeRate() + b.p.latency.Seconds()}
	limit := timeout(r.BoundS)
	var allCIDRs float64
	series, ok := b.converge(start, n, limit, func() int {
		if allCIDRs == 0 && b.withPodCIDR() >= n {
			allCIDRs = time.Since(start).Seconds()
		}
		return min(b.gceCount("routes"), b.routesReady())
	}, func() int { return b.gceCount("routes") })
	b.fill(&r, start)
	r.Converged, r.Series, r.PodCIDRsS = ok, series, allCIDRs
	r.timedOut(limit)
	fmt.Printf("    every node had its pod CIDR after %.1f s; routed and NetworkUnavailable=False after %.1f s (bound %.1f s), %d writes, %d reads, %d rate-limited\n",
		allCIDRs, r.WallS, r.BoundS, r.Writes, r.Reads, r.RateLimited)
	b.teardown()
	return r
}

// servicesAtOnce: n Services of type LoadBalancer created together on a
// cluster whose routes are done; with tcpUDP each has a TCP and a UDP port
// (two forwarding rules on one reserved address).
func (b *bench) servicesAtOnce(nodes, services int, tcpUDP bool) result {
	name, kind := lbName(nodes, services, tcpUDP), "lb"
	if tcpUDP {
		kind = "tcpudp"
	}
	fmt.Printf("==> %s [%s]\n", name, b.ctl.Name)
	if err := b.prepared(nodes, 0); err != nil {
		return b.fail(name, err)
	}
	b.gce.ResetStats()
	start := time.Now()
	if err := b.addServices(services, tcpUDP); err != nil {
		return b.fail(name, err)
	}
	// A TCP+UDP Service keeps its address (two rules share it) and has
	// two rules: the same five writes.
	minW := int64(lbWritesPerService*services + lbSharedWrites)
	r := result{Name: name, Kind: kind, Nodes: nodes, Services: services, MinWrites: minW,
		BoundS: float64(minW)/b.writeRate() + lbChain*b.p.latency.Seconds()}
	limit := timeout(r.BoundS)
	series, ok := b.converge(start, services, limit, func() int {
		if b.poolMembers() < services*nodes {
			return min(b.servicesWithIP(), services-1)
		}
		return b.servicesWithIP()
	})
	b.fill(&r, start)
	r.Converged, r.Series = ok, series
	r.timedOut(limit)
	fmt.Printf("    %.1f s (bound %.1f s), %d writes, %d reads, %d rate-limited\n", r.WallS, r.BoundS, r.Writes, r.Reads, r.RateLimited)
	b.teardown()
	return r
}

// nodeChurn: churn nodes join a cluster with services LoadBalancers, then leave.
func (b *bench) nodeChurn(nodes, churn, services int) []result {
	name := fmt.Sprintf("node churn: %d nodes added then removed, %d LoadBalancers", churn, services)
	fmt.Printf("==> %s [%s]\n", name, b.ctl.Name)
	if err := b.prepared(nodes, services); err != nil {
		return []result{b.fail(name, err)}
	}
	var out []result
	for _, phase := range []struct {
		label string
		act   func() error
		total int
	}{
		{"added", func() error { return b.addNodes(nodes, nodes+churn) }, nodes + churn},
		{"removed", func() error { return b.deleteNodes(nodes, nodes+churn) }, nodes},
	} {
		b.gce.ResetStats()
		start := time.Now()
		if err := phase.act(); err != nil {
			return append(out, b.fail(name, err))
		}
		minW := int64(churn + services) // a route per node, one membership write per pool
		r := result{Name: churnName(churn, phase.label, services), Kind: "churn", Nodes: phase.total,
			Services: services, MinWrites: minW, BoundS: float64(minW)/b.writeRate() + b.p.latency.Seconds()}
		total := phase.total
		limit := timeout(r.BoundS)
		var routed, pooled time.Duration // when each half was done, to say which one the wall time waited for
		done := func(at *time.Duration, ok bool) bool {
			if ok && *at == 0 {
				*at = time.Since(start)
			}
			return ok
		}
		_, ok := b.converge(start, 1, limit, func() int {
			routesDone := done(&routed, b.gceCount("routes") == total && (phase.label == "removed" || b.routesReady() == total))
			if poolsDone := done(&pooled, b.poolMembers() == services*total); routesDone && poolsDone {
				return 1
			}
			return 0
		})
		b.fill(&r, start)
		r.Converged = ok
		r.timedOut(limit)
		fmt.Printf("    %s: %.1f s (bound %.1f s; routes done at %.1f s, pools at %.1f s), %d writes (min %d), %d reads\n",
			phase.label, r.WallS, r.BoundS, routed.Seconds(), pooled.Seconds(), r.Writes, minW, r.Reads)
		out = append(out, r)
	}
	b.teardown()
	return out
}

// errNotConverged: a preparation ran out of time (a row says so; an
// error is a failure of the bench itself).
var errNotConverged = errors.New("did not converge")

// prepared builds a converged cluster of nodes and services (not measured).
// Not measured, but bounded: 30 minutes is past anything a loaded 2-core
// machine took for 5,000 nodes and 500 Services.
func (b *bench) prepared(nodes, services int) error {
	return b.preparedWithin(nodes, services, 30*time.Minute)
}

// preparedWithin is prepared with another bound.
func (b *bench) preparedWithin(nodes, services int, limit time.Duration) error {
	if err := b.world(); err != nil {
		return err
	}
	if err := b.addNodes(0, nodes); err != nil {
		return err
	}
	if err := b.startCCM(); err != nil {
		return err
	}
	if err := b.addServices(services, false); err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && b.ctx.Err() == nil {
		if b.converged(nodes, services) {
			return nil
		}
		time.Sleep(time.Second)
	}
	return fmt.Errorf("cluster of %d nodes and %d services: %w in %v", nodes, services, errNotConverged, limit)
}

// converged: every node routed and saying so, every Service with its IP
// and every node in every pool.
func (b *bench) converged(nodes, services int) bool {
	return b.gceCount("routes") == nodes && b.routesReady() == nodes && b.servicesWithIP() == services && b.poolMembers() == services*nodes
}

// idle measures API use over a quiet period on a converged cluster. It
// continues the world of the largest route scenario when sizes match, and
// with keep leaves its world to the next step.
func (b *bench) idle(nodes, services int, dur time.Duration, keep bool) result {
	name := idleName(dur, nodes, services)
	fmt.Printf("==> %s [%s]\n", name, b.ctl.Name)
	reuse := b.gce != nil && b.gceCount("routes") == nodes
	if reuse {
		if err := b.addServices(services, false); err != nil {
			return b.fail(name, err)
		}
		deadline := time.Now().Add(20 * time.Minute)
		for time.Now().Before(deadline) && b.ctx.Err() == nil && !(b.servicesWithIP() == services && b.poolMembers() == services*nodes) {
			time.Sleep(time.Second)
		}
	} else if err := b.prepared(nodes, services); err != nil {
		return b.fail(name, err)
	}
	// Let post-convergence work (condition patches, events) finish.
	time.Sleep(30 * time.Second)
	b.gce.ResetStats()
	start := time.Now()
	select {
	case <-time.After(dur):
	case <-b.ctx.Done():
	}
	r := result{Name: name, Kind: "idle", Nodes: nodes, Services: services, Converged: true}
	b.fill(&r, start)
	mins := r.WallS / 60
	r.ReadsPerMin, r.WritesPerMin = float64(r.Reads)/mins, float64(r.Writes)/mins
	b.heapProfile(fmt.Sprintf("%s-idle-%d-%d", b.ctl.Name, nodes, services))
	r.Ratio, r.BoundS = 0, 0
	fmt.Printf("    %.1f reads/min, %.1f writes/min, peak RSS %.0f MiB\n", r.ReadsPerMin, r.WritesPerMin, r.PeakRSSMiB)
	if !keep {
		b.teardown()
	}
	return r
}
