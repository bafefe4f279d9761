package gce

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// GetZone is the zone the controller runs in (gce.conf local-zone).
func (c *Cloud) GetZone(ctx context.Context) (cloudprovider.Zone, error) {
	return cloudprovider.Zone{FailureDomain: c.cfg.LocalZone, Region: c.region}, nil
}

// GetZoneByProviderID reads the zone from the providerID: no API call.
func (c *Cloud) GetZoneByProviderID(ctx context.Context, providerID string) (cloudprovider.Zone, error) {
	vm, err := gceref.ParseProviderID(providerID)
	if err != nil {
		return cloudprovider.Zone{}, err
	}
	return cloudprovider.Zone{FailureDomain: vm.Location, Region: gceref.RegionOfZone(vm.Location)}, nil
}

// GetZoneByNodeName resolves the node through the informer, or one filtered
// list per managed zone if the node has no providerID yet.
func (c *Cloud) GetZoneByNodeName(ctx context.Context, nodeName types.NodeName) (cloudprovider.Zone, error) {
	vm, err := c.vmOfNodeName(ctx, string(nodeName))
	if err != nil {
		return cloudprovider.Zone{}, fmt.Errorf("zone of node %s: %w", nodeName, err)
	}
	return cloudprovider.Zone{FailureDomain: vm.Location, Region: gceref.RegionOfZone(vm.Location)}, nil
}
