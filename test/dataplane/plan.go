package dataplane

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Plan is what the fabric should look like for one State: pure data, made
// by MakePlan without touching the kernel, applied by the fabric's executor.
type Plan struct {
	VMs     []VMPlan
	Routes  []FabricRoute
	LBs     []LBPlan
	Ignored []string // objects that carry nothing here, each with the reason
}

// VMPlan is one VM's plug into the fabric.
type VMPlan struct {
	VM
	Index   int
	Link    string       // the fabric side of its veth
	Table   int          // routing table and fwmark that deliver load-balanced packets to it
	Plugged bool         // RUNNING: a stopped VM is unplugged (link down, no routes)
	Serves  []netip.Addr // forwarding-rule IPs whose pools hold it: not spoofed
}

// FabricRoute is one route of the fabric's main table.
type FabricRoute struct {
	Dest      netip.Prefix
	Metric    int   // GCE priority
	Via       []int // VM indexes; more than one is ECMP, as GCE spreads equal routes
	Internet  bool
	Blackhole bool     // a subnet range: an address no VM has goes nowhere (counted as no route)
	Names     []string // the GCE routes it stands for
}

// LBPlan is where one forwarding rule sends its packets.
type LBPlan struct {
	Rule     ForwardingRule
	Affinity string
	Members  []string // names of the pool's plugged VMs
	Targets  []int    // VM indexes that get new flows
	Healthy  []string
	Fallback string // why Targets is not the healthy primary members ("" when it is)
}

// Health answers whether a VM passes a pool's health check (by paths).
// GCE keeps health per pool: a new pool's members start unhealthy even
// when another pool already probes them with the same check.
type Health func(pool, check, vm string) bool

// Internet route and prober constants of the fabric.
const (
	tableBase = 1000
	linkFmt   = "vm%d"
)

// MakePlan computes the fabric for a state. index holds the VM indexes
// already handed out (interface names must not change under a running VM)
// and is updated in place for new VMs.
func MakePlan(st State, index map[string]int, healthy Health) Plan {
	assignIndexes(index, st.VMs)
	var p Plan
	byPath := map[string]*VMPlan{}
	for _, vm := range st.VMs {
		i := index[vm.Path]
		p.VMs = append(p.VMs, VMPlan{VM: vm, Index: i, Link: fmt.Sprintf(linkFmt, i), Table: tableBase + i, Plugged: vm.Running})
	}
	for i := range p.VMs {
		byPath[p.VMs[i].Path] = &p.VMs[i]
	}
	p.Routes, p.Ignored = planRoutes(st, p.VMs)
	p.LBs = planLBs(st, byPath, healthy)
	for _, lb := range p.LBs {
		for _, path := range servingVMs(st, lb.Rule.Pool) {
			if vm := byPath[path]; vm != nil {
				vm.Serves = appendUnique(vm.Serves, lb.Rule.IP)
			}
		}
	}
	return p
}

// assignIndexes keeps every known VM's index and gives new VMs the
// smallest free ones; indexes of VMs that are gone are freed.
func assignIndexes(index map[string]int, vms []VM) {
	present := map[string]bool{}
	for _, vm := range vms {
		present[vm.Path] = true
	}
	used := map[int]bool{}
	for path, i := range index {
		if !present[path] {
			delete(index, path)
			continue
		}
		used[i] = true
	}
	next := 1
	for _, vm := range vms {
		if _, ok := index[vm.Path]; ok {
			continue
		}
		for used[next] {
			next++
		}
		index[vm.Path] = next
		used[next] = true
	}
}

// planRoutes turns subnets and static routes into the fabric's main table.
// Linux picks the longest prefix, then the lowest metric: GCE's order (most
// specific, then priority) when the metric is the GCE priority.
func planRoutes(st State, vms []VMPlan) ([]FabricRoute, []string) {
	var out []FabricRoute
	var ignored []string
	subnets := map[netip.Prefix]bool{}
	// A subnet range's local route: an address of it that no VM has goes
	// nowhere (VMs' own addresses are host routes).
	for _, r := range st.Routes {
		if r.Local && len(r.Tags) == 0 && !subnets[r.Dest] {
			subnets[r.Dest] = true
			out = append(out, FabricRoute{Dest: r.Dest, Metric: int(r.Priority), Blackhole: true, Names: []string{r.Name}})
		}
	}
	byPath, byIP := map[string]VMPlan{}, map[netip.Addr]VMPlan{}
	for _, vm := range vms {
		byPath[vm.Path], byIP[vm.IP] = vm, vm
		if vm.Subnet.IsValid() && !subnets[vm.Subnet] {
			subnets[vm.Subnet] = true
			out = append(out, FabricRoute{Dest: vm.Subnet, Blackhole: true, Names: []string{"subnet " + vm.Subnet.String()}})
		}
		// Alias IP ranges are subnet routes to the VM: no static route, no
		// canIpForward needed (GCE's alias-IP pod networking).
		for _, a := range vm.Aliases {
			if vm.Plugged {
				out = append(out, FabricRoute{Dest: a, Via: []int{vm.Index}, Names: []string{"alias of " + vm.Name}})
			}
		}
	}
	type key struct {
		dest   netip.Prefix
		metric int
	}
	groups := map[key]*FabricRoute{}
	for _, r := range st.Routes {
		k := key{r.Dest, int(r.Priority)}
		var via int
		switch {
		case r.Local:
			continue // above
		case len(r.Tags) > 0:
			ignored = append(ignored, fmt.Sprintf("route %s: tags %v (per-VM routes are not modelled)", r.Name, r.Tags))
			continue
		case r.Other != "":
			ignored = append(ignored, fmt.Sprintf("route %s: %s is not modelled", r.Name, r.Other))
			continue
		case r.Internet:
			g := groups[k]
			if g == nil {
				g = &FabricRoute{Dest: r.Dest, Metric: k.metric, Internet: true}
				groups[k] = g
			}
			g.Names = append(g.Names, r.Name)
			continue
		case r.Instance != "":
			vm, ok := byPath[r.Instance]
			if why := hopProblem(vm, ok, lastSeg(r.Instance)); why != "" {
				ignored = append(ignored, fmt.Sprintf("route %s: %s: carries nothing", r.Name, why))
				continue
			}
			via = vm.Index
		case r.IP.IsValid():
			vm, ok := byIP[r.IP]
			if why := hopProblem(vm, ok, r.IP.String()); why != "" {
				ignored = append(ignored, fmt.Sprintf("route %s: %s: carries nothing", r.Name, why))
				continue
			}
			via = vm.Index
		}
		g := groups[k]
		if g == nil {
			g = &FabricRoute{Dest: r.Dest, Metric: k.metric}
			groups[k] = g
		}
		if g.Internet {
			ignored = append(ignored, fmt.Sprintf("route %s: same range and priority as an internet route", r.Name))
			continue
		}
		g.Via = appendUnique(g.Via, via)
		g.Names = append(g.Names, r.Name)
	}
	for _, g := range groups {
		sort.Ints(g.Via)
		sort.Strings(g.Names)
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Dest != out[j].Dest {
			return out[i].Dest.String() < out[j].Dest.String()
		}
		return out[i].Metric < out[j].Metric
	})
	return out, ignored
}

func hopProblem(vm VMPlan, ok bool, name string) string {
	switch {
	case !ok:
		return "next hop " + name + " does not exist"
	case !vm.Plugged:
		return "next hop " + vm.Name + " is not running"
	}
	return ""
}

// planLBs picks, for each forwarding rule, the VMs that get new flows: the
// pool's healthy members; the backup pool's when the healthy share is at
// or below failoverRatio; every member when none is healthy (GCE then spreads
// over all of them rather than dropping).
func planLBs(st State, vms map[string]*VMPlan, healthy Health) []LBPlan {
	var out []LBPlan
	for _, fr := range st.ForwardingRules {
		pool, ok := st.Pools[fr.Pool]
		lb := LBPlan{Rule: fr, Affinity: pool.SessionAffinity}
		if !ok {
			lb.Fallback = "target pool " + lastSeg(fr.Pool) + " does not exist"
			out = append(out, lb)
			continue
		}
		members, good := poolHealth(pool, vms, healthy)
		lb.Members, lb.Healthy = names(vms, members), names(vms, good)
		targets := good
		switch {
		case pool.Backup != "" && len(members) > 0 && float64(len(good))/float64(len(members)) <= pool.FailoverRatio:
			_, bgood := poolHealth(st.Pools[pool.Backup], vms, healthy)
			if len(bgood) > 0 {
				targets, lb.Fallback = bgood, "failover to backup pool "+lastSeg(pool.Backup)
			} else if len(good) == 0 {
				targets, lb.Fallback = members, "no healthy member in the pool or its backup: all members"
			}
		case len(good) == 0 && len(members) > 0:
			targets, lb.Fallback = members, "no healthy member: all members"
		case len(members) == 0:
			lb.Fallback = "no running member"
		}
		for _, path := range targets {
			lb.Targets = append(lb.Targets, vms[path].Index)
		}
		out = append(out, lb)
	}
	return out
}

func poolHealth(pool TargetPool, vms map[string]*VMPlan, healthy Health) (members, good []string) {
	for _, path := range pool.Instances {
		vm := vms[path]
		if vm == nil || !vm.Plugged {
			continue
		}
		members = append(members, path)
		ok := true
		for _, c := range pool.Checks {
			ok = ok && healthy(pool.Path, c, path)
		}
		if ok {
			good = append(good, path)
		}
	}
	sort.Strings(members)
	sort.Strings(good)
	return members, good
}

// servingVMs are the VMs that may receive (and answer from) a rule's IP:
// members of its pool and of the pool's backup.
func servingVMs(st State, poolPath string) []string {
	pool := st.Pools[poolPath]
	out := append([]string(nil), pool.Instances...)
	if pool.Backup != "" {
		out = append(out, st.Pools[pool.Backup].Instances...)
	}
	return out
}

func names(vms map[string]*VMPlan, paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		out = append(out, vms[p].Name)
	}
	return out
}

func appendUnique[T comparable](s []T, v T) []T {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// String is a one-line summary for logs.
func (p Plan) String() string {
	plugged := 0
	for _, vm := range p.VMs {
		if vm.Plugged {
			plugged++
		}
	}
	return fmt.Sprintf("%d VMs (%d plugged), %d routes, %d load balancers, %d ignored: %s",
		len(p.VMs), plugged, len(p.Routes), len(p.LBs), len(p.Ignored), strings.Join(p.Ignored, "; "))
}
