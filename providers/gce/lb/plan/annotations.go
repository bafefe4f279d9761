package plan

import (
	"fmt"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// Service annotations the load balancer reads, with upstream's keys.
const (
	// AnnNetworkTier picks the network tier of the address and the rules:
	// Premium (default) or Standard.
	AnnNetworkTier = "cloud.google.com/network-tier"
	// AnnSourceRanges is the older spelling of spec.loadBalancerSourceRanges.
	AnnSourceRanges = "service.beta.kubernetes.io/load-balancer-source-ranges"
	// AnnLBType asks for a kind of load balancer; upstream reads it first
	// and falls back to AnnLBTypeLegacy.
	AnnLBType       = "networking.gke.io/load-balancer-type"
	AnnLBTypeLegacy = "cloud.google.com/load-balancer-type"
	// AnnInternalSubnet and AnnInternalGlobalAccess are the internal load
	// balancer's (package ilb): its subnetwork and global access.
	AnnInternalSubnet       = "networking.gke.io/internal-load-balancer-subnet"
	AnnInternalGlobalAccess = "networking.gke.io/internal-load-balancer-allow-global-access"
)

const (
	tierPremium  = "PREMIUM"
	tierStandard = "STANDARD"
)

// networkTierOf reads the tier annotation. Upstream accepts exactly
// "Premium" and "Standard"; any case is accepted here.
func networkTierOf(svc *v1.Service) (string, error) {
	v, ok := svc.Annotations[AnnNetworkTier]
	if !ok {
		return tierPremium, nil
	}
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case tierPremium:
		return tierPremium, nil
	case tierStandard:
		return tierStandard, nil
	}
	return "", &InputError{Field: "annotation " + AnnNetworkTier, Reason: fmt.Sprintf("%q is not a network tier: use Premium or Standard", v)}
}

// TypeOf reads the load-balancer-type annotations (the newer key wins, as
// upstream): External (or none) and Internal are served; any other value
// is refused, so that a Service never gets a kind of load balancer it did
// not ask for.
func TypeOf(svc *v1.Service) (internal bool, err error) {
	for _, key := range []string{AnnLBType, AnnLBTypeLegacy} {
		v, ok := svc.Annotations[key]
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "external", "":
			return false, nil
		case "internal":
			return true, nil
		}
		return false, &InputError{Field: "annotation " + key,
			Reason: fmt.Sprintf("%q is not a load balancer type gce-ccm serves: use External or Internal (or remove the annotation)", v)}
	}
	return false, nil
}

// IPFamiliesOf refuses a Service that asks for an IP family the load
// balancer cannot give it: GCE target pools and their forwarding rules are
// IPv4 only, so IPv6 (single-stack or as a second family) is refused
// rather than served as IPv4 alone.
func IPFamiliesOf(svc *v1.Service) error {
	if p := svc.Spec.IPFamilyPolicy; p != nil && *p == v1.IPFamilyPolicyRequireDualStack {
		return &InputError{Field: "spec.ipFamilyPolicy", Reason: "RequireDualStack needs an IPv6 load balancer; gce-ccm serves IPv4 only"}
	}
	for i, f := range svc.Spec.IPFamilies {
		if f != v1.IPv4Protocol {
			return &InputError{Field: fmt.Sprintf("spec.ipFamilies[%d]", i), Reason: fmt.Sprintf("%s is not served: gce-ccm's load balancers are IPv4 only", f)}
		}
	}
	return nil
}
