package lb

import (
	"sync"
	"time"

	"github.com/gce-ccm/gce-ccm/providers/gce/lb/snapshot"
)

// recheckMemo keeps, per shared object (the cluster's health check, its
// firewall), what the last recheck under its sharedCreate lock read or
// wrote. A burst of new Services plans the shared check's creation in
// every one of its first syncs (they all observed it missing); the first
// creates it, and each of the others used to recheck with a read of its
// own (100 of the 157 reads of the benchmark's 100 Services at once, 50
// syncs at a time). The next writer instead decides on what the last one
// found or made, while that is younger than snapshot.TTL and the snapshot
// records no write of ours to the object since (an update by a periodic
// pass, a deletion): as fresh as what every decision of the event path
// already takes (our own writes never missed, another actor's change seen
// within the TTL); a write that then fails on it is a write of ours, so
// its retry reads afresh.
type recheckMemo[T any] struct {
	writes *snapshot.Cache[T] // the collection's record of our writes
	mu     sync.Mutex
	m      map[string]memoEntry[T]
}

type memoEntry[T any] struct {
	v     T // nil: it does not exist
	at    time.Time
	write uint64 // the snapshot's mark of our last write to it then
}

// get returns the memo of name, if it still holds.
func (m *recheckMemo[T]) get(name string) (T, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[name]
	if !ok || time.Since(e.at) > snapshot.TTL || m.writes.LastWrite(name) != e.write {
		var zero T
		return zero, false
	}
	return e.v, true
}

// put records what a recheck read, or what its write made (after the
// write was marked in the snapshot).
func (m *recheckMemo[T]) put(name string, v T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string]memoEntry[T]{}
	}
	m.m[name] = memoEntry[T]{v: v, at: time.Now(), write: m.writes.LastWrite(name)}
}
