package lb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gce-ccm/gce-ccm/providers/gce/gceapi"
	"github.com/gce-ccm/gce-ccm/providers/gce/lb/plan"
)

func TestPlanPoolBatchIsGCEs(t *testing.T) {
	if plan.MaxPoolUpdate != gceapi.MaxPoolUpdate {
		t.Fatalf("plan batches %d instances per pool update, gceapi accepts %d", plan.MaxPoolUpdate, gceapi.MaxPoolUpdate)
	}
}

func TestSharedCheckUsers(t *testing.T) {
	var s sharedCheckUsers
	ctx := context.Background()
	leave, err := s.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A sync is about to attach the check: the decision is told so.
	var told int
	deleted := false
	if err := s.deleteIf(func(n int) (bool, error) { told = n; return n == 0, nil }, func() error { deleted = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if told != 1 || deleted {
		t.Fatalf("decision told %d attaching syncs, deleted %v; want 1, false", told, deleted)
	}
	leave()

	// A sync entering during a deletion waits for it to end.
	inDelete, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.deleteIf(func(int) (bool, error) { return true, nil }, func() error { close(inDelete); <-release; return nil })
	}()
	<-inDelete
	entered := make(chan struct{})
	go func() {
		l, err := s.enter(ctx)
		if err == nil {
			l()
		}
		close(entered)
	}()
	select {
	case <-entered:
		t.Fatal("a sync entered while the shared check was being deleted")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-entered

	// A cancelled sync stops waiting.
	inDelete, release = make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.deleteIf(func(int) (bool, error) { return true, nil }, func() error { close(inDelete); <-release; return nil })
	}()
	<-inDelete
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.enter(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("enter with a cancelled context: %v", err)
	}
	close(release)
}
