package lbsync

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

const (
	project = "demo"
	region  = "us-central1"
	zone    = "us-central1-a"
)

// env is the controller on the real provider, a fake clientset and the
// emulator over HTTP; Services are converged by EnsureLoadBalancer, as the
// service controller would, before drift is made.
type env struct {
	t     *testing.T
	ctx   context.Context
	gce   *fakecompute.TestServer
	api   *gceapi.Client
	kube  *fake.Clientset
	lbs   *lb.LoadBalancers
	ctrl  *Controller
	nodes []*v1.Node
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, gce: fakecompute.NewTestServer(t, fakecompute.Options{Project: project}), kube: fake.NewClientset()}
	api, err := gceapi.New(ctx, gceapi.Config{Project: project, Endpoint: e.gce.URL, PollInterval: 10 * time.Millisecond,
		ClientOptions: []option.ClientOption{option.WithoutAuthentication()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	e.api = api
	b := record.NewBroadcaster()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: e.kube.CoreV1().Events("")})
	t.Cleanup(b.Shutdown)
	recorder := b.NewRecorder(scheme.Scheme, v1.EventSource{Component: "test"})
	e.lbs = lb.New(lb.Deps{API: api, Region: region, NetworkURL: "https://www.googleapis.com/compute/v1/projects/demo/global/networks/default",
		NodeTags: []string{"k8s-node"}, VMs: inventory.New(api), Zones: []string{zone}, Recorder: recorder, ClusterID: &lb.ConfigMapClusterID{Kube: e.kube}})
	for i := range 3 {
		name := fmt.Sprintf("node-%d", i)
		if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: name, Zone: zone, CanIPForward: true, Tags: []string{"k8s-node"}}); err != nil {
			t.Fatal(err)
		}
		n, err := e.kube.CoreV1().Nodes().Create(ctx, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: v1.NodeSpec{ProviderID: fmt.Sprintf("gce://%s/%s/%s", project, zone, name)}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		e.nodes = append(e.nodes, n)
	}
	f := informers.NewSharedInformerFactory(e.kube, time.Hour)
	svcs, nodes := f.Core().V1().Services(), f.Core().V1().Nodes()
	e.ctrl, err = New(Options{LB: e.lbs, Client: e.kube, Services: svcs.Lister(), Nodes: nodes.Lister(),
		Recorder: recorder, ClusterName: "prod", Period: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	return e
}

// service creates a Service and converges its load balancer as the
// service controller does (EnsureLoadBalancer, status, finalizer).
func (e *env) service(svc *v1.Service) *v1.Service {
	e.t.Helper()
	svc.Finalizers = []string{lbFinalizer}
	st, err := e.lbs.EnsureLoadBalancer(e.ctx, "prod", svc, e.nodes)
	if err != nil {
		e.t.Fatal(err)
	}
	svc.Status.LoadBalancer = *st
	out, err := e.kube.CoreV1().Services(svc.Namespace).Create(e.ctx, svc, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("the Service in the cache", func() bool {
		_, err := e.ctrl.o.Services.Services(svc.Namespace).Get(svc.Name)
		return err == nil
	})
	return out
}

func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// events are the Service's events as "reason: message".
func (e *env) events(svc *v1.Service) []string {
	evs, err := e.kube.CoreV1().Events("").List(e.ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs.Items {
		if ev.InvolvedObject.Name == svc.Name {
			out = append(out, ev.Reason+": "+ev.Message)
		}
	}
	return out
}

func (e *env) writes() int64 { return e.gce.Stats().Mutations }

func TestEveryLoadBalancerDriftIsRepaired(t *testing.T) {
	e := newEnv(t)
	cluster := e.service(lbtest.Service("web"))
	local := e.service(lbtest.Service("local", lbtest.WithLocal(30080)))
	name := cloudprovider.DefaultLoadBalancerName(cluster)
	localName := cloudprovider.DefaultLoadBalancerName(local)

	// Converged: a pass writes nothing.
	// EnsureLoadBalancer releases the address it held while it made the
	// rule (the IP is ephemeral) after it returns.
	e.waitFor("the creations' addresses released", func() bool {
		as, err := e.api.ListAddresses(e.ctx, region, "")
		return err == nil && len(as) == 0
	})
	e.gce.ResetStats()
	e.ctrl.Pass(e.ctx)
	if n := e.writes(); n != 0 {
		t.Fatalf("a pass over converged load balancers wrote %d times: %v", n, e.gce.Stats().Calls)
	}

	for _, tc := range []struct {
		name  string
		kind  drift.Kind
		drift func() error
		check func() error
	}{
		{"pool member removed", drift.PoolMembers, func() error {
			return e.api.RemoveTargetPoolInstances(e.ctx, region, name, []string{vmURL("node-1")})
		}, func() error { return poolHas(e, name, 3) }},
		{"health check detached", drift.PoolCheck, func() error {
			tp, err := poolNamed(e, localName)
			if err != nil {
				return err
			}
			return e.api.RemoveTargetPoolHealthCheck(e.ctx, region, localName, tp.GetHealthChecks()[0])
		}, func() error {
			tp, err := poolNamed(e, localName)
			if err == nil && len(tp.GetHealthChecks()) != 1 {
				err = fmt.Errorf("pool %s has checks %v", localName, tp.GetHealthChecks())
			}
			return err
		}},
		{"firewall widened", drift.Firewall, func() error {
			return e.api.PatchFirewall(e.ctx, "k8s-fw-"+name, &computepb.Firewall{SourceRanges: []string{"0.0.0.0/0", "10.0.0.0/8"}})
		}, func() error {
			fw, err := e.api.GetFirewall(e.ctx, "k8s-fw-"+name)
			if err == nil && strings.Join(fw.GetSourceRanges(), ",") != "0.0.0.0/0" {
				err = fmt.Errorf("firewall sources %v", fw.GetSourceRanges())
			}
			return err
		}},
		{"a VM that is no node added to the pool", drift.PoolMembers, func() error {
			if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: "stranger", Zone: zone}); err != nil {
				return err
			}
			return e.api.AddTargetPoolInstances(e.ctx, region, name, []string{vmURL("stranger")})
		}, func() error { return poolHas(e, name, 3) }},
		{"health check changed", drift.Check, func() error {
			hc, err := e.api.GetHTTPHealthCheck(e.ctx, localName)
			if err != nil {
				return err
			}
			hc.Port = 8080
			return e.api.UpdateHTTPHealthCheck(e.ctx, hc)
		}, func() error {
			hc, err := e.api.GetHTTPHealthCheck(e.ctx, localName)
			if err == nil && hc.Port != 30080 {
				err = fmt.Errorf("check %s port %d", localName, hc.Port)
			}
			return err
		}},
		{"firewall deleted", drift.Firewall, func() error { return e.api.DeleteFirewall(e.ctx, "k8s-fw-"+localName) },
			func() error { _, err := e.api.GetFirewall(e.ctx, "k8s-fw-"+localName); return err }},
		{"forwarding rule deleted", drift.Rule, func() error {
			if err := e.api.DeleteForwardingRule(e.ctx, region, name); err != nil {
				return err
			}
			// Someone takes the freed ephemeral IP meanwhile, as happens in
			// GCE: the rule cannot get it back.
			return e.api.InsertAddress(e.ctx, region, &computepb.Address{Name: proto.String("someone-else"), Address: proto.String(cluster.Status.LoadBalancer.Ingress[0].IP)})
		},
			func() error { _, err := e.api.GetForwardingRule(e.ctx, region, name); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) { e.repairedByOnePass(t, tc.kind, tc.drift, tc.check) })
	}

	// The deleted rule took its ephemeral IP: the new one is in the
	// Service's status, and Events say what was repaired and that the IP changed.
	rule, err := e.api.GetForwardingRule(e.ctx, region, name)
	if err != nil {
		t.Fatal(err)
	}
	e.waitFor("the new IP in the Service's status", func() bool {
		s, err := e.kube.CoreV1().Services("default").Get(e.ctx, "web", metav1.GetOptions{})
		return err == nil && len(s.Status.LoadBalancer.Ingress) == 1 && s.Status.LoadBalancer.Ingress[0].IP == rule.GetIPAddress()
	})
	if rule.GetIPAddress() == cluster.Status.LoadBalancer.Ingress[0].IP {
		t.Errorf("the emulator gave the same ephemeral IP again (%s): the IP change is not exercised", rule.GetIPAddress())
	}
	defer func() {
		if t.Failed() {
			t.Logf("events of web: %q", e.events(cluster))
		}
	}()
	e.waitFor("LoadBalancerRepaired and LoadBalancerIPChanged events on web", func() bool {
		got := strings.Join(e.events(cluster), "\n")
		return strings.Contains(got, "forwarding rule "+name+" was missing: created it") && !strings.Contains(got, "address "+name) &&
			strings.Contains(got, ReasonIPChanged+": the load balancer's IP changed from "+cluster.Status.LoadBalancer.Ingress[0].IP+" to "+rule.GetIPAddress())
	})
}

// repairedByOnePass makes the drift, runs a pass and checks the repair: the
// state (check), the counter of its kind, and a second pass with nothing
// left to write.
func (e *env) repairedByOnePass(t *testing.T, kind drift.Kind, makeDrift, check func() error) {
	t.Helper()
	repairs := drift.Repairs(kind)
	if err := makeDrift(); err != nil {
		t.Fatal(err)
	}
	e.ctrl.Pass(e.ctx)
	if err := check(); err != nil {
		t.Fatalf("not repaired: %v", err)
	}
	if n := drift.Repairs(kind); n <= repairs {
		t.Errorf("gce_ccm_drift_repairs_total{kind=%q} did not grow", kind)
	}
	before := e.writes()
	e.ctrl.Pass(e.ctx)
	if n := e.writes() - before; n != 0 {
		t.Errorf("the pass after the repair wrote %d times", n)
	}
}

func TestServicesNotEnsuredAreLeftToTheServiceController(t *testing.T) {
	e := newEnv(t)
	svc := lbtest.Service("web")
	cls := "example.com/other"
	for _, s := range []*v1.Service{
		svc, // no finalizer yet: the service controller has not made it
		lbtest.Service("classed", func(s *v1.Service) { s.Spec.LoadBalancerClass = &cls; s.Finalizers = []string{lbFinalizer} }),
		lbtest.Service("cluster-ip", func(s *v1.Service) { s.Spec.Type = v1.ServiceTypeClusterIP }),
	} {
		if _, err := e.kube.CoreV1().Services(s.Namespace).Create(e.ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.waitFor("three Services in the cache", func() bool {
		l, _ := e.ctrl.o.Services.List(everything())
		return len(l) == 3
	})
	e.ctrl.Pass(e.ctx)
	if st := e.gce.Stats(); st.Mutations != 0 {
		t.Errorf("%d writes for Services the service controller has not ensured", st.Mutations)
	}
}

func vmURL(name string) string {
	return fmt.Sprintf("https://www.googleapis.com/compute/v1/projects/%s/zones/%s/instances/%s", project, zone, name)
}

// poolNamed reads one target pool from a filtered list, as the load balancer
// does (the API layer has no single-pool read).
func poolNamed(e *env, name string) (*computepb.TargetPool, error) {
	pools, err := e.api.ListTargetPools(e.ctx, region, fmt.Sprintf(`name eq "%s"`, name))
	if err != nil {
		return nil, err
	}
	if len(pools) != 1 {
		return nil, fmt.Errorf("target pool %s: %d found", name, len(pools))
	}
	return pools[0], nil
}

func poolHas(e *env, pool string, n int) error {
	tp, err := poolNamed(e, pool)
	if err == nil && len(tp.GetInstances()) != n {
		err = fmt.Errorf("pool %s has %d members, want %d", pool, len(tp.GetInstances()), n)
	}
	return err
}
