package main

import (
	_ "cloud.google.com/go/compute/apiv1"
	_ "cloud.google.com/go/compute/apiv1/computepb"
	_ "github.com/google/go-cmp/cmp"
	_ "golang.org/x/oauth2/google"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/time/rate"
	_ "google.golang.org/api/compute/v1"
	_ "google.golang.org/api/option"
	_ "gopkg.in/gcfg.v1"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/cloud-provider"
	_ "k8s.io/cloud-provider/app"
	_ "k8s.io/cloud-provider/names"
	_ "k8s.io/cloud-provider/options"
	_ "k8s.io/component-base/cli"
	_ "k8s.io/component-base/metrics/legacyregistry"
	_ "k8s.io/klog/v2"
)

func main() {}
