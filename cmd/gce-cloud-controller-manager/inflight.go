package main

import (
	"fmt"
	"net/http"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	cloudprovider "k8s.io/cloud-provider"
)

// maxInFlight bounds the requests to the API server one controller's
// client has waiting for an answer. The framework's route controller
// patches every node's NetworkUnavailable condition from a goroutine per
// node, all at once: at 5,000 nodes the client's rate (--kube-api-qps)
// let thousands be in flight to a slow API server, the HTTP/2 connection's
// stream limit made the transport open TLS connection after connection,
// and the controller's resident set went from about 230 to 414 MiB in twenty
// seconds (make bench's idle scenario, before this bound). Requests beyond
// the bound wait, holding a goroutine and no connection; the QPS limit
// still applies on top.
const maxInFlight = 64

// boundedClient is the Kubernetes client of the controller name with at
// most maxInFlight requests in flight.
func boundedClient(cb cloudprovider.ControllerClientBuilder, name string) (kubernetes.Interface, error) {
	cfg, err := cb.Config(name)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client of %s: %w", name, err)
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &inFlightLimit{next: rt, slots: make(chan struct{}, maxInFlight)}
	})
	return kubernetes.NewForConfig(cfg)
}

// inFlightLimit holds a slot from sending a request until its answer's
// headers (a watch then streams without one).
type inFlightLimit struct {
	next  http.RoundTripper
	slots chan struct{}
}

func (l *inFlightLimit) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case l.slots <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	defer func() { <-l.slots }()
	return l.next.RoundTrip(req)
}

// WrappedRoundTripper lets client-go find the transport underneath.
func (l *inFlightLimit) WrappedRoundTripper() http.RoundTripper { return l.next }
