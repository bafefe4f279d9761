package gce

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

// The target pool holds every node VM the service controller passes. Its
// session affinity cannot change, so a change of affinity builds a second
// pool under the other name (<lb> or <lb>-alt), repoints the rules at it
// with setTarget and deletes the first: no moment without a pool.

// maxPoolCreateInstances is how many instances the insert itself carries,
// as upstream sends; the rest follow in addInstance batches.
const maxPoolCreateInstances = 200

func affinityOf(tp *computepb.TargetPool) string {
	if a := tp.GetSessionAffinity(); a != "" {
		return a
	}
	return "NONE"
}

// choosePool picks the pool the rules must target: one of the right
// affinity (the one a rule already targets first), else a new pool under
// a name no rule uses. recreate names a pool to delete before creating
// active (both names taken by pools of the wrong affinity).
func choosePool(in planInput) (active, recreate string) {
	n, s := in.Names, in.Seen
	good := func(name string) bool { return s.Pools[name] != nil && affinityOf(s.Pools[name]) == in.Spec.Affinity }
	targeted := targetedPools(in)
	for _, name := range append(targeted, n.pools()...) {
		if good(name) {
			return name, ""
		}
	}
	for _, name := range n.pools() {
		if s.Pools[name] == nil {
			return name, ""
		}
	}
	for _, name := range n.pools() {
		if !slices.Contains(targeted, name) {
			return name, name
		}
	}
	return n.LB, n.LB
}

// targetedPools are our pools the Service's rules point at, <lb>'s first.
func targetedPools(in planInput) []string {
	var out []string
	for _, rn := range in.Names.rules() {
		r := in.Seen.Rules[rn]
		if r == nil {
			continue
		}
		if t := lastSegment(r.GetTarget()); in.Seen.Pools[t] != nil && slices.Contains(in.Names.pools(), t) && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// planPool creates the active pool, or brings its members and health
// check up to date.
func (p *planner) planPool(active, recreate string, c checkSpec, checkKey, checkFwKey string) {
	in := p.in
	have := in.Seen.Pools[active]
	if recreate != "" {
		p.add(action{Kind: opDeletePool, Name: recreate})
		have = nil
	}
	if have == nil {
		first := in.Hosts[:min(len(in.Hosts), maxPoolCreateInstances)]
		tp := &computepb.TargetPool{Name: proto.String(active), Description: proto.String(serviceDescription(in.Spec.Service, in.Cluster)),
			Instances: first, SessionAffinity: proto.String(in.Spec.Affinity), HealthChecks: []string{in.checkURL(c.Name)}}
		p.add(action{Kind: opCreatePool, Name: active, Pool: tp}, checkKey, checkFwKey)
		p.planMembers(active, in.Hosts[len(first):], nil)
		return
	}
	add, remove := diffMembers(have.GetInstances(), in.Hosts)
	p.planMembers(active, add, remove)
	attached := false
	for _, hc := range have.GetHealthChecks() {
		if lastSegment(hc) == c.Name {
			attached = true
			continue
		}
		p.add(action{Kind: opDetachCheck, Name: active, Ref: hc})
	}
	if !attached {
		p.add(action{Kind: opAttachCheck, Name: active, Ref: in.checkURL(c.Name)}, checkKey, checkFwKey)
	}
}

// planMembers adds, then removes, in batches GCE accepts.
func (p *planner) planMembers(pool string, add, remove []string) {
	for _, b := range chunks(add, gceapi.MaxPoolUpdate) {
		p.add(action{Kind: opAddInstances, Name: pool, Instances: b})
	}
	for _, b := range chunks(remove, gceapi.MaxPoolUpdate) {
		p.add(action{Kind: opRemoveInstances, Name: pool, Instances: b})
	}
}

// planPoolDeletes deletes our pools the rules no longer target.
func (p *planner) planPoolDeletes(active string) {
	for _, name := range p.in.Names.pools() {
		if name != active && p.in.Seen.Pools[name] != nil && !p.has(string(opDeletePool)+" "+name) {
			p.add(action{Kind: opDeletePool, Name: name}, p.keysOf(opCreateRule, opDeleteRule, opSetTarget)...)
		}
	}
}

// diffMembers compares pool members by VM, whatever URL form GCE
// returns: add are wanted URLs, remove the pool's own URLs.
func diffMembers(have, want []string) (add, remove []string) {
	inPool := map[string]bool{}
	for _, u := range have {
		inPool[vmKey(u)] = true
	}
	wanted := map[string]bool{}
	for _, u := range want {
		wanted[vmKey(u)] = true
		if !inPool[vmKey(u)] {
			add = append(add, u)
		}
	}
	for _, u := range have {
		if !wanted[vmKey(u)] {
			remove = append(remove, u)
		}
	}
	sort.Strings(add)
	sort.Strings(remove)
	return add, remove
}

func vmKey(u string) string {
	if vm, err := ParseInstanceURL(u); err == nil {
		return vm.String()
	}
	return u
}

func chunks(s []string, n int) [][]string {
	var out [][]string
	for len(s) > 0 {
		k := min(n, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

// The executor's pool writes. Each invalidates the pool in the cache.

func (l *loadBalancers) createPool(ctx context.Context, tp *computepb.TargetPool) error {
	defer l.pools.invalidate(tp.GetName())
	if err := l.api().InsertTargetPool(ctx, l.region(), tp); err != nil {
		return fmt.Errorf("creating target pool %s: %w", tp.GetName(), err)
	}
	return nil
}

func (l *loadBalancers) deletePool(ctx context.Context, name string) error {
	defer l.pools.invalidate(name)
	if err := l.api().DeleteTargetPool(ctx, l.region(), name); err != nil && !gceapi.IsNotFound(err) {
		return fmt.Errorf("deleting target pool %s: %w", name, err)
	}
	return nil
}

// changePool runs one write to a pool's members or health check.
func (l *loadBalancers) changePool(ctx context.Context, a action) error {
	defer l.pools.invalidate(a.Name)
	api, region := l.api(), l.region()
	var err error
	switch a.Kind {
	case opAddInstances:
		err = api.AddTargetPoolInstances(ctx, region, a.Name, a.Instances)
	case opRemoveInstances:
		err = api.RemoveTargetPoolInstances(ctx, region, a.Name, a.Instances)
	case opAttachCheck:
		err = api.AddTargetPoolHealthCheck(ctx, region, a.Name, a.Ref)
	case opDetachCheck:
		err = api.RemoveTargetPoolHealthCheck(ctx, region, a.Name, a.Ref)
	default:
		err = fmt.Errorf("not a pool change: %s", a.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s on target pool %s: %w", a.Kind, a.Name, err)
	}
	return nil
}
