//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	compute "google.golang.org/api/compute/v1"
)

// TestInternalLoadBalancerDriftIsRepaired: a converged internal load
// balancer, then drift made through the emulator's API as an operator
// would (a node taken out of the zone's group, the backend service's
// session affinity changed, the forwarding rule deleted), each repaired
// within the period by load-balancer-resync with an Event naming the
// object and what differed, while no Service or Node changes.
func TestInternalLoadBalancerDriftIsRepaired(t *testing.T) {
	e := newEnv(t, 5*time.Minute)
	e.startCCM("ccm", false, fmt.Sprintf("--gce-resync-period=%v", driftPeriod))
	for i := 0; i < 3; i++ {
		e.addNode(fmt.Sprintf("node-%d", i), zones[0], true, podCIDR(i))
	}
	gcs := e.computeService()
	name := lbName(e.createService("ilb", internal))
	group := "k8s-ig--" + e.clusterID()
	region := zones[0][:strings.LastIndex(zones[0], "-")]
	groupSize := fmt.Sprintf("group %s/%s size=3", zones[0], group)
	e.eventually("the internal load balancer converged", 90*time.Second, func() (bool, string) {
		objs := e.ilbObjects()
		return e.serviceIP("ilb") != "" && hasLine(objs, "rule "+name+" INTERNAL") && hasLine(objs, groupSize), strings.Join(objs, "\n")
	})
	backend := func() (*compute.BackendService, error) {
		return gcs.RegionBackendServices.Get(project, region, name).Context(e.ctx).Do()
	}
	vm := fmt.Sprintf("https://www.googleapis.com/compute/v1/projects/%s/zones/%s/instances/node-1", project, zones[0])
	for _, d := range []struct {
		name, event string
		drift       func() (*compute.Operation, error)
		repaired    func() (bool, string)
	}{
		{"a node taken out of the zone's group", "instance group " + group + " in " + zones[0] + " lacked 1 node(s): added them",
			func() (*compute.Operation, error) {
				return gcs.InstanceGroups.RemoveInstances(project, zones[0], group, &compute.InstanceGroupsRemoveInstancesRequest{
					Instances: []*compute.InstanceReference{{Instance: vm}}}).Context(e.ctx).Do()
			}, func() (bool, string) {
				objs := e.ilbObjects()
				return hasLine(objs, groupSize), strings.Join(objs, "\n")
			}},
		{"the backend service's session affinity changed", "backend service " + name + " differed (sessionAffinity): patched it",
			func() (*compute.Operation, error) {
				bs, err := backend()
				if err != nil {
					return nil, err
				}
				return gcs.RegionBackendServices.Patch(project, region, name, &compute.BackendService{SessionAffinity: "CLIENT_IP",
					Fingerprint: bs.Fingerprint}).Context(e.ctx).Do()
			}, func() (bool, string) {
				bs, err := backend()
				if err != nil {
					return false, err.Error()
				}
				return bs.SessionAffinity == "NONE", "affinity " + bs.SessionAffinity
			}},
		{"the forwarding rule deleted", "forwarding rule " + name + " was missing: created it",
			func() (*compute.Operation, error) {
				return gcs.ForwardingRules.Delete(project, region, name).Context(e.ctx).Do()
			}, func() (bool, string) {
				objs := e.ilbObjects()
				return hasLine(objs, "rule "+name+" INTERNAL"), strings.Join(objs, "\n")
			}},
	} {
		op, err := d.drift()
		e.waitOp(d.name, op, err)
		start := time.Now()
		e.eventually(d.name+": repaired", repairBound, d.repaired)
		t.Logf("%s: repaired after %v", d.name, time.Since(start).Round(100*time.Millisecond))
		e.waitServiceEvent("ilb", "LoadBalancerRepaired", d.event)
	}
	// The rule made again holds the IP the Service's status shows.
	e.eventually("the Service's status names the rule's IP", 30*time.Second, func() (bool, string) {
		r := e.lbState().rules[name]
		return r != nil && r.IPAddress == e.serviceIP("ilb"), fmt.Sprintf("rule %v, status %s", r, e.serviceIP("ilb"))
	})
}
