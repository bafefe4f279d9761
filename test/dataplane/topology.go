package dataplane

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// edgeGateway is the fabric's address as seen from the internet and probe
// namespaces (their default gateway); link-local, so it is never routed.
var edgeGateway = netip.MustParseAddr("169.254.0.1")

// probeSource is where health checks come from: inside 35.191.0.0/16, one
// of GCE's probe ranges, so firewall rules for the real ranges admit it.
var probeSource = netip.MustParseAddr("35.191.0.1")

// probeRanges get the fabric's "special return path" to the probers, as
// GCE routes probe replies outside the VPC's route table.
var probeRanges = []string{"35.191.0.0/16", "130.211.0.0/22", "209.85.152.0/22", "209.85.204.0/22"}

// vmMTU is GCE's default VPC MTU.
const vmMTU = 1460

// vmNS is one VM's namespace and the fabric end of its veth.
type vmNS struct {
	name  string
	ns    *ns
	link  netlink.Link
	index int
	up    bool
}

// buildEdges makes the fabric, internet and probe namespaces.
func (f *Fabric) buildEdges() error {
	var err error
	if f.fabric, err = createNS(f.NamespaceName("fabric")); err != nil {
		return err
	}
	for _, kv := range [][2]string{{"net.ipv4.ip_forward", "1"}, {"net.ipv4.conf.all.rp_filter", "0"}, {"net.ipv4.conf.default.rp_filter", "0"}} {
		if err := sysctl(f.fabric.name, kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := addAddr(f.fabric, "lo", edgeGateway); err != nil {
		return err
	}
	if f.internet, err = f.edge("internet", internetLink, f.opts.Clients); err != nil {
		return err
	}
	if f.probe, err = f.edge("probe", probeLink, []netip.Addr{probeSource}); err != nil {
		return err
	}
	link, err := f.fabric.nl.LinkByName(probeLink)
	if err != nil {
		return err
	}
	for _, r := range probeRanges {
		dst := netip.MustParsePrefix(r)
		if err := f.fabric.nl.RouteReplace(&netlink.Route{Dst: ipnet(dst), LinkIndex: link.Attrs().Index, Scope: netlink.SCOPE_LINK, Protocol: routeProto}); err != nil {
			return fmt.Errorf("probe return route %s: %w", r, err)
		}
	}
	return nil
}

// edge makes a namespace with eth0 wired to the fabric's link, holding
// addrs and routing everything to the fabric.
func (f *Fabric) edge(role, link string, addrs []netip.Addr) (*ns, error) {
	n, err := createNS(f.NamespaceName(role))
	if err != nil {
		return nil, err
	}
	if err := sysctl(n.name, "net.ipv4.conf.all.rp_filter", "0"); err != nil {
		return n, err
	}
	if _, err := f.wire(link, n); err != nil {
		return n, err
	}
	for _, a := range addrs {
		if err := addAddr(n, "eth0", a); err != nil {
			return n, err
		}
	}
	return n, defaultVia(n, edgeGateway)
}

// wire creates a veth: name in the fabric, eth0 in n, both up.
func (f *Fabric) wire(name string, n *ns) (netlink.Link, error) {
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name, MTU: vmMTU}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(n.handle))}
	if err := f.fabric.nl.LinkAdd(veth); err != nil {
		return nil, fmt.Errorf("veth %s to %s: %w", name, n.name, err)
	}
	link, err := f.fabric.nl.LinkByName(name)
	if err != nil {
		return nil, err
	}
	peer, err := n.nl.LinkByName("eth0")
	if err != nil {
		return nil, err
	}
	if err := n.nl.LinkSetUp(peer); err != nil {
		return nil, err
	}
	return link, f.fabric.nl.LinkSetUp(link)
}

// defaultVia gives n a host route to gw on eth0 and a default route via
// it: GCE's guest layout (a /32 address, the gateway reached on-link).
func defaultVia(n *ns, gw netip.Addr) error {
	eth0, err := n.nl.LinkByName("eth0")
	if err != nil {
		return err
	}
	idx := eth0.Attrs().Index
	if err := n.nl.RouteReplace(&netlink.Route{Dst: ipnet(netip.PrefixFrom(gw, 32)), LinkIndex: idx, Scope: netlink.SCOPE_LINK}); err != nil {
		return fmt.Errorf("route to gateway %s in %s: %w", gw, n.name, err)
	}
	if err := n.nl.RouteReplace(&netlink.Route{Dst: ipnet(netip.MustParsePrefix("0.0.0.0/0")), Gw: gw.AsSlice(), LinkIndex: idx}); err != nil {
		return fmt.Errorf("default route in %s: %w", n.name, err)
	}
	return nil
}

func addAddr(n *ns, link string, a netip.Addr) error {
	l, err := n.nl.LinkByName(link)
	if err != nil {
		return err
	}
	err = n.nl.AddrReplace(l, &netlink.Addr{IPNet: ipnet(netip.PrefixFrom(a, 32))})
	if err != nil {
		return fmt.Errorf("address %s on %s in %s: %w", a, link, n.name, err)
	}
	return nil
}

// plugVMs creates namespaces for new VMs, removes those of deleted VMs and
// sets each fabric link up (RUNNING) or down (unplugged).
func (f *Fabric) plugVMs(plan Plan) error {
	want := map[string]VMPlan{}
	for _, vm := range plan.VMs {
		want[vm.Path] = vm
	}
	for path, vm := range f.vms {
		if w, ok := want[path]; !ok || w.Index != vm.index {
			// The link first: sockets a test left in the VM keep its
			// namespace (and so the veth) alive after the name is gone.
			_ = f.fabric.nl.LinkDel(vm.link)
			vm.ns.remove()
			delete(f.vms, path)
		}
	}
	for _, w := range plan.VMs {
		vm := f.vms[w.Path]
		if vm == nil {
			var err error
			if vm, err = f.createVM(w); err != nil {
				return err
			}
			f.vms[w.Path] = vm
		}
		if vm.up == w.Plugged {
			continue
		}
		set := f.fabric.nl.LinkSetDown
		if w.Plugged {
			set = f.fabric.nl.LinkSetUp
		}
		if err := set(vm.link); err != nil {
			return fmt.Errorf("plug %s (%v): %w", w.Name, w.Plugged, err)
		}
		vm.up = w.Plugged
		// A link going down takes its routes (ECMP ones too) out of the
		// kernel: write every route again.
		f.applied.invalidate()
	}
	return nil
}

// createVM makes a VM's namespace: eth0 with its networkIP/32 and a
// default route via its subnet's gateway, which the fabric answers.
func (f *Fabric) createVM(w VMPlan) (*vmNS, error) {
	n, err := createNS(f.NamespaceName("vm-" + w.Zone + "-" + w.Name))
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*vmNS, error) {
		n.remove()
		return nil, fmt.Errorf("VM %s: %w", w.Name, err)
	}
	if err := sysctl(n.name, "net.ipv4.conf.all.rp_filter", "0"); err != nil {
		return fail(err)
	}
	if err := addAddr(f.fabric, "lo", w.Gateway); err != nil {
		return fail(err)
	}
	link, err := f.wire(w.Link, n)
	if err != nil {
		return fail(err)
	}
	if err := addAddr(n, "eth0", w.IP); err != nil {
		return fail(err)
	}
	if err := defaultVia(n, w.Gateway); err != nil {
		return fail(err)
	}
	return &vmNS{name: w.Name, ns: n, link: link, index: w.Index, up: true}, nil
}

func ipnet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// AddLocalAddress gives a namespace one more address (on lo), as a test
// stand-in for something behind a VM that answers on a routed range.
func AddLocalAddress(nsName string, a netip.Addr) error {
	var n *ns
	err := func() error {
		h, err := netns.GetFromName(nsName)
		if err != nil {
			return err
		}
		nl, err := netlink.NewHandleAt(h)
		if err != nil {
			h.Close()
			return err
		}
		n = &ns{name: nsName, handle: h, nl: nl}
		return nil
	}()
	if err != nil {
		return fmt.Errorf("namespace %s: %w", nsName, err)
	}
	defer func() { n.nl.Close(); n.handle.Close() }()
	return addAddr(n, "lo", a)
}
