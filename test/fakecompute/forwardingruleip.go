package fakecompute

import (
	compute "google.golang.org/api/compute/v1"
)

// bindRuleIP decides the rule's IP: a fresh ephemeral one, or the IP of a
// reserved address of the region (named, or given as a literal). Several
// rules share an IP only through one reserved address and only when their
// protocols differ or their ports do not overlap.
func bindRuleIP(t *tx, k Key, fr *compute.ForwardingRule, addrKey Key) (string, error) {
	if addrKey == (Key{}) && fr.IPAddress == "" {
		return allocateExternalIP(t, k.Project, k.Location, fr.NetworkTier)
	}
	addr, ip, err := ruleAddress(t, fr.IPAddress, addrKey, func(ip string) *compute.Address { return reservedAddress(t, k.Project, k.Location, ip) })
	if err != nil {
		return "", err
	}
	switch {
	case addr == nil && externalInUse(t, k.Project)[ip]:
		return "", errRuleIPConflict(ip)
	case addr == nil:
		return "", errInvalid("Invalid value for field 'resource.IPAddress': '%s'. Specified IP address is not reserved in region '%s'.", ip, k.Location)
	case addr.AddressType == "INTERNAL":
		return "", errInvalid("Invalid value for field 'resource.IPAddress': '%s'. An INTERNAL address cannot serve an EXTERNAL forwarding rule.", fr.IPAddress)
	case addr.NetworkTier != fr.NetworkTier:
		return "", errInvalid("Invalid value for field 'resource.networkTier': '%s'. The network tier of the forwarding rule must match the network tier of its IP address '%s' (%s).", fr.NetworkTier, ip, addr.NetworkTier)
	}
	mine := rulePorts(fr)
	conflict := false
	t.scan(k.Project, "forwardingRules", func(_ Key, o any) {
		other, ok := o.(*compute.ForwardingRule)
		conflict = conflict || (ok && other.IPAddress == ip && other.IPProtocol == fr.IPProtocol && rulePorts(other).overlaps(mine))
	})
	t.scan(k.Project, "instances", func(_ Key, o any) {
		inst, ok := o.(*compute.Instance)
		if !ok {
			return
		}
		for _, ni := range inst.NetworkInterfaces {
			for _, ac := range ni.AccessConfigs {
				conflict = conflict || ac.NatIP == ip
			}
		}
	})
	if conflict {
		return "", errRuleIPConflict(ip)
	}
	return ip, nil
}

// ruleAddress is where a rule's IP comes from: the address it names
// (addrKey), else the address found holding the IP it gives (nil: none).
func ruleAddress(t *tx, ip string, addrKey Key, holding func(ip string) *compute.Address) (*compute.Address, string, error) {
	if addrKey == (Key{}) {
		return holding(ip), ip, nil
	}
	a, err := getAs[compute.Address](t, addrKey)
	if err != nil {
		return nil, "", err
	}
	return a, a.Address, nil
}

// ruleIPs are the IPs the region's forwarding rules hold.
func ruleIPs(t *tx, k Key) map[string]bool {
	held := map[string]bool{}
	for _, o := range t.list(k.Table()) {
		if fr, ok := o.(*compute.ForwardingRule); ok {
			held[fr.IPAddress] = true
		}
	}
	return held
}
