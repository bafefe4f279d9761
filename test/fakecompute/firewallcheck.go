package fakecompute

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// maxFirewallPorts is how many port entries one rule may hold in all its
// allowed/denied entries; the upstream provider collapses ranges to stay below.
const maxFirewallPorts = 100

// firewallProtocols are the names GCE accepts besides protocol numbers.
var firewallProtocols = map[string]bool{"tcp": true, "udp": true, "icmp": true, "esp": true, "ah": true, "sctp": true, "ipip": true, "all": true}

// portProtocols may carry ports, by name or by number.
var portProtocols = map[string]bool{"tcp": true, "udp": true, "sctp": true, "6": true, "17": true, "132": true}

// normaliseFirewall validates a rule and fills in what GCE fills in: the
// default network, INGRESS, priority 1000, an all-addresses source (or
// destination), and logging off.
func (c *call) normaliseFirewall(fw *compute.Firewall, priorityGiven bool) (Key, error) {
	if err := checkName(fw.Name); err != nil {
		return Key{}, err
	}
	if fw.Network == "" {
		fw.Network = "global/networks/default"
	}
	nk, err := c.refTo("resource.network", fw.Network, "networks")
	if err != nil {
		return Key{}, err
	}
	fw.Network = nk.SelfLink()
	if err := oneOf("direction", &fw.Direction, "INGRESS", "INGRESS", "EGRESS"); err != nil {
		return Key{}, err
	}
	if fw.Priority == 0 && !priorityGiven {
		fw.Priority = 1000
	}
	if fw.Priority < 0 || fw.Priority > 65535 {
		return Key{}, errInvalid("Invalid value for field 'resource.priority': '%d'. Must be greater than or equal to 0 and less than or equal to 65535.", fw.Priority)
	}
	if err := checkFirewallRules(fw); err != nil {
		return Key{}, err
	}
	if err := checkFirewallEndpoints(fw); err != nil {
		return Key{}, err
	}
	if fw.LogConfig == nil {
		fw.LogConfig = &compute.FirewallLogConfig{}
	}
	return nk, nil
}

// firewallRule is one allowed[] or denied[] entry, whichever list it is in.
type firewallRule struct {
	field, proto string
	ports        []string
}

func checkFirewallRules(fw *compute.Firewall) error {
	var rules []firewallRule
	for i, a := range fw.Allowed {
		rules = append(rules, firewallRule{fmt.Sprintf("resource.allowed[%d]", i), a.IPProtocol, a.Ports})
	}
	for i, d := range fw.Denied {
		rules = append(rules, firewallRule{fmt.Sprintf("resource.denied[%d]", i), d.IPProtocol, d.Ports})
	}
	switch {
	case len(fw.Allowed) > 0 && len(fw.Denied) > 0:
		return errInvalid("Invalid value for field 'resource': a firewall rule must have either allowed or denied entries, not both.")
	case len(rules) == 0:
		return errInvalid("Invalid value for field 'resource': a firewall rule must have exactly one of allowed or denied entries.")
	}
	count := 0
	for _, r := range rules {
		if err := checkFirewallRule(r); err != nil {
			return err
		}
		count += len(r.ports)
	}
	if count > maxFirewallPorts {
		return errInvalid("Invalid value for field 'resource': the rule has %d port entries; at most %d are allowed.", count, maxFirewallPorts)
	}
	return nil
}

func checkFirewallRule(r firewallRule) error {
	proto := strings.ToLower(r.proto)
	if proto == "" {
		return errRequired(r.field + ".IPProtocol")
	}
	if n, err := strconv.Atoi(proto); err == nil {
		if n < 0 || n > 255 || proto != strconv.Itoa(n) {
			return errInvalid("Invalid value for field '%s.IPProtocol': '%s'. Protocol numbers must be between 0 and 255.", r.field, r.proto)
		}
	} else if !firewallProtocols[proto] {
		return errInvalid("Invalid value for field '%s.IPProtocol': '%s'. Must be one of [tcp, udp, icmp, esp, ah, sctp, ipip, all] or an IP protocol number.", r.field, r.proto)
	}
	if len(r.ports) > 0 && !portProtocols[proto] {
		return errInvalid("Invalid value for field '%s.ports[0]': '%s'. Ports may only be specified on rules whose protocol is one of [TCP, UDP, SCTP].", r.field, r.ports[0])
	}
	for i, p := range r.ports {
		if _, ok := parsePortRange(p, 0); !ok {
			return errInvalid("Invalid value for field '%s.ports[%d]': '%s'. Must be a port number or a range 'low-high' of ports between 0 and 65535.", r.field, i, p)
		}
	}
	return nil
}

// checkFirewallEndpoints validates the ranges, tags and service accounts,
// and gives a rule with no source (INGRESS) or destination (EGRESS) the
// all-addresses range GCE gives it.
func checkFirewallEndpoints(fw *compute.Firewall) error {
	family := ""
	for _, rs := range []struct {
		field  string
		ranges []string
	}{{"resource.sourceRanges", fw.SourceRanges}, {"resource.destinationRanges", fw.DestinationRanges}} {
		for i, r := range rs.ranges {
			f, err := rangeFamily(fmt.Sprintf("%s[%d]", rs.field, i), r)
			if err != nil {
				return err
			}
			if family != "" && f != family {
				return errInvalid("Invalid value for field '%s[%d]': '%s'. IPv4 and IPv6 ranges cannot be mixed in one firewall rule.", rs.field, i, r)
			}
			family = f
		}
	}
	for _, tags := range []struct {
		field string
		items []string
	}{{"resource.sourceTags", fw.SourceTags}, {"resource.targetTags", fw.TargetTags}} {
		for i, tag := range tags.items {
			if !nameRE.MatchString(tag) {
				return errInvalid("Invalid value for field '%s[%d]': '%s'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'", tags.field, i, tag)
			}
		}
	}
	if len(fw.TargetTags) > 0 && len(fw.TargetServiceAccounts) > 0 {
		return errInvalid("Invalid value for field 'resource.targetServiceAccounts': target tags and target service accounts cannot both be set.")
	}
	if len(fw.SourceTags) > 0 && len(fw.SourceServiceAccounts) > 0 {
		return errInvalid("Invalid value for field 'resource.sourceServiceAccounts': source tags and source service accounts cannot both be set.")
	}
	everything := "0.0.0.0/0"
	if family == "6" {
		everything = "::/0"
	}
	if fw.Direction == "EGRESS" {
		if len(fw.SourceTags) > 0 || len(fw.SourceServiceAccounts) > 0 {
			return errInvalid("Invalid value for field 'resource.sourceTags': source tags and source service accounts are only allowed on INGRESS rules.")
		}
		if len(fw.DestinationRanges) == 0 {
			fw.DestinationRanges = []string{everything}
		}
		return nil
	}
	if len(fw.SourceRanges) == 0 && len(fw.SourceTags) == 0 && len(fw.SourceServiceAccounts) == 0 {
		fw.SourceRanges = []string{everything}
	}
	return nil
}

// rangeFamily accepts a CIDR or a bare address, as GCE does (the upstream
// provider pins destinationRanges to the bare load-balancer IP), and says
// whether it is IPv4 ("4") or IPv6 ("6").
func rangeFamily(field, r string) (string, error) {
	var a netip.Addr
	if p, err := netip.ParsePrefix(r); err == nil {
		a = p.Addr()
	} else if a, err = netip.ParseAddr(r); err != nil || a.Zone() != "" {
		return "", errInvalid("Invalid value for field '%s': '%s'. Must be a CIDR address range that is contained in the network.", field, r)
	}
	if a.Is4() || a.Is4In6() {
		return "4", nil
	}
	return "6", nil
}
