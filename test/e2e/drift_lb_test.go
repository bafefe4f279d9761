//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestLoadBalancerDriftIsRepaired: two converged load balancers (one with
// externalTrafficPolicy Local), then each kind of drift made through the
// emulator's API as an operator with gcloud would, each repaired within the
// period by load-balancer-resync while no Service or Node changes; objects
// that only look like ours stay as they were.
func TestLoadBalancerDriftIsRepaired(t *testing.T) {
	e := newEnv(t, 5*time.Minute)
	e.startCCM("ccm", false, fmt.Sprintf("--gce-resync-period=%v", driftPeriod))
	for i := 0; i < 3; i++ {
		e.addNode(fmt.Sprintf("node-%d", i), zones[0], true, podCIDR(i))
	}
	gcs := e.computeService()
	web := lbName(e.createService("web", nil))
	local := lbName(e.createService("local", func(s *v1.Service) { s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal }))
	e.seedLBLookAlikes(gcs)
	var converged string
	e.eventually("both load balancers converged", 90*time.Second, func() (bool, string) {
		st := e.lbState()
		if e.serviceIP("web") == "" || e.serviceIP("local") == "" || st.rules[web] == nil || st.rules[local] == nil || len(st.addresses) != 0 {
			return false, fmt.Sprintf("rules %v addresses %v", names(st.rules), names(st.addresses))
		}
		converged = lbShape(st)
		return true, ""
	})
	t.Logf("converged:\n%s", converged)
	region := zones[0][:strings.LastIndex(zones[0], "-")]
	vm := func(n string) string {
		return fmt.Sprintf("https://www.googleapis.com/compute/v1/projects/%s/zones/%s/instances/%s", project, zones[0], n)
	}
	for _, d := range []struct {
		name, service, event string
		drift                func() (*compute.Operation, error)
	}{
		{"a node removed from the pool", "web", "target pool " + web + " lacked 1 node(s)", func() (*compute.Operation, error) {
			return gcs.TargetPools.RemoveInstance(project, region, web,
				&compute.TargetPoolsRemoveInstanceRequest{Instances: []*compute.InstanceReference{{Instance: vm("node-1")}}}).Context(e.ctx).Do()
		}},
		{"the health check detached from the pool", "local", "target pool " + local + " lacked its health check", func() (*compute.Operation, error) {
			pool := e.lbState().pools[local]
			return gcs.TargetPools.RemoveHealthCheck(project, region, local,
				&compute.TargetPoolsRemoveHealthCheckRequest{HealthChecks: []*compute.HealthCheckReference{{HealthCheck: pool.HealthChecks[0]}}}).Context(e.ctx).Do()
		}},
		{"the firewall's sources widened", "web", "firewall k8s-fw-" + web + " differed", func() (*compute.Operation, error) {
			return gcs.Firewalls.Patch(project, "k8s-fw-"+web, &compute.Firewall{SourceRanges: []string{"0.0.0.0/0", "10.0.0.0/8"}}).Context(e.ctx).Do()
		}},
		{"the firewall deleted", "local", "firewall k8s-fw-" + local + " was missing", func() (*compute.Operation, error) {
			return gcs.Firewalls.Delete(project, "k8s-fw-"+local).Context(e.ctx).Do()
		}},
		{"the forwarding rule deleted", "web", "forwarding rule " + web + " was missing", func() (*compute.Operation, error) {
			return gcs.ForwardingRules.Delete(project, region, web).Context(e.ctx).Do()
		}},
	} {
		op, err := d.drift()
		e.waitOp(d.name, op, err)
		start := time.Now()
		e.eventually(d.name+": repaired", repairBound, func() (bool, string) {
			got := lbShape(e.lbState())
			return got == converged, "now:\n" + got
		})
		t.Logf("%s: repaired after %v", d.name, time.Since(start).Round(100*time.Millisecond))
		e.waitServiceEvent(d.service, "LoadBalancerRepaired", d.event)
	}
	// The rule made again holds the IP the Service's status shows.
	e.eventually("the Service's status names the rule's IP", 30*time.Second, func() (bool, string) {
		r := e.lbState().rules[web]
		return r != nil && r.IPAddress == e.serviceIP("web"), fmt.Sprintf("rule %v, status %s", r, e.serviceIP("web"))
	})
}

// lbShape is every load-balancing object as one line each, without what
// GCE chooses (ids, the ephemeral IP): two shapes are equal when the same
// objects exist with the same targets, members, checks, sources and ports.
func lbShape(st lbState) string {
	var lines []string
	for n, r := range st.rules {
		lines = append(lines, fmt.Sprintf("rule %s -> %s %s %s", n, lastSeg(r.Target), r.IPProtocol, r.PortRange))
	}
	for n, p := range st.pools {
		var checks []string
		for _, c := range p.HealthChecks {
			checks = append(checks, lastSeg(c))
		}
		lines = append(lines, fmt.Sprintf("pool %s members %v checks %v", n, members(p), checks))
	}
	for n, f := range st.firewalls {
		var allowed []string
		for _, a := range f.Allowed {
			allowed = append(allowed, a.IPProtocol+fmt.Sprint(a.Ports))
		}
		lines = append(lines, fmt.Sprintf("firewall %s from %v to tags %v allows %v desc %q", n, f.SourceRanges, f.TargetTags, allowed, f.Description))
	}
	for n, c := range st.checks {
		lines = append(lines, fmt.Sprintf("check %s port %d path %s", n, c.Port, c.RequestPath))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// seedLBLookAlikes makes objects under names of our load balancers' form
// that are not any Service's: a pool with another cluster's description, a
// firewall whose description is not JSON. The pass must leave them as
// they are (collecting what nobody wants is the orphan collector's work).
func (e *env) seedLBLookAlikes(gcs *compute.Service) {
	e.t.Helper()
	region := zones[0][:strings.LastIndex(zones[0], "-")]
	op, err := gcs.TargetPools.Insert(project, region, &compute.TargetPool{Name: "a0123456789abcdef0123456789abcde",
		Description: `{"kubernetes.io/service-name":"default/web","kubernetes.io/cluster-name":"other-cluster"}`}).Context(e.ctx).Do()
	e.waitOp("seed a look-alike pool", op, err)
	op, err = gcs.Firewalls.Insert(project, &compute.Firewall{Name: "k8s-fw-a0123456789abcdef0123456789abcde", Description: "made by hand",
		Network: fmt.Sprintf("projects/%s/global/networks/default", project), SourceRanges: []string{"192.0.2.0/24"},
		Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: []string{"22"}}}}).Context(e.ctx).Do()
	e.waitOp("seed a look-alike firewall", op, err)
}

// waitServiceEvent waits for an Event with reason on a Service whose
// message says what.
func (e *env) waitServiceEvent(svc, reason, what string) {
	e.t.Helper()
	e.eventually(reason+" on "+svc+": "+what, 30*time.Second, func() (bool, string) {
		evs, err := kube.CoreV1().Events("default").List(e.ctx, metav1.ListOptions{FieldSelector: "involvedObject.kind=Service,involvedObject.name=" + svc})
		if err != nil {
			return false, err.Error()
		}
		for _, ev := range evs.Items {
			if ev.Reason == reason && strings.Contains(ev.Message, what) {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d events, none %s saying %q", len(evs.Items), reason, what)
	})
}
