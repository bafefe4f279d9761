package ilb

import (
	"slices"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// seenOf: what a sync keeps of the lists it read. No HTTP here.
func TestSeenOf(t *testing.T) {
	n := NamesFor("aweb", "cid")
	regional := tProject + "/regions/us-central1/"
	ourCheck := gceref.GlobalKey("demo", "healthChecks", n.SharedCheck)
	ourGroup := gceref.ZonalKey("demo", tZoneA, "instanceGroups", n.Group)
	backend := func(name string, checks []string, groups ...string) *computepb.BackendService {
		b := &computepb.BackendService{Name: proto.String(name), HealthChecks: checks}
		for _, g := range groups {
			b.Backends = append(b.Backends, &computepb.Backend{Group: proto.String(g)})
		}
		return b
	}
	address := func(name, ip, typ string) *computepb.Address {
		return &computepb.Address{Name: proto.String(name), Address: proto.String(ip), AddressType: proto.String(typ)}
	}
	for _, tc := range []struct {
		name        string
		requestedIP string
		v           views
		// want, as names or users by key
		groups, backends, checks, rules []string
		address, userAddress            string
		checkUsers, groupUsers          map[gceref.Key][]string
	}{{
		name: "nothing exists",
		v:    views{zones: []string{tZoneA, "us-central1-b"}, groups: make([]*Group, 2)},
	}, {
		name: "a zone's group; only our names' objects are kept",
		v: views{zones: []string{tZoneA, "us-central1-b"}, groups: []*Group{nil, {Members: vms("us-central1-b", 1)}},
			checks: map[string]*computepb.HealthCheck{n.SharedCheck: {}, "other-check": {}},
			rules:  map[string]*computepb.ForwardingRule{n.LB: {}, "other-rule": {}}},
		groups: []string{"us-central1-b"}, checks: []string{n.SharedCheck}, rules: []string{n.LB},
	}, {
		name: "our backend service is ours; another's check and group are counted by identity",
		v: views{backends: map[string]*computepb.BackendService{
			n.LB:    backend(n.LB, []string{ourCheck.SelfLink()}, ourGroup.SelfLink()),
			"other": backend("other", []string{ourCheck.SelfLink()}, ourGroup.SelfLink()),
			// Same names, other scope or project: other objects.
			"regional":     backend("regional", []string{regional + "healthChecks/" + n.SharedCheck}),
			"otherproject": backend("otherproject", []string{"projects/elsewhere/global/healthChecks/" + n.SharedCheck}),
			// A bare name does not parse without a scope: it names nothing.
			"bare": backend("bare", []string{n.SharedCheck}, n.Group),
		}},
		backends: []string{n.LB},
		checkUsers: map[gceref.Key][]string{ourCheck: {"other"},
			gceref.RegionalKey("demo", "us-central1", "healthChecks", n.SharedCheck): {"regional"},
			gceref.GlobalKey("elsewhere", "healthChecks", n.SharedCheck):             {"otherproject"}},
		groupUsers: map[gceref.Key][]string{ourGroup: {"other"}},
	}, {
		name: "<lb> and the user's internal address of the requested IP; an external one is not the user's",
		v: views{addresses: map[string]*computepb.Address{n.LB: address(n.LB, "10.0.0.9", "INTERNAL"),
			"ext": address("ext", "10.0.0.7", "EXTERNAL"), "mine": address("mine", "10.0.0.7", "INTERNAL")}},
		requestedIP: "10.0.0.7", address: n.LB, userAddress: "mine",
	}, {
		name: "no IP requested: no user's address",
		v:    views{addresses: map[string]*computepb.Address{"mine": address("mine", "", "INTERNAL")}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s := seenOf(n, tc.requestedIP, tc.v)
			got := []any{keys(s.Groups), keys(s.Backends), keys(s.Checks), keys(s.Rules), s.Address.GetName(), s.UserAddress.GetName(),
				nonNil(s.CheckUsers), nonNil(s.GroupUsers)}
			want := []any{tc.groups, tc.backends, tc.checks, tc.rules, tc.address, tc.userAddress, nonNil(tc.checkUsers), nonNil(tc.groupUsers)}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("seen (-want +got):\n%s", d)
			}
		})
	}
}

func keys[T any](m map[string]T) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func nonNil(m map[gceref.Key][]string) map[gceref.Key][]string {
	if m == nil {
		return map[gceref.Key][]string{}
	}
	for k := range m {
		slices.Sort(m[k])
	}
	return m
}
