package fakecompute_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// The load-balancing tests drive the emulator only through the real
// clients over loopback: apiv1 for most calls, the discovery-based client
// (what the upstream provider uses) where it says so, and for legacy HTTP
// health checks, which apiv1 no longer has.

const (
	lbProject = "demo"
	lbRegion  = "us-central1"
	lbZone    = "us-central1-a"
)

// lbLink is the canonical selfLink of a path below the project.
func lbLink(path string) string {
	return fakecompute.SelfLinkBase + "projects/" + lbProject + "/" + path
}

type lbEnv struct {
	t      *testing.T
	ctx    context.Context
	ts     *fakecompute.TestServer
	fw     *compute.FirewallsClient
	addr   *compute.AddressesClient
	tp     *compute.TargetPoolsClient
	fr     *compute.ForwardingRulesClient
	nets   *compute.NetworksClient
	inst   *compute.InstancesClient
	legacy *gce.Service
}

// newLBEnv starts an emulator with two running VMs in lbZone (node-a,
// node-b) and one (node-c) that no pool holds yet.
func newLBEnv(t *testing.T) *lbEnv {
	t.Helper()
	ctx := context.Background()
	ts := fakecompute.NewTestServer(t, fakecompute.Options{Project: lbProject, Region: lbRegion})
	e := &lbEnv{t: t, ctx: ctx, ts: ts}
	var err error
	opts := ts.ClientOptions()
	closeAfter := func(c interface{ Close() error }) { t.Cleanup(func() { _ = c.Close() }) }
	if e.fw, err = compute.NewFirewallsRESTClient(ctx, opts...); err == nil {
		closeAfter(e.fw)
	}
	if e.addr, err = compute.NewAddressesRESTClient(ctx, opts...); err == nil {
		closeAfter(e.addr)
	}
	if e.tp, err = compute.NewTargetPoolsRESTClient(ctx, opts...); err == nil {
		closeAfter(e.tp)
	}
	if e.fr, err = compute.NewForwardingRulesRESTClient(ctx, opts...); err == nil {
		closeAfter(e.fr)
	}
	if e.nets, err = compute.NewNetworksRESTClient(ctx, opts...); err == nil {
		closeAfter(e.nets)
	}
	if e.inst, err = compute.NewInstancesRESTClient(ctx, opts...); err == nil {
		closeAfter(e.inst)
	}
	if err != nil {
		t.Fatal(err)
	}
	if e.legacy, err = gce.NewService(ctx, ts.LegacyClientOptions()...); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.SeedInstances(
		fakecompute.InstanceSeed{Name: "node-a", Zone: lbZone},
		fakecompute.InstanceSeed{Name: "node-b", Zone: lbZone},
		fakecompute.InstanceSeed{Name: "node-c", Zone: lbZone},
	); err != nil {
		t.Fatal(err)
	}
	return e
}

// lbDo returns the synchronous error of a mutation or that of its operation.
func lbDo(ctx context.Context, op *compute.Operation, err error) error {
	if err != nil {
		return err
	}
	return op.Wait(ctx)
}

// must fails the test unless the mutation and its operation succeed.
func (e *lbEnv) must(op *compute.Operation, err error) *compute.Operation {
	e.t.Helper()
	if err := lbDo(e.ctx, op, err); err != nil {
		e.t.Fatal(err)
	}
	return op
}

// legacyDo waits on an operation of the discovery-based client and turns a
// failed one into an error, as the upstream provider does.
func (e *lbEnv) legacyDo(op *gce.Operation, err error) error {
	for err == nil && op.Status != "DONE" {
		if op.Region != "" {
			op, err = e.legacy.RegionOperations.Wait(lbProject, lbRegion, op.Name).Context(e.ctx).Do()
		} else {
			op, err = e.legacy.GlobalOperations.Wait(lbProject, op.Name).Context(e.ctx).Do()
		}
	}
	if err != nil {
		return err
	}
	if op.Error != nil && len(op.Error.Errors) > 0 {
		return &googleapi.Error{Code: int(op.HttpErrorStatusCode), Message: op.Error.Errors[0].Message}
	}
	return nil
}

// lbCode is the HTTP status of a GCE error, 0 for anything else.
func lbCode(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return 0
}

// wantErr checks the status and a fragment of the message of an error.
func lbWantErr(t *testing.T, err error, code int, fragment string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %d %q", code, fragment)
	}
	if lbCode(err) != code || !strings.Contains(err.Error(), fragment) {
		t.Fatalf("got %v, want %d with %q", err, code, fragment)
	}
}

// Fixtures: each creates one resource and fails the test if it cannot.

func (e *lbEnv) healthCheck(name string) string {
	e.t.Helper()
	if err := e.legacyDo(e.legacy.HttpHealthChecks.Insert(lbProject, &gce.HttpHealthCheck{Name: name}).Context(e.ctx).Do()); err != nil {
		e.t.Fatal(err)
	}
	return lbLink("global/httpHealthChecks/" + name)
}

func (e *lbEnv) targetPool(name string, instances ...string) string {
	e.t.Helper()
	var links []string
	for _, i := range instances {
		links = append(links, "zones/"+lbZone+"/instances/"+i)
	}
	e.must(e.tp.Insert(e.ctx, &computepb.InsertTargetPoolRequest{Project: lbProject, Region: lbRegion,
		TargetPoolResource: &computepb.TargetPool{Name: proto.String(name), Instances: links}}))
	return lbLink("regions/" + lbRegion + "/targetPools/" + name)
}

func (e *lbEnv) address(name string, a *computepb.Address) *computepb.Address {
	e.t.Helper()
	if a == nil {
		a = &computepb.Address{}
	}
	a.Name = proto.String(name)
	e.must(e.addr.Insert(e.ctx, &computepb.InsertAddressRequest{Project: lbProject, Region: lbRegion, AddressResource: a}))
	return e.getAddress(name)
}

func (e *lbEnv) getAddress(name string) *computepb.Address {
	e.t.Helper()
	got, err := e.addr.Get(e.ctx, &computepb.GetAddressRequest{Project: lbProject, Region: lbRegion, Address: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func (e *lbEnv) insertRule(fr *computepb.ForwardingRule) error {
	op, err := e.fr.Insert(e.ctx, &computepb.InsertForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRuleResource: fr})
	return lbDo(e.ctx, op, err)
}

// rule creates a forwarding rule and returns it as stored.
func (e *lbEnv) rule(fr *computepb.ForwardingRule) *computepb.ForwardingRule {
	e.t.Helper()
	if err := e.insertRule(fr); err != nil {
		e.t.Fatalf("insert %s: %v", fr.GetName(), err)
	}
	return e.getRule(fr.GetName())
}

func (e *lbEnv) getRule(name string) *computepb.ForwardingRule {
	e.t.Helper()
	got, err := e.fr.Get(e.ctx, &computepb.GetForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func (e *lbEnv) getPool(name string) *computepb.TargetPool {
	e.t.Helper()
	got, err := e.tp.Get(e.ctx, &computepb.GetTargetPoolRequest{Project: lbProject, Region: lbRegion, TargetPool: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func lbInstanceLink(name string) string { return lbLink("zones/" + lbZone + "/instances/" + name) }

func lbInstanceRefs(names ...string) []*computepb.InstanceReference {
	out := make([]*computepb.InstanceReference, len(names))
	for i, n := range names {
		out[i] = &computepb.InstanceReference{Instance: proto.String(fmt.Sprintf("zones/%s/instances/%s", lbZone, n))}
	}
	return out
}
