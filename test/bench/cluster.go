package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/util/retry"

	"github.com/gce-ccm/gce-ccm/test/e2e/harness"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const (
	project     = "bench"
	clusterCIDR = "100.64.0.0/10" // room for 16,384 /24 pod ranges
)

var zones = []string{"us-central1-a", "us-central1-b", "us-central1-c"}

// bench holds what all scenarios share: the API server and its clients.
type bench struct {
	ctx  context.Context
	p    params
	cp   *harness.ControlPlane
	kube kubernetes.Interface
	dir  string
	ctl  controller // the controller manager of the current scenario

	// per scenario
	gce      *harness.Emulator
	ccm      *harness.CCM
	nodes    corelisters.NodeLister
	services corelisters.ServiceLister
	stopInf  context.CancelFunc
	scenario int
}

func newBench(ctx context.Context, p params, cp *harness.ControlPlane, dir string) (*bench, error) {
	cfg := cp.Config()
	cfg.QPS, cfg.Burst = 2000, 4000
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &bench{ctx: ctx, p: p, cp: cp, kube: kube, dir: dir}, nil
}

// world starts a fresh emulator and informers; the CCM starts separately so
// a scenario can prepare the cluster first.
func (b *bench) world() error {
	b.teardown()
	b.scenario++
	g, err := harness.StartEmulator(fakecompute.Options{Project: project, Region: "us-central1", Zones: zones,
		OperationLatency: b.p.latency})
	if err != nil {
		return err
	}
	b.gce = g
	if err := b.nodeSubnet(); err != nil {
		return err
	}
	ictx, cancel := context.WithCancel(b.ctx)
	b.stopInf = cancel
	f := informers.NewSharedInformerFactory(b.kube, 0)
	b.nodes, b.services = f.Core().V1().Nodes().Lister(), f.Core().V1().Services().Lister()
	f.Start(ictx.Done())
	f.WaitForCacheSync(ictx.Done())
	return nil
}

// startCCM starts the current controller manager against the current
// emulator, with the emulator's quotas switched on from that moment.
func (b *bench) startCCM(extra ...string) error {
	b.gce.SetRateLimits(fakecompute.RateLimits{ReadsPerMinute: b.p.readsPerMin, MutationsPerMinute: b.p.writesPerMin})
	dir := filepath.Join(b.dir, fmt.Sprintf("s%d", b.scenario))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	o := harness.CCMOptions{Bin: b.ctl.bin, Dir: dir, Name: b.ctl.Name, Kubeconfig: b.cp.KubeconfigPath,
		Emulator: b.gce, ClusterName: "bench", ClusterCIDR: clusterCIDR, PollInterval: time.Second,
		GCEConfExtra: "node-tags = bench-node\n",
		ExtraArgs:    append(append([]string{}, b.ctl.flags...), extra...)}
	if b.ctl.conf != nil {
		o.GCEConf = b.ctl.conf(b.gce)
	}
	c, err := harness.StartCCM(b.ctx, o)
	if err != nil {
		return err
	}
	b.ccm = c
	go b.sampleHeap(c, fmt.Sprintf("%s-s%d", b.ctl.Name, b.scenario))
	return nil
}

func (b *bench) teardown() {
	if b.ccm != nil {
		b.ccm.Stop(10 * time.Second)
		b.ccm = nil
	}
	if b.stopInf != nil {
		b.stopInf()
	}
	if b.gce != nil {
		b.gce.Stop()
		b.gce = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	svcs, _ := b.kube.CoreV1().Services("default").List(ctx, metav1.ListOptions{LabelSelector: "bench=true"})
	for _, s := range svcs.Items {
		s.Finalizers = nil
		_, _ = b.kube.CoreV1().Services("default").Update(ctx, &s, metav1.UpdateOptions{})
		_ = b.kube.CoreV1().Services("default").Delete(ctx, s.Name, metav1.DeleteOptions{})
	}
	_ = b.kube.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	for ctx.Err() == nil {
		l, err := b.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil && len(l.Items) == 0 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// nodeSubnetName is a /16 for the node VMs: the default /20 holds 4,092.
const nodeSubnetName = "bench-nodes"

// nodeSubnet creates the nodes' subnet through the GCE API, as an operator would.
func (b *bench) nodeSubnet() error {
	svc, err := compute.NewService(b.ctx, option.WithEndpoint(b.gce.URL+"/compute/v1/"), option.WithoutAuthentication())
	if err != nil {
		return err
	}
	op, err := svc.Subnetworks.Insert(project, "us-central1", &compute.Subnetwork{Name: nodeSubnetName,
		Network: "global/networks/default", IpCidrRange: "10.0.0.0/16"}).Context(b.ctx).Do()
	if err != nil {
		return fmt.Errorf("creating the nodes' subnet: %w", err)
	}
	if _, err := svc.RegionOperations.Wait(project, "us-central1", op.Name).Context(b.ctx).Do(); err != nil {
		return err
	}
	return nil
}

func nodeName(i int) string { return fmt.Sprintf("node-%05d", i) }

func podCIDR(i int) string { return fmt.Sprintf("100.%d.%d.0/24", 64+i/256, i%256) }

// addNodes seeds VMs and registers Ready nodes from..to-1 in parallel,
// each with its pod CIDR.
func (b *bench) addNodes(from, to int) error { return b.registerNodes(from, to, true) }

// registerNodes is addNodes; withCIDR false registers them as kubelets do
// when the controller manager allocates pod CIDRs.
func (b *bench) registerNodes(from, to int, withCIDR bool) error {
	seeds := make([]fakecompute.InstanceSeed, 0, to-from)
	for i := from; i < to; i++ {
		seeds = append(seeds, fakecompute.InstanceSeed{Name: nodeName(i), Zone: zones[i%3], CanIPForward: true, Tags: []string{"bench-node"},
			Subnetwork: nodeSubnetName})
	}
	if _, err := b.gce.SeedInstances(seeds...); err != nil {
		return err
	}
	return parallel(32, from, to, func(i int) error {
		n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName(i)}, Spec: v1.NodeSpec{
			ProviderID: "gce://" + project + "/" + zones[i%3] + "/" + nodeName(i)}}
		if withCIDR {
			n.Spec.PodCIDR, n.Spec.PodCIDRs = podCIDR(i), []string{podCIDR(i)}
		}
		n, err := b.kube.CoreV1().Nodes().Create(b.ctx, n, metav1.CreateOptions{})
		if err != nil {
			return err
		}
		// The controllers may write the node first (its pod CIDRs): read
		// it again on a conflict, as a kubelet does.
		return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
			n.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionTrue, Reason: "KubeletReady",
				LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
			_, err := b.kube.CoreV1().Nodes().UpdateStatus(b.ctx, n, metav1.UpdateOptions{})
			if apierrors.IsConflict(err) {
				if fresh, gerr := b.kube.CoreV1().Nodes().Get(b.ctx, n.Name, metav1.GetOptions{}); gerr == nil {
					n = fresh
				}
			}
			return err
		})
	})
}

func (b *bench) deleteNodes(from, to int) error {
	return parallel(32, from, to, func(i int) error {
		return b.kube.CoreV1().Nodes().Delete(b.ctx, nodeName(i), metav1.DeleteOptions{})
	})
}

// addServices creates n LoadBalancer Services (port 80/TCP, and with
// tcpUDP 53/UDP beside it).
func (b *bench) addServices(n int, tcpUDP bool) error {
	ports := []v1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080), Protocol: v1.ProtocolTCP}}
	if tcpUDP {
		ports = append(ports, v1.ServicePort{Name: "dns", Port: 53, TargetPort: intstr.FromInt32(5353), Protocol: v1.ProtocolUDP})
	}
	return parallel(16, 0, n, func(i int) error {
		svc := &v1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc-" + strconv.Itoa(i), Namespace: "default", Labels: map[string]string{"bench": "true"}},
			Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Selector: map[string]string{"app": "x"}, Ports: ports}}
		_, err := b.kube.CoreV1().Services("default").Create(b.ctx, svc, metav1.CreateOptions{})
		return err
	})
}

func parallel(workers, from, to int, f func(i int) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	ch := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ch {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := from; i < to; i++ {
		ch <- i
	}
	close(ch)
	wg.Wait()
	return first
}

// withPodCIDR counts nodes that have their pod CIDRs.
func (b *bench) withPodCIDR() int {
	nodes, _ := b.nodes.List(everything)
	n := 0
	for _, node := range nodes {
		if len(node.Spec.PodCIDRs) > 0 {
			n++
		}
	}
	return n
}

// routesReady counts nodes whose NetworkUnavailable is False (RouteCreated).
func (b *bench) routesReady() int {
	nodes, _ := b.nodes.List(everything)
	n := 0
	for _, node := range nodes {
		for _, c := range node.Status.Conditions {
			if c.Type == v1.NodeNetworkUnavailable && c.Status == v1.ConditionFalse {
				n++
			}
		}
	}
	return n
}

// servicesWithIP counts bench Services that have an external IP.
func (b *bench) servicesWithIP() int {
	svcs, _ := b.services.List(everything)
	n := 0
	for _, s := range svcs {
		if s.Labels["bench"] == "true" && len(s.Status.LoadBalancer.Ingress) > 0 {
			n++
		}
	}
	return n
}

// gceCount counts objects of a collection in the emulator, without
// marshalling them (the bench polls it twice a second: a Dump at 5,000
// nodes and 500 pools of every node is ~250 MB of JSON, held under the
// emulator's lock, and starved the CCM it measures).
func (b *bench) gceCount(collection string) int {
	n := 0
	b.gce.Visit(collection, func(o any) {
		// The network's own routes (to the internet, to each subnet)
		// are not the cluster's.
		if r, ok := o.(*compute.Route); ok && fakecompute.IsSystemRoute(r) {
			return
		}
		n++
	})
	return n
}

// poolMembers is the number of instances summed over every target pool.
func (b *bench) poolMembers() int {
	n := 0
	b.gce.Visit("targetPools", func(o any) { n += len(o.(*compute.TargetPool).Instances) })
	return n
}

// peakRSSMiB reads the CCM's high-water resident set from /proc.
func (b *bench) peakRSSMiB() float64 {
	if b.ccm == nil {
		return 0
	}
	return statusMiB(b.ccm.PID(), "VmHWM:")
}

// statusMiB reads one kB figure of /proc/PID/status in MiB (0 if gone).
func statusMiB(pid int, key string) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, key) {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

// heapProfile saves the CCM's heap profile to $BENCH_HEAP_PROFILE_DIR, when
// set: a developer's aid for the memory goal.
func (b *bench) heapProfile(label string) {
	dir := os.Getenv("BENCH_HEAP_PROFILE_DIR")
	if dir == "" || b.ccm == nil {
		return
	}
	if err := b.saveHeap(b.ccm, filepath.Join(dir, label+".heap.pb.gz")); err != nil {
		fmt.Println("    heap profile:", err)
	}
}

// sampleHeap, with $BENCH_HEAP_PROFILE_DIR set, saves the CCM's heap
// profile every 10 s while it runs and keeps the one taken at the highest
// resident set (<name>-peak.heap.pb.gz): the peak is transient, the
// profile at the end of a scenario does not show it.
func (b *bench) sampleHeap(c *harness.CCM, name string) {
	dir := os.Getenv("BENCH_HEAP_PROFILE_DIR")
	if dir == "" {
		return
	}
	best := 0.0
	for !c.Exited() && b.ctx.Err() == nil {
		time.Sleep(10 * time.Second)
		rss := statusMiB(c.PID(), "VmRSS:")
		if rss <= best {
			continue
		}
		tmp := filepath.Join(dir, name+"-peak.tmp")
		if err := b.saveHeap(c, tmp); err == nil {
			best = rss
			_ = os.Rename(tmp, filepath.Join(dir, name+"-peak.heap.pb.gz"))
			_ = os.WriteFile(filepath.Join(dir, name+"-peak.rss"), []byte(fmt.Sprintf("%.0f MiB\n", rss)), 0o644)
		}
	}
}

func (b *bench) saveHeap(c *harness.CCM, path string) error {
	url := strings.TrimSuffix(c.HealthURL, "/healthz") + "/debug/pprof/heap"
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.cp.Token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}
