package plan

import (
	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// seen is what exists in GCE under one load balancer's names, read in one
// round of lists (observe). Nothing in it is trusted until claim has
// checked that every object is ours or upstream's for this Service.
type Seen struct {
	Rules     map[string]*computepb.ForwardingRule
	Pools     map[string]*computepb.TargetPool
	Firewalls map[string]*computepb.Firewall
	Checks    map[string]*computev1.HttpHealthCheck
	// Addresses are the region's addresses named <lb> or holding one of
	// the IPs involved (the rules' and spec.loadBalancerIP).
	Addresses []*computepb.Address
}

func (s Seen) Address(name string) *computepb.Address {
	for _, a := range s.Addresses {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// addressHolding is the reserved address holding ip, if any.
func (s Seen) addressHolding(ip string) *computepb.Address {
	for _, a := range s.Addresses {
		if ip != "" && a.GetAddress() == ip {
			return a
		}
	}
	return nil
}

// claimed is a description check of one object.
type claimed struct {
	kind, name, desc string
	who              ownership.Owner
}

// claims lists the ownership of every object seen under our names (the
// address <lb> aside: see chooseIP and Delete).
func claims(in Input) []claimed {
	n, svc, cl := in.Names, in.Spec.Service, in.Cluster
	var out []claimed
	for _, name := range n.Rules() {
		if r := in.Seen.Rules[name]; r != nil {
			out = append(out, claimed{"forwarding rule", name, r.GetDescription(), ServiceOwner(r.GetDescription(), svc, cl)})
		}
	}
	for _, name := range n.Pools() {
		if tp := in.Seen.Pools[name]; tp != nil {
			out = append(out, claimed{"target pool", name, tp.GetDescription(), ServiceOwner(tp.GetDescription(), svc, cl)})
		}
	}
	for _, name := range []string{n.Firewall, n.LocalCheckFirewall} {
		if fw := in.Seen.Firewalls[name]; fw != nil {
			out = append(out, claimed{"firewall", name, fw.GetDescription(), ServiceOwner(fw.GetDescription(), svc, cl)})
		}
	}
	if fw := in.Seen.Firewalls[n.NodesCheckFirewall]; fw != nil {
		out = append(out, claimed{"firewall", n.NodesCheckFirewall, fw.GetDescription(), sharedOwner(fw.GetDescription(), in.ClusterID, n.NodesCheck, cl)})
	}
	if hc := in.Seen.Checks[n.LocalCheck]; hc != nil {
		out = append(out, claimed{"health check", n.LocalCheck, hc.Description, ServiceOwner(hc.Description, svc, cl, n.LocalCheck)})
	}
	if hc := in.Seen.Checks[n.NodesCheck]; hc != nil {
		out = append(out, claimed{"health check", n.NodesCheck, hc.Description, sharedOwner(hc.Description, in.ClusterID, n.NodesCheck, cl)})
	}
	return out
}

// claim refuses a load balancer any of whose names another ownership.Owner holds.
// The address <lb> is judged by chooseIP: a user may own it.
func claim(in Input) error {
	for _, c := range claims(in) {
		if c.who == ownership.Foreign {
			return &ConflictError{Kind: c.kind, Name: c.name, Description: c.desc}
		}
	}
	return nil
}

// Exists says whether GetLoadBalancer reports the load balancer: any
// object of it that is ours (or upstream's, unless strict: a Service with
// a loadBalancerClass), so that a half-deleted one is still found and its
// deletion finished.
func Exists(in Input, strict bool) bool {
	for _, c := range claims(in) {
		if c.who == ownership.Ours || (c.who == ownership.Upstream && !strict) {
			return true
		}
	}
	a := in.Seen.Address(in.Names.LB)
	return a != nil && ServiceOwner(a.GetDescription(), in.Spec.Service, in.Cluster) == ownership.Ours
}

// CurrentIP is the IP of the Service's rules, whatever their tier.
func CurrentIP(in Input) string {
	for _, name := range in.Names.Rules() {
		if r := in.Seen.Rules[name]; r != nil {
			return r.GetIPAddress()
		}
	}
	return ""
}
