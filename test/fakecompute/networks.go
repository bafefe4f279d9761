package fakecompute

import (
	compute "google.golang.org/api/compute/v1"
)

// seedDefaults creates what a new GCE project has: the "default" network,
// in auto mode (a subnet in every region), with its system routes.
func (s *Server) seedDefaults() {
	_ = s.store.write(func(t *tx) error {
		for _, p := range sortedKeys(s.projects) {
			nk := GlobalKey(p, "networks", "default")
			n := &compute.Network{Name: "default", Description: "Default network for the project", AutoCreateSubnetworks: true}
			s.createNetwork(t, nk, n)
		}
		return nil
	})
}

func insertNetwork(c *call) (any, error) {
	return insertAs(c, prepareNetwork, func(t *tx, k Key, n *compute.Network, _ struct{}) error {
		if err := t.chargeQuota(c.s, QuotaNetworks, t.count(c.project, "networks", Global, ""), ""); err != nil {
			return err
		}
		c.s.createNetwork(t, k, n)
		return nil
	})
}

// createNetwork stores a network, its route to the internet and, in auto
// mode, its subnets (with their local routes).
func (s *Server) createNetwork(t *tx, k Key, n *compute.Network) {
	s.stamp(t, k, n)
	if n.AutoCreateSubnetworks {
		s.createAutoSubnets(t, k, n)
	}
	s.createInternetRoute(t, k)
	t.put(k, n)
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

// deleteNetworkSubnets is the delete rule of a network: a custom-mode
// network's subnets are the user's and must go first; an auto-mode network
// takes its subnets with it, and every network its system routes. In use, the
// delete fails in its operation, as GCE's does (the collection's
// inUseInOperation).
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
	deleteNetworkRoutes(t, k)
	return nil
}

// sameRef says whether a stored (canonical) link names the key.
func sameRef(link string, k Key) bool { return link == k.SelfLink() }
