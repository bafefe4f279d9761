package fakecompute

import (
	"net/netip"
	"slices"

	compute "google.golang.org/api/compute/v1"
)

// Subnetworks: regional IPv4 ranges of a network, where VMs and internal
// addresses take their IPs.

func insertSubnetwork(c *call) (any, error) {
	return insertAs(c, c.prepareSubnetwork, func(t *tx, k Key, obj *compute.Subnetwork, refs subnetRefs) error {
		nk := refs.network
		if err := mustExist(t, nk); err != nil {
			return err
		}
		// Every range of the new subnet (primary and secondary) against
		// every range of the network's other subnets.
		var clash, clashing string
		t.scan(c.project, "subnetworks", func(ok Key, o any) {
			other, isSubnet := o.(*compute.Subnetwork)
			if !isSubnet || other.Network != nk.SelfLink() {
				return
			}
			for _, p := range subnetRanges(other) {
				for _, mine := range refs.ranges {
					if p.Overlaps(mine) && clash == "" {
						clash, clashing = ok.Name+" ("+p.String()+")", mine.String()
					}
				}
			}
		})
		if clash != "" {
			return errInvalid("Invalid IPCidrRange: %s conflicts with existing subnetwork '%s' in region '%s'.", clashing, clash, c.location)
		}
		c.s.stamp(t, k, obj)
		obj.Network, obj.GatewayAddress = nk.SelfLink(), refs.rng.Addr().Next().String()
		obj.Fingerprint = t.fingerprint()
		if obj.StackType == "" && obj.Purpose != "PRIVATE_NAT" {
			// GCE gives PRIVATE_NAT subnets no stack type.
			obj.StackType = "IPV4_ONLY"
		}
		if obj.Purpose == "" {
			obj.Purpose = "PRIVATE"
		}
		t.put(k, obj)
		c.s.createSubnetRoutes(t, c.project, obj)
		if n, err := getAs[compute.Network](t, nk); err == nil {
			nn := clone(n)
			nn.Subnetworks = append(nn.Subnetworks, k.SelfLink())
			t.put(nk, nn)
		}
		return nil
	})
}

// subnetRefs are what prepareSubnetwork read from the body.
type subnetRefs struct {
	network Key
	rng     netip.Prefix
	ranges  []netip.Prefix // rng and the secondary ranges
}

// prepareSubnetwork checks the name, the primary range and the network.
func (c *call) prepareSubnetwork(sn *compute.Subnetwork) (subnetRefs, error) {
	if err := checkName(sn.Name); err != nil {
		return subnetRefs{}, err
	}
	rng, err := checkCIDR("resource.ipCidrRange", sn.IpCidrRange)
	if err != nil {
		return subnetRefs{}, err
	}
	if !rng.Addr().Is4() || rng.Bits() < 8 || rng.Bits() > 29 {
		// GCE's primary ranges are IPv4, from /8 to /29.
		return subnetRefs{}, errInvalid("Invalid value for field 'resource.ipCidrRange': '%s'. Invalid IPCidrRange: the range must be an IPv4 range with a prefix length from 8 to 29.", sn.IpCidrRange)
	}
	ranges, err := checkSecondaryRanges(sn, rng)
	if err != nil {
		return subnetRefs{}, err
	}
	nk, err := c.requiredRef("resource.network", sn.Network, "networks")
	if err != nil {
		return subnetRefs{}, err
	}
	return subnetRefs{network: nk, rng: rng, ranges: ranges}, nil
}

// unlistSubnetwork is the delete rule of a subnetwork: an auto-mode
// network's subnets go only with it (GCE's 400); otherwise its network
// stops listing it, and its ranges' local routes go.
func unlistSubnetwork(t *tx, k Key, o any) error {
	sn := o.(*compute.Subnetwork)
	var n *compute.Network
	nk, err := ParseRef(sn.Network, "networks", Ref{Project: k.Project})
	if err == nil {
		n, _ = getAs[compute.Network](t, nk)
	}
	if n != nil && n.AutoCreateSubnetworks {
		return &apiError{Code: 400, Reason: "invalidResourceUsage",
			Message: "Invalid resource usage: 'Cannot delete auto subnetwork from an auto subnet mode network.'."}
	}
	if n != nil {
		nn := clone(n)
		nn.Subnetworks = slices.DeleteFunc(nn.Subnetworks, func(l string) bool { return l == k.SelfLink() })
		t.put(nk, nn)
	}
	deleteSubnetRoutes(t, k.Project, sn)
	return nil
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
	if from, ok := t.internalFrom[subnet.SelfLink]; ok && rng.Contains(from) && a.Less(from) {
		a = from
	}
	for rng.Contains(a) {
		last := a.Next()
		if !rng.Contains(last) || !rng.Contains(last.Next()) {
			break
		}
		if !used[a.String()] {
			if t.internalFrom != nil {
				t.internalFrom[subnet.SelfLink] = a.Next()
			}
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
	if used := t.internalIPs[project]; used != nil {
		return used
	}
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
	if t.internalIPs != nil {
		t.internalIPs[project] = used
	}
	return used
}
