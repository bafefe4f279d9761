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
				StackType: "IPV4_ONLY", Purpose: "PRIVATE", Fingerprint: fingerprint(1)})
		}
		return nil
	})
}

func insertNetwork(c *call) (any, error) {
	var n compute.Network
	if err := decode(c.body, &n); err != nil {
		return nil, err
	}
	if err := checkName(n.Name); err != nil {
		return nil, err
	}
	if n.IPv4Range != "" {
		return nil, errInvalid("Invalid value for field 'resource.IPv4Range': '%s'. Legacy networks are not supported.", n.IPv4Range)
	}
	k := GlobalKey(c.project, "networks", n.Name)
	return submitInsert(c, k, func(t *tx) error {
		if err := t.chargeQuota(c.s, QuotaNetworks, t.count(c.project, "networks", Global, ""), ""); err != nil {
			return err
		}
		obj := n
		obj.Kind, obj.Id, obj.SelfLink, obj.CreationTimestamp = "compute#network", t.newID(), k.SelfLink(), nowStamp()
		if obj.RoutingConfig == nil {
			obj.RoutingConfig = &compute.NetworkRoutingConfig{RoutingMode: "REGIONAL"}
		}
		if obj.Mtu == 0 {
			obj.Mtu = 1460
		}
		t.put(k, &obj)
		if obj.AutoCreateSubnetworks {
			// Auto mode: one subnet per region, here the emulator's region.
			sk := RegionalKey(c.project, c.s.opts.Region, "subnetworks", n.Name)
			rng := freeAutoRange(t, c.project)
			obj.Subnetworks = []string{sk.SelfLink()}
			t.put(sk, &compute.Subnetwork{Kind: "compute#subnetwork", Id: t.newID(), Name: n.Name, Network: k.SelfLink(),
				IpCidrRange: rng.String(), GatewayAddress: rng.Addr().Next().String(), Region: sk.ScopeLink(),
				SelfLink: sk.SelfLink(), CreationTimestamp: nowStamp(), StackType: "IPV4_ONLY", Purpose: "PRIVATE",
				Fingerprint: fingerprint(obj.Id)})
		}
		return nil
	})
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

func getNetwork(c *call) (any, error) { return getResource[compute.Network](c, nil) }

func listNetworks(c *call) (any, error) {
	return c.listTable("compute#networkList", c.key().Table())
}

func deleteNetwork(c *call) (any, error) {
	k := c.key()
	return c.s.ops.submit(c, k, "delete", func(t *tx) error {
		n, err := getAs[compute.Network](t, k)
		if err != nil {
			return err
		}
		if by := networkUser(t, k); by != "" {
			return errInUse(k, by)
		}
		var subnets []Key
		t.scan(k.Project, "subnetworks", func(sk Key, o any) {
			if sn, ok := o.(*compute.Subnetwork); ok && sameRef(sn.Network, k) {
				subnets = append(subnets, sk)
			}
		})
		if len(subnets) > 0 && !n.AutoCreateSubnetworks {
			// A custom-mode network's subnets are the user's: they must go first.
			return errInUse(k, subnets[0].Path())
		}
		// An auto-mode network takes its subnets with it.
		for _, sk := range subnets {
			t.del(sk)
		}
		t.del(k)
		return nil
	})
}

// networkUser names a resource that still references the network.
func networkUser(t *tx, nk Key) string {
	var by string
	check := func(k Key, ref string) {
		if by == "" && sameRef(ref, nk) {
			by = k.Path()
		}
	}
	t.scan(nk.Project, "routes", func(k Key, o any) {
		if r, ok := o.(*compute.Route); ok {
			check(k, r.Network)
		}
	})
	t.scan(nk.Project, "firewalls", func(k Key, o any) {
		if fw, ok := o.(*compute.Firewall); ok {
			check(k, fw.Network)
		}
	})
	t.scan(nk.Project, "forwardingRules", func(k Key, o any) {
		if fr, ok := o.(*compute.ForwardingRule); ok && fr.Network != "" {
			check(k, fr.Network)
		}
	})
	t.scan(nk.Project, "instances", func(k Key, o any) {
		if inst, ok := o.(*compute.Instance); ok {
			for _, ni := range inst.NetworkInterfaces {
				check(k, ni.Network)
			}
		}
	})
	return by
}

// sameRef says whether a stored (canonical) link names the key.
func sameRef(link string, k Key) bool { return link == k.SelfLink() }

func insertSubnetwork(c *call) (any, error) {
	var sn compute.Subnetwork
	if err := decode(c.body, &sn); err != nil {
		return nil, err
	}
	if err := checkName(sn.Name); err != nil {
		return nil, err
	}
	rng, err := checkCIDR("resource.ipCidrRange", sn.IpCidrRange)
	if err != nil {
		return nil, err
	}
	if !rng.Addr().Is4() || rng.Bits() < 8 || rng.Bits() > 29 {
		// GCE's primary ranges are IPv4, from /8 to /29.
		return nil, errInvalid("Invalid value for field 'resource.ipCidrRange': '%s'. Invalid IPCidrRange: the range must be an IPv4 range with a prefix length from 8 to 29.", sn.IpCidrRange)
	}
	if sn.Network == "" {
		return nil, errRequired("resource.network")
	}
	nk, err := c.refTo("resource.network", sn.Network, "networks")
	if err != nil {
		return nil, err
	}
	k := c.key()
	k.Name = sn.Name
	return submitInsert(c, k, func(t *tx) error {
		if err := mustExist(t, nk); err != nil {
			return err
		}
		var clash string
		t.scan(c.project, "subnetworks", func(ok Key, o any) {
			other, isSubnet := o.(*compute.Subnetwork)
			if !isSubnet || other.Network != nk.SelfLink() {
				return
			}
			if p, err := netip.ParsePrefix(other.IpCidrRange); err == nil && p.Overlaps(rng) {
				clash = ok.Name + " (" + other.IpCidrRange + ")"
			}
		})
		if clash != "" {
			return errInvalid("Invalid IPCidrRange: %s conflicts with existing subnetwork '%s' in region '%s'.", sn.IpCidrRange, clash, c.location)
		}
		obj := sn
		obj.Kind, obj.Id, obj.SelfLink, obj.CreationTimestamp = "compute#subnetwork", t.newID(), k.SelfLink(), nowStamp()
		obj.Network, obj.Region = nk.SelfLink(), k.ScopeLink()
		obj.GatewayAddress = rng.Addr().Next().String()
		obj.Fingerprint = fingerprint(obj.Id)
		if obj.StackType == "" {
			obj.StackType = "IPV4_ONLY"
		}
		if obj.Purpose == "" {
			obj.Purpose = "PRIVATE"
		}
		t.put(k, &obj)
		if n, err := getAs[compute.Network](t, nk); err == nil {
			nn := clone(n)
			nn.Subnetworks = append(nn.Subnetworks, k.SelfLink())
			t.put(nk, nn)
		}
		return nil
	})
}

func getSubnetwork(c *call) (any, error) { return getResource[compute.Subnetwork](c, nil) }

func listSubnetworks(c *call) (any, error) {
	return c.listTable("compute#subnetworkList", c.key().Table())
}

func aggregatedSubnetworks(c *call) (any, error) {
	return c.aggregated("compute#subnetworkAggregatedList", "subnetworks", Regional, nil)
}

func deleteSubnetwork(c *call) (any, error) {
	k := c.key()
	return c.s.ops.submit(c, k, "delete", func(t *tx) error {
		sn, err := getAs[compute.Subnetwork](t, k)
		if err != nil {
			return err
		}
		var by string
		t.scan(k.Project, "instances", func(ik Key, o any) {
			if inst, ok := o.(*compute.Instance); ok {
				for _, ni := range inst.NetworkInterfaces {
					if ni.Subnetwork == k.SelfLink() {
						by = ik.Path()
					}
				}
			}
		})
		t.scan(k.Project, "addresses", func(ak Key, o any) {
			if a, ok := o.(*compute.Address); ok && a.Subnetwork == k.SelfLink() && by == "" {
				by = ak.Path()
			}
		})
		if by != "" {
			return errInUse(k, by)
		}
		t.del(k)
		if nk, err := ParseRef(sn.Network, "networks", Ref{Project: k.Project}); err == nil {
			if n, err := getAs[compute.Network](t, nk); err == nil {
				nn := clone(n)
				kept := nn.Subnetworks[:0]
				for _, l := range nn.Subnetworks {
					if l != k.SelfLink() {
						kept = append(kept, l)
					}
				}
				nn.Subnetworks = kept
				t.put(nk, nn)
			}
		}
		return nil
	})
}

// allocateInternalIP returns the lowest free address of a subnet: .0 is the
// network, .1 the gateway, and the last two are reserved, as in GCE.
func allocateInternalIP(t *tx, subnet *compute.Subnetwork, project string) (string, error) {
	rng, err := netip.ParsePrefix(subnet.IpCidrRange)
	if err != nil {
		return "", errInvalid("subnetwork %s has a malformed range %q", subnet.Name, subnet.IpCidrRange)
	}
	used := internalInUse(t, project)
	a := rng.Addr().Next().Next()
	for rng.Contains(a) {
		last := a.Next()
		if !rng.Contains(last) || !rng.Contains(last.Next()) {
			break
		}
		if !used[a.String()] {
			return a.String(), nil
		}
		a = a.Next()
	}
	return "", &apiError{Code: 400, Reason: "ipSpaceExhausted",
		Message: "IP space of '" + subnet.SelfLink + "' is exhausted."}
}

// internalInUse collects the internal addresses held by VMs and by reserved
// internal addresses of the project.
func internalInUse(t *tx, project string) map[string]bool {
	used := map[string]bool{}
	t.scan(project, "instances", func(_ Key, o any) {
		if inst, ok := o.(*compute.Instance); ok {
			for _, ni := range inst.NetworkInterfaces {
				used[ni.NetworkIP] = true
			}
		}
	})
	t.scan(project, "addresses", func(_ Key, o any) {
		if a, ok := o.(*compute.Address); ok && a.AddressType == "INTERNAL" {
			used[a.Address] = true
		}
	})
	internalRuleIPs(t, project, used)
	return used
}
