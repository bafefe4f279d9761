package plan

import "github.com/gce-ccm/gce-ccm/providers/gce/gceref"

// Build decides everything EnsureLoadBalancer does, or refuses. The order
// of the steps is their data: each planning function is handed the keys of
// the steps it must come after and returns the keys of its own.
//
//	address ─┬─ firewall ───────────────┐
//	         ├─ rule deletes ───────────┤
//	check ───┴─ pool (create/members) ──┴─ rule writes ─┬─ old pool deletes ─ check cleanup
//	                                                    └─ address release
func Build(in Input) (Plan, error) {
	if err := claim(in); err != nil {
		return Plan{}, err
	}
	ap, err := chooseIP(in)
	if err != nil {
		return Plan{}, err
	}
	p := newPlanner(in)
	active, recreate := choosePool(in)
	rules := diffRules(in, ap.IP, active)
	ipKey := p.planAddress(ap, rules.creates() || in.Spec.mixed())
	check := checkFor(in)
	checkKey, checkFwKey := p.planCheck(check)
	fwKey := p.planFirewall(ap.IP, ipKey)
	ruleDeletes := p.planRuleDeletes(rules, ipKey)
	poolSteps, letGo := p.planPool(active, recreate, check, checkKey, checkFwKey)
	ruleWrites := p.planRuleWrites(rules, append(poolSteps, fwKey, checkFwKey, ipKey), ruleDeletes)
	ruleSteps := append(ruleDeletes, ruleWrites...)
	poolDeletes := p.planPoolDeletes(active, recreate, ruleSteps)
	p.planCheckCleanup(check, append(letGo, poolDeletes...))
	p.planRelease(ap, ipKey != "", ruleSteps)
	return Plan{IP: ap.IP, Actions: p.actions}, nil
}

// The identities of the Service's objects: references GCE returns are
// compared with these (gceref.Key.Is), never by name alone, so that a pool,
// check or network of the same name in another project or region is not
// taken for ours.
func (in Input) poolID(name string) gceref.Key {
	return gceref.RegionalKey(in.Project, in.Region, "targetPools", name)
}
func (in Input) checkID(name string) gceref.Key {
	return gceref.GlobalKey(in.Project, "httpHealthChecks", name)
}
func (in Input) ruleID(name string) gceref.Key {
	return gceref.RegionalKey(in.Project, in.Region, "forwardingRules", name)
}
func (in Input) poolURL(name string) string  { return in.poolID(name).SelfLink() }
func (in Input) checkURL(name string) string { return in.checkID(name).SelfLink() }
