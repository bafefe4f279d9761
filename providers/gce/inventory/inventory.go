// Package inventory is the process's one copy of the project's VMs: one
// aggregated list keyed by gceref.Key, shared by the provider (node
// metadata), the load balancers (node tags, the VMs of nodes without a
// providerID) and the ipforward controller (canIpForward).
package inventory

import (
	"context"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/flight"
	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// MaxAge is the one freshness rule: what a list or a read said is trusted
// for two minutes. Why two: nothing that reads the inventory reacts to a
// change of a VM faster than that (the cloud-node controller re-reads node
// metadata every 5 minutes, the ipforward controller resyncs every 5, the
// load balancers read tags only when they sync), so a newer copy would buy
// nothing, while at 5,000 VMs one list is about ten reads (500 VMs a page):
// at most one list per 2 minutes is 5 reads a minute of the project's
// 1,500. Whoever must see a VM newer than the last list (one it does not
// hold, a periodic resync) asks for a new list with Relist.
const MaxAge = 2 * time.Minute

// Lister is the API call the inventory is built from.
type Lister interface {
	AggregatedListInstances(ctx context.Context, filter string) ([]*computepb.Instance, error)
}

// Inventory holds the VMs of the last list, plus what single reads and
// writes learnt since. Build it with New.
type Inventory struct {
	api   Lister
	now   func() time.Time
	lists flight.Group[int] // one list in flight, shared by its callers

	mu       sync.RWMutex
	listedAt time.Time // start of the last successful list; zero: none yet
	vms      map[gceref.Key]record
	keepFull bool
	strings  interner
}

// record is one VM as last seen; vm nil means it was seen not to exist.
type record struct {
	vm *VM
	at time.Time // when it was read (a list counts from its start)
}

// Result says what Lookup knows of a VM.
type Result int

const (
	Miss   Result = iota // not known, or too old: read it
	Hit                  // known and fresh
	Absent               // known not to exist
)

// New builds an empty inventory listing through api.
func New(api Lister) *Inventory {
	return &Inventory{api: api, now: time.Now, vms: map[gceref.Key]record{}, strings: interner{}}
}

// KeepFullWhenNotForwarding makes every VM that does not forward keep its
// whole resource from now on (VM.Full): the ipforward controller turns
// canIpForward on with an instances.update that sends the whole resource
// back, and keeping it saves one GET per such VM. Without it a VM record
// is a few hundred bytes; a whole resource is about ten times that.
func (v *Inventory) KeepFullWhenNotForwarding() {
	v.mu.Lock()
	v.keepFull = true
	v.mu.Unlock()
}

// Lookup answers from memory alone. A VM missing from a list that began
// after existedBy (a time by which the VM surely existed; zero: unknown)
// is gone: such a list would have returned it.
func (v *Inventory) Lookup(vm gceref.Key, existedBy time.Time) (*VM, Result) {
	now := v.now()
	v.mu.RLock()
	defer v.mu.RUnlock()
	if r, ok := v.vms[vm]; ok && now.Sub(r.at) < MaxAge {
		if r.vm == nil {
			return nil, Absent
		}
		return r.vm, Hit
	}
	if !existedBy.IsZero() && v.fresh(now) && existedBy.Before(v.listedAt) {
		if _, ok := v.vms[vm]; !ok {
			return nil, Absent
		}
	}
	return nil, Miss
}

func (v *Inventory) fresh(now time.Time) bool {
	return !v.listedAt.IsZero() && now.Sub(v.listedAt) < MaxAge
}

// Current makes sure the last list is at most MaxAge old, listing (or
// joining the list in flight) if it is not.
func (v *Inventory) Current(ctx context.Context) error {
	v.mu.RLock()
	ok := v.fresh(v.now())
	v.mu.RUnlock()
	if ok {
		return nil
	}
	_, err := v.lists.Do(ctx, time.Time{}, v.list)
	return err
}

// Relist lists the project's VMs in a list that began after the call, and
// returns how many it holds.
func (v *Inventory) Relist(ctx context.Context) (int, error) {
	return v.lists.Do(ctx, time.Now(), v.list)
}

// list reads every VM of the project and installs them.
func (v *Inventory) list(ctx context.Context) (int, error) {
	started := v.now()
	insts, err := v.api.AggregatedListInstances(ctx, "")
	if err != nil {
		return 0, err
	}
	v.install(insts, started)
	return len(insts), nil
}

// install replaces the records with a list that began at started. Records
// read after it began (a GET, an update) are newer than what it returned
// and are kept.
func (v *Inventory) install(insts []*computepb.Instance, started time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.strings = interner{} // only the strings of VMs that still exist
	next := make(map[gceref.Key]record, len(insts))
	for _, inst := range insts {
		if vm, err := gceref.ParseRef(inst.GetSelfLink(), "instances", gceref.Defaults{}); err == nil {
			next[v.strings.key(vm)] = record{vm: v.slim(inst), at: started}
		}
	}
	for vm, r := range v.vms {
		if r.at.After(started) {
			next[vm] = r
		}
	}
	v.vms, v.listedAt = next, started
}

// Put records one VM as read at at and returns its record; inst nil
// records that it does not exist.
func (v *Inventory) Put(vm gceref.Key, inst *computepb.Instance, at time.Time) *VM {
	v.mu.Lock()
	defer v.mu.Unlock()
	r := record{at: at}
	if inst != nil {
		r.vm = v.slim(inst)
	}
	v.vms[v.strings.key(vm)] = r
	return r.vm
}
