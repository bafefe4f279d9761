package fakecompute

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"sort"
	"sync"
	"sync/atomic"
)

// store holds every resource of every project in memory. Objects are typed
// structs of google.golang.org/api/compute/v1 and are never mutated once
// stored: writers clone, change the clone and put it back, so readers may
// marshal what they got after releasing the lock.
type store struct {
	mu     sync.RWMutex
	tables map[Key]map[string]any // Key.Table() -> name -> object
	nextID uint64
	// fpSeq numbers fingerprints. It is the server's own and is saved
	// with the state, so a restarted emulator does not hand out a
	// fingerprint a client may still hold as stale.
	fpSeq uint64
	// gen counts committed writes, so a follower (the dataplane) can poll
	// for change at the cost of an atomic load instead of a full dump.
	gen atomic.Uint64
}

func newStore() *store { return &store{tables: map[Key]map[string]any{}, nextID: 1000} }

// tx is the view a handler works on while it holds the store's lock. In a
// dry run (the synchronous validation before an operation is queued) writes
// are dropped and quota is not charged.
type tx struct {
	s   *store
	dry bool
	// reserved are ids handed out before the write: the id an operation's
	// first answer gave as targetId, for the resource its insert creates.
	reserved map[Key]uint64
	// internalIPs, when set, holds the internal addresses in use per
	// project, kept up to date by the one writer that sets it
	// (SeedInstances): seeding N VMs then costs O(N), not a scan of every
	// VM per VM (1,200 VMs took seconds under the race detector).
	internalIPs map[string]map[string]bool
	// internalFrom is where the search for a free address of a subnet
	// resumes while internalIPs is kept: nothing is freed meanwhile.
	internalFrom map[string]netip.Addr
}

func (t *tx) get(k Key) (any, bool) {
	o, ok := t.s.tables[k.Table()][k.Name]
	return o, ok
}

func (t *tx) exists(k Key) bool { _, ok := t.get(k); return ok }

func (t *tx) put(k Key, obj any) {
	if t.dry {
		return
	}
	tbl := t.s.tables[k.Table()]
	if tbl == nil {
		tbl = map[string]any{}
		t.s.tables[k.Table()] = tbl
	}
	tbl[k.Name] = obj
	t.s.gen.Add(1)
}

func (t *tx) del(k Key) {
	if t.dry {
		return
	}
	delete(t.s.tables[k.Table()], k.Name)
	t.s.gen.Add(1)
}

// newID hands out a resource id. Dry runs do not consume ids.
func (t *tx) newID() uint64 {
	if t.dry {
		return 0
	}
	t.s.nextID++
	return t.s.nextID
}

// idFor is the id of a new resource k: the one reserved for it, or a new one.
func (t *tx) idFor(k Key) uint64 {
	if id := t.reserved[k]; id != 0 && !t.dry {
		return id
	}
	return t.newID()
}

// targetID is the id an operation on k reports from its first answer:
// the resource's, or one reserved for the resource an insert creates.
func (s *store) targetID(k Key) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.tables[k.Table()][k.Name]; ok {
		return idOf(o)
	}
	s.nextID++
	return s.nextID
}

// fingerprint is an opaque token, 8 bytes in base64 as GCE's, that differs
// on every write: two writes in the same clock tick must not share one, or
// a stale fingerprint would pass. Dry runs do not consume the sequence.
func (t *tx) fingerprint() string {
	if t.dry {
		return ""
	}
	t.s.fpSeq++
	x := t.s.fpSeq
	// splitmix64's finaliser: a bijection, so distinct counters give
	// distinct fingerprints, which still look as random as GCE's.
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], x)
	return base64.StdEncoding.EncodeToString(b[:])
}

// list returns the objects of one collection in one scope, sorted by name.
func (t *tx) list(table Key) []any {
	tbl := t.s.tables[table]
	names := make([]string, 0, len(tbl))
	for n := range tbl {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = tbl[n]
	}
	return out
}

// count is the number of objects in a collection across the scopes that match.
func (t *tx) count(project, collection string, kind ScopeKind, location string) int {
	n := 0
	for tk, tbl := range t.s.tables {
		if tk.Project == project && tk.Collection == collection && (location == "" || tk.Location == location) && tk.Kind == kind {
			n += len(tbl)
		}
	}
	return n
}

// scan calls fn for every object of a collection in a project, any scope.
func (t *tx) scan(project, collection string, fn func(k Key, obj any)) {
	for tk, tbl := range t.s.tables {
		if tk.Project != project || tk.Collection != collection {
			continue
		}
		for n, o := range tbl {
			k := tk
			k.Name = n
			fn(k, o)
		}
	}
}

func (s *store) read(fn func(t *tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(&tx{s: s, dry: true})
}

func (s *store) write(fn func(t *tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&tx{s: s})
}

// getAs fetches a typed object or GCE's notFound.
func getAs[T any](t *tx, k Key) (*T, error) {
	o, ok := t.get(k)
	if !ok {
		return nil, errNotFound(k)
	}
	v, ok := o.(*T)
	if !ok {
		return nil, errNotFound(k)
	}
	return v, nil
}

// clone deep-copies a resource through its JSON form, which is exactly the
// part of it the API exposes.
func clone[T any](v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		panic("fakecompute: resource does not marshal: " + err.Error())
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		panic("fakecompute: resource does not unmarshal: " + err.Error())
	}
	return out
}
