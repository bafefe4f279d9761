package plan

import (
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
	v1 "k8s.io/api/core/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
)

// The cluster's shared health check and its firewall as plan steps: which
// steps declare which re-read, and what the decisions taken on that
// re-read say.

// rechecks maps each step's key to its declared re-read.
func rechecks(as []Action) map[string]Recheck {
	out := map[string]Recheck{}
	for _, a := range as {
		out[a.Key] = a.Recheck
	}
	return out
}

func TestPlanSharedCheckSteps(t *testing.T) {
	local := lbtest.WithLocal(30123)
	for _, tc := range []struct {
		name   string
		from   []func(*v1.Service) // built before; nil: nothing
		to     []func(*v1.Service)
		tweak  func(in *Input)
		delete bool // plan the deletion instead
		want   map[string]Recheck
	}{{
		name: "Cluster from nothing: the shared check and its firewall are re-read before they are written",
		want: map[string]Recheck{"create-check " + nodeHC: RecheckCurrent, "create-firewall " + nodeFW: RecheckCurrent},
	}, {
		name: "Local from nothing: the Service's own check needs no re-read",
		to:   []func(*v1.Service){local},
		want: map[string]Recheck{"create-check " + webLB: RecheckNone, "create-firewall k8s-" + webLB + "-http-hc": RecheckNone},
	}, {
		name: "Cluster to Local: the shared check is deleted only if still unused at apply",
		from: []func(*v1.Service){}, to: []func(*v1.Service){local},
		want: map[string]Recheck{"delete-check " + nodeHC: RecheckUnused},
	}, {
		name: "Cluster to Local while another pool uses it: no delete step at all",
		from: []func(*v1.Service){}, to: []func(*v1.Service){local}, tweak: func(in *Input) { in.NodesCheckInUse = true },
		want: map[string]Recheck{"delete-check " + nodeHC: -1},
	}, {
		name: "Local to Cluster: the own check goes as seen, the shared one is re-read",
		from: []func(*v1.Service){local},
		want: map[string]Recheck{"delete-check " + webLB: RecheckNone, "create-check " + nodeHC: RecheckCurrent},
	}, {
		name: "deleting a Cluster Service: the shared check is deleted only if unused at apply",
		from: []func(*v1.Service){}, delete: true,
		want: map[string]Recheck{"delete-check " + nodeHC: RecheckUnused},
	}, {
		name: "deleting a Local Service: its own check goes as seen",
		from: []func(*v1.Service){local}, delete: true,
		want: map[string]Recheck{"delete-check " + webLB: RecheckNone},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			in := pureInput(t, 2, tc.to...)
			if tc.from != nil {
				in.Seen = built(t, pureInput(t, 2, tc.from...))
			}
			if tc.tweak != nil {
				tc.tweak(&in)
			}
			var actions []Action
			if tc.delete {
				actions = Delete(in, false)
			} else {
				p, err := Build(in)
				if err != nil {
					t.Fatal(err)
				}
				actions = p.Actions
			}
			got := rechecks(actions)
			for key, want := range tc.want {
				r, ok := got[key]
				switch {
				case want == -1 && ok:
					t.Errorf("step %q planned; want none (plan %v)", key, actionStrings(actions))
				case want != -1 && !ok:
					t.Errorf("no step %q (plan %v)", key, actionStrings(actions))
				case want != -1 && r != want:
					t.Errorf("step %q re-reads %v, want %v", key, r, want)
				}
			}
		})
	}
}

func TestSharedCheckWrite(t *testing.T) {
	want := WantCheck(checkSpec{Name: nodeHC, Port: nodesCheckPort, Description: "d"}, nil)
	raised := *want
	raised.CheckIntervalSec, raised.UnhealthyThreshold = 30, 5
	wrongPort := *want
	wrongPort.Port = 1
	wrongPortRaised := raised
	wrongPortRaised.Port = 1
	for _, tc := range []struct {
		name   string
		have   *computev1.HttpHealthCheck
		wantOp Op
		wantHC *computev1.HttpHealthCheck
	}{
		{"missing: created", nil, OpCreateCheck, want},
		{"as wanted (written by another Service meanwhile): nothing", want, "", nil},
		{"a user raised values: kept, nothing to write", &raised, "", nil},
		{"wrong port: updated", &wrongPort, OpUpdateCheck, want},
		{"wrong port, raised values: updated keeping them", &wrongPortRaised, OpUpdateCheck, &raised},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, hc := SharedCheckWrite(tc.have, want)
			if op != tc.wantOp {
				t.Fatalf("op %q, want %q", op, tc.wantOp)
			}
			if tc.wantHC != nil && (hc.Port != tc.wantHC.Port || hc.CheckIntervalSec != tc.wantHC.CheckIntervalSec || hc.UnhealthyThreshold != tc.wantHC.UnhealthyThreshold) {
				t.Fatalf("writes %+v, want %+v", hc, tc.wantHC)
			}
		})
	}
}

func TestSharedFirewallWrite(t *testing.T) {
	in := pureInput(t, 1)
	want := in.wantCheckFirewall(checkFor(in))
	drifted := proto.Clone(want).(*computepb.Firewall)
	drifted.SourceRanges = []string{"0.0.0.0/0"}
	samePorts := proto.Clone(want).(*computepb.Firewall)
	samePorts.Allowed = []*computepb.Allowed{{IPProtocol: proto.String("TCP"), Ports: []string{"10256-10256"}}}
	for _, tc := range []struct {
		name string
		have *computepb.Firewall
		want Op
	}{
		{"missing: created", nil, OpCreateFirewall},
		{"as wanted: nothing", want, ""},
		{"same ports spelt otherwise: nothing", samePorts, ""},
		{"source ranges drifted: patched", drifted, OpPatchFirewall},
	} {
		if got := SharedFirewallWrite(tc.have, want); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSharedCheckUnused(t *testing.T) {
	check := gceref.GlobalKey("p", "httpHealthChecks", nodeHC)
	pool := func(hcs ...string) *computepb.TargetPool { return &computepb.TargetPool{HealthChecks: hcs} }
	for _, tc := range []struct {
		name      string
		pools     []*computepb.TargetPool
		attaching int
		want      bool
	}{
		{"no pools, nobody attaching", nil, 0, true},
		{"pools on other checks", []*computepb.TargetPool{pool(gceref.GlobalKey("p", "httpHealthChecks", webLB).SelfLink())}, 0, true},
		{"a pool uses it (selfLink)", []*computepb.TargetPool{pool(check.SelfLink())}, 0, false},
		{"a pool uses it (partial path)", []*computepb.TargetPool{pool("global/httpHealthChecks/" + nodeHC)}, 0, false},
		{"a check of that name in another project is not it", []*computepb.TargetPool{pool(gceref.GlobalKey("q", "httpHealthChecks", nodeHC).SelfLink())}, 0, true},
		{"a sync is about to attach it", nil, 1, false},
	} {
		if got := SharedCheckUnused(tc.pools, check, tc.attaching); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
