package fakecompute

import (
	compute "google.golang.org/api/compute/v1"
)

// Firewall rules are global. insert and update take a whole rule, patch a
// JSON merge patch; all three go through normaliseFirewall so a rule is checked
// the same way however it was written.

func insertFirewall(c *call) (any, error) {
	prepare := func(fw *compute.Firewall) (Key, error) {
		return c.normaliseFirewall(fw, containsField(c.body, "priority"))
	}
	return insertAs(c, prepare, func(t *tx, k Key, fw *compute.Firewall, nk Key) error {
		if err := mustExist(t, nk); err != nil {
			return err
		}
		if err := t.chargeQuota(c.s, QuotaFirewalls, t.count(c.project, "firewalls", Global, ""), ""); err != nil {
			return err
		}
		c.s.stamp(t, k, fw)
		t.put(k, fw)
		return nil
	})
}

// normaliseFirewallWrite checks a rule written by update or patch: the
// network cannot change (an update without one keeps it), and a patched
// rule carries a priority, given or kept, so it is never defaulted.
func normaliseFirewallWrite(c *call, t *tx, cur, next any, patch bool) error {
	old, fw := cur.(*compute.Firewall), next.(*compute.Firewall)
	if fw.Network == "" && !patch {
		fw.Network = old.Network
	}
	nk, err := c.normaliseFirewall(fw, patch || containsField(c.body, "priority"))
	if err != nil {
		return err
	}
	if fw.Network != old.Network {
		return errInvalid("Invalid value for field 'resource.network': '%s'. The network of a firewall rule cannot be changed.", fw.Network)
	}
	return mustExist(t, nk)
}
