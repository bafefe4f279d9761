package gceapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

func asErr(err error, target **gceapi.Error) bool { return errors.As(err, target) }

// deleteNetwork calls networks.delete directly over HTTP and waits for its
// operation; the API layer has no wrapper for it because the provider never
// deletes networks.
func deleteNetwork(t *testing.T, ts *fakecompute.TestServer, name string) error {
	t.Helper()
	var op struct {
		Name, Status        string
		HTTPErrorStatusCode int `json:"httpErrorStatusCode"`
		Error               *struct {
			Errors []struct{ Code, Message string }
		}
	}
	do := func(method, path string) error {
		req, _ := http.NewRequestWithContext(context.Background(), method, ts.URL+"/compute/v1/projects/demo/global/"+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 400 {
			return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
		}
		return json.Unmarshal(b, &op)
	}
	if err := do(http.MethodDelete, "networks/"+name); err != nil {
		return err
	}
	// GCE fails a network delete in its operation: poll it, with a deadline.
	for deadline := time.Now().Add(10 * time.Second); op.Status != "DONE"; {
		if time.Now().After(deadline) {
			return fmt.Errorf("operation %s not DONE after 10s", op.Name)
		}
		time.Sleep(10 * time.Millisecond)
		if err := do(http.MethodGet, "operations/"+op.Name); err != nil {
			return err
		}
	}
	if op.Error != nil && len(op.Error.Errors) > 0 {
		return fmt.Errorf("operation failed, HTTP %d: %s: %s", op.HTTPErrorStatusCode, op.Error.Errors[0].Code, op.Error.Errors[0].Message)
	}
	return nil
}

// metricValue sums the samples (counter and gauge values, histogram counts) of a
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
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}
