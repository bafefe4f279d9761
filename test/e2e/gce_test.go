//go:build e2e

package e2e

import (
	"strings"

	compute "google.golang.org/api/compute/v1"
	"google.golang.org/api/option"
)

// computeService is a google.golang.org/api client on the emulator: tests
// read GCE state through the GCE API, as a user would.
func (e *env) computeService() *compute.Service {
	e.t.Helper()
	svc, err := compute.NewService(e.ctx, option.WithEndpoint(e.gce.URL+"/compute/v1/"), option.WithoutAuthentication())
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

func lastSeg(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}
