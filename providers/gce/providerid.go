package gce

import (
	"fmt"
	"strings"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// VM names one GCE instance; it is what a node's providerID says.
type VM struct {
	Project, Zone, Name string
}

const providerIDPrefix = "gce://"

// ProviderID renders gce://project/zone/name.
func (v VM) ProviderID() string { return providerIDPrefix + v.Project + "/" + v.Zone + "/" + v.Name }

// URL is the instance's full selfLink, which routes and pools reference.
func (v VM) URL() string {
	return "https://www.googleapis.com/compute/v1/projects/" + v.Project + "/zones/" + v.Zone + "/instances/" + v.Name
}

func (v VM) String() string { return v.Project + "/" + v.Zone + "/" + v.Name }

// ParseProviderID reads gce://project/zone/name with gceref's grammar: a
// part a GCE name cannot hold (a space, '?', '%', "..") is refused here,
// naming the providerID, rather than sent to GCE in a route's next hop or
// a pool's member and answered 400 there.
func ParseProviderID(id string) (VM, error) {
	k, err := gceref.ParseProviderID(id)
	if err != nil {
		return VM{}, err
	}
	return VM{Project: k.Project, Zone: k.Location, Name: k.Name}, nil
}

// ParseInstanceURL reads an instance selfLink (any host, or a partial path).
func ParseInstanceURL(u string) (VM, error) {
	i := strings.Index(u, "projects/")
	if i < 0 {
		return VM{}, fmt.Errorf("instance URL %q has no projects/ segment", u)
	}
	p := strings.Split(u[i:], "/")
	if len(p) != 6 || p[2] != "zones" || p[4] != "instances" {
		return VM{}, fmt.Errorf("instance URL %q is not projects/P/zones/Z/instances/N", u)
	}
	return VM{Project: p[1], Zone: p[3], Name: p[5]}, nil
}
