// Command demo runs gce-ccm on one machine: the GCE emulator, a real
// kube-apiserver and etcd, and the controller manager; it creates a small
// cluster (3 zones x 2 VMs, nodes with pod CIDRs) and a LoadBalancer
// Service, shows what the controller did in GCE and, as root, real packets
// through the VPC dataplane, and keeps running until Ctrl-C, which stops
// and removes everything.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func main() {
	k8sBin := flag.String("k8s-bin", os.Getenv("K8S_BIN"), "directory with kube-apiserver, etcd and kubectl (tools/build-k8s.sh)")
	ccmBin := flag.String("ccm-bin", "bin/gce-cloud-controller-manager", "the controller manager binary")
	keep := flag.Bool("keep", false, "keep the work directory after exit")
	flag.Parse()
	if *k8sBin == "" {
		fmt.Fprintln(os.Stderr, "demo: --k8s-bin (or K8S_BIN) is required; `make demo` sets it")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *k8sBin, *ccmBin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, k8sBin, ccmBin string, keep bool) error {
	dir, err := os.MkdirTemp("", "gce-ccm-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	step("starting the GCE emulator")
	zones := []string{"us-central1-a", "us-central1-b", "us-central1-c"}
	gce, err := harness.StartEmulator(fakecompute.Options{Project: "demo", Region: "us-central1", Zones: zones,
		OperationLatency: 500 * time.Millisecond})
	if err != nil {
		return err
	}
	defer gce.Stop()
	step("starting etcd and kube-apiserver (built from Go modules)")
	cp, err := harness.StartControlPlane(ctx, k8sBin, dir)
	if err != nil {
		return err
	}
	defer cp.Stop()
	kube, err := cp.Client()
	if err != nil {
		return err
	}
	step("starting gce-cloud-controller-manager (credentials from the emulator's metadata server)")
	ccm, err := harness.StartCCM(ctx, harness.CCMOptions{Bin: ccmBin, Dir: dir, Name: "ccm", Kubeconfig: cp.KubeconfigPath,
		Emulator: gce, ClusterName: "demo", ClusterCIDR: "10.64.0.0/14", GCEConfExtra: "node-tags = demo-node\n"})
	if err != nil {
		return err
	}
	defer ccm.Stop(10 * time.Second)

	step("creating 6 VMs (3 zones x 2) and their nodes, each with a pod CIDR; node-5's VM without canIpForward")
	for i := 0; i < 6; i++ {
		name, zone := fmt.Sprintf("node-%d", i), zones[i%3]
		if _, err := gce.SeedInstances(fakecompute.InstanceSeed{Name: name, Zone: zone, CanIPForward: i != 5, Tags: []string{"demo-node"}, ExternalIP: true}); err != nil {
			return err
		}
		if err := createNode(ctx, kube, name, "gce://demo/"+zone+"/"+name, fmt.Sprintf("10.64.%d.0/24", i)); err != nil {
			return err
		}
	}
	step("creating Service default/web of type LoadBalancer")
	if err := createService(ctx, kube); err != nil {
		return err
	}
	ip := waitForIP(ctx, kube, 90*time.Second)
	waitForRoutes(ctx, gce, 6, 60*time.Second)
	if err := show(ctx, gce, kube, ip); err != nil {
		return err
	}
	stopTraffic, err := traffic(ctx, gce, ip)
	if err != nil {
		return err
	}
	defer stopTraffic()
	kubectl := filepath.Join(k8sBin, "kubectl")
	fmt.Printf(`
The cluster keeps running. Look around:

  %[1]s --kubeconfig %[2]s get nodes -o wide
  %[1]s --kubeconfig %[2]s get svc web
  %[1]s --kubeconfig %[2]s get events -A

  export CLOUDSDK_CONFIG=%[3]s/gcloud CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE=%[4]s/compute/v1/
  export CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true CLOUDSDK_CORE_PROJECT=demo CLOUDSDK_CORE_CHECK_GCE_METADATA=false
  gcloud compute routes list
  gcloud compute target-pools list
  gcloud compute forwarding-rules list

Controller log: %[5]s
Press Ctrl-C to stop and clean up everything.
`, kubectl, cp.KubeconfigPath, dir, gce.URL, ccm.LogPath)
	<-ctx.Done()
	step("stopping")
	return nil
}

func step(s string) { fmt.Printf("==> %s\n", s) }

func createNode(ctx context.Context, kube kubernetes.Interface, name, providerID, cidr string) error {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeSpec{ProviderID: providerID, PodCIDR: cidr, PodCIDRs: []string{cidr}}}
	n, err := kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	n.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue, Reason: "KubeletReady",
		LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
	_, err = kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	return err
}

func createService(ctx context.Context, kube kubernetes.Interface) error {
	svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "web"},
			Ports: []v1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: v1.ProtocolTCP}}}}
	_, err := kube.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{})
	return err
}

func waitForIP(ctx context.Context, kube kubernetes.Interface, timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		s, err := kube.CoreV1().Services("default").Get(ctx, "web", metav1.GetOptions{})
		if err == nil && len(s.Status.LoadBalancer.Ingress) > 0 {
			return s.Status.LoadBalancer.Ingress[0].IP
		}
		time.Sleep(500 * time.Millisecond)
	}
	return ""
}

func waitForRoutes(ctx context.Context, gce *harness.Emulator, n int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		ours := 0
		for _, raw := range gce.Dump()["projects/demo/global/routes"] {
			var r compute.Route
			if json.Unmarshal(raw, &r) == nil && !fakecompute.IsSystemRoute(&r) {
				ours++ // not the network's own routes
			}
		}
		if ours >= n {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// show prints what the controller made, read back through the GCE API.
func show(ctx context.Context, gce *harness.Emulator, kube kubernetes.Interface, ip string) error {
	svc, err := compute.NewService(ctx, option.WithEndpoint(gce.URL+"/compute/v1/"), option.WithoutAuthentication())
	if err != nil {
		return err
	}
	routes, err := svc.Routes.List("demo").Context(ctx).Do()
	if err != nil {
		return err
	}
	step("VPC routes (one per node pod CIDR, next hop = the node's VM)")
	var lines []string
	for _, r := range routes.Items {
		if r.NextHopInstance == "" {
			continue // the network's own routes (to the internet, to each subnet)
		}
		warn := ""
		for _, w := range r.Warnings {
			warn += "  [" + w.Code + "]"
		}
		lines = append(lines, fmt.Sprintf("    %-16s -> %-8s %s%s", r.DestRange, lastSeg(r.NextHopInstance), r.Name, warn))
	}
	sort.Strings(lines)
	fmt.Println(strings.Join(lines, "\n"))
	nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	step("node conditions")
	for _, n := range nodes.Items {
		var conds []string
		for _, c := range n.Status.Conditions {
			if c.Type != v1.NodeReady {
				conds = append(conds, fmt.Sprintf("%s=%s(%s)", c.Type, c.Status, c.Reason))
			}
		}
		fmt.Printf("    %-8s %s\n", n.Name, strings.Join(conds, " "))
	}
	pools, err := svc.TargetPools.AggregatedList("demo").Context(ctx).Do()
	if err == nil {
		step("target pools")
		for _, sl := range pools.Items {
			for _, p := range sl.TargetPools {
				var members []string
				for _, m := range p.Instances {
					members = append(members, lastSeg(m))
				}
				sort.Strings(members)
				fmt.Printf("    %s  affinity=%s  health=%v\n      instances: %s\n", p.Name, p.SessionAffinity, lastSegs(p.HealthChecks), strings.Join(members, " "))
			}
		}
	}
	frs, err := svc.ForwardingRules.AggregatedList("demo").Context(ctx).Do()
	if err == nil {
		step("forwarding rules")
		for _, sl := range frs.Items {
			for _, f := range sl.ForwardingRules {
				fmt.Printf("    %s  %s %s:%s -> %s\n", f.Name, f.IPProtocol, f.IPAddress, f.PortRange, lastSeg(f.Target))
			}
		}
	}
	if ip != "" {
		step("Service default/web external IP: " + ip)
	} else {
		step("Service default/web has no external IP yet (see the controller log and `kubectl get events`)")
	}
	return nil
}

func lastSeg(s string) string { return s[strings.LastIndex(s, "/")+1:] }

func lastSegs(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = lastSeg(s)
	}
	return out
}
