package gce

import (
	"context"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"golang.org/x/sync/singleflight"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// instanceCacheTTL bounds how stale node metadata (addresses, machine
// type) may be. The cloud-node controller asks for every node's metadata
// every few minutes; answering from one aggregated list instead of a GET
// per node turns 5,000 reads per cycle into about ten.
const instanceCacheTTL = 2 * time.Minute

// instanceCache holds the project's VMs by providerID, refreshed in bulk.
// It only serves InstanceMetadata: decisions that delete or taint nodes
// (InstanceExists, InstanceShutdown) always read GCE.
type instanceCache struct {
	api interface {
		AggregatedListInstances(ctx context.Context, filter string) ([]*computepb.Instance, error)
	}
	mu      sync.RWMutex
	byID    map[string]*computepb.Instance
	fetched time.Time
	group   singleflight.Group
	now     func() time.Time
}

func newInstanceCache(api interface {
	AggregatedListInstances(ctx context.Context, filter string) ([]*computepb.Instance, error)
}) *instanceCache {
	return &instanceCache{api: api, byID: map[string]*computepb.Instance{}, now: time.Now}
}

// get returns the cached VM for a providerID, refreshing the whole cache
// first when it is older than the TTL. A VM missing from a fresh cache is
// reported as a miss (the caller then reads it directly: it may be new).
func (c *instanceCache) get(ctx context.Context, vm gceref.Key) (*computepb.Instance, bool) {
	c.mu.RLock()
	stale := c.now().Sub(c.fetched) > instanceCacheTTL
	c.mu.RUnlock()
	if stale {
		// One refresh serves every concurrent caller.
		_, err, _ := c.group.Do("refresh", func() (any, error) { return nil, c.refresh(ctx) })
		if err != nil {
			klog.FromContext(ctx).V(2).Info("Instance cache refresh failed; reading instances one by one", "err", err)
			return nil, false
		}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	inst, ok := c.byID[vm.ProviderID()]
	return inst, ok
}

func (c *instanceCache) refresh(ctx context.Context) error {
	insts, err := c.api.AggregatedListInstances(ctx, "")
	if err != nil {
		return err
	}
	m := make(map[string]*computepb.Instance, len(insts))
	for _, inst := range insts {
		if vm, err := gceref.ParseRef(inst.GetSelfLink(), "instances", gceref.Defaults{}); err == nil {
			m[vm.ProviderID()] = metadataOnly(inst)
		}
	}
	c.mu.Lock()
	c.byID, c.fetched = m, c.now()
	c.mu.Unlock()
	return nil
}

// put records a VM read directly, so the next question is answered from memory.
func (c *instanceCache) put(vm gceref.Key, inst *computepb.Instance) {
	c.mu.Lock()
	c.byID[vm.ProviderID()] = metadataOnly(inst)
	c.mu.Unlock()
}

// metadataOnly keeps what InstanceMetadata reads (type, status, addresses):
// a full resource is ten times larger, and the cache holds every VM.
func metadataOnly(inst *computepb.Instance) *computepb.Instance {
	out := &computepb.Instance{Name: inst.Name, SelfLink: inst.SelfLink, MachineType: inst.MachineType, Status: inst.Status}
	for _, ni := range inst.GetNetworkInterfaces() {
		n := &computepb.NetworkInterface{NetworkIP: ni.NetworkIP, Ipv6Address: ni.Ipv6Address}
		for _, ac := range ni.GetAccessConfigs() {
			n.AccessConfigs = append(n.AccessConfigs, &computepb.AccessConfig{NatIP: ac.NatIP})
		}
		for _, ac := range ni.GetIpv6AccessConfigs() {
			n.Ipv6AccessConfigs = append(n.Ipv6AccessConfigs, &computepb.AccessConfig{ExternalIpv6: ac.ExternalIpv6})
		}
		out.NetworkInterfaces = append(out.NetworkInterfaces, n)
	}
	return out
}
