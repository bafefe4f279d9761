package plan

import (
	"errors"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// ErrNoPool: UpdateLoadBalancer found no pool to update.
var ErrNoPool = errors.New("the load balancer has no target pool yet (EnsureLoadBalancer makes it)")

// Members brings the Service's existing pool(s) up to hosts: at most one
// add and one remove per 1,000 changed nodes and pool. A pool of another
// owner refuses the whole update; no pool at all is ErrNoPool.
func Members(n Names, service, cluster string, pools map[string]*computepb.TargetPool, hosts []string) ([]Action, error) {
	p := newPlanner(Input{Names: n})
	found := 0
	for _, name := range n.Pools() {
		tp := pools[name]
		if tp == nil {
			continue
		}
		if ServiceOwner(tp.GetDescription(), service, cluster) == ownership.Foreign {
			return nil, &ConflictError{Kind: "target pool", Name: name, Description: tp.GetDescription()}
		}
		found++
		add, remove := DiffMembers(tp.GetInstances(), hosts)
		p.planMembers(name, add, remove)
	}
	if found == 0 {
		return nil, ErrNoPool
	}
	return p.actions, nil
}
