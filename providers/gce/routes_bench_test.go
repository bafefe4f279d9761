package gce

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	cloudprovider "k8s.io/cloud-provider"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// BenchmarkCreate1000Routes creates 1,000 routes through the provider the
// way the route controller does (up to 200 concurrent CreateRoute calls)
// against the emulator at 1 s operation latency and GCE's default
// 1,500 mutations and 1,500 reads per minute. The lower bound is the write
// quota: 1,000 writes at 25/s, plus one operation latency (41 s).
//
//	go test -run '^$' -bench Create1000Routes -benchtime 1x ./providers/gce/
func BenchmarkCreate1000Routes(b *testing.B) {
	const (
		n       = 1000
		latency = time.Second
		perMin  = 1500
	)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newBenchEnv(b, latency)
		seeds := make([]fakecompute.InstanceSeed, n)
		for j := range seeds {
			seeds[j] = fakecompute.InstanceSeed{Name: fmt.Sprintf("node-%04d", j), Zone: "us-central1-a", CanIPForward: true}
		}
		if _, err := e.gce.SeedInstances(seeds...); err != nil {
			b.Fatal(err)
		}
		for _, s := range seeds {
			_ = e.nodes.Add(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: s.Name}, Spec: v1.NodeSpec{ProviderID: "gce://demo/us-central1-a/" + s.Name}})
		}
		e.gce.SetRateLimits(fakecompute.RateLimits{ReadsPerMinute: perMin, MutationsPerMinute: perMin})
		e.gce.ResetStats()
		b.StartTimer()
		start := time.Now()
		if _, err := e.cloud.ListRoutes(context.Background(), "bench"); err != nil {
			b.Fatal(err)
		}
		sem := make(chan struct{}, 200)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		for j := 0; j < n; j++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(j int) {
				defer wg.Done()
				defer func() { <-sem }()
				err := e.cloud.CreateRoute(context.Background(), "bench", "", &cloudprovider.Route{
					TargetNode: types.NodeName(fmt.Sprintf("node-%04d", j)), DestinationCIDR: fmt.Sprintf("10.%d.%d.0/24", 64+j/256, j%256)})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}(j)
		}
		wg.Wait()
		wall := time.Since(start)
		b.StopTimer()
		if firstErr != nil {
			b.Fatal(firstErr)
		}
		st := e.gce.Stats()
		bound := float64(n)/(perMin/60.0) + latency.Seconds()
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(bound, "bound-s")
		b.ReportMetric(wall.Seconds()/bound, "wall/bound")
		b.ReportMetric(float64(st.Mutations), "writes")
		b.ReportMetric(float64(st.Mutations)/n, "writes/min-writes")
		b.ReportMetric(float64(st.Reads), "reads")
		b.ReportMetric(float64(st.RateLimited), "rate-limited")
	}
}

func newBenchEnv(b *testing.B, latency time.Duration) *testEnv {
	e := newTestEnvTB(b, fakecompute.Options{OperationLatency: latency}, func(c *Config) { c.PollInterval = time.Second })
	return e
}
