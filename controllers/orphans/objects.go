package orphans

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/gce-ccm/gce-ccm/providers/gce/ownership"
)

// Kind is the GCE collection of an object the collector reads; the values
// are the kind label of gce_ccm_orphans_collected_total.
type Kind string

const (
	Rule          Kind = "rule"            // forwarding rule (region)
	Pool          Kind = "pool"            // target pool (region)
	Firewall      Kind = "firewall"        // (global)
	LegacyCheck   Kind = "check"           // httpHealthCheck: external load balancers (global)
	Check         Kind = "health-check"    // healthCheck: internal load balancers (global)
	Backend       Kind = "backend-service" // regional backend service: internal load balancers
	Address       Kind = "address"         // (region)
	InstanceGroup Kind = "instance-group"  // internal load balancers' backends (zone)
)

// Object is one GCE object as the collector needs it: where it is, its
// description (the ownership), and what it refers to: a pool's or a
// backend service's health checks by name, a backend service's instance
// groups by reference (Ref: the same name is in every zone).
type Object struct {
	Kind        Kind
	Name        string
	Zone        string // an instance group's
	Description string
	Uses        []string
	Ref         string // an instance group's gceref path, as in a backend service's Uses
}

func (o Object) String() string {
	if o.Zone != "" {
		return fmt.Sprintf("%s %s/%s", o.Kind, o.Zone, o.Name)
	}
	return fmt.Sprintf("%s %s", o.Kind, o.Name)
}

// lbName is "a" and the Service UID without dashes (upstream's
// DefaultLoadBalancerName, 32 characters for a real UID).
const lbName = `a[a-z0-9]{1,31}`

// perService maps each kind to the names a load balancer's own objects may
// have (plan.Names for external ones, ilb.Names for internal ones); the
// first group is the load balancer's name.
var perService = map[Kind]*regexp.Regexp{
	Rule:        regexp.MustCompile(`^(` + lbName + `)(-udp|-tcp)?$`),
	Pool:        regexp.MustCompile(`^(` + lbName + `)(-alt)?$`),
	Firewall:    regexp.MustCompile(`^(?:k8s-fw-(` + lbName + `)|k8s-(` + lbName + `)-http-hc|(` + lbName + `)-hc)$`),
	LegacyCheck: regexp.MustCompile(`^(` + lbName + `)$`),
	Check:       regexp.MustCompile(`^(` + lbName + `)$`),
	Backend:     regexp.MustCompile(`^(` + lbName + `)(-udp|-tcp)?$`),
	Address:     regexp.MustCompile(`^(` + lbName + `)$`),
}

// LBOf is the load balancer an object's name belongs to, "" when the name
// is not one of a load balancer's own (a shared object, or anything else).
func LBOf(o Object) string {
	re := perService[o.Kind]
	if re == nil {
		return ""
	}
	m := re.FindStringSubmatch(o.Name)
	for _, g := range m[min(1, len(m)):] {
		if g != "" && g[0] == 'a' {
			return g
		}
	}
	return ""
}

// owner judges a per-Service object: ours names this cluster, upstream's
// names none; service is the Service the description names.
func owner(desc, cluster string) (who ownership.Owner, service string) {
	d, ok := ownership.Read(desc)
	if !ok || d.ServiceName == "" {
		return ownership.Foreign, ""
	}
	return ownership.Judge(true, d.ClusterName, cluster), d.ServiceName
}

// sharedOwner judges a shared object: its description names this cluster's
// id (upstream names the check itself as the "service").
func sharedOwner(desc, clusterID, check, cluster string) ownership.Owner {
	d, ok := ownership.Read(desc)
	if !ok {
		return ownership.Foreign
	}
	return ownership.Judge(d.ClusterID == clusterID || d.ServiceName == check, d.ClusterName, cluster)
}

// usedBy says whether any object of kinds refers to name.
func usedBy(objs []Object, name string, kinds ...Kind) bool {
	for _, o := range objs {
		if slices.Contains(kinds, o.Kind) && slices.Contains(o.Uses, name) {
			return true
		}
	}
	return false
}
