package gceapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

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
