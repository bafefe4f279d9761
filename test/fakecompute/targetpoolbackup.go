package fakecompute

import (
	"strconv"

	compute "google.golang.org/api/compute/v1"
)

// setPoolBackup is targetPools.setBackup: body {"target": backup pool},
// optional query parameter failoverRatio in [0, 1]. An empty target removes
// the backup pool (terraform's google provider sends that when backup_pool
// is unset); the failover ratio changes only when the parameter is given.
var setPoolBackup = withBody(func(c *call, ref *compute.TargetReference) (any, error) {
	ratio, hasRatio := 0.0, c.q.Has("failoverRatio")
	if hasRatio {
		r, err := strconv.ParseFloat(c.q.Get("failoverRatio"), 64)
		if err != nil || r < 0 || r > 1 {
			return nil, errInvalid("Invalid value for field 'failoverRatio': '%s'. Must be a number between 0 and 1.", c.q.Get("failoverRatio"))
		}
		ratio = r
	}
	k := c.key()
	var bk Key
	if ref.Target != "" {
		var err error
		if bk, err = c.refTo("resource.target", ref.Target, "targetPools"); err != nil {
			return nil, err
		}
		if bk.Location != c.location {
			return nil, errInvalid("Invalid value for field 'resource.target': '%s'. The backup pool must be in region '%s'.", ref.Target, c.location)
		}
		if bk == k {
			return nil, errInvalid("Invalid value for field 'resource.target': '%s'. A target pool cannot be its own backup.", ref.Target)
		}
	}
	return submitModify(c, "setBackup", func(t *tx, tp *compute.TargetPool) error {
		tp.BackupPool = ""
		if bk != (Key{}) {
			if err := mustExist(t, bk); err != nil {
				return err
			}
			tp.BackupPool = bk.SelfLink()
		}
		if hasRatio {
			tp.FailoverRatio = ratio
		}
		return nil
	})
})
