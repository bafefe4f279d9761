package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/api/option"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	controllersmetrics "k8s.io/component-base/metrics/prometheus/controllers"
	genericcontrollermanager "k8s.io/controller-manager/app"

	"github.com/gce-ccm/gce-ccm/providers/gce"
)

func TestResyncPeriodFlag(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		conf    time.Duration
		want    time.Duration
		wantErr bool
	}{
		{nil, 0, 5 * time.Minute, false},
		{nil, 30 * time.Second, 30 * time.Second, false},
		{[]string{"--gce-resync-period=10s"}, 30 * time.Second, 10 * time.Second, false},
		{[]string{"--gce-resync-period=0"}, 0, 0, true},
		{[]string{"--gce-resync-period=often"}, 0, 0, true},
	} {
		o := newGCECCMOptions()
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fss := o.flagSets()
		fs.AddFlagSet(fss.FlagSet("gce-ccm"))
		err := fs.Parse(tt.args)
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), `"--gce-resync-period"`) {
				t.Errorf("%v: err %v, want one naming the flag", tt.args, err)
			}
			continue
		}
		if got := o.resyncPeriod(&gce.Config{ResyncPeriod: tt.conf}); err != nil || got != tt.want {
			t.Errorf("%v with gce.conf %v: %v (%v), want %v", tt.args, tt.conf, got, err, tt.want)
		}
	}
}

func TestRouteControllerIsReplaced(t *testing.T) {
	ctrls, err := controllerInitializers(replacedControllers(newGCECCMOptions()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ctrls[routeController].InitContext, app.DefaultInitFuncConstructors[routeController].InitContext; got != want {
		t.Errorf("init context %+v, want the framework's %+v", got, want)
	}
	if _, err := controllerInitializers(map[string]app.ControllerInitFuncConstructor{"no-such": {}}, nil); err == nil {
		t.Error("replacing a controller the framework does not have is accepted")
	}
	cloud, err := gce.NewCloud(context.Background(), &gce.Config{ProjectID: "demo", NetworkProjectID: "demo", LocalZone: "us-central1-a",
		APIEndpoint: "http://127.0.0.1:1", StackType: gce.StackIPv4}, option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		routes  bool
		cidr    string
		started bool
		wantErr bool
	}{
		{"routes off", false, "10.4.0.0/14", false, false},
		{"routes on", true, "10.4.0.0/14", true, false},
		{"no cluster CIDR", true, "", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kube := fake.NewClientset()
			cfg := (&config.Config{ClientBuilder: &clientBuilder{kube: kube}, SharedInformers: informers.NewSharedInformerFactory(kube, time.Hour)}).Complete()
			cfg.ComponentConfig.KubeCloudShared.ConfigureCloudRoutes = tt.routes
			cfg.ComponentConfig.KubeCloudShared.ClusterCIDR = tt.cidr
			o := newGCECCMOptions()
			o.ResyncPeriod = 42 * time.Second
			c := replacedControllers(o)[routeController]
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			_, started, err := c.Constructor(c.InitContext, cfg, cloud)(ctx, genericcontrollermanager.ControllerContext{
				ControllerManagerMetrics: controllersmetrics.NewControllerManagerMetrics("test")})
			if started != tt.started || (err != nil) != tt.wantErr {
				t.Fatalf("started %v, err %v", started, err)
			}
			if started && cloud.ResyncPeriod() != 42*time.Second {
				t.Errorf("the provider's resync period is %v, want the flag's 42s", cloud.ResyncPeriod())
			}
		})
	}
}
