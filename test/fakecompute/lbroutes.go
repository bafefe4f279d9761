package fakecompute

// addLoadBalancingRoutes is the load-balancing part of the route table:
// firewalls, legacy HTTP health checks, addresses, target pools and
// forwarding rules.
func (s *Server) addLoadBalancingRoutes(add func(method, pattern, methodID string, h handler)) {
	add("GET", "/global/firewalls", "compute.firewalls.list", listFirewalls)
	add("POST", "/global/firewalls", "compute.firewalls.insert", insertFirewall)
	add("GET", "/global/firewalls/*", "compute.firewalls.get", getFirewall)
	add("PATCH", "/global/firewalls/*", "compute.firewalls.patch", patchFirewall)
	add("PUT", "/global/firewalls/*", "compute.firewalls.update", updateFirewall)
	add("DELETE", "/global/firewalls/*", "compute.firewalls.delete", deleteFirewall)

	add("GET", "/global/httpHealthChecks", "compute.httpHealthChecks.list", listHTTPHealthChecks)
	add("POST", "/global/httpHealthChecks", "compute.httpHealthChecks.insert", insertHTTPHealthCheck)
	add("GET", "/global/httpHealthChecks/*", "compute.httpHealthChecks.get", getHTTPHealthCheck)
	add("PATCH", "/global/httpHealthChecks/*", "compute.httpHealthChecks.patch", patchHTTPHealthCheck)
	add("PUT", "/global/httpHealthChecks/*", "compute.httpHealthChecks.update", updateHTTPHealthCheck)
	add("DELETE", "/global/httpHealthChecks/*", "compute.httpHealthChecks.delete", deleteHTTPHealthCheck)

	add("GET", "/regions/*/addresses", "compute.addresses.list", listAddresses)
	add("POST", "/regions/*/addresses", "compute.addresses.insert", insertAddress)
	add("GET", "/regions/*/addresses/*", "compute.addresses.get", getAddress)
	add("DELETE", "/regions/*/addresses/*", "compute.addresses.delete", deleteAddress)
	add("POST", "/regions/*/addresses/*/setLabels", "compute.addresses.setLabels", setLabels(addressLabels))
	add("GET", "/aggregated/addresses", "compute.addresses.aggregatedList", aggregatedAddresses)

	add("GET", "/regions/*/targetPools", "compute.targetPools.list", listTargetPools)
	add("POST", "/regions/*/targetPools", "compute.targetPools.insert", insertTargetPool)
	add("GET", "/regions/*/targetPools/*", "compute.targetPools.get", getTargetPool)
	add("DELETE", "/regions/*/targetPools/*", "compute.targetPools.delete", deleteTargetPool)
	add("POST", "/regions/*/targetPools/*/addInstance", "compute.targetPools.addInstance", addPoolInstances)
	add("POST", "/regions/*/targetPools/*/removeInstance", "compute.targetPools.removeInstance", removePoolInstances)
	add("POST", "/regions/*/targetPools/*/addHealthCheck", "compute.targetPools.addHealthCheck", addPoolHealthCheck)
	add("POST", "/regions/*/targetPools/*/removeHealthCheck", "compute.targetPools.removeHealthCheck", removePoolHealthCheck)
	add("POST", "/regions/*/targetPools/*/getHealth", "compute.targetPools.getHealth", getPoolHealth)
	add("POST", "/regions/*/targetPools/*/setBackup", "compute.targetPools.setBackup", setPoolBackup)
	add("GET", "/aggregated/targetPools", "compute.targetPools.aggregatedList", aggregatedTargetPools)

	add("GET", "/regions/*/forwardingRules", "compute.forwardingRules.list", listForwardingRules)
	add("POST", "/regions/*/forwardingRules", "compute.forwardingRules.insert", insertForwardingRule)
	add("GET", "/regions/*/forwardingRules/*", "compute.forwardingRules.get", getForwardingRule)
	add("DELETE", "/regions/*/forwardingRules/*", "compute.forwardingRules.delete", deleteForwardingRule)
	add("POST", "/regions/*/forwardingRules/*/setTarget", "compute.forwardingRules.setTarget", setForwardingRuleTarget)
	add("POST", "/regions/*/forwardingRules/*/setLabels", "compute.forwardingRules.setLabels", setLabels(forwardingRuleLabels))
	add("GET", "/aggregated/forwardingRules", "compute.forwardingRules.aggregatedList", aggregatedForwardingRules)

	s.addInternalLoadBalancingRoutes(add)
}
