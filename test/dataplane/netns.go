package dataplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Every namespace this package makes is named "<NamePrefix><pid>-...": the
// pid says which process owns it, so a new run removes those of dead
// processes (a crashed test) and never those of another live run.
const NamePrefix = "gcevpc"

const netnsDir = "/var/run/netns"

// ns is one named network namespace and a netlink handle inside it.
type ns struct {
	name   string
	handle netns.NsHandle
	nl     *netlink.Handle
}

// createNS makes a named namespace with lo up. It fails if the name exists:
// names carry our pid, so an existing one is a bug, not something to reuse.
func createNS(name string) (*ns, error) {
	var h netns.NsHandle
	err := onLockedThread(func() error {
		orig, err := netns.Get()
		if err != nil {
			return err
		}
		defer orig.Close()
		h, err = netns.NewNamed(name)
		if err != nil {
			return fmt.Errorf("create namespace %s: %w", name, err)
		}
		return netns.Set(orig)
	})
	if err != nil {
		return nil, err
	}
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		h.Close()
		_ = netns.DeleteNamed(name)
		return nil, fmt.Errorf("netlink in %s: %w", name, err)
	}
	n := &ns{name: name, handle: h, nl: nl}
	lo, err := nl.LinkByName("lo")
	if err == nil {
		err = nl.LinkSetUp(lo)
	}
	if err != nil {
		n.remove()
		return nil, fmt.Errorf("lo up in %s: %w", name, err)
	}
	return n, nil
}

// remove deletes the namespace; its interfaces (and their veth peers) go with it.
func (n *ns) remove() {
	if n == nil {
		return
	}
	n.nl.Close()
	n.handle.Close()
	_ = netns.DeleteNamed(n.name)
}

// onLockedThread runs fn on a goroutine locked to its OS thread. fn may
// switch the thread's namespace; if it returns an error after switching,
// the thread is left locked so the runtime discards it instead of reusing a
// thread in the wrong namespace.
func onLockedThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := fn()
		errc <- err
		if err == nil {
			runtime.UnlockOSThread()
		}
	}()
	return <-errc
}

// Do runs fn with the calling thread inside the named namespace. Sockets
// fn creates stay in that namespace after it returns: this is how clients
// and servers of the tests live in VM and pod namespaces.
func Do(name string, fn func() error) error {
	target, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("namespace %s: %w", name, err)
	}
	defer target.Close()
	var fnErr error
	err = onLockedThread(func() error {
		orig, err := netns.Get()
		if err != nil {
			return err
		}
		defer orig.Close()
		if err := netns.Set(target); err != nil {
			return fmt.Errorf("enter %s: %w", name, err)
		}
		fnErr = fn()
		return netns.Set(orig)
	})
	if err != nil {
		return err
	}
	return fnErr
}

// sysctl writes /proc/sys/<key> inside a namespace (net.* is per namespace).
func sysctl(name, key, value string) error {
	return Do(name, func() error {
		p := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
		if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
			return fmt.Errorf("sysctl %s=%s in %s: %w", key, value, name, err)
		}
		return nil
	})
}

// nft loads a ruleset into a namespace's nftables in one transaction.
func nft(ctx context.Context, name, ruleset string) error {
	out, err := nftCmd(ctx, name, strings.NewReader(ruleset), "-f", "-")
	if err != nil {
		return fmt.Errorf("nft -f in %s: %w: %s", name, err, firstLines(out, 5))
	}
	return nil
}

// nftCmd runs nft inside a namespace through `ip netns exec`.
func nftCmd(ctx context.Context, name string, stdin *strings.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", name, "nft"}, args...)...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// CheckTools says what this host lacks to run the dataplane.
func CheckTools() error {
	if os.Geteuid() != 0 {
		return errors.New("the dataplane needs root (network namespaces)")
	}
	for _, t := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(t); err != nil {
			return fmt.Errorf("the dataplane needs %q on PATH (Debian: iproute2, nftables): %w", t, err)
		}
	}
	return nil
}

// RemoveStale deletes namespaces with our prefix whose owning process is gone.
func RemoveStale() ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		pid, ok := ownerPID(e.Name())
		if !ok || processAlive(pid) {
			continue
		}
		if err := netns.DeleteNamed(e.Name()); err != nil {
			return removed, fmt.Errorf("remove stale namespace %s: %w", e.Name(), err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

func ownerPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, NamePrefix)
	if !ok {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(digits)
	return pid, err == nil
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func firstLines(b []byte, n int) string {
	lines := strings.SplitN(strings.TrimSpace(string(b)), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}
