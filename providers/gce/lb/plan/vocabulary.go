package plan

import (
	"fmt"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	computev1 "google.golang.org/api/compute/v1"
)

// The plan's vocabulary: the kinds of step (Op), a step (Action), a plan,
// what a plan is computed from (Input) and the planner that accumulates
// steps. The actions form a graph (each names the actions it must wait
// for); the applier runs every action whose predecessors are done, so
// independent steps overlap and a Service costs a few operation waits, not
// one per object.

// Op is what an action does.
type Op string

const (
	OpReserveAddress  Op = "reserve-address"
	OpReleaseAddress  Op = "release-address"
	OpCreateFirewall  Op = "create-firewall"
	OpPatchFirewall   Op = "patch-firewall"
	OpDeleteFirewall  Op = "delete-firewall"
	OpCreateCheck     Op = "create-check"
	OpUpdateCheck     Op = "update-check"
	OpDeleteCheck     Op = "delete-check"
	OpCreatePool      Op = "create-pool"
	OpAddInstances    Op = "add-instances"
	OpRemoveInstances Op = "remove-instances"
	OpAttachCheck     Op = "attach-check"
	OpDetachCheck     Op = "detach-check"
	OpDeletePool      Op = "delete-pool"
	OpCreateRule      Op = "create-rule"
	OpDeleteRule      Op = "delete-rule"
	OpSetTarget       Op = "set-target"
)

// poolOps change a target pool; GCE wants one change of a pool at a time,
// so the planner chains them.
var poolOps = map[Op]bool{OpCreatePool: true, OpAddInstances: true, OpRemoveInstances: true,
	OpAttachCheck: true, OpDetachCheck: true, OpDeletePool: true}

// Action is one GCE write (or, for delete-check, a check and then its
// firewall) with what it must wait for and what must be read again right
// before it (Recheck).
type Action struct {
	Kind  Op
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
	// Recheck declares what the executor reads afresh right before the
	// write, and which pure decision of this package turns that reading
	// into the write (or none): the cluster's shared health check and its
	// firewall may have been written or used by another Service since this
	// plan's observation.
	Recheck Recheck
	// CheckFirewall is deleted together with the check by delete-check.
	CheckFirewall string
}

func (a Action) String() string {
	s := a.Key
	if len(a.After) > 0 {
		s += " after [" + strings.Join(a.After, ", ") + "]"
	}
	return s
}

// Recheck is a re-read an action declares (see Action.Recheck).
type Recheck int

const (
	// RecheckNone: the observation the plan was made from is enough.
	RecheckNone Recheck = iota
	// RecheckCurrent: the shared check or its firewall, written once for
	// all Services: read it afresh; SharedCheckWrite / SharedFirewallWrite
	// decide create, update/patch or nothing.
	RecheckCurrent
	// RecheckUnused: delete the shared check (and its firewall) only if
	// SharedCheckUnused says so, from a fresh list of the region's target
	// pools and the number of syncs about to attach it.
	RecheckUnused
)

func (r Recheck) String() string {
	return [...]string{"none", "current", "unused"}[r]
}

// Plan is what EnsureLoadBalancer does.
type Plan struct {
	IP      string // the load balancer's IP; "" until the address is reserved
	Actions []Action
}

// Input is everything a plan depends on.
type Input struct {
	Spec      Spec
	Names     Names
	Cluster   string // the cluster name (--cluster-name)
	ClusterID string
	Project   string
	Region    string
	Network   string   // network URL
	Hosts     []string // instance URLs of the nodes
	Tags      []string // network tags of the nodes
	Seen      Seen
	// NodesCheckInUse: a target pool other than this Service's uses the
	// shared node health check.
	NodesCheckInUse bool
}

// planner accumulates the actions of one plan.
type planner struct {
	in      Input
	actions []Action
	lastOn  map[string]string // pool name -> key of the last action changing it
}

func newPlanner(in Input) *planner { return &planner{in: in, lastOn: map[string]string{}} }

// add appends an action after the given keys ("" ignored) and returns its
// key. Actions on one pool are chained in the order they are added.
func (p *planner) add(a Action, after ...string) string {
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
