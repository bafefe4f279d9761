// Package ownership is the one answer to "whose is this GCE object?" for
// routes and load balancers alike: one verdict type and one reader of the
// JSON description every object we create carries.
package ownership

import "encoding/json"

// Owner says who made an object that carries one of our names.
type Owner int

const (
	Foreign  Owner = iota // someone else: never touched
	Ours                  // this cluster, through gce-ccm
	Upstream              // the upstream GCE provider, for the same Service or node (adoptable)
)

func (o Owner) String() string { return [...]string{"foreign", "ours", "upstream"}[o] }

// Description is the JSON in the description of every object we create.
// The load balancer's keys are the upstream provider's (which writes them
// without the cluster name), so its objects read as "made for this Service
// by upstream"; routes add the node and managed-by. Field order is the
// order the JSON is written in, and every key is left out when empty.
type Description struct {
	ServiceName string `json:"kubernetes.io/service-name,omitempty"`
	ServiceIP   string `json:"kubernetes.io/service-ip,omitempty"`
	ClusterID   string `json:"kubernetes.io/cluster-id,omitempty"`
	ClusterName string `json:"kubernetes.io/cluster-name,omitempty"`
	NodeName    string `json:"kubernetes.io/node-name,omitempty"`
	ManagedBy   string `json:"managed-by,omitempty"`
}

func (d Description) String() string {
	b, _ := json.Marshal(d)
	return string(b)
}

// Read parses a description; ok is false when it is not our JSON (a
// user's free text, or upstream's plain-text route description).
func Read(desc string) (d Description, ok bool) {
	return d, json.Unmarshal([]byte(desc), &d) == nil
}

// Judge is the verdict for an object whose description names the right
// Service, node or shared object (match) and the cluster descCluster: this
// cluster's is ours, a description without a cluster is upstream's, any
// other cluster's (prod-2 for prod) is foreign.
func Judge(match bool, descCluster, cluster string) Owner {
	switch {
	case !match:
		return Foreign
	case descCluster == cluster:
		return Ours
	case descCluster == "":
		return Upstream
	}
	return Foreign
}
