// Package gce is the Google Compute Engine cloud provider of gce-ccm:
// routes per node pod CIDR, node metadata, zones and network load
// balancers, over the gceapi layer.
package gce

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/api/option"
	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/record"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
	"github.com/gce-ccm/gce-ccm/providers/gce/keylock"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb"
)

// ProviderName is the name the provider registers under (--cloud-provider=gce).
const ProviderName = "gce"

func init() {
	cloudprovider.RegisterCloudProvider(ProviderName, newFromConfigFile)
}

// Cloud implements cloudprovider.Interface for GCE.
type Cloud struct {
	cfg    *Config
	api    *gceapi.Client
	region string
	zones  []string // the zones whose VMs this cluster may use

	kube     kubernetes.Interface
	nodes    corelisters.NodeLister // nil until Initialize
	recorder record.EventRecorder

	vms                   *inventory.Inventory // the process's VMs, shared with the LB and ipforward
	cannotForwardReported sync.Map             // node name -> time of the last event
	clusterCIDRs          []netip.Prefix

	lbOnce sync.Once
	lbs    *lb.LoadBalancers // built on first use: it needs the client Initialize brings

	routeLocks   keylock.Locks // one route name at a time (routes.go)
	routeBackoff routeBackoff  // per-node wait after a quota failure
	resync       atomic.Int64  // the flag's resync period, 0: gce.conf's
	now          func() time.Time
}

// newFromConfigFile is the factory the cloud-provider framework calls with
// the --cloud-config file. The framework gives it no context: this is the
// entry point, so it makes one.
func newFromConfigFile(r io.Reader) (cloudprovider.Interface, error) {
	ctx := context.TODO()
	var md MetadataDefaults
	if onGCE() {
		md = metadataDefaults{ctx: ctx}
	}
	cfg, err := ParseConfig(r, md)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		klog.Warning(w) // W severity: logr has no level for it
	}
	ts, err := tokenSource(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("gce: credentials: %w", err)
	}
	return NewCloud(ctx, cfg, option.WithTokenSource(ts))
}

// NewCloud builds the provider from a checked config. opts carry the
// credentials (tests pass option.WithoutAuthentication()).
func NewCloud(ctx context.Context, cfg *Config, opts ...option.ClientOption) (*Cloud, error) {
	api, err := gceapi.New(ctx, gceapi.Config{
		Project: cfg.ProjectID, NetworkProject: cfg.NetworkProjectID, Endpoint: cfg.APIEndpoint, ClientOptions: opts,
		ReadsPerSecond: cfg.ReadsPerSecond, MutationsPerSecond: cfg.MutationsPerSecond, PollInterval: cfg.PollInterval,
	})
	if err != nil {
		return nil, err
	}
	c := &Cloud{cfg: cfg, api: api, region: cfg.Region(), zones: []string{cfg.LocalZone}, vms: inventory.New(api), now: time.Now}
	if cfg.Multizone || cfg.Regional {
		zones, err := api.ListZones(ctx, fmt.Sprintf(`region eq ".*/regions/%s"`, c.region))
		if err != nil {
			return nil, fmt.Errorf("gce: listing the zones of region %s (multizone): %w", c.region, err)
		}
		c.zones = c.zones[:0]
		for _, z := range zones {
			c.zones = append(c.zones, z.GetName())
		}
		if len(c.zones) == 0 {
			return nil, fmt.Errorf("gce: region %s has no zones", c.region)
		}
	}
	return c, nil
}

// Config returns the provider's configuration.
func (c *Cloud) Config() *Config { return c.cfg }

// API returns the GCE API layer (for the controllers gce-ccm adds).
func (c *Cloud) API() *gceapi.Client { return c.api }

// Inventory returns the process's one copy of the project's VMs (for the
// controllers gce-ccm adds).
func (c *Cloud) Inventory() *inventory.Inventory { return c.vms }

// Initialize takes the Kubernetes client and starts the event recorder,
// which stops with stop. The node lister comes from the framework's shared
// informers (SetInformers), so the controller manager caches every node once.
func (c *Cloud) Initialize(cb cloudprovider.ControllerClientBuilder, stop <-chan struct{}) {
	c.setKube(cb.ClientOrDie("cloud-provider"), stop)
}

// SetInformers implements cloudprovider.InformerUser: the provider maps node
// names to VMs through the shared node informer. It also trims what the
// node and Service informers cache (cachetrim.go), for every controller
// that shares them.
func (c *Cloud) SetInformers(f informers.SharedInformerFactory) {
	inf := f.Core().V1().Nodes()
	if err := inf.Informer().SetTransform(trimNode); err != nil {
		klog.InfoS("Node informer already started; caching nodes untrimmed", "err", err)
	}
	if err := f.Core().V1().Services().Informer().SetTransform(trimService); err != nil {
		klog.InfoS("Service informer already started; caching Services untrimmed", "err", err)
	}
	c.nodes = inf.Lister()
}

func (c *Cloud) setKube(kube kubernetes.Interface, stop <-chan struct{}) {
	c.kube = kube
	b := record.NewBroadcaster()
	go func() { <-stop; b.Shutdown() }()
	b.StartStructuredLogging(0)
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	c.recorder = b.NewRecorder(scheme.Scheme, v1.EventSource{Component: "gce-cloud-controller-manager"})
}

func (c *Cloud) ProviderName() string { return ProviderName }
func (c *Cloud) HasClusterID() bool   { return true }

func (c *Cloud) Instances() (cloudprovider.Instances, bool)     { return nil, false }
func (c *Cloud) InstancesV2() (cloudprovider.InstancesV2, bool) { return c, true }
func (c *Cloud) Zones() (cloudprovider.Zones, bool)             { return c, true }
func (c *Cloud) Clusters() (cloudprovider.Clusters, bool)       { return nil, false }
func (c *Cloud) Routes() (cloudprovider.Routes, bool)           { return c, true }

func (c *Cloud) LoadBalancer() (cloudprovider.LoadBalancer, bool) { return c.loadBalancers(), true }

// loadBalancers builds the load balancer on its dependencies, once.
func (c *Cloud) loadBalancers() *lb.LoadBalancers {
	c.lbOnce.Do(func() {
		c.lbs = lb.New(lb.Deps{API: c.api, Region: c.region, NetworkURL: c.cfg.NetworkURL, SubnetworkName: c.cfg.SubnetworkName, NodeTags: c.cfg.NodeTags,
			VMs: c.vms, Zones: c.zones, Recorder: c.recorder,
			ClusterID: &lb.ConfigMapClusterID{Kube: c.kube}})
	})
	return c.lbs
}

// eventOnNode records an event on a node by name (no-op before Initialize).
func (c *Cloud) eventOnNode(nodeName, eventType, reason, msg string) {
	if c.recorder == nil {
		return
	}
	ref := &v1.ObjectReference{Kind: "Node", Name: nodeName, UID: "", APIVersion: "v1"}
	if c.nodes != nil {
		if n, err := c.nodes.Get(nodeName); err == nil {
			ref.UID = n.UID
		}
	}
	c.recorder.Event(ref, eventType, reason, msg)
}
