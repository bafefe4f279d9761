package ilb_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/ilb"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// The tests run the controller against the emulator over loopback with
// the real apiv1 client: node VMs in two zones of us-central1.

const (
	cluster   = "prod"
	clusterID = "0123456789abcdef"
	region    = "us-central1"
	zoneA     = "us-central1-a"
	zoneB     = "us-central1-b"
	base      = "https://www.googleapis.com/compute/v1/projects/demo/"
)

type env struct {
	t   *testing.T
	ctx context.Context
	gce *fakecompute.TestServer
	api *gceapi.Client
	c   *ilb.Controller
	// hosts are the eligible nodes by zone.
	hosts map[string][]string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: "demo", Region: region})
	api, err := gceapi.New(context.Background(), gceapi.Config{Project: "demo", Endpoint: ts.URL,
		ClientOptions: []option.ClientOption{option.WithoutAuthentication()},
		BaseBackoff:   time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: 10 * time.Millisecond,
		ReadsPerSecond: 1000, MutationsPerSecond: 1000, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	e := &env{t: t, ctx: context.Background(), gce: ts, api: api, hosts: map[string][]string{},
		c: &ilb.Controller{API: api, Project: "demo", Region: region, Zones: []string{zoneA, zoneB, "us-central1-c"},
			Network: base + "global/networks/default", Cluster: cluster}}
	e.addNodes(zoneA, "node-a1", "node-a2")
	e.addNodes(zoneB, "node-b1")
	return e
}

func (e *env) addNodes(zone string, names ...string) {
	e.t.Helper()
	for _, n := range names {
		if _, err := e.gce.SeedInstances(fakecompute.InstanceSeed{Name: n, Zone: zone, Tags: []string{"k8s-node"}}); err != nil {
			e.t.Fatal(err)
		}
		e.hosts[zone] = append(e.hosts[zone], base+"zones/"+zone+"/instances/"+n)
		slices.Sort(e.hosts[zone])
	}
}

// service is an internal TCP Service on port 80.
func service(name string, opts ...func(*v1.Service)) *v1.Service {
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name),
			Annotations: map[string]string{"networking.gke.io/load-balancer-type": "Internal"}},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: v1.ServiceExternalTrafficPolicyCluster,
			Ports: []v1.ServicePort{{Name: "p80", Port: 80, Protocol: v1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}}},
	}
	for _, o := range opts {
		o(svc)
	}
	return svc
}

func withLocal(port int32) func(*v1.Service) {
	return func(s *v1.Service) {
		s.Spec.ExternalTrafficPolicy, s.Spec.HealthCheckNodePort = v1.ServiceExternalTrafficPolicyLocal, port
	}
}

func withPorts(ports ...v1.ServicePort) func(*v1.Service) {
	return func(s *v1.Service) { s.Spec.Ports = ports }
}

func port(proto v1.Protocol, n int32) v1.ServicePort {
	return v1.ServicePort{Name: fmt.Sprintf("%s-%d", strings.ToLower(string(proto)), n), Port: n, Protocol: proto}
}

func withAnnotation(k, v string) func(*v1.Service) {
	return func(s *v1.Service) { s.Annotations[k] = v }
}

func lbName(svc *v1.Service) string { return "a" + strings.ReplaceAll(string(svc.UID), "-", "") }

func (e *env) request(svc *v1.Service) ilb.Request {
	return ilb.Request{Service: svc, LB: lbName(svc), ClusterID: clusterID, Hosts: e.hosts, Tags: []string{"k8s-node"}}
}

func (e *env) ensure(svc *v1.Service) ilb.Result {
	e.t.Helper()
	r, err := e.c.Ensure(e.ctx, e.request(svc))
	if err != nil {
		e.t.Fatalf("ensure %s: %v", svc.Name, err)
	}
	return r
}

func (e *env) delete(svc *v1.Service) {
	e.t.Helper()
	if err := e.c.Delete(e.ctx, svc, lbName(svc), clusterID); err != nil {
		e.t.Fatalf("delete %s: %v", svc.Name, err)
	}
}

// state is every load-balancing object in the project, one line each,
// with the fields that matter.
func (e *env) state() []string {
	e.t.Helper()
	var out []string
	short := gceref.Name
	for _, z := range e.c.Zones {
		igs, err := e.api.ListInstanceGroups(e.ctx, z, "")
		if err != nil {
			e.t.Fatal(err)
		}
		for _, ig := range igs {
			m, err := e.api.ListGroupInstances(e.ctx, z, ig.GetName())
			if err != nil {
				e.t.Fatal(err)
			}
			names := make([]string, len(m))
			for i, u := range m {
				names[i] = short(u)
			}
			slices.Sort(names)
			out = append(out, fmt.Sprintf("group %s/%s %v", z, ig.GetName(), names))
		}
	}
	bss, err := e.api.ListBackendServices(e.ctx, region, "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, b := range bss {
		var groups []string
		for _, be := range b.GetBackends() {
			groups = append(groups, strings.TrimPrefix(be.GetGroup(), base))
		}
		slices.Sort(groups)
		out = append(out, fmt.Sprintf("backend %s %s %s check=%s %v", b.GetName(), b.GetProtocol(), b.GetSessionAffinity(),
			short(b.GetHealthChecks()[0]), groups))
	}
	hcs, err := e.api.ListHealthChecks(e.ctx, "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, hc := range hcs {
		out = append(out, fmt.Sprintf("check %s %s:%d%s", hc.GetName(), hc.GetType(), hc.GetHttpHealthCheck().GetPort(), hc.GetHttpHealthCheck().GetRequestPath()))
	}
	fws, err := e.api.ListFirewalls(e.ctx, "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, fw := range fws {
		var allowed []string
		for _, a := range fw.GetAllowed() {
			allowed = append(allowed, a.GetIPProtocol()+":"+strings.Join(a.GetPorts(), ","))
		}
		out = append(out, fmt.Sprintf("firewall %s %v from %v to %v tags %v", fw.GetName(), allowed, fw.GetSourceRanges(), fw.GetDestinationRanges(), fw.GetTargetTags()))
	}
	rules, err := e.api.ListForwardingRules(e.ctx, region, "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rules {
		ports := strings.Join(r.GetPorts(), ",")
		if r.GetAllPorts() {
			ports = "all"
		}
		out = append(out, fmt.Sprintf("rule %s %s %s %s:%s -> %s global=%v", r.GetName(), r.GetLoadBalancingScheme(), r.GetIPProtocol(), r.GetIPAddress(), ports,
			short(r.GetBackendService()), r.GetAllowGlobalAccess()))
	}
	addrs, err := e.api.ListAddresses(e.ctx, region, "")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range addrs {
		out = append(out, fmt.Sprintf("address %s %s %s %s", a.GetName(), a.GetAddressType(), a.GetAddress(), a.GetPurpose()))
	}
	return out
}

// mutations is how many writes the emulator saw since the last reset.
func (e *env) mutations() int64 { return e.gce.Stats().Mutations }
