package dataplane

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The node half: what kubelet, the CNI bridge plugin and kube-proxy do on a
// Kubernetes node, inside a VM's namespace. It is not the CCM's job and
// not GCE's; the tests and the demo use it to put pods behind the VPC.

// Node is one VM set up as a Kubernetes node.
type Node struct {
	Name    string
	NS      string       // the VM's namespace
	PodCIDR netip.Prefix // cbr0's range
	f       *Fabric
	vm      *ns // a handle on the VM's namespace (not owned: the fabric removes it)

	mu       sync.Mutex
	pods     map[string]*Pod
	next     netip.Addr
	services []Service
	checks   map[uint16]*http.Server // healthCheckNodePort servers
	proxy    *http.Server            // kube-proxy's healthz on 10256
}

// Pod is a namespace on a node's cbr0 bridge.
type Pod struct {
	Name, NS string
	IP       netip.Addr
	ns       *ns
	servers  []*http.Server
}

// kubeProxyHealthPort is where kube-proxy serves /healthz (the port the
// CCM's shared node check probes for externalTrafficPolicy Cluster).
const kubeProxyHealthPort = 10256

// Node sets up the VM named name as a node: cbr0 with the first address of
// podCIDR, IP forwarding, and kube-proxy's health server on 10256.
func (f *Fabric) Node(name string, podCIDR netip.Prefix) (*Node, error) {
	nsName := f.VMNamespace(name)
	if nsName == "" {
		return nil, fmt.Errorf("node %s: the fabric has no VM of that name", name)
	}
	h, err := netns.GetFromName(nsName)
	if err != nil {
		return nil, err
	}
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		h.Close()
		return nil, err
	}
	gw := podCIDR.Masked().Addr().Next()
	n := &Node{Name: name, NS: nsName, PodCIDR: podCIDR.Masked(), f: f, vm: &ns{name: nsName, handle: h, nl: nl},
		pods: map[string]*Pod{}, next: gw.Next(), checks: map[uint16]*http.Server{}}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "cbr0", MTU: vmMTU}}
	if err := nl.LinkAdd(br); err != nil {
		n.Close()
		return nil, fmt.Errorf("node %s: cbr0: %w", name, err)
	}
	if err := nl.AddrAdd(br, &netlink.Addr{IPNet: ipnet(netip.PrefixFrom(gw, podCIDR.Bits()))}); err != nil {
		n.Close()
		return nil, fmt.Errorf("node %s: cbr0 address: %w", name, err)
	}
	if err := nl.LinkSetUp(br); err != nil {
		n.Close()
		return nil, err
	}
	if err := sysctl(nsName, "net.ipv4.ip_forward", "1"); err != nil {
		n.Close()
		return nil, err
	}
	if err := n.StartKubeProxyHealth(); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// StartKubeProxyHealth serves kube-proxy's /healthz on 10256 (Node starts it).
func (n *Node) StartKubeProxyHealth() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proxy != nil {
		return nil
	}
	srv, err := serveIn(n.NS, fmt.Sprintf(":%d", kubeProxyHealthPort), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().UTC().Format(time.RFC3339Nano)
		fmt.Fprintf(w, `{"lastUpdated": %q,"currentTime": %q, "nodeEligible": true}`, now, now)
	}))
	if err != nil {
		return fmt.Errorf("node %s: kube-proxy healthz: %w", n.Name, err)
	}
	n.proxy = srv
	return nil
}

// StopKubeProxyHealth closes kube-proxy's health server on 10256, as a
// node whose kube-proxy died: the shared node check starts failing.
func (n *Node) StopKubeProxyHealth() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proxy != nil {
		_ = n.proxy.Close()
		n.proxy = nil
	}
}

// AddPod creates a pod namespace with eth0 on cbr0 and the next free IP.
func (n *Node) AddPod(name string) (*Pod, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ip := n.next
	if !n.PodCIDR.Contains(ip) {
		return nil, fmt.Errorf("node %s: pod CIDR %s is full", n.Name, n.PodCIDR)
	}
	pn, err := createNS(n.f.NamespaceName("pod-" + n.Name + "-" + name))
	if err != nil {
		return nil, err
	}
	p := &Pod{Name: name, NS: pn.name, IP: ip, ns: pn}
	host := fmt.Sprintf("veth%d", ip.As4()[3])
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: host, MTU: vmMTU}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(pn.handle))}
	err = n.vm.nl.LinkAdd(veth)
	if err == nil {
		err = n.plugPod(host, pn, ip)
	}
	if err != nil {
		pn.remove()
		return nil, fmt.Errorf("pod %s on %s: %w", name, n.Name, err)
	}
	n.next = ip.Next()
	n.pods[name] = p
	return p, nil
}

func (n *Node) plugPod(host string, pn *ns, ip netip.Addr) error {
	hl, err := n.vm.nl.LinkByName(host)
	if err != nil {
		return err
	}
	br, err := n.vm.nl.LinkByName("cbr0")
	if err != nil {
		return err
	}
	if err := n.vm.nl.LinkSetMaster(hl, br); err != nil {
		return err
	}
	if err := n.vm.nl.LinkSetUp(hl); err != nil {
		return err
	}
	eth0, err := pn.nl.LinkByName("eth0")
	if err != nil {
		return err
	}
	if err := pn.nl.AddrAdd(eth0, &netlink.Addr{IPNet: ipnet(netip.PrefixFrom(ip, n.PodCIDR.Bits()))}); err != nil {
		return err
	}
	if err := pn.nl.LinkSetUp(eth0); err != nil {
		return err
	}
	gw := n.PodCIDR.Addr().Next()
	return pn.nl.RouteAdd(&netlink.Route{Dst: ipnet(netip.MustParsePrefix("0.0.0.0/0")), Gw: gw.AsSlice(), LinkIndex: eth0.Attrs().Index})
}

// RemovePod deletes a pod (its servers stop with it).
func (n *Node) RemovePod(name string) {
	n.mu.Lock()
	p := n.pods[name]
	delete(n.pods, name)
	n.mu.Unlock()
	p.close()
}

// Serve answers HTTP on port inside the pod with "pod=<name> client=<ip>",
// so a test sees which pod answered and which source address it saw.
func (p *Pod) Serve(port uint16) error {
	srv, err := serveIn(p.NS, fmt.Sprintf(":%d", port), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		fmt.Fprintf(w, "pod=%s client=%s\n", p.Name, host)
	}))
	if err != nil {
		return fmt.Errorf("pod %s: serve :%d: %w", p.Name, port, err)
	}
	p.servers = append(p.servers, srv)
	return nil
}

func (p *Pod) close() {
	if p == nil {
		return
	}
	for _, s := range p.servers {
		_ = s.Close()
	}
	p.ns.remove()
}

// Close stops the node's servers and removes its pods (the VM's namespace
// itself belongs to the fabric).
func (n *Node) Close() {
	n.mu.Lock()
	pods := n.pods
	n.pods = map[string]*Pod{}
	servers := []*http.Server{n.proxy}
	for _, s := range n.checks {
		servers = append(servers, s)
	}
	n.mu.Unlock()
	for _, s := range servers {
		if s != nil {
			_ = s.Close()
		}
	}
	for _, p := range pods {
		p.close()
	}
	n.vm.nl.Close()
	n.vm.handle.Close()
}

// serveIn serves h on addr inside a namespace until the server is closed.
func serveIn(nsName, addr string, h http.Handler) (*http.Server, error) {
	l, err := Listen(nsName, "tcp", addr)
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, nil
}
