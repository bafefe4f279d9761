package fakecompute

import (
	"net/netip"

	compute "google.golang.org/api/compute/v1"
)

// External address pools per network tier. Real GCE hands out addresses
// from Google's ranges; these are documentation-sized stand-ins that never
// leave the emulator.
var externalPools = map[string]netip.Prefix{
	"PREMIUM":  netip.MustParsePrefix("34.118.0.0/16"),
	"STANDARD": netip.MustParsePrefix("35.206.0.0/16"),
}

// externalInUse collects every external IP held by a VM, an address or a
// forwarding rule in the project.
func externalInUse(t *tx, project string) map[string]bool {
	used := map[string]bool{}
	t.scan(project, "instances", func(_ Key, o any) {
		if inst, ok := o.(*compute.Instance); ok {
			for _, ni := range inst.NetworkInterfaces {
				for _, ac := range ni.AccessConfigs {
					used[ac.NatIP] = true
				}
			}
		}
	})
	t.scan(project, "addresses", func(_ Key, o any) {
		if a, ok := o.(*compute.Address); ok && a.AddressType != "INTERNAL" {
			used[a.Address] = true
		}
	})
	t.scan(project, "forwardingRules", func(_ Key, o any) {
		if fr, ok := o.(*compute.ForwardingRule); ok {
			used[fr.IPAddress] = true
		}
	})
	return used
}

// allocateExternalIP returns the lowest free address of the tier's pool.
func allocateExternalIP(t *tx, project, region, tier string) (string, error) {
	pool, ok := externalPools[tier]
	if !ok {
		return "", errInvalid("Invalid value for field 'networkTier': '%s'. Must be PREMIUM or STANDARD.", tier)
	}
	used := externalInUse(t, project)
	for a := pool.Addr().Next(); pool.Contains(a); a = a.Next() {
		if !used[a.String()] {
			return a.String(), nil
		}
	}
	return "", &apiError{Code: 400, Reason: "ipSpaceExhausted", Message: "No external IP addresses are available in region " + region + "."}
}

// tierOfIP tells which pool an external address belongs to, "" if none.
func tierOfIP(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	for tier, p := range externalPools {
		if p.Contains(a) {
			return tier
		}
	}
	return ""
}
