package ilb_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/ilb"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Crash consistency: for every write a call makes, GCE fails exactly that
// write (refused, or accepted with a failed operation, as after a crash
// right after submitting), then the call runs again without faults. The
// end state must be exactly that of a run that never failed.

type crashCase struct {
	name  string
	setup []*v1.Service // ensured before the call
	call  func(e *env) error
}

func ensureCall(svc *v1.Service) func(e *env) error {
	return func(e *env) error { _, err := e.c.Ensure(e.ctx, e.request(svc)); return err }
}

func deleteCall(svc *v1.Service) func(e *env) error {
	return func(e *env) error { return e.c.Delete(e.ctx, svc, lbName(svc), clusterID) }
}

var crashCases = []crashCase{
	{name: "create", call: ensureCall(service("web"))},
	{name: "create local", call: ensureCall(service("web", withLocal(30123)))},
	{name: "create TCP+UDP", call: ensureCall(service("web", withPorts(port(v1.ProtocolTCP, 53), port(v1.ProtocolUDP, 53))))},
	{name: "to Local", setup: []*v1.Service{service("web")}, call: ensureCall(service("web", withLocal(30123)))},
	{name: "to Cluster", setup: []*v1.Service{service("web", withLocal(30123))}, call: ensureCall(service("web"))},
	{name: "global access on", setup: []*v1.Service{service("web")}, call: ensureCall(service("web", withAnnotation(ilb.AnnGlobalAccess, "true")))},
	{name: "ports change", setup: []*v1.Service{service("web")}, call: ensureCall(service("web", withPorts(port(v1.ProtocolTCP, 8080))))},
	{name: "delete, last user", setup: []*v1.Service{service("web")}, call: deleteCall(service("web"))},
	{name: "delete, shared objects still used", setup: []*v1.Service{service("web"), service("api")}, call: deleteCall(service("web"))},
	{name: "delete TCP+UDP", setup: []*v1.Service{service("web", withPorts(port(v1.ProtocolTCP, 53), port(v1.ProtocolUDP, 53)))}, call: deleteCall(service("web"))},
}

type write struct{ method, path string }

func (e *env) writes() []write {
	var out []write
	seen := map[write]bool{}
	for _, l := range e.gce.RequestLog() {
		w := write{l.Method, l.Path}
		if l.Method == "GET" || regexp.MustCompile(`Operations\.wait$|listInstances$`).MatchString(l.MethodID) || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

func crashEnv(t *testing.T, c crashCase) *env {
	e := newEnv(t)
	for _, s := range c.setup {
		e.ensure(s)
	}
	e.gce.ResetStats()
	return e
}

func TestCrashConsistency(t *testing.T) {
	for _, c := range crashCases {
		t.Run(c.name, func(t *testing.T) {
			ref := crashEnv(t, c)
			if err := c.call(ref); err != nil {
				t.Fatalf("reference run: %v", err)
			}
			want, writes := ref.state(), ref.writes()
			if len(writes) == 0 {
				t.Fatal("the call wrote nothing")
			}
			for k, w := range writes {
				for _, mode := range []string{"refused", "operation failed"} {
					t.Run(fmt.Sprintf("%d %s %s %s", k+1, w.method, w.path[len("/compute/v1/projects/demo/"):], mode), func(t *testing.T) {
						e := crashEnv(t, c)
						rule := fakecompute.FaultRule{Method: w.method, PathRegexp: "^" + regexp.QuoteMeta(w.path) + "$", Code: 400, Count: 1}
						if mode == "operation failed" {
							rule.Code, rule.FailOperation = 503, true
						}
						if err := e.gce.SetFaults(rule); err != nil {
							t.Fatal(err)
						}
						if err := c.call(e); err == nil {
							t.Fatalf("the call succeeded though write %d failed", k+1)
						}
						if f := e.gce.Faults(); f[0].Hits != 1 {
							t.Fatalf("the fault on write %d did not fire", k+1)
						}
						if err := e.gce.SetFaults(); err != nil {
							t.Fatal(err)
						}
						if err := c.call(e); err != nil {
							t.Fatalf("run after the failure: %v", err)
						}
						if d := cmp.Diff(want, e.state()); d != "" {
							t.Errorf("end state differs from a run without failure (-want +got):\n%s", d)
						}
					})
				}
			}
		})
	}
}
