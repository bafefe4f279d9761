// Package keylock serialises work per key (a load balancer, a route name)
// while work on different keys runs in parallel.
package keylock

import "sync"

// Locks is a set of locks by key; the zero value is ready, and a key's
// entry lives only while someone holds or waits for it.
type Locks struct {
	mu sync.Mutex
	m  map[string]*entry
}

type entry struct {
	sync.Mutex
	refs int
}

// Lock takes key's lock and returns its release.
func (k *Locks) Lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*entry{}
	}
	l := k.m[key]
	if l == nil {
		l = &entry{}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}
