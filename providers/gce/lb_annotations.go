package gce

import (
	"fmt"
	"net/netip"
	"strings"

	v1 "k8s.io/api/core/v1"
)

// Service annotations the load balancer reads, with upstream's keys.
const (
	// annNetworkTier picks the network tier of the address and the rules:
	// Premium (default) or Standard.
	annNetworkTier = "cloud.google.com/network-tier"
	// annSourceRanges is the older spelling of spec.loadBalancerSourceRanges.
	annSourceRanges = "service.beta.kubernetes.io/load-balancer-source-ranges"
)

const (
	tierPremium  = "PREMIUM"
	tierStandard = "STANDARD"
)

// networkTierOf reads the tier annotation. Upstream accepts exactly
// "Premium" and "Standard"; any case is accepted here.
func networkTierOf(svc *v1.Service) (string, error) {
	v, ok := svc.Annotations[annNetworkTier]
	if !ok {
		return tierPremium, nil
	}
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case tierPremium:
		return tierPremium, nil
	case tierStandard:
		return tierStandard, nil
	}
	return "", &inputError{Field: "annotation " + annNetworkTier, Reason: fmt.Sprintf("%q is not a network tier: use Premium or Standard", v)}
}

// sourceRangesOf is where the Service accepts traffic from:
// spec.loadBalancerSourceRanges, else the annotation, else everywhere.
// Ranges are IPv4 CIDRs (the load balancer's address is IPv4, and one
// firewall rule cannot mix families).
func sourceRangesOf(svc *v1.Service) ([]string, error) {
	field, raw := "spec.loadBalancerSourceRanges", svc.Spec.LoadBalancerSourceRanges
	if len(raw) == 0 {
		v := strings.TrimSpace(svc.Annotations[annSourceRanges])
		if v == "" {
			return []string{"0.0.0.0/0"}, nil
		}
		field, raw = "annotation "+annSourceRanges, strings.Split(v, ",")
	}
	seen := map[string]bool{}
	var out []string
	for i, r := range raw {
		p, err := netip.ParsePrefix(strings.TrimSpace(r))
		switch {
		case err != nil:
			return nil, &inputError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprintf("%q is not a CIDR range like 203.0.113.0/24", strings.TrimSpace(r))}
		case !p.Addr().Is4():
			return nil, &inputError{Field: fmt.Sprintf("%s[%d]", field, i), Reason: fmt.Sprintf("%q is IPv6; the load balancer is IPv4", r)}
		}
		s := p.Masked().String()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, nil
}
