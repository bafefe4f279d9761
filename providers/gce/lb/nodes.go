package lb

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// The nodes behind a load balancer: their VMs, read from the providerIDs
// without any API call, and the network tags its firewall rules target.

// hostsOf maps nodes to the URLs of their VMs in the region, sorted. A
// node without a providerID yet is looked up by name in the managed zones.
// Every sync of every Service names every node: the URLs are built once
// per providerID (hostURLs) and collected in a slice, not a set.
func (l *LoadBalancers) hostsOf(ctx context.Context, nodes []*v1.Node) ([]string, error) {
	log := klog.FromContext(ctx)
	urls := make([]string, 0, len(nodes))
	var unnamed []string
	for _, n := range nodes {
		if n.Spec.ProviderID == "" {
			unnamed = append(unnamed, gceref.NodeInstanceName(n.Name))
			continue
		}
		if u := l.hostURLs.of(log, n.Name, n.Spec.ProviderID, l.inRegion); u != "" {
			urls = append(urls, u)
		}
	}
	if len(unnamed) > 0 {
		set := map[string]bool{}
		if err := l.addUnnamed(ctx, set, unnamed); err != nil {
			return nil, err
		}
		for u := range set {
			urls = append(urls, u)
		}
	}
	l.hostURLs.forget(len(nodes))
	slices.Sort(urls)
	return slices.Compact(urls), nil
}

// addUnnamed finds VMs by name in the managed zones: in the VM
// inventory, listed again once if one is missing (a new VM).
func (l *LoadBalancers) addUnnamed(ctx context.Context, urls map[string]bool, names []string) error {
	log := klog.FromContext(ctx)
	for fresh := false; ; fresh = true {
		if err := l.listVMs(ctx, fresh); err != nil {
			return err
		}
		var missing []string
		for _, name := range names {
			found := false
			for _, z := range l.deps.Zones {
				if vm := gceref.Instance(l.api.Project, z, name); l.vm(vm) != nil {
					l.addHost(log, urls, name, vm)
					found = true
				}
			}
			if !found {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 || fresh {
			if len(missing) > 0 {
				log.Info("Nodes left out of load balancers: no VM of that name in the managed zones", "nodes", missing, "zones", l.deps.Zones)
			}
			return nil
		}
		names = missing
	}
}

// addHost keeps VMs of the region: a target pool is regional.
func (l *LoadBalancers) addHost(log klog.Logger, urls map[string]bool, node string, vm gceref.Key) {
	if l.inRegion(log, node, vm) {
		urls[vm.SelfLink()] = true
	}
}

func (l *LoadBalancers) inRegion(log klog.Logger, node string, vm gceref.Key) bool {
	if gceref.RegionOfZone(vm.Location) != l.region {
		log.Info("Node left out of load balancers: its VM is outside the region", "node", node, "vm", vm.String(), "region", l.region)
		return false
	}
	return true
}

// hostURLs is each node VM's URL by providerID, built once. Nodes come
// and go (autoscaling, upgrades replace every VM), so entries of nodes
// gone are dropped: see forget.
type hostURLs struct {
	mu   sync.RWMutex
	urls map[string]string // providerID -> URL
}

// of is the URL of the VM providerID names if inRegion keeps it, else ""
// (logged each time, as are bad providerIDs).
func (h *hostURLs) of(log klog.Logger, node, providerID string, inRegion func(klog.Logger, string, gceref.Key) bool) string {
	h.mu.RLock()
	u, ok := h.urls[providerID]
	h.mu.RUnlock()
	if ok {
		return u
	}
	vm, err := gceref.ParseProviderID(providerID)
	if err != nil {
		log.Info("Node left out of load balancers: bad providerID", "node", node, "err", err)
		return ""
	}
	if !inRegion(log, node, vm) {
		return ""
	}
	u = vm.SelfLink()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.urls == nil {
		h.urls = map[string]string{}
	}
	h.urls[providerID] = u
	return u
}

// tagsOf is node-tags from gce.conf, else, as upstream, for each VM the
// longest of its network tags that is a prefix of its name.
func (l *LoadBalancers) tagsOf(ctx context.Context, hosts []string) ([]string, error) {
	if len(l.deps.NodeTags) > 0 {
		return l.deps.NodeTags, nil
	}
	if err := l.listVMs(ctx, false); err != nil {
		return nil, err
	}
	tags := map[string]bool{}
	refreshed := false
	for _, h := range hosts {
		vm, _ := gceref.ParseRef(h, "instances", gceref.Defaults{})
		rec := l.vm(vm)
		if rec == nil && !refreshed {
			// A VM newer than the last list: list again, once.
			if err := l.listVMs(ctx, true); err != nil {
				return nil, err
			}
			refreshed, rec = true, l.vm(vm)
		}
		if rec == nil {
			klog.FromContext(ctx).Info("VM not found while deriving node tags; skipped", "vm", vm.String())
			continue
		}
		t := prefixTag(vm.Name, rec.Tags)
		if t == "" {
			return nil, &plan.InputError{Field: "node tags", Reason: fmt.Sprintf(
				"VM %s has no network tag that is a prefix of its name (tags %v), so the firewall rules cannot target it; set node-tags in gce.conf",
				vm.Name, rec.Tags)}
		}
		tags[t] = true
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("no node VM found to derive the firewall target tags from; set node-tags in gce.conf")
	}
	return slices.Sorted(maps.Keys(tags)), nil
}

func prefixTag(name string, tags []string) string {
	best := ""
	for _, t := range tags {
		if strings.HasPrefix(name, t) && len(t) > len(best) {
			best = t
		}
	}
	return best
}

// listVMs brings the VM inventory up to date: within its freshness, or,
// with fresh, by a list that begins now.
func (l *LoadBalancers) listVMs(ctx context.Context, fresh bool) error {
	var err error
	if fresh {
		_, err = l.deps.VMs.Relist(ctx)
	} else {
		err = l.deps.VMs.Current(ctx)
	}
	if err != nil {
		return fmt.Errorf("listing VMs for the load balancers' nodes: %w", err)
	}
	return nil
}

// vm is a VM's record, nil if the inventory does not hold it.
func (l *LoadBalancers) vm(vm gceref.Key) *inventory.VM {
	rec, _ := l.deps.VMs.Lookup(vm, time.Time{})
	return rec
}

// forget drops every entry when the map holds more than twice the nodes
// of a sync (plus 64, so a small cluster is not rebuilt at each change):
// most entries are then of nodes gone. The next syncs build the URLs of
// the nodes there are again, once.
func (h *hostURLs) forget(nodes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.urls) > 2*nodes+64 {
		h.urls = nil
	}
}
