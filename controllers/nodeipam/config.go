package nodeipam

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// AllocatorType is --cidr-allocator-type.
type AllocatorType string

// The allocator types this controller serves, spelt as the upstream GCE
// cloud-controller-manager spells them.
const (
	// RangeAllocator carves node CIDRs out of --cluster-cidr.
	RangeAllocator AllocatorType = "RangeAllocator"
	// CloudAllocator copies each node's pod CIDRs from its VM's alias IP
	// ranges (VPC-native clusters).
	CloudAllocator AllocatorType = "CloudAllocator"
)

// Default node CIDR mask sizes, the upstream's: a /24 holds 256 addresses
// for the 110 pods a node runs by default; a /64 is the smallest IPv6
// subnet that SLAAC and most tooling accept.
const (
	DefaultMaskSizeIPv4 = 24
	DefaultMaskSizeIPv6 = 64
)

// maxMaskDiff is how many bits a node CIDR may be longer than its cluster
// CIDR: Kubernetes' CIDR set keeps one bit per node CIDR in an
// uncompressed bitmap and refuses more than 2^16 of them for IPv6.
const maxMaskDiff = 16

// Flags are the command-line values the controller reads, as given.
type Flags struct {
	AllocateNodeCIDRs bool   // --allocate-node-cidrs
	ClusterCIDR       string // --cluster-cidr, one CIDR or one per family
	ServiceCIDR       string // --service-cluster-ip-range, one CIDR or one per family
	AllocatorType     string // --cidr-allocator-type
	MaskSize          int32  // --node-cidr-mask-size (single-stack)
	MaskSizeIPv4      int32  // --node-cidr-mask-size-ipv4 (dual-stack)
	MaskSizeIPv6      int32  // --node-cidr-mask-size-ipv6 (dual-stack)
}

// Config is what the controller runs with, checked.
type Config struct {
	Type AllocatorType
	// Pools are the cluster CIDRs in --cluster-cidr order, one per family;
	// a node's podCIDRs follow this order.
	Pools []Pool
	// Services are the service ranges, never given to a node.
	Services []netip.Prefix
}

// Pool is one cluster CIDR and the size of the node CIDRs cut from it.
type Pool struct {
	CIDR     netip.Prefix
	MaskSize int
}

// ParseConfig checks the flags; an error names the flag and the reason.
// It is only called when --allocate-node-cidrs is true.
func ParseConfig(f Flags) (Config, error) {
	var c Config
	switch t := AllocatorType(f.AllocatorType); t {
	case RangeAllocator, CloudAllocator:
		c.Type = t
	default:
		return Config{}, fmt.Errorf("--cidr-allocator-type: %q is not an allocator type this controller knows (%s or %s)",
			f.AllocatorType, RangeAllocator, CloudAllocator)
	}
	cidrs, err := parseCIDRList("--cluster-cidr", f.ClusterCIDR)
	if err != nil {
		return Config{}, err
	}
	if len(cidrs) == 0 {
		return Config{}, errors.New("--cluster-cidr: required with --allocate-node-cidrs=true")
	}
	if c.Services, err = parseCIDRList("--service-cluster-ip-range", f.ServiceCIDR); err != nil {
		return Config{}, err
	}
	sizes, err := maskSizes(f, len(cidrs) == 2)
	if err != nil {
		return Config{}, err
	}
	for _, p := range cidrs {
		c.Pools = append(c.Pools, Pool{CIDR: p, MaskSize: sizes[family(p)]})
	}
	if c.Type == RangeAllocator {
		for _, p := range c.Pools {
			if err := p.check(f); err != nil {
				return Config{}, err
			}
		}
	}
	return c, nil
}

// parseCIDRList reads "a" or "a,b" (one per family) into masked prefixes.
func parseCIDRList(flag, s string) ([]netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return nil, fmt.Errorf("%s: %q has %d CIDRs; at most two, one IPv4 and one IPv6", flag, s, len(parts))
	}
	var out []netip.Prefix
	for _, part := range parts {
		p, err := netip.ParsePrefix(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a CIDR: %w", flag, part, err)
		}
		if p.Addr().Is4In6() {
			return nil, fmt.Errorf("%s: %q is an IPv4-mapped IPv6 CIDR; write it as IPv4", flag, part)
		}
		out = append(out, p.Masked())
	}
	if len(out) == 2 && family(out[0]) == family(out[1]) {
		return nil, fmt.Errorf("%s: %q has two CIDRs of one family; dual-stack takes one IPv4 and one IPv6", flag, s)
	}
	return out, nil
}

// maskSizes applies the upstream's rule: --node-cidr-mask-size for a
// single-stack cluster, the per-family flags for a dual-stack one.
func maskSizes(f Flags, dualStack bool) (map[ipFamily]int, error) {
	sizes := map[ipFamily]int{ipv4: DefaultMaskSizeIPv4, ipv6: DefaultMaskSizeIPv6}
	if dualStack {
		if f.MaskSize != 0 {
			return nil, errors.New("--node-cidr-mask-size: not allowed with a dual-stack --cluster-cidr; use --node-cidr-mask-size-ipv4 and --node-cidr-mask-size-ipv6")
		}
		if f.MaskSizeIPv4 != 0 {
			sizes[ipv4] = int(f.MaskSizeIPv4)
		}
		if f.MaskSizeIPv6 != 0 {
			sizes[ipv6] = int(f.MaskSizeIPv6)
		}
		return sizes, nil
	}
	if f.MaskSizeIPv4 != 0 || f.MaskSizeIPv6 != 0 {
		return nil, errors.New("--node-cidr-mask-size-ipv4, --node-cidr-mask-size-ipv6: only for a dual-stack --cluster-cidr; use --node-cidr-mask-size")
	}
	if f.MaskSize != 0 {
		sizes[ipv4], sizes[ipv6] = int(f.MaskSize), int(f.MaskSize)
	}
	return sizes, nil
}

// check refuses a node mask the cluster CIDR cannot be cut into.
func (p Pool) check(f Flags) error {
	flag := "--node-cidr-mask-size"
	if len(f.ClusterCIDR) > 0 && strings.Contains(f.ClusterCIDR, ",") {
		flag += "-" + string(family(p.CIDR))
	}
	bits := p.CIDR.Addr().BitLen()
	switch {
	case p.MaskSize < 1 || p.MaskSize > bits:
		return fmt.Errorf("%s: %d is not a mask size for %s (1 to %d)", flag, p.MaskSize, family(p.CIDR), bits)
	case p.MaskSize < p.CIDR.Bits():
		return fmt.Errorf("%s: /%d is larger than the cluster CIDR %s it is cut from", flag, p.MaskSize, p.CIDR)
	case p.MaskSize-p.CIDR.Bits() > maxMaskDiff:
		return fmt.Errorf("%s: /%d cuts %s into 2^%d node CIDRs; at most 2^%d (make the cluster CIDR longer or the node CIDRs shorter)",
			flag, p.MaskSize, p.CIDR, p.MaskSize-p.CIDR.Bits(), maxMaskDiff)
	}
	return nil
}

type ipFamily string

const (
	ipv4 ipFamily = "ipv4"
	ipv6 ipFamily = "ipv6"
)

func family(p netip.Prefix) ipFamily {
	if p.Addr().Is4() {
		return ipv4
	}
	return ipv6
}
