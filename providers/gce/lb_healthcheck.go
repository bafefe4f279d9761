package gce

import (
	"context"
	"fmt"

	computev1 "google.golang.org/api/compute/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

// Health checks. Target pools accept only legacy HTTP health checks.
// externalTrafficPolicy Cluster uses the cluster's shared check of
// kube-proxy's healthz (every node can serve); Local uses a check of the
// Service's healthCheckNodePort, which passes only on nodes with a ready
// endpoint. Each check has a firewall rule that lets GCE's probes in.

const (
	nodesCheckPort = 10256 // kube-proxy's healthz
	checkPath      = "/healthz"
	// 3 x 8 s: traffic leaves a failed node within about 24 seconds.
	checkInterval  = 8
	checkTimeout   = 1
	checkHealthy   = 1
	checkUnhealthy = 3
)

// checkSpec is the health check a Service uses.
type checkSpec struct {
	Name, FirewallName string
	Port               int64
	Shared             bool   // the cluster's node check
	Description        string // of the check and of its firewall
}

func checkFor(in planInput) checkSpec {
	n := in.Names
	if in.Spec.Local {
		return checkSpec{Name: n.LocalCheck, FirewallName: n.LocalCheckFirewall, Port: in.Spec.CheckPort,
			Description: serviceDescription(in.Spec.Service, in.Cluster)}
	}
	return checkSpec{Name: n.NodesCheck, FirewallName: n.NodesCheckFirewall, Port: nodesCheckPort, Shared: true,
		Description: sharedDescription(in.ClusterID, in.Cluster)}
}

// wantCheck is the check we want, keeping any interval, timeout or
// threshold a user raised above our defaults.
func wantCheck(c checkSpec, have *computev1.HttpHealthCheck) *computev1.HttpHealthCheck {
	hc := &computev1.HttpHealthCheck{Name: c.Name, Description: c.Description, Port: c.Port, RequestPath: checkPath,
		CheckIntervalSec: checkInterval, TimeoutSec: checkTimeout, HealthyThreshold: checkHealthy, UnhealthyThreshold: checkUnhealthy}
	if have != nil {
		hc.CheckIntervalSec = max(hc.CheckIntervalSec, have.CheckIntervalSec)
		hc.TimeoutSec = max(hc.TimeoutSec, have.TimeoutSec)
		hc.HealthyThreshold = max(hc.HealthyThreshold, have.HealthyThreshold)
		hc.UnhealthyThreshold = max(hc.UnhealthyThreshold, have.UnhealthyThreshold)
	}
	return hc
}

// checkStale says whether have must be replaced by want.
func checkStale(have, want *computev1.HttpHealthCheck) bool {
	return have.Port != want.Port || have.RequestPath != want.RequestPath || have.Description != want.Description ||
		have.Host != "" || have.CheckIntervalSec != want.CheckIntervalSec || have.TimeoutSec != want.TimeoutSec ||
		have.HealthyThreshold != want.HealthyThreshold || have.UnhealthyThreshold != want.UnhealthyThreshold
}

// planCheck creates or updates the Service's check and its firewall.
func (p *planner) planCheck(c checkSpec) (checkKey, firewallKey string) {
	have := p.in.Seen.Checks[c.Name]
	want := wantCheck(c, have)
	switch {
	case have == nil:
		checkKey = p.add(action{Kind: opCreateCheck, Name: c.Name, Check: want, Shared: c.Shared})
	case checkStale(have, want):
		checkKey = p.add(action{Kind: opUpdateCheck, Name: c.Name, Check: want, Shared: c.Shared})
	}
	firewallKey = p.syncFirewall(p.in.wantCheckFirewall(c), p.in.Seen.Firewalls[c.FirewallName], false, false, c.Shared)
	return checkKey, firewallKey
}

// planCheckCleanup deletes the check the Service no longer uses, once no
// pool of the Service holds it: its own check after a switch to Cluster,
// the shared one after a switch to Local if no other pool uses it.
func (p *planner) planCheckCleanup(use checkSpec) {
	n, s := p.in.Names, p.in.Seen
	after := p.keysOf(opDetachCheck, opDeletePool)
	if use.Shared {
		if s.Checks[n.LocalCheck] != nil || s.Firewalls[n.LocalCheckFirewall] != nil {
			p.add(action{Kind: opDeleteCheck, Name: n.LocalCheck, CheckFirewall: n.LocalCheckFirewall}, after...)
		}
		return
	}
	if (s.Checks[n.NodesCheck] != nil || s.Firewalls[n.NodesCheckFirewall] != nil) && !p.in.NodesCheckInUse {
		p.add(action{Kind: opDeleteCheck, Name: n.NodesCheck, CheckFirewall: n.NodesCheckFirewall, Shared: true}, after...)
	}
}

// createCheck inserts a check. The shared check is created once for all
// Services: under a lock, and only if a fresh read says it is missing.
func (l *loadBalancers) createCheck(ctx context.Context, hc *computev1.HttpHealthCheck, shared bool) error {
	if shared {
		defer l.sharedCreate.lock(hc.Name)()
		have, err := l.api().GetHTTPHealthCheck(ctx, hc.Name)
		if err == nil {
			return l.updateCheckIfStale(ctx, have, hc)
		}
		if !gceapi.IsNotFound(err) {
			return fmt.Errorf("reading health check %s: %w", hc.Name, err)
		}
	}
	defer l.checks.invalidate(hc.Name)
	err := l.api().InsertHTTPHealthCheck(ctx, hc)
	if gceapi.IsAlreadyExists(err) {
		return l.updateCheck(ctx, hc)
	}
	if err != nil {
		return fmt.Errorf("creating health check %s: %w", hc.Name, err)
	}
	return nil
}

func (l *loadBalancers) updateCheckIfStale(ctx context.Context, have, want *computev1.HttpHealthCheck) error {
	merged := wantCheck(checkSpec{Name: want.Name, Port: want.Port, Description: want.Description}, have)
	if !checkStale(have, merged) {
		return nil
	}
	return l.updateCheck(ctx, merged)
}

func (l *loadBalancers) updateCheck(ctx context.Context, hc *computev1.HttpHealthCheck) error {
	defer l.checks.invalidate(hc.Name)
	if err := l.api().UpdateHTTPHealthCheck(ctx, hc); err != nil {
		return fmt.Errorf("updating health check %s: %w", hc.Name, err)
	}
	return nil
}

// deleteCheck deletes a check and then its firewall. The shared check
// goes only if no target pool uses it: decided under the lock that
// Services attaching it hold, on a fresh list; GCE's "in use" answer is
// the backstop.
func (l *loadBalancers) deleteCheck(ctx context.Context, name, firewall string, shared bool) error {
	if shared {
		l.shared.Lock()
		defer l.shared.Unlock()
		used, err := l.checkInUse(ctx, name)
		if err != nil || used {
			return err
		}
	}
	defer l.checks.invalidate(name)
	err := l.api().DeleteHTTPHealthCheck(ctx, name)
	switch {
	case gceapi.IsInUse(err):
		return nil
	case err != nil && !gceapi.IsNotFound(err):
		return fmt.Errorf("deleting health check %s: %w", name, err)
	}
	return l.deleteFirewall(ctx, firewall)
}

// checkInUse lists the region's pools afresh and looks for the check.
func (l *loadBalancers) checkInUse(ctx context.Context, check string) (bool, error) {
	pools, err := l.pools.view(ctx, true)
	if err != nil {
		return false, fmt.Errorf("listing target pools to see who uses health check %s: %w", check, err)
	}
	for _, tp := range pools {
		for _, hc := range tp.GetHealthChecks() {
			if lastSegment(hc) == check {
				return true, nil
			}
		}
	}
	return false, nil
}
