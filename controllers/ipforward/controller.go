package ipforward

import (
	"context"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/controllers/runner"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
)

// Defaults of Options.
const (
	DefaultResyncPeriod       = 5 * time.Minute
	DefaultWorkers            = 4
	DefaultMaxConflictRetries = 3
	DefaultMaxRequeues        = 5
)

// Options tune the controller; zero values take the defaults.
type Options struct {
	Mode Mode
	// ResyncPeriod is how often the project's VMs are read in bulk and every
	// node whose VM does not forward is synced again; a refused enable is
	// retried once per period. What a read said is trusted for
	// inventory.MaxAge.
	ResyncPeriod time.Duration
	// Workers bounds how many nodes are synced at once.
	Workers int
	// MaxConflictRetries bounds the re-read-and-retry rounds after a stale
	// fingerprint (412) within one attempt.
	MaxConflictRetries int
	// MaxRequeues bounds the backoff retries of a failing node; past it the
	// node waits for the next resync.
	MaxRequeues int
	// RateLimiter paces the retries (default: the controller default, 5 ms
	// doubling to 1000 s per node, 10 qps overall).
	RateLimiter workqueue.TypedRateLimiter[string]
}

func (o *Options) setDefaults() {
	if o.ResyncPeriod <= 0 {
		o.ResyncPeriod = DefaultResyncPeriod
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxConflictRetries <= 0 {
		o.MaxConflictRetries = DefaultMaxConflictRetries
	}
	if o.MaxRequeues <= 0 {
		o.MaxRequeues = DefaultMaxRequeues
	}
	if o.RateLimiter == nil {
		o.RateLimiter = workqueue.DefaultTypedControllerRateLimiter[string]()
	}
}

// Controller is the IP forwarding controller. Build it with New, run it
// with Run.
type Controller struct {
	opts    Options
	api     *gceapi.Client
	project string
	kube    kubernetes.Interface

	nodes       corelisters.NodeLister
	nodesSynced cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder
	inv         *inventory.Inventory // the process's VMs, shared with the provider

	mu         sync.Mutex
	epoch      uint64             // resyncs so far
	failures   map[string]Failure // by node name: the last failed enable
	forwarding map[string]bool    // by node name: does its VM forward (for the gauge)
	skipped    map[string]string  // by node name: why it was skipped, logged once
	notFwd     int                // nodes with forwarding false
}

// New builds the controller on the process's API client and VM inventory
// and hooks it to the node informer; the caller starts the informer (after
// New) and then calls Run.
func New(api *gceapi.Client, vms *inventory.Inventory, kube kubernetes.Interface, nodes coreinformers.NodeInformer, opts Options) (*Controller, error) {
	if _, err := ParseMode(string(opts.Mode)); err != nil {
		return nil, fmt.Errorf("ipforward: mode: %w", err)
	}
	opts.setDefaults()
	RegisterMetrics()
	c := &Controller{
		opts: opts, api: api, project: api.Project, kube: kube,
		nodes: nodes.Lister(), nodesSynced: nodes.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(opts.RateLimiter,
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "ipforward"}),
		inv:      vms,
		failures: map[string]Failure{}, forwarding: map[string]bool{}, skipped: map[string]string{},
	}
	c.broadcaster = record.NewBroadcaster()
	c.recorder = c.broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "gce-ccm-ipforward"})
	switch opts.Mode {
	case ModeOff:
		return c, nil
	case ModeEnforce:
		vms.KeepFullWhenNotForwarding() // enable sends the whole resource back
	}
	// Status heartbeats change nothing here; a new providerID or someone
	// else touching our condition does.
	err := runner.WatchNodes(nodes, c.queue, func(o, n *v1.Node) bool {
		return o.Spec.ProviderID == n.Spec.ProviderID && sameCondition(conditionOf(o), conditionOf(n))
	})
	if err != nil {
		return nil, fmt.Errorf("ipforward: watching nodes: %w", err)
	}
	return c, nil
}

func sameCondition(a, b *v1.NodeCondition) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Status == b.Status && a.Reason == b.Reason && a.Message == b.Message
}

// Run works until ctx ends: one bulk read first (so that a fresh start
// costs no read per node), then the workers, and a bulk read every resync
// period. In mode off it returns at once.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx)
	if c.opts.Mode == ModeOff {
		logger.Info("IP forwarding controller is off (gce-ccm-ipforward-mode=off): node VMs are neither checked nor changed")
		return
	}
	defer runner.RecordEvents(c.broadcaster, c.kube, 3)()

	logger.Info("Starting IP forwarding controller", "mode", c.opts.Mode, "project", c.project,
		"resyncPeriod", c.opts.ResyncPeriod, "workers", c.opts.Workers)
	defer logger.Info("Stopped IP forwarding controller")
	if !cache.WaitForNamedCacheSync("ipforward", ctx.Done(), c.nodesSynced) {
		return
	}
	c.resync(ctx)
	defer runner.Workers(c.opts.Workers, c.queue, func() bool { return c.processNext(ctx) })()
	runner.Every(ctx, c.opts.ResyncPeriod, c.resync)
}

func (c *Controller) processNext(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)
	err := c.sync(ctx, name)
	switch {
	case err == nil:
		c.queue.Forget(name)
	case ctx.Err() != nil:
		// Shutting down: the next start reads everything again.
	case c.queue.NumRequeues(name) < c.opts.MaxRequeues:
		klog.FromContext(ctx).Error(err, "Syncing node IP forwarding failed; retrying with backoff", "node", name)
		c.queue.AddRateLimited(name)
	default:
		klog.FromContext(ctx).Error(err, "Syncing node IP forwarding failed; giving up until the next resync", "node", name,
			"attempts", c.queue.NumRequeues(name)+1, "resyncPeriod", c.opts.ResyncPeriod)
		c.queue.Forget(name)
	}
	return true
}

// resync reads the project's VMs in one aggregatedList and enqueues every
// node that is not settled. It also opens a new epoch, in which nodes whose
// enable GCE refused are tried once more.
func (c *Controller) resync(ctx context.Context) {
	logger := klog.FromContext(ctx)
	start := time.Now()
	vms, err := c.inv.Relist(ctx)
	c.mu.Lock()
	c.epoch++
	c.mu.Unlock()
	nodes, lerr := c.nodes.List(everything())
	if lerr != nil {
		utilruntime.HandleError(lerr)
		return
	}
	if err != nil && ctx.Err() != nil {
		return // shutting down
	}
	if err != nil {
		resyncTotal.WithLabelValues("error").Inc()
		// Without the bulk read, fall back to syncing (one GET each) every
		// node not known to forward.
		logger.Error(err, "Reading the project's VMs failed; syncing the nodes not known to forward one by one", "project", c.project)
		for _, n := range nodes {
			if fwd, ok := c.knownForwarding(n.Name); !ok || !settled(n, fwd) {
				c.queue.Add(n.Name)
			}
		}
		return
	}
	resyncTotal.WithLabelValues("success").Inc()
	queued := 0
	for _, n := range nodes {
		vm, skip := target(n, c.project)
		if skip != "" {
			continue // logged when the node was synced
		}
		rec, res := c.inv.Lookup(vm, existedBy(n))
		switch res {
		case inventory.Absent:
			c.skip(ctx, n.Name, vmGone(vm))
			continue
		case inventory.Hit:
			c.setForwarding(n.Name, rec.CanIPForward)
			if settled(n, rec.CanIPForward) {
				continue
			}
		}
		c.queue.Add(n.Name)
		queued++
	}
	logger.V(2).Info("Resynced IP forwarding", "vms", vms, "nodes", len(nodes), "queued", queued, "took", time.Since(start))
}

// newNodeMargin: a node created less than this before a list started may
// run on a VM the list missed (clocks of the API server and of this
// process differ too), so its absence proves nothing.
const newNodeMargin = time.Minute

// existedBy is when a node's VM surely existed: a node's VM exists before
// the kubelet on it can register the node, so a list that began after
// this and does not hold the VM proves it gone.
func existedBy(n *v1.Node) time.Time { return n.CreationTimestamp.Add(newNodeMargin) }

func (c *Controller) currentEpoch() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func (c *Controller) lastFailure(node string) *Failure {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.failures[node]; ok {
		return &f
	}
	return nil
}

func (c *Controller) setFailure(node string, f *Failure) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f == nil {
		delete(c.failures, node)
		return
	}
	c.failures[node] = *f
}

func (c *Controller) knownForwarding(node string) (fwd, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fwd, ok = c.forwarding[node]
	return fwd, ok
}

// setForwarding records whether a node's VM forwards and updates the gauge.
func (c *Controller) setForwarding(node string, fwd bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.forwarding[node]; ok && !old {
		c.notFwd--
	}
	c.forwarding[node] = fwd
	if !fwd {
		c.notFwd++
	}
	nodesNotForwarding.Set(float64(c.notFwd))
}

// forgetNode drops what is known of a node that is gone or not ours.
func (c *Controller) forgetNode(node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.forwarding[node]; ok && !old {
		c.notFwd--
	}
	delete(c.forwarding, node)
	delete(c.failures, node)
	nodesNotForwarding.Set(float64(c.notFwd))
}

// skip logs, once per node and reason, why a node is left alone.
func (c *Controller) skip(ctx context.Context, node, why string) {
	c.mu.Lock()
	logged := c.skipped[node] == why
	c.skipped[node] = why
	c.mu.Unlock()
	if !logged {
		klog.FromContext(ctx).Info("Skipping node", "node", node, "why", why)
	}
	c.forgetNode(node)
}

// unskip forgets why a node was skipped once it no longer is, so that a
// new reason is logged again.
func (c *Controller) unskip(node string) {
	c.mu.Lock()
	delete(c.skipped, node)
	c.mu.Unlock()
}

// dropNode forgets a deleted node entirely.
func (c *Controller) dropNode(node string) {
	c.forgetNode(node)
	c.mu.Lock()
	delete(c.skipped, node)
	c.mu.Unlock()
}

func everything() labels.Selector { return labels.Everything() }
