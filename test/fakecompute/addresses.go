package fakecompute

import (
	"net/http"
	"net/netip"
	"sort"

	compute "google.golang.org/api/compute/v1"
)

// Regional static addresses. An address stores only what was reserved;
// whether it is IN_USE and by whom is derived from the forwarding rules and
// VMs at read time (renderAddress), so no write elsewhere has to keep it in
// step.

// emptyLabelFingerprint is the fingerprint GCE reports for "no labels".
const emptyLabelFingerprint = "42WmSpB8rSM="

func insertAddress(c *call) (any, error) {
	return insertAs(c, c.prepareAddress, func(t *tx, k Key, a *compute.Address, sk Key) error {
		var err error
		if a.AddressType == "INTERNAL" {
			a.Address, err = reserveInternalIP(t, k, sk, a.Address)
		} else {
			a.Address, err = reserveExternalIP(t, k, a.Address, a.NetworkTier)
		}
		if err != nil {
			return err
		}
		if err := t.chargeQuota(c.s, QuotaStaticAddresses, t.count(k.Project, "addresses", Regional, k.Location), k.Location); err != nil {
			return err
		}
		c.s.stamp(t, k, a)
		a.Status, a.LabelFingerprint = "RESERVED", labelFingerprint(a.Labels)
		t.put(k, a)
		return nil
	})
}

// prepareAddress checks what does not depend on state and fills defaults:
// EXTERNAL in the PREMIUM tier; an INTERNAL address lives in a subnetwork,
// the region's "default" one unless named.
func (c *call) prepareAddress(a *compute.Address) (Key, error) {
	if err := checkName(a.Name); err != nil {
		return Key{}, err
	}
	if err := validateLabels("resource.labels", a.Labels); err != nil {
		return Key{}, err
	}
	if err := oneOf("addressType", &a.AddressType, "EXTERNAL", "EXTERNAL", "INTERNAL"); err != nil {
		return Key{}, err
	}
	if err := oneOf("networkTier", &a.NetworkTier, "PREMIUM", "PREMIUM", "STANDARD"); err != nil {
		return Key{}, err
	}
	if a.Address != "" {
		if ip, err := netip.ParseAddr(a.Address); err != nil || !ip.Is4() {
			return Key{}, errInvalid("Invalid value for field 'resource.address': '%s'. Must be an IPv4 address.", a.Address)
		}
	}
	if a.AddressType == "EXTERNAL" {
		if a.Purpose != "" {
			return Key{}, errInvalid("Invalid value for field 'resource.purpose': '%s'. This emulator serves a purpose for INTERNAL addresses only.", a.Purpose)
		}
		if a.Subnetwork != "" {
			return Key{}, errInvalid("Invalid value for field 'resource.subnetwork': '%s'. A subnetwork may only be specified for INTERNAL addresses.", a.Subnetwork)
		}
		return Key{}, nil
	}
	if a.NetworkTier != "PREMIUM" {
		return Key{}, errInvalid("Invalid value for field 'resource.networkTier': '%s'. INTERNAL addresses are always PREMIUM.", a.NetworkTier)
	}
	if a.Subnetwork == "" {
		a.Subnetwork = "default"
	}
	sk, err := c.refTo("resource.subnetwork", a.Subnetwork, "subnetworks")
	if err != nil {
		return Key{}, err
	}
	if sk.Location != c.location {
		return Key{}, errInvalid("Invalid value for field 'resource.subnetwork': '%s'. The subnetwork must be in region '%s'.", a.Subnetwork, c.location)
	}
	a.Subnetwork = sk.SelfLink()
	switch a.Purpose {
	case "":
		a.Purpose = "GCE_ENDPOINT"
	case "GCE_ENDPOINT", "SHARED_LOADBALANCER_VIP":
	default:
		return Key{}, errInvalid("Invalid value for field 'resource.purpose': '%s'. This emulator serves GCE_ENDPOINT and SHARED_LOADBALANCER_VIP internal addresses.", a.Purpose)
	}
	return sk, nil
}

// reserveExternalIP picks a free address of the tier's pool, or accepts the
// requested one. A requested IP a forwarding rule or VM already holds is
// promoted to static: that is how GCE keeps an ephemeral IP.
func reserveExternalIP(t *tx, k Key, ip, tier string) (string, error) {
	if ip == "" {
		return allocateExternalIP(t, k.Project, k.Location, tier)
	}
	switch owner := tierOfIP(ip); {
	case owner == "":
		return "", errInvalid("Invalid value for field 'resource.address': '%s'. Specified IP address is not available in region '%s'.", ip, k.Location)
	case owner != tier:
		return "", errInvalid("Invalid value for field 'resource.networkTier': '%s'. The specified IP address '%s' belongs to the %s network tier.", tier, ip, owner)
	}
	if other := reservedAddress(t, k.Project, "", ip); other != nil {
		return "", errInvalid("Invalid value for field 'resource.address': '%s'. Specified IP address is in-use and would result in a conflict.", ip)
	}
	return ip, nil
}

// reserveInternalIP allocates from the subnetwork or accepts a requested IP
// inside it that no other address holds (a VM's ephemeral IP is promoted).
func reserveInternalIP(t *tx, k Key, sk Key, ip string) (string, error) {
	sn, err := getAs[compute.Subnetwork](t, sk)
	if err != nil {
		return "", err
	}
	if ip == "" {
		return allocateInternalIP(t, sn, k.Project)
	}
	rng, err := netip.ParsePrefix(sn.IpCidrRange)
	if err != nil || !rng.Contains(netip.MustParseAddr(ip)) {
		return "", errInvalid("Invalid value for field 'resource.address': '%s'. Requested internal IP is outside the subnetwork CIDR range %s.", ip, sn.IpCidrRange)
	}
	var clash bool
	t.scan(k.Project, "addresses", func(_ Key, o any) {
		a, ok := o.(*compute.Address)
		clash = clash || (ok && a.AddressType == "INTERNAL" && a.Address == ip && a.Subnetwork == sn.SelfLink)
	})
	if clash {
		return "", &apiError{Code: http.StatusConflict, Reason: "ipInUseByAnotherResource",
			Message: "IP_IN_USE_BY_ANOTHER_RESOURCE - IP '" + ip + "' is already being used by another resource."}
	}
	return ip, nil
}

// reservedAddress finds the EXTERNAL address holding ip, in one region or
// ("" region) anywhere in the project.
func reservedAddress(t *tx, project, region, ip string) *compute.Address {
	var found *compute.Address
	t.scan(project, "addresses", func(k Key, o any) {
		a, ok := o.(*compute.Address)
		if ok && a.AddressType != "INTERNAL" && a.Address == ip && (region == "" || k.Location == region) {
			found = a
		}
	})
	return found
}

// renderAddress reports status and users as of now.
var renderAddress = renderAs(func(t *tx, k Key, out *compute.Address) {
	out.Users = addressUsers(t, k, out)
	out.Status = "RESERVED"
	if len(out.Users) > 0 {
		out.Status = "IN_USE"
	}
})

// addressUsers are the forwarding rules of the region serving the IP and the
// VMs of the region holding it.
func addressUsers(t *tx, k Key, a *compute.Address) []string {
	var users []string
	for _, o := range t.list(RegionalKey(k.Project, k.Location, "forwardingRules", "")) {
		fr, ok := o.(*compute.ForwardingRule)
		if !ok || fr.IPAddress != a.Address {
			continue
		}
		if internal := fr.LoadBalancingScheme == "INTERNAL"; internal == (a.AddressType == "INTERNAL") && (!internal || fr.Subnetwork == a.Subnetwork) {
			users = append(users, fr.SelfLink)
		}
	}
	t.scan(k.Project, "instances", func(ik Key, o any) {
		inst, ok := o.(*compute.Instance)
		if !ok || regionOfZone(ik.Location) != k.Location {
			return
		}
		for _, ni := range inst.NetworkInterfaces {
			held := a.AddressType == "INTERNAL" && ni.NetworkIP == a.Address && ni.Subnetwork == a.Subnetwork
			for _, ac := range ni.AccessConfigs {
				held = held || (a.AddressType != "INTERNAL" && ac.NatIP == a.Address)
			}
			if held {
				users = append(users, ik.SelfLink())
				return
			}
		}
	})
	sort.Strings(users)
	return users
}
