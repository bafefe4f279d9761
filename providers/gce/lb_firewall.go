package gce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

// Firewall rules: k8s-fw-<lb> lets the Service's ports in from its source
// ranges to the load balancer's IP only (destinationRanges: without it,
// every k8s-fw rule on the same node tags would open its ports to every
// other load balancer's IP, kubernetes/kubernetes#60879), and each health
// check's rule lets GCE's probes reach the nodes. Rules are patched in
// place, never recreated: traffic must not stop for a change of source
// ranges or ports.

const firewallPriority = 1000

// probeRanges are where GCE's health-check probes come from.
var probeRanges = []string{"35.191.0.0/16", "130.211.0.0/22", "209.85.152.0/22", "209.85.204.0/22"}

// wantFirewall is the Service's traffic rule; ip "" is filled at apply.
func (in planInput) wantFirewall(ip string) *computepb.Firewall {
	fw := in.baseFirewall(in.Names.Firewall, lbDescription{ServiceName: in.Spec.Service, ServiceIP: ip, ClusterName: in.Cluster}.String())
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
func (in planInput) wantCheckFirewall(c checkSpec) *computepb.Firewall {
	fw := in.baseFirewall(c.FirewallName, c.Description)
	fw.Allowed = []*computepb.Allowed{{IPProtocol: proto.String("tcp"), Ports: []string{strconv.FormatInt(c.Port, 10)}}}
	fw.SourceRanges = probeRanges
	return fw
}

func (in planInput) baseFirewall(name, desc string) *computepb.Firewall {
	return &computepb.Firewall{Name: proto.String(name), Description: proto.String(desc), Network: proto.String(in.Network),
		Priority: proto.Int32(firewallPriority), Direction: proto.String("INGRESS"), TargetTags: in.Tags}
}

// planFirewall creates or patches k8s-fw-<lb>. When the IP is not known
// yet, the rule waits for the reservation and takes its IP at apply.
func (p *planner) planFirewall(ip, ipKey string) string {
	if ip != "" {
		ipKey = "" // the IP is known: no need to wait for the reservation
	}
	return p.syncFirewall(p.in.wantFirewall(ip), p.in.Seen.Firewalls[p.in.Names.Firewall], ip == "", true, false, ipKey)
}

// syncFirewall plans the write that makes have into want, if any.
func (p *planner) syncFirewall(want, have *computepb.Firewall, fillIP, withDest, shared bool, after ...string) string {
	a := action{Name: want.GetName(), Firewall: want, FillIP: fillIP, Shared: shared}
	switch {
	case have == nil:
		a.Kind = opCreateFirewall
	case lastSegment(have.GetNetwork()) != lastSegment(want.GetNetwork()) || have.GetDirection() != want.GetDirection():
		// Neither can be patched: the rule is replaced (only after a
		// change of network-name in gce.conf).
		del := p.add(action{Kind: opDeleteFirewall, Name: want.GetName()}, after...)
		a.Kind, after = opCreateFirewall, append(after, del)
	case fillIP || len(firewallDrift(have, want, withDest)) > 0:
		a.Kind = opPatchFirewall
	default:
		return ""
	}
	return p.add(a, after...)
}

// firewallDrift names the fields of have that differ from want.
func firewallDrift(have, want *computepb.Firewall, withDest bool) []string {
	var d []string
	if have.GetDescription() != want.GetDescription() {
		d = append(d, "description")
	}
	if !slices.Equal(allowedSet(have.GetAllowed()), allowedSet(want.GetAllowed())) {
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

// allowedSet canonicalises allowed[] as "proto:lo-hi" entries, so that
// "80","81" and "80-81" compare equal.
func allowedSet(as []*computepb.Allowed) []string {
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

// pinnedTo pins a firewall to the IP learnt at apply time.
func pinnedTo(fw *computepb.Firewall, ip string) *computepb.Firewall {
	out := proto.Clone(fw).(*computepb.Firewall)
	out.DestinationRanges = []string{ip}
	var d lbDescription
	if json.Unmarshal([]byte(fw.GetDescription()), &d) == nil {
		d.ServiceIP = ip
		out.Description = proto.String(d.String())
	}
	return out
}

// createFirewall inserts a rule. A rule that appeared since it was
// observed (a lost answer, or a sibling Service creating the shared one)
// is patched to what we want instead.
func (l *loadBalancers) createFirewall(ctx context.Context, fw *computepb.Firewall) error {
	defer l.firewalls.invalidate(fw.GetName())
	err := l.api().InsertFirewall(ctx, fw)
	if gceapi.IsAlreadyExists(err) {
		return l.patchFirewall(ctx, fw)
	}
	if err != nil {
		return fmt.Errorf("creating firewall %s: %w", fw.GetName(), err)
	}
	return nil
}

// patchFirewall sends only the fields we manage: a user's logging or
// disabled flag stays as it is.
func (l *loadBalancers) patchFirewall(ctx context.Context, fw *computepb.Firewall) error {
	defer l.firewalls.invalidate(fw.GetName())
	p := &computepb.Firewall{Name: fw.Name, Description: fw.Description, Allowed: fw.Allowed, SourceRanges: fw.SourceRanges,
		DestinationRanges: fw.DestinationRanges, TargetTags: fw.TargetTags, Priority: fw.Priority}
	if err := l.api().PatchFirewall(ctx, fw.GetName(), p); err != nil {
		return fmt.Errorf("patching firewall %s: %w", fw.GetName(), err)
	}
	return nil
}

func (l *loadBalancers) deleteFirewall(ctx context.Context, name string) error {
	if name == "" {
		return nil
	}
	defer l.firewalls.invalidate(name)
	if err := l.api().DeleteFirewall(ctx, name); err != nil && !gceapi.IsNotFound(err) {
		return fmt.Errorf("deleting firewall %s: %w", name, err)
	}
	return nil
}

// writeFirewall creates or patches a rule. The shared health-check rule
// is written once for all Services: under a lock, after a fresh read.
func (l *loadBalancers) writeFirewall(ctx context.Context, kind opKind, fw *computepb.Firewall, shared bool) error {
	if shared {
		defer l.sharedCreate.lock(fw.GetName())()
		have, err := l.api().GetFirewall(ctx, fw.GetName())
		switch {
		case err == nil && len(firewallDrift(have, fw, false)) == 0:
			return nil
		case err == nil:
			return l.patchFirewall(ctx, fw)
		case !gceapi.IsNotFound(err):
			return fmt.Errorf("reading firewall %s: %w", fw.GetName(), err)
		}
		return l.createFirewall(ctx, fw)
	}
	if kind == opPatchFirewall {
		return l.patchFirewall(ctx, fw)
	}
	return l.createFirewall(ctx, fw)
}
