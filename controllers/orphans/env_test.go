package orphans_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/record"
	servicehelper "k8s.io/cloud-provider/service/helpers"

	"github.com/gce-ccm/gce-ccm/controllers/orphans"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/inventory"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// The collector's tests run it with the real load balancer and the real
// apiv1 clients against the emulator over loopback; Kubernetes is
// client-go's fake clientset (the Services, the cluster id, the Events).

const (
	cluster   = "prod"
	clusterID = "0123456789abcdef"
	region    = "us-central1"
	zone      = "us-central1-a"
	grace     = time.Minute
)

type env struct {
	t    testing.TB
	ctx  context.Context
	gce  *fakecompute.TestServer
	api  *gceapi.Client
	lb   *lb.LoadBalancers
	kube *fake.Clientset
	c    *orphans.Collector
	rec  record.EventRecorder
	now  time.Time
	// nodes are the cluster's nodes (their VMs in zone).
	nodes []*v1.Node
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo", Region: region})
	api, err := gceapi.New(context.Background(), gceapi.Config{Project: "demo", NetworkProject: "demo", Endpoint: ts.URL,
		ClientOptions:  []option.ClientOption{option.WithoutAuthentication()},
		ReadsPerSecond: 1000, MutationsPerSecond: 1000, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	kube := fake.NewClientset(&v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "ingress-uid"},
		Data: map[string]string{"uid": clusterID, "provider-uid": clusterID}})
	b := record.NewBroadcaster()
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	t.Cleanup(b.Shutdown)
	rec := b.NewRecorder(scheme.Scheme, v1.EventSource{Component: "gce-cloud-controller-manager"})
	l := lb.New(lb.Deps{API: api, Region: region, NetworkURL: "https://www.googleapis.com/compute/v1/projects/demo/global/networks/default",
		VMs: inventory.New(api), Zones: []string{zone}, Recorder: rec, ClusterID: &lb.ConfigMapClusterID{Kube: kube}})
	e := &env{t: t, ctx: context.Background(), gce: ts, api: api, lb: l, kube: kube, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	e.rec = rec
	e.c = e.collector(nil)
	for i := range 2 {
		name := fmt.Sprintf("node-%d", i)
		if _, err := ts.SeedInstances(fakecompute.InstanceSeed{Name: name, Zone: zone, Tags: []string{"node"}}); err != nil {
			t.Fatal(err)
		}
		e.nodes = append(e.nodes, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1.NodeSpec{ProviderID: "gce://demo/" + zone + "/" + name}})
	}
	return e
}

// collector reads Services through services (nil: live).
func (e *env) collector(services corelisters.ServiceLister) *orphans.Collector {
	e.t.Helper()
	c, err := orphans.New(orphans.Options{API: e.api, Region: region, LB: e.lb, Kube: e.kube, Services: services, Recorder: e.rec,
		ClusterName: cluster, Period: 5 * time.Minute, Grace: grace, Now: func() time.Time { return e.now }})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// service is lbtest's Service default/<name> (TCP 80, a UID derived
// from the name) with the service controller's finalizer.
func service(name string, opts ...func(*v1.Service)) *v1.Service {
	return lbtest.Service(name, append([]func(*v1.Service){func(s *v1.Service) {
		s.Finalizers = []string{servicehelper.LoadBalancerCleanupFinalizer}
	}}, opts...)...)
}

var (
	local    = lbtest.WithLocal(30123)
	internal = lbtest.WithAnnotation("networking.gke.io/load-balancer-type", "Internal")
)

// build makes the Service's load balancer as the service controller would
// and, unless gone, stores the Service.
func (e *env) build(svc *v1.Service, stored bool) {
	e.t.Helper()
	if _, err := e.lb.EnsureLoadBalancer(e.ctx, cluster, svc, e.nodes); err != nil {
		e.t.Fatalf("EnsureLoadBalancer(%s): %v", svc.Name, err)
	}
	if stored {
		if _, err := e.kube.CoreV1().Services(svc.Namespace).Create(e.ctx, svc, metav1.CreateOptions{}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// settled waits until no address is reserved any more (the load
// balancer releases <lb> in the background once its rule holds the IP).
func (e *env) settled() {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(e.names()["addresses"]) > 0 {
		if time.Now().After(deadline) {
			e.t.Fatalf("addresses still reserved: %v", e.names()["addresses"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pass runs one pass at the current clock and returns its decisions.
func (e *env) pass() []string {
	e.t.Helper()
	ds, err := e.c.Pass(e.ctx)
	if err != nil {
		e.t.Fatalf("pass: %v", err)
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

var lbCollections = []string{"forwardingRules", "targetPools", "httpHealthChecks", "firewalls", "addresses",
	"instanceGroups", "backendServices", "healthChecks"}

// names lists the load-balancing objects by collection, sorted
// (instance groups as zone/name).
func (e *env) names() map[string][]string {
	out := map[string][]string{}
	for path, objs := range e.gce.Dump() {
		coll := path[strings.LastIndex(path, "/")+1:]
		if !slices.Contains(lbCollections, coll) {
			continue
		}
		for _, raw := range objs {
			var m struct{ Name string }
			if err := json.Unmarshal(raw, &m); err != nil {
				e.t.Fatal(err)
			}
			if m.Name != "default-allow-internal" {
				out[coll] = append(out[coll], m.Name)
			}
		}
		sort.Strings(out[coll])
	}
	return out
}

// lbName is the Service's load balancer's name.
func lbName(svc *v1.Service) string { return "a" + strings.ReplaceAll(string(svc.UID), "-", "")[:31] }
