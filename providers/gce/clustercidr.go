package gce

import (
	"fmt"
	"net/netip"
	"strings"
)

// SetClusterCIDRs tells the provider the cluster's pod ranges
// (--cluster-cidr). The route controller creates a route for any pod CIDR
// a node carries; the provider refuses one outside these ranges, so a
// mistaken node cannot steer VPC traffic for addresses the cluster does
// not own.
func (c *Cloud) SetClusterCIDRs(spec string) error {
	var out []netip.Prefix
	for _, s := range strings.Split(spec, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("--cluster-cidr %q: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	c.clusterCIDRs = out
	return nil
}

// checkPodCIDR refuses a malformed pod CIDR, or one outside the cluster's
// ranges when they are known.
func (c *Cloud) checkPodCIDR(cidr string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return fmt.Errorf("pod CIDR %q is not a CIDR: %w", cidr, err)
	}
	// The API server accepts a Node's pod CIDR with host bits set; GCE
	// refuses such a route destRange (400 invalid), and quietly masking it
	// would route a range the Node did not name.
	if p.Masked() != p {
		return fmt.Errorf("pod CIDR %s has host bits set (the range is %s): refusing to route it", cidr, p.Masked())
	}
	if len(c.clusterCIDRs) == 0 {
		return nil
	}
	for _, cc := range c.clusterCIDRs {
		if cc.Addr().Is4() == p.Addr().Is4() && cc.Bits() <= p.Bits() && cc.Contains(p.Addr()) {
			return nil
		}
	}
	return fmt.Errorf("pod CIDR %s is outside the cluster CIDR(s) %v: refusing to route it", cidr, c.clusterCIDRs)
}
