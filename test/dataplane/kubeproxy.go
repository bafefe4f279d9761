package dataplane

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strings"
)

// Service is a LoadBalancer Service as kube-proxy programs it on a node.
type Service struct {
	Namespace, Name     string
	LBIP                netip.Addr // status.loadBalancer.ingress[0].ip
	Port, TargetPort    uint16
	Protocol            string // tcp or udp
	Local               bool   // externalTrafficPolicy: Local
	HealthCheckNodePort uint16 // Local only
	Endpoints           []netip.Addr
}

// kubeProxyTable is the node's nftables table; masqMark is kube-proxy's
// "masquerade this" mark (0x4000, the same bit kube-proxy uses).
const (
	kubeProxyTable = "kubeproxy"
	masqMark       = "0x4000"
)

// SetServices programs the node as kube-proxy would: DNAT from the load
// balancer's IP and port to an endpoint; with Cluster any endpoint and the
// source masqueraded to the node, with Local only this node's endpoints
// and the client's address kept (no local endpoint: dropped). Local
// Services get a healthCheckNodePort server that passes only with a local
// endpoint.
func (n *Node) SetServices(ctx context.Context, svcs []Service) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := nft(ctx, n.NS, kubeProxyRuleset(n.PodCIDR, svcs)); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	n.services = append([]Service(nil), svcs...)
	want := map[uint16]bool{}
	for _, s := range svcs {
		if s.Local && s.HealthCheckNodePort != 0 {
			want[s.HealthCheckNodePort] = true
		}
	}
	for port, srv := range n.checks {
		if !want[port] {
			_ = srv.Close()
			delete(n.checks, port)
		}
	}
	for port := range want {
		if n.checks[port] != nil {
			continue
		}
		srv, err := serveIn(n.NS, fmt.Sprintf(":%d", port), n.checkHandler(port))
		if err != nil {
			return fmt.Errorf("node %s: healthCheckNodePort %d: %w", n.Name, port, err)
		}
		n.checks[port] = srv
	}
	return nil
}

// checkHandler answers a Service's health check as kube-proxy does: 200
// with the count of local endpoints, 503 when there is none.
func (n *Node) checkHandler(port uint16) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		var svc Service
		for _, s := range n.services {
			if s.Local && s.HealthCheckNodePort == port {
				svc = s
			}
		}
		local := len(localEndpoints(n.PodCIDR, svc.Endpoints))
		n.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if local == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintf(w, `{"service": {"namespace": %q, "name": %q}, "localEndpoints": %d, "serviceProxyHealthy": true}`, svc.Namespace, svc.Name, local)
	})
}

func localEndpoints(cidr netip.Prefix, eps []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, e := range eps {
		if cidr.Contains(e) {
			out = append(out, e)
		}
	}
	return out
}

// kubeProxyRuleset renders the node's table. Pure; replaced whole.
func kubeProxyRuleset(podCIDR netip.Prefix, svcs []Service) string {
	var b rsBuilder
	b.line("table ip %s {}", kubeProxyTable)
	b.line("flush table ip %s", kubeProxyTable)
	b.line("table ip %s {", kubeProxyTable)
	b.line("\tchain filter_prerouting {")
	b.line("\t\ttype filter hook prerouting priority dstnat - 10; policy accept;")
	var nat []string
	sorted := append([]Service(nil), svcs...)
	sort.Slice(sorted, func(i, j int) bool {
		return sorted[i].Namespace+"/"+sorted[i].Name < sorted[j].Namespace+"/"+sorted[j].Name
	})
	for _, s := range sorted {
		proto := strings.ToLower(s.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		match := fmt.Sprintf("ip daddr %s %s dport %d", s.LBIP, proto, s.Port)
		eps := s.Endpoints
		if s.Local {
			eps = localEndpoints(podCIDR, eps)
		}
		if len(eps) == 0 {
			// No endpoint to send it to (Local: none on this node).
			b.line("\t\t%s drop", match)
			continue
		}
		mark := ""
		if !s.Local {
			mark = "meta mark set meta mark | " + masqMark + " "
		}
		nat = append(nat, fmt.Sprintf("\t\t%s %sdnat to %s", match, mark, endpointMap(eps, s.TargetPort)))
	}
	b.line("\t}")
	b.line("\tchain nat_prerouting {")
	b.line("\t\ttype nat hook prerouting priority dstnat; policy accept;")
	for _, l := range nat {
		b.line("%s", l)
	}
	b.line("\t}")
	b.line("\tchain nat_postrouting {")
	b.line("\t\ttype nat hook postrouting priority srcnat; policy accept;")
	b.line("\t\tmeta mark & %s == %s masquerade", masqMark, masqMark)
	b.line("\t}")
	b.line("}")
	return b.String()
}

// endpointMap picks an endpoint at random per connection, as kube-proxy.
func endpointMap(eps []netip.Addr, port uint16) string {
	if len(eps) == 1 {
		return fmt.Sprintf("%s:%d", eps[0], port)
	}
	elems := make([]string, len(eps))
	for i, e := range eps {
		elems[i] = fmt.Sprintf("%d : %s . %d", i, e, port)
	}
	return fmt.Sprintf("numgen random mod %d map { %s }", len(eps), strings.Join(elems, ", "))
}
