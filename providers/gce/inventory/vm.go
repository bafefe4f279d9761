package inventory

import (
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// VM is what the process reads of a VM: its record in the inventory. At
// 5,000 VMs the whole resources would be tens of megabytes (disks,
// metadata, service accounts, ...); these fields are all that is read.
type VM struct {
	Status       string   // RUNNING, TERMINATED, ...: node shutdown
	MachineType  string   // the type's name: the node's instance type
	CanIPForward bool     // the ipforward controller
	Tags         []string // network tags: the load balancers' firewall targets
	Addresses    Addresses
	// Full is the whole resource, kept only for a VM that does not forward
	// when asked (KeepFullWhenNotForwarding); nil otherwise.
	Full *computepb.Instance
}

// Addresses are a VM's addresses by kind, each in interface order.
type Addresses struct {
	Internal []string // each interface's networkIP
	IPv6     []string // each interface's internal IPv6, else its external IPv6
	External []string // each access config's NAT IP
}

// slim makes a VM's record; v.mu is held (for the interner).
func (v *Inventory) slim(inst *computepb.Instance) *VM {
	out := &VM{Status: v.strings.of(inst.GetStatus()), MachineType: v.strings.of(gceref.Name(inst.GetMachineType())),
		CanIPForward: inst.GetCanIpForward()}
	if tags := inst.GetTags().GetItems(); len(tags) > 0 {
		out.Tags = make([]string, len(tags))
		for i, t := range tags {
			out.Tags[i] = v.strings.of(t)
		}
	}
	a := &out.Addresses
	for _, ni := range inst.GetNetworkInterfaces() {
		a.Internal = appendIP(a.Internal, ni.GetNetworkIP())
		if ip := ni.GetIpv6Address(); ip != "" {
			a.IPv6 = appendIP(a.IPv6, ip)
		} else {
			for _, ac := range ni.GetIpv6AccessConfigs() {
				a.IPv6 = appendIP(a.IPv6, ac.GetExternalIpv6())
			}
		}
		for _, ac := range ni.GetAccessConfigs() {
			a.External = appendIP(a.External, ac.GetNatIP())
		}
	}
	if v.keepFull && !out.CanIPForward {
		out.Full = inst
	}
	return out
}

// appendIP appends a non-empty address, copied out of the decoded
// resource so that the resource can be freed.
func appendIP(list []string, ip string) []string {
	if ip == "" {
		return list
	}
	return append(list, strings.Clone(ip))
}

// interner shares the strings that thousands of VMs repeat (project,
// zone, status, machine type, tags): one copy each instead of one per VM.
type interner map[string]string

func (in interner) of(s string) string {
	if s == "" {
		return ""
	}
	if c, ok := in[s]; ok {
		return c
	}
	c := strings.Clone(s)
	in[c] = c
	return c
}

// key rebuilds a VM's key from shared strings and a copy of its name: a
// key parsed from a selfLink would otherwise keep the whole URL alive.
func (in interner) key(k gceref.Key) gceref.Key {
	k.Project, k.Location, k.Collection = in.of(k.Project), in.of(k.Location), in.of(k.Collection)
	k.Name = strings.Clone(k.Name)
	return k
}
