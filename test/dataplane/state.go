package dataplane

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// State is the part of the emulator's world that carries packets, read from
// its dump (fakecompute.Server.Dump or GET /_internal/state) and reduced to
// one VPC network. Links are kept as resource paths ("projects/p/zones/z/
// instances/n") so references compare whatever host a client wrote.
type State struct {
	VMs             []VM
	Routes          []Route
	Firewalls       []Firewall
	ForwardingRules []ForwardingRule
	Pools           map[string]TargetPool  // by path
	Checks          map[string]HealthCheck // by path
}

// VM is one instance's first network interface in the followed network.
type VM struct {
	Path         string // projects/p/zones/z/instances/name
	Name, Zone   string
	IP           netip.Addr
	Gateway      netip.Addr
	Subnet       netip.Prefix
	CanIPForward bool
	Running      bool
	Tags         []string
	Accounts     []string       // service account emails, for firewall rules that target them
	Aliases      []netip.Prefix // alias IP ranges: GCE delivers them to the VM as its own
}

// Route is a route of the network as GCE lists it: static routes and the
// system routes GCE makes (the internet route, a local route per subnet
// range). A subnet no local route names is implied by its VMs.
type Route struct {
	Name     string
	Dest     netip.Prefix
	Priority int64
	Instance string     // path of nextHopInstance
	IP       netip.Addr // nextHopIp
	Internet bool       // nextHopGateway default-internet-gateway
	Local    bool       // nextHopNetwork: a subnet range's local route
	Tags     []string
	Other    string // a next hop kind the fabric does not model (nextHopIlb, nextHopVpnTunnel)
	network  string
}

// Firewall is one VPC firewall rule.
type Firewall struct {
	Name              string
	Ingress           bool
	Priority          int64
	Disabled          bool
	SourceRanges      []netip.Prefix
	DestinationRanges []netip.Prefix
	SourceTags        []string
	TargetTags        []string
	SourceAccounts    []string
	TargetAccounts    []string
	Allowed, Denied   []PortRule
	network           string
}

// PortRule is one allowed/denied entry: a protocol and its port ranges (none: all ports).
type PortRule struct {
	Protocol string // tcp, udp, icmp, all, or a number
	Ports    []PortRange
}

// PortRange is an inclusive range of ports.
type PortRange struct{ From, To uint16 }

// ForwardingRule is an EXTERNAL forwarding rule that points at a target pool.
type ForwardingRule struct {
	Name     string
	Path     string
	IP       netip.Addr
	Protocol string // TCP or UDP
	Ports    []PortRange
	Pool     string // path of the target pool
}

// TargetPool is a legacy network load balancer's pool.
type TargetPool struct {
	Path            string
	Name            string
	Instances       []string // paths
	Checks          []string // paths of httpHealthChecks
	SessionAffinity string   // NONE, CLIENT_IP, CLIENT_IP_PROTO
	Backup          string   // path of the backup pool
	FailoverRatio   float64
}

// HealthCheck is a legacy HTTP health check.
type HealthCheck struct {
	Path                           string
	Name                           string
	Host, RequestPath              string
	Port                           int64
	IntervalSec, TimeoutSec        int64
	HealthyThreshold, UnhealthyThr int64
}

// linkPath turns any Compute URL or partial path into "projects/...".
func linkPath(link string) string {
	if i := strings.Index(link, "projects/"); i >= 0 {
		return link[i:]
	}
	return link
}

func lastSeg(link string) string { return link[strings.LastIndex(link, "/")+1:] }

// ParseState reads a dump (collection path -> objects) and keeps what
// belongs to network in project. A malformed object is an error naming it:
// the dataplane must not silently carry a different network than the API shows.
func ParseState(dump map[string][]json.RawMessage, project, network string) (State, error) {
	st := State{Pools: map[string]TargetPool{}, Checks: map[string]HealthCheck{}}
	subnets := map[string]*compute.Subnetwork{}
	var instances []*compute.Instance
	for coll, objs := range dump {
		parts := strings.Split(coll, "/")
		if len(parts) < 3 || parts[1] != project {
			continue
		}
		kind := parts[len(parts)-1]
		for _, raw := range objs {
			if err := st.add(kind, raw, subnets, &instances); err != nil {
				return State{}, fmt.Errorf("%s: %w", coll, err)
			}
		}
	}
	netPath := "projects/" + project + "/global/networks/" + network
	for _, inst := range instances {
		if vm, ok := vmOf(inst, netPath, subnets); ok {
			st.VMs = append(st.VMs, vm)
		}
	}
	st.Routes = slices.DeleteFunc(st.Routes, func(r Route) bool { return r.network != netPath })
	st.Firewalls = slices.DeleteFunc(st.Firewalls, func(f Firewall) bool { return f.network != netPath })
	sort.Slice(st.VMs, func(i, j int) bool { return st.VMs[i].Path < st.VMs[j].Path })
	sort.Slice(st.Routes, func(i, j int) bool { return st.Routes[i].Name < st.Routes[j].Name })
	sort.Slice(st.Firewalls, func(i, j int) bool { return st.Firewalls[i].Name < st.Firewalls[j].Name })
	sort.Slice(st.ForwardingRules, func(i, j int) bool { return st.ForwardingRules[i].Path < st.ForwardingRules[j].Path })
	return st, nil
}

func (st *State) add(kind string, raw json.RawMessage, subnets map[string]*compute.Subnetwork, instances *[]*compute.Instance) error {
	switch kind {
	case "instances":
		var o compute.Instance
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		*instances = append(*instances, &o)
	case "subnetworks":
		var o compute.Subnetwork
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		subnets[linkPath(o.SelfLink)] = &o
	case "routes":
		var o compute.Route
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		r, err := routeOf(&o)
		if err != nil {
			return err
		}
		st.Routes = append(st.Routes, r)
	case "firewalls":
		var o compute.Firewall
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		f, err := firewallOf(&o)
		if err != nil {
			return err
		}
		st.Firewalls = append(st.Firewalls, f)
	case "forwardingRules":
		var o compute.ForwardingRule
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		if fr, ok, err := forwardingRuleOf(&o); err != nil {
			return err
		} else if ok {
			st.ForwardingRules = append(st.ForwardingRules, fr)
		}
	case "targetPools":
		var o compute.TargetPool
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		p := TargetPool{Path: linkPath(o.SelfLink), Name: o.Name, SessionAffinity: o.SessionAffinity,
			Backup: linkPath(o.BackupPool), FailoverRatio: o.FailoverRatio}
		for _, i := range o.Instances {
			p.Instances = append(p.Instances, linkPath(i))
		}
		for _, c := range o.HealthChecks {
			p.Checks = append(p.Checks, linkPath(c))
		}
		st.Pools[p.Path] = p
	case "httpHealthChecks":
		var o compute.HttpHealthCheck
		if err := json.Unmarshal(raw, &o); err != nil {
			return err
		}
		st.Checks[linkPath(o.SelfLink)] = checkOf(&o)
	}
	return nil
}

// vmOf reads the instance's interface on the followed network.
func vmOf(inst *compute.Instance, netPath string, subnets map[string]*compute.Subnetwork) (VM, bool) {
	for _, ni := range inst.NetworkInterfaces {
		if linkPath(ni.Network) != netPath {
			continue
		}
		ip, err := netip.ParseAddr(ni.NetworkIP)
		if err != nil {
			return VM{}, false
		}
		vm := VM{Path: linkPath(inst.SelfLink), Name: inst.Name, Zone: lastSeg(inst.Zone), IP: ip,
			CanIPForward: inst.CanIpForward, Running: inst.Status == "RUNNING"}
		if sn := subnets[linkPath(ni.Subnetwork)]; sn != nil {
			vm.Gateway, _ = netip.ParseAddr(sn.GatewayAddress)
			vm.Subnet, _ = netip.ParsePrefix(sn.IpCidrRange)
		}
		if inst.Tags != nil {
			vm.Tags = inst.Tags.Items
		}
		for _, sa := range inst.ServiceAccounts {
			vm.Accounts = append(vm.Accounts, sa.Email)
		}
		for _, a := range ni.AliasIpRanges {
			if p, err := netip.ParsePrefix(a.IpCidrRange); err == nil {
				vm.Aliases = append(vm.Aliases, p.Masked())
			}
		}
		return vm, vm.Gateway.IsValid()
	}
	return VM{}, false
}

func routeOf(o *compute.Route) (Route, error) {
	dest, err := netip.ParsePrefix(o.DestRange)
	if err != nil {
		return Route{}, fmt.Errorf("route %s: destRange: %w", o.Name, err)
	}
	r := Route{Name: o.Name, Dest: dest.Masked(), Priority: o.Priority, Tags: o.Tags,
		Instance: linkPath(o.NextHopInstance), network: linkPath(o.Network)}
	switch {
	case o.NextHopInstance != "":
	case o.NextHopIp != "":
		r.IP, _ = netip.ParseAddr(o.NextHopIp)
	case lastSeg(o.NextHopGateway) == "default-internet-gateway":
		r.Internet = true
	case o.NextHopNetwork != "":
		r.Local = true
	case o.NextHopIlb != "":
		r.Other = "nextHopIlb"
	case o.NextHopVpnTunnel != "":
		r.Other = "nextHopVpnTunnel"
	default:
		r.Other = "no next hop"
	}
	return r, nil
}

func firewallOf(o *compute.Firewall) (Firewall, error) {
	f := Firewall{Name: o.Name, Ingress: o.Direction != "EGRESS", Priority: o.Priority, Disabled: o.Disabled,
		SourceTags: o.SourceTags, TargetTags: o.TargetTags, SourceAccounts: o.SourceServiceAccounts, TargetAccounts: o.TargetServiceAccounts,
		network: linkPath(o.Network)}
	var err error
	if f.SourceRanges, err = prefixes(o.SourceRanges); err != nil {
		return Firewall{}, fmt.Errorf("firewall %s: sourceRanges: %w", o.Name, err)
	}
	if f.DestinationRanges, err = prefixes(o.DestinationRanges); err != nil {
		return Firewall{}, fmt.Errorf("firewall %s: destinationRanges: %w", o.Name, err)
	}
	for _, a := range o.Allowed {
		pr, err := portRule(a.IPProtocol, a.Ports)
		if err != nil {
			return Firewall{}, fmt.Errorf("firewall %s: allowed: %w", o.Name, err)
		}
		f.Allowed = append(f.Allowed, pr)
	}
	for _, d := range o.Denied {
		pr, err := portRule(d.IPProtocol, d.Ports)
		if err != nil {
			return Firewall{}, fmt.Errorf("firewall %s: denied: %w", o.Name, err)
		}
		f.Denied = append(f.Denied, pr)
	}
	return f, nil
}

func forwardingRuleOf(o *compute.ForwardingRule) (ForwardingRule, bool, error) {
	// Only target-pool (legacy network LB) rules carry traffic here.
	if !strings.Contains(o.Target, "/targetPools/") {
		return ForwardingRule{}, false, nil
	}
	ip, err := netip.ParseAddr(o.IPAddress)
	if err != nil {
		return ForwardingRule{}, false, fmt.Errorf("forwarding rule %s: IPAddress: %w", o.Name, err)
	}
	proto := o.IPProtocol
	if proto == "" {
		proto = "TCP"
	}
	fr := ForwardingRule{Name: o.Name, Path: linkPath(o.SelfLink), IP: ip, Protocol: proto, Pool: linkPath(o.Target)}
	ports := o.Ports
	if o.PortRange != "" {
		ports = append(ports, o.PortRange)
	}
	for _, p := range ports {
		r, err := parsePortRange(p)
		if err != nil {
			return ForwardingRule{}, false, fmt.Errorf("forwarding rule %s: ports: %w", o.Name, err)
		}
		fr.Ports = append(fr.Ports, r)
	}
	return fr, true, nil
}

func checkOf(o *compute.HttpHealthCheck) HealthCheck {
	// GCE's defaults for a legacy HTTP check (gcloud documents the same).
	hc := HealthCheck{Path: linkPath(o.SelfLink), Name: o.Name, Host: o.Host, RequestPath: o.RequestPath, Port: o.Port,
		IntervalSec: o.CheckIntervalSec, TimeoutSec: o.TimeoutSec, HealthyThreshold: o.HealthyThreshold, UnhealthyThr: o.UnhealthyThreshold}
	if hc.Port == 0 {
		hc.Port = 80
	}
	if hc.RequestPath == "" {
		hc.RequestPath = "/"
	}
	if hc.IntervalSec == 0 {
		hc.IntervalSec = 5
	}
	if hc.TimeoutSec == 0 {
		hc.TimeoutSec = 5
	}
	if hc.HealthyThreshold == 0 {
		hc.HealthyThreshold = 2
	}
	if hc.UnhealthyThr == 0 {
		hc.UnhealthyThr = 2
	}
	return hc
}

func prefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		if !strings.Contains(s, "/") {
			s += "/32"
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		if p.Addr().Is4() {
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

func portRule(proto string, ports []string) (PortRule, error) {
	pr := PortRule{Protocol: strings.ToLower(proto)}
	for _, p := range ports {
		r, err := parsePortRange(p)
		if err != nil {
			return PortRule{}, err
		}
		pr.Ports = append(pr.Ports, r)
	}
	return pr, nil
}

func parsePortRange(s string) (PortRange, error) {
	from, to, found := strings.Cut(s, "-")
	a, err := strconv.ParseUint(from, 10, 16)
	if err != nil {
		return PortRange{}, fmt.Errorf("port %q: %w", s, err)
	}
	b := a
	if found {
		if b, err = strconv.ParseUint(to, 10, 16); err != nil {
			return PortRange{}, fmt.Errorf("port %q: %w", s, err)
		}
	}
	if b < a {
		return PortRange{}, fmt.Errorf("port range %q is reversed", s)
	}
	return PortRange{From: uint16(a), To: uint16(b)}, nil
}
