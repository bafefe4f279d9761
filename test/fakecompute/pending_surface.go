package fakecompute

import "net/http"

// These surfaces are being written in parallel (metadata server, batch,
// load-balancing resources); until they land they answer 404.

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) {
	writeError(w, errNoRoute(r.Method, r.URL.Path))
}

func (s *Server) serveBatch(w http.ResponseWriter, r *http.Request) {
	writeError(w, errNoRoute(r.Method, r.URL.Path))
}

func (s *Server) addLoadBalancingRoutes(add func(method, pattern, methodID string, h handler)) {}
