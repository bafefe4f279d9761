package gceapi

import (
	"context"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// Reads of regional addresses come in waves: a load balancer reads its
// address right after reserving it, and the operation waiter wakes every
// reservation that one poll found DONE at once (about five a second in a
// burst of 100 load balancers, which made 100 GETs of the burst's 250
// reads). GetAddress therefore joins its region's next batch: one
// addresses.list filtered by the batch's names, which begins after every
// member's call, so each reads at least what its own reservation made.
const (
	// addressGather is how long a batch waits for the other reads of its
	// wave: the waiter wakes them within microseconds of each other; 50 ms
	// is a fortieth of an operation's latency.
	addressGather = 50 * time.Millisecond
)

type addressBatches struct {
	mu      sync.Mutex
	next    map[string]*addressBatch // region -> batch gathering names
	running map[string]chan struct{} // region -> closed when its list in flight ends
}

type addressBatch struct {
	names map[string]bool
	done  chan struct{}
	got   map[string]*computepb.Address
	err   error
}

// getAddress reads one address through its region's next batch.
func (c *Client) getAddress(ctx context.Context, region, name string) (*computepb.Address, error) {
	ab := &c.addressBatches
	ab.mu.Lock()
	if ab.next == nil {
		ab.next, ab.running = map[string]*addressBatch{}, map[string]chan struct{}{}
	}
	b := ab.next[region]
	if b == nil || len(b.names) >= maxNamesPerList {
		b = &addressBatch{names: map[string]bool{}, done: make(chan struct{})}
		if !c.waiter.background(context.WithoutCancel(ctx), func(ctx context.Context) { c.runAddressBatch(ctx, region, b) }) {
			ab.mu.Unlock()
			return nil, fmt.Errorf("gce addresses.get %s: %w", regional(region, "addresses", name), errClosed)
		}
		ab.next[region] = b
	}
	b.names[name] = true
	ab.mu.Unlock()
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if b.err != nil {
		return nil, b.err
	}
	if a := b.got[name]; a != nil {
		return a, nil
	}
	target := regional(region, "addresses", name)
	return nil, &Error{Kind: KindNotFound, Call: "addresses.get", Target: target,
		Err: fmt.Errorf("address %s is not in a list of the region's addresses begun after the read", name)}
}

// runAddressBatch gathers, waits for the region's list in flight, then
// closes the batch to new names and lists it.
func (c *Client) runAddressBatch(ctx context.Context, region string, b *addressBatch) {
	defer close(b.done)
	time.Sleep(addressGather)
	ab := &c.addressBatches
	for {
		ab.mu.Lock()
		prev := ab.running[region]
		if prev == nil {
			break
		}
		ab.mu.Unlock()
		<-prev
	}
	mine := make(chan struct{})
	ab.running[region] = mine
	if ab.next[region] == b {
		delete(ab.next, region)
	}
	names := make([]string, 0, len(b.names))
	for n := range b.names {
		names = append(names, n)
	}
	ab.mu.Unlock()
	defer func() {
		ab.mu.Lock()
		delete(ab.running, region)
		ab.mu.Unlock()
		close(mine)
	}()
	filter := NamesFilter(names)
	list, err := readOne(c, ctx, "addresses.list", regional(region, "addresses", ""), func(ctx context.Context) ([]*computepb.Address, error) {
		return collect(c.addresses.List(ctx, &computepb.ListAddressesRequest{Project: c.Project, Region: region,
			MaxResults: proto.Uint32(pageSize), Filter: &filter}, noRetry))
	})
	b.got, b.err = map[string]*computepb.Address{}, err
	for _, a := range list {
		b.got[a.GetName()] = a
	}
}
