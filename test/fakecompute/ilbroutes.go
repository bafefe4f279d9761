package fakecompute

// Quota metrics of the internal load balancer's collections.
const (
	QuotaInstanceGroups  = "INSTANCE_GROUPS"
	QuotaBackendServices = "BACKEND_SERVICES"
)

// addInternalLoadBalancingRoutes is the internal load balancer's part of
// the route table: instance groups, health checks (global and regional)
// and regional backend services. INTERNAL forwarding rules and addresses
// are served by their collections' routes.
func (s *Server) addInternalLoadBalancingRoutes(add func(method, pattern, methodID string, h handler)) {
	add("GET", "/zones/*/instanceGroups", "compute.instanceGroups.list", listInstanceGroups)
	add("POST", "/zones/*/instanceGroups", "compute.instanceGroups.insert", insertInstanceGroup)
	add("GET", "/zones/*/instanceGroups/*", "compute.instanceGroups.get", getInstanceGroup)
	add("DELETE", "/zones/*/instanceGroups/*", "compute.instanceGroups.delete", deleteInstanceGroup)
	add("POST", "/zones/*/instanceGroups/*/addInstances", "compute.instanceGroups.addInstances", addGroupInstances)
	add("POST", "/zones/*/instanceGroups/*/removeInstances", "compute.instanceGroups.removeInstances", removeGroupInstances)
	add("POST", "/zones/*/instanceGroups/*/listInstances", "compute.instanceGroups.listInstances", listGroupInstances)
	add("POST", "/zones/*/instanceGroups/*/setNamedPorts", "compute.instanceGroups.setNamedPorts", setNamedPorts)
	add("GET", "/aggregated/instanceGroups", "compute.instanceGroups.aggregatedList", aggregatedInstanceGroups)

	for _, hc := range []struct{ scope, id string }{{"/global", "healthChecks"}, {"/regions/*", "regionHealthChecks"}} {
		add("GET", hc.scope+"/healthChecks", "compute."+hc.id+".list", listHealthChecks)
		add("POST", hc.scope+"/healthChecks", "compute."+hc.id+".insert", insertHealthCheck)
		add("GET", hc.scope+"/healthChecks/*", "compute."+hc.id+".get", getHealthCheck)
		add("PATCH", hc.scope+"/healthChecks/*", "compute."+hc.id+".patch", patchHealthCheck)
		add("PUT", hc.scope+"/healthChecks/*", "compute."+hc.id+".update", updateHealthCheck)
		add("DELETE", hc.scope+"/healthChecks/*", "compute."+hc.id+".delete", deleteHealthCheck)
	}

	add("GET", "/regions/*/backendServices", "compute.regionBackendServices.list", listBackendServices)
	add("POST", "/regions/*/backendServices", "compute.regionBackendServices.insert", insertBackendService)
	add("GET", "/regions/*/backendServices/*", "compute.regionBackendServices.get", getBackendService)
	add("PATCH", "/regions/*/backendServices/*", "compute.regionBackendServices.patch", patchBackendService)
	add("PUT", "/regions/*/backendServices/*", "compute.regionBackendServices.update", updateBackendService)
	add("DELETE", "/regions/*/backendServices/*", "compute.regionBackendServices.delete", deleteBackendService)
	add("POST", "/regions/*/backendServices/*/getHealth", "compute.regionBackendServices.getHealth", getBackendHealth)
}
