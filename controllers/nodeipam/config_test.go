package nodeipam

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	pfx := netip.MustParsePrefix
	tests := []struct {
		name    string
		flags   Flags
		want    Config
		wantErr string // substring; the flag's name is always in it
	}{
		{name: "single-stack defaults",
			flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.64.0.0/14"},
			want:  Config{Type: RangeAllocator, Pools: []Pool{{pfx("10.64.0.0/14"), 24}}}},
		{name: "single-stack mask and service range, unmasked input",
			flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.64.1.0/14", ServiceCIDR: "10.0.0.0/20", MaskSize: 26},
			want:  Config{Type: RangeAllocator, Pools: []Pool{{pfx("10.64.0.0/14"), 26}}, Services: []netip.Prefix{pfx("10.0.0.0/20")}}},
		{name: "dual-stack, IPv6 first, per-family masks",
			flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "fd00:10::/56, 10.64.0.0/14", MaskSizeIPv4: 25, MaskSizeIPv6: 64},
			want:  Config{Type: RangeAllocator, Pools: []Pool{{pfx("fd00:10::/56"), 64}, {pfx("10.64.0.0/14"), 25}}}},
		{name: "cloud allocator takes a mask the range allocator would refuse",
			flags: Flags{AllocatorType: "CloudAllocator", ClusterCIDR: "10.0.0.0/8"},
			want:  Config{Type: CloudAllocator, Pools: []Pool{{pfx("10.0.0.0/8"), 24}}}},

		{name: "unknown allocator type", flags: Flags{AllocatorType: "IPAMFromCluster", ClusterCIDR: "10.0.0.0/16"},
			wantErr: `--cidr-allocator-type: "IPAMFromCluster" is not an allocator type`},
		{name: "cluster CIDR missing", flags: Flags{AllocatorType: "RangeAllocator"},
			wantErr: "--cluster-cidr: required"},
		{name: "cluster CIDR not a CIDR", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.0.0.0"},
			wantErr: `--cluster-cidr: "10.0.0.0" is not a CIDR`},
		{name: "three cluster CIDRs", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.0.0.0/16,fd00::/48,10.1.0.0/16"},
			wantErr: "--cluster-cidr: \"10.0.0.0/16,fd00::/48,10.1.0.0/16\" has 3 CIDRs"},
		{name: "two IPv4 cluster CIDRs", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.0.0.0/16,10.1.0.0/16"},
			wantErr: "--cluster-cidr: \"10.0.0.0/16,10.1.0.0/16\" has two CIDRs of one family"},
		{name: "service range not a CIDR", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.0.0.0/16", ServiceCIDR: "ten"},
			wantErr: `--service-cluster-ip-range: "ten" is not a CIDR`},
		{name: "mask larger than the family allows", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.0.0.0/16", MaskSize: 33},
			wantErr: "--node-cidr-mask-size: 33 is not a mask size for ipv4 (1 to 32)"},
		{name: "mask shorter than the cluster CIDR", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.0.0.0/16", MaskSize: 12},
			wantErr: "--node-cidr-mask-size: /12 is larger than the cluster CIDR 10.0.0.0/16"},
		{name: "too many node CIDRs", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "fd00::/47"},
			wantErr: "--node-cidr-mask-size: /64 cuts fd00::/47 into 2^17 node CIDRs; at most 2^16"},
		{name: "dual-stack IPv6 mask too far", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.0.0.0/16,fd00::/40"},
			wantErr: "--node-cidr-mask-size-ipv6: /64 cuts fd00::/40 into 2^24 node CIDRs"},
		{name: "single mask with dual-stack", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.0.0.0/16,fd00::/56", MaskSize: 24},
			wantErr: "--node-cidr-mask-size: not allowed with a dual-stack --cluster-cidr"},
		{name: "per-family mask with single-stack", flags: Flags{AllocatorType: "RangeAllocator", ClusterCIDR: "10.0.0.0/16", MaskSizeIPv4: 24},
			wantErr: "--node-cidr-mask-size-ipv4, --node-cidr-mask-size-ipv6: only for a dual-stack --cluster-cidr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig(tc.flags)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseConfig(%+v) = %v; want an error containing %q", tc.flags, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseConfig(%+v): %v", tc.flags, err)
			}
			if d := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
				t.Errorf("ParseConfig(%+v) (-want +got):\n%s", tc.flags, d)
			}
		})
	}
}
