package dataplane

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// The fabric's nftables table. It is replaced whole in one transaction on
// every change ("flush table" then the new chains); named counters survive
// the flush, so the counts are cumulative over the fabric's life.
const (
	fabricTable  = "gcevpc"
	internetLink = "inet0"
	probeLink    = "hc0"
	hashSeed     = "0x6763650d" // fixed, so a flow's backend is reproducible run to run
)

// Counter names (nftables identifiers; GCE names are [a-z0-9-], which fit).
const (
	cForwarded      = "forwarded"
	cNoRoute        = "noroute"               // the fabric's FIB has no route
	cNoRouteOut     = "noroute_internet"      // a private destination sent to the internet gateway
	cNoRouteIn      = "noroute_from_internet" // from the internet to an address that is not a load balancer's
	cImpliedDeny    = "fw_implied_deny_ingress"
	cLBUnmatched    = "nlb_no_rule"
	antispoofOutPfx = "antispoof_out_"
	antispoofInPfx  = "antispoof_in_"
	firewallPfx     = "fw_"
	lbPfx           = "nlb_"
	lbNoBackendPfx  = "nlb_nobackend_"
	lbUnhealthyPfx  = "nlb_allunhealthy_"
)

// privateRanges never leave through the internet gateway.
var privateRanges = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}

// Ruleset renders the fabric's nftables for a plan and its state's
// firewall rules. Pure: the unit tests read its text.
func Ruleset(st State, p Plan) string {
	var b rsBuilder
	b.line("table ip %s {}", fabricTable)
	b.line("flush table ip %s", fabricTable)
	b.line("table ip %s {", fabricTable)
	b.counters(st, p)
	b.prerouting(p)
	b.forward(p)
	for _, vm := range p.VMs {
		if vm.Plugged {
			b.vmChain(st, vm, false)
			b.vmChain(st, vm, true)
		}
	}
	b.internet(p)
	b.line("}")
	return b.String()
}

type rsBuilder struct{ strings.Builder }

func (b *rsBuilder) line(f string, a ...any) { fmt.Fprintf(b, f+"\n", a...) }

func (b *rsBuilder) counters(st State, p Plan) {
	names := []string{cForwarded, cNoRoute, cNoRouteOut, cNoRouteIn, cImpliedDeny, cLBUnmatched}
	for _, vm := range p.VMs {
		names = append(names, antispoofOutPfx+vm.Name, antispoofInPfx+vm.Name)
	}
	for _, f := range st.Firewalls {
		names = append(names, firewallPfx+f.Name)
	}
	for _, lb := range p.LBs {
		names = append(names, lbPfx+lb.Rule.Name, lbNoBackendPfx+lb.Rule.Name, lbUnhealthyPfx+lb.Rule.Name)
	}
	for _, n := range names {
		b.line("\tcounter %s {}", n)
	}
}

// prerouting steers load-balanced packets (a mark picks the member's
// routing table) and counts packets no route would carry.
func (b *rsBuilder) prerouting(p Plan) {
	b.line("\tchain prerouting {")
	b.line("\t\ttype filter hook prerouting priority mangle; policy accept;")
	tables := map[int]int{}
	for _, vm := range p.VMs {
		tables[vm.Index] = vm.Table
	}
	// A load-balanced connection keeps its member (the mark is saved in
	// conntrack): a change of the healthy set or of the pool moves new
	// connections only, as GCE's connection tracking does.
	b.line("\t\tct direction original ct mark != 0 meta mark set ct mark accept")
	var lbIPs []string
	for _, lb := range p.LBs {
		lbIPs = appendUnique(lbIPs, lb.Rule.IP.String())
		match := fmt.Sprintf("ip daddr %s meta l4proto %s%s", lb.Rule.IP, strings.ToLower(lb.Rule.Protocol), portMatch(lb.Rule.Ports))
		switch {
		case len(lb.Targets) == 0:
			b.line("\t\t%s counter name %s%s drop", match, lbNoBackendPfx, lb.Rule.Name)
			continue
		case lb.Fallback != "" && len(lb.Healthy) == 0:
			b.line("\t\t%s counter name %s%s", match, lbUnhealthyPfx, lb.Rule.Name)
		}
		b.line("\t\t%s counter name %s%s meta mark set %s ct mark set meta mark", match, lbPfx, lb.Rule.Name, markExpr(lb, tables))
	}
	if len(lbIPs) > 0 {
		b.line("\t\tip daddr %s meta mark 0 counter name %s drop", set(lbIPs), cLBUnmatched)
	}
	b.line("\t\tfib daddr type local accept")
	b.line("\t\tfib daddr . mark oif missing counter name %s drop", cNoRoute)
	b.line("\t}")
}

// markExpr chooses the member by a hash of the flow, as GCE's target pools
// do: NONE hashes the 5-tuple, CLIENT_IP the 2-tuple, CLIENT_IP_PROTO the 3-tuple.
func markExpr(lb LBPlan, tables map[int]int) string {
	if len(lb.Targets) == 1 {
		return fmt.Sprint(tables[lb.Targets[0]])
	}
	fields := "ip saddr . ip daddr . meta l4proto . th sport . th dport"
	switch lb.Affinity {
	case "CLIENT_IP":
		fields = "ip saddr . ip daddr"
	case "CLIENT_IP_PROTO":
		fields = "ip saddr . ip daddr . meta l4proto"
	}
	elems := make([]string, len(lb.Targets))
	for i, t := range lb.Targets {
		elems[i] = fmt.Sprintf("%d : %d", i, tables[t])
	}
	return fmt.Sprintf("jhash %s mod %d seed %s map { %s }", fields, len(lb.Targets), hashSeed, strings.Join(elems, ", "))
}

// forward dispatches by the VM a packet leaves and the VM it enters.
func (b *rsBuilder) forward(p Plan) {
	b.line("\tchain forward {")
	b.line("\t\ttype filter hook forward priority filter; policy accept;")
	var from, to []string
	for _, vm := range p.VMs {
		if vm.Plugged {
			from = append(from, fmt.Sprintf("%q : jump from_%s", vm.Link, vm.Link))
			to = append(to, fmt.Sprintf("%q : jump to_%s", vm.Link, vm.Link))
		}
	}
	from = append(from, fmt.Sprintf("%q : jump from_internet", internetLink))
	to = append(to, fmt.Sprintf("%q : jump to_internet", internetLink))
	b.line("\t\tiifname vmap { %s }", strings.Join(from, ", "))
	b.line("\t\toifname vmap { %s }", strings.Join(to, ", "))
	b.line("\t\tcounter name %s", cForwarded)
	b.line("\t}")
}

// vmChain is one direction of a VM's plug. Leaving (from_): anti-spoof on
// the source (the VM's IP or a load-balancer IP it serves, unless
// canIpForward), egress rules, GCE's implied allow. Entering (to_):
// anti-spoof on the destination, ingress rules, GCE's implied deny.
func (b *rsBuilder) vmChain(st State, vm VMPlan, ingress bool) {
	dir, field, counter := "from_", "saddr", antispoofOutPfx
	if ingress {
		dir, field, counter = "to_", "daddr", antispoofInPfx
	}
	b.line("\tchain %s%s {", dir, vm.Link)
	if !vm.CanIPForward {
		b.line("\t\tip %s != %s counter name %s%s drop", field, addrSet(ownAddrs(vm)), counter, vm.Name)
	}
	b.line("\t\tct state established,related return")
	for _, f := range applicable(st, vm, ingress) {
		b.firewall(st, f, "return")
	}
	if ingress {
		b.line("\t\tcounter name %s drop", cImpliedDeny)
	}
	b.line("\t}")
}

// internet: the gateway takes nothing to private ranges, and from the
// internet only load-balancer IPs are reachable (VMs here have no external IPs).
func (b *rsBuilder) internet(p Plan) {
	b.line("\tchain to_internet {")
	b.line("\t\tip daddr %s counter name %s drop", addrSet(privateRanges), cNoRouteOut)
	b.line("\t}")
	b.line("\tchain from_internet {")
	var ips []string
	for _, lb := range p.LBs {
		ips = appendUnique(ips, lb.Rule.IP.String())
	}
	if len(ips) > 0 {
		b.line("\t\tip daddr %s return", set(ips))
	}
	b.line("\t\tcounter name %s drop", cNoRouteIn)
	b.line("\t}")
}

func ownAddrs(vm VMPlan) []string {
	out := []string{vm.IP.String()}
	for _, a := range vm.Aliases {
		out = append(out, a.String())
	}
	for _, a := range vm.Serves {
		out = appendUnique(out, a.String())
	}
	return out
}

// applicable lists the enabled rules of one direction that target vm, in
// GCE's evaluation order: priority, then deny before allow.
func applicable(st State, vm VMPlan, ingress bool) []Firewall {
	var out []Firewall
	for _, f := range st.Firewalls {
		if f.Ingress != ingress || f.Disabled || !targets(f, vm.VM) {
			continue
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return len(out[i].Denied) > 0 && len(out[j].Denied) == 0
	})
	return out
}

func targets(f Firewall, vm VM) bool {
	switch {
	case len(f.TargetTags) > 0:
		return overlaps(f.TargetTags, vm.Tags)
	case len(f.TargetAccounts) > 0:
		return overlaps(f.TargetAccounts, vm.Accounts)
	}
	return true
}

// firewall renders one rule: one line per protocol entry, counted per rule.
func (b *rsBuilder) firewall(st State, f Firewall, allow string) {
	addrs := ""
	if f.Ingress {
		src, ok := ingressSources(st, f)
		if !ok {
			return // sources name tags no VM has: the rule matches nothing
		}
		addrs += src
		if len(f.DestinationRanges) > 0 {
			addrs += " ip daddr " + addrSet(prefixStrings(f.DestinationRanges))
		}
	} else {
		if len(f.SourceRanges) > 0 {
			addrs += " ip saddr " + addrSet(prefixStrings(f.SourceRanges))
		}
		if len(f.DestinationRanges) > 0 {
			addrs += " ip daddr " + addrSet(prefixStrings(f.DestinationRanges))
		}
	}
	verdict, entries := allow, f.Allowed
	if len(f.Denied) > 0 {
		verdict, entries = "drop", f.Denied
	}
	for _, e := range entries {
		b.line("\t\t%s%s counter name %s%s %s", strings.TrimSpace(addrs), protoMatch(e), firewallPfx, f.Name, verdict)
	}
}

// ingressSources is the rule's source match: its ranges, or the primary
// IPs of VMs with its source tags or service accounts (GCE ORs the two).
func ingressSources(st State, f Firewall) (string, bool) {
	ranges := prefixStrings(f.SourceRanges)
	for _, vm := range st.VMs {
		if (len(f.SourceTags) > 0 && overlaps(f.SourceTags, vm.Tags)) || (len(f.SourceAccounts) > 0 && overlaps(f.SourceAccounts, vm.Accounts)) {
			ranges = appendUnique(ranges, vm.IP.String())
		}
	}
	if len(ranges) == 0 {
		if len(f.SourceTags) > 0 || len(f.SourceAccounts) > 0 {
			return "", false
		}
		return "", true // no source at all: GCE reads 0.0.0.0/0
	}
	if len(ranges) == 1 && ranges[0] == "0.0.0.0/0" {
		return "", true
	}
	return "ip saddr " + addrSet(ranges), true
}

func protoMatch(e PortRule) string {
	switch e.Protocol {
	case "all", "":
		return ""
	case "tcp", "udp", "sctp":
		return fmt.Sprintf(" meta l4proto %s%s", e.Protocol, portMatch(e.Ports))
	}
	return " meta l4proto " + e.Protocol
}

func portMatch(ports []PortRange) string {
	if len(ports) == 0 {
		return ""
	}
	var elems []string
	for _, r := range ports {
		if r.From == r.To {
			elems = append(elems, fmt.Sprint(r.From))
		} else {
			elems = append(elems, fmt.Sprintf("%d-%d", r.From, r.To))
		}
	}
	return " th dport " + set(elems)
}

func set(elems []string) string { return "{ " + strings.Join(elems, ", ") + " }" }

// addrSet renders addresses and prefixes as one nftables interval set,
// leaving out those another element covers: nftables refuses overlapping
// intervals, and GCE's OR of ranges is the same set.
func addrSet(elems []string) string {
	var ps []netip.Prefix
	for _, e := range elems {
		if !strings.Contains(e, "/") {
			e += "/32"
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			ps = append(ps, p.Masked())
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Bits() < ps[j].Bits() })
	var keep []netip.Prefix
	for _, p := range ps {
		covered := false
		for _, k := range keep {
			if k.Contains(p.Addr()) {
				covered = true
				break
			}
		}
		if !covered {
			keep = append(keep, p)
		}
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].Addr().Less(keep[j].Addr()) })
	out := make([]string, len(keep))
	for i, k := range keep {
		if k.Bits() == 32 {
			out[i] = k.Addr().String()
		} else {
			out[i] = k.String()
		}
	}
	return set(out)
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func overlaps(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
