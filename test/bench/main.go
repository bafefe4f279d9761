// Command bench runs gce-ccm's scale scenarios on the full stack (a real
// kube-apiserver and etcd, the GCE emulator with a latency and quota model,
// the controller manager binary) and reports each figure beside its lower
// bound. `make bench` runs it; BENCH_QUICK=1 runs small sizes as a smoke test.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// params are the knobs of a run.
type params struct {
	quick        bool
	latency      time.Duration
	readsPerMin  int
	writesPerMin int
	routeSizes   []int
	lbNodes      int
	lbServices   int
	churnNodes   int
	idleNodes    int
	idleServices int
	idleFor      time.Duration
	driftNodes   int
	driftSvcs    int
	driftRules   int
	ipamNodes    int
	tcpUDPNodes  int
	tcpUDPSvcs   int
	upstreamMax  int
	quotaNodes   int // routes from empty beside another client of the quota
	reactNodes   int // reaction: the converged cluster, its LoadBalancers, the additions
	reactSvcs    int
	reactAdds    int
	only         map[string]bool
}

func defaults(quick bool) params {
	p := params{quick: quick, latency: 2 * time.Second, readsPerMin: 1500, writesPerMin: 1500,
		routeSizes: []int{100, 1000, 5000}, lbNodes: 100, lbServices: 100, churnNodes: 50,
		idleNodes: 5000, idleServices: 500, idleFor: 5 * time.Minute, ipamNodes: 1000, tcpUDPNodes: 20, tcpUDPSvcs: 20,
		upstreamMax: 1000, driftNodes: 5000, driftSvcs: 500, driftRules: 50,
		quotaNodes: 1000, reactNodes: 1000, reactSvcs: 100, reactAdds: 20}
	if quick {
		p.driftNodes, p.driftSvcs, p.driftRules = 100, 10, 5
		p.routeSizes = []int{20, 100}
		p.lbNodes, p.lbServices, p.churnNodes = 20, 10, 10
		p.idleNodes, p.idleServices, p.idleFor = 100, 10, time.Minute
		p.ipamNodes, p.tcpUDPNodes, p.tcpUDPSvcs = 100, 10, 5
		p.quotaNodes, p.reactNodes, p.reactSvcs, p.reactAdds = 100, 100, 10, 5
	}
	return p
}

func main() {
	p := defaults(os.Getenv("BENCH_QUICK") == "1")
	k8sBin := flag.String("k8s-bin", os.Getenv("K8S_BIN"), "directory with kube-apiserver and etcd (tools/build-k8s.sh)")
	ccmBin := flag.String("ccm-bin", "bin/gce-cloud-controller-manager", "controller manager binary")
	upBin := flag.String("upstream-bin", "", "the upstream GCE CCM binary (tools/build-upstream-gce-ccm.sh's upstream-gce-ccm), run beside gce-ccm")
	flag.IntVar(&p.upstreamMax, "upstream-max-nodes", p.upstreamMax, "scenarios larger than this are not run for the upstream CCM (named in the table)")
	out := flag.String("out", "bench-results", "directory for results.md, results.json and routes.svg")
	flag.DurationVar(&p.latency, "latency", p.latency, "GCE operation latency")
	flag.IntVar(&p.readsPerMin, "reads-per-minute", p.readsPerMin, "project read quota")
	flag.IntVar(&p.writesPerMin, "writes-per-minute", p.writesPerMin, "project mutation quota")
	flag.DurationVar(&p.idleFor, "idle", p.idleFor, "length of the idle steady-state measurement")
	flag.IntVar(&p.idleNodes, "idle-nodes", p.idleNodes, "nodes of the idle (memory) scenario")
	flag.IntVar(&p.idleServices, "idle-services", p.idleServices, "LoadBalancer Services of the idle (memory) scenario")
	merge := flag.String("merge", "", "comma-separated result directories of one run's processes: write their merged report to --out and exit; no run")
	readme := flag.String("readme", "", "regenerate this README's benchmark block from --out's results.md (a path relative to the README) and exit; no run")
	only := flag.String("scenarios", "routes,ipam,lb,tcpudp,churn,idle,drift,quota,reaction", "scenarios to run (comma-separated)")
	flag.Parse()
	if *merge != "" {
		if err := writeMerged(p, strings.Split(*merge, ","), *out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *readme != "" {
		if err := writeReadme(*readme, *out); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *k8sBin == "" {
		fmt.Fprintln(os.Stderr, "bench: --k8s-bin (or K8S_BIN) is required; `make bench` sets it")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p.only = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		p.only[strings.TrimSpace(s)] = true
	}
	ctls := []controller{ours(*ccmBin, resyncFor(p)), upstream(*upBin, p.upstreamMax)}
	if err := run(ctx, p, *k8sBin, ctls, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// scenario is one measurement, run for each controller in turn.
type scenario struct {
	nodes int
	rows  []row // its rows, for the rows of a controller that does not run it
	run   func(b *bench) []result
}

// row is a scenario's row: its name and its kind (what a controller may
// be unable to do).
type row struct{ name, kind string }

func single(kind, name string, nodes int, f func(b *bench) result) scenario {
	return scenario{nodes, []row{{name, kind}}, func(b *bench) []result { return []result{f(b)} }}
}

func (p params) scenarios() []scenario {
	var ss []scenario
	routes := func(n int) scenario {
		return single("routes", routesName(n), n, func(b *bench) result { return b.routesFromEmpty(n, false) })
	}
	last := p.routeSizes[len(p.routeSizes)-1]
	if p.only["routes"] {
		for _, n := range p.routeSizes[:len(p.routeSizes)-1] {
			ss = append(ss, routes(n))
		}
	}
	if p.only["ipam"] {
		ss = append(ss, single("ipam", ipamName(p.ipamNodes), p.ipamNodes, func(b *bench) result { return b.ipamFromRegistration(p.ipamNodes) }))
	}
	if p.only["lb"] {
		ss = append(ss, single("lb", lbName(p.lbNodes, p.lbServices, false), p.lbNodes,
			func(b *bench) result { return b.servicesAtOnce(p.lbNodes, p.lbServices, false) }))
	}
	if p.only["tcpudp"] {
		ss = append(ss, single("tcpudp", lbName(p.tcpUDPNodes, p.tcpUDPSvcs, true), p.tcpUDPNodes,
			func(b *bench) result { return b.servicesAtOnce(p.tcpUDPNodes, p.tcpUDPSvcs, true) }))
	}
	if p.only["churn"] {
		names := churnNames(p.churnNodes, p.lbServices)
		ss = append(ss, scenario{p.lbNodes + p.churnNodes, []row{{names[0], "churn"}, {names[1], "churn"}},
			func(b *bench) []result { return b.nodeChurn(p.lbNodes, p.churnNodes, p.lbServices) }})
	}
	if p.only["quota"] {
		ss = append(ss, single("quota", quotaName(p.quotaNodes), p.quotaNodes, func(b *bench) result { return b.routesSharingQuota(p.quotaNodes) }))
	}
	if p.only["reaction"] {
		ss = append(ss, single("reaction", reactionName(p.reactNodes, p.reactSvcs, p.reactAdds), p.reactNodes,
			func(b *bench) result { return b.reaction(p.reactNodes, p.reactSvcs, p.reactAdds) }))
	}
	return append(ss, p.scale(last)...)
}

// scale is the largest cluster, prepared once (preparing 5,000 nodes and
// 500 Services takes minutes): routes from empty at its size, then its
// Services for the idle window (which holds the peak memory), then the
// drift on the same world. Steps of other sizes run on their own.
func (p params) scale(last int) []scenario {
	drift := driftName(p.driftNodes, p.driftSvcs, p.driftNodes*5/100, min(p.driftRules, p.driftSvcs))
	chained := scenario{nodes: p.idleNodes}
	var steps []func(b *bench) result
	var alone []scenario
	if p.only["routes"] {
		if last == p.idleNodes && p.only["idle"] {
			chained.rows = append(chained.rows, row{routesName(last), "routes"})
			steps = append(steps, func(b *bench) result { return b.routesFromEmpty(last, true) })
		} else {
			alone = append(alone, single("routes", routesName(last), last, func(b *bench) result { return b.routesFromEmpty(last, false) }))
		}
	}
	driftToo := p.only["drift"] && p.only["idle"] && p.driftNodes == p.idleNodes && p.driftSvcs == p.idleServices
	if p.only["idle"] {
		chained.rows = append(chained.rows, row{idleName(p.idleFor, p.idleNodes, p.idleServices), "idle"})
		steps = append(steps, func(b *bench) result { return b.idle(p.idleNodes, p.idleServices, p.idleFor, driftToo) })
	}
	if driftToo {
		chained.rows = append(chained.rows, row{drift, "drift"})
		steps = append(steps, func(b *bench) result { return b.driftRepair(p.driftNodes, p.driftSvcs, p.driftRules) })
	} else if p.only["drift"] {
		alone = append(alone, single("drift", drift, p.driftNodes, func(b *bench) result { return b.driftRepair(p.driftNodes, p.driftSvcs, p.driftRules) }))
	}
	if len(steps) == 0 {
		return alone
	}
	chained.run = func(b *bench) []result {
		var out []result
		for _, step := range steps {
			out = append(out, step(b))
		}
		return out
	}
	return append(alone, chained)
}

func run(ctx context.Context, p params, k8sBin string, ctls []controller, out string) error {
	dir, err := os.MkdirTemp("", "gce-ccm-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	cp, err := harness.StartControlPlane(ctx, k8sBin, dir)
	if err != nil {
		return err
	}
	defer cp.Stop()
	b, err := newBench(ctx, p, cp, dir)
	if err != nil {
		return err
	}
	started := time.Now()
	load := loadAverage()
	var results []result
	for _, s := range p.scenarios() {
		for _, c := range ctls {
			b.ctl = c
			// A scenario runs when one of its rows can; a row that
			// cannot says why.
			var skipped []result
			for _, r := range s.rows {
				if why := c.skip(r.kind, s.nodes); why != "" {
					skipped = append(skipped, result{Name: r.name, CCM: c.Name, Kind: r.kind, Note: why})
				}
			}
			if len(skipped) == len(s.rows) {
				results = append(results, skipped...)
				continue
			}
			rows := s.run(b)
			if ctx.Err() != nil {
				// Figures of a scenario the run was stopped in are not
				// its figures (a row another run has can replace it,
				// see --merge).
				for i := range rows {
					if rows[i].ranOK() {
						rows[i] = result{Name: rows[i].Name, CCM: rows[i].CCM, Kind: rows[i].Kind, Note: "error: the run was stopped during this scenario"}
					}
				}
			}
			results = append(results, rows...)
		}
	}
	b.teardown()
	rep := report{Date: time.Now().UTC().Format("2006-01-02 15:04 MST"), Machine: machine(), Params: p.describe(), Results: results,
		Total: time.Since(started).Round(time.Second).String(), Load: load + " at the start, " + loadAverage() + " at the end"}
	for _, c := range ctls {
		rep.Settings = append(rep.Settings, c.Settings)
	}
	rep.Goals = checkGoals(p, results)
	if err := rep.write(out); err != nil {
		return err
	}
	fmt.Println(rep.markdown())
	fmt.Printf("results written to %s\n", filepath.Join(out, "results.md"))
	if rep.failed() {
		return fmt.Errorf("some goals were missed or some scenarios failed (see the table)")
	}
	return nil
}

func (p params) describe() string {
	mode := "full"
	if p.quick {
		mode = "quick (BENCH_QUICK=1: small sizes, goals on time not asserted)"
	}
	return fmt.Sprintf("%s; emulator: operation latency %v, quotas %d reads/min and %d mutations/min per project (burst one second's worth); "+
		"did-not-converge timeout 10x the lower bound (at least 1 min); upstream scenarios capped at %d nodes",
		mode, p.latency, p.readsPerMin, p.writesPerMin, p.upstreamMax)
}
