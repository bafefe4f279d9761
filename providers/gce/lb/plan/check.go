package plan

import (
	computev1 "google.golang.org/api/compute/v1"
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
	Shared             bool   // the cluster's node check: written with RecheckCurrent
	Description        string // of the check and of its firewall
}

func checkFor(in Input) checkSpec {
	n := in.Names
	if in.Spec.Local {
		return checkSpec{Name: n.LocalCheck, FirewallName: n.LocalCheckFirewall, Port: in.Spec.CheckPort,
			Description: serviceDescription(in.Spec.Service, in.Cluster)}
	}
	return checkSpec{Name: n.NodesCheck, FirewallName: n.NodesCheckFirewall, Port: nodesCheckPort, Shared: true,
		Description: sharedDescription(in.ClusterID, in.Cluster)}
}

// WantCheck is the check we want, keeping any interval, timeout or
// threshold a user raised above our defaults.
func WantCheck(c checkSpec, have *computev1.HttpHealthCheck) *computev1.HttpHealthCheck {
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

// CheckStale says whether have must be replaced by want.
func CheckStale(have, want *computev1.HttpHealthCheck) bool {
	return have.Port != want.Port || have.RequestPath != want.RequestPath || have.Description != want.Description ||
		have.Host != "" || have.CheckIntervalSec != want.CheckIntervalSec || have.TimeoutSec != want.TimeoutSec ||
		have.HealthyThreshold != want.HealthyThreshold || have.UnhealthyThreshold != want.UnhealthyThreshold
}

// planCheck creates or updates the Service's check and its firewall. The
// shared check's steps declare RecheckCurrent: another Service may write
// it between this plan's observation and its apply.
func (p *planner) planCheck(c checkSpec) (checkKey, firewallKey string) {
	have := p.in.Seen.Checks[c.Name]
	want := WantCheck(c, have)
	recheck := RecheckNone
	if c.Shared {
		recheck = RecheckCurrent
	}
	switch {
	case have == nil:
		checkKey = p.add(Action{Kind: OpCreateCheck, Name: c.Name, Check: want, Recheck: recheck})
	case CheckStale(have, want):
		checkKey = p.add(Action{Kind: OpUpdateCheck, Name: c.Name, Check: want, Recheck: recheck})
	}
	firewallKey = p.syncFirewall(p.in.wantCheckFirewall(c), p.in.Seen.Firewalls[c.FirewallName], false, false, recheck)
	return checkKey, firewallKey
}

// planCheckCleanup deletes the check the Service no longer uses, once no
// pool of the Service holds it: its own check after a switch to Cluster,
// the shared one after a switch to Local if no other pool uses it (seen
// here, and re-checked at apply: RecheckUnused). after are the steps that
// let go of it: detach-check and delete-pool.
func (p *planner) planCheckCleanup(use checkSpec, after []string) {
	n, s := p.in.Names, p.in.Seen
	if use.Shared {
		if s.Checks[n.LocalCheck] != nil || s.Firewalls[n.LocalCheckFirewall] != nil {
			p.add(Action{Kind: OpDeleteCheck, Name: n.LocalCheck, CheckFirewall: n.LocalCheckFirewall}, after...)
		}
		return
	}
	if (s.Checks[n.NodesCheck] != nil || s.Firewalls[n.NodesCheckFirewall] != nil) && !p.in.NodesCheckInUse {
		p.add(Action{Kind: OpDeleteCheck, Name: n.NodesCheck, CheckFirewall: n.NodesCheckFirewall, Recheck: RecheckUnused}, after...)
	}
}
