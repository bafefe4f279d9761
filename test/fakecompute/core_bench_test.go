package fakecompute_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/option"
	"google.golang.org/protobuf/proto"

	"github.com/gce-ccm/gce-ccm/test/fakecompute"
)

// Benchmarks of the emulator over loopback with the apiv1 client, client
// cost included (it shares the CPUs, as in a unit test). Targets on two
// cores: at least 10,000 routes.get/s and 2,000 completed inserts/s.
//
//	go test -run '^$' -bench . -benchtime 5s ./test/fakecompute/

// reportThroughput adds the wall-clock rate and, where the process CPU
// time is known, the CPU cost per operation and the rate two dedicated
// cores would sustain (2 s of CPU per second / CPU per operation).
func reportThroughput(b *testing.B, cpuStart time.Duration, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
	if cpu := processCPU() - cpuStart; cpuStart > 0 && cpu > 0 {
		perOp := cpu.Seconds() / float64(b.N)
		b.ReportMetric(perOp*1e6, "cpu-µs/op")
		b.ReportMetric(2/perOp, unit+"/s@2cpu")
	}
}

// benchParallelism goroutines per GOMAXPROCS: loopback requests spend
// most of their time waiting, so a few per core keep the CPUs busy.
const benchParallelism = 4

// benchClient is an apiv1 routes client whose transport keeps enough idle
// connections for the parallel goroutines; the default keeps two per host
// and would measure TCP handshakes instead of the emulator.
func benchClient(b *testing.B, ts *fakecompute.TestServer) *compute.RoutesClient {
	b.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	opts := append(ts.ClientOptions(), option.WithHTTPClient(&http.Client{Transport: tr}))
	rc, err := compute.NewRoutesRESTClient(context.Background(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rc.Close(); tr.CloseIdleConnections() })
	return rc
}

// BenchmarkGet measures routes.get of a route whose next hop is a VM (so
// the warning computation runs), in parallel.
func BenchmarkGet(b *testing.B) {
	ts := fakecompute.NewTestServer(b, fakecompute.Options{})
	if _, err := ts.SeedInstances(fakecompute.InstanceSeed{Name: "vm", Zone: zoneA, CanIPForward: true}); err != nil {
		b.Fatal(err)
	}
	rc := benchClient(b, ts)
	ctx := context.Background()
	op, err := rc.Insert(ctx, routeReq("bench", "10.0.0.0/24", "vm"))
	if err != nil {
		b.Fatal(err)
	}
	if err := op.Wait(ctx); err != nil {
		b.Fatal(err)
	}
	req := &computepb.GetRouteRequest{Project: project, Route: "bench"}
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := rc.Get(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportThroughput(b, cpu, "gets")
}

// BenchmarkInsertUntilDone measures routes.insert plus the operation poll
// apiv1's Wait always makes, with zero operation latency, in parallel.
func BenchmarkInsertUntilDone(b *testing.B) {
	ts := fakecompute.NewTestServer(b, fakecompute.Options{})
	rc := benchClient(b, ts)
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	cpu := processCPU()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			op, err := rc.Insert(ctx, &computepb.InsertRouteRequest{Project: project, RouteResource: &computepb.Route{
				Name: proto.String(fmt.Sprintf("r-%d", i)), Network: proto.String("global/networks/default"),
				DestRange: proto.String(fmt.Sprintf("10.%d.%d.0/24", i>>8&255, i&255)), NextHopIp: proto.String("10.128.0.9")}})
			if err == nil {
				err = op.Wait(ctx)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportThroughput(b, cpu, "inserts")
}
