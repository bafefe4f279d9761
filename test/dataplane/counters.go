package dataplane

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Counters are the fabric's packet counts since it started, by what
// happened to the packets. Per-object counts are keyed by the GCE name.
type Counters struct {
	Forwarded        uint64            `json:"forwarded"`
	NoRoute          uint64            `json:"noRoute"`
	NoRouteBy        map[string]uint64 `json:"noRouteBy"`    // noroute (FIB), noroute_internet, noroute_from_internet
	AntiSpoofOut     map[string]uint64 `json:"antiSpoofOut"` // by VM: its packets with another source, dropped
	AntiSpoofIn      map[string]uint64 `json:"antiSpoofIn"`  // by VM: packets for another destination, dropped
	Firewall         map[string]uint64 `json:"firewall"`     // by rule: packets it matched (dropped if a deny rule)
	ImpliedDeny      uint64            `json:"impliedDenyIngress"`
	LoadBalanced     map[string]uint64 `json:"loadBalanced"`     // by forwarding rule: connections steered to a member (their first packet)
	LBNoBackend      map[string]uint64 `json:"lbNoBackend"`      // by forwarding rule: dropped, no running member
	LBAllUnhealthy   map[string]uint64 `json:"lbAllUnhealthy"`   // by forwarding rule: connections steered while no member was healthy
	LBNoMatchingRule uint64            `json:"lbNoMatchingRule"` // to a load-balancer IP on a protocol/port no rule serves
}

// AntiSpoofDrops is the total of both anti-spoof directions.
func (c Counters) AntiSpoofDrops() uint64 {
	var n uint64
	for _, v := range c.AntiSpoofOut {
		n += v
	}
	for _, v := range c.AntiSpoofIn {
		n += v
	}
	return n
}

// Counters reads the fabric's nftables counters.
func (f *Fabric) Counters(ctx context.Context) (Counters, error) {
	out, err := nftCmd(ctx, f.fabric.name, nil, "-j", "list", "counters", "table", "ip", fabricTable)
	if err != nil {
		return Counters{}, fmt.Errorf("nft list counters: %w: %s", err, firstLines(out, 3))
	}
	raw, err := parseCounters(out)
	if err != nil {
		return Counters{}, err
	}
	return classify(raw), nil
}

// parseCounters reads `nft -j list counters` into name -> packets.
func parseCounters(b []byte) (map[string]uint64, error) {
	var doc struct {
		Nftables []struct {
			Counter *struct {
				Name    string `json:"name"`
				Packets uint64 `json:"packets"`
			} `json:"counter"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("nft counters: %w", err)
	}
	out := map[string]uint64{}
	for _, e := range doc.Nftables {
		if e.Counter != nil {
			out[e.Counter.Name] = e.Counter.Packets
		}
	}
	return out, nil
}

func classify(raw map[string]uint64) Counters {
	c := Counters{NoRouteBy: map[string]uint64{}, AntiSpoofOut: map[string]uint64{}, AntiSpoofIn: map[string]uint64{}, Firewall: map[string]uint64{},
		LoadBalanced: map[string]uint64{}, LBNoBackend: map[string]uint64{}, LBAllUnhealthy: map[string]uint64{}}
	// Longer prefixes first: "nlb_nobackend_x" also starts with "nlb_".
	byPrefix := []struct {
		prefix string
		into   map[string]uint64
	}{
		{antispoofOutPfx, c.AntiSpoofOut}, {antispoofInPfx, c.AntiSpoofIn},
		{lbNoBackendPfx, c.LBNoBackend}, {lbUnhealthyPfx, c.LBAllUnhealthy}, {lbPfx, c.LoadBalanced},
	}
	for name, n := range raw {
		switch name {
		case cForwarded:
			c.Forwarded = n
			continue
		case cNoRoute, cNoRouteOut, cNoRouteIn:
			c.NoRoute += n
			c.NoRouteBy[name] = n
			continue
		case cImpliedDeny:
			c.ImpliedDeny = n
			continue
		case cLBUnmatched:
			c.LBNoMatchingRule = n
			continue
		}
		matched := false
		for _, bp := range byPrefix {
			if rest, ok := strings.CutPrefix(name, bp.prefix); ok {
				bp.into[rest] = n
				matched = true
				break
			}
		}
		if rest, ok := strings.CutPrefix(name, firewallPfx); ok && !matched {
			c.Firewall[rest] = n
		}
	}
	return c
}

// Dump is everything the fabric did and does: for people (make demo, a
// failed test's log) and for the admin API.
type Dump struct {
	Generation uint64         `json:"generation"`
	Syncs      int            `json:"syncs"`
	LastSync   string         `json:"lastSync"` // read+parse / total of the last sync
	LastError  string         `json:"lastError,omitempty"`
	VMs        []DumpVM       `json:"vms"`
	Routes     []string       `json:"routes"`
	LBs        []DumpLB       `json:"loadBalancers"`
	Health     []HealthStatus `json:"health"`
	Ignored    []string       `json:"ignored,omitempty"`
	Counters   Counters       `json:"counters"`
}

// DumpVM is one VM as the fabric carries it.
type DumpVM struct {
	Name, Zone, IP, Namespace, Link string
	CanIPForward, Plugged           bool
}

// DumpLB is one forwarding rule's steering.
type DumpLB struct {
	Rule, IP, Protocol, Affinity string
	Members, Healthy             []string
	Targets                      []string
	Fallback                     string `json:",omitempty"`
}

// Dump reads the fabric's state and counters.
func (f *Fabric) Dump(ctx context.Context) (Dump, error) {
	counters, err := f.Counters(ctx)
	if err != nil {
		return Dump{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d := Dump{Generation: f.gen, Syncs: f.syncs, LastSync: fmt.Sprintf("%v / %v", f.lastSync.Read, f.lastSync.Total), Ignored: f.plan.Ignored, Counters: counters, Health: f.prober.Status()}
	if f.lastErr != nil {
		d.LastError = f.lastErr.Error()
	}
	byIndex := map[int]string{}
	for _, vm := range f.plan.VMs {
		byIndex[vm.Index] = vm.Name
		nsName := ""
		if v := f.vms[vm.Path]; v != nil {
			nsName = v.ns.name
		}
		d.VMs = append(d.VMs, DumpVM{Name: vm.Name, Zone: vm.Zone, IP: vm.IP.String(), Namespace: nsName, Link: vm.Link,
			CanIPForward: vm.CanIPForward, Plugged: vm.Plugged})
	}
	for _, r := range f.plan.Routes {
		d.Routes = append(d.Routes, r.describe(byIndex))
	}
	for _, lb := range f.plan.LBs {
		dl := DumpLB{Rule: lb.Rule.Name, IP: lb.Rule.IP.String(), Protocol: lb.Rule.Protocol, Affinity: lb.Affinity,
			Members: lb.Members, Healthy: lb.Healthy, Fallback: lb.Fallback}
		for _, t := range lb.Targets {
			dl.Targets = append(dl.Targets, byIndex[t])
		}
		d.LBs = append(d.LBs, dl)
	}
	sort.Slice(d.Health, func(i, j int) bool {
		a, b := d.Health[i], d.Health[j]
		return a.Pool+"|"+a.Check+"|"+a.VM < b.Pool+"|"+b.Check+"|"+b.VM
	})
	return d, nil
}

func (r FabricRoute) describe(byIndex map[int]string) string {
	hop := "blackhole"
	switch {
	case r.Internet:
		hop = "internet"
	case len(r.Via) > 0:
		var vs []string
		for _, i := range r.Via {
			vs = append(vs, byIndex[i])
		}
		hop = "via " + strings.Join(vs, ",")
	}
	return fmt.Sprintf("%s metric %d %s (%s)", r.Dest, r.Metric, hop, strings.Join(r.Names, ","))
}
