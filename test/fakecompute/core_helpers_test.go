package fakecompute_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// The topology every core test runs against: the emulator's defaults.
const (
	project = "demo"
	region  = "us-central1"
	zoneA   = "us-central1-a"
	zoneB   = "us-central1-b"
	zoneC   = "us-central1-c"
	base    = fakecompute.SelfLinkBase
)

// errDone ends every iterator.
var errDone = iterator.Done

// env is one emulator on loopback with both official Go clients pointed at it.
type env struct {
	t   testing.TB
	ctx context.Context
	ts  *fakecompute.TestServer

	routes    *compute.RoutesClient
	instances *compute.InstancesClient
	networks  *compute.NetworksClient
	subnets   *compute.SubnetworksClient
	disks     *compute.DisksClient
	gops      *compute.GlobalOperationsClient
	rops      *compute.RegionOperationsClient
	zops      *compute.ZoneOperationsClient

	legacy *gce.Service // google.golang.org/api/compute/v1
}

func newEnv(t testing.TB, opts fakecompute.Options) *env {
	t.Helper()
	ts := fakecompute.NewTestServer(t, opts)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &env{t: t, ctx: ctx, ts: ts}
	co := ts.ClientOptions()
	var err error
	must := func(c io.Closer, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("new client: %v", err)
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	e.routes, err = compute.NewRoutesRESTClient(ctx, co...)
	must(e.routes, err)
	e.instances, err = compute.NewInstancesRESTClient(ctx, co...)
	must(e.instances, err)
	e.networks, err = compute.NewNetworksRESTClient(ctx, co...)
	must(e.networks, err)
	e.subnets, err = compute.NewSubnetworksRESTClient(ctx, co...)
	must(e.subnets, err)
	e.disks, err = compute.NewDisksRESTClient(ctx, co...)
	must(e.disks, err)
	e.gops, err = compute.NewGlobalOperationsRESTClient(ctx, co...)
	must(e.gops, err)
	e.rops, err = compute.NewRegionOperationsRESTClient(ctx, co...)
	must(e.rops, err)
	e.zops, err = compute.NewZoneOperationsRESTClient(ctx, co...)
	must(e.zops, err)
	e.legacy, err = gce.NewService(ctx, ts.LegacyClientOptions()...)
	if err != nil {
		t.Fatalf("legacy client: %v", err)
	}
	return e
}

// seed creates VMs out of band, as an operator would have.
func (e *env) seed(seeds ...fakecompute.InstanceSeed) []*gce.Instance {
	e.t.Helper()
	out, err := e.ts.SeedInstances(seeds...)
	if err != nil {
		e.t.Fatalf("seed: %v", err)
	}
	return out
}

// routeReq is a route insert with a next-hop VM in zone a.
func routeReq(name, dest, vm string) *computepb.InsertRouteRequest {
	return &computepb.InsertRouteRequest{Project: project, RouteResource: &computepb.Route{
		Name: proto.String(name), Network: proto.String("global/networks/default"), DestRange: proto.String(dest),
		NextHopInstance: proto.String("zones/" + zoneA + "/instances/" + vm),
	}}
}

// insertRoute inserts a route and waits for its operation with apiv1.
func (e *env) insertRoute(name, dest, vm string) {
	e.t.Helper()
	op, err := e.routes.Insert(e.ctx, routeReq(name, dest, vm))
	if err != nil {
		e.t.Fatalf("insert route %s: %v", name, err)
	}
	if err := op.Wait(e.ctx); err != nil {
		e.t.Fatalf("wait insert route %s: %v", name, err)
	}
}

// routeNames lists every route with apiv1, following pages.
func (e *env) routeNames(filter string) []string {
	e.t.Helper()
	req := &computepb.ListRoutesRequest{Project: project}
	if filter != "" {
		req.Filter = proto.String(filter)
	}
	var names []string
	it := e.routes.List(e.ctx, req)
	for {
		r, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return names
		}
		if err != nil {
			e.t.Fatalf("list routes (filter %q): %v", filter, err)
		}
		names = append(names, r.GetName())
	}
}

// systemRoutePrefix starts the name of every route GCE makes itself (a
// network's route to the internet, a subnet range's local route); the
// tests never name a route so.
const systemRoutePrefix = "default-route-"

// userRouteNames lists the routes the test made: routeNames without the
// system routes.
func (e *env) userRouteNames(filter string) []string {
	e.t.Helper()
	var out []string
	for _, n := range e.routeNames(filter) {
		if !strings.HasPrefix(n, systemRoutePrefix) {
			out = append(out, n)
		}
	}
	return out
}

// apiErr digs GCE's error out of what either client returned.
func apiErr(err error) *googleapi.Error {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge
	}
	return nil
}

// errSummary is the part of an error the tests compare: status and reason.
type errSummary struct {
	Code   int
	Reason string
}

func summarize(err error) errSummary {
	if err == nil {
		return errSummary{}
	}
	ge := apiErr(err)
	if ge == nil {
		return errSummary{Code: -1, Reason: err.Error()}
	}
	s := errSummary{Code: ge.Code}
	if len(ge.Errors) > 0 {
		s.Reason = ge.Errors[0].Reason
	}
	return s
}

// errorBody is GCE's error envelope as it arrives on the wire.
type errorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Message string `json:"message"`
			Domain  string `json:"domain"`
			Reason  string `json:"reason"`
		} `json:"errors"`
	} `json:"error"`
}

// rawResp is one plain net/http exchange with the emulator.
type rawResp struct {
	status int
	body   []byte
	err    errorBody
}

func (r rawResp) reason() string {
	if len(r.err.Error.Errors) == 0 {
		return ""
	}
	return r.err.Error.Errors[0].Reason
}

// raw sends a request without any client library, to check the wire.
func (e *env) raw(method, path, body string) rawResp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(e.ctx, method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := rawResp{status: resp.StatusCode, body: b}
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(b, &out.err); err != nil {
			e.t.Fatalf("%s %s: error body is not GCE's envelope: %v: %s", method, path, err, b)
		}
	}
	return out
}

// rawJSON sends a request and decodes a successful answer.
func (e *env) rawJSON(method, path, body string, into any) {
	e.t.Helper()
	r := e.raw(method, path, body)
	if r.status != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
	}
	if into != nil {
		if err := json.Unmarshal(r.body, into); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, r.body)
		}
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// globalOp reads a global operation with apiv1.
func (e *env) globalOp(name string) *computepb.Operation {
	e.t.Helper()
	op, err := e.gops.Get(e.ctx, &computepb.GetGlobalOperationRequest{Project: project, Operation: name})
	if err != nil {
		e.t.Fatalf("get operation %s: %v", name, err)
	}
	return op
}

// stateJSON is the whole emulator state, to check a refused request changed nothing.
func (e *env) stateJSON() string {
	e.t.Helper()
	b, err := json.Marshal(e.ts.Dump())
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// regionNames are the regions the emulator serves, sorted, as regions.list
// answers them.
func (e *env) regionNames() []string {
	l, err := e.legacy.Regions.List(project).Do()
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range l.Items {
		out = append(out, r.Name)
	}
	sort.Strings(out)
	return out
}
