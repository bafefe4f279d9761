package plan

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// Load-balancer naming and ownership: pure functions, no API.
//
// The names are the upstream GCE provider's, so a load balancer it made is
// adopted rather than duplicated: <lb> = "a" + the Service UID without
// dashes, cut to 32 characters, names the address, the target pool, the
// forwarding rule and the per-Service health check. Two names are ours
// alone: <lb>-alt, the second pool a change of session affinity builds
// beside the first, and <lb>-udp, the UDP rule of a Service that has both
// TCP and UDP ports (its TCP rule, or the only rule, is <lb>).

// Name filters of the lists that hold every load balancer's objects, of
// both kinds: the snapshots all Services' syncs share, and the orphan
// collector's lists. Anything else is never ours.
const (
	// RuleNamesFilter: <lb>; <lb>-alt and <lb>-udp (external), <lb>-tcp
	// and <lb>-udp (internal). Target pools and backend services too.
	RuleNamesFilter = `name eq "a[a-z0-9]+(-alt|-tcp|-udp)?"`
	// FirewallNamesFilter: k8s-fw-<lb>, the checks' k8s-* rules and the
	// internal Service checks' <lb>-hc.
	FirewallNamesFilter = `name eq "(k8s-.*|a[a-z0-9]+-hc)"`
	// CheckNamesFilter: <lb> (a Service's own) and k8s-* (shared).
	CheckNamesFilter = `name eq "(a[a-z0-9]+|k8s-.*)"`
)

// Names are the names of every GCE object of one Service's load balancer.
type Names struct {
	LB                 string // address, pool, TCP (or only) rule, per-Service check
	AltPool            string // the other pool name, for a zero-downtime pool swap
	UDPRule            string // the UDP rule of a TCP+UDP Service
	Firewall           string // k8s-fw-<lb>: the Service's traffic
	LocalCheck         string // <lb>: externalTrafficPolicy Local
	LocalCheckFirewall string // k8s-<lb>-http-hc
	NodesCheck         string // k8s-<cluster id>-node: shared, externalTrafficPolicy Cluster
	NodesCheckFirewall string // k8s-<cluster id>-node-http-hc
}

func NamesFor(svc *v1.Service, clusterID string) Names {
	lb := cloudprovider.DefaultLoadBalancerName(svc)
	return Names{
		LB: lb, AltPool: lb + "-alt", UDPRule: lb + "-udp",
		Firewall: "k8s-fw-" + lb, LocalCheck: lb, LocalCheckFirewall: "k8s-" + lb + "-http-hc",
		NodesCheck: "k8s-" + clusterID + "-node", NodesCheckFirewall: "k8s-" + clusterID + "-node-http-hc",
	}
}

// Pools are the two names a Service's target pool may have.
func (n Names) Pools() []string { return []string{n.LB, n.AltPool} }

// Rules are the two names a Service's forwarding rules may have.
func (n Names) Rules() []string { return []string{n.LB, n.UDPRule} }

// ServiceKey is namespace/name.
func ServiceKey(svc *v1.Service) string { return svc.Namespace + "/" + svc.Name }

func serviceDescription(service, cluster string) string {
	return ownership.Description{ServiceName: service, ClusterName: cluster}.String()
}

func sharedDescription(clusterID, cluster string) string {
	return ownership.Description{ClusterID: clusterID, ClusterName: cluster}.String()
}

// ServiceOwner reads the description of a per-Service object. aliases are
// other service names upstream wrote (its per-Service health check names
// itself, not the Service).
func ServiceOwner(desc, service, cluster string, aliases ...string) ownership.Owner {
	d, ok := ownership.Read(desc)
	if !ok {
		return ownership.Foreign
	}
	match := d.ServiceName == service
	for _, a := range aliases {
		match = match || d.ServiceName == a
	}
	return ownership.Judge(match, d.ClusterName, cluster)
}

// sharedOwner reads the description of the cluster's shared health check
// or its firewall; upstream names the check itself as the "service".
func sharedOwner(desc, clusterID, checkName, cluster string) ownership.Owner {
	d, ok := ownership.Read(desc)
	if !ok {
		return ownership.Foreign
	}
	return ownership.Judge(d.ClusterID == clusterID || d.ServiceName == checkName, d.ClusterName, cluster)
}

// ConflictError is an object with one of our names that is not ours to
// change: the load balancer is refused rather than built on it.
type ConflictError struct {
	Kind, Name, Description string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %s exists but belongs to someone else (description %q): not ours to change; rename or delete it", e.Kind, e.Name, e.Description)
}

// ValidClusterID says whether a cluster id makes valid GCE names.
func ValidClusterID(id string) bool {
	return id != "" && gceref.ValidName("k8s-"+id+"-node-http-hc")
}
