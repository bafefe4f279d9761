package ilb

import (
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// The plan compares the references a rule and a backend service hold by
// identity: another form of the same URL is no drift; the same name in
// another project or scope is. No HTTP here.
func TestDriftByIdentity(t *testing.T) {
	d := gceref.Defaults{Project: "demo", Region: "us-central1"}
	regional := tProject + "/regions/us-central1/"
	backend, subnet := regional+"backendServices/aweb", regional+"subnetworks/default"
	rule := func(backend, subnet string) *computepb.ForwardingRule {
		return &computepb.ForwardingRule{LoadBalancingScheme: proto.String("INTERNAL"), IPProtocol: proto.String("TCP"),
			BackendService: proto.String(backend), Subnetwork: proto.String(subnet)}
	}
	for _, tc := range []struct {
		name         string
		backend, sub string
		want         []string
	}{
		{"same URLs", backend, subnet, nil},
		{"other host and version", "http://127.0.0.1:9/compute/beta/projects/demo/regions/us-central1/backendServices/aweb", subnet, nil},
		{"partial forms", "regions/us-central1/backendServices/aweb", "projects/demo/regions/us-central1/subnetworks/default", nil},
		{"backend service of another project", tProject + "-2/regions/us-central1/backendServices/aweb", subnet, []string{"backendService"}},
		{"global backend service of the name", tProject + "/global/backendServices/aweb", subnet, []string{"backendService"}},
		{"subnetwork of another region", backend, tProject + "/regions/europe-west1/subnetworks/default", []string{"subnetwork"}},
		{"subnetwork of another project", backend, tProject + "-2/regions/us-central1/subnetworks/default", []string{"subnetwork"}},
		{"not a reference", "::", subnet, []string{"backendService"}},
	} {
		t.Run("rule/"+tc.name, func(t *testing.T) {
			got := ruleDrift(rule(tc.backend, tc.sub), rule(backend, subnet), "", d)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ruleDrift (-want +got):\n%s", diff)
			}
		})
	}

	groupA, groupB := tProject+"/zones/us-central1-a/instanceGroups/k8s-ig--cid", tProject+"/zones/us-central1-b/instanceGroups/k8s-ig--cid"
	check := tProject + "/global/healthChecks/k8s-cid-node"
	bs := func(checks []string, groups ...string) *computepb.BackendService {
		b := &computepb.BackendService{HealthChecks: checks}
		for _, g := range groups {
			b.Backends = append(b.Backends, &computepb.Backend{Group: proto.String(g)})
		}
		return b
	}
	want := bs([]string{check}, groupA, groupB)
	for _, tc := range []struct {
		name string
		have *computepb.BackendService
		want []string
	}{
		{"same", bs([]string{check}, groupA, groupB), nil},
		{"groups in another order and form", bs([]string{"global/healthChecks/k8s-cid-node"}, "zones/us-central1-b/instanceGroups/k8s-ig--cid", groupA), nil},
		{"a group of another project", bs([]string{check}, groupA, tProject+"-2/zones/us-central1-b/instanceGroups/k8s-ig--cid"), []string{"backends"}},
		{"a group of another zone", bs([]string{check}, groupA, tProject+"/zones/us-central1-c/instanceGroups/k8s-ig--cid"), []string{"backends"}},
		{"a group missing", bs([]string{check}, groupA), []string{"backends"}},
		{"a regional check of the name", bs([]string{regional + "healthChecks/k8s-cid-node"}, groupA, groupB), []string{"healthChecks"}},
		{"a check of another project", bs([]string{tProject + "-2/global/healthChecks/k8s-cid-node"}, groupA, groupB), []string{"healthChecks"}},
	} {
		t.Run("backend/"+tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, backendDrift(tc.have, want, d)); diff != "" {
				t.Errorf("backendDrift (-want +got):\n%s", diff)
			}
		})
	}
}
