package fakecompute_test

import (
	"encoding/json"
	"strings"
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestDefaultsAndOutputOnlyFields: what GCE answers on every read of a
// network, a subnetwork and an address, zero values included, on the wire
// and through both clients.
func TestDefaultsAndOutputOnlyFields(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	if err := e.insertNetwork("custom", false); err != nil {
		t.Fatal(err)
	}
	if err := e.insertSubnet("sub", "custom", "10.20.0.0/24"); err != nil {
		t.Fatal(err)
	}
	wire := func(path string) map[string]any {
		var m map[string]any
		e.rawJSON("GET", "/compute/v1/projects/demo/"+path, "", &m)
		return m
	}
	net := wire("global/networks/custom")
	if net["autoCreateSubnetworks"] != false || net["networkFirewallPolicyEnforcementOrder"] != "AFTER_CLASSIC_FIREWALL" {
		t.Errorf("network defaults: %v", net)
	}
	if rc, _ := net["routingConfig"].(map[string]any); rc["routingMode"] != "REGIONAL" || rc["bgpBestPathSelectionMode"] != "LEGACY" {
		t.Errorf("network routingConfig: %v", net["routingConfig"])
	}
	if _, ok := net["mtu"]; ok {
		t.Errorf("network answers an mtu nobody set: %v", net["mtu"])
	}
	if l, _ := net["selfLinkWithId"].(string); !strings.HasPrefix(l, base+"projects/demo/global/networks/") || strings.HasSuffix(l, "/custom") {
		t.Errorf("selfLinkWithId = %q, want the link with the id", l)
	}
	sub := wire("regions/us-central1/subnetworks/sub")
	want := map[string]any{"state": "READY", "privateIpGoogleAccess": false, "privateIpv6GoogleAccess": "DISABLE_GOOGLE_ACCESS",
		"enableFlowLogs": false, "logConfig": map[string]any{"enable": false}}
	for k, v := range want {
		if diff := cmp.Diff(v, sub[k]); diff != "" {
			t.Errorf("subnetwork %s (-want +got)\n%s", k, diff)
		}
	}
	e.rawJSON("POST", "/compute/v1/projects/demo/regions/us-central1/addresses", `{"name":"a"}`, nil)
	if a := wire("regions/us-central1/addresses/a"); a["description"] != "" {
		t.Errorf("address description %v, want \"\" present", a["description"])
	}

	// The clients read the same.
	n, err := e.networks.Get(e.ctx, &computepb.GetNetworkRequest{Project: project, Network: "custom"})
	if err != nil || n.AutoCreateSubnetworks == nil || n.GetAutoCreateSubnetworks() || n.GetRoutingConfig().GetBgpBestPathSelectionMode() != "LEGACY" ||
		n.GetSelfLinkWithId() == "" || n.Mtu != nil {
		t.Errorf("apiv1 network: %v %v", n, err)
	}
	ln, err := e.legacy.Subnetworks.Get(project, region, "sub").Do()
	if err != nil || ln.State != "READY" || ln.PrivateIpv6GoogleAccess != "DISABLE_GOOGLE_ACCESS" {
		t.Errorf("legacy subnetwork: %+v %v", ln, err)
	}
}

// TestAggregatedListsNameEveryScope: "global" and every region, each empty
// one with GCE's warning, through both clients.
func TestAggregatedListsNameEveryScope(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	regions := e.regionNames()
	if len(regions) < 20 {
		t.Fatalf("regions.list answers %d regions, want every region of the auto-mode table", len(regions))
	}
	l, err := e.legacy.Subnetworks.AggregatedList(project).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != len(regions)+1 || l.Items["global"].Warning == nil || l.Items["global"].Warning.Code != "NO_RESULTS_ON_PAGE" {
		t.Errorf("legacy: %d scopes (global %+v), want %d", len(l.Items), l.Items["global"], len(regions)+1)
	}
	for _, r := range regions {
		// The default network has a subnet in every region.
		if s := l.Items["regions/"+r].Subnetworks; len(s) != 1 || s[0].Name != "default" {
			t.Errorf("regions/%s: %+v", r, l.Items["regions/"+r])
		}
	}
	scopes := 0
	it := e.subnets.AggregatedList(e.ctx, &computepb.AggregatedListSubnetworksRequest{Project: project, Filter: proto.String("name eq nothing")})
	for p, err := it.Next(); err == nil; p, err = it.Next() {
		scopes++
		if p.Value.GetWarning().GetCode() != "NO_RESULTS_ON_PAGE" {
			t.Errorf("apiv1 %s: %v", p.Key, p.Value)
		}
	}
	if scopes != len(regions)+1 {
		t.Errorf("apiv1: %d scopes, want %d", scopes, len(regions)+1)
	}
}

// TestNetworkInUseFailsInTheOperation: GCE accepts the delete of a network
// still in use and fails its operation; a subnetwork in use is refused at
// once.
func TestNetworkInUseFailsInTheOperation(t *testing.T) {
	e := newEnv(t, fakecompute.Options{})
	if err := e.insertNetwork("used", false); err != nil {
		t.Fatal(err)
	}
	if err := e.insertSubnet("s", "used", "10.30.0.0/24"); err != nil {
		t.Fatal(err)
	}
	op, err := e.networks.Delete(e.ctx, &computepb.DeleteNetworkRequest{Project: project, Network: "used"})
	if err != nil {
		t.Fatalf("delete answered %v; GCE accepts it and fails the operation", err)
	}
	werr := op.Wait(e.ctx)
	if werr == nil || summarize(werr).Code != 400 {
		t.Errorf("operation error %v, want 400", werr)
	}
	r := e.raw("GET", "/compute/v1/projects/demo/global/operations/"+op.Name(), "")
	var body struct {
		Status              string `json:"status"`
		HTTPErrorStatusCode int    `json:"httpErrorStatusCode"`
		Error               struct{ Errors []struct{ Code string } }
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "DONE" || body.HTTPErrorStatusCode != 400 || len(body.Error.Errors) == 0 || body.Error.Errors[0].Code != "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE" {
		t.Errorf("operation %s", r.body)
	}
	if _, err := e.legacy.Networks.Get(project, "used").Do(); err != nil {
		t.Errorf("the network is gone after a failed delete: %v", err)
	}
}
