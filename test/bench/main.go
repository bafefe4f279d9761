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
	ipamNodes    int
	only         map[string]bool
}

func defaults(quick bool) params {
	p := params{quick: quick, latency: 2 * time.Second, readsPerMin: 1500, writesPerMin: 1500,
		routeSizes: []int{100, 1000, 5000}, lbNodes: 100, lbServices: 100, churnNodes: 50,
		idleNodes: 5000, idleServices: 500, idleFor: 10 * time.Minute, ipamNodes: 1000}
	if quick {
		p.routeSizes = []int{20, 100}
		p.lbNodes, p.lbServices, p.churnNodes = 20, 10, 10
		p.idleNodes, p.idleServices, p.idleFor = 100, 10, time.Minute
		p.ipamNodes = 100
	}
	return p
}

func main() {
	p := defaults(os.Getenv("BENCH_QUICK") == "1")
	k8sBin := flag.String("k8s-bin", os.Getenv("K8S_BIN"), "directory with kube-apiserver and etcd (tools/build-k8s.sh)")
	ccmBin := flag.String("ccm-bin", "bin/gce-cloud-controller-manager", "controller manager binary")
	out := flag.String("out", "bench-results", "directory for results.md, results.json and routes.svg")
	flag.DurationVar(&p.latency, "latency", p.latency, "GCE operation latency")
	flag.IntVar(&p.readsPerMin, "reads-per-minute", p.readsPerMin, "project read quota")
	flag.IntVar(&p.writesPerMin, "writes-per-minute", p.writesPerMin, "project mutation quota")
	flag.DurationVar(&p.idleFor, "idle", p.idleFor, "length of the idle steady-state measurement")
	only := flag.String("scenarios", "routes,ipam,lb,churn,idle", "scenarios to run (comma-separated)")
	flag.Parse()
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
	if err := run(ctx, p, *k8sBin, *ccmBin, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, p params, k8sBin, ccmBin, out string) error {
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
	b, err := newBench(ctx, p, cp, ccmBin, dir)
	if err != nil {
		return err
	}
	started := time.Now()
	var results []result
	if p.only["routes"] {
		for _, n := range p.routeSizes[:len(p.routeSizes)-1] {
			results = append(results, b.routesFromEmpty(n, false))
		}
	}
	if p.only["ipam"] {
		results = append(results, b.ipamFromRegistration(p.ipamNodes))
	}
	if p.only["lb"] {
		results = append(results, b.servicesAtOnce(p.lbNodes, p.lbServices))
	}
	if p.only["churn"] {
		results = append(results, b.nodeChurn(p.lbNodes, p.churnNodes, p.lbServices)...)
	}
	if p.only["routes"] {
		// The largest route scenario leaves its cluster up for the idle one.
		results = append(results, b.routesFromEmpty(p.routeSizes[len(p.routeSizes)-1], p.only["idle"]))
	}
	if p.only["idle"] {
		results = append(results, b.idle(p.idleNodes, p.idleServices, p.idleFor))
	}
	rep := report{Date: time.Now().UTC().Format("2006-01-02"), Machine: machine(), Params: p.describe(), Results: results,
		Total: time.Since(started).Round(time.Second).String()}
	rep.Goals = checkGoals(p, results)
	if err := rep.write(out); err != nil {
		return err
	}
	fmt.Println(rep.markdown())
	fmt.Printf("results written to %s\n", filepath.Join(out, "results.md"))
	if rep.failed() {
		return fmt.Errorf("some goals were missed (see the table)")
	}
	return nil
}

func (p params) describe() string {
	mode := "full"
	if p.quick {
		mode = "quick (BENCH_QUICK=1: small sizes, goals on time not asserted)"
	}
	return fmt.Sprintf("%s; operation latency %v; quotas %d reads/min, %d mutations/min", mode, p.latency, p.readsPerMin, p.writesPerMin)
}
