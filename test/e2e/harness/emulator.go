package harness

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Emulator is fakecompute served on a loopback port.
type Emulator struct {
	*fakecompute.Server
	URL      string // http://127.0.0.1:PORT
	HostPort string // 127.0.0.1:PORT, for GCE_METADATA_HOST
	srv      *http.Server
}

// StartEmulator serves a new emulator on 127.0.0.1.
func StartEmulator(opts fakecompute.Options) (*Emulator, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := fakecompute.New(opts)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return &Emulator{Server: s, URL: "http://" + l.Addr().String(), HostPort: l.Addr().String(), srv: srv}, nil
}

// Stop closes the listener and in-flight requests.
func (e *Emulator) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.srv.Shutdown(ctx)
}
