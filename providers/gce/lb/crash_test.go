package lb

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Crash consistency: for every write a call makes, make GCE fail exactly
// that write (answered 400, or accepted and its operation failed, which is
// what a crash right after submitting looks like), then run the call again
// without faults. The end state must be exactly the state of a run that
// never failed: nothing leaked, nothing missing, the same IP.

type crashCase struct {
	name  string
	nodes int                                                // VMs seeded; 3 if 0
	setup func(t *testing.T, e *lbTestEnv, nodes []*v1.Node) // the state before the call
	call  func(e *lbTestEnv, nodes []*v1.Node) error
	// only, if set, picks the writes to fail: those whose path it matches,
	// exactly picked of them. The other writes of the call are failed by a
	// case that makes them with fewer nodes.
	only   *regexp.Regexp
	picked int
}

func ensureCall(svc func() *v1.Service) func(e *lbTestEnv, nodes []*v1.Node) error {
	return func(e *lbTestEnv, nodes []*v1.Node) error {
		_, err := e.lb.EnsureLoadBalancer(context.Background(), testCluster, svc(), nodes)
		e.lb.settle()
		return err
	}
}

func deleteCall(svc func() *v1.Service) func(e *lbTestEnv, nodes []*v1.Node) error {
	return func(e *lbTestEnv, _ []*v1.Node) error {
		return e.lb.EnsureLoadBalancerDeleted(context.Background(), testCluster, svc())
	}
}

func existing(svcs ...*v1.Service) func(t *testing.T, e *lbTestEnv, nodes []*v1.Node) {
	return func(t *testing.T, e *lbTestEnv, nodes []*v1.Node) {
		for _, s := range svcs {
			e.ensure(t, s, nodes)
		}
	}
}

func svcOf(opts ...func(*v1.Service)) func() *v1.Service {
	return func() *v1.Service { return lbtest.Service("web", opts...) }
}

var crashCases = []crashCase{
	{name: "create", call: ensureCall(svcOf())},
	{name: "create local", call: ensureCall(svcOf(lbtest.WithLocal(30123)))},
	{name: "create TCP+UDP", call: ensureCall(svcOf(lbtest.WithPorts(lbtest.TCP(53), lbtest.UDP(53))))},
	// More nodes than one pool call takes (plan.MaxPoolUpdate): the pool is
	// made with the first 1,000 and addInstance adds the rest, the two writes
	// that "create" with 3 nodes does not make as they are here; its address,
	// firewall, check, rule and release writes are "create"'s, and failing
	// them with 1,200 seeded VMs cost 10 of the 14 runs of this case (each
	// seeds and lists 1,200 VMs twice) for no other path.
	{name: "create with 1,200 nodes", nodes: 1200, call: ensureCall(svcOf()), only: regexp.MustCompile(`/targetPools(/[^/]+/addInstance)?$`), picked: 2},
	{name: "ports change", setup: existing(lbtest.Service("web")), call: ensureCall(svcOf(lbtest.WithPorts(lbtest.TCP(8080))))},
	{name: "second protocol", setup: existing(lbtest.Service("web")), call: ensureCall(svcOf(lbtest.WithPorts(lbtest.TCP(80), lbtest.UDP(80))))},
	{name: "traffic policy to Local", setup: existing(lbtest.Service("web")), call: ensureCall(svcOf(lbtest.WithLocal(30123)))},
	{name: "traffic policy to Cluster", setup: existing(lbtest.Service("web", lbtest.WithLocal(30123))), call: ensureCall(svcOf())},
	{name: "session affinity", setup: existing(lbtest.Service("web")), call: ensureCall(svcOf(lbtest.WithAffinity))},
	{name: "network tier", setup: existing(lbtest.Service("web")), call: ensureCall(svcOf(lbtest.WithAnnotation(plan.AnnNetworkTier, "Standard")))},
	{name: "delete, last user of the shared check", setup: existing(lbtest.Service("web")), call: deleteCall(svcOf())},
	{name: "delete, shared check still used", setup: existing(lbtest.Service("web"), lbtest.Service("api")), call: deleteCall(svcOf())},
	{name: "delete local", setup: existing(lbtest.Service("web", lbtest.WithLocal(30123))), call: deleteCall(svcOf(lbtest.WithLocal(30123)))},
	{name: "delete TCP+UDP", setup: existing(lbtest.Service("web", lbtest.WithPorts(lbtest.TCP(53), lbtest.UDP(53)))), call: deleteCall(svcOf())},
}

// write is one mutating request of a run.
type write struct{ method, path string }

func (e *lbTestEnv) writes() []write {
	var out []write
	seen := map[write]bool{}
	for _, l := range e.gce.RequestLog() {
		w := write{l.Method, l.Path}
		if l.Method == "GET" || regexp.MustCompile(`Operations\.wait$`).MatchString(l.MethodID) || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

func crashEnv(t *testing.T, c crashCase) (*lbTestEnv, []*v1.Node) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	n := c.nodes
	if n == 0 {
		n = 3
	}
	nodes := e.seedNodes(t, "us-central1-a", 0, n)
	if c.setup != nil {
		c.setup(t, e, nodes)
	}
	e.gce.ResetStats()
	return e, nodes
}

func TestLBCrashConsistency(t *testing.T) {
	for _, c := range crashCases {
		t.Run(c.name, func(t *testing.T) {
			ref, nodes := crashEnv(t, c)
			if err := c.call(ref, nodes); err != nil {
				t.Fatalf("reference run: %v", err)
			}
			want, writes := ref.lbState(t), ref.writes()
			if len(writes) == 0 {
				t.Fatal("the call wrote nothing")
			}
			if c.only != nil {
				if n := len(slices.DeleteFunc(slices.Clone(writes), func(w write) bool { return !c.only.MatchString(w.path) })); n != c.picked {
					t.Fatalf("%d writes match %v, want %d: %v", n, c.only, c.picked, writes)
				}
			}
			for k, w := range writes {
				if c.only != nil && !c.only.MatchString(w.path) {
					continue
				}
				for _, mode := range []string{"refused", "operation failed"} {
					t.Run(fmt.Sprintf("%d %s %s %s", k+1, w.method, w.path[len("/compute/v1/projects/demo/"):], mode), func(t *testing.T) {
						e, nodes := crashEnv(t, c)
						rule := fakecompute.FaultRule{Method: w.method, PathRegexp: "^" + regexp.QuoteMeta(w.path) + "$", Code: 400, Count: 1}
						if mode == "operation failed" {
							rule.Code, rule.FailOperation = 503, true
						}
						if err := e.gce.SetFaults(rule); err != nil {
							t.Fatal(err)
						}
						// The call fails, or (the address release, which
						// runs after the sync returns) reports it.
						_ = c.call(e, nodes)
						if f := e.gce.Faults(); f[0].Hits != 1 {
							t.Fatalf("the fault on write %d did not fire", k+1)
						}
						if _, exists, err := e.lb.GetLoadBalancer(context.Background(), testCluster, lbtest.Service("web")); err != nil || (!exists && len(e.lbState(t)) > 0 && len(want) == 0) {
							t.Errorf("remains of a stopped deletion not reported: exists %v, %v, %v", exists, err, e.names(t))
						}
						if err := e.gce.SetFaults(); err != nil {
							t.Fatal(err)
						}
						if err := c.call(e, nodes); err != nil {
							t.Fatalf("run after the failure: %v", err)
						}
						if d := cmp.Diff(want, e.lbState(t)); d != "" {
							t.Errorf("end state differs from a run without failure (-want +got):\n%s", d)
						}
					})
				}
			}
		})
	}
}
