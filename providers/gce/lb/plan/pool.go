package plan

import (
	"slices"
	"sort"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// The target pool holds every node VM the service controller passes. Its
// session affinity cannot change, so a change of affinity builds a second
// pool under the other name (<lb> or <lb>-alt), repoints the rules at it
// with setTarget and deletes the first: no moment without a pool.

// maxPoolCreateInstances is how many instances the insert itself carries,
// as upstream sends; the rest follow in addInstance batches.
const maxPoolCreateInstances = 200

// MaxPoolUpdate is how many instances GCE takes in one addInstance or
// removeInstance call (1,000); gceapi refuses more (a test in package lb
// keeps the two equal).
const MaxPoolUpdate = 1000

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
func choosePool(in Input) (active, recreate string) {
	n, s := in.Names, in.Seen
	good := func(name string) bool { return s.Pools[name] != nil && affinityOf(s.Pools[name]) == in.Spec.Affinity }
	targeted := targetedPools(in)
	for _, name := range append(targeted, n.Pools()...) {
		if good(name) {
			return name, ""
		}
	}
	for _, name := range n.Pools() {
		if s.Pools[name] == nil {
			return name, ""
		}
	}
	for _, name := range n.Pools() {
		if !slices.Contains(targeted, name) {
			return name, name
		}
	}
	return n.LB, n.LB
}

// targetedPools are our pools the Service's rules point at, <lb>'s first.
func targetedPools(in Input) []string {
	var out []string
	for _, rn := range in.Names.Rules() {
		r := in.Seen.Rules[rn]
		if r == nil {
			continue
		}
		for _, t := range in.Names.Pools() {
			if in.Seen.Pools[t] != nil && in.poolID(t).Is(r.GetTarget()) && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// planPool creates the active pool, or brings its members and health
// check up to date.
// It returns the keys of every step on the pool (rules wait for them) and
// of those that let go of a health check (a delete-pool or detach-check:
// the check's cleanup waits for them).
func (p *planner) planPool(active, recreate string, c checkSpec, checkKey, checkFwKey string) (all, letGo []string) {
	in := p.in
	have := in.Seen.Pools[active]
	if recreate != "" {
		letGo = append(letGo, p.add(Action{Kind: OpDeletePool, Name: recreate}))
		have = nil
	}
	if have == nil {
		first := in.Hosts[:min(len(in.Hosts), maxPoolCreateInstances)]
		tp := &computepb.TargetPool{Name: proto.String(active), Description: proto.String(serviceDescription(in.Spec.Service, in.Cluster)),
			Instances: first, SessionAffinity: proto.String(in.Spec.Affinity), HealthChecks: []string{in.checkURL(c.Name)}}
		p.add(Action{Kind: OpCreatePool, Name: active, Pool: tp}, checkKey, checkFwKey)
		p.planMembers(active, in.Hosts[len(first):], nil)
		return p.keysOn(active), letGo
	}
	add, remove := DiffMembers(have.GetInstances(), in.Hosts)
	p.planMembers(active, add, remove)
	attached := false
	for _, hc := range have.GetHealthChecks() {
		if in.checkID(c.Name).Is(hc) {
			attached = true
			continue
		}
		letGo = append(letGo, p.add(Action{Kind: OpDetachCheck, Name: active, Ref: hc}))
	}
	if !attached {
		p.add(Action{Kind: OpAttachCheck, Name: active, Ref: in.checkURL(c.Name)}, checkKey, checkFwKey)
	}
	return p.keysOn(active), letGo
}

// planMembers adds, then removes, in batches GCE accepts.
func (p *planner) planMembers(pool string, add, remove []string) {
	for _, b := range chunks(add, MaxPoolUpdate) {
		p.add(Action{Kind: OpAddInstances, Name: pool, Instances: b})
	}
	for _, b := range chunks(remove, MaxPoolUpdate) {
		p.add(Action{Kind: OpRemoveInstances, Name: pool, Instances: b})
	}
}

// planPoolDeletes deletes our pools the rules no longer target, once the
// rule steps (ruleSteps) are done; recreated is the pool planPool already
// deletes.
func (p *planner) planPoolDeletes(active, recreated string, ruleSteps []string) (keys []string) {
	for _, name := range p.in.Names.Pools() {
		if name != active && name != recreated && p.in.Seen.Pools[name] != nil {
			keys = append(keys, p.add(Action{Kind: OpDeletePool, Name: name}, ruleSteps...))
		}
	}
	return keys
}

// DiffMembers compares pool members by VM, whatever URL form GCE
// returns: add are wanted URLs, remove the pool's own URLs. Each side
// names a VM at most once (a pool holds a VM once; hostsOf builds one URL
// per VM).
//
// Both sides are nearly always the same selfLinks, most of them the same
// strings (interned), so they are matched as strings first and only the
// few left over are parsed: at 5,000 nodes a sync that parsed every URL
// into two maps of VM keys allocated 1.5 MB, with 50 syncs at a time.
func DiffMembers(have, want []string) (add, remove []string) {
	if slices.Equal(have, want) {
		return nil, nil
	}
	inPool := make(map[string]struct{}, len(have))
	for _, u := range have {
		inPool[u] = struct{}{}
	}
	wanted := make(map[string]struct{}, len(want))
	for _, u := range want {
		wanted[u] = struct{}{}
		if _, ok := inPool[u]; !ok {
			add = append(add, u)
		}
	}
	for _, u := range have {
		if _, ok := wanted[u]; !ok {
			remove = append(remove, u)
		}
	}
	if len(add) > 0 && len(remove) > 0 {
		// The same VM named in two forms is neither added nor removed.
		add, remove = sameVMs(add, remove)
	}
	sort.Strings(add)
	sort.Strings(remove)
	return add, remove
}

// sameVMs drops from add and remove the URLs that name the same VM.
func sameVMs(add, remove []string) (onlyAdd, onlyRemove []string) {
	removed := make(map[gceref.Key]bool, len(remove))
	for _, u := range remove {
		removed[vmKey(u)] = true
	}
	kept := make(map[gceref.Key]bool, len(add))
	for _, u := range add {
		if k := vmKey(u); removed[k] {
			kept[k] = true
		} else {
			onlyAdd = append(onlyAdd, u)
		}
	}
	for _, u := range remove {
		if !kept[vmKey(u)] {
			onlyRemove = append(onlyRemove, u)
		}
	}
	return onlyAdd, onlyRemove
}

// vmKey is the VM's identity; a reference that does not parse stands for
// itself, so it is removed rather than kept unexamined.
func vmKey(u string) gceref.Key {
	if k, err := gceref.ParseRef(u, "instances", gceref.Defaults{}); err == nil {
		return k
	}
	return gceref.Key{Name: u}
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
