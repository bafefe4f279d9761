package fakecompute

import (
	"fmt"

	compute "google.golang.org/api/compute/v1"
)

// Regional backend services of the INTERNAL scheme: the heart of an
// internal passthrough load balancer. Backends are zonal instance groups of
// the region; exactly one health check (global or of the region, not a
// legacy one). Other schemes are refused by name, never served as
// something else.

var (
	backendProtocols = map[string]bool{"TCP": true, "UDP": true, "UNSPECIFIED": true}
)

// maxDrainingTimeoutSec bounds connectionDraining.drainingTimeoutSec.
const maxDrainingTimeoutSec = 3600

// backendRefs are the keys a backend service refers to.
type backendRefs struct {
	groups, checks []Key
	network        Key
}

func insertBackendService(c *call) (any, error) {
	return insertAs(c, c.prepareBackendService, func(t *tx, k Key, bs *compute.BackendService, refs backendRefs) error {
		if err := checkBackendRefs(t, k, refs); err != nil {
			return err
		}
		if err := t.chargeQuota(c.s, QuotaBackendServices, t.count(k.Project, "backendServices", Regional, k.Location), k.Location); err != nil {
			return err
		}
		c.s.stamp(t, k, bs)
		bs.Fingerprint = t.fingerprint()
		t.put(k, bs)
		return nil
	})
}

// prepareBackendService checks what does not depend on state, fills GCE's
// defaults and normalises references.
func (c *call) prepareBackendService(bs *compute.BackendService) (backendRefs, error) {
	var refs backendRefs
	if err := checkName(bs.Name); err != nil {
		return refs, err
	}
	switch bs.LoadBalancingScheme {
	case "":
		return refs, errRequired("resource.loadBalancingScheme")
	case "INTERNAL":
	default:
		return refs, errInvalid("Invalid value for field 'resource.loadBalancingScheme': '%s'. This emulator serves regional backend services of the INTERNAL scheme only.", bs.LoadBalancingScheme)
	}
	if bs.Protocol == "" {
		bs.Protocol = "TCP"
	}
	if !backendProtocols[bs.Protocol] {
		return refs, errInvalid("Invalid value for field 'resource.protocol': '%s'. Backend services with INTERNAL load balancing scheme support TCP, UDP and UNSPECIFIED.", bs.Protocol)
	}
	// The values GCE allows for INTERNAL services.
	if err := oneOf("sessionAffinity", &bs.SessionAffinity, "NONE",
		"NONE", "CLIENT_IP", "CLIENT_IP_PROTO", "CLIENT_IP_PORT_PROTO", "CLIENT_IP_NO_DESTINATION"); err != nil {
		return refs, err
	}
	if bs.ConnectionDraining == nil {
		bs.ConnectionDraining = &compute.ConnectionDraining{}
	}
	if d := bs.ConnectionDraining.DrainingTimeoutSec; d < 0 || d > maxDrainingTimeoutSec {
		return refs, errInvalid("Invalid value for field 'resource.connectionDraining.drainingTimeoutSec': '%d'. Must be greater than or equal to 0 and less than or equal to %d.", d, maxDrainingTimeoutSec)
	}
	if bs.TimeoutSec == 0 {
		bs.TimeoutSec = 30
	}
	if len(bs.HealthChecks) != 1 {
		return refs, errInvalid("Invalid value for field 'resource.healthChecks': %d health checks were given. A backend service with INTERNAL load balancing scheme needs exactly one.", len(bs.HealthChecks))
	}
	for i, ref := range bs.HealthChecks {
		hk, err := c.healthCheckRef(fmt.Sprintf("resource.healthChecks[%d]", i), ref)
		if err != nil {
			return refs, err
		}
		bs.HealthChecks[i] = hk.SelfLink()
		refs.checks = append(refs.checks, hk)
	}
	seen := map[Key]bool{}
	for i, b := range bs.Backends {
		field := fmt.Sprintf("resource.backends[%d]", i)
		if b == nil || b.Group == "" {
			return refs, errRequired(field + ".group")
		}
		gk, err := c.refTo(field+".group", b.Group, "instanceGroups")
		if err != nil {
			return refs, err
		}
		if regionOfZone(gk.Location) != c.location {
			return refs, errInvalid("Invalid value for field '%s.group': '%s'. The instance group must be in a zone of region '%s'.", field, b.Group, c.location)
		}
		if seen[gk] {
			return refs, errInvalid("Invalid value for field '%s.group': '%s'. Duplicate backend group.", field, b.Group)
		}
		seen[gk] = true
		switch b.BalancingMode {
		case "":
			b.BalancingMode = "CONNECTION"
		case "CONNECTION":
		default:
			return refs, errInvalid("Invalid value for field '%s.balancingMode': '%s'. Backend services with INTERNAL load balancing scheme support only CONNECTION.", field, b.BalancingMode)
		}
		b.Group = gk.SelfLink()
		refs.groups = append(refs.groups, gk)
	}
	if bs.Network != "" {
		nk, err := c.refTo("resource.network", bs.Network, "networks")
		if err != nil {
			return refs, err
		}
		bs.Network, refs.network = nk.SelfLink(), nk
	}
	return refs, nil
}

// healthCheckRef resolves a reference to a global health check or one of
// the request's region; a bare name is global. A legacy check is refused.
func (c *call) healthCheckRef(field, ref string) (Key, error) {
	if k, err := ParseRef(ref, "httpHealthChecks", c.ref()); err == nil && ref != k.Name {
		return Key{}, errInvalid("Invalid value for field '%s': '%s'. Legacy HTTP health checks cannot be used with backend services of the INTERNAL scheme.", field, ref)
	}
	k, err := c.refTo(field, ref, "healthChecks")
	if err != nil {
		return Key{}, err
	}
	if k.Kind == Regional && k.Location != c.location {
		return Key{}, errInvalid("Invalid value for field '%s': '%s'. The health check must be global or in region '%s'.", field, ref, c.location)
	}
	return k, nil
}

// checkBackendRefs checks what a backend service refers to against the
// current state: everything exists, and no VM would be in two groups a
// backend service balances to.
func checkBackendRefs(t *tx, self Key, refs backendRefs) error {
	for _, k := range append(append([]Key{}, refs.checks...), refs.groups...) {
		if err := mustExist(t, k); err != nil {
			return err
		}
	}
	if refs.network != (Key{}) {
		if err := mustExist(t, refs.network); err != nil {
			return err
		}
	}
	for _, gk := range refs.groups {
		for _, link := range groupMembers(t, gk) {
			if other := balancedGroupOf(t, link, gk, self); other != "" {
				return errTwoBalancedGroups(link, other)
			}
		}
	}
	return nil
}

// groupUsedExcept says whether a backend service other than self (zero:
// any) balances to the group.
func groupUsedExcept(t *tx, gk, self Key) bool {
	used := false
	t.scan(gk.Project, "backendServices", func(bk Key, o any) {
		if bs, ok := o.(*compute.BackendService); ok && bk != self && backendGroups(bs)[gk.SelfLink()] {
			used = true
		}
	})
	return used
}

// backendGroups are the group URLs of a backend service's backends.
func backendGroups(bs *compute.BackendService) map[string]bool {
	out := make(map[string]bool, len(bs.Backends))
	for _, b := range bs.Backends {
		out[b.Group] = true
	}
	return out
}

// normaliseBackendServiceWrite checks a service written by update or
// patch: a fingerprint sent must be current, the scheme cannot change, and
// the forwarding rules sending to it must still match its protocol.
func normaliseBackendServiceWrite(c *call, t *tx, cur, next any, _ bool) error {
	old, bs := cur.(*compute.BackendService), next.(*compute.BackendService)
	if bs.Fingerprint != "" && bs.Fingerprint != old.Fingerprint {
		return errConditionNotMet("Supplied fingerprint does not match current fingerprint.")
	}
	refs, err := c.prepareBackendService(bs)
	if err != nil {
		return err
	}
	if bs.LoadBalancingScheme != old.LoadBalancingScheme {
		return errInvalid("Invalid value for field 'resource.loadBalancingScheme': '%s'. The load balancing scheme of a backend service cannot be changed.", bs.LoadBalancingScheme)
	}
	if err := checkBackendRefs(t, c.key(), refs); err != nil {
		return err
	}
	if err := checkRulesStillMatch(t, c.key(), bs); err != nil {
		return err
	}
	bs.Fingerprint = t.fingerprint()
	return nil
}

// checkRulesStillMatch refuses a protocol change the forwarding rules
// sending to the service would no longer match.
func checkRulesStillMatch(t *tx, bk Key, bs *compute.BackendService) error {
	var bad, proto string
	t.scan(bk.Project, "forwardingRules", func(fk Key, o any) {
		if fr, ok := o.(*compute.ForwardingRule); ok && sameRef(fr.BackendService, bk) && !protocolsMatch(fr.IPProtocol, bs.Protocol) {
			bad, proto = fk.Path(), fr.IPProtocol
		}
	})
	if bad != "" {
		return errInvalid("Invalid value for field 'resource.protocol': '%s'. The forwarding rule '%s' sends %s traffic to this backend service.", bs.Protocol, bad, proto)
	}
	return nil
}

// protocolsMatch: a rule's protocol must be the service's, unless the
// service takes any (UNSPECIFIED).
func protocolsMatch(ruleProto, serviceProto string) bool {
	return serviceProto == "UNSPECIFIED" || ruleProto == serviceProto
}
