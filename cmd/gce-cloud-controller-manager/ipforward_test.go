package main

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/pflag"
	"google.golang.org/api/option"
	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	restclient "k8s.io/client-go/rest"
	cloudprovider "k8s.io/cloud-provider"
	"k8s.io/cloud-provider/app"
	"k8s.io/cloud-provider/app/config"
	fakecloud "k8s.io/cloud-provider/fake"
	genericcontrollermanager "k8s.io/controller-manager/app"

	"github.com/gce-ccm/gce-ccm/controllers/ipforward"
	"github.com/gce-ccm/gce-ccm/providers/gce"
)

func TestControllersIncludeIPForward(t *testing.T) {
	ctrls, err := controllerInitializers(replacedControllers(newGCECCMOptions()), extraControllers(newGCECCMOptions()))
	if err != nil {
		t.Fatal(err)
	}
	names := app.ControllerNames(ctrls)
	if !slices.Contains(names, "ipforward") {
		t.Errorf("controllers %v lack ipforward", names)
	}
	if app.ControllersDisabledByDefault.Has("ipforward") {
		t.Error("ipforward is disabled by default")
	}
	dup := map[string]app.ControllerInitFuncConstructor{"service-lb-controller": {}}
	if _, err := controllerInitializers(nil, dup); err == nil || !strings.Contains(err.Error(), "service-lb-controller") {
		t.Errorf("a duplicate name: err %v, want one naming it", err)
	}
}

func TestIPForwardFlags(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		conf     string
		want     ipforward.Mode
		wantErr  string
		wantSync string
	}{
		{args: nil, conf: "enforce", want: ipforward.ModeEnforce, wantSync: "5m0s"},
		{args: nil, conf: "audit", want: ipforward.ModeAudit, wantSync: "5m0s"},
		{args: []string{"--ipforward-mode=off"}, conf: "enforce", want: ipforward.ModeOff, wantSync: "5m0s"},
		{args: []string{"--ipforward-mode=Audit", "--ipforward-resync-period=90s"}, conf: "off", want: ipforward.ModeAudit, wantSync: "1m30s"},
		{args: []string{"--ipforward-mode=on"}, wantErr: `"--ipforward-mode"`},
		{args: []string{"--ipforward-resync-period=0"}, wantErr: `"--ipforward-resync-period"`},
	} {
		o := newGCECCMOptions()
		// As cobra does: the section's flags on the command's flag set.
		fss := o.flagSets()
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.AddFlagSet(fss.FlagSet("gce-ccm"))
		err := fs.Parse(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err %v, want one naming %s", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		got, err := o.ipForwardMode(&gce.Config{IPForwardMode: tt.conf})
		if err != nil || got != tt.want || o.IPForwardResyncPeriod.String() != tt.wantSync {
			t.Errorf("%v with gce.conf %q: mode %q resync %v (%v); want %q %s", tt.args, tt.conf, got, o.IPForwardResyncPeriod, err, tt.want, tt.wantSync)
		}
	}
}

// clientBuilder hands out a fake clientset and remembers the names asked.
type clientBuilder struct {
	mu    sync.Mutex
	names []string
	kube  clientset.Interface
}

func (b *clientBuilder) Config(string) (*restclient.Config, error) { return &restclient.Config{}, nil }
func (b *clientBuilder) ConfigOrDie(string) *restclient.Config     { return &restclient.Config{} }
func (b *clientBuilder) Client(name string) (clientset.Interface, error) {
	return b.ClientOrDie(name), nil
}
func (b *clientBuilder) ClientOrDie(name string) clientset.Interface {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.names = append(b.names, name)
	return b.kube
}

func TestStartIPForward(t *testing.T) {
	newGCE := func(mode string) cloudprovider.Interface {
		c, err := gce.NewCloud(context.Background(), &gce.Config{ProjectID: "demo", NetworkProjectID: "demo", LocalZone: "us-central1-a",
			APIEndpoint: "http://127.0.0.1:1", StackType: gce.StackIPv4, IPForwardMode: mode}, option.WithoutAuthentication())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tt := range []struct {
		name    string
		cloud   cloudprovider.Interface
		flag    ipforward.Mode
		started bool
	}{
		{"not gce", &fakecloud.Cloud{}, "", false},
		{"off in gce.conf", newGCE("off"), "", false},
		{"off by flag", newGCE("enforce"), ipforward.ModeOff, false},
		{"enforce", newGCE("enforce"), "", true},
		{"audit by flag over off in gce.conf", newGCE("off"), ipforward.ModeAudit, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kube := fake.NewClientset()
			cb := &clientBuilder{kube: kube}
			cfg := (&config.Config{ClientBuilder: cb, SharedInformers: informers.NewSharedInformerFactory(kube, 0)}).Complete()
			o := newGCECCMOptions()
			o.IPForwardMode = tt.flag
			ctor := extraControllers(o)["ipforward"]
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			init := ctor.Constructor(ctor.InitContext, cfg, tt.cloud)
			_, started, err := init(ctx, genericcontrollermanager.ControllerContext{})
			if err != nil || started != tt.started {
				t.Fatalf("started %v, %v; want %v", started, err, tt.started)
			}
			if tt.started && !slices.Equal(cb.names, []string{"ipforward-controller"}) {
				t.Errorf("clients asked for %v, want [ipforward-controller]", cb.names)
			}
			if !tt.started && len(cb.names) != 0 {
				t.Errorf("a controller that did not start asked for clients %v", cb.names)
			}
		})
	}
}
