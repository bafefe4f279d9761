package fakecompute

import (
	"net/netip"

	compute "google.golang.org/api/compute/v1"
)

// INTERNAL forwarding rules: the front of an internal passthrough load
// balancer. A rule sends to a regional backend service of the INTERNAL
// scheme, lives in a subnetwork of its region, lists up to 5 ports or
// takes all ports, and gets its IP from the subnetwork: allocated, a given
// free IP of the subnetwork, or a reserved internal address. Two rules
// share one IP only through an address of purpose SHARED_LOADBALANCER_VIP
// (how TCP and UDP are served on one IP), and then not on overlapping
// ports of one protocol.

// internalRuleProtocols are the IPProtocol values served for INTERNAL.
var internalRuleProtocols = map[string]bool{"TCP": true, "UDP": true}

// prepareInternalRule is prepareForwardingRule for loadBalancingScheme
// INTERNAL.
func (c *call) prepareInternalRule(fr *compute.ForwardingRule) (ruleRefs, error) {
	refs := ruleRefs{internal: true}
	if fr.IPProtocol == "" {
		fr.IPProtocol = "TCP"
	}
	if !internalRuleProtocols[fr.IPProtocol] {
		return refs, errInvalid("Invalid value for field 'resource.IPProtocol': '%s'. This emulator serves TCP and UDP INTERNAL forwarding rules.", fr.IPProtocol)
	}
	switch fr.NetworkTier {
	case "", "PREMIUM":
		fr.NetworkTier = "PREMIUM"
	default:
		return refs, errInvalid("Invalid value for field 'resource.networkTier': '%s'. INTERNAL forwarding rules are always PREMIUM.", fr.NetworkTier)
	}
	switch {
	case fr.Target != "":
		return refs, errInvalid("Invalid value for field 'resource.target': '%s'. An INTERNAL forwarding rule sends to a backend service, not a target.", fr.Target)
	case fr.PortRange != "":
		return refs, errInvalid("Invalid value for field 'resource.portRange': '%s'. INTERNAL forwarding rules take ports (at most %d) or allPorts.", fr.PortRange, maxRulePorts)
	case len(fr.Ports) == 0 && !fr.AllPorts:
		return refs, errInvalid("Invalid value for field 'resource.ports': an INTERNAL forwarding rule needs ports (at most %d) or allPorts.", maxRulePorts)
	}
	if err := normaliseRulePorts(fr); err != nil {
		return refs, err
	}
	var err error
	if refs.backend, err = c.linkRegional("resource.backendService", &fr.BackendService, "backendServices"); err != nil {
		return refs, err
	}
	if fr.Subnetwork != "" {
		if refs.subnet, err = c.regionalRef("resource.subnetwork", fr.Subnetwork, "subnetworks"); err != nil {
			return refs, err
		}
		fr.Subnetwork = refs.subnet.SelfLink()
	}
	if fr.Network == "" && fr.Subnetwork == "" {
		fr.Network = "global/networks/default"
	}
	return refs, c.ruleNetworkAndIP(fr, &refs)
}

// createInternalRule checks the rule against the state and stores it.
func createInternalRule(s *Server, t *tx, k Key, fr *compute.ForwardingRule, refs ruleRefs) error {
	bs, err := getAs[compute.BackendService](t, refs.backend)
	if err != nil {
		return err
	}
	switch {
	case bs.LoadBalancingScheme != "INTERNAL":
		return errInvalid("Invalid value for field 'resource.backendService': '%s'. The backend service's load balancing scheme %s does not match the forwarding rule's INTERNAL.", fr.BackendService, bs.LoadBalancingScheme)
	case !protocolsMatch(fr.IPProtocol, bs.Protocol):
		return errInvalid("Invalid value for field 'resource.IPProtocol': '%s'. The backend service '%s' serves %s.", fr.IPProtocol, fr.BackendService, bs.Protocol)
	}
	sn, err := ruleSubnet(t, k, fr, refs)
	if err != nil {
		return err
	}
	fr.Subnetwork, fr.Network = sn.SelfLink, sn.Network
	if fr.IPAddress, err = bindInternalIP(t, k, fr, sn, refs.address); err != nil {
		return err
	}
	s.stamp(t, k, fr)
	fr.LabelFingerprint, fr.Fingerprint = labelFingerprint(fr.Labels), t.fingerprint()
	t.put(k, fr)
	return nil
}

// ruleSubnet is the named subnetwork (which must be in the named network),
// or the network's subnetwork in the rule's region.
func ruleSubnet(t *tx, k Key, fr *compute.ForwardingRule, refs ruleRefs) (*compute.Subnetwork, error) {
	if refs.network != (Key{}) {
		if err := mustExist(t, refs.network); err != nil {
			return nil, err
		}
	}
	if refs.subnet != (Key{}) {
		sn, err := getAs[compute.Subnetwork](t, refs.subnet)
		if err != nil {
			return nil, err
		}
		if refs.network != (Key{}) && sn.Network != refs.network.SelfLink() {
			return nil, errInvalid("Invalid value for field 'resource.subnetwork': '%s'. The subnetwork is not in network '%s'.", fr.Subnetwork, fr.Network)
		}
		return sn, nil
	}
	var found []*compute.Subnetwork
	for _, o := range t.list(RegionalKey(k.Project, k.Location, "subnetworks", "")) {
		if sn, ok := o.(*compute.Subnetwork); ok && sn.Network == refs.network.SelfLink() {
			found = append(found, sn)
		}
	}
	switch len(found) {
	case 0:
		return nil, errInvalid("Invalid value for field 'resource.network': '%s'. The network has no subnetwork in region %s.", fr.Network, k.Location)
	case 1:
		return found[0], nil
	}
	return nil, errRequired("resource.subnetwork")
}

// bindInternalIP decides the rule's IP in the subnetwork.
func bindInternalIP(t *tx, k Key, fr *compute.ForwardingRule, sn *compute.Subnetwork, addrKey Key) (string, error) {
	if addrKey == (Key{}) && fr.IPAddress == "" {
		return allocateInternalIP(t, sn, k.Project)
	}
	addr, ip, err := ruleAddress(t, fr.IPAddress, addrKey, func(ip string) *compute.Address { return internalAddress(t, k.Project, sn.SelfLink, ip) })
	if err != nil {
		return "", err
	}
	if addrKey != (Key{}) && addr.AddressType != "INTERNAL" {
		return "", errInvalid("Invalid value for field 'resource.IPAddress': '%s'. An EXTERNAL address cannot serve an INTERNAL forwarding rule.", fr.IPAddress)
	}
	rng, err := netip.ParsePrefix(sn.IpCidrRange)
	if err != nil || !rng.Contains(netip.MustParseAddr(ip)) {
		return "", errInvalid("Invalid value for field 'resource.IPAddress': '%s'. The IP address is outside the subnetwork CIDR range %s of '%s'.", ip, sn.IpCidrRange, sn.SelfLink)
	}
	if addr != nil && addr.Subnetwork != sn.SelfLink {
		return "", errInvalid("Invalid value for field 'resource.IPAddress': '%s'. The address is in subnetwork '%s', not in the rule's '%s'.", fr.IPAddress, addr.Subnetwork, sn.SelfLink)
	}
	shared := addr != nil && addr.Purpose == "SHARED_LOADBALANCER_VIP"
	mine := rulePorts(fr)
	conflict := false
	t.scan(k.Project, "forwardingRules", func(_ Key, o any) {
		other, ok := o.(*compute.ForwardingRule)
		if !ok || other.IPAddress != ip || other.LoadBalancingScheme != "INTERNAL" {
			return
		}
		conflict = conflict || !shared || (other.IPProtocol == fr.IPProtocol && rulePorts(other).overlaps(mine))
	})
	if addr == nil {
		// An unreserved IP: free only if no VM or address holds it.
		conflict = conflict || internalInUse(t, k.Project)[ip]
	}
	if conflict {
		return "", errRuleIPConflict(ip)
	}
	return ip, nil
}

// internalAddress finds the INTERNAL address of a subnetwork holding ip.
func internalAddress(t *tx, project, subnet, ip string) *compute.Address {
	var found *compute.Address
	t.scan(project, "addresses", func(_ Key, o any) {
		if a, ok := o.(*compute.Address); ok && a.AddressType == "INTERNAL" && a.Address == ip && a.Subnetwork == subnet {
			found = a
		}
	})
	return found
}

// internalRuleIPs are the IPs INTERNAL forwarding rules hold, for
// allocation from a subnetwork.
func internalRuleIPs(t *tx, project string, used map[string]bool) {
	t.scan(project, "forwardingRules", func(_ Key, o any) {
		if fr, ok := o.(*compute.ForwardingRule); ok && fr.LoadBalancingScheme == "INTERNAL" {
			used[fr.IPAddress] = true
		}
	})
}
