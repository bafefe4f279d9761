// Package ilb builds a Service's internal passthrough load balancer: one
// unmanaged instance group per zone with eligible nodes (shared by every
// internal Service of the cluster, upstream's name k8s-ig--<cluster-id>),
// a regional backend service per protocol, a health check (shared on
// kube-proxy's 10256 for externalTrafficPolicy Cluster, per Service on
// healthCheckNodePort for Local), a firewall for the traffic and one for
// GCE's probes, and an INTERNAL forwarding rule per protocol in the
// cluster's subnetwork (or the one the Service names).
//
// The shape is the external load balancer's: the Service is read and
// checked (spec.go, pure), what exists is observed (observe.go), the plan
// is computed (plan.go, pure, tested as readable strings) and applied in
// order (apply.go). Every write is idempotent against the next
// observation, so a sync that stops half-way is finished by the next.
package ilb
