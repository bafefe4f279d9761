package lb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

// The cluster id names the cluster's shared health check and its firewall
// (k8s-<id>-node, k8s-<id>-node-http-hc). As upstream, it lives in the
// ConfigMap kube-system/ingress-uid (provider-uid, else uid) and is made,
// 16 random hex characters in both keys, when the ConfigMap is missing.

const (
	clusterIDNamespace = "kube-system"
	clusterIDConfigMap = "ingress-uid"
	clusterIDKey       = "uid"
	providerIDKey      = "provider-uid"
	// clusterIDTTL: a changed id (rare, by hand) is picked up this late.
	clusterIDTTL = 10 * time.Minute
)

// ConfigMapClusterID is the ClusterIDSource of a cluster: the ConfigMap
// read through Kube, cached for clusterIDTTL.
type ConfigMapClusterID struct {
	Kube kubernetes.Interface // nil: the provider was not initialised

	mu sync.Mutex
	id string
	at time.Time
}

// ClusterID reads (or makes) the cluster id.
func (c *ConfigMapClusterID) ClusterID(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.id != "" && time.Since(c.at) < clusterIDTTL {
		return c.id, nil
	}
	if c.Kube == nil {
		return "", fmt.Errorf("cluster id: no Kubernetes client (the provider was not initialised)")
	}
	cms := c.Kube.CoreV1().ConfigMaps(clusterIDNamespace)
	cm, err := cms.Get(ctx, clusterIDConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm, err = cms.Create(ctx, newClusterIDConfigMap(), metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			// Another writer won the race: use its id.
			cm, err = cms.Get(ctx, clusterIDConfigMap, metav1.GetOptions{})
		}
	}
	if err != nil {
		return "", fmt.Errorf("cluster id: ConfigMap %s/%s: %w", clusterIDNamespace, clusterIDConfigMap, err)
	}
	id := cm.Data[providerIDKey]
	if id == "" {
		id = cm.Data[clusterIDKey]
	}
	if !plan.ValidClusterID(id) {
		return "", fmt.Errorf("cluster id: ConfigMap %s/%s holds %q, which does not make valid GCE names (lowercase letters, digits, hyphens)",
			clusterIDNamespace, clusterIDConfigMap, id)
	}
	c.id, c.at = id, time.Now()
	return id, nil
}

func newClusterIDConfigMap() *v1.ConfigMap {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	return &v1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: clusterIDNamespace, Name: clusterIDConfigMap},
		Data: map[string]string{clusterIDKey: id, providerIDKey: id}}
}
