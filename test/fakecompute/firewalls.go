package fakecompute

import (
	compute "google.golang.org/api/compute/v1"
)

// Firewall rules are global. insert and update take a whole rule, patch a
// JSON merge patch; all three end in normaliseFirewall so a rule is checked
// the same way however it was written.

func insertFirewall(c *call) (any, error) {
	var in compute.Firewall
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	priorityGiven := containsField(c.body, "priority")
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	k := GlobalKey(c.project, "firewalls", in.Name)
	return submitInsert(c, k, func(t *tx) error {
		fw := clone(&in)
		nk, err := c.normaliseFirewall(fw, priorityGiven)
		if err != nil {
			return err
		}
		if err := mustExist(t, nk); err != nil {
			return err
		}
		if err := t.chargeQuota(c.s, QuotaFirewalls, t.count(c.project, "firewalls", Global, ""), ""); err != nil {
			return err
		}
		fw.Kind, fw.Id, fw.SelfLink, fw.CreationTimestamp = "compute#firewall", t.newID(), k.SelfLink(), nowStamp()
		t.put(k, fw)
		return nil
	})
}

// updateFirewall is a PUT: every field takes the body's value, defaults
// included, except the network, which a rule cannot change.
func updateFirewall(c *call) (any, error) {
	var in compute.Firewall
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	priorityGiven := containsField(c.body, "priority")
	k := c.key()
	return c.s.ops.submit(c, k, "update", func(t *tx) error {
		cur, err := getAs[compute.Firewall](t, k)
		if err != nil {
			return err
		}
		next := clone(&in)
		if next.Name == "" {
			next.Name = cur.Name
		}
		if next.Network == "" {
			next.Network = cur.Network
		}
		return c.replaceFirewall(t, k, cur, next, priorityGiven)
	})
}

// patchFirewall merges the body into the stored rule.
func patchFirewall(c *call) (any, error) {
	var in compute.Firewall
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	k := c.key()
	return c.s.ops.submit(c, k, "patch", func(t *tx) error {
		cur, err := getAs[compute.Firewall](t, k)
		if err != nil {
			return err
		}
		next, err := mergePatch(cur, c.body)
		if err != nil {
			return err
		}
		// The merged rule carries a priority, given or kept: never default it.
		return c.replaceFirewall(t, k, cur, next, true)
	})
}

// replaceFirewall checks the new version of a rule and stores it with the
// identity of the old one.
func (c *call) replaceFirewall(t *tx, k Key, cur, next *compute.Firewall, priorityGiven bool) error {
	if next.Name != cur.Name {
		return errInvalid("Invalid value for field 'resource.name': '%s'. The name of a firewall rule cannot be changed.", next.Name)
	}
	nk, err := c.normaliseFirewall(next, priorityGiven)
	if err != nil {
		return err
	}
	if next.Network != cur.Network {
		return errInvalid("Invalid value for field 'resource.network': '%s'. The network of a firewall rule cannot be changed.", next.Network)
	}
	if err := mustExist(t, nk); err != nil {
		return err
	}
	next.Kind, next.Id, next.SelfLink, next.CreationTimestamp = cur.Kind, cur.Id, cur.SelfLink, cur.CreationTimestamp
	t.put(k, next)
	return nil
}

// renderFirewall writes the zero values GCE always reports: priority 0
// and logging disabled are answers, not absences, to a client diffing them.
func renderFirewall(_ *tx, _ Key, o any) any {
	fw, ok := o.(*compute.Firewall)
	if !ok {
		return o
	}
	out := *fw
	out.ForceSendFields = append([]string{"Priority"}, fw.ForceSendFields...)
	lc := compute.FirewallLogConfig{ForceSendFields: []string{"Enable"}}
	if fw.LogConfig != nil {
		lc.Enable, lc.Metadata = fw.LogConfig.Enable, fw.LogConfig.Metadata
	}
	out.LogConfig = &lc
	return &out
}

func getFirewall(c *call) (any, error) { return getResource[compute.Firewall](c, renderFirewall) }

func listFirewalls(c *call) (any, error) {
	return c.listRendered("compute#firewallList", renderFirewall)
}

var deleteFirewall = deleteUnlessUsed(nil)
