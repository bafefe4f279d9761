package fakecompute

import (
	"fmt"
	"slices"

	compute "google.golang.org/api/compute/v1"
)

// regions are every region the server serves, sorted: Options.Region and
// the regions of autoModeRanges. The home region's zones are
// Options.Zones; every other region has three, <region>-a, -b and -c (an
// approximation: real regions name theirs differently).
func (s *Server) regions() []string { return s.regionNames }

func newRegionNames(home string) []string {
	out := []string{home}
	for r := range autoModeRanges {
		if r != home {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// zonesOf are the zones of a region the server serves (nil: not served).
func (s *Server) zonesOf(region string) []string {
	if region == s.opts.Region {
		return s.opts.Zones
	}
	if _, ok := autoModeRanges[region]; ok {
		return []string{region + "-a", region + "-b", region + "-c"}
	}
	return nil
}

func (s *Server) hasRegion(region string) bool { return s.zonesOf(region) != nil }

func (s *Server) hasZone(zone string) bool {
	return slices.Contains(s.zonesOf(regionOfZone(zone)), zone)
}

// allZones are the zones of every region, sorted.
func (s *Server) allZones() []string {
	var out []string
	for _, r := range s.regions() {
		out = append(out, s.zonesOf(r)...)
	}
	slices.Sort(out)
	return out
}

// aggregatedScopes are the scopes an aggregated list names, as GCE's do:
// "global" and every region, or every zone for a zonal collection.
func (s *Server) aggregatedScopes(sk ScopeKind) []string {
	out := []string{"global"}
	if sk == Zonal {
		for _, z := range s.allZones() {
			out = append(out, "zones/"+z)
		}
		return out
	}
	for _, r := range s.regions() {
		out = append(out, "regions/"+r)
	}
	return out
}

func (s *Server) zoneObject(project, zone string) *compute.Zone {
	return &compute.Zone{Kind: "compute#zone", Id: uint64(2000 + len(zone)), Name: zone, Status: "UP",
		Description: zone, Region: ScopeLink(project, Regional, regionOfZone(zone)),
		SelfLink: ScopeLink(project, Zonal, zone), AvailableCpuPlatforms: []string{"Intel Cascade Lake", "AMD Milan"},
		CreationTimestamp: "2020-01-01T00:00:00.000-07:00"}
}

func (s *Server) regionObject(project, region string) *compute.Region {
	zones := s.zonesOf(region)
	links := make([]string, len(zones))
	for i, z := range zones {
		links[i] = ScopeLink(project, Zonal, z)
	}
	return &compute.Region{Kind: "compute#region", Id: uint64(1000 + slices.Index(s.regions(), region)), Name: region, Status: "UP",
		Description: region, Zones: links, SelfLink: ScopeLink(project, Regional, region),
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

// The regions and zones: read-only collections of the topology, each a
// list and a get.
var (
	listRegions, getRegion = topologyVerbs("compute#regionList", Regional, (*Server).regions, (*Server).hasRegion, (*Server).regionObject)
	listZones, getZone     = topologyVerbs("compute#zoneList", Zonal, (*Server).allZones, (*Server).hasZone, (*Server).zoneObject)
)

// topologyVerbs are the list and get of one topology collection: names
// are its members, has says whether one exists (else notFound), object
// renders one in a project.
func topologyVerbs[T any](listKind string, scope ScopeKind, names func(*Server) []string, has func(*Server, string) bool,
	object func(s *Server, project, name string) *T) (list, get handler) {
	list = func(c *call) (any, error) {
		var items []any
		for _, name := range names(c.s) {
			items = append(items, object(c.s, c.project, name))
		}
		return c.listResponse(listKind, Key{Project: c.project}, items)
	}
	get = func(c *call) (any, error) {
		if !has(c.s, c.name) {
			return nil, errNotFound(Key{Project: c.project, Kind: scope, Location: c.name})
		}
		return object(c.s, c.project, c.name), nil
	}
	return list, get
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
