package fakecompute

import (
	"sort"

	compute "google.golang.org/api/compute/v1"
)

// getBackendHealth reports the members of one backend group as GCE's
// prober would see them: HEALTHY when the VM is RUNNING. There is one
// status per member and per forwarding rule sending to the service (none:
// one status without a rule).
var getBackendHealth = withBody(func(c *call, ref *compute.ResourceGroupReference) (any, error) {
	gk, err := c.requiredRef("resource.group", ref.Group, "instanceGroups")
	if err != nil {
		return nil, err
	}
	out := &compute.BackendServiceGroupHealth{Kind: "compute#backendServiceGroupHealth"}
	err = c.s.store.read(func(t *tx) error {
		bs, err := getAs[compute.BackendService](t, c.key())
		if err != nil {
			return err
		}
		if !backendGroups(bs)[gk.SelfLink()] {
			return errInvalid("Invalid value for field 'resource.group': '%s'. The instance group is not a backend of this backend service.", ref.Group)
		}
		rules := rulesTo(t, c.key())
		for _, link := range groupMembers(t, gk) {
			state, ip := "UNHEALTHY", ""
			if inst, err := getAs[compute.Instance](t, keyFromLink(link)); err == nil {
				if inst.Status == StatusRunning {
					state = "HEALTHY"
				}
				if len(inst.NetworkInterfaces) > 0 {
					ip = inst.NetworkInterfaces[0].NetworkIP
				}
			}
			if len(rules) == 0 {
				out.HealthStatus = append(out.HealthStatus, &compute.HealthStatus{HealthState: state, Instance: link, IpAddress: ip})
			}
			for _, fr := range rules {
				out.HealthStatus = append(out.HealthStatus, &compute.HealthStatus{HealthState: state, Instance: link, IpAddress: ip,
					ForwardingRule: fr.SelfLink, ForwardingRuleIp: fr.IPAddress})
			}
		}
		return nil
	})
	return out, err
})

// rulesTo are the forwarding rules sending to a backend service, by name.
func rulesTo(t *tx, bk Key) []*compute.ForwardingRule {
	var out []*compute.ForwardingRule
	t.scan(bk.Project, "forwardingRules", func(_ Key, o any) {
		if fr, ok := o.(*compute.ForwardingRule); ok && sameRef(fr.BackendService, bk) {
			out = append(out, fr)
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
