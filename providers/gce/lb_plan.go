package gce

import (
	"fmt"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"
)

// The load balancer as a plan: pure functions from what the Service asks
// for (lbSpec), the nodes, the config and what exists (seen) to an ordered
// set of actions. The actions form a graph (each names the actions it must
// wait for); the applier runs every action whose predecessors are done, so
// independent steps overlap and a Service costs a few operation waits, not
// one per object.

// opKind is what an action does.
type opKind string

const (
	opReserveAddress  opKind = "reserve-address"
	opReleaseAddress  opKind = "release-address"
	opCreateFirewall  opKind = "create-firewall"
	opPatchFirewall   opKind = "patch-firewall"
	opDeleteFirewall  opKind = "delete-firewall"
	opCreateCheck     opKind = "create-check"
	opUpdateCheck     opKind = "update-check"
	opDeleteCheck     opKind = "delete-check"
	opCreatePool      opKind = "create-pool"
	opAddInstances    opKind = "add-instances"
	opRemoveInstances opKind = "remove-instances"
	opAttachCheck     opKind = "attach-check"
	opDetachCheck     opKind = "detach-check"
	opDeletePool      opKind = "delete-pool"
	opCreateRule      opKind = "create-rule"
	opDeleteRule      opKind = "delete-rule"
	opSetTarget       opKind = "set-target"
)

// poolOps change a target pool; GCE wants one change of a pool at a time,
// so the planner chains them.
var poolOps = map[opKind]bool{opCreatePool: true, opAddInstances: true, opRemoveInstances: true,
	opAttachCheck: true, opDetachCheck: true, opDeletePool: true}

// action is one GCE write (or, for create-pool and delete-check, a short
// fixed sequence of them) with what it must wait for.
type action struct {
	Kind  opKind
	Name  string   // the object acted on
	Key   string   // unique in the plan: kind, name and a batch number if needed
	After []string // keys of the actions that must be done first

	Address   *computepb.Address
	Firewall  *computepb.Firewall
	Check     *computev1.HttpHealthCheck
	Pool      *computepb.TargetPool
	Rule      *computepb.ForwardingRule
	Instances []string // add/remove-instances: instance URLs
	Ref       string   // attach/detach-check: the check's URL; set-target: the pool's URL
	// FillIP: the object takes the load balancer's IP, known only once
	// the address is reserved.
	FillIP bool
	// Shared: the cluster's shared health check or its firewall; created
	// once for all Services, deleted only when no target pool uses it.
	Shared bool
	// CheckFirewall is deleted together with the check by delete-check.
	CheckFirewall string
}

func (a action) String() string {
	s := a.Key
	if len(a.After) > 0 {
		s += " after [" + strings.Join(a.After, ", ") + "]"
	}
	return s
}

// plan is what EnsureLoadBalancer does.
type plan struct {
	IP      string // the load balancer's IP; "" until the address is reserved
	Actions []action
}

// planInput is everything a plan depends on.
type planInput struct {
	Spec      lbSpec
	Names     lbNames
	Cluster   string // the cluster name (--cluster-name)
	ClusterID string
	Project   string
	Region    string
	Network   string   // network URL
	Hosts     []string // instance URLs of the nodes
	Tags      []string // network tags of the nodes
	Seen      seen
	// NodesCheckInUse: a target pool other than this Service's uses the
	// shared node health check.
	NodesCheckInUse bool
}

// planLB decides everything EnsureLoadBalancer does, or refuses.
func planLB(in planInput) (plan, error) {
	if err := claim(in); err != nil {
		return plan{}, err
	}
	ap, err := chooseIP(in)
	if err != nil {
		return plan{}, err
	}
	p := &planner{in: in, lastOn: map[string]string{}}
	active, drop := choosePool(in)
	rules := diffRules(in, ap.IP, active)
	ipKey := p.planAddress(ap, rules.creates() || in.Spec.mixed())
	check := checkFor(in)
	checkKey, checkFwKey := p.planCheck(check)
	fwKey := p.planFirewall(ap.IP, ipKey)
	p.planRuleDeletes(rules, ipKey)
	p.planPool(active, drop, check, checkKey, checkFwKey)
	p.planRuleWrites(rules, append(p.keysOn(active), fwKey, checkFwKey, ipKey))
	p.planPoolDeletes(active)
	p.planCheckCleanup(check)
	p.planRelease(ap)
	return plan{IP: ap.IP, Actions: p.actions}, nil
}

// planner accumulates the actions of one plan.
type planner struct {
	in      planInput
	actions []action
	lastOn  map[string]string // pool name -> key of the last action changing it
}

// add appends an action after the given keys ("" ignored) and returns its
// key. Actions on one pool are chained in the order they are added.
func (p *planner) add(a action, after ...string) string {
	if poolOps[a.Kind] {
		after = append(after, p.lastOn[a.Name])
	}
	seen := map[string]bool{}
	for _, k := range after {
		if k != "" && !seen[k] {
			seen[k] = true
			a.After = append(a.After, k)
		}
	}
	a.Key = string(a.Kind) + " " + a.Name
	for n := 2; p.has(a.Key); n++ {
		a.Key = fmt.Sprintf("%s %s #%d", a.Kind, a.Name, n)
	}
	if poolOps[a.Kind] {
		p.lastOn[a.Name] = a.Key
	}
	p.actions = append(p.actions, a)
	return a.Key
}

func (p *planner) has(key string) bool {
	for _, a := range p.actions {
		if a.Key == key {
			return true
		}
	}
	return false
}

// keysOf are the keys of the actions planned so far of the given kinds.
func (p *planner) keysOf(kinds ...opKind) []string {
	var out []string
	for _, a := range p.actions {
		for _, k := range kinds {
			if a.Kind == k {
				out = append(out, a.Key)
			}
		}
	}
	return out
}

// keysOn are the keys of the actions planned so far on one pool.
func (p *planner) keysOn(pool string) []string {
	var out []string
	for _, a := range p.actions {
		if poolOps[a.Kind] && a.Name == pool {
			out = append(out, a.Key)
		}
	}
	return out
}

// projectURL is the URL prefix of the project's resources.
func (in planInput) projectURL() string {
	return "https://www.googleapis.com/compute/v1/projects/" + in.Project
}

func (in planInput) poolURL(name string) string {
	return in.projectURL() + "/regions/" + in.Region + "/targetPools/" + name
}

func (in planInput) checkURL(name string) string {
	return in.projectURL() + "/global/httpHealthChecks/" + name
}
