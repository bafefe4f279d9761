package fakecompute

import (
	"net/http/httptest"
	"testing"

	"google.golang.org/api/option"
)

// TestServer is an emulator listening on a loopback port for one test.
type TestServer struct {
	*Server
	URL string // http://127.0.0.1:PORT, the host root apiv1 wants as endpoint
}

// NewTestServer starts an emulator on 127.0.0.1 and stops it when the test ends.
func NewTestServer(tb testing.TB, opts Options) *TestServer {
	tb.Helper()
	s := New(opts)
	hs := httptest.NewServer(s)
	tb.Cleanup(hs.Close)
	return &TestServer{Server: s, URL: hs.URL}
}

// ClientOptions points cloud.google.com/go/compute/apiv1 clients at the emulator.
func (ts *TestServer) ClientOptions() []option.ClientOption {
	return []option.ClientOption{option.WithEndpoint(ts.URL), option.WithoutAuthentication()}
}

// LegacyClientOptions points google.golang.org/api/compute/v1 at the emulator.
func (ts *TestServer) LegacyClientOptions() []option.ClientOption {
	return []option.ClientOption{option.WithEndpoint(ts.URL + "/compute/v1/"), option.WithoutAuthentication()}
}
