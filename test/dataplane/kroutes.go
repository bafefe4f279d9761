package dataplane

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// routeProto marks the fabric's routes in the kernel (ip route shows "proto 99").
const routeProto = netlink.RouteProtocol(99)

// lbRulePriority is the policy-routing rule priority for load-balanced marks.
const lbRulePriority = 100

// appliedKernel is what the fabric last wrote, so a sync writes only the
// difference (the fabric is the only writer of its namespace).
type appliedKernel struct {
	routes map[string]string // key (table/dst/metric) -> signature
	rules  map[int]bool      // fwmark tables
}

func newApplied() appliedKernel {
	return appliedKernel{routes: map[string]string{}, rules: map[int]bool{}}
}

// invalidate makes the next sync rewrite every route it still wants.
func (a appliedKernel) invalidate() {
	for k := range a.routes {
		a.routes[k] = ""
	}
}

type kroute struct {
	key, sig string
	r        *netlink.Route
}

// desiredRoutes lists every kernel route of a plan: a /32 per plugged VM
// (its subnet route), the static routes, and per VM a table with a default
// route to it for load-balanced packets.
func (f *Fabric) desiredRoutes(plan Plan) ([]kroute, error) {
	var out []kroute
	links := map[int]VMPlan{}
	ifidx := map[int]int{}
	for _, vm := range plan.VMs {
		if !vm.Plugged || f.vms[vm.Path] == nil {
			continue
		}
		links[vm.Index] = vm
		ifidx[vm.Index] = f.vms[vm.Path].link.Attrs().Index
		out = append(out,
			mk(0, netip.PrefixFrom(vm.IP, 32), 0, &netlink.Route{LinkIndex: ifidx[vm.Index], Scope: netlink.SCOPE_LINK}),
			mk(vm.Table, netip.MustParsePrefix("0.0.0.0/0"), 0, &netlink.Route{LinkIndex: ifidx[vm.Index], Gw: vm.IP.AsSlice(), Flags: int(netlink.FLAG_ONLINK)}))
	}
	inet, err := f.fabric.nl.LinkByName(internetLink)
	if err != nil {
		return nil, err
	}
	for _, r := range plan.Routes {
		switch {
		case r.Blackhole:
			out = append(out, mk(0, r.Dest, r.Metric, &netlink.Route{Type: unix.RTN_BLACKHOLE}))
		case r.Internet:
			out = append(out, mk(0, r.Dest, r.Metric, &netlink.Route{LinkIndex: inet.Attrs().Index, Scope: netlink.SCOPE_LINK}))
		case len(r.Via) == 1:
			vm := links[r.Via[0]]
			out = append(out, mk(0, r.Dest, r.Metric, &netlink.Route{LinkIndex: ifidx[vm.Index], Gw: vm.IP.AsSlice(), Flags: int(netlink.FLAG_ONLINK)}))
		default:
			var hops []*netlink.NexthopInfo
			for _, i := range r.Via {
				hops = append(hops, &netlink.NexthopInfo{LinkIndex: ifidx[i], Gw: links[i].IP.AsSlice(), Flags: int(netlink.FLAG_ONLINK)})
			}
			out = append(out, mk(0, r.Dest, r.Metric, &netlink.Route{MultiPath: hops}))
		}
	}
	return out, nil
}

func mk(table int, dst netip.Prefix, metric int, r *netlink.Route) kroute {
	r.Dst, r.Priority, r.Protocol = ipnet(dst), metric, routeProto
	if table != 0 {
		r.Table = table
	}
	key := fmt.Sprintf("%d/%s/%d", table, dst, metric)
	var hops []string
	for _, h := range r.MultiPath {
		hops = append(hops, fmt.Sprintf("%d:%s", h.LinkIndex, h.Gw))
	}
	sig := fmt.Sprintf("type=%d dev=%d gw=%s hops=%s", r.Type, r.LinkIndex, net4(r.Gw), strings.Join(hops, ","))
	return kroute{key: key, sig: sig, r: r}
}

func net4(ip []byte) string {
	if a, ok := netip.AddrFromSlice(ip); ok {
		return a.String()
	}
	return ""
}

// applyRoutes writes the routes and fwmark rules that changed and removes
// those no longer wanted.
func (f *Fabric) applyRoutes(plan Plan) error {
	want, err := f.desiredRoutes(plan)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, kr := range want {
		keep[kr.key] = true
		if f.applied.routes[kr.key] == kr.sig {
			continue
		}
		if err := f.fabric.nl.RouteReplace(kr.r); err != nil {
			return fmt.Errorf("route %s (%s): %w", kr.key, kr.sig, err)
		}
		f.applied.routes[kr.key] = kr.sig
	}
	var gone []string
	for key := range f.applied.routes {
		if !keep[key] {
			gone = append(gone, key)
		}
	}
	sort.Strings(gone)
	for _, key := range gone {
		if err := f.delRoute(key); err != nil {
			return err
		}
		delete(f.applied.routes, key)
	}
	return f.applyRules(plan)
}

func (f *Fabric) delRoute(key string) error {
	var table, metric int
	var dst string
	parts := strings.Split(key, "/")
	// key is table/addr/bits/metric.
	if _, err := fmt.Sscan(parts[0], &table); err != nil {
		return err
	}
	dst = parts[1] + "/" + parts[2]
	if _, err := fmt.Sscan(parts[3], &metric); err != nil {
		return err
	}
	r := &netlink.Route{Dst: ipnet(netip.MustParsePrefix(dst)), Priority: metric, Table: table, Protocol: routeProto}
	if table == 0 {
		r.Table = unix.RT_TABLE_MAIN
	}
	// A route through a link that went down is already gone (the kernel
	// flushes them): not an error.
	if err := f.fabric.nl.RouteDel(r); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("delete route %s: %w", key, err)
	}
	return nil
}

// applyRules keeps one "fwmark T lookup T" rule per plugged VM.
func (f *Fabric) applyRules(plan Plan) error {
	want := map[int]bool{}
	for _, vm := range plan.VMs {
		if vm.Plugged {
			want[vm.Table] = true
		}
	}
	for t := range want {
		if f.applied.rules[t] {
			continue
		}
		if err := f.fabric.nl.RuleAdd(markRule(t)); err != nil && !errors.Is(err, syscall.EEXIST) {
			return fmt.Errorf("rule fwmark %d: %w", t, err)
		}
		f.applied.rules[t] = true
	}
	for t := range f.applied.rules {
		if want[t] {
			continue
		}
		if err := f.fabric.nl.RuleDel(markRule(t)); err != nil && !errors.Is(err, syscall.ENOENT) {
			return fmt.Errorf("delete rule fwmark %d: %w", t, err)
		}
		delete(f.applied.rules, t)
	}
	return nil
}

func markRule(t int) *netlink.Rule {
	r := netlink.NewRule()
	r.Mark, r.Table, r.Priority = uint32(t), t, lbRulePriority
	return r
}
