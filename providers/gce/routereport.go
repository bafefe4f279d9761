package gce

import (
	"cloud.google.com/go/compute/apiv1/computepb"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// nodeIndex says which node a VM is, from the providerIDs the informer
// holds; a node without a providerID yet is found by its instance name.
type nodeIndex struct {
	byVM   map[gceref.Key]string
	byName map[string]string // instance name -> node, nodes without providerID only
}

func (c *Cloud) nodeIndex() nodeIndex {
	ix := nodeIndex{byVM: map[gceref.Key]string{}, byName: map[string]string{}}
	if c.nodes == nil {
		return ix
	}
	nodes, err := c.nodes.List(everything())
	if err != nil {
		return ix
	}
	for _, n := range nodes {
		if vm, err := gceref.ParseProviderID(n.Spec.ProviderID); err == nil {
			ix.byVM[vm] = n.Name
		} else if n.Spec.ProviderID == "" {
			ix.byName[gceref.NodeInstanceName(n.Name)] = n.Name
		}
	}
	return ix
}

// nodeOf is the node whose VM vm is, or "".
func (ix nodeIndex) nodeOf(vm gceref.Key) string {
	if n := ix.byVM[vm]; n != "" {
		return n
	}
	return ix.byName[vm.Name]
}

// routeReport is what the route controller is told about one GCE route, or
// false when the route is not this cluster's. The node is read from the
// next hop, never from the description alone: a route of ours re-pointed at
// another VM must be seen as that VM's, so the controller finds the node it
// was made for without a route and makes it again (CreateRoute then replaces
// the wrong one, see routereplace.go).
//
// A blackholed route (its VM is gone) is reported with no node, for the
// same reason: the controller deletes it and makes the node's route again
// in the same pass, which succeeds as soon as the VM is back.
func routeReport(r *computepb.Route, cluster string, ix nodeIndex) (*cloudprovider.Route, bool) {
	kind, _ := routeOwnerOf(r, cluster)
	if kind == ownership.Foreign {
		return nil, false
	}
	rep := &cloudprovider.Route{Name: r.GetName(), DestinationCIDR: r.GetDestRange(), Blackhole: hasWarning(r, warnNextHopNotFound)}
	vm, err := gceref.ParseRef(r.GetNextHopInstance(), "instances", gceref.Defaults{})
	switch {
	case rep.Blackhole, err != nil:
		// No node: a next hop that is not a VM (a gateway, an IP) is no
		// node's route whatever the description says.
	case kind == ownership.Upstream && ix.nodeOf(vm) == "":
		// Upstream names routes by node UID; the VM's name is all there is.
		rep.TargetNode = types.NodeName(vm.Name)
	default:
		rep.TargetNode = types.NodeName(ix.nodeOf(vm))
	}
	return rep, true
}

// sameReport says whether two reports describe the same route state.
func sameReport(a, b *cloudprovider.Route) bool {
	return a.Name == b.Name && a.TargetNode == b.TargetNode && a.DestinationCIDR == b.DestinationCIDR && a.Blackhole == b.Blackhole
}
