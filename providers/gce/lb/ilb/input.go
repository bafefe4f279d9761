package ilb

import (
	"cloud.google.com/go/compute/apiv1/computepb"
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
	// balancer's, that use each of our health checks (by name); GroupUsers
	// those that use an instance group (by URL).
	CheckUsers map[string][]string
	GroupUsers map[string][]string
}

// Group is one zone's instance group and its members.
type Group struct {
	Group   *computepb.InstanceGroup
	Members []string
}

func (in Input) projectURL() string {
	return "https://www.googleapis.com/compute/v1/projects/" + in.Project
}

func (in Input) groupURL(zone string) string {
	return in.projectURL() + "/zones/" + zone + "/instanceGroups/" + in.Names.Group
}

func (in Input) backendURL(name string) string {
	return in.projectURL() + "/regions/" + in.Region + "/backendServices/" + name
}

func (in Input) checkURL(name string) string {
	return in.projectURL() + "/global/healthChecks/" + name
}
