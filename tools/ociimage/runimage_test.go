package main

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// unpack writes img's file system under dir (regular files and
// directories: all our images hold).
func unpack(t *testing.T, img v1.Image, dir string) {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir) {
			t.Fatalf("tar entry %q leaves the root", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, os.FileMode(h.Mode)); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, os.FileMode(h.Mode)); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("unexpected tar entry %q type %c", h.Name, h.Typeflag)
		}
	}
}

// inImage runs the image's entrypoint with args the way a runtime would:
// root directory = the image's file system (chroot), the config's user, its
// environment and working directory, nothing from the host.
func inImage(t *testing.T, img v1.Image, args ...string) *exec.Cmd {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running an image's entrypoint in its own root needs chroot, i.e. root (CI runs as root)")
	}
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	unpack(t, img, root)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var uid, gid uint32
	if _, err := fmt.Sscanf(cf.Config.User, "%d:%d", &uid, &gid); err != nil {
		t.Fatalf("user %q: %v", cf.Config.User, err)
	}
	cmd := exec.Command(cf.Config.Entrypoint[0], append(cf.Config.Entrypoint[1:], args...)...)
	cmd.Path = cf.Config.Entrypoint[0] // resolved inside the chroot, not on the host's PATH
	cmd.Dir = cf.Config.WorkingDir
	cmd.Env = cf.Config.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uid, Gid: gid},
		Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// runFakecomputeImage starts the emulator from its image on a loopback port
// and asks it for its health, then for a zone list through the API.
func runFakecomputeImage(t *testing.T, img v1.Image) {
	t.Helper()
	cmd := inImage(t, img, "--listen=127.0.0.1:0", "--project=img-proj")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting /fakecompute in the image's root as %v: %v", cmd.SysProcAttr.Credential, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "fakecompute: listening on "); ok {
				urls <- strings.TrimSpace(u)
			}
		}
		close(urls)
	}()
	var base string
	select {
	case base = <-urls:
	case <-time.After(30 * time.Second):
		t.Fatal("fakecompute from the image did not say where it listens within 30 s")
	}
	if base == "" {
		t.Fatal("fakecompute from the image exited before listening")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/compute/v1/projects/img-proj/zones", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "us-central1-a") {
		t.Errorf("zones.list on fakecompute from the image: %s %.300s", resp.Status, body)
	}
}

// ccmVersionInImage runs `/gce-cloud-controller-manager --version` in the
// image's root as its user.
func ccmVersionInImage(t *testing.T, img v1.Image) string {
	t.Helper()
	cmd := inImage(t, img, "--version")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("/gce-cloud-controller-manager --version in the image: %v\n%s", err, b)
	}
	return strings.TrimSpace(string(b))
}
