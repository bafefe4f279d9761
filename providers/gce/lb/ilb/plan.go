package ilb

import (
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// Kind is what an action does.
type Kind string

const (
	CreateGroup    Kind = "create-group"
	AddMembers     Kind = "add-members"
	RemoveMembers  Kind = "remove-members"
	DeleteGroup    Kind = "delete-group" // shared: skipped while a backend service uses it
	CreateCheck    Kind = "create-check"
	UpdateCheck    Kind = "update-check"
	DeleteCheck    Kind = "delete-check" // shared: skipped while a backend service uses it
	CreateFirewall Kind = "create-firewall"
	PatchFirewall  Kind = "patch-firewall"
	DeleteFirewall Kind = "delete-firewall"
	CreateBackend  Kind = "create-backend"
	PatchBackend   Kind = "patch-backend"
	DeleteBackend  Kind = "delete-backend"
	ReserveAddress Kind = "reserve-address"
	ReleaseAddress Kind = "release-address"
	CreateRule     Kind = "create-rule"
	PatchRule      Kind = "patch-rule" // allowGlobalAccess only: the one field GCE patches in place
	DeleteRule     Kind = "delete-rule"
)

// Action is one GCE write. The plan's order is the order of the writes.
type Action struct {
	Kind      Kind
	Name      string
	Zone      string // groups
	Instances []string
	Group     *computepb.InstanceGroup
	Check     *computepb.HealthCheck
	Firewall  *computepb.Firewall
	Backend   *computepb.BackendService
	Address   *computepb.Address
	Rule      *computepb.ForwardingRule
	// FillIP: the firewall's destination is the load balancer's IP, known
	// once the rules exist.
	FillIP bool
	// Shared objects are deleted only if no other backend service uses
	// them: GCE's resourceInUseByAnotherResource then keeps them.
	Shared bool
	// Differs names the fields (GCE's names) of the existing object that
	// differ from the plan's: what a patch or update changes, or why a
	// rule or backend service is made again. A periodic pass reports it.
	Differs []string
}

func (a Action) String() string {
	s := string(a.Kind) + " " + a.Name
	if a.Zone != "" {
		s += " in " + a.Zone
	}
	if len(a.Instances) > 0 {
		s += fmt.Sprintf(" (%d: %s)", len(a.Instances), strings.Join(shortNames(a.Instances), ","))
	}
	return s
}

func shortNames(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = gceref.Name(u)
	}
	return out
}

// Plan is what Ensure does, and the warnings the Service gets.
type Plan struct {
	Actions  []Action
	Warnings []string
}

// Build plans the internal load balancer, or refuses before any write.
// Order: groups and check (what backend services need), backend
// services, the address, the rules, then the firewalls (which name the
// rules' IP), and last what the new state no longer uses.
func Build(in Input) (Plan, error) {
	if err := claim(in); err != nil {
		return Plan{}, err
	}
	p := &planner{in: in, ruleGone: map[string]bool{}}
	zones := p.planGroups()
	check := p.planCheck()
	wanted := p.planBackends(zones, check)
	p.planAddress()
	p.planRules(wanted)
	p.planFirewalls(check)
	p.planCleanup(wanted, check, zones)
	return Plan{Actions: p.actions, Warnings: p.warnings}, nil
}

type planner struct {
	in       Input
	actions  []Action
	warnings []string
	ruleGone map[string]bool // rules the plan deletes before it creates them again
}

func (p *planner) add(a Action) { p.actions = append(p.actions, a) }

// planGroups keeps one group per zone with eligible nodes and its members
// equal to them, in batches GCE accepts. A zone past the group size limit
// gets the first nodes by name and a warning naming the limit.
func (p *planner) planGroups() []string {
	in := p.in
	var zones []string
	for zone := range in.Hosts {
		if len(in.Hosts[zone]) > 0 {
			zones = append(zones, zone)
		}
	}
	slices.Sort(zones)
	for _, zone := range zones {
		hosts := in.Hosts[zone]
		if len(hosts) > MaxGroupSize {
			p.warnings = append(p.warnings, fmt.Sprintf("zone %s has %d eligible nodes; an instance group used for load balancing holds at most %d, so %d nodes of that zone are not backends",
				zone, len(hosts), MaxGroupSize, len(hosts)-MaxGroupSize))
			hosts = hosts[:MaxGroupSize]
		}
		g := in.Seen.Groups[zone]
		var have []string
		if g == nil {
			p.add(Action{Kind: CreateGroup, Name: in.Names.Group, Zone: zone, Group: &computepb.InstanceGroup{
				Name: &in.Names.Group, Network: &in.Network, Description: ptr(sharedDescription(in))}})
		} else {
			have = g.Members
		}
		add, remove := plan.DiffMembers(have, hosts)
		for _, b := range batches(remove) {
			p.add(Action{Kind: RemoveMembers, Name: in.Names.Group, Zone: zone, Instances: b})
		}
		for _, b := range batches(add) {
			p.add(Action{Kind: AddMembers, Name: in.Names.Group, Zone: zone, Instances: b})
		}
	}
	// A zone without eligible nodes: its group empties now, and goes
	// once no backend service uses it (planCleanup).
	for _, zone := range p.emptiedZones(zones) {
		for _, b := range batches(in.Seen.Groups[zone].Members) {
			p.add(Action{Kind: RemoveMembers, Name: in.Names.Group, Zone: zone, Instances: b})
		}
	}
	return zones
}

// emptiedZones are the zones with a group but no eligible node, sorted.
func (p *planner) emptiedZones(zones []string) []string {
	var out []string
	for zone := range p.in.Seen.Groups {
		if !slices.Contains(zones, zone) {
			out = append(out, zone)
		}
	}
	slices.Sort(out)
	return out
}

// MaxGroupSize is how many VMs an instance group a backend service uses
// may hold (Cloud Load Balancing's VMs-per-instance-group limit).
const MaxGroupSize = 1000

// maxBatch is how many VMs one addInstances/removeInstances call names.
const maxBatch = 1000

func batches(urls []string) [][]string {
	var out [][]string
	for len(urls) > maxBatch {
		out = append(out, urls[:maxBatch])
		urls = urls[maxBatch:]
	}
	if len(urls) > 0 {
		out = append(out, urls)
	}
	return out
}

// checkSpec is the health check the Service uses.
type checkSpec struct {
	name, firewall string
	port           int64
	shared         bool
}

func (p *planner) checkFor() checkSpec {
	n := p.in.Names
	if p.in.Spec.Local {
		return checkSpec{name: n.LocalCheck, firewall: n.LocalCheckFirewall, port: p.in.Spec.CheckPort}
	}
	return checkSpec{name: n.SharedCheck, firewall: n.SharedCheckFirewall, port: KubeProxyHealthPort, shared: true}
}

// planCheck makes the check exist as wanted: upstream's HTTP /healthz
// check, every 8 s with a 1 s timeout, healthy after 1 success and
// unhealthy after 3 failures.
func (p *planner) planCheck() checkSpec {
	c := p.checkFor()
	desc := serviceDescription(p.in)
	if c.shared {
		desc = sharedDescription(p.in)
	}
	want := &computepb.HealthCheck{Name: ptr(c.name), Description: &desc, Type: ptr("HTTP"),
		HttpHealthCheck:  &computepb.HTTPHealthCheck{Port: ptr(int32(c.port)), RequestPath: ptr("/healthz")},
		CheckIntervalSec: ptr(int32(8)), TimeoutSec: ptr(int32(1)), HealthyThreshold: ptr(int32(1)), UnhealthyThreshold: ptr(int32(3))}
	switch have := p.in.Seen.Checks[c.name]; {
	case have == nil:
		p.add(Action{Kind: CreateCheck, Name: c.name, Check: want, Shared: c.shared})
	case len(checkDrift(have, want)) > 0:
		p.add(Action{Kind: UpdateCheck, Name: c.name, Check: want, Shared: c.shared, Differs: checkDrift(have, want)})
	}
	return c
}

// checkDrift names the fields of a check that differ from the plan's: the
// ones the load balancer depends on (GCE fills in the rest).
func checkDrift(have, want *computepb.HealthCheck) []string {
	var d []string
	if have.GetType() != want.GetType() {
		d = append(d, "type")
	}
	if have.GetHttpHealthCheck().GetPort() != want.GetHttpHealthCheck().GetPort() {
		d = append(d, "httpHealthCheck.port")
	}
	if have.GetHttpHealthCheck().GetRequestPath() != want.GetHttpHealthCheck().GetRequestPath() {
		d = append(d, "httpHealthCheck.requestPath")
	}
	return d
}

// planBackends makes one backend service per protocol over the groups
// with the check. A protocol change needs a new service (the rules sending
// to it are recreated with it); backends, check and affinity are patched.
func (p *planner) planBackends(zones []string, c checkSpec) map[string]plan.ProtocolPorts {
	in := p.in
	wanted := map[string]plan.ProtocolPorts{}
	for i, ps := range in.Spec.Protocols {
		name := in.Names.Backend(ps.Protocol, i == 0)
		wanted[name] = ps
		want := &computepb.BackendService{Name: ptr(name), Description: ptr(serviceDescription(in)),
			LoadBalancingScheme: ptr("INTERNAL"), Protocol: ptr(ps.Protocol), SessionAffinity: ptr(in.Spec.Affinity),
			HealthChecks: []string{in.checkURL(c.name)}, ConnectionDraining: &computepb.ConnectionDraining{DrainingTimeoutSec: ptr(int32(0))}}
		for _, z := range zones {
			want.Backends = append(want.Backends, &computepb.Backend{Group: ptr(in.groupURL(z)), BalancingMode: ptr("CONNECTION")})
		}
		have := in.Seen.Backends[name]
		switch {
		case have == nil:
			p.add(Action{Kind: CreateBackend, Name: name, Backend: want})
		case have.GetProtocol() != ps.Protocol:
			if in.Seen.Rules[name] != nil {
				p.add(Action{Kind: DeleteRule, Name: name})
				p.ruleGone[name] = true
			}
			p.add(Action{Kind: DeleteBackend, Name: name})
			p.add(Action{Kind: CreateBackend, Name: name, Backend: want, Differs: []string{"protocol"}})
		case len(backendDrift(have, want, in.defaults())) > 0:
			patch := &computepb.BackendService{Name: ptr(name), Fingerprint: ptr(have.GetFingerprint()),
				SessionAffinity: want.SessionAffinity, HealthChecks: want.HealthChecks, Backends: want.Backends}
			p.add(Action{Kind: PatchBackend, Name: name, Backend: patch, Differs: backendDrift(have, want, in.defaults())})
		}
	}
	return wanted
}

// backendDrift names the patchable fields of a backend service that
// differ from the plan's; groups and checks compare by identity (d
// resolves partial references), in any order.
func backendDrift(have, want *computepb.BackendService, d gceref.Defaults) []string {
	var differs []string
	if !gceref.SameSet(groupsOf(have), groupsOf(want), "instanceGroups", d) {
		differs = append(differs, "backends")
	}
	if have.GetSessionAffinity() != want.GetSessionAffinity() {
		differs = append(differs, "sessionAffinity")
	}
	if !gceref.SameSet(have.GetHealthChecks(), want.GetHealthChecks(), "healthChecks", d) {
		differs = append(differs, "healthChecks")
	}
	return differs
}

func groupsOf(b *computepb.BackendService) []string {
	var out []string
	for _, x := range b.GetBackends() {
		out = append(out, x.GetGroup())
	}
	return out
}

// theIP is the load balancer's IP as far as the plan knows it: the
// requested one, else the current rules', else the one <lb> holds.
func (p *planner) theIP() string {
	in := p.in
	if in.Spec.RequestedIP != "" {
		return in.Spec.RequestedIP
	}
	for _, n := range in.Names.All() {
		if r := in.Seen.Rules[n]; r != nil && r.GetLoadBalancingScheme() == "INTERNAL" {
			return r.GetIPAddress()
		}
	}
	if a := in.Seen.Address; a != nil {
		return a.GetAddress()
	}
	return ""
}

// sharedVIP: TCP and UDP share one IP only through an address of purpose
// SHARED_LOADBALANCER_VIP, which the load balancer reserves as <lb>
// unless the user reserved the IP.
func (p *planner) sharedVIP() bool {
	return len(p.in.Spec.Protocols) > 1 && p.in.Seen.UserAddress == nil
}

func (p *planner) planAddress() {
	in := p.in
	if !p.sharedVIP() {
		return
	}
	a := in.Seen.Address
	if a != nil && a.GetPurpose() == "SHARED_LOADBALANCER_VIP" && (in.Spec.RequestedIP == "" || a.GetAddress() == in.Spec.RequestedIP) {
		return
	}
	if a != nil {
		p.add(Action{Kind: ReleaseAddress, Name: in.Names.LB})
	}
	want := &computepb.Address{Name: ptr(in.Names.LB), Description: ptr(serviceDescription(in)), AddressType: ptr("INTERNAL"),
		Purpose: ptr("SHARED_LOADBALANCER_VIP"), Subnetwork: ptr(in.Subnet)}
	if ip := p.theIP(); ip != "" {
		want.Address = ptr(ip)
	}
	p.add(Action{Kind: ReserveAddress, Name: in.Names.LB, Address: want})
}

// planRules makes one INTERNAL rule per protocol. Ports, protocol,
// subnetwork and IP are fixed at creation: a change recreates the rule on
// the same IP. Global access is patched in place.
func (p *planner) planRules(wanted map[string]plan.ProtocolPorts) {
	in := p.in
	ip := p.theIP()
	ipRef := ip
	switch {
	case in.Seen.UserAddress != nil:
		ipRef = in.Seen.UserAddress.GetSelfLink()
	case p.sharedVIP():
		ipRef = in.regionalURL("addresses", in.Names.LB)
	}
	for i, ps := range in.Spec.Protocols {
		name := in.Names.Backend(ps.Protocol, i == 0)
		want := &computepb.ForwardingRule{Name: ptr(name), Description: ptr(serviceDescription(in)), LoadBalancingScheme: ptr("INTERNAL"),
			IPProtocol: ptr(ps.Protocol), BackendService: ptr(in.backendURL(name)), Subnetwork: ptr(in.Subnet), Network: ptr(in.Network),
			AllowGlobalAccess: ptr(in.Spec.GlobalAccess)}
		if want.Ports = rulePorts(ps); want.Ports == nil {
			want.AllPorts = ptr(true)
		}
		if ipRef != "" {
			want.IPAddress = ptr(ipRef)
		}
		have := in.Seen.Rules[name]
		if p.ruleGone[name] {
			p.add(Action{Kind: CreateRule, Name: name, Rule: want})
			continue
		}
		if have != nil && len(ruleDrift(have, want, ip, in.defaults())) == 0 {
			if have.GetAllowGlobalAccess() != in.Spec.GlobalAccess {
				// In place: the rule, its id and its IP stay, and
				// traffic from the rule's region never stops.
				p.add(Action{Kind: PatchRule, Name: name, Rule: &computepb.ForwardingRule{Name: ptr(name),
					AllowGlobalAccess: ptr(in.Spec.GlobalAccess), Fingerprint: ptr(have.GetFingerprint())}, Differs: []string{"allowGlobalAccess"}})
			}
			continue
		}
		var differs []string
		if have != nil {
			p.add(Action{Kind: DeleteRule, Name: name})
			differs = ruleDrift(have, want, ip, in.defaults())
		}
		p.add(Action{Kind: CreateRule, Name: name, Rule: want, Differs: differs})
	}
}

// ruleDrift names the fields of a rule that differ from the plan's (none
// of them can be patched: the rule is made again); ip "" is any IP. The
// backend service and subnetwork compare by identity (d resolves partial
// references).
func ruleDrift(have, want *computepb.ForwardingRule, ip string, d gceref.Defaults) []string {
	var differs []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"loadBalancingScheme", have.GetLoadBalancingScheme() == "INTERNAL"},
		{"IPProtocol", have.GetIPProtocol() == want.GetIPProtocol()},
		{"ports", slices.Equal(have.GetPorts(), want.GetPorts()) && have.GetAllPorts() == want.GetAllPorts()},
		{"backendService", gceref.Same(have.GetBackendService(), want.GetBackendService(), "backendServices", d)},
		{"subnetwork", gceref.Same(have.GetSubnetwork(), want.GetSubnetwork(), "subnetworks", d)},
		{"IPAddress", ip == "" || have.GetIPAddress() == ip},
	} {
		if !f.same {
			differs = append(differs, f.name)
		}
	}
	return differs
}

// planFirewalls: the traffic to the IP on the Service's ports, and GCE's
// probes to the check's port, both to the nodes' tags.
func (p *planner) planFirewalls(c checkSpec) {
	in := p.in
	traffic := &computepb.Firewall{Name: ptr(in.Names.Firewall), Description: ptr(serviceDescription(in)), Network: ptr(in.Network),
		Priority: ptr(int32(firewallPriority)), SourceRanges: in.Spec.SourceRanges, TargetTags: in.Tags}
	for _, ps := range in.Spec.Protocols {
		traffic.Allowed = append(traffic.Allowed, &computepb.Allowed{IPProtocol: ptr(strings.ToLower(ps.Protocol)), Ports: ps.Ranges})
	}
	p.planFirewall(traffic, true, false)
	desc := serviceDescription(in)
	if c.shared {
		desc = sharedDescription(in)
	}
	probes := &computepb.Firewall{Name: ptr(c.firewall), Description: &desc, Network: ptr(in.Network), Priority: ptr(int32(firewallPriority)), SourceRanges: HealthCheckRanges,
		TargetTags: in.Tags, Allowed: []*computepb.Allowed{{IPProtocol: ptr("tcp"), Ports: []string{fmt.Sprint(c.port)}}}}
	p.planFirewall(probes, false, c.shared)
}

// HealthCheckRanges are where GCE's probes of backend-service health
// checks come from.
var HealthCheckRanges = []string{"130.211.0.0/22", "35.191.0.0/16"}

// firewallPriority is GCE's default, which the rules are made with.
const firewallPriority = 1000

func (p *planner) planFirewall(want *computepb.Firewall, fillIP, shared bool) {
	have := p.in.Seen.Firewalls[want.GetName()]
	ipKnown := p.theIP()
	if fillIP && ipKnown != "" {
		want.DestinationRanges = []string{ipKnown + "/32"}
		fillIP = false
	}
	switch {
	case have == nil:
		p.add(Action{Kind: CreateFirewall, Name: want.GetName(), Firewall: want, FillIP: fillIP, Shared: shared})
	case fillIP || len(plan.FirewallDrift(have, want, true)) > 0:
		differs := plan.FirewallDrift(have, want, !fillIP)
		if fillIP {
			differs = append(differs, "destinationRanges")
		}
		p.add(Action{Kind: PatchFirewall, Name: want.GetName(), Firewall: want, FillIP: fillIP, Shared: shared, Differs: differs})
	}
}

// planCleanup removes what the new state no longer uses: the groups of
// zones without nodes that no other backend service uses, rules and
// backend services of a protocol gone, the check (and its firewall) of the
// other traffic policy, and <lb> once no rule needs it.
func (p *planner) planCleanup(wanted map[string]plan.ProtocolPorts, c checkSpec, zones []string) {
	in := p.in
	for _, zone := range p.emptiedZones(zones) {
		if len(in.Seen.GroupUsers[in.groupKey(zone)]) == 0 {
			p.add(Action{Kind: DeleteGroup, Name: in.Names.Group, Zone: zone, Shared: true})
		}
	}
	for _, name := range in.Names.All() {
		if _, ok := wanted[name]; ok {
			continue
		}
		if r := in.Seen.Rules[name]; r != nil && r.GetLoadBalancingScheme() == "INTERNAL" {
			p.add(Action{Kind: DeleteRule, Name: name})
		}
		if in.Seen.Backends[name] != nil {
			p.add(Action{Kind: DeleteBackend, Name: name})
		}
	}
	other := checkSpec{name: in.Names.LocalCheck, firewall: in.Names.LocalCheckFirewall}
	if !c.shared {
		other = checkSpec{name: in.Names.SharedCheck, firewall: in.Names.SharedCheckFirewall, shared: true}
	}
	p.planCheckDelete(other)
	if a := in.Seen.Address; a != nil && !p.sharedVIP() && owned(in, a.GetDescription()) {
		p.add(Action{Kind: ReleaseAddress, Name: in.Names.LB})
	}
}

// planCheckDelete deletes a check this load balancer no longer uses and
// its firewall; a shared one stays while another backend service uses it.
func (p *planner) planCheckDelete(c checkSpec) {
	in := p.in
	if c.shared && len(in.Seen.CheckUsers[in.checkKey(c.name)]) > 0 {
		return
	}
	if in.Seen.Checks[c.name] != nil {
		p.add(Action{Kind: DeleteCheck, Name: c.name, Shared: c.shared})
	}
	if in.Seen.Firewalls[c.firewall] != nil {
		p.add(Action{Kind: DeleteFirewall, Name: c.firewall, Shared: c.shared})
	}
}

func ptr[T any](v T) *T { return &v }
