package fakecompute_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// TestConcurrentWriters: 50 writers insert distinct routes while 10 race
// for one name and readers list; every distinct insert lands, exactly one
// racer wins, and the race detector finds nothing (run with -race).
func TestConcurrentWriters(t *testing.T) {
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run(fmt.Sprintf("latency %v", latency), func(t *testing.T) {
			e := newEnv(t, fakecompute.Options{OperationLatency: latency})
			e.seed(fakecompute.InstanceSeed{Name: "vm", Zone: zoneA, CanIPForward: true})
			const writers, racers = 50, 10
			var wg sync.WaitGroup
			start := make(chan struct{})
			distinct := make([]error, writers)
			contested := make([]error, racers)
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					op, err := e.routes.Insert(e.ctx, routeReq(fmt.Sprintf("w-%02d", i), fmt.Sprintf("10.1.%d.0/24", i), "vm"))
					if err == nil {
						err = op.Wait(e.ctx)
					}
					distinct[i] = err
				}()
			}
			for i := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					op, err := e.routes.Insert(e.ctx, routeReq("contested", fmt.Sprintf("10.2.%d.0/24", i), "vm"))
					if err == nil {
						err = op.Wait(e.ctx)
					}
					contested[i] = err
				}()
			}
			stop := make(chan struct{})
			var readers sync.WaitGroup
			for range 3 {
				readers.Add(1)
				go func() {
					defer readers.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := e.legacy.Routes.List(project).Filter(`name eq "w-.*"`).Do(); err != nil {
							t.Errorf("list while writing: %v", err)
							return
						}
					}
				}()
			}
			close(start)
			wg.Wait()
			close(stop)
			readers.Wait()

			for i, err := range distinct {
				if err != nil {
					t.Errorf("writer %d: %v", i, err)
				}
			}
			winners := 0
			for i, err := range contested {
				switch s := summarize(err); {
				case err == nil:
					winners++
				case s.Code != 409:
					// Losers are refused at once (alreadyExists) or, when
					// they passed validation before the winner landed, by
					// their operation (ALREADY_EXISTS, 409).
					t.Errorf("racer %d: %v, want a 409", i, err)
				}
			}
			if winners != 1 {
				t.Errorf("%d racers won, want exactly 1", winners)
			}
			names := e.userRouteNames("")
			if len(names) != writers+1 {
				t.Errorf("%d routes, want %d", len(names), writers+1)
			}
			if diff := cmp.Diff(writers, len(e.routeNames(`name eq "w-.*"`))); diff != "" {
				t.Errorf("distinct routes (-want +got)\n%s", diff)
			}
		})
	}
}
