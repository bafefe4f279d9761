package fakecompute

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
)

// Subnet secondary ranges and VM alias IP ranges (VPC-native clusters: a
// node's pods take addresses from an alias range carved out of a subnet's
// secondary range, and the VPC routes it to the VM with no route object).
// GCE's rules, as its documentation states them:
//   - a secondary range has a name (RFC 1035, unique in its subnet) and an
//     IPv4 CIDR that overlaps neither the subnet's primary range, nor its
//     other secondary ranges, nor any range of another subnet of the
//     network; at most maxSecondaryRanges per subnet;
//   - an alias range names a secondary range of the interface's subnet
//     (subnetworkRangeName), or none for the primary range, and is either
//     a CIDR inside it, a single address ("10.1.2.3", a /32), or only a
//     size ("/24"), for which GCE picks a free block; it may not overlap
//     another VM's alias range or primary address; at most
//     maxAliasRangesPerNIC per interface.

const (
	maxSecondaryRanges   = 170
	maxAliasRangesPerNIC = 100
)

// checkSecondaryRanges checks a new subnet's secondary ranges against its
// primary range and each other; it returns every range the subnet holds.
func checkSecondaryRanges(sn *compute.Subnetwork, primary netip.Prefix) ([]netip.Prefix, error) {
	if len(sn.SecondaryIpRanges) > maxSecondaryRanges {
		return nil, errInvalid("Invalid value for field 'resource.secondaryIpRanges': a subnetwork can have at most %d secondary IP ranges; %d given.", maxSecondaryRanges, len(sn.SecondaryIpRanges))
	}
	all := []netip.Prefix{primary}
	names := map[string]bool{}
	for i, r := range sn.SecondaryIpRanges {
		field := fmt.Sprintf("resource.secondaryIpRanges[%d]", i)
		if r == nil || !nameRE.MatchString(r.RangeName) {
			name := ""
			if r != nil {
				name = r.RangeName
			}
			return nil, errInvalid("Invalid value for field '%s.rangeName': '%s'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'", field, name)
		}
		if names[r.RangeName] {
			return nil, errInvalid("Invalid value for field '%s.rangeName': '%s'. Secondary range names must be unique within a subnetwork.", field, r.RangeName)
		}
		names[r.RangeName] = true
		p, err := checkCIDR(field+".ipCidrRange", r.IpCidrRange)
		if err != nil {
			return nil, err
		}
		if !p.Addr().Is4() {
			return nil, errInvalid("Invalid value for field '%s.ipCidrRange': '%s'. Secondary IP ranges must be IPv4.", field, r.IpCidrRange)
		}
		for _, o := range all {
			if o.Overlaps(p) {
				return nil, errInvalid("Invalid value for field '%s.ipCidrRange': '%s'. Invalid IPCidrRange: %s conflicts with %s of the same subnetwork.", field, r.IpCidrRange, p, o)
			}
		}
		all = append(all, p)
	}
	return all, nil
}

// subnetRanges lists a stored subnet's primary and secondary ranges.
func subnetRanges(sn *compute.Subnetwork) []netip.Prefix {
	var out []netip.Prefix
	if p, err := netip.ParsePrefix(sn.IpCidrRange); err == nil {
		out = append(out, p)
	}
	for _, r := range sn.SecondaryIpRanges {
		if p, err := netip.ParsePrefix(r.IpCidrRange); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// aliasRequest is one alias range as asked: a block (size only) or a range.
type aliasRequest struct {
	size   int          // the "/24" form: GCE picks the block
	prefix netip.Prefix // the CIDR or single-address form
}

// parseAliasRanges checks the form of an interface's alias ranges (what
// does not depend on state).
func parseAliasRanges(field string, rs []*compute.AliasIpRange) ([]aliasRequest, error) {
	if len(rs) > maxAliasRangesPerNIC {
		return nil, errInvalid("Invalid value for field '%s.aliasIpRanges': at most %d alias IP ranges per network interface; %d given.", field, maxAliasRangesPerNIC, len(rs))
	}
	out := make([]aliasRequest, len(rs))
	for i, r := range rs {
		f := fmt.Sprintf("%s.aliasIpRanges[%d]", field, i)
		if r == nil || r.IpCidrRange == "" {
			return nil, errRequired(f + ".ipCidrRange")
		}
		if r.SubnetworkRangeName != "" && !nameRE.MatchString(r.SubnetworkRangeName) {
			return nil, errInvalid("Invalid value for field '%s.subnetworkRangeName': '%s'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'", f, r.SubnetworkRangeName)
		}
		bad := errInvalid("Invalid value for field '%s.ipCidrRange': '%s'. Must be an IPv4 CIDR range, an IPv4 address or a netmask such as '/24'.", f, r.IpCidrRange)
		switch {
		case strings.HasPrefix(r.IpCidrRange, "/"):
			n, err := strconv.Atoi(r.IpCidrRange[1:])
			if err != nil || n < 1 || n > 32 {
				return nil, bad
			}
			out[i].size = n
		case strings.Contains(r.IpCidrRange, "/"):
			p, err := checkCIDR(f+".ipCidrRange", r.IpCidrRange)
			if err != nil {
				return nil, err
			}
			if !p.Addr().Is4() {
				return nil, bad
			}
			out[i].prefix = p
		default:
			a, err := netip.ParseAddr(r.IpCidrRange)
			if err != nil || !a.Is4() {
				return nil, bad
			}
			out[i].prefix = netip.PrefixFrom(a, 32)
		}
	}
	return out, nil
}

// assignAliasRanges resolves an interface's alias ranges in its subnet:
// each inside the named range, none overlapping what is in use in the
// project (other VMs' alias ranges and primary addresses, and the ones
// before it), blocks picked lowest-first. It rewrites rs as GCE stores
// them (every range a CIDR).
func assignAliasRanges(t *tx, project, field string, sn *compute.Subnetwork, rs []*compute.AliasIpRange) error {
	reqs, err := parseAliasRanges(field, rs)
	if err != nil || len(reqs) == 0 {
		return err
	}
	used := aliasInUse(t, project)
	for i, r := range rs {
		f := fmt.Sprintf("%s.aliasIpRanges[%d]", field, i)
		within, err := namedRange(sn, r.SubnetworkRangeName)
		if err != nil {
			return errInvalid("Invalid value for field '%s.subnetworkRangeName': '%s'. %v", f, r.SubnetworkRangeName, err)
		}
		p := reqs[i].prefix
		if reqs[i].size != 0 {
			var ok bool
			if p, ok = freeBlock(within, reqs[i].size, used); !ok {
				return errInvalid("Invalid value for field '%s.ipCidrRange': '%s'. No free /%d is left in %s (%s).", f, r.IpCidrRange, reqs[i].size, within, rangeLabel(r.SubnetworkRangeName))
			}
		}
		if !within.Contains(p.Addr()) || p.Bits() < within.Bits() {
			return errInvalid("Invalid value for field '%s.ipCidrRange': '%s'. The range must be within %s (%s of subnetwork '%s').", f, r.IpCidrRange, within, rangeLabel(r.SubnetworkRangeName), sn.Name)
		}
		for _, u := range used {
			if u.Overlaps(p) {
				return errInvalid("Invalid value for field '%s.ipCidrRange': '%s'. The IP range %s is already in use (%s).", f, r.IpCidrRange, p, u)
			}
		}
		used = append(used, p)
		r.IpCidrRange = p.String()
	}
	return nil
}

func rangeLabel(name string) string {
	if name == "" {
		return "the primary range"
	}
	return "secondary range '" + name + "'"
}

// namedRange is the subnet's secondary range of that name, or its
// primary range for "".
func namedRange(sn *compute.Subnetwork, name string) (netip.Prefix, error) {
	if name == "" {
		return netip.ParsePrefix(sn.IpCidrRange)
	}
	for _, r := range sn.SecondaryIpRanges {
		if r.RangeName == name {
			return netip.ParsePrefix(r.IpCidrRange)
		}
	}
	return netip.Prefix{}, fmt.Errorf("subnetwork '%s' has no secondary range of that name", sn.Name)
}

// aliasInUse lists the alias ranges and primary addresses of the
// project's VMs.
func aliasInUse(t *tx, project string) []netip.Prefix {
	var out []netip.Prefix
	t.scan(project, "instances", func(_ Key, o any) {
		inst, ok := o.(*compute.Instance)
		if !ok {
			return
		}
		for _, ni := range inst.NetworkInterfaces {
			if a, err := netip.ParseAddr(ni.NetworkIP); err == nil {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
			}
			for _, r := range ni.AliasIpRanges {
				if p, err := netip.ParsePrefix(r.IpCidrRange); err == nil {
					out = append(out, p)
				}
			}
		}
	})
	return out
}

// freeBlock is the lowest /size block of within that overlaps nothing used.
func freeBlock(within netip.Prefix, size int, used []netip.Prefix) (netip.Prefix, bool) {
	if size < within.Bits() {
		return netip.Prefix{}, false
	}
	step := uint64(1) << (32 - size)
	base := uint64(ipv4Uint(within.Addr()))
	for off := uint64(0); off < uint64(1)<<(32-within.Bits()); off += step {
		p := netip.PrefixFrom(uint32ToAddr(uint32(base+off)), size)
		free := true
		for _, u := range used {
			if u.Overlaps(p) {
				free = false
				break
			}
		}
		if free {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func ipv4Uint(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func uint32ToAddr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
