// Package ipforward keeps every node VM exempt from GCE's anti-spoofing
// check. A pod's packet leaves its node with the pod's IP as source; GCE
// drops it unless the VM has canIpForward=true, and every route to the
// node's pod CIDR is then dead. In enforce mode the controller turns the
// flag on (instances.update, mostDisruptiveAllowedAction=REFRESH, no
// restart); in every mode it says on the Node whether the VM forwards: a
// condition, a Warning event when it does not, and a metric.
//
// Each sync decides first (Decide, a pure function of the node, the VM, the
// mode and the last failure) and then acts (sync.go). VMs are read in bulk,
// one aggregatedList per resync; a node costs a GET only when the bulk read
// does not cover it.
package ipforward
