package fakecompute_test

import (
	"testing"

	"cloud.google.com/go/compute/apiv1/computepb"
	gce "google.golang.org/api/compute/v1"
	"google.golang.org/protobuf/proto"
)

// forwardingRules.patch changes allowGlobalAccess of an INTERNAL rule in
// place (same id, same IP, a new fingerprint) and nothing else: another
// field is refused by name, a stale fingerprint gets 412, an EXTERNAL rule
// cannot have global access. Through apiv1 and the discovery client.
func TestILBRulePatchGlobalAccess(t *testing.T) {
	e := newILBEnv(t)
	_, _, backend := e.ilbStack()
	before := e.rule(internalRule("fr", backend, "80"))
	patch := func(fr *computepb.ForwardingRule) error {
		return e.do(e.fr.Patch(e.ctx, &computepb.PatchForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "fr", ForwardingRuleResource: fr}))
	}
	if err := patch(&computepb.ForwardingRule{AllowGlobalAccess: proto.Bool(true), Fingerprint: proto.String(before.GetFingerprint())}); err != nil {
		t.Fatal(err)
	}
	after := e.getRule("fr")
	if !after.GetAllowGlobalAccess() || after.GetId() != before.GetId() || after.GetIPAddress() != before.GetIPAddress() ||
		after.GetFingerprint() == before.GetFingerprint() {
		t.Fatalf("patched rule %v; was %v", after, before)
	}
	// The fingerprint read before the patch is stale now.
	lbWantErr(t, patch(&computepb.ForwardingRule{AllowGlobalAccess: proto.Bool(false), Fingerprint: proto.String(before.GetFingerprint())}),
		412, "fingerprint")
	// Fixed at creation: refused by name, the rule unchanged.
	lbWantErr(t, patch(&computepb.ForwardingRule{Ports: []string{"8080"}}), 400, "'resource.ports'")
	lbWantErr(t, patch(&computepb.ForwardingRule{Description: proto.String("x")}), 400, "'resource.description'")
	lbWantErr(t, patch(&computepb.ForwardingRule{NetworkTier: proto.String("STANDARD")}), 400, "'resource.networkTier'")
	if got := e.getRule("fr"); got.GetFingerprint() != after.GetFingerprint() || !got.GetAllowGlobalAccess() {
		t.Fatalf("refused patches changed the rule: %v", got)
	}
	// The discovery client sends false only when forced; the same rule.
	op, err := e.legacy.ForwardingRules.Patch(lbProject, lbRegion, "fr", &gce.ForwardingRule{AllowGlobalAccess: false,
		Fingerprint: after.GetFingerprint(), ForceSendFields: []string{"AllowGlobalAccess"}}).Context(e.ctx).Do()
	if err := e.legacyDo(op, err); err != nil {
		t.Fatal(err)
	}
	if got := e.getRule("fr"); got.GetAllowGlobalAccess() || got.GetId() != before.GetId() || got.GetIPAddress() != before.GetIPAddress() {
		t.Fatalf("after the discovery client's patch: %v", got)
	}
	// A rule that does not exist.
	op, err = e.legacy.ForwardingRules.Patch(lbProject, lbRegion, "nope", &gce.ForwardingRule{AllowGlobalAccess: true}).Context(e.ctx).Do()
	lbWantErr(t, e.legacyDo(op, err), 404, "nope")
	// EXTERNAL: no global access.
	pool := e.targetPool("tp", "node-c")
	e.rule(&computepb.ForwardingRule{Name: proto.String("ext"), Target: proto.String(pool), IPProtocol: proto.String("TCP"), PortRange: proto.String("80-80")})
	lbWantErr(t, e.do(e.fr.Patch(e.ctx, &computepb.PatchForwardingRuleRequest{Project: lbProject, Region: lbRegion, ForwardingRule: "ext",
		ForwardingRuleResource: &computepb.ForwardingRule{AllowGlobalAccess: proto.Bool(true)}})), 400, "only allowed for INTERNAL")
}
