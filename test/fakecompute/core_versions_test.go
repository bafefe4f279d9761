package fakecompute_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestBetaAndAlphaPrefixes: cloud-provider-gcp derives /compute/beta/ and
// /compute/alpha/ from its v1 endpoint; the emulator answers all three the
// same, and a change made through one is seen through the others.
func TestBetaAndAlphaPrefixes(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	e.seed(fakecompute.InstanceSeed{Name: "node", Zone: zoneA, CanIPForward: true})
	for _, version := range []string{"v1", "beta", "alpha"} {
		t.Run(version, func(t *testing.T) {
			svc, err := gce.NewService(e.ctx, option.WithEndpoint(e.ts.URL+"/compute/"+version+"/"), option.WithoutAuthentication())
			if err != nil {
				t.Fatal(err)
			}
			p, err := svc.Projects.Get(project).Do()
			if err != nil || p.Name != project {
				t.Fatalf("projects.get: %v %v", p, err)
			}
			name := "via-" + version
			op, err := svc.Routes.Insert(project, &gce.Route{Name: name, Network: "global/networks/default",
				DestRange: "10.0.0.0/24", NextHopInstance: "zones/us-central1-a/instances/node"}).Do()
			if err != nil {
				t.Fatal(err)
			}
			if op, err = svc.GlobalOperations.Wait(project, op.Name).Do(); err != nil || op.Status != "DONE" {
				t.Fatalf("wait: %v %v", op, err)
			}
			if _, err := svc.Instances.AggregatedList(project).Do(); err != nil {
				t.Errorf("aggregatedList: %v", err)
			}
			// The same bytes whatever the prefix; selfLinks stay v1, as GCE's.
			bodies := map[string]string{}
			for _, v := range []string{"v1", "beta", "alpha"} {
				r := e.raw("GET", "/compute/"+v+"/projects/demo/global/routes/"+name, "")
				if r.status != 200 {
					t.Fatalf("%s get: %d %s", v, r.status, r.body)
				}
				bodies[v] = string(r.body)
			}
			if diff := cmp.Diff(bodies["v1"], bodies["beta"]); diff != "" {
				t.Errorf("beta differs from v1 (-v1 +beta)\n%s", diff)
			}
			if diff := cmp.Diff(bodies["v1"], bodies["alpha"]); diff != "" {
				t.Errorf("alpha differs from v1 (-v1 +alpha)\n%s", diff)
			}
			r, err := svc.Routes.Get(project, name).Do()
			if err != nil || r.SelfLink != base+"projects/demo/global/routes/"+name {
				t.Errorf("selfLink via %s: %v %v", version, r, err)
			}
		})
	}
}
