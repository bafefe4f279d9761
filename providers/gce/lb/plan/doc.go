// Package plan is the load balancer's plan: pure functions from what a
// Service asks for (Spec), the nodes, the config and what exists in GCE
// (Seen) to an ordered graph of steps (Action), and the decisions the
// executor takes for a step that declares a re-read (Recheck).
//
// It imports neither context nor the API layer: nothing here can call GCE,
// which the compiler checks. Package lb observes, calls Build and applies.
package plan
