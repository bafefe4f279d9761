package main

import (
	"bytes"
	"context"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestMadeImages checks what `make image` made (make image-test sets the
// environment; CI runs it): both images pushed with `ociimage push` to an
// in-process registry, pulled back, and checked: every platform, the
// entrypoint, the user, the annotations from git, static binaries of the
// right architecture, and the build machine's platform's binary
// byte-identical to the one `make build` put in bin/.
func TestMadeImages(t *testing.T) {
	dir := os.Getenv("OCIIMAGE_DIR")
	if dir == "" {
		t.Skip("OCIIMAGE_DIR is not set: `make image-test` runs this test on the images `make image` built")
	}
	env := map[string]string{}
	for _, k := range []string{"OCIIMAGE_BUILD_BIN", "OCIIMAGE_PLATFORMS", "OCIIMAGE_HOST_PLATFORM", "OCIIMAGE_VERSION", "OCIIMAGE_REVISION", "OCIIMAGE_SOURCE"} {
		if env[k] = os.Getenv(k); env[k] == "" {
			t.Fatalf("%s is not set (make image-test sets it with OCIIMAGE_DIR)", k)
		}
	}
	platforms := strings.Fields(env["OCIIMAGE_PLATFORMS"])
	host := testRegistry(t, nil)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	names := []string{"gce-cloud-controller-manager", "fakecompute"}
	args := []string{"push"}
	for _, n := range names {
		args = append(args, "--push", filepath.Join(dir, n)+"="+host+"/gce-ccm/"+n+":test")
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("push: exit %d: %s", code, stderr.String())
	}
	t.Logf("pushed:\n%s", stdout.String())
	for _, n := range names {
		ref, err := name.ParseReference(host + "/gce-ccm/" + n + ":test")
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(ref)
		if err != nil {
			t.Fatalf("pulling %s: %v", ref, err)
		}
		checkIndex(t, idx, n, env["OCIIMAGE_VERSION"], env["OCIIMAGE_REVISION"], env["OCIIMAGE_SOURCE"], platforms)
		for _, p := range platforms {
			pl, err := parsePlatform(p)
			if err != nil {
				t.Fatal(err)
			}
			img, err := imageFor(idx, pl)
			if err != nil {
				t.Fatal(err)
			}
			bin, err := readFile(img, "/"+n)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkELF(bin, pl); err != nil {
				t.Errorf("%s %s: %v", n, p, err)
			}
			if f, err := elf.NewFile(bytes.NewReader(bin)); err == nil {
				if f.Section(".debug_info") != nil {
					t.Errorf("%s %s: has DWARF (want -s -w)", n, p)
				}
			}
			if p != env["OCIIMAGE_HOST_PLATFORM"] {
				continue
			}
			built, err := os.ReadFile(filepath.Join(env["OCIIMAGE_BUILD_BIN"], n))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bin, built) {
				t.Errorf("%s %s: the image's binary (%d bytes) is not make build's %s (%d bytes)", n, p, len(bin),
					filepath.Join(env["OCIIMAGE_BUILD_BIN"], n), len(built))
			}
			// Run what the image runs, as a runtime would (its root, its user).
			switch n {
			case "gce-cloud-controller-manager":
				got := ccmVersionInImage(t, img)
				if !strings.Contains(got, env["OCIIMAGE_VERSION"]) {
					t.Errorf("--version in the image printed %q, want the stamp %s", got, env["OCIIMAGE_VERSION"])
				}
				t.Logf("%s in its image, as user 65532: --version: %s", p, got)
			case "fakecompute":
				runFakecomputeImage(t, img)
				t.Logf("%s: fakecompute in its image, as user 65532, served zones.list", p)
			}
		}
	}
}
