package ownership

import "testing"

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		match       bool
		descCluster string
		want        Owner
	}{
		{true, "prod", Ours},
		{true, "", Upstream},
		{true, "prod-2", Foreign},
		{false, "prod", Foreign},
		{false, "", Foreign},
	} {
		if got := Judge(tc.match, tc.descCluster, "prod"); got != tc.want {
			t.Errorf("Judge(%v, %q, prod) = %v, want %v", tc.match, tc.descCluster, got, tc.want)
		}
	}
}

func TestDescriptionKeepsBothSchemas(t *testing.T) {
	for _, tc := range []struct {
		d    Description
		want string
	}{
		{Description{ServiceName: "default/web", ClusterName: "prod"}, `{"kubernetes.io/service-name":"default/web","kubernetes.io/cluster-name":"prod"}`},
		{Description{ClusterID: "cid", ClusterName: "prod"}, `{"kubernetes.io/cluster-id":"cid","kubernetes.io/cluster-name":"prod"}`},
		{Description{ClusterName: "prod", NodeName: "n1", ManagedBy: "gce-ccm"}, `{"kubernetes.io/cluster-name":"prod","kubernetes.io/node-name":"n1","managed-by":"gce-ccm"}`},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%+v = %s, want %s", tc.d, got, tc.want)
		}
		if back, ok := Read(tc.want); !ok || back != tc.d {
			t.Errorf("Read(%s) = %+v, %v", tc.want, back, ok)
		}
	}
	if _, ok := Read("k8s-node-route"); ok {
		t.Error("upstream's plain-text route description read as JSON")
	}
}
