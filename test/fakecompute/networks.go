package fakecompute

import (
	"net/netip"

	compute "google.golang.org/api/compute/v1"
)

// defaultSubnetRange is the auto-mode range GCE gives us-central1; other
// regions get the same range here (one region per emulator).
const defaultSubnetRange = "10.128.0.0/20"

// seedDefaults creates the "default" network and its subnet, as a new project has.
func (s *Server) seedDefaults() {
	_ = s.store.write(func(t *tx) error {
		for p := range s.projects {
			nk := GlobalKey(p, "networks", "default")
			sk := RegionalKey(p, s.opts.Region, "subnetworks", "default")
			t.put(nk, &compute.Network{Kind: "compute#network", Id: t.newID(), Name: "default",
				AutoCreateSubnetworks: true, SelfLink: nk.SelfLink(), CreationTimestamp: nowStamp(),
				Subnetworks: []string{sk.SelfLink()}, RoutingConfig: &compute.NetworkRoutingConfig{RoutingMode: "REGIONAL"},
				NetworkFirewallPolicyEnforcementOrder: "AFTER_CLASSIC_FIREWALL", Mtu: 1460})
			t.put(sk, &compute.Subnetwork{Kind: "compute#subnetwork", Id: t.newID(), Name: "default",
				Network: nk.SelfLink(), IpCidrRange: defaultSubnetRange, GatewayAddress: "10.128.0.1",
				Region: sk.ScopeLink(), SelfLink: sk.SelfLink(), CreationTimestamp: nowStamp(),
				StackType: "IPV4_ONLY", Purpose: "PRIVATE", Fingerprint: t.fingerprint()})
		}
		return nil
	})
}

func insertNetwork(c *call) (any, error) {
	return insertAs(c, prepareNetwork, func(t *tx, k Key, obj *compute.Network, _ struct{}) error {
		if err := t.chargeQuota(c.s, QuotaNetworks, t.count(c.project, "networks", Global, ""), ""); err != nil {
			return err
		}
		c.s.stamp(t, k, obj)
		if obj.RoutingConfig == nil {
			obj.RoutingConfig = &compute.NetworkRoutingConfig{RoutingMode: "REGIONAL"}
		}
		if obj.Mtu == 0 {
			obj.Mtu = 1460
		}
		t.put(k, obj)
		if obj.AutoCreateSubnetworks {
			// Auto mode: one subnet per region, here the emulator's region.
			sk := RegionalKey(c.project, c.s.opts.Region, "subnetworks", obj.Name)
			rng := freeAutoRange(t, c.project)
			obj.Subnetworks = []string{sk.SelfLink()}
			t.put(sk, &compute.Subnetwork{Kind: "compute#subnetwork", Id: t.newID(), Name: obj.Name, Network: k.SelfLink(),
				IpCidrRange: rng.String(), GatewayAddress: rng.Addr().Next().String(), Region: sk.ScopeLink(),
				SelfLink: sk.SelfLink(), CreationTimestamp: nowStamp(), StackType: "IPV4_ONLY", Purpose: "PRIVATE",
				Fingerprint: t.fingerprint()})
		}
		return nil
	})
}

func prepareNetwork(n *compute.Network) (struct{}, error) {
	if err := checkName(n.Name); err != nil {
		return struct{}{}, err
	}
	if n.IPv4Range != "" {
		return struct{}{}, errInvalid("Invalid value for field 'resource.IPv4Range': '%s'. Legacy networks are not supported.", n.IPv4Range)
	}
	return struct{}{}, nil
}

// freeAutoRange picks a /20 under 10.128.0.0/9 no subnet of the project uses.
func freeAutoRange(t *tx, project string) netip.Prefix {
	used := map[netip.Prefix]bool{}
	t.scan(project, "subnetworks", func(_ Key, o any) {
		if p, err := netip.ParsePrefix(o.(*compute.Subnetwork).IpCidrRange); err == nil {
			used[p.Masked()] = true
		}
	})
	base := netip.MustParseAddr("10.128.0.0").As4()
	for i := 0; i < 2048; i++ {
		b := base
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		v += uint32(i) << 12
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), 20)
		if !used[p] {
			return p
		}
	}
	return netip.MustParsePrefix("10.255.240.0/20")
}

// deleteNetworkSubnets is the delete rule of a network: a custom-mode
// network's subnets are the user's and must go first; an auto-mode network
// takes its subnets with it.
func deleteNetworkSubnets(t *tx, k Key, o any) error {
	var subnets []Key
	t.scan(k.Project, "subnetworks", func(sk Key, so any) {
		if sn, ok := so.(*compute.Subnetwork); ok && sameRef(sn.Network, k) {
			subnets = append(subnets, sk)
		}
	})
	if len(subnets) > 0 && !o.(*compute.Network).AutoCreateSubnetworks {
		return errInUse(k, subnets[0].Path())
	}
	for _, sk := range subnets {
		t.del(sk)
	}
	return nil
}

// sameRef says whether a stored (canonical) link names the key.
func sameRef(link string, k Key) bool { return link == k.SelfLink() }
