package main

import (
	"context"
	"strings"
	"testing"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
)

// TestBinaryServesASharedVPC: --extra-project makes the binary serve a
// second project, with its own default network, so that a Shared VPC (the
// network and its routes in a host project, the VMs in a service project)
// runs end to end against the binary: a route of the host project's
// network names a VM of the service project as its next hop.
func TestBinaryServesASharedVPC(t *testing.T) {
	bin := buildBinary(t)
	st := start(t, bin, "--extra-project", "host", "--seed-instances", "1")
	ctx := context.Background()
	svc, err := compute.NewService(ctx, option.WithEndpoint(st.url+"/compute/v1/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	n, err := svc.Networks.Get("host", "default").Context(ctx).Do()
	if err != nil {
		t.Fatalf("the host project's default network: %v", err)
	}
	if !strings.HasSuffix(n.SelfLink, "/projects/host/global/networks/default") {
		t.Errorf("host network %s", n.SelfLink)
	}
	vm, err := svc.Instances.Get("demo", "us-central1-a", "node-0").Context(ctx).Do()
	if err != nil {
		t.Fatalf("the service project's VM: %v", err)
	}
	op, err := svc.Routes.Insert("host", &compute.Route{Name: "pods-node-0", Network: n.SelfLink, DestRange: "10.64.0.0/24",
		NextHopInstance: vm.SelfLink}).Context(ctx).Do()
	if err == nil {
		op, err = svc.GlobalOperations.Wait("host", op.Name).Context(ctx).Do()
	}
	if err != nil || op.Error != nil {
		t.Fatalf("insert a host route to a service VM: %+v %v", op, err)
	}
	// The route resolves the other project's VM: it exists (no
	// NEXT_HOP_INSTANCE_NOT_FOUND) and, seeded without canIpForward, the
	// route warns that it cannot forward.
	r, err := svc.Routes.Get("host", "pods-node-0").Context(ctx).Do()
	if err != nil || r.NextHopInstance != vm.SelfLink || len(r.Warnings) != 1 || r.Warnings[0].Code != "NEXT_HOP_CANNOT_IP_FORWARD" {
		t.Errorf("host route: %+v %v; want next hop %s, warned NEXT_HOP_CANNOT_IP_FORWARD", r, err, vm.SelfLink)
	}
	if _, err := svc.Routes.Get("demo", "pods-node-0").Context(ctx).Do(); err == nil {
		t.Errorf("the host project's route is also in the service project")
	}
	if _, err := svc.Networks.Get("elsewhere", "default").Context(ctx).Do(); err == nil {
		t.Errorf("a project the binary does not serve answers")
	}
	st.stop(t)
	// The output is read once the process is gone (the reader goroutine
	// writes it until then).
	if !strings.Contains(st.out.String(), "also projects host") {
		t.Errorf("banner does not name the extra project:\n%s", st.out)
	}
}
