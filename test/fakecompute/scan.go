package fakecompute

// Scan calls fn with every stored object of a collection ("routes",
// "targetPools", ...) of project, in every scope: the typed struct of
// google.golang.org/api/compute/v1 (*compute.Route, *compute.TargetPool),
// which fn must not change nor keep. It holds the store's read lock, so fn
// must be quick. A benchmark polling one collection many times a second
// uses it instead of Dump, which marshals every resource (12 MB at 1,000
// nodes and 100 pools of 1,000) and would hold the lock for as long.
func (s *Server) Scan(project, collection string, fn func(obj any)) {
	_ = s.store.read(func(t *tx) error {
		t.scan(project, collection, func(_ Key, obj any) { fn(obj) })
		return nil
	})
}
