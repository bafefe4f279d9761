package gce

import (
	"context"
	"errors"

	"cloud.google.com/go/compute/apiv1/computepb"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// InstanceExists is false only when GCE says the VM is gone; a stopped VM
// still exists (the lifecycle controller then taints, not deletes).
func (c *Cloud) InstanceExists(ctx context.Context, node *v1.Node) (bool, error) {
	_, _, err := c.instanceOf(ctx, node)
	if errors.Is(err, cloudprovider.InstanceNotFound) {
		return false, nil
	}
	return err == nil, err
}

// InstanceShutdown is true for a VM that is not running and will not run by
// itself: TERMINATED (stopped), STOPPED, SUSPENDED.
func (c *Cloud) InstanceShutdown(ctx context.Context, node *v1.Node) (bool, error) {
	_, inst, err := c.instanceOf(ctx, node)
	if err != nil {
		return false, err
	}
	switch inst.GetStatus() {
	case "TERMINATED", "STOPPED", "SUSPENDED":
		return true, nil
	}
	return false, nil
}

// InstanceMetadata gives the cloud-node controller what it sets on a node.
// It is served from a bulk-refreshed cache when the node has a providerID.
func (c *Cloud) InstanceMetadata(ctx context.Context, node *v1.Node) (*cloudprovider.InstanceMetadata, error) {
	vm, inst, err := c.cachedInstanceOf(ctx, node)
	if err != nil {
		return nil, err
	}
	return &cloudprovider.InstanceMetadata{
		ProviderID:    vm.ProviderID(),
		InstanceType:  gceref.Name(inst.GetMachineType()),
		NodeAddresses: nodeAddresses(inst, c.cfg.StackType),
		Zone:          vm.Location,
		Region:        gceref.RegionOfZone(vm.Location),
	}, nil
}

// nodeAddresses lists a VM's addresses: internal IPv4, external IPv4 (one
// per access config), IPv6 (internal, or external for an external IPv6
// access type) as InternalIP, as the upstream provider does. IPv6 comes
// first when the cluster's stack type is IPV6.
func nodeAddresses(inst *computepb.Instance, stack string) []v1.NodeAddress {
	var v4, v6 []v1.NodeAddress
	for _, ni := range inst.GetNetworkInterfaces() {
		if ip := ni.GetNetworkIP(); ip != "" {
			v4 = append(v4, v1.NodeAddress{Type: v1.NodeInternalIP, Address: ip})
		}
		if ip := ni.GetIpv6Address(); ip != "" {
			v6 = append(v6, v1.NodeAddress{Type: v1.NodeInternalIP, Address: ip})
		}
		for _, ac := range ni.GetIpv6AccessConfigs() {
			if ip := ac.GetExternalIpv6(); ip != "" && ni.GetIpv6Address() == "" {
				v6 = append(v6, v1.NodeAddress{Type: v1.NodeInternalIP, Address: ip})
			}
		}
	}
	var ext []v1.NodeAddress
	for _, ni := range inst.GetNetworkInterfaces() {
		for _, ac := range ni.GetAccessConfigs() {
			if ip := ac.GetNatIP(); ip != "" {
				ext = append(ext, v1.NodeAddress{Type: v1.NodeExternalIP, Address: ip})
			}
		}
	}
	var out []v1.NodeAddress
	switch stack {
	case StackIPv6:
		out = append(append(append(out, v6...), v4...), ext...)
	default:
		out = append(append(append(out, v4...), ext...), v6...)
	}
	return out
}

// cachedInstanceOf answers from the instance cache, falling back to a read.
func (c *Cloud) cachedInstanceOf(ctx context.Context, node *v1.Node) (gceref.Key, *computepb.Instance, error) {
	if node.Spec.ProviderID != "" && c.instances != nil {
		if vm, err := gceref.ParseProviderID(node.Spec.ProviderID); err == nil {
			if inst, ok := c.instances.get(ctx, vm); ok {
				return vm, inst, nil
			}
		}
	}
	vm, inst, err := c.instanceOf(ctx, node)
	if err == nil && c.instances != nil {
		c.instances.put(vm, inst)
	}
	return vm, inst, err
}

func nodeMeta(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }
