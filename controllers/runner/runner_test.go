package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// TestEveryRepeatsUntilCancelled: f runs again and again, and Every returns
// once ctx ends.
func TestEveryRepeatsUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		Every(ctx, time.Millisecond, func(context.Context) {
			if calls.Add(1) == 3 {
				cancel()
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("Every did not return after its context ended")
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("%d calls, want 3 (none after the cancel)", n)
	}
}

// TestWorkersDrainAndStop: every queued key is processed once, and stop
// returns only after the workers have.
func TestWorkersDrainAndStop(t *testing.T) {
	q := workqueue.NewTyped[string]()
	var mu sync.Mutex
	seen := map[string]int{}
	var running atomic.Int32
	next := func() bool {
		k, quit := q.Get()
		if quit {
			return false
		}
		running.Add(1)
		defer running.Add(-1)
		defer q.Done(k)
		mu.Lock()
		seen[k]++
		mu.Unlock()
		return true
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		q.Add(k)
	}
	stop := Workers(3, q, next)
	for deadline := time.Now().Add(time.Minute); q.Len() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the queue was not drained")
		}
	}
	stop()
	if running.Load() != 0 {
		t.Error("stop returned while a worker was processing")
	}
	if !q.ShuttingDown() {
		t.Error("stop did not shut the queue down")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, k := range []string{"a", "b", "c", "d"} {
		if seen[k] != 1 {
			t.Errorf("%s processed %d times, want once (%v)", k, seen[k], seen)
		}
	}
}

// TestEnqueueTakesTombstones: a live object and a deleted one (as the
// informer hands it over) are queued under their namespace/name key.
func TestEnqueueTakesTombstones(t *testing.T) {
	q := workqueue.NewTyped[string]()
	defer q.ShutDown()
	add := Enqueue(q)
	add(&v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}})
	add(cache.DeletedFinalStateUnknown{Key: "n2", Obj: &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}})
	add("not an object") // refused, logged, nothing queued
	var got []string
	for q.Len() > 0 {
		k, _ := q.Get()
		got = append(got, k)
		q.Done(k)
	}
	if len(got) != 2 || got[0] != "n1" || got[1] != "n2" {
		t.Errorf("queued %v, want [n1 n2]", got)
	}
}

// TestWatchNodesSkipsUnchangedUpdates: adds, deletes and updates that
// matter are queued; an update unchanged calls a heartbeat is not.
func TestWatchNodesSkipsUnchangedUpdates(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kube := fake.NewClientset()
	factory := informers.NewSharedInformerFactory(kube, 0)
	q := workqueue.NewTyped[string]()
	defer q.ShutDown()
	unchanged := func(o, n *v1.Node) bool { return o.Labels["x"] == n.Labels["x"] }
	if err := WatchNodes(factory.Core().V1().Nodes(), q, unchanged); err != nil {
		t.Fatal(err)
	}
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	nodes := kube.CoreV1().Nodes()
	next := func(want string) {
		t.Helper()
		k, _ := q.Get()
		q.Done(k)
		if k != want {
			t.Fatalf("queued %q, want %q", k, want)
		}
	}
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: map[string]string{"x": "1"}}}
	if _, err := nodes.Create(ctx, n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	next("n1")
	n.Status.Phase = v1.NodeRunning // a heartbeat: unchanged
	if _, err := nodes.Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	n2 := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n2"}}
	if _, err := nodes.Create(ctx, n2, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	next("n2") // not n1: its heartbeat was skipped (events arrive in order)
	n.Labels["x"] = "2"
	if _, err := nodes.Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	next("n1")
	if err := nodes.Delete(ctx, "n2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	next("n2")
}
