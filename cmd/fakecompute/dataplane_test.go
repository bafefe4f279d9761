package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gce-ccm/gce-ccm/test/dataplane"
)

// --dataplane: the binary carries its VMs in namespaces, serves the dump,
// and removes every namespace on a clean shutdown.
func TestBinaryDataplane(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("--dataplane needs root (network namespaces); CI runs it as root")
	}
	bin := buildBinary(t)
	st := start(t, bin, "--dataplane", "--seed-instances", "2")
	var d dataplane.Dump
	getJSON(t, st.url+dataplanePath, &d)
	if len(d.VMs) != 2 || d.VMs[0].Namespace == "" || !d.VMs[0].Plugged {
		t.Fatalf("dump VMs: %+v", d.VMs)
	}
	ns := d.VMs[0].Namespace
	if out, err := exec.Command("ip", "netns", "list").Output(); err != nil || !strings.Contains(string(out), ns) {
		t.Fatalf("namespace %s not listed (%v): %s", ns, err, out)
	}
	st.stop(t)
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), ns) {
		t.Errorf("namespace %s left after shutdown", ns)
	}
	if !strings.Contains(st.out.String(), "dataplane: fabric namespace") {
		t.Errorf("no dataplane line in the banner:\n%s", st.out.String())
	}
}
