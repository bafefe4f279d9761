package ilb

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"sync"

	"cloud.google.com/go/compute/apiv1/computepb"
	v1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// Controller makes and removes internal load balancers.
type Controller struct {
	API     *gceapi.Client
	Project string
	Region  string
	Zones   []string // the region's zones the cluster's VMs may be in
	Network string   // the cluster's network URL
	// Subnetwork is the cluster's subnetwork name in Region; "" = the
	// network's only subnetwork there.
	Subnetwork string
	Cluster    string // --cluster-name
	// Shared are the external load balancer's snapshots of the
	// collections both kinds use; nil fields: the Controller lists on
	// its own.
	Shared Shared

	listsOnce sync.Once
	snap      *lists
	sharedMu  sync.Mutex // one writer of the shared objects (shared.go)
}

// Request is one Service's sync: the Service, its load balancer's name,
// the cluster id and the eligible nodes (URLs by zone) with their tags.
type Request struct {
	Service   *v1.Service
	LB        string
	ClusterID string
	Hosts     map[string][]string
	Tags      []string
	// Recency of the lists the sync reads: the zero value for the event
	// path, snapshot.Within(start) for a periodic pass.
	Recency snapshot.Recency
	// Confirm, when not nil, runs right before the sync's first write
	// (not at all when there is nothing to write); an error stops the
	// sync. A periodic pass re-reads the Service there. Ensure may call
	// it twice: it must give the same answer.
	Confirm func(ctx context.Context) error
}

// Result is what Ensure made: the IP, warnings for the Service's events,
// and the writes it made, in order (a periodic pass reports them as the
// drift it repaired).
type Result struct {
	IP       string
	Warnings []string
	Actions  []Action
}

// Ensure creates or updates the internal load balancer. A Service that
// cannot be served returns an *InputError before anything is written.
func (c *Controller) Ensure(ctx context.Context, r Request) (Result, error) {
	in, err := c.prepare(ctx, r)
	if err != nil {
		return Result{}, err
	}
	// Refused (a conflict) before the shared objects are touched.
	if _, err := Build(in); err != nil {
		return Result{}, err
	}
	confirm := func(ctx context.Context, actions []Action) error {
		if len(actions) == 0 || r.Confirm == nil {
			return nil
		}
		return r.Confirm(ctx)
	}
	setup, err := c.setupShared(ctx, in, r.Recency, confirm)
	if err != nil {
		return Result{}, err
	}
	// Again: the shared objects as set up, by this sync or another.
	if in.Seen, err = c.observe(ctx, in.Names, in.Spec.RequestedIP, r.Recency); err != nil {
		return Result{}, err
	}
	p, err := Build(in)
	if err != nil {
		return Result{}, err
	}
	shared, rest := splitShared(p.Actions)
	if len(shared) > 0 {
		// Another sync changed the shared objects between our two
		// observations (a node change): the next sync sets them up.
		klog.FromContext(ctx).V(2).Info("Shared objects changed meanwhile; left to the next sync", "lb", in.Names.LB, "steps", len(shared))
	}
	if err := confirm(ctx, rest); err != nil {
		return Result{}, err
	}
	ip, err := c.apply(ctx, in.Names.LB, rest, currentIP(in))
	if err != nil {
		return Result{}, err
	}
	done := append(setup, rest...)
	if len(done) > 0 {
		klog.FromContext(ctx).Info("Ensured internal load balancer", "service", in.Spec.Service, "lb", in.Names.LB, "ip", ip, "steps", len(done))
	}
	return Result{IP: ip, Warnings: p.Warnings, Actions: done}, nil
}

// currentIP is the IP the rules already have, "" when none exists.
func currentIP(in Input) string {
	for _, n := range in.Names.All() {
		if r := in.Seen.Rules[n]; r != nil && r.GetLoadBalancingScheme() == "INTERNAL" {
			return r.GetIPAddress()
		}
	}
	return ""
}

// prepare checks the Service, then reads the subnetwork and what exists;
// the subnetwork and the requested IP are checked against GCE before any
// write.
func (c *Controller) prepare(ctx context.Context, r Request) (Input, error) {
	spec, err := SpecOf(r.Service)
	if err != nil {
		return Input{}, err
	}
	if len(r.Hosts) == 0 {
		return Input{}, fmt.Errorf("no node VM in region %s to put behind the internal load balancer", c.Region)
	}
	in := Input{Spec: spec, Names: NamesFor(r.LB, r.ClusterID), Cluster: c.Cluster, ClusterID: r.ClusterID, Project: c.Project,
		Region: c.Region, Network: c.Network, Hosts: r.Hosts, Tags: r.Tags}
	subnet, err := c.subnetwork(ctx, spec.Subnet)
	if err != nil {
		return Input{}, err
	}
	in.Subnet = subnet.GetSelfLink()
	if in.Seen, err = c.observe(ctx, in.Names, spec.RequestedIP, r.Recency); err != nil {
		return Input{}, err
	}
	if spec.RequestedIP != "" {
		if err := checkRequestedIP(in, subnet.GetIpCidrRange()); err != nil {
			return Input{}, err
		}
		if err := c.checkIPHolders(ctx, in); err != nil {
			return Input{}, err
		}
	}
	return in, nil
}

// checkIPHolders refuses spec.loadBalancerIP while another forwarding rule
// or a VM's interface holds it, before any write: GCE would refuse only
// the rule, the last object made. Rules are read on every sync (one
// filtered list); VMs only while our rules do not hold the IP yet (one
// filtered aggregatedList), so a steady sync reads no VM.
func (c *Controller) checkIPHolders(ctx context.Context, in Input) error {
	ip, field := in.Spec.RequestedIP, "spec.loadBalancerIP"
	rules, err := c.API.ListForwardingRules(ctx, c.Region, fmt.Sprintf(`IPAddress eq "%s"`, ip))
	if err != nil {
		return fmt.Errorf("listing the forwarding rules on %s: %w", ip, err)
	}
	for _, fr := range rules {
		if !isOurs(in, fr.GetName()) {
			return &InputError{Field: field, Reason: fmt.Sprintf("%s is already used by forwarding rule %s", ip, fr.GetName())}
		}
	}
	if currentIP(in) == ip {
		return nil
	}
	vms, err := c.API.AggregatedListInstances(ctx, fmt.Sprintf(`networkInterfaces.networkIP eq "%s"`, regexp.QuoteMeta(ip)))
	if err != nil {
		return fmt.Errorf("listing the VMs on %s: %w", ip, err)
	}
	for _, vm := range vms {
		for _, ni := range vm.GetNetworkInterfaces() {
			if ni.GetNetworkIP() == ip {
				return &InputError{Field: field, Reason: fmt.Sprintf("%s is the internal IP of VM %s (%s)", ip, vm.GetName(), gceref.Name(vm.GetZone()))}
			}
		}
	}
	return nil
}

// subnetwork is the annotation's subnetwork (a name or a URL in the
// cluster's region) or the cluster's.
func (c *Controller) subnetwork(ctx context.Context, annotated string) (*computepb.Subnetwork, error) {
	field := "annotation " + AnnSubnet
	name := annotated
	if strings.Contains(annotated, "/") {
		parts := strings.Split(strings.Trim(annotated, "/"), "/")
		if len(parts) < 4 || parts[len(parts)-2] != "subnetworks" || parts[len(parts)-4] != "regions" {
			return nil, &InputError{Field: field, Reason: fmt.Sprintf("%q is neither a subnetwork name nor a subnetwork URL", annotated)}
		}
		if region := parts[len(parts)-3]; region != c.Region {
			return nil, &InputError{Field: field, Reason: fmt.Sprintf("subnetwork %q is in region %s; the cluster's load balancers are in %s", annotated, region, c.Region)}
		}
		name = parts[len(parts)-1]
	}
	if name == "" {
		name = c.Subnetwork
	}
	sn, err := c.subnetOf(name).Get(ctx, snapshot.Recency{})
	switch {
	case gceapi.IsNotFound(err) && annotated != "":
		return nil, &InputError{Field: field, Reason: fmt.Sprintf("subnetwork %q does not exist in region %s", name, c.Region)}
	case err != nil:
		return nil, fmt.Errorf("reading subnetwork %s: %w", name, err)
	case sn.GetNetwork() != c.Network:
		return nil, &InputError{Field: field, Reason: fmt.Sprintf("subnetwork %q is in network %s, not the cluster's %s", name, sn.GetNetwork(), c.Network)}
	}
	return sn, nil
}

// checkRequestedIP: spec.loadBalancerIP must be in the subnetwork and not
// held by another load balancer.
func checkRequestedIP(in Input, cidr string) error {
	ip := in.Spec.RequestedIP
	field := "spec.loadBalancerIP"
	rng, err := netip.ParsePrefix(cidr)
	if err != nil || !rng.Contains(netip.MustParseAddr(ip)) {
		return &InputError{Field: field, Reason: fmt.Sprintf("%s is outside the subnetwork %s (%s)", ip, in.Subnet, cidr)}
	}
	if a := in.Seen.UserAddress; a != nil {
		if a.GetSubnetwork() != in.Subnet {
			return &InputError{Field: field, Reason: fmt.Sprintf("%s is reserved as address %s in another subnetwork (%s)", ip, a.GetName(), a.GetSubnetwork())}
		}
		// An address another Service's load balancer reserved (the
		// shared IP of its TCP and UDP rules) is its, used or not yet.
		if d, ok := ownership.Read(a.GetDescription()); ok && d.ServiceName != "" && d.ServiceName != in.Spec.Service {
			return &InputError{Field: field, Reason: fmt.Sprintf("%s is held by address %s, reserved for Service %s", ip, a.GetName(), d.ServiceName)}
		}
		for _, u := range a.GetUsers() {
			if !isOurRule(in, u) {
				return &InputError{Field: field, Reason: fmt.Sprintf("%s is already used by %s", ip, u)}
			}
		}
	}
	return nil
}

// isOurRule: ref is one of the load balancer's forwarding rules, by
// identity (project, region, name).
func isOurRule(in Input, ref string) bool {
	for _, n := range in.Names.All() {
		if gceref.RegionalKey(in.Project, in.Region, "forwardingRules", n).Is(ref) {
			return true
		}
	}
	return false
}

func isOurs(in Input, name string) bool {
	for _, n := range in.Names.All() {
		if n == name {
			return true
		}
	}
	return false
}
