package nodeipam

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"cloud.google.com/go/compute/apiv1/computepb"
	v1 "k8s.io/api/core/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// instanceReader reads one VM; *gceapi.Client is one.
type instanceReader interface {
	GetInstance(ctx context.Context, project, zone, name string) (*computepb.Instance, error)
}

// aliases is the CloudAllocator: a node's pod CIDR is the alias IP range
// its VM's first network interface has (GCE allocated it from the
// subnet's secondary range when the VM was made, and routes it to the VM
// by itself). Nothing is held here, so nothing is released.
type aliases struct {
	vms   instanceReader
	pools []Pool
}

var _ allocator = (*aliases)(nil)

// NewCloud builds the CloudAllocator controller. Only IPv4 alias ranges
// are served: a dual-stack --cluster-cidr is refused.
func NewCloud(cfg Config, vms instanceReader, kube kubernetes.Interface, nodes coreinformers.NodeInformer, opts Options) (*Controller, error) {
	if cfg.Type != CloudAllocator {
		return nil, fmt.Errorf("nodeipam: NewCloud builds the %s, not the %s", CloudAllocator, cfg.Type)
	}
	for _, p := range cfg.Pools {
		if family(p.CIDR) != ipv4 {
			return nil, fmt.Errorf("--cluster-cidr: %s: the %s reads IPv4 alias IP ranges only; an IPv6 pod range is not served", p.CIDR, CloudAllocator)
		}
	}
	c, err := newController(cfg, &aliases{vms: vms, pools: cfg.Pools}, kube, nodes, opts)
	if err != nil {
		return nil, err
	}
	// No route controller runs beside this allocator, so the condition it
	// would clear is cleared here once the node has its range.
	c.markNetworkAvailable = true
	return c, nil
}

// Occupy accepts what a node has: its range is its VM's, allocated by GCE.
func (a *aliases) Occupy(*v1.Node) error { return nil }

// Release has nothing to free: GCE frees a VM's alias range with the VM.
func (a *aliases) Release(string) bool { return false }

// errNoAlias: the VM has no alias IP range (yet, or at all).
var errNoAlias = errors.New("no alias IP range")

// Allocate reads the node's VM and returns its first interface's first
// alias IP range inside a cluster CIDR.
func (a *aliases) Allocate(ctx context.Context, node *v1.Node) ([]string, error) {
	if node.Spec.ProviderID == "" {
		return nil, errors.New("the node has no providerID yet (the cloud node controller sets it)")
	}
	vm, err := gceref.ParseProviderID(node.Spec.ProviderID)
	if err != nil {
		return nil, err
	}
	inst, err := a.vms.GetInstance(ctx, vm.Project, vm.Location, vm.Name)
	if err != nil {
		return nil, fmt.Errorf("reading VM %s: %w", vm.Short(), err)
	}
	r, err := aliasRange(inst, a.pools)
	if err != nil {
		return nil, fmt.Errorf("VM %s: %w", vm.Short(), err)
	}
	return []string{r.String()}, nil
}

// aliasRange picks the pod range from a VM: nic0's first alias IP range
// inside a cluster CIDR. A single-address alias (a /32) is not a pod range.
func aliasRange(inst *computepb.Instance, pools []Pool) (netip.Prefix, error) {
	nics := inst.GetNetworkInterfaces()
	if len(nics) == 0 {
		return netip.Prefix{}, errors.New("no network interface")
	}
	var seen []string
	for _, r := range nics[0].GetAliasIpRanges() {
		p, err := netip.ParsePrefix(r.GetIpCidrRange())
		if err != nil || !p.Addr().Is4() || p.Bits() == 32 {
			seen = append(seen, r.GetIpCidrRange())
			continue
		}
		for _, pl := range pools {
			if pl.CIDR.Contains(p.Addr()) && p.Bits() >= pl.CIDR.Bits() {
				return p.Masked(), nil
			}
		}
		seen = append(seen, r.GetIpCidrRange())
	}
	if len(seen) == 0 {
		return netip.Prefix{}, fmt.Errorf("%w on nic0", errNoAlias)
	}
	return netip.Prefix{}, fmt.Errorf("%w inside --cluster-cidr on nic0 (it has %v)", errNoAlias, seen)
}
