package fakecompute

import (
	"bytes"
	"slices"

	compute "google.golang.org/api/compute/v1"
)

// The verbs that change or read who is in an unmanaged instance group.

// addGroupInstances adds VMs of the group's zone. The request fails as a
// whole if one is missing, already a member, in another network, would
// take the group past MaxInstanceGroupSize, or is already in another group
// a backend service balances to (a VM may be in at most one load-balanced
// group).
var addGroupInstances = memberVerb("addInstances",
	func(c *call, req *compute.InstanceGroupsAddInstancesRequest) ([]Key, error) {
		return c.groupUpdate(req.Instances)
	},
	func(c *call, t *tx, ig *compute.InstanceGroup, iks []Key) error {
		gk := c.key()
		members := groupMembers(t, gk)
		balanced := c.s.userOf(t, gk) != ""
		for _, ik := range iks {
			inst, err := getAs[compute.Instance](t, ik)
			if err != nil {
				return err
			}
			if slices.Contains(members, ik.SelfLink()) {
				return errAlreadyMember(ik.SelfLink(), gk)
			}
			if err := joinNetwork(ig, inst); err != nil {
				return err
			}
			if balanced {
				if other := balancedGroupOf(t, ik.SelfLink(), gk, Key{}); other != "" {
					return errTwoBalancedGroups(ik.SelfLink(), other)
				}
			}
			members = append(members, ik.SelfLink())
		}
		if len(members) > MaxInstanceGroupSize {
			return errInvalid("Invalid value for field 'resource.instances': the group would hold %d instances; an instance group used for load balancing holds at most %d.", len(members), MaxInstanceGroupSize)
		}
		setGroupMembers(t, gk, members)
		ig.Fingerprint = t.fingerprint()
		return nil
	})

// joinNetwork checks that a VM's first interface is in the group's network
// and subnetwork; a group created without them takes the VM's.
func joinNetwork(ig *compute.InstanceGroup, inst *compute.Instance) error {
	if len(inst.NetworkInterfaces) == 0 {
		return errInvalid("Invalid value for field 'resource.instances': '%s'. The instance has no network interface.", inst.SelfLink)
	}
	nic := inst.NetworkInterfaces[0]
	if ig.Network == "" {
		ig.Network, ig.Subnetwork = nic.Network, nic.Subnetwork
	}
	if nic.Network != ig.Network || (ig.Subnetwork != "" && nic.Subnetwork != ig.Subnetwork) {
		return errInvalid("Invalid value for field 'resource.instances': '%s'. Resource '%s' is in network '%s' but the instance group is in network '%s'.", inst.SelfLink, inst.SelfLink, nic.Network, ig.Network)
	}
	return nil
}

// removeGroupInstances fails as a whole when one VM is not a member.
var removeGroupInstances = memberVerb("removeInstances",
	func(c *call, req *compute.InstanceGroupsRemoveInstancesRequest) ([]Key, error) {
		return c.groupUpdate(req.Instances)
	},
	func(c *call, t *tx, ig *compute.InstanceGroup, iks []Key) error {
		gk := c.key()
		members, err := detachLinks(groupMembers(t, gk), iks, func(link string) error { return errNotMember(link, gk) })
		if err != nil {
			return err
		}
		setGroupMembers(t, gk, members)
		ig.Fingerprint = t.fingerprint()
		return nil
	})

// groupUpdate checks the references of an add/remove request: VMs of the
// group's zone, at most maxPoolUpdate per call.
func (c *call) groupUpdate(refs []*compute.InstanceReference) ([]Key, error) {
	links, err := linksOf("resource.instances", "instance", refs, maxPoolUpdate, func(r *compute.InstanceReference) string { return r.Instance })
	if err != nil {
		return nil, err
	}
	return c.keysOf(links, "instances", indexed("resource.instances", "instance"), func(field, ref string, ik Key) error {
		if ik.Location != c.location || ik.Project != c.project {
			return errInvalid("Invalid value for field '%s': '%s'. The instance must be in zone '%s' of project '%s', as the instance group.", field, ref, c.location, c.project)
		}
		return nil
	})
}

// listGroupInstances is a POST with a filter on the VMs' state (ALL or
// RUNNING), paged like every list.
func listGroupInstances(c *call) (any, error) {
	req, err := decodeListInstances(c.body)
	if err != nil {
		return nil, err
	}
	switch req.InstanceState {
	case "", "ALL", "RUNNING":
	default:
		return nil, errInvalid("Invalid value for field 'resource.instanceState': '%s'. Must be one of [ALL, RUNNING].", req.InstanceState)
	}
	gk := c.key()
	var items []any
	err = c.s.store.read(func(t *tx) error {
		ig, err := getAs[compute.InstanceGroup](t, gk)
		if err != nil {
			return err
		}
		for _, link := range groupMembers(t, gk) {
			status := ""
			if inst, err := getAs[compute.Instance](t, keyFromLink(link)); err == nil {
				status = inst.Status
			}
			if req.InstanceState == "RUNNING" && status != StatusRunning {
				continue
			}
			items = append(items, &compute.InstanceWithNamedPorts{Instance: link, Status: status, NamedPorts: ig.NamedPorts})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p, err := c.paginate(items)
	if err != nil {
		return nil, err
	}
	out := &compute.InstanceGroupsListInstances{Kind: "compute#instanceGroupsListInstances", Id: gk.Path(),
		SelfLink: gk.SelfLink() + "/listInstances", NextPageToken: p.next}
	for _, it := range p.items {
		out.Items = append(out.Items, it.(*compute.InstanceWithNamedPorts))
	}
	return out, nil
}

// balancedGroupOf names a group other than except that holds the VM and
// that a backend service other than self (zero: any) balances to.
func balancedGroupOf(t *tx, link string, except, self Key) string {
	var found string
	t.scan(except.Project, membersCollection, func(mk Key, o any) {
		m, ok := o.(*compute.InstanceGroupsAddInstancesRequest)
		gk := mk
		gk.Collection = "instanceGroups"
		if !ok || found != "" || gk == except {
			return
		}
		for _, r := range m.Instances {
			if r.Instance == link && groupUsedExcept(t, gk, self) {
				found = gk.SelfLink()
			}
		}
	})
	return found
}

func errTwoBalancedGroups(link, other string) *apiError {
	return errInvalid("Validation failed for instance '%s': instance may belong to at most one load-balanced instance group; it is already in '%s'.", link, other)
}

// detachFromGroups takes a deleted VM out of every instance group, as GCE
// does.
func detachFromGroups(t *tx, ik Key) {
	link := ik.SelfLink()
	t.scan(ik.Project, membersCollection, func(mk Key, o any) {
		m, ok := o.(*compute.InstanceGroupsAddInstancesRequest)
		if !ok {
			return
		}
		for _, r := range m.Instances {
			if r.Instance == link {
				gk := mk
				gk.Collection = "instanceGroups"
				setGroupMembers(t, gk, removeLinks(groupMembers(t, gk), map[string]bool{link: true}))
				return
			}
		}
	})
}

// apiv1Envelope is how cloud.google.com/go/compute/apiv1 sends
// listInstances: the whole request message as the body, the request
// resource inside it, and the path and query fields repeated.
type apiv1Envelope struct {
	Resource             *compute.InstanceGroupsListInstancesRequest `json:"instanceGroupsListInstancesRequestResource"`
	Project              string                                      `json:"project"`
	Zone                 string                                      `json:"zone"`
	InstanceGroup        string                                      `json:"instanceGroup"`
	MaxResults           int64                                       `json:"maxResults"`
	PageToken            string                                      `json:"pageToken"`
	Filter               string                                      `json:"filter"`
	OrderBy              string                                      `json:"orderBy"`
	ReturnPartialSuccess bool                                        `json:"returnPartialSuccess"`
}

// decodeListInstances reads the request resource in either form; an empty
// body lists every member.
func decodeListInstances(body []byte) (compute.InstanceGroupsListInstancesRequest, error) {
	var req compute.InstanceGroupsListInstancesRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return req, nil
	}
	if !containsField(body, "instanceGroupsListInstancesRequestResource") && !containsField(body, "instanceGroup") {
		return req, decode(body, &req)
	}
	var env apiv1Envelope
	if err := decode(body, &env); err != nil {
		return req, err
	}
	if env.Resource != nil {
		req = *env.Resource
	}
	return req, nil
}
