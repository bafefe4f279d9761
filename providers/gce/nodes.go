package gce

import (
	"context"
	"fmt"

	"cloud.google.com/go/compute/apiv1/computepb"
	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// vmOfNode finds a node's VM. The providerID answers without any API call;
// only a node that has none yet (before the cloud-node controller set it)
// costs one filtered list per managed zone.
func (c *Cloud) vmOfNode(ctx context.Context, node *v1.Node) (gceref.Key, *computepb.Instance, error) {
	if node.Spec.ProviderID != "" {
		vm, err := gceref.ParseProviderID(node.Spec.ProviderID)
		return vm, nil, err
	}
	inst, err := c.findInstanceByName(ctx, gceref.NodeInstanceName(node.Name))
	if err != nil {
		return gceref.Key{}, nil, err
	}
	vm, err := gceref.ParseRef(inst.GetSelfLink(), "instances", gceref.Defaults{})
	return vm, inst, err
}

// vmOfNodeName resolves a node by name through the informer cache.
func (c *Cloud) vmOfNodeName(ctx context.Context, name string) (gceref.Key, error) {
	if c.nodes != nil {
		if n, err := c.nodes.Get(name); err == nil {
			vm, _, err := c.vmOfNode(ctx, n)
			return vm, err
		}
	}
	vm, _, err := c.vmOfNode(ctx, &v1.Node{ObjectMeta: nodeMeta(name)})
	return vm, err
}

// findInstanceByName lists each managed zone with a name filter. Two VMs
// of the same name in two zones is ambiguous and reported as such.
func (c *Cloud) findInstanceByName(ctx context.Context, name string) (*computepb.Instance, error) {
	var found []*computepb.Instance
	for _, z := range c.zones {
		insts, err := c.api.ListInstances(ctx, z, fmt.Sprintf(`name eq "%s"`, name))
		if err != nil {
			return nil, fmt.Errorf("looking up instance %q in zone %s: %w", name, z, err)
		}
		found = append(found, insts...)
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("instance %q not found in zones %v: %w", name, c.zones, cloudprovider.InstanceNotFound)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("instance name %q is ambiguous: found in %d zones", name, len(found))
}

// instanceOf reads the VM of a node (one GET when the providerID is known).
func (c *Cloud) instanceOf(ctx context.Context, node *v1.Node) (gceref.Key, *computepb.Instance, error) {
	vm, inst, err := c.vmOfNode(ctx, node)
	if err != nil || inst != nil {
		return vm, inst, err
	}
	inst, err = c.api.GetInstance(ctx, vm.Project, vm.Location, vm.Name)
	if gceapi.IsNotFound(err) {
		return vm, nil, fmt.Errorf("instance %s: %w", vm.Short(), cloudprovider.InstanceNotFound)
	}
	return vm, inst, err
}
