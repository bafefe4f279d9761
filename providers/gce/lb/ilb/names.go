package ilb

import "strings"

// Names are the GCE names of one internal load balancer, upstream's where
// upstream has one, so an internal load balancer made by the upstream
// provider is adopted.
type Names struct {
	LB    string // "a" + the Service UID: the backend service and rule of the first protocol
	Group string // k8s-ig--<cluster-id>, in every zone with nodes
	// SharedCheck and its firewall serve every Service with
	// externalTrafficPolicy Cluster.
	SharedCheck, SharedCheckFirewall string
	// LocalCheck and its firewall serve this Service alone (Local).
	LocalCheck, LocalCheckFirewall string
	Firewall                       string // k8s-fw-<lb>: the traffic to the IP
}

// NamesFor derives every name from the load balancer's and the cluster id.
func NamesFor(lb, clusterID string) Names {
	return Names{
		LB:                  lb,
		Group:               "k8s-ig--" + clusterID,
		SharedCheck:         "k8s-" + clusterID + "-node",
		SharedCheckFirewall: "k8s-" + clusterID + "-node-hc",
		LocalCheck:          lb,
		LocalCheckFirewall:  lb + "-hc",
		Firewall:            "k8s-fw-" + lb,
	}
}

// Backend is the name of the backend service (and rule) of one protocol:
// the first protocol takes <lb> (upstream's single-protocol name), the
// second a suffix.
func (n Names) Backend(proto string, first bool) string {
	if first {
		return n.LB
	}
	return n.LB + "-" + strings.ToLower(proto)
}

// All are the backend service and rule names this load balancer may use.
func (n Names) All() []string { return []string{n.LB, n.LB + "-tcp", n.LB + "-udp"} }
