package fakecompute

// The load-balancing resources are being written in parallel; until they
// land their routes are absent and answer 404.

func (s *Server) addLoadBalancingRoutes(add func(method, pattern, methodID string, h handler)) {}
