//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/test/dataplane"
)

// Real packets: these scenarios run the VPC dataplane (test/dataplane) on
// the emulator the CCM writes to, and check traffic, not objects.

// dp is one scenario's dataplane: the fabric and the node halves.
type dp struct {
	e     *env
	f     *dataplane.Fabric
	nodes map[string]*dataplane.Node
}

// startDataplane follows e's emulator. The scenarios need root (network
// namespaces) and nft; CI runs as root with nftables installed (.ci/run).
func (e *env) startDataplane() *dp {
	e.t.Helper()
	if os.Geteuid() != 0 {
		e.t.Skip("the dataplane scenarios need root (network namespaces); CI runs them as root")
	}
	f, err := dataplane.Start(e.ctx, dataplane.Options{Source: dataplane.ServerSource{Server: e.gce.Server}, Project: project})
	if err != nil {
		e.t.Fatal(err)
	}
	d := &dp{e: e, f: f, nodes: map[string]*dataplane.Node{}}
	e.t.Cleanup(func() {
		for _, n := range d.nodes {
			n.Close()
		}
		if e.t.Failed() {
			if dump, err := f.Dump(context.Background()); err == nil {
				e.t.Logf("fabric dump: %+v", dump)
			}
		}
		f.Close()
	})
	// What a cluster installer makes (deploy/terraform/network.tf): nodes
	// and pods may talk to the nodes; the project's default route.
	e.insertFirewall(&compute.Firewall{Name: "e2e-internal", Direction: "INGRESS", Priority: 1000, TargetTags: []string{"e2e-node"},
		SourceRanges: []string{"10.128.0.0/20", clusterCIDR},
		Allowed:      []*compute.FirewallAllowed{{IPProtocol: "tcp"}, {IPProtocol: "udp"}, {IPProtocol: "icmp"}}})
	return d
}

func (e *env) insertFirewall(fw *compute.Firewall) {
	e.t.Helper()
	fw.Network = "global/networks/default"
	op, err := e.computeService().Firewalls.Insert(project, fw).Context(e.ctx).Do()
	e.waitOp("insert firewall "+fw.Name, op, err)
}

// waitOp waits for an operation of the emulator to be DONE without error.
func (e *env) waitOp(what string, op *compute.Operation, err error) {
	e.t.Helper()
	svc := e.computeService()
	for err == nil && op.Status != "DONE" {
		switch {
		case op.Zone != "":
			op, err = svc.ZoneOperations.Wait(project, lastSeg(op.Zone), op.Name).Context(e.ctx).Do()
		case op.Region != "":
			op, err = svc.RegionOperations.Wait(project, lastSeg(op.Region), op.Name).Context(e.ctx).Do()
		default:
			op, err = svc.GlobalOperations.Wait(project, op.Name).Context(e.ctx).Do()
		}
	}
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
	if op.Error != nil {
		e.t.Fatalf("%s: %+v", what, op.Error.Errors[0])
	}
}

// node sets up a VM of the fabric as a Kubernetes node (cbr0 on its pod CIDR).
func (d *dp) node(name, cidr string) *dataplane.Node {
	d.e.t.Helper()
	var n *dataplane.Node
	d.e.eventually("the fabric plugs "+name, 10*time.Second, func() (bool, string) {
		if d.f.VMNamespace(name) == "" {
			return false, "no namespace yet"
		}
		var err error
		n, err = d.f.Node(name, netip.MustParsePrefix(cidr))
		if err != nil {
			d.e.t.Fatal(err)
		}
		return true, ""
	})
	d.nodes[name] = n
	return n
}

func (d *dp) pod(n *dataplane.Node, name string, port uint16) *dataplane.Pod {
	d.e.t.Helper()
	p, err := n.AddPod(name)
	if err != nil {
		d.e.t.Fatal(err)
	}
	if port != 0 {
		if err := p.Serve(port); err != nil {
			d.e.t.Fatal(err)
		}
	}
	return p
}

func (d *dp) counters() dataplane.Counters {
	d.e.t.Helper()
	c, err := d.f.Counters(d.e.ctx)
	if err != nil {
		d.e.t.Fatal(err)
	}
	return c
}

// get is one HTTP request from a namespace on a new connection.
func (d *dp) get(nsName, url string, src netip.Addr) (string, error) {
	ctx, cancel := context.WithTimeout(d.e.ctx, time.Second)
	defer cancel()
	return dataplane.HTTPGet(ctx, nsName, url, src)
}

// podToPod is one request and one ping between two pods; "" when both worked.
func (d *dp) podToPod(from, to *dataplane.Pod) string {
	body, err := d.get(from.NS, "http://"+to.IP.String()+":8080/", netip.Addr{})
	if err != nil {
		return "HTTP: " + err.Error()
	}
	if want := "client=" + from.IP.String(); !strings.Contains(body, want) {
		return fmt.Sprintf("HTTP answer %q: the server did not see the client pod's own IP (%s)", body, want)
	}
	if err := dataplane.Ping(d.e.ctx, from.NS, to.IP, 500*time.Millisecond); err != nil {
		return "ICMP: " + err.Error()
	}
	return ""
}

func (e *env) setCanIPForward(zone, name string, on bool) {
	e.t.Helper()
	svc := e.computeService()
	inst, err := svc.Instances.Get(project, zone, name).Context(e.ctx).Do()
	if err != nil {
		e.t.Fatal(err)
	}
	inst.CanIpForward = on
	op, err := svc.Instances.Update(project, zone, name, inst).MostDisruptiveAllowedAction("REFRESH").Context(e.ctx).Do()
	e.waitOp("instances.update "+name, op, err)
}

// Scenarios 1 and 2: pod-to-pod across zones fails without routes, fails
// while a VM cannot forward (dropped as spoofed, and the ipforward
// controller in audit mode only reports it), and works once the CCM has
// made the routes and turned canIpForward on; a VM whose canIpForward is
// turned off later drops its pods' traffic until the controller repairs it.
func TestDataplanePodToPod(t *testing.T) {
	e := newEnv(t, 4*time.Minute)
	d := e.startDataplane()
	e.addNode("node-a", zones[0], true, podCIDR(1))
	e.addNode("node-b", zones[1], false, podCIDR(2))
	a, b := d.node("node-a", podCIDR(1)), d.node("node-b", podCIDR(2))
	client, server := d.pod(a, "client", 8080), d.pod(b, "server", 8080)

	// No routes yet: the pod range matches only the network's route to the
	// internet, whose gateway drops a private destination. (Retried:
	// on a loaded machine the first SYN can wait on ARP past the request's
	// deadline and reach the fabric only after it.)
	e.eventually("pod-to-pod dropped for want of a route, and counted", 20*time.Second, func() (bool, string) {
		if msg := d.podToPod(client, server); msg == "" {
			t.Fatal("pod-to-pod worked before the CCM made any route")
		}
		c := d.counters()
		return c.NoRoute > 0, fmt.Sprintf("counters %+v", c)
	})

	// Audit mode: routes are made, node-b still cannot forward, and its
	// pods' packets are dropped as spoofed; the Node says why.
	audit := e.startCCM("ccm-audit", false, "--ipforward-mode=audit")
	e.waitRouteCreatedOnEveryNode(60 * time.Second)
	e.eventually("node-b reported as unable to forward", 30*time.Second, func() (bool, string) {
		st, reason := e.forwardingCondition("node-b")
		return st == v1.ConditionFalse && reason == "VMCannotIPForward", fmt.Sprintf("%s/%s", st, reason)
	})
	if msg := d.podToPod(client, server); msg == "" {
		t.Fatal("pod-to-pod worked while node-b cannot forward")
	}
	if c := d.counters(); c.AntiSpoofIn["node-b"] == 0 {
		t.Errorf("anti-spoof drops into node-b not counted: %+v", c.AntiSpoofIn)
	}
	audit.Stop(10 * time.Second)

	// Enforce mode: the controller turns canIpForward on; traffic flows.
	e.startCCM("ccm", false, "--ipforward-resync-period=3s")
	e.eventually("pod-to-pod across zones", 60*time.Second, func() (bool, string) {
		msg := d.podToPod(client, server)
		return msg == "", msg
	})
	if msg := d.podToPod(server, client); msg != "" {
		t.Errorf("the other way: %s", msg)
	}

	// canIpForward turned off behind the CCM's back: dropped until the
	// controller's next resync turns it on again.
	drops := d.counters().AntiSpoofDrops()
	start := time.Now()
	e.setCanIPForward(zones[1], "node-b", false)
	var failures int
	e.eventually("traffic resumes after the controller repairs canIpForward", 30*time.Second, func() (bool, string) {
		msg := d.podToPod(client, server)
		if msg != "" {
			failures++
		}
		return msg == "" && e.canIPForward(zones[1], "node-b"), msg
	})
	t.Logf("canIpForward off then repaired: traffic back after %v, %d failed probes, %d anti-spoof drops",
		time.Since(start).Round(100*time.Millisecond), failures, d.counters().AntiSpoofDrops()-drops)
}
