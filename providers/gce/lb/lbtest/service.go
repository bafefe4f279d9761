// Package lbtest builds the Services the load balancer's tests (of package
// lb and of package plan) start from. It is imported only by tests.
package lbtest

import (
	"fmt"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Service is a LoadBalancer Service default/<name> with one TCP port 80
// and a UID derived from its name, changed by opts.
func Service(name string, opts ...func(*v1.Service)) *v1.Service {
	uid := fmt.Sprintf("%08x-1111-2222-3333-444455556666", hash32(name))
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, UID: types.UID(uid)},
		Spec: v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: v1.ServiceExternalTrafficPolicyCluster,
			Ports: []v1.ServicePort{{Name: "http", Protocol: v1.ProtocolTCP, Port: 80}}},
	}
	for _, o := range opts {
		o(svc)
	}
	return svc
}

func hash32(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func WithPorts(ports ...v1.ServicePort) func(*v1.Service) {
	return func(s *v1.Service) { s.Spec.Ports = ports }
}

func TCP(port int32) v1.ServicePort { return v1.ServicePort{Protocol: v1.ProtocolTCP, Port: port} }
func UDP(port int32) v1.ServicePort { return v1.ServicePort{Protocol: v1.ProtocolUDP, Port: port} }

func WithLocal(port int32) func(*v1.Service) {
	return func(s *v1.Service) {
		s.Spec.ExternalTrafficPolicy, s.Spec.HealthCheckNodePort = v1.ServiceExternalTrafficPolicyLocal, port
	}
}

func WithAffinity(s *v1.Service) { s.Spec.SessionAffinity = v1.ServiceAffinityClientIP }

func WithAnnotation(k, v string) func(*v1.Service) {
	return func(s *v1.Service) {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[k] = v
	}
}

func WithIP(ip string) func(*v1.Service) { return func(s *v1.Service) { s.Spec.LoadBalancerIP = ip } }

func WithRanges(r ...string) func(*v1.Service) {
	return func(s *v1.Service) { s.Spec.LoadBalancerSourceRanges = r }
}
