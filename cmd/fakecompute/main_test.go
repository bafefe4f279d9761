package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles this command once per test into a temporary dir.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "fakecompute")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// started is a running emulator process and the base URL it announced.
type started struct {
	cmd    *exec.Cmd
	url    string
	done   chan error
	out    *strings.Builder // written by the reader goroutine; read after done
	exited bool
}

// start runs the binary on a free loopback port and waits until it is
// healthy. The process is stopped by its PID when the test ends.
func start(t *testing.T, bin string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	st := &started{cmd: cmd, done: make(chan error, 1), out: &strings.Builder{}}
	t.Cleanup(func() {
		if !st.exited {
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-st.done
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			st.out.WriteString(line + "\n")
			if u, ok := strings.CutPrefix(line, "fakecompute: listening on "); ok {
				urls <- u
			}
		}
		st.done <- cmd.Wait()
	}()
	select {
	case st.url = <-urls:
	case <-time.After(30 * time.Second):
		t.Fatal("the binary did not announce its address")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(st.url + "/_internal/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz never answered 200: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM to the PID and waits for a clean exit.
func (st *started) stop(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(st.cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-st.done:
		st.exited = true
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, st.out)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Metadata-Flavor", "Google")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

func instanceNames(t *testing.T, base string) []string {
	var agg struct {
		Items map[string]struct{ Instances []struct{ Name string } }
	}
	getJSON(t, base+"/compute/v1/projects/demo/aggregated/instances", &agg)
	var names []string
	for _, sc := range agg.Items {
		for _, i := range sc.Instances {
			names = append(names, i.Name)
		}
	}
	return names
}

func TestBinaryServesSavesAndRestores(t *testing.T) {
	bin := buildBinary(t)
	state := filepath.Join(t.TempDir(), "state.json")
	first := start(t, bin, "--seed-instances", "3", "--state-file", state, "--metadata-instance", "us-central1-b/node-1")
	if names := instanceNames(t, first.url); len(names) != 3 {
		t.Fatalf("seeded %v", names)
	}
	var mdDump struct{ Name, Zone string }
	getJSON(t, first.url+"/computeMetadata/v1/instance/?recursive=true", &mdDump)
	if mdDump.Name != "node-1" || !strings.HasSuffix(mdDump.Zone, "/zones/us-central1-b") {
		t.Errorf("metadata instance %+v", mdDump)
	}
	first.stop(t)
	for _, want := range []string{"api_endpoint_overrides/compute " + first.url + "/compute/v1/", `compute_custom_endpoint = "` + first.url + `/compute/v1/"`,
		`option.WithEndpoint("` + first.url + `")`, `option.WithEndpoint("` + first.url + `/compute/v1/")`,
		"api-endpoint = " + first.url + "/compute/v1/", "local-zone = us-central1-a", "GCE_METADATA_HOST=" + strings.TrimPrefix(first.url, "http://")} {
		if !strings.Contains(first.out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, first.out)
		}
	}
	if !strings.Contains(first.out.String(), "state saved to "+state) {
		t.Errorf("no save on shutdown:\n%s", first.out)
	}

	// A restart loads the state and does not seed again.
	second := start(t, bin, "--seed-instances", "5", "--state-file", state)
	if names := instanceNames(t, second.url); len(names) != 3 {
		t.Errorf("after restart %v, want the 3 saved VMs", names)
	}
	second.stop(t)
}

func TestBinaryKeyfile(t *testing.T) {
	bin := buildBinary(t)
	out := filepath.Join(t.TempDir(), "key.json")
	if b, err := exec.Command(bin, "keyfile", "--url", "http://127.0.0.1:18080", "--project", "demo", "--out", out).CombinedOutput(); err != nil {
		t.Fatalf("keyfile: %v\n%s", err, b)
	}
	var key struct {
		Type     string `json:"type"`
		TokenURI string `json:"token_uri"`
	}
	b, _ := os.ReadFile(out)
	if err := json.Unmarshal(b, &key); err != nil || key.Type != "service_account" || key.TokenURI != "http://127.0.0.1:18080/token" {
		t.Errorf("key: %v %+v", err, key)
	}
	// A bad flag is a usage error: exit status 2, the flag named.
	cmd := exec.Command(bin, "--listen", "0.0.0.0:0")
	b, err := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(b), "--listen") {
		t.Errorf("non-loopback listen: %v %s", err, b)
	}
}
