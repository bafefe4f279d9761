package lb

import (
	"context"
	"sync"
)

// sharedCheckUsers is the in-process half of the shared health check's
// ownership: it counts the syncs between observing the check and
// attaching it. A sync never waits on another sync's GCE calls, except
// while the check is being deleted (one delete of the check and one of
// its firewall): a sync starting then would observe a check about to go.
type sharedCheckUsers struct {
	mu       sync.Mutex
	users    int
	deleting chan struct{} // closed when the deletion in progress ends; nil: none
}

// enter registers a sync that may attach the shared check; leave must be
// called once its plan is applied.
func (s *sharedCheckUsers) enter(ctx context.Context) (leave func(), err error) {
	for {
		s.mu.Lock()
		ch := s.deleting
		if ch == nil {
			s.users++
			s.mu.Unlock()
			return s.leave, nil
		}
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *sharedCheckUsers) leave() {
	s.mu.Lock()
	s.users--
	s.mu.Unlock()
}

// deleting runs del, which deletes the check, unless decide (given the
// number of syncs about to attach it) says no; syncs entering meanwhile
// wait for the deletion to end.
func (s *sharedCheckUsers) deleteIf(decide func(attaching int) (bool, error), del func() error) error {
	s.mu.Lock()
	if s.deleting != nil {
		// Another deletion of the check is running: it does the job.
		s.mu.Unlock()
		return nil
	}
	attaching := s.users
	ch := make(chan struct{})
	s.deleting = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.deleting = nil
		close(ch)
		s.mu.Unlock()
	}()
	ok, err := decide(attaching)
	if err != nil || !ok {
		return err
	}
	return del()
}
