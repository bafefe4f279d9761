package gce

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	restclient "k8s.io/client-go/rest"
)

// Initialize starts the provider's event broadcaster (the writer to the
// API server, the log writer, the distributor); closing stop, the
// controller manager's stop channel, ends every one of them.
func TestInitializeHonoursStop(t *testing.T) {
	// Other tests' broadcasters end when their test does; wait for that.
	waitFor(t, "no event broadcaster running", func() bool { return broadcasterGoroutines() == 0 })
	kube := fake.NewClientset()
	stop := make(chan struct{})
	c := &Cloud{}
	c.Initialize(builder{kube}, stop)
	c.recorder.Event(&v1.ObjectReference{Kind: "Node", Name: "node-a"}, v1.EventTypeNormal, "Test", "while running")
	waitFor(t, "the event written", func() bool {
		evs, err := kube.CoreV1().Events("").List(context.Background(), metav1.ListOptions{})
		return err == nil && len(evs.Items) == 1
	})
	if n := broadcasterGoroutines(); n == 0 {
		t.Fatal("no broadcaster goroutine found while running: the probe sees nothing")
	}
	close(stop)
	waitFor(t, "every broadcaster goroutine gone after stop", func() bool { return broadcasterGoroutines() == 0 })
}

// broadcasterGoroutines counts the goroutines running client-go's event
// recording or the watch broadcaster under it.
func broadcasterGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("k8s.io/client-go/tools/record.")) || bytes.Contains(g, []byte("k8s.io/apimachinery/pkg/watch.(*Broadcaster)")) {
			n++
		}
	}
	return n
}

// waitFor polls a condition; the deadline bounds a wait for state on a
// loaded machine, it is not a performance claim.
func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, time.Minute, true,
		func(context.Context) (bool, error) { return f(), nil })
	if err != nil {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// builder hands out one client, as the controller manager's builder does.
type builder struct{ kube kubernetes.Interface }

func (b builder) Config(string) (*restclient.Config, error)   { return &restclient.Config{}, nil }
func (b builder) ConfigOrDie(string) *restclient.Config       { return &restclient.Config{} }
func (b builder) Client(string) (kubernetes.Interface, error) { return b.kube, nil }
func (b builder) ClientOrDie(string) kubernetes.Interface     { return b.kube }
