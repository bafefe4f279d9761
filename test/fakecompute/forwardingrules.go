package fakecompute

import (
	"net/netip"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// Regional EXTERNAL forwarding rules in front of target pools. A rule's
// protocol and ports are immutable (there is no update verb); setTarget
// repoints it. The IP is stored as a literal; whether it is ephemeral or a
// reserved address is derived from the addresses at read time.

// ruleProtocols are the IPProtocol values of v1; portProtocols carry ports.
var ruleProtocols = map[string]bool{"TCP": true, "UDP": true, "SCTP": true, "ESP": true, "AH": true, "ICMP": true, "L3_DEFAULT": true}

var rulePortProtocols = map[string]bool{"TCP": true, "UDP": true, "SCTP": true}

// maxRulePorts is how many entries ports[] may hold.
const maxRulePorts = 5

// ruleRefs are the keys prepareForwardingRule resolved from the body.
type ruleRefs struct {
	target, network, address Key // network and address are zero when absent
	// An INTERNAL rule: its backend service and subnetwork (zero when
	// absent).
	internal        bool
	backend, subnet Key
}

func insertForwardingRule(c *call) (any, error) {
	return insertAs(c, c.prepareForwardingRule, func(t *tx, k Key, fr *compute.ForwardingRule, refs ruleRefs) error {
		if refs.internal {
			return createInternalRule(c.s, t, k, fr, refs)
		}
		if err := mustExist(t, refs.target, refs.network); err != nil {
			return err
		}
		ip, err := bindRuleIP(t, k, fr, refs.address)
		if err != nil {
			return err
		}
		fr.IPAddress = ip
		if err := t.chargeQuota(c.s, QuotaForwardingRules, t.count(k.Project, "forwardingRules", Regional, k.Location), k.Location); err != nil {
			return err
		}
		// Rules sharing an IP use one address between them.
		if held := ruleIPs(t, k); !held[ip] {
			if err := t.chargeQuota(c.s, QuotaInUseAddresses, len(held), k.Location); err != nil {
				return err
			}
		}
		c.s.stamp(t, k, fr)
		fr.LabelFingerprint, fr.Fingerprint = labelFingerprint(fr.Labels), t.fingerprint()
		t.put(k, fr)
		return nil
	})
}

// prepareForwardingRule checks what does not depend on state, fills GCE's
// defaults (EXTERNAL, TCP, PREMIUM) and normalises references and ports.
func (c *call) prepareForwardingRule(fr *compute.ForwardingRule) (ruleRefs, error) {
	var refs ruleRefs
	if err := checkName(fr.Name); err != nil {
		return refs, err
	}
	if err := validateLabels("resource.labels", fr.Labels); err != nil {
		return refs, err
	}
	if fr.LoadBalancingScheme == "" {
		fr.LoadBalancingScheme = "EXTERNAL"
	}
	switch fr.LoadBalancingScheme {
	case "INTERNAL":
		return c.prepareInternalRule(fr)
	case "EXTERNAL":
	default:
		return refs, errInvalid("Invalid value for field 'resource.loadBalancingScheme': '%s'. Only EXTERNAL and INTERNAL forwarding rules are served by this emulator.", fr.LoadBalancingScheme)
	}
	if fr.AllowGlobalAccess {
		return refs, errInvalid("Invalid value for field 'resource.allowGlobalAccess': 'true'. Global access is only allowed for INTERNAL forwarding rules.")
	}
	if fr.BackendService != "" {
		return refs, errInvalid("Invalid value for field 'resource.backendService': '%s'. An EXTERNAL forwarding rule with a backend service is not served by this emulator; target a target pool.", fr.BackendService)
	}
	if fr.Subnetwork != "" {
		return refs, errInvalid("Invalid value for field 'resource.subnetwork': '%s'. A subnetwork may only be specified for INTERNAL forwarding rules.", fr.Subnetwork)
	}
	if fr.IPProtocol == "" {
		fr.IPProtocol = "TCP"
	}
	switch {
	case !ruleProtocols[fr.IPProtocol]:
		return refs, errInvalid("Invalid value for field 'resource.IPProtocol': '%s'. Must be one of [TCP, UDP, ESP, AH, SCTP, ICMP, L3_DEFAULT].", fr.IPProtocol)
	case fr.IPProtocol == "L3_DEFAULT":
		return refs, errInvalid("Invalid value for field 'resource.IPProtocol': 'L3_DEFAULT'. L3_DEFAULT is only supported by forwarding rules with a backend service.")
	}
	if err := oneOf("networkTier", &fr.NetworkTier, "PREMIUM", "PREMIUM", "STANDARD"); err != nil {
		return refs, err
	}
	if err := normaliseRulePorts(fr); err != nil {
		return refs, err
	}
	var err error
	if refs.target, err = c.linkRegional("resource.target", &fr.Target, "targetPools"); err != nil {
		return refs, err
	}
	return refs, c.ruleNetworkAndIP(fr, &refs)
}

// ruleNetworkAndIP normalises a rule's network and checks its IPAddress: a
// literal IPv4 address, or a reference to an address of the rule's region.
func (c *call) ruleNetworkAndIP(fr *compute.ForwardingRule, refs *ruleRefs) error {
	var err error
	if fr.Network != "" {
		if refs.network, err = c.refTo("resource.network", fr.Network, "networks"); err != nil {
			return err
		}
		fr.Network = refs.network.SelfLink()
	}
	if fr.IPAddress == "" {
		return nil
	}
	if ip, err := netip.ParseAddr(fr.IPAddress); err == nil {
		if !ip.Is4() {
			return errInvalidRuleIP(fr.IPAddress)
		}
		return nil
	}
	// Not a literal: a reference to an address of the rule's region.
	if refs.address, err = ParseRef(fr.IPAddress, "addresses", c.ref()); err != nil {
		return errInvalidRuleIP(fr.IPAddress)
	}
	if refs.address.Location != c.location {
		return errInvalid("Invalid value for field 'resource.IPAddress': '%s'. The address must be in region '%s'.", fr.IPAddress, c.location)
	}
	return nil
}

// regionalRef resolves a reference that must live in the request's region.
func (c *call) regionalRef(field, ref, collection string) (Key, error) {
	k, err := c.refTo(field, ref, collection)
	if err != nil {
		return Key{}, err
	}
	if k.Location != c.location {
		return Key{}, errInvalid("Invalid value for field '%s': '%s'. The resource must be in region '%s'.", field, ref, c.location)
	}
	return k, nil
}

// linkRegional reads a required reference to an object of the call's
// region and rewrites it as its selfLink, as GCE stores it.
func (c *call) linkRegional(field string, ref *string, collection string) (Key, error) {
	if *ref == "" {
		return Key{}, errRequired(field)
	}
	k, err := c.regionalRef(field, *ref, collection)
	if err != nil {
		return Key{}, err
	}
	*ref = k.SelfLink()
	return k, nil
}

func errInvalidRuleIP(ip string) *apiError {
	return errInvalid("Invalid value for field 'resource.IPAddress': '%s'. Invalid IP address specified.", ip)
}

func errRuleIPConflict(ip string) *apiError {
	return errInvalid("Invalid value for field 'resource.IPAddress': '%s'. Specified IP address is in-use and would result in a conflict.", ip)
}

// normaliseRulePorts allows one of portRange, ports and allPorts, and only
// for TCP, UDP and SCTP. "80" becomes "80-80" as GCE stores it, and a port
// protocol with no port given forwards every port ("1-65535").
func normaliseRulePorts(fr *compute.ForwardingRule) error {
	given := 0
	for _, set := range []bool{fr.PortRange != "", len(fr.Ports) > 0, fr.AllPorts} {
		if set {
			given++
		}
	}
	switch {
	case given > 1:
		return errInvalid("Invalid value for field 'resource': only one of portRange, ports and allPorts may be specified.")
	case given == 1 && !rulePortProtocols[fr.IPProtocol]:
		field, value := "portRange", fr.PortRange
		if len(fr.Ports) > 0 {
			field, value = "ports", strings.Join(fr.Ports, ",")
		} else if fr.AllPorts {
			field, value = "allPorts", "true"
		}
		return errInvalid("Invalid value for field 'resource.%s': '%s'. Ports may only be specified for TCP, UDP or SCTP forwarding rules.", field, value)
	case !rulePortProtocols[fr.IPProtocol], fr.AllPorts:
		return nil
	case len(fr.Ports) > maxRulePorts:
		return errInvalid("Invalid value for field 'resource.ports': %d ports were given; at most %d may be specified.", len(fr.Ports), maxRulePorts)
	case len(fr.Ports) > 0:
		for i, p := range fr.Ports {
			if r, ok := parsePortRange(p, 1); !ok || r.lo != r.hi {
				return errInvalid("Invalid value for field 'resource.ports[%d]': '%s'. Must be a port number between 1 and 65535.", i, p)
			}
		}
		return nil
	case fr.PortRange == "":
		fr.PortRange = "1-65535"
		return nil
	}
	r, ok := parsePortRange(fr.PortRange, 1)
	if !ok {
		return errInvalid("Invalid value for field 'resource.portRange': '%s'. Must be a port or a range 'low-high' of ports between 1 and 65535.", fr.PortRange)
	}
	fr.PortRange = r.String()
	return nil
}

// rulePorts reads the ports of a normalised rule.
func rulePorts(fr *compute.ForwardingRule) portSet {
	var s portSet
	for _, p := range fr.Ports {
		r, _ := parsePortRange(p, 1)
		s.ranges = append(s.ranges, r)
	}
	if r, ok := parsePortRange(fr.PortRange, 1); ok {
		s.ranges = append(s.ranges, r)
	}
	s.all = fr.AllPorts || len(s.ranges) == 0
	return s
}

// setForwardingRuleTarget repoints a rule at another target pool.
var setForwardingRuleTarget = withBody(func(c *call, ref *compute.TargetReference) (any, error) {
	if ref.Target == "" {
		return nil, errRequired("resource.target")
	}
	tk, err := c.regionalRef("resource.target", ref.Target, "targetPools")
	if err != nil {
		return nil, err
	}
	return submitModify(c, "setTarget", func(t *tx, fr *compute.ForwardingRule) error {
		if fr.BackendService != "" {
			return errInvalid("Invalid value for field 'resource.target': '%s'. The forwarding rule sends to a backend service; it has no target.", ref.Target)
		}
		if err := mustExist(t, tk); err != nil {
			return err
		}
		fr.Target, fr.Fingerprint = tk.SelfLink(), t.fingerprint()
		return nil
	})
})
