package ilb

import (
	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// Input is everything a plan depends on.
type Input struct {
	Spec      Spec
	Names     Names
	Cluster   string // --cluster-name, written into descriptions
	ClusterID string
	Project   string
	Region    string
	Network   string // network URL
	Subnet    string // subnetwork URL the rules go to
	// Hosts are the eligible node VMs' URLs by zone, sorted.
	Hosts map[string][]string
	Tags  []string // the nodes' network tags
	Seen  Seen
}

// Seen is what exists under the load balancer's names.
type Seen struct {
	Groups    map[string]*Group // by zone
	Backends  map[string]*computepb.BackendService
	Checks    map[string]*computepb.HealthCheck
	Firewalls map[string]*computepb.Firewall
	Rules     map[string]*computepb.ForwardingRule
	Address   *computepb.Address // <lb>, if it exists
	// UserAddress is the user's reserved internal address holding
	// spec.loadBalancerIP, if any.
	UserAddress *computepb.Address
	// CheckUsers are the backend services, other than this load
	// balancer's, that use each health check; GroupUsers those that use
	// each instance group. By identity (gceref.Key): a regional check or
	// another project's object of the same name is another object.
	CheckUsers map[gceref.Key][]string
	GroupUsers map[gceref.Key][]string
}

// Group is one zone's instance group and its members.
type Group struct {
	Group   *computepb.InstanceGroup
	Members []string
}

// groupKey is the cluster's instance group in a zone.
func (in Input) groupKey(zone string) gceref.Key {
	return gceref.ZonalKey(in.Project, zone, "instanceGroups", in.Names.Group)
}

// checkKey is a (global, non-legacy) health check of ours.
func (in Input) checkKey(name string) gceref.Key {
	return gceref.GlobalKey(in.Project, "healthChecks", name)
}

func (in Input) groupURL(zone string) string { return in.groupKey(zone).SelfLink() }

func (in Input) checkURL(name string) string { return in.checkKey(name).SelfLink() }

func (in Input) regionalURL(collection, name string) string {
	return gceref.RegionalKey(in.Project, in.Region, collection, name).SelfLink()
}

func (in Input) backendURL(name string) string { return in.regionalURL("backendServices", name) }

// defaults resolve the partial references GCE objects of the region hold.
func (in Input) defaults() gceref.Defaults {
	return gceref.Defaults{Project: in.Project, Region: in.Region}
}
