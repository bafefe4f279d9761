package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/gce-ccm/gce-ccm/test/dataplane"
	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
)

// traffic shows real packets when the demo runs as root: the VPC dataplane
// follows the emulator, two nodes get pods, and one request goes pod to pod
// across zones and one from the "internet" through the load balancer.
// It returns a cleanup that removes every namespace.
func traffic(ctx context.Context, gce *harness.Emulator, ip string) (func(), error) {
	if err := dataplane.CheckTools(); err != nil {
		step("no real packets: " + err.Error() + " (run `make demo` as root to see traffic)")
		return func() {}, nil
	}
	step("starting the VPC dataplane (network namespaces following the emulator)")
	f, err := dataplane.Start(ctx, dataplane.Options{Source: dataplane.ServerSource{Server: gce.Server}, Project: "demo"})
	if err != nil {
		return nil, err
	}
	var nodes []*dataplane.Node
	cleanup := func() {
		for _, n := range nodes {
			n.Close()
		}
		f.Close()
	}
	fail := func(err error) (func(), error) { cleanup(); return nil, err }
	if err := installerObjects(ctx, gce); err != nil {
		return fail(err)
	}
	// node-0 (zone a) runs the client pod, node-1 (zone b) the web pod.
	var pods []*dataplane.Pod
	for i, name := range []string{"client", "web"} {
		n, err := f.Node(fmt.Sprintf("node-%d", i), netip.MustParsePrefix(fmt.Sprintf("10.64.%d.0/24", i)))
		if err != nil {
			return fail(err)
		}
		nodes = append(nodes, n)
		p, err := n.AddPod(name)
		if err == nil {
			err = p.Serve(8080)
		}
		if err != nil {
			return fail(err)
		}
		pods = append(pods, p)
	}
	lbIP, _ := netip.ParseAddr(ip)
	svc := dataplane.Service{Namespace: "default", Name: "web", LBIP: lbIP, Port: 80, TargetPort: 8080, Protocol: "tcp",
		Endpoints: []netip.Addr{pods[1].IP}}
	for _, n := range nodes {
		if err := n.SetServices(ctx, []dataplane.Service{svc}); err != nil {
			return fail(err)
		}
	}
	step(fmt.Sprintf("pod %s on node-0 -> pod %s on node-1 (no NAT: the server sees the client pod's IP)", pods[0].IP, pods[1].IP))
	fmt.Println("    " + retry(ctx, func(ctx context.Context) (string, error) {
		return dataplane.HTTPGet(ctx, pods[0].NS, "http://"+pods[1].IP.String()+":8080/", netip.Addr{})
	}))
	// The CCM's node check probes every 8 s: wait for the first members to pass.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(250 * time.Millisecond) {
		if lbs := f.Plan().LBs; len(lbs) > 0 && len(lbs[0].Healthy) > 0 {
			break
		}
	}
	client := f.Clients()[0]
	step(fmt.Sprintf("internet client %s -> load balancer %s:80 (passthrough to a node, kube-proxy to the pod)", client, ip))
	fmt.Println("    " + retry(ctx, func(ctx context.Context) (string, error) {
		return dataplane.HTTPGet(ctx, f.InternetNamespace(), "http://"+ip+"/", client)
	}))
	d, err := f.Dump(ctx)
	if err != nil {
		return fail(err)
	}
	step("the fabric's counters")
	c := d.Counters
	fmt.Printf("    forwarded %d, no route %d, anti-spoof %d, implied deny %d\n    firewall rules %v\n    load-balanced connections %v\n",
		c.Forwarded, c.NoRoute, c.AntiSpoofDrops(), c.ImpliedDeny, c.Firewall, c.LoadBalanced)
	for _, lb := range d.LBs {
		fmt.Printf("    %s %s: healthy %v of %v (only node-0 and node-1 run kube-proxy here)\n", lb.Rule, lb.IP, sorted(lb.Healthy), sorted(lb.Members))
	}
	fmt.Printf("    namespaces: %s*  (ip netns exec %s nft list ruleset)\n", f.NamespaceName(""), f.NamespaceName("fabric"))
	return cleanup, nil
}

// installerObjects are what a cluster's installer makes beside the CCM
// (deploy/terraform/network.tf): a rule for in-cluster traffic. The route
// to the internet is the default network's own (the emulator makes it with
// the network, as GCE does).
func installerObjects(ctx context.Context, gce *harness.Emulator) error {
	svc, err := compute.NewService(ctx, option.WithEndpoint(gce.URL+"/compute/v1/"), option.WithoutAuthentication())
	if err != nil {
		return err
	}
	if _, err := svc.Firewalls.Insert("demo", &compute.Firewall{Name: "demo-internal", Network: "global/networks/default",
		Direction: "INGRESS", TargetTags: []string{"demo-node"}, SourceRanges: []string{"10.128.0.0/20", "10.64.0.0/14"},
		Allowed: []*compute.FirewallAllowed{{IPProtocol: "tcp"}, {IPProtocol: "udp"}, {IPProtocol: "icmp"}}}).Context(ctx).Do(); err != nil {
		return fmt.Errorf("firewall: %w", err)
	}
	return nil
}

// retry repeats a request for up to 40 s (operations complete, health
// checks pass) and returns the answer or the last error.
func retry(ctx context.Context, f func(context.Context) (string, error)) string {
	deadline := time.Now().Add(40 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		body, err := f(rctx)
		cancel()
		if err == nil {
			return strings.TrimSpace(body)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "demo: no answer:", err)
			return "no answer: " + err.Error()
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
