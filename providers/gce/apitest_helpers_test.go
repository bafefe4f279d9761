package gce

import (
	"context"
	"testing"
	"time"

	"google.golang.org/api/option"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
)

// withFastBackoff rebuilds the API client with millisecond backoff so
// retry tests do not wait for production delays.
func withFastBackoff(t *testing.T, e *testEnv) *gceapi.Client {
	t.Helper()
	api, err := gceapi.New(context.Background(), gceapi.Config{Project: e.cloud.cfg.ProjectID, Endpoint: e.gce.URL,
		ClientOptions: []option.ClientOption{option.WithoutAuthentication()},
		BaseBackoff:   time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api.Close() })
	return api
}
