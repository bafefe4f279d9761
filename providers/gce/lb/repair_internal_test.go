package lb

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gce-ccm/gce-ccm/providers/gce/drift"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/ilb"
)

// What a periodic pass reports for each internal write. No HTTP here.
func TestInternalFindings(t *testing.T) {
	actions := []ilb.Action{
		{Kind: ilb.CreateRule, Name: "a"},
		{Kind: ilb.CreateRule, Name: "b", Differs: []string{"IPProtocol", "ports"}},
		{Kind: ilb.PatchBackend, Name: "a", Differs: []string{"backends"}},
		{Kind: ilb.UpdateCheck, Name: "hc", Differs: []string{"type"}},
		{Kind: ilb.CreateFirewall, Name: "fw"},
		{Kind: ilb.AddMembers, Name: "ig", Zone: "z", Instances: []string{"vm-1", "vm-2"}},
		{Kind: ilb.DeleteRule, Name: "c"},
		{Kind: ilb.ReserveAddress, Name: "a"},
		{Kind: ilb.ReserveAddress, Name: "d"},
		{Kind: ilb.ReleaseAddress, Name: "d"},
	}
	want := []drift.Finding{
		{Kind: drift.Rule, What: "forwarding rule a was missing: created it"},
		{Kind: drift.Rule, What: "forwarding rule b differed (IPProtocol, ports): made it again"},
		{Kind: drift.BackendService, What: "backend service a differed (backends): patched it"},
		{Kind: drift.Check, What: "health check hc differed (type): updated it"},
		{Kind: drift.Firewall, What: "firewall fw was missing: created it"},
		{Kind: drift.GroupMembers, What: "instance group ig in z lacked 2 node(s): added them"},
		{Kind: drift.Address, What: "address a was missing: reserved it"},
	}
	if d := cmp.Diff(want, internalFindingsOf(actions)); d != "" {
		t.Errorf("findings (-want +got):\n%s", d)
	}
}
