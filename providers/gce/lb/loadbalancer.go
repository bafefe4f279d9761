// Package lb serves Services of type LoadBalancer as GCE external
// passthrough network load balancers: address, firewall rule, legacy HTTP
// health check, a target pool of every node VM, forwarding rule(s).
//
// Each entry point reads spec → observe → plan → apply: the Service is
// checked (plan.SpecOf), what exists is observed (observe.go), package
// plan decides every step without calling GCE, and the executors
// (apply.go, exec_*.go) run the steps, each a thin call of gceapi.
package lb

import (
	"context"
	"fmt"
	"sync"

	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/record"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
	"github.com/gce-ccm/gce-ccm/providers/gce/keylock"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// Deps is everything the load balancer takes from the process: named here
// rather than reached through the provider.
type Deps struct {
	API            *gceapi.Client
	Region         string
	NetworkURL     string               // the network the firewall rules are in
	SubnetworkName string               // gce.conf subnetwork-name: internal load balancers' IPs; "": the network's in the region
	NodeTags       []string             // gce.conf node-tags; empty: derived from the VMs
	VMs            *inventory.Inventory // the process's VMs: node tags, nodes without a providerID
	Zones          []string             // where nodes without a providerID are looked up by name
	Recorder       record.EventRecorder // Warning events on Services; nil: none
	ClusterID      ClusterIDSource
}

// ClusterIDSource gives the cluster id that names the shared health check.
type ClusterIDSource interface {
	ClusterID(ctx context.Context) (string, error)
}

// poolsNarrowAbove is two pages of pools (gceapi's 50,000-member pages),
// about 10 MB of JSON a list.
const poolsNarrowAbove = 100_000

// LoadBalancers implements cloudprovider.LoadBalancer.
type LoadBalancers struct {
	deps   Deps
	api    *gceapi.Client
	region string
	locks  keylock.Locks // one sync per load balancer at a time
	// shared counts the syncs about to attach the cluster's shared health
	// check, so that its deletion (a plan step with RecheckUnused) never
	// pulls it from under them.
	shared       sharedCheckUsers
	sharedCreate keylock.Locks // one writer of the shared check, one of its firewall
	// What the last recheck of the shared check and of its firewall read
	// or wrote (recheck_memo.go).
	checkMemo    recheckMemo[*computev1.HttpHealthCheck]
	firewallMemo recheckMemo[*computepb.Firewall]
	// What exists, one list per collection shared by all Services.
	rules     *snapshot.Cache[*computepb.ForwardingRule]
	pools     *snapshot.Cache[*computepb.TargetPool]
	firewalls *snapshot.Cache[*computepb.Firewall]
	checks    *snapshot.Cache[*computev1.HttpHealthCheck]
	addresses *snapshot.Cache[*computepb.Address]
	// background counts releases still running after their sync returned.
	background sync.WaitGroup
	// hostURLs interns each node VM's URL (providerID -> URL): every sync
	// of every Service names every node, and 50 concurrent syncs of a
	// 5,000-node cluster would otherwise build a quarter million strings.
	hostURLs hostURLs
	// ilb builds internal Services' load balancers (internal.go).
	ilb internalLB
}

// New builds the load balancer on its dependencies.
func New(d Deps) *LoadBalancers {
	RegisterMetrics()
	l := &LoadBalancers{deps: d, api: d.API, region: d.Region}
	api, region := d.API, d.Region
	l.rules = snapshot.New(snapshot.TTL, (*computepb.ForwardingRule).GetName,
		func(ctx context.Context) ([]*computepb.ForwardingRule, error) {
			return api.ListForwardingRules(ctx, region, plan.RuleNamesFilter)
		})
	l.pools = snapshot.New(snapshot.TTL, (*computepb.TargetPool).GetName,
		func(ctx context.Context) ([]*computepb.TargetPool, error) {
			return api.ListTargetPools(ctx, region, plan.RuleNamesFilter)
		})
	// Large pools are read by name: a list shared by a burst saves reads
	// while pools are small, but at 5,000 nodes and 500 load balancers one
	// list is 2.5 million members (240 MB of JSON in 50 pages), which
	// every sync of a burst waited on in turn (make bench: 50 workers
	// behind one listing for minutes). Above poolsNarrowAbove members a
	// sync reads its own pools (one read) unless a list it may use is
	// cached (a periodic pass's).
	l.narrowPools(poolsNarrowAbove)
	l.firewalls = snapshot.New(snapshot.TTL, (*computepb.Firewall).GetName,
		func(ctx context.Context) ([]*computepb.Firewall, error) {
			return api.ListFirewalls(ctx, plan.FirewallNamesFilter)
		})
	l.checks = snapshot.New(snapshot.TTL, func(hc *computev1.HttpHealthCheck) string { return hc.Name },
		func(ctx context.Context) ([]*computev1.HttpHealthCheck, error) {
			return api.ListHTTPHealthChecks(ctx, plan.CheckNamesFilter)
		})
	// All of the region's addresses: a user's reserved address may have
	// any name.
	l.addresses = snapshot.New(snapshot.TTL, (*computepb.Address).GetName,
		func(ctx context.Context) ([]*computepb.Address, error) { return api.ListAddresses(ctx, region, "") })
	l.checkMemo.writes, l.firewallMemo.writes = l.checks, l.firewalls
	return l
}

// narrowPools reads pools by name above that many members (see New).
func (l *LoadBalancers) narrowPools(above int) {
	l.pools.Narrow(func(ctx context.Context, names []string) ([]*computepb.TargetPool, error) {
		return l.api.ListTargetPools(ctx, l.region, gceapi.NamesFilter(names))
	}, func(tp *computepb.TargetPool) int { return len(tp.GetInstances()) }, above)
}

// GetLoadBalancerName is upstream's: "a" + the UID without dashes, cut to 32.
func (l *LoadBalancers) GetLoadBalancerName(_ context.Context, _ string, svc *v1.Service) string {
	return cloudprovider.DefaultLoadBalancerName(svc)
}

// GetLoadBalancer reports the load balancer if any object of it exists, so
// that a half-deleted one is still found and its deletion finished.
func (l *LoadBalancers) GetLoadBalancer(ctx context.Context, cluster string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	in := plan.Input{Spec: plan.Spec{ServiceSpec: plan.ServiceSpec{Service: plan.ServiceKey(svc)}}, Names: plan.NamesFor(svc, ""), Cluster: cluster}
	var err error
	if in.Seen, err = l.observe(ctx, in.Names, "", snapshot.Fresh()); err != nil {
		return nil, false, fmt.Errorf("reading load balancer %s of %s: %w", in.Names.LB, in.Spec.Service, err)
	}
	exists := plan.Exists(in, svc.Spec.LoadBalancerClass != nil)
	status := &v1.LoadBalancerStatus{}
	if ip := plan.CurrentIP(in); ip != "" && exists {
		status.Ingress = []v1.LoadBalancerIngress{{IP: ip}}
	}
	if internal, err := plan.TypeOf(svc); err == nil && internal {
		// An internal Service's load balancer, or what is left of the
		// external one it had.
		is, iexists, err := l.internalStatus(ctx, cluster, svc)
		if err != nil || iexists {
			return is, iexists, err
		}
	}
	return status, exists, nil
}

// internalRuleSeen: an INTERNAL rule holds one of the load balancer's
// names, so the Service was internal until now.
func internalRuleSeen(in plan.Input) bool {
	for _, name := range in.Names.Rules() {
		if r := in.Seen.Rules[name]; r != nil && r.GetLoadBalancingScheme() == "INTERNAL" {
			return true
		}
	}
	return false
}
