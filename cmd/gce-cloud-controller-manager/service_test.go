package main

import (
	"context"
	"testing"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	fakecloud "k8s.io/cloud-provider/fake"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"
	genericcontrollermanager "k8s.io/controller-manager/app"
)

// The service controller is the framework's, under its name and client,
// started by gce-ccm's constructor (which feeds it settled node events:
// controllers/nodesettle's tests show the effect).
func TestServiceControllerIsReplaced(t *testing.T) {
	ctrls, err := controllerInitializers(replacedControllers(newGCECCMOptions()), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := ctrls[serviceController]
	if got, want := c.InitContext, app.DefaultInitFuncConstructors[serviceController].InitContext; got != want {
		t.Errorf("init context %+v, want the framework's %+v", got, want)
	}
	kube := fake.NewClientset()
	cfg := (&config.Config{ClientBuilder: &clientBuilder{kube: kube}, SharedInformers: informers.NewSharedInformerFactory(kube, time.Hour)}).Complete()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tt := range []struct {
		name  string
		cloud *fakecloud.Cloud
		want  bool
	}{
		{"with load balancers", &fakecloud.Cloud{}, true},
		{"without", &fakecloud.Cloud{DisableLoadBalancers: true}, false},
	} {
		_, started, err := c.Constructor(c.InitContext, cfg, tt.cloud)(ctx, genericcontrollermanager.ControllerContext{
			ControllerManagerMetrics: controllersmetrics.NewControllerManagerMetrics("test")})
		if started != tt.want || err != nil {
			t.Errorf("%s: started %v, err %v; want started %v", tt.name, started, err, tt.want)
		}
	}
}
