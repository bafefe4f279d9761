package plan

import (
	"encoding/json"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// Firewall rules: k8s-fw-<lb> lets the Service's ports in from its source
// ranges to the load balancer's IP only (destinationRanges: without it,
// every k8s-fw rule on the same node tags would open its ports to every
// other load balancer's IP, kubernetes/kubernetes#60879), and each health
// check's rule lets GCE's probes reach the nodes. Rules are patched in
// place, never recreated: traffic must not stop for a change of source
// ranges or ports.

const firewallPriority = 1000

// ProbeRanges are where GCE's health-check probes come from.
var ProbeRanges = []string{"35.191.0.0/16", "130.211.0.0/22", "209.85.152.0/22", "209.85.204.0/22"}

// wantFirewall is the Service's traffic rule; ip "" is filled at apply.
func (in Input) wantFirewall(ip string) *computepb.Firewall {
	fw := in.baseFirewall(in.Names.Firewall, ownership.Description{ServiceName: in.Spec.Service, ServiceIP: ip, ClusterName: in.Cluster}.String())
	for _, r := range in.Spec.Rules {
		fw.Allowed = append(fw.Allowed, &computepb.Allowed{IPProtocol: proto.String(strings.ToLower(r.Protocol)), Ports: r.Ports})
	}
	fw.SourceRanges = in.Spec.SourceRanges
	if ip != "" {
		fw.DestinationRanges = []string{ip}
	}
	return fw
}

// wantCheckFirewall lets the probes of one health check in.
func (in Input) wantCheckFirewall(c checkSpec) *computepb.Firewall {
	fw := in.baseFirewall(c.FirewallName, c.Description)
	fw.Allowed = []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{strconv.FormatInt(c.Port, 10)}}}
	fw.SourceRanges = ProbeRanges
	return fw
}

func (in Input) baseFirewall(name, desc string) *computepb.Firewall {
	return &computepb.Firewall{Name: proto.String(name), Description: proto.String(desc), Network: proto.String(in.Network),
		Priority: proto.Int32(firewallPriority), Direction: proto.String("INGRESS"), TargetTags: in.Tags}
}

// planFirewall creates or patches k8s-fw-<lb>. When the IP is not known
// yet, the rule waits for the reservation and takes its IP at apply.
func (p *planner) planFirewall(ip, ipKey string) string {
	if ip != "" {
		ipKey = "" // the IP is known: no need to wait for the reservation
	}
	return p.syncFirewall(p.in.wantFirewall(ip), p.in.Seen.Firewalls[p.in.Names.Firewall], ip == "", true, RecheckNone, ipKey)
}

// syncFirewall plans the write that makes have into want, if any.
func (p *planner) syncFirewall(want, have *computepb.Firewall, fillIP, withDest bool, recheck Recheck, after ...string) string {
	a := Action{Name: want.GetName(), Firewall: want, FillIP: fillIP, Recheck: recheck}
	switch {
	case have == nil:
		a.Kind = OpCreateFirewall
	case !gceref.Same(have.GetNetwork(), want.GetNetwork(), "networks", gceref.Defaults{}) || have.GetDirection() != want.GetDirection():
		// Neither can be patched: the rule is replaced (only after a
		// change of network-name in gce.conf).
		del := p.add(Action{Kind: OpDeleteFirewall, Name: want.GetName()}, after...)
		a.Kind, after = OpCreateFirewall, append(after, del)
	case fillIP || len(FirewallDrift(have, want, withDest)) > 0:
		a.Kind = OpPatchFirewall
	default:
		return ""
	}
	return p.add(a, after...)
}

// FirewallDrift names the fields of have that differ from want.
func FirewallDrift(have, want *computepb.Firewall, withDest bool) []string {
	var d []string
	if have.GetDescription() != want.GetDescription() {
		d = append(d, "description")
	}
	if !slices.Equal(AllowedSet(have.GetAllowed()), AllowedSet(want.GetAllowed())) {
		d = append(d, "allowed")
	}
	if !slices.Equal(prefixSet(have.GetSourceRanges()), prefixSet(want.GetSourceRanges())) {
		d = append(d, "sourceRanges")
	}
	if withDest && !slices.Equal(prefixSet(have.GetDestinationRanges()), prefixSet(want.GetDestinationRanges())) {
		d = append(d, "destinationRanges")
	}
	if !slices.Equal(sortedSet(have.GetTargetTags()), sortedSet(want.GetTargetTags())) {
		d = append(d, "targetTags")
	}
	if have.GetPriority() != want.GetPriority() {
		d = append(d, "priority")
	}
	return d
}

// AllowedSet canonicalises allowed[] as "proto:lo-hi" entries, so that
// "80","81" and "80-81" compare equal.
func AllowedSet(as []*computepb.Allowed) []string {
	ranges := map[string][][2]int{}
	var out []string
	for _, a := range as {
		p := strings.ToLower(a.GetIPProtocol())
		if len(a.GetPorts()) == 0 {
			out = append(out, p+":all")
		}
		for _, r := range a.GetPorts() {
			lo, hi, isRange := strings.Cut(r, "-")
			if !isRange {
				hi = lo
			}
			l, err1 := strconv.Atoi(lo)
			h, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil {
				out = append(out, p+":"+r)
				continue
			}
			ranges[p] = append(ranges[p], [2]int{l, h})
		}
	}
	for p, rs := range ranges {
		for _, r := range renderRanges(mergeRanges(rs)) {
			out = append(out, p+":"+r)
		}
	}
	sort.Strings(out)
	return out
}

// prefixSet canonicalises ranges: "1.2.3.4" is "1.2.3.4/32", host bits off.
func prefixSet(rs []string) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if p, err := netip.ParsePrefix(r); err == nil {
			r = p.Masked().String()
		} else if a, err := netip.ParseAddr(r); err == nil {
			r = netip.PrefixFrom(a, a.BitLen()).String()
		}
		out = append(out, r)
	}
	return sortedSet(out)
}

func sortedSet(in []string) []string {
	m := map[string]bool{}
	for _, s := range in {
		m[s] = true
	}
	out := make([]string, 0, len(m))
	for s := range m {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// PinnedTo pins a firewall to the IP learnt at apply time.
func PinnedTo(fw *computepb.Firewall, ip string) *computepb.Firewall {
	out := proto.Clone(fw).(*computepb.Firewall)
	out.DestinationRanges = []string{ip}
	var d ownership.Description
	if json.Unmarshal([]byte(fw.GetDescription()), &d) == nil {
		d.ServiceIP = ip
		out.Description = proto.String(d.String())
	}
	return out
}
