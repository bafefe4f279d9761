package fakecompute

import (
	"fmt"
	"slices"

	compute "google.golang.org/api/compute/v1"
)

// Target pools: the backends of a target-pool network load balancer.
// Regional; members are VMs in the region's zones, health checks are legacy
// httpHealthChecks, at most one.

// maxPoolUpdate is how many instances one addInstance/removeInstance may name.
const maxPoolUpdate = 1000

func insertTargetPool(c *call) (any, error) {
	return insertAs(c, c.prepareTargetPool, func(t *tx, k Key, tp *compute.TargetPool, refs []Key) error {
		if err := mustExist(t, refs...); err != nil {
			return err
		}
		if err := t.chargeQuota(c.s, QuotaTargetPools, t.count(k.Project, "targetPools", Regional, k.Location), k.Location); err != nil {
			return err
		}
		c.s.stamp(t, k, tp)
		t.put(k, tp)
		return nil
	})
}

// prepareTargetPool normalises every reference and returns the keys that
// must exist when the pool is created.
func (c *call) prepareTargetPool(tp *compute.TargetPool) ([]Key, error) {
	if err := checkName(tp.Name); err != nil {
		return nil, err
	}
	if err := oneOf("sessionAffinity", &tp.SessionAffinity, "NONE", "NONE", "CLIENT_IP", "CLIENT_IP_PROTO"); err != nil {
		return nil, err
	}
	var refs []Key
	iks, err := c.poolInstances("resource.instances", tp.Instances)
	if err != nil {
		return nil, err
	}
	tp.Instances = nil
	for _, ik := range iks {
		if !slices.Contains(tp.Instances, ik.SelfLink()) {
			tp.Instances = append(tp.Instances, ik.SelfLink())
			refs = append(refs, ik)
		}
	}
	if len(tp.HealthChecks) > 1 {
		return nil, errInvalid("Invalid value for field 'resource.healthChecks': a target pool may have at most one health check; got %d.", len(tp.HealthChecks))
	}
	for i, ref := range tp.HealthChecks {
		hk, err := c.refTo(fmt.Sprintf("resource.healthChecks[%d]", i), ref, "httpHealthChecks")
		if err != nil {
			return nil, err
		}
		tp.HealthChecks[i] = hk.SelfLink()
		refs = append(refs, hk)
	}
	if tp.FailoverRatio < 0 || tp.FailoverRatio > 1 {
		return nil, errInvalid("Invalid value for field 'resource.failoverRatio': '%g'. Must be between 0 and 1.", tp.FailoverRatio)
	}
	if tp.BackupPool == "" {
		if tp.FailoverRatio > 0 {
			return nil, errInvalid("Invalid value for field 'resource.failoverRatio': '%g'. A failover ratio needs a backup pool.", tp.FailoverRatio)
		}
		return refs, nil
	}
	bk, err := c.refTo("resource.backupPool", tp.BackupPool, "targetPools")
	if err != nil {
		return nil, err
	}
	if bk.Location != c.location {
		return nil, errInvalid("Invalid value for field 'resource.backupPool': '%s'. The backup pool must be in region '%s'.", tp.BackupPool, c.location)
	}
	tp.BackupPool = bk.SelfLink()
	return append(refs, bk), nil
}

// poolInstances resolves instance references, which must name a zone of the
// pool's region.
func (c *call) poolInstances(field string, refs []string) ([]Key, error) {
	return c.keysOf(refs, "instances", indexed(field, ""), func(f, ref string, ik Key) error {
		if regionOfZone(ik.Location) != c.location {
			return errInvalid("Invalid value for field '%s': '%s'. The instance must be in a zone of region '%s'.", f, ref, c.location)
		}
		return nil
	})
}

// detachInstance takes a deleted VM out of every pool and instance group,
// as GCE does: a removeInstance after the VM is gone answers "not
// currently attached".
func detachInstance(t *tx, ik Key) {
	detachFromGroups(t, ik)
	link := ik.SelfLink()
	t.scan(ik.Project, "targetPools", func(pk Key, o any) {
		tp, ok := o.(*compute.TargetPool)
		if !ok || !slices.Contains(tp.Instances, link) {
			return
		}
		next := clone(tp)
		next.Instances = removeLinks(tp.Instances, map[string]bool{link: true})
		t.put(pk, next)
	})
}

func removeLinks(links []string, drop map[string]bool) []string {
	kept := make([]string, 0, len(links))
	for _, l := range links {
		if !drop[l] {
			kept = append(kept, l)
		}
	}
	return kept
}
