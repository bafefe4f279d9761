package nodeipam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
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
)

// DefaultWorkers: a sync is one PATCH to the API server; 30 matches
// kube-controller-manager's range allocator (cidrUpdateWorkers), which
// keeps up with a burst of a thousand new nodes.
const DefaultWorkers = 30

// allocator is where a node's pod CIDRs come from.
type allocator interface {
	// Occupy records the pod CIDRs a node already has, or says why they
	// are refused (the node is then left as it is).
	Occupy(node *v1.Node) error
	// Allocate returns the pod CIDRs a node without any gets.
	Allocate(ctx context.Context, node *v1.Node) ([]string, error)
	// Release forgets a deleted node; true if that freed anything.
	Release(name string) bool
}

// Options tune the controller; zero values take the defaults.
type Options struct {
	Workers     int
	RateLimiter workqueue.TypedRateLimiter[string]
}

// Controller gives every node its pod CIDRs (spec.podCIDRs). Build it with
// New, run it with Run.
type Controller struct {
	cfg   Config
	opts  Options
	alloc allocator
	kube  kubernetes.Interface

	nodes       corelisters.NodeLister
	nodesSynced cache.InformerSynced
	queue       workqueue.TypedRateLimitingInterface[string]
	broadcaster record.EventBroadcaster
	recorder    record.EventRecorder

	// markNetworkAvailable: set NetworkUnavailable=False on a node once it
	// has its CIDRs (the route controller does it when it runs).
	markNetworkAvailable bool

	mu      sync.Mutex
	waiting map[string]bool // nodes that found a cluster CIDR full
}

// New builds the RangeAllocator controller and hooks it to the node
// informer; the caller starts the informer and then calls Run.
func New(cfg Config, kube kubernetes.Interface, nodes coreinformers.NodeInformer, opts Options) (*Controller, error) {
	if cfg.Type != RangeAllocator {
		return nil, fmt.Errorf("nodeipam: New builds the %s; %s needs NewCloud", RangeAllocator, cfg.Type)
	}
	r, err := newRanges(cfg)
	if err != nil {
		return nil, fmt.Errorf("nodeipam: %w", err)
	}
	return newController(cfg, r, kube, nodes, opts)
}

func newController(cfg Config, alloc allocator, kube kubernetes.Interface, nodes coreinformers.NodeInformer, opts Options) (*Controller, error) {
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.RateLimiter == nil {
		opts.RateLimiter = workqueue.DefaultTypedControllerRateLimiter[string]()
	}
	RegisterMetrics()
	c := &Controller{
		cfg: cfg, opts: opts, alloc: alloc, kube: kube,
		nodes: nodes.Lister(), nodesSynced: nodes.Informer().HasSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(opts.RateLimiter,
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "nodeipam"}),
		waiting: map[string]bool{},
	}
	c.broadcaster = record.NewBroadcaster()
	c.recorder = c.broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "node-ipam-controller"})
	// Heartbeats change nothing here; new or missing CIDRs do.
	err := runner.WatchNodes(nodes, c.queue, func(o, n *v1.Node) bool {
		return hasPodCIDRs(n) && slices.Equal(o.Spec.PodCIDRs, n.Spec.PodCIDRs) && o.Spec.PodCIDR == n.Spec.PodCIDR &&
			(!c.markNetworkAvailable || networkAvailable(n))
	})
	if err != nil {
		return nil, fmt.Errorf("nodeipam: watching nodes: %w", err)
	}
	return c, nil
}

// Run works until ctx ends. Before any allocation it records the CIDRs
// every existing node has, oldest node first, so that a restart or a new
// leader never hands out a CIDR a node holds, and of two nodes claiming
// one CIDR the older keeps it and the newer gets the Event.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx)
	defer runner.RecordEvents(c.broadcaster, c.kube, 3)()

	logger.Info("Starting node IPAM controller", "allocator", c.cfg.Type, "clusterCIDRs", c.cfg.poolsString(),
		"serviceCIDRs", c.cfg.Services, "workers", c.opts.Workers)
	defer logger.Info("Stopped node IPAM controller")
	if !cache.WaitForNamedCacheSync("nodeipam", ctx.Done(), c.nodesSynced) {
		return
	}
	if err := c.occupyExisting(ctx); err != nil {
		utilruntime.HandleError(err)
		return
	}
	defer runner.Workers(c.opts.Workers, c.queue, func() bool { return c.processNext(ctx) })()
	<-ctx.Done()
}

// occupyExisting records every node's CIDRs before the first allocation.
func (c *Controller) occupyExisting(ctx context.Context) error {
	nodes, err := c.nodes.List(labels.Everything())
	if err != nil {
		return fmt.Errorf("nodeipam: listing nodes: %w", err)
	}
	slices.SortFunc(nodes, olderFirst)
	held := 0
	for _, n := range nodes {
		if !hasPodCIDRs(n) {
			continue
		}
		if c.occupy(ctx, n) {
			held++
		}
	}
	klog.FromContext(ctx).Info("Recorded the pod CIDRs nodes already have", "nodes", len(nodes), "withCIDRs", held)
	return nil
}

func olderFirst(a, b *v1.Node) int {
	if c := a.CreationTimestamp.Time.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func (c *Controller) processNext(ctx context.Context) bool {
	name, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(name)
	if err := c.sync(ctx, name); err != nil {
		if ctx.Err() == nil {
			klog.FromContext(ctx).Error(err, "Giving a node its pod CIDRs failed; retrying with backoff", "node", name)
			c.queue.AddRateLimited(name)
		}
		return true
	}
	c.queue.Forget(name)
	return true
}

// sync brings one node to having pod CIDRs (or says why it cannot).
func (c *Controller) sync(ctx context.Context, name string) error {
	node, err := c.nodes.Get(name)
	if apierrors.IsNotFound(err) {
		c.setWaiting(name, false)
		if c.alloc.Release(name) {
			klog.FromContext(ctx).V(2).Info("Released the pod CIDRs of a deleted node", "node", name)
			c.wakeWaiting()
		}
		return nil
	}
	if err != nil {
		return err
	}
	if hasPodCIDRs(node) {
		c.setWaiting(name, false)
		if c.occupy(ctx, node) && c.markNetworkAvailable && !networkAvailable(node) {
			return c.setNetworkAvailable(ctx, node)
		}
		return nil
	}
	cidrs, err := c.alloc.Allocate(ctx, node)
	if errors.Is(err, ErrExhausted) {
		allocationsTotal.WithLabelValues(string(c.cfg.Type), resultExhausted).Inc()
		c.recorder.Eventf(node, v1.EventTypeWarning, ReasonCIDRNotAvailable,
			"No pod CIDR for this node: %v; it gets one when another node is deleted", err)
		if c.setWaiting(name, true) {
			klog.FromContext(ctx).Info("No free pod CIDR for a node; it waits for one to be released", "node", name, "err", err)
		}
		return nil
	}
	if err != nil {
		allocationsTotal.WithLabelValues(string(c.cfg.Type), resultFailed).Inc()
		if c.queue.NumRequeues(name) == 0 {
			// Once per episode, not per retry: the recorder would fold
			// them, but each retry would still be a write.
			c.recorder.Eventf(node, v1.EventTypeWarning, ReasonCIDRNotAvailable, "No pod CIDR for this node yet: %v; retrying", err)
		}
		return fmt.Errorf("allocating: %w", err)
	}
	if err := c.patchPodCIDRs(ctx, name, cidrs); err != nil {
		allocationsTotal.WithLabelValues(string(c.cfg.Type), resultFailed).Inc()
		if apierrors.IsNotFound(err) {
			c.alloc.Release(name)
			return nil
		}
		if apierrors.IsInvalid(err) || apierrors.IsConflict(err) {
			// Someone else set the node's CIDRs first (they are immutable
			// once set): drop ours; the retry records theirs.
			c.alloc.Release(name)
		}
		return fmt.Errorf("writing pod CIDRs %v: %w", cidrs, err)
	}
	c.setWaiting(name, false)
	allocationsTotal.WithLabelValues(string(c.cfg.Type), resultAllocated).Inc()
	klog.FromContext(ctx).V(2).Info("Gave a node its pod CIDRs", "node", name, "podCIDRs", cidrs)
	if c.markNetworkAvailable {
		return c.setNetworkAvailable(ctx, node)
	}
	return nil
}

// occupy records a node's existing CIDRs, or puts on the node why not.
func (c *Controller) occupy(ctx context.Context, node *v1.Node) bool {
	err := c.alloc.Occupy(node)
	if err == nil {
		return true
	}
	reason := rejectionReason(err)
	rejectedTotal.WithLabelValues(reason).Inc()
	c.recorder.Eventf(node, v1.EventTypeWarning, reason,
		"Pod CIDRs %v are not accepted: %v; the node keeps them, no other node gets them, and no route is changed for this", node.Spec.PodCIDRs, err)
	klog.FromContext(ctx).Info("A node's pod CIDRs are not accepted", "node", node.Name, "podCIDRs", node.Spec.PodCIDRs, "reason", reason, "err", err)
	return false
}

// patchPodCIDRs writes spec.podCIDR and spec.podCIDRs with a merge patch
// (the list replaced whole, not merged). The API server refuses to change
// them once set, which is what makes a lost race safe.
func (c *Controller) patchPodCIDRs(ctx context.Context, name string, cidrs []string) error {
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"podCIDR": cidrs[0], "podCIDRs": cidrs}})
	if err != nil {
		return err
	}
	_, err = c.kube.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// setWaiting marks or unmarks a node as waiting for a free CIDR; it
// reports whether that changed anything.
func (c *Controller) setWaiting(name string, w bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waiting[name] == w {
		return false
	}
	if w {
		c.waiting[name] = true
	} else {
		delete(c.waiting, name)
	}
	nodesWaiting.Set(float64(len(c.waiting)))
	return true
}

// wakeWaiting retries every node waiting for a free CIDR.
func (c *Controller) wakeWaiting() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n := range c.waiting {
		c.queue.Add(n)
	}
}

func (cfg Config) poolsString() string {
	parts := make([]string, len(cfg.Pools))
	for i, p := range cfg.Pools {
		parts[i] = fmt.Sprintf("%s (/%d per node)", p.CIDR, p.MaskSize)
	}
	return strings.Join(parts, ", ")
}
