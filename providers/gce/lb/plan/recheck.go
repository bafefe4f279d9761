package plan

import (
	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// The decisions the executor takes for a step that declares a Recheck,
// from what it has just read again. They are the plan's, not the
// executor's: pure, and table-tested with the rest of the plan.

// SharedCheckWrite (RecheckCurrent) turns a fresh read of the shared check
// (nil: it does not exist) into the write to make: create-check with want,
// update-check with want merged with have (values a user raised stay), or
// "" when have already serves.
func SharedCheckWrite(have, want *computev1.HttpHealthCheck) (Op, *computev1.HttpHealthCheck) {
	if have == nil {
		return OpCreateCheck, want
	}
	merged := WantCheck(checkSpec{Name: want.Name, Port: want.Port, Description: want.Description}, have)
	if !CheckStale(have, merged) {
		return "", nil
	}
	return OpUpdateCheck, merged
}

// SharedFirewallWrite (RecheckCurrent) turns a fresh read of the shared
// check's firewall (nil: it does not exist) into create-firewall,
// patch-firewall or "" (no drift).
func SharedFirewallWrite(have, want *computepb.Firewall) Op {
	switch {
	case have == nil:
		return OpCreateFirewall
	case len(FirewallDrift(have, want, false)) > 0:
		return OpPatchFirewall
	}
	return ""
}

// SharedCheckUnused (RecheckUnused) says whether the shared check may be
// deleted: no target pool of the region (freshly listed) uses it, and no
// sync of this process is between observing it and attaching it
// (attaching > 0): such a sync planned no create-check and would build a
// pool on a check that is gone.
func SharedCheckUnused(pools []*computepb.TargetPool, check gceref.Key, attaching int) bool {
	if attaching > 0 {
		return false
	}
	for _, tp := range pools {
		for _, hc := range tp.GetHealthChecks() {
			if check.Is(hc) {
				return false
			}
		}
	}
	return true
}
