package fakecompute

import (
	"crypto/sha256"
	"encoding/hex"

	compute "google.golang.org/api/compute/v1"
)

// System routes. GCE creates, with every network, a default route to the
// internet and, with every subnet range (primary and secondary), a local
// route to it, and lists them with the user's routes (recorded lists show
// both, named "default-route-" and 16 hex digits). What they do on delete,
// as recorded and documented:
//   - a local route cannot be deleted on its own: a synchronous 400
//     badRequest "The local route cannot be deleted." (client logs in
//     genevieve/leftovers#71 and openshift/installer#3049); it goes with
//     its subnet range;
//   - the internet route is an ordinary static route: deleting it is how
//     terraform's delete_default_routes_on_create works;
//   - both go with their network, and neither blocks its delete
//     (genevieve/leftovers: "deleted by the deletion of the network and do
//     not block the deletion of that network").
// The emulator does not count them against the routes quota (it counts
// the routes users made).

const (
	internetRouteDescription = "Default route to the Internet."
	// routeTypeSubnet is GCE's routeType of a subnet range's local route.
	routeTypeSubnet = "SUBNET"
	// internetRoutePriority is the internet route's priority in every
	// recorded list; local routes answer 0 in recent recordings (2019
	// onwards; some older lists show 1000).
	internetRoutePriority = 1000
	anyIPv4               = "0.0.0.0/0"
)

// systemRouteName is GCE's form of a system route's name, derived here
// from the network and the destination so that it is stable across runs.
func systemRouteName(network, dest string) string {
	h := sha256.Sum256([]byte(network + " " + dest))
	return "default-route-" + hex.EncodeToString(h[:8])
}

// isSystemRoute tells the routes GCE made from the ones a user made: a
// local route by its type, the internet route by its name (a user cannot
// create a route whose name is taken, and the name hashes the network).
func isSystemRoute(r *compute.Route) bool {
	return r.RouteType == routeTypeSubnet ||
		(r.NextHopGateway != "" && r.DestRange == anyIPv4 && r.Name == systemRouteName(r.Network, anyIPv4))
}

// IsSystemRoute tells the routes the emulator made with a network or a
// subnet (as GCE does) from the ones its clients made, for tests and
// benchmarks that count a cluster's routes.
func IsSystemRoute(r *compute.Route) bool { return isSystemRoute(r) }

// createInternetRoute adds a new network's default route to the internet.
func (s *Server) createInternetRoute(t *tx, nk Key) {
	k := GlobalKey(nk.Project, "routes", systemRouteName(nk.SelfLink(), anyIPv4))
	r := &compute.Route{Name: k.Name, Network: nk.SelfLink(), DestRange: anyIPv4, Priority: internetRoutePriority,
		NextHopGateway: GlobalKey(nk.Project, "gateways", "default-internet-gateway").SelfLink(),
		Description:    internetRouteDescription, RouteType: "STATIC", RouteStatus: "ACTIVE"}
	s.stamp(t, k, r)
	t.put(k, r)
}

// createSubnetRoutes adds the local routes of a new subnet's ranges.
func (s *Server) createSubnetRoutes(t *tx, project string, sn *compute.Subnetwork) {
	for _, rng := range subnetRanges(sn) {
		dest := rng.String()
		k := GlobalKey(project, "routes", systemRouteName(sn.Network, dest))
		r := &compute.Route{Name: k.Name, Network: sn.Network, DestRange: dest, NextHopNetwork: sn.Network,
			RouteType: routeTypeSubnet, RouteStatus: "ACTIVE", Description: "Default local route to the subnetwork " + dest + "."}
		s.stamp(t, k, r)
		t.put(k, r)
	}
}

// deleteSubnetRoutes removes the local routes of a deleted subnet's ranges.
func deleteSubnetRoutes(t *tx, project string, sn *compute.Subnetwork) {
	for _, rng := range subnetRanges(sn) {
		t.del(GlobalKey(project, "routes", systemRouteName(sn.Network, rng.String())))
	}
}

// deleteNetworkRoutes removes what is left of a deleted network's system
// routes.
func deleteNetworkRoutes(t *tx, nk Key) {
	var drop []Key
	t.scan(nk.Project, "routes", func(k Key, o any) {
		if r, ok := o.(*compute.Route); ok && r.Network == nk.SelfLink() && isSystemRoute(r) {
			drop = append(drop, k)
		}
	})
	for _, k := range drop {
		t.del(k)
	}
}

// userRouteCount is what the routes quota counts: the routes users made.
func userRouteCount(t *tx, project string) int {
	n := 0
	t.scan(project, "routes", func(_ Key, o any) {
		if r, ok := o.(*compute.Route); ok && !isSystemRoute(r) {
			n++
		}
	})
	return n
}

// keepLocalRoute is the delete rule of a route: a local route goes only
// with its subnet range (GCE's answer, recorded).
func keepLocalRoute(_ *tx, _ Key, o any) error {
	if r := o.(*compute.Route); r.RouteType == routeTypeSubnet {
		return &apiError{Code: 400, Reason: "badRequest", Message: "The local route cannot be deleted."}
	}
	return nil
}

// networkOfUserRoute is the reference to its network that a route holds
// as a user of it: system routes go with the network and do not block its
// delete.
func networkOfUserRoute(r *compute.Route) []string {
	if isSystemRoute(r) {
		return nil
	}
	return one(r.Network)
}
