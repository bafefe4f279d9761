// Package runner holds the loops gce-ccm's controllers share: a function
// run once per period, workers draining a queue, an informer handler that
// queues an object's key, and an event broadcaster's lifetime.
package runner

import (
	"context"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
)

// Every calls f once per period until ctx ends. The first call comes one
// period after the start; a call that outlasts the period delays the next
// one (the ticker drops the ticks it missed), so calls never overlap.
func Every(ctx context.Context, period time.Duration, f func(ctx context.Context)) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// Workers starts n goroutines, each calling next until it returns false
// (next returns false once the queue is shut down). stop shuts the queue
// down and waits for every worker to return.
func Workers(n int, queue interface{ ShutDown() }, next func() bool) (stop func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for next() {
			}
		})
	}
	return func() {
		queue.ShutDown()
		wg.Wait()
	}
}

// Enqueue is an informer handler that adds an object's key to queue; a
// deleted object's key too (from its tombstone).
func Enqueue(queue interface{ Add(string) }) func(obj any) {
	return func(obj any) {
		key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
		if err != nil {
			utilruntime.HandleError(err)
			return
		}
		queue.Add(key)
	}
}

// WatchNodes queues the name of every node the informer adds or deletes,
// and of every node an update changes in a way that matters: unchanged
// true skips an update (status heartbeats, which come every few seconds).
func WatchNodes(nodes coreinformers.NodeInformer, queue interface{ Add(string) }, unchanged func(old, cur *v1.Node) bool) error {
	enqueue := Enqueue(queue)
	_, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue,
		UpdateFunc: func(oldObj, newObj any) {
			o, okOld := oldObj.(*v1.Node)
			n, okNew := newObj.(*v1.Node)
			if okOld && okNew && unchanged(o, n) {
				return
			}
			enqueue(newObj)
		},
		DeleteFunc: enqueue,
	})
	return err
}

// RecordEvents starts writing b's Events to the API server through kube
// and logging each at verbosity v; stop ends both.
func RecordEvents(b record.EventBroadcaster, kube kubernetes.Interface, v klog.Level) (stop func()) {
	b.StartStructuredLogging(v)
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: kube.CoreV1().Events("")})
	return b.Shutdown
}
