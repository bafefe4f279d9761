package fakecompute

import (
	"slices"
	"sort"

	compute "google.golang.org/api/compute/v1"
)

// The verbs that change who is in a target pool (instances, health check)
// and getHealth, which reports on a member.

var addPoolInstances = memberVerb("addInstance",
	func(c *call, req *compute.TargetPoolsAddInstanceRequest) ([]Key, error) {
		return c.poolUpdate(req.Instances)
	},
	func(_ *call, t *tx, tp *compute.TargetPool, iks []Key) (err error) {
		tp.Instances, err = attachLinks(t, tp.Instances, iks)
		return err
	})

// removePoolInstances fails as a whole when one instance is not a member,
// with the 400 GCE gives ("Instance is not currently attached to this
// target pool").
var removePoolInstances = memberVerb("removeInstance",
	func(c *call, req *compute.TargetPoolsRemoveInstanceRequest) ([]Key, error) {
		return c.poolUpdate(req.Instances)
	},
	func(_ *call, _ *tx, tp *compute.TargetPool, iks []Key) (err error) {
		tp.Instances, err = detachLinks(tp.Instances, iks, notAttached("instance", "Instance"))
		return err
	})

// poolUpdate checks the size and the references of an add/remove request.
func (c *call) poolUpdate(refs []*compute.InstanceReference) ([]Key, error) {
	links, err := linksOf("resource.instances", "instance", refs, maxPoolUpdate, func(r *compute.InstanceReference) string { return r.Instance })
	if err != nil {
		return nil, err
	}
	return c.poolInstances("resource.instances", links)
}

// attachLinks adds the objects' links to a pool's list; each must exist, and
// adding a member again changes nothing, as in GCE.
// A set, not a scan of the list: adding 1,000 VMs to a pool of 4,000 was
// 4 million string compares, twice (dry run and commit), per request.
func attachLinks(t *tx, have []string, keys []Key) ([]string, error) {
	out := append([]string(nil), have...)
	in := linkSet(have)
	for _, k := range keys {
		if err := mustExist(t, k); err != nil {
			return nil, err
		}
		if l := k.SelfLink(); !in[l] {
			in[l] = true
			out = append(out, l)
		}
	}
	return out, nil
}

func linkSet(links []string) map[string]bool {
	in := make(map[string]bool, len(links))
	for _, l := range links {
		in[l] = true
	}
	return in
}

// detachLinks removes the objects' links; the request fails as a whole
// (absent) if one is not attached.
func detachLinks(have []string, keys []Key, absent func(link string) error) ([]string, error) {
	drop, in := map[string]bool{}, linkSet(have)
	for _, k := range keys {
		if !in[k.SelfLink()] {
			return nil, absent(k.SelfLink())
		}
		drop[k.SelfLink()] = true
	}
	return removeLinks(have, drop), nil
}

// notAttached is errNotAttached of a field, for detachLinks.
func notAttached(field, what string) func(link string) error {
	return func(link string) error { return errNotAttached(field, link, what) }
}

func errNotAttached(field, link, what string) *apiError {
	return errInvalid("Invalid value for field 'resource.%s': '%s'. %s is not currently attached to this target pool.", field, link, what)
}

// addPoolHealthCheck attaches a legacy HTTP health check; a pool holds one.
var addPoolHealthCheck = memberVerb("addHealthCheck",
	func(c *call, req *compute.TargetPoolsAddHealthCheckRequest) ([]Key, error) {
		return c.poolHealthChecks(req.HealthChecks)
	},
	func(_ *call, t *tx, tp *compute.TargetPool, hks []Key) error {
		links, err := attachLinks(t, tp.HealthChecks, hks)
		if err != nil {
			return err
		}
		if len(links) > 1 {
			return errInvalid("Invalid value for field 'resource.healthChecks': a target pool may have at most one health check; remove '%s' first.", tp.HealthChecks[0])
		}
		tp.HealthChecks = links
		return nil
	})

var removePoolHealthCheck = memberVerb("removeHealthCheck",
	func(c *call, req *compute.TargetPoolsRemoveHealthCheckRequest) ([]Key, error) {
		return c.poolHealthChecks(req.HealthChecks)
	},
	func(_ *call, _ *tx, tp *compute.TargetPool, hks []Key) (err error) {
		tp.HealthChecks, err = detachLinks(tp.HealthChecks, hks, notAttached("healthCheck", "Health check"))
		return err
	})

func (c *call) poolHealthChecks(refs []*compute.HealthCheckReference) ([]Key, error) {
	links, err := linksOf("resource.healthChecks", "healthCheck", refs, 0, func(r *compute.HealthCheckReference) string { return r.HealthCheck })
	if err != nil {
		return nil, err
	}
	return c.keysOf(links, "httpHealthChecks", indexed("resource.healthChecks", "healthCheck"), nil)
}

// getPoolHealth reports a member as GCE's prober would see it: HEALTHY when
// the VM exists and is RUNNING. There is one status per IP of the
// forwarding rules that target the pool (none: one status without an IP).
var getPoolHealth = withBody(func(c *call, ref *compute.InstanceReference) (any, error) {
	ik, err := c.requiredRef("resource.instance", ref.Instance, "instances")
	if err != nil {
		return nil, err
	}
	var out *compute.TargetPoolInstanceHealth
	err = c.s.store.read(func(t *tx) error {
		tp, err := getAs[compute.TargetPool](t, c.key())
		if err != nil {
			return err
		}
		if !slices.Contains(tp.Instances, ik.SelfLink()) {
			return errNotAttached("instance", ik.SelfLink(), "Instance")
		}
		state := "UNHEALTHY"
		if inst, err := getAs[compute.Instance](t, ik); err == nil && inst.Status == StatusRunning {
			state = "HEALTHY"
		}
		out = &compute.TargetPoolInstanceHealth{Kind: "compute#targetPoolInstanceHealth"}
		for _, ip := range poolIPs(t, c.key()) {
			out.HealthStatus = append(out.HealthStatus, &compute.HealthStatus{HealthState: state, Instance: ik.SelfLink(), IpAddress: ip})
		}
		if len(out.HealthStatus) == 0 {
			out.HealthStatus = []*compute.HealthStatus{{HealthState: state, Instance: ik.SelfLink()}}
		}
		return nil
	})
	return out, err
})

// poolIPs are the distinct IPs of the forwarding rules targeting a pool.
func poolIPs(t *tx, pk Key) []string {
	seen := map[string]bool{}
	var ips []string
	t.scan(pk.Project, "forwardingRules", func(_ Key, o any) {
		fr, ok := o.(*compute.ForwardingRule)
		if ok && sameRef(fr.Target, pk) && !seen[fr.IPAddress] {
			seen[fr.IPAddress] = true
			ips = append(ips, fr.IPAddress)
		}
	})
	sort.Strings(ips)
	return ips
}
