package gce

import (
	"encoding/json"
	"fmt"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
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

// lbNames are the names of every GCE object of one Service's load balancer.
type lbNames struct {
	LB                 string // address, pool, TCP (or only) rule, per-Service check
	AltPool            string // the other pool name, for a zero-downtime pool swap
	UDPRule            string // the UDP rule of a TCP+UDP Service
	Firewall           string // k8s-fw-<lb>: the Service's traffic
	LocalCheck         string // <lb>: externalTrafficPolicy Local
	LocalCheckFirewall string // k8s-<lb>-http-hc
	NodesCheck         string // k8s-<cluster id>-node: shared, externalTrafficPolicy Cluster
	NodesCheckFirewall string // k8s-<cluster id>-node-http-hc
}

func namesFor(svc *v1.Service, clusterID string) lbNames {
	lb := cloudprovider.DefaultLoadBalancerName(svc)
	return lbNames{
		LB: lb, AltPool: lb + "-alt", UDPRule: lb + "-udp",
		Firewall: "k8s-fw-" + lb, LocalCheck: lb, LocalCheckFirewall: "k8s-" + lb + "-http-hc",
		NodesCheck: "k8s-" + clusterID + "-node", NodesCheckFirewall: "k8s-" + clusterID + "-node-http-hc",
	}
}

// pools are the two names a Service's target pool may have.
func (n lbNames) pools() []string { return []string{n.LB, n.AltPool} }

// rules are the two names a Service's forwarding rules may have.
func (n lbNames) rules() []string { return []string{n.LB, n.UDPRule} }

// otherPool is the pool name a swap moves to.
func (n lbNames) otherPool(name string) string {
	if name == n.LB {
		return n.AltPool
	}
	return n.LB
}

func serviceKey(svc *v1.Service) string { return svc.Namespace + "/" + svc.Name }

// lbDescription is the JSON in the description of every object we create.
// The upstream provider writes the same keys (without the cluster name), so
// its objects read as "made for this Service by upstream".
type lbDescription struct {
	ServiceName string `json:"kubernetes.io/service-name,omitempty"`
	ServiceIP   string `json:"kubernetes.io/service-ip,omitempty"`
	ClusterID   string `json:"kubernetes.io/cluster-id,omitempty"`
	ClusterName string `json:"kubernetes.io/cluster-name,omitempty"`
}

func (d lbDescription) String() string {
	b, _ := json.Marshal(d)
	return string(b)
}

func serviceDescription(service, cluster string) string {
	return lbDescription{ServiceName: service, ClusterName: cluster}.String()
}

func sharedDescription(clusterID, cluster string) string {
	return lbDescription{ClusterID: clusterID, ClusterName: cluster}.String()
}

// owner says who made an object that carries one of our names.
type owner int

const (
	foreign  owner = iota // someone else: never touched
	ours                  // this cluster, through gce-ccm
	upstream              // the upstream provider, for the same Service (adopted)
)

func (o owner) String() string { return [...]string{"foreign", "ours", "upstream"}[o] }

// serviceOwner reads the description of a per-Service object. aliases are
// other service names upstream wrote (its per-Service health check names
// itself, not the Service).
func serviceOwner(desc, service, cluster string, aliases ...string) owner {
	var d lbDescription
	if json.Unmarshal([]byte(desc), &d) != nil {
		return foreign
	}
	match := d.ServiceName == service
	for _, a := range aliases {
		match = match || d.ServiceName == a
	}
	return ownerOf(match, d.ClusterName, cluster)
}

// sharedOwner reads the description of the cluster's shared health check
// or its firewall; upstream names the check itself as the "service".
func sharedOwner(desc, clusterID, checkName, cluster string) owner {
	var d lbDescription
	if json.Unmarshal([]byte(desc), &d) != nil {
		return foreign
	}
	return ownerOf(d.ClusterID == clusterID || d.ServiceName == checkName, d.ClusterName, cluster)
}

func ownerOf(match bool, descCluster, cluster string) owner {
	switch {
	case !match:
		return foreign
	case descCluster == cluster:
		return ours
	case descCluster == "":
		return upstream
	}
	return foreign
}

// conflictError is an object with one of our names that is not ours to
// change: the load balancer is refused rather than built on it.
type conflictError struct {
	Kind, Name, Description string
}

func (e *conflictError) Error() string {
	return fmt.Sprintf("%s %s exists but belongs to someone else (description %q): not ours to change; rename or delete it", e.Kind, e.Name, e.Description)
}

// validClusterID says whether a cluster id makes valid GCE names.
func validClusterID(id string) bool {
	return id != "" && validName("k8s-"+id+"-node-http-hc")
}
