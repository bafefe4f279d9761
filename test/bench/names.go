package main

import (
	"fmt"
	"time"
)

// The scenarios' row names: a controller that does not run a scenario
// gets rows of the same names, so the table pairs them.

func routesName(n int) string { return fmt.Sprintf("routes from empty, %d nodes", n) }

func ipamName(n int) string { return fmt.Sprintf("registration to pod CIDR to route, %d nodes", n) }

func lbName(nodes, services int, tcpUDP bool) string {
	if tcpUDP {
		return fmt.Sprintf("%d TCP+UDP LoadBalancer Services at once, %d nodes", services, nodes)
	}
	return fmt.Sprintf("%d LoadBalancer Services at once, %d nodes", services, nodes)
}

func churnName(churn int, phase string, services int) string {
	return fmt.Sprintf("node churn: %d nodes %s, %d LBs", churn, phase, services)
}

func churnNames(churn, services int) []string {
	return []string{churnName(churn, "added", services), churnName(churn, "removed", services)}
}

func idleName(dur time.Duration, nodes, services int) string {
	return fmt.Sprintf("idle %v, %d nodes, %d LoadBalancers", dur, nodes, services)
}
