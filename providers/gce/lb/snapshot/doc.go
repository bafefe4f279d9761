// Package snapshot shares lists of GCE collections among the syncs of
// every load balancer, external and internal: a burst of syncs reads each
// collection about once a TTL instead of once per Service, and our own
// writes are never missed (a name written since a list began makes the
// next reader of it list again).
package snapshot
