// Package nodeipam is the node-ipam-controller: it gives every node its pod
// CIDRs (spec.podCIDRs), as the upstream GCE cloud-controller-manager's
// controller of the same name does, with its two allocators:
//
//   - RangeAllocator cuts node CIDRs from --cluster-cidr (one per family),
//     never from --service-cluster-ip-range. The free-CIDR bitmap is
//     Kubernetes' own (k8s.io/kubernetes/pkg/controller/nodeipam/ipam/cidrset
//     at v1.36.3, the code kube-controller-manager's range allocator runs);
//     this package keeps who holds each CIDR beside it, so a second node
//     claiming one is named in an Event instead of silently sharing it.
//     Kubernetes' range allocator itself is not reused: it stops the whole
//     controller when one node has a CIDR outside the cluster CIDR, and it
//     drags in k8s.io/kubernetes/pkg/controller (hundreds of packages).
//   - CloudAllocator copies each node's pod CIDR from its VM's alias IP
//     range (VPC-native clusters) and sets NetworkUnavailable=False, since
//     no route controller runs beside it.
//
// Start-up records every existing node's CIDRs, oldest node first, before
// the first allocation, so a restart or a new leader never hands out a
// CIDR a node holds. A full cluster CIDR is an Event on the node and a
// metric, and the node gets a CIDR when another node is deleted.
package nodeipam
