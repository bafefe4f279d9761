//go:build e2e

package e2e

import (
	"fmt"
	"math/rand"
	"time"

	compute "google.golang.org/api/compute/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// driftGCE changes one of a Service's GCE objects, or one of the cluster's
// routes, behind the CCM's back, through the GCE API as a user with the
// console would (retrying through the injected faults). Only a periodic
// comparison with GCE repairs these: SOAK_DRIFT=1.
func (s *soak) driftGCE(rnd *rand.Rand, name string) (string, error) {
	kinds := []string{"firewall deleted", "firewall source ranges widened", "pool member removed", "route deleted"}
	kind := kinds[rnd.Intn(len(kinds))]
	what := "GCE drift: " + kind
	svc, err := kube.CoreV1().Services("default").Get(s.e.ctx, name, metav1.GetOptions{})
	if err != nil {
		return what, err
	}
	lb, gce := lbName(svc), s.e.computeService()
	region := "us-central1"
	var call func() (*compute.Operation, error)
	switch kind {
	case "firewall deleted":
		call = func() (*compute.Operation, error) {
			return gce.Firewalls.Delete(project, "k8s-fw-"+lb).Context(s.e.ctx).Do()
		}
	case "firewall source ranges widened":
		call = func() (*compute.Operation, error) {
			return gce.Firewalls.Patch(project, "k8s-fw-"+lb, &compute.Firewall{SourceRanges: []string{"0.0.0.0/0", "198.51.100.0/24"}}).Context(s.e.ctx).Do()
		}
	case "pool member removed":
		pool, err := gce.TargetPools.Get(project, region, lb).Context(s.e.ctx).Do()
		if err != nil || len(pool.Instances) == 0 {
			return what + " (nothing to change)", nil
		}
		victim := pool.Instances[rnd.Intn(len(pool.Instances))]
		call = func() (*compute.Operation, error) {
			return gce.TargetPools.RemoveInstance(project, region, lb, &compute.TargetPoolsRemoveInstanceRequest{
				Instances: []*compute.InstanceReference{{Instance: victim}}}).Context(s.e.ctx).Do()
		}
	case "route deleted":
		l, err := gce.Routes.List(project).Filter(fmt.Sprintf(`name eq "%s-.*"`, soakRoutePrefix())).Context(s.e.ctx).Do()
		if err != nil {
			return what + " (nothing to change)", nil
		}
		// Only this cluster's routes: a look-alike with our prefix and
		// another cluster's description is one of the foreign objects the
		// end state requires untouched (a 30-minute run once drew it).
		var ours []string
		for _, r := range l.Items {
			if d, ok := ownership.Read(r.Description); ok && d.ClusterName == soakCluster {
				ours = append(ours, r.Name)
			}
		}
		if len(ours) == 0 {
			return what + " (nothing to change)", nil
		}
		victim := ours[rnd.Intn(len(ours))]
		call = func() (*compute.Operation, error) { return gce.Routes.Delete(project, victim).Context(s.e.ctx).Do() }
	}
	// Through the faults: a few tries, as a user would click again.
	for try := 0; ; try++ {
		_, err = call()
		if err == nil || try == 5 || isGoogleNotFound(err) {
			break
		}
		time.Sleep(time.Second)
	}
	if isGoogleNotFound(err) {
		return what + " (already gone)", nil
	}
	return what, err
}
