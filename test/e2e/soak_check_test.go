//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// checkEndState compares the whole of GCE with what the cluster asks for
// and returns every difference ("" problems: converged). It reads the
// emulator's state directly, so it costs no API call.

// gceState is the emulator's objects by collection and name.
type gceState struct {
	routes    map[string]*compute.Route
	rules     map[string]*compute.ForwardingRule
	pools     map[string]*compute.TargetPool
	firewalls map[string]*compute.Firewall
	checks    map[string]*compute.HttpHealthCheck
	addresses map[string]*compute.Address
	vms       map[string]*compute.Instance // by zone/name
}

func readGCE(e *env) gceState {
	st := gceState{routes: map[string]*compute.Route{}, rules: map[string]*compute.ForwardingRule{}, pools: map[string]*compute.TargetPool{},
		firewalls: map[string]*compute.Firewall{}, checks: map[string]*compute.HttpHealthCheck{}, addresses: map[string]*compute.Address{},
		vms: map[string]*compute.Instance{}}
	for path, objs := range e.gce.Dump() {
		coll := path[strings.LastIndex(path, "/")+1:]
		for _, raw := range objs {
			switch coll {
			case "routes":
				decodeInto(raw, st.routes, func(o *compute.Route) string { return o.Name })
			case "forwardingRules":
				decodeInto(raw, st.rules, func(o *compute.ForwardingRule) string { return o.Name })
			case "targetPools":
				decodeInto(raw, st.pools, func(o *compute.TargetPool) string { return o.Name })
			case "firewalls":
				decodeInto(raw, st.firewalls, func(o *compute.Firewall) string { return o.Name })
			case "httpHealthChecks":
				decodeInto(raw, st.checks, func(o *compute.HttpHealthCheck) string { return o.Name })
			case "addresses":
				decodeInto(raw, st.addresses, func(o *compute.Address) string { return o.Name })
			case "instances":
				decodeInto(raw, st.vms, func(o *compute.Instance) string { return lastSeg(o.Zone) + "/" + o.Name })
			}
		}
	}
	return st
}

func decodeInto[T any](raw json.RawMessage, into map[string]*T, key func(*T) string) {
	o := new(T)
	if json.Unmarshal(raw, o) == nil {
		into[key(o)] = o
	}
}

// vmKey turns an instance URL (.../zones/Z/instances/N) or a providerID
// (gce://P/Z/N) into Z/N.
func vmKey(s string) string {
	parts := strings.Split(s, "/")
	switch n := len(parts); {
	case strings.HasPrefix(s, "gce://") && n >= 2:
		return parts[n-2] + "/" + parts[n-1]
	case n >= 4 && parts[n-4] == "zones" && parts[n-2] == "instances":
		return parts[n-3] + "/" + parts[n-1]
	}
	return s
}

// ownedBySoak says whether a description names the soak cluster.
func ownedBySoak(desc string) bool {
	var d struct {
		Cluster string `json:"kubernetes.io/cluster-name"`
	}
	return json.Unmarshal([]byte(desc), &d) == nil && d.Cluster == soakCluster
}

func checkEndState(e *env, foreign []foreignObject) []string {
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return []string{err.Error()}
	}
	svcs, err := kube.CoreV1().Services("default").List(ctx, metav1.ListOptions{LabelSelector: "soak=true"})
	if err != nil {
		return []string{err.Error()}
	}
	cm, err := kube.CoreV1().ConfigMaps("kube-system").Get(ctx, "ingress-uid", metav1.GetOptions{})
	if err != nil && !isNotFound(err) {
		return []string{err.Error()}
	}
	st := readGCE(e)
	expected := map[string]bool{} // collection/name of every object the cluster should have

	hosts := map[string]bool{}
	for _, n := range nodes.Items {
		k := vmKey(n.Spec.ProviderID)
		if st.vms[k] == nil {
			bad("node %s: its VM %s is gone but the Node is still there", n.Name, k)
			continue
		}
		hosts[k] = true
		for _, cidr := range n.Spec.PodCIDRs {
			var found []string
			for _, r := range st.routes {
				if r.DestRange == cidr && vmKey(r.NextHopInstance) == k && ownedBySoak(r.Description) && strings.Contains(r.Description, `"`+n.Name+`"`) {
					found = append(found, r.Name)
					expected["routes/"+r.Name] = true
				}
			}
			if len(found) != 1 {
				bad("node %s: %d routes for %s, want 1 %v", n.Name, len(found), cidr, found)
			}
		}
	}

	cid := ""
	if cm != nil {
		if cid = cm.Data["provider-uid"]; cid == "" {
			cid = cm.Data["uid"]
		}
	}
	anyCluster := false
	for i := range svcs.Items {
		s := &svcs.Items[i]
		if s.DeletionTimestamp != nil {
			bad("service %s: still being deleted (finalizers %v)", s.Name, s.Finalizers)
			continue
		}
		local := s.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal
		anyCluster = anyCluster || !local
		checkService(s, st, hosts, cid, expected, bad)
	}
	if anyCluster {
		for _, name := range []string{"httpHealthChecks/k8s-" + cid + "-node", "firewalls/k8s-" + cid + "-node-http-hc"} {
			expected[name] = true
			if !st.has(name) {
				bad("shared %s missing", name)
			}
		}
	}
	for _, o := range st.soakOwned() {
		if !expected[o] {
			bad("leaked: %s", o)
		}
	}
	return append(problems, foreignChanges(foreign, foreignSnapshot(e))...)
}

func (st gceState) has(collName string) bool {
	coll, name, _ := strings.Cut(collName, "/")
	switch coll {
	case "httpHealthChecks":
		return st.checks[name] != nil
	case "firewalls":
		return st.firewalls[name] != nil
	}
	return false
}

// soakOwned lists collection/name of every object whose description names
// the soak cluster.
func (st gceState) soakOwned() []string {
	var out []string
	add := func(coll, name, desc string) {
		if ownedBySoak(desc) {
			out = append(out, coll+"/"+name)
		}
	}
	for n, o := range st.routes {
		add("routes", n, o.Description)
	}
	for n, o := range st.rules {
		add("forwardingRules", n, o.Description)
	}
	for n, o := range st.pools {
		add("targetPools", n, o.Description)
	}
	for n, o := range st.firewalls {
		add("firewalls", n, o.Description)
	}
	for n, o := range st.checks {
		add("httpHealthChecks", n, o.Description)
	}
	for n, o := range st.addresses {
		add("addresses", n, o.Description)
	}
	sort.Strings(out)
	return out
}

// checkService compares one Service's load balancer with its spec.
func checkService(s *v1.Service, st gceState, hosts map[string]bool, cid string, expected map[string]bool, bad func(string, ...any)) {
	lb := lbName(s)
	if len(s.Status.LoadBalancer.Ingress) == 0 || s.Status.LoadBalancer.Ingress[0].IP == "" {
		bad("service %s: no status", s.Name)
		return
	}
	ip := s.Status.LoadBalancer.Ingress[0].IP
	byProto := map[string][]int32{}
	for _, p := range s.Spec.Ports {
		byProto[string(p.Protocol)] = append(byProto[string(p.Protocol)], p.Port)
	}
	tier := "PREMIUM"
	if strings.EqualFold(s.Annotations["cloud.google.com/network-tier"], "Standard") {
		tier = "STANDARD"
	}
	pool := ""
	for proto, ports := range byProto {
		name := lb
		if proto == "UDP" && len(byProto) > 1 {
			name = lb + "-udp"
		}
		expected["forwardingRules/"+name] = true
		r := st.rules[name]
		if r == nil {
			bad("service %s: forwarding rule %s missing", s.Name, name)
			continue
		}
		want := fmt.Sprintf("%d-%d", slices.Min(ports), slices.Max(ports))
		if r.IPAddress != ip || r.IPProtocol != proto || r.PortRange != want || r.NetworkTier != tier {
			bad("service %s: rule %s is %s %s %s %s, want %s %s %s %s", s.Name, name, r.IPAddress, r.IPProtocol, r.PortRange, r.NetworkTier, ip, proto, want, tier)
		}
		if pool != "" && lastSeg(r.Target) != pool {
			bad("service %s: rules target two pools %s and %s", s.Name, pool, lastSeg(r.Target))
		}
		pool = lastSeg(r.Target)
	}
	// A TCP+UDP Service keeps <lb> reserved (two rules share an IP only
	// through a reserved address); any other Service's IP is ephemeral.
	if len(byProto) > 1 {
		expected["addresses/"+lb] = true
		if a := st.addresses[lb]; a == nil || a.Address != ip {
			bad("service %s: TCP+UDP, so address %s must hold %s: %+v", s.Name, lb, ip, a)
		}
	}
	if pool == "" {
		return
	}
	expected["targetPools/"+pool] = true
	p := st.pools[pool]
	if p == nil {
		bad("service %s: target pool %s missing", s.Name, pool)
		return
	}
	var got, want []string
	for _, i := range p.Instances {
		got = append(got, vmKey(i))
	}
	for h := range hosts {
		want = append(want, h)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		bad("service %s: pool %s holds %v, want %v", s.Name, pool, got, want)
	}
	affinity := "NONE"
	if s.Spec.SessionAffinity == v1.ServiceAffinityClientIP {
		affinity = "CLIENT_IP"
	}
	if p.SessionAffinity != affinity {
		bad("service %s: pool affinity %s, want %s", s.Name, p.SessionAffinity, affinity)
	}
	check := "k8s-" + cid + "-node"
	if s.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal {
		check = lb
		expected["httpHealthChecks/"+lb], expected["firewalls/k8s-"+lb+"-http-hc"] = true, true
		if hc := st.checks[lb]; hc == nil || hc.Port != int64(s.Spec.HealthCheckNodePort) {
			bad("service %s: health check %s is %+v, want port %d", s.Name, lb, hc, s.Spec.HealthCheckNodePort)
		}
		if st.firewalls["k8s-"+lb+"-http-hc"] == nil {
			bad("service %s: health-check firewall missing", s.Name)
		}
	}
	if len(p.HealthChecks) != 1 || lastSeg(p.HealthChecks[0]) != check {
		bad("service %s: pool checks %v, want %s", s.Name, p.HealthChecks, check)
	}
	expected["firewalls/k8s-fw-"+lb] = true
	fw := st.firewalls["k8s-fw-"+lb]
	ranges := s.Spec.LoadBalancerSourceRanges
	if len(ranges) == 0 {
		ranges = []string{"0.0.0.0/0"}
	}
	if fw == nil {
		bad("service %s: firewall k8s-fw-%s missing", s.Name, lb)
	} else if got := slices.Sorted(slices.Values(fw.SourceRanges)); !slices.Equal(got, slices.Sorted(slices.Values(ranges))) ||
		!slices.Equal(fw.DestinationRanges, []string{ip}) {
		bad("service %s: firewall source %v destination %v, want %v %v", s.Name, fw.SourceRanges, fw.DestinationRanges, ranges, ip)
	}
}

func joinLines(l []string) string { return "  " + strings.Join(l, "\n  ") }
