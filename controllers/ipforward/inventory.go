package ipforward

import (
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceref"
)

// inventory is the controller's copy of the project's VMs: the last bulk
// read, plus what single reads and updates learnt since. It lets a node
// sync cost no API read when the bulk read is fresh.
type inventory struct {
	mu       sync.RWMutex
	listedAt time.Time // start of the last successful bulk read; zero: none yet
	vms      map[gceref.Key]vmRecord
}

// vmRecord is one VM as last seen; inst nil means it was seen not to exist.
type vmRecord struct {
	inst *computepb.Instance
	at   time.Time // when it was read (a bulk read counts from its start)
}

type lookupResult int

const (
	cacheMiss   lookupResult = iota // not known, or too old: read it
	cacheHit                        // known and fresh
	cacheAbsent                     // known not to exist
)

// newNodeMargin: a node created less than this before a bulk read started
// may run on a VM the read missed (clocks of the API server and of this
// process differ too), so its absence proves nothing.
const newNodeMargin = time.Minute

func newInventory() *inventory { return &inventory{vms: map[gceref.Key]vmRecord{}} }

// lookup answers from the inventory when it can. A VM absent from a fresh
// bulk read does not exist if its node is older than that read: a node's
// VM exists before the kubelet on it can register the node.
func (v *inventory) lookup(vm gceref.Key, nodeCreated, now time.Time, ttl time.Duration) (*computepb.Instance, lookupResult) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if r, ok := v.vms[vm]; ok && now.Sub(r.at) < ttl {
		if r.inst == nil {
			return nil, cacheAbsent
		}
		return r.inst, cacheHit
	}
	if !v.listedAt.IsZero() && now.Sub(v.listedAt) < ttl && nodeCreated.Add(newNodeMargin).Before(v.listedAt) {
		if _, ok := v.vms[vm]; !ok {
			return nil, cacheAbsent
		}
	}
	return nil, cacheMiss
}

// replace installs a bulk read that started at started. Records written
// after it started (a GET, an update) are newer than what it returned and
// are kept.
func (v *inventory) replace(insts []*computepb.Instance, started time.Time) {
	next := make(map[gceref.Key]vmRecord, len(insts))
	for _, inst := range insts {
		vm, err := gceref.ParseRef(inst.GetSelfLink(), "instances", gceref.Defaults{})
		if err != nil {
			continue
		}
		next[vm] = vmRecord{inst: slim(inst), at: started}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for vm, r := range v.vms {
		if r.at.After(started) {
			next[vm] = r
		}
	}
	v.vms, v.listedAt = next, started
}

// put records one VM as read at at; inst nil records that it does not exist.
func (v *inventory) put(vm gceref.Key, inst *computepb.Instance, at time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.vms[vm] = vmRecord{inst: inst, at: at}
}

// slim keeps of a VM that forwards only what decisions read: at 5,000 VMs
// the full resources would be most of the controller's memory. A VM that
// does not forward keeps its full resource, which the update sends back.
func slim(inst *computepb.Instance) *computepb.Instance {
	if !inst.GetCanIpForward() {
		return inst
	}
	return &computepb.Instance{Name: inst.Name, SelfLink: inst.SelfLink, Zone: inst.Zone, Status: inst.Status,
		CanIpForward: inst.CanIpForward, Fingerprint: inst.Fingerprint}
}
