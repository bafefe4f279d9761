package plan

import (
	"fmt"
	"slices"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// The load balancer's IP. By default it is ephemeral: it belongs to the
// forwarding rule. Whenever a rule must be created while the IP has to
// survive (a recreation, or a new load balancer whose firewall must name
// the IP before the rule exists), the address <lb> is reserved for the
// duration and released once the rules are in place. A TCP+UDP Service
// keeps <lb> reserved: two rules share an IP only through a reserved
// address. An address the user reserved (spec.loadBalancerIP) is used as
// it is and never released.

// addressPlan is how the load balancer gets and keeps its IP.
type addressPlan struct {
	IP        string             // "" = a new IP, known once <lb> is reserved
	UserOwned bool               // IP is held by an address we did not make
	Ours      *computepb.Address // <lb>, reserved earlier, holding IP
	Stale     *computepb.Address // <lb> of the wrong tier or IP: released first
}

// chooseIP decides the IP: spec.loadBalancerIP if it is the user's
// reserved address or already this load balancer's; else the current IP
// of the rules (if of the right tier); else the one <lb> holds; else new.
func chooseIP(in Input) (addressPlan, error) {
	s, n := in.Spec, in.Names
	var ap addressPlan
	cur := currentIP(in)
	if a := in.Seen.Address(n.LB); a != nil && ServiceOwner(a.GetDescription(), s.Service, in.Cluster) == ownership.Foreign {
		// Someone else's address under our name: usable only as the
		// user's reserved spec.loadBalancerIP.
		if a.GetAddress() != s.RequestedIP {
			return ap, &ConflictError{Kind: "address", Name: n.LB, Description: a.GetDescription()}
		}
	} else if a != nil {
		if a.GetNetworkTier() == s.Tier && (s.RequestedIP == "" || a.GetAddress() == s.RequestedIP) && (cur == "" || a.GetAddress() == cur || s.RequestedIP != "") {
			ap.Ours = a
		} else {
			ap.Stale = a
		}
	}
	if s.RequestedIP == "" {
		switch {
		case cur != "":
			ap.IP = cur
		case ap.Ours != nil:
			ap.IP = ap.Ours.GetAddress()
		}
		if held := in.Seen.addressHolding(ap.IP); held != nil && held != ap.Ours && held != ap.Stale {
			ap.UserOwned = true
		}
		return ap, nil
	}
	ap.IP = s.RequestedIP
	if held := in.Seen.addressHolding(ap.IP); held != nil && held != ap.Ours {
		ap.UserOwned = true
		return ap, userAddress(in, held)
	}
	if ap.Ours != nil || cur == ap.IP {
		return ap, nil
	}
	return ap, &InputError{Field: "spec.loadBalancerIP", Reason: fmt.Sprintf(
		"%s is neither a static address reserved in region %s nor the current IP of this load balancer; reserve it first (gcloud compute addresses create NAME --region %s --addresses %s)",
		ap.IP, in.Region, in.Region, ap.IP)}
}

// userAddress accepts a user's reserved address for spec.loadBalancerIP
// if it is of the Service's tier and no other load balancer uses it.
func userAddress(in Input, a *computepb.Address) error {
	if a.GetNetworkTier() != "" && a.GetNetworkTier() != in.Spec.Tier {
		return &InputError{Field: "spec.loadBalancerIP", Reason: fmt.Sprintf("address %s (%s) is in the %s network tier but the Service asks for %s (annotation %s)",
			a.GetName(), a.GetAddress(), a.GetNetworkTier(), in.Spec.Tier, AnnNetworkTier)}
	}
	for _, u := range a.GetUsers() {
		if !slices.ContainsFunc(in.Names.Rules(), func(r string) bool { return in.ruleID(r).Is(u) }) {
			return &InputError{Field: "spec.loadBalancerIP", Reason: fmt.Sprintf("address %s (%s) is already used by %s, which is not this load balancer's", a.GetName(), a.GetAddress(), u)}
		}
	}
	return nil
}

// currentIP is the IP of the Service's rules, if they are of the right tier.
func currentIP(in Input) string {
	for _, name := range in.Names.Rules() {
		if r := in.Seen.Rules[name]; r != nil && tierOf(r.GetNetworkTier()) == in.Spec.Tier {
			return r.GetIPAddress()
		}
	}
	return ""
}

func tierOf(t string) string {
	if t == "" {
		return tierPremium
	}
	return t
}

// planAddress releases a stale <lb> and reserves <lb> when a rule must be
// created on an IP that is not static yet. It returns the key rule writes
// wait for ("" when nothing is reserved).
func (p *planner) planAddress(ap addressPlan, needStatic bool) string {
	n := p.in.Names
	staleKey := ""
	if ap.Stale != nil {
		staleKey = p.add(Action{Kind: OpReleaseAddress, Name: n.LB})
	}
	if !needStatic || ap.UserOwned || ap.Ours != nil {
		return ""
	}
	a := &computepb.Address{Name: proto.String(n.LB), Description: proto.String(serviceDescription(p.in.Spec.Service, p.in.Cluster)),
		AddressType: proto.String("EXTERNAL"), NetworkTier: proto.String(p.in.Spec.Tier)}
	if ap.IP != "" {
		a.Address = proto.String(ap.IP)
	}
	return p.add(Action{Kind: OpReserveAddress, Name: n.LB, Address: a}, staleKey)
}

// planRelease lets an IP we reserved go back to being ephemeral once the
// rules hold it (after ruleSteps), unless two rules share it. reserved:
// planAddress reserved <lb>.
func (p *planner) planRelease(ap addressPlan, reserved bool, ruleSteps []string) {
	if ap.UserOwned || p.in.Spec.mixed() || (!reserved && ap.Ours == nil) {
		return
	}
	p.add(Action{Kind: OpReleaseAddress, Name: p.in.Names.LB}, ruleSteps...)
}
