package fakecompute

import (
	"net/netip"
	"slices"

	compute "google.golang.org/api/compute/v1"
)

// autoModeRanges are the primary ranges GCE gives an auto-mode network's
// subnets, one fixed /20 per region under 10.128.0.0/9, as a recorded
// `gcloud compute networks subnets list` of a project's default network
// shows them (27 regions; newer regions are not modelled). They are also
// the regions the emulator serves besides Options.Region.
var autoModeRanges = map[string]string{
	"us-central1":             "10.128.0.0/20",
	"europe-west1":            "10.132.0.0/20",
	"us-west1":                "10.138.0.0/20",
	"asia-east1":              "10.140.0.0/20",
	"us-east1":                "10.142.0.0/20",
	"asia-northeast1":         "10.146.0.0/20",
	"asia-southeast1":         "10.148.0.0/20",
	"us-east4":                "10.150.0.0/20",
	"australia-southeast1":    "10.152.0.0/20",
	"europe-west2":            "10.154.0.0/20",
	"europe-west3":            "10.156.0.0/20",
	"southamerica-east1":      "10.158.0.0/20",
	"asia-south1":             "10.160.0.0/20",
	"northamerica-northeast1": "10.162.0.0/20",
	"europe-west4":            "10.164.0.0/20",
	"europe-north1":           "10.166.0.0/20",
	"us-west2":                "10.168.0.0/20",
	"asia-east2":              "10.170.0.0/20",
	"europe-west6":            "10.172.0.0/20",
	"asia-northeast2":         "10.174.0.0/20",
	"asia-northeast3":         "10.178.0.0/20",
	"us-west3":                "10.180.0.0/20",
	"us-west4":                "10.182.0.0/20",
	"asia-southeast2":         "10.184.0.0/20",
	"europe-central2":         "10.186.0.0/20",
	"asia-south2":             "10.190.0.0/20",
	"australia-southeast2":    "10.192.0.0/20",
}

// autoRange is the primary range of an auto-mode subnet in a region: GCE's
// fixed one, or for a region the table does not know, the first /20 under
// 10.128.0.0/9 that no region of the table uses.
func autoRange(region string) netip.Prefix {
	if r, ok := autoModeRanges[region]; ok {
		return netip.MustParsePrefix(r)
	}
	taken := map[string]bool{}
	for _, r := range autoModeRanges {
		taken[r] = true
	}
	a := netip.MustParseAddr("10.128.0.0").As4()
	for i := range 2048 {
		v := uint32(a[0])<<24 | uint32(a[1])<<16 + uint32(i)<<12
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), 20)
		if !taken[p.String()] {
			return p
		}
	}
	panic("fakecompute: no free auto-mode range")
}

// createAutoSubnets gives an auto-mode network its subnet in every region
// the server serves, named after the network, with GCE's fixed ranges.
func (s *Server) createAutoSubnets(t *tx, nk Key, n *compute.Network) {
	for _, region := range s.regions() {
		sk := RegionalKey(nk.Project, region, "subnetworks", nk.Name)
		rng := autoRange(region)
		sn := &compute.Subnetwork{Name: nk.Name, Network: nk.SelfLink(), IpCidrRange: rng.String(),
			GatewayAddress: rng.Addr().Next().String(), StackType: "IPV4_ONLY", Purpose: "PRIVATE", Fingerprint: t.fingerprint()}
		s.stamp(t, sk, sn)
		t.put(sk, sn)
		s.createSubnetRoutes(t, nk.Project, sn)
		n.Subnetworks = append(n.Subnetworks, sk.SelfLink())
	}
	slices.Sort(n.Subnetworks)
}
