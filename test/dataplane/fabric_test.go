package dataplane_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/test/dataplane"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const project = "dp-proj"

// world is an emulator, the real compute client on it, and a fabric following it.
type world struct {
	t   testing.TB
	ctx context.Context
	gce *fakecompute.TestServer
	api *compute.Service
	f   *dataplane.Fabric
}

// needRoot skips where namespaces cannot be made; CI runs as root with nft
// installed (.ci/run), where a missing tool is a failure, not a skip.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the dataplane needs root (network namespaces); CI runs it as root")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Fatal("nft is not installed (Debian package nftables; .ci/run installs it)")
	}
}

func newWorld(t testing.TB, seeds ...fakecompute.InstanceSeed) *world {
	t.Helper()
	needRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	gce := fakecompute.NewTestServer(t, fakecompute.Options{Project: project})
	if _, err := gce.SeedInstances(seeds...); err != nil {
		t.Fatal(err)
	}
	api, err := compute.NewService(ctx, gce.LegacyClientOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	f, err := dataplane.Start(ctx, dataplane.Options{Source: dataplane.ServerSource{Server: gce.Server}, Project: project})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, gce: gce, api: api, f: f}
	t.Cleanup(func() {
		if t.Failed() {
			if d, err := f.Dump(context.Background()); err == nil {
				t.Logf("fabric dump: %+v", d)
			}
		}
		f.Close()
		// Nothing of this fabric is left behind (pods, VMs, edges).
		if out, err := exec.Command("ip", "netns", "list").Output(); err != nil || strings.Contains(string(out), f.NamespaceName("")) {
			t.Errorf("namespaces left after Close (%v):\n%s", err, out)
		}
	})
	return w
}

func (w *world) vmIP(name string) netip.Addr {
	w.t.Helper()
	for _, vm := range w.f.Plan().VMs {
		if vm.Name == name {
			return vm.IP
		}
	}
	w.t.Fatalf("no VM %s in the fabric", name)
	return netip.Addr{}
}

func (w *world) node(name, cidr string) *dataplane.Node {
	w.t.Helper()
	n, err := w.f.Node(name, netip.MustParsePrefix(cidr))
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(n.Close)
	return n
}

func (w *world) pod(n *dataplane.Node, name string, port uint16) *dataplane.Pod {
	w.t.Helper()
	p, err := n.AddPod(name)
	if err != nil {
		w.t.Fatal(err)
	}
	if port != 0 {
		if err := p.Serve(port); err != nil {
			w.t.Fatal(err)
		}
	}
	return p
}

// do runs a compute call that returns an operation; the emulator has no
// latency here, so the operation is DONE when it returns.
func (w *world) do(what string, op *compute.Operation, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v", what, err)
	}
	if op.Error != nil {
		w.t.Fatalf("%s: operation failed: %+v", what, op.Error.Errors[0])
	}
}

func (w *world) route(name, dest, vm, zone string) {
	w.t.Helper()
	op, err := w.api.Routes.Insert(project, &compute.Route{Name: name, Network: "global/networks/default", DestRange: dest,
		Priority: 1000, NextHopInstance: "zones/" + zone + "/instances/" + vm}).Context(w.ctx).Do()
	w.do("insert route "+name, op, err)
}

func (w *world) firewall(fw *compute.Firewall) {
	w.t.Helper()
	fw.Network = "global/networks/default"
	op, err := w.api.Firewalls.Insert(project, fw).Context(w.ctx).Do()
	w.do("insert firewall "+fw.Name, op, err)
}

func (w *world) setCanIPForward(zone, name string, on bool) {
	w.t.Helper()
	inst, err := w.api.Instances.Get(project, zone, name).Context(w.ctx).Do()
	if err != nil {
		w.t.Fatal(err)
	}
	inst.CanIpForward = on
	op, err := w.api.Instances.Update(project, zone, name, inst).MostDisruptiveAllowedAction("REFRESH").Context(w.ctx).Do()
	w.do("update "+name, op, err)
}

func (w *world) counters() dataplane.Counters {
	w.t.Helper()
	c, err := w.f.Counters(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// eventually polls f until it returns "" (the fabric follows the emulator
// within its poll interval; the deadline is generous for a loaded machine).
func (w *world) eventually(what string, f func() string) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s: %s", what, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(ctx context.Context, nsName, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return dataplane.HTTPGet(ctx, nsName, url, netip.Addr{})
}

func TestFabricRoutesAntiSpoofFirewall(t *testing.T) {
	w := newWorld(t,
		fakecompute.InstanceSeed{Name: "vm-a", Zone: "us-central1-a", Tags: []string{"node"}},
		fakecompute.InstanceSeed{Name: "vm-b", Zone: "us-central1-b", Tags: []string{"node"}, CanIPForward: true})
	a, b := w.node("vm-a", "10.64.1.0/24"), w.node("vm-b", "10.64.2.0/24")
	podA, podB := w.pod(a, "client", 0), w.pod(b, "server", 8080)
	bURL := "http://" + podB.IP.String() + ":8080/"

	// GCE's implied deny-ingress: nothing reaches vm-b yet.
	if err := dataplane.Ping(w.ctx, a.NS, w.vmIP("vm-b"), 500*time.Millisecond); err == nil {
		t.Fatal("vm-a pinged vm-b with no firewall rule allowing it")
	}
	if c := w.counters(); c.ImpliedDeny == 0 {
		t.Errorf("implied deny not counted: %+v", c)
	}
	w.firewall(&compute.Firewall{Name: "allow-internal", Direction: "INGRESS", Priority: 1000, TargetTags: []string{"node"},
		SourceRanges: []string{"10.128.0.0/9", "10.64.0.0/14"}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "all"}}})
	w.eventually("vm-a pings vm-b once a rule allows it", func() string {
		if err := dataplane.Ping(w.ctx, a.NS, w.vmIP("vm-b"), 300*time.Millisecond); err != nil {
			return err.Error()
		}
		return ""
	})

	// An egress deny (destination range, protocol) above the allow: pings
	// from the tagged VMs to vm-b stop, counted on the rule; TCP still flows.
	w.firewall(&compute.Firewall{Name: "no-icmp-to-b", Direction: "EGRESS", Priority: 900, TargetTags: []string{"node"},
		DestinationRanges: []string{w.vmIP("vm-b").String() + "/32"}, Denied: []*compute.FirewallDenied{{IPProtocol: "icmp"}}})
	w.eventually("the egress deny drops the ping and counts it", func() string {
		if err := dataplane.Ping(w.ctx, a.NS, w.vmIP("vm-b"), 300*time.Millisecond); err == nil {
			return "vm-a still pings vm-b"
		}
		if n := w.counters().Firewall["no-icmp-to-b"]; n == 0 {
			return "no drop counted on no-icmp-to-b"
		}
		return ""
	})

	// No route for the pod range yet: it matches only the network's route
	// to the internet, and the internet gateway drops a private
	// destination, counted as no route (the count may trail the failed
	// request: a SYN can wait on ARP past its deadline). Sent from vm-a
	// itself: its pod's packets would be dropped earlier, by anti-spoof
	// (vm-a cannot forward).
	before := w.counters().NoRouteBy["noroute_internet"]
	if _, err := get(w.ctx, a.NS, bURL); err == nil {
		t.Fatal("VM-to-pod worked with no route")
	}
	if _, err := get(w.ctx, podA.NS, bURL); err == nil {
		t.Fatal("pod-to-pod worked with no route")
	}
	w.eventually("the internet gateway's no-route drop of the pod range", func() string {
		if n := w.counters().NoRouteBy["noroute_internet"]; n <= before {
			return fmt.Sprintf("noroute_internet %d -> %d", before, n)
		}
		return ""
	})

	// Routes both ways; vm-a cannot forward: its pod's packets are spoofed.
	w.route("to-a", "10.64.1.0/24", "vm-a", "us-central1-a")
	w.route("to-b", "10.64.2.0/24", "vm-b", "us-central1-b")
	w.eventually("the anti-spoof drop of vm-a's pod traffic", func() string {
		if body, err := get(w.ctx, podA.NS, bURL); err == nil {
			return "pod-to-pod worked while vm-a cannot forward: " + body
		}
		if n := w.counters().AntiSpoofOut["vm-a"]; n == 0 {
			return "anti-spoof (out of vm-a) not counted"
		}
		return ""
	})

	w.setCanIPForward("us-central1-a", "vm-a", true)
	w.eventually("pod-to-pod once both VMs forward", func() string {
		body, err := get(w.ctx, podA.NS, bURL)
		if err != nil {
			return err.Error()
		}
		// No NAT anywhere: the server sees the client pod's own IP.
		if want := "pod=server client=" + podA.IP.String(); !strings.Contains(body, want) {
			return "answer " + body + ", want " + want
		}
		return ""
	})

	// Stopped next hop: the route carries nothing.
	if err := w.gce.SetInstanceStatus("us-central1-b", "vm-b", "TERMINATED"); err != nil {
		t.Fatal(err)
	}
	w.eventually("vm-b unplugged and its route ignored", func() string {
		if _, err := get(w.ctx, podA.NS, bURL); err == nil {
			return "pod on a TERMINATED VM answered"
		}
		for _, ig := range w.f.Plan().Ignored {
			if strings.HasPrefix(ig, "route to-b:") {
				return ""
			}
		}
		return "route to-b not listed as carrying nothing"
	})
}

// lbWorld is two nodes behind a target pool with kube-proxy's node check,
// a forwarding rule on port 80 and a Service whose one pod is on vm-b.
type lbWorld struct {
	*world
	a, b   *dataplane.Node
	pod    *dataplane.Pod
	lbIP   netip.Addr
	svc    dataplane.Service
	poolID string
}

func newLBWorld(t testing.TB, affinity string, unhealthy int64) *lbWorld {
	w := newWorld(t,
		fakecompute.InstanceSeed{Name: "vm-a", Zone: "us-central1-a", Tags: []string{"node"}, CanIPForward: true},
		fakecompute.InstanceSeed{Name: "vm-b", Zone: "us-central1-b", Tags: []string{"node"}, CanIPForward: true})
	l := &lbWorld{world: w}
	l.a, l.b = w.node("vm-a", "10.64.1.0/24"), w.node("vm-b", "10.64.2.0/24")
	l.pod = w.pod(l.b, "web", 8080)
	w.route("to-a", "10.64.1.0/24", "vm-a", "us-central1-a")
	w.route("to-b", "10.64.2.0/24", "vm-b", "us-central1-b")
	w.firewall(&compute.Firewall{Name: "internal", Direction: "INGRESS", TargetTags: []string{"node"},
		SourceRanges: []string{"10.128.0.0/9", "10.64.0.0/14"}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "all"}}})
	w.firewall(&compute.Firewall{Name: "probes", Direction: "INGRESS", TargetTags: []string{"node"},
		SourceRanges: []string{"35.191.0.0/16", "130.211.0.0/22"}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: []string{"10256"}}}})
	// Replies to clients leave by the default network's route to the
	// internet, which the emulator creates with the network as GCE does.
	op, err := w.api.HttpHealthChecks.Insert(project, &compute.HttpHealthCheck{Name: "nodes", Port: 10256, RequestPath: "/healthz",
		CheckIntervalSec: 1, TimeoutSec: 1, HealthyThreshold: 1, UnhealthyThreshold: unhealthy}).Context(w.ctx).Do()
	w.do("health check", op, err)
	op, err = w.api.TargetPools.Insert(project, "us-central1", &compute.TargetPool{Name: "pool", SessionAffinity: affinity,
		HealthChecks: []string{"global/httpHealthChecks/nodes"},
		Instances:    []string{"zones/us-central1-a/instances/vm-a", "zones/us-central1-b/instances/vm-b"}}).Context(w.ctx).Do()
	w.do("target pool", op, err)
	op, err = w.api.ForwardingRules.Insert(project, "us-central1", &compute.ForwardingRule{Name: "lb", IPProtocol: "TCP", PortRange: "80-80",
		Target: "regions/us-central1/targetPools/pool"}).Context(w.ctx).Do()
	w.do("forwarding rule", op, err)
	fr, err := w.api.ForwardingRules.Get(project, "us-central1", "lb").Context(w.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	l.lbIP = netip.MustParseAddr(fr.IPAddress)
	l.firewall(&compute.Firewall{Name: "lb-traffic", Direction: "INGRESS", TargetTags: []string{"node"}, SourceRanges: []string{"0.0.0.0/0"},
		DestinationRanges: []string{fr.IPAddress}, Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: []string{"80"}}}})
	l.svc = dataplane.Service{Namespace: "default", Name: "web", LBIP: l.lbIP, Port: 80, TargetPort: 8080, Protocol: "tcp",
		Endpoints: []netip.Addr{l.pod.IP}}
	l.program()
	return l
}

func (l *lbWorld) program() {
	l.t.Helper()
	for _, n := range []*dataplane.Node{l.a, l.b} {
		if err := n.SetServices(l.ctx, []dataplane.Service{l.svc}); err != nil {
			l.t.Fatal(err)
		}
	}
}

// fetch is one request from the internet client src to the load balancer.
func (l *lbWorld) fetch(src netip.Addr) (string, error) {
	ctx, cancel := context.WithTimeout(l.ctx, time.Second)
	defer cancel()
	return dataplane.HTTPGet(ctx, l.f.InternetNamespace(), "http://"+l.lbIP.String()+"/", src)
}

func TestFabricLoadBalancerClusterAndLocal(t *testing.T) {
	l := newLBWorld(t, "NONE", 2)
	client := l.f.Clients()[0]
	l.eventually("both members healthy and an internet client served through the LB", func() string {
		lbs := l.f.Plan().LBs
		if len(lbs) != 1 || len(lbs[0].Healthy) != 2 {
			return fmt.Sprintf("load balancers: %+v", lbs)
		}
		body, err := l.fetch(client)
		if err != nil {
			return err.Error()
		}
		// Cluster: the pod sees a node's address, never the client's.
		if strings.Contains(body, client.String()) || !strings.Contains(body, "pod=web") {
			return "answer " + body
		}
		return ""
	})
	// Every flow lands on one of the two nodes (5-tuple hash): both are used.
	for i := 0; i < 20; i++ {
		if _, err := l.fetch(client); err != nil {
			t.Fatal(err)
		}
	}
	c := l.counters()
	if c.LoadBalanced["lb"] == 0 {
		t.Errorf("no load-balanced packets counted: %+v", c)
	}

	// Local: vm-a has no endpoint; its node check still passes (kube-proxy
	// is up) but kube-proxy drops there; switch the pool to a check of the
	// Service's node port, which fails on vm-a.
	l.svc.Local, l.svc.HealthCheckNodePort = true, 30999
	l.program()
	op, err := l.api.HttpHealthChecks.Insert(project, &compute.HttpHealthCheck{Name: "local", Port: 30999, RequestPath: "/healthz",
		CheckIntervalSec: 1, TimeoutSec: 1, HealthyThreshold: 1, UnhealthyThreshold: 2}).Context(l.ctx).Do()
	l.do("local check", op, err)
	op, err = l.api.Firewalls.Patch(project, "probes", &compute.Firewall{Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp", Ports: []string{"10256", "30999"}}}}).Context(l.ctx).Do()
	l.do("patch probes firewall", op, err)
	op, err = l.api.TargetPools.RemoveHealthCheck(project, "us-central1", "pool", &compute.TargetPoolsRemoveHealthCheckRequest{
		HealthChecks: []*compute.HealthCheckReference{{HealthCheck: "global/httpHealthChecks/nodes"}}}).Context(l.ctx).Do()
	l.do("remove check", op, err)
	op, err = l.api.TargetPools.AddHealthCheck(project, "us-central1", "pool", &compute.TargetPoolsAddHealthCheckRequest{
		HealthChecks: []*compute.HealthCheckReference{{HealthCheck: "global/httpHealthChecks/local"}}}).Context(l.ctx).Do()
	l.do("add check", op, err)
	l.eventually("only vm-b healthy; the client's IP preserved", func() string {
		lbs := l.f.Plan().LBs
		if len(lbs) != 1 || fmt.Sprint(lbs[0].Healthy) != "[vm-b]" {
			return fmt.Sprintf("load balancers: %+v", lbs)
		}
		for i := 0; i < 10; i++ {
			body, err := l.fetch(client)
			if err != nil {
				return err.Error()
			}
			if !strings.Contains(body, "client="+client.String()) {
				return "Local answer without the client's IP: " + body
			}
		}
		return ""
	})
}

// The fabric follows an emulator in another process the same way, through
// its admin API (generation, then state).
func TestFabricFollowsOverHTTP(t *testing.T) {
	needRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	gce := fakecompute.NewTestServer(t, fakecompute.Options{Project: project})
	f, err := dataplane.Start(ctx, dataplane.Options{Source: dataplane.HTTPSource{URL: gce.URL}, Project: project})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := gce.SeedInstances(fakecompute.InstanceSeed{Name: "late", Zone: "us-central1-c"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.VMNamespace("late") == "" {
		if time.Now().After(deadline) {
			t.Fatal("a VM seeded after the start never got a namespace")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Namespaces of a dead run are removed at start; a live run's are not.
func TestRemoveStale(t *testing.T) {
	needRoot(t)
	dead := fmt.Sprintf("%s%d-1-fabric", dataplane.NamePrefix, deadPID(t))
	live := fmt.Sprintf("%s%d-99-fabric", dataplane.NamePrefix, os.Getpid())
	for _, n := range []string{dead, live} {
		if out, err := exec.Command("ip", "netns", "add", n).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v %s", n, err, out)
		}
	}
	defer exec.Command("ip", "netns", "del", live).Run()
	removed, err := dataplane.RemoveStale()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(removed) != "["+dead+"]" {
		t.Errorf("removed %v, want only %s", removed, dead)
	}
	out, _ := exec.Command("ip", "netns", "list").Output()
	if !strings.Contains(string(out), live) || strings.Contains(string(out), dead) {
		t.Errorf("namespaces after RemoveStale:\n%s", out)
	}
}

// deadPID is the pid of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}
