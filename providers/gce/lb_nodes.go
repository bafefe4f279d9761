package gce

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"
)

// The nodes behind a load balancer: their VMs, read from the providerIDs
// without any API call, and the network tags its firewall rules target.

// vmIndex is VMs by "zone/name", from one aggregated list.
type vmIndex map[string]*computepb.Instance

func (l *loadBalancers) listVMs(ctx context.Context) (vmIndex, error) {
	filter := ""
	if p := l.c.cfg.NodeInstancePrefix; p != "" {
		filter = fmt.Sprintf(`name eq "%s.*"`, regexp.QuoteMeta(p))
	}
	insts, err := l.api().AggregatedListInstances(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("listing VMs for the load balancers' node tags: %w", err)
	}
	idx := make(vmIndex, len(insts))
	for _, inst := range insts {
		if vm, err := ParseInstanceURL(inst.GetSelfLink()); err == nil {
			idx[vm.Zone+"/"+vm.Name] = inst
		}
	}
	return idx, nil
}

// hostsOf maps nodes to the URLs of their VMs in the region, sorted. A
// node without a providerID yet is looked up by name in the managed zones.
func (l *loadBalancers) hostsOf(ctx context.Context, nodes []*v1.Node) ([]string, error) {
	urls := map[string]bool{}
	var unnamed []string
	for _, n := range nodes {
		if n.Spec.ProviderID == "" {
			unnamed = append(unnamed, instanceNameOf(n.Name))
			continue
		}
		vm, err := ParseProviderID(n.Spec.ProviderID)
		if err != nil {
			klog.InfoS("Node left out of load balancers: bad providerID", "node", n.Name, "err", err)
			continue
		}
		l.addHost(urls, n.Name, vm)
	}
	if len(unnamed) > 0 {
		if err := l.addUnnamed(ctx, urls, unnamed); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(urls))
	for u := range urls {
		out = append(out, u)
	}
	sort.Strings(out)
	return out, nil
}

// addUnnamed finds VMs by name in the managed zones: in the shared VM
// list, listed again once if one is missing (a new VM).
func (l *loadBalancers) addUnnamed(ctx context.Context, urls map[string]bool, names []string) error {
	for fresh := false; ; fresh = true {
		idx, err := l.vms.get(ctx, fresh)
		if err != nil {
			return err
		}
		var missing []string
		for _, name := range names {
			found := false
			for _, z := range l.c.zones {
				if idx[z+"/"+name] != nil {
					l.addHost(urls, name, VM{Project: l.api().Project, Zone: z, Name: name})
					found = true
				}
			}
			if !found {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 || fresh {
			if len(missing) > 0 {
				klog.InfoS("Nodes left out of load balancers: no VM of that name in the managed zones", "nodes", missing, "zones", l.c.zones)
			}
			return nil
		}
		names = missing
	}
}

// addHost keeps VMs of the region: a target pool is regional.
func (l *loadBalancers) addHost(urls map[string]bool, node string, vm VM) {
	if regionOfZone(vm.Zone) != l.region() {
		klog.InfoS("Node left out of load balancers: its VM is outside the region", "node", node, "vm", vm.String(), "region", l.region())
		return
	}
	urls[l.hostURL(vm)] = true
}

// hostURL is the VM's URL, built once per VM.
func (l *loadBalancers) hostURL(vm VM) string {
	id := vm.ProviderID()
	if u, ok := l.hostURLs.Load(id); ok {
		return u.(string)
	}
	u := vm.URL()
	l.hostURLs.Store(id, u)
	return u
}

// tagsOf is node-tags from gce.conf, else, as upstream, for each VM the
// longest of its network tags that is a prefix of its name.
func (l *loadBalancers) tagsOf(ctx context.Context, hosts []string) ([]string, error) {
	if len(l.c.cfg.NodeTags) > 0 {
		return l.c.cfg.NodeTags, nil
	}
	idx, err := l.vms.get(ctx, false)
	if err != nil {
		return nil, err
	}
	tags := map[string]bool{}
	refreshed := false
	for _, h := range hosts {
		vm, _ := ParseInstanceURL(h)
		inst := idx[vm.Zone+"/"+vm.Name]
		if inst == nil && !refreshed {
			// A VM newer than the cached list: list again, once.
			if idx, err = l.vms.get(ctx, true); err != nil {
				return nil, err
			}
			refreshed, inst = true, idx[vm.Zone+"/"+vm.Name]
		}
		if inst == nil {
			klog.InfoS("VM not found while deriving node tags; skipped", "vm", vm.String())
			continue
		}
		t := prefixTag(inst)
		if t == "" {
			return nil, &inputError{Field: "node tags", Reason: fmt.Sprintf(
				"VM %s has no network tag that is a prefix of its name (tags %v), so the firewall rules cannot target it; set node-tags in gce.conf",
				vm.Name, inst.GetTags().GetItems())}
		}
		tags[t] = true
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("no node VM found to derive the firewall target tags from; set node-tags in gce.conf")
	}
	return sortedSet(keys(tags)), nil
}

func prefixTag(inst *computepb.Instance) string {
	best := ""
	for _, t := range inst.GetTags().GetItems() {
		if strings.HasPrefix(inst.GetName(), t) && len(t) > len(best) {
			best = t
		}
	}
	return best
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
