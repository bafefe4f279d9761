package fakecompute

import (
	"fmt"

	compute "google.golang.org/api/compute/v1"
)

func (s *Server) zoneKey(project, zone string) Key {
	return Key{Project: project, Kind: Zonal, Location: zone}
}

func (s *Server) hasZone(zone string) bool {
	for _, z := range s.opts.Zones {
		if z == zone {
			return true
		}
	}
	return false
}

func (s *Server) zoneObject(project, zone string) *compute.Zone {
	return &compute.Zone{Kind: "compute#zone", Id: uint64(2000 + len(zone)), Name: zone, Status: "UP",
		Description: zone, Region: ScopeLink(project, Regional, regionOfZone(zone)),
		SelfLink: ScopeLink(project, Zonal, zone), AvailableCpuPlatforms: []string{"Intel Cascade Lake", "AMD Milan"},
		CreationTimestamp: "2020-01-01T00:00:00.000-07:00"}
}

func (s *Server) regionObject(project string) *compute.Region {
	zones := make([]string, len(s.opts.Zones))
	for i, z := range s.opts.Zones {
		zones[i] = ScopeLink(project, Zonal, z)
	}
	return &compute.Region{Kind: "compute#region", Id: 1000, Name: s.opts.Region, Status: "UP",
		Description: s.opts.Region, Zones: zones, SelfLink: ScopeLink(project, Regional, s.opts.Region),
		CreationTimestamp: "2020-01-01T00:00:00.000-07:00"}
}

func getProject(c *call) (any, error) {
	s := c.s
	num := s.opts.ProjectNumber
	if c.project != s.opts.Project {
		num += int64(len(c.project))
	}
	return &compute.Project{
		Kind: "compute#project", Name: c.project, Id: uint64(num),
		SelfLink:               SelfLinkBase + "projects/" + c.project,
		DefaultServiceAccount:  fmt.Sprintf("%d-compute@developer.gserviceaccount.com", num),
		DefaultNetworkTier:     "PREMIUM",
		XpnProjectStatus:       "UNSPECIFIED_XPN_PROJECT_STATUS",
		CreationTimestamp:      "2020-01-01T00:00:00.000-07:00",
		CommonInstanceMetadata: &compute.Metadata{Kind: "compute#metadata", Fingerprint: "c2VlZA=="},
		VmDnsSetting:           "ZONAL_ONLY",
		CloudArmorTier:         "CA_STANDARD",
		EnabledFeatures:        []string{},
	}, nil
}

func listRegions(c *call) (any, error) {
	return c.listResponse("compute#regionList", Key{Project: c.project}, []any{c.s.regionObject(c.project)})
}

func getRegion(c *call) (any, error) {
	if c.name != c.s.opts.Region {
		return nil, errNotFound(Key{Project: c.project, Kind: Regional, Location: c.name})
	}
	return c.s.regionObject(c.project), nil
}

func listZones(c *call) (any, error) {
	items := make([]any, len(c.s.opts.Zones))
	for i, z := range c.s.opts.Zones {
		items[i] = c.s.zoneObject(c.project, z)
	}
	return c.listResponse("compute#zoneList", Key{Project: c.project}, items)
}

func getZone(c *call) (any, error) {
	if !c.s.hasZone(c.name) {
		return nil, errNotFound(Key{Project: c.project, Kind: Zonal, Location: c.name})
	}
	return c.s.zoneObject(c.project, c.name), nil
}

// machineTypes the emulator knows, with their vCPUs and memory in MB.
var machineTypes = map[string][2]int64{
	"e2-micro": {2, 1024}, "e2-small": {2, 2048}, "e2-medium": {2, 4096},
	"e2-standard-2": {2, 8192}, "e2-standard-4": {4, 16384}, "e2-standard-8": {8, 32768},
	"n1-standard-1": {1, 3840}, "n1-standard-2": {2, 7680}, "n1-standard-4": {4, 15360},
	"n2-standard-2": {2, 8192}, "n2-standard-4": {4, 16384}, "n2-standard-8": {8, 32768},
}

func getMachineType(c *call) (any, error) {
	mt, ok := machineTypes[c.name]
	if !ok || !c.s.hasZone(c.location) {
		return nil, errNotFound(c.key())
	}
	return &compute.MachineType{Kind: "compute#machineType", Name: c.name, Id: uint64(3000 + mt[1]), GuestCpus: mt[0],
		MemoryMb: mt[1], Zone: c.location, SelfLink: c.key().SelfLink(), MaximumPersistentDisks: 128,
		MaximumPersistentDisksSizeGb: 263168, Description: fmt.Sprintf("%d vCPUs, %d MB RAM", mt[0], mt[1])}, nil
}

// publicImages are the images terraform and gcloud commonly resolve.
var publicImages = map[string][]string{
	"debian-cloud":    {"debian-12", "debian-11"},
	"ubuntu-os-cloud": {"ubuntu-2404-lts", "ubuntu-2204-lts"},
	"cos-cloud":       {"cos-stable", "cos-117-lts"},
}

func imageObject(project, name string) (*compute.Image, bool) {
	for _, n := range publicImages[project] {
		if n == name {
			return &compute.Image{Kind: "compute#image", Name: name, Id: uint64(5000 + len(name)), Family: name,
				Status: "READY", DiskSizeGb: 10, Architecture: "X86_64", SourceType: "RAW",
				SelfLink: GlobalKey(project, "images", name).SelfLink(), CreationTimestamp: "2025-01-01T00:00:00.000-07:00"}, true
		}
	}
	return nil, false
}

func getImage(c *call) (any, error) {
	img, ok := imageObject(c.project, c.name)
	if !ok {
		return nil, errNotFound(c.key())
	}
	return img, nil
}
