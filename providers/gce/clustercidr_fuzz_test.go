package gce

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzPodCIDR: --cluster-cidr comes from a flag and a pod CIDR from a Node
// anyone with Node write access can set. A flag value is accepted or
// refused naming the flag; a pod CIDR is routed only if it is a CIDR that
// lies wholly within one of the cluster's ranges of the same family, and a
// refusal names the CIDR.
func FuzzPodCIDR(f *testing.F) {
	for _, s := range [][2]string{
		{"10.64.0.0/14", "10.64.1.0/24"},
		{"10.64.0.0/14", "10.68.0.0/24"},
		{"10.64.0.0/14", "10.0.0.0/8"},
		{"10.64.0.0/14,fd00::/48", "fd00:0:0:1::/64"},
		{"10.64.0.0/14, fd00::/48", "::ffff:10.64.1.0/120"},
		{"", "192.168.7.0/24"},
		{"10.64.0.0/14", "10.64.1.5/24"},
		{"10.64.0.0/14", "10.64.1.0"},
		{"10.64.0.0/14", "not-a-cidr"},
		{"10.64.0.0/33", "10.64.1.0/24"},
		{",,", "10.64.1.0/24"},
		{"10.64.0.0/14", "10.64.1.0/24%eth0"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, spec, cidr string) {
		c := &Cloud{}
		if err := c.SetClusterCIDRs(spec); err != nil {
			if !strings.Contains(err.Error(), "--cluster-cidr") {
				t.Fatalf("flag error %q does not name --cluster-cidr", err)
			}
			return
		}
		err := c.checkPodCIDR(cidr)
		if err != nil {
			if !strings.Contains(err.Error(), "pod CIDR") {
				t.Fatalf("refusal %q does not say it is about the pod CIDR", err)
			}
			return
		}
		p, perr := netip.ParsePrefix(cidr)
		if perr != nil {
			t.Fatalf("routed %q, which is not a CIDR", cidr)
		}
		if len(c.clusterCIDRs) == 0 {
			return
		}
		for _, cc := range c.clusterCIDRs {
			if cc.Addr().Is4() == p.Addr().Is4() && cc.Bits() <= p.Bits() && cc.Contains(p.Masked().Addr()) {
				return
			}
		}
		t.Fatalf("routed %s outside the cluster ranges %v", cidr, c.clusterCIDRs)
	})
}
