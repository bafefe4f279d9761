package lb

import (
	"context"
	"fmt"
	"slices"
	"testing"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestHostsOfBuildsEachURLOnce: every sync of every Service maps every
// node to its VM's URL. At 5,000 nodes that is done from the cache of
// URLs by providerID, into one slice: a handful of allocations, not a few
// per node (a set of URLs and a boxed key per node: 15,000 per sync, 50
// syncs at a time).
func TestHostsOfBuildsEachURLOnce(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	var nodes []*v1.Node
	var want []string
	for i := range 5000 {
		name, zone := fmt.Sprintf("node-%04d", i), []string{"us-central1-a", "us-central1-b"}[i%2]
		nodes = append(nodes, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: v1.NodeSpec{ProviderID: "gce://demo/" + zone + "/" + name}})
		want = append(want, gceref.Instance("demo", zone, name).SelfLink())
	}
	// A VM outside the region is left out.
	nodes = append(nodes, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "far"},
		Spec: v1.NodeSpec{ProviderID: "gce://demo/europe-west1-b/far"}})
	slices.Sort(want)
	ctx := context.Background()
	got, err := e.lb.hostsOf(ctx, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("hostsOf: %d URLs, want %d (first %v)", len(got), len(want), got[:min(3, len(got))])
	}
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := e.lb.hostsOf(ctx, nodes); err != nil {
			t.Fatal(err)
		}
	})
	// The region's log line for "far" allocates a few; the URLs none.
	if allocs > 50 {
		t.Errorf("hostsOf of 5,000 nodes: %.0f allocations; want at most 50", allocs)
	}
}

// The URLs of nodes gone do not stay for the life of the process: a
// cluster whose VMs were all replaced many times holds those of about the
// nodes it has.
func TestHostURLsForgetNodesGone(t *testing.T) {
	e := newLBTestEnv(t, fakecompute.Options{}, nil)
	ctx := context.Background()
	for gen := range 10 {
		var nodes []*v1.Node
		for i := range 100 {
			name := fmt.Sprintf("node-%d-%03d", gen, i)
			nodes = append(nodes, &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: v1.NodeSpec{ProviderID: "gce://demo/us-central1-a/" + name}})
		}
		got, err := e.lb.hostsOf(ctx, nodes)
		if err != nil || len(got) != 100 {
			t.Fatalf("generation %d: %d URLs, %v; want 100", gen, len(got), err)
		}
	}
	if n := len(e.lb.hostURLs.urls); n > 2*100+64 {
		t.Errorf("%d URLs kept after 10 generations of 100 nodes, want at most %d", n, 2*100+64)
	}
}
