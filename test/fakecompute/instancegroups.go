package fakecompute

import (
	"fmt"

	compute "google.golang.org/api/compute/v1"
)

// Zonal unmanaged instance groups: the backends of an internal passthrough
// load balancer. The group stores what was created; its members live in a
// companion collection (instanceGroupMembers, same key) so that size is
// derived at read time and no writer has to keep it in step.

// MaxInstanceGroupSize is how many VMs the emulator lets one unmanaged group
// hold: Cloud Load Balancing's "VMs per instance group" limit of 1,000 for
// a backend service, which the upstream provider truncates to.
const MaxInstanceGroupSize = 1000

// membersCollection keys the members of a group: the group's key with this
// collection.
const membersCollection = "instanceGroupMembers"

func insertInstanceGroup(c *call) (any, error) {
	return insertAs(c, c.prepareInstanceGroup, func(t *tx, k Key, ig *compute.InstanceGroup, refs []Key) error {
		if err := mustExist(t, refs...); err != nil {
			return err
		}
		if err := t.chargeQuota(c.s, QuotaInstanceGroups, t.count(k.Project, "instanceGroups", Zonal, ""), ""); err != nil {
			return err
		}
		c.s.stamp(t, k, ig)
		ig.Zone, ig.Fingerprint, ig.Size = k.ScopeLink(), t.fingerprint(), 0
		t.put(k, ig)
		return nil
	})
}

// prepareInstanceGroup checks the name and the named ports and normalises
// network and subnetwork references, which must exist at creation. Left
// out, they are taken from the first VM added, as GCE does.
func (c *call) prepareInstanceGroup(ig *compute.InstanceGroup) ([]Key, error) {
	if err := checkName(ig.Name); err != nil {
		return nil, err
	}
	if ig.Size != 0 {
		return nil, errInvalid("Invalid value for field 'resource.size': '%d'. The size of an instance group is output only.", ig.Size)
	}
	if err := checkNamedPorts(ig.NamedPorts); err != nil {
		return nil, err
	}
	var refs []Key
	if ig.Network != "" {
		nk, err := c.refTo("resource.network", ig.Network, "networks")
		if err != nil {
			return nil, err
		}
		ig.Network = nk.SelfLink()
		refs = append(refs, nk)
	}
	if ig.Subnetwork != "" {
		sk, err := c.refTo("resource.subnetwork", ig.Subnetwork, "subnetworks")
		if err != nil {
			return nil, err
		}
		if sk.Location != regionOfZone(c.location) {
			return nil, errInvalid("Invalid value for field 'resource.subnetwork': '%s'. The subnetwork must be in region '%s'.", ig.Subnetwork, regionOfZone(c.location))
		}
		ig.Subnetwork = sk.SelfLink()
		refs = append(refs, sk)
	}
	return refs, nil
}

// checkNamedPorts applies GCE's rules: RFC 1035 names, ports 1-65535.
func checkNamedPorts(ports []*compute.NamedPort) error {
	for i, np := range ports {
		if np == nil || !nameRE.MatchString(np.Name) {
			name := ""
			if np != nil {
				name = np.Name
			}
			return errInvalid("Invalid value for field 'resource.namedPorts[%d].name': '%s'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'", i, name)
		}
		if np.Port < 1 || np.Port > 65535 {
			return errInvalid("Invalid value for field 'resource.namedPorts[%d].port': '%d'. Must be greater than or equal to 1 and less than or equal to 65535.", i, np.Port)
		}
	}
	return nil
}

// renderInstanceGroup reports the size as of now.
var renderInstanceGroup = renderAs(func(t *tx, k Key, out *compute.InstanceGroup) {
	out.Size = int64(len(groupMembers(t, groupKeyOf(k, out))))
})

// groupKeyOf is the key of a stored group; list renderers get the table's
// key only.
func groupKeyOf(table Key, ig *compute.InstanceGroup) Key {
	k := table
	k.Name = ig.Name
	return k
}

// groupMembers are the instance URLs of a group, in the order they joined.
func groupMembers(t *tx, gk Key) []string {
	mk := gk
	mk.Collection = membersCollection
	m, err := getAs[compute.InstanceGroupsAddInstancesRequest](t, mk)
	if err != nil {
		return nil
	}
	out := make([]string, len(m.Instances))
	for i, r := range m.Instances {
		out[i] = r.Instance
	}
	return out
}

// setGroupMembers stores a group's members; none removes the record.
func setGroupMembers(t *tx, gk Key, links []string) {
	mk := gk
	mk.Collection = membersCollection
	if len(links) == 0 {
		t.del(mk)
		return
	}
	m := &compute.InstanceGroupsAddInstancesRequest{}
	for _, l := range links {
		m.Instances = append(m.Instances, &compute.InstanceReference{Instance: l})
	}
	t.put(mk, m)
}

// dropGroupMembers is the delete rule of a group: its member record goes
// with it; the VMs in it are not touched.
func dropGroupMembers(t *tx, k Key, _ any) error {
	setGroupMembers(t, k, nil)
	return nil
}

// setNamedPorts replaces the named ports; a stale fingerprint is 412.
var setNamedPorts = withBody(func(c *call, req *compute.InstanceGroupsSetNamedPortsRequest) (any, error) {
	if err := checkNamedPorts(req.NamedPorts); err != nil {
		return nil, err
	}
	return submitModify(c, "setNamedPorts", func(t *tx, ig *compute.InstanceGroup) error {
		if req.Fingerprint != "" && req.Fingerprint != ig.Fingerprint {
			return errConditionNotMet("Supplied fingerprint does not match current fingerprint.")
		}
		ig.NamedPorts, ig.Fingerprint = req.NamedPorts, t.fingerprint()
		return nil
	})
})

// errNotMember is GCE's answer to removing a VM that is not in the group.
func errNotMember(link string, gk Key) *apiError {
	return &apiError{Code: 400, Reason: "memberNotFound",
		Message: fmt.Sprintf("The resource '%s' is not a member of '%s'.", link, gk.Path())}
}

// errAlreadyMember is GCE's answer to adding a VM twice.
func errAlreadyMember(link string, gk Key) *apiError {
	return &apiError{Code: 400, Reason: "memberAlreadyExists",
		Message: fmt.Sprintf("The resource '%s' is already a member of '%s'.", link, gk.Path())}
}
