package fakecompute

// routeTable is the whole REST surface, one line per method. The pattern is
// the request path with every name replaced by "*".
func (s *Server) routeTable() map[string]route {
	t := map[string]route{}
	add := func(method, pattern, methodID string, h handler) {
		t[method+" projects/*"+pattern] = route{methodID: methodID, mutating: isMutatingMethod(method, methodID), h: h}
	}
	add("GET", "", "compute.projects.get", getProject)
	add("GET", "/regions", "compute.regions.list", listRegions)
	add("GET", "/regions/*", "compute.regions.get", getRegion)
	add("GET", "/zones", "compute.zones.list", listZones)
	add("GET", "/zones/*", "compute.zones.get", getZone)
	add("GET", "/zones/*/machineTypes/*", "compute.machineTypes.get", getMachineType)
	add("GET", "/global/images/*", "compute.images.get", getImage)

	for _, o := range []struct{ scope, id string }{{"/global", "globalOperations"}, {"/regions/*", "regionOperations"}, {"/zones/*", "zoneOperations"}} {
		add("GET", o.scope+"/operations", "compute."+o.id+".list", listOperations)
		add("GET", o.scope+"/operations/*", "compute."+o.id+".get", getOperation)
		add("POST", o.scope+"/operations/*/wait", "compute."+o.id+".wait", waitOperation)
		add("DELETE", o.scope+"/operations/*", "compute."+o.id+".delete", deleteOperation)
	}

	add("GET", "/global/networks", "compute.networks.list", listNetworks)
	add("POST", "/global/networks", "compute.networks.insert", insertNetwork)
	add("GET", "/global/networks/*", "compute.networks.get", getNetwork)
	add("DELETE", "/global/networks/*", "compute.networks.delete", deleteNetwork)

	add("GET", "/regions/*/subnetworks", "compute.subnetworks.list", listSubnetworks)
	add("POST", "/regions/*/subnetworks", "compute.subnetworks.insert", insertSubnetwork)
	add("GET", "/regions/*/subnetworks/*", "compute.subnetworks.get", getSubnetwork)
	add("DELETE", "/regions/*/subnetworks/*", "compute.subnetworks.delete", deleteSubnetwork)
	add("GET", "/aggregated/subnetworks", "compute.subnetworks.aggregatedList", aggregatedSubnetworks)

	add("GET", "/zones/*/instances", "compute.instances.list", listInstances)
	add("POST", "/zones/*/instances", "compute.instances.insert", insertInstance)
	add("GET", "/zones/*/instances/*", "compute.instances.get", getInstance)
	add("PUT", "/zones/*/instances/*", "compute.instances.update", updateInstance)
	add("DELETE", "/zones/*/instances/*", "compute.instances.delete", deleteInstance)
	add("POST", "/zones/*/instances/*/setTags", "compute.instances.setTags", setInstanceTags)
	add("POST", "/zones/*/instances/*/stop", "compute.instances.stop", setInstanceStatus(StatusTerminated, "stop"))
	add("POST", "/zones/*/instances/*/start", "compute.instances.start", setInstanceStatus(StatusRunning, "start"))
	add("GET", "/aggregated/instances", "compute.instances.aggregatedList", aggregatedInstances)
	add("GET", "/zones/*/disks", "compute.disks.list", listDisks)
	add("GET", "/zones/*/disks/*", "compute.disks.get", getDisk)

	add("GET", "/global/routes", "compute.routes.list", listRoutes)
	add("POST", "/global/routes", "compute.routes.insert", insertRoute)
	add("GET", "/global/routes/*", "compute.routes.get", getRoute)
	add("DELETE", "/global/routes/*", "compute.routes.delete", deleteRoute)

	s.addLoadBalancingRoutes(add)
	return t
}
