package fakecompute

import (
	"fmt"
	"net/netip"

	compute "google.golang.org/api/compute/v1"
)

// InstanceSeed describes a VM an operator created, for tests and the admin API.
type InstanceSeed struct {
	Name         string            `json:"name"`
	Zone         string            `json:"zone"`
	Project      string            `json:"project,omitempty"`     // default: the server's project
	MachineType  string            `json:"machineType,omitempty"` // default e2-standard-2
	CanIPForward bool              `json:"canIpForward"`
	Tags         []string          `json:"tags,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Status       string            `json:"status,omitempty"`     // default RUNNING
	Network      string            `json:"network,omitempty"`    // default "default"
	Subnetwork   string            `json:"subnetwork,omitempty"` // default: the network's subnet in the region
	NetworkIP    string            `json:"networkIP,omitempty"`
	ExternalIP   bool              `json:"externalIP,omitempty"` // give it an ephemeral external address
	IPv6         bool              `json:"ipv6,omitempty"`       // dual-stack interface with an external IPv6 /96
}

// SeedInstances creates VMs at once, without operations, as if an operator
// had made them earlier. It stops at the first invalid seed and reports it.
func (s *Server) SeedInstances(seeds ...InstanceSeed) ([]*compute.Instance, error) {
	out := make([]*compute.Instance, 0, len(seeds))
	err := s.store.write(func(t *tx) error {
		// Only VMs are made here: each one's IPs are added as it is made.
		t.internalIPs, t.internalFrom = map[string]map[string]bool{}, map[string]netip.Addr{}
		defer func() { t.internalIPs, t.internalFrom = nil, nil }()
		for i, sd := range seeds {
			inst, k, err := s.seedToInstance(sd)
			if err != nil {
				return fmt.Errorf("seed %d (%s): %w", i, sd.Name, err)
			}
			if err := s.createInstance(t, k, inst); err != nil {
				return fmt.Errorf("seed %d (%s): %w", i, sd.Name, err)
			}
			created, _ := getAs[compute.Instance](t, k)
			if used := t.internalIPs[k.Project]; used != nil {
				for _, ni := range created.NetworkInterfaces {
					used[ni.NetworkIP] = true
				}
			}
			if sd.Status != "" && sd.Status != StatusRunning {
				next := clone(created)
				next.Status = sd.Status
				t.put(k, next)
				created = next
			}
			if sd.IPv6 {
				next := clone(created)
				ni := next.NetworkInterfaces[0]
				ni.StackType = "IPV4_IPV6"
				ni.Ipv6AccessConfigs = []*compute.AccessConfig{{Kind: "compute#accessConfig", Type: "DIRECT_IPV6", Name: "external-ipv6",
					ExternalIpv6: fmt.Sprintf("2600:1900:4000:%x::", created.Id&0xffff), ExternalIpv6PrefixLength: 96, NetworkTier: "PREMIUM"}}
				t.put(k, next)
				created = next
			}
			out = append(out, created)
		}
		return nil
	})
	return out, err
}

func (s *Server) seedToInstance(sd InstanceSeed) (*compute.Instance, Key, error) {
	project := sd.Project
	if project == "" {
		project = s.opts.Project
	}
	if err := checkName(sd.Name); err != nil {
		return nil, Key{}, err
	}
	if !s.hasZone(sd.Zone) {
		return nil, Key{}, errInvalid("zone %q is not a zone this emulator serves (those of regions %v)", sd.Zone, s.regions())
	}
	switch sd.Status {
	case "", StatusRunning, StatusTerminated, StatusStopped, StatusSuspended, "STOPPING", "PROVISIONING", "STAGING", "SUSPENDING", "REPAIRING":
	default:
		return nil, Key{}, errInvalid("status %q is not an instance status", sd.Status)
	}
	mt := sd.MachineType
	if mt == "" {
		mt = "e2-standard-2"
	}
	if _, ok := machineTypes[mt]; !ok {
		return nil, Key{}, errInvalid("machine type %q is unknown", mt)
	}
	network := sd.Network
	if network == "" {
		network = "default"
	}
	k := ZonalKey(project, sd.Zone, "instances", sd.Name)
	ni := &compute.NetworkInterface{Kind: "compute#networkInterface", Name: "nic0",
		Network: GlobalKey(project, "networks", lastSegment(network)).SelfLink(), NetworkIP: sd.NetworkIP}
	if sd.Subnetwork != "" {
		ni.Subnetwork = RegionalKey(project, regionOfZone(sd.Zone), "subnetworks", lastSegment(sd.Subnetwork)).SelfLink()
	}
	if sd.ExternalIP {
		ni.AccessConfigs = []*compute.AccessConfig{{Name: "External NAT", Type: "ONE_TO_ONE_NAT", NetworkTier: "PREMIUM"}}
	}
	inst := &compute.Instance{Name: sd.Name, CanIpForward: sd.CanIPForward, Labels: sd.Labels,
		MachineType:       ZonalKey(project, sd.Zone, "machineTypes", mt).SelfLink(),
		Tags:              &compute.Tags{Items: sd.Tags},
		NetworkInterfaces: []*compute.NetworkInterface{ni},
		Disks: []*compute.AttachedDisk{{Boot: true, AutoDelete: true,
			InitializeParams: &compute.AttachedDiskInitializeParams{SourceImage: "projects/debian-cloud/global/images/family/debian-12"}}},
		ServiceAccounts: []*compute.ServiceAccount{{Email: fmt.Sprintf("%d-compute@developer.gserviceaccount.com", s.opts.ProjectNumber),
			Scopes: []string{"https://www.googleapis.com/auth/cloud-platform"}}},
	}
	return inst, k, nil
}

// DeleteInstanceNow removes a VM at once, as if deleted out of band.
func (s *Server) DeleteInstanceNow(zone, name string) error {
	k := ZonalKey(s.opts.Project, zone, "instances", name)
	return s.store.write(func(t *tx) error {
		if err := mustExist(t, k); err != nil {
			return err
		}
		t.del(k)
		t.del(ZonalKey(s.opts.Project, zone, "disks", name))
		detachInstance(t, k)
		return nil
	})
}

// SetInstanceStatus changes a VM's status at once (a stop from the console).
func (s *Server) SetInstanceStatus(zone, name, status string) error {
	k := ZonalKey(s.opts.Project, zone, "instances", name)
	return s.store.write(func(t *tx) error {
		return modifyAs(t, k, func(inst *compute.Instance) error {
			inst.Status = status
			return nil
		})
	})
}
