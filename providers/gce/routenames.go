package gce

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// Route naming and ownership: pure functions, no API.
//
// Our routes are named k8s-<h8(cluster)>-<node, cut to 32>-<h8(cluster,node,cidr)>:
// deterministic (a restart recreates nothing), at most 63 characters,
// distinct per cluster, node and CIDR (a dual-stack node has two), and
// listable per cluster with one name filter. The description records the
// owner exactly, so a hash collision between two clusters can never make
// one touch the other's routes.
//
// Routes made by the upstream provider for this cluster are recognised and
// kept: <cluster cut to 26>-<node UID>, description "k8s-node-route".

const (
	upstreamRouteDescription = "k8s-node-route"
	routePriority            = 1000
	managedBy                = "gce-ccm"
)

func shortHash(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:4])
}

// routePrefix is the name prefix of one cluster's routes.
func routePrefix(cluster string) string { return "k8s-" + shortHash("cluster", cluster) }

var notNameChar = regexp.MustCompile(`[^a-z0-9-]+`)

// routeName is the name of the route for one node CIDR.
func routeName(cluster, node, cidr string) string {
	n := notNameChar.ReplaceAllString(strings.ToLower(node), "-")
	if len(n) > 32 {
		n = n[:32]
	}
	n = strings.Trim(n, "-")
	if n == "" {
		n = "node"
	}
	return routePrefix(cluster) + "-" + n + "-" + shortHash(cluster, node, cidr)
}

func routeDescription(cluster, node string) string {
	return ownership.Description{ClusterName: cluster, NodeName: node, ManagedBy: managedBy}.String()
}

// upstreamPrefix is how the upstream provider cuts cluster names.
func upstreamPrefix(cluster string) string {
	if len(cluster) > 26 {
		return cluster[:26]
	}
	return cluster
}

const uuidRE = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`

// routeListFilter selects, server-side, the routes on our network whose
// names are ours or upstream's for this cluster. Ownership is then checked
// exactly on each result (routeOwnerOf).
func routeListFilter(cluster, networkURL string) string {
	names := regexp.QuoteMeta(routePrefix(cluster)) + "-.*|" + regexp.QuoteMeta(upstreamPrefix(cluster)) + "-" + uuidRE
	return fmt.Sprintf(`(network eq "%s")(name eq "%s")`, regexp.QuoteMeta(networkURL), names)
}

var upstreamNameRE = regexp.MustCompile(`^(.*)-` + uuidRE + `$`)

// routeOwnerOf decides whether a listed route belongs to the cluster. For
// a route of ours it also returns the node its description names (the node
// it was made for, which is not proof of where it points now); upstream's
// routes name no node (their only link to one is the next-hop VM).
func routeOwnerOf(r *computepb.Route, cluster string) (ownership.Owner, string) {
	if strings.HasPrefix(r.GetName(), routePrefix(cluster)+"-") {
		o, ok := ourRouteOwner(r, cluster)
		if !ok {
			return ownership.Foreign, ""
		}
		return ownership.Ours, o.NodeName
	}
	if m := upstreamNameRE.FindStringSubmatch(r.GetName()); m != nil && m[1] == upstreamPrefix(cluster) &&
		r.GetDescription() == upstreamRouteDescription && r.GetNextHopInstance() != "" {
		return ownership.Upstream, ""
	}
	return ownership.Foreign, ""
}

// ourRouteOwner reads the ownership JSON of a route's description and says
// whether it is exactly this cluster's, made by us, for a node.
func ourRouteOwner(r *computepb.Route, cluster string) (ownership.Description, bool) {
	o, ok := ownership.Read(r.GetDescription())
	if !ok || o.ClusterName != cluster || o.ManagedBy != managedBy || o.NodeName == "" {
		return ownership.Description{}, false
	}
	return o, true
}

// desiredRoute is the route one node CIDR needs.
func desiredRoute(cluster, nodeName, cidr, networkURL string, vm gceref.Key) *computepb.Route {
	return &computepb.Route{
		Name:            proto.String(routeName(cluster, nodeName, cidr)),
		Description:     proto.String(routeDescription(cluster, nodeName)),
		Network:         proto.String(networkURL),
		DestRange:       proto.String(cidr),
		NextHopInstance: proto.String(vm.SelfLink()),
		Priority:        proto.Uint32(routePriority),
	}
}

// routeConflict explains how an existing route differs from the one we
// need, or returns "" when it is the same route.
func routeConflict(have, want *computepb.Route) string {
	var diffs []string
	if have.GetDestRange() != want.GetDestRange() {
		diffs = append(diffs, fmt.Sprintf("destRange %s (want %s)", have.GetDestRange(), want.GetDestRange()))
	}
	if hv, err := gceref.ParseRef(have.GetNextHopInstance(), "instances", gceref.Defaults{}); err != nil || hv.SelfLink() != want.GetNextHopInstance() {
		diffs = append(diffs, fmt.Sprintf("next hop %q (want %s)", have.GetNextHopInstance(), want.GetNextHopInstance()))
	}
	if !gceref.Same(have.GetNetwork(), want.GetNetwork(), "networks", gceref.Defaults{}) {
		diffs = append(diffs, fmt.Sprintf("network %s (want %s)", have.GetNetwork(), want.GetNetwork()))
	}
	if have.GetDescription() != want.GetDescription() {
		diffs = append(diffs, "description (owner) differs")
	}
	return strings.Join(diffs, ", ")
}

// Route warnings GCE puts on a route whose next hop cannot work.
const (
	warnNextHopNotFound      = "NEXT_HOP_INSTANCE_NOT_FOUND"
	warnNextHopCannotForward = "NEXT_HOP_CANNOT_IP_FORWARD"
)

func hasWarning(r *computepb.Route, code string) bool {
	for _, w := range r.GetWarnings() {
		if w.GetCode() == code {
			return true
		}
	}
	return false
}

// RouteName and RouteDescription are the name and description of this
// cluster's route for one node CIDR (tests outside the package seed
// look-alikes with them).
func RouteName(cluster, node, cidr string) string  { return routeName(cluster, node, cidr) }
func RouteDescription(cluster, node string) string { return routeDescription(cluster, node) }
