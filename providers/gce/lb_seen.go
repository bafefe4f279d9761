package gce

import (
	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"
)

// seen is what exists in GCE under one load balancer's names, read in one
// round of lists (observe). Nothing in it is trusted until claim has
// checked that every object is ours or upstream's for this Service.
type seen struct {
	Rules     map[string]*computepb.ForwardingRule
	Pools     map[string]*computepb.TargetPool
	Firewalls map[string]*computepb.Firewall
	Checks    map[string]*computev1.HttpHealthCheck
	// Addresses are the region's addresses named <lb> or holding one of
	// the IPs involved (the rules' and spec.loadBalancerIP).
	Addresses []*computepb.Address
}

// empty says whether none of the Service's own objects exist (the shared
// health check and its firewall do not count: they are the cluster's).
func (s seen) empty(n lbNames) bool {
	return len(s.Rules) == 0 && len(s.Pools) == 0 && s.Firewalls[n.Firewall] == nil &&
		s.Firewalls[n.LocalCheckFirewall] == nil && s.Checks[n.LocalCheck] == nil && s.address(n.LB) == nil
}

func (s seen) address(name string) *computepb.Address {
	for _, a := range s.Addresses {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// addressHolding is the reserved address holding ip, if any.
func (s seen) addressHolding(ip string) *computepb.Address {
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
	who              owner
}

// claims lists the ownership of every object seen under our names (the
// address <lb> aside: see chooseIP and planDelete).
func claims(in planInput) []claimed {
	n, svc, cl := in.Names, in.Spec.Service, in.Cluster
	var out []claimed
	for _, name := range n.rules() {
		if r := in.Seen.Rules[name]; r != nil {
			out = append(out, claimed{"forwarding rule", name, r.GetDescription(), serviceOwner(r.GetDescription(), svc, cl)})
		}
	}
	for _, name := range n.pools() {
		if tp := in.Seen.Pools[name]; tp != nil {
			out = append(out, claimed{"target pool", name, tp.GetDescription(), serviceOwner(tp.GetDescription(), svc, cl)})
		}
	}
	for _, name := range []string{n.Firewall, n.LocalCheckFirewall} {
		if fw := in.Seen.Firewalls[name]; fw != nil {
			out = append(out, claimed{"firewall", name, fw.GetDescription(), serviceOwner(fw.GetDescription(), svc, cl)})
		}
	}
	if fw := in.Seen.Firewalls[n.NodesCheckFirewall]; fw != nil {
		out = append(out, claimed{"firewall", n.NodesCheckFirewall, fw.GetDescription(), sharedOwner(fw.GetDescription(), in.ClusterID, n.NodesCheck, cl)})
	}
	if hc := in.Seen.Checks[n.LocalCheck]; hc != nil {
		out = append(out, claimed{"health check", n.LocalCheck, hc.Description, serviceOwner(hc.Description, svc, cl, n.LocalCheck)})
	}
	if hc := in.Seen.Checks[n.NodesCheck]; hc != nil {
		out = append(out, claimed{"health check", n.NodesCheck, hc.Description, sharedOwner(hc.Description, in.ClusterID, n.NodesCheck, cl)})
	}
	return out
}

// claim refuses a load balancer any of whose names another owner holds.
// The address <lb> is judged by chooseIP: a user may own it.
func claim(in planInput) error {
	for _, c := range claims(in) {
		if c.who == foreign {
			return &conflictError{Kind: c.kind, Name: c.name, Description: c.desc}
		}
	}
	return nil
}
