// Package dataplane is a VPC dataplane for the GCE emulator: Linux network
// namespaces that carry real packets the way GCE's network would for the
// emulator's current state (VMs, routes, canIpForward, firewall rules,
// target-pool network load balancers with real HTTP health checks).
//
// One "fabric" namespace stands for the VPC: each VM is a namespace with
// eth0 wired to the fabric by a veth; an "internet" namespace holds
// external clients and a "probe" namespace GCE's health checkers. The
// fabric routes with the kernel's FIB (static routes as routes whose
// metric is the GCE priority) and filters with one nftables table
// (anti-spoof, firewall, load-balancer steering, counters). Nothing is
// attached to the host's own interfaces or routes.
package dataplane

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/klog/v2"
)

// Options configures a fabric.
type Options struct {
	Source  Source
	Project string
	Network string        // the VPC network to carry; default "default"
	Poll    time.Duration // how often the source's generation is read; default 100ms
	// Clients are the internet namespace's addresses (external clients);
	// default 198.51.100.10 and 203.0.113.10 (documentation ranges).
	Clients []netip.Addr
}

var fabricSeq atomic.Int64

// Fabric is a running dataplane following one emulator.
type Fabric struct {
	opts   Options
	prefix string // namespace name prefix of this fabric: gcevpc<pid>-<n>-

	fabric, internet, probe *ns

	mu      sync.Mutex // guards everything below and serialises syncs
	vms     map[string]*vmNS
	index   map[string]int
	applied appliedKernel
	ruleset string // the nftables text loaded last
	plan    Plan
	state   State
	gen     uint64
	syncs   int
	lastErr error
	// lastSync is how long the last sync took: reading and parsing the
	// state, and in all (planning and applying too).
	lastSync syncTimes

	prober *prober
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

// Start builds the fabric, applies the emulator's current state and
// follows it until Close. Stale namespaces of dead runs are removed first.
func Start(ctx context.Context, opts Options) (*Fabric, error) {
	if err := CheckTools(); err != nil {
		return nil, err
	}
	if opts.Source == nil || opts.Project == "" {
		return nil, fmt.Errorf("dataplane: Options.Source and Options.Project are required")
	}
	if opts.Network == "" {
		opts.Network = "default"
	}
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	if len(opts.Clients) == 0 {
		opts.Clients = []netip.Addr{netip.MustParseAddr("198.51.100.10"), netip.MustParseAddr("203.0.113.10")}
	}
	logger := klog.FromContext(ctx)
	if removed, err := RemoveStale(); err != nil {
		return nil, err
	} else if len(removed) > 0 {
		logger.Info("Removed stale dataplane namespaces", "namespaces", removed)
	}
	f := &Fabric{opts: opts, prefix: fmt.Sprintf("%s%d-%d-", NamePrefix, os.Getpid(), fabricSeq.Add(1)),
		vms: map[string]*vmNS{}, index: map[string]int{}, applied: newApplied(),
		kick: make(chan struct{}, 1), done: make(chan struct{})}
	if err := f.buildEdges(); err != nil {
		f.teardown()
		return nil, err
	}
	f.prober = newProber(f.probe.name, f.Kick)
	if err := f.sync(ctx); err != nil {
		f.teardown()
		return nil, err
	}
	loopCtx, cancel := context.WithCancel(klog.NewContext(context.WithoutCancel(ctx), logger))
	f.cancel = cancel
	go f.follow(loopCtx)
	return f, nil
}

// Kick asks for a sync now (health changes call it).
func (f *Fabric) Kick() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// follow polls the source's generation and syncs on change or kick.
func (f *Fabric) follow(ctx context.Context) {
	defer close(f.done)
	logger := klog.FromContext(ctx)
	t := time.NewTicker(f.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			gen, err := f.opts.Source.Generation(ctx)
			f.mu.Lock()
			same := err == nil && gen == f.gen && f.lastErr == nil
			f.mu.Unlock()
			if same {
				continue
			}
		case <-f.kick:
		}
		if err := f.sync(ctx); err != nil && ctx.Err() == nil {
			logger.Error(err, "Dataplane sync failed; retrying at the next poll")
		}
	}
}

// sync reads the state, plans and applies it.
func (f *Fabric) sync(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.syncLocked(ctx)
	f.lastErr = err
	return err
}

func (f *Fabric) syncLocked(ctx context.Context) error {
	start := time.Now()
	gen, err := f.opts.Source.Generation(ctx)
	if err != nil {
		return err
	}
	dump, err := f.opts.Source.State(ctx)
	if err != nil {
		return err
	}
	st, err := ParseState(dump, f.opts.Project, f.opts.Network)
	if err != nil {
		return fmt.Errorf("dataplane: %w", err)
	}
	read := time.Since(start)
	plan := MakePlan(st, f.index, f.prober.Healthy)
	if err := f.apply(ctx, st, plan); err != nil {
		return err
	}
	f.lastSync = syncTimes{Read: read, Total: time.Since(start)}
	f.prober.follow(st, plan)
	f.state, f.plan, f.gen = st, plan, gen
	f.syncs++
	klog.FromContext(ctx).V(2).Info("Dataplane synced", "generation", gen, "plan", plan.String())
	return nil
}

// apply makes the kernel match a plan: VM namespaces and links, routes,
// policy routing for load balancers, then the nftables table.
func (f *Fabric) apply(ctx context.Context, st State, plan Plan) error {
	if err := f.plugVMs(plan); err != nil {
		return err
	}
	if err := f.applyRoutes(plan); err != nil {
		return err
	}
	// Most changes (a route, a VM's status) leave the ruleset as it was:
	// loading it again would cost an nft run (~100 ms on a loaded machine).
	rs := Ruleset(st, plan)
	if rs == f.ruleset {
		return nil
	}
	if err := nft(ctx, f.fabric.name, rs); err != nil {
		return err
	}
	f.ruleset = rs
	return nil
}

// syncTimes are the durations of one sync.
type syncTimes struct{ Read, Total time.Duration }

// Close stops following and removes every namespace of this fabric.
func (f *Fabric) Close() {
	if f.cancel != nil {
		f.cancel()
		<-f.done
	}
	f.prober.stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.teardown()
}

func (f *Fabric) teardown() {
	for path, vm := range f.vms {
		vm.ns.remove()
		delete(f.vms, path)
	}
	f.probe.remove()
	f.internet.remove()
	f.fabric.remove()
}

// NamespaceName is the name this fabric gives a namespace of the given role
// (the node half names its pods with it, so they are cleaned up alike).
func (f *Fabric) NamespaceName(role string) string { return f.prefix + role }

// VMNamespace is the namespace of a VM by name ("" when the fabric has none).
func (f *Fabric) VMNamespace(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, vm := range f.vms {
		if vm.name == name {
			return vm.ns.name
		}
	}
	return ""
}

// InternetNamespace holds the external clients (Options.Clients).
func (f *Fabric) InternetNamespace() string { return f.internet.name }

// Clients are the internet namespace's addresses.
func (f *Fabric) Clients() []netip.Addr { return f.opts.Clients }

// Plan is the plan applied last.
func (f *Fabric) Plan() Plan {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.plan
}

// Generation is the source generation applied last.
func (f *Fabric) Generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}
