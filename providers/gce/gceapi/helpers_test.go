package gceapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func asErr(err error, target **gceapi.Error) bool { return errors.As(err, target) }

// deleteNetwork calls networks.delete directly over HTTP; the API layer has
// no wrapper for it because the provider never deletes networks.
func deleteNetwork(t *testing.T, ts *fakecompute.TestServer, name string) error {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodDelete, ts.URL+"/compute/v1/projects/demo/global/networks/"+name, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var buf [512]byte
		n, _ := resp.Body.Read(buf[:])
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, buf[:n])
	}
	return nil
}

// metricValue sums the samples (counter values, histogram counts) of a
// metric of the legacy registry whose labels include want.
func metricValue(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	samples:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue samples
				}
			}
			sum += m.GetCounter().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}
