package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/gce-ccm/gce-ccm/test/dataplane"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// dataplanePath serves the fabric's dump (counters, routes, load balancers,
// health) beside the emulator's own admin API.
const dataplanePath = "/_internal/dataplane"

// startDataplane follows the served emulator in process (--dataplane).
func startDataplane(ctx context.Context, s *fakecompute.Server, c config) (*dataplane.Fabric, error) {
	return dataplane.Start(ctx, dataplane.Options{Source: dataplane.ServerSource{Server: s}, Project: c.opts.Project})
}

func withDataplane(s *fakecompute.Server, f *dataplane.Fabric) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != dataplanePath {
			s.ServeHTTP(w, r)
			return
		}
		d, err := f.Dump(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(d)
	})
}

// printDataplane says where the namespaces are, for `ip netns exec`.
func printDataplane(w io.Writer, f *dataplane.Fabric) {
	fmt.Fprintf(w, "dataplane: fabric namespace %s, internet %s (clients %v); dump at %s\n",
		f.NamespaceName("fabric"), f.InternetNamespace(), f.Clients(), dataplanePath)
}
