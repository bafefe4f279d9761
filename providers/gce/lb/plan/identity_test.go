package plan

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/lbtest"
)

// The plan compares the references GCE returns by identity (project,
// scope, collection, name): an object of the same name in another project
// or region is not ours, and another spelling of our own reference is.
func TestPlanComparesByIdentity(t *testing.T) {
	other := strings.NewReplacer("/projects/p/", "/projects/q/")
	otherRegion := strings.NewReplacer("/regions/r/", "/regions/s/")
	for _, tc := range []struct {
		name  string
		tweak func(s *Seen)
		want  []string // among the actions; none: no action at all
	}{{
		name: "rule pointing at a pool of the same name in another project: repointed",
		tweak: func(s *Seen) {
			s.Rules[webLB].Target = proto.String(other.Replace(s.Rules[webLB].GetTarget()))
		},
		want: expand("set-target $LB"),
	}, {
		name: "rule pointing at a pool of the same name in another region: repointed",
		tweak: func(s *Seen) {
			s.Rules[webLB].Target = proto.String(otherRegion.Replace(s.Rules[webLB].GetTarget()))
		},
		want: expand("set-target $LB"),
	}, {
		name: "rule pointing at our pool by a path instead of a URL: kept",
		tweak: func(s *Seen) {
			u := s.Rules[webLB].GetTarget()
			s.Rules[webLB].Target = proto.String(u[strings.Index(u, "projects/"):])
		},
	}, {
		name: "pool holding a check of the same name in another project: swapped for ours",
		tweak: func(s *Seen) {
			s.Pools[webLB].HealthChecks = []string{other.Replace(s.Pools[webLB].GetHealthChecks()[0])}
		},
		want: expand("detach-check $LB", "attach-check $LB"),
	}, {
		name: "firewall in a network of the same name in another project: replaced",
		tweak: func(s *Seen) {
			fw := s.Firewalls["k8s-fw-"+webLB]
			fw.Network = proto.String(other.Replace(fw.GetNetwork()))
		},
		want: expand("delete-firewall k8s-fw-$LB", "create-firewall k8s-fw-$LB"),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			in := pureInput(t, 2)
			in.Seen = built(t, in)
			tc.tweak(&in.Seen)
			p, err := Build(in)
			if err != nil {
				t.Fatal(err)
			}
			got := actionStrings(p.Actions)
			for _, w := range tc.want {
				if !slices.ContainsFunc(got, func(g string) bool { return strings.HasPrefix(g, w) }) {
					t.Errorf("no %q in %v", w, got)
				}
			}
			if len(tc.want) == 0 && len(got) > 0 {
				t.Errorf("actions %v, want none", got)
			}
		})
	}
}

// A user's address already used by something else of the same name as the
// Service's rule (a VM, a rule in another region) is refused; used by the
// rule itself, spelt as a path, it is accepted.
func TestPlanUserAddressUsersByIdentity(t *testing.T) {
	for _, tc := range []struct {
		user   string
		refuse bool
	}{
		{"https://www.googleapis.com/compute/v1/projects/p/zones/r-a/instances/" + webLB, true},
		{"https://www.googleapis.com/compute/v1/projects/p/regions/s/forwardingRules/" + webLB, true},
		{"https://www.googleapis.com/compute/v1/projects/q/regions/r/forwardingRules/" + webLB, true},
		{"projects/p/regions/r/forwardingRules/" + webLB, false},
	} {
		in := pureInput(t, 2, lbtest.WithIP("34.118.0.7"))
		in.Seen.Addresses = []*computepb.Address{{Name: proto.String("mine"), Address: proto.String("34.118.0.7"),
			NetworkTier: proto.String(tierPremium), Users: []string{tc.user}}}
		_, err := Build(in)
		var ie *InputError
		if refused := errors.As(err, &ie); refused != tc.refuse {
			t.Errorf("address used by %s: error %v, want refused=%v", tc.user, err, tc.refuse)
		}
	}
}
