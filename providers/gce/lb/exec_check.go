package lb

import (
	"context"
	"fmt"
	"maps"
	"slices"

	computev1 "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// The health check's executors. A step that declares a Recheck reads
// afresh and lets the plan's decision (plan.SharedCheckWrite,
// plan.SharedCheckUnused) say what to write.

func (l *LoadBalancers) execCheck(ctx context.Context, a plan.Action) error {
	switch {
	case a.Kind == plan.OpDeleteCheck && a.Recheck == plan.RecheckUnused:
		return l.deleteSharedCheck(ctx, a.Name, a.CheckFirewall)
	case a.Kind == plan.OpDeleteCheck:
		return l.deleteCheck(ctx, a.Name, a.CheckFirewall)
	case a.Recheck == plan.RecheckCurrent:
		return l.writeSharedCheck(ctx, a.Check)
	case a.Kind == plan.OpCreateCheck:
		return l.createCheck(ctx, a.Check)
	}
	return l.updateCheck(ctx, a.Check)
}

// writeSharedCheck re-reads the shared check (or takes what the last
// recheck read or wrote, recheck_memo.go) and writes what the plan
// decides. One writer at a time: a burst of new Services would otherwise
// all find it missing and all insert it.
func (l *LoadBalancers) writeSharedCheck(ctx context.Context, want *computev1.HttpHealthCheck) error {
	defer l.sharedCreate.Lock(want.Name)()
	have, fromMemo := l.checkMemo.get(want.Name)
	if !fromMemo {
		var err error
		have, err = l.api.GetHTTPHealthCheck(ctx, want.Name)
		if gceapi.IsNotFound(err) {
			have, err = nil, nil
		}
		if err != nil {
			return fmt.Errorf("reading health check %s: %w", want.Name, err)
		}
	}
	var err error
	op, hc := plan.SharedCheckWrite(have, want)
	switch op {
	case plan.OpCreateCheck:
		err = l.createCheck(ctx, hc)
	case plan.OpUpdateCheck:
		err = l.updateCheck(ctx, hc)
	}
	switch {
	case err != nil:
	case op != "":
		l.checkMemo.put(want.Name, hc) // what the write made
	case !fromMemo:
		l.checkMemo.put(want.Name, have) // what the read found
	}
	return err
}

// createCheck inserts a check; one that appeared meanwhile is updated.
func (l *LoadBalancers) createCheck(ctx context.Context, hc *computev1.HttpHealthCheck) error {
	err := l.api.InsertHTTPHealthCheck(ctx, hc)
	if gceapi.IsAlreadyExists(err) {
		return l.updateCheck(ctx, hc)
	}
	return wrote(l.checks, "creating health check", hc.Name, err)
}

func (l *LoadBalancers) updateCheck(ctx context.Context, hc *computev1.HttpHealthCheck) error {
	return wrote(l.checks, "updating health check", hc.Name, l.api.UpdateHTTPHealthCheck(ctx, hc))
}

// deleteCheck deletes a check and then its firewall. GCE's "in use"
// answer (a pool still holds it) leaves both.
func (l *LoadBalancers) deleteCheck(ctx context.Context, name, firewall string) error {
	defer l.checks.Invalidate(name)
	err := l.api.DeleteHTTPHealthCheck(ctx, name)
	switch {
	case gceapi.IsInUse(err):
		return nil
	case err != nil && !gceapi.IsNotFound(err):
		return fmt.Errorf("deleting health check %s: %w", name, err)
	}
	return l.deleteFirewall(ctx, firewall)
}

// deleteSharedCheck deletes the shared check if the plan's re-check, on a
// fresh list of the region's pools and the syncs about to attach it, says
// nobody uses it.
func (l *LoadBalancers) deleteSharedCheck(ctx context.Context, name, firewall string) error {
	check := gceref.GlobalKey(l.api.Project, "httpHealthChecks", name)
	unused := func(attaching int) (bool, error) {
		pools, err := l.pools.View(ctx, snapshot.Fresh())
		if err != nil {
			return false, fmt.Errorf("listing target pools to see who uses health check %s: %w", name, err)
		}
		return plan.SharedCheckUnused(slices.Collect(maps.Values(pools)), check, attaching), nil
	}
	return l.shared.deleteIf(unused, func() error { return l.deleteCheck(ctx, name, firewall) })
}
