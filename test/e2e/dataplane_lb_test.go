//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/test/dataplane"
)

// kubeProxy programs every node for a Service as kube-proxy would, with
// the given pods as its endpoints.
func (d *dp) kubeProxy(name string, pods ...*dataplane.Pod) {
	d.e.t.Helper()
	s, err := kube.CoreV1().Services("default").Get(d.e.ctx, name, metav1.GetOptions{})
	if err != nil {
		d.e.t.Fatal(err)
	}
	svc := dataplane.Service{Namespace: s.Namespace, Name: s.Name, Port: uint16(s.Spec.Ports[0].Port),
		TargetPort: uint16(s.Spec.Ports[0].TargetPort.IntValue()), Protocol: strings.ToLower(string(s.Spec.Ports[0].Protocol)),
		Local:               s.Spec.ExternalTrafficPolicy == v1.ServiceExternalTrafficPolicyLocal,
		HealthCheckNodePort: uint16(s.Spec.HealthCheckNodePort)}
	if len(s.Status.LoadBalancer.Ingress) > 0 {
		svc.LBIP, _ = netip.ParseAddr(s.Status.LoadBalancer.Ingress[0].IP)
	}
	for _, p := range pods {
		svc.Endpoints = append(svc.Endpoints, p.IP)
	}
	for _, n := range d.nodes {
		if err := n.SetServices(d.e.ctx, []dataplane.Service{svc}); err != nil {
			d.e.t.Fatal(err)
		}
	}
}

// fetch is one request from an internet client to the Service's IP.
func (d *dp) fetch(ip string, client netip.Addr) (string, error) {
	return d.get(d.f.InternetNamespace(), "http://"+ip+"/", client)
}

// fetchAll makes n requests (new connections, so new flows for the load
// balancer) and says what went wrong with the first bad one ("" if none).
func (d *dp) fetchAll(ip string, client netip.Addr, n int, check func(body string) string) string {
	for i := 0; i < n; i++ {
		body, err := d.fetch(ip, client)
		if err != nil {
			return fmt.Sprintf("request %d: %v", i, err)
		}
		if msg := check(body); msg != "" {
			return fmt.Sprintf("request %d: %s (answer %q)", i, msg, strings.TrimSpace(body))
		}
	}
	return ""
}

// healthyMembers are the names of the healthy VMs of the (one) load balancer, sorted.
func (d *dp) healthyMembers() string {
	for _, lb := range d.f.Plan().LBs {
		h := append([]string(nil), lb.Healthy...)
		sort.Strings(h)
		return strings.Join(h, ",")
	}
	return "no load balancer"
}

// lbCluster is the common start: three nodes in three zones with the CCM,
// the pod "web" on node-b, and a LoadBalancer Service for it with its IP.
func lbCluster(t *testing.T) (*env, *dp, string) {
	e := newEnv(t, 5*time.Minute)
	// Replies to clients leave by the default network's route to the
	// internet, which the emulator makes with the network, as GCE does.
	d := e.startDataplane()
	e.startCCM("ccm", false)
	for i, n := range []string{"node-a", "node-b", "node-c"} {
		e.addNode(n, zones[i], true, podCIDR(i+1))
		d.node(n, podCIDR(i+1))
	}
	// Cluster sends a connection to a pod on another node through the VPC
	// route of that node's pod range: traffic needs the routes too.
	e.waitRouteCreatedOnEveryNode(60 * time.Second)
	e.createService("web", nil)
	var ip string
	e.eventually("an external IP for the Service", 90*time.Second, func() (bool, string) {
		ip = e.serviceIP("web")
		return ip != "", "no IP yet"
	})
	return e, d, ip
}

// Scenarios 4, 5 and 6: an external client reaches a LoadBalancer Service
// through its IP; Cluster shows the pod a node's address, Local the
// client's; Local's health checks keep traffic on nodes with an endpoint
// and follow the endpoint when it moves; loadBalancerSourceRanges keeps
// other clients out.
func TestDataplaneLoadBalancer(t *testing.T) {
	e, d, ip := lbCluster(t)
	web := d.pod(d.nodes["node-b"], "web", 8080)
	d.kubeProxy("web", web)
	inside, outside := d.f.Clients()[0], d.f.Clients()[1]

	e.eventually("Cluster: the client is answered by the pod, which sees a node's address", 60*time.Second, func() (bool, string) {
		msg := d.fetchAll(ip, inside, 10, func(body string) string {
			if !strings.Contains(body, "pod=web") || strings.Contains(body, "client="+inside.String()) {
				return "not the pod, or the client's own address (Cluster masquerades)"
			}
			return ""
		})
		return msg == "", msg + "; healthy: " + d.healthyMembers()
	})
	if c := d.counters(); c.LoadBalanced[lbName(getService(t, e, "web"))] == 0 {
		t.Errorf("no load-balanced connection counted: %+v", c.LoadBalanced)
	}

	e.updateService("web", func(s *v1.Service) { s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal })
	d.kubeProxy("web", web)
	e.eventually("Local: only node-b healthy, and the pod sees the client's address", 90*time.Second, func() (bool, string) {
		if h := d.healthyMembers(); h != "node-b" {
			return false, "healthy: " + h
		}
		msg := d.fetchAll(ip, inside, 10, func(body string) string {
			if !strings.Contains(body, "pod=web client="+inside.String()) {
				return "the client's address is not preserved"
			}
			return ""
		})
		return msg == "", msg
	})

	// The endpoint moves to node-c: node-c passes its check, node-b fails
	// its own after the unhealthy threshold, and the traffic follows.
	d.nodes["node-b"].RemovePod("web")
	web2 := d.pod(d.nodes["node-c"], "web2", 8080)
	d.kubeProxy("web", web2)
	moved := time.Now()
	e.eventually("Local: traffic follows the endpoint to node-c", 90*time.Second, func() (bool, string) {
		if h := d.healthyMembers(); h != "node-c" {
			return false, "healthy: " + h
		}
		msg := d.fetchAll(ip, inside, 10, func(body string) string {
			if !strings.Contains(body, "pod=web2 client="+inside.String()) {
				return "not the moved pod"
			}
			return ""
		})
		return msg == "", msg
	})
	t.Logf("endpoint moved: all traffic on node-c after %v (check: 8 s interval x 3 unhealthy)", time.Since(moved).Round(100*time.Millisecond))

	// Source ranges: the firewall admits the inside client only.
	e.updateService("web", func(s *v1.Service) { s.Spec.LoadBalancerSourceRanges = []string{inside.String() + "/32"} })
	e.eventually("a client outside loadBalancerSourceRanges gets nothing", 60*time.Second, func() (bool, string) {
		if body, err := d.fetch(ip, outside); err == nil {
			return false, "outside client answered: " + body
		}
		return true, ""
	})
	if c := d.counters(); c.ImpliedDeny == 0 {
		t.Errorf("the outside client's packets were not dropped by the firewall: %+v", c)
	}
	if msg := d.fetchAll(ip, inside, 5, func(string) string { return "" }); msg != "" {
		t.Errorf("the inside client: %s", msg)
	}
}

func getService(t *testing.T, e *env, name string) *v1.Service {
	t.Helper()
	s, err := kube.CoreV1().Services("default").Get(e.ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// loop sends requests from an internet client back to back until stopped,
// as a user's traffic during a change. A request fails when it gets no
// answer in 3 s: long enough for TCP's first SYN retransmission (1 s), so
// a packet dropped while the fabric swaps its rules is not counted as a lost
// connection, but a connection steered to a node that drops it is.
type loop struct {
	d                *dp
	before           dataplane.Counters
	ok, failed, slow int // slow: answered, but after more than 1 s
	failures         []string
	stop             chan struct{}
	done             chan struct{}
}

func (d *dp) startLoop(ip string, client netip.Addr) *loop {
	l := &loop{d: d, before: d.counters(), stop: make(chan struct{}), done: make(chan struct{})}
	begin := time.Now()
	go func() {
		defer close(l.done)
		for {
			select {
			case <-l.stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(d.e.ctx, 3*time.Second)
			start := time.Now()
			_, err := dataplane.HTTPGet(ctx, d.f.InternetNamespace(), "http://"+ip+"/", client)
			cancel()
			switch {
			case err != nil:
				l.failed++
				l.failures = append(l.failures, fmt.Sprintf("at +%v: %v", start.Sub(begin).Round(time.Millisecond), err))
			case time.Since(start) > time.Second:
				l.ok++
				l.slow++
			default:
				l.ok++
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return l
}

// end stops the loop and reports it, with what the fabric dropped meanwhile.
func (l *loop) end(t *testing.T, what string) int {
	close(l.stop)
	<-l.done
	c := l.d.counters()
	t.Logf("%s: %d requests, %d failed, %d answered after more than 1 s; fabric drops meanwhile: no route %d (now %v), anti-spoof %d, implied deny %d; failures: %v",
		what, l.ok+l.failed, l.failed, l.slow, c.NoRoute-l.before.NoRoute, c.NoRouteBy, c.AntiSpoofDrops()-l.before.AntiSpoofDrops(),
		c.ImpliedDeny-l.before.ImpliedDeny, l.failures)
	return l.failed
}

// Scenario 7: a client loop through a session-affinity change, a node
// added to the pool and an externalTrafficPolicy flip, with pods on two
// nodes. The first two must lose nothing; the flip to Local loses the
// connections GCE still sends to nodes without an endpoint until their
// health checks fail (kube-proxy drops them at once): measured, reported.
func TestDataplaneZeroDowntime(t *testing.T) {
	e, d, ip := lbCluster(t)
	pods := []*dataplane.Pod{d.pod(d.nodes["node-a"], "web-a", 8080), d.pod(d.nodes["node-b"], "web-b", 8080)}
	d.kubeProxy("web", pods...)
	client := d.f.Clients()[0]
	e.eventually("the Service answers through its load balancer", 60*time.Second, func() (bool, string) {
		msg := d.fetchAll(ip, client, 5, func(string) string { return "" })
		return msg == "", msg + "; healthy: " + d.healthyMembers()
	})
	lb := lbName(getService(t, e, "web"))

	// Session affinity: the CCM builds the other pool and repoints the rule.
	l := d.startLoop(ip, client)
	e.updateService("web", func(s *v1.Service) { s.Spec.SessionAffinity = v1.ServiceAffinityClientIP })
	e.eventually("the rule on a CLIENT_IP pool", 90*time.Second, func() (bool, string) {
		st := e.lbState()
		fr := st.rules[lb]
		if fr == nil || st.pools[lastSeg(fr.Target)] == nil || st.pools[lastSeg(fr.Target)].SessionAffinity != "CLIENT_IP" || len(st.pools) != 1 {
			return false, fmt.Sprintf("pools %v", names(st.pools))
		}
		return d.healthyMembers() == "node-a,node-b,node-c", "healthy: " + d.healthyMembers()
	})
	if l.end(t, "session affinity NONE -> CLIENT_IP") > 0 {
		t.Error("the session-affinity change lost connections")
	}

	// A node added: it joins the pool and gets traffic once healthy.
	l = d.startLoop(ip, client)
	e.addNode("node-d", zones[0], true, podCIDR(4))
	d.node("node-d", podCIDR(4))
	d.kubeProxy("web", pods...)
	e.eventually("node-d in the pool and healthy", 90*time.Second, func() (bool, string) {
		h := d.healthyMembers()
		return h == "node-a,node-b,node-c,node-d", "healthy: " + h
	})
	if l.end(t, "node added") > 0 {
		t.Error("adding a node lost connections")
	}

	// externalTrafficPolicy Cluster -> Local.
	l = d.startLoop(ip, client)
	start := time.Now()
	e.updateService("web", func(s *v1.Service) { s.Spec.ExternalTrafficPolicy = v1.ServiceExternalTrafficPolicyLocal })
	d.kubeProxy("web", pods...)
	e.eventually("Local: only the nodes with an endpoint healthy", 90*time.Second, func() (bool, string) {
		h := d.healthyMembers()
		return h == "node-a,node-b", "healthy: " + h
	})
	settled := time.Since(start)
	time.Sleep(time.Second) // a second of steady state inside the measurement
	l.end(t, fmt.Sprintf("externalTrafficPolicy Cluster -> Local (settled after %v)", settled.Round(100*time.Millisecond)))
	if msg := d.fetchAll(ip, client, 10, func(string) string { return "" }); msg != "" {
		t.Errorf("after the flip: %s", msg)
	}
}
